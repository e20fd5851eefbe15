//! `sizing/node-pools`: what it demands and why are in [`RULE`].

use std::collections::BTreeSet;

use crate::check::Ctx;
use crate::check::grammar::{is_dns_label, is_label_key, is_label_value};
use crate::diagnostic::Diagnostic;
use crate::model::node_pools::{
    ChargeType, INGRESS_NODE_LABEL, MAX_POOL_NODES, MONTHS, PeriodUnit, PoolRole, WEEKS,
};
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SizingNodePools,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Each node pool has a unique DNS-1123 name, 1 to 10 instance types, labels and taints with valid Kubernetes keys and values, a size that is a count or a `min` ≤ `max` of at most 2,000, a subscription period ACK sells (and none for pay-as-you-go), and a KMS key only on an encrypted disk; at most one pool is the ingress pool, and its size agrees with `ingressController.dedicatedNodes`; with several worker pools each has a size.",
    rationale: "ACK refuses such a pool at creation, halfway through the prepare runbook; a label or taint that is not valid Kubernetes never reaches the nodes, and two ingress pools leave the controller's node selector ambiguous.",
    bad: "nodePools:\n  - { name: Workers, labels: { \"team/\": x }, billing: { chargeType: PrePaid } }",
    good: "nodePools:\n  - { name: workers, labels: { team: payments }, billing: { chargeType: PrePaid, period: 12 } }",
    source: "ACK CreateClusterNodePool (scaling_group, auto_scaling, kubernetes_config); Kubernetes label syntax",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let pools = &ctx.spec.target.node_pools;
    let mut names = BTreeSet::new();
    let at = || root().target().node_pools();
    for (i, pool) in pools.iter().enumerate() {
        let here = at().at(i);
        if !is_dns_label(&pool.name) {
            out.push(
                ctx.error(RULE.id, here.name(), "not a DNS-1123 label", format!(
                    "the node pool name {:?} is not a DNS-1123 label: it names the pool in ACK and its request file",
                    pool.name
                ))
                .help("use lowercase letters, digits and `-`, at most 63 characters, such as `workers`"),
            );
        } else if !names.insert(pool.name.as_str()) {
            out.push(
                ctx.error(
                    RULE.id,
                    here.name(),
                    "named twice",
                    format!("two node pools are named `{}`", pool.name),
                )
                .help("give each pool its own name"),
            );
        }
        if pool.instance_types.len() > 10 {
            out.push(
                ctx.error(
                    RULE.id,
                    here.instance_types(),
                    "more than 10",
                    format!(
                        "{} instance types: ACK takes 1 to 10 per pool",
                        pool.instance_types.len()
                    ),
                )
                .help("keep the 10 you prefer"),
            );
        }
        for (key, value) in &pool.labels {
            if !is_label_key(key) || !is_label_value(value) {
                out.push(
                    ctx.error(RULE.id, here.labels().key(key), "not a Kubernetes label", format!(
                        "the label {:?}={:?} is not a valid Kubernetes label",
                        key, value
                    ))
                    .help("a key is `[prefix/]name` (name: at most 63 of letters, digits, `-_.`, starting and ending with a letter or digit; prefix: a DNS subdomain); a value is empty or such a name"),
                );
            }
        }
        for (j, taint) in pool.taints.iter().enumerate() {
            if !is_label_key(&taint.key) || !is_label_value(&taint.value) {
                out.push(
                    ctx.error(RULE.id, here.taints().at(j), "not a Kubernetes taint", format!(
                        "the taint {:?}={:?} is not valid: its key and value follow the label syntax",
                        taint.key, taint.value
                    ))
                    .help("write the taint as a label key, an optional label value and an effect, such as `{ key: dedicated, value: ingress, effect: NoSchedule }`"),
                );
            }
        }
        if pool.role == PoolRole::Ingress
            && pool
                .labels
                .get(INGRESS_NODE_LABEL)
                .is_some_and(|v| v != "true")
        {
            out.push(
                ctx.error(RULE.id, here.labels().key(INGRESS_NODE_LABEL), "not true", format!(
                    "the ingress pool sets `{INGRESS_NODE_LABEL}` to something else than `true`, which the controller selects"
                ))
                .help(format!("leave `{INGRESS_NODE_LABEL}` out: the ingress pool sets it")),
            );
        }
        if let Some(size) = &pool.size {
            let bad = match (size.desired, size.min, size.max) {
                (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                    Some("give either `desired` or `min` and `max`, not both".to_string())
                }
                (None, None, None) => Some("give `desired`, or `min` and `max`".to_string()),
                (None, _, None) => Some("autoscaling needs `max`".to_string()),
                (Some(d), None, None) if d > MAX_POOL_NODES => {
                    Some(format!("{d} nodes: a pool holds at most {MAX_POOL_NODES}"))
                }
                (None, min, Some(max))
                    if max > MAX_POOL_NODES || max == 0 || min.unwrap_or(0) > max =>
                {
                    Some(format!(
                        "min {} and max {max}: ACK needs 0 ≤ min ≤ max ≤ {MAX_POOL_NODES} and max ≥ 1",
                        min.unwrap_or(0)
                    ))
                }
                _ => None,
            };
            if let Some(message) = bad {
                out.push(
                    ctx.error(RULE.id, here.size(), "size", format!("node pool `{}`: {message}", pool.name))
                        .help("`size: { desired: 3 }` for a fixed count, `size: { min: 3, max: 12 }` to autoscale"),
                );
            }
        }
        let billing = &pool.billing;
        match billing.charge_type {
            ChargeType::PrePaid => {
                let unit = billing.period_unit.unwrap_or_default();
                let allowed = match unit {
                    PeriodUnit::Month => MONTHS,
                    PeriodUnit::Week => WEEKS,
                };
                if !billing.period.is_some_and(|p| allowed.contains(&p)) {
                    out.push(
                        ctx.error(
                            RULE.id,
                            here.billing().period(),
                            "period",
                            format!(
                                "a subscription (PrePaid) needs a period ACK sells: {} {}",
                                allowed
                                    .iter()
                                    .map(u32::to_string)
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                <&str>::from(unit)
                            ),
                        )
                        .help("set `period`, such as `period: 12` with `periodUnit: Month`"),
                    );
                }
            }
            ChargeType::PostPaid => {
                if billing.period.is_some() || billing.period_unit.is_some() || billing.auto_renew {
                    out.push(
                        ctx.error(RULE.id, here.billing(), "pay-as-you-go", format!(
                            "node pool `{}` is pay-as-you-go (PostPaid): a period or auto-renewal applies only to a subscription",
                            pool.name
                        ))
                        .help("set `chargeType: PrePaid` for a subscription, or leave the period out"),
                    );
                }
            }
        }
        let disks = pool
            .system_disk
            .iter()
            .map(|d| (d, crate::model::path::SpecPath::from(here.system_disk())))
            .chain(pool.data_disks.iter().flatten().enumerate().map(|(j, d)| {
                (
                    d,
                    crate::model::path::SpecPath::from(here.data_disks().at(j)),
                )
            }));
        for (disk, path) in disks {
            if disk.kms_key_id.is_some() && !disk.encrypted {
                out.push(
                    ctx.error(
                        RULE.id,
                        path,
                        "KMS key without encryption",
                        "a KMS key is set on a disk that is not encrypted",
                    )
                    .help("set `encrypted: true`, or leave `kmsKeyId` out"),
                );
            }
        }
    }
    let ingress: Vec<usize> = pools
        .iter()
        .enumerate()
        .filter(|(_, p)| p.role == PoolRole::Ingress)
        .map(|(i, _)| i)
        .collect();
    if let [_, second, ..] = ingress[..] {
        out.push(
            ctx.error(
                RULE.id,
                at().at(second).role(),
                "second ingress pool",
                "more than one node pool is the ingress pool",
            )
            .help("keep one pool with `role: ingress`"),
        );
    }
    let dedicated = ctx
        .spec
        .target
        .ingress_controller
        .as_ref()
        .and_then(|c| c.dedicated_nodes);
    if let (Some(&i), Some(dedicated)) = (ingress.first(), dedicated) {
        let pool = &pools[i];
        let nodes = pool.size.as_ref().and_then(|s| s.desired.or(s.min));
        if nodes.is_some_and(|n| n != dedicated) {
            out.push(
                ctx.error(RULE.id, at().at(i).size(), "size", format!(
                    "the ingress pool `{}` starts with {} nodes, but dedicatedNodes says {dedicated}",
                    pool.name,
                    nodes.unwrap_or(0)
                ))
                .label(ctx.span(root().target().ingress_controller().dedicated_nodes()), "dedicated nodes")
                .help("give the count once: the ingress pool's size, or dedicatedNodes"),
            );
        }
    }
    let workers: Vec<usize> = pools
        .iter()
        .enumerate()
        .filter(|(_, p)| p.role == PoolRole::Workers)
        .map(|(i, _)| i)
        .collect();
    if workers.len() > 1 {
        for &i in &workers {
            if pools[i].size.is_none() {
                out.push(
                    ctx.error(RULE.id, at().at(i), "no size", format!(
                        "node pool `{}` has no size, and the cluster has {} worker pools: the sizing's count would be created in each",
                        pools[i].name,
                        workers.len()
                    ))
                    .help("give each worker pool a `size`"),
                );
            }
        }
    }
    if !pools.is_empty() && workers.is_empty() {
        out.push(
            ctx.error(
                RULE.id,
                at(),
                "no worker pool",
                "no node pool runs the services: every pool is the ingress pool",
            )
            .help("add a pool with `role: workers` (the default)"),
        );
    }
}
