//! The plan's view of the spec: the spec values the bundle's documents print (README,
//! reports, runbooks), under the spec's own key names, so that a template reads
//! `spec.metadata.name` as before while the render stage reads only the plan. A template
//! override can name these values and no others.

use serde::Serialize;

use crate::model::{Address, Cidr, Edition, Metadata, NodeDisk, SourcePlatform, Spec, Strategy};

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpecView {
    pub metadata: Metadata,
    pub source: SourceView,
    pub target: TargetView,
    pub rollout: RolloutView,
    /// The services' names, in spec order.
    pub services: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceView {
    pub name: String,
    pub platform: SourcePlatform,
    pub entrypoint: EntrypointView,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntrypointView {
    pub address: Address,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetView {
    pub name: String,
    pub edition: Edition,
    pub kubernetes_version: String,
    pub region: String,
    pub zones: Vec<String>,
    pub entrypoint: EntrypointView,
    pub network: NetworkView,
    pub nodes: NodesView,
    pub ingress_controller: Option<IngressControllerView>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkView {
    pub pod_cidr: Option<Cidr>,
    pub service_cidr: Cidr,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodesView {
    pub system_disk: NodeDisk,
    pub data_disk: Option<NodeDisk>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressControllerView {
    pub replicas: u32,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutView {
    pub strategy: Strategy,
    /// The waves' names, in order.
    pub waves: Vec<String>,
}

pub fn view(spec: &Spec) -> SpecView {
    let (source, target) = (&spec.source, &spec.target);
    SpecView {
        metadata: spec.metadata.clone(),
        source: SourceView {
            name: source.name.clone(),
            platform: source.platform,
            entrypoint: EntrypointView {
                address: source.entrypoint.address,
            },
        },
        target: TargetView {
            name: target.name.clone(),
            edition: target.edition,
            kubernetes_version: target.kubernetes_version.clone(),
            region: target.region.clone(),
            zones: target.zones.clone(),
            entrypoint: EntrypointView {
                address: target.entrypoint.address,
            },
            network: NetworkView {
                pod_cidr: target.network.pod_cidr,
                service_cidr: target.network.service_cidr,
            },
            nodes: NodesView {
                system_disk: target.nodes.system_disk.clone(),
                data_disk: target.nodes.data_disk.clone(),
            },
            ingress_controller: target
                .ingress_controller
                .as_ref()
                .map(|i| IngressControllerView {
                    replicas: i.replicas,
                }),
        },
        rollout: RolloutView {
            strategy: spec.rollout.strategy,
            waves: spec.rollout.waves.iter().map(|w| w.name.clone()).collect(),
        },
        services: spec.services.iter().map(|s| s.name.clone()).collect(),
    }
}
