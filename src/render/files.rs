//! The bundle's files as the render stage produces them: relative paths and their bytes.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};

use sha2::{Digest as _, Sha256};

/// The bundle's files by relative path (`/`-separated), in a stable order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Files {
    files: BTreeMap<String, Vec<u8>>,
}

impl Files {
    pub fn new() -> Self {
        Files::default()
    }

    /// Adds a file. Its path is checked when the bundle is written (the bundle stage refuses
    /// any path that is not a plain relative path), in every build profile.
    pub fn insert(&mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), content.into());
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

/// One file's SHA-256 and size, as `index.json` lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest {
    pub sha256: [u8; 32],
    pub bytes: u64,
}

impl Digest {
    /// The digest of bytes at hand.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest {
            sha256: Sha256::digest(bytes).into(),
            bytes: bytes.len() as u64,
        }
    }

    pub fn hex(&self) -> String {
        let mut out = String::with_capacity(64);
        for byte in self.sha256 {
            out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
            out.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
        }
        out
    }
}

/// Where the rendered files go, one at a time: the folder being written, the bundle on disk
/// being verified, or memory. Shared by the render threads.
pub trait Sink: Sync {
    /// A writer for the file at `path`; its `finish` is called once every byte is written.
    fn open(&self, path: &str) -> io::Result<Box<dyn FileSink + '_>>;
    /// Whether rendering may stop now: the sink knows its answer already (verify `--quiet`
    /// at the first difference).
    fn done(&self) -> bool {
        false
    }
    /// Whether the sink takes the file at `path` at all. A file it declines is not rendered
    /// and is missing from the digests (and so from `index.json`): only a sink that keeps a
    /// few known files (the last pass of a diff) declines any.
    fn wants(&self, _path: &str) -> bool {
        true
    }
}

/// One file on its way into a [`Sink`].
pub trait FileSink: Write {
    /// Called once every byte is written, with the file's digest.
    fn finish(self: Box<Self>, digest: &Digest) -> io::Result<()>;
}

/// The render stage's output: every file is handed to the sink as soon as it is rendered,
/// and only its digest stays, so memory is bounded by what is being rendered, not by the
/// bundle. The first failure stops the writes and is returned by [`Out::finish`].
pub struct Out<'a> {
    sink: &'a dyn Sink,
    digests: Mutex<BTreeMap<String, Digest>>,
    failure: Mutex<Option<(String, io::Error)>>,
}

/// Why an [`Out`] did not take every file.
#[derive(Debug)]
pub struct OutError {
    pub path: String,
    pub error: io::Error,
}

impl<'a> Out<'a> {
    pub fn new(sink: &'a dyn Sink) -> Self {
        Out {
            sink,
            digests: Mutex::new(BTreeMap::new()),
            failure: Mutex::new(None),
        }
    }

    /// Adds a file. Its path is checked by the sink that writes to disk (a plain relative
    /// path, in every build profile).
    pub fn insert(&self, path: impl Into<String>, content: impl AsRef<[u8]>) {
        let content = content.as_ref();
        self.insert_with(path, |w| w.write_all(content));
    }

    /// Adds a file written piece by piece (a large JSON document straight from its value).
    pub fn insert_with(
        &self,
        path: impl Into<String>,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) {
        let mut path = path.into();
        if self.stopped() || !self.sink.wants(&path) {
            return;
        }
        // Kept as a key of the digests (100,000 at 5,000 services): no spare capacity.
        path.shrink_to_fit();
        let result = self.sink.open(&path).and_then(|file| {
            let mut tee = Tee {
                file,
                hashing: Hashing::default(),
            };
            fill(&mut tee)?;
            let digest = tee.hashing.digest();
            tee.file.finish(&digest)?;
            Ok(digest)
        });
        match result {
            Ok(digest) => {
                lock(&self.digests).insert(path, digest);
            }
            Err(error) => {
                lock(&self.failure).get_or_insert((path, error));
            }
        }
    }

    /// Whether the sink takes the file at `path`: a file that is costly to render is
    /// rendered only when it does (see [`Sink::wants`]).
    pub fn wants(&self, path: &str) -> bool {
        self.sink.wants(path)
    }

    /// Whether further files would be dropped: a write failed, or the sink has its answer.
    pub fn stopped(&self) -> bool {
        self.sink.done() || lock(&self.failure).is_some()
    }

    /// Runs `read` over the digests added so far, in path order.
    pub fn with_digests<R>(&self, read: impl FnOnce(&BTreeMap<String, Digest>) -> R) -> R {
        read(&lock(&self.digests))
    }

    /// Runs `write` over the digests added so far, moved out rather than copied (100,000
    /// of them at 5,000 services): `write` may add files, whose digests join the rest after.
    pub fn with_digests_moved<R>(&self, write: impl FnOnce(&BTreeMap<String, Digest>) -> R) -> R {
        let digests = std::mem::take(&mut *lock(&self.digests));
        let result = write(&digests);
        let mut current = lock(&self.digests);
        let added = std::mem::replace(&mut *current, digests);
        current.extend(added);
        result
    }

    /// Every file's digest, or the first failure.
    pub fn finish(self) -> Result<BTreeMap<String, Digest>, OutError> {
        let failure = self
            .failure
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        match failure {
            Some((path, error)) => Err(OutError { path, error }),
            None => Ok(self
                .digests
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner)),
        }
    }
}

/// A lock whose holder panicked still guards consistent data here (inserts are whole).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A writer that keeps only the SHA-256 and the length of what is written (the `digest`
/// crate has no `io::Write`).
#[derive(Default)]
pub struct Hashing {
    hasher: Sha256,
    bytes: u64,
}

impl Hashing {
    pub fn digest(self) -> Digest {
        Digest {
            sha256: self.hasher.finalize().into(),
            bytes: self.bytes,
        }
    }
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes through to the file and hashes on the way.
struct Tee<'a> {
    file: Box<dyn FileSink + 'a>,
    hashing: Hashing,
}

impl Write for Tee<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.file.write(buf)?;
        self.hashing.write_all(&buf[..written])?;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Keeps every file in memory (tests, and tools that look at a whole bundle).
#[derive(Default)]
pub struct Memory {
    files: Mutex<Files>,
}

impl Memory {
    pub fn new() -> Self {
        Memory::default()
    }

    pub fn into_files(self) -> Files {
        self.files
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Sink for Memory {
    fn open(&self, path: &str) -> io::Result<Box<dyn FileSink + '_>> {
        Ok(Box::new(MemoryFile {
            memory: self,
            path: path.to_string(),
            bytes: Vec::new(),
        }))
    }
}

struct MemoryFile<'a> {
    memory: &'a Memory,
    path: String,
    bytes: Vec<u8>,
}

impl Write for MemoryFile<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl FileSink for MemoryFile<'_> {
    fn finish(self: Box<Self>, _digest: &Digest) -> io::Result<()> {
        lock(&self.memory.files).insert(self.path, self.bytes);
        Ok(())
    }
}
