//! Storage rules (003 §3; current ACK CSI): what each volume type needs, and how services
//! may mount it.

use super::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::units::GIB;
use crate::model::{Provisioning, ReclaimPolicy, Storage, StorageType};

const MIN_DISK_GIB: u128 = 20;

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, storage) in ctx.spec.storage.iter().enumerate() {
        let at = |field: &str| format!("storage[{i}].{field}");
        fields(ctx, storage, i, out);
        if storage.kind == StorageType::Disk && storage.size.units() < MIN_DISK_GIB * GIB {
            out.push(
                ctx.error(
                    "storage/disk-size",
                    &at("size"),
                    "under 20Gi",
                    format!(
                        "disk `{}` is {}: cloud disks are at least 20 GiB",
                        storage.name, storage.size
                    ),
                )
                .help("use `size: 20Gi` or more"),
            );
        }
        if storage.reclaim_policy == Some(ReclaimPolicy::Delete) && !storage.scratch {
            out.push(
                ctx.error(
                    "storage/reclaim-delete",
                    &at("reclaimPolicy"),
                    "deletes the data with the claim",
                    format!("`{}` has reclaimPolicy Delete: removing its claim deletes the volume and its data", storage.name),
                )
                .help("use `reclaimPolicy: Retain`; if the volume holds nothing worth keeping, mark it `scratch: true`"),
            );
        }
        if let (StorageType::Disk, Some(zone)) = (storage.kind, &storage.zone)
            && !ctx.spec.target.zones.contains(zone)
        {
            out.push(
                ctx.error(
                    "storage/disk-zone",
                    &at("zone"),
                    "not a cluster zone",
                    format!("disk `{}` is in zone `{zone}`, where the cluster has no nodes", storage.name),
                )
                .label(ctx.span("target.zones"), "the cluster's zones")
                .help("a disk mounts only on nodes of its own zone: add the zone to the cluster, or move the disk (snapshot and restore in a cluster zone)"),
            );
        }
        if storage.kind == StorageType::Nas
            && let Some(version) = &storage.nfs_version
            && version != "3"
            && version != "4.0"
        {
            out.push(
                ctx.error(
                    "storage/nas",
                    &at("nfsVersion"),
                    "not offered",
                    format!(
                        "NAS `{}`: NFS version `{version}` is not offered by NAS mount targets",
                        storage.name
                    ),
                )
                .help("use nfsVersion \"3\" (recommended) or \"4.0\""),
            );
        }
        for (field, value) in [
            ("accessKeyId", &storage.access_key_id),
            ("accessKeySecret", &storage.access_key_secret),
        ] {
            if value.is_some() {
                out.push(
                    ctx.error(
                        "storage/oss-credentials",
                        &at(field),
                        "a credential in the spec",
                        format!("`{}`: AccessKey values do not belong in a spec", storage.name),
                    )
                    .help("remove the key (and rotate it: it is in your history now); name a Secret with `credentialsSecret:`, created by the runbook"),
                );
            }
        }
    }
    mounts(ctx, out);
}

/// Each type's own fields are present; fields of other types are not.
fn fields(ctx: &Ctx, storage: &Storage, i: usize, out: &mut Vec<Diagnostic>) {
    let provisioning = storage.provisioning;
    let present: [(&str, bool); 10] = [
        ("provisioning", provisioning.is_some()),
        ("category", storage.category.is_some()),
        ("diskId", storage.disk_id.is_some()),
        ("zone", storage.zone.is_some()),
        ("server", storage.server.is_some()),
        ("path", storage.path.is_some()),
        ("nfsVersion", storage.nfs_version.is_some()),
        ("bucket", storage.bucket.is_some()),
        ("endpoint", storage.endpoint.is_some()),
        ("credentialsSecret", storage.credentials_secret.is_some()),
    ];
    let (kind, required, allowed): (&str, &[&str], &[&str]) = match (storage.kind, provisioning) {
        (StorageType::Disk, Some(Provisioning::Static)) => (
            "a static disk",
            &["diskId", "zone"],
            &["provisioning", "diskId", "zone", "category"],
        ),
        (StorageType::Disk, _) => (
            "a dynamic disk",
            &["provisioning", "category"],
            &["provisioning", "category"],
        ),
        (StorageType::Nas, _) => (
            "NAS",
            &["server", "path"],
            &["server", "path", "nfsVersion"],
        ),
        (StorageType::Oss, _) => (
            "OSS",
            &["bucket", "endpoint"],
            &["bucket", "endpoint", "credentialsSecret"],
        ),
    };
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|f| !present.iter().any(|(name, set)| name == f && *set))
        .collect();
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(" and ");
        out.push(
            ctx.error(
                "storage/incomplete",
                &format!("storage[{i}].type"),
                format!("{kind} needs {list}"),
                format!("storage `{}` is {kind} without {list}", storage.name),
            )
            .help(format!(
                "add {list}; see `cutover explain storage/incomplete`"
            )),
        );
    }
    for (name, set) in present {
        if set && !allowed.contains(&name) {
            out.push(
                ctx.error(
                    "storage/incomplete",
                    &format!("storage[{i}].{name}"),
                    format!("not a field of {kind}"),
                    format!(
                        "storage `{}` is {kind}, which takes no `{name}`",
                        storage.name
                    ),
                )
                .help("remove the field, or correct `type`"),
            );
        }
    }
    if storage.kind == StorageType::Oss && storage.credentials_secret.is_none() {
        out.push(
            ctx.error(
                "storage/oss-credentials",
                &format!("storage[{i}].type"),
                "no credentials Secret",
                format!("OSS volume `{}` names no credentials Secret", storage.name),
            )
            .help("add `credentialsSecret: <secret-name>`; the runbook creates that Secret with placeholders the operator fills in"),
        );
    }
}

/// How services mount volumes: a disk is one pod's; every volume is mounted somewhere.
fn mounts(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    for (s, storage) in spec.storage.iter().enumerate() {
        let users: Vec<(usize, usize)> = spec
            .services
            .iter()
            .enumerate()
            .flat_map(|(i, svc)| {
                svc.volumes
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.storage == storage.name)
                    .map(move |(j, _)| (i, j))
            })
            .collect();
        if users.is_empty() {
            out.push(
                ctx.warning(
                    "storage/unused",
                    &format!("storage[{s}].name"),
                    "mounted by no service",
                    format!(
                        "storage `{}` is declared but no service mounts it",
                        storage.name
                    ),
                )
                .help("mount it with `volumes: [{ storage: ..., mountPath: ... }]`, or remove it"),
            );
        }
        if storage.kind != StorageType::Disk {
            continue;
        }
        let is_static = storage.provisioning == Some(Provisioning::Static);
        for &(i, j) in &users {
            let service = &spec.services[i];
            let path = format!("services[{i}].volumes[{j}]");
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
                    ctx.error(
                        "storage/disk-rwo",
                        &path,
                        "mounted by every replica",
                        message,
                    )
                    .label(
                        ctx.span(&format!("services[{i}].replicas")),
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
                        "storage/disk-rwo",
                        &format!("services[{i}].volumes[{j}]"),
                        "mounted again here",
                        format!(
                            "disk `{}` is ReadWriteOnce, but services `{}` and `{}` both mount it",
                            storage.name, spec.services[i0].name, spec.services[i].name
                        ),
                    )
                    .label(
                        ctx.span(&format!("services[{i0}].volumes[{j0}]")),
                        "first mounted here",
                    )
                    .service(&spec.services[i].name)
                    .help("give each service a disk of its own, or use NAS for shared files"),
                );
            }
        }
    }
}
