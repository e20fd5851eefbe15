//! `workload/probes`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadProbes,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Service,
    locked: None,
    summary: "Every service has liveness and readiness probes (HTTP path or TCP); a one-shot service (a Job) has none.",
    rationale: "Without readiness, traffic reaches pods that are not ready; without liveness, hung pods are never restarted.",
    bad: "(no health)",
    good: "health: { path: /actuator/health }",
    source: "003 §1.1.2",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        let at = root().services().at(i);
        // A one-shot service's Job serves nothing: there is nothing to probe.
        if !service.one_shot
            && service
                .health
                .as_ref()
                .is_none_or(|h| h.path.is_none() && h.tcp != Some(true))
        {
            out.push(
                ctx.warning(
                    RULE.id,
                    at.name(),
                    "no probes",
                    format!(
                        "service `{}` has no liveness or readiness probe",
                        service.name
                    ),
                )
                .service(&service.name)
                .help("add `health: { path: /healthz }` (HTTP) or `health: { tcp: true }`"),
            );
        }
    }
}
