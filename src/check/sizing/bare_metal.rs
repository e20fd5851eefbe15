//! `sizing/bare-metal`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::model::sizing::{BARE_METAL_CORES, BARE_METAL_THRESHOLD};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SizingBareMetal,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "1,000 or more cores a day, or fast burst scale-out: ECS bare-metal (EBM) instances of at least 96 cores are recommended (about 10–12 for 1,000 cores).",
    rationale: "At that size, bare metal gives more network performance and no virtualisation overhead, and scales out in larger steps.",
    bad: "totalCores: 1200",
    good: "(accept: the sizing report shows the EBM option)",
    source: "003 §1.1.1",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let nodes = &ctx.spec.target.nodes;
    let sizing = &ctx.sizing;
    if let Some(bare_metal) = &sizing.bare_metal {
        let path = if nodes.total_cores >= BARE_METAL_THRESHOLD {
            root().target().nodes().total_cores()
        } else {
            root().target().nodes().burst_scale_out()
        };
        out.push(
            ctx.warning(
                RULE.id,
                path,
                bare_metal.reason,
                format!(
                    "{}: ECS bare-metal (EBM) instances are recommended, about {} instances of {BARE_METAL_CORES} cores",
                    capitalize(bare_metal.reason),
                    bare_metal.instances
                ),
            )
            .help("consider EBM instances (see reports/sizing.md); allow the rule in cutover.toml once decided"),
        );
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
