//! `rollout/gates`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::model::rollout::{Router, router};
use crate::model::{Gate, Strategy};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::RolloutGates,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every traffic phase's gates measure something: the default gates (5xx rate below 1%, p99 latency below 500ms, over 5m) stay on or the spec has a measured gate of its own; a gate is written as `{ metric, threshold, window }` or in words that say exactly that (`error rate below 1% on the new cluster`, `p99 latency below 300ms over 10m`), not other free text; and the router's metrics can be queried (not ALB or Gateway API, whose gates the operator reads by hand).",
    rationale: "A hold without a measured gate moves on after the time has passed, whatever the new cluster answers: the free-text gates of earlier specs were read by nobody, and an operator under time pressure skips a check the runbook cannot run. A measured gate compiles into a query whose check fails on a crossed threshold and on no traffic at all.",
    bad: "rollout: { defaultGates: false, gates: [the dashboards look calm] }",
    good: "rollout: { gates: [{ metric: error-rate, threshold: 0.5%, window: 10m }] }",
    source: "seed 002 (the gates between steps); ingress-nginx and Istio metric references; Alibaba Cloud Managed Service for Prometheus HTTP API; CloudMonitor acs_slb_dashboard metrics",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let rollout = &ctx.spec.rollout;
    let measured = rollout.gates.iter().any(|g| g.measured().is_some());
    if !rollout.default_gates && !measured {
        out.push(
            ctx.warning(
                RULE.id,
                root().rollout().default_gates(),
                "no measured gate",
                "`defaultGates: false` and no measured gate of the spec's own: the traffic phases measure nothing before the next step",
            )
            .help("remove `defaultGates: false`, or add a gate such as `{ metric: error-rate, threshold: 1%, window: 5m }`"),
        );
    }
    for (i, gate) in rollout.gates.iter().enumerate() {
        if let Gate::Text(_) = gate {
            out.push(
                ctx.warning(
                    RULE.id,
                    root().rollout().gates().at(i),
                    "free text",
                    "this gate is free text: the runbook shows it, but nothing measures it",
                )
                .help("write it as `{ metric: error-rate, threshold: 1%, window: 5m }` (or `p99-latency` with a duration such as `500ms`)"),
            );
        }
    }
    let router = router(rollout.strategy, rollout.controller);
    let unqueried = rollout.strategy == Strategy::IngressCanary
        && matches!(router, Router::Alb | Router::GatewayApi);
    if unqueried && (rollout.default_gates || measured) {
        out.push(
            ctx.warning(
                RULE.id,
                root().rollout().controller(),
                "gates read by hand",
                format!(
                    "the {} controller's metrics are not compiled into queries: the runbooks say where to read each gate, and nothing checks its threshold",
                    <&str>::from(router)
                ),
            )
            .help("check each gate in the console the runbook names before the next step, or use nginx or istio, whose gates run as PromQL queries"),
        );
    }
}
