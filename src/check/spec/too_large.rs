//! `spec/too-large`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecTooLarge,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The file is under 16 MiB, with at most 1,000,000 values and 128 levels of nesting.",
    rationale: "The limits keep a hostile or broken file from exhausting CI machines; a real spec is far smaller.",
    bad: "(a 20 MiB file)",
    good: "(a spec of a few hundred services)",
    source: "cutover",
};
