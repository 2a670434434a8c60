//! Command-line interface of the `phasic` binary: argument definitions,
//! the bounded counts every subcommand shares, and dispatch. Nothing in
//! here prints; `main` writes the result or the error.

use crate::{cache, demes, eval, fit, fit_demes, model, work};
use clap::{Args, Parser, Subcommand};
use phasic::cache::{CacheMode, CacheOptions};

/// Phase-type distributions: exact moments, densities and distribution functions.
#[derive(Debug, Parser)]
#[command(name = "phasic", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Moments, variance, pdf and cdf of a phase-type distribution given as
    /// matrices; prints one JSON object on stdout.
    Eval(eval::EvalArgs),
    /// Build a model of the library (`phasic model list`) and print its
    /// size, moments, SFS, pdf and cdf.
    Model(Box<model::ModelArgs>),
    /// A Demes model (YAML): its expected site-frequency spectrum and the
    /// moments, pdf and cdf of the time to the most recent common ancestor.
    Demes(Box<demes::DemesArgs>),
    /// Inspect and maintain the cache (graphs, traces, programs): stats, verify, gc, clear, path.
    Cache(cache::CacheArgs),
    /// Fit a model's parameters θ to observed times (maximum likelihood or SVGD).
    Fit(Box<fit::FitArgs>),
    /// Fit the parameters of a Demes model (an options file of moments'
    /// format) to an observed SFS: maximum composite likelihood with exact
    /// gradients, standard errors and 95% intervals.
    FitDemes(Box<fit_demes::FitDemesArgs>),
    /// Run one task of a work session: compute its units' traces and
    /// publish them (what `--shard processes:N` and `--shard slurm` start).
    Worker(work::WorkerArgs),
    /// Maintain work sessions: `gc --older-than DURATION`.
    Work(work::WorkArgs),
}

/// Everything a subcommand can fail with; its `Display` is one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A failure of `phasic eval`.
    #[error(transparent)]
    Eval(#[from] eval::EvalError),
    /// A failure of `phasic demes`.
    #[error(transparent)]
    Demes(#[from] demes::DemesCliError),
    /// A failure of `phasic cache`.
    #[error(transparent)]
    Cache(#[from] phasic::cache::Error),
    /// A failure of `phasic model`.
    #[error(transparent)]
    Model(#[from] model::ModelCliError),
    /// A failure of `phasic fit`.
    #[error(transparent)]
    Fit(#[from] fit::FitError),
    /// A failure of `phasic fit-demes`.
    #[error(transparent)]
    FitDemes(#[from] fit_demes::FitDemesError),
    /// A failure of `phasic worker` or `phasic work`.
    #[error(transparent)]
    Work(#[from] work::WorkError),
    /// The result could not be serialised.
    #[error("cannot serialise the output: {0}")]
    Output(#[from] serde_json::Error),
}

/// Runs the chosen subcommand and returns what to print on stdout.
pub fn run(cli: Cli) -> Result<String, Error> {
    match cli.command {
        Command::Eval(args) => Ok(serde_json::to_string(&eval::run(&args)?)?),
        Command::Model(args) => Ok(model::run(&args)?),
        Command::Demes(args) => Ok(demes::run(&args)?),
        Command::Cache(args) => Ok(cache::run(&args)?),
        Command::Fit(args) => Ok(fit::run(&args)?),
        Command::FitDemes(args) => Ok(fit_demes::run(&args)?),
        Command::Worker(args) => Ok(work::run_worker(&args)?),
        Command::Work(args) => Ok(work::run_work(&args)?),
    }
}

/// `--cache-dir DIR` and `--cache MODE`, shared by the commands that
/// build graphs.
#[derive(Debug, Args)]
pub struct CacheFlags {
    /// Cache root (default: PHASIC_CACHE_DIR, else the platform cache directory)
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<std::path::PathBuf>,
    /// Cache mode: off, read-only, read-write, refresh or required
    #[arg(long, value_name = "MODE", default_value = "read-write")]
    pub cache: CacheMode,
}

impl CacheFlags {
    /// The cache options these flags give.
    pub fn options(&self) -> CacheOptions {
        CacheOptions {
            mode: self.cache,
            root: self.cache_dir.clone(),
        }
    }
}

/// Most raw moments `--moments` asks for: the recursion keeps one number
/// per order, and `E[Y^k]` of a unit-scale variable overflows a 64-bit
/// float from `k ≈ 170` on.
pub const MAX_MOMENTS: u64 = 1000;
/// Most SVGD particles (`--particles`): each iteration compares every pair.
pub const MAX_PARTICLES: usize = 10_000;
/// Most iterations of a fit (`--iterations`).
pub const MAX_ITERATIONS: usize = 1_000_000;
/// Most attempts after the first (`--retries`).
pub const MAX_RETRIES: usize = 100;
/// Most local worker processes (`--shard processes:N`).
pub const MAX_PROCESSES: usize = 256;

/// An integer from `min` to `max`; the error names both bounds.
pub fn bounded(s: &str, min: u64, max: u64) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is not an integer from {min} to {max}")),
    }
}

/// `--moments K`: from 1 to [`MAX_MOMENTS`].
pub fn moments(s: &str) -> Result<u64, String> {
    bounded(s, 1, MAX_MOMENTS)
}

/// `--particles N`: from 1 to [`MAX_PARTICLES`].
pub fn particles(s: &str) -> Result<usize, String> {
    bounded(s, 1, MAX_PARTICLES as u64).map(|n| n as usize)
}

/// `--iterations N`: from 0 to [`MAX_ITERATIONS`].
pub fn iterations(s: &str) -> Result<usize, String> {
    bounded(s, 0, MAX_ITERATIONS as u64).map(|n| n as usize)
}

/// `--retries N`: from 0 to [`MAX_RETRIES`].
pub fn retries(s: &str) -> Result<usize, String> {
    bounded(s, 0, MAX_RETRIES as u64).map(|n| n as usize)
}

/// A count of at least 1 (`--tasks T`, `--max-states N`).
pub fn positive(s: &str) -> Result<usize, String> {
    bounded(s, 1, usize::MAX as u64).map(|n| n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_bounded_and_the_error_names_the_bounds() {
        assert_eq!(moments("1000"), Ok(1000));
        assert_eq!(
            moments("1001"),
            Err("`1001` is not an integer from 1 to 1000".into())
        );
        assert!(moments("0").is_err() && moments("-1").is_err() && moments("x").is_err());
        assert_eq!(particles("10000"), Ok(10_000));
        assert!(particles("10001").is_err());
        assert_eq!(iterations("0"), Ok(0));
        assert!(iterations("1000001").is_err());
        assert_eq!(retries("100"), Ok(100));
        assert!(retries("101").is_err());
        assert_eq!(positive("1"), Ok(1));
        assert!(positive("0").is_err());
    }
}
