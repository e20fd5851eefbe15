//! Rules about the spec as a document: its version, names and references.

use std::collections::BTreeMap;

use super::{Ctx, is_dns_label, is_dns_subdomain};
use crate::diagnostic::Diagnostic;
use crate::model::{API_VERSION, KIND};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    version(ctx, out);
    names(ctx, out);
    duplicates(ctx, out);
    references(ctx, out);
}

fn version(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    if spec.api_version != API_VERSION {
        out.push(
            ctx.error(
                "spec/api-version",
                "apiVersion",
                "unknown version",
                format!(
                    "apiVersion `{}` is not one this cutover reads",
                    spec.api_version
                ),
            )
            .help(format!("write `apiVersion: {API_VERSION}`")),
        );
    }
    if spec.kind != KIND {
        out.push(
            ctx.error(
                "spec/api-version",
                "kind",
                "unknown kind",
                format!("kind `{}` is not `{KIND}`", spec.kind),
            )
            .help(format!("write `kind: {KIND}`")),
        );
    }
    let version = &spec.target.kubernetes_version;
    let valid = version.split_once('.').is_some_and(|(major, minor)| {
        !major.is_empty()
            && !minor.is_empty()
            && major.bytes().all(|b| b.is_ascii_digit())
            && minor.bytes().all(|b| b.is_ascii_digit())
            && major.len() <= 3
            && minor.len() <= 3
    });
    if !valid {
        out.push(
            ctx.error(
                "spec/kubernetes-version",
                "target.kubernetesVersion",
                "not MAJOR.MINOR",
                format!("kubernetesVersion `{version}` is not a MAJOR.MINOR version"),
            )
            .help("write the target's version in quotes, such as `kubernetesVersion: \"1.31\"`"),
        );
    }
}

/// Names that become Kubernetes object names must be DNS-1123 labels.
fn names(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let mut label = |path: String, name: &str, what: &str| {
        if !is_dns_label(name) {
            out.push(
                ctx.error(
                    "spec/name",
                    &path,
                    "not a DNS-1123 label",
                    format!(
                        "the {what} name `{}` is not a valid Kubernetes name",
                        name.escape_debug()
                    ),
                )
                .help(format!(
                    "use lowercase letters, digits and `-`, at most 63 characters, such as `{}`",
                    suggest_label(name)
                )),
            );
        }
    };
    label("metadata.name".into(), &spec.metadata.name, "migration");
    for (i, s) in spec.services.iter().enumerate() {
        label(format!("services[{i}].name"), &s.name, "service");
    }
    for (i, s) in spec.storage.iter().enumerate() {
        label(format!("storage[{i}].name"), &s.name, "storage");
    }
    for (i, w) in spec.rollout.waves.iter().enumerate() {
        label(format!("rollout.waves[{i}].name"), &w.name, "wave");
    }
    let mut subdomain = |path: String, name: &str| {
        if !is_dns_subdomain(name) {
            out.push(
                ctx.error(
                    "spec/name",
                    &path,
                    "not a DNS-1123 subdomain",
                    format!(
                        "the Secret name `{}` is not a valid Kubernetes name",
                        name.escape_debug()
                    ),
                )
                .help("use lowercase letters, digits, `-` and `.`, such as `oss-credentials`"),
            );
        }
    };
    for (i, s) in spec.storage.iter().enumerate() {
        if let Some(secret) = &s.credentials_secret {
            subdomain(format!("storage[{i}].credentialsSecret"), secret);
        }
    }
    if let Some(secret) = spec.images.as_ref().and_then(|i| i.pull_secret.as_ref()) {
        subdomain("images.pullSecret".into(), secret);
    }
}

fn suggest_label(name: &str) -> String {
    let mut out: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    out.truncate(63);
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "my-service".into()
    } else {
        trimmed.to_string()
    }
}

fn duplicates(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let network = &spec.target.network;
    let lists: Vec<(&str, &str, Vec<&str>)> = vec![
        (
            "services",
            "service",
            spec.services.iter().map(|s| s.name.as_str()).collect(),
        ),
        (
            "storage",
            "storage volume",
            spec.storage.iter().map(|s| s.name.as_str()).collect(),
        ),
        (
            "target.network.vswitches",
            "vSwitch",
            network.vswitches.iter().map(|v| v.name.as_str()).collect(),
        ),
        (
            "target.network.routes",
            "route",
            network.routes.iter().map(|r| r.name.as_str()).collect(),
        ),
        (
            "target.network.otherClusters",
            "cluster",
            network
                .other_clusters
                .iter()
                .map(|c| c.name.as_str())
                .collect(),
        ),
        (
            "rollout.waves",
            "wave",
            spec.rollout.waves.iter().map(|w| w.name.as_str()).collect(),
        ),
        (
            "data.databases",
            "database",
            spec.data
                .iter()
                .flat_map(|d| d.databases.iter().map(|x| x.name.as_str()))
                .collect(),
        ),
        (
            "data.objectStores",
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
                        "spec/duplicate-name",
                        &format!("{list}[{i}].name"),
                        "named again here",
                        format!("two {} are named `{name}`", plural(what)),
                    )
                    .label(ctx.span(&format!("{list}[{j}].name")), "first named here")
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

fn references(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let storage_names = || spec.storage.iter().map(|s| s.name.as_str());
    for (i, service) in spec.services.iter().enumerate() {
        for (j, volume) in service.volumes.iter().enumerate() {
            if spec.storage(&volume.storage).is_none() {
                let near = crate::diagnostic::did_you_mean(&volume.storage, storage_names());
                out.push(
                    ctx.error(
                        "spec/reference",
                        &format!("services[{i}].volumes[{j}].storage"),
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
    let zones = &spec.target.zones;
    for (i, vswitch) in spec.target.network.vswitches.iter().enumerate() {
        if !zones.contains(&vswitch.zone) {
            out.push(
                ctx.error(
                    "spec/reference",
                    &format!("target.network.vswitches[{i}].zone"),
                    "not a cluster zone",
                    format!(
                        "vSwitch `{}` is in zone `{}`, which is not in target.zones",
                        vswitch.name, vswitch.zone
                    ),
                )
                .label(ctx.span("target.zones"), "the cluster's zones")
                .help("add the zone to target.zones, or correct the vSwitch's zone"),
            );
        }
    }
}
