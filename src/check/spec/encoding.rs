//! `spec/encoding`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecEncoding,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The file is UTF-8 text without NUL characters.",
    rationale: "Specs travel through editors, CI and pull requests; other encodings and binary content corrupt silently.",
    bad: "(a file saved as Latin-1)",
    good: "(the same file saved as UTF-8)",
    source: "cutover",
};
