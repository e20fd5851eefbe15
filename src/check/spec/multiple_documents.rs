//! `spec/multiple-documents`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecMultipleDocuments,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The YAML file holds exactly one document.",
    rationale: "A second document after `---` would be ignored silently; one spec per file.",
    bad: "---\napiVersion: ...\n---\napiVersion: ...",
    good: "apiVersion: ...",
    source: "cutover",
};
