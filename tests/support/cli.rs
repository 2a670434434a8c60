//! Running the `phasic` binary in phasic-cli's integration tests.

// each test crate uses part of this
#![allow(dead_code)]

use std::process::{Command, Output, Stdio};

/// The binary under test.
pub const PHASIC: &str = env!("CARGO_BIN_EXE_phasic");

/// `phasic ARGS` with no input, no log filter and no cache dir from the
/// environment.
pub fn phasic(args: &[&str]) -> Command {
    let mut c = Command::new(PHASIC);
    c.args(args)
        .stdin(Stdio::null())
        .env_remove("RUST_LOG")
        .env_remove("PHASIC_CACHE_DIR");
    c
}

/// The JSON a successful run printed (`what` names the run in failures).
pub fn json(out: &Output, what: &str) -> serde_json::Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what}: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{what}: {e}"))
}
