//! Node pools (003 §1.1): the named groups of ECS instances the new cluster runs on, each
//! created with one ACK `CreateClusterNodePool` call. Without `target.nodePools` the spec's
//! `target.nodes` is the one worker pool (`workers`) and `ingressController.dedicatedNodes`
//! the ingress pool (`ingress`), as before.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

use super::{NodeDisk, Profile, Quantity};

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePool {
    /// The pool's name in ACK, a DNS-1123 label; it also names the request body's file
    /// (`tools/ack/nodepool-<name>.json`).
    #[schemars(title = "Name", example = &"workers")]
    pub name: String,
    /// `workers` (default) runs the services; `ingress` runs only the ingress controller:
    /// its nodes carry `node-role.kubernetes.io/ingress=true` and the controller selects
    /// them. At most one pool is the ingress pool.
    #[serde(default)]
    #[schemars(title = "Role", example = &"workers")]
    pub role: PoolRole,
    /// The CPU:memory ratio the pool's instances must have (default: `target.nodes.profile`).
    #[serde(default)]
    #[schemars(title = "Instance profile", example = &"memory-heavy")]
    pub profile: Option<Profile>,
    /// ECS instance types the pool may create, in order of preference (1 to 10); without
    /// them the type is picked from the sizing, such as `ecs.r7.4xlarge`. Each pinned type is
    /// checked against the profile's ratio and the fault tolerance.
    #[serde(default)]
    #[schemars(title = "Instance types", example = serde_json::json!(["ecs.r7.4xlarge", "ecs.r8i.4xlarge"]))]
    pub instance_types: Vec<String>,
    /// The OS image type (ACK's `image_type`): `AliyunLinux3` (default), `AliyunLinux3Arm64`,
    /// `AliyunLinux3Security` (UEFI) or `ContainerOS` (container-optimized).
    #[serde(default)]
    #[schemars(title = "OS image", example = &"AliyunLinux3")]
    pub image: ImageType,
    /// Pay-as-you-go (default) or a subscription with its period.
    #[serde(default)]
    #[schemars(title = "Billing", example = serde_json::json!({"chargeType": "PrePaid", "period": 12, "periodUnit": "Month", "autoRenew": true}))]
    pub billing: Billing,
    /// Each node's system disk (default: `target.nodes.systemDisk`, unencrypted).
    #[serde(default)]
    #[schemars(title = "System disk", example = serde_json::json!({"category": "cloud_essd", "size": "120Gi", "encrypted": true}))]
    pub system_disk: Option<PoolDisk>,
    /// Each node's data disks (default: `target.nodes.dataDisk`, unencrypted); the first
    /// holds the container images.
    #[serde(default)]
    #[schemars(title = "Data disks", example = serde_json::json!([{"category": "cloud_essd", "size": "200Gi", "encrypted": true, "kmsKeyId": "0e478b7a-4262-4802-b8cb-00d3fb40example"}]))]
    pub data_disks: Option<Vec<PoolDisk>>,
    /// Kubernetes labels every node of the pool carries (valid label keys and values).
    #[serde(default)]
    #[schemars(title = "Labels", example = serde_json::json!({"workload": "java"}))]
    pub labels: BTreeMap<String, String>,
    /// Taints every node of the pool carries: only pods that tolerate them run there.
    #[serde(default)]
    #[schemars(title = "Taints", example = serde_json::json!([{"key": "dedicated", "value": "ingress", "effect": "NoSchedule"}]))]
    pub taints: Vec<Taint>,
    /// How many nodes: `desired`, or `min` and `max` for autoscaling (default: the sizing's
    /// worker count, or for the ingress pool `dedicatedNodes`).
    #[serde(default)]
    #[schemars(title = "Size", example = serde_json::json!({"desired": 10}))]
    pub size: Option<PoolSize>,
    /// The ECS key pair the nodes accept for SSH logins (no password ever enters the bundle).
    #[serde(default)]
    #[schemars(title = "Key pair", example = &"ops-keypair")]
    pub key_pair: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[derive(IntoStaticStr, VariantArray)]
#[strum(serialize_all = "kebab-case")]
pub enum PoolRole {
    /// Runs the services.
    #[default]
    Workers,
    /// Runs only the ingress controller.
    Ingress,
}

/// ACK's OS image types for node pools (`scaling_group.image_type`).
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
pub enum ImageType {
    /// Alibaba Cloud Linux 3.
    #[default]
    AliyunLinux3,
    /// Alibaba Cloud Linux 3 for Arm instances.
    AliyunLinux3Arm64,
    /// Alibaba Cloud Linux 3, UEFI edition.
    AliyunLinux3Security,
    /// ContainerOS, the container-optimized image.
    #[serde(rename = "ContainerOS")]
    #[strum(serialize = "ContainerOS")]
    ContainerOs,
}

/// ACK's `instance_charge_type`.
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
pub enum ChargeType {
    /// Pay-as-you-go.
    #[default]
    #[serde(alias = "pay-as-you-go")]
    PostPaid,
    /// Subscription, for `period` × `periodUnit`.
    #[serde(alias = "subscription")]
    PrePaid,
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
pub enum PeriodUnit {
    #[default]
    Month,
    Week,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Billing {
    /// `PostPaid` (pay-as-you-go, default) or `PrePaid` (subscription).
    #[serde(default)]
    #[schemars(title = "Charge type", example = &"PrePaid")]
    pub charge_type: ChargeType,
    /// Subscription only: months 1–9, 12, 24, 36, 48 or 60, or weeks 1–4.
    #[serde(default)]
    #[schemars(title = "Period", example = 12)]
    pub period: Option<u32>,
    /// Subscription only: `Month` (default) or `Week`.
    #[serde(default)]
    #[schemars(title = "Period unit", example = &"Month")]
    pub period_unit: Option<PeriodUnit>,
    /// Subscription only: renew for another period when it ends.
    #[serde(default)]
    #[schemars(title = "Auto-renew", example = true)]
    pub auto_renew: bool,
}

/// The subscription periods ACK accepts (`scaling_group.period`) per unit.
pub const MONTHS: &[u32] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60];
pub const WEEKS: &[u32] = &[1, 2, 3, 4];

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PoolDisk {
    /// The disk's category (`cloud_essd`, `cloud_auto`, ...).
    #[schemars(title = "Disk category", example = &"cloud_essd")]
    pub category: super::DiskCategory,
    /// The disk's size, such as `120Gi`.
    #[schemars(title = "Size", example = &"120Gi")]
    pub size: Quantity,
    /// Encrypt the disk (with the KMS key `kmsKeyId`, or the account's default key).
    #[serde(default)]
    #[schemars(title = "Encrypted", example = true)]
    pub encrypted: bool,
    /// The KMS key that encrypts the disk (requires `encrypted: true`).
    #[serde(default)]
    #[schemars(title = "KMS key id", example = &"0e478b7a-4262-4802-b8cb-00d3fb40example")]
    pub kms_key_id: Option<String>,
}

impl PoolDisk {
    /// A spec's `target.nodes` disk as a pool disk: unencrypted.
    pub fn plain(disk: &NodeDisk) -> PoolDisk {
        PoolDisk {
            category: disk.category,
            size: disk.size.clone(),
            encrypted: false,
            kms_key_id: None,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Taint {
    /// A Kubernetes label key, such as `dedicated` or `example.com/ingress`.
    #[schemars(title = "Key", example = &"dedicated")]
    pub key: String,
    /// A Kubernetes label value (may be empty).
    #[serde(default)]
    #[schemars(title = "Value", example = &"ingress")]
    pub value: String,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    #[schemars(title = "Effect", example = &"NoSchedule")]
    pub effect: TaintEffect,
}

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
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PoolSize {
    /// A fixed node count.
    #[serde(default)]
    #[schemars(title = "Desired nodes", example = 10)]
    pub desired: Option<u32>,
    /// Autoscaling: the fewest nodes.
    #[serde(default)]
    #[schemars(title = "Minimum nodes", example = 3)]
    pub min: Option<u32>,
    /// Autoscaling: the most nodes (at most 2,000).
    #[serde(default)]
    #[schemars(title = "Maximum nodes", example = 12)]
    pub max: Option<u32>,
}

/// The most nodes ACK lets a pool autoscale to (`auto_scaling.max_instances`).
pub const MAX_POOL_NODES: u32 = 2000;

/// The label the ingress pool's nodes carry and the controller selects.
pub const INGRESS_NODE_LABEL: &str = "node-role.kubernetes.io/ingress";

impl ChargeType {
    /// For people: `pay-as-you-go (PostPaid)`, `subscription (PrePaid), 12 Month, ...`.
    pub fn describe(self, period: Option<u32>, unit: Option<PeriodUnit>) -> String {
        match self {
            ChargeType::PostPaid => "pay-as-you-go (PostPaid)".into(),
            ChargeType::PrePaid => format!(
                "subscription (PrePaid), {} {}",
                period.map_or("-".into(), |p| p.to_string()),
                <&str>::from(unit.unwrap_or_default())
            ),
        }
    }
}
