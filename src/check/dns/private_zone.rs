//! `dns/private-zone`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::DnsPrivateZone,
    level: Level::Applied,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "PrivateZone names the database for the apps, so their configuration does not change when the database moves to RDS.",
    rationale: "Applied when the plan is built.",
    bad: "",
    good: "",
    source: "seed 001",
};
