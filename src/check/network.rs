//! Network rules (003 §1.4; current ACK): address blocks, their overlaps and capacity.
//! Overlap checks sort and sweep or compare against one block, never all pairs.

use super::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::{Cidr, NetworkPlugin};
use crate::plan::network::{
    find_free, flannel_max_nodes, private_ranges, terway_max_nodes, used_blocks,
};

const PODS_PER_NODE: &[u32] = &[16, 32, 64, 128, 256];
const ROUTE_TABLE_QUOTA: u32 = 200;

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    vpc(ctx, out);
    vswitches(ctx, out);
    pod_cidr(ctx, out);
    service_cidr(ctx, out);
    capacity(ctx, out);
}

fn vpc(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let vpc = ctx.spec.target.network.vpc;
    if !private_ranges().iter().any(|r| r.contains(&vpc)) {
        out.push(
            ctx.error(
                "network/vpc-range",
                "target.network.vpc",
                "not a private range",
                format!(
                    "the VPC block {vpc} is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
                ),
            )
            .help("choose the VPC block from one of the private ranges, such as 192.168.0.0/16"),
        );
    }
}

fn vswitches(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    for (i, v) in network.vswitches.iter().enumerate() {
        if !network.vpc.contains(&v.cidr) {
            out.push(
                ctx.error(
                    "network/vswitch-outside-vpc",
                    &format!("target.network.vswitches[{i}].cidr"),
                    "outside the VPC",
                    format!(
                        "vSwitch `{}` ({}) is not inside the VPC {}",
                        v.name, v.cidr, network.vpc
                    ),
                )
                .label(ctx.span("target.network.vpc"), "the VPC")
                .help(
                    match find_free(
                        v.cidr.net().prefix_len(),
                        &[network.vpc],
                        &vswitch_blocks(ctx),
                        Some(v.cidr),
                    ) {
                        Some(free) => {
                            format!("use a block inside the VPC, such as {free}, which is free")
                        }
                        None => "use a block inside the VPC".into(),
                    },
                ),
            );
        }
    }
    // Sort by start, sweep keeping the block that reaches furthest: each overlap is found
    // against it.
    let mut order: Vec<usize> = (0..network.vswitches.len()).collect();
    order.sort_by_key(|&i| (network.vswitches[i].cidr.first(), i));
    let mut furthest: Option<usize> = None;
    for i in order {
        let v = &network.vswitches[i];
        if let Some(j) = furthest {
            let w = &network.vswitches[j];
            if w.cidr.overlaps(&v.cidr) {
                let (first, second) = if j < i { (j, i) } else { (i, j) };
                let (a, b) = (&network.vswitches[first], &network.vswitches[second]);
                out.push(
                    ctx.error(
                        "network/vswitch-overlap",
                        &format!("target.network.vswitches[{second}].cidr"),
                        format!("{} ({})", b.name, b.cidr),
                        format!("vSwitches `{}` ({}) and `{}` ({}) overlap", a.name, a.cidr, b.name, b.cidr),
                    )
                    .label(ctx.span(&format!("target.network.vswitches[{first}].cidr")), format!("{} ({})", a.name, a.cidr))
                    .help(match find_free(b.cidr.net().prefix_len(), &[network.vpc], &vswitch_blocks(ctx), None) {
                        Some(free) => format!("give `{}` a block of its own, such as {free}, which is free in the VPC", b.name),
                        None => "give each vSwitch a block of its own".into(),
                    }),
                );
            }
            if v.cidr.last() > w.cidr.last() {
                furthest = Some(i);
            }
        } else {
            furthest = Some(i);
        }
    }
    for (i, zone) in ctx.spec.target.zones.iter().enumerate() {
        if !network.vswitches.iter().any(|v| &v.zone == zone) {
            out.push(
                ctx.error(
                    "network/zone-without-vswitch",
                    &format!("target.zones[{i}]"),
                    "no vSwitch here",
                    format!("zone `{zone}` has no vSwitch, so no node can run there"),
                )
                .label(ctx.span("target.network.vswitches"), "the vSwitches")
                .help(format!("add a vSwitch in `{zone}`, or remove the zone")),
            );
        }
    }
}

fn vswitch_blocks(ctx: &Ctx) -> Vec<Cidr> {
    ctx.spec
        .target
        .network
        .vswitches
        .iter()
        .map(|v| v.cidr)
        .collect()
}

/// A free block of the same size as `cidr` that avoids everything in use, for the help line.
fn propose(ctx: &Ctx, cidr: Cidr) -> String {
    let prefix = cidr.net().prefix_len();
    match find_free(
        prefix,
        &private_ranges(),
        &used_blocks(ctx.spec),
        Some(cidr),
    ) {
        Some(free) => format!(
            "use {free} instead: a free /{prefix} that overlaps nothing in the VPC, its routes or its clusters"
        ),
        None => format!("no free /{prefix} is left in the private ranges; use a smaller block"),
    }
}

fn pod_cidr(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    if network.plugin != NetworkPlugin::Flannel {
        return;
    }
    let Some(pod) = network.pod_cidr else {
        out.push(
            ctx.error(
                "spec/missing-field",
                "target.network.plugin",
                "flannel",
                "Flannel needs a pod CIDR: `target.network.podCidr` is missing",
            )
            .help("add `podCidr:`, a block such as 10.16.0.0/16 that overlaps nothing in use"),
        );
        return;
    };
    let here = "target.network.podCidr";
    // One proposal for all the conflicts: the search sorts every block in use.
    let mut proposal: Option<String> = None;
    // The paths and names are built only for the blocks that do overlap.
    let mut conflict = |other: Cidr, describe: &dyn Fn() -> (String, String)| {
        if pod.overlaps(&other) {
            let (path, what) = describe();
            out.push(
                ctx.error(
                    "network/pod-overlap",
                    here,
                    format!("pod CIDR {pod}"),
                    format!("the pod CIDR {pod} overlaps {what} ({other})"),
                )
                .label(ctx.span(&path), format!("{what} {other}"))
                .help(proposal.get_or_insert_with(|| propose(ctx, pod)).clone()),
            );
        }
    };
    conflict(network.vpc, &|| {
        ("target.network.vpc".into(), "the VPC".into())
    });
    for (i, r) in network.routes.iter().enumerate() {
        conflict(r.cidr, &|| {
            (
                format!("target.network.routes[{i}].cidr"),
                format!("route `{}`", r.name),
            )
        });
    }
    for (i, c) in network.other_clusters.iter().enumerate() {
        if let Some(other) = c.pod_cidr {
            conflict(other, &|| {
                (
                    format!("target.network.otherClusters[{i}].podCidr"),
                    format!("the pod CIDR of cluster `{}`", c.name),
                )
            });
        }
    }
}

fn service_cidr(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    let service = network.service_cidr;
    let here = "target.network.serviceCidr";
    let prefix = service.net().prefix_len();
    if !(16..=24).contains(&prefix) {
        out.push(
            ctx.error(
                "network/service-cidr-size",
                here,
                format!("/{prefix}"),
                format!("the service CIDR {service} is a /{prefix}; ACK takes /16 to /24"),
            )
            .help("use a block from /16 (65,536 Services) to /24 (256 Services), such as a /20"),
        );
    }
    // One proposal for all the conflicts: the search sorts every block in use.
    let mut proposal: Option<String> = None;
    let mut conflict = |other: Cidr, describe: &dyn Fn() -> (String, String)| {
        if service.overlaps(&other) {
            let (path, what) = describe();
            out.push(
                ctx.error(
                    "network/service-overlap",
                    here,
                    format!("service CIDR {service}"),
                    format!("the service CIDR {service} overlaps {what} ({other})"),
                )
                .label(ctx.span(&path), format!("{what} {other}"))
                .help(
                    proposal
                        .get_or_insert_with(|| propose(ctx, service))
                        .clone(),
                ),
            );
        }
    };
    conflict(network.vpc, &|| {
        ("target.network.vpc".into(), "the VPC".into())
    });
    if network.plugin == NetworkPlugin::Flannel
        && let Some(pod) = network.pod_cidr
    {
        conflict(pod, &|| {
            ("target.network.podCidr".into(), "the pod CIDR".into())
        });
    }
    for (i, r) in network.routes.iter().enumerate() {
        conflict(r.cidr, &|| {
            (
                format!("target.network.routes[{i}].cidr"),
                format!("route `{}`", r.name),
            )
        });
    }
}

fn capacity(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let network = &ctx.spec.target.network;
    let ppn = network.pods_per_node;
    if !PODS_PER_NODE.contains(&ppn) {
        out.push(
            ctx.error(
                "network/pods-per-node",
                "target.network.podsPerNode",
                "not offered",
                format!("podsPerNode {ppn} is not one of 16, 32, 64, 128, 256"),
            )
            .help(format!(
                "use {}: each node takes a power-of-two slice of the pod CIDR",
                PODS_PER_NODE
                    .iter()
                    .rev()
                    .find(|&&p| p <= ppn)
                    .unwrap_or(&16)
            )),
        );
        return;
    }
    let planned = ctx.sizing.planned_nodes;
    match network.plugin {
        NetworkPlugin::Flannel => {
            let Some(pod) = network.pod_cidr else { return };
            let max = flannel_max_nodes(&pod, ppn);
            let nodes = format!(
                "{planned} planned node{}",
                if planned == 1 { "" } else { "s" }
            );
            if u64::from(planned) > max {
                out.push(
                    ctx.error(
                        "network/node-capacity",
                        "target.network.podCidr",
                        format!("holds {max} node{}", if max == 1 { "" } else { "s" }),
                        format!("the pod CIDR {pod} with {ppn} pods per node holds {max} nodes, fewer than the {nodes}"),
                    )
                    .label(ctx.span("target.network.podsPerNode"), format!("{ppn} pods per node"))
                    .help(bigger_pod_cidr(ctx, pod, planned)),
                );
            } else if u64::from(planned) * 2 > max {
                out.push(
                    ctx.warning(
                        "network/node-capacity",
                        "target.network.podCidr",
                        format!("holds {max} nodes"),
                        format!("the pod CIDR {pod} holds {max} nodes: under 50% headroom over the {nodes}, and it cannot grow later"),
                    )
                    .label(ctx.span("target.network.podsPerNode"), format!("{ppn} pods per node"))
                    .help(bigger_pod_cidr(ctx, pod, planned)),
                );
            }
            if planned > ROUTE_TABLE_QUOTA {
                out.push(
                    ctx.warning(
                        "network/route-table-quota",
                        "target.network.plugin",
                        "one VPC route per node",
                        format!("Flannel adds one VPC route per node: {planned} nodes exceed the default route-table quota of {ROUTE_TABLE_QUOTA}"),
                    )
                    .help("request a route-table quota increase before creating the cluster, or use Terway"),
                );
            }
        }
        NetworkPlugin::Terway => {
            let max = terway_max_nodes(ctx.spec);
            if u64::from(planned) > max {
                let need = u64::from(planned) * (u64::from(ppn) + 1);
                out.push(
                    ctx.error(
                        "network/terway-vswitch-capacity",
                        "target.network.vswitches",
                        format!("room for {max} nodes"),
                        format!("Terway takes a VPC address per pod and node: {planned} nodes × ({ppn} pods + 1) need {need} addresses, more than the vSwitches hold"),
                    )
                    .label(ctx.span("target.network.podsPerNode"), format!("{ppn} pods per node"))
                    .help("use larger vSwitches, add vSwitches, or lower podsPerNode"),
                );
            }
        }
    }
}

/// Help for a pod CIDR that is too small: the smallest block that gives 100% headroom.
fn bigger_pod_cidr(ctx: &Ctx, pod: Cidr, planned: u32) -> String {
    let ppn = u64::from(ctx.spec.target.network.pods_per_node);
    let wanted = (u64::from(planned.max(1)) * 2 * ppn).next_power_of_two();
    let prefix = 32 - wanted.trailing_zeros().min(32) as u8;
    match find_free(prefix, &private_ranges(), &used_blocks(ctx.spec), Some(pod)) {
        Some(free) if prefix < pod.net().prefix_len() => format!(
            "use a larger pod CIDR such as {free} (free, {} nodes), or fewer pods per node",
            flannel_max_nodes(&free, ppn as u32)
        ),
        _ => "use a larger pod CIDR, or fewer pods per node".into(),
    }
}
