//! `network/service-cidr-size`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkServiceCidrSize,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The service CIDR prefix length is between /16 and /24.",
    rationale: "ACK accepts only this range: smaller runs out of Service addresses, larger wastes address space.",
    bad: "serviceCidr: 10.17.0.0/26",
    good: "serviceCidr: 10.17.0.0/20",
    source: "ACK cluster creation",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    let service = network.service_cidr;
    let here = root().target().network().service_cidr();
    let prefix = service.net().prefix_len();
    if !(16..=24).contains(&prefix) {
        out.push(
            ctx.error(
                RULE.id,
                here,
                format!("/{prefix}"),
                format!("the service CIDR {service} is a /{prefix}; ACK takes /16 to /24"),
            )
            .help("use a block from /16 (65,536 Services) to /24 (256 Services), such as a /20"),
        );
    }
}
