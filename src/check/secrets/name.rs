//! `secrets/name`: what it demands and why are in [`RULE`].

use std::collections::BTreeSet;

use crate::check::Ctx;
use crate::check::grammar::{is_config_key, is_dns_subdomain};
use crate::diagnostic::Diagnostic;
use crate::model::SecretProvider;
use crate::model::path::{SpecPath, root};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SecretsName,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Each Secret and config has a unique name that is a DNS-1123 subdomain; a Secret declares at least one key, each key once, each a valid key (letters, digits, `-`, `_`, `.`; not starting with a digit when the runbook creates the Secret from an env file).",
    rationale: "The names become a Secret and a ConfigMap in the namespace, and the keys their data keys and the lines of the env file the runbook reads: Kubernetes refuses anything else when the deploy applies.",
    bad: "secrets: [{ name: DB_Credentials, keys: [password, password] }]",
    good: "secrets: [{ name: db-credentials, keys: [password] }]",
    source: "Kubernetes object names (RFC 1123) and ConfigMap/Secret keys",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let mut secret_names = BTreeSet::new();
    for (i, secret) in spec.secrets.iter().enumerate() {
        let at = root().secrets().at(i);
        let declared = Declared {
            kind: "Secret",
            example: "db-credentials",
            holds: "keys",
        };
        object_name(
            ctx,
            out,
            at.name(),
            &secret.name,
            declared,
            &mut secret_names,
        );
        if secret.keys.is_empty() {
            out.push(
                ctx.error(
                    RULE.id,
                    at.keys(),
                    "no key",
                    format!("the Secret `{}` declares no key", secret.name),
                )
                .help("list the keys the services read: `keys: [password]`"),
            );
        }
        let mut keys = BTreeSet::new();
        for (j, key) in secret.keys.iter().enumerate() {
            if !is_config_key(key) {
                out.push(
                    ctx.error(
                        RULE.id,
                        at.keys().at(j),
                        "not a valid key",
                        format!("`{}` is not a valid Secret key", key.escape_debug()),
                    )
                    .help("use letters, digits, `-`, `_` and `.`, such as `password`"),
                );
            } else if secret.provider == SecretProvider::Runbook
                && key.starts_with(|c: char| c.is_ascii_digit())
            {
                // The runbook reads an env file: `kubectl --from-env-file` takes only
                // variable names (`[-._a-zA-Z][-._a-zA-Z0-9]*`) and stops on any other.
                out.push(
                    ctx.error(
                        RULE.id,
                        at.keys().at(j),
                        "starts with a digit",
                        format!(
                            "`{key}` starts with a digit: the runbook creates `{}` from an env file, and `kubectl create secret generic --from-env-file` refuses such a key",
                            secret.name
                        ),
                    )
                    .help("start the key with a letter, `_`, `-` or `.`, or let a secret store fill the Secret (`provider: external-secrets`)"),
                );
            } else if !keys.insert(key.as_str()) {
                out.push(
                    ctx.error(
                        RULE.id,
                        at.keys().at(j),
                        "listed again",
                        format!("the key `{key}` is listed twice in `{}`", secret.name),
                    )
                    .help("list each key once"),
                );
            }
        }
    }
    let mut config_names = BTreeSet::new();
    for (i, config) in spec.configs.iter().enumerate() {
        let at = root().configs().at(i);
        let declared = Declared {
            kind: "config",
            example: "app-config",
            holds: "files",
        };
        object_name(
            ctx,
            out,
            at.name(),
            &config.name,
            declared,
            &mut config_names,
        );
    }
}

/// What a name is declared for, as the messages say it.
#[derive(Clone, Copy)]
struct Declared {
    kind: &'static str,
    example: &'static str,
    holds: &'static str,
}

/// A Secret's or config's name: a DNS-1123 subdomain, declared once.
fn object_name<'a>(
    ctx: &Ctx,
    out: &mut Vec<Diagnostic>,
    at: SpecPath,
    name: &'a str,
    declared: Declared,
    seen: &mut BTreeSet<&'a str>,
) {
    let Declared {
        kind,
        example,
        holds,
    } = declared;
    if !is_dns_subdomain(name) {
        out.push(
            ctx.error(
                RULE.id,
                &at,
                "not a DNS-1123 subdomain",
                format!(
                    "the {kind} name `{}` is not a valid Kubernetes name",
                    name.escape_debug()
                ),
            )
            .help(format!(
                "use lowercase letters, digits, `-` and `.`, such as `{example}`"
            )),
        );
    }
    if !seen.insert(name) {
        out.push(
            ctx.error(
                RULE.id,
                at,
                "declared again",
                format!("the {kind} `{name}` is declared twice"),
            )
            .help(format!("declare each {kind} once, with all its {holds}")),
        );
    }
}
