//! The one way `phasic-cache` writes a file: a temporary file in the same
//! folder (`.tmp-` and six random characters, created with mode 0666 less
//! the umask, in the group of a setgid folder), written and synced, then
//! renamed into place — without replacing an existing file unless asked.
//! Readers never see a partial file; an interrupted write is removed by
//! [`crate::remove_partial_writes`] or collected by age.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::inflight::Writing;

/// The prefix of temporary files.
pub(crate) const TEMPORARY_PREFIX: &str = ".tmp-";
/// The number of random characters after the prefix.
pub(crate) const TEMPORARY_RANDOM: usize = 6;

/// Writes `bytes` to `path` atomically; returns whether this call created
/// (or, with `replace`, replaced) the file. With `replace` false an
/// existing file is kept.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], replace: bool) -> Result<bool> {
    let folder = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(folder).map_err(Error::io("create", folder))?;
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(TEMPORARY_PREFIX)
        .rand_bytes(TEMPORARY_RANDOM);
    // what any file created by the user gets: 0666 less the umask (tempfile's
    // default, 0600, would hide entries from the other users of a shared cache)
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder
        .tempfile_in(folder)
        .map_err(Error::io("create a temporary file in", folder))?;
    let _writing = Writing::register(tmp.path());
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
