//! Every example compiles to a bundle, pinned by snapshot; bundles are deterministic and do
//! not depend on the spec's file format.

mod common;

use std::path::Path;

use cutover::bundle::{self, WriteOptions};

#[test]
fn every_example_compiles_to_its_pinned_bundle() {
    let mut specs = 0;
    common::snapshots(|| {
        insta::glob!("../examples", "*.{yaml,yml,toml}", |spec| {
            specs += 1;
            let compiled = common::compile(common::relative(spec));
            let stem = spec.file_stem().unwrap().to_string_lossy();
            common::pinned(Some(&stem), || {
                insta::assert_snapshot!("bundle", common::bundle_text(&compiled.files));
            });
        });
    });
    assert!(specs >= 2, "examples/ holds the sketch and a minimal spec");
}

/// The flagship example is the spec sketch, with lines added and none changed or dropped: every
/// sketch field keeps working as written, and the example may add what the sketch lacks (the
/// editor's schema line, a route for a record that moves).
#[test]
fn the_piggymetrics_example_is_the_spec_sketch_with_lines_added() {
    let sketch = Path::new("../shared/brief/spec-sketch.yaml");
    if !sketch.is_file() {
        return;
    }
    let sketch = std::fs::read_to_string(sketch).unwrap();
    let example = std::fs::read_to_string("examples/piggymetrics.yaml").unwrap();
    let mut example_lines = example.lines();
    for (number, line) in sketch.lines().enumerate() {
        assert!(
            example_lines.any(|l| l == line),
            "line {} of the sketch is missing from examples/piggymetrics.yaml, or out of order: {line}",
            number + 1
        );
    }
}

/// Every example compiles without a warning, except the ones its own comments expect
/// (`# Expected warning RULE: why`), and every expected warning still comes.
#[test]
fn examples_warn_only_where_their_comments_expect_it() {
    for spec in common::example_specs(&["yaml", "yml", "toml"]) {
        let text = std::fs::read_to_string(&spec).unwrap();
        let expected: std::collections::BTreeSet<String> = text
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("# Expected warning "))
            .filter_map(|rest| rest.split_once(':'))
            .map(|(rule, why)| {
                assert!(
                    !why.trim().is_empty(),
                    "{}: {rule} expected without a reason",
                    spec.display()
                );
                rule.trim().to_string()
            })
            .collect();
        let warned: std::collections::BTreeSet<String> = common::compile(&spec)
            .warnings
            .iter()
            .map(|w| w.rule.to_string())
            .collect();
        assert_eq!(
            warned,
            expected,
            "{}: the warnings it gives, and the ones its comments expect",
            spec.display()
        );
    }
}

#[test]
fn two_runs_write_byte_identical_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let spec = Path::new("examples/piggymetrics.yaml");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    bundle::write(&common::compile(spec).files, &a, WriteOptions::default()).unwrap();
    bundle::write(&common::compile(spec).files, &b, WriteOptions::default()).unwrap();
    let (a, b) = (bundle::read(&a).unwrap(), bundle::read(&b).unwrap());
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn the_toml_rendering_compiles_to_the_same_bundle() {
    let yaml = common::compile(Path::new("examples/piggymetrics.yaml"));
    let toml = common::compile(Path::new("tests/fixtures/toml/piggymetrics.toml"));
    assert_eq!(
        common::bundle_text(&yaml.files),
        common::bundle_text(&toml.files)
    );
}

#[test]
fn the_index_lists_every_file_with_its_digest() {
    let compiled = common::compile(Path::new("examples/piggymetrics.yaml"));
    let index: bundle::Index =
        serde_json::from_slice(compiled.files.get("index.json").unwrap()).unwrap();
    let listed: Vec<&str> = index.files.iter().map(|e| e.path.as_str()).collect();
    let present: Vec<&str> = compiled
        .files
        .paths()
        .filter(|p| *p != "index.json")
        .collect();
    assert_eq!(listed, present);
    for entry in &index.files {
        let content = compiled.files.get(&entry.path).unwrap();
        assert_eq!(entry.sha256, bundle::sha256_hex(content));
        assert_eq!(entry.bytes, content.len() as u64);
    }
}

fn sizing_report(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let spec = common::temp_spec(&dir, "spec.yaml", text);
    let compiled = common::compile(&spec);
    String::from_utf8(compiled.files.get("reports/sizing.md").unwrap().to_vec()).unwrap()
}

#[test]
fn the_sizing_report_follows_the_seed_examples() {
    let sketch = std::fs::read_to_string("examples/piggymetrics.yaml").unwrap();
    let report = sizing_report(&sketch);
    assert!(report.contains("| Instances | 10 |"), "{report}");
    assert!(
        report.contains("| Per instance | 16 cores, 128 GiB |"),
        "{report}"
    );
    assert!(
        report.contains("| Usable ceiling (after losing one instance) | 144 cores,"),
        "{report}"
    );

    let report = sizing_report(&sketch.replace("faultTolerance: 10%", "faultTolerance: 20%"));
    assert!(report.contains("| Instances | 5 |"), "{report}");
    assert!(
        report.contains("| Per instance | 32 cores, 256 GiB |"),
        "{report}"
    );
    assert!(
        report.contains("| Usable ceiling (after losing one instance) | 128 cores,"),
        "{report}"
    );
}

#[test]
fn dedicated_clusters_get_masters_sized_by_node_count() {
    let sketch = std::fs::read_to_string("examples/piggymetrics.yaml").unwrap();
    let report = sizing_report(&sketch.replace("edition: ack-pro ", "edition: ack-dedicated "));
    // 10 workers and 3 ingress nodes: the 6–20 band.
    assert!(
        report.contains("3 masters of 4 cores and 16 GiB, for 13 nodes"),
        "{report}"
    );
}

#[test]
fn the_network_report_maps_every_block() {
    let compiled = common::compile(Path::new("examples/piggymetrics.yaml"));
    let report =
        String::from_utf8(compiled.files.get("reports/network.md").unwrap().to_vec()).unwrap();
    for block in [
        "192.168.0.0/16",
        "192.168.0.0/19",
        "192.168.32.0/19",
        "10.16.0.0/16",
        "10.17.0.0/20",
        "172.16.0.0/12",
        "10.200.0.0/16",
        "10.18.0.0/16",
    ] {
        assert!(
            report.contains(&format!("`{block}`")),
            "{block} missing:\n{report}"
        );
    }
    assert!(report.contains("Maximum nodes: 512"), "{report}");
}

#[test]
fn a_template_folder_overrides_the_built_in_templates_by_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("reports")).unwrap();
    std::fs::write(
        dir.path().join("reports/sizing.md.j2"),
        "# Our sizing for {{ spec.metadata.name }}: {{ plan.sizing.workers.instances }} workers\n",
    )
    .unwrap();
    let options = cutover::Options {
        config: None,
        templates: Some(dir.path().to_path_buf()),
    };
    let compiled = cutover::compile_file(Path::new("examples/piggymetrics.yaml"), &options)
        .unwrap_or_else(|_| panic!("compiles"));
    assert_eq!(
        compiled.files.get("reports/sizing.md").unwrap(),
        b"# Our sizing for piggymetrics: 10 workers\n"
    );
    // The other templates stay the built-in ones.
    assert!(
        String::from_utf8_lossy(compiled.files.get("reports/network.md").unwrap())
            .starts_with("# Network plan")
    );

    // A template that names an undefined variable fails the run instead of printing nothing.
    std::fs::write(
        dir.path().join("reports/sizing.md.j2"),
        "{{ spec.no_such_field }}\n",
    )
    .unwrap();
    match cutover::compile_file(Path::new("examples/piggymetrics.yaml"), &options) {
        Err(cutover::Failure::Io(message)) => {
            assert!(message.contains("sizing.md.j2"), "{message}")
        }
        _ => panic!("an undefined template variable must fail"),
    }
}

#[test]
fn a_write_that_fails_half_way_leaves_the_previous_bundle_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let first = common::compile(Path::new("examples/minimal.yaml")).files;
    bundle::write(&first, &out, WriteOptions::default()).unwrap();

    let second = common::compile(Path::new("examples/piggymetrics.yaml")).files;
    let written = std::sync::atomic::AtomicUsize::new(0);
    let result = bundle::write_with(&second, &out, WriteOptions::default(), &|_| {
        if written.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == 3 {
            Err(std::io::Error::other("disk full (injected)"))
        } else {
            Ok(())
        }
    });
    assert!(result.is_err());
    assert_eq!(
        bundle::read(&out).unwrap(),
        first,
        "the previous bundle is untouched"
    );
    let entries: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["bundle"], "no temporary directory is left");
}
