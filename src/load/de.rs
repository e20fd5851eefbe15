//! A serde deserializer over the spanned document tree that reports every problem at once.
//!
//! serde stops at the first error. To report them all, deserialization runs in passes: after
//! a failure the offending node is set aside, and in the next pass a [`Phantom`] stands in
//! for it, answering with a neutral value of whatever type is asked for, so the rest of the
//! document is still read and its problems found. Unknown fields are found up front from the
//! field list serde hands to `deserialize_struct`, and skipped.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use super::node::{Node, NodeKind, ScalarKind, parse_int};
use crate::diagnostic::Span;
use crate::model::units::PHANTOM_TEXT;

/// Where a problem sits: the node, its span, the key that introduced it, its spec path.
#[derive(Clone, Debug)]
pub struct Location {
    pub id: u32,
    pub span: Span,
    pub key_span: Option<Span>,
    pub path: String,
}

#[derive(Clone, Debug)]
pub enum DeErrorKind {
    UnknownField {
        field: String,
        expected: &'static [&'static str],
    },
    UnknownVariant {
        variant: String,
        expected: &'static [&'static str],
    },
    MissingField {
        field: &'static str,
    },
    /// A wrong type or an invalid value; the message says which.
    Invalid {
        message: String,
    },
}

#[derive(Clone, Debug)]
pub struct DeError {
    pub kind: DeErrorKind,
    pub location: Option<Box<Location>>,
    /// True when the error only follows from another one (raised inside a phantom).
    suppressed: bool,
}

impl DeError {
    fn new(kind: DeErrorKind) -> Self {
        DeError {
            kind,
            location: None,
            suppressed: false,
        }
    }

    fn invalid(message: String) -> Self {
        DeError::new(DeErrorKind::Invalid { message })
    }

    fn suppress(mut self) -> Self {
        self.suppressed = true;
        self
    }

    fn wrong_type(expected: &str, node: &Node) -> Self {
        DeError::invalid(format!("expected {expected}, found {}", node.describe()))
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DeErrorKind::UnknownField { field, .. } => write!(f, "unknown field `{field}`"),
            DeErrorKind::UnknownVariant { variant, .. } => write!(f, "unknown value `{variant}`"),
            DeErrorKind::MissingField { field } => write!(f, "missing field `{field}`"),
            DeErrorKind::Invalid { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::invalid(msg.to_string())
    }

    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        DeError::invalid(format!("expected {expected}, found {unexpected}"))
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        DeError::invalid(format!("invalid value {unexpected}: expected {expected}"))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(DeErrorKind::UnknownVariant {
            variant: variant.to_string(),
            expected,
        })
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(DeErrorKind::UnknownField {
            field: field.to_string(),
            expected,
        })
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::new(DeErrorKind::MissingField { field })
    }
}

/// State shared by one deserialization pass.
struct Pass<'a> {
    set_aside: &'a HashSet<u32>,
    /// Required fields a mapping lacks, already reported: a phantom fills them in.
    missing: &'a HashSet<(u32, &'static str)>,
    /// Unknown fields, keyed by the key's position so passes do not report one twice.
    unknown: &'a RefCell<BTreeMap<usize, DeError>>,
}

const MAX_REPORTED: usize = 100;

/// Deserializes `T` from the tree, returning every problem found.
pub fn from_tree<T: DeserializeOwned>(root: &Node) -> Result<T, Vec<DeError>> {
    match from_tree_recovering(root) {
        (Some(value), errors) if errors.is_empty() => Ok(value),
        (_, errors) => Err(errors),
    }
}

/// Deserializes `T` from the tree: every problem found and, when the last pass succeeded
/// with phantoms standing in for the nodes set aside, that value (so that the checks can
/// still judge the rest of the document).
pub fn from_tree_recovering<T: DeserializeOwned>(root: &Node) -> (Option<T>, Vec<DeError>) {
    let mut set_aside = HashSet::new();
    let mut missing = HashSet::new();
    let unknown = RefCell::new(BTreeMap::new());
    let mut reported = Vec::new();
    let result = loop {
        let pass = Pass {
            set_aside: &set_aside,
            missing: &missing,
            unknown: &unknown,
        };
        let de = NodeDe {
            node: root,
            key_span: None,
            path: String::new(),
            pass: &pass,
        };
        match T::deserialize(de) {
            Ok(value) => break Some(value),
            Err(error) => {
                let at = error.location.as_ref().map_or(root.id, |l| l.id);
                let missing_field = match error.kind {
                    DeErrorKind::MissingField { field } => Some(field),
                    _ => None,
                };
                if !error.suppressed {
                    reported.push(error);
                }
                if reported.len() >= MAX_REPORTED {
                    break None;
                }
                let progressed = match missing_field {
                    Some(field) => missing.insert((at, field)),
                    None => at != root.id && set_aside.insert(at),
                };
                if !progressed {
                    break None;
                }
            }
        }
    };
    reported.extend(unknown.into_inner().into_values());
    (result, reported)
}

struct NodeDe<'a, 'p> {
    node: &'a Node,
    key_span: Option<Span>,
    path: String,
    pass: &'p Pass<'p>,
}

impl NodeDe<'_, '_> {
    /// Ties an error raised here (not deeper down) to this node.
    fn locate(&self, mut error: DeError) -> DeError {
        if error.location.is_none() {
            // A list item has no key: its first key stands for it, rather than the whole item.
            let first_key = match &self.node.kind {
                NodeKind::Map(entries) => entries.first().map(|e| e.key_span),
                _ => None,
            };
            error.location = Some(Box::new(Location {
                id: self.node.id,
                span: self.node.span,
                key_span: self.key_span.or(first_key),
                path: self.path.clone(),
            }));
        }
        error
    }

    fn scalar(&self) -> Option<(&str, ScalarKind)> {
        match &self.node.kind {
            NodeKind::Scalar { text, kind } => Some((text, *kind)),
            _ => None,
        }
    }

    fn int(&self) -> Result<i128, DeError> {
        match self.scalar() {
            Some((text, ScalarKind::Int)) => parse_int(text)
                .ok_or_else(|| self.locate(DeError::invalid(format!("`{text}` is out of range")))),
            _ => Err(self.locate(DeError::wrong_type("an integer", self.node))),
        }
    }

    fn float(&self) -> Result<f64, DeError> {
        match self.scalar() {
            Some((text, ScalarKind::Int | ScalarKind::Float)) => {
                let lower = text.to_ascii_lowercase();
                let parsed = match lower.trim_start_matches('+') {
                    ".inf" | "inf" => Some(f64::INFINITY),
                    "-.inf" | "-inf" => Some(f64::NEG_INFINITY),
                    ".nan" | "nan" | "+nan" | "-nan" => Some(f64::NAN),
                    other => other
                        .parse::<f64>()
                        .ok()
                        .or_else(|| parse_int(other).map(|i| i as f64)),
                };
                parsed.ok_or_else(|| self.locate(DeError::wrong_type("a number", self.node)))
            }
            _ => Err(self.locate(DeError::wrong_type("a number", self.node))),
        }
    }
}

macro_rules! deserialize_int {
    ($method:ident, $visit:ident, $ty:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let value = self.int()?;
            let narrowed = <$ty>::try_from(value).map_err(|_| {
                self.locate(DeError::invalid(format!(
                    "{value} is out of range for this field ({} to {})",
                    <$ty>::MIN,
                    <$ty>::MAX
                )))
            })?;
            visitor.$visit(narrowed).map_err(|e| self.locate(e))
        }
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.kind {
            NodeKind::Scalar { text, kind } => match kind {
                ScalarKind::Null => visitor.visit_unit(),
                // Typed fields ask for their own type; only a value that may be a scalar or a
                // mapping (an `env` value) asks for any, and it keeps the text as written
                // (`1.10`, `007`).
                _ => visitor.visit_str(text),
            },
            NodeKind::Seq(_) => return self.deserialize_seq(visitor),
            NodeKind::Map(_) => return self.deserialize_map(visitor),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar() {
            Some((text, ScalarKind::Bool)) => visitor
                .visit_bool(text.eq_ignore_ascii_case("true"))
                .map_err(|e| self.locate(e)),
            _ => Err(self.locate(DeError::wrong_type("true or false", self.node))),
        }
    }

    deserialize_int!(deserialize_i8, visit_i8, i8);
    deserialize_int!(deserialize_i16, visit_i16, i16);
    deserialize_int!(deserialize_i32, visit_i32, i32);
    deserialize_int!(deserialize_i64, visit_i64, i64);
    deserialize_int!(deserialize_u8, visit_u8, u8);
    deserialize_int!(deserialize_u16, visit_u16, u16);
    deserialize_int!(deserialize_u32, visit_u32, u32);
    deserialize_int!(deserialize_u64, visit_u64, u64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = self.float()?;
        visitor.visit_f64(value).map_err(|e| self.locate(e))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    /// Any written scalar reads as a string (`kubernetesVersion: 1.31` is the text "1.31"),
    /// but null does not.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar() {
            Some((_, ScalarKind::Null)) | None => {
                Err(self.locate(DeError::wrong_type("a string", self.node)))
            }
            Some((text, _)) => visitor.visit_str(text).map_err(|e| self.locate(e)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            visitor.visit_none().map_err(|e| self.locate(e))
        } else {
            // Errors inside are located by the inner node's own methods.
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            visitor.visit_unit().map_err(|e| self.locate(e))
        } else {
            Err(self.locate(DeError::wrong_type("null", self.node)))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            // `volumes:` with nothing after it is an empty list, as YAML users write it.
            NodeKind::Scalar {
                kind: ScalarKind::Null,
                ..
            } => visitor
                .visit_seq(de::value::SeqDeserializer::new(std::iter::empty::<()>()))
                .map_err(|e| self.locate(e)),
            NodeKind::Seq(items) => {
                let access = SeqDe {
                    items: items.iter().enumerate(),
                    path: &self.path,
                    pass: self.pass,
                };
                visitor.visit_seq(access).map_err(|e| self.locate(e))
            }
            _ => Err(self.locate(DeError::wrong_type("a list", self.node))),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // `env:` with nothing after it is an empty map (a section is still required).
        if self.node.is_null() {
            return visitor
                .visit_map(de::value::MapDeserializer::new(
                    std::iter::empty::<((), ())>(),
                ))
                .map_err(|e| self.locate(e));
        }
        self.visit_entries(None, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.visit_entries(Some(fields), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.scalar() {
            Some((text, kind)) if kind != ScalarKind::Null => {
                let de: de::value::StrDeserializer<'_, DeError> = text.into_deserializer();
                visitor.visit_enum(de).map_err(|e| self.locate(e))
            }
            _ => Err(self.locate(DeError::invalid(format!(
                "expected one of {}, found {}",
                list(variants),
                self.node.describe()
            )))),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

impl<'p> NodeDe<'_, 'p> {
    fn visit_entries<'de, V: Visitor<'de>>(
        self,
        fields: Option<&'static [&'static str]>,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let NodeKind::Map(entries) = &self.node.kind else {
            return Err(self.locate(DeError::wrong_type("a mapping", self.node)));
        };
        if let Some(fields) = fields {
            for entry in entries.iter().filter(|e| !fields.contains(&e.key.as_str())) {
                let mut error = <DeError as de::Error>::unknown_field(&entry.key, fields);
                error.location = Some(Box::new(Location {
                    id: entry.value.id,
                    span: entry.key_span,
                    key_span: Some(entry.key_span),
                    path: join(&self.path, &entry.key),
                }));
                self.pass
                    .unknown
                    .borrow_mut()
                    .entry(entry.key_span.start)
                    .or_insert(error);
            }
        }
        let pass = self.pass;
        let id = self.node.id;
        let written = entries
            .iter()
            .filter(|e| fields.is_none_or(|f| f.contains(&e.key.as_str())))
            .map(MapItem::Written);
        let filled = fields
            .unwrap_or(&[])
            .iter()
            .filter(|f| pass.missing.contains(&(id, **f)))
            .map(|f| MapItem::Missing(f));
        let access = MapDe {
            entries: written.chain(filled).collect::<Vec<_>>().into_iter(),
            current: None,
            path: &self.path,
            pass,
        };
        visitor.visit_map(access).map_err(|e| self.locate(e))
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// `a`, `b` or `c`: the accepted values, for messages.
pub fn list(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match quoted.len() {
        0 => "nothing".into(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

struct SeqDe<'a, 'p, I> {
    items: I,
    path: &'a str,
    pass: &'p Pass<'p>,
}

impl<'de, 'a, 'p, I> SeqAccess<'de> for SeqDe<'a, 'p, I>
where
    I: Iterator<Item = (usize, &'a Node)>,
{
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((i, node)) = self.items.next() else {
            return Ok(None);
        };
        if self.pass.set_aside.contains(&node.id) {
            return seed
                .deserialize(Phantom)
                .map(Some)
                .map_err(DeError::suppress);
        }
        let de = NodeDe {
            node,
            key_span: None,
            path: format!("{}[{i}]", self.path),
            pass: self.pass,
        };
        seed.deserialize(de).map(Some)
    }
}

enum MapItem<'a> {
    Written(&'a super::node::Entry),
    /// A required field the spec left out (reported once already).
    Missing(&'static str),
}

struct MapDe<'a, 'p> {
    entries: std::vec::IntoIter<MapItem<'a>>,
    current: Option<MapItem<'a>>,
    path: &'a str,
    pass: &'p Pass<'p>,
}

impl<'de> MapAccess<'de> for MapDe<'_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            None => Ok(None),
            Some(MapItem::Missing(field)) => {
                self.current = Some(MapItem::Missing(field));
                let key: de::value::StrDeserializer<'_, DeError> = field.into_deserializer();
                seed.deserialize(key).map(Some)
            }
            Some(MapItem::Written(entry)) => {
                self.current = Some(MapItem::Written(entry));
                let key: de::value::StrDeserializer<'_, DeError> =
                    entry.key.as_str().into_deserializer();
                seed.deserialize(key).map(Some).map_err(|mut e| {
                    if e.location.is_none() {
                        e.location = Some(Box::new(Location {
                            id: entry.value.id,
                            span: entry.key_span,
                            key_span: Some(entry.key_span),
                            path: join(self.path, &entry.key),
                        }));
                    }
                    e
                })
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let entry = match self.current.take() {
            Some(MapItem::Written(entry)) => entry,
            Some(MapItem::Missing(_)) => {
                return seed.deserialize(Phantom).map_err(DeError::suppress);
            }
            None => {
                return Err(DeError::invalid(
                    "a value was asked for before its key".into(),
                ));
            }
        };
        if self.pass.set_aside.contains(&entry.value.id) {
            return seed.deserialize(Phantom).map_err(DeError::suppress);
        }
        seed.deserialize(NodeDe {
            node: &entry.value,
            key_span: Some(entry.key_span),
            path: join(self.path, &entry.key),
            pass: self.pass,
        })
    }
}

/// Stands in for a node set aside after an error: answers every request with a neutral
/// value, so that the rest of the document can still be read in the same pass.
struct Phantom;

impl<'de> de::Deserializer<'de> for Phantom {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_bool(false)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_i64(0)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u64(0)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f64(0.0)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_str(PHANTOM_TEXT)
    }
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_none()
    }
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_seq(de::value::SeqDeserializer::new(std::iter::empty::<()>()))
    }
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(de::value::MapDeserializer::new(
            std::iter::empty::<((), ())>(),
        ))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_map(PhantomFields(fields.iter()))
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let first: de::value::StrDeserializer<'_, DeError> =
            variants.first().copied().unwrap_or("").into_deserializer();
        visitor.visit_enum(first)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u64(0)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u64(0)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u64(0)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u64(0)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u64(0)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u64(0)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f64(0.0)
    }
    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_char(' ')
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }
}

/// A phantom struct: every field present, each a phantom.
struct PhantomFields(std::slice::Iter<'static, &'static str>);

impl<'de> MapAccess<'de> for PhantomFields {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.0.next() {
            Some(field) => {
                let key: de::value::StrDeserializer<'_, DeError> = field.into_deserializer();
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        seed.deserialize(Phantom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
        label: Option<String>,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        first: Inner,
        second: Inner,
        items: Vec<Inner>,
    }

    #[test]
    fn every_problem_is_reported_in_one_run() {
        let text = "first: { count: x }\nsecond: { count: 1, lable: y }\nitems:\n  - { count: -1 }\n  - { count: 2 }\n";
        let root = yaml::parse(text).unwrap();
        let errors = from_tree::<Outer>(&root).unwrap_err();
        let messages: Vec<String> = errors
            .iter()
            .map(|e| format!("{} @ {}", e, e.location.as_ref().unwrap().path))
            .collect();
        assert_eq!(
            messages,
            [
                "expected an integer, found a string @ first.count",
                "-1 is out of range for this field (0 to 4294967295) @ items[0].count",
                "unknown field `lable` @ second.lable",
            ]
        );
    }

    #[test]
    fn a_missing_field_is_reported_where_the_mapping_is() {
        let root = yaml::parse("first: { label: a }\n").unwrap();
        let errors = from_tree::<Outer>(&root).unwrap_err();
        let messages: Vec<String> = errors
            .iter()
            .map(|e| format!("{} @ {}", e, e.location.as_ref().unwrap().path))
            .collect();
        assert_eq!(
            messages,
            [
                "missing field `count` @ first",
                "missing field `second` @ ",
                "missing field `items` @ ",
            ]
        );
    }
}
