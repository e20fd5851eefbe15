//! The typed migration spec: one struct per section of `spec-sketch.yaml`.
//!
//! Plain serde structs, strict (`deny_unknown_fields`), ordered collections only. The doc
//! comments become the descriptions of the JSON Schema (`cutover schema`).

pub mod dns;
pub mod gates;
pub mod hosts;
pub mod images;
pub mod kubernetes;
pub mod network;
pub mod network_policy;
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
pub use ports::{AddressType, ExtraPort, LegacyBackend, Protocol, Publish, PublishVia};
pub use secrets::{
    Config, EnvValue, FileMount, Secret, SecretProvider, SecretStoreKind, SecretStoreRef,
};
pub use security::{Capability, SecurityContext};
pub use units::{Address, Cidr, Duration, Percent, Quantity};

/// The only `apiVersion` this version of cutover reads.
pub const API_VERSION: &str = "cutover.dev/v1alpha1";
pub const KIND: &str = "Migration";

/// A migration spec: everything cutover needs to plan the move of a set of services from
/// one cluster to another.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spec {
    /// Always `cutover.dev/v1alpha1`.
    pub api_version: String,
    /// Always `Migration`.
    pub kind: String,
    pub metadata: Metadata,
    /// The cluster the services leave.
    pub source: SourceCluster,
    /// The ACK cluster the services move to.
    pub target: TargetCluster,
    /// Volumes the services mount, by name.
    #[serde(default)]
    pub storage: Vec<Storage>,
    /// Secrets the services read (`env` and `files`); the bundle never holds a value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// ConfigMaps made from files beside the spec, which the services read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<Config>,
    pub services: Vec<Service>,
    /// Where the service images move before deploy.
    #[serde(default)]
    pub images: Option<Images>,
    /// Databases and object stores that move with the services.
    #[serde(default)]
    pub data: Option<Data>,
    pub rollout: Rollout,
    #[serde(default)]
    pub dns: Option<Dns>,
    /// Regression tests run against the target's test domain before any traffic moves.
    #[serde(default)]
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
    pub name: String,
    /// Shown in the runbooks.
    #[serde(default)]
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
    pub platform: SourcePlatform,
    pub name: String,
    pub entrypoint: Entrypoint,
    /// The Swarm stack (or Kubernetes namespace) the services run in on the old cluster
    /// (default: the migration's name); the decommission phase removes it.
    #[serde(default)]
    pub stack: Option<String>,
    /// The domain the old cluster answers tests on.
    #[serde(default)]
    pub test_domain: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entrypoint {
    /// The load balancer (SLB) address that serves the cluster's traffic.
    pub address: Address,
    /// The port the entrypoint serves HTTP on (default 80).
    #[serde(default)]
    pub port: Option<u16>,
    /// slb-weights: how many backend servers the old SLB has, so that per-server weights
    /// can give each step its exact share (default: as many as the new cluster's workers).
    #[serde(default)]
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
    pub name: String,
    pub edition: Edition,
    pub region: String,
    /// The zones the cluster's nodes run in; each needs a vSwitch.
    pub zones: Vec<String>,
    /// Decides every apiVersion the bundle emits, such as `"1.31"`; 1.24 or later.
    pub kubernetes_version: String,
    /// The namespace the services run in (default: the migration's name).
    #[serde(default)]
    pub namespace: Option<String>,
    pub entrypoint: Entrypoint,
    /// The domain the new cluster answers regression tests on before any traffic moves.
    #[serde(default)]
    pub test_domain: Option<String>,
    pub network: Network,
    pub nodes: Nodes,
    #[serde(default)]
    pub ingress_controller: Option<IngressController>,
    /// Cluster add-ons installed at creation (`cloud-monitor`, `log-service`, ...).
    #[serde(default)]
    pub addons: Vec<String>,
    /// `dependencies` (default): a default-deny NetworkPolicy in the namespace and one per
    /// service that allows its routes, its `dependsOn` edges, its data stores and its
    /// `egress`; `none`: no NetworkPolicy.
    #[serde(default, skip_serializing_if = "NetworkPolicyMode::is_default")]
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
    pub plugin: NetworkPlugin,
    /// Must sit in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.
    pub vpc: Cidr,
    /// Inside the VPC, pairwise disjoint, at least one per zone.
    pub vswitches: Vec<VSwitch>,
    /// Flannel: disjoint from the VPC, the routes and other clusters' pod CIDRs.
    #[serde(default)]
    pub pod_cidr: Option<Cidr>,
    /// Disjoint from the VPC, the pod CIDR and the routes; /16 to /24.
    pub service_cidr: Cidr,
    /// 16, 32, 64, 128 or 256; with the pod CIDR it caps the node count.
    pub pods_per_node: u32,
    /// Address space already reachable from this VPC (peered VPCs, an IDC over a VBR).
    #[serde(default)]
    pub routes: Vec<NetworkRoute>,
    /// Clusters that share this VPC.
    #[serde(default)]
    pub other_clusters: Vec<OtherCluster>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VSwitch {
    pub name: String,
    pub zone: String,
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
    pub name: String,
    pub via: RouteVia,
    pub cidr: Cidr,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OtherCluster {
    pub name: String,
    #[serde(default)]
    pub pod_cidr: Option<Cidr>,
    /// May overlap this cluster's service CIDR.
    #[serde(default)]
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
    pub profile: Profile,
    /// Cores the workloads need on a normal day.
    pub total_cores: u32,
    /// Share of cores the cluster may lose and keep serving.
    pub fault_tolerance: Percent,
    /// The workload must scale out fast in bursts (promotions): favours bare-metal instances.
    #[serde(default)]
    pub burst_scale_out: bool,
    pub system_disk: NodeDisk,
    /// Dedicated to container images.
    #[serde(default)]
    pub data_disk: Option<NodeDisk>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeDisk {
    pub category: DiskCategory,
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
    pub replicas: u32,
    /// Nodes labelled `node-role.kubernetes.io/ingress=true` that run only the controller;
    /// at least `replicas`.
    #[serde(default)]
    pub dedicated_nodes: Option<u32>,
    /// gateway-api and istio: the Gateway routes attach to, as `namespace/name` (default:
    /// `gateway` in the services' namespace; for istio `istio-system/ingressgateway`).
    #[serde(default)]
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
    pub name: String,
    #[serde(rename = "type")]
    pub kind: StorageType,
    /// Disks only.
    #[serde(default)]
    pub provisioning: Option<Provisioning>,
    /// Dynamic disks only.
    #[serde(default)]
    pub category: Option<DiskCategory>,
    pub size: Quantity,
    /// `Delete` loses the data with the claim: refused for volumes that hold data.
    #[serde(default)]
    pub reclaim_policy: Option<ReclaimPolicy>,
    /// The volume holds nothing worth keeping (a scratch area): `Delete` is allowed.
    #[serde(default)]
    pub scratch: bool,
    /// Static disks: the existing disk's id.
    #[serde(default)]
    pub disk_id: Option<String>,
    /// Static disks: the disk's zone; it mounts only on nodes of that zone.
    #[serde(default)]
    pub zone: Option<String>,
    /// NAS: the mount target's domain name.
    #[serde(default)]
    pub server: Option<String>,
    /// NAS: the exported path.
    #[serde(default)]
    pub path: Option<String>,
    /// NAS: `"3"` (recommended) or `"4.0"`.
    #[serde(default)]
    pub nfs_version: Option<String>,
    /// OSS: the bucket.
    #[serde(default)]
    pub bucket: Option<String>,
    /// OSS: the endpoint, internal for in-region access.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// OSS: the Secret holding `akId` and `akSecret`, created by the runbook.
    #[serde(default)]
    pub credentials_secret: Option<String>,
    /// Refused: AccessKeys never go into a spec (use `credentialsSecret`).
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// Refused: AccessKeys never go into a spec (use `credentialsSecret`).
    #[serde(default)]
    pub access_key_secret: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    /// A DNS-1123 label.
    pub name: String,
    /// With an explicit tag or digest, never `latest`.
    pub image: String,
    /// Fewer than 3 is a single point of failure (warned).
    pub replicas: u32,
    /// The port the service listens on: its routes and probes use it.
    pub port: u16,
    /// The main port's protocol: `tcp` (default) or `udp` (no route and no probe can use it).
    #[serde(default, skip_serializing_if = "Protocol::is_tcp")]
    pub protocol: Protocol,
    /// Clients outside the cluster reach the main port directly (not an HTTP route): a
    /// LoadBalancer or NodePort Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish: Option<Publish>,
    /// More ports the service listens on, each named.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ExtraPort>,
    /// Runs once to completion instead of serving: a Job. Its dependants start when it has
    /// completed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub one_shot: bool,
    #[serde(default)]
    pub resources: Option<Resources>,
    /// Liveness and readiness probes on the service port.
    #[serde(default)]
    pub health: Option<Health>,
    /// A StatefulSet: ordered pods, one claim per replica.
    #[serde(default)]
    pub stateful: bool,
    /// Host and path pairs that route to this service.
    #[serde(default)]
    pub routes: Vec<HttpRoute>,
    /// Where the service answers on the old cluster while its routes move (default: the
    /// source entrypoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy: Option<LegacyBackend>,
    /// Services that must be ready (or, for a one-shot service, completed) before this one
    /// starts: an init container waits until the dependency's Service answers on its port
    /// (a Service answers only once a pod is ready, so this is a readiness wait), or until a
    /// one-shot dependency's Job has completed (`kubectl wait --for=condition=complete`).
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub volumes: Vec<VolumeMount>,
    /// Environment variables: plain values, or `{ secret: NAME, key: KEY }` and
    /// `{ config: NAME, key: KEY }` references.
    #[serde(default)]
    pub env: BTreeMap<String, EnvValue>,
    /// Secrets and configs mounted as files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileMount>,
    /// The databases and object stores (`data.databases[].name`, `data.objectStores[].name`)
    /// the service reads or writes: its NetworkPolicy lets it reach those. A store no service
    /// names is open to every service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<String>,
    /// Destinations outside the cluster the service calls (external APIs, SMTP...): its
    /// NetworkPolicy lets it reach each block on its port.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<Egress>,
    /// The service talks to the Kubernetes API: its pods mount a token of a ServiceAccount
    /// named after the service (bind it the Role it needs). Default false: no pod sees a
    /// token.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kubernetes_api: bool,
    /// Who the service runs as, what it may write and which capabilities it adds; every
    /// field has a least-privilege default (uid 10001, non-root, read-only root filesystem
    /// with `/tmp` writable, no capability).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
    /// Rule ids accepted on purpose for this service.
    #[serde(default)]
    pub allow: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    #[serde(default)]
    pub requests: Option<ResourceList>,
    #[serde(default)]
    pub limits: Option<ResourceList>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceList {
    #[serde(default)]
    pub cpu: Option<Quantity>,
    #[serde(default)]
    pub memory: Option<Quantity>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Health {
    /// HTTP probes on this path.
    #[serde(default)]
    pub path: Option<String>,
    /// TCP probes on the service port.
    #[serde(default)]
    pub tcp: Option<bool>,
    /// The port the probes use (default: the service port); one of the service's ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// How often the probes run (default 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// How long one probe may take (default 3s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Failed probes in a row before the pod is restarted or taken out of service (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// How long the service may take to start before liveness probes count (default 5m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Duration>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpRoute {
    pub host: String,
    #[serde(default = "root_path")]
    pub path: String,
}

fn root_path() -> String {
    "/".into()
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeMount {
    /// The name of an entry of `storage`.
    pub storage: String,
    pub mount_path: String,
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Images {
    /// The registry namespace every image moves to.
    pub target: String,
    /// The Secret the pods pull with.
    #[serde(default)]
    pub pull_secret: Option<String>,
    /// The small image the init containers that wait for `dependsOn` run (default
    /// `busybox:1.36`); it moves to `target` with the others.
    #[serde(default)]
    pub helper_image: Option<String>,
    /// The kubectl image the init containers that wait for a one-shot service's Job run
    /// (default `registry.k8s.io/kubectl` of `target.kubernetesVersion`); it moves to
    /// `target` with the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubectl_image: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Data {
    #[serde(default)]
    pub databases: Vec<Database>,
    #[serde(default)]
    pub object_stores: Vec<ObjectStore>,
    /// Where the migration keeps its backups (`oss://bucket/prefix/`), purged when the old
    /// cluster is decommissioned.
    #[serde(default)]
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
    pub name: String,
    /// `mysql`, `postgresql`, ...
    pub engine: String,
    pub source: DatabaseSource,
    pub target: DatabaseTarget,
    pub sync: SyncMode,
    /// The PrivateZone name the apps keep using.
    #[serde(default)]
    pub private_name: Option<String>,
    /// Both clusters use this one instance while traffic is split (no sync needed for
    /// consistency; `sync` then only prepares the move).
    #[serde(default)]
    pub shared_instance: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatabaseSource {
    pub host: String,
    pub port: u16,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatabaseTarget {
    /// The RDS instance id.
    pub instance: String,
    /// The port the services reach the instance on (default by engine: 3306 for MySQL,
    /// MariaDB and PolarDB, 5432 for PostgreSQL, 1433 for SQL Server, 6379 for Redis and
    /// Tair, 3717 for MongoDB; else the source's port).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The block the instance's address sits in (default: the VPC): the services'
    /// NetworkPolicies allow it on the port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<Cidr>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectStore {
    pub name: String,
    /// A local path, `s3://`, `azure://` or `cos://`.
    pub source: String,
    /// `oss://bucket[/prefix]`.
    pub target: String,
    /// The source's endpoint (`cos.ap-shanghai.myqcloud.com`, an Azure blob endpoint);
    /// S3 defaults to `s3.amazonaws.com`.
    #[serde(default)]
    pub source_endpoint: Option<String>,
    /// The block the bucket's endpoint resolves to (default `100.64.0.0/10`, which holds
    /// every region's OSS internal endpoint addresses): the services' NetworkPolicies allow
    /// it on ports 443 and 80.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<Cidr>,
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
    pub strategy: Strategy,
    /// ingress-canary only.
    #[serde(default)]
    pub controller: Option<Controller>,
    /// Requests that always reach the new cluster (testers, A/B).
    #[serde(default, rename = "match")]
    pub match_rule: Option<Match>,
    /// Moved in order: lowest traffic first.
    pub waves: Vec<Wave>,
    /// Checked before every next step: measured (`{ metric, threshold, window }`) or free
    /// text. Every traffic phase also gets the default gates unless `defaultGates` is false.
    #[serde(default)]
    pub gates: Vec<Gate>,
    /// Add the default gates (5xx rate, p99 latency) to every traffic phase (default true).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub default_gates: bool,
    /// Where the paths of a moving host that no route lists go: `legacy` (default: to the
    /// old cluster, through a catch-all route, until decommission), `new` (to the old
    /// cluster until `complete`, which removes the catch-all: the old cluster serves nothing
    /// else) or `refuse` (no catch-all: the new ingress answers them with 404 from the
    /// entry phase on).
    #[serde(default, skip_serializing_if = "UnroutedPaths::is_legacy")]
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
    #[serde(default)]
    pub header: Option<MatchCondition>,
    #[serde(default)]
    pub cookie: Option<MatchCondition>,
    #[serde(default)]
    pub query: Option<MatchCondition>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MatchCondition {
    pub name: String,
    /// Matched exactly.
    #[serde(default)]
    pub value: Option<String>,
    /// Matched as a regular expression.
    #[serde(default)]
    pub pattern: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Wave {
    pub name: String,
    pub services: Vec<String>,
    /// Shadow traffic to the new cluster before any weight.
    #[serde(default)]
    pub mirror: bool,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    /// Share of the wave's traffic on the new cluster, 0 to 100.
    pub weight: u32,
    /// How long the step holds before the gates are checked for the next one.
    pub hold: Duration,
    /// The weight applies to the requests that carry `rollout.match` only; the others stay
    /// on the old cluster (ack-nginx, Gateway API and Istio can express it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
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
    pub provider: DnsProvider,
    /// TTLs below 600 s need `enterprise-ultimate`.
    #[serde(default)]
    pub edition: Option<DnsEdition>,
    pub zone: String,
    pub ttl: Ttl,
    /// Records that move from the source entrypoint to the target entrypoint.
    pub records: Vec<DnsRecord>,
    #[serde(default)]
    pub private_zone: Option<PrivateZone>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ttl {
    /// Seconds, the usual TTL.
    pub normal: u32,
    /// Seconds, while records move.
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
    pub name: String,
    #[serde(rename = "type")]
    pub kind: RecordType,
    /// Fixed answers (private zone records); moving records take the entrypoints.
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrivateZone {
    pub zone: String,
    pub records: Vec<DnsRecord>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Verification {
    pub checks: Vec<VerificationCheck>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerificationCheck {
    pub name: String,
    /// `METHOD /path`.
    pub request: String,
    /// The HTTP status the request must return.
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
