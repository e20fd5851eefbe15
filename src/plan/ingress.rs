//! The ingress controller's high availability (003 §2.1): replicas, the ingress pool's
//! nodes (labelled `node-role.kubernetes.io/ingress=true` by the pool at creation) that the
//! controller is pinned to, and its resources from the peak rate (the sizing's gateway load).

use serde::Serialize;

use crate::model::sizing::Sizing;
use crate::model::{Controller, Spec, Strategy};
use crate::shell::Line;

pub use crate::model::node_pools::INGRESS_NODE_LABEL;

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
    /// The controller's container, which the patch gives its resources.
    pub container: String,
    /// The ingress pool's taints, which the controller tolerates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// Each replica's CPU and memory (requests = limits), from the peak rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// The runbook that pins the controller (the prepare phase's).
    pub phase: String,
    /// The commands that count the ingress nodes and patch the controller, as the runbook
    /// gives them.
    pub commands: Vec<String>,
    /// Where the strategic-merge patch is, relative to the bundle.
    pub patch_file: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Toleration {
    pub key: String,
    pub value: String,
    pub effect: &'static str,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    pub cpu: String,
    pub memory: String,
}

/// The plan for an in-cluster controller (ACK's NGINX Ingress, or Istio's ingress gateway);
/// `None` for ALB and Gateway API implementations, whose data plane ACK manages.
pub fn plan(spec: &Spec, sizing: &Sizing) -> Option<IngressControllerPlan> {
    let settings = spec.target.ingress_controller.as_ref()?;
    let (deployment, namespace, container) = match (spec.rollout.strategy, spec.rollout.controller)
    {
        (Strategy::Istio, _) => ("istio-ingressgateway", "istio-system", "istio-proxy"),
        (_, Some(Controller::Alb | Controller::GatewayApi)) => return None,
        _ => (
            "nginx-ingress-controller",
            "kube-system",
            "nginx-ingress-controller",
        ),
    };
    // The ingress pool labels its nodes when ACK creates them: the runbook counts them.
    let dedicated = sizing.ingress_nodes;
    let kubectl = || Line::new("kubectl").opt("-n", namespace);
    let mut commands: Vec<String> = Vec::new();
    if dedicated > 0 {
        commands.push(
            Line::new("kubectl get nodes")
                .opt("-l", format!("{INGRESS_NODE_LABEL}=true"))
                .lit("--no-headers")
                .pipe(Line::new("wc -l"))
                .build(),
        );
    }
    let pool = spec
        .target
        .node_pools
        .iter()
        .find(|p| p.role == crate::model::node_pools::PoolRole::Ingress);
    let tolerations = pool
        .map(|p| {
            p.taints
                .iter()
                .map(|t| Toleration {
                    key: t.key.clone(),
                    value: t.value.clone(),
                    effect: <&str>::from(t.effect),
                })
                .collect()
        })
        .unwrap_or_default();
    let resources = sizing.gateway.as_ref().map(|g| Resources {
        cpu: g.cpu.clone(),
        memory: g.memory.clone(),
    });
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
        container: container.into(),
        tolerations,
        resources,
        phase: String::new(),
        commands,
        patch_file: INGRESS_PATCH.into(),
    })
}
