//! `rollout/unrouted-paths`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::UnroutedPaths;
use crate::model::hosts::moving;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::RolloutUnroutedPaths,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every moving host lists `/`, or the spec says where its other paths go (`rollout.unroutedPaths`); the diagnostic names the host, its listed paths and their home.",
    rationale: "Once DNS points at the new ingress it serves only the host/path pairs the routes list: any other URI of a moving host would get its 404. The Istio migration rolled back for exactly that. cutover keeps them on the old cluster through a catch-all route (`legacy`, until decommission; `new`, until complete) unless the spec refuses them.",
    bad: "routes: [{ host: shop.example.com, path: /api }, { host: shop.example.com, path: /web }]",
    good: "routes: [{ host: shop.example.com, path: / }]   # or rollout.unroutedPaths: legacy, on purpose",
    source: "002 §3 (unlisted URIs broke), issue 15",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let policy = spec.rollout.unrouted_paths;
    for (host, moving) in moving(spec) {
        if moving.claims_all() {
            continue;
        }
        let (i, j) = moving.first;
        let listed = moving
            .paths
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let home = match (policy, spec.rollout.strategy) {
            (UnroutedPaths::Refuse, _) => "the new ingress answers them with 404 from the first phase that sends it traffic (`rollout.unroutedPaths: refuse`)".to_string(),
            (UnroutedPaths::Legacy, _) => "a catch-all route sends them to the old cluster from the deploy phase on and until decommission (`rollout.unroutedPaths: legacy`): the old cluster must keep serving them".to_string(),
            (UnroutedPaths::New, _) => "a catch-all route sends them to the old cluster until `complete`, which removes it: from then on the new ingress answers them with 404 (`rollout.unroutedPaths: new`)".to_string(),
        };
        out.push(
            ctx.warning(
                RULE.id,
                root().services().at(i).routes().at(j).host(),
                "partly listed",
                format!("host `{host}` moves, but its routes list only {listed}: its other paths are unrouted; {home}"),
            )
            .help(format!("add a route `{{ host: {host}, path: / }}` to the service that answers the rest (or list every path the host serves), or choose `rollout.unroutedPaths` (legacy, new, refuse) on purpose")),
        );
    }
}
