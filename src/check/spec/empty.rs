//! `spec/empty`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecEmpty,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The file holds a spec.",
    rationale: "An empty file most often means a failed generation step or a wrong path.",
    bad: "",
    good: "apiVersion: cutover.dev/v1alpha1",
    source: "cutover",
};
