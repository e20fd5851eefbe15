//! `ingress/public-port`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::model::{AddressType, PublishVia};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::IngressPublicPort,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "No internet load balancer for a port that databases, caches, brokers and search engines listen on (MySQL, PostgreSQL, Redis, MongoDB, Elasticsearch, RabbitMQ, Kafka, ...).",
    rationale: "Compose files publish such ports for convenience on one host; on an internet-facing SLB the data store answers the whole internet. Inside the cluster the service's ClusterIP Service already serves it; from the VPC an intranet load balancer does.",
    bad: "{ name: db, port: 5432, publish: { via: load-balancer, address: internet } }",
    good: "{ name: db, port: 5432, publish: { via: load-balancer, address: intranet } }",
    source: "issue 14 (every published port became public)",
};

/// Ports data stores listen on by default.
const DATA_PORTS: &[(u16, &str)] = &[
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (2181, "ZooKeeper"),
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (5672, "AMQP (RabbitMQ)"),
    (6379, "Redis"),
    (9042, "Cassandra"),
    (9092, "Kafka"),
    (9200, "Elasticsearch"),
    (9300, "Elasticsearch transport"),
    (11211, "Memcached"),
    (15672, "RabbitMQ management"),
    (27017, "MongoDB"),
];

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        let at = root().services().at(i);
        let main = std::iter::once((at.publish(), service.publish.as_ref(), service.port));
        let extra = service
            .ports
            .iter()
            .enumerate()
            .map(|(j, p)| (at.ports().at(j).publish(), p.publish.as_ref(), p.port));
        for (path, publish, port) in main.chain(extra) {
            let Some(publish) = publish else { continue };
            if publish.via != PublishVia::LoadBalancer
                || publish.address != Some(AddressType::Internet)
            {
                continue;
            }
            let Some((_, what)) = DATA_PORTS.iter().find(|(p, _)| *p == port) else {
                continue;
            };
            let name = &service.name;
            out.push(
                ctx.warning(RULE.id, path.address(), "on the internet", format!("service `{name}` publishes port {port} ({what}) on an internet load balancer"))
                    .service(name)
                    .help("write `address: intranet` (reachable from the VPC only), or remove `publish` if only the cluster's services use it; accept it with `allow: [ingress/public-port]` if it must be public"),
            );
        }
    }
}
