//! `storage/driver`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::StorageDriver,
    level: Level::Applied,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Emit CSI (`diskplugin.csi.alibabacloud.com`, `nasplugin.csi.alibabacloud.com`, `ossplugin.csi.alibabacloud.com`); flexVolume is legacy.",
    rationale: "Applied when the manifests are built (tests/manifests.rs checks it).",
    bad: "",
    good: "",
    source: "ACK CSI",
};
