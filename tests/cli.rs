//! The command line as a user meets it: exit codes, outputs, help, and what `compile` may
//! and may not do to an output directory.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn cutover(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .output()
        .expect("run cutover")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn compile_writes_the_bundle_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let run = cutover(&[
        "compile",
        "examples/piggymetrics.yaml",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    for file in [
        "README.md",
        "index.json",
        "reports/network.md",
        "reports/sizing.md",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    // Compiling again replaces the bundle in place.
    let again = cutover(&[
        "compile",
        "examples/piggymetrics.yaml",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        leftovers,
        ["bundle"],
        "no temporary directories are left behind"
    );
}

#[test]
fn a_spec_with_errors_exits_one_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let spec = std::fs::read_to_string("examples/piggymetrics.yaml")
        .unwrap()
        .replace("podCidr: 10.16.0.0/16 ", "podCidr: 172.16.0.0/16");
    let spec = common::temp_spec(&dir, "pod.yaml", &spec);
    let out = dir.path().join("bundle");
    let run = cutover(&[
        "compile",
        spec.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(!out.exists());
    let stderr = text(&run.stderr);
    assert!(stderr.contains("network/pod-overlap"), "{stderr}");
    // Labels on the podCidr line and on the vpc-shared route; a free /16 proposed.
    assert!(stderr.contains("pod.yaml:39:14"), "{stderr}");
    assert!(
        stderr.contains("route `vpc-shared` 172.16.0.0/12"),
        "{stderr}"
    );
    assert!(
        stderr.contains("use 10.0.0.0/16 instead: a free /16"),
        "{stderr}"
    );
}

#[test]
fn check_prints_json_for_tools() {
    let dir = tempfile::tempdir().unwrap();
    let spec = std::fs::read_to_string("examples/minimal.yaml")
        .unwrap()
        .replace("replicas: 3", "replicas: 1");
    let spec = common::temp_spec(&dir, "one.yaml", &spec);
    let run = cutover(&["check", spec.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.status.code(), Some(0), "warnings do not fail a check");
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["errors"], 0);
    assert_eq!(report["warnings"], 1);
    let d = &report["diagnostics"][0];
    assert_eq!(d["rule"], "workload/single-replica");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["path"], "services[web].replicas");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(39), Some(15))
    );
    assert!(!d["help"].as_str().unwrap().is_empty());
}

#[test]
fn hostile_files_end_in_a_diagnostic_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let minimal = std::fs::read_to_string("examples/minimal.yaml").unwrap();
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (name, previous) in [
        ("b", "a"),
        ("c", "b"),
        ("d", "c"),
        ("e", "d"),
        ("f", "e"),
        ("g", "f"),
        ("h", "g"),
        ("i", "h"),
    ] {
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{previous}"); 10].join(", ")
        ));
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.yaml", Vec::new(), "spec/empty"),
        (
            "latin1.yaml",
            b"apiVersion: caf\xe9\n".to_vec(),
            "spec/encoding",
        ),
        (
            "type.yaml",
            minimal
                .replace("replicas: 3", "replicas: three")
                .into_bytes(),
            "spec/type",
        ),
        (
            "unknown.yaml",
            minimal.replace("podCidr:", "podCIDR:").into_bytes(),
            "spec/unknown-field",
        ),
        ("bomb.yaml", bomb.into_bytes(), "spec/alias-limit"),
    ];
    for (name, content, rule) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let started = Instant::now();
        let run = cutover(&["check", path.to_str().unwrap()]);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{name} took {:?}",
            started.elapsed()
        );
        let stdout = text(&run.stdout);
        assert_eq!(
            run.status.code(),
            Some(1),
            "{name}: {stdout}{}",
            text(&run.stderr)
        );
        assert!(stdout.contains(rule), "{name}: {stdout}");
        assert!(!text(&run.stderr).contains("panicked"), "{name}");
    }
}

#[test]
fn the_output_directory_is_replaced_only_when_it_is_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "my notes").unwrap();
    let run = cutover(&[
        "compile",
        "examples/minimal.yaml",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("refusing to write into"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "my notes"
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        1,
        "nothing was added"
    );

    // A bundle that holds a file cutover did not write is not replaced either.
    let bundle = dir.path().join("bundle");
    let ok = cutover(&[
        "compile",
        "examples/minimal.yaml",
        "-o",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(ok.status.code(), Some(0));
    std::fs::write(bundle.join("reports/extra.md"), "mine").unwrap();
    let run = cutover(&[
        "compile",
        "examples/minimal.yaml",
        "-o",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("reports/extra.md"),
        "{}",
        text(&run.stderr)
    );
    assert!(bundle.join("reports/extra.md").is_file());
    std::fs::remove_file(bundle.join("reports/extra.md")).unwrap();

    // A generated file edited by hand is kept unless --force says otherwise.
    std::fs::write(bundle.join("README.md"), "edited").unwrap();
    let run = cutover(&[
        "compile",
        "examples/minimal.yaml",
        "-o",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(bundle.join("README.md")).unwrap(),
        "edited"
    );
    let run = cutover(&[
        "compile",
        "examples/minimal.yaml",
        "-o",
        bundle.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert_ne!(
        std::fs::read_to_string(bundle.join("README.md")).unwrap(),
        "edited"
    );
}

#[test]
fn usage_and_io_failures_exit_two() {
    assert_eq!(cutover(&["compile"]).status.code(), Some(2));
    assert_eq!(
        cutover(&["check", "does/not/exist.yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        cutover(&["check", "README.md"]).status.code(),
        Some(2),
        "unknown extension"
    );
    let run = cutover(&["explain", "network/pod-overlaps"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains("did you mean `network/pod-overlap`"));
}

#[test]
fn every_command_explains_itself() {
    for command in ["compile", "check", "explain", "schema"] {
        let run = cutover(&[command, "--help"]);
        assert_eq!(run.status.code(), Some(0), "{command}");
        assert!(text(&run.stdout).contains("Usage: cutover"), "{command}");
    }
    let run = cutover(&["--help"]);
    for command in ["compile", "check", "explain", "schema"] {
        assert!(text(&run.stdout).contains(command));
    }
}

#[test]
fn explain_prints_the_rule_and_lists_them_all() {
    let run = cutover(&["explain", "network/pod-overlap"]);
    assert_eq!(run.status.code(), Some(0));
    let out = text(&run.stdout);
    assert!(out.starts_with("network/pod-overlap  (error)"), "{out}");
    assert!(
        out.contains("Why:") && out.contains("Source: 003 §1.4"),
        "{out}"
    );
    let list = text(&cutover(&["explain"]).stdout);
    for id in cutover::rules::RuleId::ALL {
        assert!(list.contains(id.as_str()), "{id} not listed");
    }
}

#[test]
fn the_committed_schema_is_current() {
    let committed = std::fs::read_to_string("schemas/migration.schema.json").unwrap_or_default();
    let current = cutover::json_schema();
    if committed != current {
        if std::env::var_os("CUTOVER_UPDATE_SCHEMA").is_some() {
            std::fs::write("schemas/migration.schema.json", &current).unwrap();
        } else {
            panic!(
                "schemas/migration.schema.json is stale: regenerate it with\n    cargo run -- schema > schemas/migration.schema.json\n(or run the tests with CUTOVER_UPDATE_SCHEMA=1)"
            );
        }
    }
    let printed = cutover(&["schema"]);
    assert_eq!(text(&printed.stdout), current);
    assert!(Path::new("schemas/migration.schema.json").is_file());
}

#[test]
fn plan_shows_the_abort_and_its_runbook() {
    for (spec, does) in [
        ("examples/piggymetrics.yaml", "apply manifests/abort/"),
        (
            "examples/slb-weights.yaml",
            "old SLB groups back to the old servers",
        ),
        ("examples/client.yaml", "ship the old server list"),
    ] {
        let run = cutover(&["plan", spec]);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
        let out = text(&run.stdout);
        let abort = out
            .split_once("\nAbort from any phase after ")
            .unwrap_or_else(|| panic!("{spec}: no abort section\n{out}"))
            .1;
        assert!(abort.contains("runbooks/abort.md"), "{spec}: {abort}");
        assert!(abort.contains(does), "{spec}: {abort}");
        assert!(
            abort.contains("DNS back to the old entrypoint"),
            "{spec}: {abort}"
        );
    }
}
