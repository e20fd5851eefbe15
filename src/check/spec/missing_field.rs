//! `spec/missing-field`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::model::{NetworkPlugin, Strategy};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecMissingField,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every required field is present.",
    rationale: "cutover does not guess values that decide addresses, sizes or traffic.",
    bad: "services:\n  - name: gateway",
    good: "services:\n  - name: gateway\n    image: ...\n    replicas: 3\n    port: 4000",
    source: "spec-sketch.yaml",
};

/// The fields the loader cannot require alone, because another field decides whether they
/// are needed. The loader reports every other missing field.
pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    if spec.dns.is_none() && spec.rollout.strategy == Strategy::DnsWeights {
        out.push(
                ctx.error(RULE.id, root().rollout().strategy(), "dns-weights", "the dns-weights strategy needs a `dns` section with the records to move")
                    .help("add `dns:` with the zone, the TTLs and the records (see examples/dns-weights.yaml)"),
        );
    }
    let network = &spec.target.network;
    if network.plugin == NetworkPlugin::Flannel && network.pod_cidr.is_none() {
        out.push(
            ctx.error(
                RULE.id,
                root().target().network().plugin(),
                "flannel",
                "Flannel needs a pod CIDR: `target.network.podCidr` is missing",
            )
            .help("add `podCidr:`, a block such as 10.16.0.0/16 that overlaps nothing in use"),
        );
    }
}
