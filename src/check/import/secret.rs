//! `import/secret`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::ImportSecret,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "`cutover import compose`: a compose value that is a secret (a secret-named variable such as `MYSQL_ROOT_PASSWORD`, or a credential-shaped value) is never copied: the generated spec reads it from a key of a declared Secret (`<service>-env`), or keeps a comment without the value, and a warning points at the compose line.",
    rationale: "A spec goes into git and pull requests; the deploy runbook creates the Secret from values the operator provides instead.",
    bad: "environment: { MYSQL_ROOT_PASSWORD: hunter2 }",
    good: "env: { MYSQL_ROOT_PASSWORD: { secret: db-env, key: MYSQL_ROOT_PASSWORD } }   # what the import writes",
    source: "cutover; gitleaks default rules",
};
