//! `rollout/steps`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::RolloutSteps,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every wave has steps whose weights are 0–100, strictly increasing, and the last step is 100.",
    rationale: "A wave that never reaches 100 leaves traffic split for good; a falling weight is a rollback in disguise, and rollbacks have their own artifacts.",
    bad: "steps: [{ weight: 50, hold: 1h }, { weight: 25, hold: 1h }]",
    good: "steps: [{ weight: 25, hold: 1h }, { weight: 100, hold: 24h }]",
    source: "003 §4.1, §4.2",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (w, wave) in ctx.spec.rollout.waves.iter().enumerate() {
        let at = root().rollout().waves().at(w);
        if wave.steps.is_empty() {
            out.push(
                ctx.error(
                    RULE.id,
                    at.name(),
                    "no steps",
                    format!("wave `{}` has no steps", wave.name),
                )
                .help("add steps that end at `{ weight: 100, hold: ... }`"),
            );
            continue;
        }
        let mut previous: Option<(usize, u32)> = None;
        for (s, step) in wave.steps.iter().enumerate() {
            let here = at.steps().at(s).weight();
            if step.weight > 100 {
                out.push(
                    ctx.error(
                        RULE.id,
                        &here,
                        "over 100",
                        format!("wave `{}`: weight {} is over 100", wave.name, step.weight),
                    )
                    .help(
                        "a weight is the share of the wave's traffic on the new cluster, 0 to 100",
                    ),
                );
            }
            if let Some((p, weight)) = previous
                && step.weight <= weight
            {
                out.push(
                    ctx.error(
                        RULE.id,
                        &here,
                        format!("{} after {weight}", step.weight),
                        format!("wave `{}`: weights must rise at every step, but {} follows {weight}", wave.name, step.weight),
                    )
                    .label(ctx.span(at.steps().at(p).weight()), "the step before")
                    .help("order the steps by rising weight; to undo a step, use its rollback instead"),
                );
            }
            previous = Some((s, step.weight));
        }
        let last = wave.steps.len() - 1;
        if wave.steps[last].weight != 100 {
            out.push(
                ctx.error(
                    RULE.id,
                    at.steps().at(last).weight(),
                    "the last step",
                    format!(
                        "wave `{}` ends at {}%: its traffic would stay split for good",
                        wave.name, wave.steps[last].weight
                    ),
                )
                .help("end every wave with `{ weight: 100, hold: ... }`"),
            );
        }
    }
}
