//! `spec/name`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::check::grammar::{is_dns_label, is_dns_subdomain, is_host, is_http_path};
use crate::diagnostic::Diagnostic;
use crate::model::path::{SpecPath, root};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecName,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: Some(
        "its names become Kubernetes objects, bundle folders, hosts and paths in runbook commands, where an invalid one is an option (`--help`) or breaks the command",
    ),
    summary: "Names that become Kubernetes object names (the migration, namespace, services, storage, waves) are DNS-1123 labels: lowercase letters, digits and `-`, at most 63 characters. Route hosts are DNS names; route, health and mount paths are absolute, without spaces or control characters; environment variable names are identifiers.",
    rationale: "Kubernetes refuses other names at apply time, in the middle of a migration.",
    bad: "metadata: { name: PiggyMetrics }",
    good: "metadata: { name: piggymetrics }",
    source: "Kubernetes object names (RFC 1123)",
};

/// Names that become Kubernetes object names must be DNS-1123 labels, and the other names
/// hosts, paths and variable names.
pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let mut label = |path: SpecPath, name: &str, what: &str| {
        if !is_dns_label(name) {
            out.push(
                ctx.error(
                    RULE.id,
                    &path,
                    "not a DNS-1123 label",
                    format!(
                        "the {what} name `{}` is not a valid Kubernetes name",
                        name.escape_debug()
                    ),
                )
                .help(format!(
                    "use lowercase letters, digits and `-`, at most 63 characters, such as `{}`",
                    suggest_label(name)
                )),
            );
        }
    };
    label(root().metadata().name(), &spec.metadata.name, "migration");
    for (i, s) in spec.services.iter().enumerate() {
        label(root().services().at(i).name(), &s.name, "service");
    }
    for (i, s) in spec.storage.iter().enumerate() {
        label(root().storage().at(i).name(), &s.name, "storage");
    }
    for (i, w) in spec.rollout.waves.iter().enumerate() {
        label(root().rollout().waves().at(i).name(), &w.name, "wave");
    }
    let mut text = |path: SpecPath, value: &str, ok: bool, what: &str, help: &str| {
        if !ok {
            out.push(
                ctx.error(
                    RULE.id,
                    &path,
                    format!("not {what}"),
                    format!("`{}` is not {what}", value.escape_debug()),
                )
                .help(help.to_string()),
            );
        }
    };
    if let Some(namespace) = &spec.target.namespace {
        text(
            root().target().namespace(),
            namespace,
            is_dns_label(namespace),
            "a valid namespace name (a DNS-1123 label)",
            "use lowercase letters, digits and `-`, at most 63 characters",
        );
    }
    for (i, s) in spec.services.iter().enumerate() {
        for (j, route) in s.routes.iter().enumerate() {
            text(
                root().services().at(i).routes().at(j).host(),
                &route.host,
                is_host(&route.host),
                "a DNS host name",
                "write a host such as `shop.example.com` (a leading `*.` is allowed)",
            );
            text(
                root().services().at(i).routes().at(j).path(),
                &route.path,
                is_http_path(&route.path),
                "an absolute URL path",
                "write a path such as `/api`: it starts with `/` and holds only URL path characters (letters, digits, `-._~%!$&'()*+,;=:@/`)",
            );
        }
        if let Some(path) = s.health.as_ref().and_then(|h| h.path.as_ref()) {
            text(
                root().services().at(i).health().path(),
                path,
                is_http_path(path),
                "an absolute URL path",
                "write a path such as `/healthz`: it starts with `/` and holds only URL path characters",
            );
        }
        for (j, volume) in s.volumes.iter().enumerate() {
            text(
                root().services().at(i).volumes().at(j).mount_path(),
                &volume.mount_path,
                is_http_path(&volume.mount_path),
                "an absolute path",
                "write a path such as `/data`",
            );
        }
        for name in s.env.keys() {
            text(
                root().services().at(i).env().key(name),
                name,
                is_env_name(name),
                "a valid environment variable name",
                "use letters, digits, `_`, `-` and `.`, not starting with a digit",
            );
        }
    }
    if let Some(test) = &spec.target.test_domain {
        text(
            root().target().test_domain(),
            test,
            is_host(test),
            "a DNS host name",
            "write a host such as `test.example.com`",
        );
    }
    let mut subdomain = |path: SpecPath, name: &str| {
        if !is_dns_subdomain(name) {
            out.push(
                ctx.error(
                    RULE.id,
                    &path,
                    "not a DNS-1123 subdomain",
                    format!(
                        "the Secret name `{}` is not a valid Kubernetes name",
                        name.escape_debug()
                    ),
                )
                .help("use lowercase letters, digits, `-` and `.`, such as `oss-credentials`"),
            );
        }
    };
    for (i, s) in spec.storage.iter().enumerate() {
        if let Some(secret) = &s.credentials_secret {
            subdomain(root().storage().at(i).credentials_secret(), secret);
        }
    }
    if let Some(secret) = spec.images.as_ref().and_then(|i| i.pull_secret.as_ref()) {
        subdomain(root().images().pull_secret(), secret);
    }
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

fn suggest_label(name: &str) -> String {
    crate::model::to_dns_label(name, "my-service")
}
