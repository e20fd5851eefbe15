//! `storage/disk-rwo`: what it demands and why are in [`RULE`].

use super::users;
use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::model::{Provisioning, StorageType};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::StorageDiskRwo,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Service,
    locked: None,
    summary: "A cloud disk is ReadWriteOnce and mounts in one pod: a Deployment with more than one replica cannot share it (use `stateful: true`, or NAS).",
    rationale: "The second pod stays in ContainerCreating with a multi-attach error.",
    bad: "replicas: 3\nvolumes: [{ storage: db-disk, ... }]",
    good: "stateful: true   # one claim per replica",
    source: "003 §3",
};

/// A disk is one pod's: not shared by replicas, nor by two services.
pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    for storage in &spec.storage {
        let users = users(spec, storage);
        if storage.kind != StorageType::Disk {
            continue;
        }
        let is_static = storage.provisioning == Some(Provisioning::Static);
        for &(i, j) in &users {
            let service = &spec.services[i];
            let path = root().services().at(i).volumes().at(j);
            let shared_by_replicas = service.replicas > 1 && (!service.stateful || is_static);
            if shared_by_replicas {
                let (message, help) = if service.stateful {
                    (
                        format!(
                            "the static disk `{}` can back one pod, but StatefulSet `{}` runs {} replicas",
                            storage.name, service.name, service.replicas
                        ),
                        "use a dynamic disk, which gives each replica its own claim, or run 1 replica",
                    )
                } else {
                    (
                        format!(
                            "disk `{}` is ReadWriteOnce, but Deployment `{}` runs {} replicas that would all mount it",
                            storage.name, service.name, service.replicas
                        ),
                        "set `stateful: true` (one claim per replica), use NAS for shared files, or run 1 replica",
                    )
                };
                out.push(
                    ctx.error(RULE.id, &path, "mounted by every replica", message)
                        .label(
                            ctx.span(root().services().at(i).replicas()),
                            format!("{} replicas", service.replicas),
                        )
                        .service(&service.name)
                        .help(help),
                );
            }
        }
        // One disk, one claim: two services cannot both mount it (a StatefulSet's dynamic disk
        // is a template, so each of its users gets claims of its own).
        let shared_template = !is_static && users.iter().all(|&(i, _)| spec.services[i].stateful);
        if users.len() > 1 && !shared_template {
            let (i0, j0) = users[0];
            for &(i, j) in &users[1..] {
                if i == i0 {
                    continue;
                }
                out.push(
                    ctx.error(
                        RULE.id,
                        root().services().at(i).volumes().at(j),
                        "mounted again here",
                        format!(
                            "disk `{}` is ReadWriteOnce, but services `{}` and `{}` both mount it",
                            storage.name, spec.services[i0].name, spec.services[i].name
                        ),
                    )
                    .label(
                        ctx.span(root().services().at(i0).volumes().at(j0)),
                        "first mounted here",
                    )
                    .service(&spec.services[i].name)
                    .help("give each service a disk of its own, or use NAS for shared files"),
                );
            }
        }
    }
}
