//! `storage/oss-credentials`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::StorageType;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::StorageOssCredentials,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "OSS credentials come from a Secret (`credentialsSecret`, used as `nodePublishSecretRef`); AccessKey values in the spec are refused.",
    rationale: "A key in a spec ends up in git history, CI logs and the bundle.",
    bad: "accessKeyId: LTAI...",
    good: "credentialsSecret: oss-avatars-credentials",
    source: "003 §3; ACK OSS volumes",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, storage) in ctx.spec.storage.iter().enumerate() {
        let at = root().storage().at(i);
        for (path, value) in [
            (at.access_key_id(), &storage.access_key_id),
            (at.access_key_secret(), &storage.access_key_secret),
        ] {
            if value.is_some() {
                out.push(
                    ctx.error(
                        RULE.id,
                        path,
                        "a credential in the spec",
                        format!("`{}`: AccessKey values do not belong in a spec", storage.name),
                    )
                    .help("remove the key (and rotate it: it is in your history now); name a Secret with `credentialsSecret:`, created by the runbook"),
                );
            }
        }
        if storage.kind == StorageType::Oss && storage.credentials_secret.is_none() {
            out.push(
            ctx.error(
                RULE.id,
                root().storage().at(i).kind(),
                "no credentials Secret",
                format!("OSS volume `{}` names no credentials Secret", storage.name),
            )
            .help("add `credentialsSecret: <secret-name>`; the runbook creates that Secret with placeholders the operator fills in"),
        );
        }
    }
}
