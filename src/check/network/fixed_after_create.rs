//! `network/fixed-after-create`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkFixedAfterCreate,
    level: Level::Note,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The network plugin, the service CIDR and (Flannel) the pod CIDR cannot change after the cluster exists.",
    rationale: "Stated in the network report and the runbook so that the review happens before creation.",
    bad: "",
    good: "",
    source: "003 §1.4",
};
