//! `storage/reclaim-delete`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::ReclaimPolicy;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::StorageReclaimDelete,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "`reclaimPolicy: Delete` on a volume that holds data is refused (mark a volume that holds nothing worth keeping `scratch: true`).",
    rationale: "With Delete, removing the claim deletes the disk and the migrated data with it.",
    bad: "reclaimPolicy: Delete",
    good: "reclaimPolicy: Retain",
    source: "003 §3",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, storage) in ctx.spec.storage.iter().enumerate() {
        let at = root().storage().at(i);
        if storage.reclaim_policy == Some(ReclaimPolicy::Delete) && !storage.scratch {
            out.push(
                ctx.error(
                    RULE.id,
                    at.reclaim_policy(),
                    "deletes the data with the claim",
                    format!("`{}` has reclaimPolicy Delete: removing its claim deletes the volume and its data", storage.name),
                )
                .help("use `reclaimPolicy: Retain`; if the volume holds nothing worth keeping, mark it `scratch: true`"),
            );
        }
    }
}
