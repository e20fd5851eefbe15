//! `workload/security-context`: what it demands and why are in [`RULE`].

use std::collections::BTreeSet;

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::model::security::MAX_ID;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadSecurityContext,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A service's `securityContext` can start: uids and gids up to 2147483647, no `runAsNonRoot: true` with `runAsUser: 0`, and at most 32 `writablePaths`, each an absolute path other than `/`, listed once, neither inside nor around a `volumes` or `files` mount path.",
    rationale: "Kubernetes refuses ids above 2^31-1, and the kubelet refuses to start a container that must not be root but is told to run as uid 0. Each writable path is an empty folder mounted over the image's: one mounted over or under a volume or a mounted file hides it or is hidden by it, `/` would hide the whole image, and two at one path are refused when the pod starts.",
    bad: "securityContext: { writablePaths: [/data/tmp] }\nvolumes: [{ storage: data, mountPath: /data }]",
    good: "securityContext: { writablePaths: [/tmp, /var/cache/nginx] }\nvolumes: [{ storage: data, mountPath: /data }]",
    source: "Kubernetes PodSecurityContext (runAsUser, runAsNonRoot), volumes (emptyDir, mountPath)",
};

/// The most writable paths a service may list (each is a volume of its pods).
pub const MAX_WRITABLE_PATHS: usize = 32;

/// A path's segments, without the empty ones a trailing or doubled `/` leaves.
fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// Whether one path is the other or holds it.
fn overlaps(a: &str, b: &str) -> bool {
    let (a, b) = (segments(a), segments(b));
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        let Some(context) = &service.security_context else {
            continue;
        };
        let at = root().services().at(i).security_context();
        let name = &service.name;
        for (path, id) in [
            (at.run_as_user(), context.run_as_user),
            (at.run_as_group(), context.run_as_group),
            (at.fs_group(), context.fs_group),
        ] {
            if let Some(id) = id.filter(|&id| id > MAX_ID) {
                out.push(
                    ctx.error(
                        RULE.id,
                        path,
                        "above 2147483647",
                        format!("service `{name}`: id {id} is larger than Kubernetes accepts"),
                    )
                    .help("use an id from 1 to 2147483647, such as 10001"),
                );
            }
        }
        if context.run_as_non_root == Some(true) && context.run_as_user == Some(0) {
            out.push(
                ctx.error(RULE.id, at.run_as_user(), "uid 0 with runAsNonRoot: true", format!("service `{name}` must not run as root but is told to run as uid 0: the kubelet refuses to start it"))
                    .help("remove `runAsUser: 0` (the default is 10001), or `runAsNonRoot: true` if it must run as root"),
            );
        }
        let Some(paths) = &context.writable_paths else {
            continue;
        };
        if paths.len() > MAX_WRITABLE_PATHS {
            out.push(
                ctx.error(RULE.id, at.writable_paths(), "too many", format!("service `{name}` lists {} writable paths, more than {MAX_WRITABLE_PATHS}", paths.len()))
                    .help("list the folders the service writes (often `/tmp` and one cache or run folder), or a parent folder of several"),
            );
            continue;
        }
        let mounts: Vec<(&str, &str)> = service
            .volumes
            .iter()
            .map(|v| (v.mount_path.as_str(), "a volume"))
            .chain(
                service
                    .files
                    .iter()
                    .map(|f| (f.mount_path.as_str(), "a mounted file")),
            )
            .collect();
        let mut seen = BTreeSet::new();
        for (j, path) in paths.iter().enumerate() {
            let at = at.writable_paths().at(j);
            // Not absolute, `..`, control characters: the value grammar says so.
            if !path.starts_with('/') {
                continue;
            }
            if segments(path).is_empty() {
                out.push(
                    ctx.error(RULE.id, at, "the whole filesystem", format!("service `{name}` lists `/` as a writable path: an empty folder there would hide the image"))
                        .help("set `readOnlyRootFilesystem: false` if the service writes all over its filesystem, or list the folders it writes"),
                );
                continue;
            }
            if !seen.insert(segments(path)) {
                out.push(
                    ctx.error(
                        RULE.id,
                        at,
                        "listed twice",
                        format!(
                            "service `{name}` lists the writable path `{}` twice",
                            path.escape_debug()
                        ),
                    )
                    .help("list each path once"),
                );
                continue;
            }
            if let Some((mount, what)) = mounts.iter().find(|(m, _)| overlaps(m, path)) {
                out.push(
                    ctx.error(RULE.id, at, format!("overlaps {what}"), format!("service `{name}`'s writable path `{}` overlaps {what} at `{}`", path.escape_debug(), mount.escape_debug()))
                        .help("a volume is writable already (unless `readOnly`), and a mounted file is read-only on purpose: list a path outside every mount"),
                );
            }
        }
        // A writable path inside another: the inner one is pointless.
        for (j, path) in paths.iter().enumerate() {
            if !path.starts_with('/') || segments(path).is_empty() {
                continue;
            }
            if let Some(outer) = paths.iter().find(|o| {
                o.starts_with('/')
                    && segments(o).len() < segments(path).len()
                    && !segments(o).is_empty()
                    && overlaps(o, path)
            }) {
                out.push(
                    ctx.error(RULE.id, at.writable_paths().at(j), "inside another writable path", format!("service `{name}`'s writable path `{}` is inside `{}`, which is writable already", path.escape_debug(), outer.escape_debug()))
                        .help("list the outer path only"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_overlap_by_whole_segments() {
        assert!(overlaps("/data", "/data/tmp"));
        assert!(overlaps("/data/tmp/", "/data"));
        assert!(overlaps("/tmp", "/tmp/"));
        assert!(!overlaps("/data", "/database"));
        assert!(!overlaps("/var/cache", "/var/run"));
    }
}
