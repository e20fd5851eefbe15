//! Every rule, driven by the registry and by fixtures: each rule of `check::registry` has its
//! docs, and each checked one a failing fixture `tests/fixtures/err/<area>__<name>[@case].yaml`
//! that reports it (its rendered diagnostics are snapshotted) and a passing near miss under
//! `tests/fixtures/ok/`; each rule id is written in one source file, its own.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use cutover::check::registry;
use cutover::diagnostic::Severity;
use cutover::rules::{Level, RuleId, Status};

/// Rules exercised by something other than a spec fixture: spec/too-large by a generated
/// 17 MiB file below, the import rules by importing compose files (tests/review.rs, tests/import.rs).
const NOT_FROM_A_FIXTURE: &[RuleId] = &[
    RuleId::SpecTooLarge,
    RuleId::ImportUnsupported,
    RuleId::ImportSecret,
    RuleId::ImportBindMount,
    RuleId::ImportSwarmTemplate,
    RuleId::ImportInterpolation,
];

fn is_config(path: &Path) -> bool {
    path.to_string_lossy().ends_with(".cutover.toml")
}

fn rule_named_by(path: &Path) -> RuleId {
    let rule = common::rule_of(path);
    RuleId::find(&rule).unwrap_or_else(|| panic!("{}: no rule {rule}", path.display()))
}

#[test]
fn every_failing_fixture_reports_its_rule() {
    common::snapshots(|| {
        insta::glob!("fixtures/err/*.{yaml,toml}", |path| {
            let path = common::relative(path);
            if is_config(path) {
                return;
            }
            let rule = rule_named_by(path);
            let started = Instant::now();
            let diagnostics = common::diagnostics(path, &common::options_for(path));
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{} took {:?}",
                path.display(),
                started.elapsed()
            );
            assert!(
                diagnostics.iter().any(|d| d.rule == rule),
                "{} does not report {rule}:\n{}",
                path.display(),
                common::render(&diagnostics)
            );
            let default_levels = common::options_for(path).config.is_none();
            for d in &diagnostics {
                assert!(
                    !d.help.is_empty(),
                    "{}: {} has no help",
                    path.display(),
                    d.rule
                );
                // What a rule reports is what its RULE says it is (explain and README print
                // that level), unless the fixture's cutover.toml changes it.
                let declared = registry::rule(d.rule).level;
                let expected = match declared {
                    Level::Error => Some(Severity::Error),
                    Level::Warning => Some(Severity::Warning),
                    _ => None,
                };
                if default_levels && let Some(expected) = expected {
                    assert_eq!(
                        d.severity,
                        expected,
                        "{}: {} reports a {:?}, but its RULE says {declared:?}",
                        path.display(),
                        d.rule,
                        d.severity
                    );
                }
            }
            // The snapshots keep the names they had before the glob: the fixture's file name.
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            common::pinned(None, || {
                insta::assert_snapshot!(name, common::render(&diagnostics))
            });
        });
    });
}

#[test]
fn every_passing_fixture_is_clean_of_its_rule() {
    insta::glob!("fixtures/ok/*.{yaml,toml}", |path| {
        let path = common::relative(path);
        if is_config(path) {
            return;
        }
        let rule = rule_named_by(path);
        let diagnostics = common::diagnostics(path, &common::options_for(path));
        assert!(
            diagnostics
                .iter()
                .all(|d| d.rule != rule && d.severity != Severity::Error),
            "{} should pass {rule}:\n{}",
            path.display(),
            common::render(&diagnostics)
        );
    });
}

/// The registry is the list: a rule without its docs, its fixtures or its snapshot fails here.
#[test]
fn every_rule_has_its_docs_fixtures_and_snapshot() {
    let cases = |folder: &str| -> BTreeSet<String> {
        common::fixtures(folder)
            .iter()
            .map(|p| common::rule_of(p))
            .collect()
    };
    let (err, ok) = (cases("err"), cases("ok"));
    let snapshots: Vec<String> = std::fs::read_dir("snapshots")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut missing = Vec::new();
    for rule in registry::rules() {
        let id = rule.id.as_str();
        for (what, text) in [
            ("summary", rule.summary),
            ("rationale", rule.rationale),
            ("source", rule.source),
        ] {
            if text.trim().is_empty() {
                missing.push(format!("{id}: its {what}"));
            }
        }
        if rule.status != Status::Checked || !rule.level.is_diagnostic() {
            continue;
        }
        // spec/empty's refused example is the empty file itself.
        let bad_shown = !rule.bad.trim().is_empty() || rule.id == RuleId::SpecEmpty;
        if !bad_shown || rule.good.trim().is_empty() {
            missing.push(format!("{id}: a refused and an accepted example"));
        }
        if NOT_FROM_A_FIXTURE.contains(&rule.id) {
            continue;
        }
        let stem = id.replace('/', "__");
        if !err.contains(id) {
            missing.push(format!("{id}: tests/fixtures/err/{stem}.yaml"));
        }
        if !ok.contains(id) {
            missing.push(format!("{id}: tests/fixtures/ok/{stem}.yaml"));
        }
        // An accepted snapshot: `<stem>.yaml.snap` or `<stem>@case.<ext>.snap` (a pending
        // `.snap.new` does not count).
        let snapshot = |name: &String| {
            name.ends_with(".snap")
                && name
                    .strip_prefix(&stem)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('@'))
        };
        if !snapshots.iter().any(snapshot) {
            missing.push(format!("{id}: snapshots/{stem}.yaml.snap"));
        }
    }
    assert!(missing.is_empty(), "missing:\n{}", missing.join("\n"));
}

/// The templates are compiled in and print some rule ids as text: each must be a rule, so
/// that renaming one cannot leave a stale id in every bundle.
#[test]
fn every_rule_id_a_template_names_is_a_rule() {
    let mut stale = Vec::new();
    for path in common::files_under(Path::new("templates"), "") {
        let text = std::fs::read_to_string(&path).unwrap();
        // `area/name` between backticks, as the templates write ids, in a known area.
        for quoted in text.split('`').skip(1).step_by(2) {
            let Some((area, _)) = quoted.split_once('/') else {
                continue;
            };
            let in_an_area = RuleId::ALL
                .iter()
                .any(|r| r.as_str().starts_with(&format!("{area}/")));
            let id_shaped = quoted
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-' || c == '/');
            if in_an_area && id_shaped && RuleId::find(quoted).is_none() {
                stale.push(format!("{}: `{quoted}`", path.display()));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "templates name rules that do not exist: {stale:?}"
    );
}

/// One grep finds a rule: its id is written in its own file under src/check/ and nowhere
/// else in src/ (code names it `RuleId::…`; prose elsewhere names the module).
#[test]
fn every_rule_id_is_written_in_its_own_file_only() {
    let files: Vec<(std::path::PathBuf, String)> = common::files_under(Path::new("src"), ".rs")
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect();
    let mut wrong = Vec::new();
    for id in RuleId::ALL {
        let (area, name) = id.as_str().split_once('/').unwrap();
        let module = name.replace('-', "_");
        let own = [
            format!("src/check/{area}/{module}.rs"),
            format!("src/check/{area}/{module}/mod.rs"),
        ];
        let mut found: Vec<String> = Vec::new();
        for (path, text) in &files {
            let mentions = text.match_indices(id.as_str()).any(|(at, _)| {
                let before = text[..at].chars().next_back();
                let after = text[at + id.as_str().len()..].chars().next();
                let part_of_word = |c: Option<char>| {
                    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/')
                };
                !part_of_word(before) && !part_of_word(after)
            });
            if mentions {
                found.push(path.to_string_lossy().replace('\\', "/"));
            }
        }
        let in_own = found.iter().filter(|f| own.contains(f)).count();
        if in_own != 1 || found.len() != 1 {
            wrong.push(format!(
                "{id}: written in {found:?}, expected only {}",
                own[0]
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_file_over_the_size_limit_is_refused_without_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("# {}\n", "x".repeat(17 * 1024 * 1024));
    let path = common::temp_spec(&dir, "huge.yaml", &text);
    let started = Instant::now();
    let diagnostics = common::diagnostics(&path, &Default::default());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].rule, RuleId::SpecTooLarge);
}

#[test]
fn diagnostics_come_sorted_by_position_all_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("examples/minimal.yaml")
        .unwrap()
        .replace("replicas: 3", "replicas: 1")
        .replace("podsPerNode: 64", "podsPerNode: 100")
        .replace(":1.0.0", ":latest");
    let path = common::temp_spec(&dir, "several.yaml", &text);
    let diagnostics = common::diagnostics(&path, &Default::default());
    let rules: Vec<&str> = diagnostics.iter().map(|d| d.rule.as_str()).collect();
    assert_eq!(
        rules,
        [
            "network/pods-per-node",
            "workload/image-tag",
            "workload/single-replica"
        ]
    );
    let offsets: Vec<usize> = diagnostics.iter().map(|d| d.primary_span().start).collect();
    assert!(offsets.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn allow_on_a_service_silences_that_rule_there_only() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string("examples/minimal.yaml")
        .unwrap()
        .replace("replicas: 3", "replicas: 1");
    let path = common::temp_spec(&dir, "a.yaml", &base);
    let rules_of = |path| -> Vec<&'static str> {
        common::diagnostics(path, &Default::default())
            .iter()
            .map(|d| d.rule.as_str())
            .collect()
    };
    assert_eq!(rules_of(&path), ["workload/single-replica"]);
    let allowed = base.replace(
        "    health: { path: /healthz }",
        "    health: { path: /healthz }\n    allow: [workload/single-replica]",
    );
    let path = common::temp_spec(&dir, "b.yaml", &allowed);
    assert!(rules_of(&path).is_empty());
}

#[test]
fn cutover_toml_beside_the_spec_sets_rule_levels() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("examples/minimal.yaml")
        .unwrap()
        .replace(
            "zones: [cn-hangzhou-g, cn-hangzhou-h]",
            "zones: [cn-hangzhou-g]",
        )
        .replace(
            "      - { name: vsw-h, zone: cn-hangzhou-h, cidr: 192.168.16.0/20 }\n",
            "",
        );
    let path = common::temp_spec(&dir, "spec.yaml", &text);
    let severities = |path| -> Vec<(&'static str, Severity)> {
        common::diagnostics(path, &Default::default())
            .iter()
            .map(|d| (d.rule.as_str(), d.severity))
            .collect()
    };
    assert_eq!(
        severities(&path),
        [("sizing/single-zone", Severity::Warning)]
    );
    std::fs::write(
        dir.path().join("cutover.toml"),
        "[rules]\n\"sizing/single-zone\" = \"deny\"\n",
    )
    .unwrap();
    assert_eq!(severities(&path), [("sizing/single-zone", Severity::Error)]);
    std::fs::write(
        dir.path().join("cutover.toml"),
        "[rules]\n\"sizing/single-zone\" = \"allow\"\n",
    )
    .unwrap();
    assert!(severities(&path).is_empty());
}

#[test]
fn toml_specs_get_the_same_diagnostics_at_their_own_positions() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("tests/fixtures/toml/piggymetrics.toml")
        .unwrap()
        .replace("podCidr = \"10.16.0.0/16\"", "podCidr = \"172.16.0.0/16\"");
    let path = common::temp_spec(&dir, "pod.toml", &text);
    let diagnostics: Vec<_> = common::diagnostics(&path, &Default::default())
        .into_iter()
        .filter(|d| d.severity == cutover::diagnostic::Severity::Error)
        .collect();
    assert_eq!(diagnostics.len(), 1, "{}", common::render(&diagnostics));
    let d = &diagnostics[0];
    assert_eq!(d.rule, "network/pod-overlap");
    let labelled: Vec<&str> = d
        .labels
        .iter()
        .map(|l| &text[l.span.start..l.span.end])
        .collect();
    assert_eq!(labelled, ["\"172.16.0.0/16\"", "\"172.16.0.0/12\""]);
    let line = |offset: usize| text[..offset].matches('\n').count() + 1;
    assert_eq!(
        line(d.labels[0].span.start),
        line(text.find("podCidr =").unwrap())
    );
    assert!(d.help.contains("10.0.0.0/16"));
    assert_eq!(d.path, "target.network.podCidr");
}

#[test]
fn no_snapshot_is_left_unreferenced() {
    let mut expected: BTreeSet<String> = common::fixtures("err")
        .iter()
        .map(|p| format!("{}.snap", p.file_name().unwrap().to_string_lossy()))
        .collect();
    for entry in std::fs::read_dir("examples").unwrap() {
        let path = entry.unwrap().path();
        expected.insert(format!(
            "bundle@{}.snap",
            path.file_stem().unwrap().to_string_lossy()
        ));
    }
    expected.extend(
        common::CLI_SNAPSHOTS
            .iter()
            .map(|name| format!("{name}.snap")),
    );
    // tests/import.rs: a spec, its warnings and its completed bundle per compose file of the corpus.
    for path in common::files_under(Path::new("tests/fixtures/compose/corpus"), ".yml") {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        expected.insert(format!("import@{stem}-spec.snap"));
        expected.insert(format!("import@{stem}-warnings.snap"));
        expected.insert(format!("import@{stem}-bundle.snap"));
    }
    let stale: Vec<String> = std::fs::read_dir("snapshots")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".snap") && !expected.contains(name))
        .collect();
    assert!(
        stale.is_empty(),
        "snapshots no test writes any more: {stale:?}"
    );
}

#[test]
fn an_empty_list_or_map_may_be_written_as_nothing() {
    let text = std::fs::read_to_string("examples/minimal.yaml")
        .unwrap()
        .replace(
            "    health: { path: /healthz }",
            "    health: { path: /healthz }\n    env:\n    volumes:\n    dependsOn:",
        );
    let source =
        cutover::diagnostic::SourceFile::new("empty.yaml", text, cutover::diagnostic::Format::Yaml);
    let loaded = cutover::load::load_source(source).unwrap_or_else(|e| panic!("{e:?}"));
    let web = &loaded.spec.services[0];
    assert!(web.env.is_empty() && web.volumes.is_empty() && web.depends_on.is_empty());
}

#[test]
fn a_service_named_after_another_services_legacy_backend_is_refused() {
    // `web`'s own legacy backend is the Service `web-legacy`: a service of that name would
    // lose its Service to it, and kustomize would refuse the deploy folder.
    let text = std::fs::read_to_string("examples/minimal.yaml").unwrap();
    let twin = "  - name: web-legacy\n    image: registry.example.com/hello/web:1.0.0\n    replicas: 3\n    port: 8080\n    resources:\n      requests: { cpu: 250m, memory: 256Mi }\n      limits: { cpu: 500m, memory: 512Mi }\n    health: { path: /healthz }\n";
    let spec = text
        .replacen(
            "      - { host: hello.example, path: / }\n",
            "      - { host: hello.example, path: / }\n    legacy: { port: 8081 }\n",
            1,
        )
        .replacen("\nrollout:", &format!("{twin}\nrollout:"), 1);
    let dir = tempfile::tempdir().unwrap();
    let path = common::temp_spec(&dir, "spec.yaml", &spec);
    let diagnostics = common::diagnostics(&path, &Default::default());
    let taken: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.rule == "spec/duplicate-name")
        .collect();
    assert_eq!(taken.len(), 1, "{}", common::render(&diagnostics));
    assert!(
        taken[0]
            .message
            .contains("legacy backend Service of service `web`")
    );
    assert_eq!(taken[0].path, "services[web-legacy].name");
}
