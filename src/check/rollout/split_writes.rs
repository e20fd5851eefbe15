//! `rollout/split-writes`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::SyncMode;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::RolloutSplitWrites,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "While traffic is split between the clusters, every database needs `sync: bidirectional`, or `sharedInstance: true` when both clusters use one instance.",
    rationale: "With one-way sync the writes made on the receiving side are lost when the sync catches up, or conflict.",
    bad: "sync: incremental   # and a wave at 25%",
    good: "sync: bidirectional",
    source: "003 §5",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let split = spec
        .rollout
        .waves
        .iter()
        .flat_map(|w| w.steps.iter().map(move |s| (w, s)))
        .find(|(_, s)| s.weight > 0 && s.weight < 100);
    let Some((wave, step)) = split else { return };
    let Some(data) = &spec.data else { return };
    for (i, db) in data.databases.iter().enumerate() {
        if db.sync != SyncMode::Bidirectional && !db.shared_instance {
            let w = spec
                .rollout
                .waves
                .iter()
                .position(|x| x.name == wave.name)
                .unwrap_or(0);
            let s = wave
                .steps
                .iter()
                .position(|x| x.weight == step.weight)
                .unwrap_or(0);
            out.push(
                ctx.error(
                    RULE.id,
                    root().data().databases().at(i).sync(),
                    "one-way",
                    format!("database `{}` syncs one way, but wave `{}` splits traffic between the clusters: the writes made on one side would be lost", db.name, wave.name),
                )
                .label(ctx.span(root().rollout().waves().at(w).steps().at(s).weight()), format!("{}% on the new cluster", step.weight))
                .help("use `sync: bidirectional` (DTS two-way sync), or `sharedInstance: true` when both clusters use this one instance"),
            );
        }
    }
}
