//! `rollout/l4`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::{PublishAt, root};
use crate::model::ports::l4_port;
use crate::model::{PublishVia, SourcePlatform};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::RolloutL4,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A wave member without routes (an L4 service) moves by the old SLB's weights: it is published `via: node-port` with a fixed port, names its old SLB (`legacy.address`) when the source is Swarm, and its wave has no mirror and no `matchedOnly` step.",
    rationale: "The old SLB's vServer group gets the new nodes at the NodePort, so the port must be known before the deploy; a Swarm service's published port is served by every node's routing mesh, so which SLB fronts it is not the HTTP entrypoint by default; an SLB copies no connections and reads no headers, so it can neither mirror nor match. A DNS switch of the service's own name is not planned yet.",
    bad: "{ name: broker, port: 5672, publish: { via: load-balancer } }  # in a wave",
    good: "{ name: broker, port: 5672, publish: { via: node-port, port: 30672 }, legacy: { address: 10.0.0.20 } }",
    source: "issue 15 (L4 services in waves); SLB API: TCP and UDP listeners take a vServer group (DescribeLoadBalancerUDPListenerAttribute.VServerGroupId)",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    for (w, wave) in spec.rollout.waves.iter().enumerate() {
        let at = root().rollout().waves().at(w);
        let mut members = Vec::new();
        for (m, name) in wave.services.iter().enumerate() {
            let Some((i, service)) = spec
                .services
                .iter()
                .enumerate()
                .find(|(_, s)| &s.name == name)
            else {
                continue;
            };
            let Some(port) = l4_port(service) else {
                continue;
            };
            members.push((m, name));
            let service_at = root().services().at(i);
            let publish: PublishAt = if port.source == format!("services[{name}].publish") {
                service_at.publish()
            } else {
                let j = service
                    .ports
                    .iter()
                    .position(|p| p.name == port.name)
                    .unwrap_or(0);
                service_at.ports().at(j).publish()
            };
            match (port.via, port.node_port) {
                (PublishVia::LoadBalancer, _) => out.push(
                    ctx.error(RULE.id, publish.via(), "a DNS switch", format!("`{name}` is an L4 wave member published through a load balancer of its own: it would move by switching its own DNS name, which cutover does not plan yet"))
                        .service(name)
                        .help("publish it `via: node-port` with a `port` from 30000 to 32767, so that the old SLB's weights move it step by step; or take it out of the waves, and it moves in one step with the deploy"),
                ),
                (PublishVia::NodePort, None) => out.push(
                    ctx.error(RULE.id, publish.clone(), "no fixed node port", format!("`{name}` moves by the old SLB's weights, which send to a NodePort the plan must know, but its `publish` leaves the port to Kubernetes"))
                        .service(name)
                        .help("set `port:` from 30000 to 32767 in its `publish`"),
                ),
                (PublishVia::NodePort, Some(_)) => {}
            }
            if spec.source.platform == SourcePlatform::Swarm
                && service.legacy.as_ref().and_then(|l| l.address).is_none()
            {
                out.push(
                    ctx.error(RULE.id, service_at.name(), "which old SLB?", format!("`{name}` moves at L4 from Swarm, but names no old SLB: Swarm's routing mesh serves its port on every node, so the HTTP entrypoint is not its SLB by default"))
                        .service(name)
                        .help("write `legacy: { address: <the SLB its clients use>, port: <its listener port> }`"),
                );
            }
        }
        let Some(&(m, first)) = members.first() else {
            continue;
        };
        if wave.mirror {
            out.push(
                ctx.error(RULE.id, at.mirror(), "mirror at L4", format!("wave `{}` mirrors, but `{first}` moves at L4: an SLB cannot copy connections", wave.name))
                    .label(ctx.span(at.services().at(m)), "an L4 service")
                    .help("move the L4 services in a wave of their own without `mirror`, or remove `mirror: true`"),
            );
        }
        for (s, step) in wave.steps.iter().enumerate() {
            if step.matched_only {
                out.push(
                    ctx.error(RULE.id, at.steps().at(s).matched_only(), "matched at L4", format!("wave `{}` has a `matchedOnly` step, but `{first}` moves at L4: an SLB sees connections, not the requests `rollout.match` reads", wave.name))
                        .label(ctx.span(at.services().at(m)), "an L4 service")
                        .help("move the L4 services in a wave of their own with plain weights"),
                );
            }
        }
    }
}
