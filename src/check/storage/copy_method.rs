//! `storage/copy-method`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::StorageCopyMethod,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every disk volume that holds data (not `scratch`) declares how its data is copied: `copy.method` `snapshot`, `rsync` or `dump`. Without it the plan copies it with `rsync` (a first pass while the old side serves, a final `rsync -a --delete` with its writers stopped).",
    rationale: "Writes made to the old volume after a one-time copy are lost at the cutover. `rsync` with its writers stopped is a consistent copy of any files, a database's included, so it is the default that loses nothing; but its freeze grows with the volume, where a snapshot (a cloud disk) or a dump (a database) may be shorter: the choice, and the freeze window it needs, is the owner's to make and state.",
    bad: "storage: [{ name: db, type: disk, provisioning: dynamic, category: cloud_essd, size: 20Gi }]",
    good: "storage: [{ name: db, type: disk, provisioning: dynamic, category: cloud_essd, size: 20Gi, copy: { method: dump, engine: postgresql, freeze: 20m } }]",
    source: "001 §5 (data migration); issue 19",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, storage) in ctx.spec.storage.iter().enumerate() {
        if storage.holds_migrated_data() && storage.copy.is_none() {
            out.push(
                ctx.warning(
                    RULE.id,
                    root().storage().at(i).name(),
                    "no copy method",
                    format!(
                        "disk `{}` holds data but declares no `copy`: it is copied with rsync and a 30m freeze",
                        storage.name
                    ),
                )
                .help("add `copy: { method: rsync | snapshot | dump, freeze: 30m }` (snapshot: `sourceDiskId`; dump: `engine`), or `scratch: true` when it holds nothing to keep"),
            );
        }
    }
}
