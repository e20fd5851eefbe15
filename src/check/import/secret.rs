//! `import/secret`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::ImportSecret,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "`cutover import compose`: a compose value that is a secret (a secret-named variable such as `MYSQL_ROOT_PASSWORD`, or a credential-shaped value) is never copied: the generated spec holds a `${NAME}` reference, or a comment without the value, and a warning points at the compose line.",
    rationale: "A spec goes into git and pull requests; the secret is provided at deploy time from a Kubernetes Secret instead.",
    bad: "environment: { MYSQL_ROOT_PASSWORD: hunter2 }",
    good: "env: { MYSQL_ROOT_PASSWORD: \"${MYSQL_ROOT_PASSWORD}\" }   # what the import writes",
    source: "cutover; gitleaks default rules",
};
