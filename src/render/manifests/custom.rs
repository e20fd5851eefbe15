//! Kinds k8s-openapi does not carry, as typed structs with the published field names:
//! Gateway API `HTTPRoute` (gateway.networking.k8s.io/v1) and Istio `VirtualService`
//! (networking.istio.io/v1), and the strategic-merge patch for the ingress controller.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use super::Kind;

/// A custom resource: apiVersion and kind come from `K`, so they cannot be misspelt.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CustomResource<S> {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: S,
}

impl<S> CustomResource<S>
where
    CustomResource<S>: Kind,
{
    pub fn new(metadata: ObjectMeta, spec: S) -> Self {
        CustomResource {
            api_version: Self::api_version().to_string(),
            kind: Self::kind().to_string(),
            metadata,
            spec,
        }
    }
}

// ---- Gateway API

pub type HttpRoute = CustomResource<HttpRouteSpec>;

impl Kind for HttpRoute {
    fn api_version() -> &'static str {
        "gateway.networking.k8s.io/v1"
    }
    fn kind() -> &'static str {
        "HTTPRoute"
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteSpec {
    pub parent_refs: Vec<ParentReference>,
    pub hostnames: Vec<String>,
    pub rules: Vec<HttpRouteRule>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ParentReference {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteRule {
    pub matches: Vec<HttpRouteMatch>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub filters: Vec<HttpRouteFilter>,
    pub backend_refs: Vec<HttpBackendRef>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteMatch {
    pub path: HttpPathMatch,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub headers: Vec<HttpValueMatch>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub query_params: Vec<HttpValueMatch>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HttpPathMatch {
    /// `PathPrefix` or `Exact`.
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HttpValueMatch {
    /// `Exact` or `RegularExpression`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteFilter {
    /// `RequestMirror`.
    #[serde(rename = "type")]
    pub kind: String,
    pub request_mirror: RequestMirror,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RequestMirror {
    pub backend_ref: HttpBackendRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<u32>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HttpBackendRef {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
}

// ---- Istio

pub type VirtualService = CustomResource<VirtualServiceSpec>;

impl Kind for VirtualService {
    fn api_version() -> &'static str {
        "networking.istio.io/v1"
    }
    fn kind() -> &'static str {
        "VirtualService"
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VirtualServiceSpec {
    pub hosts: Vec<String>,
    pub gateways: Vec<String>,
    pub http: Vec<IstioHttpRoute>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IstioHttpRoute {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Empty for the catch-all: a route with no match takes every request that reaches it.
    #[serde(rename = "match", skip_serializing_if = "Vec::is_empty", default)]
    pub matches: Vec<IstioMatch>,
    pub route: Vec<IstioRouteDestination>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirror: Option<IstioDestination>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirror_percentage: Option<IstioPercent>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IstioMatch {
    pub uri: IstioStringMatch,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub headers: BTreeMap<String, IstioStringMatch>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub query_params: BTreeMap<String, IstioStringMatch>,
}

/// Exactly one of the fields is set.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IstioStringMatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IstioRouteDestination {
    pub destination: IstioDestination,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IstioDestination {
    pub host: String,
    pub port: IstioPort,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IstioPort {
    pub number: u16,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IstioPercent {
    pub value: f64,
}

// ---- The ingress controller's HA patch (strategic merge, applied with kubectl patch)

pub type DeploymentPatch = CustomResource<DeploymentPatchSpec>;

impl Kind for DeploymentPatch {
    fn api_version() -> &'static str {
        "apps/v1"
    }
    fn kind() -> &'static str {
        "Deployment"
    }
}

/// Only the fields the patch changes: a full DeploymentSpec would reset the selector.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentPatchSpec {
    pub replicas: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<PatchTemplate>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PatchTemplate {
    pub spec: PatchPodSpec,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PatchPodSpec {
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub node_selector: BTreeMap<String, String>,
    /// Left out when empty: an empty list would clear the controller's own tolerations.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tolerations: Vec<Toleration>,
    /// The controller's container by name (the strategic merge key), with its resources.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub containers: Vec<Container>,
}

// ---- Istio: the legacy backend outside the mesh

pub type ServiceEntry = CustomResource<ServiceEntrySpec>;

impl Kind for ServiceEntry {
    fn api_version() -> &'static str {
        "networking.istio.io/v1"
    }
    fn kind() -> &'static str {
        "ServiceEntry"
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEntrySpec {
    pub hosts: Vec<String>,
    pub ports: Vec<IstioServicePort>,
    /// `MESH_EXTERNAL`.
    pub location: String,
    /// `STATIC`: the endpoints' addresses are given.
    pub resolution: String,
    pub endpoints: Vec<IstioWorkloadEntry>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IstioServicePort {
    pub number: u16,
    pub name: String,
    pub protocol: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IstioWorkloadEntry {
    pub address: String,
}

pub type DestinationRule = CustomResource<DestinationRuleSpec>;

impl Kind for DestinationRule {
    fn api_version() -> &'static str {
        "networking.istio.io/v1"
    }
    fn kind() -> &'static str {
        "DestinationRule"
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DestinationRuleSpec {
    pub host: String,
    pub traffic_policy: TrafficPolicy,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TrafficPolicy {
    pub tls: ClientTls,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClientTls {
    /// `DISABLE`: the old entrypoint speaks plain HTTP.
    pub mode: String,
}
