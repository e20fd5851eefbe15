//! `sizing/capacity`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::model::units::GIB;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SizingCapacity,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The services' total requests (replicas × requests) fit under the usable ceiling, the capacity left after losing one instance, for CPU and memory both.",
    rationale: "If they do not fit, one node failure leaves pods unschedulable exactly when they are needed.",
    bad: "totalCores: 8   # services request 12 cores",
    good: "totalCores: 160",
    source: "003 §1.1.1",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let sizing = &ctx.sizing;
    let Some(workers) = &sizing.workers else {
        // No instance size meets the fault tolerance (another rule says so); the requests
        // can still be weighed against the cores and memory the spec states, in the same run.
        over_stated_total(ctx, out);
        return;
    };
    let cpu = sizing.requests.cpu_milli;
    let ceiling_milli = u128::from(workers.ceiling_cores) * 1000;
    if cpu > ceiling_milli {
        out.push(
                    ctx.error(
                        RULE.id,
                        root().target().nodes().total_cores(),
                        format!("ceiling {} cores", workers.ceiling_cores),
                        format!(
                            "the services request {} cores, over the usable ceiling of {} cores ({} instances of {} cores, less one)",
                            sizing.requests.cpu_cores, workers.ceiling_cores, workers.instances, workers.cores_each
                        ),
                    )
                    .help("raise totalCores, or lower the services' replicas or CPU requests"),
                );
    }
    let memory = sizing.requests.memory_bytes;
    let ceiling_bytes = u128::from(workers.ceiling_memory_gib) * GIB;
    if memory > ceiling_bytes {
        out.push(
                    ctx.error(
                        RULE.id,
                        root().target().nodes().profile(),
                        format!("ceiling {} GiB", workers.ceiling_memory_gib),
                        format!(
                            "the services request {} GiB of memory, over the usable ceiling of {} GiB ({} instances of {} GiB, less one)",
                            sizing.requests.memory_gib, workers.ceiling_memory_gib, workers.instances, workers.memory_gib_each
                        ),
                    )
                    .label(ctx.span(root().target().nodes().total_cores()), "total cores")
                    .help("choose a profile with more memory per core, raise totalCores, or lower the memory requests"),
                );
    }
}

/// Without a worker plan: the requests against `totalCores` and the profile's memory for them.
fn over_stated_total(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let sizing = &ctx.sizing;
    let cores = u128::from(sizing.total_cores);
    if sizing.requests.cpu_milli > cores * 1000 {
        out.push(
            ctx.error(
                RULE.id,
                root().target().nodes().total_cores(),
                format!("{} cores", sizing.total_cores),
                format!(
                    "the services request {} cores, more than the {} cores the cluster has in total",
                    sizing.requests.cpu_cores, sizing.total_cores
                ),
            )
            .help("raise totalCores, or lower the services' replicas or CPU requests"),
        );
    }
    let memory_gib = cores * u128::from(sizing.gib_per_core);
    if sizing.requests.memory_bytes > memory_gib * GIB {
        out.push(
            ctx.error(
                RULE.id,
                root().target().nodes().profile(),
                format!("{memory_gib} GiB in total"),
                format!(
                    "the services request {} GiB of memory, more than the {memory_gib} GiB that {} cores of this profile have ({} GiB per core)",
                    sizing.requests.memory_gib, sizing.total_cores, sizing.gib_per_core
                ),
            )
            .help("choose a profile with more memory per core, raise totalCores, or lower the memory requests"),
        );
    }
}
