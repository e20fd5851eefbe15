//! `sizing/pinned-instance`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::instance_types::shape;
use crate::model::node_pools::PoolRole;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SizingPinnedInstance,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Pinned worker types keep the sizing: one instance of the largest is at most the fault tolerance of `totalCores`, and the worker pools' nodes (autoscaling pools at `max`) give at least `totalCores`; one ingress controller replica's CPU (from `peakRequestsPerSecond`) fits on one node of the pool it runs on.",
    rationale: "The automatic pick keeps these by construction; a pinned type can break them: a large type makes one failure cost more than the tolerance, a small count leaves the cores short, and a controller replica larger than its node never schedules.",
    bad: "totalCores: 160\nfaultTolerance: 10%\nnodePools:\n  - { name: workers, instanceTypes: [ecs.r7.16xlarge], size: { desired: 3 } }",
    good: "nodePools:\n  - { name: workers, instanceTypes: [ecs.r7.4xlarge], size: { desired: 10 } }",
    source: "003 §1.1.1, §2.1",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let nodes = &spec.target.nodes;
    let cores = u64::from(nodes.total_cores);
    let tolerance = u64::from(nodes.fault_tolerance.hundredths());
    let mut total = 0u64;
    let mut all_known = true;
    let mut any_worker = false;
    for (i, pool) in spec.target.node_pools.iter().enumerate() {
        if pool.role != PoolRole::Workers || pool.instance_types.is_empty() {
            if pool.role == PoolRole::Workers {
                all_known = false;
            }
            continue;
        }
        any_worker = true;
        let shapes: Vec<(usize, u32)> = pool
            .instance_types
            .iter()
            .enumerate()
            .filter_map(|(j, t)| shape(t).map(|s| (j, s.vcpu)))
            .collect();
        if shapes.len() < pool.instance_types.len() {
            all_known = false;
        }
        if let Some(&(j, largest)) = shapes.iter().max_by_key(|(_, v)| *v)
            && cores > 0
            && u64::from(largest) * 10_000 > cores * tolerance
        {
            out.push(
                ctx.error(
                    RULE.id,
                    root().target().node_pools().at(i).instance_types().at(j),
                    format!("{largest} vCPU"),
                    format!(
                        "losing one {} ({largest} vCPU) costs {:.1}% of {cores} cores, over the fault tolerance {}",
                        pool.instance_types[j],
                        f64::from(largest) / cores as f64 * 100.0,
                        nodes.fault_tolerance
                    ),
                )
                .label(ctx.span(root().target().nodes().fault_tolerance()), "fault tolerance")
                .help("pin a smaller size, or raise faultTolerance"),
            );
        }
        let count = pool
            .size
            .as_ref()
            .and_then(|s| s.max.or(s.desired))
            .or_else(|| ctx.sizing.pools.get(i).map(|p| p.nodes))
            .unwrap_or(0);
        let smallest = shapes.iter().map(|(_, v)| *v).min().unwrap_or(0);
        total += u64::from(count) * u64::from(smallest);
    }
    if any_worker && all_known && total < cores {
        out.push(
            ctx.error(
                RULE.id,
                root().target().node_pools(),
                format!("{total} cores"),
                format!(
                    "the worker pools give {total} cores (nodes × the smallest pinned type), under totalCores {cores}"
                ),
            )
            .label(ctx.span(root().target().nodes().total_cores()), "total cores")
            .help("raise the worker pools' sizes, or pin larger types"),
        );
    }
    // One controller replica on one node of the pool it runs on.
    let Some(gateway) = &ctx.sizing.gateway else {
        return;
    };
    let host = ctx
        .sizing
        .pools
        .iter()
        .find(|p| p.role == <&str>::from(PoolRole::Ingress))
        .or_else(|| ctx.sizing.pools.first());
    if let Some(pool) = host
        && let Some(vcpu) = pool.cores_each
        && gateway.cpu_milli_each > u64::from(vcpu) * 1000
    {
        out.push(
            ctx.error(
                RULE.id,
                root().target().ingress_controller().peak_requests_per_second(),
                format!("{} cores per replica", cores_of(gateway.cpu_milli_each)),
                format!(
                    "{} requests per second need {} cores per controller replica (each of the {} replicas left after losing one carries {}), more than a {vcpu}-vCPU node of the pool `{}` has",
                    gateway.peak_requests_per_second,
                    cores_of(gateway.cpu_milli_each),
                    gateway.serving_replicas,
                    gateway.requests_per_second_each,
                    pool.name
                ),
            )
            .help("run more replicas, or pin a larger type for the pool the controller runs on"),
        );
    }
}

/// Millicores as cores for people: `2.5`, `8`.
fn cores_of(milli: u64) -> String {
    if milli.is_multiple_of(1000) {
        (milli / 1000).to_string()
    } else {
        format!("{:.1}", milli as f64 / 1000.0)
    }
}
