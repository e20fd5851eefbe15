//! The files a spec's `configs` name, read from the spec's folder in the load stage, so that
//! check judges them (the config-file rule) and render copies exactly what was judged.
//!
//! Every path is untrusted: an absolute path, a `..`, or anything that resolves outside the
//! spec's folder (a symbolic link included) is refused before it is opened, and only a
//! regular file within the size limit is read ([`crate::regular`]: a FIFO never blocks).
//! A refused file is a [`FileProblem`], never an error of the load itself: check reports it
//! with the other diagnostics.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::model::Spec;
use crate::regular::{self, Links};

/// A ConfigMap holds at most 1 MiB (etcd's object limit): no file may be larger, and the
/// check adds the files of one config up against the same limit.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// What the load stage read for `configs`: each file path as written, with its content or
/// why it was not read.
#[derive(Clone, Debug, Default)]
pub struct ConfigFiles {
    files: BTreeMap<String, Result<Vec<u8>, FileProblem>>,
}

/// Why a config file was not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileProblem {
    /// The spec was not read from a file (it came from memory): there is no folder.
    NoFolder,
    /// The path is empty, absolute, or climbs with `..`.
    Unsafe(&'static str),
    /// The path resolves outside the spec's folder (through a symbolic link).
    Outside,
    /// It cannot be read: missing, not a regular file, unreadable (the reason in words).
    Unreadable(String),
    /// Larger than [`MAX_CONFIG_BYTES`].
    TooLarge,
}

impl FileProblem {
    /// The problem in words, for a diagnostic.
    pub fn describe(&self) -> String {
        match self {
            FileProblem::NoFolder => {
                "the spec was not read from a file, so no file beside it can be read".into()
            }
            FileProblem::Unsafe(why) => (*why).to_string(),
            FileProblem::Outside => "it resolves outside the spec's folder".into(),
            FileProblem::Unreadable(why) => format!("it cannot be read: {why}"),
            FileProblem::TooLarge => format!(
                "it is larger than {} MiB, the most a ConfigMap holds",
                MAX_CONFIG_BYTES / 1024 / 1024
            ),
        }
    }
}

impl ConfigFiles {
    /// The content read for a path as the spec writes it; `None` when it was never asked for.
    pub fn get(&self, path: &str) -> Option<&Result<Vec<u8>, FileProblem>> {
        self.files.get(path)
    }
}

/// Reads every file the spec's `configs` name, relative to `folder` (the spec's folder;
/// `None` for a spec held in memory).
pub fn read(spec: &Spec, folder: Option<&Path>) -> ConfigFiles {
    let mut files = BTreeMap::new();
    // Canonical once: every file must resolve inside it.
    let base = folder.map(|f| {
        let f = if f.as_os_str().is_empty() {
            Path::new(".")
        } else {
            f
        };
        f.canonicalize()
    });
    for path in spec.configs.iter().flat_map(|c| &c.files) {
        if files.contains_key(path) {
            continue;
        }
        let content = match &base {
            None => Err(FileProblem::NoFolder),
            Some(Err(e)) => Err(FileProblem::Unreadable(format!("the spec's folder: {e}"))),
            Some(Ok(base)) => read_one(base, path),
        };
        files.insert(path.clone(), content);
    }
    ConfigFiles { files }
}

/// The key a file becomes in its ConfigMap: its file name.
pub fn key_of(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn read_one(base: &Path, written: &str) -> Result<Vec<u8>, FileProblem> {
    let relative = safe_relative(written)?;
    let joined = base.join(relative);
    // Resolves every link: where the file really is must be inside the folder.
    let real = joined
        .canonicalize()
        .map_err(|e| FileProblem::Unreadable(e.to_string()))?;
    if !real.starts_with(base) {
        return Err(FileProblem::Outside);
    }
    let bytes = regular::read(&real, Links::Refuse, Some(MAX_CONFIG_BYTES + 1))
        .map_err(|e| FileProblem::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(FileProblem::TooLarge);
    }
    Ok(bytes)
}

/// The path as plain names below the folder, or why it is refused.
fn safe_relative(written: &str) -> Result<PathBuf, FileProblem> {
    if written.is_empty() {
        return Err(FileProblem::Unsafe("the path is empty"));
    }
    // `\` is a separator on Windows: refuse it everywhere, so a spec reads the same on both.
    if written.starts_with(['/', '\\']) || written.contains('\\') || written.contains(':') {
        return Err(FileProblem::Unsafe(
            "the path is absolute or not a plain `/`-separated path",
        ));
    }
    let mut relative = PathBuf::new();
    for component in Path::new(written).components() {
        match component {
            Component::Normal(name) => relative.push(name),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(FileProblem::Unsafe("the path climbs out with `..`"));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(FileProblem::Unsafe("the path is absolute"));
            }
        }
    }
    if relative.as_os_str().is_empty() {
        return Err(FileProblem::Unsafe("the path names no file"));
    }
    Ok(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused_before_any_read() {
        for path in ["", "/etc/passwd", "../x", "a/../../x", "C:x", "a\\b", "."] {
            assert!(safe_relative(path).is_err(), "{path}");
        }
        assert_eq!(
            safe_relative("./a/b.yml").ok(),
            Some(PathBuf::from("a/b.yml"))
        );
    }

    #[test]
    fn the_key_is_the_file_name() {
        assert_eq!(key_of("piggymetrics/application.yml"), "application.yml");
        assert_eq!(key_of("app.conf"), "app.conf");
    }
}
