//! Stage 3, plan: a pure function from the checked spec to the decisions the bundle states.
//! Every cross-domain decision (sizing, addresses, and later phases and traffic) is made
//! here, once; checks and renderers read the results.

pub mod dns;
pub mod images;
pub mod ingress;
pub mod network;
pub mod rollout;
pub mod sizing;
pub mod slb;

use serde::Serialize;

use crate::model::Spec;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub name: String,
    pub sizing: sizing::Sizing,
    pub network: network::NetworkPlan,
    pub images: Vec<images::ImageMove>,
    pub ingress_controller: Option<ingress::IngressControllerPlan>,
    pub strategy: crate::model::Strategy,
    pub phases: Vec<rollout::Phase>,
    /// The DNS change list, when the spec has a `dns` section.
    pub dns: Option<dns::DnsPlan>,
}

pub fn build(spec: &Spec) -> Plan {
    let sizing = sizing::plan(spec);
    let network = network::plan(spec, sizing.planned_nodes);
    let workers = sizing.workers.as_ref().map_or(1, |w| w.instances);
    let phases = rollout::build(spec, workers);
    Plan {
        strategy: spec.rollout.strategy,
        dns: dns::plan(spec, &phases),
        phases,
        name: spec.metadata.name.clone(),
        sizing,
        network,
        images: images::moves(spec),
        ingress_controller: ingress::plan(spec, crate::render::manifests::INGRESS_PATCH),
    }
}
