//! `network/terway-vswitch-capacity`: what it demands and why are in [`RULE`].

use super::pods_per_node;
use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::NetworkPlugin;
use crate::model::network::terway_max_nodes;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkTerwayVswitchCapacity,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Terway: the vSwitches hold an address for every pod and node (nodes × podsPerNode + nodes).",
    rationale: "Terway pods take VPC addresses from the vSwitches; when they run out, pods stay Pending.",
    bad: "plugin: terway\nvswitches: [{ cidr: 192.168.0.0/26, ... }]",
    good: "vswitches: [{ cidr: 192.168.0.0/19, ... }]",
    source: "ACK Terway network planning",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    let ppn = network.pods_per_node;
    if !pods_per_node::OFFERED.contains(&ppn) || network.plugin != NetworkPlugin::Terway {
        return;
    }
    let planned = ctx.sizing.planned_nodes;
    let max = terway_max_nodes(ctx.spec);
    if u64::from(planned) > max {
        let need = u64::from(planned) * (u64::from(ppn) + 1);
        out.push(
                    ctx.error(
                        RULE.id,
                        root().target().network().vswitches(),
                        format!("room for {max} nodes"),
                        format!("Terway takes a VPC address per pod and node: {planned} nodes × ({ppn} pods + 1) need {need} addresses, more than the vSwitches hold"),
                    )
                    .label(ctx.span(root().target().network().pods_per_node()), format!("{ppn} pods per node"))
                    .help("use larger vSwitches, add vSwitches, or lower podsPerNode"),
                );
    }
}
