//! `dns/ttl-lead`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::DnsTtlLead,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The cutover TTL is from 1 s up to the normal TTL. The change list lowers it in the prepare phase, makes the first value change at least one normal TTL later, and restores it after the last.",
    rationale: "Resolvers keep an answer for the TTL they got with it: lowering it late, or not at all, makes the move slow to take effect and slow to roll back.",
    bad: "ttl: { normal: 600, cutover: 3600 }",
    good: "ttl: { normal: 600, cutover: 60 }",
    source: "seeds 000, 001",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let Some(dns) = &spec.dns else {
        return;
    };
    let ttl = &dns.ttl;
    if ttl.cutover == 0 || ttl.normal > 86_400 || ttl.cutover > ttl.normal {
        out.push(
            ctx.error(RULE.id, root().dns().ttl().cutover(), "cutover TTL", format!("the cutover TTL ({} s) must be from 1 s up to the normal TTL ({} s, at most 86400)", ttl.cutover, ttl.normal))
                .label(ctx.span(root().dns().ttl().normal()), "normal TTL")
                .help("lower the TTL for the move: `ttl: { normal: 600, cutover: 60 }`"),
        );
    }
}
