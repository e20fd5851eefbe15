//! Node pools (issue 19, part 2): the pools' request bodies, the prepare runbook's steps, the
//! ingress controller's resources from its peak rate, the ratio check, and hostile values in
//! every new string field.

mod common;

use std::path::Path;

use cutover::diagnostic::{Format, Severity, SourceFile};
use cutover::{Failure, Options};

const EXAMPLE: &str = "examples/node-pools.yaml";

fn text(files: &cutover::bundle::Files, path: &str) -> String {
    String::from_utf8(
        files
            .get(path)
            .unwrap_or_else(|| panic!("{path} missing"))
            .to_vec(),
    )
    .unwrap()
}

fn json(files: &cutover::bundle::Files, path: &str) -> serde_json::Value {
    serde_json::from_str(&text(files, path)).unwrap()
}

/// The example's text with `from` replaced by `to` (exactly once).
fn variant(from: &str, to: &str) -> String {
    let spec = std::fs::read_to_string(EXAMPLE).unwrap();
    assert_eq!(spec.matches(from).count(), 1, "{from}");
    spec.replacen(from, to, 1)
}

fn compile(text: &str) -> Result<cutover::Compiled, Failure> {
    let source = SourceFile::new("pools.yaml", text, Format::Yaml);
    cutover::compile_source_in(source, Path::new("examples"), &Options::default())
}

/// The errors a spec text gets, as `rule: message`.
fn errors(text: &str) -> Vec<String> {
    match compile(text) {
        Ok(_) => Vec::new(),
        Err(Failure::Spec(d)) => d
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("{}: {}", d.rule.as_str(), d.message))
            .collect(),
        Err(Failure::Io(m)) => panic!("{m}"),
    }
}

#[test]
fn each_pool_gets_its_create_request_with_ack_field_names() {
    let files = common::compile(Path::new(EXAMPLE)).files;
    let java = json(&files, "tools/ack/nodepool-java.json");
    assert_eq!(java["nodepool_info"]["name"], "java");
    assert_eq!(java["nodepool_info"]["type"], "ess");
    let group = &java["scaling_group"];
    assert_eq!(
        group["instance_types"],
        serde_json::json!(["ecs.r7.4xlarge", "ecs.r8i.4xlarge"])
    );
    assert_eq!(group["image_type"], "AliyunLinux3");
    assert_eq!(group["instance_charge_type"], "PrePaid");
    assert_eq!(group["period"], 12);
    assert_eq!(group["period_unit"], "Month");
    assert_eq!(group["auto_renew"], true);
    assert_eq!(group["system_disk_category"], "cloud_essd");
    assert_eq!(group["system_disk_size"], 120);
    assert_eq!(group["system_disk_encrypted"], true);
    assert_eq!(
        group["system_disk_kms_key_id"],
        "0e478b7a-4262-4802-b8cb-00d3fb40e001"
    );
    // ACK's DataDisk model types `encrypted` as a string.
    assert_eq!(group["data_disks"][0]["encrypted"], "true");
    assert_eq!(group["data_disks"][0]["size"], 200);
    assert_eq!(group["key_pair"], "ledger-ops");
    // Filled in by the runbook from the lookups, once the cluster exists.
    assert_eq!(group["vswitch_ids"], serde_json::json!([]));
    // Autoscaling: no desired size.
    assert!(group.get("desired_size").is_none());
    assert_eq!(
        java["auto_scaling"],
        serde_json::json!({"enable": true, "type": "cpu", "min_instances": 6, "max_instances": 10})
    );
    assert_eq!(java["kubernetes_config"]["runtime"], "containerd");
    assert_eq!(
        java["kubernetes_config"]["labels"],
        serde_json::json!([
            {"key": "example.com/team", "value": "payments"},
            {"key": "workload", "value": "java"}
        ])
    );

    let ingress = json(&files, "tools/ack/nodepool-ingress.json");
    let group = &ingress["scaling_group"];
    assert_eq!(
        group["instance_types"],
        serde_json::json!(["ecs.c7.2xlarge"])
    );
    assert_eq!(group["image_type"], "ContainerOS");
    assert_eq!(group["instance_charge_type"], "PostPaid");
    assert!(group.get("period").is_none());
    assert_eq!(group["desired_size"], 3);
    assert!(ingress.get("auto_scaling").is_none());
    // The ingress pool labels its nodes for the controller.
    assert_eq!(
        ingress["kubernetes_config"]["labels"],
        serde_json::json!([{"key": "node-role.kubernetes.io/ingress", "value": "true"}])
    );
    assert_eq!(
        ingress["kubernetes_config"]["taints"],
        serde_json::json!([{"key": "dedicated", "value": "ingress", "effect": "NoSchedule"}])
    );
}

#[test]
fn the_prepare_runbook_creates_each_pool_from_its_file() {
    let files = common::compile(Path::new(EXAMPLE)).files;
    let prepare = text(&files, "runbooks/01-prepare.md");
    for line in [
        "VPC_ID=$(aliyun cs GET /clusters/\"$CLUSTER_ID\" | jq -er '[.vpc_id | values | tostring] | if length == 1 then .[0] else error(\"found \\(length) VPC ids of the cluster, expected exactly one\") end')",
        "VSWITCH_ID_VSW_E=$(aliyun vpc DescribeVSwitches --RegionId cn-shanghai --VpcId \"$VPC_ID\" --PageSize 50 | jq -er --arg cidr 192.168.0.0/20",
        "aliyun cs POST /clusters/\"$CLUSTER_ID\"/nodepools --header Content-Type=application/json --body \"$(jq --arg v0 \"$VSWITCH_ID_VSW_E\" --arg v1 \"$VSWITCH_ID_VSW_F\" '.scaling_group.vswitch_ids = [$v0, $v1]' tools/ack/nodepool-java.json)\"",
        "tools/ack/nodepool-ingress.json)\"",
        "| Instance types | ecs.r7.4xlarge (16 cores, 128 GiB), ecs.r8i.4xlarge (16 cores, 128 GiB) (pinned) | `target.nodePools[0].instanceTypes` |",
        "| Nodes | autoscaling from 6 to 10 | `target.nodePools[0].size` |",
        "| Billing | subscription (PrePaid), 12 Month | `target.nodePools[0].billing` |",
        "| Taints | dedicated=ingress:NoSchedule | `target.nodePools[1].taints` |",
        "kubectl get nodes -l node-role.kubernetes.io/ingress=true --no-headers | wc -l",
    ] {
        assert!(prepare.contains(line), "{line} missing:\n{prepare}");
    }
    // The lookups come before the first request that reads them.
    let lookup = prepare.find("VSWITCH_ID_VSW_F=$(").unwrap();
    let request = prepare.find("aliyun cs POST").unwrap();
    assert!(lookup < request);
    // Every pool's request body is in the bundle's index.
    let index = json(&files, "index.json");
    assert!(index.to_string().contains("tools/ack/nodepool-java.json"));
}

#[test]
fn the_ingress_controller_gets_resources_from_its_peak_rate() {
    let compiled = common::compile(Path::new(EXAMPLE));
    let loaded = cutover::load::load_source(SourceFile::new(
        "pools.yaml",
        std::fs::read_to_string(EXAMPLE).unwrap(),
        Format::Yaml,
    ))
    .unwrap();
    let sizing = cutover::model::sizing::derive(&loaded.spec);
    let g = sizing.gateway.as_ref().expect("a gateway load");
    let gateway = (g.cpu.clone(), g.memory.clone());
    // 12,000 requests per second over 2 of 3 replicas: 6,000 each, 2.4 cores at 2,500 a
    // core, rounded up to 2.5; memory 4 GiB per 3 cores, rounded up: 4 GiB.
    assert_eq!(gateway, ("2500m".to_string(), "4Gi".to_string()));
    let patch = common::yaml(
        compiled
            .files
            .get("manifests/01-prepare/patches/ingress-controller.yaml")
            .or_else(|| compiled.files.get("patches/ingress-controller.yaml"))
            .unwrap(),
    );
    let pod = &patch["spec"]["template"]["spec"];
    assert_eq!(
        pod["nodeSelector"]["node-role.kubernetes.io/ingress"],
        "true"
    );
    assert_eq!(pod["tolerations"][0]["key"], "dedicated");
    assert_eq!(pod["tolerations"][0]["effect"], "NoSchedule");
    let container = &pod["containers"][0];
    assert_eq!(container["name"], "nginx-ingress-controller");
    assert_eq!(container["resources"]["requests"]["cpu"], "2500m");
    assert_eq!(container["resources"]["limits"]["memory"], "4Gi");
    let sizing =
        String::from_utf8(compiled.files.get("reports/sizing.md").unwrap().to_vec()).unwrap();
    assert!(sizing.contains("## Ingress controller load"), "{sizing}");
    assert!(
        sizing.contains("each of the other 2 carries 6000 requests per second"),
        "{sizing}"
    );
}

#[test]
fn gateway_sizing_stays_within_its_floor_and_does_not_overflow() {
    let low = cutover::model::sizing::gateway_load(10, 2);
    assert_eq!((low.cpu.as_str(), low.memory.as_str()), ("1", "2Gi"));
    let huge = cutover::model::sizing::gateway_load(u32::MAX, 1);
    assert!(huge.cpu_milli_each > 1_000_000_000, "{huge:?}");
    // One replica: it carries the whole peak (nothing to lose).
    assert_eq!(cutover::model::sizing::gateway_load(5000, 1).cpu, "2");
}

#[test]
fn a_pinned_type_against_the_profile_states_both_ratios() {
    let spec = variant(
        "instanceTypes: [ecs.r7.4xlarge, ecs.r8i.4xlarge]",
        "instanceTypes: [ecs.c7.4xlarge]",
    );
    let errors = errors(&spec);
    assert!(
        errors.iter().any(|e| e
            == "sizing/instance-ratio: ecs.c7.4xlarge is 16 vCPU : 32 GiB = 1:2, the profile memory-heavy needs 1:8"),
        "{errors:?}"
    );
    // A type outside the table is a warning, not an error.
    let spec = variant(
        "instanceTypes: [ecs.r7.4xlarge, ecs.r8i.4xlarge]",
        "instanceTypes: [ecs.r7.4xlarge, ecs.r9x.4xlarge]",
    );
    match compile(&spec) {
        Ok(compiled) => assert!(
            compiled
                .warnings
                .iter()
                .any(|d| d.rule.as_str() == "sizing/unknown-instance-type"),
        ),
        Err(e) => panic!("{e:?}"),
    }
}

#[test]
fn pinned_types_keep_the_fault_tolerance() {
    // 64 vCPU is 66.7% of 96 cores, over the 20% tolerance.
    let spec = variant(
        "instanceTypes: [ecs.r7.4xlarge, ecs.r8i.4xlarge]",
        "instanceTypes: [ecs.r7.16xlarge]",
    );
    let errors = errors(&spec);
    assert!(
        errors.iter().any(|e| e.starts_with(
            "sizing/pinned-instance: losing one ecs.r7.16xlarge (64 vCPU) costs 66.7% of 96 cores"
        )),
        "{errors:?}"
    );
}

/// Values no shell, JSON reader or Markdown table may take for structure.
const HOSTILE: &[&str] = &[
    "a\nb",
    "$(touch /tmp/cutover-pwned)",
    "`id`",
    "x; rm -rf /",
    "\"},{\"key\":\"evil",
    "' || true '",
    "../../etc/passwd",
    "-rf",
    "\u{202e}abc",
];

#[test]
fn hostile_values_in_every_new_string_field_are_refused() {
    let fields: &[(&str, &str)] = &[
        ("- name: java", "- name: {}"),
        ("instanceTypes: [ecs.c7.2xlarge]", "instanceTypes: [{}]"),
        ("workload: java", "workload: {}"),
        ("workload: java", "{}: java"),
        (
            "{ key: dedicated, value: ingress",
            "{ key: {}, value: ingress",
        ),
        (
            "{ key: dedicated, value: ingress",
            "{ key: dedicated, value: {}",
        ),
        (
            "size: 120Gi, encrypted: true, kmsKeyId: 0e478b7a-4262-4802-b8cb-00d3fb40e001 }",
            "size: 120Gi, encrypted: true, kmsKeyId: {} }",
        ),
        (
            "    keyPair: ledger-ops\n    - name: ingress",
            "    keyPair: {}\n    - name: ingress",
        ),
    ];
    let spec = std::fs::read_to_string(EXAMPLE).unwrap();
    for (from, to) in fields {
        assert!(spec.contains(from), "{from}");
        for value in HOSTILE {
            let quoted = serde_json::to_string(value).unwrap();
            let text = spec.replacen(from, &to.replace("{}", &quoted), 1);
            let errors = errors(&text);
            assert!(
                errors
                    .iter()
                    .any(|e| e.starts_with("sizing/node-pools") || e.starts_with("spec/value")),
                "{to} = {value:?} was not refused: {errors:?}"
            );
        }
    }
}

#[test]
fn huge_numbers_are_refused_not_wrapped() {
    for (from, to, rule) in [
        (
            "size: { desired: 3 }",
            "size: { desired: 4294967295 }",
            "sizing/node-pools",
        ),
        (
            "size: { min: 6, max: 10 }",
            "size: { min: 6, max: 2001 }",
            "sizing/node-pools",
        ),
        (
            "size: { min: 6, max: 10 }",
            "size: { min: 6, max: 99999999999999999999 }",
            "spec/type",
        ),
        ("period: 12,", "period: 4294967295,", "sizing/node-pools"),
        (
            "peakRequestsPerSecond: 12000",
            "peakRequestsPerSecond: 4294967295",
            "sizing/pinned-instance",
        ),
        (
            "size: 120Gi, encrypted",
            "size: 99999999999999999999Ei, encrypted",
            "",
        ),
    ] {
        let errors = errors(&variant(from, to));
        assert!(
            errors.iter().any(|e| e.starts_with(rule)) && !errors.is_empty(),
            "{to}: {errors:?}"
        );
    }
}

/// Render does not trust check: hostile label and taint values that reach the request body
/// directly come out as the same JSON strings, never as structure.
#[test]
fn the_request_body_encodes_any_string_as_json() {
    let spec = std::fs::read_to_string(EXAMPLE).unwrap();
    let loaded =
        cutover::load::load_source(SourceFile::new("pools.yaml", &spec, Format::Yaml)).unwrap();
    let mut spec = loaded.spec.clone();
    for (i, value) in HOSTILE.iter().enumerate() {
        spec.target.node_pools[0]
            .labels
            .insert(format!("k{i}{value}"), (*value).to_string());
    }
    spec.target.node_pools[1].taints[0].value = HOSTILE[4].to_string();
    let plan = common::plan(&spec);
    let body = serde_json::to_string_pretty(&plan.node_pools[0].body).unwrap();
    let back: serde_json::Value = serde_json::from_str(&body).unwrap();
    let labels = back["kubernetes_config"]["labels"].as_array().unwrap();
    for (i, value) in HOSTILE.iter().enumerate() {
        assert!(
            labels
                .iter()
                .any(|l| l["key"] == format!("k{i}{value}") && l["value"] == *value),
            "{value:?}"
        );
    }
    assert!(!body.contains('\u{202e}') || body.contains("\u{202e}abc"));
    let taint: serde_json::Value =
        serde_json::from_str(&serde_json::to_string(&plan.node_pools[1].body).unwrap()).unwrap();
    assert_eq!(taint["kubernetes_config"]["taints"][0]["value"], HOSTILE[4]);
    // The commands name the file, never a label or taint.
    for pool in &plan.node_pools {
        for command in &pool.commands {
            assert!(!command.contains("touch"), "{command}");
        }
    }
}
