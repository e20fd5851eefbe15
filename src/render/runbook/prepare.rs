//! The prepare phase: the new cluster's settings, the ingress controller, and its release.

use super::commands::{cluster_id, kubectl_in};
use super::{Role, Runbook, code, step, text};
use crate::model::{Edition, Spec, Strategy};
use crate::plan::Plan;
use crate::rules::RuleId;
use crate::shell::{self, Line, Piece};

/// The ECS instance type for a profile and size (g7: 1:4, c7: 1:2, r7: 1:8).
pub fn instance_type(gib_per_core: u32, cores: u32) -> String {
    let family = match gib_per_core {
        2 => "c7",
        8 => "r7",
        _ => "g7",
    };
    let size = match cores {
        2 => "large".to_string(),
        4 => "xlarge".to_string(),
        c => format!("{}xlarge", c / 4),
    };
    format!("ecs.{family}.{size}")
}

pub(super) fn prepare(spec: &Spec, plan: &Plan, book: &mut Runbook) {
    let t = &spec.target;
    let n = &t.network;
    let (cluster, cluster_line) = cluster_id(book, &t.name);
    let mut create = step(Role::Operations, "Create the ACK cluster with these settings", "target")
        .detail(format!("In the ACK console (Create Cluster) or with `aliyun cs`. The network plugin, the service CIDR and (Flannel) the pod CIDR cannot be changed once the cluster exists: check them twice (`{}`).", RuleId::NetworkFixedAfterCreate))
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
    if let Some(w) = &plan.sizing.workers {
        create = create
            .setting(
                "Worker instance type",
                format!(
                    "{} ({} cores, {} GiB)",
                    instance_type(plan.sizing.gib_per_core, w.cores_each),
                    w.cores_each,
                    w.memory_gib_each
                ),
                "target.nodes",
            )
            .setting(
                "Workers",
                w.instances.to_string(),
                "target.nodes.totalCores, target.nodes.faultTolerance",
            );
    }
    if plan.sizing.ingress_nodes > 0 {
        create = create.setting(
            "Ingress nodes",
            format!(
                "{} more workers of the same type, for the ingress controller only",
                plan.sizing.ingress_nodes
            ),
            "target.ingressController.dedicatedNodes",
        );
    }
    if let Some(m) = &plan.sizing.masters {
        create = create.setting(
            "Masters",
            format!("{} × {} cores, {} GiB", m.count, m.cores, m.memory_gib),
            "target.edition",
        );
    }
    create = create
        .setting(
            "System disk",
            format!(
                "{} {}",
                t.nodes.system_disk.category.name(),
                t.nodes.system_disk.size
            ),
            "target.nodes.systemDisk",
        )
        .setting(
            "Data disk (container images)",
            t.nodes.data_disk.as_ref().map_or("none".into(), |d| {
                format!("{} {}", d.category.name(), d.size)
            }),
            "target.nodes.dataDisk",
        )
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
        .commands([
            "kubectl get nodes -o wide".to_string(),
            cluster_line,
            shell::show(cluster),
        ])
        .expect(format!(
            "{} nodes in Ready state across {}; the last line prints the cluster's id",
            plan.sizing.planned_nodes,
            text(t.zones.join(", "))
        ));
    book.steps.push(create);
    let address = t.entrypoint.address.to_string();
    if let Some(ic) = &plan.ingress_controller {
        for node in &ic.node_variables {
            book.guard(node, crate::plan::ingress::node_help(node));
        }
        // The plan's own lines, so that plan.json and the runbook agree.
        let commands = ic.commands.clone();
        book.steps.push(
            step(Role::Operations, format!("Pin the ingress controller: {} replicas", ic.replicas), "target.ingressController")
                .detail(if ic.dedicated_nodes > 0 {
                    format!("Label {} worker nodes for the controller (the first step sets `INGRESS_NODE_1`… to node names from `kubectl get nodes`), then patch it.", ic.dedicated_nodes)
                } else {
                    "Patch the controller's replica count.".into()
                })
                .commands(commands)
                .expect(format!("`rollout status` reports {} replicas available", ic.replicas)),
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
