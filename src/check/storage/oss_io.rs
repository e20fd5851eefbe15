//! `storage/oss-io`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::StorageOssIo,
    level: Level::Note,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "OSS suits low-I/O shared files; a cluster upgrade restarts the OSS driver.",
    rationale: "Stated in the deploy phase's runbook for every OSS volume.",
    bad: "",
    good: "",
    source: "003 §3",
};
