//! `spec/type`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecType,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every value has the type and form its field takes (numbers, quantities, durations, percentages, CIDRs, known choices).",
    rationale: "A value of the wrong form is a guess waiting to go wrong: `faultTolerance: 10` could mean 10% or 1000%.",
    bad: "faultTolerance: 10",
    good: "faultTolerance: 10%",
    source: "spec-sketch.yaml",
};
