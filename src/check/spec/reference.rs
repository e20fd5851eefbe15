//! `spec/reference`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecReference,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Service,
    locked: None,
    summary: "Every name a spec refers to exists: volumes name storage entries, `data` names databases and object stores, zones are the cluster's zones, allowed rules exist.",
    rationale: "A dangling reference becomes a pod stuck in Pending or a silently ignored allow.",
    bad: "volumes: [{ storage: cache, ... }]   # no storage named cache",
    good: "volumes: [{ storage: cache-data, ... }]",
    source: "cutover",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let storage_names = || spec.storage.iter().map(|s| s.name.as_str());
    for (i, service) in spec.services.iter().enumerate() {
        for (j, volume) in service.volumes.iter().enumerate() {
            if spec.storage(&volume.storage).is_none() {
                let near = crate::diagnostic::did_you_mean(&volume.storage, storage_names());
                out.push(
                    ctx.error(
                        RULE.id,
                        root().services().at(i).volumes().at(j).storage(),
                        "no such storage",
                        format!(
                            "service `{}` mounts `{}`, which `storage` does not declare",
                            service.name, volume.storage
                        ),
                    )
                    .service(&service.name)
                    .help(match near {
                        Some(near) => format!("did you mean `{near}`?"),
                        None => "declare it under `storage`, or fix the name".into(),
                    }),
                );
            }
        }
    }
    // `data` names databases and object stores.
    let stores = crate::model::network_policy::stores(spec);
    let store_names = || stores.iter().map(|s| s.name());
    for (i, service) in spec.services.iter().enumerate() {
        for (j, name) in service.data.iter().enumerate() {
            if store_names().any(|s| s == name) {
                continue;
            }
            let near = crate::diagnostic::did_you_mean(name, store_names());
            out.push(
                ctx.error(
                    RULE.id,
                    root().services().at(i).data().at(j),
                    "no such data store",
                    format!(
                        "service `{}` lists `{name}` in `data`, which is neither a `data.databases` nor a `data.objectStores` name",
                        service.name
                    ),
                )
                .service(&service.name)
                .help(match near {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => "name a database or object store of `data`, or remove it".into(),
                }),
            );
        }
    }
    let zones = &spec.target.zones;
    for (i, vswitch) in spec.target.network.vswitches.iter().enumerate() {
        if !zones.contains(&vswitch.zone) {
            out.push(
                ctx.error(
                    RULE.id,
                    root().target().network().vswitches().at(i).zone(),
                    "not a cluster zone",
                    format!(
                        "vSwitch `{}` is in zone `{}`, which is not in target.zones",
                        vswitch.name, vswitch.zone
                    ),
                )
                .label(ctx.span(root().target().zones()), "the cluster's zones")
                .help("add the zone to target.zones, or correct the vSwitch's zone"),
            );
        }
    }
}
