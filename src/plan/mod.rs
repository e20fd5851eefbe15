//! Stage 3, plan: a pure function from the checked spec (and the sizing derived from it
//! once, [`crate::model::sizing`]) to the decisions the bundle states: addresses, phases
//! and traffic, DNS changes, runbooks. The renderers read the results.

pub mod abort;
pub mod certificates;
pub mod copies;
pub mod dns;
pub mod gates;
pub mod images;
pub mod ingress;
pub mod l4;
pub mod network;
pub mod network_policy;
pub mod node_pools;
pub mod ports;
pub mod rollout;
pub mod slb;
pub mod view;
pub mod zones;

use serde::Serialize;

use crate::model::Spec;
use crate::model::sizing::Sizing;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub name: String,
    pub sizing: Sizing,
    pub network: network::NetworkPlan,
    pub images: Vec<images::ImageMove>,
    pub ingress_controller: Option<ingress::IngressControllerPlan>,
    /// The node pools' creation requests, in the order the prepare runbook sends them.
    pub node_pools: Vec<node_pools::NodePoolPlan>,
    pub strategy: crate::model::Strategy,
    pub phases: Vec<rollout::Phase>,
    /// The DNS change list, when the spec has a `dns` section.
    pub dns: Option<dns::DnsPlan>,
    /// The test domain's record and the PrivateZone's creation.
    pub zones: zones::ZonePlan,
    /// Decommission: each L4 wave member's old servers out of its old SLB's group.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub l4_decommission: Vec<PhaseCommands>,
    /// The NetworkPolicies: per service who may reach it and what it may reach, and the
    /// verify phase's probes.
    pub network_policy: network_policy::NetworkPolicyPlan,
    /// How the data keeps up: object stores in ossimport's incremental mode until the last
    /// traffic phase, each data disk's copy method and freeze window, and the backups.
    pub data_copies: copies::CopyPlan,
    /// Everything back on the old cluster in one step, from any phase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abort: Option<abort::AbortPlan>,
    /// A self-managed Kubernetes source: the window and the certificate pre-flight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificates: Option<certificates::CertificatePlan>,
    /// The spec values the documents print, for the templates; not in `plan.json`, which
    /// is the plan's decisions (the bundle's index records the spec's digest).
    #[serde(skip)]
    pub spec: view::SpecView,
}

/// Commands a phase's runbook gives, and those its rollback gives, as the plan decided
/// them (`plan.json` holds them; the runbook prints them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseCommands {
    /// The runbook that gives them (`04-deploy`).
    pub phase: String,
    pub commands: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rollback_commands: Vec<String>,
}

/// The plan of a checked spec, with the sizing derived from it ([`Sizing`]).
pub fn build(spec: &Spec, sizing: &Sizing) -> Plan {
    let sizing = sizing.clone();
    let network = network::plan(spec, sizing.planned_nodes);
    let workers = sizing.workers.as_ref().map_or(1, |w| w.instances);
    let mut phases = rollout::build(spec, workers);
    for phase in &mut phases {
        phase.gates = gates::gates(spec, phase);
    }
    let dns = dns::plan(spec, &phases);
    let ingress_controller = ingress::plan(spec, &sizing).map(|mut ic| {
        // The prepare phase pins it.
        ic.phase = phases.first().map(|p| p.id.clone()).unwrap_or_default();
        ic
    });
    let network_policy = network_policy::plan(spec, &phases);
    // The prepare phase creates them.
    let prepare = phases.first().map(|p| p.id.clone()).unwrap_or_default();
    let pools = node_pools::plan(spec, &sizing.pools, node_pools::CLUSTER, &prepare);
    Plan {
        images: images::moves(spec, network_policy.runs_helper()),
        network_policy,
        strategy: spec.rollout.strategy,
        abort: abort::plan(spec, &phases, dns.as_ref()),
        zones: zones::plan(spec, &phases),
        certificates: certificates::plan(spec, &phases),
        l4_decommission: l4::decommission(spec, &phases),
        data_copies: copies::plan(spec, &phases),
        dns,
        phases,
        name: spec.metadata.name.clone(),
        sizing,
        network,
        ingress_controller,
        node_pools: pools,
        spec: view::view(spec),
    }
}
