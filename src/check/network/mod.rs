//! Network rules (003 §1.4; current ACK): address blocks, their overlaps and capacity.
//! Overlap checks sort and sweep or compare against one block, never all pairs.

pub(super) mod vpc_range;
pub(super) mod vswitch_outside_vpc;
pub(super) mod vswitch_overlap;
pub(super) mod zone_without_vswitch;
pub(super) mod pod_overlap;
pub(super) mod service_overlap;
pub(super) mod service_cidr_size;
pub(super) mod pods_per_node;
pub(super) mod node_capacity;
pub(super) mod terway_vswitch_capacity;
pub(super) mod route_table_quota;
pub(super) mod fixed_after_create;

use crate::check::Ctx;
use crate::model::Cidr;
use crate::model::network::{find_free, flannel_max_nodes, private_ranges, used_blocks};

pub(super) fn vswitch_blocks(ctx: &Ctx) -> Vec<Cidr> {
    ctx.spec
        .target
        .network
        .vswitches
        .iter()
        .map(|v| v.cidr)
        .collect()
}

/// A free block of the same size as `cidr` that avoids everything in use, for the help line.
pub(super) fn propose(ctx: &Ctx, cidr: Cidr) -> String {
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

/// Help for a pod CIDR that is too small: the smallest block that gives 100% headroom.
pub(super) fn bigger_pod_cidr(ctx: &Ctx, pod: Cidr, planned: u32) -> String {
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
