//! `config/unknown-rule`: what it demands and why are in [`RULE`].

use std::sync::Arc;

use crate::check::{Ctx, registry};
use crate::diagnostic::{Diagnostic, Severity, SourceFile, Span, did_you_mean};
use crate::model::path::root;
use crate::rules;
use const_format::concatcp;

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::ConfigUnknownRule,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Rule ids in `cutover.toml` and `allow:` exist, and `allow:` names only rules about a single service.",
    rationale: "A misspelt id silences nothing, so the team believes a decision was recorded when it was not.",
    bad: concatcp!(
        "[rules]\n\"",
        RuleId::NetworkPodOverlap.as_str(),
        "s\" = \"warn\""
    ),
    good: concatcp!(
        "[rules]\n\"",
        RuleId::NetworkPodOverlap.as_str(),
        "\" = \"warn\""
    ),
    source: "cutover",
};

/// The diagnostic for a rule id that does not exist (or cannot be silenced).
pub fn diagnostic(source: &Arc<SourceFile>, span: Span, id: &str) -> Diagnostic {
    let checkable = RuleId::ALL
        .iter()
        .filter(|r| registry::rule(**r).level.is_diagnostic())
        .map(|r| r.as_str());
    let message = match RuleId::find(id) {
        Some(_) => format!("rule `{id}` is not a check and cannot be allowed or re-levelled"),
        None => format!("unknown rule `{id}`"),
    };
    let help = match did_you_mean(id, checkable) {
        Some(near) => format!("did you mean `{near}`? `cutover explain` lists every rule"),
        None => "run `cutover explain` to list every rule id".to_string(),
    };
    Diagnostic::new(RULE.id, Severity::Error, source, message)
        .label(span, "this rule id")
        .help(help)
}

/// `allow:` entries name rules that exist, can fire, and are about one service (locked
/// ones are config::locked's).
pub fn allow_lists(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        for (j, id) in service.allow.iter().enumerate() {
            let path = root().services().at(i).allow().at(j);
            let rule = RuleId::find(id).map(registry::rule);
            if rule.is_some_and(|r| r.locked.is_some()) {
                continue;
            }
            match rule {
                Some(rule) if rule.level.is_diagnostic() => {
                    if rule.scope != rules::Scope::Service {
                        out.push(
                            Diagnostic::new(
                                RULE.id,
                                Severity::Error,
                                ctx.source,
                                format!("rule `{id}` is about the whole spec, not one service: `allow:` cannot accept it"),
                            )
                            .label(ctx.span(&path), "not a per-service rule")
                            .path(ctx.display(&path))
                            .help(format!(
                                "set its level in cutover.toml instead: [rules] \"{id}\" = \"allow\" (or \"warn\")"
                            )),
                        );
                    }
                }
                _ => out.push(diagnostic(ctx.source, ctx.span(&path), id).path(ctx.display(&path))),
            }
        }
    }
}
