//! The gate section of a traffic phase: each gate in the list, and for each measured one a
//! check that runs the plan's recorded commands (`plan.json` holds the same lines), with the
//! variables they read registered for the runbook's first step.

use super::commands::old_slb;
use super::{Role, Runbook, Step, code, from_spec, step, text};
use crate::model::Spec;
use crate::plan::gates::{Backend, OLD_SLB_ID, PROMETHEUS_URL, PhaseGate};

/// The guard's help: where the operator finds the URL, and how curl authenticates.
fn prometheus_help() -> String {
    format!(
        "set {PROMETHEUS_URL} to the HTTP API URL of the new cluster’s Managed Service for Prometheus instance (CloudMonitor console, Managed Service for Prometheus, Instances, Settings), without /api/v1; a V2 instance also needs an AccessKey with AliyunPrometheusMetricReadAccess as the host’s login in ~/.netrc"
    )
}

/// Registers how the variables of `commands` get their values.
pub(super) fn register(spec: &Spec, book: &mut Runbook, commands: &[String]) {
    for name in commands.iter().flat_map(|c| super::ids::references(c)) {
        if name == PROMETHEUS_URL {
            book.guard(PROMETHEUS_URL, prometheus_help());
        } else if name == OLD_SLB_ID {
            let variable = old_slb(book, spec);
            debug_assert_eq!(variable, OLD_SLB_ID);
        }
    }
}

/// Where a gate comes from, as the runbook names it.
fn label(gate: &PhaseGate) -> String {
    if gate.source == "default" {
        format!("Default gate: {}", code(&gate.text))
    } else {
        from_spec(&gate.source, &gate.text)
    }
}

/// The phase's gates: the list lines, and a check per measured gate.
pub(super) fn gates(spec: &Spec, gates: &[PhaseGate], book: &mut Runbook) {
    for gate in gates {
        if gate.metric.is_none() {
            book.gates.push(label(gate));
            continue;
        }
        if gate.commands.is_empty() {
            book.gates.push(format!(
                "{}: measured by hand, {}.",
                label(gate),
                text(&gate.scope)
            ));
            continue;
        }
        let n = book.gate_checks.len() + 1;
        book.gates
            .push(format!("{}: run check G{n} below.", label(gate)));
        register(spec, book, &gate.commands);
        book.gate_checks.push(check(gate));
    }
}

fn check(gate: &PhaseGate) -> Step {
    let source = if gate.source == "default" {
        "rollout.defaultGates".to_string()
    } else {
        gate.source.clone()
    };
    let reads = match gate.backend {
        Backend::Prometheus => "PromQL over the Prometheus HTTP API",
        Backend::CloudMonitor => "CloudMonitor",
        Backend::Manual => "by hand",
    };
    let threshold = gate
        .threshold
        .map(|t| format!("{t} {}", gate.unit.unwrap_or_default()))
        .unwrap_or_default();
    step(Role::Operations, text(&gate.text), source)
        .detail(format!(
            "Reads {reads}: {}. Threshold {} over {}",
            text(&gate.scope),
            code(threshold.trim()),
            code(format!("{}s", gate.window_seconds.unwrap_or(300)))
        ))
        .commands(gate.commands.iter().cloned())
        .expect(format!(
            "the command prints {} and exits 0; it stops with {} or {} (no requests measured) otherwise: then roll back, below",
            code("pass: …"),
            code("gate failed"),
            code("no data")
        ))
}

/// The verify phase's metric checks: the complete phase's queries, read against the test
/// traffic (the same new services, before any production request reaches them).
pub(super) fn verify_commands(
    spec: &Spec,
    plan: &crate::plan::Plan,
    book: &mut Runbook,
) -> Vec<String> {
    let commands: Vec<String> = plan
        .phases
        .iter()
        .rev()
        .find(|p| p.kind == crate::plan::rollout::PhaseKind::Complete)
        .map(|p| {
            p.gates
                .iter()
                .flat_map(|g| g.commands.iter().cloned())
                .collect()
        })
        .unwrap_or_default();
    register(spec, book, &commands);
    commands
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell;

    #[test]
    fn the_guard_help_reads_as_one_shell_word() {
        let line = shell::guard(PROMETHEUS_URL, &prometheus_help());
        assert_eq!(
            super::super::ids::defines(&line).as_deref(),
            Some(PROMETHEUS_URL)
        );
    }
}
