//! Hostile input: every file in `tests/fixtures/hostile/`, plus generated ones too large to
//! commit (over the size limit, 10,000 services), must end in a diagnostic or a valid
//! result, in bounded memory and bounded time, and never panic. Each runs as a separate
//! process under an address-space limit, so a stack overflow or a runaway allocation fails
//! the test instead of the test runner. The time bound only catches a run that never ends
//! (a blow-up of nested aliases, say): how fast these runs are is measured by
//! `benches/streaming.py`, not asserted on a machine whose load no test controls.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Address space allowed to one run (the binary itself maps a few hundred MiB).
const MEMORY_LIMIT: u64 = 2 * 1024 * 1024 * 1024;
/// Far above any honest run (the 10,000-service spec is checked in well under a second on
/// an idle machine): a run past it is stuck.
const HANG_LIMIT: Duration = Duration::from_secs(60);

fn run_bounded(args: &[&str]) -> (Option<i32>, String, Duration) {
    let binary = env!("CARGO_BIN_EXE_cutover");
    let has_prlimit = Path::new("/usr/bin/prlimit").exists();
    let mut command = if has_prlimit {
        let mut c = Command::new("/usr/bin/prlimit");
        // CPU seconds, not wall time: a stuck run is killed (SIGXCPU) whatever the load.
        c.arg(format!("--as={MEMORY_LIMIT}"))
            .arg(format!("--cpu={}", HANG_LIMIT.as_secs()))
            .arg(binary);
        c
    } else {
        Command::new(binary)
    };
    let started = Instant::now();
    let output = command
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cutover");
    let elapsed = started.elapsed();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text, elapsed)
}

fn generated(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    // Over the 16 MiB limit.
    let huge = dir.join("over-size-limit.yaml");
    std::fs::write(&huge, format!("# {}\n", "x".repeat(17 * 1024 * 1024))).unwrap();
    files.push(huge);
    // 10,000 services, all valid, in one wave.
    let minimal = std::fs::read_to_string("examples/minimal.yaml").unwrap();
    let head = &minimal[..minimal.find("services:").unwrap()];
    let mut spec = head.replace("totalCores: 16", "totalCores: 1024");
    spec.push_str("services:\n");
    for i in 0..10_000 {
        spec.push_str(&format!(
            "  - name: web-{i}\n    image: registry.example.com/hello/web-{i}:1.0.0\n    replicas: 3\n    port: 8080\n    resources:\n      requests: {{ cpu: 10m, memory: 16Mi }}\n      limits: {{ cpu: 20m, memory: 32Mi }}\n    health: {{ path: /healthz }}\n    routes:\n      - {{ host: web-{i}.hello.example, path: / }}\n"
        ));
    }
    let names: Vec<String> = (0..10_000).map(|i| format!("web-{i}")).collect();
    spec.push_str(&format!(
        "\nrollout:\n  strategy: ingress-canary\n  controller: nginx\n  waves:\n    - name: all\n      services: [{}]\n      steps:\n        - {{ weight: 10, hold: 30m }}\n        - {{ weight: 100, hold: 1h }}\n",
        names.join(", ")
    ));
    let many = dir.join("ten-thousand-services.yaml");
    std::fs::write(&many, spec).unwrap();
    files.push(many);
    files
}

#[test]
fn hostile_files_end_in_a_diagnostic_or_a_result_and_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = common::fixtures("hostile");
    assert!(files.len() >= 25, "the committed corpus");
    files.extend(generated(dir.path()));
    let mut report = Vec::new();
    for file in &files {
        let (code, output, elapsed) = run_bounded(&["check", file.to_str().unwrap()]);
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        report.push(format!("{name}: exit {code:?} in {elapsed:?}"));
        assert!(!output.contains("panicked"), "{name} panicked:\n{output}");
        assert!(
            matches!(code, Some(0 | 1)),
            "{name} ended with {code:?} (a crash, a signal or the memory limit):\n{output}"
        );
        assert!(elapsed < HANG_LIMIT, "{name} took {elapsed:?}: stuck");
        if code == Some(1) {
            let has_rule = output.lines().any(|l| {
                let l = l.trim();
                l.contains('/') && !l.contains(' ') && cutover::rules::RuleId::find(l).is_some()
            });
            assert!(has_rule, "{name} failed without a rule id:\n{output}");
        }
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn valid_hostile_files_compile_to_bundles_that_hold_no_injected_object() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["bom.yaml", "long-line.yaml"] {
        let out = dir.path().join(name);
        let (code, output, _) = run_bounded(&[
            "compile",
            &format!("tests/fixtures/hostile/{name}"),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(0), "{name}:\n{output}");
        let files = cutover::bundle::read(&out).unwrap();
        for (path, content) in files.iter().filter(|(p, _)| p.starts_with("manifests/")) {
            let text = String::from_utf8_lossy(content);
            assert!(!text.contains("\n---"), "{path} holds a second document");
            assert!(!text.contains("kind: Secret"), "{path} holds a Secret");
        }
    }
}
