//! `config/locked`: what it demands and why are in [`RULE`].

use std::sync::Arc;

use crate::check::{Ctx, registry};
use crate::diagnostic::{Diagnostic, Severity, SourceFile, Span};
use crate::model::path::root;
use const_format::concatcp;

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::ConfigLocked,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: Some("it is what keeps the other locked rules locked"),
    summary: concatcp!(
        "`cutover.toml` does not set a locked rule to `allow` or `warn`, and no service's `allow:` names one. Locked: `",
        RuleId::SpecCredential.as_str(),
        "` (a secret in the spec is always an error), `",
        RuleId::SpecValue.as_str(),
        "`, `",
        RuleId::SpecName.as_str(),
        "` and `",
        RuleId::DnsNames.as_str(),
        "` (their values reach shell commands, paths and config lines of the bundle), and `config/locked` itself."
    ),
    rationale: "Silencing the secret scan would let a credential reach git history and the bundle while the check looks green. Silencing a grammar would let a value such as `--help`, `-rf` or a line break reach a command pasted into a production shell: quoting keeps `$(...)` inert, but a quoted value starting with `-` is still an option to `aliyun` or `kubectl`.",
    bad: concatcp!(
        "[rules]\n\"",
        RuleId::SpecCredential.as_str(),
        "\" = \"allow\"\n\"",
        RuleId::SpecValue.as_str(),
        "\" = \"allow\""
    ),
    good: "# fix the value in the spec (or reference a secret as ${NAME}); keep locked rules at their default",
    source: "cutover",
};

/// The diagnostic for an attempt to allow or lower a locked rule, in `cutover.toml` or a
/// service's `allow:`.
pub fn diagnostic(source: &Arc<SourceFile>, span: Span, id: RuleId) -> Diagnostic {
    let help = match id {
        RuleId::ConfigLocked => {
            "delete this entry: the locked rules stay errors whatever it says".to_string()
        }
        RuleId::SpecCredential => "remove the secret from the spec and reference it as `${NAME}` (the whole value), provided at deploy time from a Kubernetes Secret; then delete this entry".to_string(),
        _ => format!(
            "fix what `{id}` reports in the spec (`cutover explain {id}` shows its grammar); then delete this entry. Locked rules: {}",
            registry::locked()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Diagnostic::new(
        RULE.id,
        Severity::Error,
        source,
        format!(
            "rule `{id}` cannot be allowed or lowered: {}",
            registry::rule(id)
                .locked
                .unwrap_or("it guards the bundle's safety")
        ),
    )
    .label(span, "cannot be silenced")
    .help(help)
}

/// A service's `allow:` names a locked rule.
pub fn allow_lists(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        for (j, id) in service.allow.iter().enumerate() {
            if let Some(id) = RuleId::find(id).filter(|id| registry::is_locked(*id)) {
                let path = root().services().at(i).allow().at(j);
                out.push(diagnostic(ctx.source, ctx.span(&path), id).path(ctx.display(&path)));
            }
        }
    }
}
