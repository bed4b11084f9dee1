// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Listing and reading the messages of a Maildir (the layout of
//! <https://cr.yp.to/proto/maildir.html>: `tmp/`, `new/`, `cur/`).

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{BounceError, MAX_MESSAGE_BYTES};

/// One message file of a Maildir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildirFile {
    /// Where the file is, e.g. to move it from `new/` to `cur/` once it is imported.
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Every message in `new/` and `cur/` of the Maildir `dir`, sorted by file name (then `new/`
/// before `cur/`), so that two runs over the same folder see the same order. Maildir names
/// start with the delivery time, so this is roughly the order of arrival.
///
/// Skipped: `tmp/` (files there are still being written), names starting with `.`, and
/// anything that is not a regular file. The listing is taken at the call; each file is read
/// when the iterator reaches it, and a file that is unreadable, gone by then, or larger than
/// [`MAX_MESSAGE_BYTES`] is an `Err` item, so the caller can log it and go on.
///
/// Fails at once if `dir` is not a Maildir (no `new/` or no `cur/`) or cannot be listed: a
/// mistyped path should not look like an empty folder.
pub fn read_maildir(
    dir: &Path,
) -> Result<impl Iterator<Item = Result<MaildirFile, BounceError>>, BounceError> {
    let mut files: Vec<(OsString, u8, PathBuf)> = Vec::new();
    for (rank, sub) in [(0u8, "new"), (1u8, "cur")] {
        let sub_dir = dir.join(sub);
        if !sub_dir.is_dir() {
            return Err(BounceError::NotAMaildir { path: dir.to_owned(), missing: sub });
        }
        let io_error = |source| BounceError::Io { path: sub_dir.clone(), source };
        for entry in fs::read_dir(&sub_dir).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            let name = entry.file_name();
            if name.as_encoded_bytes().starts_with(b".") {
                continue;
            }
            // `metadata` follows a symbolic link, so a linked message is read like a file;
            // directories (which a Maildir should not have here) are passed over.
            let path = entry.path();
            if fs::metadata(&path).is_ok_and(|meta| !meta.is_file()) {
                continue;
            }
            files.push((name, rank, path));
        }
    }
    files.sort();
    Ok(files.into_iter().map(|(_, _, path)| read_message(path)))
}

/// Reads one message, refusing one over [`MAX_MESSAGE_BYTES`] before reading it.
fn read_message(path: PathBuf) -> Result<MaildirFile, BounceError> {
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(source) => return Err(BounceError::Io { path, source }),
    };
    let size = match file.metadata() {
        Ok(meta) => meta.len(),
        Err(source) => return Err(BounceError::Io { path, source }),
    };
    if size > MAX_MESSAGE_BYTES {
        return Err(BounceError::FileTooLarge { path, size, limit: MAX_MESSAGE_BYTES });
    }
    // The size can change between the check and the read (a file being appended to, which a
    // Maildir writer should never do); `take` keeps the limit true anyway.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    if let Err(source) = file.take(MAX_MESSAGE_BYTES + 1).read_to_end(&mut bytes) {
        return Err(BounceError::Io { path, source });
    }
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > MAX_MESSAGE_BYTES {
        return Err(BounceError::FileTooLarge { path, size: read, limit: MAX_MESSAGE_BYTES });
    }
    Ok(MaildirFile { path, bytes })
}
