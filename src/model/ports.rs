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
    #[schemars(title = "Name", example = &"metrics")]
    pub name: String,
    /// The container port.
    #[schemars(title = "Port", example = 9090)]
    pub port: u16,
    /// `tcp` (default) or `udp`.
    #[serde(default)]
    #[schemars(title = "Protocol", example = &"udp")]
    pub protocol: Protocol,
    /// Clients outside the cluster reach this port directly: a LoadBalancer or NodePort
    /// Service.
    #[serde(default)]
    #[schemars(title = "Publish", example = serde_json::json!({"via": "node-port", "port": 30672}))]
    pub publish: Option<Publish>,
}

/// A port clients outside the cluster reach directly, not through an HTTP route.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Publish {
    /// `load-balancer` (a Service of type LoadBalancer: ACK creates an SLB/NLB for it) or
    /// `node-port` (every node's port).
    #[schemars(title = "Via", example = &"load-balancer")]
    pub via: PublishVia,
    /// The port clients use (default: the container port). For node-port, 30000-32767.
    #[serde(default)]
    #[schemars(title = "Port", example = 5672)]
    pub port: Option<u16>,
    /// load-balancer: `intranet` (default: reachable from the VPC only) or `internet`.
    #[serde(default)]
    #[schemars(title = "Address type", example = &"intranet")]
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

/// Where a service answers on the old cluster (default: `source.entrypoint`'s address and
/// port): the legacy backend a routed service's routes fall back to while it moves; for an L4
/// service in a wave (no routes, published `via: node-port`), the old SLB and its listener
/// whose vServer group gets the new nodes as backends.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LegacyBackend {
    /// Default: `source.entrypoint.address`. An L4 service: the old SLB its clients use.
    #[serde(default)]
    #[schemars(title = "Address", example = &"10.0.1.20")]
    pub address: Option<Address>,
    /// Default: `source.entrypoint.port` (a Swarm service's published port). An L4 service:
    /// the old SLB's listener port (default: the moving port's container port).
    #[serde(default)]
    #[schemars(title = "Port", example = 8080)]
    pub port: Option<u16>,
    /// An L4 service: how many old servers the listener's vServer group holds, so that
    /// per-server weights give each step its share (default: `source.entrypoint.backends`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Backend servers", example = 3)]
    pub backends: Option<u32>,
}

/// How an L4 service (TCP/UDP, no HTTP routes) moves in a wave: the port that moves and the
/// way its clients reach the new cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L4Port {
    /// The container port's name (`tcp`, `udp`, or the extra port's name).
    pub name: String,
    /// The container port.
    pub port: u16,
    pub protocol: Protocol,
    pub via: PublishVia,
    /// node-port: the fixed NodePort (`publish.port`), which the old SLB's vServer group
    /// sends to; none when the spec leaves it to Kubernetes (refused by `RuleId::RolloutL4`).
    pub node_port: Option<u16>,
    /// The spec path of the port's `publish`, for the documents.
    pub source: String,
}

/// The port an L4 service moves by: its main port when published, else its first published
/// extra port, a `node-port` one before a `load-balancer` one (the SLB move needs the node
/// port). None for a routed or one-shot service, or one that publishes nothing: it has no
/// L4 move.
pub fn l4_port(service: &Service) -> Option<L4Port> {
    if !service.routes.is_empty() || service.one_shot {
        return None;
    }
    let main = std::iter::once((
        main_port_name(service).to_string(),
        service.port,
        service.protocol,
        service.publish.as_ref(),
        format!("services[{}].publish", service.name),
    ));
    let extra = service.ports.iter().map(|p| {
        (
            p.name.clone(),
            p.port,
            p.protocol,
            p.publish.as_ref(),
            format!("services[{}].ports[{}].publish", service.name, p.name),
        )
    });
    let published: Vec<L4Port> = main
        .chain(extra)
        .filter_map(|(name, port, protocol, publish, source)| {
            let publish = publish?;
            Some(L4Port {
                name,
                port,
                protocol,
                via: publish.via,
                node_port: match publish.via {
                    PublishVia::NodePort => publish.port,
                    PublishVia::LoadBalancer => None,
                },
                source,
            })
        })
        .collect();
    let first = published.first().cloned()?;
    if first.via == PublishVia::NodePort {
        return Some(first);
    }
    Some(
        published
            .into_iter()
            .find(|p| p.via == PublishVia::NodePort)
            .unwrap_or(first),
    )
}

/// The services the waves move at L4 (in a wave, no routes, a published port), in the
/// spec's order, each with the port it moves by.
pub fn l4_members(spec: &super::Spec) -> Vec<(&Service, L4Port)> {
    // A set: a wave may hold thousands of services.
    let waved: std::collections::BTreeSet<&str> = spec
        .rollout
        .waves
        .iter()
        .flat_map(|w| w.services.iter().map(String::as_str))
        .collect();
    spec.services
        .iter()
        .filter(|s| waved.contains(s.name.as_str()))
        .filter_map(|s| l4_port(s).map(|p| (s, p)))
        .collect()
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
