//! `data/incremental-interval`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::MIN_INCREMENTAL_INTERVAL;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::DataIncrementalInterval,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "An object store's `incrementalInterval` is at least `15m`, ossimport's smallest `incrementalModeInterval` (900 seconds).",
    rationale: "The object stores copy with ossimport's incremental mode from the data phase until `complete`; ossimport refuses an interval under 900 seconds, and its documentation advises no less than an hour (each pass lists the whole source).",
    bad: "objectStores: [{ name: media, source: s3://media, target: oss://media, incrementalInterval: 5m }]",
    good: "objectStores: [{ name: media, source: s3://media, target: oss://media, incrementalInterval: 1h }]",
    source: "ossimport: architectures and configurations (incremental data migration mode)",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let Some(data) = &ctx.spec.data else {
        return;
    };
    for (i, store) in data.object_stores.iter().enumerate() {
        let Some(interval) = &store.incremental_interval else {
            continue;
        };
        if interval.seconds() < MIN_INCREMENTAL_INTERVAL {
            out.push(
                ctx.error(
                    RULE.id,
                    root().data().object_stores().at(i).incremental_interval(),
                    "under 15m",
                    format!(
                        "object store `{}` asks ossimport for a pass every {} ({} s): its minimum is 900 s",
                        store.name,
                        interval.as_str(),
                        interval.seconds()
                    ),
                )
                .help("write `15m` or more; ossimport advises `1h` or more"),
            );
        }
    }
}
