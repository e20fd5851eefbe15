//! `workload/spread`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadSpread,
    level: Level::Applied,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Replicas spread across zones and nodes (topology spread); a PodDisruptionBudget keeps a majority up.",
    rationale: "Applied when the manifests are built (tests/manifests.rs checks it).",
    bad: "",
    good: "",
    source: "003 §1.1.2",
};
