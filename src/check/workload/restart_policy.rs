//! `workload/restart-policy`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadRestartPolicy,
    level: Level::Applied,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Deployments and StatefulSets restart Always.",
    rationale: "Applied when the manifests are built (tests/manifests.rs checks it).",
    bad: "",
    good: "",
    source: "003 §1.1.2",
};
