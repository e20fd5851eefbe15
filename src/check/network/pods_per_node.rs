//! `network/pods-per-node`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkPodsPerNode,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "`podsPerNode` is 16, 32, 64, 128 or 256 (a node CIDR of /28 to /24).",
    rationale: "Flannel gives each node a power-of-two slice of the pod CIDR; ACK offers these sizes.",
    bad: "podsPerNode: 100",
    good: "podsPerNode: 128",
    source: "003 §1.4; ACK cluster creation",
};

/// The pods-per-node values ACK offers.
pub const OFFERED: &[u32] = &[16, 32, 64, 128, 256];

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    let ppn = network.pods_per_node;
    if !OFFERED.contains(&ppn) {
        out.push(
            ctx.error(
                RULE.id,
                root().target().network().pods_per_node(),
                "not offered",
                format!("podsPerNode {ppn} is not one of 16, 32, 64, 128, 256"),
            )
            .help(format!(
                "use {}: each node takes a power-of-two slice of the pod CIDR",
                OFFERED.iter().rev().find(|&&p| p <= ppn).unwrap_or(&16)
            )),
        );
    }
}
