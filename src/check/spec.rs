//! Rules about the spec as a document: its version, names and references.

use std::collections::BTreeMap;

use super::{Ctx, is_dns_label, is_dns_subdomain, is_host, is_http_path};
use crate::diagnostic::Diagnostic;
use crate::model::{API_VERSION, KIND};
use crate::render::manifests::{OLDEST_MINOR, REMOVED_BETA_APIS};

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
    let minor = version
        .split_once('.')
        .filter(|(major, _)| *major == "1")
        .and_then(|(_, minor)| minor.parse::<u32>().ok());
    if valid && minor.is_none_or(|m| m < OLDEST_MINOR) {
        out.push(
            ctx.error(
                "spec/kubernetes-version",
                "target.kubernetesVersion",
                format!("older than 1.{OLDEST_MINOR}"),
                format!(
                    "Kubernetes {version} is older than 1.{OLDEST_MINOR}, the oldest version cutover builds for: its manifests would need APIs now removed ({REMOVED_BETA_APIS})"
                ),
            )
            .help(format!("create the target cluster at 1.{OLDEST_MINOR} or later (ACK offers current versions only), and set kubernetesVersion to it")),
        );
    }
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
    let mut text = |path: String, value: &str, ok: bool, what: &str, help: &str| {
        if !ok {
            out.push(
                ctx.error(
                    "spec/name",
                    &path,
                    format!("not {what}"),
                    format!("`{}` is not {what}", value.escape_debug()),
                )
                .help(help.to_string()),
            );
        }
    };
    if let Some(namespace) = &spec.target.namespace {
        text(
            "target.namespace".into(),
            namespace,
            is_dns_label(namespace),
            "a valid namespace name (a DNS-1123 label)",
            "use lowercase letters, digits and `-`, at most 63 characters",
        );
    }
    for (i, s) in spec.services.iter().enumerate() {
        for (j, route) in s.routes.iter().enumerate() {
            text(
                format!("services[{i}].routes[{j}].host"),
                &route.host,
                is_host(&route.host),
                "a DNS host name",
                "write a host such as `shop.example.com` (a leading `*.` is allowed)",
            );
            text(
                format!("services[{i}].routes[{j}].path"),
                &route.path,
                is_http_path(&route.path),
                "an absolute URL path",
                "write a path such as `/api`: it starts with `/` and holds only URL path characters (letters, digits, `-._~%!$&'()*+,;=:@/`)",
            );
        }
        if let Some(path) = s.health.as_ref().and_then(|h| h.path.as_ref()) {
            text(
                format!("services[{i}].health.path"),
                path,
                is_http_path(path),
                "an absolute URL path",
                "write a path such as `/healthz`: it starts with `/` and holds only URL path characters",
            );
        }
        for (j, volume) in s.volumes.iter().enumerate() {
            text(
                format!("services[{i}].volumes[{j}].mountPath"),
                &volume.mount_path,
                is_http_path(&volume.mount_path),
                "an absolute path",
                "write a path such as `/data`",
            );
        }
        for name in s.env.keys() {
            text(
                format!("services[{i}].env.{name}"),
                name,
                is_env_name(name),
                "a valid environment variable name",
                "use letters, digits, `_`, `-` and `.`, not starting with a digit",
            );
        }
    }
    if let Some(test) = &spec.target.test_domain {
        text(
            "target.testDomain".into(),
            test,
            is_host(test),
            "a DNS host name",
            "write a host such as `test.example.com`",
        );
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

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

fn suggest_label(name: &str) -> String {
    crate::model::to_dns_label(name, "my-service")
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
