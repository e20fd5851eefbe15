//! The NetworkPolicies (issue 16), decided once from the spec's graph: who may reach each
//! service's pods and what they may reach. The manifests (`render::manifests::network_policy`),
//! the network report and the verify runbook's probes all read this plan.
//!
//! Under `target.networkPolicy: dependencies` (the default) the namespace gets one
//! `default-deny` policy (every pod, ingress and egress, no rule) and one policy per service,
//! named after it, that selects its pods (`app.kubernetes.io/name`) and allows:
//!
//! - ingress on the main port from the router that serves its routes and test routes: the
//!   NGINX Ingress controller's pods (`kube-system`, `app: ingress-nginx`, the selector of
//!   ACK's `kube-system/nginx-ingress-lb`) for nginx, ack-nginx and the plain routes of
//!   slb-weights, dns-weights and client; the ALB's addresses (the VPC) for alb; the Gateway's
//!   Envoy proxies (`gateway.envoyproxy.io/owning-gateway-*` labels, any namespace: ACK's
//!   Gateway API implementation is built on Envoy Gateway, whose proxies run in the
//!   controller's namespace, or in the Gateway's in Gateway Namespace Mode) for gateway-api;
//!   the Istio ingress gateway's pods (`istio-system`, `istio: ingressgateway`, as
//!   `plan::ingress` and the gates assume) for istio;
//! - ingress on every published port (LoadBalancer, NodePort, and slb-weights' NodePort for
//!   the old SLB) from anywhere: the address a policy sees there may be the client's, the load
//!   balancer's or a node's, depending on the plugin and `externalTrafficPolicy` (Kubernetes:
//!   "it is not defined whether this happens before or after NetworkPolicy processing",
//!   <https://kubernetes.io/docs/concepts/services-networking/network-policies/>);
//! - ingress on the main port from the pods of each service that `dependsOn` it (none for a
//!   one-shot dependency: a Job serves nothing; its dependants' `kubectl wait` reaches the API
//!   server instead);
//! - for a StatefulSet, its own pods on all its ports (the peers the headless Service names);
//! - egress to cluster DNS (CoreDNS `k8s-app: kube-dns` in `kube-system`, and NodeLocal
//!   DNSCache's 169.254.20.10) on 53 UDP and TCP; to each dependency on its main port; to
//!   the API server for the pods that wait for a Job (`kubernetes` Service: the first
//!   address of the service CIDR on 443, and its endpoints, ACK's API server SLB in the VPC,
//!   on 6443); to its data stores (`model::network_policy`); to its `egress` blocks;
//! - under Istio, the sidecars' xDS to istiod (`istio-system`, `app: istiod`, 15012) and the
//!   scrape of their metrics (15020, 15090) from any pod of the cluster.
//!
//! Kubelet probes need no rule: "traffic to and from the node where a Pod is running is always
//! allowed" (the NetworkPolicy documentation above). The legacy backend is a selector-less
//! Service the controller proxies to from its own namespace; no policy here selects the
//! controller (policies select pods of their own namespace only), so nothing here blocks it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::Serialize;

use crate::model::images::target_image;
use crate::model::network_policy::{self as facts, DataStore, NODE_LOCAL_DNS, OSS_INTERNAL};
use crate::model::rollout::{Router, router};
use crate::model::{
    Cidr, NetworkPlugin, NetworkPolicyMode, Protocol, PublishVia, Service, Spec, Strategy,
};
use crate::plan::rollout::{Phase, PhaseKind};
use crate::shell::{self, Line, Piece};

/// The label every pod of a service carries: its Service, its PodDisruptionBudget and its
/// policy select it.
pub const SERVICE_LABEL: &str = "app.kubernetes.io/name";

/// The label of the throwaway pod that proves the policies are enforced.
pub const DENY_PROBE_LABEL: &str = "cutover.dev/probe";

/// Every address.
const ANYWHERE: Cidr = Cidr(Ipv4Net::new_assert(Ipv4Addr::new(0, 0, 0, 0), 0));

/// The API server's port behind the `kubernetes` Service on ACK (its SLB in the VPC).
const API_SERVER_PORT: u16 = 6443;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicyPlan {
    pub mode: NetworkPolicyMode,
    /// Whether the network plugin enforces NetworkPolicies: Terway (shared ENI) does,
    /// Flannel does not ([`crate::rules::RuleId::NetworkPolicyEnforcement`]).
    pub enforced: bool,
    pub namespace: String,
    /// Every policy: the default deny first, then one per service in spec order, then the
    /// Gateway's proxies' when they may run in the namespace.
    pub policies: Vec<Policy>,
    /// The data stores no service names in `data`: every service may reach them.
    pub shared_data: Vec<String>,
    /// The serving services no other pod may reach: no route, no published port, no
    /// dependant (a StatefulSet's own pods still reach each other).
    pub unreachable: Vec<String>,
    /// The verify phase's checks of the policies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probes: Option<Probes>,
}

/// One NetworkPolicy.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub name: String,
    /// The service whose pods it selects.
    pub service: Option<String>,
    /// The pods it selects, by label; empty: every pod of the namespace.
    pub pods: BTreeMap<String, String>,
    /// The spec path it comes from.
    pub source: String,
    /// What may reach the pods (none: nothing).
    pub ingress: Vec<Rule>,
    /// What the pods may reach (none: nothing).
    pub egress: Vec<Rule>,
}

/// One allowed direction: a peer and ports.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// The pods or block on the other end; none: everything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<Peer>,
    /// Empty: every port.
    pub ports: Vec<PortRef>,
    /// What the peer is, for the report.
    pub what: String,
    /// The spec path that asks for it.
    pub source: String,
}

/// The other end of a rule.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Peer {
    /// Pods of the services' namespace with these labels.
    Pods(BTreeMap<String, String>),
    /// Pods of another namespace (by its `kubernetes.io/metadata.name`) with these labels.
    NamespacePods {
        namespace: String,
        labels: BTreeMap<String, String>,
    },
    /// Pods of any namespace with these labels (none: every pod).
    AnyNamespacePods(BTreeMap<String, String>),
    /// An address block.
    Cidr(Cidr),
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub struct PortRef {
    pub port: u16,
    pub protocol: Protocol,
}

/// The verify phase's checks: the lines that show each selector finds its pods and probe
/// each allowed edge from inside its source pod, and the probe that must be blocked.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Probes {
    /// The runbook that gives them.
    pub phase: String,
    /// The image the probes run (the helper image, moved with the others); none when no
    /// probe runs one.
    pub image: Option<String>,
    /// Each selector of pods outside the namespace that a rule relies on lists its pods.
    pub selector_commands: Vec<String>,
    /// Each allowed edge, probed from inside a pod of its source.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edge_commands: Vec<String>,
    /// A pod no policy allows tries a Service's address: it must be blocked. Empty where
    /// the plugin does not enforce policies (the probe would reach it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deny_commands: Vec<String>,
    /// The allowed edges no probe checks, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_probed: Vec<String>,
}

impl NetworkPolicyPlan {
    /// Whether the verify phase runs the helper image (which then moves with the others).
    pub fn runs_helper(&self) -> bool {
        self.probes.as_ref().is_some_and(|p| p.image.is_some())
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn pods_of(service: &str) -> BTreeMap<String, String> {
    labels(&[(SERVICE_LABEL, service)])
}

fn tcp(port: u16) -> PortRef {
    PortRef {
        port,
        protocol: Protocol::Tcp,
    }
}

fn main_port(service: &Service) -> PortRef {
    PortRef {
        port: service.port,
        protocol: service.protocol,
    }
}

/// The main port and the extra ports.
fn all_ports(service: &Service) -> Vec<PortRef> {
    let mut ports = vec![main_port(service)];
    ports.extend(service.ports.iter().map(|p| PortRef {
        port: p.port,
        protocol: p.protocol,
    }));
    ports.sort();
    ports.dedup();
    ports
}

/// The container ports clients outside the cluster reach through a LoadBalancer or NodePort
/// Service (`publish`); none for a one-shot service, which has no Service.
fn published_ports(service: &Service) -> Vec<PortRef> {
    if service.one_shot {
        return Vec::new();
    }
    let mut ports = Vec::new();
    if service.publish.is_some() {
        ports.push(main_port(service));
    }
    ports.extend(
        service
            .ports
            .iter()
            .filter(|p| p.publish.is_some())
            .map(|p| PortRef {
                port: p.port,
                protocol: p.protocol,
            }),
    );
    ports.sort();
    ports.dedup();
    ports
}

/// The `namespace/name` of the Gateway the routes attach to, as the routes name it
/// (default `gateway` in the services' namespace).
fn gateway_ref(spec: &Spec) -> (String, String) {
    let configured = spec
        .target
        .ingress_controller
        .as_ref()
        .and_then(|i| i.gateway.as_deref());
    match configured {
        Some(reference) => match reference.split_once('/') {
            Some((namespace, name)) => (namespace.to_string(), name.to_string()),
            None => (spec.namespace().to_string(), reference.to_string()),
        },
        None => (spec.namespace().to_string(), "gateway".to_string()),
    }
}

const ENVOY_GATEWAY_NAME: &str = "gateway.envoyproxy.io/owning-gateway-name";
const ENVOY_GATEWAY_NAMESPACE: &str = "gateway.envoyproxy.io/owning-gateway-namespace";

/// Who sends a routed service its requests: the router's pods, or the ALB's addresses.
fn route_source(spec: &Spec) -> (Peer, String) {
    match router(spec.rollout.strategy, spec.rollout.controller) {
        Router::Alb => (
            Peer::Cidr(spec.target.network.vpc),
            "the ALB, from its addresses in the VPC".into(),
        ),
        Router::GatewayApi => {
            let (namespace, name) = gateway_ref(spec);
            (
                Peer::AnyNamespacePods(labels(&[
                    (ENVOY_GATEWAY_NAME, &name),
                    (ENVOY_GATEWAY_NAMESPACE, &namespace),
                ])),
                format!("the Envoy proxies of the Gateway {namespace}/{name}, in any namespace"),
            )
        }
        Router::Istio => (
            Peer::NamespacePods {
                namespace: "istio-system".into(),
                labels: labels(&[("istio", "ingressgateway")]),
            },
            "the Istio ingress gateway (istio-system, istio=ingressgateway)".into(),
        ),
        Router::Nginx | Router::AckNginx | Router::None => (
            Peer::NamespacePods {
                namespace: "kube-system".into(),
                labels: labels(&[("app", "ingress-nginx")]),
            },
            "the NGINX Ingress controller (kube-system, app=ingress-nginx)".into(),
        ),
    }
}

fn dns_rules() -> Vec<Rule> {
    let ports = vec![
        PortRef {
            port: 53,
            protocol: Protocol::Udp,
        },
        tcp(53),
    ];
    vec![
        Rule {
            peer: Some(Peer::NamespacePods {
                namespace: "kube-system".into(),
                labels: labels(&[("k8s-app", "kube-dns")]),
            }),
            ports: ports.clone(),
            what: "cluster DNS (CoreDNS: kube-system, k8s-app=kube-dns)".into(),
            source: "target.networkPolicy".into(),
        },
        Rule {
            peer: Some(Peer::Cidr(NODE_LOCAL_DNS)),
            ports,
            what: "NodeLocal DNSCache on the node".into(),
            source: "target.networkPolicy".into(),
        },
    ]
}

/// The API server as the pods that run `kubectl wait` reach it: the `kubernetes` Service's
/// address (the first of the service CIDR) on 443, and, after the Service's translation,
/// its endpoint, ACK's API server SLB in the VPC, on 6443.
fn api_server_rules(spec: &Spec, service: &Service) -> Vec<Rule> {
    let network = &spec.target.network;
    let first = Ipv4Addr::from(network.service_cidr.first().saturating_add(1));
    let service_ip = Cidr(Ipv4Net::new_assert(first, 32));
    let source = format!("services[{}].dependsOn", service.name);
    vec![
        Rule {
            peer: Some(Peer::Cidr(service_ip)),
            ports: vec![tcp(443)],
            what: "the API server's Service address (kubectl wait for a Job)".into(),
            source: source.clone(),
        },
        Rule {
            peer: Some(Peer::Cidr(network.vpc)),
            ports: vec![tcp(API_SERVER_PORT)],
            what: "the API server's endpoint in the VPC (kubectl wait for a Job)".into(),
            source,
        },
    ]
}

/// A policy name that no service's policy takes: service names are DNS labels, so a name
/// with a dot never is one.
fn own_name(spec: &Spec, name: &str) -> String {
    if spec.service(name).is_some() {
        format!("{name}.cutover")
    } else {
        name.to_string()
    }
}

pub fn plan(spec: &Spec, phases: &[Phase]) -> NetworkPolicyPlan {
    let mode = spec.target.network_policy;
    let mut plan = NetworkPolicyPlan {
        mode,
        enforced: spec.target.network.plugin == NetworkPlugin::Terway,
        namespace: spec.namespace().to_string(),
        policies: Vec::new(),
        shared_data: Vec::new(),
        unreachable: Vec::new(),
        probes: None,
    };
    if mode == NetworkPolicyMode::None {
        return plan;
    }
    let named = facts::named(spec);
    plan.shared_data = facts::shared(spec, &named)
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    plan.policies.push(Policy {
        name: own_name(spec, "default-deny"),
        service: None,
        pods: BTreeMap::new(),
        source: "target.networkPolicy".into(),
        ingress: Vec::new(),
        egress: Vec::new(),
    });
    // Who depends on each service, in spec order, each once.
    let mut dependants: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for service in &spec.services {
        let deps: BTreeSet<&str> = service.depends_on.iter().map(String::as_str).collect();
        for dep in deps {
            dependants.entry(dep).or_default().push(&service.name);
        }
    }
    let source = route_source(spec);
    for service in &spec.services {
        plan.policies
            .push(service_policy(spec, &named, service, &source, &dependants));
    }
    plan.unreachable = plan
        .policies
        .iter()
        .filter(|p| {
            let own = Peer::Pods(p.pods.clone());
            p.ingress.iter().all(|r| r.peer.as_ref() == Some(&own))
        })
        .filter_map(|p| p.service.as_deref())
        .filter(|name| spec.service(name).is_some_and(|s| !s.one_shot))
        .map(str::to_string)
        .collect();
    if router(spec.rollout.strategy, spec.rollout.controller) == Router::GatewayApi {
        let (namespace, name) = gateway_ref(spec);
        if namespace == spec.namespace() {
            plan.policies.push(gateway_proxies(spec, &name));
        }
    }
    plan.probes = probes(spec, &plan, phases);
    plan
}

/// Envoy Gateway in Gateway Namespace Mode runs a Gateway's proxies in the Gateway's
/// namespace: here, where the default deny would cut them off. They take the clients'
/// requests and reach the services, the legacy backend and the controller: not restricted.
fn gateway_proxies(spec: &Spec, gateway: &str) -> Policy {
    let everything = |what: &str| Rule {
        peer: None,
        ports: Vec::new(),
        what: what.into(),
        source: "target.ingressController.gateway".into(),
    };
    Policy {
        name: own_name(spec, "gateway-proxies"),
        service: None,
        pods: labels(&[
            (ENVOY_GATEWAY_NAME, gateway),
            (ENVOY_GATEWAY_NAMESPACE, spec.namespace()),
        ]),
        source: "target.ingressController.gateway".into(),
        ingress: vec![everything(
            "anything: the Gateway takes its clients' requests",
        )],
        egress: vec![everything(
            "anything: the Gateway reaches the services, the legacy backend and its controller",
        )],
    }
}

fn service_policy(
    spec: &Spec,
    named: &BTreeSet<&str>,
    service: &Service,
    route_source: &(Peer, String),
    dependants: &BTreeMap<&str, Vec<&str>>,
) -> Policy {
    let at = |field: &str| format!("services[{}].{field}", service.name);
    let mut ingress = Vec::new();
    let mut egress = dns_rules();
    let istio = spec.rollout.strategy == Strategy::Istio;
    if !service.one_shot {
        if !service.routes.is_empty() {
            ingress.push(Rule {
                peer: Some(route_source.0.clone()),
                ports: vec![main_port(service)],
                what: route_source.1.clone(),
                source: at("routes"),
            });
            if spec.rollout.strategy == Strategy::SlbWeights {
                ingress.push(Rule {
                    peer: Some(Peer::Cidr(ANYWHERE)),
                    ports: vec![main_port(service)],
                    what: format!(
                        "the old SLB through the NodePort Service {}-nodeport (from its, a client's or a node's address)",
                        service.name
                    ),
                    source: at("routes"),
                });
            }
        }
        let published = published_ports(service);
        if !published.is_empty() {
            let kinds: BTreeSet<&str> = service
                .publish
                .iter()
                .chain(service.ports.iter().filter_map(|p| p.publish.as_ref()))
                .map(|p| match p.via {
                    PublishVia::LoadBalancer => "LoadBalancer",
                    PublishVia::NodePort => "NodePort",
                })
                .collect();
            ingress.push(Rule {
                peer: Some(Peer::Cidr(ANYWHERE)),
                ports: published,
                what: format!(
                    "clients of the published ports through the {} Service (from their, the load balancer's or a node's address)",
                    kinds.into_iter().collect::<Vec<_>>().join(" and ")
                ),
                source: at("publish"),
            });
        }
        for dependant in dependants.get(service.name.as_str()).into_iter().flatten() {
            ingress.push(Rule {
                peer: Some(Peer::Pods(pods_of(dependant))),
                ports: vec![main_port(service)],
                what: format!("{dependant} (it depends on {})", service.name),
                source: format!("services[{dependant}].dependsOn"),
            });
        }
        if service.stateful {
            ingress.push(Rule {
                peer: Some(Peer::Pods(pods_of(&service.name))),
                ports: all_ports(service),
                what: "its own pods (StatefulSet peers)".into(),
                source: at("stateful"),
            });
        }
        if istio {
            ingress.push(Rule {
                peer: Some(Peer::AnyNamespacePods(BTreeMap::new())),
                ports: vec![tcp(15020), tcp(15090)],
                what: "the metrics scrape of the Istio sidecar (any pod of the cluster)".into(),
                source: "rollout.strategy".into(),
            });
        }
    }
    let mut waits_for_job = false;
    let deps: BTreeSet<&str> = service.depends_on.iter().map(String::as_str).collect();
    for dep in deps {
        let Some(dependency) = spec.service(dep) else {
            continue;
        };
        if dependency.one_shot {
            waits_for_job = true;
            continue;
        }
        egress.push(Rule {
            peer: Some(Peer::Pods(pods_of(dep))),
            ports: vec![main_port(dependency)],
            what: format!("{dep} (dependsOn)"),
            source: at("dependsOn"),
        });
    }
    if waits_for_job {
        egress.extend(api_server_rules(spec, service));
    }
    if service.stateful && !service.one_shot {
        egress.push(Rule {
            peer: Some(Peer::Pods(pods_of(&service.name))),
            ports: all_ports(service),
            what: "its own pods (StatefulSet peers)".into(),
            source: at("stateful"),
        });
    }
    for store in facts::reach(spec, named, service) {
        let listed = service.data.iter().any(|d| d == store.name());
        egress.push(Rule {
            peer: Some(Peer::Cidr(store.cidr(spec))),
            ports: store.ports().into_iter().map(tcp).collect(),
            what: format!(
                "the {} {}{}",
                store.kind(),
                store.name(),
                if listed { "" } else { " (no service names it)" }
            ),
            source: if listed { at("data") } else { store.source() },
        });
    }
    for (i, e) in service.egress.iter().enumerate() {
        egress.push(Rule {
            peer: Some(Peer::Cidr(e.cidr)),
            ports: vec![PortRef {
                port: e.port,
                protocol: e.protocol,
            }],
            what: format!("{} (egress)", e.cidr),
            source: format!("services[{}].egress[{i}]", service.name),
        });
    }
    if istio {
        egress.push(Rule {
            peer: Some(Peer::NamespacePods {
                namespace: "istio-system".into(),
                labels: labels(&[("app", "istiod")]),
            }),
            ports: vec![tcp(15012)],
            what: "istiod, the sidecar's configuration and certificates".into(),
            source: "rollout.strategy".into(),
        });
    }
    Policy {
        name: service.name.clone(),
        service: Some(service.name.clone()),
        pods: pods_of(&service.name),
        source: format!("services[{}]", service.name),
        ingress,
        egress,
    }
}

/// `kubectl -n NS`.
fn kubectl_in(ns: &str) -> Line {
    Line::new("kubectl").opt("-n", ns)
}

/// The line that lists the pods a selector finds, and fails when it finds none.
fn selects(namespace: Option<&str>, labels: &BTreeMap<String, String>) -> String {
    let selector = labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let line = match namespace {
        Some(ns) => kubectl_in(ns).lit("get pods"),
        None => Line::new("kubectl get pods --all-namespaces"),
    };
    line.opt("-l", selector)
        .lit("-o name")
        .pipe(Line::new("grep ."))
        .build()
}

/// A probe from inside a running pod of `from`: an ephemeral container in the pod's network
/// namespace (so the pod's policy applies) tries `host:port` over TCP and prints `open` or
/// `BLOCKED`. (`kubectl debug` takes a pod, not a Deployment, and does not pass the
/// container's exit status on: the output is the verdict.)
fn edge_probe(ns: &str, image: &str, from: &str, host: &str, port: u16) -> String {
    let pod = kubectl_in(ns)
        .lit("get pods")
        .opt("-l", format!("{SERVICE_LABEL}={from}"))
        .lit("--field-selector=status.phase=Running")
        .opt("-o", "jsonpath={.items[0].metadata.name}");
    // The inner script's words are quoted for the inner shell (bare when safe); the whole
    // script is one word of the outer line.
    let (h, f) = (shell::quote(host), shell::quote(from));
    let script = format!(
        "if nc -z -w 3 {h} {port}; then echo open {h}:{port} from {f}; else echo BLOCKED {h}:{port} from {f}; fi"
    );
    kubectl_in(ns)
        .lit("debug")
        .subst(pod)
        .opt("--image", image)
        .lit("--profile=baseline --attach --quiet -- sh -c")
        .arg(script)
        .build()
}

/// The variable the deny probe's target address is read into.
const DENY_PROBE_ADDRESS: &str = "DENY_PROBE_ADDRESS";

/// The probe that must fail: a throwaway pod (only the default deny selects it) tries the
/// Service address of `to`, without DNS (which the default deny blocks too); the command
/// fails (exit 1) when the connection gets through. The address is read first, into a
/// variable the probe's script is built around.
fn deny_probe(spec: &Spec, image: &str, to: &Service) -> Vec<String> {
    let ns = spec.namespace();
    let mut pod_labels = format!("{DENY_PROBE_LABEL}=deny");
    if spec.rollout.strategy == Strategy::Istio {
        // A sidecar would keep the pod running after the probe.
        pod_labels.push_str(",sidecar.istio.io/inject=false");
    }
    let address = kubectl_in(ns)
        .lit("get service")
        .arg(&to.name)
        .opt("-o", "jsonpath={.spec.clusterIP}");
    let target = format!("{}:{}", shell::quote(&to.name), to.port);
    let before = "if nc -z -w 3 ".to_string();
    let after = format!(
        " {port}; then echo REACHED {target}, the NetworkPolicies are not enforced; exit 1; fi; echo blocked {target} as expected",
        port = to.port,
    );
    vec![
        Line::assign(DENY_PROBE_ADDRESS, address).build(),
        shell::show(DENY_PROBE_ADDRESS),
        kubectl_in(ns)
            .lit("run cutover-deny-probe")
            .opt("--image", image)
            .lit("--restart=Never --rm --attach --quiet")
            .arg(format!("--labels={pod_labels}"))
            .lit("-- sh -c")
            .word(&[
                Piece::Lit(&before),
                Piece::Var(DENY_PROBE_ADDRESS),
                Piece::Lit(&after),
            ])
            .build(),
    ]
}

/// The probes of the verify phase: every selector an ingress or DNS rule relies on finds its
/// pods; every allowed TCP edge inside the cluster, and one per reachable data store, opens
/// from a pod of its source; and, where the plugin enforces policies, a pod no policy allows
/// is refused.
fn probes(spec: &Spec, plan: &NetworkPolicyPlan, phases: &[Phase]) -> Option<Probes> {
    let phase = phases.iter().find(|p| p.kind == PhaseKind::Verify)?;
    let ns = spec.namespace();
    let image = target_image(spec, spec.helper_image());
    let mut selector_commands = Vec::new();
    let mut edge_commands = Vec::new();
    let mut not_probed = Vec::new();
    // The selectors of other namespaces' pods.
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for rule in plan
        .policies
        .iter()
        .flat_map(|p| p.ingress.iter().chain(&p.egress))
    {
        let line = match &rule.peer {
            Some(Peer::NamespacePods { namespace, labels }) if !labels.is_empty() => {
                selects(Some(namespace), labels)
            }
            Some(Peer::AnyNamespacePods(labels)) if !labels.is_empty() => selects(None, labels),
            _ => continue,
        };
        if seen.insert(line.clone()) {
            selector_commands.push(line);
        }
    }
    let istio = spec.rollout.strategy == Strategy::Istio;
    if istio {
        not_probed.push("the connections from the services' pods: under Istio the pod's own sidecar accepts every connection a probe opens, whatever the policies allow (the probe that must be refused runs without a sidecar)".to_string());
    }
    let named = facts::named(spec);
    for service in spec.services.iter().filter(|s| !s.one_shot) {
        if istio {
            break;
        }
        let deps: BTreeSet<&str> = service.depends_on.iter().map(String::as_str).collect();
        for dep in deps {
            let Some(dependency) = spec.service(dep) else {
                continue;
            };
            if dependency.one_shot {
                continue;
            }
            if dependency.protocol == Protocol::Udp {
                not_probed.push(format!(
                    "{} to {dep}: UDP, which a connection probe cannot check",
                    service.name
                ));
                continue;
            }
            edge_commands.push(edge_probe(ns, &image, &service.name, dep, dependency.port));
        }
    }
    for store in facts::stores(spec) {
        if istio {
            break;
        }
        let from = spec.services.iter().filter(|s| !s.one_shot).find(|s| {
            facts::reach(spec, &named, s)
                .iter()
                .any(|r| r.name() == store.name())
        });
        let Some(from) = from else {
            not_probed.push(format!(
                "the {} {}: only one-shot services may reach it, and their pods do not stay running",
                store.kind(),
                store.name()
            ));
            continue;
        };
        match store {
            DataStore::Database(db) => match &db.private_name {
                Some(host) => edge_commands.push(edge_probe(
                    ns,
                    &image,
                    &from.name,
                    host,
                    facts::database_port(db),
                )),
                None => not_probed.push(format!(
                    "the database {}: it has no privateName to connect to",
                    db.name
                )),
            },
            DataStore::ObjectStore(os) if os.cidr.is_none() => edge_commands.push(edge_probe(
                ns,
                &image,
                &from.name,
                &format!("oss-{}-internal.aliyuncs.com", spec.target.region),
                443,
            )),
            DataStore::ObjectStore(os) => not_probed.push(format!(
                "the object store {}: its block ({}) is the spec's, with no host cutover knows",
                os.name,
                os.cidr.unwrap_or(OSS_INTERNAL)
            )),
        }
    }
    for service in spec.services.iter().filter(|s| !s.egress.is_empty()) {
        not_probed.push(format!(
            "the egress blocks of {}: addresses outside the cluster, with no host cutover knows",
            service.name
        ));
    }
    let mut deny_commands = Vec::new();
    if plan.enforced {
        let target = spec
            .services
            .iter()
            .find(|s| !s.one_shot && s.protocol == Protocol::Tcp);
        if let Some(target) = target {
            deny_commands.extend(deny_probe(spec, &image, target));
        }
    }
    let runs = !edge_commands.is_empty() || !deny_commands.is_empty();
    Some(Probes {
        phase: phase.id.clone(),
        image: runs.then_some(image),
        selector_commands,
        edge_commands,
        deny_commands,
        not_probed,
    })
}
