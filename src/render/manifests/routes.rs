//! Routes: the test domain's (plain, to the new services), the production hosts' (plain for
//! the strategies that move traffic outside the cluster, or a function of the traffic state
//! for ingress-canary and istio), the legacy backend that stands for the old cluster, and
//! the ingress controller's HA patch.
//!
//! For a given spec, [`traffic_objects`] returns the same objects (kind and name) for every
//! traffic state, except that the settled state under `rollout.unroutedPaths: new` lacks the
//! catch-all routes (see [`catch_all_present`]); only their contents change otherwise.
//! Applying the objects of the state before a phase (which the rollback folder holds,
//! dropped objects included) is therefore a complete rollback of it; [`deletions`] removes
//! what a state drops.
//!
//! The catch-all: every path of a partly listed moving host (`model::hosts`) that no route
//! lists goes to the shared legacy backend (`source.entrypoint`) through a `/` route, so
//! moving DNS to the new ingress breaks no unlisted URI.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ResourceRequirements, Service as K8sService, ServicePort, ServiceSpec, Toleration,
};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointPort, EndpointSlice};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::custom::{
    ClientTls, DeploymentPatch, DeploymentPatchSpec, DestinationRule, DestinationRuleSpec,
    HttpBackendRef, HttpPathMatch, HttpRoute, HttpRouteFilter, HttpRouteMatch, HttpRouteRule,
    HttpRouteSpec, HttpValueMatch, IstioDestination, IstioHttpRoute, IstioMatch, IstioPercent,
    IstioPort, IstioRouteDestination, IstioServicePort, IstioStringMatch, IstioWorkloadEntry,
    ParentReference, PatchPodSpec, PatchTemplate, RequestMirror, ServiceEntry, ServiceEntrySpec,
    TrafficPolicy, VirtualService, VirtualServiceSpec,
};
use super::{Manifest, meta};
use crate::model::hosts::{catch_all_hosts, catch_all_when_settled};
use crate::model::ports::node_ports;
use crate::model::rollout::{Router, router};
use crate::model::{Address, MatchCondition, Service, Spec, Strategy};
use crate::plan::Plan;
use crate::plan::ingress::{INGRESS_NODE_LABEL, IngressControllerPlan};
use crate::plan::rollout::{Phase, PhaseKind, Share, TrafficState};
use crate::shell::Line;

/// host → paths of one service, sorted.
fn hosts_of(service: &Service) -> BTreeMap<String, Vec<String>> {
    let mut hosts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for route in &service.routes {
        hosts
            .entry(route.host.clone())
            .or_default()
            .push(route.path.clone());
    }
    for paths in hosts.values_mut() {
        paths.sort();
        paths.dedup();
    }
    hosts
}

fn routed(spec: &Spec) -> impl Iterator<Item = &Service> {
    spec.services.iter().filter(|s| !s.routes.is_empty())
}

fn ingress_class(router: Router) -> &'static str {
    if router == Router::Alb {
        "alb"
    } else {
        "nginx"
    }
}

fn backend(name: &str, port: u16) -> IngressBackend {
    IngressBackend {
        service: Some(IngressServiceBackend {
            name: name.to_string(),
            port: Some(ServiceBackendPort {
                number: Some(i32::from(port)),
                ..ServiceBackendPort::default()
            }),
        }),
        ..IngressBackend::default()
    }
}

/// An Ingress whose rules send each host's paths to the given backends (in order).
fn ingress(
    metadata: ObjectMeta,
    class: &str,
    hosts: &BTreeMap<String, Vec<String>>,
    backends: &[(&str, u16)],
) -> Ingress {
    let rules = hosts
        .iter()
        .map(|(host, paths)| IngressRule {
            host: Some(host.clone()),
            http: Some(HTTPIngressRuleValue {
                paths: paths
                    .iter()
                    .flat_map(|path| {
                        backends.iter().map(move |(name, port)| HTTPIngressPath {
                            path: Some(path.clone()),
                            path_type: "Prefix".into(),
                            backend: backend(name, *port),
                        })
                    })
                    .collect(),
            }),
        })
        .collect();
    Ingress {
        metadata,
        spec: Some(IngressSpec {
            ingress_class_name: Some(class.into()),
            rules: Some(rules),
            ..IngressSpec::default()
        }),
        ..Ingress::default()
    }
}

fn with_annotations(mut metadata: ObjectMeta, annotations: BTreeMap<String, String>) -> ObjectMeta {
    metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .extend(annotations);
    metadata
}

/// The test domain: every routed service's paths on `target.testDomain`, to the new
/// services, from the deploy phase on.
pub fn test_routes(spec: &Spec) -> Vec<Manifest> {
    let mut objects = Vec::new();
    test_routes_by_groups(spec, &routed_services(spec), &mut |group| {
        objects.extend(group)
    });
    objects
}

/// [`test_routes`], handed to `emit` a group of `routed` services at a time (Istio's
/// VirtualService spans the services of its host: it comes whole).
pub fn test_routes_by_groups(
    spec: &Spec,
    routed: &[&Service],
    emit: &mut dyn FnMut(Vec<Manifest>),
) {
    let Some(test) = &spec.target.test_domain else {
        return;
    };
    let router = router(spec.rollout.strategy, spec.rollout.controller);
    let source = |s: &Service| format!("services[{}].routes on target.testDomain", s.name);
    if router == Router::Istio {
        emit(virtual_services(spec, &only_test(spec, test), None));
        return;
    }
    for group in routed.chunks(SERVICES_A_GROUP) {
        let objects = group.iter().map(|s| {
            let name = format!("{}-test", s.name);
            let hosts = BTreeMap::from([(test.clone(), paths(s))]);
            let metadata = meta(spec, &name, true, source(s));
            match router {
                Router::GatewayApi => {
                    Manifest::new(&http_route(spec, s, &hosts, metadata, None, None), &name)
                }
                _ => Manifest::new(
                    &ingress(
                        metadata,
                        ingress_class(router),
                        &hosts,
                        &[(&s.name, s.port)],
                    ),
                    &name,
                ),
            }
        });
        emit(objects.collect());
    }
}

fn paths(service: &Service) -> Vec<String> {
    let mut paths: Vec<String> = service.routes.iter().map(|r| r.path.clone()).collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Every routed (path, service) under the test domain, for Istio's per-host objects.
fn only_test(spec: &Spec, test: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut hosts: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for s in routed(spec) {
        for path in paths(s) {
            hosts
                .entry(test.to_string())
                .or_default()
                .push((path, s.name.clone()));
        }
    }
    hosts
}

/// The production hosts' routes straight to the new services: for slb-weights, dns-weights
/// and client, whose traffic moves outside the cluster, they exist from the deploy phase.
pub fn plain_production_routes(spec: &Spec, services: &[&Service]) -> Vec<Manifest> {
    let router = router(spec.rollout.strategy, spec.rollout.controller);
    services
        .iter()
        .map(|s| {
            let metadata = meta(spec, &s.name, true, format!("services[{}].routes", s.name));
            Manifest::new(
                &ingress(
                    metadata,
                    ingress_class(router),
                    &hosts_of(s),
                    &[(&s.name, s.port)],
                ),
                &s.name,
            )
        })
        .collect()
}

/// The name of the Service (or Istio host) that stands for the old cluster.
pub fn legacy_name(spec: &Spec) -> String {
    let mut name = format!("legacy-{}", spec.source.name.to_ascii_lowercase());
    name = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name.truncate(63);
    name.trim_end_matches('-').to_string()
}

/// Where a routed service answers on the old cluster, as the new cluster's routes reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Legacy {
    /// The Service (Ingress, Gateway API) or the Istio host's first label.
    name: String,
    address: Address,
    port: u16,
    /// The spec path it comes from.
    source: String,
}

impl Legacy {
    fn istio_host(&self) -> String {
        format!("{}.legacy.internal", self.name)
    }
}

/// The legacy backend the services share: `source.entrypoint`.
fn shared_legacy(spec: &Spec) -> Legacy {
    Legacy {
        name: legacy_name(spec),
        address: spec.source.entrypoint.address,
        port: spec.source.entrypoint.port(),
        source: "source.entrypoint".into(),
    }
}

/// A routed service's legacy backend: its own (`<service>-legacy`) when `legacy` moves it
/// off the entrypoint's address or port, else the shared one.
fn legacy_of(spec: &Spec, service: &Service) -> Legacy {
    let shared = shared_legacy(spec);
    let own = service.legacy.as_ref();
    let address = own.and_then(|l| l.address).unwrap_or(shared.address);
    let port = own.and_then(|l| l.port).unwrap_or(shared.port);
    if address == shared.address && port == shared.port {
        return shared;
    }
    Legacy {
        name: format!("{}-legacy", service.name),
        address,
        port,
        source: format!("services[{}].legacy", service.name),
    }
}

/// Every legacy backend the routes use, the shared one first. The shared one stays while no
/// routed service has its own (as before per-service backends existed).
fn legacy_backends(spec: &Spec) -> Vec<Legacy> {
    let shared = shared_legacy(spec);
    let mut own = Vec::new();
    let mut uses_shared = false;
    for service in routed(spec) {
        let legacy = legacy_of(spec, service);
        if legacy == shared {
            uses_shared = true;
        } else {
            own.push(legacy);
        }
    }
    let mut backends = Vec::new();
    // The catch-all routes go to the shared one.
    if uses_shared || own.is_empty() || !catch_all_hosts(spec).is_empty() {
        backends.push(shared);
    }
    backends.extend(own);
    backends
}

/// The legacy backends: where each routed service answers on the old cluster (the old
/// entrypoint, or the service's own `legacy`), each as a selector-less Service with an
/// EndpointSlice (Ingress and Gateway API), or a ServiceEntry with its DestinationRule
/// (Istio). slb-weights gets the NodePort Services the old SLB sends to instead;
/// dns-weights and client move traffic outside the cluster and need only the shared one,
/// for the catch-all routes (see [`plain_catch_all`]).
pub fn legacy_objects(spec: &Spec) -> Vec<Manifest> {
    let mut objects = Vec::new();
    legacy_objects_by_groups(spec, &mut |group| objects.extend(group));
    objects
}

/// [`legacy_objects`], handed to `emit` a group of services at a time: with a legacy
/// backend per service, a bundle of thousands holds one group's objects, not all of them.
pub fn legacy_objects_by_groups(spec: &Spec, emit: &mut dyn FnMut(Vec<Manifest>)) {
    match spec.rollout.strategy {
        Strategy::IngressCanary | Strategy::Istio => {
            for group in legacy_backends(spec).chunks(SERVICES_A_GROUP) {
                emit(
                    group
                        .iter()
                        .flat_map(|legacy| legacy_backend_objects(spec, legacy))
                        .collect(),
                );
            }
        }
        Strategy::DnsWeights | Strategy::Client => {
            if !catch_all_hosts(spec).is_empty() {
                emit(legacy_backend_objects(spec, &shared_legacy(spec)));
            }
        }
        Strategy::SlbWeights => {
            let ports = node_ports(spec);
            let routed_services = routed_services(spec);
            for group in routed_services.chunks(SERVICES_A_GROUP) {
                emit(
                    group
                        .iter()
                        .map(|s| slb_node_port(spec, &ports, s))
                        .collect(),
                );
            }
            if !catch_all_hosts(spec).is_empty() {
                emit(legacy_backend_objects(spec, &shared_legacy(spec)));
            }
        }
    }
}

/// Whether a traffic state has the catch-all routes: from the first state on while a host is
/// partly listed (not under `refuse`), and once settled only under `legacy`.
pub fn catch_all_present(spec: &Spec, state: &TrafficState) -> bool {
    !catch_all_hosts(spec).is_empty() && (!state.settled || catch_all_when_settled(spec))
}

/// The name of a host's catch-all object.
pub fn catch_all_name(host: &str) -> String {
    let mut name = host_object_name(host);
    // Leave room for the suffix within the 63 characters of a name.
    name.truncate(63 - "-catch-all".len());
    format!("{}-catch-all", name.trim_end_matches('-'))
}

/// The catch-all Ingresses (nginx, ALB, ack-nginx, and the plain routes of dns-weights and
/// client): `/` Prefix of each partly listed host to the shared legacy backend. ingress-nginx
/// merges the Ingresses of one host into one server and orders its locations longest path
/// first, so every listed path still wins over `/`
/// (https://kubernetes.github.io/ingress-nginx/user-guide/ingress-path-matching/); a canary
/// Ingress only splits the host/path pairs it lists itself
/// (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#canary),
/// so the catch-all's `/` is never canaried.
fn catch_all_ingresses(spec: &Spec, class: &str) -> Vec<Manifest> {
    let legacy = shared_legacy(spec);
    catch_all_hosts(spec)
        .iter()
        .map(|host| {
            let name = catch_all_name(host);
            let hosts = BTreeMap::from([(host.clone(), vec!["/".to_string()])]);
            let object = ingress(
                meta(spec, &name, true, "rollout.unroutedPaths".into()),
                class,
                &hosts,
                &[(&legacy.name, legacy.port)],
            );
            Manifest::new(&object, &name)
        })
        .collect()
}

/// Gateway API: one HTTPRoute per partly listed host, `/` PathPrefix to the legacy Service.
/// Across the routes of a hostname the longest matching prefix wins
/// (https://gateway-api.sigs.k8s.io/reference/spec/#httprouterule: "Proxy or Load Balancer
/// routing configuration generated from HTTPRoutes MUST prioritize matches based on ...
/// the largest number of characters in a matching prefix path").
fn catch_all_http_routes(spec: &Spec) -> Vec<Manifest> {
    let legacy = shared_legacy(spec);
    let (namespace, gateway_name) = gateway(spec, (spec.namespace(), "gateway"));
    catch_all_hosts(spec)
        .iter()
        .map(|host| {
            let name = catch_all_name(host);
            let route = HttpRoute::new(
                meta(spec, &name, true, "rollout.unroutedPaths".into()),
                HttpRouteSpec {
                    parent_refs: vec![ParentReference {
                        name: gateway_name.clone(),
                        namespace: Some(namespace.clone()),
                    }],
                    hostnames: vec![host.clone()],
                    rules: vec![HttpRouteRule {
                        matches: vec![HttpRouteMatch {
                            path: HttpPathMatch {
                                kind: "PathPrefix".into(),
                                value: "/".into(),
                            },
                            ..HttpRouteMatch::default()
                        }],
                        filters: Vec::new(),
                        backend_refs: vec![HttpBackendRef {
                            name: legacy.name.clone(),
                            namespace: None,
                            port: legacy.port,
                            weight: None,
                        }],
                    }],
                },
            );
            Manifest::new(&route, &name)
        })
        .collect()
}

/// dns-weights, client and slb-weights: the catch-all beside their plain production routes,
/// from the deploy phase on. DNS sends whole hosts to the new ingress, unlisted paths
/// included (slb-weights' DNS moves at `complete`; until then its old SLB keeps every other
/// path on the old cluster's backends).
pub fn plain_catch_all(spec: &Spec) -> Vec<Manifest> {
    match spec.rollout.strategy {
        Strategy::DnsWeights | Strategy::Client | Strategy::SlbWeights => {
            catch_all_ingresses(spec, "nginx")
        }
        _ => Vec::new(),
    }
}

/// The Istio catch-all route as data, for the decommission runbook's JSON patch that
/// removes it (or re-adds it on rollback).
pub fn istio_catch_all_json(spec: &Spec) -> serde_json::Value {
    serde_json::to_value(istio_catch_all_route(spec)).unwrap_or_default()
}

/// Istio: the last route of a host's VirtualService, with no match, to the legacy
/// ServiceEntry host (Istio tries a VirtualService's routes in order, first match wins:
/// https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute).
fn istio_catch_all_route(spec: &Spec) -> IstioHttpRoute {
    let legacy = shared_legacy(spec);
    IstioHttpRoute {
        name: Some(ISTIO_CATCH_ALL.into()),
        matches: Vec::new(),
        route: vec![IstioRouteDestination {
            destination: IstioDestination {
                host: legacy.istio_host(),
                port: IstioPort {
                    number: legacy.port,
                },
            },
            weight: None,
        }],
        mirror: None,
        mirror_percentage: None,
    }
}

/// The name of the Istio catch-all route.
pub const ISTIO_CATCH_ALL: &str = "legacy-catch-all";

/// slb-weights: the NodePort Service the old SLB sends to, for one routed service.
fn slb_node_port(spec: &Spec, ports: &BTreeMap<String, u16>, s: &Service) -> Manifest {
    let object_name = format!("{}-nodeport", s.name);
    let mut metadata = meta(spec, &object_name, true, format!("services[{}]", s.name));
    metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(super::workloads::NAME_LABEL.into(), s.name.clone());
    let service = K8sService {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some("NodePort".into()),
            selector: Some(BTreeMap::from([(
                super::workloads::NAME_LABEL.to_string(),
                s.name.clone(),
            )])),
            // The old SLB's backends spread requests; nodes must not re-balance.
            external_traffic_policy: Some("Cluster".into()),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: i32::from(s.port),
                target_port: Some(IntOrString::Int(i32::from(s.port))),
                node_port: ports.get(&s.name).map(|p| i32::from(*p)),
                protocol: Some("TCP".into()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..K8sService::default()
    };
    Manifest::new(&service, &object_name)
}

/// One legacy backend's objects.
fn legacy_backend_objects(spec: &Spec, legacy: &Legacy) -> Vec<Manifest> {
    let name = legacy.name.clone();
    let address = legacy.address;
    let port = legacy.port;
    let source = legacy.source.clone();
    match spec.rollout.strategy {
        Strategy::IngressCanary
        | Strategy::DnsWeights
        | Strategy::Client
        | Strategy::SlbWeights => {
            let service = K8sService {
                metadata: meta(spec, &name, true, source.clone()),
                spec: Some(ServiceSpec {
                    type_: Some("ClusterIP".into()),
                    ports: Some(vec![ServicePort {
                        name: Some("http".into()),
                        port: i32::from(port),
                        target_port: Some(IntOrString::Int(i32::from(port))),
                        protocol: Some("TCP".into()),
                        ..ServicePort::default()
                    }]),
                    ..ServiceSpec::default()
                }),
                ..K8sService::default()
            };
            let mut metadata = meta(spec, &name, true, source);
            metadata
                .labels
                .get_or_insert_with(BTreeMap::new)
                .insert("kubernetes.io/service-name".into(), name.clone());
            let slice = EndpointSlice {
                metadata,
                address_type: if address.0.is_ipv4() { "IPv4" } else { "IPv6" }.into(),
                endpoints: vec![Endpoint {
                    addresses: vec![address.to_string()],
                    ..Endpoint::default()
                }],
                ports: Some(vec![EndpointPort {
                    name: Some("http".into()),
                    port: Some(i32::from(port)),
                    protocol: Some("TCP".into()),
                    ..EndpointPort::default()
                }]),
            };
            vec![Manifest::new(&service, &name), Manifest::new(&slice, &name)]
        }
        Strategy::Istio => {
            let host = legacy.istio_host();
            let entry = ServiceEntry::new(
                meta(spec, &name, true, source.clone()),
                ServiceEntrySpec {
                    hosts: vec![host.clone()],
                    ports: vec![IstioServicePort {
                        number: port,
                        name: "http".into(),
                        protocol: "HTTP".into(),
                    }],
                    location: "MESH_EXTERNAL".into(),
                    resolution: "STATIC".into(),
                    endpoints: vec![IstioWorkloadEntry {
                        address: address.to_string(),
                    }],
                },
            );
            let rule = DestinationRule::new(
                meta(spec, &name, true, source),
                DestinationRuleSpec {
                    host,
                    traffic_policy: TrafficPolicy {
                        tls: ClientTls {
                            mode: "DISABLE".into(),
                        },
                    },
                },
            );
            vec![Manifest::new(&entry, &name), Manifest::new(&rule, &name)]
        }
    }
}

/// The production routes in a traffic state, for the strategies whose traffic moves inside
/// the new cluster (ingress-canary, istio); empty for the others.
pub fn traffic_objects(spec: &Spec, state: &TrafficState) -> Vec<Manifest> {
    traffic_objects_of(spec, state, |_| true)
}

/// A share of a traffic state's objects, built together: a few dozen routed services at a
/// time, so that a phase that moves thousands holds a group's objects, not the phase's.
pub enum TrafficGroup<'s> {
    /// Every object at once: Istio, where a VirtualService spans every service of its host.
    All,
    /// These services' own objects (routed ones, in spec order).
    Services(&'s [&'s Service]),
    /// The catch-all routes, which belong to a host, not to a service.
    CatchAll,
}

/// The groups a traffic state's objects are built in: together they give exactly
/// [`traffic_objects_of`].
pub fn traffic_groups<'s>(
    spec: &Spec,
    routed_services: &'s [&'s Service],
) -> Vec<TrafficGroup<'s>> {
    if router(spec.rollout.strategy, spec.rollout.controller) == Router::Istio {
        return vec![TrafficGroup::All];
    }
    let mut groups: Vec<TrafficGroup> = routed_services
        .chunks(SERVICES_A_GROUP)
        .map(TrafficGroup::Services)
        .collect();
    groups.push(TrafficGroup::CatchAll);
    groups
}

/// The services with routes, in spec order: what [`traffic_groups`] divides.
pub fn routed_services(spec: &Spec) -> Vec<&Service> {
    routed(spec).collect()
}

/// [`traffic_objects_of`] for one group of [`traffic_groups`].
pub fn traffic_objects_in(
    spec: &Spec,
    state: &TrafficState,
    group: &TrafficGroup,
    include: impl Fn(&str) -> bool,
) -> Vec<Manifest> {
    match group {
        TrafficGroup::All => traffic_objects_of(spec, state, include),
        // A group's own services only: filtering every service for each group would make
        // a phase quadratic in the services.
        TrafficGroup::Services(services) => {
            traffic_objects_parts(spec, state, services.iter().copied(), include, false)
        }
        TrafficGroup::CatchAll => {
            traffic_objects_parts(spec, state, std::iter::empty(), |_| false, true)
        }
    }
}

/// Services in a group of [`traffic_groups`]: a unit holds one group's objects at a time.
pub const SERVICES_A_GROUP: usize = 64;

/// [`traffic_objects`] restricted to the routes of the services `include` accepts (for
/// Istio, every VirtualService with a route to one of them). A traffic phase uses it to build
/// only the objects whose share it changes: at 1,000 services most of them stay put.
pub fn traffic_objects_of(
    spec: &Spec,
    state: &TrafficState,
    include: impl Fn(&str) -> bool,
) -> Vec<Manifest> {
    traffic_objects_parts(spec, state, routed(spec), include, true)
}

/// [`traffic_objects_of`], with the catch-all routes or without them (Istio's always come
/// with its VirtualServices).
fn traffic_objects_parts<'s>(
    spec: &'s Spec,
    state: &TrafficState,
    services: impl Iterator<Item = &'s Service>,
    include: impl Fn(&str) -> bool,
    with_catch_all: bool,
) -> Vec<Manifest> {
    let router = router(spec.rollout.strategy, spec.rollout.controller);
    if !matches!(
        spec.rollout.strategy,
        Strategy::IngressCanary | Strategy::Istio
    ) {
        return Vec::new();
    }
    if router == Router::Istio {
        let mut hosts: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for s in routed(spec) {
            for route in &s.routes {
                hosts
                    .entry(route.host.clone())
                    .or_default()
                    .push((route.path.clone(), s.name.clone()));
            }
        }
        hosts.retain(|_, routes| routes.iter().any(|(_, name)| include(name)));
        return virtual_services(spec, &hosts, Some(state));
    }
    let mut out = Vec::new();
    for s in services.filter(|s| include(&s.name)) {
        let Legacy {
            name: legacy,
            port: legacy_port,
            ..
        } = legacy_of(spec, s);
        let share = state.services.get(&s.name).copied().unwrap_or_default();
        let source = format!("services[{}].routes", s.name);
        let hosts = hosts_of(s);
        let metadata = meta(spec, &s.name, true, source.clone());
        match router {
            Router::GatewayApi => {
                out.push(Manifest::new(
                    &http_route(
                        spec,
                        s,
                        &hosts,
                        metadata,
                        Some((share, state.settled)),
                        Some((&legacy, legacy_port)),
                    ),
                    &s.name,
                ));
            }
            Router::AckNginx => {
                let (annotations, backends): (BTreeMap<String, String>, Vec<(&str, u16)>) =
                    if state.settled {
                        (BTreeMap::new(), vec![(&s.name, s.port)])
                    } else {
                        (
                            ack_annotations(spec, s, share, &legacy),
                            vec![(legacy.as_str(), legacy_port), (s.name.as_str(), s.port)],
                        )
                    };
                let object = ingress(
                    with_annotations(metadata, annotations),
                    "nginx",
                    &hosts,
                    &backends,
                );
                out.push(Manifest::new(&object, &s.name));
            }
            Router::Nginx | Router::Alb | Router::Istio | Router::None => {
                // The main Ingress: the old cluster until settled; the canary Ingress beside it
                // takes the share (and the matched requests) to the new service.
                let (main_backend, main_annotations) = if state.settled {
                    ((s.name.as_str(), s.port), BTreeMap::new())
                } else {
                    (
                        (legacy.as_str(), legacy_port),
                        mirror_annotation(spec, s, share, router),
                    )
                };
                let main = ingress(
                    with_annotations(metadata, main_annotations),
                    ingress_class(router),
                    &hosts,
                    &[main_backend],
                );
                out.push(Manifest::new(&main, &s.name));
                let canary_name = format!("{}-canary", s.name);
                let weight = if state.settled { 0 } else { share.weight };
                let canary_meta = with_annotations(
                    meta(spec, &canary_name, true, source),
                    canary_annotations(spec, router, weight, state.settled),
                );
                let canary = ingress(
                    canary_meta,
                    ingress_class(router),
                    &hosts,
                    &[(&s.name, s.port)],
                );
                out.push(Manifest::new(&canary, &canary_name));
            }
        }
    }
    if with_catch_all && catch_all_present(spec, state) {
        match router {
            Router::GatewayApi => out.extend(catch_all_http_routes(spec)),
            _ => out.extend(catch_all_ingresses(spec, ingress_class(router))),
        }
    }
    out
}

fn mirror_annotation(
    spec: &Spec,
    service: &Service,
    share: Share,
    router: Router,
) -> BTreeMap<String, String> {
    if !share.mirror || router == Router::Alb {
        return BTreeMap::new();
    }
    BTreeMap::from([(
        "nginx.ingress.kubernetes.io/mirror-target".to_string(),
        format!(
            "http://{}.{}.svc.cluster.local:{}$request_uri",
            service.name,
            spec.namespace(),
            service.port
        ),
    )])
}

/// Upstream ingress-nginx (`nginx.ingress.kubernetes.io/canary-*`) or ALB
/// (`alb.ingress.kubernetes.io/canary-*`) canary annotations. Once settled the canary keeps
/// weight 0 and no match, so it is inert until the decommission phase deletes it.
fn canary_annotations(
    spec: &Spec,
    router: Router,
    weight: u32,
    settled: bool,
) -> BTreeMap<String, String> {
    let prefix = if router == Router::Alb {
        "alb.ingress.kubernetes.io"
    } else {
        "nginx.ingress.kubernetes.io"
    };
    let key = |name: &str| format!("{prefix}/{name}");
    let mut annotations = BTreeMap::from([
        (key("canary"), "true".to_string()),
        (key("canary-weight"), weight.to_string()),
    ]);
    if settled {
        return annotations;
    }
    if let Some(rule) = &spec.rollout.match_rule {
        if let Some(header) = &rule.header {
            annotations.insert(key("canary-by-header"), header.name.clone());
            match (&header.value, &header.pattern) {
                (Some(value), _) => {
                    annotations.insert(key("canary-by-header-value"), value.clone());
                }
                (None, Some(pattern)) => {
                    annotations.insert(key("canary-by-header-pattern"), pattern.clone());
                }
                (None, None) => {}
            }
        }
        if let Some(cookie) = &rule.cookie {
            // Requests carrying the cookie with the value `always` go to the canary.
            annotations.insert(key("canary-by-cookie"), cookie.name.clone());
        }
    }
    annotations
}

/// ACK's `service-match` expression: `header("x-migration", "canary")`, a regex as `/…/`.
pub fn ack_match_expression(kind: &str, condition: &MatchCondition) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let value = match (&condition.value, &condition.pattern) {
        (Some(value), _) => quote(value),
        (None, Some(pattern)) => format!("/{pattern}/"),
        (None, None) => quote(""),
    };
    format!("{kind}({}, {value})", quote(&condition.name))
}

/// ACK NGINX's `service-weight` (relative weights: `new: 25, old: 75` is exactly 25%) and
/// `service-match`. With both, ACK forwards a request that does not match to the old
/// version and splits the matched ones by the weights
/// (https://www.alibabacloud.com/help/doc-detail/96470.htm). So a `matchedOnly` step sets
/// both with the step's weight; otherwise the match is set only while no weight has moved
/// yet (the matched requests then get the whole new share, so the pair reads `new: 100,
/// old: 0`; the rest stay on the old cluster), and a weight alone splits every request.
fn ack_annotations(
    spec: &Spec,
    service: &Service,
    share: Share,
    legacy: &str,
) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::new();
    let condition = spec.rollout.match_rule.as_ref().and_then(|m| {
        [
            ("header", &m.header),
            ("cookie", &m.cookie),
            ("query", &m.query),
        ]
        .into_iter()
        .find_map(|(kind, c)| c.as_ref().map(|c| (kind, c)))
    });
    let weight = match (share.weight, condition) {
        (w, Some((kind, condition))) if share.matched_only => {
            annotations.insert(
                "nginx.ingress.kubernetes.io/service-match".to_string(),
                format!(
                    "{}: {}",
                    service.name,
                    ack_match_expression(kind, condition)
                ),
            );
            w
        }
        (0, Some((kind, condition))) => {
            annotations.insert(
                "nginx.ingress.kubernetes.io/service-match".to_string(),
                format!(
                    "{}: {}",
                    service.name,
                    ack_match_expression(kind, condition)
                ),
            );
            100
        }
        (w, _) => w,
    };
    annotations.insert(
        "nginx.ingress.kubernetes.io/service-weight".to_string(),
        format!("{}: {weight}, {legacy}: {}", service.name, 100 - weight),
    );
    if share.mirror {
        annotations.extend(mirror_annotation(spec, service, share, Router::AckNginx));
    }
    annotations
}

/// `namespace/name` of the Gateway routes attach to.
fn gateway(spec: &Spec, default: (&str, &str)) -> (String, String) {
    let configured = spec
        .target
        .ingress_controller
        .as_ref()
        .and_then(|i| i.gateway.as_deref());
    match configured.and_then(|g| g.split_once('/')) {
        Some((namespace, name)) => (namespace.to_string(), name.to_string()),
        None => match configured {
            Some(name) => (spec.namespace().to_string(), name.to_string()),
            None => (default.0.to_string(), default.1.to_string()),
        },
    }
}

fn gateway_match(spec: &Spec) -> (Vec<HttpValueMatch>, Vec<HttpValueMatch>) {
    let mut headers = Vec::new();
    let mut queries = Vec::new();
    if let Some(rule) = &spec.rollout.match_rule {
        let value = |c: &MatchCondition| HttpValueMatch {
            kind: if c.pattern.is_some() {
                "RegularExpression"
            } else {
                "Exact"
            }
            .into(),
            name: c.name.clone(),
            value: c
                .value
                .clone()
                .or_else(|| c.pattern.clone())
                .unwrap_or_default(),
        };
        headers.extend(rule.header.as_ref().map(value));
        queries.extend(rule.query.as_ref().map(value));
    }
    (headers, queries)
}

/// An HTTPRoute for a service's hosts. With a traffic state, the path rule splits between
/// the legacy backend and the new service by weight (and mirrors), and a first rule sends
/// the matched requests to the new service.
fn http_route(
    spec: &Spec,
    service: &Service,
    hosts: &BTreeMap<String, Vec<String>>,
    metadata: ObjectMeta,
    state: Option<(Share, bool)>,
    legacy: Option<(&str, u16)>,
) -> HttpRoute {
    let (namespace, name) = gateway(spec, (spec.namespace(), "gateway"));
    let paths: Vec<&String> = hosts.values().flatten().collect();
    let path_matches =
        |headers: &[HttpValueMatch], queries: &[HttpValueMatch]| -> Vec<HttpRouteMatch> {
            paths
                .iter()
                .map(|path| HttpRouteMatch {
                    path: HttpPathMatch {
                        kind: "PathPrefix".into(),
                        value: path.to_string(),
                    },
                    headers: headers.to_vec(),
                    query_params: queries.to_vec(),
                })
                .collect()
        };
    let new_backend = |weight: Option<u32>| HttpBackendRef {
        name: service.name.clone(),
        namespace: None,
        port: service.port,
        weight,
    };
    let mut rules = Vec::new();
    match (state, legacy) {
        (Some((share, false)), Some((legacy, legacy_port))) => {
            let (headers, queries) = gateway_match(spec);
            let legacy_backend = |weight: Option<u32>| HttpBackendRef {
                name: legacy.to_string(),
                namespace: None,
                port: legacy_port,
                weight,
            };
            let matching = !headers.is_empty() || !queries.is_empty();
            if matching && share.matched_only {
                // The step's weight splits the matched requests; the rest stay on the old
                // cluster.
                rules.push(HttpRouteRule {
                    matches: path_matches(&headers, &queries),
                    filters: Vec::new(),
                    backend_refs: vec![
                        legacy_backend(Some(100 - share.weight)),
                        new_backend(Some(share.weight)),
                    ],
                });
                rules.push(HttpRouteRule {
                    matches: path_matches(&[], &[]),
                    filters: Vec::new(),
                    backend_refs: vec![legacy_backend(None)],
                });
                return HttpRoute::new(
                    metadata,
                    HttpRouteSpec {
                        parent_refs: vec![ParentReference {
                            name,
                            namespace: Some(namespace),
                        }],
                        hostnames: hosts.keys().cloned().collect(),
                        rules,
                    },
                );
            }
            if matching {
                rules.push(HttpRouteRule {
                    matches: path_matches(&headers, &queries),
                    filters: Vec::new(),
                    backend_refs: vec![new_backend(None)],
                });
            }
            let filters = if share.mirror {
                vec![HttpRouteFilter {
                    kind: "RequestMirror".into(),
                    request_mirror: RequestMirror {
                        backend_ref: new_backend(None),
                        percent: None,
                    },
                }]
            } else {
                Vec::new()
            };
            rules.push(HttpRouteRule {
                matches: path_matches(&[], &[]),
                filters,
                backend_refs: vec![
                    HttpBackendRef {
                        name: legacy.to_string(),
                        namespace: None,
                        port: legacy_port,
                        weight: Some(100 - share.weight),
                    },
                    new_backend(Some(share.weight)),
                ],
            });
        }
        _ => rules.push(HttpRouteRule {
            matches: path_matches(&[], &[]),
            filters: Vec::new(),
            backend_refs: vec![new_backend(None)],
        }),
    }
    HttpRoute::new(
        metadata,
        HttpRouteSpec {
            parent_refs: vec![ParentReference {
                name,
                namespace: Some(namespace),
            }],
            hostnames: hosts.keys().cloned().collect(),
            rules,
        },
    )
}

fn istio_match(
    spec: &Spec,
) -> (
    BTreeMap<String, IstioStringMatch>,
    BTreeMap<String, IstioStringMatch>,
) {
    let mut headers = BTreeMap::new();
    let mut queries = BTreeMap::new();
    let string = |c: &MatchCondition| IstioStringMatch {
        exact: c.value.clone(),
        regex: if c.value.is_none() {
            c.pattern.clone()
        } else {
            None
        },
        prefix: None,
    };
    if let Some(rule) = &spec.rollout.match_rule {
        if let Some(h) = &rule.header {
            headers.insert(h.name.to_ascii_lowercase(), string(h));
        }
        if let Some(q) = &rule.query {
            queries.insert(q.name.clone(), string(q));
        }
        if let Some(c) = &rule.cookie {
            // Istio matches cookies through the Cookie header.
            let value = c
                .value
                .as_ref()
                .map(|v| regex_escape(v))
                .or_else(|| c.pattern.clone())
                .unwrap_or_default();
            headers.insert(
                "cookie".into(),
                IstioStringMatch {
                    regex: Some(format!(
                        "(^|.*; ?){}=({value})(;.*)?$",
                        regex_escape(&c.name)
                    )),
                    ..IstioStringMatch::default()
                },
            );
        }
    }
    (headers, queries)
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Istio: one VirtualService per host (Istio does not order routes across VirtualServices of
/// one host), its routes an allow-list of the spec's paths, longest first so that `/api` is
/// matched before `/`. With a traffic state, each path splits between the legacy
/// ServiceEntry and the new service, mirrors, and sends matched requests to the new one.
fn virtual_services(
    spec: &Spec,
    hosts: &BTreeMap<String, Vec<(String, String)>>,
    state: Option<&TrafficState>,
) -> Vec<Manifest> {
    let (namespace, gateway_name) = gateway(spec, ("istio-system", "ingressgateway"));
    let (match_headers, match_queries) = istio_match(spec);
    let test = state.is_none();
    hosts
        .iter()
        .map(|(host, routes)| {
            let mut routes = routes.clone();
            routes.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.cmp(b)));
            routes.dedup();
            let mut http = Vec::new();
            for (path, name) in &routes {
                let Some(service) = spec.service(name) else {
                    continue;
                };
                let destination = |weight: Option<u32>| IstioRouteDestination {
                    destination: IstioDestination {
                        host: format!("{}.{}.svc.cluster.local", service.name, spec.namespace()),
                        port: IstioPort {
                            number: service.port,
                        },
                    },
                    weight,
                };
                let uri = IstioMatch {
                    uri: IstioStringMatch {
                        prefix: Some(path.clone()),
                        ..IstioStringMatch::default()
                    },
                    ..IstioMatch::default()
                };
                let share = state
                    .and_then(|s| s.services.get(name))
                    .copied()
                    .unwrap_or_default();
                let settled = state.is_none_or(|s| s.settled);
                let matching = !match_headers.is_empty() || !match_queries.is_empty();
                let legacy = legacy_of(spec, service);
                let legacy_destination = |weight: Option<u32>| IstioRouteDestination {
                    destination: IstioDestination {
                        host: legacy.istio_host(),
                        port: IstioPort {
                            number: legacy.port,
                        },
                    },
                    weight,
                };
                let split = || {
                    vec![
                        legacy_destination(Some(100 - share.weight)),
                        destination(Some(share.weight)),
                    ]
                };
                // A `matchedOnly` step splits the matched requests by its weight and keeps
                // the others on the old cluster.
                let matched_only = !settled && matching && share.matched_only;
                if !settled && matching {
                    http.push(IstioHttpRoute {
                        name: Some(format!("{}-match", service.name)),
                        matches: vec![IstioMatch {
                            headers: match_headers.clone(),
                            query_params: match_queries.clone(),
                            ..uri.clone()
                        }],
                        route: if matched_only {
                            split()
                        } else {
                            vec![destination(None)]
                        },
                        mirror: None,
                        mirror_percentage: None,
                    });
                }
                let route = if settled {
                    vec![destination(None)]
                } else if matched_only {
                    vec![legacy_destination(None)]
                } else {
                    split()
                };
                let mirror = (!settled && share.mirror).then(|| destination(None).destination);
                http.push(IstioHttpRoute {
                    name: Some(service.name.clone()),
                    matches: vec![uri],
                    route,
                    mirror_percentage: mirror.as_ref().map(|_| IstioPercent { value: 100.0 }),
                    mirror,
                });
            }
            if let Some(state) = state
                && catch_all_present(spec, state)
                && catch_all_hosts(spec).contains(host)
            {
                http.push(istio_catch_all_route(spec));
            }
            let object_name = host_object_name(host);
            let source = if test {
                "services[*].routes on target.testDomain"
            } else {
                "services[*].routes"
            };
            let vs = VirtualService::new(
                meta(spec, &object_name, true, source.into()),
                VirtualServiceSpec {
                    hosts: vec![host.clone()],
                    gateways: vec![format!("{namespace}/{gateway_name}")],
                    http,
                },
            );
            Manifest::new(&vs, &object_name)
        })
        .collect()
}

/// An object name for a host: `shop.example.com` → `shop-example-com`, `*.x` → `wildcard-x`.
pub fn host_object_name(host: &str) -> String {
    let mut name: String = host
        .replace("*.", "wildcard.")
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name.truncate(63);
    name.trim_matches('-').to_string()
}

/// Whether a phase drops the catch-all objects: `complete` under `unroutedPaths: new`.
fn drops_catch_all(spec: &Spec, phase: &Phase) -> bool {
    phase.kind == PhaseKind::Complete
        && catch_all_present(spec, &phase.before)
        && !catch_all_present(spec, &phase.after)
}

/// The catch-all objects as `(kubectl resource, name)`: Ingresses, Gateway API HTTPRoutes;
/// none for Istio (a route inside the host's VirtualService, which the folder re-applies).
fn catch_all_objects(spec: &Spec) -> Vec<(&'static str, String)> {
    let resource = match (
        spec.rollout.strategy,
        router(spec.rollout.strategy, spec.rollout.controller),
    ) {
        (Strategy::Istio, _) => return Vec::new(),
        (_, Router::GatewayApi) => "httproutes.gateway.networking.k8s.io",
        _ => "ingress.networking.k8s.io",
    };
    catch_all_hosts(spec)
        .iter()
        .map(|host| (resource, catch_all_name(host)))
        .collect()
}

/// The commands a traffic phase runs besides applying its folder, to delete the route
/// objects its state no longer has: the catch-all, at `complete` under `new`.
pub fn deletions(spec: &Spec, phase: &Phase) -> Vec<String> {
    if !drops_catch_all(spec, phase) {
        return Vec::new();
    }
    catch_all_objects(spec)
        .into_iter()
        .map(|(resource, name)| {
            Line::new("kubectl")
                .opt("-n", spec.namespace())
                .lit("delete")
                .arg(resource)
                .arg(name)
                .lit("--ignore-not-found")
                .build()
        })
        .collect()
}

/// The rollback's commands that re-create what [`deletions`] removed, where the rollback
/// folder is not applied already: dns-weights and client roll back `complete` in DNS, so
/// their catch-all comes back from `rollback/<complete>` here. (ingress-canary and istio
/// apply that folder anyway, and it holds the catch-all: nothing to add.)
pub fn restorations(spec: &Spec, phase: &Phase) -> Vec<String> {
    if !drops_catch_all(spec, phase) || plain_catch_all(spec).is_empty() {
        return Vec::new();
    }
    vec![
        Line::new("kubectl")
            .lit("apply")
            .opt(
                "-k",
                format!("manifests/{}", super::rollback_folder(&phase.id)),
            )
            .build(),
    ]
}

/// The controller's replicas, and with dedicated nodes the nodeSelector that keeps it there.
pub fn ingress_controller_patch(plan: &Plan) -> Option<Manifest> {
    let IngressControllerPlan {
        deployment,
        namespace,
        replicas,
        dedicated_nodes,
        container,
        tolerations,
        resources,
        ..
    } = plan.ingress_controller.as_ref()?;
    let containers: Vec<Container> = resources
        .iter()
        .map(|r| {
            // Requests equal limits: a Guaranteed pod, as ACK's high-load setup recommends.
            let list = BTreeMap::from([
                ("cpu".to_string(), Quantity(r.cpu.clone())),
                ("memory".to_string(), Quantity(r.memory.clone())),
            ]);
            Container {
                name: container.clone(),
                resources: Some(ResourceRequirements {
                    requests: Some(list.clone()),
                    limits: Some(list),
                    ..ResourceRequirements::default()
                }),
                ..Container::default()
            }
        })
        .collect();
    let template = (*dedicated_nodes > 0 || !containers.is_empty()).then(|| PatchTemplate {
        spec: PatchPodSpec {
            node_selector: if *dedicated_nodes > 0 {
                BTreeMap::from([(INGRESS_NODE_LABEL.to_string(), "true".to_string())])
            } else {
                BTreeMap::new()
            },
            tolerations: tolerations
                .iter()
                .map(|t| Toleration {
                    key: Some(t.key.clone()),
                    operator: Some("Equal".into()),
                    value: Some(t.value.clone()),
                    effect: Some(t.effect.to_string()),
                    ..Toleration::default()
                })
                .collect(),
            containers,
        },
    });
    let metadata = ObjectMeta {
        name: Some(deployment.clone()),
        namespace: Some(namespace.clone()),
        annotations: Some(BTreeMap::from([(
            super::SOURCE_ANNOTATION.to_string(),
            "target.ingressController".to_string(),
        )])),
        ..ObjectMeta::default()
    };
    let patch = DeploymentPatch::new(
        metadata,
        DeploymentPatchSpec {
            replicas: i32::try_from(*replicas).unwrap_or(i32::MAX),
            template,
        },
    );
    let mut manifest = Manifest::new(&patch, deployment);
    manifest.whole_object = false;
    Some(manifest)
}
