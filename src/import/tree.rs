//! Reading the compose tree: scalars, mappings and lists of the loader's nodes, YAML merge
//! keys, and one-line summaries for the comments the spec keeps.

use crate::load::node::{Entry, Node, NodeKind};

pub fn text(node: &Node) -> Option<&str> {
    match &node.kind {
        NodeKind::Scalar { text, .. } => Some(text),
        _ => None,
    }
}

pub fn entries(node: &Node) -> &[Entry] {
    match &node.kind {
        NodeKind::Map(entries) => entries,
        _ => &[],
    }
}

pub fn items(node: &Node) -> &[Node] {
    match &node.kind {
        NodeKind::Seq(items) => items,
        _ => &[],
    }
}

/// The value under `key` as text.
pub fn text_at<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.get(key).and_then(text)
}

/// Whether a compose flag is set (`true`, as YAML writes it).
pub fn is_true(node: Option<&Node>) -> bool {
    node.and_then(text)
        .is_some_and(|t| t.eq_ignore_ascii_case("true"))
}

/// Resolves YAML merge keys (`<<: *defaults`), which compose files use for shared blocks:
/// the merged mapping's entries come first, the node's own entries override them.
pub fn resolve_merges(node: &Node) -> Node {
    match &node.kind {
        NodeKind::Map(entries) => {
            let mut merged: Vec<Entry> = Vec::new();
            for entry in entries.iter().filter(|e| e.key == "<<") {
                let sources: Vec<&Node> = match &entry.value.kind {
                    NodeKind::Seq(items) => items.iter().collect(),
                    _ => vec![&entry.value],
                };
                for source in sources {
                    for inherited in entries_of(&resolve_merges(source)) {
                        if !merged.iter().any(|m| m.key == inherited.key) {
                            merged.push(inherited.clone());
                        }
                    }
                }
            }
            for entry in entries.iter().filter(|e| e.key != "<<") {
                let own = Entry {
                    key: entry.key.clone(),
                    key_span: entry.key_span,
                    value: resolve_merges(&entry.value),
                };
                match merged.iter_mut().find(|m| m.key == own.key) {
                    Some(slot) => *slot = own,
                    None => merged.push(own),
                }
            }
            Node {
                id: node.id,
                span: node.span,
                kind: NodeKind::Map(merged),
            }
        }
        NodeKind::Seq(items) => Node {
            id: node.id,
            span: node.span,
            kind: NodeKind::Seq(items.iter().map(resolve_merges).collect()),
        },
        NodeKind::Scalar { .. } => node.clone(),
    }
}

fn entries_of(node: &Node) -> Vec<Entry> {
    match &node.kind {
        NodeKind::Map(entries) => entries.clone(),
        _ => Vec::new(),
    }
}

/// A node as one short line, for comments.
pub fn summarize(node: &Node) -> String {
    let text = match &node.kind {
        NodeKind::Scalar { text, .. } => text.clone(),
        NodeKind::Seq(items) => format!(
            "[{}]",
            items.iter().map(summarize).collect::<Vec<_>>().join(", ")
        ),
        NodeKind::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|e| format!("{}: {}", e.key, summarize(&e.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().count() > 120 {
        format!("{}…", line.chars().take(119).collect::<String>())
    } else {
        line
    }
}

/// A DNS-1123 label from any name.
pub fn label(name: &str) -> String {
    crate::model::to_dns_label(name, "stack")
}

/// A comment saying a name was rewritten, when it was.
pub fn renamed(kind: &str, original: &str, name: &str) -> Option<String> {
    (original != name).then(|| {
        format!(
            "compose {kind} `{}` (renamed: Kubernetes names are lowercase DNS labels)",
            summarize_text(original)
        )
    })
}

/// A name or value as one comment-safe line.
pub fn summarize_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() || c == '`' { ' ' } else { c })
        .take(120)
        .collect()
}
