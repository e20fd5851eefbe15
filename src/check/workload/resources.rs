//! `workload/resources`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::{ResourceListAt, ServiceAt, SpecPath, root};
use crate::model::{Quantity, Service};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadResources,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Service,
    locked: None,
    summary: "Every container has CPU and memory requests and limits; limits are at least the requests.",
    rationale: "Without requests the scheduler overcommits nodes; without limits one pod can starve its neighbours.",
    bad: "resources: { requests: { cpu: 500m } }",
    good: "resources:\n  requests: { cpu: 500m, memory: 1Gi }\n  limits: { cpu: \"1\", memory: 2Gi }",
    source: "003 §1.1.2",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        let at = root().services().at(i);
        resources(ctx, service, &at, out);
    }
}

fn resources(ctx: &Ctx, service: &Service, at: &ServiceAt, out: &mut Vec<Diagnostic>) {
    let resources = service.resources.clone().unwrap_or_default();
    let requests = resources.requests.clone().unwrap_or_default();
    let limits = resources.limits.clone().unwrap_or_default();
    let mut missing = Vec::new();
    for (value, name) in [
        (&requests.cpu, "requests.cpu"),
        (&requests.memory, "requests.memory"),
        (&limits.cpu, "limits.cpu"),
        (&limits.memory, "limits.memory"),
    ] {
        if value.is_none() {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        let anchor: SpecPath = if service.resources.is_some() {
            at.resources().into()
        } else {
            at.name()
        };
        out.push(
            ctx.error(
                RULE.id,
                &anchor,
                format!("missing {}", missing.join(", ")),
                format!("service `{}` lacks {}", service.name, missing.join(", ")),
            )
            .service(&service.name)
            .help("set CPU and memory requests and limits, such as `requests: { cpu: 250m, memory: 512Mi }` and `limits: { cpu: 500m, memory: 1Gi }`"),
        );
    }
    let (requested, limited) = (at.resources().requests(), at.resources().limits());
    let mut below = |request: &Option<Quantity>,
                     limit: &Option<Quantity>,
                     what: &str,
                     at: fn(&ResourceListAt) -> SpecPath| {
        if let (Some(request), Some(limit)) = (request, limit)
            && limit.milli() < request.milli()
        {
            out.push(
                ctx.error(
                    RULE.id,
                    at(&limited),
                    format!("limit {limit}"),
                    format!(
                        "service `{}`: the {what} limit {limit} is below the request {request}",
                        service.name
                    ),
                )
                .label(ctx.span(at(&requested)), format!("request {request}"))
                .service(&service.name)
                .help(format!("raise the {what} limit to at least {request}")),
            );
        }
    };
    below(&requests.cpu, &limits.cpu, "cpu", ResourceListAt::cpu);
    below(
        &requests.memory,
        &limits.memory,
        "memory",
        ResourceListAt::memory,
    );
}
