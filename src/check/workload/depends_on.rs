//! `workload/depends-on`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};
use std::collections::BTreeMap;

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadDependsOn,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Service,
    locked: None,
    summary: "`dependsOn` names existing services, without cycles; an init container waits for each.",
    rationale: "A dependency on a missing service blocks the pod forever; a cycle deadlocks startup.",
    bad: "dependsOn: [auth]   # no service auth",
    good: "dependsOn: [auth-service]",
    source: "003 §1.1.2",
};

/// `dependsOn` names existing services and has no cycles.
pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let services = &ctx.spec.services;
    let index: BTreeMap<&str, usize> = services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    for (i, service) in services.iter().enumerate() {
        for (j, dep) in service.depends_on.iter().enumerate() {
            let path = root().services().at(i).depends_on().at(j);
            if dep == &service.name {
                out.push(
                    ctx.error(
                        RULE.id,
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
                        RULE.id,
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
                            RULE.id,
                            root().services().at(node).depends_on().at(edge),
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
