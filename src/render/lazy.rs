//! A value the templates read piece by piece: a struct's field, or a list's item, becomes a
//! template value when a template reads it, not before. A report that reads two fields of
//! the plan holds those two, and a loop over 5,000 policies holds one at a time (at 5,000
//! services, the plan as template values was the largest thing a compile held).
//!
//! A struct is a map of its fields and a list a sequence of its items, as if converted
//! whole; any other value (a string, a number, a map, an enum) is converted whole when read.
//! Nothing is copied out of the value: each read walks to its place by serializing, and
//! skips whatever lies elsewhere without serializing it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Object, ObjectRepr, Serde, Value};
use serde::Serialize;
use serde::ser::{self, Impossible, SerializeSeq, SerializeStruct};

/// One step from the root to a value: a struct's field, or a list's item.
#[derive(Clone, Debug)]
enum Step {
    Field(&'static str),
    Item(usize),
}

/// A struct or a list inside `root`, at `path`.
pub struct Lazy<T> {
    root: Arc<T>,
    path: Vec<Step>,
    shape: Shape,
    /// A struct's fields already read (a list's items are not kept).
    read: Mutex<BTreeMap<&'static str, Value>>,
}

/// What lies at a place: a struct (its fields' names), a list (its length), or a value
/// converted whole.
enum Shape {
    Struct(Vec<&'static str>),
    List(usize),
}

enum Found {
    Struct(Vec<&'static str>),
    List(usize),
    Whole(Value),
}

impl<T: Serialize + Send + Sync + 'static> Lazy<T> {
    /// The root, which must serialize as a struct (a template value that is not one is
    /// converted whole).
    pub fn value(root: Arc<T>) -> Value {
        match probe(&*root) {
            Found::Struct(names) => Value::from_object(Lazy {
                root,
                path: Vec::new(),
                shape: Shape::Struct(names),
                read: Mutex::default(),
            }),
            Found::List(len) => Value::from_object(Lazy {
                root,
                path: Vec::new(),
                shape: Shape::List(len),
                read: Mutex::default(),
            }),
            Found::Whole(value) => value,
        }
    }

    fn at(&self, step: Step) -> Option<Value> {
        let mut path = self.path.clone();
        path.push(step);
        let mut walk = Walk {
            path: &path,
            depth: 0,
            whole: false,
            found: None,
        };
        self.root.serialize(&mut walk).ok()?;
        let found = walk.found?;
        Some(self.node(path, found))
    }

    /// The template value of what a walk found at `path`.
    fn node(&self, path: Vec<Step>, found: Found) -> Value {
        let shape = match found {
            Found::Whole(value) => return value,
            Found::Struct(names) => Shape::Struct(names),
            Found::List(len) => Shape::List(len),
        };
        Value::from_object(Lazy {
            root: Arc::clone(&self.root),
            path,
            shape,
            read: Mutex::default(),
        })
    }
}

impl<T> fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<lazy value at {:?}>", self.path)
    }
}

impl<T: Serialize + Send + Sync + 'static> Object for Lazy<T> {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.shape {
            Shape::Struct(_) => ObjectRepr::Map,
            Shape::List(_) => ObjectRepr::Seq,
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match &self.shape {
            Shape::Struct(names) => {
                let name = *names.iter().find(|n| Some(**n) == key.as_str())?;
                let mut read = crate::render::lock(&self.read);
                if let Some(value) = read.get(name) {
                    return Some(value.clone());
                }
                let value = self.at(Step::Field(name))?;
                read.insert(name, value.clone());
                Some(value)
            }
            // A small item is converted whole: lists are read in loops, an item at a time.
            Shape::List(len) => {
                let index = usize::try_from(key.as_i64()?).ok().filter(|i| i < len)?;
                let mut path = self.path.clone();
                path.push(Step::Item(index));
                let mut walk = Walk {
                    path: &path,
                    depth: 0,
                    whole: true,
                    found: None,
                };
                self.root.serialize(&mut walk).ok()?;
                let found = walk.found?;
                Some(self.node(path, found))
            }
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match &self.shape {
            Shape::Struct(names) => {
                Enumerator::Values(names.iter().map(|n| Value::from(*n)).collect())
            }
            Shape::List(len) => Enumerator::Seq(*len),
        }
    }
}

/// A list's item up to this size (as JSON) is converted whole when read: loops over
/// thousands of small items (a policy a service) stay fast. A larger item (a phase, with the
/// share of every service before and after it) is read lazily like the rest.
const WHOLE_ITEM_BYTES: u64 = 64 * 1024;

/// The size of a value as compact JSON, counted, not built.
fn json_size<V: ?Sized + Serialize>(value: &V) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        Err(_) => u64::MAX,
    }
}

/// What a value is, without serializing what lies inside it: a struct's field names, a
/// list's length, or the value converted whole.
fn probe<V: ?Sized + Serialize>(value: &V) -> Found {
    let mut shape = Probe::default();
    match value.serialize(&mut shape) {
        Ok(()) if shape.names.is_some() => Found::Struct(shape.names.unwrap_or_default()),
        Ok(()) if shape.items.is_some() => Found::List(shape.items.unwrap_or_default()),
        _ => Found::Whole(Value::from(Serde(value))),
    }
}

/// Why a walk or a probe stopped: not a struct or list where one was expected (the value is
/// then converted whole, or the place does not exist).
#[derive(Debug)]
struct Elsewhere;

impl fmt::Display for Elsewhere {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a struct or a list")
    }
}

impl std::error::Error for Elsewhere {}

impl ser::Error for Elsewhere {
    fn custom<M: fmt::Display>(_: M) -> Self {
        Elsewhere
    }
}

#[derive(Default)]
struct Probe {
    names: Option<Vec<&'static str>>,
    items: Option<usize>,
}

impl SerializeStruct for &mut Probe {
    type Ok = ();
    type Error = Elsewhere;

    fn serialize_field<F: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        _: &F,
    ) -> Result<(), Elsewhere> {
        self.names.get_or_insert_with(Vec::new).push(key);
        Ok(())
    }

    fn end(self) -> Result<(), Elsewhere> {
        self.names.get_or_insert_with(Vec::new);
        Ok(())
    }
}

impl SerializeSeq for &mut Probe {
    type Ok = ();
    type Error = Elsewhere;

    fn serialize_element<F: ?Sized + Serialize>(&mut self, _: &F) -> Result<(), Elsewhere> {
        *self.items.get_or_insert(0) += 1;
        Ok(())
    }

    fn end(self) -> Result<(), Elsewhere> {
        self.items.get_or_insert(0);
        Ok(())
    }
}

/// Walks `path` from the root; at its end, probes the value (or converts it whole).
struct Walk<'a> {
    path: &'a [Step],
    depth: usize,
    /// Convert the value at the end whole when it is small, instead of probing it (a list's
    /// item).
    whole: bool,
    found: Option<Found>,
}

impl Walk<'_> {
    fn arrive<V: ?Sized + Serialize>(&mut self, value: &V) -> Result<(), Elsewhere> {
        if self.depth + 1 == self.path.len() {
            self.found = Some(if self.whole && json_size(value) <= WHOLE_ITEM_BYTES {
                Found::Whole(Value::from(Serde(value)))
            } else {
                probe(value)
            });
            Ok(())
        } else {
            self.depth += 1;
            value.serialize(&mut *self)
        }
    }
}

/// The index of the next item of the list being walked, kept beside the walk.
struct ListWalk<'w, 'a> {
    walk: &'w mut Walk<'a>,
    next: usize,
}

impl SerializeStruct for &mut Walk<'_> {
    type Ok = ();
    type Error = Elsewhere;

    fn serialize_field<F: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &F,
    ) -> Result<(), Elsewhere> {
        match self.path.get(self.depth) {
            Some(Step::Field(wanted)) if self.found.is_none() && *wanted == key => {
                self.arrive(value)
            }
            _ => Ok(()),
        }
    }

    fn end(self) -> Result<(), Elsewhere> {
        Ok(())
    }
}

impl SerializeSeq for ListWalk<'_, '_> {
    type Ok = ();
    type Error = Elsewhere;

    fn serialize_element<F: ?Sized + Serialize>(&mut self, value: &F) -> Result<(), Elsewhere> {
        let index = self.next;
        self.next += 1;
        match self.walk.path.get(self.walk.depth) {
            Some(Step::Item(wanted)) if self.walk.found.is_none() && *wanted == index => {
                self.walk.arrive(value)
            }
            _ => Ok(()),
        }
    }

    fn end(self) -> Result<(), Elsewhere> {
        Ok(())
    }
}

/// An option and a newtype are what they hold (`None` is converted whole): a walk or a probe
/// goes on into them.
macro_rules! transparent {
    () => {
        fn serialize_some<V: ?Sized + Serialize>(self, value: &V) -> Result<(), Elsewhere> {
            value.serialize(self)
        }

        fn serialize_newtype_struct<V: ?Sized + Serialize>(
            self,
            _: &'static str,
            value: &V,
        ) -> Result<(), Elsewhere> {
            value.serialize(self)
        }
    };
}

/// The serializer methods a walk or a probe refuses: a scalar where a struct or a list was
/// expected.
macro_rules! refuse {
    ($($name:ident($($arg:ty),*);)*) => {
        $(fn $name(self, $(_: $arg),*) -> Result<(), Elsewhere> { Err(Elsewhere) })*
    };
}

/// The shapes neither a walk nor a probe looks into: maps, tuples and enum variants are
/// converted whole.
macro_rules! refuse_compounds {
    () => {
        fn serialize_newtype_variant<V: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &V,
        ) -> Result<(), Elsewhere> {
            Err(Elsewhere)
        }

        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Elsewhere> {
            Err(Elsewhere)
        }

        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Elsewhere> {
            Err(Elsewhere)
        }

        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Elsewhere> {
            Err(Elsewhere)
        }

        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Elsewhere> {
            Err(Elsewhere)
        }

        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Elsewhere> {
            Err(Elsewhere)
        }

        refuse! {
            serialize_bool(bool);
            serialize_i8(i8);
            serialize_i16(i16);
            serialize_i32(i32);
            serialize_i64(i64);
            serialize_u8(u8);
            serialize_u16(u16);
            serialize_u32(u32);
            serialize_u64(u64);
            serialize_f32(f32);
            serialize_f64(f64);
            serialize_char(char);
            serialize_str(&str);
            serialize_bytes(&[u8]);
            serialize_none();
            serialize_unit();
            serialize_unit_struct(&'static str);
            serialize_unit_variant(&'static str, u32, &'static str);
        }
    };
}

impl ser::Serializer for &mut Probe {
    type Ok = ();
    type Error = Elsewhere;
    type SerializeSeq = Self;
    type SerializeTuple = Impossible<(), Elsewhere>;
    type SerializeTupleStruct = Impossible<(), Elsewhere>;
    type SerializeTupleVariant = Impossible<(), Elsewhere>;
    type SerializeMap = Impossible<(), Elsewhere>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), Elsewhere>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Elsewhere> {
        Ok(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Elsewhere> {
        Ok(self)
    }

    transparent!();

    refuse_compounds!();
}

impl<'w, 'a> ser::Serializer for &'w mut Walk<'a> {
    type Ok = ();
    type Error = Elsewhere;
    type SerializeSeq = ListWalk<'w, 'a>;
    type SerializeTuple = Impossible<(), Elsewhere>;
    type SerializeTupleStruct = Impossible<(), Elsewhere>;
    type SerializeTupleVariant = Impossible<(), Elsewhere>;
    type SerializeMap = Impossible<(), Elsewhere>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), Elsewhere>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Elsewhere> {
        Ok(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<ListWalk<'w, 'a>, Elsewhere> {
        Ok(ListWalk {
            walk: self,
            next: 0,
        })
    }

    transparent!();

    refuse_compounds!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Inner {
        name: String,
        weights: BTreeMap<String, u32>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        first_name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        absent: Option<u32>,
        nothing: Option<u32>,
        inner: Option<Inner>,
        list: Vec<Inner>,
        numbers: Vec<u32>,
    }

    fn sample() -> Sample {
        let inner = |name: &str| Inner {
            name: name.into(),
            weights: BTreeMap::from([("a".into(), 1), ("b".into(), 2)]),
        };
        Sample {
            first_name: "a`b".into(),
            absent: None,
            nothing: None,
            inner: Some(inner("x")),
            list: vec![inner("y"), inner("z")],
            numbers: vec![],
        }
    }

    /// What a template prints of each expression, lazily and converted whole.
    fn both(template: &str) -> (String, String) {
        let mut env = minijinja::Environment::new();
        env.add_template("t", template).unwrap();
        let t = env.get_template("t").unwrap();
        let root = Arc::new(sample());
        let lazy = t.render(minijinja::context! { v => Lazy::value(root.clone()) });
        let whole = t.render(minijinja::context! { v => Value::from(Serde(&*root)) });
        (lazy.unwrap(), whole.unwrap())
    }

    #[test]
    fn templates_read_a_lazy_value_as_the_whole_one() {
        for template in [
            "{{ v.firstName }}|{{ v.absent is defined }}|{{ v.nothing }}|{{ v.nope is defined }}",
            "{{ v.inner.name }} {{ v.inner.weights.b }} {{ v.inner.weights | length }}",
            "{% for i in v.list %}{{ i.name }}{{ loop.last }}{% endfor %} {{ v.list | length }}",
            "{{ v.list[1].name }} {{ v.list[-1].name }} {{ v.list[5] is defined }}",
            "{% for i in v.list[1:] %}{{ i.name }}{% endfor %}",
            "{{ v.list | selectattr('name', 'eq', 'z') | map(attribute='name') | list }}",
            "{% if v.numbers %}some{% else %}none{% endif %} {% if v.list %}some{% endif %}",
            "{% for k in v %}{{ k }},{% endfor %} {{ v | length }}",
            "{% for i in v.list if i.name != 'y' %}{{ i.name }}{% endfor %}",
        ] {
            let (lazy, whole) = both(template);
            assert_eq!(lazy, whole, "{template}");
        }
    }
}
