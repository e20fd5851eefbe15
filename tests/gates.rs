//! Gates that measure: every traffic phase of every example has the default gates (or the
//! spec's own measured ones) as commands the operator runs, plan.json records exactly the
//! lines the runbook prints, `defaultGates: false` removes the defaults and warns, a
//! threshold that does not fit its metric is a diagnostic at its line, and a query that
//! measured no requests fails.

mod common;

use std::path::Path;

use cutover::model::GateMetric;
use cutover::model::rollout::{Router, router};
use cutover::plan::gates::{Backend, PhaseGate};
use cutover::render::runbook;
use cutover::rules::RuleId;
use cutover::{Options, load};

fn routers_without_queries(spec: &cutover::model::Spec) -> bool {
    spec.rollout.strategy == cutover::model::Strategy::IngressCanary
        && matches!(
            router(spec.rollout.strategy, spec.rollout.controller),
            Router::Alb | Router::GatewayApi
        )
}

/// A command the operator runs: it starts with the query tool and names its threshold.
fn assert_runnable(name: &str, gate: &PhaseGate) {
    let threshold = gate
        .threshold
        .unwrap_or_else(|| panic!("{name}: no threshold"));
    assert!(
        !gate.commands.is_empty(),
        "{name}: {} has no command",
        gate.text
    );
    for command in &gate.commands {
        assert!(
            command.starts_with("curl ") || command.starts_with("aliyun "),
            "{name}: {command}"
        );
        assert!(
            command.contains(&format!("--argjson limit {threshold} ")),
            "{name}: the command does not name its threshold {threshold}: {command}"
        );
    }
    assert!(gate.query.is_some(), "{name}: {}", gate.text);
}

#[test]
fn every_traffic_phase_of_every_example_has_its_gates_with_a_runnable_command() {
    for path in common::example_specs(&["yaml"]) {
        let spec = load::load(&path).unwrap_or_else(|_| panic!("loads")).spec;
        let plan = common::plan(&spec);
        let manual = routers_without_queries(&spec);
        for phase in plan.phases.iter().filter(|p| p.kind.moves_traffic()) {
            let name = format!("{}: {}", path.display(), phase.id);
            let defaults: Vec<&PhaseGate> = phase
                .gates
                .iter()
                .filter(|g| g.source == "default")
                .collect();
            if spec.rollout.default_gates {
                let metrics: Vec<_> = defaults.iter().filter_map(|g| g.metric).collect();
                assert_eq!(
                    metrics,
                    [GateMetric::ErrorRate, GateMetric::P99Latency],
                    "{name}"
                );
            } else {
                assert!(defaults.is_empty(), "{name}");
            }
            let measured: Vec<&PhaseGate> =
                phase.gates.iter().filter(|g| g.metric.is_some()).collect();
            assert!(!measured.is_empty(), "{name}: measures nothing");
            for gate in measured {
                if manual {
                    assert_eq!(gate.backend, Backend::Manual, "{name}");
                    assert!(gate.commands.is_empty() && !gate.scope.is_empty(), "{name}");
                } else {
                    assert_runnable(&name, gate);
                }
            }
        }
        if manual {
            let compiled = common::compile(&path);
            assert!(
                compiled
                    .warnings
                    .iter()
                    .any(|d| d.rule == RuleId::RolloutGates),
                "{}: gates read by hand must warn",
                path.display()
            );
        }
    }
}

#[test]
fn plan_json_gate_commands_are_the_runbooks() {
    for path in common::example_specs(&["yaml"]) {
        let compiled = common::compile(&path);
        let plan: serde_json::Value =
            serde_json::from_slice(compiled.files.get("plan.json").expect("plan.json")).unwrap();
        let spec = load::load(&path).unwrap_or_else(|_| panic!("loads")).spec;
        let books = runbook::build(&spec, &common::plan(&spec));
        for (phase, book) in plan["phases"].as_array().unwrap().iter().zip(&books) {
            let id = phase["id"].as_str().unwrap();
            assert_eq!(book.phase, id);
            let recorded: Vec<String> = phase["gates"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|g| g["commands"].as_array().unwrap().iter())
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            let printed: Vec<String> = book
                .gate_checks
                .iter()
                .flat_map(|c| c.commands.iter().cloned())
                .collect();
            assert_eq!(recorded, printed, "{}: {id}", path.display());
            let text = String::from_utf8_lossy(
                compiled
                    .files
                    .get(&format!("runbooks/{id}.md"))
                    .expect("runbook"),
            )
            .into_owned();
            let lines: Vec<&str> = text.lines().collect();
            for command in &recorded {
                assert!(lines.contains(&command.as_str()), "{id}: {command}");
            }
            // Every variable a gate reads is set or guarded before: in the first step.
            if recorded.iter().any(|c| c.contains("$PROMETHEUS_URL")) {
                let first = &book.steps[0];
                assert!(
                    first
                        .commands
                        .iter()
                        .any(|c| c.starts_with(": \"${PROMETHEUS_URL:?")),
                    "{id}: PROMETHEUS_URL is not guarded"
                );
            }
            if recorded.iter().any(|c| c.contains("$OLD_SLB_ID")) {
                assert!(
                    book.steps[0]
                        .commands
                        .iter()
                        .any(|c| c.starts_with("OLD_SLB_ID=$(")),
                    "{id}: OLD_SLB_ID is not looked up"
                );
            }
        }
    }
}

fn minimal_with(gates: &str) -> String {
    let text = std::fs::read_to_string("examples/minimal.yaml").unwrap();
    let start = text.find("\n  gates:\n").expect("minimal.yaml has gates");
    format!("{}\n{gates}", &text[..start])
}

#[test]
fn default_gates_false_removes_them_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::temp_spec(&dir, "off.yaml", &minimal_with("  defaultGates: false\n"));
    let spec = load::load(&path).unwrap_or_else(|_| panic!("loads")).spec;
    let plan = common::plan(&spec);
    assert!(plan.phases.iter().all(|p| p.gates.is_empty()));
    let warnings = common::compile(&path).warnings;
    let warning = warnings
        .iter()
        .find(|d| d.rule == RuleId::RolloutGates)
        .expect("rollout/gates warns");
    assert_eq!(warning.path, "rollout.defaultGates");
    // With a measured gate of its own, the spec measures something: no warning.
    let own = "  defaultGates: false\n  gates:\n    - { metric: error-rate, threshold: 2% }\n";
    let path = common::temp_spec(&dir, "own.yaml", &minimal_with(own));
    assert!(
        !common::compile(&path)
            .warnings
            .iter()
            .any(|d| d.rule == RuleId::RolloutGates)
    );
}

#[test]
fn a_threshold_that_does_not_fit_its_metric_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    for (gate, value) in [
        ("{ metric: error-rate, threshold: 300ms }", "300ms"),
        ("{ metric: p99-latency, threshold: 1% }", "1%"),
        ("{ metric: p99-latency, threshold: 0ms }", "0ms"),
    ] {
        let text = minimal_with(&format!("  gates:\n    - {gate}\n"));
        let path = common::temp_spec(&dir, "bad.yaml", &text);
        let diagnostics = common::diagnostics(&path, &Options::default());
        let d = diagnostics
            .iter()
            .find(|d| d.rule == RuleId::SpecValue)
            .unwrap_or_else(|| panic!("{gate}: {}", common::render(&diagnostics)));
        assert_eq!(d.path, "rollout.gates[0].threshold");
        let span = d.labels[0].span;
        assert_eq!(&text[span.start..span.end], value, "{gate}");
        assert!(!d.help.is_empty());
    }
}

/// Runs the check half of a gate command (what follows its first ` | `) on `input`.
fn check_on(command: &str, input: &str) -> Option<bool> {
    let (_, check) = command.split_once(" | ")?;
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("printf '%s' \"$INPUT\" | {check}"))
        .env("INPUT", input)
        .env("OLD_SLB_ID", "lb-x")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    Some(status.success())
}

fn jq_available() -> bool {
    std::process::Command::new("jq")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_prometheus_check_fails_on_no_traffic_and_on_a_crossed_threshold() {
    if !jq_available() {
        eprintln!("jq is not installed: skipped");
        return;
    }
    let spec = load::load(Path::new("examples/minimal.yaml")).unwrap().spec;
    let plan = common::plan(&spec);
    let phase = plan.phases.iter().find(|p| p.kind.moves_traffic()).unwrap();
    let rate = phase
        .gates
        .iter()
        .find(|g| g.source == "default" && g.metric == Some(GateMetric::ErrorRate))
        .unwrap();
    let command = &rate.commands[0];
    let answer = |value: &str| {
        format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[1700000000,"{value}"]}}]}}}}"#
        )
    };
    assert_eq!(check_on(command, &answer("0.002")), Some(true));
    assert_eq!(check_on(command, &answer("0.2")), Some(false));
    assert_eq!(check_on(command, &answer("NaN")), Some(false));
    let empty = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
    assert_eq!(check_on(command, empty), Some(false));
    assert_eq!(check_on(command, "not json"), Some(false));
}

#[test]
fn a_cloudmonitor_latency_check_fails_on_no_datapoints() {
    if !jq_available() {
        eprintln!("jq is not installed: skipped");
        return;
    }
    let spec = load::load(Path::new("examples/slb-weights.yaml"))
        .unwrap()
        .spec;
    let plan = common::plan(&spec);
    let phase = plan
        .phases
        .iter()
        .find(|p| p.kind == cutover::plan::rollout::PhaseKind::Step)
        .unwrap();
    let latency = phase
        .gates
        .iter()
        .find(|g| g.backend == Backend::CloudMonitor && g.metric == Some(GateMetric::P99Latency))
        .unwrap();
    let command = &latency.commands[0];
    let answer =
        |points: &str| serde_json::json!({ "Code": "200", "Datapoints": points }).to_string();
    assert_eq!(
        check_on(
            command,
            &answer(r#"[{"timestamp":1,"Average":120.5},{"timestamp":2,"Average":90}]"#)
        ),
        Some(true)
    );
    assert_eq!(
        check_on(command, &answer(r#"[{"timestamp":1,"Average":900}]"#)),
        Some(false)
    );
    assert_eq!(check_on(command, &answer("[]")), Some(false));
}
