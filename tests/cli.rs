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
    assert!(stderr.contains("pod.yaml:40:14"), "{stderr}");
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
        (Some(40), Some(15))
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
    for command in COMMANDS {
        let run = cutover(&[command, "--help"]);
        assert_eq!(run.status.code(), Some(0), "{command}");
        assert!(text(&run.stdout).contains("Usage: cutover"), "{command}");
    }
    let run = cutover(&["--help"]);
    for command in COMMANDS {
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

/// Every command, as `--help` lists it.
const COMMANDS: &[&str] = &[
    "compile",
    "check",
    "plan",
    "diff",
    "verify",
    "import",
    "explain",
    "schema",
    "completions",
    "man",
];

/// cutover with exactly this colour environment (none of NO_COLOR, CLICOLOR, CLICOLOR_FORCE
/// unless given).
fn cutover_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cutover"));
    command
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("COLUMNS", "80");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run cutover")
}

const ESCAPE: &str = "\u{1b}[";
const WITH_ERRORS: &str = "tests/fixtures/err/network__pod-overlap.yaml";

/// Flags, environment, whether the output is coloured.
type Case = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    bool,
);

#[test]
fn colour_follows_the_flag_then_no_color_then_clicolor_force() {
    // Output here is a pipe, not a terminal (tests/unix.rs covers terminals).
    let cases: &[Case] = &[
        (&[], &[], false),
        (&["--color", "auto"], &[], false),
        (&["--color", "always"], &[], true),
        (&["--color=always"], &[("NO_COLOR", "1")], true),
        (&["--color", "never"], &[("CLICOLOR_FORCE", "1")], false),
        (&[], &[("CLICOLOR_FORCE", "1")], true),
        (&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], false),
        (&[], &[("CLICOLOR", "1")], false),
    ];
    for (flags, env, colour) in cases {
        // Diagnostics on stdout (check) and on stderr (compile), and clap's own help and
        // errors, follow the same choice.
        let mut check = vec!["check", WITH_ERRORS];
        check.extend_from_slice(flags);
        let run = cutover_env(&check, env);
        assert_eq!(run.status.code(), Some(1));
        let stdout = text(&run.stdout);
        assert!(stdout.contains("network/pod-overlap"), "{stdout}");
        assert_eq!(stdout.contains(ESCAPE), *colour, "check {flags:?} {env:?}");

        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("bundle");
        let mut compile = vec!["compile", WITH_ERRORS, "-o", out.to_str().unwrap()];
        compile.extend_from_slice(flags);
        let run = cutover_env(&compile, env);
        assert_eq!(run.status.code(), Some(1));
        let stderr = text(&run.stderr);
        assert!(stderr.contains("network/pod-overlap"), "{stderr}");
        assert_eq!(
            stderr.contains(ESCAPE),
            *colour,
            "compile {flags:?} {env:?}"
        );

        let mut help = vec!["--help"];
        help.extend_from_slice(flags);
        let run = cutover_env(&help, env);
        assert_eq!(run.status.code(), Some(0));
        assert_eq!(
            text(&run.stdout).contains(ESCAPE),
            *colour,
            "help {flags:?} {env:?}"
        );

        let mut wrong = vec!["chekc"];
        wrong.extend_from_slice(flags);
        let run = cutover_env(&wrong, env);
        assert_eq!(run.status.code(), Some(2));
        let stderr = text(&run.stderr);
        assert!(stderr.contains("unrecognized subcommand"), "{stderr}");
        assert_eq!(
            stderr.contains(ESCAPE),
            *colour,
            "usage error {flags:?} {env:?}"
        );
    }
    let run = cutover_env(&["--color", "sometimes", "explain"], &[]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("[possible values: auto, always, never]"),
        "{}",
        text(&run.stderr)
    );
}

/// A copy of the minimal example with one replica: one warning, no error.
fn spec_with_a_warning(dir: &tempfile::TempDir, name: &str) -> std::path::PathBuf {
    let spec = std::fs::read_to_string("examples/minimal.yaml")
        .unwrap()
        .replace("replicas: 3", "replicas: 1");
    common::temp_spec(dir, name, &spec)
}

#[test]
fn quiet_prints_errors_only_and_keeps_the_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_with_a_warning(&dir, "one.yaml");
    let spec = spec.to_str().unwrap();
    let out = dir.path().join("bundle");
    let out = out.to_str().unwrap();

    let loud = cutover(&["compile", spec, "-o", out]);
    assert_eq!(loud.status.code(), Some(0));
    assert!(
        text(&loud.stdout).starts_with("wrote "),
        "{}",
        text(&loud.stdout)
    );
    assert!(text(&loud.stderr).contains("workload/single-replica"));

    for quiet in ["-q", "--quiet"] {
        let run = cutover(&["compile", spec, "-o", out, quiet]);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
        assert_eq!(text(&run.stdout), "", "no summary line");
        assert_eq!(text(&run.stderr), "", "no warning");
    }
    // The bundle still records the warning.
    let index = std::fs::read_to_string(Path::new(out).join("index.json")).unwrap();
    assert!(index.contains("workload/single-replica"), "{index}");

    let run = cutover(&["-q", "check", spec]);
    assert_eq!(
        (run.status.code(), text(&run.stdout)),
        (Some(0), String::new())
    );
    let run = cutover(&["-q", "verify", spec, out]);
    assert_eq!(
        (run.status.code(), text(&run.stdout)),
        (Some(0), String::new())
    );
    let run = cutover(&["-q", "plan", spec]);
    assert_eq!(run.status.code(), Some(0));
    assert_eq!(text(&run.stderr), "", "no warning");
    assert!(
        text(&run.stdout).contains("Phase"),
        "the table is the output"
    );

    // Errors are still printed, with their exit codes; the warnings beside them are not.
    let loud = text(&cutover(&["check", WITH_ERRORS]).stdout);
    assert!(loud.contains("warning"), "the fixture also warns: {loud}");
    let run = cutover(&["check", WITH_ERRORS, "--quiet"]);
    assert_eq!(run.status.code(), Some(1));
    let quiet = text(&run.stdout);
    assert!(quiet.contains("network/pod-overlap"), "{quiet}");
    assert!(!quiet.contains("warning"), "{quiet}");
    assert!(!quiet.contains(" errors, "), "no summary line: {quiet}");
    let run = cutover(&["compile", WITH_ERRORS, "-o", out, "-q"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(text(&run.stderr).contains("network/pod-overlap"));
    // import: the spec, without the warnings and the note on stderr.
    let imported = dir.path().join("imported.yaml");
    let imported = imported.to_str().unwrap();
    let compose = "tests/fixtures/compose/docker-stack.yml";
    let loud = cutover(&["import", "compose", compose, "-o", imported]);
    assert!(
        text(&loud.stderr).contains("import/"),
        "{}",
        text(&loud.stderr)
    );
    let run = cutover(&[
        "import", "compose", compose, "-o", imported, "--force", "-q",
    ]);
    assert_eq!(
        (run.status.code(), text(&run.stderr)),
        (Some(0), String::new())
    );
    assert!(std::fs::read_to_string(imported).unwrap().contains("TODO"));
    assert_eq!(
        cutover(&["-q", "check", "no/such.yaml"]).status.code(),
        Some(2)
    );
    assert!(!text(&cutover(&["-q", "check", "no/such.yaml"]).stderr).is_empty());
}

#[test]
fn check_reports_every_spec_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let warned = spec_with_a_warning(&dir, "warned.yaml");
    let warned = warned.to_str().unwrap();
    let run = cutover(&[
        "check",
        "examples/minimal.yaml",
        WITH_ERRORS,
        warned,
        "--format",
        "json",
    ]);
    assert_eq!(run.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let files: std::collections::BTreeSet<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert!(files.contains(WITH_ERRORS), "{files:?}");
    assert!(
        files.iter().any(|f| f.ends_with("warned.yaml")),
        "{files:?}"
    );
    assert!(report["errors"].as_u64().unwrap() > 0);

    let run = cutover(&[
        "check",
        "examples/minimal.yaml",
        warned,
        "--format",
        "sarif",
    ]);
    assert_eq!(run.status.code(), Some(0));
    let sarif: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1);

    // A spec that cannot be read is a failure (2), said on stderr; the others are reported.
    let run = cutover(&["check", "no/such.yaml", warned]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("no/such.yaml"),
        "{}",
        text(&run.stderr)
    );
    assert!(text(&run.stdout).contains("workload/single-replica"));
}

#[test]
fn verify_checks_each_spec_against_the_folder_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let minimal = std::fs::read_to_string("examples/minimal.yaml").unwrap();
    let shop = migrations.join("shop.yaml");
    let blog = migrations.join("blog.yml");
    std::fs::write(&shop, &minimal).unwrap();
    std::fs::write(&blog, minimal.replace("replicas: 3", "replicas: 2")).unwrap();
    for (spec, out) in [(&shop, "shop"), (&blog, "blog")] {
        let out = migrations.join(out);
        let run = cutover(&[
            "compile",
            spec.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    }
    let (shop, blog) = (shop.to_str().unwrap(), blog.to_str().unwrap());
    let run = cutover(&["verify", shop, blog]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stdout));
    let stdout = text(&run.stdout);
    assert!(stdout.contains("migrations/shop is up to date"), "{stdout}");
    assert!(stdout.contains("migrations/blog is up to date"), "{stdout}");
    // One spec alone: its folder too.
    assert_eq!(cutover(&["verify", shop]).status.code(), Some(0));

    // A stale bundle is found, and named; the other still passes.
    std::fs::write(migrations.join("blog/README.md"), "edited").unwrap();
    let run = cutover(&["verify", shop, blog]);
    assert_eq!(run.status.code(), Some(3));
    let stdout = text(&run.stdout);
    assert!(stdout.contains("migrations/blog is stale"), "{stdout}");
    assert!(stdout.contains("README.md: differs"), "{stdout}");
    assert!(stdout.contains("migrations/shop is up to date"), "{stdout}");

    // A spec with errors outranks a stale bundle; a missing folder outranks both.
    std::fs::write(
        migrations.join("broken.yaml"),
        minimal.replace("podCidr:", "podCIDR:"),
    )
    .unwrap();
    let broken = migrations.join("broken.yaml");
    let run = cutover(&["verify", blog, broken.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    let gone = migrations.join("gone.yaml");
    std::fs::write(&gone, &minimal).unwrap();
    let run = cutover(&[
        "verify",
        gone.to_str().unwrap(),
        broken.to_str().unwrap(),
        blog,
    ]);
    assert_eq!(run.status.code(), Some(2));

    // Not a spec where specs are expected: a usage error.
    let run = cutover(&["verify", shop, blog, "out"]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = text(&run.stderr);
    assert!(stderr.contains("out is not a spec"), "{stderr}");
    assert!(stderr.contains("Usage: cutover verify"), "{stderr}");
}

#[test]
fn completions_cover_every_command_in_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = cutover(&["completions", shell]);
        assert_eq!(run.status.code(), Some(0), "{shell}");
        let script = text(&run.stdout);
        for command in COMMANDS {
            assert!(script.contains(command), "{shell}: {command} missing");
        }
        assert!(
            script.contains("color") && script.contains("quiet"),
            "{shell}"
        );
    }
    assert_eq!(cutover(&["completions", "tcsh"]).status.code(), Some(2));
}

/// Runs `program args...` on `input`, or None when the program is not installed.
fn run_on(program: &str, args: &[&str], input: &str) -> Option<Output> {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Some(child.wait_with_output().unwrap())
}

#[test]
fn the_bash_completion_completes_commands_and_values() {
    let script = text(&cutover(&["completions", "bash"]).stdout);
    // bash reads it, then completes as it would at a prompt: `cutover <TAB>` and
    // `cutover check --format <TAB>`.
    let probe = format!(
        "{script}\n\
         COMP_WORDS=(cutover ''); COMP_CWORD=1; _cutover cutover '' cutover; echo \"${{COMPREPLY[*]}}\"\n\
         COMP_WORDS=(cutover check --format ''); COMP_CWORD=3; _cutover cutover '' --format; echo \"${{COMPREPLY[*]}}\"\n"
    );
    let Some(run) = run_on("bash", &["--norc", "--noprofile", "-s"], &probe) else {
        eprintln!("bash is not installed: skipped");
        return;
    };
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    let mut lines = stdout.lines();
    let commands: Vec<&str> = lines.next().unwrap_or("").split(' ').collect();
    for command in COMMANDS {
        assert!(
            commands.contains(command),
            "{command} not offered: {commands:?}"
        );
    }
    assert_eq!(lines.next(), Some("human json sarif"), "{stdout}");
}

#[test]
fn zsh_and_fish_read_their_completions_when_installed() {
    let zsh = text(&cutover(&["completions", "zsh"]).stdout);
    assert!(zsh.starts_with("#compdef cutover\n"), "{zsh}");
    match run_on("zsh", &["-n"], &zsh) {
        Some(run) => assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr)),
        None => eprintln!("zsh is not installed: only the structure was checked"),
    }
    let fish = text(&cutover(&["completions", "fish"]).stdout);
    assert!(fish.contains("complete -c cutover"), "{fish}");
    match run_on("fish", &["--no-execute"], &fish) {
        Some(run) => {
            assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
            // fish completes `cutover ` from the script as a user's shell would.
            let file = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(file.path(), &fish).unwrap();
            let probe = format!("source {}; complete -C 'cutover '", file.path().display());
            let run = Command::new("fish")
                .args(["--no-config", "-c", &probe])
                .output()
                .unwrap();
            let offered = text(&run.stdout);
            for command in COMMANDS {
                assert!(
                    offered
                        .lines()
                        .any(|l| l.split('\t').next() == Some(*command)),
                    "fish does not offer {command}: {offered}"
                );
            }
        }
        None => eprintln!("fish is not installed: only the structure was checked"),
    }
}

#[test]
fn the_manual_page_names_every_command() {
    let run = cutover(&["man"]);
    assert_eq!(run.status.code(), Some(0));
    let page = text(&run.stdout);
    assert!(page.contains("\n.TH CUTOVER 1 "), "{page}");
    for section in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "SUBCOMMANDS",
        "\"EXIT STATUS\"",
        "ENVIRONMENT",
    ] {
        assert!(page.contains(&format!("\n.SH {section}\n")), "{section}");
    }
    for command in COMMANDS {
        assert!(
            page.contains(&format!("cutover\\-{command}(1)")),
            "{command} missing"
        );
    }
    assert!(page.contains("NO_COLOR") && page.contains("141"));

    let dir = tempfile::tempdir().unwrap();
    let run = cutover(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    let mut expected: Vec<String> = COMMANDS
        .iter()
        .map(|c| format!("cutover-{c}.1"))
        .chain(["cutover.1".into(), "cutover-import-compose.1".into()])
        .collect();
    expected.sort();
    assert_eq!(pages, expected);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("cutover.1")).unwrap(),
        page,
        "the printed page is the written one"
    );
    let compile = std::fs::read_to_string(dir.path().join("cutover-compile.1")).unwrap();
    assert!(compile.contains("\n.TH CUTOVER-COMPILE 1 "), "{compile}");
    assert!(compile.contains("\\-\\-force"), "{compile}");

    // mandoc, when installed, finds no warning in any page (.ci/run installs it).
    for name in &pages {
        let page = std::fs::read_to_string(dir.path().join(name)).unwrap();
        match run_on("mandoc", &["-T", "lint", "-W", "warning"], &page) {
            Some(run) => assert_eq!(
                run.status.code(),
                Some(0),
                "{name}: {}{}",
                text(&run.stdout),
                text(&run.stderr)
            ),
            None => {
                eprintln!("mandoc is not installed: the pages were not linted");
                break;
            }
        }
    }
}
