//! `network/pod-overlap`: what it demands and why are in [`RULE`].

use super::Overlaps;
use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::NetworkPlugin;
use crate::model::path::root;
use const_format::concatcp;

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkPodOverlap,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: concatcp!(
        "Flannel: the pod CIDR is disjoint from the VPC, every route (peered VPC, IDC over VBR) and every other cluster's pod CIDR in the VPC. (An overlap with the service CIDR is reported as ",
        RuleId::NetworkServiceOverlap.as_str(),
        ".)"
    ),
    rationale: "Overlapping pod addresses make traffic to the overlapped network vanish into the cluster, and the pod CIDR cannot be changed once the cluster exists.",
    bad: "podCidr: 172.16.0.0/16   # inside the peered 172.16.0.0/12",
    good: "podCidr: 10.16.0.0/16",
    source: "003 §1.4; ACK Flannel network planning",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    if network.plugin != NetworkPlugin::Flannel {
        return;
    }
    let Some(pod) = network.pod_cidr else {
        return; // the missing-field rule reports it (spec::missing_field)
    };
    let mut overlaps = Overlaps::new(
        ctx,
        RULE.id,
        "pod CIDR",
        pod,
        root().target().network().pod_cidr(),
    );
    overlaps.against(network.vpc, || {
        (root().target().network().vpc(), "the VPC".into())
    });
    for (i, r) in network.routes.iter().enumerate() {
        overlaps.against(r.cidr, || {
            (
                root().target().network().routes().at(i).cidr(),
                format!("route `{}`", r.name),
            )
        });
    }
    for (i, c) in network.other_clusters.iter().enumerate() {
        if let Some(other) = c.pod_cidr {
            overlaps.against(other, || {
                (
                    root().target().network().other_clusters().at(i).pod_cidr(),
                    format!("the pod CIDR of cluster `{}`", c.name),
                )
            });
        }
    }
    out.extend(overlaps.found);
}
