//! `network/vswitch-outside-vpc`: what it demands and why are in [`RULE`].

use super::vswitch_blocks;
use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::network::find_free;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkVswitchOutsideVpc,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every vSwitch CIDR is a subset of the VPC CIDR.",
    rationale: "A vSwitch is carved out of its VPC; a block outside cannot be created.",
    bad: "vpc: 192.168.0.0/16\nvswitches: [{ cidr: 10.0.0.0/24, ... }]",
    good: "vswitches: [{ cidr: 192.168.0.0/19, ... }]",
    source: "003 §1.4",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    for (i, v) in network.vswitches.iter().enumerate() {
        if !network.vpc.contains(&v.cidr) {
            out.push(
                ctx.error(
                    RULE.id,
                    root().target().network().vswitches().at(i).cidr(),
                    "outside the VPC",
                    format!(
                        "vSwitch `{}` ({}) is not inside the VPC {}",
                        v.name, v.cidr, network.vpc
                    ),
                )
                .label(ctx.span(root().target().network().vpc()), "the VPC")
                .help(
                    match find_free(
                        v.cidr.net().prefix_len(),
                        &[network.vpc],
                        &vswitch_blocks(ctx),
                        Some(v.cidr),
                    ) {
                        Some(free) => {
                            format!("use a block inside the VPC, such as {free}, which is free")
                        }
                        None => "use a block inside the VPC".into(),
                    },
                ),
            );
        }
    }
}
