//! Faults a run must survive: unsafe bundle paths, a run killed between its two renames,
//! staging folders of killed runs, FIFOs where files should be, and symbolic links in a
//! bundle. Every run of the binary is under a timeout, so a hang fails instead of blocking.

mod common;

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use cutover::bundle::{self, Files, WriteError, WriteOptions};

const MINIMAL: &str = "examples/minimal.yaml";

/// Runs cutover; fails the test if it has not ended within 30 seconds.
fn cutover(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cutover");
    let started = Instant::now();
    while child.try_wait().expect("wait for cutover").is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cutover {args:?} hung (killed after 30 s)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect cutover's output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

/// The id of a process that has ended (and been reaped), so that it is not alive.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("run true");
    let pid = child.id();
    child.wait().expect("wait for true");
    pid
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Every entry under `dir` (relative paths, sorted), to show what a run left.
fn entries(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

fn compile_to(spec: &str, out: &Path) -> Output {
    cutover(&["compile", spec, "-o", arg(out)])
}

/// Compiles the minimal spec to `out`, which must succeed, say that it removed what a dead
/// run left, and leave nothing in `dir` but the bundle.
fn compiles_and_removes_the_leftovers(dir: &Path, out: &Path) {
    let run = compile_to(MINIMAL, out);
    let stderr = text(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("removed"), "{stderr}");
    assert_eq!(entries(dir), ["bundle"]);
}

fn minimal_bundle() -> Files {
    common::compile(Path::new(MINIMAL)).files
}

// --- Paths -----------------------------------------------------------------------------

#[test]
fn the_writer_refuses_every_unsafe_path_and_writes_nothing() {
    let unsafe_paths = [
        "tools/ossimport/../../../../tmp/victim/local_job.cfg",
        "../outside.txt",
        "/tmp/absolute.txt",
        "a//b.txt",
        "a/./b.txt",
        "./a.txt",
        "a/",
        "",
        "a\\..\\b.txt",
        "nul\0.txt",
        "new\nline.txt",
        "esc\u{1b}[31m.txt",
        "del\u{7f}.txt",
        "line\u{2028}sep.txt",
        ".hidden",
        "tools/.ssh/authorized_keys",
        "space name.txt",
        "colon:name.txt",
        "ünïcode.txt",
    ];
    for path in unsafe_paths {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nested").join("bundle");
        let mut files = minimal_bundle();
        files.insert(path, "x");
        // A plain call of the library, as a release build makes it: the check is not a
        // debug assertion.
        match bundle::write(&files, &out, WriteOptions::default()) {
            Err(WriteError::UnsafePath { path: refused }) => assert_eq!(refused, path),
            other => panic!("{path:?} was not refused: {other:?}"),
        }
        assert!(
            entries(dir.path()).is_empty(),
            "{path:?}: nothing may be written, found {:?}",
            entries(dir.path())
        );
    }
}

#[test]
fn a_traversing_object_store_name_with_its_rule_allowed_writes_nothing_outside() {
    // The check refuses the name (spec/value); with that rule allowed in cutover.toml the
    // name reaches render, which refuses it (tools.rs), and the writer would too, whatever
    // the build profile (see the bundle writer's own tests).
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let victim = dir.path().join("victim");
    let example = std::fs::read_to_string("examples/piggymetrics.yaml").unwrap();
    // bundle/tools/ossimport/<name>/local_job.cfg, four levels up: `dir/victim/`.
    let hostile = "    - name: \"../../../../victim\"";
    let spec = work.join("spec.yaml");
    std::fs::write(&spec, example.replacen("    - name: uploads", hostile, 1)).unwrap();
    std::fs::write(
        work.join("cutover.toml"),
        "[rules]\n\"spec/value\" = \"allow\"\n",
    )
    .unwrap();
    let out = work.join("bundle");
    let run = compile_to(arg(&spec), &out);
    let stderr = text(&run.stderr);
    // 2 from render or the writer; 1 since spec/value is locked and its config refused.
    assert!(matches!(run.status.code(), Some(1 | 2)), "{stderr}");
    assert!(
        stderr.contains("not one folder name")
            || stderr.contains("not a plain relative path")
            // spec/value is locked: the config that allows it is refused first.
            || stderr.contains("cannot be allowed or lowered"),
        "{stderr}"
    );
    assert!(!victim.exists(), "nothing is written outside -o");
    assert!(!out.exists(), "nothing is written at all");
    assert_eq!(entries(&work), ["cutover.toml", "spec.yaml"]);
}

#[test]
fn an_unsafe_path_message_escapes_control_characters() {
    let error = WriteError::UnsafePath {
        path: "a\u{1b}]0;owned\u{7}/b".into(),
    };
    let message = error.to_string();
    assert!(
        !message.chars().any(|c| c.is_control()),
        "raw control characters reach the terminal: {message:?}"
    );
    assert!(message.contains("nothing was written"), "{message}");
}

#[test]
fn bundle_paths_of_every_example_are_safe() {
    for spec in common::example_specs(&["yaml", "toml"]) {
        for path in common::compile(&spec).files.paths() {
            assert!(
                bundle::is_safe_relative(path),
                "{}: {path:?} would be refused by the writer",
                spec.display()
            );
        }
    }
}

// --- A run killed between its renames ----------------------------------------------------

/// Leaves the state of a compile of `out` killed between its two renames: the previous
/// bundle moved aside under a dead run's id, `out` missing. Returns the moved-aside path.
fn killed_between_renames(out: &Path) -> PathBuf {
    let run = compile_to(MINIMAL, out);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let retired = out.with_file_name(format!(".bundle.cutover-old-{}", dead_pid()));
    std::fs::rename(out, &retired).unwrap();
    retired
}

#[test]
fn a_run_restores_the_bundle_a_killed_run_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let retired = killed_between_renames(&out);
    let before = bundle::read(&retired).unwrap();

    let run = compile_to("examples/piggymetrics.yaml", &out);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("restored") && stderr.contains(".bundle.cutover-old-"),
        "the user is told: {stderr}"
    );
    // Restored, then replaced as usual by the new bundle: nothing else is left.
    assert_eq!(entries(dir.path()), ["bundle"]);
    let after = bundle::read(&out).unwrap();
    assert_ne!(after, before, "the new bundle is in place");
    assert_eq!(
        after,
        common::compile(Path::new("examples/piggymetrics.yaml")).files
    );
}

#[test]
fn the_bundle_is_restored_even_when_the_new_spec_has_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let retired = killed_between_renames(&out);
    let before = bundle::read(&retired).unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "metadata: {name: x}\n").unwrap();

    let run = compile_to(arg(&broken), &out);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    assert!(
        text(&run.stderr).contains("restored"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(
        bundle::read(&out).unwrap(),
        before,
        "the previous bundle is back"
    );
    assert_eq!(entries(dir.path()), ["broken.yaml", "bundle"]);
}

/// `out` in place, and beside it a bundle moved aside by a run killed after its second
/// rename (a dead run's id). Returns the moved-aside path.
fn killed_after_renames(out: &Path) -> PathBuf {
    let retired = out.with_file_name(format!(".bundle.cutover-old-{}", dead_pid()));
    let scratch = out.with_file_name("scratch");
    for target in [out, &scratch] {
        let run = compile_to(MINIMAL, target);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    }
    std::fs::rename(&scratch, &retired).unwrap();
    retired
}

#[test]
fn a_moved_aside_copy_of_a_replaced_bundle_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    killed_after_renames(&out);
    compiles_and_removes_the_leftovers(dir.path(), &out);
}

#[test]
fn a_moved_aside_copy_with_a_user_file_is_kept_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let copy = killed_after_renames(&out);
    std::fs::write(copy.join("my-notes.md"), "mine").unwrap();
    let edited = copy.join("README.md");
    std::fs::write(&edited, "edited by hand").unwrap();

    let run = compile_to(MINIMAL, &out);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let stderr = text(&run.stderr);
    assert!(stderr.contains("warning: kept"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(copy.join("my-notes.md")).unwrap(),
        "mine"
    );
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), "edited by hand");

    // An edited generated file alone is a user's change too: kept.
    std::fs::remove_file(copy.join("my-notes.md")).unwrap();
    let run = compile_to(MINIMAL, &out);
    assert!(
        text(&run.stderr).contains("warning: kept"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), "edited by hand");
}

#[test]
fn a_compile_killed_at_any_moment_is_put_right_by_the_next_run() {
    let expected = common::compile(Path::new("examples/piggymetrics.yaml")).files;
    // Kill points spread over a whole run, measured here.
    let whole = {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        compile_to("examples/piggymetrics.yaml", &dir.path().join("bundle"));
        started.elapsed().as_millis() as u64
    };
    for delay in (0..12).map(|i| whole * i / 10) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("bundle");
        let run = compile_to(MINIMAL, &out);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
        let mut child = Command::new(env!("CARGO_BIN_EXE_cutover"))
            .args(["compile", "examples/piggymetrics.yaml", "-o", arg(&out)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL, wherever the run is
        let _ = child.wait();
        let run = compile_to("examples/piggymetrics.yaml", &out);
        assert_eq!(
            run.status.code(),
            Some(0),
            "killed after {delay} ms: {}",
            text(&run.stderr)
        );
        assert_eq!(entries(dir.path()), ["bundle"], "killed after {delay} ms");
        assert_eq!(
            bundle::read(&out).unwrap(),
            expected,
            "killed after {delay} ms"
        );
    }
}

// --- Staging folders ------------------------------------------------------------------------

/// A staging folder as a run killed half-way through writing leaves it.
fn half_written(dir: &Path, pid: u32) -> PathBuf {
    let staging = dir.join(format!(".bundle.cutover-new-{pid}"));
    let files = minimal_bundle();
    for (i, (path, content)) in files.iter().enumerate() {
        if i % 2 == 1 {
            continue;
        }
        let target = staging.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, &content[..content.len() / 2]).unwrap();
    }
    staging
}

#[test]
fn a_dead_runs_staging_folder_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    half_written(dir.path(), dead_pid());
    compiles_and_removes_the_leftovers(dir.path(), &out);
}

#[test]
fn a_live_runs_staging_folder_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    // This test process is alive while cutover runs.
    let staging = half_written(dir.path(), std::process::id());
    let before = bundle::read(&staging).unwrap();
    let run = compile_to(MINIMAL, &out);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert!(
        !text(&run.stderr).contains(".cutover-new-"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(bundle::read(&staging).unwrap(), before);
}

#[test]
fn a_dead_runs_staging_folder_with_a_user_file_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let staging = half_written(dir.path(), dead_pid());
    std::fs::write(staging.join("my notes.txt"), "mine").unwrap();
    let run = compile_to(MINIMAL, &out);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert!(
        text(&run.stderr).contains("warning: kept"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(staging.join("my notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn folders_of_other_outputs_are_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let pid = dead_pid();
    // Another output's leftovers, and names that only look like ours.
    for name in [
        format!(".bundle-2.cutover-old-{pid}"),
        format!(".bundle.cutover-old-{pid}x"),
        ".bundle.cutover-old-".to_string(),
        format!("bundle.cutover-new-{pid}"),
    ] {
        std::fs::create_dir(dir.path().join(&name)).unwrap();
    }
    let run = compile_to(MINIMAL, &out);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert_eq!(entries(dir.path()).len(), 5, "{:?}", entries(dir.path()));
}

// --- FIFOs and other special files ------------------------------------------------------

fn assert_refused(run: &Output, what: &str) {
    let stderr = text(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(what),
        "the message names {what:?}: {stderr}"
    );
}

#[test]
fn a_fifo_as_the_spec_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.yaml");
    mkfifo(&spec);
    let out = dir.path().join("bundle");
    assert_refused(&compile_to(arg(&spec), &out), "FIFO");
    assert_refused(&cutover(&["check", arg(&spec)]), "FIFO");
    assert_refused(&cutover(&["diff", arg(&spec), MINIMAL]), "FIFO");
    assert_refused(&cutover(&["verify", arg(&spec), arg(&out)]), "FIFO");
    assert!(!out.exists());
}

#[test]
fn a_fifo_as_the_rule_levels_file_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("levels.toml");
    mkfifo(&config);
    assert_refused(
        &cutover(&["check", MINIMAL, "--config", arg(&config)]),
        "FIFO",
    );
    // Beside the spec, a cutover.toml that is not a regular file is not read at all.
    let spec = dir.path().join("spec.yaml");
    std::fs::copy(MINIMAL, &spec).unwrap();
    mkfifo(&dir.path().join("cutover.toml"));
    let run = cutover(&["check", arg(&spec)]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
}

#[test]
fn a_fifo_as_a_template_override_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    mkfifo(&templates.join("runbook.md.j2"));
    let out = dir.path().join("bundle");
    let run = cutover(&[
        "compile",
        MINIMAL,
        "-o",
        arg(&out),
        "--templates",
        arg(&templates),
    ]);
    assert_refused(&run, "FIFO");
    assert!(!out.exists());
}

/// `bundle` and `other`, both compiled from the minimal example.
fn two_minimal_bundles(dir: &tempfile::TempDir) -> (PathBuf, PathBuf) {
    let out = dir.path().join("bundle");
    let other = dir.path().join("other");
    for target in [&out, &other] {
        let run = compile_to(MINIMAL, target);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    }
    (out, other)
}

#[test]
fn a_fifo_named_like_a_bundle_file_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (out, other) = two_minimal_bundles(&dir);
    for file in ["README.md", "index.json"] {
        let path = out.join(file);
        let saved = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        mkfifo(&path);
        assert_refused(&cutover(&["verify", MINIMAL, arg(&out)]), "FIFO");
        assert_refused(&cutover(&["diff", arg(&out), arg(&other)]), "FIFO");
        assert_refused(&cutover(&["diff", arg(&other), arg(&out)]), "FIFO");
        assert_refused(&cutover(&["diff", MINIMAL, arg(&out)]), "FIFO");
        assert_refused(&compile_to(MINIMAL, &out), "FIFO");
        // The FIFO is the user's: it is still there.
        assert!(
            std::fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_fifo()
        );
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, saved).unwrap();
    }
}

#[test]
fn a_socket_where_a_bundle_file_should_be_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let run = compile_to(MINIMAL, &out);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let _socket = std::os::unix::net::UnixListener::bind(out.join("reports/x.sock")).unwrap();
    assert_refused(&cutover(&["verify", MINIMAL, arg(&out)]), "socket");
    assert_refused(&compile_to(MINIMAL, &out), "socket");
}

#[test]
fn a_device_as_the_spec_is_refused() {
    // A link to a device: the link is followed (the user named it), the device refused.
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.yaml");
    std::os::unix::fs::symlink("/dev/zero", &spec).unwrap();
    assert_refused(&cutover(&["check", arg(&spec)]), "character device");
}

// --- Symbolic links ----------------------------------------------------------------------

#[test]
fn verify_and_diff_never_follow_a_link_out_of_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let (out, other) = two_minimal_bundles(&dir);
    // The link points at a file outside with exactly the right bytes: following it would
    // make the bundle look current.
    let outside = dir.path().join("outside.md");
    std::fs::copy(out.join("README.md"), &outside).unwrap();
    std::fs::remove_file(out.join("README.md")).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("README.md")).unwrap();
    assert_refused(&cutover(&["verify", MINIMAL, arg(&out)]), "symbolic link");
    assert_refused(&cutover(&["diff", arg(&out), arg(&other)]), "symbolic link");
    assert_refused(&cutover(&["diff", MINIMAL, arg(&out)]), "symbolic link");
    // Nor replaced: the link is the user's.
    assert_refused(&compile_to(MINIMAL, &out), "symbolic link");
    assert!(
        std::fs::symlink_metadata(out.join("README.md"))
            .unwrap()
            .is_symlink()
    );
    assert!(matches!(
        bundle::read(&out),
        Err(WriteError::NotRegular {
            kind: "a symbolic link",
            ..
        })
    ));
}

#[test]
fn a_linked_folder_inside_a_bundle_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let run = compile_to(MINIMAL, &out);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let elsewhere = dir.path().join("elsewhere");
    std::fs::rename(out.join("reports"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("reports")).unwrap();
    assert_refused(&cutover(&["verify", MINIMAL, arg(&out)]), "symbolic link");
}

// --- diff of two directories -------------------------------------------------------------

#[test]
fn reading_only_the_differences_gives_the_same_diff() {
    let dir = tempfile::tempdir().unwrap();
    let specs = common::example_specs(&["yaml"]);
    let mut bundles = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let out = dir.path().join(format!("b{i}"));
        bundle::write(&common::compile(spec).files, &out, WriteOptions::default()).unwrap();
        bundles.push(out);
    }
    let json = |diff: &cutover::diff::Diff| serde_json::to_string(diff).unwrap();
    for a in &bundles {
        for b in &bundles {
            let whole = cutover::diff::diff(&bundle::read(a).unwrap(), &bundle::read(b).unwrap());
            let (old, new) = cutover::diff::load_sides(a, b, &Default::default()).unwrap();
            assert_eq!(
                json(&cutover::diff::compare_sides(&old, &new)),
                json(&whole)
            );
            if a == b {
                assert!(
                    old.is_empty() && new.is_empty(),
                    "identical files are dropped"
                );
            }
        }
    }
}

#[test]
fn empty_folders_a_user_made_are_never_replaced() {
    // Only empty folders: the directory is not empty, and it is not a bundle.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join(".git/refs")).unwrap();
    std::fs::create_dir_all(out.join("mnt/data")).unwrap();
    let run = compile_to("examples/minimal.yaml", &out);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run.stderr));
    assert!(out.join(".git/refs").is_dir() && out.join("mnt/data").is_dir());

    // An empty folder added to a bundle is the user's too: the bundle is not replaced.
    let bundle = dir.path().join("bundle");
    assert!(
        compile_to("examples/minimal.yaml", &bundle)
            .status
            .success()
    );
    std::fs::create_dir_all(bundle.join("notes/drafts")).unwrap();
    let run = compile_to("examples/minimal.yaml", &bundle);
    let stderr = text(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("notes/"), "{stderr}");
    assert!(bundle.join("notes/drafts").is_dir());
}
