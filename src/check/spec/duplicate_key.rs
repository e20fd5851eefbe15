//! `spec/duplicate-key`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecDuplicateKey,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A mapping names each key once.",
    rationale: "With duplicate keys one value silently wins; which one depends on the tool.",
    bad: "replicas: 3\nreplicas: 1",
    good: "replicas: 3",
    source: "YAML 1.2 §3.2.1.1",
};
