//! `network/vswitch-overlap`: what it demands and why are in [`RULE`].

use super::vswitch_blocks;
use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::network::find_free;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkVswitchOverlap,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "vSwitch CIDRs are pairwise disjoint.",
    rationale: "Two vSwitches cannot share addresses in one VPC.",
    bad: "192.168.0.0/19 and 192.168.16.0/20",
    good: "192.168.0.0/19 and 192.168.32.0/19",
    source: "003 §1.4",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    // Sort by start, sweep keeping the block that reaches furthest: each overlap is found
    // against it.
    let mut order: Vec<usize> = (0..network.vswitches.len()).collect();
    order.sort_by_key(|&i| (network.vswitches[i].cidr.first(), i));
    let mut furthest: Option<usize> = None;
    for i in order {
        let v = &network.vswitches[i];
        if let Some(j) = furthest {
            let w = &network.vswitches[j];
            if w.cidr.overlaps(&v.cidr) {
                let (first, second) = if j < i { (j, i) } else { (i, j) };
                let (a, b) = (&network.vswitches[first], &network.vswitches[second]);
                out.push(
                    ctx.error(
                        RULE.id,
                        root().target().network().vswitches().at(second).cidr(),
                        format!("{} ({})", b.name, b.cidr),
                        format!("vSwitches `{}` ({}) and `{}` ({}) overlap", a.name, a.cidr, b.name, b.cidr),
                    )
                    .label(ctx.span(root().target().network().vswitches().at(first).cidr()), format!("{} ({})", a.name, a.cidr))
                    .help(match find_free(b.cidr.net().prefix_len(), &[network.vpc], &vswitch_blocks(ctx), None) {
                        Some(free) => format!("give `{}` a block of its own, such as {free}, which is free in the VPC", b.name),
                        None => "give each vSwitch a block of its own".into(),
                    }),
                );
            }
            if v.cidr.last() > w.cidr.last() {
                furthest = Some(i);
            }
        } else {
            furthest = Some(i);
        }
    }
}
