//! `network/vpc-range`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::network::private_ranges;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkVpcRange,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The VPC CIDR lies inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.",
    rationale: "ACK VPCs use the private ranges; a public block in a VPC shadows real internet addresses.",
    bad: "vpc: 100.64.0.0/16",
    good: "vpc: 192.168.0.0/16",
    source: "003 §1.4; ACK network planning",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let vpc = ctx.spec.target.network.vpc;
    if !private_ranges().iter().any(|r| r.contains(&vpc)) {
        out.push(
            ctx.error(
                RULE.id,
                root().target().network().vpc(),
                "not a private range",
                format!(
                    "the VPC block {vpc} is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
                ),
            )
            .help("choose the VPC block from one of the private ranges, such as 192.168.0.0/16"),
        );
    }
}
