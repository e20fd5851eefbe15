//! Writes a valid migration spec with N services, for benchmarks and load tests:
//!
//!     cargo run --release --example gen-spec -- --services 1000 > /tmp/spec-1000.yaml
//!
//! The services spread over waves of about a quarter each (one host per wave), with
//! dependencies, a stateful service on per-replica disks, and storage of every type (static
//! and dynamic disks, NAS, OSS); the network and node sizing grow with N so the spec passes
//! its checks.

use serde_json::{Value, json};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut services = 100usize;
    let mut out: Option<String> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--services" => services = args.next().and_then(|n| n.parse().ok()).unwrap_or(services),
            "-o" | "--out" => out = args.next(),
            "-h" | "--help" => {
                eprintln!("usage: gen-spec --services N [-o FILE]");
                return;
            }
            other => {
                eprintln!("unknown argument {other}; usage: gen-spec --services N [-o FILE]");
                std::process::exit(2);
            }
        }
    }
    let text = cutover::render::yaml::to_string(&spec(services.max(4)));
    match out {
        Some(path) => std::fs::write(&path, text).unwrap_or_else(|e| {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }),
        None => print!("{text}"),
    }
}

fn spec(n: usize) -> Value {
    let waves = 4usize;
    let per_wave = n.div_ceil(waves);
    let mut services = Vec::with_capacity(n);
    for i in 0..n {
        let wave = i / per_wave;
        let name = format!("svc-{i:05}");
        let mut service = json!({
            "name": name,
            "image": format!("registry.example.com/shop/{name}:1.{}.0", i % 10),
            "replicas": 3,
            "port": 8080,
            "resources": {
                "requests": { "cpu": "100m", "memory": "256Mi" },
                "limits": { "cpu": "500m", "memory": "512Mi" },
            },
            "health": { "path": "/healthz" },
            "routes": [{ "host": format!("wave{wave}.shop.example.com"), "path": format!("/{name}") }],
            "env": { "SERVICE_NAME": name, "LOG_LEVEL": "info" },
        });
        if i % 10 == 1 {
            service["dependsOn"] = json!([format!("svc-{:05}", i - 1)]);
        }
        services.push(service);
    }
    // Storage of every type, each mounted by one service of the first wave.
    services[0]["volumes"] = json!([{ "storage": "reports", "mountPath": "/reports" }]);
    services[1]["volumes"] = json!([{ "storage": "avatars", "mountPath": "/avatars" }]);
    services.push(json!({
        "name": "session-cache", "image": "redis:7.2", "stateful": true, "replicas": 3, "port": 6379,
        "resources": { "requests": { "cpu": "250m", "memory": "1Gi" }, "limits": { "cpu": "500m", "memory": "2Gi" } },
        "health": { "tcp": true },
        "volumes": [{ "storage": "cache", "mountPath": "/data" }],
    }));
    services.push(json!({
        "name": "orders-db", "image": "mongo:7.0", "replicas": 1, "port": 27017,
        "resources": { "requests": { "cpu": "1", "memory": "4Gi" }, "limits": { "cpu": "2", "memory": "8Gi" } },
        "health": { "tcp": true },
        "volumes": [{ "storage": "orders-disk", "mountPath": "/data/db" }],
        "allow": ["workload/single-replica"],
    }));
    // Cores: the requests, with room for one lost instance and growth.
    let cores = (((n as f64 * 3.0 * 0.1 + 8.0) * 1.6).ceil() as u32).max(40);
    let wave_names: Vec<Value> = (0..waves)
        .map(|w| {
            let members: Vec<String> = (w * per_wave..((w + 1) * per_wave).min(n))
                .map(|i| format!("svc-{i:05}"))
                .collect();
            json!({
                "name": format!("wave{w}"),
                "services": members,
                "steps": [
                    { "weight": 10, "hold": "1h" },
                    { "weight": 50, "hold": "2h" },
                    { "weight": 100, "hold": "24h" },
                ],
            })
        })
        .collect();
    let records: Vec<Value> = (0..waves)
        .map(|w| json!({ "name": format!("wave{w}"), "type": "A" }))
        .collect();
    json!({
        "apiVersion": "cutover.dev/v1alpha1",
        "kind": "Migration",
        "metadata": { "name": "shop", "owner": "platform-team" },
        "source": {
            "platform": "swarm", "name": "swarm-shop", "entrypoint": { "address": "203.0.113.10" },
            "testDomain": "old-test.shop.example.com",
        },
        "target": {
            "name": "ack-shop", "edition": "ack-pro", "region": "cn-hangzhou",
            "zones": ["cn-hangzhou-g", "cn-hangzhou-h", "cn-hangzhou-i"],
            "kubernetesVersion": "1.31",
            "entrypoint": { "address": "203.0.113.20" },
            "testDomain": "test.shop.example.com",
            "network": {
                "plugin": "flannel",
                "vpc": "192.168.0.0/16",
                "vswitches": [
                    { "name": "vsw-g", "zone": "cn-hangzhou-g", "cidr": "192.168.0.0/18" },
                    { "name": "vsw-h", "zone": "cn-hangzhou-h", "cidr": "192.168.64.0/18" },
                    { "name": "vsw-i", "zone": "cn-hangzhou-i", "cidr": "192.168.128.0/18" },
                ],
                "podCidr": "10.0.0.0/12",
                "serviceCidr": "172.20.0.0/16",
                "podsPerNode": 256,
                "routes": [{ "name": "office", "via": "vbr", "cidr": "10.200.0.0/16" }],
                "otherClusters": [{ "name": "batch", "podCidr": "10.64.0.0/16", "serviceCidr": "172.20.0.0/16" }],
            },
            "nodes": {
                "profile": "balanced", "totalCores": cores, "faultTolerance": "10%",
                "systemDisk": { "category": "cloud_essd", "size": "120Gi" },
                "dataDisk": { "category": "cloud_essd", "size": "200Gi" },
            },
            "ingressController": { "replicas": 3, "dedicatedNodes": 3 },
            "addons": ["cloud-monitor", "log-service"],
        },
        "storage": [
            { "name": "cache", "type": "disk", "provisioning": "dynamic", "category": "cloud_essd", "size": "20Gi", "reclaimPolicy": "Retain" },
            { "name": "orders-disk", "type": "disk", "provisioning": "static", "diskId": "d-bp1example0000000042", "size": "100Gi", "zone": "cn-hangzhou-g" },
            { "name": "reports", "type": "nas", "server": "0a1b2c3d4e-abc12.cn-hangzhou.nas.aliyuncs.com", "path": "/reports", "nfsVersion": "3", "size": "50Gi" },
            { "name": "avatars", "type": "oss", "bucket": "shop-avatars", "endpoint": "oss-cn-hangzhou-internal.aliyuncs.com", "credentialsSecret": "oss-avatars", "size": "5Gi" },
        ],
        "services": services,
        "images": { "target": "registry.cn-hangzhou.aliyuncs.com/shop", "pullSecret": "acr-pull" },
        "data": {
            "databases": [{
                "name": "orders", "engine": "mysql",
                "source": { "host": "mysql.swarm.internal", "port": 3306 },
                "target": { "instance": "rm-bp1example000042" },
                "sync": "bidirectional", "privateName": "mysql.internal.shop.example.com",
            }],
            "objectStores": [{ "name": "uploads", "source": "s3://shop-uploads", "target": "oss://shop-avatars" }],
        },
        "rollout": {
            "strategy": "ingress-canary", "controller": "nginx",
            "match": { "header": { "name": "x-canary", "value": "on" } },
            "waves": wave_names,
            "gates": ["error rate below 1%", "p99 latency below 300ms"],
        },
        "dns": {
            "provider": "alidns", "edition": "enterprise-ultimate", "zone": "shop.example.com",
            "ttl": { "normal": 600, "cutover": 60 },
            "records": records,
        },
        "verification": { "checks": [{ "name": "home", "request": "GET /", "expect": 200 }] },
    })
}
