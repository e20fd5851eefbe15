//! `network/route-table-quota`: what it demands and why are in [`RULE`].

use super::pods_per_node;
use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::NetworkPlugin;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkRouteTableQuota,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Flannel adds one VPC route per node; more than 200 nodes needs a route-table quota increase.",
    rationale: "Past the quota, new nodes get no route and their pods are unreachable.",
    bad: "(flannel with 250 planned nodes)",
    good: "(request the quota increase first, or use Terway)",
    source: "ACK Flannel; VPC quotas",
};

/// The routes a VPC route table takes by default.
const ROUTE_TABLE_QUOTA: u32 = 200;

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    let ppn = network.pods_per_node;
    if !pods_per_node::OFFERED.contains(&ppn)
        || network.plugin != NetworkPlugin::Flannel
        || network.pod_cidr.is_none()
    {
        return;
    }
    let planned = ctx.sizing.planned_nodes;
    if planned > ROUTE_TABLE_QUOTA {
        out.push(
                    ctx.warning(
                        RULE.id,
                        root().target().network().plugin(),
                        "one VPC route per node",
                        format!("Flannel adds one VPC route per node: {planned} nodes exceed the default route-table quota of {ROUTE_TABLE_QUOTA}"),
                    )
                    .help("request a route-table quota increase before creating the cluster, or use Terway"),
                );
    }
}
