//! A service's `volumes`: named volumes as mounts of storage entries (NAS when several
//! replicas share one, else a disk); bind mounts with the choices they leave
//! (check::import::bind_mount); tmpfs volumes as writable paths (`super::security`);
//! anonymous volumes as unsupported.

use crate::load::node::{Node, NodeKind};
use crate::render::yaml::string as quote;
use crate::rules::RuleId;

use super::tree::{entries, is_true, items, label, renamed, text, text_at};
use super::{Draft, Importer, StorageDecl};

/// One entry of a service's `volumes`, long or short form.
struct Mount {
    source: Option<String>,
    target: Option<String>,
    read_only: bool,
    /// `volume`, `bind`, `tmpfs`…
    kind: String,
}

fn mount(volume: &Node) -> Mount {
    if let NodeKind::Map(_) = &volume.kind {
        return Mount {
            source: text_at(volume, "source").map(str::to_string),
            target: text_at(volume, "target").map(str::to_string),
            read_only: is_true(volume.get("read_only")),
            kind: text_at(volume, "type").unwrap_or("volume").to_string(),
        };
    }
    // `SOURCE:TARGET[:OPTIONS]` or `TARGET`.
    let spec = text(volume).unwrap_or("");
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, target) = match parts.as_slice() {
        [target] => (None, Some(target.to_string())),
        [source, target, ..] => (Some(source.to_string()), Some(target.to_string())),
        [] => (None, None),
    };
    let kind = match &source {
        Some(s) if s.starts_with(['/', '.', '~']) || s.is_empty() => "bind",
        _ => "volume",
    };
    Mount {
        source,
        target,
        read_only: parts
            .get(2)
            .is_some_and(|o| o.split(',').any(|o| o == "ro")),
        kind: kind.to_string(),
    }
}

/// The bind mount's three ways forward, for its comment and warning.
const BIND_CHOICES: &str = "a pod has no host folder: move shared data to a NAS volume (`storage` of type `nas`), read-only configuration files to a config (`configs`, a ConfigMap made from files beside the spec), or drop the mount";

/// Writes the service's mounts; returns the targets of its `type: tmpfs` volumes.
pub(super) fn write(
    importer: &mut Importer,
    draft: &mut Draft,
    node: &Node,
    replicas: u32,
) -> Vec<String> {
    let mut mounts = Vec::new();
    let mut tmpfs = Vec::new();
    for (i, volume) in node
        .get("volumes")
        .map(items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let path = format!("{}[{i}]", draft.at("volumes"));
        let Mount {
            source,
            target,
            read_only,
            kind,
        } = mount(volume);
        match (kind.as_str(), source, target) {
            ("volume", Some(source), Some(target)) if !source.is_empty() => {
                let storage_name = label(&source);
                let storage = importer
                    .storage
                    .entry(storage_name.clone())
                    .or_insert_with(|| StorageDecl {
                        nas: false,
                        comments: Vec::new(),
                    });
                // Several replicas share the data only over NFS.
                storage.nas |= replicas > 1;
                if let Some(comment) = renamed("volume", &source, &storage_name)
                    && storage.comments.is_empty()
                {
                    storage.comments.push(format!("# {comment}"));
                }
                mounts.push(format!(
                    "      - {{ storage: {}, mountPath: {}{} }}",
                    quote(&storage_name),
                    quote(&target),
                    if read_only { ", readOnly: true" } else { "" }
                ));
            }
            ("bind", _, _) => {
                let summary = importer.quotable(volume, &path);
                draft.comments.push(format!(
                    "# compose bind mount `{path}: {summary}`: TODO: a NAS volume, a config, or drop it"
                ));
                importer
                    .warn(
                        RuleId::ImportBindMount,
                        volume.span,
                        &path,
                        format!("`{path}` is a bind mount: {BIND_CHOICES}"),
                    )
                    .help = "decide per mount; the generated spec keeps it as a comment beside the service".into();
            }
            ("tmpfs", _, Some(target)) if target.starts_with('/') => tmpfs.push(target),
            _ => importer.unsupported(volume, &path, "anonymous volumes have no equivalent: the pod's writable paths (`securityContext.writablePaths`) hold scratch files; declare a storage volume if the data must outlive the pod", &mut draft.comments),
        }
    }
    if !mounts.is_empty() {
        draft.lines.push("    volumes:".into());
        draft.lines.extend(mounts);
    }
    tmpfs
}

/// The top-level `volumes`: drivers, options and external volumes become comments.
pub(super) fn note_top_level(importer: &mut Importer, volumes: &Node, comments: &mut Vec<String>) {
    for volume in entries(volumes)
        .iter()
        .filter(|v| !matches!(v.value.kind, NodeKind::Scalar { .. }))
    {
        let why = if is_true(volume.value.get("external")) {
            "an external volume was created outside the stack: its data moves with the storage entry the spec declares (the data phase)"
        } else {
            "volume drivers and options do not carry over: the spec's storage entry chooses an ACK volume"
        };
        importer.unsupported(
            &volume.value,
            &format!("volumes.{}", volume.key),
            why,
            comments,
        );
    }
}
