//! `network/service-overlap`: what it demands and why are in [`RULE`].

use super::propose;
use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::{SpecPath, root};
use crate::model::{Cidr, NetworkPlugin};
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
    let here = root().target().network().service_cidr();
    // One proposal for all the conflicts: the search sorts every block in use.
    let mut proposal: Option<String> = None;
    let mut conflict = |other: Cidr, describe: &dyn Fn() -> (SpecPath, String)| {
        if service.overlaps(&other) {
            let (path, what) = describe();
            out.push(
                ctx.error(
                    RULE.id,
                    &here,
                    format!("service CIDR {service}"),
                    format!("the service CIDR {service} overlaps {what} ({other})"),
                )
                .label(ctx.span(&path), format!("{what} {other}"))
                .help(
                    proposal
                        .get_or_insert_with(|| propose(ctx, service))
                        .clone(),
                ),
            );
        }
    };
    conflict(network.vpc, &|| {
        (root().target().network().vpc(), "the VPC".into())
    });
    if network.plugin == NetworkPlugin::Flannel
        && let Some(pod) = network.pod_cidr
    {
        conflict(pod, &|| {
            (root().target().network().pod_cidr(), "the pod CIDR".into())
        });
    }
    for (i, r) in network.routes.iter().enumerate() {
        conflict(r.cidr, &|| {
            (
                root().target().network().routes().at(i).cidr(),
                format!("route `{}`", r.name),
            )
        });
    }
}
