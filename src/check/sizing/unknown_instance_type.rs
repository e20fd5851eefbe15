//! `sizing/unknown-instance-type`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::instance_types::shape;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SizingUnknownInstanceType,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A pinned instance type is one of the ECS types cutover knows (`ecs.<g|c|r><6|7|8i|8a>.<large … 16xlarge>`); for another, its CPU:memory ratio and its capacity cannot be checked.",
    rationale: "cutover checks the ratio against the profile and the cores against the fault tolerance from a built-in table of the common families; a type outside it passes unchecked, so check it by hand against the ECS instance family pages.",
    bad: "instanceTypes: [ecs.g7ne.4xlarge]",
    good: "instanceTypes: [ecs.g7.4xlarge]",
    source: "ECS instance families",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, pool) in ctx.spec.target.node_pools.iter().enumerate() {
        for (j, ty) in pool.instance_types.iter().enumerate() {
            if shape(ty).is_none() {
                out.push(
                    ctx.warning(
                        RULE.id,
                        root().target().node_pools().at(i).instance_types().at(j),
                        "not in the table",
                        format!(
                            "{ty:?} is not in cutover's table of ECS instance types: its CPU:memory ratio and cores cannot be checked"
                        ),
                    )
                    .help("check its vCPUs and memory on the ECS instance family page, or allow this rule on the spec once you have"),
                );
            }
        }
    }
}
