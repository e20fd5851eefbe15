//! `ingress/legacy-unused`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::Strategy;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::IngressLegacyUnused,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A service's `legacy` backend is used: the service has routes, and the strategy (ingress-canary or istio) sends part of them to the old cluster through the new one; or it is an L4 wave member, which moves at that old address.",
    rationale: "Only ingress-canary and istio route the old cluster's share through the new cluster, to each routed service's legacy backend. slb-weights sends it through the old SLB, dns-weights and client through the old entrypoint's DNS records; a service without routes takes no HTTP traffic at all. A `legacy` there changes nothing, which is likely not what was meant.",
    bad: "{ name: worker, legacy: { port: 5000 } }   # no routes",
    good: "{ name: vote, routes: [{ host: vote.example, path: / }], legacy: { port: 5000 } }",
    source: "issue 14 (the legacy backend per route)",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let strategy = ctx.spec.rollout.strategy;
    let routes_through_new = matches!(strategy, Strategy::IngressCanary | Strategy::Istio);
    let l4 = crate::model::ports::l4_members(ctx.spec);
    for (i, service) in ctx.spec.services.iter().enumerate() {
        // An L4 wave member moves at its legacy address (the old SLB's listener).
        if service.legacy.is_none() || l4.iter().any(|(m, _)| m.name == service.name) {
            continue;
        }
        let at = root().services().at(i).legacy();
        let name = &service.name;
        if service.routes.is_empty() {
            out.push(
                ctx.warning(RULE.id, at, "no routes", format!("service `{name}` has a legacy backend but no routes, so no traffic goes to it"))
                    .service(name)
                    .help("remove `legacy`, or add the routes that reach the service on the old cluster"),
            );
        } else if !routes_through_new {
            let strategy: &str = strategy.into();
            out.push(
                ctx.warning(RULE.id, at, "unused by this strategy", format!("with {strategy}, the old cluster's share does not pass the new cluster: service `{name}`'s legacy backend is not used"))
                    .service(name)
                    .help("remove `legacy`; the old cluster keeps answering on its own entrypoint"),
            );
        }
    }
}
