//! The node pools' creation (003 §1.1): for each pool of the sizing, the exact body of ACK's
//! `CreateClusterNodePool` (`POST /clusters/{ClusterId}/nodepools`), which the bundle holds
//! as `tools/ack/nodepool-<name>.json`, and the commands that send it.
//!
//! The body's field names are ACK's (API version 2015-12-15): `nodepool_info`,
//! `scaling_group` (`instance_types`, `vswitch_ids`, `image_type`, `instance_charge_type`,
//! `period`, `period_unit`, `auto_renew`, `system_disk_*`, `data_disks[]` with `encrypted` as
//! the string `"true"`/`"false"` and `kms_key_id`, `desired_size`, `key_pair`),
//! `auto_scaling` and `kubernetes_config` (`labels` and `taints` as key/value lists,
//! `runtime`), as the API reference and the generated SDK models give them:
//! <https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/developer-reference/api-cs-2015-12-15-createclusternodepool>,
//! <https://github.com/aliyun/alibabacloud-csharp-sdk/blob/master/cs-20151215/core/Models/CreateClusterNodePoolRequest.cs>
//! and `DataDisk.cs`, `Tag.cs`, `Taint.cs` beside it. The command is the CLI's form for ROA
//! APIs, `aliyun cs POST <path> --header "Content-Type=application/json" --body "$(cat
//! file)"` (<https://help.aliyun.com/document_detail/110344.htm>).
//!
//! The vSwitch ids exist only once the cluster does: the file holds an empty
//! `vswitch_ids`, and the command fills it with jq from the ids the runbook looks up by
//! each vSwitch's block in the cluster's VPC.

use serde::Serialize;

use crate::model::Spec;
use crate::model::node_pools::{ChargeType, INGRESS_NODE_LABEL, PoolDisk, PoolRole};
use crate::model::sizing::Pool;
use crate::model::units::GIB;
use crate::shell::{self, Line, Piece};

/// The folder of the request bodies in the bundle.
pub const FOLDER: &str = "tools/ack";

/// The variable the prepare runbook holds the new cluster's id in.
pub const CLUSTER: &str = "CLUSTER_ID";

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolPlan {
    pub name: String,
    pub role: &'static str,
    /// The runbook that creates it (the prepare phase's).
    pub phase: String,
    /// `tools/ack/nodepool-<name>.json`.
    pub file: String,
    /// The request body, as the file holds it.
    pub body: CreateNodePool,
    /// The lines that find the vSwitch ids and send the request, as the runbook gives them.
    pub commands: Vec<String>,
}

/// `CreateClusterNodePool`'s body.
#[derive(Clone, Debug, Serialize)]
pub struct CreateNodePool {
    pub nodepool_info: NodepoolInfo,
    pub scaling_group: ScalingGroup,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_scaling: Option<AutoScaling>,
    pub kubernetes_config: KubernetesConfig,
}

#[derive(Clone, Debug, Serialize)]
pub struct NodepoolInfo {
    pub name: String,
    /// `ess`: a regular node pool.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScalingGroup {
    pub vswitch_ids: Vec<String>,
    pub instance_types: Vec<String>,
    pub image_type: &'static str,
    pub instance_charge_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_renew: Option<bool>,
    /// ACK's values: 1, 2, 3, 6 or 12 months; one period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_renew_period: Option<u32>,
    pub system_disk_category: &'static str,
    /// GiB.
    pub system_disk_size: u64,
    pub system_disk_encrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_disk_kms_key_id: Option<String>,
    pub data_disks: Vec<DataDisk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_pair: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DataDisk {
    pub category: &'static str,
    /// GiB.
    pub size: u64,
    /// ACK's model types it as a string: `"true"` or `"false"`.
    pub encrypted: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AutoScaling {
    pub enable: bool,
    /// `cpu`: regular instances.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub min_instances: u32,
    pub max_instances: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct KubernetesConfig {
    pub runtime: &'static str,
    pub labels: Vec<KeyValue>,
    pub taints: Vec<TaintBody>,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TaintBody {
    pub key: String,
    pub value: String,
    pub effect: &'static str,
}

/// A disk size in whole GiB, rounded up.
fn gib(size: &crate::model::Quantity) -> u64 {
    u64::try_from(size.units().div_ceil(GIB)).unwrap_or(u64::MAX)
}

fn data_disk(disk: &PoolDisk) -> DataDisk {
    DataDisk {
        category: disk.category.name(),
        size: gib(&disk.size),
        encrypted: if disk.encrypted { "true" } else { "false" },
        kms_key_id: disk.kms_key_id.clone(),
    }
}

/// The file a pool's body is written to.
pub fn file(name: &str) -> String {
    format!("{FOLDER}/nodepool-{name}.json")
}

/// The variable that holds a vSwitch's id.
pub fn vswitch_variable(name: &str) -> String {
    shell::variable(&["vswitch-id", name])
}

/// The body for one pool of the sizing.
pub fn body(spec: &Spec, pool: &Pool) -> CreateNodePool {
    let declared = pool.index.and_then(|i| spec.target.node_pools.get(i));
    let nodes = &spec.target.nodes;
    let system = declared
        .and_then(|p| p.system_disk.clone())
        .unwrap_or_else(|| PoolDisk::plain(&nodes.system_disk));
    let data: Vec<PoolDisk> = declared
        .and_then(|p| p.data_disks.clone())
        .unwrap_or_else(|| nodes.data_disk.iter().map(PoolDisk::plain).collect());
    let billing = declared.map(|p| p.billing.clone()).unwrap_or_default();
    let prepaid = billing.charge_type == ChargeType::PrePaid;
    let mut labels: Vec<KeyValue> = declared
        .map(|p| {
            p.labels
                .iter()
                .map(|(key, value)| KeyValue {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    if pool.role == <&str>::from(PoolRole::Ingress)
        && !labels.iter().any(|l| l.key == INGRESS_NODE_LABEL)
    {
        labels.push(KeyValue {
            key: INGRESS_NODE_LABEL.into(),
            value: "true".into(),
        });
    }
    let taints = declared
        .map(|p| {
            p.taints
                .iter()
                .map(|t| TaintBody {
                    key: t.key.clone(),
                    value: t.value.clone(),
                    effect: t.effect.into(),
                })
                .collect()
        })
        .unwrap_or_default();
    CreateNodePool {
        nodepool_info: NodepoolInfo {
            name: pool.name.clone(),
            kind: "ess",
        },
        scaling_group: ScalingGroup {
            vswitch_ids: Vec::new(),
            instance_types: pool.instance_types.clone(),
            image_type: pool.image,
            instance_charge_type: billing.charge_type.into(),
            period: billing.period.filter(|_| prepaid),
            period_unit: prepaid.then(|| billing.period_unit.unwrap_or_default().into()),
            auto_renew: prepaid.then_some(billing.auto_renew),
            auto_renew_period: (prepaid && billing.auto_renew).then_some(1),
            system_disk_category: system.category.name(),
            system_disk_size: gib(&system.size),
            system_disk_encrypted: system.encrypted,
            system_disk_kms_key_id: system.kms_key_id.clone(),
            data_disks: data.iter().map(data_disk).collect(),
            desired_size: pool.autoscaling.is_none().then_some(pool.nodes),
            key_pair: declared.and_then(|p| p.key_pair.clone()),
        },
        auto_scaling: pool.autoscaling.map(|a| AutoScaling {
            enable: true,
            kind: "cpu",
            min_instances: a.min,
            max_instances: a.max,
        }),
        kubernetes_config: KubernetesConfig {
            runtime: "containerd",
            labels,
            taints,
        },
    }
}

/// The lines that find the cluster's VPC and each vSwitch's id by its block, in the order a
/// runbook runs them (before the first pool's request).
pub fn vswitch_lookups(spec: &Spec, cluster: &str) -> Vec<String> {
    let mut lines = vec![
        Line::assign(
            "VPC_ID",
            Line::new("aliyun cs GET")
                .word(&[Piece::Lit("/clusters/"), Piece::Var(cluster)])
                .pipe(shell::jq_one(&[], ".vpc_id", "VPC ids of the cluster")),
        )
        .build(),
    ];
    for v in &spec.target.network.vswitches {
        let name = vswitch_variable(&v.name);
        lines.push(
            Line::assign(
                &name,
                Line::new("aliyun vpc DescribeVSwitches")
                    .opt("--RegionId", &spec.target.region)
                    .opt_var("--VpcId", "VPC_ID")
                    .lit("--PageSize 50")
                    .pipe(shell::jq_one(
                        &[("cidr", &v.cidr.to_string())],
                        ".VSwitches.VSwitch[] | select(.CidrBlock == $cidr) | .VSwitchId",
                        "vSwitches with that block",
                    )),
            )
            .build(),
        );
        lines.push(shell::show(&name));
    }
    lines
}

/// The request for one pool: its file with the vSwitch ids filled in, sent to the cluster.
pub fn create_command(spec: &Spec, cluster: &str, file: &str) -> String {
    let names: Vec<String> = spec
        .target
        .network
        .vswitches
        .iter()
        .map(|v| vswitch_variable(&v.name))
        .collect();
    let mut jq = Line::new("jq");
    let mut list = Vec::new();
    for (i, name) in names.iter().enumerate() {
        jq = jq.lit("--arg").lit(&format!("v{i}")).var(name);
        list.push(format!("$v{i}"));
    }
    let jq = jq
        .arg(format!(
            ".scaling_group.vswitch_ids = [{}]",
            list.join(", ")
        ))
        .arg(file);
    Line::new("aliyun cs POST")
        .word(&[
            Piece::Lit("/clusters/"),
            Piece::Var(cluster),
            Piece::Lit("/nodepools"),
        ])
        .opt("--header", "Content-Type=application/json")
        .lit("--body")
        .subst(jq)
        .build()
}

/// A plan per pool of the sizing; `cluster` is the variable that holds the cluster's id.
pub fn plan(spec: &Spec, pools: &[Pool], cluster: &str, phase: &str) -> Vec<NodePoolPlan> {
    pools
        .iter()
        .map(|pool| {
            let file = file(&pool.name);
            NodePoolPlan {
                name: pool.name.clone(),
                role: pool.role,
                phase: phase.to_string(),
                body: body(spec, pool),
                commands: vec![create_command(spec, cluster, &file)],
                file,
            }
        })
        .collect()
}
