//! `spec/api-version`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::model::{API_VERSION, KIND};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecApiVersion,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "`apiVersion` is `cutover.dev/v1alpha1` and `kind` is `Migration`.",
    rationale: "The version says which meaning every field has; an unknown version cannot be read safely.",
    bad: "apiVersion: cutover.dev/v2",
    good: "apiVersion: cutover.dev/v1alpha1",
    source: "cutover",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    if spec.api_version != API_VERSION {
        out.push(
            ctx.error(
                RULE.id,
                root().api_version(),
                "unknown version",
                format!(
                    "apiVersion `{}` is not one this cutover reads",
                    spec.api_version
                ),
            )
            .help(format!("write `apiVersion: {API_VERSION}`")),
        );
    }
    if spec.kind != KIND {
        out.push(
            ctx.error(
                RULE.id,
                root().kind(),
                "unknown kind",
                format!("kind `{}` is not `{KIND}`", spec.kind),
            )
            .help(format!("write `kind: {KIND}`")),
        );
    }
}
