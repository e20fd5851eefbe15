//! `storage/unused`: what it demands and why are in [`RULE`].

use super::users;
use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::StorageUnused,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every declared volume is mounted by some service.",
    rationale: "An unused volume is usually a misspelt mount or a forgotten migration step.",
    bad: "storage: [{ name: reports, ... }]   # mounted nowhere",
    good: "volumes: [{ storage: reports, mountPath: /reports }]",
    source: "cutover",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    for (s, storage) in spec.storage.iter().enumerate() {
        let users = users(spec, storage);
        if users.is_empty() {
            out.push(
                ctx.warning(
                    RULE.id,
                    root().storage().at(s).name(),
                    "mounted by no service",
                    format!(
                        "storage `{}` is declared but no service mounts it",
                        storage.name
                    ),
                )
                .help("mount it with `volumes: [{ storage: ..., mountPath: ... }]`, or remove it"),
            );
        }
    }
}
