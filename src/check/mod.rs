//! Stage 2, check: every rule of [`crate::rules`] as a small function that reports every
//! violation it finds. The driver runs them all, applies `allow:` and the configured levels,
//! and sorts the result by position.

mod backups;
mod dns;
mod ingress;
mod network;
pub mod rollout;
pub mod secrets;
mod sizing;
mod spec;
mod storage;
mod test_domain;
mod values;
mod verification;
mod workload;

use std::sync::Arc;

use crate::config::{self, Config};
use crate::diagnostic::{self, Diagnostic, Severity, SourceFile, Span};
use crate::load::{Loaded, SourceMap};
use crate::model::Spec;
use crate::plan::sizing::{self as sizing_plan, Sizing};
use crate::rules;

/// What every rule function sees: the spec, where its values sit, and the sizing the
/// planner derives (several rules compare against it).
pub struct Ctx<'a> {
    pub spec: &'a Spec,
    pub map: &'a SourceMap,
    pub source: &'a Arc<SourceFile>,
    pub sizing: Sizing,
}

impl Ctx<'_> {
    /// A diagnostic whose primary label sits on the value at `path`.
    pub fn report(
        &self,
        rule: &'static str,
        severity: Severity,
        path: &str,
        label: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        debug_assert!(rules::find(rule).is_some(), "unregistered rule {rule}");
        Diagnostic::new(rule, severity, self.source, message)
            .path(self.map.display(path))
            .label(self.map.span(path), label)
    }

    pub fn error(
        &self,
        rule: &'static str,
        path: &str,
        label: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.report(rule, Severity::Error, path, label, message)
    }

    pub fn warning(
        &self,
        rule: &'static str,
        path: &str,
        label: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.report(rule, Severity::Warning, path, label, message)
    }

    pub fn span(&self, path: &str) -> Span {
        self.map.span(path)
    }
}

/// Runs every rule over a loaded spec. The result is sorted by position; allowed
/// diagnostics are gone, and configured levels are applied.
pub fn check(loaded: &Loaded, config: &Config) -> Vec<Diagnostic> {
    let ctx = Ctx {
        spec: &loaded.spec,
        map: &loaded.map,
        source: &loaded.source,
        sizing: sizing_plan::plan(&loaded.spec),
    };
    let mut found = Vec::new();
    spec::check(&ctx, &mut found);
    network::check(&ctx, &mut found);
    sizing::check(&ctx, &mut found);
    workload::check(&ctx, &mut found);
    ingress::check(&ctx, &mut found);
    storage::check(&ctx, &mut found);
    rollout::check(&ctx, &mut found);
    dns::check(&ctx, &mut found);
    test_domain::check(&ctx, &mut found);
    backups::check(&ctx, &mut found);
    values::check(&ctx, &mut found);
    verification::check(&ctx, &mut found);
    secrets::check(&ctx, &mut found);

    let mut diagnostics: Vec<Diagnostic> = found
        .into_iter()
        .filter(|d| !allowed_for_service(&ctx, d))
        .filter_map(|d| config.apply(d))
        .collect();
    check_allow_lists(&ctx, &mut diagnostics);
    diagnostic::sort(&mut diagnostics);
    diagnostics
}

fn allowed_for_service(ctx: &Ctx, d: &Diagnostic) -> bool {
    let Some(name) = &d.service else {
        return false;
    };
    !rules::is_locked(d.rule)
        && ctx
            .spec
            .service(name)
            .is_some_and(|s| s.allow.iter().any(|a| a == d.rule))
}

/// `allow:` entries must name rules that exist, can fire, and can be lowered.
fn check_allow_lists(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        for (j, id) in service.allow.iter().enumerate() {
            let path = format!("services[{i}].allow[{j}]");
            let known = rules::find(id).is_some_and(|r| r.level.is_diagnostic());
            if rules::is_locked(id) {
                out.push(
                    config::locked_rule(ctx.source, ctx.span(&path), id)
                        .path(ctx.map.display(&path)),
                );
            } else if !known {
                out.push(
                    config::unknown_rule(ctx.source, ctx.span(&path), id)
                        .path(ctx.map.display(&path)),
                );
            } else if !rules::is_service_scoped(id) {
                out.push(
                    Diagnostic::new(
                        "config/unknown-rule",
                        Severity::Error,
                        ctx.source,
                        format!("rule `{id}` is about the whole spec, not one service: `allow:` cannot accept it"),
                    )
                    .label(ctx.span(&path), "not a per-service rule")
                    .path(ctx.map.display(&path))
                    .help(format!(
                        "set its level in cutover.toml instead: [rules] \"{id}\" = \"allow\" (or \"warn\")"
                    )),
                );
            }
        }
    }
}

/// Whether `name` is a DNS-1123 label (Kubernetes object names, namespaces, ports).
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Whether `name` is a DNS-1123 subdomain (Secret and other object names).
pub fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

/// A DNS name: labels of letters, digits and `-`, dot-separated, optionally `*.` first.
pub fn is_host(host: &str) -> bool {
    let host = host.strip_prefix("*.").unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// An absolute path of RFC 3986 path characters (unreserved, percent-encoded, sub-delims,
/// `:`, `@`): no whitespace, quotes, backticks, backslashes or control characters.
pub fn is_http_path(path: &str) -> bool {
    path.starts_with('/') && path.len() <= 2048 && path.bytes().all(is_url_path_byte)
}

/// A byte RFC 3986 allows in a path: unreserved, `%`, sub-delims, `:`, `@` and `/`.
pub fn is_url_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"/-_.~%!$&'()*+,;=:@".contains(&b)
}
