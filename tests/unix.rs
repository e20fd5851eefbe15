//! The command line as a Unix tool meets its pipes and terminals: a reader that goes away
//! ends the run as SIGPIPE ends a C tool (quietly, status 141 in a shell, never a panic), a
//! write that fails otherwise is an I/O failure, and colour follows the terminal,
//! `NO_COLOR` and `--color`.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

const RUNS: usize = 20;

/// The commands whose output a pipeline reads, with enough output to matter.
const PRINTERS: &[&[&str]] = &[
    &["explain"],
    &["schema"],
    &["plan", "examples/piggymetrics.yaml"],
    &["check", "--format", "json", "examples/piggymetrics.yaml"],
    &[
        "diff",
        "examples/minimal.yaml",
        "examples/piggymetrics.yaml",
    ],
];

fn cutover(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cutover"));
    command
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("COLUMNS", "80")
        .stdin(Stdio::null());
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The status of a process that SIGPIPE ended, as `ExitStatus` shows it.
fn killed_by_sigpipe(status: ExitStatus) -> bool {
    status.signal() == Some(libc::SIGPIPE) && status.code().is_none()
}

/// A pipe whose reader is gone before the command starts: its first write meets EPIPE.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    writer
}

/// What a run prints on stderr when nothing stops it (`plan`'s warnings, say).
fn usual_stderr(args: &[&str]) -> String {
    text(&cutover(args).output().expect("run cutover").stderr)
}

#[test]
fn a_reader_gone_before_the_first_write_ends_the_run_as_sigpipe_does() {
    for args in PRINTERS {
        let usual = usual_stderr(args);
        for run in 0..RUNS {
            let output = cutover(args)
                .stdout(closed_pipe())
                .stderr(Stdio::piped())
                .output()
                .expect("run cutover");
            assert!(
                killed_by_sigpipe(output.status),
                "{args:?} run {run}: {:?}, stderr: {}",
                output.status,
                text(&output.stderr)
            );
            assert_eq!(
                text(&output.stderr),
                usual,
                "{args:?} run {run}: no panic, nothing but the usual"
            );
        }
    }
}

#[test]
fn a_reader_that_leaves_after_one_line_never_sees_a_panic() {
    for args in PRINTERS {
        let expected = cutover(args).output().expect("run cutover");
        let first = text(&expected.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let usual = text(&expected.stderr);
        for run in 0..RUNS {
            let mut child = cutover(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run cutover");
            let mut line = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            // The reader is dropped here: the pipe's only reader is gone.
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            let status = child.wait().unwrap();
            assert_eq!(line.trim_end(), first, "{args:?} run {run}");
            assert_eq!(
                stderr, usual,
                "{args:?} run {run}: no panic, nothing but the usual"
            );
            // All of the output fitted in the pipe before the reader left (the process ran
            // to its end), or a write met the closed pipe: nothing else.
            assert!(
                status.code() == expected.status.code() || killed_by_sigpipe(status),
                "{args:?} run {run}: {status:?}"
            );
            assert_ne!(status.code(), Some(101), "{args:?} run {run}: a panic");
        }
    }
}

/// `sh -c SCRIPT` with `$CUTOVER` set to the binary: (status, stdout, stderr).
fn shell(shell: &str, script: &str) -> (Option<i32>, String, String) {
    let output = Command::new(shell)
        .args(["-c", script])
        .env("CUTOVER", env!("CARGO_BIN_EXE_cutover"))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("COLUMNS", "80")
        .output()
        .expect("run the shell");
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

#[test]
fn explain_piped_to_head_exits_zero_every_time() {
    for run in 0..RUNS {
        let (status, stdout, stderr) = shell("sh", r#""$CUTOVER" explain | head -1"#);
        assert_eq!(status, Some(0), "run {run}: {stderr}");
        assert_eq!(stdout.lines().count(), 1, "run {run}: {stdout}");
        assert!(stdout.starts_with("spec/"), "run {run}: {stdout}");
        assert!(stderr.is_empty(), "run {run}: {stderr}");
    }
}

#[test]
fn under_pipefail_a_closed_pipe_is_141_as_for_a_c_tool() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("bash is not installed: skipped");
        return;
    }
    // The reader closes its end, then lets the writer start (through a FIFO): the writer's
    // first write meets the closed pipe, whatever the timing.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("go");
    let pipeline = |writer: &str| {
        format!(
            "set -o pipefail; mkfifo {fifo}; {{ read -r _ < {fifo}; exec {writer}; }} | {{ exec 0<&-; echo > {fifo}; }}; echo \"status $?\"; rm {fifo}",
            fifo = fifo.display()
        )
    };
    let (_, c_tool, _) = shell("bash", &pipeline("yes"));
    assert_eq!(c_tool.trim(), "status 141", "yes, a C tool");
    for args in PRINTERS {
        let usual = usual_stderr(args);
        for run in 0..5 {
            let writer = format!("\"$CUTOVER\" {}", args.join(" "));
            let (_, stdout, stderr) = shell("bash", &pipeline(&writer));
            assert_eq!(stdout.trim(), "status 141", "{args:?} run {run}: {stderr}");
            assert_eq!(stderr, usual, "{args:?} run {run}");
        }
    }
}

#[test]
fn a_closed_stderr_ends_the_run_too() {
    let output = cutover(&["check", "tests/fixtures/err/network__pod-overlap.yaml"])
        .stdout(Stdio::null())
        .stderr(closed_pipe())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "check prints on stdout");
    let output = cutover(&["plan", "tests/fixtures/err/network__pod-overlap.yaml"])
        .stdout(Stdio::piped())
        .stderr(closed_pipe())
        .output()
        .unwrap();
    assert!(killed_by_sigpipe(output.status), "{:?}", output.status);
    assert!(output.stdout.is_empty());
}

/// A spec that compiles with one warning.
fn spec_with_a_warning(dir: &Path) -> std::path::PathBuf {
    let spec = std::fs::read_to_string("examples/minimal.yaml")
        .unwrap()
        .replace("replicas: 3", "replicas: 1");
    let path = dir.join("one.yaml");
    std::fs::write(&path, spec).unwrap();
    path
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_closed_pipe_leaves_a_bundle_whole_or_absent() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_with_a_warning(dir.path());
    let out = dir.path().join("bundle");
    let arg = |p: &Path| p.to_str().unwrap().to_string();

    // The warning goes to stderr before the bundle is written: a closed stderr stops the
    // run there, and nothing is written.
    let output = cutover(&["compile", &arg(&spec), "-o", &arg(&out)])
        .stdout(Stdio::null())
        .stderr(closed_pipe())
        .output()
        .unwrap();
    assert!(killed_by_sigpipe(output.status), "{:?}", output.status);
    assert_eq!(entries(dir.path()), ["one.yaml"], "no bundle, no leftovers");

    // The summary goes to stdout after the bundle is in place: a closed stdout stops the run
    // there, with the whole bundle written.
    let output = cutover(&["compile", &arg(&spec), "-o", &arg(&out)])
        .stdout(closed_pipe())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(killed_by_sigpipe(output.status), "{:?}", output.status);
    assert_eq!(entries(dir.path()), ["bundle", "one.yaml"]);
    let verify = cutover(&["verify", &arg(&spec), &arg(&out)])
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "the bundle is whole: {}",
        text(&verify.stdout)
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_behind_stdout_is_an_io_failure() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = cutover(&["explain"])
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot write to standard output:"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Runs cutover with its stdout and stderr on a pseudo-terminal: (status, what it showed).
fn on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two new descriptors into the integers it is given; the null
    // pointers ask for no name, settings or size.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "openpty");
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut command = cutover(args);
    // The run's own colour settings must not leak in: a CI runner may set CLICOLOR_FORCE,
    // NO_COLOR or CI, which would decide every case below before the case's own variables.
    for inherited in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "CI", "TERM"] {
        command.env_remove(inherited);
    }
    command
        .env("TERM", "xterm-256color")
        .stdout(slave.try_clone().unwrap())
        .stderr(slave);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    drop(command);
    let mut shown = Vec::new();
    let mut master = std::fs::File::from(master);
    // Reading ends with EIO once the child, the slave's last holder, has exited.
    let _ = master.read_to_end(&mut shown);
    let status = child.wait().unwrap();
    (status.code(), text(&shown))
}

/// Flags, environment, whether the output is coloured.
type Case = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    bool,
);

#[test]
fn colour_follows_the_terminal_no_color_and_the_flag() {
    let fixture = "tests/fixtures/err/network__pod-overlap.yaml";
    let escape = "\u{1b}[";
    let cases: &[Case] = &[
        (&[], &[], true),
        (&[], &[("NO_COLOR", "1")], false),
        // no-color.org: an empty NO_COLOR is as good as none.
        (&[], &[("NO_COLOR", "")], true),
        (&[], &[("TERM", "dumb")], false),
        // anstream colours a CI runner's terminal whatever TERM says.
        (&[], &[("TERM", "dumb"), ("CI", "true")], true),
        (&[], &[("CLICOLOR", "0")], false),
        (&["--color", "never"], &[], false),
        (&["--color", "always"], &[("NO_COLOR", "1")], true),
    ];
    for (flags, env, colour) in cases {
        let mut args = vec!["check", fixture];
        args.extend_from_slice(flags);
        let (status, shown) = on_a_terminal(&args, env);
        assert_eq!(status, Some(1), "{flags:?} {env:?}: {shown}");
        assert!(shown.contains("network/pod-overlap"), "{shown}");
        assert_eq!(
            shown.contains(escape),
            *colour,
            "{flags:?} {env:?}: {shown}"
        );
    }
}
