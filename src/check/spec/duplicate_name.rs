//! `spec/duplicate-name`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::{SpecPath, root};
use crate::rules::{Level, Rule, RuleId, Scope, Status};
use std::collections::BTreeMap;

pub static RULE: Rule = Rule {
    id: RuleId::SpecDuplicateName,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Services, storage volumes, vSwitches, routes and waves each have unique names; no service is named after another with a suffix cutover gives that one's objects (`-legacy`, `-canary`, `-intranet-udp`, ...).",
    rationale: "Two objects of one name overwrite each other in the cluster.",
    bad: "services: [{ name: api, ... }, { name: api, ... }]",
    good: "services: [{ name: api, ... }, { name: api-v2, ... }]",
    source: "cutover",
};

/// Where the i-th name of a list sits.
type NameAt = fn(usize) -> SpecPath;

/// No two items of a named list share a name. Each list: where its names sit, what it names,
/// and the names.
pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let network = &spec.target.network;
    let lists: Vec<(NameAt, &str, Vec<&str>)> = vec![
        (
            |i| root().services().at(i).name(),
            "service",
            spec.services.iter().map(|s| s.name.as_str()).collect(),
        ),
        (
            |i| root().storage().at(i).name(),
            "storage volume",
            spec.storage.iter().map(|s| s.name.as_str()).collect(),
        ),
        (
            |i| root().target().network().vswitches().at(i).name(),
            "vSwitch",
            network.vswitches.iter().map(|v| v.name.as_str()).collect(),
        ),
        (
            |i| root().target().network().routes().at(i).name(),
            "route",
            network.routes.iter().map(|r| r.name.as_str()).collect(),
        ),
        (
            |i| root().target().network().other_clusters().at(i).name(),
            "cluster",
            network
                .other_clusters
                .iter()
                .map(|c| c.name.as_str())
                .collect(),
        ),
        (
            |i| root().rollout().waves().at(i).name(),
            "wave",
            spec.rollout.waves.iter().map(|w| w.name.as_str()).collect(),
        ),
        (
            |i| root().data().databases().at(i).name(),
            "database",
            spec.data
                .iter()
                .flat_map(|d| d.databases.iter().map(|x| x.name.as_str()))
                .collect(),
        ),
        (
            |i| root().data().object_stores().at(i).name(),
            "object store",
            spec.data
                .iter()
                .flat_map(|d| d.object_stores.iter().map(|x| x.name.as_str()))
                .collect(),
        ),
    ];
    for (list, what, names) in lists {
        let mut first: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, name) in names.iter().enumerate() {
            if let Some(&j) = first.get(name) {
                out.push(
                    ctx.error(
                        RULE.id,
                        list(i),
                        "named again here",
                        format!("two {} are named `{name}`", plural(what)),
                    )
                    .label(ctx.span(list(j)), "first named here")
                    .help(format!("give each {what} a name of its own")),
                );
            } else {
                first.insert(name, i);
            }
        }
    }
    derived_names(ctx, out);
}

/// The suffixes of the objects cutover names after a service besides the service itself:
/// its own legacy backend (`<service>-legacy`), its canary Ingress, and its publishing
/// Services (`plan::ports::published_name`). A service named so would overwrite them.
const DERIVED_SUFFIXES: &[(&str, &str)] = &[
    ("-legacy", "legacy backend Service"),
    ("-canary", "canary Ingress"),
    ("-intranet-tcp", "publishing Service"),
    ("-intranet-udp", "publishing Service"),
    ("-internet-tcp", "publishing Service"),
    ("-internet-udp", "publishing Service"),
    ("-nodeport-tcp", "publishing Service"),
    ("-nodeport-udp", "publishing Service"),
];

/// A service named `<other service><suffix>` takes the name of one of that service's objects.
fn derived_names(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let services = &ctx.spec.services;
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, service) in services.iter().enumerate() {
        index.entry(service.name.as_str()).or_insert(i);
    }
    for (i, service) in services.iter().enumerate() {
        let taken = DERIVED_SUFFIXES.iter().find_map(|(suffix, what)| {
            let base = service.name.strip_suffix(suffix)?;
            index.get(base).map(|&j| (base, j, *what))
        });
        if let Some((base, j, what)) = taken {
            let at = |k: usize| root().services().at(k).name();
            out.push(
                ctx.error(
                    RULE.id,
                    at(i),
                    "the name of another service's object",
                    format!(
                        "service `{}` takes the name cutover gives the {what} of service `{base}`: one would overwrite the other",
                        service.name
                    ),
                )
                .label(ctx.span(at(j)), "that service")
                .help(format!("rename `{}` (the cluster keeps one object per name)", service.name)),
            );
        }
    }
}

fn plural(what: &str) -> String {
    match what {
        "vSwitch" => "vSwitches".into(),
        _ => format!("{what}s"),
    }
}
