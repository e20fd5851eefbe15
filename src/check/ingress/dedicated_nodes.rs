//! `ingress/dedicated-nodes`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::IngressDedicatedNodes,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "With dedicated nodes, the nodes labelled `node-role.kubernetes.io/ingress=true` (workers only) number at least the replicas, and the controller selects them.",
    rationale: "With fewer nodes than replicas, the anti-affinity leaves replicas Pending.",
    bad: "ingressController: { replicas: 3, dedicatedNodes: 2 }",
    good: "ingressController: { replicas: 3, dedicatedNodes: 3 }",
    source: "003 §2.1",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let Some(ingress) = &ctx.spec.target.ingress_controller else {
        return;
    };
    if let Some(nodes) = ingress.dedicated_nodes
        && nodes > 0
        && nodes < ingress.replicas
    {
        out.push(
            ctx.error(
                RULE.id,
                root().target().ingress_controller().dedicated_nodes(),
                format!("{nodes} node{}", if nodes == 1 { "" } else { "s" }),
                format!(
                    "{} ingress replicas cannot spread over {nodes} dedicated node{}",
                    ingress.replicas,
                    if nodes == 1 { "" } else { "s" }
                ),
            )
            .label(
                ctx.span(root().target().ingress_controller().replicas()),
                format!("{} replicas", ingress.replicas),
            )
            .help(format!(
                "label at least {} worker nodes `node-role.kubernetes.io/ingress=true` (dedicatedNodes: {}), or run fewer replicas",
                ingress.replicas, ingress.replicas
            )),
        );
    }
}
