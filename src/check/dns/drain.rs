//! `dns/drain`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::DnsDrain,
    level: Level::Note,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Resolvers may cache past the TTL (up to 48 h): keep the old entrypoint serving until its traffic is gone.",
    rationale: "Stated in the runbook.",
    bad: "",
    good: "",
    source: "seed 000",
};
