//! The ingress controller's high availability (003 §2.1): replicas, and dedicated nodes
//! labelled `node-role.kubernetes.io/ingress=true` that the controller is pinned to.

use serde::Serialize;

use crate::model::{Controller, Spec, Strategy};
use crate::shell::Line;

pub const INGRESS_NODE_LABEL: &str = "node-role.kubernetes.io/ingress";

/// Where the ingress controller's HA patch sits in the bundle, applied in the prepare phase.
pub const INGRESS_PATCH: &str = "patches/ingress-controller.yaml";

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressControllerPlan {
    /// The controller's Deployment in the new cluster.
    pub deployment: String,
    pub namespace: String,
    pub replicas: u32,
    pub dedicated_nodes: u32,
    /// The runbook that pins the controller (the prepare phase's).
    pub phase: String,
    /// The variables that hold the dedicated nodes' names (`INGRESS_NODE_1`…), which only
    /// the operator knows, and the lines that stop until each is set.
    pub node_variables: Vec<String>,
    pub guards: Vec<String>,
    /// The commands that label the nodes and patch the controller, as the runbook gives them.
    pub commands: Vec<String>,
    /// Where the strategic-merge patch is, relative to the bundle.
    pub patch_file: String,
}

/// What the operator sets a dedicated node's variable to.
pub fn node_help(node: &str) -> String {
    format!(
        "set {node} to the name of a worker node for the ingress controller, from: kubectl get nodes"
    )
}

/// The plan for an in-cluster controller (ACK's NGINX Ingress, or Istio's ingress gateway);
/// `None` for ALB and Gateway API implementations, whose data plane ACK manages.
pub fn plan(spec: &Spec) -> Option<IngressControllerPlan> {
    let settings = spec.target.ingress_controller.as_ref()?;
    let (deployment, namespace) = match (spec.rollout.strategy, spec.rollout.controller) {
        (Strategy::Istio, _) => ("istio-ingressgateway", "istio-system"),
        (_, Some(Controller::Alb | Controller::GatewayApi)) => return None,
        _ => ("nginx-ingress-controller", "kube-system"),
    };
    let dedicated = settings.dedicated_nodes.unwrap_or(0);
    // Node names only the operator knows: shell variables, each guarded before its use.
    let nodes: Vec<String> = (1..=dedicated)
        .map(|i| format!("INGRESS_NODE_{i}"))
        .collect();
    let guards = nodes
        .iter()
        .map(|node| crate::shell::guard(node, &node_help(node)))
        .collect();
    let kubectl = || Line::new("kubectl").opt("-n", namespace);
    let mut commands: Vec<String> = nodes
        .iter()
        .map(|node| {
            Line::new("kubectl label nodes")
                .var(node)
                .arg(format!("{INGRESS_NODE_LABEL}=true"))
                .build()
        })
        .collect();
    commands.push(
        kubectl()
            .lit("patch deployment")
            .arg(deployment)
            .lit("--type strategic")
            .opt("--patch-file", INGRESS_PATCH)
            .build(),
    );
    commands.push(
        kubectl()
            .lit("rollout status")
            .arg(format!("deployment/{deployment}"))
            .build(),
    );
    Some(IngressControllerPlan {
        deployment: deployment.into(),
        namespace: namespace.into(),
        replicas: settings.replicas,
        dedicated_nodes: dedicated,
        phase: String::new(),
        node_variables: nodes,
        guards,
        commands,
        patch_file: INGRESS_PATCH.into(),
    })
}
