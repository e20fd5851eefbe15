//! `workload/one-shot`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadOneShot,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A one-shot service (a Job) runs one replica, is not stateful, and has no routes and no published ports.",
    rationale: "A Job runs its pod to completion once and then nothing listens: a route or a published port would lead nowhere, a StatefulSet's identity and per-replica disks mean nothing to it, and its dependants wait for one completion.",
    bad: "{ name: db-migrate, oneShot: true, replicas: 3, routes: [{ host: shop.example, path: / }] }",
    good: "{ name: db-migrate, oneShot: true, replicas: 1 }",
    source: "issue 14 (compose `restart: \"no\"`, `service_completed_successfully`)",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        if !service.one_shot {
            continue;
        }
        let at = root().services().at(i);
        let name = &service.name;
        if service.replicas != 1 {
            out.push(
                ctx.error(
                    RULE.id,
                    at.replicas(),
                    "not 1",
                    format!(
                        "one-shot service `{name}` runs {} replicas; its Job runs once",
                        service.replicas
                    ),
                )
                .service(name)
                .help("write `replicas: 1`"),
            );
        }
        if service.stateful {
            out.push(
                ctx.error(RULE.id, at.stateful(), "stateful", format!("one-shot service `{name}` is stateful; a Job has no stable identity or per-replica disks"))
                    .service(name)
                    .help("remove `stateful: true`, or `oneShot: true` if the service keeps running"),
            );
        }
        if !service.routes.is_empty() {
            out.push(
                ctx.error(RULE.id, at.routes(), "routes to a Job", format!("one-shot service `{name}` has routes; nothing answers once its Job has completed"))
                    .service(name)
                    .help("remove the routes, or `oneShot: true` if the service keeps serving"),
            );
        }
        if service.publish.is_some() {
            out.push(
                ctx.error(RULE.id, at.publish(), "published Job", format!("one-shot service `{name}` publishes its port; nothing answers once its Job has completed"))
                    .service(name)
                    .help("remove `publish`"),
            );
        }
        for (j, port) in service.ports.iter().enumerate() {
            if port.publish.is_some() {
                out.push(
                    ctx.error(RULE.id, at.ports().at(j).publish(), "published Job", format!("one-shot service `{name}` publishes port `{}`; nothing answers once its Job has completed", port.name))
                        .service(name)
                        .help("remove `publish`"),
                );
            }
        }
    }
}
