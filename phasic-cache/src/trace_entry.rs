//! Component traces on disk: the 64-byte header (magic `PHASICT\x01`)
//! followed by the trace's portable little-endian encoding. Read whole,
//! checked (header, checksum) and decoded with every index validated.

use std::io::Read;
use std::path::Path;

use phasic_core::{ModelKey, trace::ComponentTrace};

use crate::defect::Defect;
use crate::header::{MAGIC_TRACE, check, entry, open_regular, trace_flags};

/// The bytes of a complete entry for `trace` under `key`.
pub fn encode_trace(trace: &ComponentTrace, key: &ModelKey) -> Vec<u8> {
    entry(MAGIC_TRACE, trace_flags(), key.0, &trace.encode())
}

/// Reads and checks the entry at `path`; `Err` says which check failed.
pub fn open_trace(path: &Path, key: [u8; 32]) -> Result<ComponentTrace, Defect> {
    let mut bytes = Vec::new();
    open_regular(path)?
        .read_to_end(&mut bytes)
        .map_err(Defect::cannot_read)?;
    let payload = check(&bytes, MAGIC_TRACE, trace_flags(), key)?;
    ComponentTrace::decode(payload).map_err(Defect::Decode)
}
