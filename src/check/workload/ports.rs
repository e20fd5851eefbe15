//! `workload/ports`: what it demands and why are in [`RULE`].

use std::collections::BTreeMap;

use crate::check::Ctx;
use crate::check::grammar::is_iana_service_name;
use crate::diagnostic::Diagnostic;
use crate::model::Protocol;
use crate::model::path::root;
use crate::model::ports::main_port_name;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadPorts,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A service's ports are not 0 and have distinct names (IANA service names: lowercase letters, digits and `-`, at most 15, a letter among them, no `--` and no `-` at either end) and distinct numbers per protocol; `health.port` is one of its TCP ports.",
    rationale: "Kubernetes refuses a pod or Service with two ports of one name, or one number and protocol twice, and a port name that is not an IANA_SVC_NAME; a probe on a port the service does not declare fails and restarts the pod. The main port is named `http`, `tcp` or `udp`, so extra ports cannot take that name.",
    bad: "{ port: 8080, ports: [{ name: admin, port: 8080 }], health: { tcp: true, port: 9000 } }",
    good: "{ port: 8080, ports: [{ name: admin, port: 8081 }, { name: dns, port: 8081, protocol: udp }], health: { tcp: true, port: 8081 } }",
    source: "Kubernetes API validation (ContainerPort, ServicePort, IANA_SVC_NAME)",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        let at = root().services().at(i);
        let name = &service.name;
        let main_name = main_port_name(service);
        // Where each name and (number, protocol) was first declared: None is the main port.
        let mut names: BTreeMap<&str, Option<usize>> = BTreeMap::from([(main_name, None)]);
        let mut numbers: BTreeMap<(u16, Protocol), Option<usize>> =
            BTreeMap::from([((service.port, service.protocol), None)]);
        let first = |j: Option<usize>| match j {
            None => ctx.span(at.port()),
            Some(j) => ctx.span(at.ports().at(j)),
        };
        // Port 0 is no port: Kubernetes refuses it in a pod and a Service.
        let mut zero: Vec<crate::model::path::SpecPath> = Vec::new();
        if service.port == 0 {
            zero.push(at.port());
        }
        if service.publish.as_ref().and_then(|p| p.port) == Some(0) {
            zero.push(at.publish().port());
        }
        if service.legacy.as_ref().and_then(|l| l.port) == Some(0) {
            zero.push(at.legacy().port());
        }
        for (j, port) in service.ports.iter().enumerate() {
            if port.port == 0 {
                zero.push(at.ports().at(j).port());
            }
            if port.publish.as_ref().and_then(|p| p.port) == Some(0) {
                zero.push(at.ports().at(j).publish().port());
            }
        }
        for path in zero {
            out.push(
                ctx.error(
                    RULE.id,
                    path,
                    "port 0",
                    format!("service `{name}` has port 0, which is no port"),
                )
                .service(name)
                .help("write the port number the service listens on (1-65535)"),
            );
        }
        for (j, port) in service.ports.iter().enumerate() {
            let here = at.ports().at(j);
            if !is_iana_service_name(&port.name) {
                out.push(
                    ctx.error(RULE.id, here.name(), "not an IANA service name", format!("port name `{}` of service `{name}` is not a valid port name", port.name))
                        .service(name)
                        .help("use at most 15 lowercase letters, digits and `-`, with a letter, such as `metrics` or `admin-9000`"),
                );
            }
            match names.get(port.name.as_str()) {
                Some(&previous) => out.push(
                    ctx.error(
                        RULE.id,
                        here.name(),
                        "name taken",
                        format!("service `{name}` has two ports named `{}`", port.name),
                    )
                    .label(
                        first(previous),
                        if previous.is_none() {
                            "the main port's name"
                        } else {
                            "first here"
                        },
                    )
                    .service(name)
                    .help(format!("rename one (the main port is `{main_name}`)")),
                ),
                None => {
                    names.insert(&port.name, Some(j));
                }
            }
            match numbers.get(&(port.port, port.protocol)) {
                Some(&previous) => {
                    let protocol: &str = port.protocol.into();
                    out.push(
                        ctx.error(RULE.id, here.port(), "number taken", format!("service `{name}` declares {protocol} port {} twice", port.port))
                            .label(first(previous), "first here")
                            .service(name)
                            .help("remove the repeat; one number may be declared once for tcp and once for udp"),
                    )
                }
                None => {
                    numbers.insert((port.port, port.protocol), Some(j));
                }
            }
        }
        if let Some(port) = service.health.as_ref().and_then(|h| h.port) {
            let declared = numbers.contains_key(&(port, Protocol::Tcp));
            if !declared {
                out.push(
                    ctx.error(RULE.id, at.health().port(), "not a TCP port of the service", format!("the health check of service `{name}` probes port {port}, which the service does not declare as a TCP port"))
                        .service(name)
                        .help("add the port under `ports` (`{ name: health, port: N }`), or probe the main port"),
                );
            }
        }
    }
}
