//! `sizing/instance-ratio`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::instance_types::shape;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SizingInstanceRatio,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A pinned instance type has the CPU:memory ratio of its pool's profile (the pool's `profile`, else `target.nodes.profile`): `compute` 1:2, `balanced` 1:4, `memory-heavy` 1:8.",
    rationale: "The sizing plans memory as cores × the profile's GiB per core: a type with less memory per core runs out of memory (Java heaps, caches) before the cores are used, one with more wastes what it costs.",
    bad: "nodes: { profile: memory-heavy, ... }\nnodePools:\n  - { name: workers, instanceTypes: [ecs.c7.4xlarge] }   # 1:2",
    good: "nodePools:\n  - { name: workers, instanceTypes: [ecs.r7.4xlarge] }   # 1:8",
    source: "003 §1.1.1; ECS instance families (g 1:4, c 1:2, r 1:8)",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let default = ctx.spec.target.nodes.profile;
    for (i, pool) in ctx.spec.target.node_pools.iter().enumerate() {
        let profile = pool.profile.unwrap_or(default);
        let needs = profile.gib_per_core();
        for (j, ty) in pool.instance_types.iter().enumerate() {
            let Some(s) = shape(ty) else { continue };
            if s.memory_gib != s.vcpu * needs {
                let from = if pool.profile.is_some() {
                    format!("the pool's profile {}", <&str>::from(profile))
                } else {
                    format!("the profile {}", <&str>::from(profile))
                };
                out.push(
                    ctx.error(
                        RULE.id,
                        root().target().node_pools().at(i).instance_types().at(j),
                        format!("1:{}", s.gib_per_vcpu()),
                        format!(
                            "{ty} is {} vCPU : {} GiB = 1:{}, {from} needs 1:{needs}",
                            s.vcpu,
                            s.memory_gib,
                            s.gib_per_vcpu()
                        ),
                    )
                    .help(format!(
                        "pin a type of the 1:{needs} families ({}), or set the pool's `profile` to the ratio it needs",
                        match needs {
                            2 => "c6, c7, c8i, c8a",
                            8 => "r6, r7, r8i, r8a",
                            _ => "g6, g7, g8i, g8a",
                        }
                    )),
                );
            }
        }
    }
}
