//! `network/node-port`: what it demands and why are in [`RULE`].

use std::collections::BTreeMap;

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::{PublishAt, root};
use crate::model::ports::node_ports;
use crate::model::{Protocol, PublishVia, Strategy};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkNodePort,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A `node-port` publish port is in Kubernetes' NodePort range 30000-32767 and is used once per protocol in the spec (slb-weights takes 30080 on for its routed services).",
    rationale: "The API server refuses a nodePort outside its range, and a second Service asking for a taken nodePort; the deploy would stop half applied.",
    bad: "publish: { via: node-port, port: 8125 }",
    good: "publish: { via: node-port, port: 30125 }",
    source: "Kubernetes Service API (service-node-port-range default)",
};

const RANGE: std::ops::RangeInclusive<u16> = 30000..=32767;

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let mut taken: BTreeMap<(u16, Protocol), PublishAt> = BTreeMap::new();
    // slb-weights' own NodePorts, by port.
    let slb: BTreeMap<u16, String> = if spec.rollout.strategy == Strategy::SlbWeights {
        node_ports(spec)
            .into_iter()
            .map(|(name, port)| (port, name))
            .collect()
    } else {
        BTreeMap::new()
    };
    for (i, service) in spec.services.iter().enumerate() {
        let at = root().services().at(i);
        let main = std::iter::once((at.publish(), service.publish.as_ref(), service.protocol));
        let extra = service
            .ports
            .iter()
            .enumerate()
            .map(|(j, p)| (at.ports().at(j).publish(), p.publish.as_ref(), p.protocol));
        for (path, publish, protocol) in main.chain(extra) {
            let Some(publish) = publish.filter(|p| p.via == PublishVia::NodePort) else {
                continue;
            };
            let Some(port) = publish.port else { continue };
            let name = &service.name;
            if !RANGE.contains(&port) {
                out.push(
                    ctx.error(RULE.id, path.port(), "outside 30000-32767", format!("service `{name}` asks for node port {port}, outside Kubernetes' NodePort range"))
                        .service(name)
                        .help("choose a port from 30000 to 32767, or publish through a load balancer (`via: load-balancer`, where `port` may be any)"),
                );
                continue;
            }
            if let Some(owner) = slb.get(&port).filter(|_| protocol == Protocol::Tcp) {
                out.push(
                    ctx.error(RULE.id, path.port(), "taken by slb-weights", format!("node port {port} of service `{name}` is the one slb-weights gives routed service `{owner}`"))
                        .service(name)
                        .help("choose another port from 30000 to 32767"),
                );
            }
            match taken.get(&(port, protocol)) {
                Some(first) => out.push(
                    ctx.error(
                        RULE.id,
                        path.port(),
                        "taken",
                        format!("node port {port} is asked for twice"),
                    )
                    .label(ctx.span(first.clone().port()), "first here")
                    .service(name)
                    .help("give each published port its own node port"),
                ),
                None => {
                    taken.insert((port, protocol), path.clone());
                }
            }
        }
    }
}
