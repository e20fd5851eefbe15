//! The catch-all for partly listed hosts (`rollout.unroutedPaths`): a spec whose host lists
//! only `/api` and `/web` keeps every other path on the old cluster in every phase from the
//! first one that sends the new ingress traffic until `complete`, per router; `new` removes it
//! at `complete` and its rollback brings it back; `refuse` has none; and the diagnostic names
//! the host. Also: a `matchedOnly` ack-nginx step carries service-match and service-weight.

mod common;

use std::collections::BTreeMap;

use cutover::load;
use cutover::plan::rollout::{Action, PhaseKind};
use cutover::render::manifests::routes::{deletions, legacy_name, restorations};
use cutover::rules::RuleId;
use serde_json::Value;

const HOST: &str = "hello.example";

fn spec_text(rollout: &str) -> String {
    let text = spec_template(rollout);
    if rollout.contains("dns-weights") {
        // DNS moves whole hosts: the host's services move in one wave.
        return text.replace(
            "      services: [api]",
            "      services: [api, web]",
        ).replace(
            "    - name: web\n      services: [web]\n      steps:\n        - { weight: 50, hold: 30m }\n        - { weight: 100, hold: 1h }\n",
            "",
        );
    }
    text
}

fn spec_template(rollout: &str) -> String {
    format!(
        r#"apiVersion: cutover.dev/v1alpha1
kind: Migration
metadata:
  name: hello

source:
  platform: swarm
  name: swarm-hello
  entrypoint: {{ address: 203.0.113.10 }}

target:
  name: ack-hello
  edition: ack-pro
  region: cn-hangzhou
  zones: [cn-hangzhou-g, cn-hangzhou-h]
  kubernetesVersion: "1.31"
  entrypoint: {{ address: 203.0.113.20 }}
  network:
    plugin: flannel
    vpc: 192.168.0.0/16
    vswitches:
      - {{ name: vsw-g, zone: cn-hangzhou-g, cidr: 192.168.0.0/20 }}
      - {{ name: vsw-h, zone: cn-hangzhou-h, cidr: 192.168.16.0/20 }}
    podCidr: 10.16.0.0/16
    serviceCidr: 10.17.0.0/20
    podsPerNode: 64
  nodes:
    profile: balanced
    totalCores: 16
    faultTolerance: 25%
    systemDisk: {{ category: cloud_essd, size: 40Gi }}
    dataDisk: {{ category: cloud_essd, size: 100Gi }}
  ingressController: {{ replicas: 2 }}

services:
  - name: api
    image: registry.example.com/hello/api:1.0.0
    replicas: 3
    port: 9090
    resources:
      requests: {{ cpu: 250m, memory: 256Mi }}
      limits: {{ cpu: 500m, memory: 512Mi }}
    health: {{ path: /ready }}
    routes:
      - {{ host: {HOST}, path: /api }}
  - name: web
    image: registry.example.com/hello/web:1.0.0
    replicas: 3
    port: 8080
    resources:
      requests: {{ cpu: 250m, memory: 256Mi }}
      limits: {{ cpu: 500m, memory: 512Mi }}
    health: {{ path: /healthz }}
    routes:
      - {{ host: {HOST}, path: /web }}

images:
  target: registry.cn-hangzhou.aliyuncs.com/hello
  pullSecret: acr-pull

rollout:
{rollout}
  waves:
    - name: api
      services: [api]
      steps:
        - {{ weight: 25, hold: 30m }}
        - {{ weight: 100, hold: 1h }}
    - name: web
      services: [web]
      steps:
        - {{ weight: 50, hold: 30m }}
        - {{ weight: 100, hold: 1h }}

dns:
  provider: alidns
  edition: enterprise-ultimate
  zone: {HOST}
  ttl: {{ normal: 600, cutover: 60 }}
  records:
    - {{ name: "@", type: A }}
"#
    )
}

/// The routers under test, as their `rollout` head.
const ROUTERS: &[(&str, &str)] = &[
    ("nginx", "  strategy: ingress-canary\n  controller: nginx"),
    ("alb", "  strategy: ingress-canary\n  controller: alb"),
    (
        "ack-nginx",
        "  strategy: ingress-canary\n  controller: ack-nginx",
    ),
    (
        "gateway-api",
        "  strategy: ingress-canary\n  controller: gateway-api",
    ),
    ("istio", "  strategy: istio"),
    ("dns-weights", "  strategy: dns-weights"),
    ("slb-weights", "  strategy: slb-weights"),
];

struct Compiled {
    spec: cutover::model::Spec,
    plan: cutover::plan::Plan,
    files: BTreeMap<String, Vec<u8>>,
    warnings: Vec<cutover::diagnostic::Diagnostic>,
}

fn compile(head: &str, policy: Option<&str>) -> Compiled {
    let dir = tempfile::tempdir().unwrap();
    let mut rollout = head.to_string();
    if let Some(policy) = policy {
        rollout.push_str(&format!("\n  unroutedPaths: {policy}"));
    }
    let path = common::temp_spec(&dir, "spec.yaml", &spec_text(&rollout));
    let compiled = common::compile(&path);
    let spec = load::load(&path).unwrap().spec;
    let plan = common::plan(&spec);
    Compiled {
        spec,
        plan,
        files: compiled
            .files
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_vec()))
            .collect(),
        warnings: compiled.warnings,
    }
}

/// The objects of one folder under `manifests/`, by (kind, name).
fn folder(c: &Compiled, name: &str) -> BTreeMap<(String, String), Value> {
    let prefix = format!("manifests/{name}/");
    c.files
        .iter()
        .filter(|(path, _)| {
            path.strip_prefix(&prefix)
                .is_some_and(|rest| !rest.contains('/') && rest != "kustomization.yaml")
        })
        .map(|(_, bytes)| {
            let value = common::yaml(bytes);
            let key = (
                value["kind"].as_str().unwrap_or_default().to_string(),
                value["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
            (key, value)
        })
        .collect()
}

/// Whether the objects send `/` of the host (every unlisted path) to the legacy backend.
fn has_catch_all(objects: &BTreeMap<(String, String), Value>, legacy: &str) -> bool {
    objects.values().any(|o| match o["kind"].as_str() {
        Some("Ingress") => {
            o["metadata"]["annotations"]
                .get("nginx.ingress.kubernetes.io/canary")
                .is_none()
                && o["spec"]["rules"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|r| {
                        r["host"] == HOST
                            && r["http"]["paths"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .any(|p| {
                                    p["path"] == "/"
                                        && p["pathType"] == "Prefix"
                                        && p["backend"]["service"]["name"] == legacy
                                })
                    })
        }
        Some("HTTPRoute") => {
            o["spec"]["hostnames"]
                .as_array()
                .is_some_and(|h| h.iter().any(|h| h == HOST))
                && o["spec"]["rules"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|r| {
                        r["matches"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|m| m["path"]["type"] == "PathPrefix" && m["path"]["value"] == "/")
                            && r["backendRefs"][0]["name"] == legacy
                    })
        }
        Some("VirtualService") => {
            o["spec"]["hosts"][0] == HOST
                && o["spec"]["http"]
                    .as_array()
                    .and_then(|h| h.last())
                    .is_some_and(|last| {
                        last.get("match").is_none()
                            && last["route"][0]["destination"]["host"]
                                == format!("{legacy}.legacy.internal")
                    })
        }
        _ => false,
    })
}

/// Replays the phases from deploy on (apply and delete folders, the runbook's deletions) and
/// hands the cluster's objects after each phase to `each`.
fn replay(c: &Compiled, mut each: impl FnMut(PhaseKind, &BTreeMap<(String, String), Value>)) {
    let mut cluster: BTreeMap<(String, String), Value> = BTreeMap::new();
    let mut deployed = false;
    for phase in &c.plan.phases {
        deployed |= phase.kind == PhaseKind::Deploy;
        if !deployed {
            continue;
        }
        match phase.forward {
            Action::Apply => cluster.extend(folder(c, &phase.id)),
            Action::Delete => {
                for key in folder(c, &phase.id).keys() {
                    cluster.remove(key);
                }
            }
            Action::None => {}
        }
        for line in deletions(&c.spec, phase) {
            // `kubectl -n NS delete RESOURCE NAME --ignore-not-found`
            let words: Vec<&str> = line.split_whitespace().collect();
            let at = words.iter().position(|w| *w == "delete").unwrap();
            let kind = match words[at + 1].trim_matches('\'') {
                r if r.starts_with("ingress") => "Ingress",
                r if r.starts_with("httproute") => "HTTPRoute",
                r => panic!("unexpected resource {r}"),
            };
            let name = words[at + 2].trim_matches('\'').to_string();
            assert!(
                cluster.remove(&(kind.to_string(), name)).is_some(),
                "{line} deletes an object the cluster has"
            );
        }
        each(phase.kind, &cluster);
    }
}

#[test]
fn every_phase_from_entry_to_complete_keeps_unlisted_paths_on_the_old_cluster() {
    for (router, head) in ROUTERS {
        for policy in [None, Some("legacy"), Some("new")] {
            let c = compile(head, policy);
            let legacy = legacy_name(&c.spec);
            let mut traffic = 0;
            replay(&c, |kind, cluster| {
                let settled_new = kind == PhaseKind::Complete && policy == Some("new");
                if kind.moves_traffic() || kind == PhaseKind::Deploy {
                    traffic += 1;
                    assert_eq!(
                        has_catch_all(cluster, &legacy),
                        !settled_new,
                        "{router} {policy:?}: catch-all after {kind:?}"
                    );
                }
                if kind == PhaseKind::Decommission {
                    // Under `legacy` the decommission removes it with the legacy backend
                    // (Istio's route goes by the runbook's patch; its backend is gone).
                    if *router != "istio" {
                        assert!(
                            !has_catch_all(cluster, &legacy),
                            "{router} {policy:?}: decommission removes the catch-all"
                        );
                    }
                    assert!(
                        !cluster.keys().any(|(_, name)| name == &legacy),
                        "{router} {policy:?}: decommission removes the legacy backend"
                    );
                }
            });
            assert!(traffic >= 4, "{router}: the phases were replayed");
            let warned = c.warnings.iter().any(|d| {
                d.rule == RuleId::RolloutUnroutedPaths
                    && d.message.contains(&format!("`{HOST}`"))
                    && d.message.contains("`/api`, `/web`")
            });
            assert!(warned, "{router}: the diagnostic names the host");
        }
    }
}

#[test]
fn under_new_the_rollback_of_complete_brings_the_catch_all_back() {
    for (router, head) in ROUTERS {
        let c = compile(head, Some("new"));
        let legacy = legacy_name(&c.spec);
        let complete = c
            .plan
            .phases
            .iter()
            .find(|p| p.kind == PhaseKind::Complete)
            .unwrap();
        let rollback = folder(&c, &format!("rollback/{}", complete.id));
        assert!(
            has_catch_all(&rollback, &legacy),
            "{router}: rollback/{} re-creates the catch-all",
            complete.id
        );
        let restore = restorations(&c.spec, complete);
        match complete.rollback {
            // The rollback folder is applied by the runbook already.
            Action::Apply => assert!(restore.is_empty(), "{router}: {restore:?}"),
            _ => assert_eq!(
                restore,
                [format!(
                    "kubectl apply -k manifests/rollback/{}",
                    complete.id
                )],
                "{router}"
            ),
        }
        if *router != "istio" {
            assert!(!deletions(&c.spec, complete).is_empty(), "{router}");
        }
    }
}

#[test]
fn under_refuse_there_is_no_catch_all() {
    for (router, head) in ROUTERS {
        let c = compile(head, Some("refuse"));
        let legacy = legacy_name(&c.spec);
        assert!(
            !c.files.keys().any(|p| p.contains("catch-all")),
            "{router}: no catch-all object"
        );
        replay(&c, |kind, cluster| {
            assert!(
                !has_catch_all(cluster, &legacy),
                "{router}: no catch-all after {kind:?}"
            );
        });
        for phase in &c.plan.phases {
            assert!(deletions(&c.spec, phase).is_empty());
        }
        let d = c
            .warnings
            .iter()
            .find(|d| d.rule == RuleId::RolloutUnroutedPaths)
            .expect("still warned");
        assert!(d.message.contains("404"), "{}", d.message);
    }
}

#[test]
fn a_host_that_lists_slash_has_no_catch_all() {
    let c = compile(ROUTERS[0].1, None);
    assert!(c.files.keys().any(|p| p.contains("catch-all")));
    let dir = tempfile::tempdir().unwrap();
    let text = spec_text(ROUTERS[0].1).replace("path: /web", "path: /");
    let path = common::temp_spec(&dir, "spec.yaml", &text);
    let compiled = common::compile(&path);
    assert!(!compiled.files.iter().any(|(p, _)| p.contains("catch-all")));
    assert!(
        !compiled
            .warnings
            .iter()
            .any(|d| d.rule == RuleId::RolloutUnroutedPaths)
    );
}

#[test]
fn a_matched_only_ack_nginx_step_sets_service_match_and_service_weight() {
    let head = "  strategy: ingress-canary\n  controller: ack-nginx\n  match:\n    header: { name: x-migration, value: canary }";
    let dir = tempfile::tempdir().unwrap();
    let text = spec_text(head).replacen(
        "{ weight: 25, hold: 30m }",
        "{ weight: 25, hold: 30m, matchedOnly: true }",
        1,
    );
    let path = common::temp_spec(&dir, "spec.yaml", &text);
    let compiled = common::compile(&path);
    let spec = load::load(&path).unwrap().spec;
    let plan = common::plan(&spec);
    let legacy = legacy_name(&spec);
    let step = plan
        .phases
        .iter()
        .find(|p| p.kind == PhaseKind::Step && p.weight == Some(25))
        .unwrap();
    let bytes = compiled
        .files
        .get(&format!("manifests/{}/ingress-api.yaml", step.id))
        .expect("the step's Ingress");
    let ingress = common::yaml(bytes);
    let annotations = &ingress["metadata"]["annotations"];
    assert_eq!(
        annotations["nginx.ingress.kubernetes.io/service-match"],
        r#"api: header("x-migration", "canary")"#
    );
    assert_eq!(
        annotations["nginx.ingress.kubernetes.io/service-weight"],
        format!("api: 25, {legacy}: 75")
    );
    // Without matchedOnly, a weight splits every request: no service-match.
    let full = plan
        .phases
        .iter()
        .find(|p| p.kind == PhaseKind::Step && p.weight == Some(50))
        .unwrap();
    let bytes = compiled
        .files
        .get(&format!("manifests/{}/ingress-web.yaml", full.id))
        .expect("the web step's Ingress");
    let ingress = common::yaml(bytes);
    let annotations = &ingress["metadata"]["annotations"];
    assert!(
        annotations
            .get("nginx.ingress.kubernetes.io/service-match")
            .is_none()
    );
    assert_eq!(
        annotations["nginx.ingress.kubernetes.io/service-weight"],
        format!("web: 50, {legacy}: 50")
    );
}
