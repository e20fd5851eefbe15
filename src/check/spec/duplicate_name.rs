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
    summary: "Services, storage volumes, vSwitches, routes and waves each have unique names.",
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
}

fn plural(what: &str) -> String {
    match what {
        "vSwitch" => "vSwitches".into(),
        _ => format!("{what}s"),
    }
}
