//! `secrets/reference`: what it demands and why are in [`RULE`].

use super::config_keys;
use crate::check::Ctx;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::EnvValue;
use crate::model::path::{SpecPath, root};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SecretsReference,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every `{ secret: NAME, key: KEY }` and `{ config: NAME, key: KEY }` in a service's `env`, and every `files` entry, names a Secret declared in `secrets` or a config declared in `configs`, and a key it holds (a Secret's `keys`, a config's file names).",
    rationale: "A reference to a missing Secret or key leaves the pod in CreateContainerConfigError: the rollout never completes, in the middle of the deploy.",
    bad: "env: { DB_PASSWORD: { secret: db, key: pasword } }   # secrets: [{ name: db, keys: [password] }]",
    good: "env: { DB_PASSWORD: { secret: db, key: password } }",
    source: "cutover; Kubernetes secretKeyRef and configMapKeyRef",
};

/// A field of the reference at `path` (`services[0].env.DB_PASSWORD.key`).
fn field(path: &SpecPath, name: &str) -> SpecPath {
    SpecPath::of_serialized(format!("{}.{name}", path.as_str()))
}

fn listed(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let secret_keys = |name: &str| {
        spec.secrets
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.keys.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let config_keys = |name: &str| {
        spec.configs
            .iter()
            .find(|c| c.name == name)
            .map(|c| config_keys(c).collect::<Vec<_>>())
    };
    // (where, kind, name, key, its keys if declared)
    let mut judge = |at: SpecPath, secret: bool, name: &str, key: Option<&str>| {
        let (what, section, keys) = if secret {
            ("Secret", "secrets", secret_keys(name))
        } else {
            ("config", "configs", config_keys(name))
        };
        let kind = if secret { "secret" } else { "config" };
        match keys {
            None => out.push(
                ctx.error(
                    RULE.id,
                    field(&at, kind),
                    format!("not declared in `{section}`"),
                    format!("the {what} `{}` is not declared", name.escape_debug()),
                )
                .help(if secret {
                    format!("declare it: `secrets: [{{ name: {name}, keys: [...] }}]`; the runbook creates it from a file you provide")
                } else {
                    format!("declare it: `configs: [{{ name: {name}, files: [...] }}]`, with files beside the spec")
                }),
            ),
            Some(keys) => {
                if let Some(key) = key
                    && !keys.contains(&key)
                {
                    out.push(
                        ctx.error(
                            RULE.id,
                            field(&at, "key"),
                            format!("not a key of `{name}`"),
                            format!("the {what} `{name}` has no key `{}`", key.escape_debug()),
                        )
                        .help(match did_you_mean(key, keys.iter().copied()) {
                            _ if keys.is_empty() => format!("`{name}` holds no key yet"),
                            Some(near) => format!("did you mean `{near}`? Its keys are {}", listed(&keys)),
                            None => format!("its keys are {}", listed(&keys)),
                        }),
                    );
                }
            }
        }
    };
    for (i, service) in spec.services.iter().enumerate() {
        for (name, value) in &service.env {
            let at = root().services().at(i).env().key(name);
            match value {
                EnvValue::Secret { secret, key } => judge(at, true, secret, Some(key)),
                EnvValue::Config { config, key } => judge(at, false, config, Some(key)),
                EnvValue::Plain(_) => {}
            }
        }
        for (j, mount) in service.files.iter().enumerate() {
            let at: SpecPath = root().services().at(i).files().at(j).into();
            if let Some(secret) = &mount.secret {
                judge(at.clone(), true, secret, mount.key.as_deref());
            }
            if let Some(config) = &mount.config {
                judge(at, false, config, mount.key.as_deref());
            }
        }
    }
}
