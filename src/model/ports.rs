//! The ports a service listens on besides its main one, how clients outside the cluster reach
//! a port that is not an HTTP route, and where a routed service answers on the old cluster.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

use super::{Address, Service};

#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    Serialize,
    JsonSchema,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Protocol {
    #[default]
    Tcp,
    Udp,
}

impl Protocol {
    pub fn is_tcp(&self) -> bool {
        *self == Protocol::Tcp
    }

    /// As Kubernetes writes it: `TCP`, `UDP`.
    pub fn kubernetes(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }
}

/// Another port of a service: reached inside the cluster through the service's Service,
/// and from outside only when `publish` says so (never through an Ingress).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtraPort {
    /// An IANA service name for the port: lowercase letters, digits and `-`, at most 15.
    pub name: String,
    pub port: u16,
    /// `tcp` (default) or `udp`.
    #[serde(default)]
    pub protocol: Protocol,
    #[serde(default)]
    pub publish: Option<Publish>,
}

/// A port clients outside the cluster reach directly, not through an HTTP route.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Publish {
    /// `load-balancer` (a Service of type LoadBalancer: ACK creates an SLB/NLB for it) or
    /// `node-port` (every node's port).
    pub via: PublishVia,
    /// The port clients use (default: the container port). For node-port, 30000-32767.
    #[serde(default)]
    pub port: Option<u16>,
    /// load-balancer: `intranet` (default: reachable from the VPC only) or `internet`.
    #[serde(default)]
    pub address: Option<AddressType>,
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
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum PublishVia {
    LoadBalancer,
    NodePort,
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
pub enum AddressType {
    #[default]
    Intranet,
    Internet,
}

/// Where a routed service answers on the old cluster (default: `source.entrypoint`'s
/// address and port): the legacy backend its routes fall back to while it moves.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LegacyBackend {
    /// Default: `source.entrypoint.address`.
    #[serde(default)]
    pub address: Option<Address>,
    /// Default: `source.entrypoint.port` (a Swarm service's published port).
    #[serde(default)]
    pub port: Option<u16>,
}

/// The main port's name as the container and its Services name it: `udp` for a UDP port,
/// `http` when routes or an HTTP health check use it, else `tcp`.
pub fn main_port_name(service: &Service) -> &'static str {
    if service.protocol == Protocol::Udp {
        return "udp";
    }
    let http =
        !service.routes.is_empty() || service.health.as_ref().is_some_and(|h| h.path.is_some());
    if http { "http" } else { "tcp" }
}

/// The first NodePort handed to slb-weights services (ports follow the spec's order).
pub const FIRST_NODE_PORT: u16 = 30_080;

/// The NodePort of every routed service under slb-weights, in the spec's order: the plan
/// hands them out, and the node-port check keeps published node ports off them.
pub fn node_ports(spec: &super::Spec) -> BTreeMap<String, u16> {
    spec.services
        .iter()
        .filter(|s| !s.routes.is_empty())
        .enumerate()
        .map(|(i, s)| {
            let offset = u16::try_from(i).unwrap_or(u16::MAX);
            (s.name.clone(), FIRST_NODE_PORT.saturating_add(offset))
        })
        .collect()
}
