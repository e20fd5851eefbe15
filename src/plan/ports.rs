//! The ports clients outside the cluster reach directly (not through an HTTP route): which
//! LoadBalancer and NodePort Services publish them. The manifests build those Services from
//! this, and the deploy runbook checks them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::ports::main_port_name;
use crate::model::{AddressType, Protocol, PublishVia, Service, Spec};

/// The ACK cloud controller manager's annotation for a LoadBalancer's address type
/// (`intranet` or `internet`).
pub const ADDRESS_TYPE_ANNOTATION: &str =
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type";

/// One Service that publishes ports of a service.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PublishedService {
    /// The Service's name (see [`published_name`]).
    pub name: String,
    /// The service whose pods it selects.
    pub service: String,
    pub via: PublishVia,
    /// For a LoadBalancer; `intranet` for a NodePort, where it means nothing.
    pub address: AddressType,
    pub protocol: Protocol,
    pub ports: Vec<PublishedPort>,
    /// The spec paths of its ports' `publish`, for the documents.
    pub source: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PublishedPort {
    /// The container port's name, which the Service targets.
    pub name: String,
    /// The Service port: for a LoadBalancer the port clients use (`publish.port`, default
    /// the container port); for a NodePort the container port.
    pub port: u16,
    /// For a NodePort: `publish.port` (none: Kubernetes picks one).
    pub node_port: Option<u16>,
}

/// The name of a publishing Service: `<service>-<intranet|internet>-<tcp|udp>` for a
/// LoadBalancer, `<service>-nodeport-<tcp|udp>` for a NodePort. One Service per protocol:
/// a LoadBalancer that mixes TCP and UDP needs Kubernetes' MixedProtocolLBService and a
/// cloud controller that supports it, which cutover does not assume.
pub fn published_name(
    service: &str,
    via: PublishVia,
    address: AddressType,
    protocol: Protocol,
) -> String {
    let kind: &str = match via {
        PublishVia::LoadBalancer => address.into(),
        PublishVia::NodePort => "nodeport",
    };
    let protocol: &str = protocol.into();
    format!("{service}-{kind}-{protocol}")
}

/// A service's publishing Services, one per kind, address type and protocol, sorted by
/// name; none for a one-shot service (a Job serves nothing).
pub fn published_of(service: &Service) -> Vec<PublishedService> {
    if service.one_shot {
        return Vec::new();
    }
    let main = std::iter::once((
        main_port_name(service).to_string(),
        service.port,
        service.protocol,
        service.publish.as_ref(),
    ));
    let extra = service
        .ports
        .iter()
        .map(|p| (p.name.clone(), p.port, p.protocol, p.publish.as_ref()));
    let mut groups: BTreeMap<String, PublishedService> = BTreeMap::new();
    for (name, port, protocol, publish) in main.chain(extra) {
        let Some(publish) = publish else { continue };
        let address = match publish.via {
            PublishVia::LoadBalancer => publish.address.unwrap_or_default(),
            PublishVia::NodePort => AddressType::default(),
        };
        let object_name = published_name(&service.name, publish.via, address, protocol);
        let group = groups
            .entry(object_name.clone())
            .or_insert_with(|| PublishedService {
                name: object_name,
                service: service.name.clone(),
                via: publish.via,
                address,
                protocol,
                ports: Vec::new(),
                source: String::new(),
            });
        let path = if main_port_name(service) == name && port == service.port {
            format!("services[{}].publish", service.name)
        } else {
            format!("services[{}].ports[{name}].publish", service.name)
        };
        if !group.source.is_empty() {
            group.source.push_str(", ");
        }
        group.source.push_str(&path);
        group.ports.push(match publish.via {
            PublishVia::LoadBalancer => PublishedPort {
                name,
                port: publish.port.unwrap_or(port),
                node_port: None,
            },
            PublishVia::NodePort => PublishedPort {
                name,
                port,
                node_port: publish.port,
            },
        });
    }
    groups.into_values().collect()
}

/// Every publishing Service of the spec, in service order.
pub fn published(spec: &Spec) -> Vec<PublishedService> {
    spec.services.iter().flat_map(published_of).collect()
}
