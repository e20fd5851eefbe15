//! `workload/one-process`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadOneProcess,
    level: Level::Applied,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "One process per container; helpers are separate containers of the pod.",
    rationale: "Applied when the manifests are built (tests/manifests.rs checks it).",
    bad: "",
    good: "",
    source: "003 §1.1.2",
};
