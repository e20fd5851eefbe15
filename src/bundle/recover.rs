//! Putting right what a killed run left beside the output directory.
//!
//! A write stages the new bundle in `.NAME.cutover-new-PID`, moves the previous bundle aside
//! to `.NAME.cutover-old-PID`, renames the staged one into place and removes the old one. A
//! run killed part-way (SIGKILL, power loss) leaves one or both folders, and between the two
//! renames no `NAME` at all. Before it does anything else, a write (and `cutover compile`,
//! before it compiles) looks for folders of those names whose run is no longer alive:
//!
//! - a moved-aside bundle with `NAME` missing is renamed back to `NAME`;
//! - a moved-aside bundle with `NAME` present is removed only when it holds nothing but the
//!   files its own index lists, unchanged (the test that allows replacing a bundle);
//! - a staging folder is removed only when it holds regular files and folders of bundle
//!   paths, and no file its index (if it got that far) does not list;
//! - anything else is kept, with a warning: nothing a user wrote is deleted.
//!
//! Liveness: on Linux, a process id is alive while `/proc/PID` exists. Where `/proc` is not
//! mounted (or on other systems) liveness is unknown and every such folder is left alone. A
//! dead run's id taken by a new process makes its folders look alive: they are kept until
//! that process ends, which errs on the safe side. This process's own id counts as dead: the
//! run has made nothing yet when it looks, so folders with its id are an earlier run's (a
//! container's PID 1, say).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::{
    INDEX, WriteError, WriteOptions, inspect, io_error, is_safe_relative, list_files,
    parent_and_name, read_index, remove_bundle, shown,
};

const STAGING: &str = ".cutover-new-";
const RETIRED: &str = ".cutover-old-";

/// `.NAME.cutover-new-PID`: where a run writes the new bundle.
pub(super) fn staging_name(name: &str, pid: u32) -> String {
    format!(".{name}{STAGING}{pid}")
}

/// `.NAME.cutover-old-PID`: where a run moves the previous bundle while it renames.
pub(super) fn retired_name(name: &str, pid: u32) -> String {
    format!(".{name}{RETIRED}{pid}")
}

/// One thing a run did, or declined to do, about a killed run's leftovers.
#[derive(Debug)]
pub enum Recovery {
    /// The previous bundle, moved aside by a killed run, was put back.
    Restored { from: PathBuf, to: PathBuf },
    /// A dead run's folder was removed.
    Removed { path: PathBuf, what: &'static str },
    /// A dead run's folder was kept: it holds something cutover did not write.
    Kept { path: PathBuf, reason: String },
}

impl Recovery {
    /// Kept folders need the user; the rest is for information.
    pub fn is_warning(&self) -> bool {
        matches!(self, Recovery::Kept { .. })
    }
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recovery::Restored { from, to } => write!(
                f,
                "restored {}: a run that was killed had moved it aside to {}",
                shown(to),
                shown(from)
            ),
            Recovery::Removed { path, what } => write!(
                f,
                "removed {}: {what} of a run that was killed",
                shown(path)
            ),
            Recovery::Kept { path, reason } => write!(
                f,
                "kept {}, left by a run that was killed: {reason}; move out what you need and \
                 remove it by hand",
                shown(path)
            ),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Leftover {
    Staging,
    Retired,
}

/// Whether `file_name` is one of our folders for the output `name`, and whose.
fn leftover(file_name: &str, name: &str) -> Option<(Leftover, u32)> {
    let rest = file_name.strip_prefix('.')?.strip_prefix(name)?;
    let (kind, pid) = if let Some(pid) = rest.strip_prefix(STAGING) {
        (Leftover::Staging, pid)
    } else {
        (Leftover::Retired, rest.strip_prefix(RETIRED)?)
    };
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse::<u32>()
        .ok()
        .filter(|pid| *pid > 0)
        .map(|pid| (kind, pid))
}

/// Whether the process `pid` may still be running (see the module docs).
fn may_be_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

fn exists(path: &Path) -> io::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Puts right the leftovers of killed runs for the output directory `dir` (see the module
/// docs); returns what it did. Folders of live runs are not touched.
pub fn recover(dir: &Path) -> Result<Vec<Recovery>, WriteError> {
    let (parent, name) = parent_and_name(dir);
    let entries = match std::fs::read_dir(&parent) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(&parent)(e)),
    };
    let mut notes = Vec::new();
    let (mut staging, mut retired) = (Vec::new(), Vec::new());
    for entry in entries {
        let entry = entry.map_err(io_error(&parent))?;
        let file_name = entry.file_name();
        let Some((kind, pid)) = file_name.to_str().and_then(|n| leftover(n, &name)) else {
            continue;
        };
        if may_be_alive(pid) {
            continue;
        }
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).map_err(io_error(&path))?;
        if !meta.is_dir() {
            notes.push(Recovery::Kept {
                path,
                reason: "it is not a directory".into(),
            });
            continue;
        }
        match kind {
            Leftover::Staging => staging.push(path),
            Leftover::Retired => retired.push((meta.modified().ok(), path)),
        }
    }
    staging.sort();
    for path in staging {
        match staged_only(&path) {
            Ok(()) => {
                std::fs::remove_dir_all(&path).map_err(io_error(&path))?;
                notes.push(Recovery::Removed {
                    path,
                    what: "the half-written bundle",
                });
            }
            Err(reason) => notes.push(Recovery::Kept { path, reason }),
        }
    }
    // With several, the most recently written is the one to put back.
    retired.sort_by(|a, b| b.cmp(a));
    for (_, path) in retired {
        if !exists(dir).map_err(io_error(dir))? {
            std::fs::rename(&path, dir).map_err(io_error(&path))?;
            notes.push(Recovery::Restored {
                from: path,
                to: dir.to_path_buf(),
            });
            continue;
        }
        match inspect(&path, WriteOptions::default()) {
            Ok(_) => {
                remove_bundle(&path)?;
                notes.push(Recovery::Removed {
                    path,
                    what: "the previous bundle, already replaced,",
                });
            }
            Err(error) => notes.push(Recovery::Kept {
                path,
                reason: match error {
                    WriteError::UserFiles { files, .. } => format!(
                        "it holds files cutover did not write or that were edited, such as {}",
                        files
                            .first()
                            .map_or(String::new(), |f| f.escape_debug().to_string())
                    ),
                    WriteError::NotABundle { reason, .. } => reason,
                    other => other.to_string(),
                },
            }),
        }
    }
    Ok(notes)
}

/// Whether a staging folder holds only what a write puts there; else why not.
fn staged_only(path: &Path) -> Result<(), String> {
    let files = list_files(path).map_err(|e| e.to_string())?;
    if let Some(odd) = files.iter().find(|f| !is_safe_relative(f)) {
        return Err(format!(
            "`{}` is not a name cutover writes",
            odd.escape_debug()
        ));
    }
    // A run killed after writing index.json: everything else must be listed in it.
    if let Some(index) = read_index(path).map_err(|e| e.to_string())? {
        let listed: std::collections::BTreeSet<&str> =
            index.files.iter().map(|e| e.path.as_str()).collect();
        if let Some(odd) = files
            .iter()
            .find(|f| f.as_str() != INDEX && !listed.contains(f.as_str()))
        {
            return Err(format!(
                "`{}` is not listed in its index.json",
                odd.escape_debug()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_exact_names_are_leftovers() {
        assert!(matches!(
            leftover(".out.cutover-old-42", "out"),
            Some((Leftover::Retired, 42))
        ));
        assert!(matches!(
            leftover(".out.cutover-new-7", "out"),
            Some((Leftover::Staging, 7))
        ));
        for other in [
            ".out.cutover-old-",
            ".out.cutover-old-0",
            ".out.cutover-old-+1",
            ".out.cutover-old-1x",
            ".out.cutover-old-99999999999",
            ".out-2.cutover-old-1",
            "out.cutover-old-1",
            ".out.cutover-gone-1",
        ] {
            assert!(leftover(other, "out").is_none(), "{other}");
        }
        assert_eq!(retired_name("out", 5), ".out.cutover-old-5");
        assert_eq!(staging_name("out", 5), ".out.cutover-new-5");
    }
}
