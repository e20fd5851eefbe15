//! Issue 16, least privilege by default: every workload of every example bundle, read back
//! from its YAML, runs as the spec says and no more; hostile security settings end in a
//! diagnostic; the example bundles' shared volumes are given to the non-root user.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use cutover::diagnostic::Severity;
use cutover::model::security::{DEFAULT_USER, identity, listens_below_1024};
use cutover::model::{Service, Spec};
use cutover::rules::RuleId;
use serde_json::{Value, json};

const TOKEN_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
const WORKLOAD_KINDS: &[&str] = &["Deployment", "StatefulSet", "Job"];

/// Every workload manifest of a compiled bundle, with its file path.
fn workloads(files: &cutover::bundle::Files) -> Vec<(String, Value)> {
    files
        .iter()
        .filter(|(path, _)| path.starts_with("manifests/") && path.ends_with(".yaml"))
        .flat_map(|(path, bytes)| {
            common::yaml_documents(bytes)
                .unwrap_or_else(|e| panic!("{path}: {e}"))
                .into_iter()
                .map(move |doc| (path.to_string(), doc))
        })
        .filter(|(_, doc)| {
            doc["kind"]
                .as_str()
                .is_some_and(|k| WORKLOAD_KINDS.contains(&k))
        })
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn containers(pod: &Value, key: &str) -> Vec<Value> {
    pod[key].as_array().cloned().unwrap_or_default()
}

/// What a workload's pod must say of its service, whatever example it comes from.
fn assert_least_privilege(what: &str, spec: &Spec, service: &Service, workload: &Value) {
    let pod = &workload["spec"]["template"]["spec"];
    let id = identity(service);
    let security = &pod["securityContext"];

    // A token only for a service that talks to the API, under its own account.
    assert_eq!(
        pod["automountServiceAccountToken"],
        json!(service.kubernetes_api),
        "{what}: automountServiceAccountToken"
    );
    if service.kubernetes_api {
        assert_eq!(pod["serviceAccountName"], json!(service.name), "{what}");
    }

    // Who it runs as.
    assert_eq!(security["runAsNonRoot"], json!(id.non_root), "{what}");
    assert_eq!(
        security["seccompProfile"]["type"], "RuntimeDefault",
        "{what}"
    );
    if service.security_context.is_none() {
        assert_eq!(security["runAsNonRoot"], json!(true), "{what}: default");
        assert_eq!(
            security["runAsUser"],
            json!(DEFAULT_USER),
            "{what}: default"
        );
        assert_eq!(
            security["runAsGroup"],
            json!(DEFAULT_USER),
            "{what}: default"
        );
        assert_eq!(security["fsGroup"], json!(DEFAULT_USER), "{what}: default");
    }
    if id.non_root {
        let uid = security["runAsUser"].as_u64().expect("a uid");
        assert_eq!(Some(uid), id.user.map(u64::from), "{what}");
        assert!(
            uid >= 10_000
                || service
                    .security_context
                    .as_ref()
                    .is_some_and(|c| c.run_as_user.is_some()),
            "{what}: a default uid of 10000 or more"
        );
        assert_eq!(security["fsGroupChangePolicy"], "OnRootMismatch", "{what}");
    }
    // Ports below 1024 through the namespaced sysctl, never a capability.
    let sysctls = security["sysctls"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        sysctls
            .iter()
            .any(|s| s["name"] == "net.ipv4.ip_unprivileged_port_start" && s["value"] == "0"),
        listens_below_1024(service),
        "{what}: the unprivileged-port sysctl"
    );

    // Every container: no escalation, not privileged, everything dropped.
    let main = containers(pod, "containers");
    let init = containers(pod, "initContainers");
    assert_eq!(main.len(), 1, "{what}: one container");
    for container in main.iter().chain(&init) {
        let name = container["name"].as_str().unwrap_or_default();
        let context = &container["securityContext"];
        assert_eq!(
            context["allowPrivilegeEscalation"],
            json!(false),
            "{what}/{name}"
        );
        assert_eq!(context["privileged"], json!(false), "{what}/{name}");
        assert_eq!(
            strings(&context["capabilities"]["drop"]),
            ["ALL"],
            "{what}/{name}"
        );
    }
    // Capabilities only where the spec adds them, and only to the service's container.
    let wanted: Vec<String> = id
        .capabilities
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(
        strings(&main[0]["securityContext"]["capabilities"]["add"]),
        wanted,
        "{what}: added capabilities"
    );
    assert_eq!(
        main[0]["securityContext"]["readOnlyRootFilesystem"],
        json!(id.read_only_root),
        "{what}"
    );
    for container in &init {
        assert!(
            container["securityContext"]["capabilities"]["add"].is_null(),
            "{what}"
        );
        assert_eq!(
            container["securityContext"]["readOnlyRootFilesystem"],
            json!(true),
            "{what}"
        );
        assert_eq!(
            container["securityContext"]["runAsNonRoot"],
            json!(true),
            "{what}"
        );
    }

    // Every writable path is an emptyDir mounted exactly there; no other emptyDir.
    let volumes = pod["volumes"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = volumes.iter().filter_map(|v| v["name"].as_str()).collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(
        unique.len(),
        names.len(),
        "{what}: volume names are unique: {names:?}"
    );
    let empty_dirs: BTreeSet<&str> = volumes
        .iter()
        .filter(|v| v.get("emptyDir").is_some())
        .filter_map(|v| v["name"].as_str())
        .collect();
    let mounts = main[0]["volumeMounts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let writable: Vec<String> = mounts
        .iter()
        .filter(|m| m["name"].as_str().is_some_and(|n| empty_dirs.contains(n)))
        .filter_map(|m| m["mountPath"].as_str().map(str::to_string))
        .collect();
    assert_eq!(writable, id.writable_paths, "{what}: writable paths");
    assert_eq!(
        empty_dirs.len(),
        id.writable_paths.len(),
        "{what}: one emptyDir each"
    );

    // The job waiter's token: in the init containers that run kubectl, nowhere else.
    let token_volumes: BTreeSet<&str> = volumes
        .iter()
        .filter(|v| {
            v["projected"]["sources"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s.get("serviceAccountToken").is_some()))
        })
        .filter_map(|v| v["name"].as_str())
        .collect();
    let waits_for_job = service
        .depends_on
        .iter()
        .any(|d| spec.service(d).is_some_and(|d| d.one_shot));
    assert_eq!(
        token_volumes.len(),
        usize::from(waits_for_job && !service.kubernetes_api),
        "{what}: the waiter's token volume"
    );
    let mounts_token = |c: &Value| {
        c["volumeMounts"].as_array().is_some_and(|m| {
            m.iter().any(|m| {
                m["mountPath"] == TOKEN_DIR
                    || m["name"]
                        .as_str()
                        .is_some_and(|n| token_volumes.contains(n))
            })
        })
    };
    assert!(
        !mounts_token(&main[0]),
        "{what}: the service's container sees no token"
    );
    for container in &init {
        let runs_kubectl = container["command"][0] == "kubectl";
        assert_eq!(
            mounts_token(container),
            runs_kubectl && !service.kubernetes_api,
            "{what}/{}: the token reaches the kubectl wait only",
            container["name"]
        );
    }
    if let Some(volume) = volumes.iter().find(|v| {
        v["name"]
            .as_str()
            .is_some_and(|n| token_volumes.contains(n))
    }) {
        let sources = &volume["projected"]["sources"];
        assert_eq!(sources[0]["serviceAccountToken"]["path"], "token", "{what}");
        assert!(
            sources[0]["serviceAccountToken"]["expirationSeconds"]
                .as_i64()
                .unwrap()
                >= 600
        );
        assert_eq!(
            sources[1]["configMap"]["name"], "kube-root-ca.crt",
            "{what}"
        );
        assert_eq!(
            sources[1]["configMap"]["items"][0]["path"], "ca.crt",
            "{what}"
        );
        assert_eq!(
            sources[2]["downwardAPI"]["items"][0]["path"], "namespace",
            "{what}"
        );
        assert_eq!(
            sources[2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"], "metadata.namespace",
            "{what}"
        );
    }
}

fn check_bundle(label: &str, spec: &Spec, files: &cutover::bundle::Files) -> usize {
    let found = workloads(files);
    for (path, workload) in &found {
        let name = workload["metadata"]["name"].as_str().unwrap();
        let service = spec
            .service(name)
            .unwrap_or_else(|| panic!("{label} {path}: no service `{name}`"));
        assert_least_privilege(&format!("{label} {path}"), spec, service, workload);
    }
    found.len()
}

#[test]
fn every_example_workload_runs_with_least_privilege() {
    let mut total = 0;
    for example in common::example_specs(&["yaml"]) {
        let spec = cutover::load::load(&example).unwrap().spec;
        let compiled = common::compile(&example);
        let count = check_bundle(&example.display().to_string(), &spec, &compiled.files);
        let serving = spec.services.len();
        assert!(
            count >= serving,
            "{}: every service has a workload",
            example.display()
        );
        total += count;
    }
    assert!(total >= 30, "{total} workloads checked");
}

#[test]
fn the_flagship_example_gets_no_security_warning() {
    let compiled = common::compile(Path::new("examples/piggymetrics.yaml"));
    for warning in &compiled.warnings {
        assert!(
            ![RuleId::WorkloadRunAsRoot, RuleId::WorkloadCapabilities].contains(&warning.rule),
            "{}",
            common::render(std::slice::from_ref(warning))
        );
    }
}

/// A spec from an example with its services changed, written as JSON (which is YAML).
fn variant(example: &str, change: impl Fn(&mut Value)) -> (tempfile::TempDir, std::path::PathBuf) {
    let text = std::fs::read_to_string(example).unwrap();
    let mut root = common::yaml(text.as_bytes());
    change(&mut root);
    let dir = tempfile::tempdir().unwrap();
    let path = common::temp_spec(
        &dir,
        "spec.yaml",
        &serde_json::to_string_pretty(&root).unwrap(),
    );
    (dir, path)
}

fn service_mut<'a>(root: &'a mut Value, name: &str) -> &'a mut Value {
    root["services"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["name"] == name)
        .unwrap()
}

#[test]
fn a_service_that_talks_to_the_api_gets_its_own_account_and_token() {
    // `worker` waits for the db-migrate Job; `result` waits for nothing.
    let (_dir, path) = variant("examples/swarm-stack.yaml", |root| {
        service_mut(root, "worker")["kubernetesApi"] = json!(true);
        service_mut(root, "result")["kubernetesApi"] = json!(true);
    });
    let compiled = common::compile(&path);
    let spec = cutover::load::load(&path).unwrap().spec;
    check_bundle("kubernetesApi", &spec, &compiled.files);
    let deploy = |kind: &str, name: &str| {
        let file = format!("manifests/04-deploy/{}-{name}.yaml", kind.to_lowercase());
        common::yaml(
            compiled
                .files
                .get(&file)
                .unwrap_or_else(|| panic!("{file}")),
        )
    };
    for name in ["worker", "result"] {
        let account = deploy("ServiceAccount", name);
        assert_eq!(account["kind"], "ServiceAccount");
        let pod = &deploy("Deployment", name)["spec"]["template"]["spec"];
        assert_eq!(pod["automountServiceAccountToken"], json!(true));
        assert_eq!(pod["serviceAccountName"], name);
    }
    // The waiting one's own account may read the Jobs it waits for.
    let binding = deploy("RoleBinding", "cutover-job-waiter");
    let subjects: Vec<&str> = binding["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(subjects, ["cutover-job-waiter", "worker"]);
    // Everyone else still sees no token.
    let vote = &deploy("Deployment", "vote")["spec"]["template"]["spec"];
    assert_eq!(vote["automountServiceAccountToken"], json!(false));
}

#[test]
fn a_root_service_keeps_its_image_user_and_only_the_capabilities_it_adds() {
    let (_dir, path) = variant("examples/swarm-stack.yaml", |root| {
        let redis = service_mut(root, "redis");
        redis["securityContext"] = json!({
            "runAsNonRoot": false,
            "readOnlyRootFilesystem": false,
            "writablePaths": [],
            "capabilities": ["CHOWN", "SETUID", "SETGID"]
        });
    });
    let compiled = common::compile(&path);
    let rules: BTreeSet<RuleId> = compiled.warnings.iter().map(|w| w.rule).collect();
    assert!(rules.contains(&RuleId::WorkloadRunAsRoot));
    assert!(rules.contains(&RuleId::WorkloadCapabilities));
    let spec = cutover::load::load(&path).unwrap().spec;
    check_bundle("root", &spec, &compiled.files);
    let redis = common::yaml(
        compiled
            .files
            .get("manifests/04-deploy/deployment-redis.yaml")
            .unwrap(),
    );
    let pod = &redis["spec"]["template"]["spec"];
    for field in ["runAsUser", "runAsGroup", "fsGroup", "fsGroupChangePolicy"] {
        assert!(
            pod["securityContext"][field].is_null(),
            "{field}: the image decides"
        );
    }
    assert_eq!(pod["securityContext"]["runAsNonRoot"], json!(false));
    assert!(pod["volumes"].is_null(), "no writable path, no volume");
    let context = &pod["containers"][0]["securityContext"];
    assert_eq!(
        strings(&context["capabilities"]["add"]),
        ["CHOWN", "SETUID", "SETGID"]
    );
    assert_eq!(context["readOnlyRootFilesystem"], json!(false));
}

#[test]
fn writable_volumes_never_take_a_storage_volume_s_name() {
    let (_dir, path) = variant("examples/piggymetrics.yaml", |root| {
        root["storage"][2]["name"] = json!("cutover-writable-0");
        let statistics = service_mut(root, "statistics-service");
        statistics["volumes"][0]["storage"] = json!("cutover-writable-0");
        statistics["securityContext"] = json!({ "writablePaths": ["/tmp", "/var/cache/reports"] });
    });
    let compiled = common::compile(&path);
    let spec = cutover::load::load(&path).unwrap().spec;
    check_bundle("collision", &spec, &compiled.files);
    let deployment = common::yaml(
        compiled
            .files
            .get("manifests/04-deploy/deployment-statistics-service.yaml")
            .unwrap(),
    );
    let volumes: Vec<String> = deployment["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        volumes,
        [
            "cutover-writable-0",
            "cutover-writable-0-1",
            "cutover-writable-1"
        ]
    );
}

#[test]
fn shared_volumes_go_to_the_non_root_user() {
    let compiled = common::compile(Path::new("examples/piggymetrics.yaml"));
    // OSS: ossfs shows the objects as the service's user and group, read-write for both.
    let oss = common::yaml(
        compiled
            .files
            .get("manifests/04-deploy/persistentvolume-piggymetrics-avatars.yaml")
            .unwrap(),
    );
    let options = oss["spec"]["csi"]["volumeAttributes"]["otherOpts"]
        .as_str()
        .unwrap();
    assert!(
        options.ends_with("-o uid=10001 -o gid=10001 -o umask=007"),
        "{options}"
    );
    // NAS: the data runbook hands the copied files to the same user.
    let data = compiled
        .files
        .iter()
        .find(|(p, _)| p.starts_with("runbooks/") && p.ends_with("-data.md"))
        .map(|(_, c)| String::from_utf8_lossy(c).into_owned())
        .expect("a data runbook");
    assert!(
        data.contains("sudo chown -R 10001:10001 /mnt/shared-reports"),
        "{data}"
    );
    assert!(data.contains("sudo chmod -R g+rwX /mnt/shared-reports"));
}

/// The diagnostics of a variant, as (rule, severity) pairs.
fn findings(path: &Path) -> Vec<(String, Severity)> {
    common::diagnostics(path, &Default::default())
        .into_iter()
        .map(|d| (d.rule.as_str().to_string(), d.severity))
        .collect()
}

#[test]
fn hostile_security_settings_end_in_diagnostics() {
    let cases: Vec<(Value, &str, Severity)> = vec![
        (
            json!({ "writablePaths": ["/tmp/../etc"] }),
            "spec/value",
            Severity::Error,
        ),
        (
            json!({ "writablePaths": ["/tmp\nrunAsUser: 0"] }),
            "spec/value",
            Severity::Error,
        ),
        (
            json!({ "writablePaths": ["tmp"] }),
            "spec/value",
            Severity::Error,
        ),
        (
            json!({ "writablePaths": ["/"] }),
            "workload/security-context",
            Severity::Error,
        ),
        (
            json!({ "writablePaths": ["/tmp", "/tmp"] }),
            "workload/security-context",
            Severity::Error,
        ),
        (
            json!({ "writablePaths": ["/reports/tmp"] }),
            "workload/security-context",
            Severity::Error,
        ),
        (
            json!({ "writablePaths": (0..10_000).map(|i| format!("/w/{i}")).collect::<Vec<_>>() }),
            "workload/security-context",
            Severity::Error,
        ),
        (
            json!({ "capabilities": ["ALL"] }),
            "spec/type",
            Severity::Error,
        ),
        (
            json!({ "capabilities": ["CAP_SYS_ADMIN"] }),
            "spec/type",
            Severity::Error,
        ),
        (
            json!({ "capabilities": ["SYS_ADMIN"] }),
            "workload/capabilities",
            Severity::Warning,
        ),
        (
            json!({ "capabilities": ["NET_BIND_SERVICE"] }),
            "workload/capabilities",
            Severity::Warning,
        ),
        (
            json!({ "runAsUser": 0 }),
            "workload/run-as-root",
            Severity::Warning,
        ),
        (json!({ "runAsUser": -1 }), "spec/type", Severity::Error),
        (
            json!({ "runAsUser": 3_000_000_000u64 }),
            "workload/security-context",
            Severity::Error,
        ),
        (
            json!({ "runAsUser": 0, "runAsNonRoot": true }),
            "workload/security-context",
            Severity::Error,
        ),
        (
            json!({ "privileged": true }),
            "spec/unknown-field",
            Severity::Error,
        ),
    ];
    for (context, rule, severity) in cases {
        let (_dir, path) = variant("examples/piggymetrics.yaml", |root| {
            service_mut(root, "statistics-service")["securityContext"] = context.clone();
        });
        let start = std::time::Instant::now();
        let found = findings(&path);
        assert!(
            start.elapsed().as_secs() < 5,
            "{context}: took {:?}",
            start.elapsed()
        );
        assert!(
            found.iter().any(|(r, s)| r == rule && *s == severity),
            "{context}: expected {rule} ({severity:?}), got {found:?}"
        );
    }
    // `CAP_SYS_ADMIN` is answered with the name to write.
    let (_dir, path) = variant("examples/piggymetrics.yaml", |root| {
        service_mut(root, "statistics-service")["securityContext"] =
            json!({ "capabilities": ["CAP_SYS_ADMIN"] });
    });
    let text = common::render(&common::diagnostics(&path, &Default::default()));
    assert!(text.contains("did you mean `SYS_ADMIN`?"), "{text}");
}

#[test]
fn allow_silences_the_security_warnings_for_its_service_only() {
    let (_dir, path) = variant("examples/piggymetrics.yaml", |root| {
        for name in ["gateway", "auth-service"] {
            service_mut(root, name)["securityContext"] =
                json!({ "runAsNonRoot": false, "capabilities": ["NET_ADMIN"] });
        }
        service_mut(root, "gateway")["allow"] =
            json!(["workload/run-as-root", "workload/capabilities"]);
    });
    let diagnostics = common::diagnostics(&path, &Default::default());
    let security: Vec<&str> = diagnostics
        .iter()
        .filter(|d| [RuleId::WorkloadRunAsRoot, RuleId::WorkloadCapabilities].contains(&d.rule))
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(security.len(), 2, "{security:?}");
    assert!(
        security.iter().all(|m| m.contains("`auth-service`")),
        "{security:?}"
    );
}
