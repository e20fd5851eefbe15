//! `network/zone-without-vswitch`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkZoneWithoutVswitch,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every zone in `target.zones` has at least one vSwitch.",
    rationale: "Nodes in a zone need a vSwitch there; without one the zone gets no nodes and no spread.",
    bad: "zones: [a, b]\nvswitches: [{ zone: a, ... }]",
    good: "vswitches: [{ zone: a, ... }, { zone: b, ... }]",
    source: "003 §1.4",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    for (i, zone) in ctx.spec.target.zones.iter().enumerate() {
        if !network.vswitches.iter().any(|v| &v.zone == zone) {
            out.push(
                ctx.error(
                    RULE.id,
                    root().target().zones().at(i),
                    "no vSwitch here",
                    format!("zone `{zone}` has no vSwitch, so no node can run there"),
                )
                .label(
                    ctx.span(root().target().network().vswitches()),
                    "the vSwitches",
                )
                .help(format!("add a vSwitch in `{zone}`, or remove the zone")),
            );
        }
    }
}
