//! `spec/syntax`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecSyntax,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The file is well-formed YAML or TOML.",
    rationale: "A spec that does not parse cannot be checked at all; the parser's message says where it stopped.",
    bad: "services: [gateway",
    good: "services: [gateway]",
    source: "YAML 1.2, TOML 1.0",
};
