//! The prepare phase: the new cluster's settings, the ingress controller, and its release.

use super::commands::{cluster_id, kubectl_in};
use super::{Role, Runbook, code, step, text};
use crate::model::node_pools::PoolDisk;
use crate::model::{Edition, Spec, Strategy};
use crate::plan::Plan;
use crate::rules::RuleId;
use crate::shell::{self, Line, Piece};

pub(super) fn prepare(spec: &Spec, plan: &Plan, book: &mut Runbook) {
    let t = &spec.target;
    let n = &t.network;
    let (cluster, cluster_line) = cluster_id(book, &t.name);
    let mut create = step(Role::Operations, "Create the ACK cluster with these settings", "target")
        .detail(format!("In the ACK console (Create Cluster) or with `aliyun cs`, with no nodes of its own (expected nodes 0): the next steps create the node pools. The network plugin, the service CIDR and (Flannel) the pod CIDR cannot be changed once the cluster exists: check them twice (`{}`).", RuleId::NetworkFixedAfterCreate))
        .setting("Cluster name", &t.name, "target.name")
        .setting(
            "Edition",
            match t.edition {
                Edition::AckPro => "ACK Pro (managed control plane with an SLA)",
                Edition::AckManaged => "ACK managed",
                Edition::AckDedicated => "ACK dedicated (own masters)",
            },
            "target.edition",
        )
        .setting("Region", &t.region, "target.region")
        .setting("Zones", t.zones.join(", "), "target.zones")
        .setting("Kubernetes version", &t.kubernetes_version, "target.kubernetesVersion")
        .setting("VPC", n.vpc.to_string(), "target.network.vpc");
    for v in &n.vswitches {
        create = create.setting(
            &format!("vSwitch {}", v.name),
            format!("{} in {}", v.cidr, v.zone),
            &format!("target.network.vswitches[{}]", v.name),
        );
    }
    create = create
        .setting(
            "Network plugin",
            <&str>::from(n.plugin),
            "target.network.plugin",
        )
        .setting(
            "Pod CIDR",
            n.pod_cidr
                .map_or("- (Terway: pods take vSwitch addresses)".into(), |c| {
                    c.to_string()
                }),
            "target.network.podCidr",
        )
        .setting(
            "Service CIDR",
            n.service_cidr.to_string(),
            "target.network.serviceCidr",
        )
        .setting(
            "Pods per node",
            n.pods_per_node.to_string(),
            "target.network.podsPerNode",
        );
    create = create.setting(
        "Node pools",
        plan.sizing
            .pools
            .iter()
            .map(|p| {
                format!(
                    "{} ({} × {})",
                    p.name,
                    p.nodes,
                    p.instance_types.join(" or ")
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        if t.node_pools.is_empty() {
            "target.nodes"
        } else {
            "target.nodePools"
        },
    );
    if let Some(m) = &plan.sizing.masters {
        create = create.setting(
            "Masters",
            format!("{} × {} cores, {} GiB", m.count, m.cores, m.memory_gib),
            "target.edition",
        );
    }
    create = create
        .setting("SNAT", "on (nodes reach the internet for image pulls)", "-")
        .setting("API server", "public access through an EIP", "-")
        .setting(
            "Add-ons",
            if t.addons.is_empty() {
                "-".into()
            } else {
                t.addons.join(", ")
            },
            "target.addons",
        )
        .setting(
            "Ingress",
            match (plan.strategy, spec.rollout.controller) {
                (Strategy::Istio, _) => "Istio (Service Mesh), with its ingress gateway",
                (_, Some(crate::model::Controller::Alb)) => "ALB Ingress controller add-on",
                (_, Some(crate::model::Controller::GatewayApi)) => {
                    "a Gateway API implementation and its Gateway"
                }
                _ => "NGINX Ingress controller add-on",
            },
            "rollout.controller",
        )
        // Once the cluster exists, its id: this runbook's rollback releases it.
        .commands([cluster_line, shell::show(cluster)])
        .expect("the last line prints the cluster's id");
    book.steps.push(create);
    pools(spec, plan, cluster, book);
    let address = t.entrypoint.address.to_string();
    if let Some(ic) = &plan.ingress_controller {
        // The plan's own lines, so that plan.json and the runbook agree.
        let commands = ic.commands.clone();
        book.steps.push(
            step(Role::Operations, format!("Pin the ingress controller: {} replicas", ic.replicas), "target.ingressController")
                .detail(match (ic.dedicated_nodes > 0, &ic.resources) {
                    (true, _) => format!("The ingress pool labelled its {} nodes `{}=true` when ACK created them: count them, then patch the controller onto them{}.", ic.dedicated_nodes, crate::plan::ingress::INGRESS_NODE_LABEL, resources_note(ic)),
                    (false, Some(_)) => format!("Patch the controller's replica count{}.", resources_note(ic)),
                    (false, None) => "Patch the controller's replica count.".into(),
                })
                .commands(commands)
                .expect(if ic.dedicated_nodes > 0 {
                    format!("the count is {}, and `rollout status` reports {} replicas available", ic.dedicated_nodes, ic.replicas)
                } else {
                    format!("`rollout status` reports {} replicas available", ic.replicas)
                }),
        );
        let service = if ic.namespace == "istio-system" {
            "istio-ingressgateway"
        } else {
            "nginx-ingress-lb"
        };
        book.steps.push(
            step(Role::Operations, format!("Confirm the ingress address is {}", code(&address)), "target.entrypoint.address")
                .detail("Every DNS change later points at this address: it must be the controller's load balancer.")
                .commands([kubectl_in(&ic.namespace)
                    .lit("get svc")
                    .arg(service)
                    .opt("-o", "jsonpath={.status.loadBalancer.ingress[0].ip}")
                    .build()])
                .expect(format!("{} (if not, correct `target.entrypoint.address` and compile again)", text(&address))),
        );
    }
    book.rollback.push(
        step(Role::Operations, "Release the new cluster", "target")
            .detail("Only while nothing else has been moved: the cluster holds nothing yet.")
            .commands([Line::new("aliyun cs DELETE")
                .word(&[Piece::Lit("/clusters/"), Piece::Var(cluster)])
                .build()])
            .expect("the cluster is gone from `aliyun cs GET /clusters`"),
    );
}

/// The patch's resources, for the step's detail.
fn resources_note(ic: &crate::plan::ingress::IngressControllerPlan) -> String {
    ic.resources.as_ref().map_or(String::new(), |r| {
        format!(
            ", with {} CPU and {} of memory per replica (requests = limits, from `target.ingressController.peakRequestsPerSecond`; see `reports/sizing.md`)",
            code(&r.cpu),
            code(&r.memory)
        )
    })
}

/// A disk for people: `cloud_essd 120 GiB, encrypted with KMS key …`.
fn disk(d: &PoolDisk) -> String {
    let size = u64::try_from(d.size.units().div_ceil(crate::model::units::GIB)).unwrap_or(u64::MAX);
    let encryption = match (d.encrypted, &d.kms_key_id) {
        (false, _) => "not encrypted".to_string(),
        (true, None) => "encrypted (the account's default KMS key)".to_string(),
        (true, Some(key)) => format!("encrypted with KMS key {key}"),
    };
    format!("{} {size} GiB, {encryption}", d.category.name())
}

/// A step per node pool: its settings, and the request that creates it from its file in
/// the bundle; then the check that every node is Ready.
fn pools(spec: &Spec, plan: &Plan, cluster: &str, book: &mut Runbook) {
    let t = &spec.target;
    for (i, (pool, request)) in plan.sizing.pools.iter().zip(&plan.node_pools).enumerate() {
        let body = &request.body.scaling_group;
        let config = &request.body.kubernetes_config;
        let source = pool.source.as_str();
        let shapes = pool
            .instance_types
            .iter()
            .map(|ty| match crate::model::instance_types::shape(ty) {
                Some(s) => format!("{ty} ({} cores, {} GiB)", s.vcpu, s.memory_gib),
                None => ty.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let declared = pool.index.and_then(|i| t.node_pools.get(i));
        let (system, data) = match declared {
            Some(p) => (
                p.system_disk
                    .clone()
                    .unwrap_or_else(|| PoolDisk::plain(&t.nodes.system_disk)),
                p.data_disks
                    .clone()
                    .unwrap_or_else(|| t.nodes.data_disk.iter().map(PoolDisk::plain).collect()),
            ),
            None => (
                PoolDisk::plain(&t.nodes.system_disk),
                t.nodes.data_disk.iter().map(PoolDisk::plain).collect(),
            ),
        };
        // A pool field's path; an implied pool's settings all come from its source.
        let field = |name: &str| {
            if declared.is_some() {
                format!("{source}.{name}")
            } else {
                source.to_string()
            }
        };
        let list = |items: Vec<String>| {
            if items.is_empty() {
                "-".to_string()
            } else {
                items.join(", ")
            }
        };
        let mut step = step(
            Role::Operations,
            format!("Create the node pool {}", code(&pool.name)),
            source,
        )
        .detail(format!(
            "With `aliyun cs` and the request body {}, generated from the spec (the command fills in the vSwitch ids it looks up by block), or in the ACK console (Node Pools, Create Node Pool) with these settings.",
            code(&request.file)
        ))
        .setting(
            "Role",
            if pool.role == "ingress" {
                "ingress controller only"
            } else {
                "workers"
            },
            source,
        )
        .setting(
            "Instance types",
            format!(
                "{shapes} ({})",
                if pool.pinned {
                    "pinned"
                } else {
                    "picked from the sizing"
                }
            ),
            &field("instanceTypes"),
        )
        .setting(
            "Nodes",
            match pool.autoscaling {
                Some(a) => format!("autoscaling from {} to {}", a.min, a.max),
                None => pool.nodes.to_string(),
            },
            &if declared.is_some() {
                format!("{source}.size")
            } else if pool.role == "ingress" {
                "target.ingressController.dedicatedNodes".into()
            } else {
                "target.nodes.totalCores, target.nodes.faultTolerance".into()
            },
        )
        .setting("OS image", pool.image, &field("image"))
        .setting("Billing", &pool.billing, &field("billing"))
        .setting("System disk", disk(&system), &field("systemDisk"))
        .setting(
            "Data disks",
            list(data.iter().map(disk).collect()),
            &field("dataDisks"),
        )
        .setting(
            "Labels",
            list(config.labels.iter().map(|l| format!("{}={}", l.key, l.value)).collect()),
            &field("labels"),
        )
        .setting(
            "Taints",
            list(
                config
                    .taints
                    .iter()
                    .map(|x| format!("{}={}:{}", x.key, x.value, x.effect))
                    .collect(),
            ),
            &field("taints"),
        )
        .setting(
            "vSwitches",
            list(t.network.vswitches.iter().map(|v| v.name.clone()).collect()),
            "target.network.vswitches",
        )
        .setting(
            "Key pair",
            body.key_pair.clone().unwrap_or_else(|| "- (set a key pair or a login password in the console)".into()),
            &field("keyPair"),
        );
        let expect = if i == 0 {
            step = step.commands(crate::plan::node_pools::vswitch_lookups(spec, cluster));
            "each vSwitch lookup prints one id, and the answer holds the new pool's `nodepool_id`"
        } else {
            "the answer holds the new pool's `nodepool_id`"
        };
        book.steps
            .push(step.commands(request.commands.clone()).expect(expect));
    }
    book.steps.push(
        step(Role::Operations, "Confirm the nodes are Ready", "target")
            .detail("ACK creates the pools' instances and joins them to the cluster: wait until every node is Ready.")
            .commands(["kubectl get nodes -o wide".to_string()])
            .expect(format!(
                "{} nodes in Ready state across {}",
                plan.sizing.planned_nodes,
                text(t.zones.join(", "))
            )),
    );
}
