//! `workload/udp-port`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::Protocol;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadUdpPort,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A service whose main port is UDP has no HTTP routes, and its health check names a TCP port (`health.port`).",
    rationale: "Routes are HTTP, and Kubernetes probes are HTTP or TCP: neither reaches a UDP port, so the routes would lead nowhere and the probes would fail or be dropped. Clients reach a UDP port through `publish` (a LoadBalancer or NodePort Service).",
    bad: "{ port: 8125, protocol: udp, health: { tcp: true }, routes: [{ host: metrics.example, path: / }] }",
    good: "{ port: 8125, protocol: udp, publish: { via: load-balancer }, ports: [{ name: admin, port: 8126 }], health: { tcp: true, port: 8126 } }",
    source: "issue 14 (compose `protocol: udp`)",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        if service.protocol != Protocol::Udp {
            continue;
        }
        let at = root().services().at(i);
        let name = &service.name;
        if !service.routes.is_empty() {
            out.push(
                ctx.error(RULE.id, at.routes(), "HTTP to a UDP port", format!("service `{name}` listens on UDP port {}, which an HTTP route cannot reach", service.port))
                    .service(name)
                    .help("remove the routes and publish the port (`publish: { via: load-balancer }`), or route to a TCP port of another service"),
            );
        }
        let Some(health) = &service.health else {
            continue;
        };
        let probes_main = health.port.is_none_or(|p| p == service.port);
        if probes_main && (health.path.is_some() || health.tcp == Some(true)) {
            out.push(
                ctx.error(RULE.id, at.health(), "probes a UDP port", format!("service `{name}`'s health check would probe UDP port {}; probes are HTTP or TCP", service.port))
                    .service(name)
                    .help("name a TCP port of the service in `health.port` (add it under `ports`), or remove `health`"),
            );
        }
    }
}
