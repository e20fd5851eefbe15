//! Ingress controller rules (003 §2.1).

use super::Ctx;
use crate::diagnostic::Diagnostic;

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let Some(ingress) = &ctx.spec.target.ingress_controller else {
        return;
    };
    if ingress.replicas < 2 {
        out.push(
            ctx.warning(
                "ingress/ha",
                "target.ingressController.replicas",
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
    if let Some(nodes) = ingress.dedicated_nodes
        && nodes > 0
        && nodes < ingress.replicas
    {
        out.push(
            ctx.error(
                "ingress/dedicated-nodes",
                "target.ingressController.dedicatedNodes",
                format!("{nodes} node{}", if nodes == 1 { "" } else { "s" }),
                format!(
                    "{} ingress replicas cannot spread over {nodes} dedicated node{}",
                    ingress.replicas,
                    if nodes == 1 { "" } else { "s" }
                ),
            )
            .label(
                ctx.span("target.ingressController.replicas"),
                format!("{} replicas", ingress.replicas),
            )
            .help(format!(
                "label at least {} worker nodes `node-role.kubernetes.io/ingress=true` (dedicatedNodes: {}), or run fewer replicas",
                ingress.replicas, ingress.replicas
            )),
        );
    }
}
