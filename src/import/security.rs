//! A service's privileges (issue 16): compose `user: "UID[:GID]"` as `runAsUser` and
//! `runAsGroup`, `read_only: true` as `readOnlyRootFilesystem: true`, `cap_add` as
//! `capabilities`, and `tmpfs` paths (the `tmpfs` key and `type: tmpfs` volumes) as
//! `writablePaths`. A user name, `ALL` or an unknown capability has no equivalent: a comment
//! and an unsupported-key warning (check::import::unsupported). `cap_drop` needs nothing: the new pods drop every capability.

use crate::load::node::{Node, NodeKind};
use crate::model::Capability;
use crate::model::security::{DEFAULT_WRITABLE_PATH, MAX_ID};
use crate::render::yaml::string as quote;

use super::tree::{is_true, items, text};
use super::{Draft, Importer};

/// The keys this module reads (the service's other-keys note skips them).
pub(super) const KEYS: &[&str] = &["user", "read_only", "cap_add", "cap_drop", "tmpfs"];

/// `UID` or `UID:GID`, both numeric and in Kubernetes' range.
fn numeric_user(user: &str) -> Option<(u32, Option<u32>)> {
    let id = |s: &str| {
        s.parse::<u32>()
            .ok()
            .filter(|&id| id <= MAX_ID && !s.starts_with('+'))
    };
    match user.trim().split_once(':') {
        Some((uid, gid)) => Some((id(uid)?, Some(id(gid)?))),
        None => Some((id(user.trim())?, None)),
    }
}

/// The path of a `tmpfs` entry (`/run` or `/run:size=64m,mode=1777`).
fn tmpfs_path(entry: &str) -> Option<String> {
    let path = entry.split(':').next().unwrap_or("").trim();
    path.starts_with('/').then(|| path.to_string())
}

/// Writes `securityContext` (when compose says anything it maps) and records what it cannot
/// map. `tmpfs_volumes` are the targets of the service's `type: tmpfs` volumes.
pub(super) fn write(
    importer: &mut Importer,
    draft: &mut Draft,
    node: &Node,
    tmpfs_volumes: Vec<String>,
) {
    let mut lines: Vec<String> = Vec::new();
    if let Some(user) = node.get("user") {
        match text(user).and_then(numeric_user) {
            Some((uid, gid)) => {
                lines.push(format!("      runAsUser: {uid}"));
                if let Some(gid) = gid {
                    lines.push(format!("      runAsGroup: {gid}"));
                }
            }
            None => importer.unsupported(
                user,
                &draft.at("user"),
                "Kubernetes runs a numeric uid, not a user name: find the image's (`docker run --rm --entrypoint id IMAGE NAME`) and write it as `securityContext.runAsUser`, or leave the default (uid 10001) if the image runs as any user",
                &mut draft.comments,
            ),
        }
    }
    let read_only = is_true(node.get("read_only"));
    if read_only {
        lines.push("      readOnlyRootFilesystem: true".into());
    }
    let mut writable: Vec<String> = Vec::new();
    if let Some(tmpfs) = node.get("tmpfs") {
        let entries: Vec<&Node> = match &tmpfs.kind {
            NodeKind::Seq(list) => list.iter().collect(),
            _ => vec![tmpfs],
        };
        for entry in entries {
            match text(entry).and_then(tmpfs_path) {
                Some(path) => writable.push(path),
                None => importer.unsupported(
                    entry,
                    &draft.at("tmpfs"),
                    "not an absolute path: it is not carried over",
                    &mut draft.comments,
                ),
            }
        }
    }
    writable.extend(tmpfs_volumes);
    if !writable.is_empty() {
        // Compose's container could write /tmp unless its filesystem was read-only: keep it
        // writable beside the tmpfs paths.
        if !read_only {
            writable.insert(0, DEFAULT_WRITABLE_PATH.to_string());
        }
        let mut unique: Vec<String> = Vec::new();
        for path in writable {
            if !unique.contains(&path) {
                unique.push(path);
            }
        }
        lines.push(format!(
            "      writablePaths: [{}]   # compose tmpfs: an emptyDir each",
            unique
                .iter()
                .map(|p| quote(p))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(cap_add) = node.get("cap_add") {
        let mut added: Vec<&'static str> = Vec::new();
        for (i, entry) in items(cap_add).iter().enumerate() {
            let path = format!("{}[{i}]", draft.at("cap_add"));
            match text(entry).and_then(Capability::parse) {
                Some(Capability::NetBindService) => draft.comments.push(format!(
                    "# compose `{path}: NET_BIND_SERVICE`: not needed, a pod listening below 1024 sets the sysctl net.ipv4.ip_unprivileged_port_start=0"
                )),
                Some(capability) => {
                    if !added.contains(&capability.name()) {
                        added.push(capability.name());
                    }
                }
                None => importer.unsupported(
                    entry,
                    &path,
                    "not one Linux capability: name each the service needs (without `CAP_`)",
                    &mut draft.comments,
                ),
            }
        }
        if !added.is_empty() {
            lines.push(format!(
                "      capabilities: [{}]   # from compose cap_add: say why each is needed",
                added.join(", ")
            ));
        }
    }
    if node.get("cap_drop").is_some() {
        draft.comments.push(format!(
            "# compose `{}`: nothing to carry over, the new pods drop every capability",
            draft.at("cap_drop")
        ));
    }
    if !lines.is_empty() {
        draft.lines.push("    securityContext:".into());
        draft.lines.extend(lines);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_numeric_users_map() {
        assert_eq!(numeric_user("1000"), Some((1000, None)));
        assert_eq!(numeric_user("50000:0"), Some((50000, Some(0))));
        assert_eq!(numeric_user("postgres"), None);
        assert_eq!(numeric_user("1000:staff"), None);
        assert_eq!(numeric_user("4294967295"), None);
        assert_eq!(numeric_user("+5"), None);
        assert_eq!(numeric_user(""), None);
    }

    #[test]
    fn tmpfs_entries_keep_their_path() {
        assert_eq!(tmpfs_path("/run:size=64m"), Some("/run".into()));
        assert_eq!(tmpfs_path("/tmp"), Some("/tmp".into()));
        assert_eq!(tmpfs_path("tmp"), None);
    }
}
