//! `config/syntax`: what it demands and why are in [`RULE`].

use const_format::concatcp;

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::ConfigSyntax,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "`cutover.toml` is valid: a `[rules]` table of rule ids set to `allow`, `warn` or `deny`.",
    rationale: "A broken config must not silently fall back to the defaults.",
    bad: concatcp!(
        "[rules]\n\"",
        RuleId::SizingSingleZone.as_str(),
        "\" = \"off\""
    ),
    good: concatcp!(
        "[rules]\n\"",
        RuleId::SizingSingleZone.as_str(),
        "\" = \"allow\""
    ),
    source: "cutover",
};
