//! The `phasic` command-line tool.
//!
//! `phasic eval --matrix FILE [--moments K] [--at t1,t2,...]` prints the
//! moments, variance, density and distribution function of a phase-type
//! distribution given as matrices (see [`eval`]). This file is the only
//! place that writes to stdout or stderr: failures become one line
//! `error: …` on stderr and exit code 2; usage errors keep clap's own
//! message and exit code.
#![forbid(unsafe_code)]

mod cache;
mod command;
mod demes;
mod dot;
mod eval;
mod fit;
mod fit_demes;
mod memory;
mod model;
mod plot;
mod progress;
mod state_limit;
mod work;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Exit code of every failure other than a usage error.
const FAILURE: u8 = 2;
/// Exit code after SIGINT or SIGTERM (128 + SIGINT, as shells report it).
const INTERRUPTED: i32 = 130;

fn main() -> ExitCode {
    init_tracing();
    on_interrupt();
    let args = command::Cli::parse();
    match command::run(args) {
        Ok(json) => {
            let mut stdout = std::io::stdout().lock();
            match writeln!(stdout, "{json}").and_then(|()| stdout.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&format!("cannot write the output: {e}")),
            }
        }
        Err(e) => fail(&e.to_string()),
    }
}

/// Prints `error: <message>` as one line on stderr (if stderr can still
/// be written: a closed pipe ends the program quietly, not with a panic).
fn fail(message: &str) -> ExitCode {
    let one_line = message.replace(['\n', '\r'], " ");
    let _ = writeln!(std::io::stderr(), "error: {one_line}");
    ExitCode::from(FAILURE)
}

/// On SIGINT or SIGTERM: removes the temporary files of cache writes in
/// progress (so that an interrupted run leaves nothing behind), says so on
/// stderr, and exits with [`INTERRUPTED`].
fn on_interrupt() {
    let handler = || {
        let removed = phasic::cache::remove_partial_writes();
        let _ = writeln!(
            std::io::stderr(),
            "error: interrupted ({removed} partial cache write(s) removed)"
        );
        std::process::exit(INTERRUPTED);
    };
    if let Err(e) = ctrlc::set_handler(handler) {
        tracing::warn!(error = %e, "no handler for SIGINT/SIGTERM: an interrupted cache write leaves a temporary file (gc collects it)");
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `warn`).
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
