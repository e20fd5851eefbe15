//! TOML into the spanned document tree, from the `toml` crate's spanned parse tree.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::node::{Entry, Node, NodeKind, ScalarKind};
use super::{LIMITS, LoadProblem};
use crate::diagnostic::Span;

pub fn parse(text: &str) -> Result<Node, Vec<LoadProblem>> {
    let table = DeTable::parse(text).map_err(|e| {
        let span = e
            .span()
            .map_or(Span::default(), |r| Span::new(r.start, r.end));
        vec![LoadProblem::Syntax {
            span,
            message: e.message().trim().to_string(),
        }]
    })?;
    let mut next_id = 0u32;
    let span = Span::new(table.span().start, table.span().end);
    let root = convert_table(table.get_ref(), span, &mut next_id, 0)?;
    match &root.kind {
        NodeKind::Map(entries) if entries.is_empty() => Err(vec![LoadProblem::Empty]),
        _ => Ok(root),
    }
}

fn convert_table(
    table: &DeTable<'_>,
    span: Span,
    next_id: &mut u32,
    depth: usize,
) -> Result<Node, Vec<LoadProblem>> {
    if depth > LIMITS.max_depth {
        return Err(vec![LoadProblem::TooDeep { span }]);
    }
    let mut entries = Vec::with_capacity(table.len());
    for (key, value) in table.iter() {
        entries.push(Entry {
            key: key.get_ref().to_string(),
            key_span: Span::new(key.span().start, key.span().end),
            value: convert(value, next_id, depth + 1)?,
        });
    }
    // The parse tree's map is sorted by key; source order reads better and keeps the node
    // order the same as YAML's.
    entries.sort_by_key(|e| e.key_span.start);
    *next_id += 1;
    Ok(Node {
        id: *next_id,
        span,
        kind: NodeKind::Map(entries),
    })
}

fn convert(
    value: &Spanned<DeValue<'_>>,
    next_id: &mut u32,
    depth: usize,
) -> Result<Node, Vec<LoadProblem>> {
    let span = Span::new(value.span().start, value.span().end);
    let scalar = |text: String, kind: ScalarKind| NodeKind::Scalar { text, kind };
    let kind = match value.get_ref() {
        DeValue::String(s) => scalar(s.to_string(), ScalarKind::Str),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            let text = match i.radix() {
                10 => digits,
                16 => format!("0x{digits}"),
                8 => format!("0o{digits}"),
                _ => format!("0b{digits}"),
            };
            scalar(text, ScalarKind::Int)
        }
        DeValue::Float(f) => scalar(f.as_str().replace('_', ""), ScalarKind::Float),
        DeValue::Boolean(b) => scalar(b.to_string(), ScalarKind::Bool),
        DeValue::Datetime(d) => scalar(d.to_string(), ScalarKind::Str),
        DeValue::Array(items) => {
            if depth > LIMITS.max_depth {
                return Err(vec![LoadProblem::TooDeep { span }]);
            }
            let mut nodes = Vec::with_capacity(items.len());
            for item in items.iter() {
                nodes.push(convert(item, next_id, depth + 1)?);
            }
            NodeKind::Seq(nodes)
        }
        DeValue::Table(table) => return convert_table(table, span, next_id, depth),
    };
    *next_id += 1;
    Ok(Node {
        id: *next_id,
        span,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_arrays_keep_spans() {
        let text = "[target]\nname = \"k8s\"\n\n[[services]]\nname = \"a\"\nreplicas = 3\n";
        let root = parse(text).unwrap();
        let name = root.get("target").unwrap().get("name").unwrap();
        assert_eq!(&text[name.span.start..name.span.end], "\"k8s\"");
        let NodeKind::Seq(services) = &root.get("services").unwrap().kind else {
            panic!("a list")
        };
        let replicas = services[0].get("replicas").unwrap();
        assert_eq!(&text[replicas.span.start..replicas.span.end], "3");
    }
}
