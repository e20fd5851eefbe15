//! Routes for every routed service, on its production hosts and on the target's test
//! domain: Ingress (nginx, ack-nginx, alb), HTTPRoute (gateway-api) or VirtualService
//! (istio); and the ingress controller's HA patch.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::custom::{
    DeploymentPatch, DeploymentPatchSpec, HttpBackendRef, HttpPathMatch, HttpRoute, HttpRouteMatch,
    HttpRouteRule, HttpRouteSpec, IstioDestination, IstioHttpRoute, IstioMatch, IstioPort,
    IstioRouteDestination, IstioStringMatch, ParentReference, PatchPodSpec, PatchTemplate,
    VirtualService, VirtualServiceSpec,
};
use super::{Manifest, meta};
use crate::model::{Controller, Service, Spec, Strategy};
use crate::plan::Plan;
use crate::plan::ingress::{INGRESS_NODE_LABEL, IngressControllerPlan};

/// How the new cluster routes HTTP: decided by the strategy and its controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Router {
    /// An Ingress of this class.
    Ingress(&'static str),
    GatewayApi,
    Istio,
}

pub fn router(spec: &Spec) -> Router {
    match (spec.rollout.strategy, spec.rollout.controller) {
        (Strategy::Istio, _) => Router::Istio,
        (_, Some(Controller::GatewayApi)) => Router::GatewayApi,
        (_, Some(Controller::Alb)) => Router::Ingress("alb"),
        _ => Router::Ingress("nginx"),
    }
}

/// A route object's hosts and paths: a service's production hosts, or the test domain.
struct Target<'a> {
    name: String,
    /// host → paths, in a stable order.
    hosts: BTreeMap<String, Vec<&'a str>>,
    source: String,
}

fn targets<'a>(spec: &Spec, service: &'a Service) -> Vec<Target<'a>> {
    let source = format!("services[{}].routes", service.name);
    let mut production: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for route in &service.routes {
        production
            .entry(route.host.clone())
            .or_default()
            .push(route.path.as_str());
    }
    let mut out = vec![Target {
        name: service.name.clone(),
        hosts: production,
        source: source.clone(),
    }];
    if let Some(test) = &spec.target.test_domain {
        let paths: Vec<&str> = service.routes.iter().map(|r| r.path.as_str()).collect();
        out.push(Target {
            name: format!("{}-test", service.name),
            hosts: BTreeMap::from([(test.clone(), paths)]),
            source: format!("{source} on target.testDomain"),
        });
    }
    for target in &mut out {
        for paths in target.hosts.values_mut() {
            paths.sort_unstable();
            paths.dedup();
        }
    }
    out
}

pub fn objects(spec: &Spec) -> Vec<Manifest> {
    let router = router(spec);
    if router == Router::Istio {
        return virtual_services(spec);
    }
    let mut out = Vec::new();
    for service in spec.services.iter().filter(|s| !s.routes.is_empty()) {
        for target in targets(spec, service) {
            let metadata = meta(spec, &target.name, true, target.source.clone());
            out.push(match router {
                Router::Ingress(class) => {
                    Manifest::new(&ingress(service, &target, metadata, class), &target.name)
                }
                // Istio returned above: its routes are built per host.
                Router::GatewayApi | Router::Istio => {
                    Manifest::new(&http_route(spec, service, &target, metadata), &target.name)
                }
            });
        }
    }
    out
}

fn ingress(service: &Service, target: &Target, metadata: ObjectMeta, class: &str) -> Ingress {
    let rules = target
        .hosts
        .iter()
        .map(|(host, paths)| IngressRule {
            host: Some(host.clone()),
            http: Some(HTTPIngressRuleValue {
                paths: paths
                    .iter()
                    .map(|path| HTTPIngressPath {
                        path: Some(path.to_string()),
                        path_type: "Prefix".into(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: service.name.clone(),
                                port: Some(ServiceBackendPort {
                                    number: Some(i32::from(service.port)),
                                    ..ServiceBackendPort::default()
                                }),
                            }),
                            ..IngressBackend::default()
                        },
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

fn http_route(spec: &Spec, service: &Service, target: &Target, metadata: ObjectMeta) -> HttpRoute {
    let (namespace, name) = gateway(spec, (spec.namespace(), "gateway"));
    let paths: Vec<&str> = target.hosts.values().flatten().copied().collect();
    HttpRoute::new(
        metadata,
        HttpRouteSpec {
            parent_refs: vec![ParentReference {
                name,
                namespace: Some(namespace),
            }],
            hostnames: target.hosts.keys().cloned().collect(),
            rules: vec![HttpRouteRule {
                matches: paths
                    .iter()
                    .map(|path| HttpRouteMatch {
                        path: HttpPathMatch {
                            kind: "PathPrefix".into(),
                            value: path.to_string(),
                        },
                        ..HttpRouteMatch::default()
                    })
                    .collect(),
                filters: Vec::new(),
                backend_refs: vec![HttpBackendRef {
                    name: service.name.clone(),
                    namespace: None,
                    port: service.port,
                    weight: None,
                }],
            }],
        },
    )
}

/// Istio: one VirtualService per host (Istio does not order routes across VirtualServices
/// of one host), its routes an allow-list of the spec's paths, longest first so that `/api`
/// is matched before `/`.
fn virtual_services(spec: &Spec) -> Vec<Manifest> {
    let (namespace, name) = gateway(spec, ("istio-system", "ingressgateway"));
    // host → (path, service), and which spec paths each host comes from
    let mut hosts: BTreeMap<String, Vec<(&str, &Service)>> = BTreeMap::new();
    let mut sources: BTreeMap<String, String> = BTreeMap::new();
    for service in &spec.services {
        for route in &service.routes {
            hosts
                .entry(route.host.clone())
                .or_default()
                .push((&route.path, service));
            sources
                .entry(route.host.clone())
                .or_insert_with(|| "services[*].routes".into());
            if let Some(test) = &spec.target.test_domain {
                hosts
                    .entry(test.clone())
                    .or_default()
                    .push((&route.path, service));
                sources
                    .entry(test.clone())
                    .or_insert_with(|| "services[*].routes on target.testDomain".into());
            }
        }
    }
    hosts
        .into_iter()
        .map(|(host, mut routes)| {
            routes.sort_by(|a, b| {
                b.0.len()
                    .cmp(&a.0.len())
                    .then(a.0.cmp(b.0))
                    .then(a.1.name.cmp(&b.1.name))
            });
            routes.dedup_by(|a, b| a.0 == b.0 && a.1.name == b.1.name);
            let object_name = host_object_name(&host);
            let http = routes
                .iter()
                .map(|(path, service)| IstioHttpRoute {
                    name: Some(service.name.clone()),
                    matches: vec![IstioMatch {
                        uri: IstioStringMatch {
                            prefix: Some(path.to_string()),
                            ..IstioStringMatch::default()
                        },
                        ..IstioMatch::default()
                    }],
                    route: vec![IstioRouteDestination {
                        destination: IstioDestination {
                            host: format!(
                                "{}.{}.svc.cluster.local",
                                service.name,
                                spec.namespace()
                            ),
                            port: IstioPort {
                                number: service.port,
                            },
                        },
                        weight: None,
                    }],
                    mirror: None,
                    mirror_percentage: None,
                })
                .collect();
            let metadata = meta(spec, &object_name, true, sources[&host].clone());
            let vs = VirtualService::new(
                metadata,
                VirtualServiceSpec {
                    hosts: vec![host],
                    gateways: vec![format!("{namespace}/{name}")],
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

/// The controller's replicas, and with dedicated nodes the nodeSelector that keeps it there.
pub fn ingress_controller_patch(plan: &Plan) -> Option<Manifest> {
    let IngressControllerPlan {
        deployment,
        namespace,
        replicas,
        dedicated_nodes,
        ..
    } = plan.ingress_controller.as_ref()?;
    let template = (*dedicated_nodes > 0).then(|| PatchTemplate {
        spec: PatchPodSpec {
            node_selector: BTreeMap::from([(INGRESS_NODE_LABEL.to_string(), "true".to_string())]),
            tolerations: Vec::new(),
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
