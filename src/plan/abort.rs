//! The one-step abort: from any phase after deploy, everything back on the old cluster.
//!
//! Where the phases move traffic one step at a time and each rollback returns to the step
//! before, the abort goes straight to the all-old state from wherever the move stands, and
//! every command in it is safe to run when its part is back already: the same runbook
//! after phase 5 or phase 15 leaves the same end state.
//!
//! - ingress-canary and istio: apply `manifests/abort/`, the routes of the all-old state
//!   (every share 0, no mirror, not settled, DNS on the new ingress: every request to the
//!   legacy backends) with the legacy backends they use; then DNS back to the old
//!   entrypoint.
//! - slb-weights: every service's vServer group back to its old servers at weight 100, the
//!   new nodes out (only those in the group); then DNS back to the old SLB.
//! - dns-weights: every record back to the old answer only, the new answers removed and
//!   weighting off. client: the old server list.
//!
//! The new side stays (routes, ingress, workloads): resolvers may hold the new answer for
//! up to a TTL ([`AbortWait`]), and a new attempt starts from the state the abort leaves.

use serde::Serialize;

use super::dns::{DnsChange, DnsPlan};
use super::rollout::{ClientServers, Phase, PhaseKind, Share, TrafficState, in_cluster_traffic};
use crate::model::{Spec, Strategy};
use crate::shell;

/// The runbook, in the bundle.
pub const RUNBOOK: &str = "runbooks/abort.md";

/// The folder under `manifests/` that ingress-canary and istio apply.
pub const FOLDER: &str = "abort";

/// The weight the old servers get back (the weight before the move, as the plan's first
/// share assumes: [`super::rollout::slb_weights`] gives them 100 at 0%).
pub const OLD_WEIGHT: u32 = 100;

/// How to return every request to the old cluster, whatever phase the move is in.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AbortPlan {
    /// `runbooks/abort.md`.
    pub runbook: String,
    /// The phase after which the abort applies (the deploy phase: the routes exist) and the
    /// last phase it applies in (decommission, until the old cluster is undeployed).
    pub from_phase: String,
    pub until_phase: String,
    /// ingress-canary and istio: the folder under `manifests/` to apply (`abort`); none for
    /// the strategies that move traffic outside the cluster.
    pub folder: Option<String>,
    /// The traffic state the abort's routes (or weights, records, lists) leave: every share
    /// on the old cluster.
    pub state: TrafficState,
    /// slb-weights: per service, the commands that put the old SLB's group back.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slb: Vec<SlbAbort>,
    /// L4 services in waves, back on their old backends ([`l4_backends`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub l4: Vec<SlbAbort>,
    /// Every moving record back to the old answer only (empty without a `dns` section).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<DnsChange>,
    /// client: the server list to ship, per host.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<ClientServers>,
    /// How long the new side must stay in place after the DNS is back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<AbortWait>,
}

/// A service's vServer group on the old SLB, back to the old servers only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlbAbort {
    pub service: String,
    /// The variable holding the group's id (as in every runbook).
    pub vserver_group: String,
    /// The weight the old servers get.
    pub old_weight: u32,
    /// The old servers at [`OLD_WEIGHT`] first, then the new nodes that are in the group
    /// removed (none when none is): the group always has a server that takes requests.
    pub commands: Vec<String>,
}

/// How long resolvers may still send requests to the new entrypoint after the records are
/// back: the longest TTL a resolver may hold the new answer with. Every new answer was
/// published at the cutover TTL (the first value change waits a normal TTL after the
/// lowering, so no answer at the normal TTL is new), until the phase that restores the
/// normal TTL; an abort after that phase waits the normal TTL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AbortWait {
    /// The phase whose DNS changes first point a name at the new entrypoint: an abort
    /// before it has nothing to wait for.
    pub first_change: Option<String>,
    /// The wait when the abort comes before `restored_in` (the cutover TTL).
    pub seconds: u32,
    /// The phase that restores the normal TTL, if any, and the wait from then on.
    pub restored_in: Option<String>,
    pub seconds_after_restore: u32,
}

impl AbortWait {
    /// The longest wait of any phase (what to wait when unsure where the move stands).
    pub fn longest(&self) -> u32 {
        if self.restored_in.is_some() {
            self.seconds.max(self.seconds_after_restore)
        } else {
            self.seconds
        }
    }
}

/// The traffic state the abort's routes express: every share 0, no mirror, not settled,
/// DNS on the new ingress (so the routes of every moving host, catch-all included, exist
/// and send every request to the legacy backends).
pub fn all_old(phases: &[Phase]) -> TrafficState {
    let services = phases
        .iter()
        .find(|p| p.kind.moves_traffic())
        .map(|p| p.after.services.clone())
        .unwrap_or_default()
        .into_keys()
        .map(|name| (name, Share::default()))
        .collect();
    TrafficState {
        dns_on_new: true,
        settled: false,
        services,
    }
}

pub fn plan(spec: &Spec, phases: &[Phase], dns: Option<&DnsPlan>) -> Option<AbortPlan> {
    let deploy = phases.iter().find(|p| p.kind == PhaseKind::Deploy)?;
    let until = phases
        .iter()
        .rfind(|p| p.kind == PhaseKind::Decommission)
        .unwrap_or(deploy);
    let strategy = spec.rollout.strategy;
    let in_cluster = in_cluster_traffic(strategy);
    Some(AbortPlan {
        runbook: RUNBOOK.to_string(),
        from_phase: deploy.id.clone(),
        until_phase: until.id.clone(),
        folder: in_cluster.then(|| FOLDER.to_string()),
        state: all_old(phases),
        slb: if strategy == Strategy::SlbWeights {
            slb_abort(spec, phases)
        } else {
            Vec::new()
        },
        l4: l4_backends(spec, phases),
        dns: dns.map_or_else(Vec::new, |d| {
            super::dns::abort_changes(d, strategy == Strategy::DnsWeights)
        }),
        clients: if strategy == Strategy::Client {
            client_lists(spec, phases)
        } else {
            Vec::new()
        },
        wait: dns.map(wait),
    })
}

/// The L4 wave members (`plan::l4`): each one's old servers back at [`OLD_WEIGHT`], then
/// the new nodes still in its listener's group out ([`super::l4::abort_lines`]).
pub fn l4_backends(spec: &Spec, phases: &[Phase]) -> Vec<SlbAbort> {
    let Some(last) = phases.iter().rev().find(|p| !p.l4_backends.is_empty()) else {
        return Vec::new();
    };
    last.l4_backends
        .iter()
        .map(|b| SlbAbort {
            service: b.service.clone(),
            vserver_group: b.vserver_group.clone(),
            old_weight: OLD_WEIGHT,
            commands: super::l4::abort_lines(spec, std::slice::from_ref(b)),
        })
        .collect()
}

/// Every service the old SLB splits: its old servers at [`OLD_WEIGHT`], then the new nodes
/// found in its group removed (with the ports they have there).
fn slb_abort(spec: &Spec, phases: &[Phase]) -> Vec<SlbAbort> {
    let region = &spec.target.region;
    let Some(last) = phases.iter().rev().find(|p| !p.slb_backends.is_empty()) else {
        return Vec::new();
    };
    last.slb_backends
        .iter()
        .map(|b| SlbAbort {
            service: b.service.clone(),
            vserver_group: b.vserver_group.clone(),
            old_weight: OLD_WEIGHT,
            commands: slb_abort_lines(region, &b.service),
        })
        .collect()
}

/// The variable that holds, during the abort, the new nodes found in a service's group.
pub fn new_in_group_var(service: &str) -> String {
    shell::variable(&["new-in-group", service])
}

/// The commands that put a service's group back on its old servers (by the variables every
/// SLB runbook sets: [`slb_vars`]).
pub fn slb_abort_lines(region: &str, service: &str) -> Vec<String> {
    super::slb::back_to_old_lines(region, service, &new_in_group_var(service), OLD_WEIGHT)
}

/// client: every host's list back to the old address only.
fn client_lists(spec: &Spec, phases: &[Phase]) -> Vec<ClientServers> {
    let old = spec.source.entrypoint.address.to_string();
    let Some(last) = phases.iter().rev().find(|p| !p.client_servers.is_empty()) else {
        return Vec::new();
    };
    last.client_servers
        .iter()
        .map(|c| ClientServers {
            host: c.host.clone(),
            servers: vec![old.clone()],
            note: "the old address only; release it at once".to_string(),
        })
        .collect()
}

/// How long the new side stays after the records are back, from the change list.
fn wait(dns: &DnsPlan) -> AbortWait {
    use super::dns::ChangeKind;
    let phase_of = |kinds: &[ChangeKind]| {
        dns.phases
            .iter()
            .find(|p| p.changes.iter().any(|c| kinds.contains(&c.kind)))
            .map(|p| p.phase.clone())
    };
    let first_change = phase_of(&[ChangeKind::Add, ChangeKind::SetWeights]);
    let restored_in = phase_of(&[ChangeKind::RestoreTtl]);
    AbortWait {
        first_change,
        seconds: dns.ttl_cutover,
        seconds_after_restore: dns.ttl_normal,
        restored_in,
    }
}
