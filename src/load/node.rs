//! The format-neutral document tree both parsers produce: every value keeps its span, every
//! mapping key keeps its own, so later stages can point at the exact place in the file.

use std::collections::BTreeMap;

use crate::diagnostic::Span;

/// What a scalar resolves to (YAML 1.2 core schema; TOML types map onto it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarKind {
    Null,
    Bool,
    Int,
    Float,
    Str,
}

impl ScalarKind {
    pub fn describe(self) -> &'static str {
        match self {
            ScalarKind::Null => "null",
            ScalarKind::Bool => "a boolean",
            ScalarKind::Int => "an integer",
            ScalarKind::Float => "a number",
            ScalarKind::Str => "a string",
        }
    }
}

#[derive(Clone, Debug)]
pub enum NodeKind {
    /// The scalar's text as written (unquoted, unescaped) and what it resolves to.
    Scalar {
        text: String,
        kind: ScalarKind,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug)]
pub struct Node {
    /// Unique within one tree, so the deserializer can set a node aside after an error.
    pub id: u32,
    pub span: Span,
    pub kind: NodeKind,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar { kind, .. } => kind.describe(),
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(
            self.kind,
            NodeKind::Scalar {
                kind: ScalarKind::Null,
                ..
            }
        )
    }

    /// The value under `key`, when this node is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }
}

/// Resolves a plain (unquoted) YAML scalar by the YAML 1.2 core schema.
pub fn resolve_plain(text: &str) -> ScalarKind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarKind::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return ScalarKind::Bool,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return ScalarKind::Float,
        _ => {}
    }
    if parse_int(text).is_some() {
        return ScalarKind::Int;
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let looks_numeric = digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits.chars().any(|c| c.is_ascii_digit());
    if looks_numeric && text.parse::<f64>().is_ok() {
        return ScalarKind::Float;
    }
    ScalarKind::Str
}

/// Parses an integer as YAML 1.2 core and TOML write them (decimal, `0x`, `0o`, `0b`, `_`).
pub fn parse_int(text: &str) -> Option<i128> {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    let (negative, body) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b") {
        (2, d)
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let value = i128::from_str_radix(digits, radix).ok()?;
    Some(if negative { -value } else { value })
}

/// Where each value of a loaded spec sits in its file, by spec path.
///
/// Paths use indices (`services[2].replicas`), as the checks walk the model; each also has a
/// display form with element names (`services[gateway].replicas`) for messages and the
/// bundle, which must not depend on the spec's file format.
#[derive(Debug, Default)]
pub struct SourceMap {
    entries: BTreeMap<String, Located>,
}

#[derive(Clone, Debug)]
pub struct Located {
    pub value: Span,
    pub key: Option<Span>,
    pub display: String,
}

impl SourceMap {
    pub fn build(root: &Node) -> Self {
        let mut map = SourceMap::default();
        map.entries.insert(
            String::new(),
            Located {
                value: root.span,
                key: None,
                display: String::new(),
            },
        );
        // An explicit stack: the tree's depth is bounded by the loader, but recursion is not
        // needed here at all.
        let mut stack: Vec<(&Node, String, String)> = vec![(root, String::new(), String::new())];
        while let Some((node, path, display)) = stack.pop() {
            match &node.kind {
                NodeKind::Scalar { .. } => {}
                NodeKind::Map(entries) => {
                    for entry in entries {
                        let child = join(&path, &entry.key);
                        let child_display = join(&display, &entry.key);
                        map.entries.insert(
                            child.clone(),
                            Located {
                                value: entry.value.span,
                                key: Some(entry.key_span),
                                display: child_display.clone(),
                            },
                        );
                        stack.push((&entry.value, child, child_display));
                    }
                }
                NodeKind::Seq(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let child = format!("{path}[{i}]");
                        let label = match item.get("name") {
                            Some(Node {
                                kind: NodeKind::Scalar { text, .. },
                                ..
                            }) if !text.is_empty() => text.clone(),
                            _ => i.to_string(),
                        };
                        let child_display = format!("{display}[{label}]");
                        map.entries.insert(
                            child.clone(),
                            Located {
                                value: item.span,
                                key: None,
                                display: child_display.clone(),
                            },
                        );
                        stack.push((item, child, child_display));
                    }
                }
            }
        }
        map
    }

    /// The closest located ancestor of `path` (the path itself when it was written).
    fn nearest(&self, path: &str) -> &Located {
        let mut current = path;
        loop {
            if let Some(found) = self.entries.get(current) {
                return found;
            }
            match current.rfind(['.', '[']) {
                Some(i) => current = &current[..i],
                None => return &self.entries[""],
            }
        }
    }

    /// The span of the value at `path`, or of its nearest written ancestor when the value
    /// was left out (a default).
    pub fn span(&self, path: &str) -> Span {
        self.nearest(path).value
    }

    /// The span of the key that introduces `path` (the value's span for list items).
    pub fn key_span(&self, path: &str) -> Span {
        let found = self.nearest(path);
        found.key.unwrap_or(found.value)
    }

    /// Whether the spec wrote this path itself.
    pub fn contains(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    /// The path with list indices replaced by element names where the elements have one.
    pub fn display(&self, path: &str) -> String {
        if let Some(found) = self.entries.get(path) {
            return found.display.clone();
        }
        // Not written: show the nearest written ancestor's display plus the missing rest.
        let mut current = path;
        loop {
            match current.rfind(['.', '[']) {
                Some(i) => {
                    current = &current[..i];
                    if let Some(found) = self.entries.get(current) {
                        return format!("{}{}", found.display, &path[current.len()..]);
                    }
                }
                None => return path.to_string(),
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_resolve_by_the_core_schema() {
        assert_eq!(resolve_plain("3"), ScalarKind::Int);
        assert_eq!(resolve_plain("0x1f"), ScalarKind::Int);
        assert_eq!(resolve_plain("1.31"), ScalarKind::Float);
        assert_eq!(resolve_plain("~"), ScalarKind::Null);
        assert_eq!(resolve_plain("true"), ScalarKind::Bool);
        assert_eq!(resolve_plain("yes"), ScalarKind::Str);
        assert_eq!(resolve_plain("10%"), ScalarKind::Str);
        assert_eq!(resolve_plain("500m"), ScalarKind::Str);
        assert_eq!(resolve_plain("infinity"), ScalarKind::Str);
        assert_eq!(resolve_plain("192.168.0.0/16"), ScalarKind::Str);
    }
}
