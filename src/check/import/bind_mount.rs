//! `import/bind-mount`: what it demands and why are in [`RULE`].

use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::ImportBindMount,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "`cutover import compose`: a bind mount (a host path mounted into the container, `./data:/srv` or `type: bind`) has no equivalent on the new cluster, whose pods move between nodes. The generated spec keeps it as a comment with the three choices: a NAS volume (`storage` of type `nas`, shared data), a config (`configs`, a ConfigMap made from files beside the spec, for read-only configuration files), or dropping it (a host socket or a cache).",
    rationale: "A pod has no host folder of its own: the data a bind mount holds is either shared state that must move to a volume, configuration that belongs in a ConfigMap, or something the new cluster does not need. Only the person finishing the spec knows which.",
    bad: "volumes: [\"./dags:/opt/airflow/dags\"]",
    good: "volumes: [{ storage: dags, mountPath: /opt/airflow/dags }]   # a NAS storage entry",
    source: "cutover; Kubernetes hostPath volumes (kubernetes.io/docs/concepts/storage/volumes/#hostpath)",
};
