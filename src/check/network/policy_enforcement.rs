//! `network/policy-enforcement`: what it demands and why are in [`RULE`].
//!
//! A fact, never a diagnostic: the network report and the verify runbook state it from the
//! plan (`plan::network_policy`, whose `enforced` is this rule's fact).

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkPolicyEnforcement,
    level: Level::Note,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "ACK enforces NetworkPolicies only on nodes that run Terway in shared ENI mode: under Flannel (or on exclusive-ENI node pools) the bundle's policies are applied but nothing enforces them.",
    rationale: "The default deny and the per-service policies are what keep an undeclared call or a compromised pod from reaching the rest; on a plugin that ignores them they read as protection that is not there. The verify runbook proves enforcement with a probe that must be refused, and skips it where nothing enforces. ACK also recommends fewer than 100 NetworkPolicies per cluster: cutover writes one per service and the default deny.",
    bad: "target: { network: { plugin: flannel } }   # the policies are applied, not enforced",
    good: "target: { network: { plugin: terway } }    # shared ENI mode enforces them",
    source: "Alibaba Cloud, Use network policies in ACK clusters (https://www.alibabacloud.com/help/doc-detail/97621.htm): \"This feature applies only to nodes that use the Terway CNI plug-in and are configured in shared ENI mode\"",
};
