//! `sizing/master-spec`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SizingMasterSpec,
    level: Level::Applied,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "ack-dedicated only: masters by node count: 1–5 → 4 cores 8 GiB; 6–20 → 4c16g; 21–100 → 8c32g; 101–200 → 16c64g.",
    rationale: "Masters run etcd and the API server; undersized masters make the whole cluster unstable. ACK Pro and managed run the control plane for you.",
    bad: "",
    good: "",
    source: "003 §1.1.1",
};
