//! `storage/incomplete`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::{SpecPath, root};
use crate::model::{CopyMethod, Provisioning, Storage, StorageType};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::StorageIncomplete,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Each storage type has its fields: a static disk its `diskId` and `zone`; a dynamic disk its `category`; NAS its `server` and `path`; OSS its `bucket`, `endpoint` and `credentialsSecret`; a `copy` only on a disk that holds data, `snapshot` on a static disk with its `sourceDiskId`, `dump` with its `engine`. Fields of another type or method are refused.",
    rationale: "A volume missing its identity cannot be mounted; a field of another type is a sign of a mixed-up entry.",
    bad: "type: nas\nserver: x.nas.aliyuncs.com   # no path",
    good: "type: nas\nserver: x.nas.aliyuncs.com\npath: /reports",
    source: "003 §3",
};

/// Each type's own fields are present; fields of other types are not.
pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, storage) in ctx.spec.storage.iter().enumerate() {
        let provisioning = storage.provisioning;
        let at = root().storage().at(i);
        // Each type-specific field: its key (as messages name it), whether it is set, and where.
        let present: [(&str, bool, SpecPath); 10] = [
            ("provisioning", provisioning.is_some(), at.provisioning()),
            ("category", storage.category.is_some(), at.category()),
            ("diskId", storage.disk_id.is_some(), at.disk_id()),
            ("zone", storage.zone.is_some(), at.zone()),
            ("server", storage.server.is_some(), at.server()),
            ("path", storage.path.is_some(), at.path()),
            (
                "nfsVersion",
                storage.nfs_version.is_some(),
                at.nfs_version(),
            ),
            ("bucket", storage.bucket.is_some(), at.bucket()),
            ("endpoint", storage.endpoint.is_some(), at.endpoint()),
            (
                "credentialsSecret",
                storage.credentials_secret.is_some(),
                at.credentials_secret(),
            ),
        ];
        let (kind, required, allowed): (&str, &[&str], &[&str]) = match (storage.kind, provisioning)
        {
            (StorageType::Disk, Some(Provisioning::Static)) => (
                "a static disk",
                &["diskId", "zone"],
                &["provisioning", "diskId", "zone", "category"],
            ),
            (StorageType::Disk, _) => (
                "a dynamic disk",
                &["provisioning", "category"],
                &["provisioning", "category"],
            ),
            (StorageType::Nas, _) => (
                "NAS",
                &["server", "path"],
                &["server", "path", "nfsVersion"],
            ),
            (StorageType::Oss, _) => (
                "OSS",
                &["bucket", "endpoint"],
                &["bucket", "endpoint", "credentialsSecret"],
            ),
        };
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|f| !present.iter().any(|(name, set, _)| name == f && *set))
            .collect();
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" and ");
            out.push(
                ctx.error(
                    RULE.id,
                    root().storage().at(i).kind(),
                    format!("{kind} needs {list}"),
                    format!("storage `{}` is {kind} without {list}", storage.name),
                )
                .help(format!(
                    "add {list}; see `cutover explain storage/incomplete`"
                )),
            );
        }
        copy_fields(ctx, i, storage, out);
        for (name, set, path) in present {
            if set && !allowed.contains(&name) {
                out.push(
                    ctx.error(
                        RULE.id,
                        path,
                        format!("not a field of {kind}"),
                        format!(
                            "storage `{}` is {kind}, which takes no `{name}`",
                            storage.name
                        ),
                    )
                    .help("remove the field, or correct `type`"),
                );
            }
        }
    }
}

/// `copy`: only on a disk that holds data; each method with its own field and no other's.
fn copy_fields(ctx: &Ctx, i: usize, storage: &Storage, out: &mut Vec<Diagnostic>) {
    let Some(copy) = &storage.copy else {
        return;
    };
    let at = root().storage().at(i).copy();
    if !storage.holds_migrated_data() {
        out.push(
            ctx.error(
                RULE.id,
                at.method(),
                "no disk data to copy",
                format!(
                    "storage `{}` is not a disk that holds data (NAS, OSS or `scratch`), so it takes no `copy`",
                    storage.name
                ),
            )
            .help("remove `copy`: NAS is copied with rsync in the data phase, OSS with ossimport (`data.objectStores`), and a scratch disk starts empty"),
        );
        return;
    }
    let mut need = |ok: bool, path: SpecPath, label: &str, message: String, help: &str| {
        if !ok {
            out.push(
                ctx.error(RULE.id, path, label, message)
                    .help(help.to_string()),
            );
        }
    };
    let name = &storage.name;
    let snapshot = copy.method == CopyMethod::Snapshot;
    let dump = copy.method == CopyMethod::Dump;
    need(
        !snapshot || copy.source_disk_id.is_some(),
        at.method(),
        "snapshot without its source disk",
        format!("storage `{name}` is copied by snapshot without `copy.sourceDiskId`"),
        "add `sourceDiskId`: the old side's cloud disk (`d-...`), in `target.region`",
    );
    need(
        !snapshot || storage.provisioning == Some(Provisioning::Static),
        at.method(),
        "snapshot needs a static disk",
        format!(
            "storage `{name}` is copied by snapshot, but a snapshot becomes a new disk that only a static PV can name"
        ),
        "set `provisioning: static` with the disk's `zone` (the new disk is created there), or copy with `rsync`",
    );
    need(
        snapshot || copy.source_disk_id.is_none(),
        at.source_disk_id(),
        "not a field of this method",
        format!("storage `{name}` takes `sourceDiskId` only with `method: snapshot`"),
        "remove `sourceDiskId`, or correct `method`",
    );
    need(
        !dump || copy.engine.is_some(),
        at.method(),
        "dump without its engine",
        format!("storage `{name}` is copied by dump without `copy.engine`"),
        "add `engine: postgresql | mysql | mongodb`",
    );
    need(
        dump || copy.engine.is_none(),
        at.engine(),
        "not a field of this method",
        format!("storage `{name}` takes `engine` only with `method: dump`"),
        "remove `engine`, or correct `method`",
    );
}
