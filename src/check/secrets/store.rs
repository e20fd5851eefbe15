//! `secrets/store`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::SecretProvider;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SecretsStore,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A Secret filled by `external-secrets` names its SecretStore (`store`); a Secret the runbook creates names no store and no `remoteName`, which only a secret store reads.",
    rationale: "An ExternalSecret without a store reference is refused by the operator, and a store on a runbook Secret is silently unused: the value would not come from where the spec says.",
    bad: "secrets: [{ name: db, keys: [password], provider: external-secrets }]",
    good: "secrets: [{ name: db, keys: [password], provider: external-secrets, store: { name: kms } }]",
    source: "External Secrets Operator (ExternalSecret.spec.secretStoreRef)",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, secret) in ctx.spec.secrets.iter().enumerate() {
        let at = root().secrets().at(i);
        match secret.provider {
            SecretProvider::ExternalSecrets if secret.store.is_none() => out.push(
                ctx.error(
                    RULE.id,
                    at.name(),
                    "no store",
                    format!("the Secret `{}` is filled by external-secrets but names no SecretStore", secret.name),
                )
                .help("add `store: { name: STORE, kind: ClusterSecretStore }`, the store that reads your secret manager"),
            ),
            SecretProvider::Runbook => {
                if secret.store.is_some() {
                    out.push(
                        ctx.error(RULE.id, at.store(), "unused by the runbook", format!("the Secret `{}` is created by the runbook, which reads no store", secret.name))
                            .help("remove `store`, or set `provider: external-secrets` (or `ack-secret-manager`)"),
                    );
                }
                if secret.remote_name.is_some() {
                    out.push(
                        ctx.error(RULE.id, at.remote_name(), "unused by the runbook", format!("the Secret `{}` is created by the runbook, which reads no secret manager", secret.name))
                            .help("remove `remoteName`, or set `provider: external-secrets` (or `ack-secret-manager`)"),
                    );
                }
            }
            _ => {}
        }
    }
}
