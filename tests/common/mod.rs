//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use cutover::diagnostic::{self, Diagnostic};
use cutover::{Failure, Options};

/// Runs `f` with insta writing snapshots to the repository's `snapshots/` folder.
pub fn snapshots<F: FnOnce()>(f: F) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(f);
}

/// Runs `f` with insta naming its snapshot `<name>@<suffix>`, or `<name>` alone, and writing
/// no input file into the header: inside `insta::glob!`, which would name it after the whole
/// file name and record the input file, the snapshots pinned before glob! keep their names
/// and bytes.
pub fn pinned<F: FnOnce()>(suffix: Option<&str>, f: F) {
    let mut settings = insta::Settings::clone_current();
    match suffix {
        Some(suffix) => settings.set_snapshot_suffix(suffix),
        None => settings.remove_snapshot_suffix(),
    }
    settings.remove_input_file();
    settings.bind(f);
}

/// A path `insta::glob!` hands over (absolute) as the repository-relative one that
/// diagnostics and snapshots show (`tests/fixtures/err/…`).
pub fn relative(path: &Path) -> &Path {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    path.strip_prefix(&root).unwrap_or(path)
}

/// Every file under `dir` whose name ends with `suffix` (`""` for all), sorted, recursively.
pub fn files_under(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    let mut files = Vec::new();
    for path in entries {
        if path.is_dir() {
            files.extend(files_under(&path, suffix));
        } else if path.to_string_lossy().ends_with(suffix) {
            files.push(path);
        }
    }
    files
}

/// The example specs with one of `extensions`, sorted.
pub fn example_specs(extensions: &[&str]) -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
        })
        .collect();
    specs.sort();
    specs
}

/// The fixture files of a folder under `tests/fixtures/`, sorted, without config files.
pub fn fixtures(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new("tests/fixtures").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            p.is_file() && !name.ends_with(".cutover.toml")
        })
        .collect();
    files.sort();
    files
}

/// The rule id a fixture is named after: `network__pod-overlap@route.yaml` → `network/pod-overlap`.
pub fn rule_of(path: &Path) -> String {
    let stem = path.file_name().unwrap().to_string_lossy();
    let stem = stem.split('.').next().unwrap();
    let stem = stem.split('@').next().unwrap();
    stem.replace("__", "/")
}

/// The options a fixture runs with: its `<stem>.cutover.toml` beside it, if any.
pub fn options_for(path: &Path) -> Options {
    let stem = path.file_stem().unwrap().to_string_lossy();
    let config = path.with_file_name(format!("{stem}.cutover.toml"));
    Options {
        config: config.is_file().then_some(config),
        templates: None,
    }
}

/// Every diagnostic a spec produces (errors and warnings), whether or not it compiles.
pub fn diagnostics(path: &Path, options: &Options) -> Vec<Diagnostic> {
    match cutover::check_file(path, options) {
        Ok(checked) => checked.diagnostics,
        Err(Failure::Spec(d)) => d,
        Err(Failure::Io(m)) => panic!("{}: {m}", path.display()),
    }
}

/// Diagnostics as people see them, without color, at width 80.
pub fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostic::render_human(diagnostics, false, 80)
}

/// How the tests read back the YAML a bundle holds, with a reader that is not cutover's own
/// loader: YAML 1.2 like the emitter (`yes` and `on` are strings, `<<` is an ordinary key),
/// and no size budget, as the input is our own output.
fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        merge_keys: serde_saphyr::MergeKeyPolicy::AsOrdinary,
        budget: None,
    }
}

/// One YAML document as plain data; panics (the test fails) when it does not parse.
pub fn yaml(bytes: &[u8]) -> serde_json::Value {
    serde_saphyr::from_slice_with_options(bytes, yaml_options())
        .unwrap_or_else(|e| panic!("not YAML: {e}\n{}", String::from_utf8_lossy(bytes)))
}

/// Every document of a YAML stream, as plain data.
pub fn yaml_documents(bytes: &[u8]) -> Result<Vec<serde_json::Value>, serde_saphyr::Error> {
    serde_saphyr::from_slice_multiple_with_options(bytes, yaml_options())
}

/// A compiled bundle as one text: each file under a header, in path order.
pub fn bundle_text(files: &cutover::bundle::Files) -> String {
    let mut out = String::new();
    for (path, content) in files.iter() {
        out.push_str(&format!("=== {path} ===\n"));
        out.push_str(&String::from_utf8_lossy(content));
        if !content.ends_with(b"\n") {
            out.push_str("\n[no final newline]\n");
        }
    }
    out
}

/// Compiles a spec that must compile.
pub fn compile(path: &Path) -> cutover::Compiled {
    match cutover::compile_file(path, &Options::default()) {
        Ok(compiled) => compiled,
        Err(Failure::Spec(d)) => panic!("{} does not compile:\n{}", path.display(), render(&d)),
        Err(Failure::Io(m)) => panic!("{}: {m}", path.display()),
    }
}

/// The plan of a loaded spec, with its sizing derived as the pipeline derives it (once).
pub fn plan(spec: &cutover::model::Spec) -> cutover::plan::Plan {
    cutover::plan::build(spec, &cutover::model::sizing::derive(spec))
}

/// A spec text written to a temporary file with the given extension.
pub fn temp_spec(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The CLI output snapshots `tests/review.rs` pins (the unreferenced-snapshot check reads this).
pub const CLI_SNAPSHOTS: &[&str] = &[
    "cli@diff-text",
    "cli@diff-brief",
    "cli@diff-markdown",
    "cli@diff-json",
    "cli@diff-equal",
    "cli@verify-ok",
    "cli@verify-stale",
    "cli@check-sarif",
    "cli@import-compose-spec",
    "cli@import-compose-warnings",
    "cli@plan-piggymetrics",
];

/// Runs the cutover binary; returns (exit code, stdout, stderr) with temporary paths
/// replaced by `[TMP]`.
pub fn run(args: &[&str], tmp: Option<&std::path::Path>) -> (i32, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .output()
        .expect("run cutover");
    let clean = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        match tmp {
            Some(dir) => text.replace(&dir.display().to_string(), "[TMP]"),
            None => text,
        }
    };
    (
        output.status.code().unwrap_or(-1),
        clean(&output.stdout),
        clean(&output.stderr),
    )
}

/// The upper-case variables a line reads (`$NAME`, `${NAME…}`), outside single quotes and
/// comments: a scanner of the test's own, not the runbook builder's.
pub fn shell_reads(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let (mut single, mut double, mut i) = (false, false, 0);
    let mut names = Vec::new();
    while i < chars.len() {
        match chars[i] {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '\\' if !single => i += 1,
            '#' if !single && !double && (i == 0 || chars[i - 1] == ' ') => break,
            '$' if !single => {
                let start = i + 1 + usize::from(chars.get(i + 1) == Some(&'{'));
                let name: String = chars[start.min(chars.len())..]
                    .iter()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == '_')
                    .collect();
                if !name.is_empty() {
                    names.push(name);
                }
            }
            _ => {}
        }
        i += 1;
    }
    names
}
