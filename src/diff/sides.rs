//! The two sides of a diff, each a bundle folder or a spec, read without holding either
//! whole: of each side a diff keeps only the files that differ from the other's, and of
//! those only what it reads ([`reads_bytes`]; `plan.json` as a [`PlanView`]).
//!
//! Three passes, whatever the sides: one side's fingerprints (a path and content hash per
//! file, 3 MiB at 100,000 files); the other side's files that differ from them, kept as
//! they stream by; and the first side again, rendering (or reading) only the files that
//! changed or went. Two equal sides take the first two passes only, and a spec against a
//! bundle folder is compiled once (the folder is the side read twice).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use sha2::{Digest as _, Sha256};

use super::plan_view::{KeepSteps, PlanView};
use crate::bundle::{self, Files, WriteError};
use crate::render::{Digest, FileSink, Sink, lock};
use crate::{Failure, Options};

/// The file a diff reads as a plan.
const PLAN: &str = "plan.json";

/// One side's files that differ from the other side's.
#[derive(Debug, Default)]
pub struct Differing {
    /// Each such file by path, with its bytes when the diff reads them ([`reads_bytes`]).
    pub(super) files: BTreeMap<String, Option<Vec<u8>>>,
    /// `plan.json`, when it differs.
    pub(super) plan: Option<PlanView>,
}

impl Differing {
    /// The files of `files` that `other` lacks or holds with other bytes (two whole bundles
    /// at hand: tests, and tools that hold both).
    pub fn between(files: &Files, other: &Files) -> Differing {
        let mut differing = Differing::default();
        for (path, content) in files.iter() {
            if other.get(path) == Some(content) {
                continue;
            }
            if path == PLAN {
                differing.plan = PlanView::from_slice(content, KeepSteps::All);
            }
            differing.files.insert(
                path.to_string(),
                reads_bytes(path).then(|| content.to_vec()),
            );
        }
        differing
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    fn keys(&self) -> BTreeSet<PathKey> {
        self.files.keys().map(|path| path_key(path)).collect()
    }
}

/// Whether a diff reads a file's bytes: a manifest (an object, compared field by field) or
/// the DNS change list. Of any other file it tells only that it differs.
pub fn reads_bytes(path: &str) -> bool {
    path == "dns/changes.json"
        || (path.starts_with("manifests/")
            && path.ends_with(".yaml")
            && !path.ends_with("/kustomization.yaml")
            && !crate::render::manifests::is_config_file(path))
}

/// 128 bits of a path's SHA-256: 100,000 paths collide with odds under 2^-90.
type PathKey = u128;

fn path_key(path: &str) -> PathKey {
    first_128(&Sha256::digest(path.as_bytes()).into())
}

fn content_key(digest: &Digest) -> u128 {
    first_128(&digest.sha256)
}

fn first_128(sha256: &[u8; 32]) -> u128 {
    let mut first = [0; 16];
    first.copy_from_slice(&sha256[..16]);
    u128::from_le_bytes(first)
}

/// Every file of a side as the keys of its path and of its bytes, sorted by path key.
struct Fingerprints(Vec<(PathKey, u128)>);

impl Fingerprints {
    fn new<'p>(files: impl Iterator<Item = (&'p str, &'p Digest)>) -> Self {
        let mut prints: Vec<(PathKey, u128)> = files
            .map(|(path, digest)| (path_key(path), content_key(digest)))
            .collect();
        prints.sort_unstable();
        Fingerprints(prints)
    }

    fn get(&self, key: PathKey) -> Option<u128> {
        let at = self.0.binary_search_by_key(&key, |(k, _)| *k).ok()?;
        Some(self.0[at].1)
    }

    /// Whether the file at this path key has other bytes here, or is not here.
    fn differs(&self, key: PathKey, digest: &Digest) -> bool {
        self.get(key) != Some(content_key(digest))
    }
}

/// Both sides of a diff, less the files they share unchanged (a diff of those is empty).
pub fn load_sides(
    old: &Path,
    new: &Path,
    options: &Options,
) -> Result<(Differing, Differing), Failure> {
    let (old, new) = (Side::of(old), Side::of(new));
    // The side read twice (first and last) is a folder when one side is: a spec against a
    // bundle is compiled once.
    if let (Side::Spec(_), Side::Dir(_)) = (&old, &new) {
        let (new, old) = differing_sides(&new, &old, options)?;
        return Ok((old, new));
    }
    differing_sides(&old, &new, options)
}

/// The three passes: `first`'s fingerprints, `second`'s files that differ from them, and
/// `first`'s files that changed or that `second` lacks.
fn differing_sides(
    first: &Side,
    second: &Side,
    options: &Options,
) -> Result<(Differing, Differing), Failure> {
    let (first_prints, first_plan) = first.fingerprints(options)?;
    let steps = KeepSteps::DifferingFrom(first_plan.as_ref().map(PlanView::runbook_digests));
    drop(first_plan);
    crate::release_freed_memory();
    let (second_differing, second_keys) = second.differing_from(&first_prints, steps, options)?;
    let changed = second_differing.keys();
    let wanted: BTreeSet<PathKey> = first_prints
        .0
        .iter()
        .map(|(key, _)| *key)
        .filter(|key| changed.contains(key) || second_keys.binary_search(key).is_err())
        .collect();
    drop((first_prints, second_keys, changed));
    if wanted.is_empty() {
        return Ok((Differing::default(), second_differing));
    }
    let steps = KeepSteps::DifferingFrom(
        second_differing
            .plan
            .as_ref()
            .map(PlanView::runbook_digests),
    );
    crate::release_freed_memory();
    let first_differing = first.at(&wanted, steps, options)?;
    Ok((first_differing, second_differing))
}

/// One side of a diff: a bundle folder or a spec (compiled in memory, a file at a time).
enum Side<'a> {
    Dir(&'a Path),
    Spec(&'a Path),
}

fn io_failure(error: WriteError) -> Failure {
    Failure::Io(error.to_string())
}

impl<'a> Side<'a> {
    fn of(path: &'a Path) -> Self {
        if path.is_dir() {
            Side::Dir(path)
        } else {
            Side::Spec(path)
        }
    }

    /// The first pass: every file's fingerprint, and the plan's runbook digests.
    fn fingerprints(&self, options: &Options) -> Result<(Fingerprints, Option<PlanView>), Failure> {
        match self {
            Side::Dir(dir) => {
                let paths = bundle::list_files(dir).map_err(io_failure)?;
                let digests = bundle::each_file(&paths, |path| bundle::digest_file(dir, path));
                let digests: Vec<Digest> = digests
                    .into_iter()
                    .collect::<Result<_, _>>()
                    .map_err(io_failure)?;
                let prints = Fingerprints::new(paths.iter().map(String::as_str).zip(&digests));
                let plan = match paths.iter().any(|path| path == PLAN) {
                    true => read_plan(dir, KeepSteps::None).map_err(io_failure)?,
                    false => None,
                };
                Ok((prints, plan))
            }
            Side::Spec(spec) => {
                let keeper = Keeper::new(Pass::Fingerprints, KeepSteps::None);
                let streamed = crate::compile_file_to(spec, options, &keeper)?;
                let prints =
                    Fingerprints::new(streamed.digests.iter().map(|(p, d)| (p.as_str(), d)));
                Ok((prints, keeper.into_differing().plan))
            }
        }
    }

    /// The second pass: the files that differ from `other`, and every file's path key
    /// (sorted).
    fn differing_from(
        &self,
        other: &Fingerprints,
        steps: KeepSteps,
        options: &Options,
    ) -> Result<(Differing, Vec<PathKey>), Failure> {
        match self {
            Side::Dir(dir) => {
                let paths = bundle::list_files(dir).map_err(io_failure)?;
                let kept = bundle::each_file(&paths, |path| {
                    let key = path_key(path);
                    // A file the diff reads (a manifest: small) is read once, whole; any
                    // other is hashed a piece at a time.
                    let (digest, bytes) = match reads_bytes(path) {
                        true => {
                            let bytes = bundle::read_file(dir, path)?;
                            (Digest::of(&bytes), Some(bytes))
                        }
                        false => (bundle::digest_file(dir, path)?, None),
                    };
                    if !other.differs(key, &digest) {
                        return Ok((key, None));
                    }
                    let kept = match bytes {
                        Some(bytes) => Kept::File(Some(bytes)),
                        None => keep_from_dir(dir, path, &steps)?,
                    };
                    Ok((key, Some(kept)))
                });
                let mut differing = Differing::default();
                let mut keys = Vec::with_capacity(paths.len());
                // In path order: the first unreadable path is the one reported.
                for (path, kept) in paths.iter().zip(kept) {
                    let (key, kept) = kept.map_err(io_failure)?;
                    keys.push(key);
                    if let Some(kept) = kept {
                        differing.add(path, kept);
                    }
                }
                keys.sort_unstable();
                Ok((differing, keys))
            }
            Side::Spec(spec) => {
                let keeper = Keeper::new(Pass::DifferingFrom(other), steps);
                crate::compile_file_to(spec, options, &keeper)?;
                let mut keys = keeper
                    .keys
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner);
                keys.sort_unstable();
                Ok((
                    keeper
                        .differing
                        .into_inner()
                        .unwrap_or_else(PoisonError::into_inner),
                    keys,
                ))
            }
        }
    }

    /// The third pass: the files at these path keys (those the side has).
    fn at(
        &self,
        wanted: &BTreeSet<PathKey>,
        steps: KeepSteps,
        options: &Options,
    ) -> Result<Differing, Failure> {
        match self {
            Side::Dir(dir) => {
                let paths: Vec<String> = bundle::list_files(dir)
                    .map_err(io_failure)?
                    .into_iter()
                    .filter(|path| wanted.contains(&path_key(path)))
                    .collect();
                let kept = bundle::each_file(&paths, |path| keep_from_dir(dir, path, &steps));
                let mut differing = Differing::default();
                for (path, kept) in paths.iter().zip(kept) {
                    differing.add(path, kept.map_err(io_failure)?);
                }
                Ok(differing)
            }
            Side::Spec(spec) => {
                let keeper = Keeper::new(Pass::At(wanted), steps);
                crate::compile_file_to(spec, options, &keeper)?;
                Ok(keeper.into_differing())
            }
        }
    }
}

/// What a diff keeps of one differing file.
enum Kept {
    Plan(Option<PlanView>),
    File(Option<Vec<u8>>),
}

impl Differing {
    fn add(&mut self, path: &str, kept: Kept) {
        let bytes = match kept {
            Kept::Plan(view) => {
                self.plan = view;
                None
            }
            Kept::File(bytes) => bytes,
        };
        self.files.insert(path.to_string(), bytes);
    }
}

fn keep_from_dir(dir: &Path, path: &str, steps: &KeepSteps) -> Result<Kept, WriteError> {
    if path == PLAN {
        return read_plan(dir, steps.clone()).map(Kept::Plan);
    }
    Ok(Kept::File(match reads_bytes(path) {
        true => Some(bundle::read_file(dir, path)?),
        false => None,
    }))
}

/// A bundle's plan, read as it streams from the file.
fn read_plan(dir: &Path, steps: KeepSteps) -> Result<Option<PlanView>, WriteError> {
    let file = bundle::open_file(dir, PLAN)?;
    Ok(PlanView::from_reader(
        BufReader::with_capacity(64 * 1024, file),
        steps,
    ))
}

/// Which pass a [`Keeper`] serves.
enum Pass<'a> {
    /// Keeps no file: the compile's digests are the fingerprints; the plan is read for its
    /// runbook digests.
    Fingerprints,
    /// Keeps the files whose fingerprint differs from these.
    DifferingFrom(&'a Fingerprints),
    /// Keeps the files at these path keys, and declines every other file (which is then not
    /// rendered at all).
    At(&'a BTreeSet<PathKey>),
}

/// A compile's files as a diff keeps them: a [`Sink`] that holds a file only while it is
/// rendered, and keeps what [`Pass`] asks of the files that differ.
struct Keeper<'a> {
    pass: Pass<'a>,
    steps: KeepSteps,
    differing: Mutex<Differing>,
    /// The path key of every file (pass [`Pass::DifferingFrom`] only).
    keys: Mutex<Vec<PathKey>>,
}

impl<'a> Keeper<'a> {
    fn new(pass: Pass<'a>, steps: KeepSteps) -> Self {
        Keeper {
            pass,
            steps,
            differing: Mutex::default(),
            keys: Mutex::default(),
        }
    }

    fn into_differing(self) -> Differing {
        self.differing
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Sink for Keeper<'_> {
    fn wants(&self, path: &str) -> bool {
        match self.pass {
            Pass::At(wanted) => wanted.contains(&path_key(path)),
            _ => true,
        }
    }

    fn open(&self, path: &str) -> io::Result<Box<dyn FileSink + '_>> {
        let content = if path == PLAN {
            Content::Plan(PlanStream::start(self.steps.clone()))
        } else {
            let reads = !matches!(self.pass, Pass::Fingerprints) && reads_bytes(path);
            Content::Bytes(reads.then(Vec::new))
        };
        Ok(Box::new(KeptFile {
            keeper: self,
            path: path.to_string(),
            content,
        }))
    }
}

enum Content {
    Bytes(Option<Vec<u8>>),
    Plan(PlanStream),
}

/// One file on its way into a [`Keeper`].
struct KeptFile<'a> {
    keeper: &'a Keeper<'a>,
    path: String,
    content: Content,
}

impl Write for KeptFile<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.content {
            Content::Bytes(Some(bytes)) => bytes.extend_from_slice(buf),
            Content::Bytes(None) => {}
            Content::Plan(stream) => stream.write(buf),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl FileSink for KeptFile<'_> {
    fn finish(self: Box<Self>, digest: &Digest) -> io::Result<()> {
        let keeper = self.keeper;
        let keep = match keeper.pass {
            Pass::Fingerprints => false,
            Pass::DifferingFrom(other) => {
                let key = path_key(&self.path);
                lock(&keeper.keys).push(key);
                other.differs(key, digest)
            }
            Pass::At(_) => true,
        };
        let kept = match self.content {
            Content::Plan(stream) => {
                let view = stream.finish();
                if let Pass::Fingerprints = keeper.pass {
                    lock(&keeper.differing).plan = view;
                    return Ok(());
                }
                Kept::Plan(view)
            }
            Content::Bytes(bytes) => Kept::File(bytes),
        };
        if keep {
            lock(&keeper.differing).add(&self.path, kept);
        }
        Ok(())
    }
}

/// `plan.json` read as the compile writes it: the bytes go to a thread that parses them
/// into a [`PlanView`] a piece at a time (tens of megabytes at 5,000 services, never held).
struct PlanStream {
    piece: Vec<u8>,
    pieces: Option<SyncSender<Vec<u8>>>,
    reader: JoinHandle<Option<PlanView>>,
}

const PIECE: usize = 64 * 1024;

impl PlanStream {
    fn start(steps: KeepSteps) -> Self {
        let (pieces, received) = sync_channel(4);
        let reader = std::thread::spawn(move || {
            let reader = Pieces {
                received,
                piece: Vec::new(),
                at: 0,
            };
            PlanView::from_reader(BufReader::with_capacity(PIECE, reader), steps)
        });
        PlanStream {
            piece: Vec::with_capacity(PIECE),
            pieces: Some(pieces),
            reader,
        }
    }

    fn write(&mut self, buf: &[u8]) {
        self.piece.extend_from_slice(buf);
        if self.piece.len() >= PIECE {
            self.send();
        }
    }

    fn send(&mut self) {
        let piece = std::mem::replace(&mut self.piece, Vec::with_capacity(PIECE));
        // A reader that stopped (the plan is not JSON) takes no more.
        if let Some(pieces) = &self.pieces
            && pieces.send(piece).is_err()
        {
            self.pieces = None;
        }
    }

    fn finish(mut self) -> Option<PlanView> {
        self.send();
        drop(self.pieces.take());
        self.reader.join().ok().flatten()
    }
}

/// The pieces a [`PlanStream`] sends, as a reader.
struct Pieces {
    received: Receiver<Vec<u8>>,
    piece: Vec<u8>,
    at: usize,
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.piece.len() {
            match self.received.recv() {
                Ok(piece) => (self.piece, self.at) = (piece, 0),
                // The writer is done.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.piece.len() - self.at);
        buf[..n].copy_from_slice(&self.piece[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
