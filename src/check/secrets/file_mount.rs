//! `secrets/file-mount`: what it demands and why are in [`RULE`].

use std::collections::BTreeSet;

use crate::check::Ctx;
use crate::check::grammar::is_http_path;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SecretsFileMount,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Each `files` entry names exactly one of `secret` or `config`, and mounts it at an absolute path no other mount of the service uses.",
    rationale: "A mount of both or neither has no source, a relative path has no meaning in the container, and two mounts at one path are refused by the kubelet when the pod starts.",
    bad: "files: [{ secret: db, config: app, mountPath: conf }]",
    good: "files: [{ config: app, key: application.yml, mountPath: /app/application.yml }]",
    source: "Kubernetes volumes (configMap, secret, subPath)",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        let mut paths: BTreeSet<&str> = service
            .volumes
            .iter()
            .map(|v| v.mount_path.as_str())
            .collect();
        for (j, mount) in service.files.iter().enumerate() {
            let at = root().services().at(i).files().at(j);
            if mount.secret.is_some() == mount.config.is_some() {
                let (label, message) = if mount.secret.is_some() {
                    (
                        "both a secret and a config",
                        "a file mount names both `secret` and `config`",
                    )
                } else {
                    (
                        "neither a secret nor a config",
                        "a file mount names neither `secret` nor `config`",
                    )
                };
                out.push(
                    ctx.error(RULE.id, at.clone(), label, message)
                        .help("write one: `{ secret: NAME, mountPath: /run/secrets/NAME }` or `{ config: NAME, key: FILE, mountPath: /etc/app/FILE }`"),
                );
            }
            if !is_http_path(&mount.mount_path) || mount.mount_path.split('/').any(|p| p == "..") {
                out.push(
                    ctx.error(
                        RULE.id,
                        at.mount_path(),
                        "not an absolute path",
                        format!(
                            "`{}` is not an absolute path in the container",
                            mount.mount_path.escape_debug()
                        ),
                    )
                    .help("write a path such as `/etc/app/application.yml`"),
                );
            } else if !paths.insert(mount.mount_path.as_str()) {
                out.push(
                    ctx.error(
                        RULE.id,
                        at.mount_path(),
                        "mounted twice",
                        format!(
                            "`{}` is already a mount path of `{}`",
                            mount.mount_path, service.name
                        ),
                    )
                    .help("give each mount its own path"),
                );
            }
        }
    }
}
