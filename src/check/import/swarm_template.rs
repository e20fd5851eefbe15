//! `import/swarm-template`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::ImportSwarmTemplate,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "`cutover import compose`: a Swarm template placeholder (`{{.Node.Hostname}}`, `{{.Node.ID}}`, `{{.Service.Name}}`, `{{.Task.Slot}}`, ...) in a value is never copied: Kubernetes does not expand it. The generated spec holds `TODO` in its place, which `check` refuses until it is replaced.",
    rationale: "Written verbatim, the template would reach the container as literal text. Its Kubernetes equivalents differ (the pod's node and name come from the downward API, a task slot is a StatefulSet ordinal), so the person finishing the spec decides.",
    bad: "environment: { NODE_ID: \"{{.Node.ID}}\" }",
    good: "env: { NODE_ID: TODO }   # what the import writes, to replace",
    source: "Docker docs, `docker service create` template placeholders (docs.docker.com/reference/cli/docker/service/create/#create-services-using-templates)",
};
