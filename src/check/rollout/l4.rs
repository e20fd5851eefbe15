//! `rollout/l4`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::RolloutL4,
    level: Level::Warning,
    status: Status::Planned,
    scope: Scope::Spec,
    locked: None,
    summary: "TODO",
    rationale: "TODO",
    bad: "TODO",
    good: "TODO",
    source: "TODO",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let _ = (ctx, out);
}
