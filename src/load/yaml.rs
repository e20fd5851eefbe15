//! YAML into the spanned document tree, from saphyr's event stream.
//!
//! The tree is built with an explicit stack (no recursion, whatever the nesting), aliases are
//! expanded against a budget (so an alias bomb ends in a diagnostic, not in memory
//! exhaustion), and duplicate keys are refused.

use std::collections::BTreeMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle};

use super::node::{Entry, Node, NodeKind, ScalarKind, resolve_plain};
use super::{LIMITS, LoadProblem};
use crate::diagnostic::Span;

/// Converts saphyr's character positions into byte offsets.
struct Offsets<'a> {
    text: &'a str,
    ascii: bool,
    line_starts: Vec<usize>,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        let ascii = text.is_ascii();
        let line_starts = if ascii {
            Vec::new()
        } else {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        };
        Offsets {
            text,
            ascii,
            line_starts,
        }
    }

    fn byte(&self, marker: &Marker) -> usize {
        if self.ascii {
            return marker.index().min(self.text.len());
        }
        let line = marker
            .line()
            .saturating_sub(1)
            .min(self.line_starts.len() - 1);
        let start = self.line_starts[line];
        self.text[start..]
            .char_indices()
            .nth(marker.col())
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    fn span(&self, span: &saphyr_parser::Span) -> Span {
        Span::new(self.byte(&span.start), self.byte(&span.end))
    }
}

enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Span)>,
    },
}

struct Builder {
    next_id: u32,
    nodes: usize,
    alias_nodes: usize,
    anchors: BTreeMap<usize, Node>,
    stack: Vec<Frame>,
    root: Option<Node>,
    problems: Vec<LoadProblem>,
}

impl Builder {
    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// Hands a finished node to the container being built (or makes it the root).
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), LoadProblem> {
        self.nodes += 1;
        if self.nodes > LIMITS.max_nodes {
            return Err(LoadProblem::TooLarge {
                span: node.span,
                what: format!("more than {} values", LIMITS.max_nodes),
            });
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => match node.kind {
                    NodeKind::Scalar { text, .. } => *key = Some((text, node.span)),
                    _ => {
                        return Err(LoadProblem::Syntax {
                            span: node.span,
                            message: "a mapping key must be a plain value, not a list or mapping"
                                .into(),
                        });
                    }
                },
                Some((k, key_span)) => {
                    if let Some(first) = entries.iter().find(|e| e.key == k) {
                        self.problems.push(LoadProblem::DuplicateKey {
                            key: k.clone(),
                            first: first.key_span,
                            second: key_span,
                        });
                    } else {
                        entries.push(Entry {
                            key: k,
                            key_span,
                            value: node,
                        });
                    }
                }
            },
        }
        Ok(())
    }

    /// A copy of an anchored node with fresh ids, paid for from the alias budget.
    fn expand_alias(&mut self, anchor: usize, span: Span) -> Result<Node, LoadProblem> {
        let Some(original) = self.anchors.get(&anchor) else {
            return Err(LoadProblem::Syntax {
                span,
                message: "this alias names no anchor defined before it".into(),
            });
        };
        let mut copy = original.clone();
        let mut count = 0usize;
        let mut todo = vec![&mut copy];
        while let Some(node) = todo.pop() {
            count += 1;
            self.next_id += 1;
            node.id = self.next_id;
            match &mut node.kind {
                NodeKind::Scalar { .. } => {}
                NodeKind::Seq(items) => todo.extend(items.iter_mut()),
                NodeKind::Map(entries) => todo.extend(entries.iter_mut().map(|e| &mut e.value)),
            }
        }
        self.alias_nodes += count;
        if self.alias_nodes > LIMITS.max_alias_nodes {
            return Err(LoadProblem::AliasLimit { span });
        }
        // The copy's own nodes were counted once when built; the expansion counts again.
        self.nodes += count.saturating_sub(1);
        Ok(copy)
    }
}

pub fn parse(text: &str) -> Result<Node, Vec<LoadProblem>> {
    let offsets = Offsets::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder {
        next_id: 0,
        nodes: 0,
        alias_nodes: 0,
        anchors: BTreeMap::new(),
        stack: Vec::new(),
        root: None,
        problems: Vec::new(),
    };
    let mut documents = 0usize;
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(pair)) => pair,
            Some(Err(e)) => {
                let at = offsets.byte(e.marker());
                let span = Span::new(at, at);
                // saphyr bounds nesting itself; report it as the depth limit it is.
                if e.info().contains("recursion limit") {
                    return Err(vec![LoadProblem::TooDeep { span }]);
                }
                return Err(vec![LoadProblem::Syntax {
                    span,
                    message: e.info().to_string(),
                }]);
            }
        };
        let span = offsets.span(&span);
        let step = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => Ok(()),
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    Err(LoadProblem::MultipleDocuments { span })
                } else {
                    Ok(())
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let kind = match (style, &tag) {
                    (_, Some(tag)) if tag.is_yaml_core_schema() && tag.suffix == "str" => {
                        ScalarKind::Str
                    }
                    (ScalarStyle::Plain, _) => resolve_plain(&value),
                    _ => ScalarKind::Str,
                };
                let node = Node {
                    id: b.id(),
                    span,
                    kind: NodeKind::Scalar {
                        text: value.into_owned(),
                        kind,
                    },
                };
                b.finish(node, anchor)
            }
            Event::SequenceStart(anchor, _) => push(
                &mut b,
                Frame::Seq {
                    start: span.start,
                    anchor,
                    items: Vec::new(),
                },
                span,
            ),
            Event::MappingStart(anchor, _) => push(
                &mut b,
                Frame::Map {
                    start: span.start,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                },
                span,
            ),
            Event::SequenceEnd | Event::MappingEnd => match b.stack.pop() {
                Some(Frame::Seq {
                    start,
                    anchor,
                    items,
                }) => {
                    let end = container_end(items.last().map(|n| n.span), span);
                    let node = Node {
                        id: b.id(),
                        span: Span::new(start, end),
                        kind: NodeKind::Seq(items),
                    };
                    b.finish(node, anchor)
                }
                Some(Frame::Map {
                    start,
                    anchor,
                    entries,
                    ..
                }) => {
                    let end = container_end(entries.last().map(|e| e.value.span), span);
                    let node = Node {
                        id: b.id(),
                        span: Span::new(start, end),
                        kind: NodeKind::Map(entries),
                    };
                    b.finish(node, anchor)
                }
                None => Ok(()),
            },
            Event::Alias(anchor) => match b.expand_alias(anchor, span) {
                Ok(node) => b.finish(node, 0),
                Err(problem) => Err(problem),
            },
        };
        if let Err(problem) = step {
            b.problems.push(problem);
            return Err(b.problems);
        }
    }
    if !b.problems.is_empty() {
        return Err(b.problems);
    }
    match b.root {
        Some(root) if !root.is_null() => Ok(root),
        _ => Err(vec![LoadProblem::Empty]),
    }
}

/// Where a list or mapping ends: at its closing bracket in flow style; in block style (where
/// the end event sits, empty, at the next token) at its last item.
fn container_end(last_item: Option<Span>, end_event: Span) -> usize {
    match last_item {
        Some(item) if end_event.start == end_event.end => item.end,
        Some(item) => item.end.max(end_event.end),
        None => end_event.end,
    }
}

fn push(b: &mut Builder, frame: Frame, span: Span) -> Result<(), LoadProblem> {
    if b.stack.len() >= LIMITS.max_depth {
        return Err(LoadProblem::TooDeep { span });
    }
    b.stack.push(frame);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_values_and_keys() {
        let text = "a:\n  b: hello\n  c: [1, 2]\n";
        let root = parse(text).unwrap();
        let a = root.get("a").unwrap();
        let b = a.get("b").unwrap();
        assert_eq!(&text[b.span.start..b.span.end], "hello");
        let NodeKind::Map(entries) = &a.kind else {
            panic!("a mapping")
        };
        assert_eq!(
            &text[entries[1].key_span.start..entries[1].key_span.end],
            "c"
        );
    }

    #[test]
    fn non_ascii_text_keeps_byte_offsets_right() {
        let text = "name: \"日本語\"\nother: x\n";
        let root = parse(text).unwrap();
        let other = root.get("other").unwrap();
        assert_eq!(&text[other.span.start..other.span.end], "x");
    }

    #[test]
    fn alias_bombs_stop_at_the_budget() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut previous = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            let refs = vec![format!("*{previous}"); 10].join(", ");
            text.push_str(&format!("{name}: &{name} [{refs}]\n"));
            previous = name;
        }
        let problems = parse(&text).unwrap_err();
        assert!(matches!(problems[0], LoadProblem::AliasLimit { .. }));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let problems = parse(&text).unwrap_err();
        assert!(
            matches!(problems[0], LoadProblem::TooDeep { .. }),
            "{problems:?}"
        );
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_places() {
        let problems = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(matches!(problems[0], LoadProblem::DuplicateKey { .. }));
    }
}
