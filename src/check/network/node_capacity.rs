//! `network/node-capacity`: what it demands and why are in [`RULE`].

use super::{bigger_pod_cidr, pods_per_node};
use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::NetworkPlugin;
use crate::model::network::flannel_max_nodes;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkNodeCapacity,
    level: Level::ErrorOrWarning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The pod CIDR holds the planned nodes (max nodes = pod CIDR addresses / podsPerNode; a /16 with 128 gives 512). An error when they do not fit, a warning when headroom is under 50%.",
    rationale: "When the pod CIDR is used up, new nodes get no pod range and the cluster cannot grow: the CIDR cannot be changed afterwards.",
    bad: "podCidr: 10.16.0.0/24\npodsPerNode: 128   # 2 nodes",
    good: "podCidr: 10.16.0.0/16   # 512 nodes",
    source: "003 §1.4",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    let ppn = network.pods_per_node;
    if !pods_per_node::OFFERED.contains(&ppn) || network.plugin != NetworkPlugin::Flannel {
        return; // pods_per_node reports it
    }
    let planned = ctx.sizing.planned_nodes;
    let Some(pod) = network.pod_cidr else { return };
    let max = flannel_max_nodes(&pod, ppn);
    let nodes = format!(
        "{planned} planned node{}",
        if planned == 1 { "" } else { "s" }
    );
    if u64::from(planned) > max {
        out.push(
                    ctx.error(
                        RULE.id,
                        root().target().network().pod_cidr(),
                        format!("holds {max} node{}", if max == 1 { "" } else { "s" }),
                        format!("the pod CIDR {pod} with {ppn} pods per node holds {max} nodes, fewer than the {nodes}"),
                    )
                    .label(ctx.span(root().target().network().pods_per_node()), format!("{ppn} pods per node"))
                    .help(bigger_pod_cidr(ctx, pod, planned)),
                );
    } else if u64::from(planned) * 2 > max {
        out.push(
                    ctx.warning(
                        RULE.id,
                        root().target().network().pod_cidr(),
                        format!("holds {max} nodes"),
                        format!("the pod CIDR {pod} holds {max} nodes: under 50% headroom over the {nodes}, and it cannot grow later"),
                    )
                    .label(ctx.span(root().target().network().pods_per_node()), format!("{ppn} pods per node"))
                    .help(bigger_pod_cidr(ctx, pod, planned)),
                );
    }
}
