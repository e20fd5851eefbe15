//! `sizing/profile`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SizingProfile,
    level: Level::Applied,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "CPU:memory by profile: compute 1:2, balanced 1:4, memory-heavy (Java) 1:8.",
    rationale: "Instance families follow these ratios; the memory per instance follows from the profile.",
    bad: "",
    good: "",
    source: "003 §1.1.1",
};
