//! `rollout/rollback`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::RolloutRollback,
    level: Level::Applied,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every step has a rollback: the artifacts of the step before it. The first rollback returns all traffic to the old cluster.",
    rationale: "Applied when the plan is built.",
    bad: "",
    good: "",
    source: "seed 002",
};
