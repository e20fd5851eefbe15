//! `secrets/unused`: what it demands and why are in [`RULE`].

use super::is_read;
use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SecretsUnused,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every declared Secret and config is read by some service (`env` or `files`).",
    rationale: "An unread Secret is usually a misspelt reference, and the runbook would still ask the operator for its values.",
    bad: "secrets: [{ name: db, keys: [password] }]   # read by no service",
    good: "env: { DB_PASSWORD: { secret: db, key: password } }",
    source: "cutover",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    for (i, secret) in spec.secrets.iter().enumerate() {
        if !is_read(spec, &secret.name, true) {
            out.push(
                ctx.warning(RULE.id, root().secrets().at(i).name(), "read by no service", format!("the Secret `{}` is declared but no service reads it", secret.name))
                    .help("read it with `env: { VAR: { secret: NAME, key: KEY } }` or `files: [{ secret: NAME, mountPath: ... }]`, or remove it"),
            );
        }
    }
    for (i, config) in spec.configs.iter().enumerate() {
        if !is_read(spec, &config.name, false) {
            out.push(
                ctx.warning(RULE.id, root().configs().at(i).name(), "read by no service", format!("the config `{}` is declared but no service reads it", config.name))
                    .help("mount it with `files: [{ config: NAME, mountPath: ... }]` or read a key with `env`, or remove it"),
            );
        }
    }
}
