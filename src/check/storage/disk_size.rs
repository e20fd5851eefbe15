//! `storage/disk-size`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::StorageType;
use crate::model::path::root;
use crate::model::units::GIB;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::StorageDiskSize,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Cloud disks are at least 20 GiB.",
    rationale: "Smaller disks cannot be created; the claim stays Pending.",
    bad: "size: 10Gi",
    good: "size: 20Gi",
    source: "003 §3; ACK disk volumes",
};

/// Cloud disks are at least this large.
const MIN_DISK_GIB: u128 = 20;

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, storage) in ctx.spec.storage.iter().enumerate() {
        let at = root().storage().at(i);
        if storage.kind == StorageType::Disk && storage.size.units() < MIN_DISK_GIB * GIB {
            out.push(
                ctx.error(
                    RULE.id,
                    at.size(),
                    "under 20Gi",
                    format!(
                        "disk `{}` is {}: cloud disks are at least 20 GiB",
                        storage.name, storage.size
                    ),
                )
                .help("use `size: 20Gi` or more"),
            );
        }
    }
}
