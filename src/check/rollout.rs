//! Rollout rules (003 §4.1, §4.2, §5; seed 002): waves and steps that end with all traffic
//! on the new cluster, matches and mirrors the controller can express, and data that stays
//! consistent while traffic is split.

use std::collections::BTreeMap;

use super::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::{Controller, MatchCondition, Strategy, SyncMode};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    steps(ctx, out);
    waves(ctx, out);
    match_support(ctx, out);
    mirrors(ctx, out);
    split_writes(ctx, out);
    if ctx.spec.rollout.strategy == Strategy::IngressCanary
        && ctx.spec.rollout.controller == Some(Controller::AckNginx)
    {
        out.push(
            ctx.warning(
                "rollout/ack-service-match",
                "rollout.controller",
                "service-match / service-weight",
                "ACK's service-match and service-weight annotations are gone from its NGINX Ingress controller v1.12 on",
            )
            .help("pin the controller below v1.12 for the whole migration, or use `controller: nginx` (canary-* annotations)"),
        );
    }
}

fn steps(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (w, wave) in ctx.spec.rollout.waves.iter().enumerate() {
        let at = |field: &str| format!("rollout.waves[{w}].{field}");
        if wave.steps.is_empty() {
            out.push(
                ctx.error(
                    "rollout/steps",
                    &at("name"),
                    "no steps",
                    format!("wave `{}` has no steps", wave.name),
                )
                .help("add steps that end at `{ weight: 100, hold: ... }`"),
            );
            continue;
        }
        let mut previous: Option<(usize, u32)> = None;
        for (s, step) in wave.steps.iter().enumerate() {
            let here = at(&format!("steps[{s}].weight"));
            if step.weight > 100 {
                out.push(
                    ctx.error(
                        "rollout/steps",
                        &here,
                        "over 100",
                        format!("wave `{}`: weight {} is over 100", wave.name, step.weight),
                    )
                    .help(
                        "a weight is the share of the wave's traffic on the new cluster, 0 to 100",
                    ),
                );
            }
            if let Some((p, weight)) = previous
                && step.weight <= weight
            {
                out.push(
                    ctx.error(
                        "rollout/steps",
                        &here,
                        format!("{} after {weight}", step.weight),
                        format!("wave `{}`: weights must rise at every step, but {} follows {weight}", wave.name, step.weight),
                    )
                    .label(ctx.span(&at(&format!("steps[{p}].weight"))), "the step before")
                    .help("order the steps by rising weight; to undo a step, use its rollback instead"),
                );
            }
            previous = Some((s, step.weight));
        }
        let last = wave.steps.len() - 1;
        if wave.steps[last].weight != 100 {
            out.push(
                ctx.error(
                    "rollout/steps",
                    &at(&format!("steps[{last}].weight")),
                    "the last step",
                    format!(
                        "wave `{}` ends at {}%: its traffic would stay split for good",
                        wave.name, wave.steps[last].weight
                    ),
                )
                .help("end every wave with `{ weight: 100, hold: ... }`"),
            );
        }
    }
}

fn waves(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let mut placed: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (w, wave) in spec.rollout.waves.iter().enumerate() {
        if wave.services.is_empty() {
            out.push(
                ctx.error(
                    "rollout/waves",
                    &format!("rollout.waves[{w}].services"),
                    "empty",
                    format!("wave `{}` moves no service", wave.name),
                )
                .help("name the routed services this wave moves, or remove the wave"),
            );
        }
        for (i, name) in wave.services.iter().enumerate() {
            let path = format!("rollout.waves[{w}].services[{i}]");
            match spec.service(name) {
                None => out.push(
                    ctx.error("rollout/waves", &path, "no such service", format!("wave `{}` names `{name}`, which is not a service of this spec", wave.name))
                        .help(match crate::diagnostic::did_you_mean(name, spec.services.iter().map(|s| s.name.as_str())) {
                            Some(near) => format!("did you mean `{near}`?"),
                            None => "name a routed service of this spec".into(),
                        }),
                ),
                Some(service) if service.routes.is_empty() => out.push(
                    ctx.error("rollout/waves", &path, "no routes", format!("`{name}` has no routes, so it takes no traffic to move"))
                        .help("remove it from the wave: services without routes (caches, databases) move with the deploy phase"),
                ),
                Some(_) => {}
            }
            if let Some(&(pw, pi)) = placed.get(name.as_str()) {
                out.push(
                    ctx.error(
                        "rollout/waves",
                        &path,
                        "moved again here",
                        format!("`{name}` is in more than one wave"),
                    )
                    .label(
                        ctx.span(&format!("rollout.waves[{pw}].services[{pi}]")),
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
                    "rollout/waves",
                    &format!("services[{i}].routes"),
                    "routed, in no wave",
                    format!(
                        "`{}` takes traffic but is in no wave, so its traffic never moves",
                        service.name
                    ),
                )
                .label(ctx.span("rollout.waves"), "the waves")
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
                                "rollout/waves",
                                &format!("rollout.waves[{w}].services[{i}]"),
                                format!("host {}", route.host),
                                format!(
                                    "`{}` and `{other_service}` share the host `{}` but move in different waves; {} moves whole hosts",
                                    service.name,
                                    route.host,
                                    strategy_name(spec.rollout.strategy)
                                ),
                            )
                            .label(ctx.span(&format!("rollout.waves[{other}].name")), "the other wave")
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

pub fn strategy_name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::SlbWeights => "slb-weights",
        Strategy::DnsWeights => "dns-weights",
        Strategy::IngressCanary => "ingress-canary",
        Strategy::Istio => "istio",
        Strategy::Client => "client",
    }
}

/// Who can route a request by this condition: (controller, exact value, regex, cookie).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Router {
    Nginx,
    AckNginx,
    Alb,
    GatewayApi,
    Istio,
    /// slb-weights, dns-weights, client: below HTTP, no request matching at all.
    None,
}

pub fn router(ctx_strategy: Strategy, controller: Option<Controller>) -> Router {
    match (ctx_strategy, controller) {
        (Strategy::Istio, _) => Router::Istio,
        (Strategy::IngressCanary, Some(Controller::AckNginx)) => Router::AckNginx,
        (Strategy::IngressCanary, Some(Controller::Alb)) => Router::Alb,
        (Strategy::IngressCanary, Some(Controller::GatewayApi)) => Router::GatewayApi,
        (Strategy::IngressCanary, _) => Router::Nginx,
        _ => Router::None,
    }
}

fn router_name(router: Router) -> &'static str {
    match router {
        Router::Nginx => "nginx",
        Router::AckNginx => "ack-nginx",
        Router::Alb => "alb",
        Router::GatewayApi => "gateway-api",
        Router::Istio => "istio",
        Router::None => "none",
    }
}

const ROUTERS: [Router; 5] = [
    Router::Nginx,
    Router::AckNginx,
    Router::Alb,
    Router::GatewayApi,
    Router::Istio,
];

/// Whether `router` can send requests matching `kind` (`header`, `cookie`, `query`) to the
/// new cluster, by exact value (`regex` false) or by pattern.
pub fn can_match(router: Router, kind: &str, regex: bool, value: Option<&str>) -> bool {
    match (router, kind) {
        (Router::AckNginx | Router::Istio, _) => true,
        (Router::GatewayApi, "header" | "query") => true,
        (Router::Nginx, "header") => true,
        (Router::Alb, "header") => !regex,
        // Upstream nginx and ALB match a cookie only by name, with the value `always`.
        (Router::Nginx | Router::Alb, "cookie") => !regex && value == Some("always"),
        _ => false,
    }
}

fn match_support(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let rollout = &ctx.spec.rollout;
    let Some(rule) = &rollout.match_rule else {
        return;
    };
    let router = router(rollout.strategy, rollout.controller);
    let conditions: Vec<(&str, &MatchCondition)> = [
        ("header", &rule.header),
        ("cookie", &rule.cookie),
        ("query", &rule.query),
    ]
    .into_iter()
    .filter_map(|(k, c)| c.as_ref().map(|c| (k, c)))
    .collect();
    if conditions.len() > 1 {
        out.push(
            ctx.error("rollout/match-support", "rollout.match", "several conditions", "the match names more than one of header, cookie and query")
                .help("match on one of them: controllers combine several differently (some as AND, some as OR)"),
        );
    }
    for (kind, condition) in conditions {
        let path = format!("rollout.match.{kind}");
        if condition.value.is_some() == condition.pattern.is_some() {
            out.push(
                ctx.error("rollout/match-support", &path, "value or pattern", format!("the {kind} match needs exactly one of `value` (exact) and `pattern` (regex)"))
                    .help(format!("write `{kind}: {{ name: ..., value: ... }}` or `{kind}: {{ name: ..., pattern: ... }}`")),
            );
            continue;
        }
        let regex = condition.pattern.is_some();
        if can_match(router, kind, regex, condition.value.as_deref()) {
            continue;
        }
        let able: Vec<&str> = ROUTERS
            .iter()
            .filter(|r| can_match(**r, kind, regex, condition.value.as_deref()))
            .map(|r| router_name(*r))
            .collect();
        let how = if regex {
            "by pattern"
        } else {
            "by exact value"
        };
        let who = match router {
            Router::None => format!(
                "the {} strategy routes below HTTP and cannot match requests",
                strategy_name(rollout.strategy)
            ),
            r => format!(
                "the {} controller cannot match a {kind} {how}",
                router_name(r)
            ),
        };
        out.push(
            ctx.error("rollout/match-support", &path, format!("{kind} {how}"), who)
                .label(
                    ctx.span(if rollout.controller.is_some() {
                        "rollout.controller"
                    } else {
                        "rollout.strategy"
                    }),
                    "here",
                )
                .help(format!(
                    "a {kind} match {how} is expressed by: {}{}",
                    able.join(", "),
                    if kind == "cookie" && !regex {
                        " (nginx and alb only with the value `always`)"
                    } else {
                        ""
                    }
                )),
        );
    }
}

/// Whether the router can mirror (shadow) requests to the new cluster.
pub fn can_mirror(router: Router) -> bool {
    matches!(
        router,
        Router::Nginx | Router::AckNginx | Router::GatewayApi | Router::Istio
    )
}

fn mirrors(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let router = router(spec.rollout.strategy, spec.rollout.controller);
    for (w, wave) in spec.rollout.waves.iter().enumerate() {
        if !wave.mirror {
            continue;
        }
        let path = format!("rollout.waves[{w}].mirror");
        if !can_mirror(router) {
            out.push(
                ctx.error(
                    "rollout/mirror-support",
                    &path,
                    "cannot mirror",
                    format!(
                        "wave `{}` asks for mirroring, which {} cannot do",
                        wave.name,
                        match router {
                            Router::None =>
                                format!("the {} strategy", strategy_name(spec.rollout.strategy)),
                            r => format!("the {} controller", router_name(r)),
                        }
                    ),
                )
                .help("remove `mirror: true`, or use nginx, ack-nginx, gateway-api or istio"),
            );
        }
        for name in &wave.services {
            let Some((i, service)) = spec
                .services
                .iter()
                .enumerate()
                .find(|(_, s)| &s.name == name)
            else {
                continue;
            };
            for (j, volume) in service.volumes.iter().enumerate() {
                if !volume.read_only {
                    out.push(
                        ctx.error(
                            "rollout/mirror-writes",
                            &path,
                            "mirrored",
                            format!("wave `{}` mirrors `{}`, which mounts `{}` writable: mirrored requests run twice and would write twice", wave.name, service.name, volume.storage),
                        )
                        .label(ctx.span(&format!("services[{i}].volumes[{j}]")), "writable storage")
                        .help("mirror only services that write nothing, or mount the volume `readOnly: true`"),
                    );
                }
            }
        }
    }
}

fn split_writes(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let split = spec
        .rollout
        .waves
        .iter()
        .flat_map(|w| w.steps.iter().map(move |s| (w, s)))
        .find(|(_, s)| s.weight > 0 && s.weight < 100);
    let Some((wave, step)) = split else { return };
    let Some(data) = &spec.data else { return };
    for (i, db) in data.databases.iter().enumerate() {
        if db.sync != SyncMode::Bidirectional && !db.shared_instance {
            let w = spec
                .rollout
                .waves
                .iter()
                .position(|x| x.name == wave.name)
                .unwrap_or(0);
            let s = wave
                .steps
                .iter()
                .position(|x| x.weight == step.weight)
                .unwrap_or(0);
            out.push(
                ctx.error(
                    "rollout/split-writes",
                    &format!("data.databases[{i}].sync"),
                    "one-way",
                    format!("database `{}` syncs one way, but wave `{}` splits traffic between the clusters: the writes made on one side would be lost", db.name, wave.name),
                )
                .label(ctx.span(&format!("rollout.waves[{w}].steps[{s}].weight")), format!("{}% on the new cluster", step.weight))
                .help("use `sync: bidirectional` (DTS two-way sync), or `sharedInstance: true` when both clusters use this one instance"),
            );
        }
    }
}
