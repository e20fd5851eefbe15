//! `sizing/single-zone`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SizingSingleZone,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "More than one zone.",
    rationale: "With one zone, a zone outage takes the whole cluster down: no zone-level disaster recovery.",
    bad: "zones: [cn-hangzhou-g]",
    good: "zones: [cn-hangzhou-g, cn-hangzhou-h]",
    source: "003 §1.1.2",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    if ctx.spec.target.zones.len() == 1 {
        out.push(
            ctx.warning(
                RULE.id,
                root().target().zones(),
                "one zone",
                "the cluster runs in one zone: a zone outage takes every service down",
            )
            .help("add a second zone (and a vSwitch in it) for zone-level disaster recovery"),
        );
    }
}
