//! `rollout/ack-service-match`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::model::{Controller, Strategy};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::RolloutAckServiceMatch,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "ACK's `service-match`/`service-weight` annotations are gone from its NGINX Ingress controller v1.12 on.",
    rationale: "After a controller upgrade the rollout silently stops routing by weight.",
    bad: "controller: ack-nginx",
    good: "controller: nginx",
    source: "ACK Nginx Ingress release notes",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    if ctx.spec.rollout.strategy == Strategy::IngressCanary
        && ctx.spec.rollout.controller == Some(Controller::AckNginx)
    {
        out.push(
            ctx.warning(
                RULE.id,
                root().rollout().controller(),
                "service-match / service-weight",
                "ACK's service-match and service-weight annotations are gone from its NGINX Ingress controller v1.12 on",
            )
            .help(if ctx.spec.rollout.waves.iter().flat_map(|w| &w.steps).any(|s| s.matched_only) {
                // canary-* cannot weigh the matched requests alone (`RuleId::RolloutMatchSupport`).
                "pin the controller below v1.12 for the whole migration (the `matchedOnly` steps need service-match with service-weight), or move to `controller: gateway-api` or `strategy: istio`"
            } else {
                "pin the controller below v1.12 for the whole migration, or use `controller: nginx` (canary-* annotations)"
            }),
        );
    }
}
