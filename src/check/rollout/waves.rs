//! `rollout/waves`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::Strategy;
use crate::model::path::root;
use crate::model::ports::l4_port;
use crate::rules::{Level, Rule, RuleId, Scope, Status};
use std::collections::BTreeMap;

pub static RULE: Rule = Rule {
    id: RuleId::RolloutWaves,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every routed service is in exactly one wave; waves name existing services that take traffic (routed, or L4: no routes and a published TCP/UDP port) and are not empty. With dns-weights and client, which move whole hosts, the services of one host share a wave.",
    rationale: "A routed service in no wave never moves; one in two waves moves twice; a service with neither routes nor a published port takes no traffic a wave could move; a DNS move cannot split one host between waves.",
    bad: "waves: [{ name: a, services: [gateway] }, { name: b, services: [gateway] }]",
    good: "waves: [{ name: a, services: [gateway] }, { name: b, services: [auth-service] }]",
    source: "003 §5",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let mut placed: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (w, wave) in spec.rollout.waves.iter().enumerate() {
        if wave.services.is_empty() {
            out.push(
                ctx.error(
                    RULE.id,
                    root().rollout().waves().at(w).services(),
                    "empty",
                    format!("wave `{}` moves no service", wave.name),
                )
                .help("name the routed services this wave moves, or remove the wave"),
            );
        }
        for (i, name) in wave.services.iter().enumerate() {
            let path = root().rollout().waves().at(w).services().at(i);
            match spec.service(name) {
                None => out.push(
                    ctx.error(RULE.id, &path, "no such service", format!("wave `{}` names `{name}`, which is not a service of this spec", wave.name))
                        .help(match crate::diagnostic::did_you_mean(name, spec.services.iter().map(|s| s.name.as_str())) {
                            Some(near) => format!("did you mean `{near}`?"),
                            None => "name a routed service of this spec".into(),
                        }),
                ),
                Some(service) if service.routes.is_empty() && l4_port(service).is_none() => out.push(
                    ctx.error(RULE.id, &path, "no routes, no L4 move", format!("`{name}` has no routes and publishes no port, so a wave has no traffic of it to move"))
                        .help(if service.one_shot {
                            "remove it from the wave: a one-shot service serves nothing".to_string()
                        } else {
                            "to move it at L4, publish its port where its clients reach it today (`publish: { via: node-port, port: 30000-32767 }`, with `legacy` naming the old SLB); otherwise remove it from the wave: services only the cluster reaches (caches, databases) move with the deploy phase".to_string()
                        }),
                ),
                Some(_) => {}
            }
            if let Some(&(pw, pi)) = placed.get(name.as_str()) {
                out.push(
                    ctx.error(
                        RULE.id,
                        &path,
                        "moved again here",
                        format!("`{name}` is in more than one wave"),
                    )
                    .label(
                        ctx.span(root().rollout().waves().at(pw).services().at(pi)),
                        "first moved here",
                    )
                    .help("move each service in exactly one wave"),
                );
            } else {
                placed.insert(name, (w, i));
            }
        }
    }
    for (i, service) in spec.services.iter().enumerate() {
        if !service.routes.is_empty() && !placed.contains_key(service.name.as_str()) {
            out.push(
                ctx.error(
                    RULE.id,
                    root().services().at(i).routes(),
                    "routed, in no wave",
                    format!(
                        "`{}` takes traffic but is in no wave, so its traffic never moves",
                        service.name
                    ),
                )
                .label(ctx.span(root().rollout().waves()), "the waves")
                .help(format!("add `{}` to a wave", service.name)),
            );
        }
    }
    // DNS and client-side moves switch whole hosts: the services of one host move together.
    if matches!(
        spec.rollout.strategy,
        Strategy::DnsWeights | Strategy::Client
    ) {
        let mut host_wave: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
        for service in &spec.services {
            let Some(&(w, _)) = placed.get(service.name.as_str()) else {
                continue;
            };
            for route in &service.routes {
                match host_wave.get(route.host.as_str()) {
                    Some(&(other, other_service)) if other != w => {
                        let i = spec.rollout.waves[w]
                            .services
                            .iter()
                            .position(|s| s == &service.name)
                            .unwrap_or(0);
                        out.push(
                            ctx.error(
                                RULE.id,
                                root().rollout().waves().at(w).services().at(i),
                                format!("host {}", route.host),
                                format!(
                                    "`{}` and `{other_service}` share the host `{}` but move in different waves; {} moves whole hosts",
                                    service.name,
                                    route.host,
                                    <&str>::from(spec.rollout.strategy)
                                ),
                            )
                            .label(ctx.span(root().rollout().waves().at(other).name()), "the other wave")
                            .help("put the services of one host in one wave, or use ingress-canary or istio to move services one by one"),
                        );
                    }
                    Some(_) => {}
                    None => {
                        host_wave.insert(&route.host, (w, &service.name));
                    }
                }
            }
        }
    }
}
