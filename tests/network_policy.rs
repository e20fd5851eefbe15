//! The NetworkPolicies (issue 16), read back from the bundles and compared with what the
//! spec's graph says, derived here from the spec's own YAML (read with a reader that is not
//! cutover's): per service, the routes' router, the services that depend on it, its
//! dependencies, its data stores, its `egress` and DNS, and nothing else; the verify
//! runbook's probes; `networkPolicy: none`; and values that cannot reach a policy's fields.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cutover::bundle::Files;
use cutover::rules::RuleId;
use serde_json::Value;

/// A rule as the test compares it: the peer (`pods:<namespace>/<labels>` with `*` for any
/// namespace and nothing for the policy's own, or `cidr:<block>`) and its ports.
type RuleKey = (String, Vec<(u64, String)>);

fn spec_of(path: &Path) -> Value {
    common::yaml(&std::fs::read(path).unwrap())
}

fn compile_text(text: &str) -> cutover::Compiled {
    let dir = tempfile::tempdir().unwrap();
    let path = common::temp_spec(&dir, "spec.yaml", text);
    common::compile(&path)
}

fn deploy_folder(files: &Files) -> String {
    files
        .paths()
        .filter_map(|p| p.strip_prefix("manifests/"))
        .filter_map(|p| p.split_once('/').map(|(folder, _)| folder))
        .find(|folder| folder.ends_with("-deploy"))
        .expect("a deploy folder")
        .to_string()
}

/// Every NetworkPolicy of the bundle, by name, with the folder it sits in.
fn policies(files: &Files) -> BTreeMap<String, (String, Value)> {
    files
        .iter()
        .filter(|(path, _)| path.starts_with("manifests/"))
        .filter(|(path, _)| !path.ends_with("kustomization.yaml"))
        .filter_map(|(path, bytes)| {
            let object = common::yaml(bytes);
            (object["kind"] == "NetworkPolicy").then(|| {
                let folder = path.rsplit_once('/').unwrap().0.to_string();
                (
                    object["metadata"]["name"].as_str().unwrap().to_string(),
                    (folder, object),
                )
            })
        })
        .collect()
}

fn labels(selector: &Value) -> String {
    selector["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

fn peer_key(peer: &Value) -> String {
    if let Some(block) = peer.get("ipBlock") {
        assert!(block.get("except").is_none());
        return format!("cidr:{}", block["cidr"].as_str().unwrap());
    }
    let namespace = match peer.get("namespaceSelector") {
        None => String::new(),
        Some(selector) if selector.as_object().is_some_and(|m| m.is_empty()) => "*".into(),
        Some(selector) => {
            let labels = labels(selector);
            labels
                .strip_prefix("kubernetes.io/metadata.name=")
                .unwrap_or_else(|| panic!("namespace selector {labels}"))
                .to_string()
        }
    };
    let pods = peer.get("podSelector").map(labels).unwrap_or_default();
    format!("pods:{namespace}/{pods}")
}

fn rules(policy: &Value, direction: &str) -> BTreeSet<RuleKey> {
    let peers = if direction == "ingress" { "from" } else { "to" };
    let mut out = BTreeSet::new();
    for rule in policy["spec"][direction].as_array().into_iter().flatten() {
        let ports: Vec<(u64, String)> = rule["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["port"].as_u64().unwrap(),
                    p["protocol"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let list = rule[peers].as_array().expect("every rule names its peers");
        assert_eq!(list.len(), 1, "one peer per rule");
        out.insert((peer_key(&list[0]), ports));
    }
    out
}

fn tcp(ports: &[u64]) -> Vec<(u64, String)> {
    ports.iter().map(|p| (*p, "TCP".to_string())).collect()
}

fn dns() -> BTreeSet<RuleKey> {
    let ports = vec![(53, "UDP".to_string()), (53, "TCP".to_string())];
    BTreeSet::from([
        (
            "pods:kube-system/k8s-app=kube-dns".to_string(),
            ports.clone(),
        ),
        ("cidr:169.254.20.10/32".to_string(), ports),
    ])
}

fn pods(service: &str) -> String {
    format!("pods:/app.kubernetes.io/name={service}")
}

fn services(spec: &Value) -> Vec<&Value> {
    spec["services"].as_array().unwrap().iter().collect()
}

fn name(v: &Value) -> &str {
    v["name"].as_str().unwrap()
}

fn list<'a>(v: &'a Value, key: &str) -> Vec<&'a str> {
    v[key]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s.as_str().unwrap())
        .collect()
}

fn is(v: &Value, key: &str) -> bool {
    v[key].as_bool() == Some(true)
}

fn namespace(spec: &Value) -> String {
    spec["target"]["namespace"]
        .as_str()
        .unwrap_or_else(|| spec["metadata"]["name"].as_str().unwrap())
        .to_string()
}

/// The engines' default ports, as Alibaba Cloud documents them.
fn db_port(db: &Value) -> u64 {
    db["target"]["port"]
        .as_u64()
        .unwrap_or(match db["engine"].as_str().unwrap() {
            "mysql" => 3306,
            "postgresql" => 5432,
            other => panic!("no port known for {other}"),
        })
}

/// What the spec's graph allows each serving service's pods, besides DNS: (ingress, egress).
fn expected(
    spec: &Value,
    router: &str,
) -> BTreeMap<String, (BTreeSet<RuleKey>, BTreeSet<RuleKey>)> {
    let all = services(spec);
    let by_name: BTreeMap<&str, &Value> = all.iter().map(|s| (name(s), *s)).collect();
    let vpc = spec["target"]["network"]["vpc"].as_str().unwrap();
    let stores: Vec<(String, String, Vec<u64>)> = spec["data"]["databases"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|db| {
            (
                name(db).to_string(),
                db["target"]["cidr"].as_str().unwrap_or(vpc).to_string(),
                vec![db_port(db)],
            )
        })
        .chain(
            spec["data"]["objectStores"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|os| {
                    (
                        name(os).to_string(),
                        os["cidr"].as_str().unwrap_or("100.64.0.0/10").to_string(),
                        vec![443, 80],
                    )
                }),
        )
        .collect();
    let listed: BTreeSet<&str> = all.iter().flat_map(|s| list(s, "data")).collect();
    let mut out = BTreeMap::new();
    for s in &all {
        let port = s["port"].as_u64().unwrap();
        let mut ingress = BTreeSet::new();
        let mut egress = BTreeSet::new();
        if !is(s, "oneShot") {
            if s["routes"].as_array().is_some_and(|r| !r.is_empty()) {
                ingress.insert((router.to_string(), tcp(&[port])));
            }
            for other in &all {
                if list(other, "dependsOn").contains(&name(s)) {
                    ingress.insert((pods(name(other)), tcp(&[port])));
                }
            }
            if is(s, "stateful") {
                ingress.insert((pods(name(s)), tcp(&[port])));
                egress.insert((pods(name(s)), tcp(&[port])));
            }
        }
        for dep in list(s, "dependsOn") {
            let d = by_name[dep];
            if is(d, "oneShot") {
                let service_cidr = spec["target"]["network"]["serviceCidr"].as_str().unwrap();
                let first: std::net::Ipv4Addr =
                    service_cidr.split('/').next().unwrap().parse().unwrap();
                let api = std::net::Ipv4Addr::from(u32::from(first) + 1);
                egress.insert((format!("cidr:{api}/32"), tcp(&[443])));
                egress.insert((format!("cidr:{vpc}"), tcp(&[6443])));
            } else {
                egress.insert((pods(dep), tcp(&[d["port"].as_u64().unwrap()])));
            }
        }
        for (store, cidr, ports) in &stores {
            if !listed.contains(store.as_str()) || list(s, "data").contains(&store.as_str()) {
                egress.insert((format!("cidr:{cidr}"), tcp(ports)));
            }
        }
        for e in s["egress"].as_array().into_iter().flatten() {
            let protocol = e["protocol"].as_str().unwrap_or("tcp").to_ascii_uppercase();
            egress.insert((
                format!("cidr:{}", e["cidr"].as_str().unwrap()),
                vec![(e["port"].as_u64().unwrap(), protocol)],
            ));
        }
        out.insert(name(s).to_string(), (ingress, egress));
    }
    out
}

fn read_back(files: &Files) -> BTreeMap<String, (BTreeSet<RuleKey>, BTreeSet<RuleKey>)> {
    policies(files)
        .into_iter()
        .filter(|(name, _)| name != "default-deny")
        .map(|(name, (_, policy))| {
            let mut egress = rules(&policy, "egress");
            assert!(
                dns().is_subset(&egress),
                "{name}: every pod reaches cluster DNS"
            );
            egress.retain(|r| !dns().contains(r));
            (name, (rules(&policy, "ingress"), egress))
        })
        .collect()
}

const NGINX: &str = "pods:kube-system/app=ingress-nginx";

#[test]
fn the_piggymetrics_policies_allow_exactly_its_routes_dependants_and_data_stores() {
    let path = Path::new("examples/piggymetrics.yaml");
    let spec = spec_of(path);
    let compiled = common::compile(path);
    let ns = namespace(&spec);
    let found = policies(&compiled.files);
    let folder = format!("manifests/{}", deploy_folder(&compiled.files));

    // One default deny, and one policy per service named after it, in the deploy folder.
    let mut names: BTreeSet<String> = services(&spec)
        .iter()
        .map(|s| name(s).to_string())
        .collect();
    names.insert("default-deny".into());
    assert_eq!(found.keys().cloned().collect::<BTreeSet<_>>(), names);
    for (name, (at, policy)) in &found {
        assert_eq!(at, &folder, "{name}");
        assert_eq!(policy["metadata"]["namespace"], ns.as_str(), "{name}");
        assert_eq!(
            policy["metadata"]["labels"]["app.kubernetes.io/managed-by"], "cutover",
            "{name}"
        );
        assert!(policy["metadata"]["annotations"]["cutover.dev/source"].is_string());
        assert_eq!(
            policy["spec"]["policyTypes"],
            serde_json::json!(["Ingress", "Egress"]),
            "{name}: both directions, so no rule means none allowed"
        );
    }
    let deny = &found["default-deny"].1["spec"];
    assert_eq!(deny["podSelector"], serde_json::json!({}));
    assert!(deny.get("ingress").is_none() && deny.get("egress").is_none());

    // The graph, derived from the spec's YAML.
    assert_eq!(read_back(&compiled.files), expected(&spec, NGINX));

    // Each service's policy selects exactly its workload's pods.
    for (path, bytes) in compiled.files.iter() {
        if !path.starts_with(&folder) || path.ends_with("kustomization.yaml") {
            continue;
        }
        let object = common::yaml(bytes);
        if !matches!(
            object["kind"].as_str(),
            Some("Deployment" | "StatefulSet" | "Job")
        ) {
            continue;
        }
        let name = object["metadata"]["name"].as_str().unwrap();
        let template = &object["spec"]["template"]["metadata"]["labels"];
        let selector = &found[name].1["spec"]["podSelector"]["matchLabels"];
        for (k, v) in selector.as_object().unwrap() {
            assert_eq!(&template[k], v, "{name}: the policy selects the pods");
        }
    }
}

#[test]
fn no_policy_can_select_the_ingress_controller_or_the_legacy_backend() {
    let mut legacy = 0;
    for spec_path in common::example_specs(&["yaml"]) {
        let spec = spec_of(&spec_path);
        let compiled = common::compile(&spec_path);
        let ns = namespace(&spec);
        let found = policies(&compiled.files);
        for (name, (_, policy)) in &found {
            // Namespaced policies select pods of their own namespace only: the controller
            // (kube-system, istio-system, the gateway's) is out of their reach.
            assert_eq!(policy["metadata"]["namespace"], ns.as_str(), "{name}");
            let selector = &policy["spec"]["podSelector"];
            if selector.as_object().is_some_and(|m| m.is_empty()) {
                assert_eq!(
                    name, "default-deny",
                    "only the default deny selects every pod"
                );
            }
        }
        // The legacy backends are Services without a selector: no pod of theirs to select.
        for (path, bytes) in compiled.files.iter() {
            if !path.starts_with("manifests/")
                || !path.ends_with(".yaml")
                || path.contains("/configs/")
            {
                continue;
            }
            let object = common::yaml(bytes);
            if object["kind"] == "Service"
                && object["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("legacy-") || n.ends_with("-legacy"))
            {
                assert!(object["spec"].get("selector").is_none(), "{path}");
                legacy += 1;
            }
        }
    }
    assert!(legacy > 0, "the examples have legacy backends");
}

#[test]
fn each_router_admits_its_own_pods_or_addresses_on_the_main_port() {
    let vpc = "cidr:192.168.0.0/16";
    let cases: &[(&str, &[&str])] = &[
        ("examples/minimal.yaml", &[NGINX]),
        ("examples/ack-nginx.yaml", &[NGINX]),
        ("examples/alb.yaml", &[vpc]),
        (
            "examples/istio.yaml",
            &["pods:istio-system/istio=ingressgateway"],
        ),
        (
            "examples/gateway-api.yaml",
            &[
                "pods:*/gateway.envoyproxy.io/owning-gateway-name=public,gateway.envoyproxy.io/owning-gateway-namespace=gateways",
            ],
        ),
        ("examples/slb-weights.yaml", &[NGINX, "cidr:0.0.0.0/0"]),
        ("examples/dns-weights.yaml", &[NGINX]),
        ("examples/client.yaml", &[NGINX]),
    ];
    for (path, sources) in cases {
        let spec = spec_of(Path::new(path));
        let compiled = common::compile(Path::new(path));
        let found = read_back(&compiled.files);
        let mut routed = 0;
        for s in services(&spec) {
            if s["routes"].as_array().is_none_or(|r| r.is_empty()) {
                continue;
            }
            routed += 1;
            let port = s["port"].as_u64().unwrap();
            let (ingress, _) = &found[name(s)];
            for source in *sources {
                assert!(
                    ingress.contains(&(source.to_string(), tcp(&[port]))),
                    "{path}: {} admits {source} on {port}: {ingress:?}",
                    name(s)
                );
            }
            // Outside the namespace, only the router and the published ports reach it.
            for (peer, ports) in ingress {
                if peer.starts_with("pods:/") {
                    continue;
                }
                let istio_metrics = peer == "pods:*/" && ports == &tcp(&[15020, 15090]);
                assert!(
                    sources.contains(&peer.as_str()) || istio_metrics,
                    "{path}: {} admits {peer} {ports:?}",
                    name(s)
                );
            }
        }
        assert!(routed > 0, "{path}");
    }
}

#[test]
fn a_published_port_is_open_to_its_clients_wherever_they_appear_from() {
    let spec = spec_of(Path::new("examples/broker.yaml"));
    let compiled = common::compile(Path::new("examples/broker.yaml"));
    let found = read_back(&compiled.files);
    let broker = services(&spec)
        .into_iter()
        .find(|s| s["publish"].is_object())
        .expect("the broker publishes its port");
    let port = broker["port"].as_u64().unwrap();
    assert!(
        found[name(broker)]
            .0
            .contains(&("cidr:0.0.0.0/0".to_string(), tcp(&[port])))
    );
}

#[test]
fn the_network_policy_example_narrows_data_and_opens_egress_and_the_api_server() {
    let path = Path::new("examples/network-policy.yaml");
    let spec = spec_of(path);
    let compiled = common::compile(path);
    let found = read_back(&compiled.files);
    assert_eq!(found, expected(&spec, NGINX));
    // `data: [orders]` on api and migrate: web and cache do not reach the database.
    let orders = ("cidr:192.168.0.0/16".to_string(), tcp(&[3306]));
    for service in ["api", "migrate"] {
        assert!(found[service].1.contains(&orders), "{service}");
    }
    for service in ["web", "cache"] {
        assert!(!found[service].1.contains(&orders), "{service}");
    }
    // api waits for the migrate Job through the API server; nothing reaches the Job.
    assert!(
        found["api"]
            .1
            .contains(&("cidr:10.17.0.1/32".to_string(), tcp(&[443])))
    );
    assert!(found["migrate"].0.is_empty());
    // The mail relay, on its port only.
    assert!(
        found["api"]
            .1
            .contains(&("cidr:198.51.100.25/32".to_string(), tcp(&[587])))
    );
    // The env names only declared destinations: no warning.
    assert!(
        compiled
            .warnings
            .iter()
            .all(|d| d.rule != RuleId::NetworkUndeclaredDependency),
        "{}",
        common::render(&compiled.warnings)
    );
}

#[test]
fn the_flagship_gets_no_new_warning() {
    let compiled = common::compile(Path::new("examples/piggymetrics.yaml"));
    assert!(
        compiled
            .warnings
            .iter()
            .all(|d| d.rule != RuleId::NetworkUndeclaredDependency)
    );
}

#[test]
fn network_policy_none_writes_no_policy_and_no_probe() {
    let text = std::fs::read_to_string("examples/network-policy.yaml")
        .unwrap()
        .replace("  networkPolicy: dependencies ", "  networkPolicy: none ");
    assert!(text.contains("networkPolicy: none"));
    let compiled = compile_text(&text);
    assert!(policies(&compiled.files).is_empty());
    let plan: Value = serde_json::from_slice(compiled.files.get("plan.json").unwrap()).unwrap();
    assert_eq!(plan["networkPolicy"]["mode"], "none");
    assert!(
        plan["networkPolicy"]["policies"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let verify =
        String::from_utf8_lossy(compiled.files.get("runbooks/05-verify.md").unwrap()).into_owned();
    assert!(!verify.contains("Check the network policies"));
    assert!(!verify.contains("cutover-deny-probe"));
    // Nothing judged either: the env may name what it likes.
    let text = text.replace("    dependsOn: [api]              # web", "    # web");
    let compiled = compile_text(&text);
    assert!(
        compiled
            .warnings
            .iter()
            .all(|d| d.rule != RuleId::NetworkUndeclaredDependency)
    );
}

#[test]
fn the_gateways_own_proxies_are_left_open_when_they_may_run_in_the_namespace() {
    let text = std::fs::read_to_string("examples/gateway-api.yaml").unwrap();
    // With the Gateway elsewhere (`gateways/public`), no policy for its proxies.
    assert!(!policies(&compile_text(&text).files).contains_key("gateway-proxies"));
    let text = text.replace(", gateway: gateways/public", "");
    let compiled = compile_text(&text);
    let found = policies(&compiled.files);
    let proxies = &found["gateway-proxies"].1["spec"];
    assert_eq!(
        labels(&proxies["podSelector"]),
        "gateway.envoyproxy.io/owning-gateway-name=gateway,gateway.envoyproxy.io/owning-gateway-namespace=hello-web"
    );
    assert_eq!(proxies["ingress"], serde_json::json!([{}]));
    assert_eq!(proxies["egress"], serde_json::json!([{}]));
}

/// The verify runbook probes every allowed edge from inside its source's pod, and (where the
/// plugin enforces policies) proves enforcement with a pod no policy allows.
#[test]
fn the_verify_runbook_probes_every_allowed_edge() {
    for spec_path in common::example_specs(&["yaml"]) {
        let spec = spec_of(&spec_path);
        let compiled = common::compile(&spec_path);
        let ns = namespace(&spec);
        let verify = String::from_utf8_lossy(
            compiled
                .files
                .iter()
                .find(|(p, _)| p.starts_with("runbooks/") && p.ends_with("-verify.md"))
                .unwrap()
                .1,
        )
        .into_owned();
        let all = services(&spec);
        let by_name: BTreeMap<&str, &Value> = all.iter().map(|s| (name(s), *s)).collect();
        let istio = spec["rollout"]["strategy"] == "istio";
        let mut probed = 0;
        for s in &all {
            if is(s, "oneShot") || istio {
                continue;
            }
            for dep in list(s, "dependsOn") {
                let d = by_name[dep];
                if is(d, "oneShot") || d["protocol"] == "udp" {
                    continue;
                }
                let port = d["port"].as_u64().unwrap();
                let line = verify.lines().find(|l| {
                    l.starts_with(&format!("kubectl -n {ns} debug "))
                        && l.contains(&format!("app.kubernetes.io/name={} ", name(s)))
                        && l.contains(&format!("nc -z -w 3 {dep} {port};"))
                });
                assert!(
                    line.is_some(),
                    "{}: no probe of {} -> {dep}:{port}",
                    spec_path.display(),
                    name(s)
                );
                probed += 1;
            }
        }
        let terway = spec["target"]["network"]["plugin"] == "terway";
        assert_eq!(
            verify.contains("run cutover-deny-probe"),
            terway,
            "{}: the deny probe runs where policies are enforced",
            spec_path.display()
        );
        if !terway {
            assert!(
                verify.contains("applied but not enforced"),
                "{}",
                spec_path.display()
            );
        }
        if spec_path.ends_with("network-policy.yaml") {
            assert!(probed >= 2);
            assert!(verify.contains("nc -z -w 3 mysql.internal.shop.example 3306;"));
            assert!(verify.contains("nc -z -w 3 oss-cn-hangzhou-internal.aliyuncs.com 443;"));
        }
    }
}

/// A CIDR, a port or a data name from the spec reaches a policy only as the value it is:
/// anything else is refused before a bundle exists.
#[test]
fn hostile_egress_and_data_values_are_refused() {
    let text = std::fs::read_to_string("examples/network-policy.yaml").unwrap();
    let hostile = [
        (
            "{ cidr: 198.51.100.25/32, port: 587 }",
            "{ cidr: \"198.51.100.25/32; rm -rf /\", port: 587 }",
        ),
        (
            "{ cidr: 198.51.100.25/32, port: 587 }",
            "{ cidr: \"$(touch /tmp/pwned)\", port: 587 }",
        ),
        (
            "{ cidr: 198.51.100.25/32, port: 587 }",
            "{ cidr: \"198.51.100.25/32\\nkind: Secret\", port: 587 }",
        ),
        (
            "{ cidr: 198.51.100.25/32, port: 587 }",
            "{ cidr: 198.51.100.25/33, port: 587 }",
        ),
        (
            "{ cidr: 198.51.100.25/32, port: 587 }",
            "{ cidr: 198.51.100.25/29, port: 587 }",
        ),
        (
            "{ cidr: 198.51.100.25/32, port: 587 }",
            "{ cidr: \"::/0\", port: 587 }",
        ),
        (
            "{ cidr: 198.51.100.25/32, port: 587 }",
            "{ cidr: 198.51.100.25/32, port: \"587; id\" }",
        ),
        (
            "{ cidr: 198.51.100.25/32, port: 587 }",
            "{ cidr: 198.51.100.25/32, port: 70000 }",
        ),
        (
            "{ cidr: 198.51.100.25/32, port: 587 }",
            "{ cidr: 198.51.100.25/32, port: 0 }",
        ),
        (
            "{ cidr: 198.51.100.25/32, port: 587 }",
            "{ cidr: 198.51.100.25/32, port: 587, protocol: sctp }",
        ),
        (
            "    data: [orders]                # only",
            "    data: [\"orders; id\"]                # only",
        ),
        (
            "    data: [orders]                # only",
            "    data: [\"../orders\"]                # only",
        ),
        (
            "target: { instance: rm-bp1example000002 }",
            "target: { instance: rm-bp1example000002, port: -1 }",
        ),
        (
            "target: { instance: rm-bp1example000002 }",
            "target: { instance: rm-bp1example000002, cidr: \"0/0 $(id)\" }",
        ),
        (
            "target: oss://shop-assets",
            "target: oss://shop-assets\n      cidr: \"100.64.0.0/10`id`\"",
        ),
        (
            "  networkPolicy: dependencies ",
            "  networkPolicy: \"none; id\" ",
        ),
    ];
    for (from, to) in hostile {
        assert!(text.contains(from), "{from}");
        let variant = text.replacen(from, to, 1);
        let dir = tempfile::tempdir().unwrap();
        let path = common::temp_spec(&dir, "spec.yaml", &variant);
        match cutover::compile_file(&path, &Default::default()) {
            Ok(_) => panic!("compiled with {to}"),
            Err(cutover::Failure::Spec(d)) => assert!(!d.is_empty(), "{to}"),
            Err(cutover::Failure::Io(m)) => panic!("{to}: {m}"),
        }
    }
    // A UDP egress reaches its policy as exactly its block, port and protocol.
    let variant = text.replacen(
        "{ cidr: 198.51.100.25/32, port: 587 }",
        "{ cidr: 198.51.100.0/24, port: 5353, protocol: udp }",
        1,
    );
    let found = read_back(&compile_text(&variant).files);
    assert!(found["api"].1.contains(&(
        "cidr:198.51.100.0/24".to_string(),
        vec![(5353, "UDP".to_string())]
    )));
}

#[test]
fn a_service_named_like_the_default_deny_keeps_both_policies_apart() {
    let text = std::fs::read_to_string("examples/network-policy.yaml")
        .unwrap()
        .replace("[migrate, cache]", "[migrate, default-deny]")
        .replace("CACHE_HOST: cache", "CACHE_HOST: default-deny")
        .replace("  - name: cache\n", "  - name: default-deny\n");
    let compiled = compile_text(&text);
    let found = policies(&compiled.files);
    let service = &found["default-deny"].1["spec"];
    assert_eq!(
        labels(&service["podSelector"]),
        "app.kubernetes.io/name=default-deny"
    );
    let deny = &found["default-deny.cutover"].1["spec"];
    assert_eq!(deny["podSelector"], serde_json::json!({}));
    assert!(deny.get("ingress").is_none() && deny.get("egress").is_none());
}
