//! `rollout/mirror-support`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::model::rollout::{Router, router};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::RolloutMirrorSupport,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A mirrored wave uses a router that can mirror: nginx, ack-nginx, gateway-api or istio (not ALB, and not the slb-weights, dns-weights or client strategies).",
    rationale: "A mirror the controller cannot express is silently dropped: the wave's shadow phase would test nothing.",
    bad: "controller: alb\nwaves: [{ name: web, mirror: true, ... }]",
    good: "controller: nginx\nwaves: [{ name: web, mirror: true, ... }]",
    source: "seed 002",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let router = router(spec.rollout.strategy, spec.rollout.controller);
    for (w, wave) in spec.rollout.waves.iter().enumerate() {
        if !wave.mirror {
            continue;
        }
        let path = root().rollout().waves().at(w).mirror();
        if !can_mirror(router) {
            out.push(
                ctx.error(
                    RULE.id,
                    &path,
                    "cannot mirror",
                    format!(
                        "wave `{}` asks for mirroring, which {} cannot do",
                        wave.name,
                        match router {
                            Router::None =>
                                format!("the {} strategy", <&str>::from(spec.rollout.strategy)),
                            r => format!("the {} controller", <&str>::from(r)),
                        }
                    ),
                )
                .help("remove `mirror: true`, or use nginx, ack-nginx, gateway-api or istio"),
            );
        }
    }
}

/// Whether the router can mirror (shadow) requests to the new cluster.
fn can_mirror(router: Router) -> bool {
    matches!(
        router,
        Router::Nginx | Router::AckNginx | Router::GatewayApi | Router::Istio
    )
}
