//! `rollout/mirror-writes`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::RolloutMirrorWrites,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A mirrored wave contains no service that mounts writable storage.",
    rationale: "Mirrored (shadow) requests execute twice, once in each cluster: every write would happen twice.",
    bad: "waves: [{ name: w, mirror: true, services: [account-service] }]   # mounts avatars",
    good: "waves: [{ name: w, mirror: true, services: [gateway] }]",
    source: "seed 002",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    for (w, wave) in spec.rollout.waves.iter().enumerate() {
        if !wave.mirror {
            continue;
        }
        let path = root().rollout().waves().at(w).mirror();
        for name in &wave.services {
            let Some((i, service)) = spec
                .services
                .iter()
                .enumerate()
                .find(|(_, s)| &s.name == name)
            else {
                continue;
            };
            for (j, volume) in service.volumes.iter().enumerate() {
                if !volume.read_only {
                    out.push(
                        ctx.error(
                            RULE.id,
                            &path,
                            "mirrored",
                            format!("wave `{}` mirrors `{}`, which mounts `{}` writable: mirrored requests run twice and would write twice", wave.name, service.name, volume.storage),
                        )
                        .label(ctx.span(root().services().at(i).volumes().at(j)), "writable storage")
                        .help("mirror only services that write nothing, or mount the volume `readOnly: true`"),
                    );
                }
            }
        }
    }
}
