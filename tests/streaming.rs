//! The streaming pipeline: a bundle written a file at a time is exactly the bundle compiled
//! in memory; `verify` compares as it renders and, asked for an exit code only, stops at the
//! first difference; a `diff` of specs (digests first, then only the differing files) is the
//! diff of their bundles; and a write that fails part-way leaves nothing behind.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cutover::bundle::{self, WriteError, WriteOptions};
use cutover::diff::{self, Status};
use cutover::{Failure, Options};

fn cutover(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cutover")
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Every example, compiled by the command line (streamed into its folder).
fn compile_to(spec: &Path, out: &Path) {
    let run = cutover(&["compile", arg(spec), "-o", arg(out), "-q"]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

fn compiled_examples(dir: &Path) -> Vec<(PathBuf, PathBuf)> {
    common::example_specs(&["yaml"])
        .into_iter()
        .map(|spec| {
            let out = dir.join(spec.file_stem().unwrap());
            compile_to(&spec, &out);
            (spec, out)
        })
        .collect()
}

/// The diff of two bundles read whole, once each of the four ways of giving the sides
/// (specs, folders, one of each) is shown to read the same; the diff of a spec with itself
/// keeps nothing.
fn diff_every_way(specs: [&Path; 2], dirs: [&Path; 2]) -> diff::Diff {
    let json = |d: &diff::Diff| serde_json::to_string(d).unwrap();
    let whole = diff::diff(
        &bundle::read(dirs[0]).unwrap(),
        &bundle::read(dirs[1]).unwrap(),
    );
    for (a, b) in [
        (specs[0], specs[1]),
        (specs[0], dirs[1]),
        (dirs[0], specs[1]),
        (dirs[0], dirs[1]),
    ] {
        let (old, new) = diff::load_sides(a, b, &Options::default()).unwrap();
        assert_eq!(
            json(&diff::compare_sides(&old, &new)),
            json(&whole),
            "{} {}",
            a.display(),
            b.display()
        );
        if specs[0] == specs[1] {
            assert!(old.is_empty() && new.is_empty(), "nothing is kept");
        }
    }
    whole
}

#[test]
fn a_bundle_written_a_file_at_a_time_is_the_bundle_compiled_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    for (spec, out) in compiled_examples(dir.path()) {
        let streamed = bundle::read(&out).unwrap();
        let in_memory = common::compile(&spec).files;
        let paths = |files: &bundle::Files| files.paths().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(paths(&streamed), paths(&in_memory), "{}", spec.display());
        for (path, content) in in_memory.iter() {
            assert!(
                streamed.get(path) == Some(content),
                "{}: {path}",
                spec.display()
            );
        }
        // The index lists every other file with the digest of the bytes on disk.
        let index: serde_json::Value =
            serde_json::from_slice(streamed.get("index.json").unwrap()).unwrap();
        let listed = index["files"].as_array().unwrap();
        assert_eq!(listed.len(), streamed.len() - 1);
        for entry in listed {
            let path = entry["path"].as_str().unwrap();
            let bytes = streamed.get(path).unwrap();
            assert_eq!(entry["sha256"], bundle::sha256_hex(bytes), "{path}");
            assert_eq!(entry["bytes"], bytes.len(), "{path}");
        }
    }
}

#[test]
fn a_diff_of_specs_is_the_diff_of_their_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let examples = compiled_examples(dir.path());
    // Each example against itself and against the next one (the pairs cover every
    // strategy).
    for (i, (spec_a, dir_a)) in examples.iter().enumerate() {
        for (spec_b, dir_b) in [&examples[i], &examples[(i + 1) % examples.len()]] {
            diff_every_way([spec_a, spec_b], [dir_a, dir_b]);
        }
    }
}

/// A spec change that adds objects to folders and leaves every object already there as it
/// was (a service added to the only wave): only those folders' kustomizations change, and
/// the last pass of a spec diff, which renders none of the unchanged objects, must still
/// write them (they read as changed, not as added).
#[test]
fn a_folder_whose_objects_are_all_unchanged_keeps_its_kustomization() {
    let dir = tempfile::tempdir().unwrap();
    let specs = [
        Path::new("examples/minimal.yaml"),
        Path::new("tests/fixtures/diff/minimal-plus-api.yaml"),
    ];
    let dirs = [dir.path().join("a"), dir.path().join("b")];
    for (spec, out) in specs.iter().zip(&dirs) {
        compile_to(spec, out);
    }
    let whole = diff_every_way(specs, [&dirs[0], &dirs[1]]);
    assert!(
        whole.files.contains(&(
            Status::Changed,
            "manifests/04-deploy/kustomization.yaml".into()
        )),
        "{:?}",
        whole.files
    );
}

/// piggymetrics' bundle with one file changed, one removed, one added, and a folder where a
/// file should be.
fn stale_bundle(dir: &Path) -> (PathBuf, PathBuf) {
    let spec = PathBuf::from("examples/piggymetrics.yaml");
    let out = dir.join("piggymetrics");
    let run = cutover(&["compile", arg(&spec), "-o", arg(&out), "-q"]);
    assert_eq!(run.status.code(), Some(0));
    std::fs::write(out.join("README.md"), "edited by hand\n").unwrap();
    std::fs::remove_file(out.join("reports/sizing.md")).unwrap();
    std::fs::write(out.join("notes.txt"), "mine\n").unwrap();
    // A folder where a file should be: the file is missing, the folder's file is extra.
    let prepare = out.join("runbooks/01-prepare.md");
    std::fs::remove_file(&prepare).unwrap();
    std::fs::create_dir(&prepare).unwrap();
    std::fs::write(prepare.join("inside.md"), "x\n").unwrap();
    (spec, out)
}

#[test]
fn verify_names_every_stale_file_and_stops_at_the_first_when_only_the_code_is_wanted() {
    let dir = tempfile::tempdir().unwrap();
    let (spec, out) = stale_bundle(dir.path());
    let options = Options::default();
    let all = diff::verify(&spec, &out, &options, false).unwrap();
    assert_eq!(
        all.stale,
        [
            (Status::Changed, "README.md".to_string()),
            (Status::Added, "notes.txt".to_string()),
            (Status::Removed, "reports/sizing.md".to_string()),
            (Status::Removed, "runbooks/01-prepare.md".to_string()),
            (
                Status::Added,
                "runbooks/01-prepare.md/inside.md".to_string()
            ),
        ]
    );
    let first = diff::verify(&spec, &out, &options, true).unwrap();
    assert_eq!(first.stale.len(), 1, "{:?}", first.stale);
    assert!(all.stale.contains(&first.stale[0]));

    let listed = cutover(&["verify", arg(&spec), arg(&out)]);
    assert_eq!(listed.status.code(), Some(3));
    let text = String::from_utf8_lossy(&listed.stdout);
    for line in [
        "  README.md: differs",
        "  notes.txt: not generated by the spec",
        "  reports/sizing.md: missing",
    ] {
        assert!(text.contains(line), "{text}");
    }
    let quiet = cutover(&["verify", arg(&spec), arg(&out), "--quiet"]);
    assert_eq!(
        (
            quiet.status.code(),
            quiet.stdout.is_empty(),
            quiet.stderr.is_empty()
        ),
        (Some(3), true, true)
    );
    // A current bundle: 0, and nothing printed under --quiet.
    let fresh = dir.path().join("fresh");
    cutover(&["compile", arg(&spec), "-o", arg(&fresh), "-q"]);
    let current = cutover(&["verify", arg(&spec), arg(&fresh), "-q"]);
    assert_eq!((current.status.code(), current.stdout.len()), (Some(0), 0));
}

#[test]
fn verify_of_a_spec_with_errors_or_a_missing_bundle_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    match diff::verify(
        Path::new("examples/minimal.yaml"),
        &missing,
        &Options::default(),
        false,
    ) {
        Err(Failure::Io(message)) => assert!(message.contains("nowhere"), "{message}"),
        _ => panic!("a missing bundle is an I/O failure"),
    }
}

/// Where a failed streaming write may have left something: the output and its siblings.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_streaming_write_that_fails_part_way_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let options = WriteOptions::default();

    // The same path twice: a bug upstream, never a silent overwrite.
    let twice = bundle::write_streaming(&out, options, |files| {
        files.insert("manifests/a/x.yaml", "one\n");
        files.insert("manifests/a/x.yaml", "two\n");
        Ok(())
    });
    assert!(matches!(twice, Err(WriteError::Io { .. })), "{twice:?}");
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );

    // A path that leaves the bundle.
    let unsafe_path = bundle::write_streaming(&out, options, |files| {
        files.insert("ok.txt", "fine\n");
        files.insert("../escaped.txt", "no\n");
        Ok(())
    });
    assert!(
        matches!(&unsafe_path, Err(WriteError::UnsafePath { path }) if path == "../escaped.txt"),
        "{unsafe_path:?}"
    );
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );

    // The render failing after some files.
    let failed = bundle::write_streaming(&out, options, |files| {
        files.insert("plan.json", "{}\n");
        Err("template runbook.md.j2: boom".to_string())
    });
    assert!(
        matches!(&failed, Err(WriteError::Render(m)) if m.contains("boom")),
        "{failed:?}"
    );
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );

    // And one that works writes exactly its files.
    let written = bundle::write_streaming(&out, options, |files| {
        files.insert("a/b.txt", "b\n");
        files.insert_with("c.json", |w| w.write_all(b"[1]\n"));
        Ok(())
    })
    .unwrap();
    assert_eq!(written.files, 2);
    assert_eq!(
        std::fs::read_to_string(out.join("c.json")).unwrap(),
        "[1]\n"
    );
    assert_eq!(leftovers(dir.path()), ["bundle"]);
}

#[test]
fn a_failed_streaming_write_keeps_the_previous_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let spec = Path::new("examples/minimal.yaml");
    let run = cutover(&["compile", arg(spec), "-o", arg(&out), "-q"]);
    assert_eq!(run.status.code(), Some(0));
    let before = bundle::read(&out).unwrap();
    let failed = bundle::write_streaming(&out, WriteOptions::default(), |files| {
        files.insert("README.md", "half\n");
        Err("stopped".to_string())
    });
    assert!(failed.is_err());
    assert_eq!(bundle::read(&out).unwrap(), before);
    assert_eq!(leftovers(dir.path()), ["bundle"]);
}
