//! Workload rules (003 §1.1.2 and the usual Kubernetes linters' checks).

use std::collections::BTreeMap;

use super::Ctx;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::{Quantity, Service};
use crate::plan::images::target_image;

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        let at = |field: &str| format!("services[{i}].{field}");
        resources(ctx, service, &at("resources"), out);
        if service
            .health
            .as_ref()
            .is_none_or(|h| h.path.is_none() && h.tcp != Some(true))
        {
            out.push(
                ctx.warning(
                    "workload/probes",
                    &at("name"),
                    "no probes",
                    format!(
                        "service `{}` has no liveness or readiness probe",
                        service.name
                    ),
                )
                .service(&service.name)
                .help("add `health: { path: /healthz }` (HTTP) or `health: { tcp: true }`"),
            );
        }
        if service.replicas < 3 {
            out.push(
                ctx.warning(
                    "workload/single-replica",
                    &at("replicas"),
                    format!("{} replica{}", service.replicas, if service.replicas == 1 { "" } else { "s" }),
                    format!("service `{}` runs fewer than 3 replicas: a single point of failure", service.name),
                )
                .service(&service.name)
                .help("run 3 replicas, or accept it with `allow: [workload/single-replica]` on the service"),
            );
        }
        image_tag(ctx, service, &at("image"), out);
    }
    depends_on(ctx, out);
    image_collisions(ctx, out);
}

/// Two different source images must not map to one target image.
fn image_collisions(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    if ctx.spec.images.is_none() {
        return;
    }
    let mut first: BTreeMap<String, (usize, &str)> = BTreeMap::new();
    for (i, service) in ctx.spec.services.iter().enumerate() {
        let target = target_image(ctx.spec, &service.image);
        match first.get(&target) {
            Some(&(j, image)) if image != service.image => out.push(
                ctx.error(
                    "images/collision",
                    &format!("services[{i}].image"),
                    format!("also becomes {target}"),
                    format!("images `{image}` and `{}` both move to `{target}`", service.image),
                )
                .label(ctx.span(&format!("services[{j}].image")), "first here")
                .help("rename one image (its last path component) so that each moves to a target of its own"),
            ),
            Some(_) => {}
            None => {
                first.insert(target, (i, &service.image));
            }
        }
    }
}

fn resources(ctx: &Ctx, service: &Service, path: &str, out: &mut Vec<Diagnostic>) {
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
        let anchor = if service.resources.is_some() {
            path.to_string()
        } else {
            path.replace(".resources", ".name")
        };
        out.push(
            ctx.error(
                "workload/resources",
                &anchor,
                format!("missing {}", missing.join(", ")),
                format!("service `{}` lacks {}", service.name, missing.join(", ")),
            )
            .service(&service.name)
            .help("set CPU and memory requests and limits, such as `requests: { cpu: 250m, memory: 512Mi }` and `limits: { cpu: 500m, memory: 1Gi }`"),
        );
    }
    let mut below = |request: &Option<Quantity>, limit: &Option<Quantity>, what: &str| {
        if let (Some(request), Some(limit)) = (request, limit)
            && limit.milli() < request.milli()
        {
            out.push(
                ctx.error(
                    "workload/resources",
                    &format!("{path}.limits.{what}"),
                    format!("limit {limit}"),
                    format!(
                        "service `{}`: the {what} limit {limit} is below the request {request}",
                        service.name
                    ),
                )
                .label(
                    ctx.span(&format!("{path}.requests.{what}")),
                    format!("request {request}"),
                )
                .service(&service.name)
                .help(format!("raise the {what} limit to at least {request}")),
            );
        }
    };
    below(&requests.cpu, &limits.cpu, "cpu");
    below(&requests.memory, &limits.memory, "memory");
}

fn image_tag(ctx: &Ctx, service: &Service, path: &str, out: &mut Vec<Diagnostic>) {
    let image = service.image.trim();
    let (without_digest, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let tag = last.split_once(':').map(|(_, tag)| tag);
    let problem = match (tag, digest) {
        (_, Some("")) => Some("has an empty digest"),
        (_, Some(_)) => None,
        (None, None) => Some("has no tag, so it means `latest`"),
        (Some(""), None) => Some("has an empty tag"),
        (Some("latest"), None) => Some("uses the moving tag `latest`"),
        (Some(_), None) => None,
    };
    if let Some(problem) = problem {
        out.push(
            ctx.error(
                "workload/image-tag",
                path,
                "no fixed version",
                format!(
                    "service `{}`: the image `{}` {problem}",
                    service.name,
                    image.escape_debug()
                ),
            )
            .service(&service.name)
            .help("pin the image to a version tag (`redis:7.2`) or a digest (`redis@sha256:...`)"),
        );
    }
}

/// `dependsOn` names existing services and has no cycles.
fn depends_on(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let services = &ctx.spec.services;
    let index: BTreeMap<&str, usize> = services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    for (i, service) in services.iter().enumerate() {
        for (j, dep) in service.depends_on.iter().enumerate() {
            let path = format!("services[{i}].dependsOn[{j}]");
            if dep == &service.name {
                out.push(
                    ctx.error(
                        "workload/depends-on",
                        &path,
                        "itself",
                        format!("service `{}` depends on itself", service.name),
                    )
                    .service(&service.name)
                    .help("remove it from its own dependsOn"),
                );
            } else if !index.contains_key(dep.as_str()) {
                out.push(
                    ctx.error(
                        "workload/depends-on",
                        &path,
                        "no such service",
                        format!(
                            "service `{}` depends on `{dep}`, which is not a service of this spec",
                            service.name
                        ),
                    )
                    .service(&service.name)
                    .help(
                        match did_you_mean(dep, services.iter().map(|s| s.name.as_str())) {
                            Some(near) => format!("did you mean `{near}`?"),
                            None => "name a service of this spec, or remove the dependency".into(),
                        },
                    ),
                );
            }
        }
    }
    // Cycles: depth-first search with an explicit stack; a back edge closes a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark = vec![Mark::New; services.len()];
    for start in 0..services.len() {
        if mark[start] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let deps = &services[node].depends_on;
            if *next >= deps.len() {
                mark[node] = Mark::Done;
                stack.pop();
                continue;
            }
            let edge = *next;
            *next += 1;
            let Some(&target) = index.get(deps[edge].as_str()) else {
                continue;
            };
            if target == node {
                continue;
            }
            match mark[target] {
                Mark::New => {
                    mark[target] = Mark::Active;
                    stack.push((target, 0));
                }
                Mark::Active => {
                    let from = stack.iter().position(|&(n, _)| n == target).unwrap_or(0);
                    let mut cycle: Vec<&str> = stack[from..]
                        .iter()
                        .map(|&(n, _)| services[n].name.as_str())
                        .collect();
                    cycle.push(&services[target].name);
                    out.push(
                        ctx.error(
                            "workload/depends-on",
                            &format!("services[{node}].dependsOn[{edge}]"),
                            "closes the cycle",
                            format!("dependsOn forms a cycle: {}", cycle.join(" → ")),
                        )
                        .service(&services[node].name)
                        .help("break the cycle: with it, every pod of these services waits for the others forever"),
                    );
                }
                Mark::Done => {}
            }
        }
    }
}
