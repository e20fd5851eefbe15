//! `spec/alias-limit`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecAliasLimit,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "YAML aliases expand to at most 100,000 values.",
    rationale: "Nested aliases grow exponentially (the 'billion laughs' bomb); the budget stops them early.",
    bad: "a: &a [x, x]\nb: &b [*a, *a]\n# ...nine more levels",
    good: "(anchors used a few times)",
    source: "cutover",
};
