//! L4 services in waves: how a service with TCP/UDP ports and no HTTP routes moves.
//!
//! Such a service, published `via: node-port`, moves at the old SLB its clients already use
//! (`legacy.address`, default `source.entrypoint.address`): the vServer group of its listener
//! (`legacy.port`, default the container port) gets the new cluster's nodes at the fixed
//! NodePort as backends, and the weights of old servers and new nodes give each step its
//! share, exactly as slb-weights does for routed services ([`super::rollout::slb_weights`],
//! [`super::slb`]). The clients keep the old SLB's address: it stays their front door after
//! `complete` (the old servers at weight 0), and decommission takes the old servers out.
//! This holds under every strategy: the routed services move as the strategy says, the L4
//! ones at the old SLB.

use std::collections::BTreeMap;

use serde::Serialize;

use super::rollout::{TrafficState, slb_weights};
use super::slb::{
    describe_group, new_nodes_lookup, old_servers_lookup, remove_new_nodes_lines, slb_vars,
    weight_lines,
};
use crate::model::ports::{L4Port, l4_members};
use crate::model::{Address, Protocol, Service, Spec};
use crate::shell::{self, Line};

/// An L4 service's backends on the old SLB after a phase, and the commands that set them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct L4Backends {
    pub service: String,
    /// `tcp` or `udp`: the old SLB's listener and the NodePort Service use it.
    pub protocol: Protocol,
    /// The old SLB the clients use (`legacy.address`, default the old entrypoint).
    pub old_slb: Address,
    /// The old SLB's listener port whose vServer group moves.
    pub listener_port: u16,
    /// The shell variable that holds that group's id (each runbook that uses it looks it up
    /// from the listener first).
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
    /// The commands that restore the weights before this phase, as the runbook's rollback
    /// gives them: the previous weights, or, undoing the first share, the new nodes out of
    /// the group and the old servers at 100. Empty when `commands` is.
    pub rollback: Vec<String>,
}

/// The old SLB an L4 service's clients use, its listener port and its old servers' count.
pub fn legacy_of(
    spec: &Spec,
    service: &Service,
    port: &L4Port,
    new_servers: u32,
) -> (Address, u16, u32) {
    let legacy = service.legacy.as_ref();
    (
        legacy
            .and_then(|l| l.address)
            .unwrap_or(spec.source.entrypoint.address),
        legacy.and_then(|l| l.port).unwrap_or(port.port),
        legacy
            .and_then(|l| l.backends)
            .or(spec.source.entrypoint.backends)
            .unwrap_or(new_servers),
    )
}

/// The NodePort of an L4 member: its fixed `publish.port` (`RuleId::RolloutL4` refuses none; the
/// container port stands in so that the plan never fails).
pub fn node_port(port: &L4Port) -> u16 {
    port.node_port.unwrap_or(port.port)
}

/// Every L4 member's backends in `state`. `before`: each service's (old weight, new weight)
/// after the last phase that recorded them.
pub fn backends(
    spec: &Spec,
    state: &TrafficState,
    new_servers: u32,
    before: &BTreeMap<String, (u32, u32)>,
) -> Vec<L4Backends> {
    let region = &spec.target.region;
    l4_members(spec)
        .into_iter()
        .filter(|(s, _)| state.services.contains_key(&s.name))
        .map(|(service, port)| {
            let share = state.services[&service.name];
            let weight = if state.settled { 100 } else { share.weight };
            let (old_slb, listener_port, old_servers) =
                legacy_of(spec, service, &port, new_servers);
            let (old_weight, new_weight, share_hundredths) =
                slb_weights(weight, old_servers, new_servers);
            let ids = slb_vars(&service.name);
            let node_port = node_port(&port);
            let previous = before.get(&service.name).copied().unwrap_or((100, 0));
            let joined = previous.1 > 0;
            let unchanged = previous == (old_weight, new_weight);
            let (commands, rollback) = if unchanged || (!joined && new_weight == 0) {
                (Vec::new(), Vec::new())
            } else {
                let forward =
                    weight_lines(region, &ids, old_weight, new_weight, node_port, !joined);
                let back = if joined {
                    weight_lines(region, &ids, previous.0, previous.1, node_port, false)
                } else {
                    remove_new_nodes_lines(region, &ids, node_port)
                };
                (forward, back)
            };
            L4Backends {
                service: service.name.clone(),
                protocol: port.protocol,
                old_slb,
                listener_port,
                vserver_group: ids.group.clone(),
                old_servers,
                old_weight,
                new_servers,
                new_weight,
                node_port,
                share_hundredths,
                commands,
                rollback,
            }
        })
        .collect()
}

/// The variable that holds the id of the old SLB an L4 service's clients use.
pub fn slb_variable(service: &str) -> String {
    shell::variable(&["l4-slb-id", service])
}

/// The lines that set every variable an L4 service's commands read, in the order they need
/// each other: the old SLB (by its address), the listener's vServer group (by its port), the
/// new nodes, the old servers. Each is `(variable, line)`, for a runbook's lookups.
pub fn lookups(spec: &Spec, backends: &L4Backends) -> Vec<(String, String)> {
    let region = &spec.target.region;
    let ids = slb_vars(&backends.service);
    let slb = slb_variable(&backends.service);
    let find_slb = Line::new("aliyun slb DescribeLoadBalancers")
        .opt("--RegionId", region)
        .opt("--Address", backends.old_slb.to_string())
        .pipe(shell::jq_one(
            &[],
            ".LoadBalancers.LoadBalancer[].LoadBalancerId",
            "SLBs with that address",
        ));
    // The listener names its vServer group; a listener on the default server group has
    // none, and the lookup stops (bind a vServer group to the listener first).
    // https://help.aliyun.com/document_detail/27609.html (UDP), 27608 (TCP): VServerGroupId.
    let listener = match backends.protocol {
        Protocol::Tcp => "aliyun slb DescribeLoadBalancerTCPListenerAttribute",
        Protocol::Udp => "aliyun slb DescribeLoadBalancerUDPListenerAttribute",
    };
    let find_group = Line::new(listener)
        .opt("--RegionId", region)
        .opt_var("--LoadBalancerId", &slb)
        .opt("--ListenerPort", backends.listener_port.to_string())
        .pipe(shell::jq_one(
            &[],
            ".VServerGroupId | select(. != \"\")",
            "vServer groups on the listener (bind one to it first)",
        ));
    vec![
        (slb.clone(), Line::assign(&slb, find_slb).build()),
        (
            ids.group.clone(),
            Line::assign(&ids.group, find_group).build(),
        ),
        (ids.new_nodes.to_string(), new_nodes_lookup(&ids)),
        (ids.old_servers.clone(), old_servers_lookup(region, &ids)),
    ]
}

/// The command that shows an L4 service's group: its servers, ports and weights.
pub fn describe(spec: &Spec, backends: &L4Backends) -> String {
    describe_group(&spec.target.region, &backends.vserver_group)
}

/// For the abort: the commands that return every L4 member to its old servers only, from
/// the state `backends` records after any phase (a phase's `l4_backends`). Idempotent: the
/// old servers get weight 100, and the new nodes that are in the group (found at run time)
/// leave it, so running them twice, or from a phase where the nodes never joined, is safe.
/// They read the variables [`lookups`] sets.
pub fn abort_lines(spec: &Spec, backends: &[L4Backends]) -> Vec<String> {
    let region = &spec.target.region;
    let mut lines = Vec::new();
    for b in backends {
        // The same lines as the routed services' abort (`plan::abort`), under the L4
        // member's own variable.
        let joined = shell::variable(&["joined-nodes", &b.service]);
        lines.extend(super::slb::back_to_old_lines(
            region, &b.service, &joined, 100,
        ));
        lines.push(describe_group(region, &slb_vars(&b.service).group));
    }
    lines
}

/// For decommission: the commands that take an L4 member's old servers out of its group once
/// the new nodes carry it alone (the old SLB stays the clients' front door; only the old
/// servers go). The old servers' ports are read from the group at run time.
pub fn decommission_lines(spec: &Spec, backends: &L4Backends) -> Vec<String> {
    let region = &spec.target.region;
    let ids = slb_vars(&backends.service);
    let old = shell::variable(&["old-servers", &backends.service]);
    vec![
        Line::assign(
            &old,
            Line::new("aliyun slb DescribeVServerGroupAttribute")
                .opt("--RegionId", region)
                .opt_var("--VServerGroupId", &ids.group)
                .pipe(Line::new("jq -ec --argjson new").var(ids.new_nodes).arg(
                    "[.BackendServers.BackendServer[] | select(.ServerId | IN($new[]) | not) | {ServerId, Port}]",
                )),
        )
        .build(),
        Line::new("jq -en --argjson servers")
            .var(&old)
            .arg("$servers | length > 0")
            .lit(">/dev/null")
            .and(
                Line::new("aliyun slb RemoveVServerGroupBackendServers")
                    .opt("--RegionId", region)
                    .opt_var("--VServerGroupId", &ids.group)
                    .lit("--BackendServers")
                    .var(&old),
            )
            .build(),
        describe_group(region, &ids.group),
    ]
}

/// Decommission: per L4 wave member, the lines that take its old servers out of the group
/// (under the decommission phase), in the order of the last traffic phase's record.
pub fn decommission(spec: &Spec, phases: &[super::rollout::Phase]) -> Vec<super::PhaseCommands> {
    let phase = phases
        .iter()
        .find(|p| p.kind == super::rollout::PhaseKind::Decommission)
        .map(|p| p.id.clone())
        .unwrap_or_default();
    let Some(last) = phases.iter().rev().find(|p| !p.l4_backends.is_empty()) else {
        return Vec::new();
    };
    last.l4_backends
        .iter()
        .map(|b| super::PhaseCommands {
            phase: phase.clone(),
            commands: decommission_lines(spec, b),
            rollback_commands: Vec::new(),
        })
        .collect()
}
