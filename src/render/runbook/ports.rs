//! The deploy phase's check of published ports: the address each LoadBalancer Service got,
//! and that every published port answers from outside the cluster.

use super::commands::kubectl_in;
use super::{Role, Step, code, step};
use crate::model::{Protocol, PublishVia, Spec};
use crate::plan::ports::published as published_services;
use crate::shell::Line;

/// One step per publishing Service: read its address, then probe each port from a machine
/// outside the cluster (`nc -z`, or `nc -zu` for UDP, which only shows that nothing refused
/// the datagram).
pub(super) fn published(spec: &Spec) -> Vec<Step> {
    let ns = spec.namespace();
    published_services(spec)
        .into_iter()
        .map(|published| {
            let udp = published.protocol == Protocol::Udp;
            let nc = if udp { "nc -zu -w 3" } else { "nc -z -w 3" };
            let list = published
                .ports
                .iter()
                .map(|p| match (published.via, p.node_port) {
                    (PublishVia::NodePort, Some(n)) => code(n.to_string()),
                    (PublishVia::NodePort, None) => code(&p.name),
                    (PublishVia::LoadBalancer, _) => code(p.port.to_string()),
                })
                .collect::<Vec<_>>()
                .join(", ");
            let (address_var, address_of, detail) = match published.via {
                PublishVia::LoadBalancer => {
                    let address: &str = published.address.into();
                    (
                        "LB_ADDRESS",
                        kubectl_in(ns)
                            .lit("get service")
                            .arg(&published.name)
                            .arg("-o")
                            .arg("jsonpath={.status.loadBalancer.ingress[0].ip}"),
                        format!(
                            "A LoadBalancer Service: ACK creates an {address} load balancer for it (the address may take a minute). Run the checks from where its clients are."
                        ),
                    )
                }
                PublishVia::NodePort => (
                    "NODE_ADDRESS",
                    Line::new("kubectl")
                        .lit("get nodes")
                        .arg("-o")
                        .arg("jsonpath={.items[0].status.addresses[?(@.type==\"InternalIP\")].address}"),
                    "A NodePort Service: every node answers on the port. Run the checks from where its clients are.".to_string(),
                ),
            };
            let mut commands = vec![
                kubectl_in(ns)
                    .lit("get service")
                    .arg(&published.name)
                    .lit("-o wide")
                    .build(),
                Line::assign(address_var, address_of).build(),
            ];
            for port in &published.ports {
                let check = Line::new(nc).var(address_var);
                let check = match (published.via, port.node_port) {
                    (PublishVia::LoadBalancer, _) => check.arg(port.port.to_string()),
                    (PublishVia::NodePort, Some(node_port)) => check.arg(node_port.to_string()),
                    (PublishVia::NodePort, None) => {
                        // Kubernetes picked the node port: read it.
                        commands.push(
                            Line::assign(
                                "NODE_PORT",
                                kubectl_in(ns)
                                    .lit("get service")
                                    .arg(&published.name)
                                    .arg("-o")
                                    .arg(format!(
                                        "jsonpath={{.spec.ports[?(@.name==\"{}\")].nodePort}}",
                                        port.name
                                    )),
                            )
                            .build(),
                        );
                        check.var("NODE_PORT")
                    }
                };
                commands.push(check.build());
            }
            let protocol: &str = published.protocol.into();
            step(
                Role::Operations,
                format!(
                    "Check the published {} port(s) {list} of {}",
                    protocol.to_ascii_uppercase(),
                    code(&published.service)
                ),
                published.source.clone(),
            )
            .detail(detail)
            .commands(commands)
            .expect(match (published.via, udp) {
                (PublishVia::LoadBalancer, true) => "the Service has an address; `nc -zu` reports no error (UDP has no handshake: check the service's own logs or metrics for the datagrams)",
                (PublishVia::LoadBalancer, false) => "the Service has an address; `nc -z` reports the port open",
                (PublishVia::NodePort, true) => "`nc -zu` reports no error (UDP has no handshake: check the service's own logs or metrics for the datagrams)",
                (PublishVia::NodePort, false) => "`nc -z` reports the port open",
            })
        })
        .collect()
}
