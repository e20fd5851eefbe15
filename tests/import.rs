//! `cutover import compose` on a corpus of compose files written for the tests in the shapes
//! of real projects (tests/fixtures/compose/corpus/): each is imported with its env file
//! (its spec and warnings snapshotted), holds no secret of the file or the environment, and,
//! completed by its overlay (the target and every TODO filled in, as a user would), checks
//! with no error and compiles.

mod common;

use std::path::{Path, PathBuf};

use cutover::diagnostic::Severity;
use cutover::import::{Variables, compose_with, read_env_file};
use cutover::rules::RuleId;
use serde_json::Value;

const CORPUS: &str = "tests/fixtures/compose/corpus";

/// Each fixture, and the secrets of its compose file and env file that the spec must not hold.
const FIXTURES: &[(&str, &[&str])] = &[
    ("airflow", &["env-secret-0001", "airflow:airflow@"]),
    ("voting", &["POSTGRES_PASSWORD: postgres"]),
    ("swarmprom", &["env-secret-0006"]),
    ("media", &["env-secret-0002", "db_root.txt\"]"]),
    (
        "piggymetrics",
        &[
            "env-secret-0003",
            "env-secret-0004",
            "env-secret-0005",
            "user:${MONGODB_PASSWORD}@",
        ],
    ),
];

/// The variables of a fixture's env file, read as `--env-file` reads it.
fn variables(name: &str) -> Variables {
    let mut vars = Variables::new();
    let path = Path::new(CORPUS).join(format!("{name}.env"));
    if let Ok(text) = std::fs::read_to_string(&path) {
        let bad = read_env_file(&text, &mut vars);
        assert!(bad.is_empty(), "{}: {bad:?}", path.display());
    }
    vars
}

fn import(name: &str) -> (String, String) {
    let path = format!("{CORPUS}/{name}.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let imported = match compose_with(name, &path, &text, &variables(name)) {
        Ok(imported) => imported,
        Err(d) => panic!("{path} does not import:\n{}", common::render(&d)),
    };
    (imported.spec, common::render(&imported.warnings))
}

#[test]
fn every_corpus_file_is_listed() {
    let listed: Vec<&str> = FIXTURES.iter().map(|(name, _)| *name).collect();
    for path in common::files_under(Path::new(CORPUS), ".yml") {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(listed.contains(&stem.as_str()), "{stem} is not in FIXTURES");
    }
}

#[test]
fn every_corpus_file_imports_without_a_secret_and_checks_once_completed() {
    for (name, secrets) in FIXTURES {
        let (spec, warnings) = import(name);
        common::snapshots(|| {
            insta::assert_snapshot!(format!("import@{name}-spec"), spec.clone());
            insta::assert_snapshot!(format!("import@{name}-warnings"), warnings.clone());
        });
        for secret in *secrets {
            assert!(
                !spec.contains(secret),
                "{name}: the spec holds {secret}:\n{spec}"
            );
        }
        for value in variables(name).secret_values() {
            assert!(!spec.contains(&value), "{name}: the spec holds {value}");
        }
        assert!(!spec.contains("{{"), "{name}: a Swarm template is written");

        let dir = tempfile::tempdir().unwrap();
        let completed = complete(&spec, name, dir.path());
        let report = common::diagnostics(&completed, &Default::default());
        let errors: Vec<_> = report
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .cloned()
            .collect();
        assert!(
            errors.is_empty(),
            "{name}: the completed spec has errors:\n{}",
            common::render(&errors)
        );
        let compiled = common::compile(&completed);
        common::snapshots(|| {
            insta::assert_snapshot!(
                format!("import@{name}-bundle"),
                common::bundle_text(&compiled.files)
            );
        });
        export_for_ci(name, dir.path());
    }
}

/// `.ci/run` sets `CUTOVER_CORPUS_SPECS`: the completed specs (with their config files) are
/// copied there, so that the independent validators read their bundles as they read the
/// examples'.
fn export_for_ci(name: &str, completed: &Path) {
    let Some(out) = std::env::var_os("CUTOVER_CORPUS_SPECS") else {
        return;
    };
    let out = Path::new(&out).join(name);
    for file in common::files_under(completed, "") {
        let relative = file.strip_prefix(completed).unwrap();
        let target = match relative.to_str() {
            Some(spec) if spec == format!("{name}.yaml") => out.join(format!("corpus-{name}.yaml")),
            _ => out.join(relative),
        };
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&file, &target).unwrap();
    }
}

/// The acceptance, on the stack that holds all of it (media.yml: a secret variable,
/// file secrets, a config file, a one-shot migration, UDP ports, a bind mount, interpolated
/// values): once completed, its bundle holds workloads that would start.
#[test]
fn the_media_stack_compiles_into_workloads_that_would_start() {
    let (spec, _) = import("media");
    let dir = tempfile::tempdir().unwrap();
    let completed = complete(&spec, "media", dir.path());
    let files = common::compile(&completed).files;
    let text = |path: &str| -> String {
        let bytes = files.get(path).unwrap_or_else(|| {
            let names: Vec<_> = files.iter().map(|(p, _)| p.to_string()).collect();
            panic!("no {path} in {names:#?}")
        });
        String::from_utf8_lossy(bytes).into_owned()
    };
    let deploy = files
        .iter()
        .map(|(path, _)| path.to_string())
        .find(|p| p.starts_with("manifests/") && p.ends_with("-deploy/kustomization.yaml"))
        .expect("a deploy folder")
        .trim_end_matches("/kustomization.yaml")
        .to_string();

    // The Secret is referenced, never written: the app reads it by secretKeyRef, and the
    // deploy runbook creates it from the operator's env file.
    let app = common::yaml(text(&format!("{deploy}/deployment-nc-app.yaml")).as_bytes());
    let env = &app["spec"]["template"]["spec"]["containers"][0]["env"];
    let password = env
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["name"] == "MYSQL_PASSWORD")
        .expect("MYSQL_PASSWORD is set");
    assert_eq!(password["valueFrom"]["secretKeyRef"]["name"], "nc-app-env");
    assert!(password.get("value").is_none());
    assert!(
        !files.iter().any(|(p, _)| p.contains("/secret-")),
        "no Secret object"
    );
    let runbook = files
        .iter()
        .find(|(p, _)| p.starts_with("runbooks/") && p.ends_with("-deploy.md"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .expect("a deploy runbook");
    assert!(
        runbook.contains("create secret generic nc-app-env --from-env-file="),
        "{runbook}"
    );

    // The config becomes a generated ConfigMap over the file copied beside it.
    let kustomization = common::yaml(text(&format!("{deploy}/kustomization.yaml")).as_bytes());
    let generator = &kustomization["configMapGenerator"][0];
    assert_eq!(generator["name"], "php-ini");
    let copied = generator["files"][0].as_str().unwrap();
    assert!(
        files.get(&format!("{deploy}/{copied}")).is_some(),
        "{copied}"
    );

    // The migration is a Job, and the app starts only once it has completed.
    let job = common::yaml(text(&format!("{deploy}/job-nc-migrate.yaml")).as_bytes());
    assert_eq!(job["kind"], "Job");
    let waits: Vec<String> = app["spec"]["template"]["spec"]["initContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["args"].to_string() + &c["command"].to_string())
        .collect();
    assert!(
        waits
            .iter()
            .any(|w| w.contains("condition=complete") && w.contains("job/nc-migrate")),
        "{waits:?}"
    );

    // The UDP ports have a LoadBalancer Service, and no Ingress routes them.
    let udp = files
        .iter()
        .filter(|(p, _)| p.starts_with(&format!("{deploy}/service-coturn-")))
        .map(|(_, b)| common::yaml(b))
        .find(|s| s["spec"]["type"] == "LoadBalancer" && s["spec"]["ports"][0]["protocol"] == "UDP")
        .expect("a UDP LoadBalancer Service for coturn");
    assert_eq!(udp["spec"]["ports"][0]["port"], 3478);
    assert!(
        !files
            .iter()
            .any(|(p, _)| p.contains("ingress-coturn") || p.contains("httproute-coturn")),
        "coturn has no HTTP route"
    );
}

/// The imported spec with the fixture's overlay merged over it, written into `dir` (with
/// the files its configs name, kept beside the spec as the import's comments ask).
fn complete(spec: &str, name: &str, dir: &Path) -> PathBuf {
    let mut merged = common::yaml(spec.as_bytes());
    let overlay_path = Path::new(CORPUS).join(format!("{name}.overlay.yaml"));
    let overlay = common::yaml(&std::fs::read(&overlay_path).unwrap());
    merge(&mut merged, &overlay);
    let text = serde_json::to_string_pretty(&merged).unwrap();
    assert!(
        !text.contains("TODO"),
        "{name}: the overlay leaves a placeholder:\n{text}"
    );
    write_config_files(&merged, dir);
    // JSON is YAML: the loader reads it as it reads the spec.
    let out = dir.join(format!("{name}.yaml"));
    std::fs::write(&out, text).unwrap();
    out
}

/// The files a spec's configs name, written beside it as the import's comments ask.
fn write_config_files(spec: &Value, dir: &Path) {
    for config in spec["configs"].as_array().into_iter().flatten() {
        for file in config["files"].as_array().into_iter().flatten() {
            let path = dir.join(file.as_str().unwrap());
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "# a config file the user keeps beside the spec\n").unwrap();
        }
    }
}

/// Merges `overlay` into `base`: mappings key by key, lists of named entries entry by entry
/// (by `name`, when the overlay names an entry of the base), anything else replaced.
fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (Value::Array(base), Value::Array(overlay))
            if overlay.iter().any(|v| {
                v.get("name").is_some() && base.iter().any(|b| b.get("name") == v.get("name"))
            }) =>
        {
            for entry in overlay {
                match base.iter_mut().find(|b| b.get("name") == entry.get("name")) {
                    Some(slot) => merge(slot, entry),
                    None => base.push(entry.clone()),
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

/// Without an overlay an imported spec does not pass: `check` lists every placeholder the
/// import wrote, in one run, and nothing else is an error.
#[test]
fn an_imported_spec_as_generated_lists_every_placeholder() {
    for (name, _) in FIXTURES {
        let (spec, _) = import(name);
        let dir = tempfile::tempdir().unwrap();
        write_config_files(&common::yaml(spec.as_bytes()), dir.path());
        let path = common::temp_spec(&dir, &format!("{name}.yaml"), &spec);
        let report = common::diagnostics(&path, &Default::default());
        let errors: Vec<_> = report
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        // The tokens in values: comments start a line or follow a value after `   #`.
        let written = spec
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .map(|line| line.split("   #").next().unwrap_or(line))
            .map(|line| line.matches("TODO").count())
            .sum::<usize>();
        assert!(written > 0, "{name}");
        assert!(
            errors.iter().all(|d| d.rule == RuleId::ImportPlaceholder),
            "{name}:\n{}",
            common::render(&report)
        );
        assert_eq!(
            errors.len(),
            written,
            "{name}:\n{}",
            common::render(&report)
        );
    }
}

/// The shapes the issue names map onto the spec's fields.
#[test]
fn the_corpus_maps_what_compose_declares() {
    let (airflow, warnings) = import("airflow");
    for line in [
        "image: apache/airflow:2.10.3",
        "health: { path: /health, interval: 30s, timeout: 10s, retries: 5, startPeriod: 30s }",
        "port: 8974\n",
        "oneShot: true",
        "dependsOn: [redis, postgres, airflow-init]",
        "POSTGRES_PASSWORD: { secret: postgres-env, key: POSTGRES_PASSWORD }",
        "_AIRFLOW_WWW_USER_PASSWORD: { secret: airflow-init-env, key: _AIRFLOW_WWW_USER_PASSWORD }",
        "legacy: { port: 8080 }",
    ] {
        assert!(airflow.contains(line), "{line} missing:\n{airflow}");
    }
    assert!(warnings.contains("import/bind-mount"), "{warnings}");
    assert!(!airflow.contains("-.}"), "{airflow}");
    let waves = &airflow[airflow.find("rollout:").unwrap()..];
    assert!(
        !waves.contains("airflow-init"),
        "a one-shot service is in a wave"
    );

    let (media, warnings) = import("media");
    for line in [
        "  - name: nc-app   # compose service `nc_app` (renamed",
        "# compose volume `nc_data` (renamed",
        "port: 3478\n    protocol: udp\n    publish: { via: load-balancer }",
        "{ name: udp-19132, port: 19132, protocol: udp, publish: { via: load-balancer } }",
        "{ secret: db-root, key: db_root, mountPath: /run/secrets/db_root }",
        "MYSQL_PASSWORD_FILE: /run/secrets/db_password",
        "NEXTCLOUD_TRUSTED_DOMAINS: cloud.example.org",
        "legacy: { port: 8081 }",
        "health: { tcp: true, interval: 1m30s, timeout: 1s, startPeriod: 2m }",
    ] {
        assert!(media.contains(line), "{line} missing:\n{media}");
    }
    assert!(warnings.contains("500ms"), "{warnings}");

    let (swarmprom, warnings) = import("swarmprom");
    for line in [
        "files: [prometheus/rules/swarm_node.rules.yml]",
        "{ config: node-rules, key: swarm_node.rules.yml, mountPath: /etc/prometheus/swarm_node.rules.yml }",
        "{ secret: grafana-admin-password, key: grafana_admin_password, mountPath: /run/secrets/grafana_admin_password }",
        "external: created outside the stack",
        "NODE_ID: TODO",
        "--storage.tsdb.retention=24h",
    ] {
        assert!(swarmprom.contains(line), "{line} missing:\n{swarmprom}");
    }
    assert!(warnings.contains("import/swarm-template"), "{warnings}");

    let (piggy, _) = import("piggymetrics");
    for line in [
        "image: sqshq/piggymetrics-config:2.0.0",
        "MONGODB_URI: { secret: account-service-env, key: MONGODB_URI }",
        "CONFIG_SERVICE_PASSWORD: { secret: gateway-env, key: CONFIG_SERVICE_PASSWORD }",
        "health: { path: /actuator/health, port: 8081, interval: 30s }",
        "{ name: amqp, port: 5672 }",
    ] {
        assert!(piggy.contains(line), "{line} missing:\n{piggy}");
    }
}

/// The CLI reads `--env-file` (and, without it, the `.env` beside the compose file).
#[test]
fn the_cli_interpolates_from_env_files() {
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("compose.yml");
    std::fs::write(
        &compose,
        "services:\n  web:\n    image: \"nginx:${NGINX_TAG_FOR_TEST:-1.25}\"\n    ports: [\"80:80\"]\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "import",
            "compose",
            compose.to_str().unwrap(),
            "--name",
            "web",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = common::run(&args, Some(dir.path()));
        assert_eq!(code, 0, "{err}");
        out
    };
    assert!(run(&[]).contains("image: nginx:1.25"));
    std::fs::write(dir.path().join(".env"), "NGINX_TAG_FOR_TEST=1.26\n").unwrap();
    assert!(run(&[]).contains("image: nginx:1.26"));
    let other = dir.path().join("prod.env");
    std::fs::write(&other, "NGINX_TAG_FOR_TEST=1.27\n").unwrap();
    assert!(run(&["--env-file", other.to_str().unwrap()]).contains("image: nginx:1.27"));
}
