//! The phase plan: a pure function from the checked spec to the ordered phases of the move,
//! each with the traffic state it leaves behind, its gates, and how it rolls back.
//!
//! Phases: prepare, data, images, deploy (workloads and storage, no production traffic; the
//! test domain works), verify, entry (where the strategy moves DNS first), one phase per
//! wave step (the mirror first where a wave asks for it), complete, decommission.
//!
//! The traffic state after each phase is data; the manifests of a traffic phase are a pure
//! function of that state, and a phase rolls back by applying the state before it. So the
//! rollback of every step is, by construction, the forward state of the step before, and the
//! first rollback returns every request to the old cluster.

use std::collections::BTreeMap;

use crate::model::ports::{FIRST_NODE_PORT, l4_members, node_ports};

use serde::Serialize;

use crate::model::{Spec, Strategy};

/// Share of a routed service's requests on the new cluster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Share {
    /// Percent of the service's requests served by the new cluster, 0 to 100.
    pub weight: u32,
    /// Requests are also copied (shadowed) to the new cluster; the old one answers.
    pub mirror: bool,
    /// The weight applies to the requests that carry `rollout.match` only; the others stay
    /// on the old cluster.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub matched_only: bool,
}

/// Where production traffic stands after a phase.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficState {
    /// The production DNS names answer with the new cluster's entrypoint.
    pub dns_on_new: bool,
    /// The final state: routes point at the new services only, no legacy backend.
    pub settled: bool,
    /// Every service a wave moves (routed, or L4 with no routes), by name.
    pub services: BTreeMap<String, Share>,
}

impl TrafficState {
    /// Every request served by the old cluster.
    pub fn all_old(&self) -> bool {
        !self.dns_on_new && self.services.values().all(|s| s.weight == 0 && !s.mirror)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseKind {
    Prepare,
    Data,
    Images,
    Deploy,
    Verify,
    Entry,
    Mirror,
    Step,
    Complete,
    Decommission,
}

impl PhaseKind {
    /// Phases whose manifests are the traffic state (and roll back to the state before).
    pub fn moves_traffic(self) -> bool {
        matches!(
            self,
            PhaseKind::Entry | PhaseKind::Mirror | PhaseKind::Step | PhaseKind::Complete
        )
    }
}

/// How a phase's artifacts are applied, or undone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Nothing to apply in the cluster (cloud, data or DNS work, in the runbook).
    None,
    /// `kubectl apply -k` the folder.
    Apply,
    /// `kubectl delete -k` the folder.
    Delete,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Phase {
    /// 1-based position.
    pub number: usize,
    /// Folder name: `04-deploy`, `08-frontends-25`.
    pub id: String,
    pub kind: PhaseKind,
    pub title: String,
    /// What the phase changes, in one line.
    pub changes: String,
    pub wave: Option<String>,
    /// The wave's services (traffic phases).
    pub services: Vec<String>,
    /// The wave's share on the new cluster after this phase (traffic phases).
    pub weight: Option<u32>,
    /// How long to hold before the next phase, as written (`2h`).
    pub hold: Option<String>,
    pub hold_seconds: u64,
    /// Checked before the next phase starts (filled by [`super::gates`]).
    pub gates: Vec<super::gates::PhaseGate>,
    pub forward: Action,
    pub rollback: Action,
    /// The folder under `manifests/` the rollback applies or deletes: the phase's own folder
    /// when undoing means deleting what it created (deploy) or re-creating what it deleted
    /// (decommission), `rollback/<id>` for traffic phases.
    pub rollback_folder: Option<String>,
    /// How to roll the phase back, in one line.
    pub rollback_summary: String,
    /// Traffic before and after the phase (only `after` goes into plan.json: `before` is
    /// the previous phase's `after`).
    #[serde(skip)]
    pub before: TrafficState,
    pub after: TrafficState,
    /// slb-weights: the old SLB's backend weights after this phase.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slb_backends: Vec<SlbBackends>,
    /// dns-weights: the weighted records after this phase, per host.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_weights: Vec<DnsWeights>,
    /// client: what the clients' server lists hold after this phase, per host.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub client_servers: Vec<ClientServers>,
    /// Every strategy: the L4 services' backends on their old SLB after this phase, with the
    /// commands that set them and roll them back ([`super::l4`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub l4_backends: Vec<super::l4::L4Backends>,
}

/// slb-weights: per service, the weight of each old backend server and of each new node, so
/// that the new cluster gets the step's share (the L4 share follows servers × weight).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlbBackends {
    pub service: String,
    /// The shell variable that holds the id of the old SLB's vServer group for this service
    /// (each runbook that uses it sets it first).
    pub vserver_group: String,
    pub old_servers: u32,
    pub old_weight: u32,
    pub new_servers: u32,
    pub new_weight: u32,
    /// The NodePort the new nodes serve the service on.
    pub node_port: u16,
    /// The resulting share on the new cluster, in hundredths of a percent.
    pub share_hundredths: u32,
    /// The `aliyun slb` commands that set these weights, as the traffic runbook gives them
    /// (the new nodes join the group at their first share); empty when this phase leaves the
    /// weights as they were.
    pub commands: Vec<String>,
    /// The commands that undo these (the previous weights, or the new nodes out of the
    /// group at their first share), as the traffic runbook's rollback gives them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rollback: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsWeights {
    pub host: String,
    /// Record weights 1–100; `None` when that record is absent.
    pub old_weight: Option<u32>,
    pub new_weight: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientServers {
    pub host: String,
    pub servers: Vec<String>,
    pub note: String,
}

/// Strategies that first point DNS at the new cluster's ingress, which then splits traffic.
pub fn moves_dns_first(strategy: Strategy) -> bool {
    matches!(strategy, Strategy::IngressCanary | Strategy::Istio)
}

/// Strategies whose traffic moves by applying manifests to the new cluster (the others move
/// it at the old SLB, in DNS, or in the clients).
pub fn in_cluster_traffic(strategy: Strategy) -> bool {
    moves_dns_first(strategy)
}

struct Builder<'a> {
    spec: &'a Spec,
    phases: Vec<Phase>,
    state: TrafficState,
    new_servers: u32,
}

impl Builder<'_> {
    fn push(
        &mut self,
        kind: PhaseKind,
        slug: String,
        title: String,
        changes: String,
    ) -> &mut Phase {
        let before = self.state.clone();
        let (forward, rollback, rollback_summary) = match kind {
            PhaseKind::Deploy => (
                Action::Apply,
                Action::Delete,
                "delete what the phase created (`kubectl delete -k`); retained volumes keep their data".to_string(),
            ),
            PhaseKind::Decommission => (
                Action::Delete,
                Action::Apply,
                "re-create the legacy backend objects; the old cluster must not have been undeployed yet".to_string(),
            ),
            PhaseKind::Verify => (Action::None, Action::None, "nothing to undo: the checks change nothing".to_string()),
            _ => (Action::None, Action::None, "by hand, as the phase's runbook says (cloud resources and data, not manifests)".to_string()),
        };
        self.phases.push(Phase {
            number: self.phases.len() + 1,
            id: slug,
            kind,
            title,
            changes,
            wave: None,
            services: Vec::new(),
            weight: None,
            hold: None,
            hold_seconds: 0,
            gates: Vec::new(),
            forward,
            rollback,
            rollback_folder: None,
            rollback_summary,
            before: before.clone(),
            after: before,
            slb_backends: Vec::new(),
            dns_weights: Vec::new(),
            client_servers: Vec::new(),
            l4_backends: Vec::new(),
        });
        let last = self.phases.len() - 1;
        &mut self.phases[last]
    }

    /// A phase that moves traffic to `next`: it applies the new state's objects and rolls
    /// back by applying the state before it.
    fn traffic(
        &mut self,
        kind: PhaseKind,
        slug: String,
        title: String,
        changes: String,
        next: TrafficState,
    ) {
        let first = self.phases.iter().all(|p| !p.kind.moves_traffic());
        let strategy = self.spec.rollout.strategy;
        let spec = self.spec;
        let new_servers = self.new_servers;
        // slb-weights: the services whose new nodes are in the old SLB's group already (a
        // share in an earlier phase); the others join it in this one.
        let before: BTreeMap<String, (u32, u32, u16)> = self
            .phases
            .iter()
            .rev()
            .find(|p| !p.slb_backends.is_empty())
            .map(|p| {
                p.slb_backends
                    .iter()
                    .map(|b| (b.service.clone(), (b.old_weight, b.new_weight, b.node_port)))
                    .collect()
            })
            .unwrap_or_default();
        let before_l4: BTreeMap<String, (u32, u32)> = self
            .phases
            .iter()
            .rev()
            .find(|p| !p.l4_backends.is_empty())
            .map(|p| {
                p.l4_backends
                    .iter()
                    .map(|b| (b.service.clone(), (b.old_weight, b.new_weight)))
                    .collect()
            })
            .unwrap_or_default();
        // Whether a routed service's share moves (the L4 ones move at their old SLB).
        let routed_moves = kind == PhaseKind::Complete
            || spec.services.iter().any(|s| {
                !s.routes.is_empty()
                    && self.state.services.get(&s.name) != next.services.get(&s.name)
            });
        let l4_moves = crate::model::ports::l4_members(spec)
            .iter()
            .any(|(s, _)| self.state.services.get(&s.name) != next.services.get(&s.name));
        let phase = self.push(kind, slug, title, changes);
        phase.after = next.clone();
        // Inside the cluster only where the new ingress splits the traffic; the entry phase
        // changes DNS alone (the routes already send everything to the old cluster), and a
        // wave of L4 services alone changes only their old SLB's weights.
        if in_cluster_traffic(strategy) && kind != PhaseKind::Entry && routed_moves {
            phase.forward = Action::Apply;
            phase.rollback = Action::Apply;
        }
        let back = if first {
            "return every request to the old cluster"
        } else {
            "return to the previous phase's state"
        };
        phase.rollback_summary = match (strategy, kind) {
            (_, PhaseKind::Entry) => "point the DNS records back at the old entrypoint; the new ingress still sends everything to the old cluster".into(),
            (Strategy::IngressCanary | Strategy::Istio, _) => format!("{back}: apply the rollback folder"),
            (Strategy::SlbWeights, PhaseKind::Complete) => format!("{back}: point DNS back at the old SLB"),
            (Strategy::SlbWeights, _) => format!("{back}: set the old SLB's backend weights of the state before"),
            (Strategy::DnsWeights, _) => format!("{back}: restore the records and weights of the state before"),
            (Strategy::Client, _) => format!("{back}: restore the clients' server lists of the state before"),
        };
        if l4_moves && !routed_moves {
            phase.rollback_summary = format!(
                "{back}: set the L4 services' weights on their old SLB of the state before"
            );
        } else if l4_moves {
            phase
                .rollback_summary
                .push_str("; set the L4 services' weights on their old SLB of the state before");
        }
        phase.l4_backends = super::l4::backends(spec, &next, new_servers, &before_l4);
        match strategy {
            Strategy::SlbWeights => {
                phase.slb_backends = slb_backends(spec, &next, new_servers, &before);
            }
            Strategy::DnsWeights => phase.dns_weights = dns_weights(spec, &next),
            Strategy::Client => phase.client_servers = client_servers(spec, &next),
            Strategy::IngressCanary | Strategy::Istio => {}
        }
        self.state = next;
    }
}

fn slug(text: &str) -> String {
    text.to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_string()
}

pub fn build(spec: &Spec, new_servers: u32) -> Vec<Phase> {
    let strategy = spec.rollout.strategy;
    // The routed services, and the L4 services the waves move.
    let l4: Vec<&str> = l4_members(spec)
        .into_iter()
        .map(|(s, _)| s.name.as_str())
        .collect();
    let services: BTreeMap<String, Share> = spec
        .services
        .iter()
        .filter(|s| !s.routes.is_empty() || l4.contains(&s.name.as_str()))
        .map(|s| (s.name.clone(), Share::default()))
        .collect();
    let mut b = Builder {
        spec,
        phases: Vec::new(),
        state: TrafficState {
            dns_on_new: false,
            settled: false,
            services,
        },
        new_servers: new_servers.max(1),
    };
    b.push(
        PhaseKind::Prepare,
        "prepare".into(),
        "Prepare the new cluster".into(),
        "create the ACK cluster, its network and its node pools, pin the ingress controller, lower the DNS TTL".into(),
    );
    b.push(
        PhaseKind::Data,
        "data".into(),
        "Move the data".into(),
        "databases (RDS, DTS sync, PrivateZone names) and object stores (OSS, ossimport)".into(),
    );
    b.push(
        PhaseKind::Images,
        "images".into(),
        "Move the images".into(),
        "copy every image to the target registry".into(),
    );
    b.push(
        PhaseKind::Deploy,
        "deploy".into(),
        "Deploy to the new cluster".into(),
        "workloads, storage and routes; production traffic stays on the old cluster; the test domain reaches the new one".into(),
    );
    b.push(
        PhaseKind::Verify,
        "verify".into(),
        "Verify on the test domain".into(),
        "regression checks against the new cluster's test domain".into(),
    );
    if moves_dns_first(strategy) {
        let mut next = b.state.clone();
        next.dns_on_new = true;
        b.traffic(
            PhaseKind::Entry,
            "entry".into(),
            "Point DNS at the new ingress".into(),
            "production DNS moves to the new cluster's ingress, which still sends every request to the old cluster".into(),
            next,
        );
    }
    for wave in &spec.rollout.waves {
        let wave_slug = slug(&wave.name);
        if wave.mirror {
            let mut next = b.state.clone();
            for name in &wave.services {
                if let Some(share) = next.services.get_mut(name) {
                    share.mirror = true;
                }
            }
            b.traffic(
                PhaseKind::Mirror,
                format!("{wave_slug}-mirror"),
                format!("Mirror wave {}", wave.name),
                format!(
                    "copy the requests of {} to the new cluster; the old one still answers",
                    wave.services.join(", ")
                ),
                next,
            );
            let hold = wave.steps.first().map(|s| s.hold.clone());
            let phase = b.phases.last_mut().expect("a phase was just pushed");
            phase.wave = Some(wave.name.clone());
            phase.services = wave.services.clone();
            phase.weight = Some(0);
            if let Some(hold) = hold {
                phase.hold = Some(hold.to_string());
                phase.hold_seconds = hold.seconds();
            }
        }
        for step in &wave.steps {
            let mut next = b.state.clone();
            for name in &wave.services {
                if let Some(share) = next.services.get_mut(name) {
                    share.weight = step.weight;
                    share.mirror = false;
                    share.matched_only = step.matched_only;
                }
            }
            // An L4 service's share is of new connections, not requests.
            let what = if wave.services.iter().all(|s| l4.contains(&s.as_str())) {
                "new connections"
            } else {
                "requests"
            };
            b.traffic(
                PhaseKind::Step,
                format!("{wave_slug}-{}", step.weight),
                format!("Wave {}: {}%", wave.name, step.weight),
                format!(
                    "{}% of the {what} of {} go to the new cluster",
                    step.weight,
                    wave.services.join(", ")
                ),
                next,
            );
            let phase = b.phases.last_mut().expect("a phase was just pushed");
            phase.wave = Some(wave.name.clone());
            phase.services = wave.services.clone();
            phase.weight = Some(step.weight);
            phase.hold = Some(step.hold.to_string());
            phase.hold_seconds = step.hold.seconds();
        }
    }
    let mut next = b.state.clone();
    next.dns_on_new = true;
    next.settled = true;
    b.traffic(
        PhaseKind::Complete,
        "complete".into(),
        "Complete the move".into(),
        match strategy {
            Strategy::IngressCanary | Strategy::Istio => "routes point at the new services only; the canary routes stop taking traffic".into(),
            Strategy::SlbWeights => "DNS moves to the new cluster's entrypoint; the old SLB keeps serving until its traffic drains".into(),
            Strategy::DnsWeights => "the old records go; every name answers with the new entrypoint only".into(),
            Strategy::Client => "clients list the new address only".into(),
        },
        next,
    );
    b.push(
        PhaseKind::Decommission,
        "decommission".into(),
        "Decommission the old cluster".into(),
        "confirm no traffic reaches the old cluster, remove the legacy backend, undeploy the old cluster, purge the migration's OSS backups".into(),
    );
    // Folder names carry the position: `04-deploy`; wider numbers when there are many phases.
    let width = b.phases.len().to_string().len().max(2);
    for phase in &mut b.phases {
        phase.id = format!("{:0width$}-{}", phase.number, phase.id);
        phase.rollback_folder = match (phase.kind, phase.rollback) {
            (_, Action::None) => None,
            (PhaseKind::Deploy | PhaseKind::Decommission, _) => Some(phase.id.clone()),
            _ => Some(format!("rollback/{}", phase.id)),
        };
    }
    b.phases
}

/// Per-server weights (0–100) for `servers_old` old and `servers_new` new backends that give
/// the new side a share as close to `weight`% as the SLB's integer weights allow.
pub fn slb_weights(weight: u32, servers_old: u32, servers_new: u32) -> (u32, u32, u32) {
    match weight {
        0 => return (100, 0, 0),
        100 => return (0, 100, 10_000),
        _ => {}
    }
    let (so, sn) = (u64::from(servers_old.max(1)), u64::from(servers_new.max(1)));
    let target = f64::from(weight) / 100.0;
    let mut best = (100u32, 0u32, u64::MAX);
    for old in 1..=100u32 {
        for new in 1..=100u32 {
            let share =
                (sn * u64::from(new)) as f64 / (sn * u64::from(new) + so * u64::from(old)) as f64;
            let error = ((share - target).abs() * 1e9) as u64;
            if error < best.2 {
                best = (old, new, error);
            }
        }
    }
    let (old, new, _) = best;
    let share = (sn * u64::from(new) * 10_000) / (sn * u64::from(new) + so * u64::from(old));
    (old, new, share as u32)
}

fn slb_backends(
    spec: &Spec,
    state: &TrafficState,
    new_servers: u32,
    before: &BTreeMap<String, (u32, u32, u16)>,
) -> Vec<SlbBackends> {
    let old_servers = spec.source.entrypoint.backends.unwrap_or(new_servers);
    let ports = node_ports(spec);
    // The search is per weight, not per service: most services share their wave's weight.
    let mut weights: BTreeMap<u32, (u32, u32, u32)> = BTreeMap::new();
    // The routed services only: the L4 ones have their own record ([`super::l4`]).
    state
        .services
        .iter()
        .filter(|(service, _)| ports.contains_key(*service))
        .map(|(service, share)| {
            let weight = if state.settled { 100 } else { share.weight };
            let (old_weight, new_weight, share_hundredths) = *weights
                .entry(weight)
                .or_insert_with(|| slb_weights(weight, old_servers, new_servers));
            let vserver_group = crate::shell::variable(&["vsg-id", service]);
            let port = ports.get(service).copied().unwrap_or(FIRST_NODE_PORT);
            // The same commands the runbook gives, ids as the variables it sets.
            // The new nodes joined the group at their first share; a phase that leaves the
            // weights as they were, or keeps the new nodes out, has nothing to run.
            let previous = before.get(service).copied();
            let joined = previous.is_some_and(|(_, new, _)| new > 0);
            let unchanged = previous == Some((old_weight, new_weight, port));
            let commands = if unchanged || (!joined && new_weight == 0) {
                Vec::new()
            } else {
                super::slb::slb_weight_lines(
                    &spec.target.region,
                    service,
                    old_weight,
                    new_weight,
                    port,
                    !joined,
                )
            };
            // Its undo: the weights before (once the new nodes had joined), or the new
            // nodes out of the group again.
            let rollback = match previous.filter(|_| joined) {
                _ if commands.is_empty() => Vec::new(),
                Some((old, new, port)) => super::slb::slb_weight_lines(
                    &spec.target.region,
                    service,
                    old,
                    new,
                    port,
                    false,
                ),
                None => super::slb::remove_new_nodes_lines(
                    &spec.target.region,
                    &super::slb::slb_vars(service),
                    port,
                ),
            };
            SlbBackends {
                service: service.clone(),
                vserver_group,
                rollback,
                old_servers,
                old_weight,
                new_servers,
                new_weight,
                node_port: port,
                share_hundredths,
                commands,
            }
        })
        .collect()
}

/// The hosts of the routed services, each with the share of the wave that moves it.
fn host_weights(spec: &Spec, state: &TrafficState) -> BTreeMap<String, u32> {
    let mut hosts = BTreeMap::new();
    for service in &spec.services {
        let weight = state.services.get(&service.name).map_or(0, |s| s.weight);
        for route in &service.routes {
            // The rollout rules keep a host's services in one wave; take the highest share
            // all the same, so a host is never moved back.
            let entry = hosts.entry(route.host.clone()).or_insert(0);
            *entry = (*entry).max(weight);
        }
    }
    hosts
}

fn dns_weights(spec: &Spec, state: &TrafficState) -> Vec<DnsWeights> {
    host_weights(spec, state)
        .into_iter()
        .map(|(host, weight)| {
            let weight = if state.settled { 100 } else { weight };
            let (old_weight, new_weight) = match weight {
                0 => (Some(100), None),
                100 => (None, Some(100)),
                w => (Some(100 - w), Some(w)),
            };
            DnsWeights {
                host,
                old_weight,
                new_weight,
            }
        })
        .collect()
}

fn client_servers(spec: &Spec, state: &TrafficState) -> Vec<ClientServers> {
    let old = spec.source.entrypoint.address.to_string();
    let new = spec.target.entrypoint.address.to_string();
    host_weights(spec, state)
        .into_iter()
        .map(|(host, weight)| {
            let weight = if state.settled { 100 } else { weight };
            let (servers, note) = match weight {
                0 => (vec![old.clone()], "the old address only".to_string()),
                100 => (
                    vec![new.clone()],
                    "the new address only; update clients off-peak".to_string(),
                ),
                w => (
                    vec![old.clone(), new.clone()],
                    format!(
                        "both addresses; clients that support weights send {w}% to the new one"
                    ),
                ),
            };
            ClientServers {
                host,
                servers,
                note,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slb_weights_give_the_share_across_server_counts() {
        // New 4 : old 1 servers at equal weights is already 80%.
        let (old, new, share) = slb_weights(80, 1, 4);
        assert_eq!(share, 8000, "{old} {new}");
        let (_, _, share) = slb_weights(25, 3, 10);
        assert_eq!(share, 2500);
        assert_eq!(slb_weights(0, 3, 10), (100, 0, 0));
        assert_eq!(slb_weights(100, 3, 10), (0, 100, 10_000));
    }
}
