//! Sizing rules (003 §1.1.1, §1.1.2): instance count and size, capacity, disks, zones.

use super::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::units::GIB;
use crate::plan::sizing::{BARE_METAL_CORES, BARE_METAL_THRESHOLD};

/// ECS system disks are at least this large.
const MIN_SYSTEM_DISK_GIB: u128 = 20;

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let nodes = &ctx.spec.target.nodes;
    let sizing = &ctx.sizing;
    match &sizing.workers {
        None => out.push(
            ctx.error(
                "sizing/worker-count",
                "target.nodes.faultTolerance",
                format!("{} of {} cores", nodes.fault_tolerance, nodes.total_cores),
                format!(
                    "no instance size keeps one failure within {} of {} cores: the smallest instance has 2 cores",
                    nodes.fault_tolerance, nodes.total_cores
                ),
            )
            .label(ctx.span("target.nodes.totalCores"), "total cores")
            .help("raise faultTolerance or totalCores so that cores × tolerance is at least 2"),
        ),
        Some(workers) => {
            let cpu = sizing.requests.cpu_milli;
            let ceiling_milli = u128::from(workers.ceiling_cores) * 1000;
            if cpu > ceiling_milli {
                out.push(
                    ctx.error(
                        "sizing/capacity",
                        "target.nodes.totalCores",
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
                        "sizing/capacity",
                        "target.nodes.profile",
                        format!("ceiling {} GiB", workers.ceiling_memory_gib),
                        format!(
                            "the services request {} GiB of memory, over the usable ceiling of {} GiB ({} instances of {} GiB, less one)",
                            sizing.requests.memory_gib, workers.ceiling_memory_gib, workers.instances, workers.memory_gib_each
                        ),
                    )
                    .label(ctx.span("target.nodes.totalCores"), "total cores")
                    .help("choose a profile with more memory per core, raise totalCores, or lower the memory requests"),
                );
            }
        }
    }
    if let Some(bare_metal) = &sizing.bare_metal {
        let path = if nodes.total_cores >= BARE_METAL_THRESHOLD {
            "target.nodes.totalCores"
        } else {
            "target.nodes.burstScaleOut"
        };
        out.push(
            ctx.warning(
                "sizing/bare-metal",
                path,
                bare_metal.reason,
                format!(
                    "{}: ECS bare-metal (EBM) instances are recommended, about {} instances of {BARE_METAL_CORES} cores",
                    capitalize(bare_metal.reason),
                    bare_metal.instances
                ),
            )
            .help("consider EBM instances (see reports/sizing.md); allow the rule in cutover.toml once decided"),
        );
    }
    disks(ctx, out);
    if ctx.spec.target.zones.len() == 1 {
        out.push(
            ctx.warning(
                "sizing/single-zone",
                "target.zones",
                "one zone",
                "the cluster runs in one zone: a zone outage takes every service down",
            )
            .help("add a second zone (and a vSwitch in it) for zone-level disaster recovery"),
        );
    }
}

fn disks(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let nodes = &ctx.spec.target.nodes;
    let system = &nodes.system_disk;
    if !system.category.is_ssd() {
        out.push(
            ctx.warning(
                "sizing/disks",
                "target.nodes.systemDisk.category",
                "not SSD",
                format!(
                    "the system disk category `{}` is not SSD-class",
                    system.category.name()
                ),
            )
            .help("use cloud_essd (or cloud_ssd, cloud_auto)"),
        );
    }
    if system.size.units() < MIN_SYSTEM_DISK_GIB * GIB {
        out.push(
            ctx.warning(
                "sizing/disks",
                "target.nodes.systemDisk.size",
                "too small",
                format!(
                    "a {} system disk is under the {MIN_SYSTEM_DISK_GIB} GiB minimum (8 GiB of it stay reserved for the OS)",
                    system.size
                ),
            )
            .help("use a system disk of at least 20Gi; 40Gi or more leaves room for logs"),
        );
    }
    match &nodes.data_disk {
        None => out.push(
            ctx.warning(
                "sizing/disks",
                "target.nodes.systemDisk",
                "images land here",
                "no data disk: container images fill the system disk",
            )
            .help("add `dataDisk: { category: cloud_essd, size: 200Gi }`, dedicated to container images"),
        ),
        Some(data) if !data.category.is_ssd() => out.push(
            ctx.warning(
                "sizing/disks",
                "target.nodes.dataDisk.category",
                "not SSD",
                format!("the data disk category `{}` is not SSD-class", data.category.name()),
            )
            .help("use cloud_essd (or cloud_ssd, cloud_auto)"),
        ),
        Some(_) => {}
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
