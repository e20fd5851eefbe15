//! `sizing/worker-count`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SizingWorkerCount,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Losing one instance costs at most the fault tolerance f of the cores: instance cores ≤ C·f, so at least ⌈1/f⌉ instances. 160 cores at 10% → 10 of 16 cores, ceiling 144; at 20% → 5 of 32, ceiling 128. An error when no instance size (2 cores at least) fits.",
    rationale: "Few large instances mean one failure takes a large share of capacity; the report shows the count, size and usable ceiling.",
    bad: "totalCores: 10\nfaultTolerance: 10%   # instances of 1 core",
    good: "totalCores: 160\nfaultTolerance: 10%",
    source: "003 §1.1.1",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let nodes = &ctx.spec.target.nodes;
    let sizing = &ctx.sizing;
    if sizing.workers.is_none() {
        out.push(
            ctx.error(
                RULE.id,
                root().target().nodes().fault_tolerance(),
                format!("{} of {} cores", nodes.fault_tolerance, nodes.total_cores),
                format!(
                    "no instance size keeps one failure within {} of {} cores: the smallest instance has 2 cores",
                    nodes.fault_tolerance, nodes.total_cores
                ),
            )
            .label(ctx.span(root().target().nodes().total_cores()), "total cores")
            .help("raise faultTolerance or totalCores so that cores × tolerance is at least 2"),
        );
    }
}
