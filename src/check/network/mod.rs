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
pub(super) mod policy_enforcement;
pub(super) mod undeclared_dependency;

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::Cidr;
use crate::model::network::{find_free, flannel_max_nodes, private_ranges, used_blocks};
use crate::model::path::SpecPath;
use crate::rules::RuleId;

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

/// The overlaps of one block (the pod or the service CIDR) with the others in use: each an
/// error at the block, labelled at the other, all with one proposal of a free block (the
/// search sorts every block in use, so it runs once).
pub(super) struct Overlaps<'a> {
    ctx: &'a Ctx<'a>,
    rule: RuleId,
    /// What the block is, in messages: `pod CIDR`, `service CIDR`.
    noun: &'static str,
    block: Cidr,
    here: SpecPath,
    proposal: Option<String>,
    pub found: Vec<Diagnostic>,
}

impl<'a> Overlaps<'a> {
    pub fn new(
        ctx: &'a Ctx<'a>,
        rule: RuleId,
        noun: &'static str,
        block: Cidr,
        here: SpecPath,
    ) -> Self {
        Overlaps {
            ctx,
            rule,
            noun,
            block,
            here,
            proposal: None,
            found: Vec::new(),
        }
    }

    /// Reports `other` if the block overlaps it; `describe` (where it sits, what it is) runs
    /// only then.
    pub fn against(&mut self, other: Cidr, describe: impl FnOnce() -> (SpecPath, String)) {
        if !self.block.overlaps(&other) {
            return;
        }
        let (ctx, block, noun) = (self.ctx, self.block, self.noun);
        let (path, what) = describe();
        let help = self
            .proposal
            .get_or_insert_with(|| propose(ctx, block))
            .clone();
        self.found.push(
            ctx.error(
                self.rule,
                &self.here,
                format!("{noun} {block}"),
                format!("the {noun} {block} overlaps {what} ({other})"),
            )
            .label(ctx.span(&path), format!("{what} {other}"))
            .help(help),
        );
    }
}
pub(super) mod node_port;
