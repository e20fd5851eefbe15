//! `sizing/disks`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::model::units::GIB;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SizingDisks,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "SSD-class disks; a separate data disk for container images; a system disk large enough for the OS (at least 8 GiB reserved, of 20 GiB minimum).",
    rationale: "Images on the system disk fill it and take the node down; slow disks slow every pull.",
    bad: "systemDisk: { category: cloud_efficiency, size: 40Gi }   # no dataDisk",
    good: "systemDisk: { category: cloud_essd, size: 120Gi }\ndataDisk: { category: cloud_essd, size: 200Gi }",
    source: "003 §1.1.2",
};

/// ECS system disks are at least this large.
const MIN_SYSTEM_DISK_GIB: u128 = 20;

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let nodes = &ctx.spec.target.nodes;
    let system = &nodes.system_disk;
    if !system.category.is_ssd() {
        out.push(
            ctx.warning(
                RULE.id,
                root().target().nodes().system_disk().category(),
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
                RULE.id,
                root().target().nodes().system_disk().size(),
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
                RULE.id,
                root().target().nodes().system_disk(),
                "images land here",
                "no data disk: container images fill the system disk",
            )
            .help("add `dataDisk: { category: cloud_essd, size: 200Gi }`, dedicated to container images"),
        ),
        Some(data) if !data.category.is_ssd() => out.push(
            ctx.warning(
                RULE.id,
                root().target().nodes().data_disk().category(),
                "not SSD",
                format!("the data disk category `{}` is not SSD-class", data.category.name()),
            )
            .help("use cloud_essd (or cloud_ssd, cloud_auto)"),
        ),
        Some(_) => {}
    }
}
