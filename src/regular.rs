//! Reading only regular files: a FIFO, socket or device where a spec, a template or a bundle
//! file should be is refused at once instead of blocking a run forever, and a bundle's files
//! are read without following symbolic links. A base module: load, render and bundle use it.
//!
//! The file is opened first (on Unix with `O_NONBLOCK`, so that opening a FIFO with no
//! writer returns at once, and with `O_NOFOLLOW` where links must not be followed), then its
//! type is read from the open handle: there is no window between the check and the read in
//! which the path could be swapped for something else.

use std::fs::{File, FileType};
use std::io::{self, Read};
use std::path::Path;

/// Whether a link in the final component of the path is followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    /// The path a user named (the spec): a link to a regular file is fine.
    Follow,
    /// A file inside a bundle: a link is refused, never followed.
    Refuse,
}

/// What a file system entry is, in words for a message: `a FIFO`, `a symbolic link`.
pub fn describe(kind: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
    }
    if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// The error for an entry that is not a regular file: its kind in words.
fn not_regular(kind: &'static str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {kind}, not a regular file: only regular files are read"),
    )
}

/// Opens `path` for reading if it is a regular file, without blocking on a FIFO; returns the
/// file and its size.
pub fn open(path: &Path, links: Links) -> io::Result<(File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
        if links == Links::Refuse {
            flags |= libc::O_NOFOLLOW;
        }
        options.custom_flags(flags);
    }
    #[cfg(not(unix))]
    {
        // No non-blocking open: check the type first (a narrow race remains).
        let meta = match links {
            Links::Follow => std::fs::metadata(path)?,
            Links::Refuse => std::fs::symlink_metadata(path)?,
        };
        if !meta.is_file() {
            return Err(not_regular(describe(meta.file_type())));
        }
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(error) => {
            // O_NOFOLLOW on a link fails with ELOOP, and a socket cannot be opened (ENXIO):
            // name what the entry is rather than the errno.
            if let Ok(meta) = std::fs::symlink_metadata(path) {
                let kind = meta.file_type();
                if (links == Links::Refuse && kind.is_symlink())
                    || (!kind.is_file() && !kind.is_dir() && !kind.is_symlink())
                {
                    return Err(not_regular(describe(kind)));
                }
            }
            return Err(error);
        }
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(describe(meta.file_type())));
    }
    Ok((file, meta.len()))
}

/// Reads a regular file whole, or at most `limit` bytes of it.
pub fn read(path: &Path, links: Links, limit: Option<u64>) -> io::Result<Vec<u8>> {
    let (file, size) = open(path, links)?;
    let limit = limit.unwrap_or(u64::MAX);
    // One allocation of the right size: a large bundle is tens of thousands of small files.
    let mut bytes = Vec::with_capacity(usize::try_from(size.min(limit)).unwrap_or(0));
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}
