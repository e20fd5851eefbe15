//! `ingress/ha`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::IngressHa,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The ingress controller runs at least 2 replicas.",
    rationale: "One controller replica is a single point of failure for every routed service.",
    bad: "ingressController: { replicas: 1 }",
    good: "ingressController: { replicas: 3 }",
    source: "003 §2.1",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let Some(ingress) = &ctx.spec.target.ingress_controller else {
        return;
    };
    if ingress.replicas < 2 {
        out.push(
            ctx.warning(
                RULE.id,
                root().target().ingress_controller().replicas(),
                "a single point of failure",
                format!(
                    "the ingress controller runs {} replica{}; every routed service depends on it",
                    ingress.replicas,
                    if ingress.replicas == 1 { "" } else { "s" }
                ),
            )
            .help("run at least 2 replicas, on nodes in different zones"),
        );
    }
}
