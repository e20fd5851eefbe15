//! `workload/single-replica`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadSingleReplica,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Service,
    locked: None,
    summary: "At least 3 replicas (a one-shot service's Job runs one). No bare Pods, ever.",
    rationale: "One or two replicas are a single point of failure during node drains and rollouts.",
    bad: "replicas: 1",
    good: "replicas: 3",
    source: "003 §1.1.2",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        let at = root().services().at(i);
        // A one-shot service runs once (its own rule demands one replica).
        if service.replicas < 3 && !service.one_shot {
            out.push(
                ctx.warning(
                    RULE.id,
                    at.replicas(),
                    format!("{} replica{}", service.replicas, if service.replicas == 1 { "" } else { "s" }),
                    format!("service `{}` runs fewer than 3 replicas: a single point of failure", service.name),
                )
                .service(&service.name)
                .help("run 3 replicas, or accept it with `allow: [workload/single-replica]` on the service"),
            );
        }
    }
}
