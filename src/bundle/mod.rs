//! Stage 5, bundle: the rendered files written byte-for-byte reproducibly and atomically.
//!
//! Files are kept sorted by path; `index.json` lists each with its SHA-256. The bundle is
//! written into a temporary sibling directory and renamed into place, so a failed run never
//! leaves a half-written or mixed bundle. An existing directory is replaced only when it is a
//! cutover bundle holding nothing but the files its own index lists: nothing a user wrote is
//! ever deleted.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::render::RecordedWarning;

/// The bundle's files by relative path (`/`-separated), in a stable order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Files {
    files: BTreeMap<String, Vec<u8>>,
}

impl Files {
    pub fn new() -> Self {
        Files::default()
    }

    pub fn insert(&mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) {
        let path = path.into();
        debug_assert!(is_safe_relative(&path), "unsafe bundle path {path}");
        self.files.insert(path, content.into());
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// A relative path of plain components: no `..`, no root, no empty parts.
fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\\'))
}

pub const INDEX: &str = "index.json";
const GENERATOR: &str = "cutover";

/// `index.json`: what the bundle holds and what its spec carried.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    pub generator: String,
    pub version: String,
    pub migration: String,
    /// The target's Kubernetes version, which the manifests are built (and validated) for.
    #[serde(default)]
    pub kubernetes_version: String,
    /// SHA-256 of the spec's canonical JSON form: the same for its YAML and TOML renderings.
    pub spec_digest: String,
    #[serde(default)]
    pub rule_levels: BTreeMap<String, String>,
    pub files: Vec<IndexEntry>,
    #[serde(default)]
    pub warnings: Vec<IndexWarning>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct IndexEntry {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct IndexWarning {
    pub rule: String,
    pub path: String,
    pub message: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest.iter() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Adds `index.json` to the files: every other file with its digest, and the warnings.
pub fn seal(
    mut files: Files,
    migration: &str,
    kubernetes_version: &str,
    spec_digest: String,
    rule_levels: BTreeMap<String, String>,
    warnings: &[RecordedWarning],
) -> Files {
    let index = Index {
        generator: GENERATOR.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        migration: migration.into(),
        kubernetes_version: kubernetes_version.into(),
        spec_digest,
        rule_levels,
        files: files
            .iter()
            .map(|(path, content)| IndexEntry {
                path: path.to_string(),
                sha256: sha256_hex(content),
                bytes: content.len() as u64,
            })
            .collect(),
        warnings: warnings
            .iter()
            .map(|w| IndexWarning {
                rule: w.rule.into(),
                path: w.path.clone(),
                message: w.message.clone(),
            })
            .collect(),
    };
    let mut json = serde_json::to_string_pretty(&index).unwrap_or_default();
    json.push('\n');
    files.insert(INDEX, json);
    files
}

#[derive(Debug)]
pub enum WriteError {
    /// The output exists and is not a cutover bundle: refused, nothing changed.
    NotABundle {
        dir: PathBuf,
        reason: String,
    },
    /// The output is a bundle, but holds files its index does not list, or changed ones.
    UserFiles {
        dir: PathBuf,
        files: Vec<String>,
        changed: bool,
    },
    Io {
        path: PathBuf,
        error: io::Error,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::NotABundle { dir, reason } => write!(
                f,
                "refusing to write into {}: {reason}; choose an empty or new directory",
                dir.display()
            ),
            WriteError::UserFiles {
                dir,
                files,
                changed,
            } => {
                let shown: Vec<&str> = files.iter().take(10).map(String::as_str).collect();
                let more = files.len().saturating_sub(shown.len());
                write!(
                    f,
                    "refusing to replace the bundle {}: {} {}{}{}",
                    dir.display(),
                    if *changed {
                        "these generated files were edited by hand:"
                    } else {
                        "it holds files cutover did not write:"
                    },
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    },
                    if *changed {
                        "; move your edits into the spec, or pass --force to overwrite them"
                    } else {
                        "; move them out of the bundle first"
                    }
                )
            }
            WriteError::Io { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |error| WriteError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Options of one write.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    /// Overwrite generated files that were edited by hand (files cutover did not write are
    /// still never deleted).
    pub force: bool,
}

/// Writes the files as the bundle directory `dir`, atomically.
pub fn write(files: &Files, dir: &Path, options: WriteOptions) -> Result<(), WriteError> {
    write_with(files, dir, options, &|_| Ok(()))
}

/// Writes every file under `staging`: the folders first, once each, then the files from a
/// few threads. Creating thousands of small files is the cost of a large bundle, and it is
/// the kernel's work, which spreads over cores.
fn write_files(
    files: &Files,
    staging: &Path,
    before_file: &(dyn Fn(&str) -> io::Result<()> + Sync),
) -> Result<(), WriteError> {
    let folders: BTreeSet<&Path> = files
        .iter()
        .filter_map(|(path, _)| Path::new(path).parent())
        .filter(|folder| !folder.as_os_str().is_empty())
        .collect();
    for folder in folders {
        let folder = staging.join(folder);
        std::fs::create_dir_all(&folder).map_err(io_error(&folder))?;
    }
    let entries: Vec<(&str, &[u8])> = files.iter().collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let chunk = entries.len().div_ceil(workers).max(1);
    let failed = AtomicBool::new(false);
    let write_part = |part: &[(&str, &[u8])]| -> Result<(), WriteError> {
        for (path, content) in part {
            // Another writer failed: the staging folder is about to be removed.
            if failed.load(Ordering::Relaxed) {
                return Ok(());
            }
            let target = staging.join(path);
            let written = before_file(path).and_then(|()| std::fs::write(&target, content));
            if let Err(error) = written {
                failed.store(true, Ordering::Relaxed);
                return Err(WriteError::Io {
                    path: target,
                    error,
                });
            }
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let writers: Vec<_> = entries
            .chunks(chunk)
            .map(|part| scope.spawn(|| write_part(part)))
            .collect();
        // The first failure in file order is the one reported; the scope joins the rest.
        writers.into_iter().try_for_each(|writer| {
            writer.join().unwrap_or_else(|_| {
                Err(WriteError::Io {
                    path: staging.to_path_buf(),
                    error: io::Error::other("a writer thread stopped"),
                })
            })
        })
    })
}

/// [`write`] with a hook called before each file is written, so that tests can make a write
/// fail half-way and show that nothing is left behind.
pub fn write_with(
    files: &Files,
    dir: &Path,
    options: WriteOptions,
    before_file: &(dyn Fn(&str) -> io::Result<()> + Sync),
) -> Result<(), WriteError> {
    let existing = inspect(dir, options)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io_error(&parent))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    let staging = parent.join(format!(".{name}.cutover-new-{}", std::process::id()));
    let retired = parent.join(format!(".{name}.cutover-old-{}", std::process::id()));
    // Leftovers of an earlier run of this same process id cannot be ours to keep.
    let _ = std::fs::remove_dir_all(&staging);

    let result = (|| {
        std::fs::create_dir(&staging).map_err(io_error(&staging))?;
        write_files(files, &staging, before_file)?;
        match existing {
            Existing::Nothing => {}
            Existing::Replaceable => {
                std::fs::rename(dir, &retired).map_err(io_error(dir))?;
            }
        }
        if let Err(error) = std::fs::rename(&staging, dir) {
            if matches!(existing, Existing::Replaceable) {
                let _ = std::fs::rename(&retired, dir);
            }
            return Err(WriteError::Io {
                path: dir.to_path_buf(),
                error,
            });
        }
        Ok(())
    })();
    match result {
        Ok(()) => {
            if matches!(existing, Existing::Replaceable) {
                // Only the previous bundle, which inspect() proved holds nothing but its
                // own listed files (or an empty directory).
                let _ = std::fs::remove_dir_all(&retired);
            }
            Ok(())
        }
        Err(error) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(error)
        }
    }
}

enum Existing {
    Nothing,
    /// An empty directory, or a bundle holding only its listed files.
    Replaceable,
}

/// Decides whether `dir` may be replaced, without changing anything.
fn inspect(dir: &Path, options: WriteOptions) -> Result<Existing, WriteError> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(e) => return Err(io_error(dir)(e)),
    };
    if !meta.is_dir() {
        return Err(WriteError::NotABundle {
            dir: dir.to_path_buf(),
            reason: "it is not a directory".into(),
        });
    }
    let present = list_files(dir)?;
    if present.is_empty() {
        return Ok(Existing::Replaceable);
    }
    let index: Option<Index> = std::fs::read(dir.join(INDEX))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .filter(|index: &Index| index.generator == GENERATOR);
    let Some(index) = index else {
        return Err(WriteError::NotABundle {
            dir: dir.to_path_buf(),
            reason: "it is not empty and holds no cutover index.json".into(),
        });
    };
    let listed: BTreeMap<&str, &str> = index
        .files
        .iter()
        .map(|e| (e.path.as_str(), e.sha256.as_str()))
        .collect();
    let unlisted: Vec<String> = present
        .iter()
        .filter(|p| p.as_str() != INDEX && !listed.contains_key(p.as_str()))
        .cloned()
        .collect();
    if !unlisted.is_empty() {
        return Err(WriteError::UserFiles {
            dir: dir.to_path_buf(),
            files: unlisted,
            changed: false,
        });
    }
    if !options.force {
        let mut changed = Vec::new();
        for path in present.iter().filter(|p| p.as_str() != INDEX) {
            let bytes = std::fs::read(dir.join(path)).map_err(io_error(&dir.join(path)))?;
            if listed.get(path.as_str()) != Some(&sha256_hex(&bytes).as_str()) {
                changed.push(path.clone());
            }
        }
        if !changed.is_empty() {
            return Err(WriteError::UserFiles {
                dir: dir.to_path_buf(),
                files: changed,
                changed: true,
            });
        }
    }
    Ok(Existing::Replaceable)
}

/// Every file under `dir`, as sorted `/`-separated relative paths. Symbolic links count as
/// files (they are not followed), so a link a user put in the bundle is never deleted.
fn list_files(dir: &Path) -> Result<Vec<String>, WriteError> {
    let mut out = Vec::new();
    let mut todo = vec![(dir.to_path_buf(), String::new())];
    while let Some((folder, prefix)) = todo.pop() {
        for entry in std::fs::read_dir(&folder).map_err(io_error(&folder))? {
            let entry = entry.map_err(io_error(&folder))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let kind = entry.file_type().map_err(io_error(&entry.path()))?;
            if kind.is_dir() {
                todo.push((entry.path(), relative));
            } else {
                out.push(relative);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads a bundle directory back into files (for `verify` and tests).
pub fn read(dir: &Path) -> Result<Files, WriteError> {
    let mut files = Files::new();
    for path in list_files(dir)? {
        let full = dir.join(&path);
        let content = std::fs::read(&full).map_err(io_error(&full))?;
        files.insert(path, content);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_must_stay_inside_the_bundle() {
        assert!(is_safe_relative("manifests/01-prepare/kustomization.yaml"));
        assert!(!is_safe_relative("../etc/passwd"));
        assert!(!is_safe_relative("/abs"));
        assert!(!is_safe_relative("a//b"));
    }
}
