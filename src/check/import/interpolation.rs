//! `import/interpolation`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::ImportInterpolation,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "`cutover import compose`: the compose file's variables are interpolated as `docker compose` does (`${VAR}`, `${VAR:-default}`, `${VAR:?error}`, ...) from the environment and the env files; a variable that is unset without a default becomes empty, as compose makes it, and a required one (`${VAR:?error}`) that is unset becomes `TODO`, which `check` refuses until it is replaced. Each is warned about at its compose line.",
    rationale: "Compose warns about an unset variable and stops on a required one; the import goes on so that the whole stack is imported at once, and says which values it could not know.",
    bad: "image: \"registry/app:${TAG:?set the tag}\"   # with TAG unset",
    good: "image: \"registry/app:${TAG:-1.4.0}\"",
    source: "Compose specification, interpolation (github.com/compose-spec/compose-spec/blob/main/12-interpolation.md)",
};
