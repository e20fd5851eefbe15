//! `data/backups-live`: the migration's backup location is a prefix of its own, in a bucket
//! no volume or object store of the spec uses. The decommission runbook purges
//! `data.backups` with `ossutil rm -r -f`: pointed at a live bucket, or at a whole bucket,
//! that one pasted block deletes production data, and nothing brings it back.
//!
//! Sharing is refused outright, even under another prefix: `rm -r -f` of a mistyped or
//! shortened prefix in a shared bucket still deletes live objects, while a bucket of its own
//! bounds the damage to backups.

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::{SpecPath, root};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::DataBackupsLive,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "`data.backups` names a prefix (`oss://bucket/prefix/`) in a bucket of its own: no `storage[]` OSS volume's `bucket` and no `data.objectStores[].target` is in that bucket.",
    rationale: "The decommission runbook purges `data.backups` with `ossutil rm -r -f`: pointed at a bucket the services use, or at a whole bucket, one pasted block deletes production data for good. A shared bucket is refused even under another prefix, so that a mistyped prefix can only ever delete backups.",
    bad: "storage: [{ name: avatars, type: oss, bucket: shop-avatars }]\ndata: { backups: oss://shop-avatars }",
    good: "data: { backups: oss://shop-backups/migration/ }",
    source: "cutover; ossutil rm -r -f deletes every object under the URL",
};

/// `oss://bucket/prefix` split into its bucket and its prefix (without slashes around it).
fn bucket_and_prefix(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("oss://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    Some((bucket, prefix.trim_matches('/')))
}

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let Some(data) = &ctx.spec.data else {
        return;
    };
    let Some(backups) = &data.backups else {
        return;
    };
    // Anything else is spec::value's to report.
    let Some((bucket, prefix)) = bucket_and_prefix(backups) else {
        return;
    };
    let path = root().data().backups();
    let volumes = ctx
        .spec
        .storage
        .iter()
        .enumerate()
        .filter(|(_, s)| s.bucket.as_deref() == Some(bucket))
        .map(|(i, s)| {
            (
                root().storage().at(i).bucket(),
                format!("the `{}` volume's bucket", s.name),
            )
        });
    let stores = data
        .object_stores
        .iter()
        .enumerate()
        .filter(|(_, s)| bucket_and_prefix(&s.target).is_some_and(|(b, _)| b == bucket))
        .map(|(i, s)| {
            (
                root().data().object_stores().at(i).target(),
                format!("object store `{}` copies into it", s.name),
            )
        });
    let users: Vec<(SpecPath, String)> = volumes.chain(stores).collect();
    if !users.is_empty() {
        let mut d = ctx
            .error(
                RULE.id,
                path,
                "purged with `ossutil rm -r -f` at decommission",
                format!(
                    "the backups live in `{bucket}`, a bucket the migrated services use: decommissioning deletes their data"
                ),
            )
            .help(format!(
                "keep backups in a bucket of their own, under a prefix, such as `oss://{bucket}-backups/migration/`"
            ));
        for (at, label) in &users {
            d = d.label(ctx.span(at), label.clone());
        }
        out.push(d);
    } else if prefix.is_empty() {
        out.push(
            ctx.error(
                RULE.id,
                path,
                "a whole bucket",
                format!(
                    "`{backups}` names the whole bucket `{bucket}`: decommissioning deletes every object in it"
                ),
            )
            .help(format!(
                "name the prefix the migration writes its backups to, such as `oss://{bucket}/migration/`"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_bucket_and_prefix() {
        assert_eq!(bucket_and_prefix("oss://bk"), Some(("bk", "")));
        assert_eq!(bucket_and_prefix("oss://bk/"), Some(("bk", "")));
        assert_eq!(bucket_and_prefix("oss://bk/a/b/"), Some(("bk", "a/b")));
        assert_eq!(bucket_and_prefix("s3://bk/a"), None);
    }
}
