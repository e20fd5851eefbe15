//! `network/service-overlap`: what it demands and why are in [`RULE`].

use super::Overlaps;
use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::NetworkPlugin;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkServiceOverlap,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The service CIDR is disjoint from the VPC, the pod CIDR and every route. Service CIDRs of different clusters in one VPC may overlap.",
    rationale: "Service addresses that shadow real networks break calls to them; the service CIDR is fixed at creation.",
    bad: "serviceCidr: 192.168.0.0/20   # inside the VPC",
    good: "serviceCidr: 10.17.0.0/20",
    source: "003 §1.4; ACK network planning",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    let service = network.service_cidr;
    let mut overlaps = Overlaps::new(
        ctx,
        RULE.id,
        "service CIDR",
        service,
        root().target().network().service_cidr(),
    );
    overlaps.against(network.vpc, || {
        (root().target().network().vpc(), "the VPC".into())
    });
    if network.plugin == NetworkPlugin::Flannel
        && let Some(pod) = network.pod_cidr
    {
        overlaps.against(pod, || {
            (root().target().network().pod_cidr(), "the pod CIDR".into())
        });
    }
    for (i, r) in network.routes.iter().enumerate() {
        overlaps.against(r.cidr, || {
            (
                root().target().network().routes().at(i).cidr(),
                format!("route `{}`", r.name),
            )
        });
    }
    out.extend(overlaps.found);
}
