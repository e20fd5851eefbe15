//! Secrets and configs end to end: a spec with all three secret providers and a config file
//! compiles to references, a ConfigMap generator with the copied file, secret-store objects
//! and runbook commands, and never to a value; hostile config paths are refused with a
//! diagnostic and no bundle.

mod common;

use std::path::{Path, PathBuf};

use cutover::bundle::{self, WriteOptions};
use cutover::rules::RuleId;
use cutover::{Failure, Options};

const CONFIG_TEXT: &str = "listen 8080\nlog_level info\n";

/// Never in the spec, never in the bundle: the value the operator's env file would hold.
const SENTINEL: &str = "s3cr3t-sentinel-value";

fn minimal() -> String {
    std::fs::read_to_string("examples/minimal.yaml").unwrap()
}

/// The minimal spec with `top` before `services:` and `service` lines added to `web`.
fn spec_with(top: &str, service: &str) -> String {
    minimal()
        .replacen("\nservices:\n", &format!("\n{top}\nservices:\n"), 1)
        .replacen(
            "      - { host: hello.example, path: / }\n",
            &format!("      - {{ host: hello.example, path: / }}\n{service}"),
            1,
        )
}

const ALL_PROVIDERS: &str = r#"secrets:
  - { name: db, keys: [password, user] }
  - { name: api, keys: [token], provider: external-secrets, store: { name: kms, kind: SecretStore }, remoteName: prod/api }
  - { name: smtp, keys: [smtp-password], provider: ack-secret-manager, remoteName: prod/smtp }
configs:
  - { name: web-config, files: [config/app.conf] }
"#;

const READERS: &str = r#"    env:
      DB_PASSWORD: { secret: db, key: password }
      DB_USER: { secret: db, key: user }
      API_TOKEN: { secret: api, key: token }
      LISTEN: { config: web-config, key: app.conf }
    files:
      - { config: web-config, key: app.conf, mountPath: /etc/web/app.conf }
      - { secret: smtp, mountPath: /run/secrets/smtp }
"#;

/// A folder holding the spec and its config file.
fn project(top: &str, service: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("config")).unwrap();
    std::fs::write(dir.path().join("config/app.conf"), CONFIG_TEXT).unwrap();
    // The operator's env file sits beside the spec; nothing may read it.
    std::fs::write(dir.path().join("db.env"), format!("password={SENTINEL}\n")).unwrap();
    let spec = common::temp_spec(&dir, "spec.yaml", &spec_with(top, service));
    (dir, spec)
}

fn text(files: &bundle::Files, path: &str) -> String {
    String::from_utf8_lossy(
        files
            .get(path)
            .unwrap_or_else(|| panic!("{path} is missing")),
    )
    .into_owned()
}

#[test]
fn all_three_providers_compile_to_references_and_never_a_value() {
    let (dir, spec) = project(ALL_PROVIDERS, READERS);
    let compiled = common::compile(&spec);
    // Read back from disk, as an operator gets it.
    let out = dir.path().join("bundle");
    bundle::write(&compiled.files, &out, WriteOptions::default()).unwrap();
    let files = bundle::read(&out).unwrap();
    let deploy = "manifests/04-deploy";

    // References: secretKeyRef, configMapKeyRef, and read-only volumes.
    let deployment =
        common::yaml(text(&files, &format!("{deploy}/deployment-web.yaml")).as_bytes());
    let pod = &deployment["spec"]["template"]["spec"];
    let env = pod["containers"][0]["env"].as_array().unwrap();
    let var = |name: &str| env.iter().find(|e| e["name"] == name).unwrap().clone();
    assert_eq!(
        var("DB_PASSWORD")["valueFrom"]["secretKeyRef"]["name"],
        "db"
    );
    assert_eq!(
        var("DB_PASSWORD")["valueFrom"]["secretKeyRef"]["key"],
        "password"
    );
    assert_eq!(var("API_TOKEN")["valueFrom"]["secretKeyRef"]["name"], "api");
    assert_eq!(
        var("LISTEN")["valueFrom"]["configMapKeyRef"]["name"],
        "web-config"
    );
    assert_eq!(
        var("LISTEN")["valueFrom"]["configMapKeyRef"]["key"],
        "app.conf"
    );
    let volumes = pod["volumes"].as_array().unwrap();
    let config_volume = volumes.iter().find(|v| v["configMap"].is_object()).unwrap();
    assert_eq!(config_volume["configMap"]["name"], "web-config");
    assert_eq!(config_volume["configMap"]["items"][0]["key"], "app.conf");
    let secret_volume = volumes.iter().find(|v| v["secret"].is_object()).unwrap();
    assert_eq!(secret_volume["secret"]["secretName"], "smtp");
    assert!(
        secret_volume["secret"]["items"].is_null(),
        "the whole Secret is a folder"
    );
    let mounts = pod["containers"][0]["volumeMounts"].as_array().unwrap();
    let file = mounts
        .iter()
        .find(|m| m["mountPath"] == "/etc/web/app.conf")
        .unwrap();
    assert_eq!(file["subPath"], "app.conf");
    assert_eq!(file["readOnly"], true);
    let folder = mounts
        .iter()
        .find(|m| m["mountPath"] == "/run/secrets/smtp")
        .unwrap();
    assert!(folder["subPath"].is_null());
    assert_eq!(folder["readOnly"], true);

    // The generator and the copied file, byte for byte.
    let kustomization =
        common::yaml(text(&files, &format!("{deploy}/kustomization.yaml")).as_bytes());
    let generator = &kustomization["configMapGenerator"][0];
    assert_eq!(generator["name"], "web-config");
    assert_eq!(generator["namespace"], "hello");
    assert_eq!(generator["files"][0], "configs/web-config/app.conf");
    assert_eq!(
        text(&files, &format!("{deploy}/configs/web-config/app.conf")),
        CONFIG_TEXT
    );
    let resources: Vec<&str> = kustomization["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(resources.iter().all(|r| !r.starts_with("configs/")));

    // The secret stores, typed with their published fields.
    let eso = common::yaml(text(&files, &format!("{deploy}/externalsecret-api.yaml")).as_bytes());
    assert_eq!(eso["apiVersion"], "external-secrets.io/v1");
    assert_eq!(eso["spec"]["secretStoreRef"]["name"], "kms");
    assert_eq!(eso["spec"]["secretStoreRef"]["kind"], "SecretStore");
    assert_eq!(eso["spec"]["target"]["name"], "api");
    assert_eq!(eso["spec"]["data"][0]["secretKey"], "token");
    assert_eq!(eso["spec"]["data"][0]["remoteRef"]["key"], "prod/api");
    assert_eq!(eso["spec"]["data"][0]["remoteRef"]["property"], "token");
    let ack = common::yaml(text(&files, &format!("{deploy}/externalsecret-smtp.yaml")).as_bytes());
    assert_eq!(ack["apiVersion"], "alibabacloud.com/v1alpha1");
    assert_eq!(ack["spec"]["data"][0]["key"], "prod/smtp");
    assert_eq!(
        ack["spec"]["data"][0]["jmesPath"][0]["objectAlias"],
        "smtp-password"
    );
    assert_eq!(
        ack["spec"]["data"][0]["jmesPath"][0]["path"],
        "\"smtp-password\""
    );

    // The runbook: the env file checked, the Secret created idempotently and checked, the
    // operators' CRDs checked, the store's Secret waited for, and the rollback.
    let runbook = text(&files, "runbooks/04-deploy.md");
    for line in [
        ": \"${SECRET_ENV_FILE_DB:?",
        "| LC_ALL=C sort | paste -s -d, -)\" = password,user",
        "kubectl -n hello create secret generic db --from-env-file=\"$SECRET_ENV_FILE_DB\" --dry-run=client -o yaml | kubectl -n hello apply -f -",
        "kubectl -n hello get secret db -o json | jq -e --arg keys password,user",
        "kubectl get crd externalsecrets.external-secrets.io",
        "kubectl get crd externalsecrets.alibabacloud.com",
        "kubectl -n hello wait --for=condition=Ready externalsecret.external-secrets.io/api --timeout=5m",
        "kubectl -n hello delete secret db --ignore-not-found",
        "kubectl -n hello delete secret smtp --ignore-not-found",
    ] {
        assert!(runbook.contains(line), "the deploy runbook lacks {line}");
    }
    // The Secrets are created before the workloads that read them are applied.
    let created = runbook.find("create secret generic db").unwrap();
    let applied = runbook
        .find("kubectl apply -k manifests/04-deploy")
        .unwrap();
    assert!(created < applied);

    // No value, and no Secret object, anywhere.
    for (path, content) in files.iter() {
        let content = String::from_utf8_lossy(content);
        assert!(!content.contains(SENTINEL), "{path} holds the value");
        if path.starts_with("manifests/") && path.ends_with(".yaml") {
            assert!(!content.contains("\nkind: Secret\n"), "{path} is a Secret");
        }
    }
}

#[test]
fn a_secret_reference_is_not_a_credential() {
    let (_dir, spec) = project(ALL_PROVIDERS, READERS);
    let diagnostics = common::diagnostics(&spec, &Options::default());
    assert!(diagnostics.is_empty(), "{}", common::render(&diagnostics));
}

#[test]
fn verify_and_diff_treat_config_files_as_files_not_objects() {
    let (dir, spec) = project(ALL_PROVIDERS, READERS);
    let out = dir.path().join("bundle");
    let (code, _, _) = common::run(
        &[
            "compile",
            &spec.display().to_string(),
            "-o",
            &out.display().to_string(),
        ],
        None,
    );
    assert_eq!(code, 0);
    let (code, stdout, _) = common::run(
        &[
            "verify",
            &spec.display().to_string(),
            &out.display().to_string(),
        ],
        None,
    );
    assert_eq!(code, 0, "{stdout}");
    // A changed config file: verify says stale, diff names the file and no odd object.
    let old = bundle::read(&out).unwrap();
    std::fs::write(dir.path().join("config/app.conf"), "listen 9090\n").unwrap();
    let (code, stdout, _) = common::run(
        &[
            "verify",
            &spec.display().to_string(),
            &out.display().to_string(),
        ],
        None,
    );
    assert_eq!(code, 3, "stale: {stdout}");
    assert!(
        stdout.contains("manifests/04-deploy/configs/web-config/app.conf"),
        "{stdout}"
    );
    let new = common::compile(&spec).files;
    let diff = cutover::diff::diff(&old, &new);
    assert!(
        diff.files
            .iter()
            .any(|(_, path)| path == "manifests/04-deploy/configs/web-config/app.conf")
    );
    assert!(
        diff.objects.iter().all(|c| !c.item.contains('?')),
        "{:?}",
        diff.objects
    );
}

/// The spec of a project whose config names `file`, after `prepare` made the folder.
fn hostile(file: &str, prepare: impl FnOnce(&Path)) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(dir.path().join("outside.conf"), CONFIG_TEXT).unwrap();
    prepare(&project);
    let spec = project.join("spec.yaml");
    std::fs::write(
        &spec,
        spec_with(
            &format!("configs:\n  - {{ name: web-config, files: [\"{file}\"] }}\n"),
            "    files:\n      - { config: web-config, mountPath: /etc/web }\n",
        ),
    )
    .unwrap();
    (dir, spec)
}

fn assert_refused(file: &str, prepare: impl FnOnce(&Path), says: &str) {
    let (dir, spec) = hostile(file, prepare);
    let diagnostics = common::diagnostics(&spec, &Options::default());
    let found = diagnostics
        .iter()
        .find(|d| d.rule == RuleId::SecretsConfigFile)
        .unwrap_or_else(|| panic!("{file}: not refused:\n{}", common::render(&diagnostics)));
    assert!(
        found.message.contains(says),
        "{file}: {} does not say {says}",
        found.message
    );
    assert!(matches!(
        cutover::compile_file(&spec, &Options::default()),
        Err(Failure::Spec(_))
    ));
    let out = dir.path().join("bundle");
    let (code, _, _) = common::run(
        &[
            "compile",
            &spec.display().to_string(),
            "-o",
            &out.display().to_string(),
        ],
        None,
    );
    assert_eq!(code, 1, "{file}");
    assert!(!out.exists(), "{file}: a bundle was written");
}

#[test]
fn hostile_config_paths_are_refused_with_no_bundle() {
    assert_refused("../outside.conf", |_| {}, "climbs out");
    assert_refused("/etc/hostname", |_| {}, "absolute");
    assert_refused("missing.conf", |_| {}, "cannot be read");
    #[cfg(unix)]
    {
        assert_refused(
            "link.conf",
            |p| std::os::unix::fs::symlink("../outside.conf", p.join("link.conf")).unwrap(),
            "outside the spec's folder",
        );
        assert_refused(
            "fifo.conf",
            |p| {
                let fifo = p.join("fifo.conf");
                let status = std::process::Command::new("mkfifo")
                    .arg(&fifo)
                    .status()
                    .unwrap();
                assert!(status.success());
            },
            "FIFO",
        );
    }
    assert_refused(
        "huge.conf",
        |p| std::fs::write(p.join("huge.conf"), vec![b'x'; 1024 * 1024 + 1]).unwrap(),
        "larger than 1 MiB",
    );
    assert_refused(
        "leaky.conf",
        |p| {
            std::fs::write(
                p.join("leaky.conf"),
                "url = postgres://app:hunter2@db:5432/app\n",
            )
            .unwrap()
        },
        "holds a password in a URL",
    );
    assert_refused(
        "sub",
        |p| std::fs::create_dir(p.join("sub")).unwrap(),
        "directory",
    );
}

#[test]
fn a_link_inside_the_folder_is_read() {
    #[cfg(unix)]
    {
        let (_dir, spec) = hostile("link.conf", |p| {
            std::fs::create_dir(p.join("real")).unwrap();
            std::fs::write(p.join("real/app.conf"), CONFIG_TEXT).unwrap();
            std::os::unix::fs::symlink("real/app.conf", p.join("link.conf")).unwrap();
        });
        let compiled = common::compile(&spec);
        assert_eq!(
            text(
                &compiled.files,
                "manifests/04-deploy/configs/web-config/link.conf"
            ),
            CONFIG_TEXT
        );
    }
}

#[test]
fn a_runbook_secret_key_starting_with_a_digit_is_refused_a_store_key_is_not() {
    // `kubectl create secret generic --from-env-file` takes only variable names.
    let top = "secrets:\n  - { name: otp, keys: [2fa-seed] }\n  - { name: api, keys: [2fa-token], provider: external-secrets, store: { name: kms } }\n";
    let service = "    env:\n      SEED: { secret: otp, key: 2fa-seed }\n      TOKEN: { secret: api, key: 2fa-token }\n";
    let (_dir, spec) = project(top, service);
    let diagnostics = common::diagnostics(&spec, &Options::default());
    let refused: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.rule == RuleId::SecretsName)
        .collect();
    assert_eq!(refused.len(), 1, "{}", common::render(&diagnostics));
    assert!(
        refused[0]
            .message
            .contains("`2fa-seed` starts with a digit")
    );
}
