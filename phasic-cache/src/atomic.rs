//! The one way `phasic-cache` writes a file: a temporary file in the same
//! folder, written and synced, then renamed into place — without replacing
//! an existing file unless asked. Readers never see a partial file.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically; returns whether this call created
/// (or, with `replace`, replaced) the file. With `replace` false an
/// existing file is kept.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], replace: bool) -> Result<bool> {
    let folder = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(folder).map_err(Error::io("create", folder))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(folder)
        .map_err(Error::io("create a temporary file in", folder))?;
    tmp.write_all(bytes)
        .map_err(Error::io("write", tmp.path().to_path_buf()))?;
    tmp.as_file()
        .sync_all()
        .map_err(Error::io("sync", tmp.path().to_path_buf()))?;
    if replace {
        tmp.persist(path)
            .map_err(|e| Error::io("rename into", path)(e.error))?;
        return Ok(true);
    }
    match tmp.persist_noclobber(path) {
        Ok(_) => Ok(true),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io("rename into", path)(e.error)),
    }
}
