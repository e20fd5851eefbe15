//! The typed migration spec: one struct per section of `spec-sketch.yaml`.
//!
//! Plain serde structs, strict (`deny_unknown_fields`), ordered collections only. The doc
//! comments become the descriptions of the JSON Schema (`cutover schema`).

pub mod dns;
pub mod gates;
pub mod hosts;
pub mod images;
pub mod instance_types;
pub mod kubernetes;
pub mod network;
pub mod network_policy;
pub mod node_pools;
pub mod path;
pub mod placeholder;
pub mod ports;
pub mod rollout;
pub mod secrets;
pub mod security;
pub mod sizing;
pub mod units;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

pub use gates::{Comparison, Gate, GateMetric, MeasuredGate};
pub use network_policy::{Egress, NetworkPolicyMode};
pub use node_pools::{Billing, NodePool, PoolDisk, PoolSize, Taint};
pub use ports::{AddressType, ExtraPort, LegacyBackend, Protocol, Publish, PublishVia};
pub use secrets::{
    Config, EnvValue, FileMount, Secret, SecretProvider, SecretStoreKind, SecretStoreRef,
};
pub use security::{Capability, SecurityContext};
pub use units::{Address, Cidr, DateTime, Duration, Percent, Quantity};

/// The only `apiVersion` this version of cutover reads.
pub const API_VERSION: &str = "cutover.dev/v1alpha1";
pub const KIND: &str = "Migration";

/// A migration spec: everything cutover needs to plan the move of a set of services from
/// one cluster to another.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spec {
    /// Always `cutover.dev/v1alpha1`.
    #[schemars(title = "API version", example = &"cutover.dev/v1alpha1")]
    pub api_version: String,
    /// Always `Migration`.
    #[schemars(title = "Kind", example = &"Migration")]
    pub kind: String,
    /// The migration's name, which names the bundle, and its owner.
    #[schemars(title = "Metadata", example = serde_json::json!({"name": "piggymetrics", "owner": "platform-team"}))]
    pub metadata: Metadata,
    /// The cluster the services leave.
    #[schemars(title = "Source cluster", example = serde_json::json!({"platform": "swarm", "name": "swarm-hello", "entrypoint": {"address": "203.0.113.10"}}))]
    pub source: SourceCluster,
    /// When the migration runs: its start, and (when the plan's holds do not bound it) its
    /// end. A self-managed Kubernetes source's certificates must outlive it: the prepare
    /// runbook checks them against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Migration window", example = serde_json::json!({"start": "2026-12-10T22:00:00+08:00", "certificateMargin": "7d"}))]
    pub window: Option<Window>,
    /// The ACK cluster the services move to.
    #[schemars(title = "Target cluster", example = serde_json::json!({
        "name": "ack-hello",
        "edition": "ack-pro",
        "region": "cn-hangzhou",
        "zones": ["cn-hangzhou-g", "cn-hangzhou-h"],
        "kubernetesVersion": "1.31",
        "entrypoint": {"address": "203.0.113.20"},
        "network": {
            "plugin": "flannel",
            "vpc": "192.168.0.0/16",
            "vswitches": [
                {"name": "vsw-g", "zone": "cn-hangzhou-g", "cidr": "192.168.0.0/20"},
                {"name": "vsw-h", "zone": "cn-hangzhou-h", "cidr": "192.168.16.0/20"}
            ],
            "podCidr": "10.16.0.0/16",
            "serviceCidr": "10.17.0.0/20",
            "podsPerNode": 64
        },
        "nodes": {
            "profile": "balanced",
            "totalCores": 16,
            "faultTolerance": "25%",
            "systemDisk": {"category": "cloud_essd", "size": "40Gi"},
            "dataDisk": {"category": "cloud_essd", "size": "100Gi"}
        },
        "ingressController": {"replicas": 2}
    }))]
    pub target: TargetCluster,
    /// Volumes the services mount, by name.
    #[serde(default)]
    #[schemars(title = "Storage", example = serde_json::json!([
        {
            "name": "cache-data",
            "type": "disk",
            "provisioning": "dynamic",
            "category": "cloud_essd",
            "size": "20Gi",
            "reclaimPolicy": "Retain"
        }
    ]))]
    pub storage: Vec<Storage>,
    /// Secrets the services read (`env` and `files`); the bundle never holds a value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(title = "Secrets", example = serde_json::json!([{"name": "db", "keys": ["password"]}]))]
    pub secrets: Vec<Secret>,
    /// ConfigMaps made from files beside the spec, which the services read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(title = "Configs", example = serde_json::json!([{"name": "app-config", "files": ["config/application.yml"]}]))]
    pub configs: Vec<Config>,
    /// The services that move: image, replicas, port, resources, health, routes and what they
    /// depend on.
    #[schemars(title = "Services", example = serde_json::json!([
        {
            "name": "web",
            "image": "registry.example.com/hello/web:1.0.0",
            "replicas": 3,
            "port": 8080,
            "resources": {
                "requests": {"cpu": "250m", "memory": "256Mi"},
                "limits": {"cpu": "500m", "memory": "512Mi"}
            },
            "health": {"path": "/healthz"},
            "routes": [{"host": "hello.example", "path": "/"}]
        }
    ]))]
    pub services: Vec<Service>,
    /// Where the service images move before deploy.
    #[serde(default)]
    #[schemars(title = "Images", example = serde_json::json!({"target": "registry.cn-hangzhou.aliyuncs.com/piggymetrics", "pullSecret": "acr-pull"}))]
    pub images: Option<Images>,
    /// Databases and object stores that move with the services.
    #[serde(default)]
    #[schemars(title = "Data", example = serde_json::json!({
        "databases": [
            {
                "name": "accounts",
                "engine": "mysql",
                "source": {"host": "mysql.swarm.internal", "port": 3306},
                "target": {"instance": "rm-bp1example000001"},
                "sync": "bidirectional",
                "privateName": "mysql.internal.piggymetrics.example"
            }
        ],
        "objectStores": [
            {
                "name": "avatars",
                "source": "s3://piggymetrics-avatars",
                "target": "oss://piggymetrics-avatars"
            }
        ]
    }))]
    pub data: Option<Data>,
    /// How traffic moves: the strategy, its controller, the waves of steps (weight and hold)
    /// and the gates checked between them.
    #[schemars(title = "Rollout", example = serde_json::json!({
        "strategy": "ingress-canary",
        "controller": "nginx",
        "waves": [
            {
                "name": "all",
                "services": ["web"],
                "steps": [{"weight": 10, "hold": "30m"}, {"weight": 100, "hold": "1h"}]
            }
        ],
        "gates": [{"metric": "p99-latency", "threshold": "300ms", "window": "10m"}]
    }))]
    pub rollout: Rollout,
    /// The DNS records that move from the source entrypoint to the target entrypoint, with
    /// their TTLs, and the PrivateZone.
    #[serde(default)]
    #[schemars(title = "DNS", example = serde_json::json!({
        "provider": "alidns",
        "edition": "enterprise-ultimate",
        "zone": "piggymetrics.example",
        "ttl": {"normal": 600, "cutover": 60},
        "records": [{"name": "@", "type": "A"}, {"name": "www", "type": "A"}]
    }))]
    pub dns: Option<Dns>,
    /// Regression tests run against the target's test domain before any traffic moves.
    #[serde(default)]
    #[schemars(title = "Verification", example = serde_json::json!({"checks": [{"name": "login page", "request": "GET /", "expect": 200}]}))]
    pub verification: Option<Verification>,
    /// Services and storage by name, built on first use: lookups stay O(log n) for specs
    /// with thousands of services.
    #[serde(skip)]
    #[schemars(skip)]
    names: std::sync::OnceLock<Names>,
}

#[derive(Clone, Debug, Default)]
struct Names {
    services: BTreeMap<String, usize>,
    storage: BTreeMap<String, usize>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    /// A DNS-1123 label; names the bundle.
    #[schemars(title = "Name", example = &"piggymetrics")]
    pub name: String,
    /// Shown in the runbooks.
    #[serde(default)]
    #[schemars(title = "Owner", example = &"platform-team")]
    pub owner: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SourcePlatform {
    /// Docker Swarm.
    Swarm,
    /// A self-managed Kubernetes cluster.
    Kubernetes,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceCluster {
    /// What the old cluster runs on: `swarm` (Docker Swarm) or `kubernetes` (self-managed).
    #[schemars(title = "Platform", example = &"swarm")]
    pub platform: SourcePlatform,
    /// The old cluster's name, as the runbooks call it.
    #[schemars(title = "Name", example = &"swarm-piggymetrics")]
    pub name: String,
    /// Where the old cluster serves production today: the SLB address.
    #[schemars(title = "Entrypoint", example = serde_json::json!({"address": "203.0.113.230"}))]
    pub entrypoint: Entrypoint,
    /// The Swarm stack (or Kubernetes namespace) the services run in on the old cluster
    /// (default: the migration's name); the decommission phase removes it.
    #[serde(default)]
    #[schemars(title = "Stack", example = &"piggymetrics")]
    pub stack: Option<String>,
    /// The domain the old cluster answers tests on.
    #[serde(default)]
    #[schemars(title = "Test domain", example = &"swarm-test.piggymetrics.example")]
    pub test_domain: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Window {
    /// When the prepare phase starts, as an RFC 3339 date-time with its offset.
    #[schemars(title = "Start", example = &"2026-12-10T22:00:00+08:00")]
    pub start: DateTime,
    /// When the migration is over (default: the start plus every phase's hold, the phases
    /// without a hold counted as taking no time); set it when preparing, copying or
    /// verifying takes days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "End", example = &"2026-12-17T22:00:00+08:00")]
    pub end: Option<DateTime>,
    /// How long the source cluster's certificates must stay valid after the window's end
    /// (default `7d`): room for a late rollback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Certificate margin", example = &"7d")]
    pub certificate_margin: Option<Duration>,
}

/// The margin a certificate must outlive the window by when the spec gives none.
pub const DEFAULT_CERTIFICATE_MARGIN_SECONDS: u64 = 7 * 86_400;

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entrypoint {
    /// The load balancer (SLB) address that serves the cluster's traffic.
    #[schemars(title = "Address", example = &"203.0.113.230")]
    pub address: Address,
    /// The port the entrypoint serves HTTP on (default 80).
    #[serde(default)]
    #[schemars(title = "Port", example = 80)]
    pub port: Option<u16>,
    /// slb-weights: how many backend servers the old SLB has, so that per-server weights
    /// can give each step its exact share (default: as many as the new cluster's workers).
    #[serde(default)]
    #[schemars(title = "Backend servers", example = 4)]
    pub backends: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Edition {
    /// ACK Pro: managed control plane with an SLA (recommended).
    AckPro,
    /// ACK managed (basic): managed control plane.
    AckManaged,
    /// ACK dedicated: the cluster runs its own masters, sized by node count.
    AckDedicated,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetCluster {
    /// The new ACK cluster's name.
    #[schemars(title = "Name", example = &"k8s-piggymetrics-cluster")]
    pub name: String,
    /// The ACK edition: `ack-pro`, `ack-managed` or `ack-dedicated` (own masters).
    #[schemars(title = "Edition", example = &"ack-pro")]
    pub edition: Edition,
    /// The Alibaba Cloud region the cluster runs in.
    #[schemars(title = "Region", example = &"cn-hangzhou")]
    pub region: String,
    /// The zones the cluster's nodes run in; each needs a vSwitch.
    #[schemars(title = "Zones", example = serde_json::json!(["cn-hangzhou-g", "cn-hangzhou-h"]))]
    pub zones: Vec<String>,
    /// Decides every apiVersion the bundle emits, such as `"1.31"`; 1.24 or later.
    #[schemars(title = "Kubernetes version", example = &"1.31")]
    pub kubernetes_version: String,
    /// The namespace the services run in (default: the migration's name).
    #[serde(default)]
    #[schemars(title = "Namespace", example = &"piggymetrics")]
    pub namespace: Option<String>,
    /// The new cluster's ingress: the SLB address traffic moves to.
    #[schemars(title = "Entrypoint", example = serde_json::json!({"address": "203.0.113.112"}))]
    pub entrypoint: Entrypoint,
    /// The domain the new cluster answers regression tests on before any traffic moves.
    #[serde(default)]
    #[schemars(title = "Test domain", example = &"k8s-test.piggymetrics.example")]
    pub test_domain: Option<String>,
    /// The VPC and its address plan: plugin, vSwitches, pod and service CIDRs, pods per node,
    /// routes and other clusters.
    #[schemars(title = "Network", example = serde_json::json!({
        "plugin": "flannel",
        "vpc": "192.168.0.0/16",
        "vswitches": [
            {"name": "vsw-g", "zone": "cn-hangzhou-g", "cidr": "192.168.0.0/20"},
            {"name": "vsw-h", "zone": "cn-hangzhou-h", "cidr": "192.168.16.0/20"}
        ],
        "podCidr": "10.16.0.0/16",
        "serviceCidr": "10.17.0.0/20",
        "podsPerNode": 64
    }))]
    pub network: Network,
    /// The worker nodes: instance profile, the cores the workloads need, the fault tolerance
    /// and the disks.
    #[schemars(title = "Nodes", example = serde_json::json!({
        "profile": "balanced",
        "totalCores": 16,
        "faultTolerance": "25%",
        "systemDisk": {"category": "cloud_essd", "size": "40Gi"},
        "dataDisk": {"category": "cloud_essd", "size": "100Gi"}
    }))]
    pub nodes: Nodes,
    /// Named node pools, each created with its own ACK request (`tools/ack/nodepool-<name>.json`):
    /// instance types, OS image, billing, disk encryption, labels, taints and size. Without
    /// them, `nodes` is the one worker pool and `ingressController.dedicatedNodes` the
    /// ingress pool.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(title = "Node pools", example = serde_json::json!([
        {"name": "workers", "instanceTypes": ["ecs.r7.4xlarge", "ecs.r8i.4xlarge"], "size": {"desired": 10}},
        {"name": "ingress", "role": "ingress", "instanceTypes": ["ecs.c7.2xlarge"], "profile": "compute", "size": {"desired": 3}}
    ]))]
    pub node_pools: Vec<node_pools::NodePool>,
    /// The ingress controller's replicas and the nodes dedicated to it.
    #[serde(default)]
    #[schemars(title = "Ingress controller", example = serde_json::json!({"replicas": 3, "dedicatedNodes": 3}))]
    pub ingress_controller: Option<IngressController>,
    /// Cluster add-ons installed at creation (`cloud-monitor`, `log-service`, ...).
    #[serde(default)]
    #[schemars(title = "Add-ons", example = serde_json::json!(["cloud-monitor", "log-service"]))]
    pub addons: Vec<String>,
    /// `dependencies` (default): a default-deny NetworkPolicy in the namespace and one per
    /// service that allows its routes, its `dependsOn` edges, its data stores and its
    /// `egress`; `none`: no NetworkPolicy.
    #[serde(default, skip_serializing_if = "NetworkPolicyMode::is_default")]
    #[schemars(title = "NetworkPolicy mode", example = &"dependencies")]
    pub network_policy: NetworkPolicyMode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, VariantArray)]
#[strum(serialize_all = "kebab-case")]
pub enum NetworkPlugin {
    /// Pods get addresses from the pod CIDR; one VPC route per node.
    Flannel,
    /// Pods get VPC addresses from the vSwitches.
    Terway,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Network {
    /// `flannel` (pods get addresses from the pod CIDR) or `terway` (pods get VPC addresses
    /// from the vSwitches).
    #[schemars(title = "Network plugin", example = &"flannel")]
    pub plugin: NetworkPlugin,
    /// Must sit in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.
    #[schemars(title = "VPC block", example = &"192.168.0.0/16")]
    pub vpc: Cidr,
    /// Inside the VPC, pairwise disjoint, at least one per zone.
    #[schemars(title = "vSwitches", example = serde_json::json!([{"name": "vsw-g", "zone": "cn-hangzhou-g", "cidr": "192.168.0.0/19"}]))]
    pub vswitches: Vec<VSwitch>,
    /// Flannel: disjoint from the VPC, the routes and other clusters' pod CIDRs.
    #[serde(default)]
    #[schemars(title = "Pod CIDR", example = &"10.16.0.0/16")]
    pub pod_cidr: Option<Cidr>,
    /// Disjoint from the VPC, the pod CIDR and the routes; /16 to /24.
    #[schemars(title = "Service CIDR", example = &"10.17.0.0/20")]
    pub service_cidr: Cidr,
    /// 16, 32, 64, 128 or 256; with the pod CIDR it caps the node count.
    #[schemars(title = "Pods per node", example = 128)]
    pub pods_per_node: u32,
    /// Address space already reachable from this VPC (peered VPCs, an IDC over a VBR).
    #[serde(default)]
    #[schemars(title = "Routes", example = serde_json::json!([{"name": "vpc-shared", "via": "peering", "cidr": "172.16.0.0/12"}]))]
    pub routes: Vec<NetworkRoute>,
    /// Clusters that share this VPC.
    #[serde(default)]
    #[schemars(title = "Other clusters", example = serde_json::json!([{"name": "k8s-batch", "podCidr": "10.18.0.0/16", "serviceCidr": "10.17.0.0/20"}]))]
    pub other_clusters: Vec<OtherCluster>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VSwitch {
    /// The vSwitch's name.
    #[schemars(title = "Name", example = &"vsw-g")]
    pub name: String,
    /// The zone the vSwitch sits in: one of `target.zones`.
    #[schemars(title = "Zone", example = &"cn-hangzhou-g")]
    pub zone: String,
    /// The vSwitch's address block, inside the VPC and disjoint from the other vSwitches.
    #[schemars(title = "Block", example = &"192.168.0.0/19")]
    pub cidr: Cidr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RouteVia {
    /// A peered VPC.
    Peering,
    /// A data centre over a virtual border router (Express Connect).
    Vbr,
    /// A VPN gateway.
    Vpn,
    /// A Cloud Enterprise Network instance.
    Cen,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkRoute {
    /// What the address space is, for the network report.
    #[schemars(title = "Name", example = &"office-idc")]
    pub name: String,
    /// How the VPC reaches it: `peering`, `vbr` (a data centre over Express Connect), `vpn` or
    /// `cen`.
    #[schemars(title = "Via", example = &"vbr")]
    pub via: RouteVia,
    /// The address block already reachable from this VPC: counts as in use.
    #[schemars(title = "Block", example = &"10.200.0.0/16")]
    pub cidr: Cidr,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OtherCluster {
    /// The other cluster's name.
    #[schemars(title = "Name", example = &"k8s-batch")]
    pub name: String,
    /// The other cluster's pod CIDR: this cluster's pod CIDR must not overlap it.
    #[serde(default)]
    #[schemars(title = "Pod CIDR", example = &"10.18.0.0/16")]
    pub pod_cidr: Option<Cidr>,
    /// May overlap this cluster's service CIDR.
    #[serde(default)]
    #[schemars(title = "Service CIDR", example = &"10.17.0.0/20")]
    pub service_cidr: Option<Cidr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, VariantArray)]
#[strum(serialize_all = "kebab-case")]
pub enum Profile {
    /// CPU:memory 1:2.
    Compute,
    /// CPU:memory 1:4.
    Balanced,
    /// CPU:memory 1:8, for memory-hungry workloads such as Java.
    MemoryHeavy,
}

impl Profile {
    /// GiB of memory per core.
    pub fn gib_per_core(self) -> u32 {
        match self {
            Profile::Compute => 2,
            Profile::Balanced => 4,
            Profile::MemoryHeavy => 8,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Nodes {
    /// The instances' CPU:memory ratio: `compute` (1:2), `balanced` (1:4) or `memory-heavy`
    /// (1:8, for Java).
    #[schemars(title = "Instance profile", example = &"memory-heavy")]
    pub profile: Profile,
    /// Cores the workloads need on a normal day.
    #[schemars(title = "Total cores", example = 160)]
    pub total_cores: u32,
    /// Share of cores the cluster may lose and keep serving.
    #[schemars(title = "Fault tolerance", example = &"10%")]
    pub fault_tolerance: Percent,
    /// The workload must scale out fast in bursts (promotions): favours bare-metal instances.
    #[serde(default)]
    #[schemars(title = "Burst scale-out", example = false)]
    pub burst_scale_out: bool,
    /// Each node's system disk.
    #[schemars(title = "System disk", example = serde_json::json!({"category": "cloud_essd", "size": "120Gi"}))]
    pub system_disk: NodeDisk,
    /// Dedicated to container images.
    #[serde(default)]
    #[schemars(title = "Data disk", example = serde_json::json!({"category": "cloud_essd", "size": "200Gi"}))]
    pub data_disk: Option<NodeDisk>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeDisk {
    /// The disk's category (`cloud_essd`, `cloud_auto`, ...).
    #[schemars(title = "Disk category", example = &"cloud_essd")]
    pub category: DiskCategory,
    /// The disk's size, such as `120Gi`.
    #[schemars(title = "Size", example = &"120Gi")]
    pub size: Quantity,
}

/// Alibaba Cloud disk categories.
#[derive(IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum DiskCategory {
    #[serde(rename = "cloud_essd")]
    CloudEssd,
    #[serde(rename = "cloud_essd_entry")]
    CloudEssdEntry,
    #[serde(rename = "cloud_auto")]
    CloudAuto,
    #[serde(rename = "cloud_ssd")]
    CloudSsd,
    #[serde(rename = "cloud_efficiency")]
    CloudEfficiency,
    #[serde(rename = "cloud")]
    Cloud,
}

impl DiskCategory {
    /// The category as the spec and the cloud's API write it (`cloud_essd`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// SSD-backed categories (the efficiency and basic disks are not).
    pub fn is_ssd(self) -> bool {
        !matches!(self, DiskCategory::CloudEfficiency | DiskCategory::Cloud)
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressController {
    /// At least 2 for high availability.
    #[schemars(title = "Replicas", example = 3)]
    pub replicas: u32,
    /// Nodes labelled `node-role.kubernetes.io/ingress=true` that run only the controller;
    /// at least `replicas`.
    #[serde(default)]
    #[schemars(title = "Dedicated nodes", example = 3)]
    pub dedicated_nodes: Option<u32>,
    /// The peak requests per second the controller must carry: sizes its CPU and memory
    /// (requests = limits) with one replica lost, and the sizing report states the load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Peak requests per second", example = 4000)]
    pub peak_requests_per_second: Option<u32>,
    /// gateway-api and istio: the Gateway routes attach to, as `namespace/name` (default:
    /// `gateway` in the services' namespace; for istio `istio-system/ingressgateway`).
    #[serde(default)]
    #[schemars(title = "Gateway", example = &"istio-system/ingressgateway")]
    pub gateway: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StorageType {
    /// An Alibaba Cloud disk: ReadWriteOnce, zonal.
    Disk,
    /// A NAS file system over NFS: ReadWriteMany.
    Nas,
    /// An OSS bucket mounted with ossfs: ReadWriteMany, low I/O.
    Oss,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Provisioning {
    /// A StorageClass creates the disk.
    Dynamic,
    /// An existing disk, by id.
    Static,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum ReclaimPolicy {
    Retain,
    Delete,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Storage {
    /// The volume's name, which services mount it by (`volumes[].storage`).
    #[schemars(title = "Name", example = &"cache-data")]
    pub name: String,
    /// `disk` (ReadWriteOnce, zonal), `nas` (shared, ReadWriteMany) or `oss` (object storage,
    /// ReadWriteMany, low I/O).
    #[serde(rename = "type")]
    #[schemars(title = "Type", example = &"disk")]
    pub kind: StorageType,
    /// Disks only.
    #[serde(default)]
    #[schemars(title = "Provisioning", example = &"dynamic")]
    pub provisioning: Option<Provisioning>,
    /// Dynamic disks only.
    #[serde(default)]
    #[schemars(title = "Disk category", example = &"cloud_essd")]
    pub category: Option<DiskCategory>,
    /// The volume's size, such as `20Gi`.
    #[schemars(title = "Size", example = &"20Gi")]
    pub size: Quantity,
    /// `Delete` loses the data with the claim: refused for volumes that hold data.
    #[serde(default)]
    #[schemars(title = "Reclaim policy", example = &"Retain")]
    pub reclaim_policy: Option<ReclaimPolicy>,
    /// The volume holds nothing worth keeping (a scratch area): `Delete` is allowed.
    #[serde(default)]
    #[schemars(title = "Scratch", example = true)]
    pub scratch: bool,
    /// Static disks: the existing disk's id.
    #[serde(default)]
    #[schemars(title = "Disk id", example = &"d-bp1example0000000001")]
    pub disk_id: Option<String>,
    /// Static disks: the disk's zone; it mounts only on nodes of that zone.
    #[serde(default)]
    #[schemars(title = "Zone", example = &"cn-hangzhou-g")]
    pub zone: Option<String>,
    /// NAS: the mount target's domain name.
    #[serde(default)]
    #[schemars(title = "NAS server", example = &"0a1b2c3d4e-abc12.cn-hangzhou.nas.aliyuncs.com")]
    pub server: Option<String>,
    /// NAS: the exported path.
    #[serde(default)]
    #[schemars(title = "NAS path", example = &"/reports")]
    pub path: Option<String>,
    /// NAS: `"3"` (recommended) or `"4.0"`.
    #[serde(default)]
    #[schemars(title = "NFS version", example = &"4.0")]
    pub nfs_version: Option<String>,
    /// OSS: the bucket.
    #[serde(default)]
    #[schemars(title = "Bucket", example = &"piggymetrics-avatars")]
    pub bucket: Option<String>,
    /// OSS: the endpoint, internal for in-region access.
    #[serde(default)]
    #[schemars(title = "OSS endpoint", example = &"oss-cn-hangzhou-internal.aliyuncs.com")]
    pub endpoint: Option<String>,
    /// OSS: the Secret holding `akId` and `akSecret`, created by the runbook.
    #[serde(default)]
    #[schemars(title = "Credentials Secret", example = &"oss-avatars-credentials")]
    pub credentials_secret: Option<String>,
    /// OSS: the prepare runbook creates the bucket (`ossutil mb`) instead of verifying that
    /// it exists in the cluster's region (default false); other types ignore it. NAS mount
    /// targets are always verified: the cloud names them, so the spec cannot name one still
    /// to create.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(title = "Create", example = true)]
    pub create: bool,
    /// Disks that hold data: how the old volume's data reaches the new one (`method`:
    /// `snapshot`, `rsync` or `dump`) and how long writes may stop for the final pass
    /// (`freeze`). Without it a data disk is copied with `rsync` (warned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Copy", example = serde_json::json!({"method": "rsync", "freeze": "30m"}))]
    pub copy: Option<VolumeCopy>,
    /// Refused: AccessKeys never go into a spec (use `credentialsSecret`).
    #[serde(default)]
    #[schemars(title = "AccessKey id (refused)", example = serde_json::Value::Null)]
    pub access_key_id: Option<String>,
    /// Refused: AccessKeys never go into a spec (use `credentialsSecret`).
    #[serde(default)]
    #[schemars(title = "AccessKey secret (refused)", example = serde_json::Value::Null)]
    pub access_key_secret: Option<String>,
}

/// How a disk volume's data is copied: the first pass while the old side serves, the
/// final pass at `complete` with its writers stopped.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Deserialize,
    Serialize,
    JsonSchema,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum CopyMethod {
    /// A snapshot of the source cloud disk, a new disk from it in the target zone, and a
    /// static PV bound to that disk (static disks whose source is an Alibaba Cloud disk).
    Snapshot,
    /// `rsync` while the old side serves, then a final `rsync -a --delete` with its
    /// writers stopped.
    Rsync,
    /// A database kept in the volume: its dump piped into the new side's database.
    Dump,
}

/// The database a `dump` copy reads and writes with its own tools.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Deserialize,
    Serialize,
    JsonSchema,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum DumpEngine {
    /// `pg_dumpall` piped into `psql`.
    Postgresql,
    /// `mysqldump --all-databases` piped into `mysql`.
    Mysql,
    /// `mongodump --archive` piped into `mongorestore --archive`.
    Mongodb,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeCopy {
    /// `snapshot` (cloud disks), `rsync` (any files) or `dump` (a database kept in the
    /// volume).
    #[schemars(title = "Method", example = &"snapshot")]
    pub method: CopyMethod,
    /// `snapshot` only: the old side's cloud disk, in `target.region`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Source disk id", example = &"d-bp1source000000000001")]
    pub source_disk_id: Option<String>,
    /// `dump` only: `postgresql`, `mysql` or `mongodb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Engine", example = &"postgresql")]
    pub engine: Option<DumpEngine>,
    /// The longest the writers may stay stopped for the final pass (default `30m`): the
    /// plan and the runbook state it, and past it the runbook rolls back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Freeze window", example = &"30m")]
    pub freeze: Option<Duration>,
}

/// The freeze window when the spec names none.
pub const DEFAULT_FREEZE: &str = "30m";

impl VolumeCopy {
    pub fn freeze(&self) -> Duration {
        self.freeze
            .clone()
            .unwrap_or_else(|| DEFAULT_FREEZE.parse().expect("a duration"))
    }
}

impl Storage {
    /// A disk whose data moves: not a scratch area.
    pub fn holds_migrated_data(&self) -> bool {
        self.kind == StorageType::Disk && !self.scratch
    }

    /// The copy of a data disk: the spec's, else `rsync` with the default freeze.
    pub fn copy_or_default(&self) -> Option<VolumeCopy> {
        if !self.holds_migrated_data() {
            return None;
        }
        Some(self.copy.clone().unwrap_or(VolumeCopy {
            method: CopyMethod::Rsync,
            source_disk_id: None,
            engine: None,
            freeze: None,
        }))
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    /// A DNS-1123 label.
    #[schemars(title = "Name", example = &"gateway")]
    pub name: String,
    /// With an explicit tag or digest, never `latest`.
    #[schemars(title = "Image", example = &"registry.example.com/piggymetrics/gateway:2.1.0")]
    pub image: String,
    /// Fewer than 3 is a single point of failure (warned).
    #[schemars(title = "Replicas", example = 3)]
    pub replicas: u32,
    /// The port the service listens on: its routes and probes use it.
    #[schemars(title = "Port", example = 4000)]
    pub port: u16,
    /// The main port's protocol: `tcp` (default) or `udp` (no route and no probe can use it).
    #[serde(default, skip_serializing_if = "Protocol::is_tcp")]
    #[schemars(title = "Protocol", example = &"tcp")]
    pub protocol: Protocol,
    /// Clients outside the cluster reach the main port directly (not an HTTP route): a
    /// LoadBalancer or NodePort Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Publish", example = serde_json::json!({"via": "load-balancer", "address": "intranet"}))]
    pub publish: Option<Publish>,
    /// More ports the service listens on, each named.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(title = "More ports", example = serde_json::json!([{"name": "metrics", "port": 9090}]))]
    pub ports: Vec<ExtraPort>,
    /// Runs once to completion instead of serving: a Job. Its dependants start when it has
    /// completed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(title = "One-shot", example = true)]
    pub one_shot: bool,
    /// CPU and memory requests and limits; each missing one is taken from the other.
    #[serde(default)]
    #[schemars(title = "Resources", example = serde_json::json!({"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}))]
    pub resources: Option<Resources>,
    /// Liveness and readiness probes on the service port.
    #[serde(default)]
    #[schemars(title = "Health", example = serde_json::json!({"path": "/actuator/health"}))]
    pub health: Option<Health>,
    /// A StatefulSet: ordered pods, one claim per replica.
    #[serde(default)]
    #[schemars(title = "Stateful", example = true)]
    pub stateful: bool,
    /// Host and path pairs that route to this service.
    #[serde(default)]
    #[schemars(title = "Routes", example = serde_json::json!([
        {"host": "piggymetrics.example", "path": "/"},
        {"host": "www.piggymetrics.example", "path": "/"}
    ]))]
    pub routes: Vec<HttpRoute>,
    /// Where the service answers on the old cluster while its routes move (default: the
    /// source entrypoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Legacy backend", example = serde_json::json!({"address": "203.0.113.230", "port": 8080}))]
    pub legacy: Option<LegacyBackend>,
    /// Services that must be ready (or, for a one-shot service, completed) before this one
    /// starts: an init container waits until the dependency's Service answers on its port
    /// (a Service answers only once a pod is ready, so this is a readiness wait), or until a
    /// one-shot dependency's Job has completed (`kubectl wait --for=condition=complete`).
    #[serde(default)]
    #[schemars(title = "Depends on", example = serde_json::json!(["auth-service"]))]
    pub depends_on: Vec<String>,
    /// Storage volumes the service mounts, by the name of a `storage` entry.
    #[serde(default)]
    #[schemars(title = "Volumes", example = serde_json::json!([{"storage": "cache-data", "mountPath": "/data"}]))]
    pub volumes: Vec<VolumeMount>,
    /// Environment variables: plain values, or `{ secret: NAME, key: KEY }` and
    /// `{ config: NAME, key: KEY }` references.
    #[serde(default)]
    #[schemars(title = "Environment", example = serde_json::json!({
        "SPRING_PROFILES_ACTIVE": "production",
        "DB_PASSWORD": {"secret": "db", "key": "password"}
    }))]
    pub env: BTreeMap<String, EnvValue>,
    /// Secrets and configs mounted as files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(title = "Files", example = serde_json::json!([
        {
            "config": "app-config",
            "key": "application.yml",
            "mountPath": "/app/application.yml"
        }
    ]))]
    pub files: Vec<FileMount>,
    /// The databases and object stores (`data.databases[].name`, `data.objectStores[].name`)
    /// the service reads or writes: its NetworkPolicy lets it reach those. A store no service
    /// names is open to every service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(title = "Data stores", example = serde_json::json!(["accounts", "avatars"]))]
    pub data: Vec<String>,
    /// Destinations outside the cluster the service calls (external APIs, SMTP...): its
    /// NetworkPolicy lets it reach each block on its port.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(title = "Egress", example = serde_json::json!([{"cidr": "198.51.100.25/32", "port": 587}]))]
    pub egress: Vec<Egress>,
    /// The service talks to the Kubernetes API: its pods mount a token of a ServiceAccount
    /// named after the service (bind it the Role it needs). Default false: no pod sees a
    /// token.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(title = "Kubernetes API", example = true)]
    pub kubernetes_api: bool,
    /// Who the service runs as, what it may write and which capabilities it adds; every
    /// field has a least-privilege default (uid 10001, non-root, read-only root filesystem
    /// with `/tmp` writable, no capability).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Security context", example = serde_json::json!({"runAsUser": 101, "writablePaths": ["/tmp", "/var/cache/nginx", "/var/run"]}))]
    pub security_context: Option<SecurityContext>,
    /// Rule ids accepted on purpose for this service.
    #[serde(default)]
    #[schemars(title = "Allowed rules", example = allow_example())]
    pub allow: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    /// What the scheduler reserves for each pod (default: the limits).
    #[serde(default)]
    #[schemars(title = "Requests", example = serde_json::json!({"cpu": "500m", "memory": "1Gi"}))]
    pub requests: Option<ResourceList>,
    /// The most each pod may use (default: the requests).
    #[serde(default)]
    #[schemars(title = "Limits", example = serde_json::json!({"cpu": "1", "memory": "2Gi"}))]
    pub limits: Option<ResourceList>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceList {
    /// Cores, such as `500m` (half a core) or `"2"`.
    #[serde(default)]
    #[schemars(title = "CPU", example = &"500m")]
    pub cpu: Option<Quantity>,
    /// Bytes, such as `512Mi` or `2Gi`.
    #[serde(default)]
    #[schemars(title = "Memory", example = &"1Gi")]
    pub memory: Option<Quantity>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Health {
    /// HTTP probes on this path.
    #[serde(default)]
    #[schemars(title = "Path", example = &"/actuator/health")]
    pub path: Option<String>,
    /// TCP probes on the service port.
    #[serde(default)]
    #[schemars(title = "TCP", example = true)]
    pub tcp: Option<bool>,
    /// The port the probes use (default: the service port); one of the service's ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Port", example = 8081)]
    pub port: Option<u16>,
    /// How often the probes run (default 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Interval", example = &"10s")]
    pub interval: Option<Duration>,
    /// How long one probe may take (default 3s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Timeout", example = &"3s")]
    pub timeout: Option<Duration>,
    /// Failed probes in a row before the pod is restarted or taken out of service (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Retries", example = 3)]
    pub retries: Option<u32>,
    /// How long the service may take to start before liveness probes count (default 5m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Start period", example = &"5m")]
    pub start_period: Option<Duration>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpRoute {
    /// The host name requests carry (a production host, moved by the DNS records).
    #[schemars(title = "Host", example = &"piggymetrics.example")]
    pub host: String,
    /// The path prefix that routes to the service (default `/`).
    #[serde(default = "root_path")]
    #[schemars(title = "Path", example = &"/uaa")]
    pub path: String,
}

fn root_path() -> String {
    "/".into()
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeMount {
    /// The name of an entry of `storage`.
    #[schemars(title = "Storage", example = &"cache-data")]
    pub storage: String,
    /// An absolute path in the container.
    #[schemars(title = "Mount path", example = &"/data")]
    pub mount_path: String,
    /// Mount the volume read-only (default false).
    #[serde(default)]
    #[schemars(title = "Read-only", example = true)]
    pub read_only: bool,
    /// OSS and NAS: the container's liveness probe becomes `ls -d --` on this mount path
    /// (exec, 5 s timeout), so that a lost FUSE or NFS mount restarts the container and
    /// shows; the HTTP or TCP health check stays the readiness probe. Default false: the
    /// image must hold `ls` (a distroless image has none).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(title = "Check the mount", example = true)]
    pub check_mount: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Images {
    /// The registry namespace every image moves to.
    #[schemars(title = "Target registry", example = &"registry.cn-hangzhou.aliyuncs.com/piggymetrics")]
    pub target: String,
    /// The Secret the pods pull with.
    #[serde(default)]
    #[schemars(title = "Pull Secret", example = &"acr-pull")]
    pub pull_secret: Option<String>,
    /// The small image the init containers that wait for `dependsOn` run (default
    /// `busybox:1.36`); it moves to `target` with the others.
    #[serde(default)]
    #[schemars(title = "Helper image", example = &"busybox:1.36")]
    pub helper_image: Option<String>,
    /// The kubectl image the init containers that wait for a one-shot service's Job run
    /// (default `registry.k8s.io/kubectl` of `target.kubernetesVersion`); it moves to
    /// `target` with the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "kubectl image", example = &"registry.k8s.io/kubectl:v1.31.0")]
    pub kubectl_image: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Data {
    /// Databases that move with DTS, each with its source, its RDS target and its sync mode.
    #[serde(default)]
    #[schemars(title = "Databases", example = serde_json::json!([
        {
            "name": "accounts",
            "engine": "mysql",
            "source": {"host": "mysql.swarm.internal", "port": 3306},
            "target": {"instance": "rm-bp1example000001"},
            "sync": "bidirectional",
            "privateName": "mysql.internal.piggymetrics.example"
        }
    ]))]
    pub databases: Vec<Database>,
    /// Buckets and folders copied to OSS with ossimport.
    #[serde(default)]
    #[schemars(title = "Object stores", example = serde_json::json!([
        {
            "name": "avatars",
            "source": "s3://piggymetrics-avatars",
            "target": "oss://piggymetrics-avatars"
        }
    ]))]
    pub object_stores: Vec<ObjectStore>,
    /// Where the migration keeps its backups (`oss://bucket/prefix/`), purged when the old
    /// cluster is decommissioned.
    #[serde(default)]
    #[schemars(title = "Backups", example = &"oss://piggymetrics-backups/migration/")]
    pub backups: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SyncMode {
    /// A one-time full copy.
    Full,
    /// A full copy, then incremental changes, old to new.
    Incremental,
    /// Changes flow both ways while traffic is split.
    Bidirectional,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Database {
    /// The database's name, which services list in `data`.
    #[schemars(title = "Name", example = &"accounts")]
    pub name: String,
    /// `mysql`, `postgresql`, ...
    #[schemars(title = "Engine", example = &"mysql")]
    pub engine: String,
    /// Where the database runs today.
    #[schemars(title = "Source", example = serde_json::json!({"host": "mysql.swarm.internal", "port": 3306}))]
    pub source: DatabaseSource,
    /// The RDS instance it moves to.
    #[schemars(title = "Target", example = serde_json::json!({"instance": "rm-bp1example000001"}))]
    pub target: DatabaseTarget,
    /// How DTS copies it: `full`, `incremental` (old to new) or `bidirectional` (both ways
    /// while traffic is split).
    #[schemars(title = "Sync mode", example = &"bidirectional")]
    pub sync: SyncMode,
    /// The PrivateZone name the apps keep using.
    #[serde(default)]
    #[schemars(title = "PrivateZone name", example = &"mysql.internal.piggymetrics.example")]
    pub private_name: Option<String>,
    /// Both clusters use this one instance while traffic is split (no sync needed for
    /// consistency; `sync` then only prepares the move).
    #[serde(default)]
    #[schemars(title = "Shared instance", example = false)]
    pub shared_instance: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatabaseSource {
    /// The database's host name or address on the old side.
    #[schemars(title = "Host", example = &"mysql.swarm.internal")]
    pub host: String,
    /// The database's port on the old side.
    #[schemars(title = "Port", example = 3306)]
    pub port: u16,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatabaseTarget {
    /// The RDS instance id.
    #[schemars(title = "RDS instance", example = &"rm-bp1example000001")]
    pub instance: String,
    /// The port the services reach the instance on (default by engine: 3306 for MySQL,
    /// MariaDB and PolarDB, 5432 for PostgreSQL, 1433 for SQL Server, 6379 for Redis and
    /// Tair, 3717 for MongoDB; else the source's port).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Port", example = 3306)]
    pub port: Option<u16>,
    /// The block the instance's address sits in (default: the VPC): the services'
    /// NetworkPolicies allow it on the port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Block", example = &"192.168.0.0/16")]
    pub cidr: Option<Cidr>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectStore {
    /// The store's name, which services list in `data`.
    #[schemars(title = "Name", example = &"avatars")]
    pub name: String,
    /// A local path, `s3://`, `azure://` or `cos://`.
    #[schemars(title = "Source", example = &"s3://piggymetrics-avatars")]
    pub source: String,
    /// `oss://bucket[/prefix]`.
    #[schemars(title = "Target", example = &"oss://piggymetrics-avatars")]
    pub target: String,
    /// The source's endpoint (`cos.ap-shanghai.myqcloud.com`, an Azure blob endpoint);
    /// S3 defaults to `s3.amazonaws.com`.
    #[serde(default)]
    #[schemars(title = "Source endpoint", example = &"cos.ap-shanghai.myqcloud.com")]
    pub source_endpoint: Option<String>,
    /// The block the bucket's endpoint resolves to (default `100.64.0.0/10`, which holds
    /// every region's OSS internal endpoint addresses): the services' NetworkPolicies allow
    /// it on ports 443 and 80.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Block", example = &"100.64.0.0/10")]
    pub cidr: Option<Cidr>,
    /// The prepare runbook creates the target bucket (`ossutil mb`) instead of verifying
    /// that it exists in the cluster's region (default false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(title = "Create", example = true)]
    pub create: bool,
    /// How often ossimport's incremental mode copies what changed, from the data phase
    /// until the final pass at `complete` (default `1h`; ossimport's minimum is `15m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Incremental interval", example = &"1h")]
    pub incremental_interval: Option<Duration>,
}

/// ossimport's incremental interval when the spec names none (its documentation advises
/// no less than an hour).
pub const DEFAULT_INCREMENTAL_INTERVAL: &str = "1h";

/// ossimport's smallest `incrementalModeInterval`, in seconds.
pub const MIN_INCREMENTAL_INTERVAL: u64 = 900;

impl ObjectStore {
    pub fn incremental_interval(&self) -> Duration {
        self.incremental_interval
            .clone()
            .unwrap_or_else(|| DEFAULT_INCREMENTAL_INTERVAL.parse().expect("a duration"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, VariantArray)]
#[strum(serialize_all = "kebab-case")]
pub enum Strategy {
    /// The old SLB gets the new cluster's NodePorts as backends; weights move per step.
    SlbWeights,
    /// Weighted DNS records, old and new, per step.
    DnsWeights,
    /// DNS moves to the new ingress first, which canaries between the old and new backends.
    IngressCanary,
    /// Istio VirtualServices with weighted destinations and mirroring.
    Istio,
    /// Clients' server lists gain the new address, then lose the old one.
    Client,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Controller {
    /// Gateway API HTTPRoutes.
    GatewayApi,
    /// Upstream ingress-nginx canary annotations.
    Nginx,
    /// ALB Ingress canary annotations.
    Alb,
    /// ACK's Nginx `service-match`/`service-weight` annotations (gone from controller v1.12).
    AckNginx,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rollout {
    /// How traffic moves: `ingress-canary`, `istio`, `slb-weights`, `dns-weights` or `client`.
    #[schemars(title = "Strategy", example = &"ingress-canary")]
    pub strategy: Strategy,
    /// ingress-canary only.
    #[serde(default)]
    #[schemars(title = "Controller", example = &"nginx")]
    pub controller: Option<Controller>,
    /// Requests that always reach the new cluster (testers, A/B).
    #[serde(default, rename = "match")]
    #[schemars(title = "Match", example = serde_json::json!({"header": {"name": "x-migration", "value": "canary"}}))]
    pub match_rule: Option<Match>,
    /// Moved in order: lowest traffic first.
    #[schemars(title = "Waves", example = serde_json::json!([
        {
            "name": "edge",
            "services": ["gateway", "auth-service"],
            "steps": [{"weight": 5, "hold": "30m"}, {"weight": 100, "hold": "2h"}]
        }
    ]))]
    pub waves: Vec<Wave>,
    /// Checked before every next step: measured (`{ metric, threshold, window }`) or free
    /// text. Every traffic phase also gets the default gates unless `defaultGates` is false.
    #[serde(default)]
    #[schemars(title = "Gates", example = serde_json::json!([{"metric": "error-rate", "threshold": "1%"}, "p99 latency below 300ms"]))]
    pub gates: Vec<Gate>,
    /// Add the default gates (5xx rate, p99 latency) to every traffic phase (default true).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    #[schemars(title = "Default gates", example = true)]
    pub default_gates: bool,
    /// Where the paths of a moving host that no route lists go: `legacy` (default: to the
    /// old cluster, through a catch-all route, until decommission), `new` (to the old
    /// cluster until `complete`, which removes the catch-all: the old cluster serves nothing
    /// else) or `refuse` (no catch-all: the new ingress answers them with 404 from the
    /// entry phase on).
    #[serde(default, skip_serializing_if = "UnroutedPaths::is_legacy")]
    #[schemars(title = "Unrouted paths", example = &"legacy")]
    pub unrouted_paths: UnroutedPaths,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Deserialize,
    Serialize,
    JsonSchema,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum UnroutedPaths {
    #[default]
    Legacy,
    New,
    Refuse,
}

impl UnroutedPaths {
    pub fn is_legacy(&self) -> bool {
        *self == UnroutedPaths::Legacy
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Match {
    /// A request header that sends a request to the new cluster.
    #[serde(default)]
    #[schemars(title = "Header", example = serde_json::json!({"name": "x-migration", "value": "canary"}))]
    pub header: Option<MatchCondition>,
    /// A cookie that sends a request to the new cluster.
    #[serde(default)]
    #[schemars(title = "Cookie", example = serde_json::json!({"name": "canary", "value": "always"}))]
    pub cookie: Option<MatchCondition>,
    /// A query parameter that sends a request to the new cluster.
    #[serde(default)]
    #[schemars(title = "Query parameter", example = serde_json::json!({"name": "canary", "value": "1"}))]
    pub query: Option<MatchCondition>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MatchCondition {
    /// The header's, cookie's or query parameter's name.
    #[schemars(title = "Name", example = &"x-migration")]
    pub name: String,
    /// Matched exactly.
    #[serde(default)]
    #[schemars(title = "Value", example = &"canary")]
    pub value: Option<String>,
    /// Matched as a regular expression.
    #[serde(default)]
    #[schemars(title = "Pattern", example = &"^(tester|qa)-.*$")]
    pub pattern: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Wave {
    /// The wave's name, as the phases and runbooks call it.
    #[schemars(title = "Name", example = &"edge")]
    pub name: String,
    /// The services whose traffic moves in this wave, together.
    #[schemars(title = "Services", example = serde_json::json!(["gateway", "auth-service"]))]
    pub services: Vec<String>,
    /// Shadow traffic to the new cluster before any weight.
    #[serde(default)]
    #[schemars(title = "Mirror", example = true)]
    pub mirror: bool,
    /// The shares of the wave's traffic on the new cluster, in order, each held before the
    /// next.
    #[schemars(title = "Steps", example = serde_json::json!([
        {"weight": 5, "hold": "30m"},
        {"weight": 25, "hold": "1h"},
        {"weight": 100, "hold": "2h"}
    ]))]
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    /// Share of the wave's traffic on the new cluster, 0 to 100.
    #[schemars(title = "Weight", example = 25)]
    pub weight: u32,
    /// How long the step holds before the gates are checked for the next one.
    #[schemars(title = "Hold", example = &"30m")]
    pub hold: Duration,
    /// The weight applies to the requests that carry `rollout.match` only; the others stay
    /// on the old cluster (ack-nginx, Gateway API and Istio can express it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(title = "Matched requests only", example = true)]
    pub matched_only: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DnsProvider {
    /// Alibaba Cloud DNS.
    Alidns,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, VariantArray)]
#[strum(serialize_all = "kebab-case")]
pub enum DnsEdition {
    Free,
    Personal,
    EnterpriseStandard,
    EnterpriseUltimate,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dns {
    /// The DNS provider: `alidns` (Alibaba Cloud DNS).
    #[schemars(title = "Provider", example = &"alidns")]
    pub provider: DnsProvider,
    /// TTLs below 600 s need `enterprise-ultimate`.
    #[serde(default)]
    #[schemars(title = "Edition", example = &"enterprise-ultimate")]
    pub edition: Option<DnsEdition>,
    /// The public zone the moving records sit in.
    #[schemars(title = "Zone", example = &"piggymetrics.example")]
    pub zone: String,
    /// The records' TTLs: lowered to `cutover` at least one `normal` TTL before the first
    /// change, restored after.
    #[schemars(title = "TTLs", example = serde_json::json!({"normal": 600, "cutover": 60}))]
    pub ttl: Ttl,
    /// Records that move from the source entrypoint to the target entrypoint.
    #[schemars(title = "Records", example = serde_json::json!([{"name": "@", "type": "A"}, {"name": "www", "type": "A"}]))]
    pub records: Vec<DnsRecord>,
    /// The PrivateZone the apps resolve internal names in, with its fixed records.
    #[serde(default)]
    #[schemars(title = "PrivateZone", example = serde_json::json!({
        "zone": "internal.piggymetrics.example",
        "records": [
            {
                "name": "mysql",
                "type": "CNAME",
                "value": "rm-bp1example000001.mysql.rds.aliyuncs.com"
            }
        ]
    }))]
    pub private_zone: Option<PrivateZone>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ttl {
    /// Seconds, the usual TTL.
    #[schemars(title = "Normal TTL", example = 600)]
    pub normal: u32,
    /// Seconds, while records move.
    #[schemars(title = "Cutover TTL", example = 60)]
    pub cutover: u32,
}

#[derive(IntoStaticStr, VariantArray)]
#[strum(serialize_all = "UPPERCASE")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum RecordType {
    A,
    #[serde(rename = "AAAA")]
    Aaaa,
    #[serde(rename = "CNAME")]
    Cname,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DnsRecord {
    /// `@` for the apex.
    #[schemars(title = "Name", example = &"@")]
    pub name: String,
    /// The record type: `A`, `AAAA` or `CNAME`.
    #[serde(rename = "type")]
    #[schemars(title = "Type", example = &"A")]
    pub kind: RecordType,
    /// Fixed answers (private zone records); moving records take the entrypoints.
    #[serde(default)]
    #[schemars(title = "Value", example = &"rm-bp1example000001.mysql.rds.aliyuncs.com")]
    pub value: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrivateZone {
    /// The PrivateZone's name.
    #[schemars(title = "Zone", example = &"internal.piggymetrics.example")]
    pub zone: String,
    /// The PrivateZone's records, each with its fixed value.
    #[schemars(title = "Records", example = serde_json::json!([
        {
            "name": "mysql",
            "type": "CNAME",
            "value": "rm-bp1example000001.mysql.rds.aliyuncs.com"
        }
    ]))]
    pub records: Vec<DnsRecord>,
    /// The data runbook creates the zone and binds it to the cluster's VPC (default true);
    /// false: the zone exists, and the prepare runbook verifies that it is bound to the
    /// cluster's VPC.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    #[schemars(title = "Create", example = false)]
    pub create: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Verification {
    /// Requests sent to the target's test domain, each with the status it must return.
    #[schemars(title = "Checks", example = serde_json::json!([{"name": "login page", "request": "GET /", "expect": 200}]))]
    pub checks: Vec<VerificationCheck>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerificationCheck {
    /// What the check shows, in the runbook.
    #[schemars(title = "Name", example = &"login page")]
    pub name: String,
    /// `METHOD /path`.
    #[schemars(title = "Request", example = &"GET /uaa/users/current")]
    pub request: String,
    /// The HTTP status the request must return.
    #[schemars(title = "Expected status", example = 401)]
    pub expect: u16,
}

/// The init containers' image when `images.helperImage` is not set.
pub const DEFAULT_HELPER_IMAGE: &str = "busybox:1.36";

impl Entrypoint {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(80)
    }
}

impl Spec {
    /// The namespace the services run in.
    pub fn namespace(&self) -> &str {
        self.target
            .namespace
            .as_deref()
            .unwrap_or(&self.metadata.name)
    }

    /// The image the dependsOn init containers run, before the registry move.
    pub fn helper_image(&self) -> &str {
        self.images
            .as_ref()
            .and_then(|i| i.helper_image.as_deref())
            .unwrap_or(DEFAULT_HELPER_IMAGE)
    }

    fn names(&self) -> &Names {
        self.names.get_or_init(|| {
            let mut names = Names::default();
            // The first of duplicate names wins, as a linear search would find it.
            for (i, s) in self.services.iter().enumerate().rev() {
                names.services.insert(s.name.clone(), i);
            }
            for (i, s) in self.storage.iter().enumerate().rev() {
                names.storage.insert(s.name.clone(), i);
            }
            names
        })
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.names().services.get(name).map(|&i| &self.services[i])
    }

    pub fn storage(&self, name: &str) -> Option<&Storage> {
        self.names().storage.get(name).map(|&i| &self.storage[i])
    }
}

/// `name` turned into a DNS-1123 label (lowercase, `-` for anything else, 63 bytes), or
/// `fallback` when nothing of it is left: what the checks suggest and the importer writes.
pub fn to_dns_label(name: &str, fallback: &str) -> String {
    let mut out: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    out.truncate(63);
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        fallback.into()
    } else {
        trimmed.to_string()
    }
}

/// The schema's example of `allow`: a rule id named through `RuleId`, which is the only way
/// code outside a rule's own file may name it (`tests/rules.rs`).
fn allow_example() -> serde_json::Value {
    serde_json::json!([crate::rules::RuleId::WorkloadSingleReplica.to_string()])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name strum derives is the one serde reads and writes.
    fn names_match_serde<T: Serialize + Copy + Into<&'static str> + std::fmt::Debug>(all: &[T]) {
        for &value in all {
            let serde = serde_json::to_value(value).unwrap_or_default();
            let name: &'static str = value.into();
            assert_eq!(serde.as_str(), Some(name), "{value:?}");
        }
    }

    #[test]
    fn enum_names_are_the_spec_s_own() {
        names_match_serde(Profile::VARIANTS);
        names_match_serde(NetworkPlugin::VARIANTS);
        names_match_serde(DiskCategory::VARIANTS);
        names_match_serde(Strategy::VARIANTS);
        names_match_serde(DnsEdition::VARIANTS);
        names_match_serde(RecordType::VARIANTS);
        names_match_serde(NetworkPolicyMode::VARIANTS);
    }
}
