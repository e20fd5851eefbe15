//! `storage/disk-zone`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::StorageType;
use crate::model::path::root;
use const_format::concatcp;

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::StorageDiskZone,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: concatcp!(
        "A static disk's zone (which ",
        RuleId::StorageIncomplete.as_str(),
        " requires) is one of the cluster's zones."
    ),
    rationale: "A disk mounts only on nodes of its own zone; elsewhere the pod never starts.",
    bad: "zone: cn-hangzhou-k   # not a cluster zone",
    good: "zone: cn-hangzhou-g",
    source: "003 §3",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, storage) in ctx.spec.storage.iter().enumerate() {
        let at = root().storage().at(i);
        if let (StorageType::Disk, Some(zone)) = (storage.kind, &storage.zone)
            && !ctx.spec.target.zones.contains(zone)
        {
            out.push(
                ctx.error(
                    RULE.id,
                    at.zone(),
                    "not a cluster zone",
                    format!("disk `{}` is in zone `{zone}`, where the cluster has no nodes", storage.name),
                )
                .label(ctx.span(root().target().zones()), "the cluster's zones")
                .help("a disk mounts only on nodes of its own zone: add the zone to the cluster, or move the disk (snapshot and restore in a cluster zone)"),
            );
        }
    }
}
