//! Command-line interface of the `phasic` binary: argument definitions and
//! dispatch. Nothing in here prints; `main` writes the result or the error.

use crate::{cache, eval, fit, model, work};
use clap::{Parser, Subcommand};

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
    /// Inspect and maintain the graph cache: stats, verify, gc, clear, path.
    Cache(cache::CacheArgs),
    /// Fit a model's parameters θ to observed times (maximum likelihood or SVGD).
    Fit(Box<fit::FitArgs>),
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
    /// A failure of `phasic cache`.
    #[error(transparent)]
    Cache(#[from] phasic::cache::Error),
    /// A failure of `phasic model`.
    #[error(transparent)]
    Model(#[from] model::ModelCliError),
    /// A failure of `phasic fit`.
    #[error(transparent)]
    Fit(#[from] fit::FitError),
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
        Command::Cache(args) => Ok(cache::run(&args)?),
        Command::Fit(args) => Ok(fit::run(&args)?),
        Command::Worker(args) => Ok(work::run_worker(&args)?),
        Command::Work(args) => Ok(work::run_work(&args)?),
    }
}
