//! The Kubernetes manifests: what the bundle holds, that every file parses back to exactly
//! the object built, that no spec value can inject YAML, and that custom kinds use only
//! their published field names.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cutover::load;
use cutover::render::manifests::{self, Manifest, SERVED_SINCE, SOURCE_ANNOTATION};

fn specs() -> Vec<PathBuf> {
    let mut specs = common::example_specs(&["yaml"]);
    specs.push(PathBuf::from("tests/fixtures/manifests/yaml-syntax.yaml"));
    specs
}

fn phases(path: &Path) -> manifests::Phases {
    let loaded = load::load(path).unwrap_or_else(|_| panic!("{} loads", path.display()));
    manifests::build(&loaded.spec, &common::plan(&loaded.spec))
}

fn all(phases: &manifests::Phases) -> Vec<&Manifest> {
    phases
        .folders
        .values()
        .flatten()
        .chain(phases.patches.values())
        .collect()
}

#[test]
fn every_manifest_parses_back_to_exactly_the_object_built() {
    for spec in specs() {
        let compiled = common::compile(&spec);
        let phases = phases(&spec);
        for (folder, list) in &phases.folders {
            for manifest in list {
                let path = format!("manifests/{folder}/{}", manifest.file_name());
                let text = compiled
                    .files
                    .get(&path)
                    .unwrap_or_else(|| panic!("{path} missing"));
                assert_eq!(text, manifest.yaml().as_bytes(), "{path}");
                let documents = common::yaml_documents(text).unwrap();
                assert_eq!(documents.len(), 1, "{path} holds one document");
                assert_eq!(
                    documents[0],
                    *manifest.value(),
                    "{path} parses back to the object built"
                );
            }
        }
    }
}

#[test]
fn spec_values_holding_yaml_syntax_stay_plain_strings() {
    let phases = phases(Path::new("tests/fixtures/manifests/yaml-syntax.yaml"));
    let deployment = phases.folders["04-deploy"]
        .iter()
        .find(|m| m.kind == "Deployment")
        .unwrap();
    let env: BTreeMap<String, String> =
        deployment.value()["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["name"].as_str().unwrap().to_string(),
                    e["value"].as_str().unwrap().to_string(),
                )
            })
            .collect();
    assert_eq!(
        env["BANNER"],
        "line one\n---\nkind: Secret\nmetadata: { name: injected }"
    );
    assert_eq!(env["YAML_WORDS"], "yes");
    assert_eq!(env["EMPTYISH"], "~");
    assert_eq!(env["NUMBERISH"], "0x1F");
    assert!(all(&phases).iter().all(|m| m.kind != "Secret"));
    // Ambiguous words are quoted for YAML 1.1 readers (kubectl) too.
    assert!(deployment.yaml().contains("value: \"yes\"\n"));
    assert!(deployment.yaml().contains("value: \"~\"\n"));
}

#[test]
fn the_piggymetrics_bundle_holds_what_the_spec_describes() {
    let phases = phases(Path::new("examples/piggymetrics.yaml"));
    let deploy = &phases.folders["04-deploy"];
    let count = |kind: &str| deploy.iter().filter(|m| m.kind == kind).count();
    assert_eq!(count("Deployment") + count("StatefulSet"), 6, "6 workloads");
    assert_eq!(count("StatefulSet"), 1);
    let sts = deploy.iter().find(|m| m.kind == "StatefulSet").unwrap();
    assert_eq!(
        sts.value()["spec"]["volumeClaimTemplates"][0]["metadata"]["name"],
        "cache-data"
    );
    assert_eq!(sts.value()["spec"]["serviceName"], "session-cache-headless");
    assert_eq!(
        count("Service"),
        8,
        "6 Services, the StatefulSet's headless one and the legacy backend"
    );
    assert_eq!(count("EndpointSlice"), 1, "the legacy backend's address");
    assert_eq!(count("PodDisruptionBudget"), 6);
    // 4 routed services on the production host (a main and a canary Ingress each) and on
    // the test domain.
    assert_eq!(count("Ingress"), 12);
    let hosts: BTreeSet<String> = deploy
        .iter()
        .filter(|m| m.kind == "Ingress")
        .flat_map(|m| {
            m.value()["spec"]["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["host"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        hosts,
        BTreeSet::from([
            "piggymetrics.example".to_string(),
            "www.piggymetrics.example".to_string(),
            "k8s-test.piggymetrics.example".to_string()
        ])
    );
    assert_eq!(count("Secret"), 0);

    let named = |kind: &str, name: &str| {
        deploy
            .iter()
            .find(|m| m.kind == kind && m.name == name)
            .unwrap_or_else(|| panic!("{kind} {name}"))
    };
    // A static disk: PV named after the disk, its zone, and a claim that selects it.
    let pv = named("PersistentVolume", "d-bp1example0000000001");
    assert_eq!(
        pv.value()["spec"]["csi"]["driver"],
        "diskplugin.csi.alibabacloud.com"
    );
    assert_eq!(
        pv.value()["spec"]["csi"]["volumeHandle"],
        "d-bp1example0000000001"
    );
    assert_eq!(
        pv.value()["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"]
            [0]["values"][0],
        "cn-hangzhou-g"
    );
    let pvc = named("PersistentVolumeClaim", "statistics-db");
    assert_eq!(
        pvc.value()["spec"]["selector"]["matchLabels"]["alicloud-pvname"],
        "d-bp1example0000000001"
    );
    // A dynamic disk: a StorageClass that waits for the pod's zone and keeps the data.
    let sc = named("StorageClass", "piggymetrics-cache-data");
    assert_eq!(sc.value()["volumeBindingMode"], "WaitForFirstConsumer");
    assert_eq!(sc.value()["reclaimPolicy"], "Retain");
    assert_eq!(sc.value()["parameters"]["type"], "cloud_essd");
    // NAS: shared, with the server, path and NFS version.
    let nas = named("PersistentVolume", "piggymetrics-shared-reports");
    assert_eq!(nas.value()["spec"]["accessModes"][0], "ReadWriteMany");
    assert_eq!(
        nas.value()["spec"]["csi"]["volumeAttributes"]["path"],
        "/reports"
    );
    assert_eq!(nas.value()["spec"]["mountOptions"][1], "vers=4.0");
    // OSS: credentials by reference only.
    let oss = named("PersistentVolume", "piggymetrics-avatars");
    assert_eq!(
        oss.value()["spec"]["csi"]["nodePublishSecretRef"]["name"],
        "oss-avatars-credentials"
    );
    assert_eq!(
        oss.value()["spec"]["csi"]["volumeAttributes"]["bucket"],
        "piggymetrics-avatars"
    );

    // Images move to the target registry and pull with its Secret.
    let gateway = named("Deployment", "gateway");
    let gateway = gateway.value();
    let pod = &gateway["spec"]["template"]["spec"];
    assert_eq!(
        pod["containers"][0]["image"],
        "registry.cn-hangzhou.aliyuncs.com/piggymetrics/gateway:2.1.0"
    );
    assert_eq!(pod["imagePullSecrets"][0]["name"], "acr-pull");
    assert_eq!(pod["initContainers"][0]["name"], "wait-for-auth-service");
    assert_eq!(pod["restartPolicy"], "Always");
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert_eq!(
        pod["containers"][0]["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(
        pod["containers"][0]["readinessProbe"]["httpGet"]["path"],
        "/actuator/health"
    );
    assert_eq!(
        named("PodDisruptionBudget", "gateway").value()["spec"]["minAvailable"],
        2
    );

    // The ingress controller's HA patch: replicas and the dedicated nodes' selector.
    let patch = &phases.patches["patches/ingress-controller.yaml"];
    assert_eq!(patch.value()["spec"]["replicas"], 3);
    assert_eq!(
        patch.value()["spec"]["template"]["spec"]["nodeSelector"]["node-role.kubernetes.io/ingress"],
        "true"
    );
}

#[test]
fn every_object_is_traceable_and_served_by_the_target_version() {
    for spec in specs() {
        for manifest in all(&phases(&spec)) {
            let value = manifest.value();
            let annotations = &value["metadata"]["annotations"];
            assert!(
                annotations[SOURCE_ANNOTATION].is_string(),
                "{} {} names its source",
                manifest.kind,
                manifest.name
            );
            let custom = manifest.api_version.contains(".istio.io")
                || manifest
                    .api_version
                    .starts_with("gateway.networking.k8s.io")
                || manifest.api_version.starts_with("external-secrets.io/")
                || manifest.api_version.starts_with("alibabacloud.com/");
            if manifest.whole_object && !custom {
                let served = SERVED_SINCE.iter().any(|(api, kind, since)| {
                    *api == manifest.api_version
                        && *kind == manifest.kind
                        && *since <= cutover::model::kubernetes::OLDEST_MINOR
                });
                assert!(
                    served,
                    "{} {} is not in the served-kinds table",
                    manifest.api_version, manifest.kind
                );
            }
        }
    }
}

#[test]
fn each_phase_folder_is_a_kustomization_of_its_files() {
    for spec in specs() {
        let compiled = common::compile(&spec);
        let mut folders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for path in compiled
            .files
            .paths()
            .filter(|p| p.starts_with("manifests/"))
        {
            // Config files are the generator's data, checked against it below.
            if cutover::render::manifests::is_config_file(path) {
                continue;
            }
            let rest = &path["manifests/".len()..];
            let (folder, file) = rest.rsplit_once('/').unwrap();
            let files = folders.entry(folder.to_string()).or_default();
            if file != "kustomization.yaml" {
                files.insert(file.to_string());
            }
        }
        for (folder, files) in folders {
            let kustomization = compiled
                .files
                .get(&format!("manifests/{folder}/kustomization.yaml"))
                .unwrap();
            let parsed = common::yaml(kustomization);
            assert_eq!(parsed["kind"], "Kustomization");
            let listed: BTreeSet<String> = parsed["resources"]
                .as_array()
                .map(|a| a.iter().map(|r| r.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            assert_eq!(listed, files, "{} {folder}", spec.display());
            // Every file a configMapGenerator reads is in the bundle beside it.
            for generator in parsed["configMapGenerator"]
                .as_array()
                .into_iter()
                .flatten()
            {
                for file in generator["files"].as_array().unwrap() {
                    let path = format!("manifests/{folder}/{}", file.as_str().unwrap());
                    assert!(compiled.files.get(&path).is_some(), "{path} is missing");
                }
            }
            for file in &files {
                let bytes = compiled
                    .files
                    .get(&format!("manifests/{folder}/{file}"))
                    .unwrap();
                let value = common::yaml(bytes);
                let text = String::from_utf8_lossy(bytes);
                let expected = format!(
                    "{}-{}.yaml",
                    value["kind"].as_str().unwrap().to_ascii_lowercase(),
                    value["metadata"]["name"].as_str().unwrap()
                );
                assert_eq!(file, &expected);
                assert!(
                    text.lines()
                        .all(|l| (l.len() - l.trim_start().len()) % 2 == 0),
                    "{file} is 2-space indented"
                );
            }
        }
    }
}

/// Every key path a custom kind may use, from the published schemas: Gateway API v1.3
/// `HTTPRoute` and Istio `networking.istio.io/v1` `VirtualService`, `ServiceEntry` and
/// `DestinationRule` (`[]` stands for a list item, `*` for a map key).
const PUBLISHED_FIELDS: &[(&str, &[&str])] = &[
    (
        "ServiceEntry",
        &[
            "apiVersion",
            "kind",
            "metadata",
            "spec",
            "spec.hosts",
            "spec.hosts[]",
            "spec.ports",
            "spec.ports[]",
            "spec.ports[].number",
            "spec.ports[].name",
            "spec.ports[].protocol",
            "spec.location",
            "spec.resolution",
            "spec.endpoints",
            "spec.endpoints[]",
            "spec.endpoints[].address",
        ],
    ),
    (
        "DestinationRule",
        &[
            "apiVersion",
            "kind",
            "metadata",
            "spec",
            "spec.host",
            "spec.trafficPolicy",
            "spec.trafficPolicy.tls",
            "spec.trafficPolicy.tls.mode",
        ],
    ),
    (
        "HTTPRoute",
        &[
            "apiVersion",
            "kind",
            "metadata",
            "spec",
            "spec.parentRefs",
            "spec.parentRefs[]",
            "spec.parentRefs[].name",
            "spec.parentRefs[].namespace",
            "spec.parentRefs[].sectionName",
            "spec.hostnames",
            "spec.hostnames[]",
            "spec.rules",
            "spec.rules[]",
            "spec.rules[].matches",
            "spec.rules[].matches[]",
            "spec.rules[].matches[].path",
            "spec.rules[].matches[].path.type",
            "spec.rules[].matches[].path.value",
            "spec.rules[].matches[].headers",
            "spec.rules[].matches[].headers[]",
            "spec.rules[].matches[].headers[].type",
            "spec.rules[].matches[].headers[].name",
            "spec.rules[].matches[].headers[].value",
            "spec.rules[].matches[].queryParams",
            "spec.rules[].matches[].queryParams[]",
            "spec.rules[].matches[].queryParams[].type",
            "spec.rules[].matches[].queryParams[].name",
            "spec.rules[].matches[].queryParams[].value",
            "spec.rules[].filters",
            "spec.rules[].filters[]",
            "spec.rules[].filters[].type",
            "spec.rules[].filters[].requestMirror",
            "spec.rules[].filters[].requestMirror.backendRef",
            "spec.rules[].filters[].requestMirror.backendRef.name",
            "spec.rules[].filters[].requestMirror.backendRef.namespace",
            "spec.rules[].filters[].requestMirror.backendRef.port",
            "spec.rules[].filters[].requestMirror.percent",
            "spec.rules[].backendRefs",
            "spec.rules[].backendRefs[]",
            "spec.rules[].backendRefs[].name",
            "spec.rules[].backendRefs[].namespace",
            "spec.rules[].backendRefs[].port",
            "spec.rules[].backendRefs[].weight",
        ],
    ),
    (
        "VirtualService",
        &[
            "apiVersion",
            "kind",
            "metadata",
            "spec",
            "spec.hosts",
            "spec.hosts[]",
            "spec.gateways",
            "spec.gateways[]",
            "spec.http",
            "spec.http[]",
            "spec.http[].name",
            "spec.http[].match",
            "spec.http[].match[]",
            "spec.http[].match[].uri",
            "spec.http[].match[].uri.prefix",
            "spec.http[].match[].uri.exact",
            "spec.http[].match[].uri.regex",
            "spec.http[].match[].headers",
            "spec.http[].match[].headers.*",
            "spec.http[].match[].headers.*.exact",
            "spec.http[].match[].headers.*.regex",
            "spec.http[].match[].queryParams",
            "spec.http[].match[].queryParams.*",
            "spec.http[].match[].queryParams.*.exact",
            "spec.http[].match[].queryParams.*.regex",
            "spec.http[].route",
            "spec.http[].route[]",
            "spec.http[].route[].destination",
            "spec.http[].route[].destination.host",
            "spec.http[].route[].destination.subset",
            "spec.http[].route[].destination.port",
            "spec.http[].route[].destination.port.number",
            "spec.http[].route[].weight",
            "spec.http[].mirror",
            "spec.http[].mirror.host",
            "spec.http[].mirror.subset",
            "spec.http[].mirror.port",
            "spec.http[].mirror.port.number",
            "spec.http[].mirrorPercentage",
            "spec.http[].mirrorPercentage.value",
        ],
    ),
];

fn key_paths(
    value: &serde_json::Value,
    path: String,
    map_keys: &[&str],
    out: &mut BTreeSet<String>,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let segment = if map_keys.iter().any(|m| path.ends_with(m)) {
                    "*".to_string()
                } else {
                    key.clone()
                };
                let child = if path.is_empty() {
                    segment
                } else {
                    format!("{path}.{segment}")
                };
                out.insert(child.clone());
                if !child.ends_with("metadata") {
                    key_paths(inner, child, map_keys, out);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                out.insert(format!("{path}[]"));
                key_paths(item, format!("{path}[]"), map_keys, out);
            }
        }
        _ => {}
    }
}

#[test]
fn custom_kinds_use_only_published_field_names() {
    let mut seen = BTreeSet::new();
    for spec in specs() {
        for manifest in all(&phases(&spec)) {
            let Some((_, allowed)) = PUBLISHED_FIELDS
                .iter()
                .find(|(kind, _)| *kind == manifest.kind)
            else {
                continue;
            };
            seen.insert(manifest.kind.clone());
            let mut paths = BTreeSet::new();
            key_paths(
                manifest.value(),
                String::new(),
                &[".headers", ".queryParams"],
                &mut paths,
            );
            for path in paths {
                assert!(
                    allowed.contains(&path.as_str()),
                    "{} uses `{path}`, not a published field",
                    manifest.kind
                );
            }
        }
    }
    let expected = [
        "DestinationRule",
        "HTTPRoute",
        "ServiceEntry",
        "VirtualService",
    ];
    assert_eq!(seen, expected.iter().map(|k| k.to_string()).collect());
}
