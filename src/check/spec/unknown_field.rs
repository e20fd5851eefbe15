//! `spec/unknown-field`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecUnknownField,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every field is one the spec format defines.",
    rationale: "A misspelt field is otherwise ignored: `podCIDR:` would leave the pod CIDR unset.",
    bad: "network: { podCIDR: 10.16.0.0/16 }",
    good: "network: { podCidr: 10.16.0.0/16 }",
    source: "spec-sketch.yaml",
};
