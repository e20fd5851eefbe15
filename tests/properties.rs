//! Property tests: any spec that passes its checks compiles, and every manifest it writes
//! parses back to exactly the object built, whatever the names, values and strategies.

mod common;

use proptest::prelude::*;
use serde_json::{Value, json};

use cutover::diagnostic::{Format, SourceFile};
use cutover::{Failure, Options, load};

/// Free text for environment values: YAML syntax, quotes, line breaks, unicode.
fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[-a-zA-Z0-9 :#'\"{}\\[\\],&*!|>%@`~\\n\\t\\\\é日]{0,24}")
        .unwrap()
}

fn label() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-z][a-z0-9]{0,6}").unwrap()
}

prop_compose! {
    fn service(index: usize)(
        replicas in 1u32..5,
        port in 1024u16..60000,
        routed in any::<bool>(),
        host in prop_oneof![Just("shop.example.com"), Just("api.shop.example.com")],
        path in prop_oneof![Just("/"), Just("/api"), Just("/a/b")],
        http in any::<bool>(),
        env in proptest::collection::btree_map("[A-Z][A-Z_]{0,8}", text(), 0..3),
        depends in any::<bool>(),
        tag in "[0-9]\\.[0-9]{1,2}",
    ) -> Value {
        let name = format!("svc{index}");
        let mut service = json!({
            "name": name,
            "image": format!("registry.example.com/shop/{name}:{tag}"),
            "replicas": replicas,
            "port": port,
            "resources": {
                "requests": { "cpu": "100m", "memory": "128Mi" },
                "limits": { "cpu": "200m", "memory": "256Mi" },
            },
            "health": if http { json!({ "path": "/healthz" }) } else { json!({ "tcp": true }) },
            "env": env,
        });
        if routed {
            service["routes"] = json!([{ "host": host, "path": path }]);
        }
        if depends && index > 0 {
            service["dependsOn"] = json!([format!("svc{}", index - 1)]);
        }
        service
    }
}

fn spec() -> impl Strategy<Value = Value> {
    (1usize..5)
        .prop_flat_map(|n| {
            let services: Vec<_> = (0..n).map(service).collect();
            (
                services,
                label(),
                prop_oneof![
                    Just(("ingress-canary", Some("nginx"))),
                    Just(("ingress-canary", Some("ack-nginx"))),
                    Just(("ingress-canary", Some("alb"))),
                    Just(("ingress-canary", Some("gateway-api"))),
                    Just(("istio", None)),
                    Just(("slb-weights", None)),
                    Just(("dns-weights", None)),
                    Just(("client", None)),
                ],
                proptest::collection::btree_set(1u32..100, 0..3),
                any::<bool>(),
            )
        })
        .prop_map(|(services, name, (strategy, controller), weights, with_dns)| {
            let routed: Vec<Value> = services
                .iter()
                .filter(|s| s.get("routes").is_some())
                .map(|s| s["name"].clone())
                .collect();
            let mut steps: Vec<Value> = weights.iter().map(|w| json!({ "weight": w, "hold": "30m" })).collect();
            steps.push(json!({ "weight": 100, "hold": "1h" }));
            let mut rollout = json!({
                "strategy": strategy,
                "waves": if routed.is_empty() { json!([]) } else { json!([{ "name": "all", "services": routed, "steps": steps }]) },
            });
            if let Some(controller) = controller {
                rollout["controller"] = json!(controller);
            }
            let mut spec = json!({
                "apiVersion": "cutover.dev/v1alpha1",
                "kind": "Migration",
                "metadata": { "name": name },
                "source": { "platform": "swarm", "name": "old", "entrypoint": { "address": "203.0.113.10" } },
                "target": {
                    "name": "new",
                    "edition": "ack-pro",
                    "region": "cn-hangzhou",
                    "zones": ["cn-hangzhou-g", "cn-hangzhou-h"],
                    "kubernetesVersion": "1.31",
                    "entrypoint": { "address": "203.0.113.20" },
                    "testDomain": "test.shop.example.com",
                    "network": {
                        "plugin": "flannel",
                        "vpc": "192.168.0.0/16",
                        "vswitches": [
                            { "name": "a", "zone": "cn-hangzhou-g", "cidr": "192.168.0.0/20" },
                            { "name": "b", "zone": "cn-hangzhou-h", "cidr": "192.168.16.0/20" },
                        ],
                        "podCidr": "10.16.0.0/16",
                        "serviceCidr": "10.17.0.0/20",
                        "podsPerNode": 64,
                    },
                    "nodes": {
                        "profile": "balanced",
                        "totalCores": 64,
                        "faultTolerance": "25%",
                        "systemDisk": { "category": "cloud_essd", "size": "40Gi" },
                        "dataDisk": { "category": "cloud_essd", "size": "100Gi" },
                    },
                    "ingressController": { "replicas": 2 },
                },
                "images": { "target": "registry.cn-hangzhou.aliyuncs.com/shop", "pullSecret": "acr" },
                "services": services,
                "rollout": rollout,
            });
            if with_dns || strategy == "dns-weights" {
                spec["dns"] = json!({
                    "provider": "alidns",
                    "edition": "enterprise-ultimate",
                    "zone": "shop.example.com",
                    "ttl": { "normal": 600, "cutover": 60 },
                    "records": [{ "name": "@", "type": "A" }, { "name": "api", "type": "A" }],
                });
            }
            spec
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn a_spec_that_passes_its_checks_compiles_and_its_manifests_parse_back(spec in spec()) {
        let text = cutover::render::yaml::to_string(&spec);
        let source = SourceFile::new("generated.yaml", text.clone(), Format::Yaml);
        match cutover::compile_source(source.clone(), &Options::default()) {
            Err(Failure::Io(message)) => prop_assert!(false, "I/O failure on a generated spec: {message}"),
            Err(Failure::Spec(diagnostics)) => {
                // Refused specs are fine (dns-weights hosts split across waves, say), but
                // only with diagnostics that say why.
                prop_assert!(diagnostics.iter().all(|d| !d.help.is_empty()), "{}", common::render(&diagnostics));
            }
            Ok(compiled) => {
                let Ok(loaded) = load::load_source(source) else {
                    panic!("it compiled, so it loads")
                };
                let phases = cutover::render::manifests::build(&loaded.spec, &common::plan(&loaded.spec));
                for manifest in phases.folders.values().flatten() {
                    let back = load::parse_yaml_value(&manifest.yaml()).expect("manifests parse");
                    prop_assert_eq!(&back, manifest.value(), "{} {}", manifest.kind, manifest.name);
                }
                prop_assert!(compiled.files.get("index.json").is_some());
            }
        }
    }
}
