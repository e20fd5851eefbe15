//! Stage 2, check: every rule, each in its own file `<area>/<name>.rs` with its metadata
//! (`RULE`) next to its check function. The driver runs every check the registry lists,
//! applies `allow:` and the configured levels, and sorts the result by position.
//!
//! A new rule is a new file in its area (the first line names its id, build.rs checks it)
//! and one `pub(super) mod name;` line in the area's `mod.rs`; the registry, `cutover
//! explain`, README's table and the fixture tests pick it up from there.

// The areas, in the order `cutover explain` lists them (rustfmt.toml keeps this order).
mod spec;
pub mod import;
mod images;
mod network;
mod sizing;
mod workload;
mod secrets;
mod ingress;
mod storage;
mod rollout;
mod data;
mod source;
mod verification;
mod dns;
pub(crate) mod config;

pub mod grammar;
pub mod levels;
pub mod registry;

use std::sync::Arc;

pub use spec::credential;

use crate::diagnostic::{self, Diagnostic, Severity, SourceFile, Span};
use crate::load::configs::ConfigFiles;
use crate::load::{Loaded, SourceMap};
use crate::model::Spec;
use crate::model::path::SpecPath;
use crate::model::sizing::Sizing;
use crate::rules::RuleId;
use levels::Config;

/// A rule's check: it pushes every violation it finds.
type CheckFn = fn(&Ctx, &mut Vec<Diagnostic>);

/// What every rule function sees: the spec, where its values sit, and the sizing derived
/// from it once (several rules judge it; the plan takes it on).
pub struct Ctx<'a> {
    pub spec: &'a Spec,
    pub map: &'a SourceMap,
    pub source: &'a Arc<SourceFile>,
    pub sizing: &'a Sizing,
    /// The files `configs` names, as the load stage read them (or why it did not).
    pub configs: &'a ConfigFiles,
}

impl Ctx<'_> {
    /// A diagnostic whose primary label sits on the value at `path`.
    pub fn report(
        &self,
        rule: RuleId,
        severity: Severity,
        path: impl Into<SpecPath>,
        label: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let path = path.into();
        Diagnostic::new(rule, severity, self.source, message)
            .path(self.map.display(path.as_str()))
            .label(self.map.span(path.as_str()), label)
    }

    pub fn error(
        &self,
        rule: RuleId,
        path: impl Into<SpecPath>,
        label: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.report(rule, Severity::Error, path, label, message)
    }

    pub fn warning(
        &self,
        rule: RuleId,
        path: impl Into<SpecPath>,
        label: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.report(rule, Severity::Warning, path, label, message)
    }

    pub fn span(&self, path: impl Into<SpecPath>) -> Span {
        self.map.span(path.into().as_str())
    }

    /// How diagnostics show the path: list indices replaced by the items' names.
    pub fn display(&self, path: impl Into<SpecPath>) -> String {
        self.map.display(path.into().as_str())
    }
}

/// Runs every rule over a loaded spec. The result is sorted by position; allowed
/// diagnostics are gone, and configured levels are applied.
pub fn check(loaded: &Loaded, sizing: &Sizing, config: &Config) -> Vec<Diagnostic> {
    check_with_configs(loaded, &ConfigFiles::default(), sizing, config)
}

/// [`check`] with the `configs` files the load stage read beside the spec.
pub fn check_with_configs(
    loaded: &Loaded,
    configs: &ConfigFiles,
    sizing: &Sizing,
    config: &Config,
) -> Vec<Diagnostic> {
    let ctx = Ctx {
        spec: &loaded.spec,
        map: &loaded.map,
        source: &loaded.source,
        sizing,
        configs,
    };
    let mut found = Vec::new();
    for check in registry::CHECKS {
        check(&ctx, &mut found);
    }
    // What other rules say of a placeholder (`TODO-zone-1` is not a zone id) only repeats it.
    let placeholders: std::collections::BTreeSet<String> = found
        .iter()
        .filter(|d| d.rule == RuleId::ImportPlaceholder)
        .map(|d| d.path.clone())
        .collect();
    let mut diagnostics: Vec<Diagnostic> = found
        .into_iter()
        .filter(|d| d.rule == RuleId::ImportPlaceholder || !placeholders.contains(&d.path))
        .filter(|d| !allowed_for_service(&ctx, d))
        .filter_map(|d| config.apply(d))
        .collect();
    // The `allow:` lists themselves, checked after they were applied: no list can silence
    // what is said of it.
    config::locked::allow_lists(&ctx, &mut diagnostics);
    config::unknown_rule::allow_lists(&ctx, &mut diagnostics);
    diagnostic::sort(&mut diagnostics);
    diagnostics
}

fn allowed_for_service(ctx: &Ctx, d: &Diagnostic) -> bool {
    let Some(name) = &d.service else {
        return false;
    };
    !registry::is_locked(d.rule)
        && ctx
            .spec
            .service(name)
            .is_some_and(|s| s.allow.iter().any(|a| a == d.rule.as_str()))
}
