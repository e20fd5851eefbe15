//! `import/unsupported`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::ImportUnsupported,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "`cutover import compose`: a compose setting with no equivalent in the spec (global mode, placement, commands, tmpfs and anonymous volumes, secret file modes, ...) is kept as a comment in the generated spec and warned about.",
    rationale: "Nothing is dropped silently: every setting the new cluster will not get is in front of the person who finishes the spec.",
    bad: "deploy: { mode: global }",
    good: "deploy: { replicas: 3 }",
    source: "cutover",
};
