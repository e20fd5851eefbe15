//! The review workflow: diff, verify, SARIF, import, as a user runs them (CLI snapshots).

mod common;

use std::path::{Path, PathBuf};

/// The piggymetrics spec with one step's weight changed (frontends 25% → 30%).
fn changed_spec(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string("examples/piggymetrics.yaml").unwrap();
    let frontends = text.find("    - name: frontends").unwrap();
    let step = text[frontends..].find("{ weight: 25, hold: 4h }").unwrap() + frontends;
    let changed = format!(
        "{}{{ weight: 30, hold: 4h }}{}",
        &text[..step],
        &text[step + "{ weight: 25, hold: 4h }".len()..]
    );
    let path = dir.join("piggymetrics-30.yaml");
    std::fs::write(&path, changed).unwrap();
    path
}

#[test]
fn diff_reports_exactly_what_one_weight_changes() {
    let dir = tempfile::tempdir().unwrap();
    let new = changed_spec(dir.path());
    let old = Path::new("examples/piggymetrics.yaml");
    let a = common::compile(old).files;
    let b = common::compile(&new).files;
    let diff = cutover::diff::diff(&a, &b);
    let objects: Vec<String> = diff
        .objects
        .iter()
        .map(|c| format!("{} {}", c.item, c.location))
        .collect();
    assert_eq!(
        objects,
        [
            "Ingress piggymetrics/gateway-canary manifests/12-frontends-30",
            "Ingress piggymetrics/gateway-canary manifests/rollback/13-frontends-100",
        ]
    );
    for change in &diff.objects {
        let paths: Vec<&str> = change.fields.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["metadata.annotations[\"nginx.ingress.kubernetes.io/canary-weight\"]"]
        );
    }
    assert!(
        diff.dns.is_empty(),
        "nginx canaries move no DNS: {:?}",
        diff.dns
    );
    let steps: Vec<&str> = diff.runbook_steps.iter().map(|c| c.item.as_str()).collect();
    // Step 1 sets the ids the phase uses (the gates' Prometheus address among them).
    assert_eq!(steps, ["step 2: Apply the routes of wave frontends: 30%"]);
    assert_eq!(
        diff.renamed_phases,
        [("12-frontends-25".to_string(), "12-frontends-30".to_string())]
    );

    common::snapshots(|| {
        let (code, out, _) = common::run(
            &["diff", old.to_str().unwrap(), new.to_str().unwrap()],
            Some(dir.path()),
        );
        assert_eq!(code, 3);
        insta::assert_snapshot!("cli@diff-text", out);
        let (_, out, _) = common::run(
            &[
                "diff",
                old.to_str().unwrap(),
                new.to_str().unwrap(),
                "--brief",
            ],
            Some(dir.path()),
        );
        insta::assert_snapshot!("cli@diff-brief", out);
        let (_, out, _) = common::run(
            &[
                "diff",
                old.to_str().unwrap(),
                new.to_str().unwrap(),
                "--format",
                "markdown",
            ],
            Some(dir.path()),
        );
        insta::assert_snapshot!("cli@diff-markdown", out);
        let (_, out, _) = common::run(
            &[
                "diff",
                old.to_str().unwrap(),
                new.to_str().unwrap(),
                "--format",
                "json",
                "--brief",
            ],
            Some(dir.path()),
        );
        serde_json::from_str::<serde_json::Value>(&out).expect("json");
        insta::assert_snapshot!("cli@diff-json", out);
        let (code, out, _) = common::run(
            &["diff", old.to_str().unwrap(), old.to_str().unwrap()],
            None,
        );
        assert_eq!(code, 0);
        insta::assert_snapshot!("cli@diff-equal", out);
    });
}

#[test]
fn diff_reads_bundle_directories_too() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert_eq!(
        common::run(
            &[
                "compile",
                "examples/minimal.yaml",
                "-o",
                a.to_str().unwrap()
            ],
            None
        )
        .0,
        0
    );
    assert_eq!(
        common::run(
            &["compile", "examples/alb.yaml", "-o", b.to_str().unwrap()],
            None
        )
        .0,
        0
    );
    let (code, out, _) = common::run(
        &["diff", a.to_str().unwrap(), b.to_str().unwrap(), "--brief"],
        None,
    );
    assert_eq!(code, 3);
    assert!(out.contains("+ Ingress hello/api-canary"), "{out}");
}

#[test]
fn verify_tells_a_current_bundle_from_a_stale_one() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    assert_eq!(
        common::run(
            &[
                "compile",
                "examples/piggymetrics.yaml",
                "-o",
                bundle.to_str().unwrap()
            ],
            None
        )
        .0,
        0
    );
    common::snapshots(|| {
        let (code, out, _) = common::run(
            &[
                "verify",
                "examples/piggymetrics.yaml",
                bundle.to_str().unwrap(),
            ],
            Some(dir.path()),
        );
        assert_eq!(code, 0, "{out}");
        insta::assert_snapshot!("cli@verify-ok", out);
        let new = changed_spec(dir.path());
        let (code, out, _) = common::run(
            &["verify", new.to_str().unwrap(), bundle.to_str().unwrap()],
            Some(dir.path()),
        );
        assert_eq!(code, 3);
        insta::assert_snapshot!("cli@verify-stale", out);
    });
}

#[test]
fn check_speaks_sarif() {
    common::snapshots(|| {
        let (code, out, _) = common::run(
            &[
                "check",
                "tests/fixtures/err/rollout__split-writes.yaml",
                "--format",
                "sarif",
            ],
            None,
        );
        assert_eq!(code, 1);
        let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(sarif["version"], "2.1.0");
        let result = &sarif["runs"][0]["results"][0];
        assert_eq!(result["ruleId"], "rollout/split-writes");
        assert_eq!(result["level"], "error");
        assert_eq!(
            result["locations"][0]["physicalLocation"]["region"]["startLine"],
            64
        );
        assert_eq!(
            sarif["runs"][0]["tool"]["driver"]["rules"][0]["id"],
            "rollout/split-writes"
        );
        insta::assert_snapshot!("cli@check-sarif", out);
    });
}

#[test]
fn importing_a_swarm_stack_warns_on_global_services_and_checks_once_filled() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shop.yaml");
    let (code, _, warnings) = common::run(
        &[
            "import",
            "compose",
            "tests/fixtures/compose/docker-stack.yml",
            "--name",
            "shop",
            "-o",
            out.to_str().unwrap(),
        ],
        Some(dir.path()),
    );
    assert_eq!(code, 0, "{warnings}");
    assert!(
        warnings.contains("services.node-exporter.deploy.mode"),
        "{warnings}"
    );
    assert!(warnings.contains("(one task per node)"), "{warnings}");
    let spec = std::fs::read_to_string(&out).unwrap();
    for service in [
        "gateway",
        "catalog",
        "cart",
        "catalog-db",
        "worker",
        "node-exporter",
    ] {
        assert!(
            spec.contains(&format!("  - name: {service}\n")),
            "{service} missing"
        );
    }
    assert!(
        spec.contains("# compose `services.node-exporter.deploy.mode: global`"),
        "the global mode stays as a comment"
    );
    assert!(spec.contains("dependsOn: [catalog, cart]"));
    assert!(
        spec.contains("requests: { cpu: 250m, memory: 512Mi }"),
        "merge keys are resolved"
    );
    common::snapshots(|| {
        insta::assert_snapshot!("cli@import-compose-spec", spec.clone());
        insta::assert_snapshot!("cli@import-compose-warnings", warnings.clone());
    });

    // As generated it does not pass: the target is still to fill in.
    let (code, _, _) = common::run(&["check", out.to_str().unwrap()], None);
    assert_eq!(code, 1);
    // Filled in with a real target, it checks without errors.
    let minimal = std::fs::read_to_string("examples/minimal.yaml").unwrap();
    let target = &minimal[minimal.find("target:").unwrap()..minimal.find("services:").unwrap()];
    let (start, end) = (
        spec.find("target:").unwrap(),
        spec.find("\nstorage:").unwrap(),
    );
    let filled = format!("{}{}{}", &spec[..start], target.trim_end(), &spec[end..]).replace(
        "    address: TODO   # the SLB address that serves the stack today",
        "    address: 203.0.113.10",
    );
    let filled = fill_placeholders(&filled);
    std::fs::write(&out, filled).unwrap();
    // The config file the stack reads, kept beside the spec as its comment asks.
    std::fs::write(dir.path().join("catalog.yml"), "port: 9000\n").unwrap();
    let (code, stdout, _) =
        common::run(&["check", out.to_str().unwrap(), "--format", "json"], None);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["errors"], 0, "{stdout}");
    assert_eq!(code, 0);
}

#[test]
fn import_keeps_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mine.yaml");
    std::fs::write(&out, "mine").unwrap();
    let (code, _, err) = common::run(
        &[
            "import",
            "compose",
            "tests/fixtures/compose/docker-stack.yml",
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
}

#[test]
fn the_plan_table_is_pinned() {
    common::snapshots(|| {
        let (code, out, _) = common::run(&["plan", "examples/piggymetrics.yaml"], None);
        assert_eq!(code, 0);
        insta::assert_snapshot!("cli@plan-piggymetrics", out);
    });
}

#[test]
fn importing_a_stack_never_copies_a_secret_into_the_spec() {
    let (_dir, out, spec, warnings) = import_fixture("secrets.yml", "shop");
    assert_absent(
        &spec,
        &[
            "hunter2",
            "s3cr3t-Passw0rd",
            "admin:pw@",
            "ghp_",
            "sk_live_",
        ],
    );
    // Secrets become references to provide at deploy time; the rest is copied.
    assert_present(
        &spec,
        &[
            "MYSQL_ROOT_PASSWORD: { secret: db-env, key: MYSQL_ROOT_PASSWORD }",
            "MYSQL_PASSWORD: { secret: db-env, key: MYSQL_PASSWORD }",
            "DB_PASS: { secret: api-env, key: DB_PASS }",
            "DATABASE_URL: { secret: api-env, key: DATABASE_URL }",
            "UPSTREAM: { secret: api-env, key: UPSTREAM }",
            "MYSQL_DATABASE: app",
            "LOG_LEVEL: info",
            "health: { path: /health }",
        ],
    );
    // One warning per secret, each at its compose line.
    for (path, line) in [
        ("services.db.environment.MYSQL_ROOT_PASSWORD", 6),
        ("services.db.healthcheck.test", 10),
        ("services.api.environment.DB_PASS", 20),
        ("services.api.environment.DATABASE_URL", 21),
        ("services.api.environment.UPSTREAM", 22),
        ("services.api.command", 24),
    ] {
        assert!(
            warnings.contains(&format!("`{path}` holds a secret"))
                && warnings.contains(&format!("secrets.yml:{line}:")),
            "no import/secret warning for {path} at line {line}:\n{warnings}"
        );
    }
    assert_eq!(warnings.matches("import/secret").count(), 6, "{warnings}");
    assert!(!warnings.contains("MYSQL_PASSWORD` holds"), "{warnings}");

    // Filled in with a real target, it checks without errors: no spec/credential.
    let minimal = std::fs::read_to_string("examples/minimal.yaml").unwrap();
    let target = &minimal[minimal.find("target:").unwrap()..minimal.find("services:").unwrap()];
    let (start, end) = (
        spec.find("target:").unwrap(),
        spec.find("\nstorage:").unwrap(),
    );
    let filled = format!("{}{}{}", &spec[..start], target.trim_end(), &spec[end..]).replace(
        "    address: TODO   # the SLB address that serves the stack today",
        "    address: 203.0.113.10",
    );
    let filled = fill_placeholders(&filled);
    std::fs::write(&out, filled).unwrap();
    let (_, stdout, _) = common::run(&["check", out.to_str().unwrap(), "--format", "json"], None);
    assert!(!stdout.contains("spec/credential"), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["errors"], 0, "{stdout}");
}

/// Review finding 6: the secrets `import compose` copied, into values and into the
/// comments it keeps for settings without an equivalent.
#[test]
fn importing_a_stack_leaves_secrets_out_of_values_and_comments() {
    let (_dir, _out, spec, warnings) = import_fixture("secrets-review.yml", "app");
    assert_absent(
        &spec,
        &[
            "Abcdefghijklmnopqrstuvwx",
            "abcdef0123456789abcdef0123456789",
            "filepass-0001",
            "appkey-0001",
            "0123456789abcdef0123456789abcdef",
            "jsonpass-0001",
            "javapass-0001",
            "optpass-0001",
            "curlpass-0001",
            "apr1",
            "IgXLP6ewTrSuBkTrqE8wj",
            "2y$",
            "c4WoMPo3SXsafkva",
            "wJalrXUtnFEMI",
            "cfgpass-0001",
        ],
    );
    assert_present(
        &spec,
        &[
            "OSS_AK: { secret: api-env, key: OSS_AK }",
            "OSS_SK: { secret: api-env, key: OSS_SK }",
            "AUTHORIZATION: { secret: api-env, key: AUTHORIZATION }",
            "DB_PASSWORD_FILE: { secret: api-env, key: DB_PASSWORD_FILE }",
            "APP_KEY: { secret: api-env, key: APP_KEY }",
            "SENTRY_DSN: { secret: api-env, key: SENTRY_DSN }",
            "CFG: { secret: api-env, key: CFG }",
            "JAVA_OPTS: { secret: api-env, key: JAVA_OPTS }",
            "LOG_LEVEL: info",
            "SENTRY_ENVIRONMENT: production",
            "DB_PASSWORD_FILE: /run/secrets/db-password",
            "# compose `services.api.command: (not copied: it holds a secret)`",
            "# compose `services.api.labels: (not copied: it holds a secret)`",
            "# compose `services.api.x-note: (not copied: it holds a secret)`",
            "# compose `configs.app: (not copied: it holds a secret)`",
        ],
    );
    for path in [
        "services.api.environment.OSS_AK",
        "services.api.environment.OSS_SK",
        "services.api.environment.AUTHORIZATION",
        "services.api.environment.DB_PASSWORD_FILE",
        "services.api.environment.APP_KEY",
        "services.api.environment.SENTRY_DSN",
        "services.api.environment.CFG",
        "services.api.environment.JAVA_OPTS",
        "services.api.command",
        "services.api.healthcheck.test",
        "services.api.labels",
        "services.api.x-note",
        "configs.app",
    ] {
        assert!(
            warnings.contains(&format!("`{path}` holds a secret")),
            "no import/secret warning for {path}:\n{warnings}"
        );
    }
    assert!(!warnings.contains("LOG_LEVEL` holds"), "{warnings}");
    assert!(
        !warnings.contains("worker.environment.DB_PASSWORD_FILE` holds"),
        "{warnings}"
    );
}

/// The import's other placeholders filled in as a user would (the target is filled above).
fn fill_placeholders(spec: &str) -> String {
    spec.replace("cpu: TODO", "cpu: 250m")
        .replace("memory: TODO", "memory: 256Mi")
        .replace("size: TODO", "size: 20Gi")
        .replace("port: TODO", "port: 8080")
        .replace(".TODO.example.com", ".example.com")
        .replace(
            "TODO.nas.aliyuncs.com",
            "0a1b2c3d4e-abc12.cn-hangzhou.nas.aliyuncs.com",
        )
}

/// Imports `tests/fixtures/compose/FIXTURE` as the spec of migration `name`, which must
/// succeed: the temporary folder (kept alive), the spec's path, its text and the warnings.
/// None of these secrets reached the imported spec.
fn assert_absent(spec: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!spec.contains(secret), "the spec holds {secret}:\n{spec}");
    }
}

/// Each of these lines is in the imported spec.
fn assert_present(spec: &str, lines: &[&str]) {
    for line in lines {
        assert!(spec.contains(line), "{line} missing:\n{spec}");
    }
}

fn import_fixture(fixture: &str, name: &str) -> (tempfile::TempDir, PathBuf, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(format!("{name}.yaml"));
    let compose = format!("tests/fixtures/compose/{fixture}");
    let (code, _, warnings) = common::run(
        &[
            "import",
            "compose",
            &compose,
            "--name",
            name,
            "-o",
            out.to_str().unwrap(),
        ],
        Some(dir.path()),
    );
    assert_eq!(code, 0, "{warnings}");
    let spec = std::fs::read_to_string(&out).unwrap();
    (dir, out, spec, warnings)
}

/// The Docker voting-app sample's stack, with its `POSTGRES_PASSWORD: postgres`: the
/// password stays out of the spec, and the public image `postgres:9.4` stays in it.
#[test]
fn a_password_that_is_also_an_image_name_does_not_drop_the_image() {
    let (_dir, _out, spec, warnings) = import_fixture("voting-app.yml", "vote");
    assert!(
        spec.contains("image: \"postgres:9.4\"") || spec.contains("image: postgres:9.4"),
        "{spec}"
    );
    assert!(
        spec.contains("POSTGRES_PASSWORD: { secret: db-env, key: POSTGRES_PASSWORD }"),
        "{spec}"
    );
    assert!(!spec.contains("s3cretpw"), "{spec}");
    assert!(!warnings.contains("placeholder image"), "{warnings}");
}
