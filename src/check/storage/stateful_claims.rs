//! `storage/stateful-claims`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::StorageStatefulClaims,
    level: Level::Applied,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A StatefulSet gets one claim per replica from `volumeClaimTemplates`; scaling in keeps the claims; a headless Service names the pods.",
    rationale: "Applied when the manifests are built (tests/manifests.rs checks it).",
    bad: "",
    good: "",
    source: "003 §3",
};
