//! Stage 5, bundle: the rendered files written byte-for-byte reproducibly and atomically.
//!
//! Each file is written into a temporary sibling directory as soon as it is rendered, and
//! only its SHA-256 is kept; `index.json` lists them all, sorted by path, and is written
//! last. The directory is then renamed into place, so a failed run never leaves a
//! half-written or mixed bundle, and a bundle of any size is written in the memory of the
//! work that renders it ([`write_streaming`]). An existing directory is replaced only when it is a
//! cutover bundle holding nothing but the files its own index lists: nothing a user wrote is
//! ever deleted.
//!
//! Every file path is checked before its file is written, in every build profile (a plain
//! relative path: [`is_safe_relative`]; one that is not fails the run, and the staging folder
//! goes with it); no file is written twice (`create_new`: two objects of one name are a bug,
//! never a silent overwrite); the leftovers of a run that was killed are put right
//! first ([`recover`]); and a bundle is read back as regular files and directories only: a
//! symbolic link, FIFO, socket or device in it is an error, never followed or read
//! ([`crate::regular`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::regular::{Links, describe};
use crate::render::RecordedWarning;

mod recover;

pub use recover::{Recovery, recover};
// The render stage builds the files; diff, the CLI and the tests name them from here.
use crate::regular;
pub use crate::render::Files;
use crate::render::{Digest, FileSink, Out, Sink};

/// A relative path of plain file names joined by `/`: no root, no `..`, `.` or empty part,
/// no backslash, NUL or control character. Every bundle path is built from fixed names and
/// spec names that the checks hold to DNS labels and domains, so the allowed set is small:
/// ASCII letters, digits, `.`, `_` and `-`, not starting with `.` (which also rules out `.`
/// and `..`), at most 255 bytes a part.
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty() && path.split('/').all(is_plain_file_name)
}

fn is_plain_file_name(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= 255
        && !part.starts_with('.')
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
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
    Digest::of(bytes).hex()
}

/// `index.json` as it is written: the same fields as [`Index`], with the files listed
/// straight from their digests.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IndexOut<'a> {
    generator: &'a str,
    version: &'a str,
    migration: &'a str,
    kubernetes_version: &'a str,
    spec_digest: &'a str,
    rule_levels: &'a BTreeMap<String, String>,
    files: IndexFiles<'a>,
    warnings: Vec<IndexWarning>,
}

struct IndexFiles<'a>(&'a BTreeMap<String, Digest>);

impl Serialize for IndexFiles<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Every file but the index itself (written last, it is not among them anyway).
        let listed = self.0.iter().filter(|(path, _)| path.as_str() != INDEX);
        serializer.collect_seq(listed.map(|(path, digest)| IndexEntry {
            path: path.clone(),
            sha256: digest.hex(),
            bytes: digest.bytes,
        }))
    }
}

/// Adds `index.json` to the files: every other file with its digest, and the warnings. The
/// last file of a bundle.
pub fn seal(
    files: &Out,
    migration: &str,
    kubernetes_version: &str,
    spec_digest: &str,
    rule_levels: &BTreeMap<String, String>,
    warnings: &[RecordedWarning],
) {
    files.with_digests_moved(|digests| {
        let index = IndexOut {
            generator: GENERATOR,
            version: env!("CARGO_PKG_VERSION"),
            migration,
            kubernetes_version,
            spec_digest,
            rule_levels,
            files: IndexFiles(digests),
            warnings: warnings
                .iter()
                .map(|w| IndexWarning {
                    rule: w.rule.into(),
                    path: w.path.clone(),
                    message: w.message.clone(),
                })
                .collect(),
        };
        files.insert_with(INDEX, |w| {
            serde_json::to_writer_pretty(&mut *w, &index)?;
            w.write_all(b"\n")
        });
    });
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
    /// A file's path is not a plain relative path inside the bundle: refused before anything
    /// is written, whatever the build profile.
    UnsafePath {
        path: String,
    },
    /// An entry of a bundle directory is a link, FIFO, socket or device: never followed or
    /// read.
    NotRegular {
        path: PathBuf,
        kind: &'static str,
    },
    Io {
        path: PathBuf,
        error: io::Error,
    },
    /// The render stage failed while the bundle was being written (a template error).
    Render(String),
}

/// A path for a message, with control characters escaped: file names in a directory are
/// anyone's, and must not reach the terminal as raw bytes.
fn shown(path: &Path) -> String {
    path.display().to_string().escape_debug().to_string()
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::NotABundle { dir, reason } => write!(
                f,
                "refusing to write into {}: {reason}; choose an empty or new directory",
                shown(dir)
            ),
            WriteError::UserFiles {
                dir,
                files,
                changed,
            } => {
                let shown_files: Vec<String> = files
                    .iter()
                    .take(10)
                    .map(|p| p.escape_debug().to_string())
                    .collect();
                let more = files.len().saturating_sub(shown_files.len());
                write!(
                    f,
                    "refusing to replace the bundle {}: {} {}{}{}",
                    shown(dir),
                    if *changed {
                        "these generated files were edited by hand:"
                    } else {
                        "it holds files cutover did not write:"
                    },
                    shown_files.join(", "),
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
            WriteError::UnsafePath { path } => write!(
                f,
                "refusing to write the bundle: the file path `{}` is not a plain relative path \
                 inside the output directory (each part letters, digits, `.`, `_` or `-`, not \
                 starting with `.`); nothing was written",
                path.escape_debug()
            ),
            WriteError::NotRegular { path, kind } => write!(
                f,
                "{} is {kind}: a bundle holds only regular files and directories, and cutover \
                 neither follows a link out of a bundle nor reads a FIFO or device",
                shown(path)
            ),
            WriteError::Io { path, error } => write!(f, "{}: {error}", shown(path)),
            WriteError::Render(message) => f.write_str(message),
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

/// What a write did besides writing: the leftovers of killed runs it put right.
#[derive(Debug, Default)]
pub struct Written {
    pub recovered: Vec<Recovery>,
    /// The number of files written, `index.json` included.
    pub files: usize,
}

/// Writes the files as the bundle directory `dir`, atomically.
pub fn write(files: &Files, dir: &Path, options: WriteOptions) -> Result<Written, WriteError> {
    write_with(files, dir, options, &|_| Ok(()))
}

/// Runs `work` on the bundle's file pool: creating or reading thousands of small files is
/// system-call bound, and a few threads (at most four, as many as the machine has cores)
/// spread the kernel's work; more would only contend for the same directories. A pool of
/// its own, so that rayon's global one (all cores, for the CPU-bound rendering) stays as it
/// is. Without a pool (the threads could not start), the work runs on the global one.
fn on_file_pool<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("cutover-files-{i}"))
            .build()
            .ok()
    });
    match pool {
        Some(pool) => pool.install(work),
        None => work(),
    }
}

/// The staging folder as a [`Sink`]: each file is created as it is rendered, its folders
/// first (once each). A path that is not a plain relative path fails the write before
/// anything is created for it.
struct Staging<'a> {
    root: &'a Path,
    folders: Mutex<BTreeSet<PathBuf>>,
    before_file: &'a (dyn Fn(&str) -> io::Result<()> + Sync),
    unsafe_path: Mutex<Option<String>>,
}

impl Sink for Staging<'_> {
    fn open(&self, path: &str) -> io::Result<Box<dyn FileSink + '_>> {
        if !is_safe_relative(path) {
            let mut first = crate::render::lock(&self.unsafe_path);
            first.get_or_insert_with(|| path.to_string());
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a plain relative path",
            ));
        }
        (self.before_file)(path)?;
        if let Some(folder) = Path::new(path)
            .parent()
            .filter(|f| !f.as_os_str().is_empty())
        {
            let mut made = crate::render::lock(&self.folders);
            if !made.contains(folder) {
                std::fs::create_dir_all(self.root.join(folder))?;
                made.insert(folder.to_path_buf());
            }
        }
        let file = std::fs::File::create_new(self.root.join(path))?;
        Ok(Box::new(StagedFile(io::BufWriter::with_capacity(
            64 * 1024,
            file,
        ))))
    }
}

struct StagedFile(io::BufWriter<std::fs::File>);

impl io::Write for StagedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl FileSink for StagedFile {
    fn finish(self: Box<Self>, _digest: &Digest) -> io::Result<()> {
        self.0
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        Ok(())
    }
}

/// The folder `dir` sits in, and the name its temporary siblings are built from.
fn parent_and_name(dir: &Path) -> (PathBuf, String) {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    (parent, name)
}

/// [`write`] with a hook called before each file is written, so that tests can make a write
/// fail half-way and show that nothing is left behind.
pub fn write_with(
    files: &Files,
    dir: &Path,
    options: WriteOptions,
    before_file: &(dyn Fn(&str) -> io::Result<()> + Sync),
) -> Result<Written, WriteError> {
    // Every path is checked here, in release builds too: a spec value that slipped past the
    // checks must not write outside `dir`.
    if let Some(path) = files.paths().find(|p| !is_safe_relative(p)) {
        return Err(WriteError::UnsafePath {
            path: path.to_string(),
        });
    }
    let entries: Vec<(&str, &[u8])> = files.iter().collect();
    write_streaming_with(dir, options, before_file, |out| {
        on_file_pool(|| {
            entries
                .par_iter()
                .for_each(|(path, content)| out.insert(*path, content));
        });
        Ok(())
    })
}

/// Writes the bundle directory `dir` atomically from files handed over as `render` makes
/// them: each is written into the staging folder at once and only its digest is kept, so a
/// bundle of any size is written in the memory of its largest file. `render` ends with the
/// index ([`seal`]). A failure of `render` (its message) or of a write leaves `dir` as it
/// was.
pub fn write_streaming(
    dir: &Path,
    options: WriteOptions,
    render: impl FnOnce(&Out) -> Result<(), String>,
) -> Result<Written, WriteError> {
    write_streaming_with(dir, options, &|_| Ok(()), render)
}

fn write_streaming_with(
    dir: &Path,
    options: WriteOptions,
    before_file: &(dyn Fn(&str) -> io::Result<()> + Sync),
    render: impl FnOnce(&Out) -> Result<(), String>,
) -> Result<Written, WriteError> {
    let recovered = recover(dir)?;
    let existing = inspect(dir, options)?;
    let (parent, name) = parent_and_name(dir);
    std::fs::create_dir_all(&parent).map_err(io_error(&parent))?;
    let staging = parent.join(recover::staging_name(&name, std::process::id()));
    let retired = parent.join(recover::retired_name(&name, std::process::id()));

    // A folder of that name that this run did not make is not ours to remove: fail instead.
    std::fs::create_dir(&staging).map_err(io_error(&staging))?;
    let result = (|| {
        let sink = Staging {
            root: &staging,
            folders: Mutex::default(),
            before_file,
            unsafe_path: Mutex::default(),
        };
        let out = Out::new(&sink);
        let rendered = render(&out);
        let finished = out.finish();
        if let Some(path) = sink
            .unsafe_path
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
        {
            return Err(WriteError::UnsafePath { path });
        }
        rendered.map_err(WriteError::Render)?;
        let digests = finished.map_err(|e| WriteError::Io {
            path: staging.join(&e.path),
            error: e.error,
        })?;
        match existing {
            Existing::Nothing => {}
            Existing::Replaceable => {
                std::fs::rename(dir, &retired).map_err(io_error(dir))?;
            }
        }
        // A kill from here to the rename below leaves `dir` missing and the previous bundle
        // in `retired`: the next run's recover() puts it back.
        if let Err(error) = std::fs::rename(&staging, dir) {
            if matches!(existing, Existing::Replaceable) {
                let _ = std::fs::rename(&retired, dir);
            }
            return Err(WriteError::Io {
                path: dir.to_path_buf(),
                error,
            });
        }
        Ok(digests.len())
    })();
    match result {
        Ok(files) => {
            if matches!(existing, Existing::Replaceable) {
                // Only the previous bundle, which inspect() proved holds nothing but its
                // own listed files (or an empty directory).
                let _ = remove_bundle(&retired);
            }
            Ok(Written { recovered, files })
        }
        Err(error) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(error)
        }
    }
}

/// Removes a bundle that [`inspect`] found replaceable, `index.json` last: a run killed
/// part-way leaves a bundle that still passes that test, which the next run removes.
fn remove_bundle(dir: &Path) -> Result<(), WriteError> {
    let (files, folders) = list_entries(dir)?;
    for path in files.iter().filter(|p| p.as_str() != INDEX) {
        let full = dir.join(path);
        std::fs::remove_file(&full).map_err(io_error(&full))?;
    }
    // The emptied folders next, deepest first (`a/b` sorts after `a`), then the index, then
    // the bundle: `remove_dir_all` could take the index before the folders, and a run killed
    // then left folders without an index, which no run may remove.
    for folder in folders.iter().rev() {
        let full = dir.join(folder);
        std::fs::remove_dir(&full).map_err(io_error(&full))?;
    }
    let index = dir.join(INDEX);
    match std::fs::remove_file(&index) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_error(&index)(e)),
        _ => {}
    }
    std::fs::remove_dir(dir).map_err(io_error(dir))
}

enum Existing {
    Nothing,
    /// An empty directory, or a bundle holding only its listed files.
    Replaceable,
}

/// Reads and parses `dir/index.json`, if it is a cutover index.
fn read_index(dir: &Path) -> Result<Option<Index>, WriteError> {
    let path = dir.join(INDEX);
    match regular::read(&path, Links::Refuse, None) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes)
            .ok()
            .filter(|index: &Index| index.generator == GENERATOR)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(&path)(e)),
    }
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
            reason: format!("it is {}, not a directory", describe(meta.file_type())),
        });
    }
    let (present, folders) = list_entries(dir)?;
    // Only a truly empty directory: an empty folder inside it (`.git/refs/`) is a user's.
    if present.is_empty() && folders.is_empty() {
        return Ok(Existing::Replaceable);
    }
    let Some(index) = read_index(dir)? else {
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
    // A folder no listed file lies in was made by someone else, even when it is empty.
    let bundle_folders: BTreeSet<&str> = listed
        .keys()
        .flat_map(|path| path.match_indices('/').map(|(i, _)| &path[..i]))
        .collect();
    let unlisted: Vec<String> = present
        .iter()
        .filter(|p| p.as_str() != INDEX && !listed.contains_key(p.as_str()))
        .cloned()
        .chain(
            folders
                .iter()
                .filter(|f| !bundle_folders.contains(f.as_str()))
                .map(|f| format!("{f}/")),
        )
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
            let full = dir.join(path);
            let bytes = regular::read(&full, Links::Refuse, None).map_err(io_error(&full))?;
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

/// Every file under `dir`, as sorted `/`-separated relative paths. Only regular files and
/// directories are listed: a symbolic link (which is never followed), FIFO, socket or device
/// anywhere under `dir` is an error, so nothing is read through one and nothing a user put
/// there is ever deleted.
pub fn list_files(dir: &Path) -> Result<Vec<String>, WriteError> {
    Ok(list_entries(dir)?.0)
}

/// [`list_files`], and every folder under `dir` with its relative path, sorted.
fn list_entries(dir: &Path) -> Result<(Vec<String>, Vec<String>), WriteError> {
    let mut out = Vec::new();
    let mut folders = Vec::new();
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
            // The entry's own type (read_dir does not follow links).
            let kind = entry.file_type().map_err(io_error(&entry.path()))?;
            if kind.is_dir() {
                folders.push(relative.clone());
                todo.push((entry.path(), relative));
            } else if kind.is_file() {
                out.push(relative);
            } else {
                return Err(WriteError::NotRegular {
                    path: entry.path(),
                    kind: describe(kind),
                });
            }
        }
    }
    out.sort();
    folders.sort();
    Ok((out, folders))
}

/// Reads a bundle directory back into files (for `verify`, `diff` and tests). A link,
/// FIFO, socket or device in it is an error: it is reported, never followed or read.
pub fn read(dir: &Path) -> Result<Files, WriteError> {
    let mut files = Files::new();
    for path in list_files(dir)? {
        let full = dir.join(&path);
        let content = regular::read(&full, Links::Refuse, None).map_err(io_error(&full))?;
        files.insert(path, content);
    }
    Ok(files)
}

/// One file of a bundle directory, opened for reading: a link, FIFO or device is refused.
pub fn open_file(dir: &Path, path: &str) -> Result<std::fs::File, WriteError> {
    let full = dir.join(path);
    regular::open(&full, Links::Refuse)
        .map(|(file, _)| file)
        .map_err(io_error(&full))
}

/// One file of a bundle directory, whole.
pub fn read_file(dir: &Path, path: &str) -> Result<Vec<u8>, WriteError> {
    let full = dir.join(path);
    regular::read(&full, Links::Refuse, None).map_err(io_error(&full))
}

/// The digest of one file of a bundle directory, read a piece at a time: a large plan is
/// never held whole.
pub fn digest_file(dir: &Path, path: &str) -> Result<Digest, WriteError> {
    let mut hashing = crate::render::Hashing::default();
    io::copy(&mut open_file(dir, path)?, &mut hashing).map_err(io_error(&dir.join(path)))?;
    Ok(hashing.digest())
}

/// Runs `work` over a bundle's files on the file pool (reading tens of thousands of small
/// files is system-call bound), keeping the results in the order of `paths`.
pub fn each_file<R: Send>(
    paths: &[String],
    work: impl Fn(&str) -> Result<R, WriteError> + Sync,
) -> Vec<Result<R, WriteError>> {
    on_file_pool(|| paths.par_iter().map(|path| work(path)).collect())
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
        assert!(is_safe_relative("dns/octodns/06-entry/example.com.yaml"));
        for unsafe_path in [
            "",
            "a/",
            "./a",
            "a/./b",
            "a\\b",
            ".git/config",
            "a\u{0}b",
            "a\nb",
        ] {
            assert!(!is_safe_relative(unsafe_path), "{unsafe_path:?}");
        }
    }
}
