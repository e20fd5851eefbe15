//! `storage/nas`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::StorageType;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::StorageNas,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "NAS is ReadWriteMany and shared: server, path and an NFS version, `3` (recommended) or `4.0`.",
    rationale: "NAS mount targets speak NFSv3 and NFSv4.0 only; v3 is recommended (v4.0 file locks are unreliable on NAS). cutover never sets `mode` on a NAS volume: on a large file system it means a recursive chmod at every mount.",
    bad: "nfsVersion: \"4.1\"",
    good: "nfsVersion: \"3\"",
    source: "003 §3; ACK NAS volumes",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, storage) in ctx.spec.storage.iter().enumerate() {
        let at = root().storage().at(i);
        if storage.kind == StorageType::Nas
            && let Some(version) = &storage.nfs_version
            && version != "3"
            && version != "4.0"
        {
            out.push(
                ctx.error(
                    RULE.id,
                    at.nfs_version(),
                    "not offered",
                    format!(
                        "NAS `{}`: NFS version `{version}` is not offered by NAS mount targets",
                        storage.name
                    ),
                )
                .help("use nfsVersion \"3\" (recommended) or \"4.0\""),
            );
        }
    }
}
