//! The ingress controller's high availability (003 §2.1): replicas, and dedicated nodes
//! labelled `node-role.kubernetes.io/ingress=true` that the controller is pinned to.

use serde::Serialize;

use crate::model::{Controller, Spec, Strategy};

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
    /// Commands for the bundle README, node names as guarded shell variables
    /// (`"$INGRESS_NODE_1"`).
    pub commands: Vec<String>,
    /// Where the strategic-merge patch is, relative to the bundle.
    pub patch_file: String,
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
    let mut commands: Vec<String> = (1..=dedicated)
        .flat_map(|i| {
            let node = format!("INGRESS_NODE_{i}");
            [
                crate::shell::guard(
                    &node,
                    &format!("set {node} to a worker node name, from: kubectl get nodes"),
                ),
                format!("kubectl label nodes \"${node}\" {INGRESS_NODE_LABEL}=true"),
            ]
        })
        .collect();
    commands.push(format!(
        "kubectl -n {namespace} patch deployment {deployment} --type strategic --patch-file {INGRESS_PATCH}"
    ));
    commands.push(format!(
        "kubectl -n {namespace} rollout status deployment/{deployment}"
    ));
    Some(IngressControllerPlan {
        deployment: deployment.into(),
        namespace: namespace.into(),
        replicas: settings.replicas,
        dedicated_nodes: dedicated,
        commands,
        patch_file: INGRESS_PATCH.into(),
    })
}
