//! `phasic fit-demes`: fit the parameters of a Demes model (named in an
//! options file of moments' format) to an observed SFS by maximum
//! composite likelihood with exact gradients; or, with `--evaluate`, the
//! log-likelihood and its gradient at the model's own values.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use phasic::demes::{
    DemesError, DemesFit, FitOptions, Information, Observed, Parameters, Samples, Scaling,
    SfsLikelihood, maximum_likelihood,
};
use serde::Serialize;
use serde_json::Value;

use crate::demes::{BuildFailed, build_model, nested};
use crate::plot::{self, PlotError, residuals};
use crate::progress::Progress;

/// Arguments of `phasic fit-demes`.
#[derive(Debug, Args)]
pub struct FitDemesArgs {
    /// The Demes model (YAML); its values are the fit's start
    pub file: PathBuf,
    /// The parameters: an options file in moments' format (name,
    /// description, values, lower_bound, upper_bound; constraints)
    #[arg(long, value_name = "OPTIONS.yaml")]
    pub params: PathBuf,
    /// The observed SFS: dadi/moments `.fs` text, or a JSON array (nested
    /// per sample group; null = masked)
    #[arg(long, value_name = "DATA.fs")]
    pub data: PathBuf,
    /// With JSON data: the spectrum is folded
    #[arg(long)]
    pub folded: bool,
    /// Sample groups, haploid genomes per deme, as the data's dimensions
    /// count them: NAME=n[@generation],...
    #[arg(long, value_name = "A=n,...", value_parser = crate::demes::samples)]
    pub samples: Samples,
    /// Mutation rate per generation per site (Poisson likelihood, with --length)
    #[arg(long, value_name = "μ", requires = "length", conflicts_with = "multinomial", value_parser = positive)]
    pub mu: Option<f64>,
    /// Sequence length in sites (Poisson likelihood, with --mu)
    #[arg(long, value_name = "L", requires = "mu", value_parser = positive)]
    pub length: Option<f64>,
    /// Multinomial likelihood: θ profiled out (instead of --mu and --length)
    #[arg(long, required_unless_present = "mu")]
    pub multinomial: bool,
    /// Godambe information from the bootstrap spectra (`*.fs`) in DIR
    #[arg(long, value_name = "DIR")]
    pub bootstrap: Option<PathBuf>,
    /// Print the log-likelihood and its gradient at the model's own values; no fit
    #[arg(long)]
    pub evaluate: bool,
    /// At most this many L-BFGS iterations
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = crate::command::positive)]
    pub iterations: usize,
    /// Converged when every score |∂ ln L/∂z| in the fitted coordinates is at most this
    #[arg(long, value_name = "TOL", default_value_t = 1e-6, value_parser = positive)]
    pub tolerance: f64,
    /// Write the Demes model at the estimate to FILE
    #[arg(long, value_name = "FILE.yaml")]
    pub out: Option<PathBuf>,
    /// Draw the observed and expected SFS with Poisson residuals into FILE.svg
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Stop building with an error past this many states per interval
    #[arg(long, value_name = "N", value_parser = crate::command::positive)]
    pub max_states: Option<usize>,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub cache: crate::command::CacheFlags,
}

fn positive(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("`{s}` is not a positive, finite number")),
    }
}

/// Failures of `phasic fit-demes`.
#[derive(Debug, thiserror::Error)]
pub enum FitDemesError {
    /// A file cannot be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The fitted model cannot be written.
    #[error("cannot write {path}: {error}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A problem of a file's content, naming the file.
    #[error("{path}: {error}")]
    In {
        /// The file.
        path: PathBuf,
        /// What is wrong in it.
        error: Box<DemesError>,
    },
    /// `--folded` with an `.fs` file, whose header says whether it is.
    #[error(
        "--folded applies to JSON data; {path} is in the .fs format, whose first line says `folded` or `unfolded`"
    )]
    FoldedFs {
        /// The data file.
        path: PathBuf,
    },
    /// A bootstrap folder without spectra.
    #[error("the bootstrap folder {path} has no .fs files")]
    NoBootstrap {
        /// The folder.
        path: PathBuf,
    },
    /// A problem of the model, its samples or the maths.
    #[error(transparent)]
    Demes(#[from] DemesError),
    /// A state space past `--max-states`, in its terms.
    #[error("{0}")]
    Limit(String),
    /// The picture could not be drawn or written.
    #[error(transparent)]
    Plot(#[from] PlotError),
}

fn read(path: &Path) -> Result<String, FitDemesError> {
    std::fs::read_to_string(path).map_err(|error| FitDemesError::Read {
        path: path.to_path_buf(),
        error,
    })
}

fn within(path: &Path) -> impl FnOnce(DemesError) -> FitDemesError + '_ {
    move |error| FitDemesError::In {
        path: path.to_path_buf(),
        error: Box::new(error),
    }
}

/// Reads an observed spectrum: JSON if it starts with `[`, else `.fs`.
fn observed(path: &Path, folded: bool) -> Result<Observed, FitDemesError> {
    let text = read(path)?;
    if text.trim_start().starts_with('[') {
        Observed::from_json(&text, folded).map_err(within(path))
    } else if folded {
        Err(FitDemesError::FoldedFs {
            path: path.to_path_buf(),
        })
    } else {
        Observed::from_fs(&text).map_err(within(path))
    }
}

/// The `.fs` spectra of a bootstrap folder, in name order.
fn bootstrap(dir: &Path) -> Result<Vec<Observed>, FitDemesError> {
    let entries = std::fs::read_dir(dir).map_err(|error| FitDemesError::Read {
        path: dir.to_path_buf(),
        error,
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "fs"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(FitDemesError::NoBootstrap {
            path: dir.to_path_buf(),
        });
    }
    files.iter().map(|f| observed(f, false)).collect()
}

/// One parameter, as printed.
#[derive(Debug, Serialize)]
struct ParameterOut {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    start: f64,
    lower_bound: f64,
    upper_bound: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    estimate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    std_error: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interval: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_limit: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gradient: Option<f64>,
}

/// The output of `phasic fit-demes`.
#[derive(Debug, Serialize)]
struct Output {
    likelihood: &'static str,
    parameters: Vec<ParameterOut>,
    log_likelihood: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    converged: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iterations: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evaluations: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    information: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bootstrap_spectra: Option<usize>,
    theta: f64,
    expected_sfs: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    fitted_model: Option<PathBuf>,
    seconds: f64,
}

/// Runs `phasic fit-demes`; returns the text to print.
pub fn run(args: &FitDemesArgs) -> Result<String, FitDemesError> {
    let t0 = Instant::now();
    let yaml = read(&args.file)?;
    let options_text = read(&args.params)?;
    let parameters = Parameters::from_yaml(&options_text).map_err(within(&args.params))?;
    for key in parameters.ignored() {
        tracing::warn!(file = %args.params.display(), key, "ignored key of the options file");
    }
    let bound = parameters.bind(&yaml).map_err(within(&args.params))?;
    let data = observed(&args.data, args.folded)?;
    let scaling = match (args.mu, args.length) {
        (Some(mu), Some(length)) => Scaling::Poisson { mu, length },
        _ => Scaling::Multinomial,
    };
    let likelihood = SfsLikelihood::new(data, scaling).map_err(within(&args.data))?;
    let boot = args.bootstrap.as_deref().map(bootstrap).transpose()?;
    let model =
        build_model(&yaml, &args.samples, args.max_states, &args.cache).map_err(|e| match e {
            BuildFailed::Demes(e) => within(&args.file)(e),
            BuildFailed::Limit(text) => FitDemesError::Limit(text),
        })?;
    let problem = bound.problem();
    let start = bound.start().to_vec();
    let describe = |k: usize| parameters.parameters()[k].description.clone();
    let base = |k: usize| ParameterOut {
        name: bound.names()[k].clone(),
        description: describe(k),
        start: start[k],
        lower_bound: bound.lower()[k],
        upper_bound: bound.upper()[k],
        estimate: None,
        std_error: None,
        interval: None,
        on_limit: None,
        gradient: None,
    };
    let kind = match scaling {
        Scaling::Poisson { .. } => "poisson",
        Scaling::Multinomial => "multinomial",
    };
    let out = if args.evaluate {
        let (sfs, d) = model.sfs_gradient(&start, &*problem.graph_at)?;
        let (ll, gradient) = likelihood
            .log_likelihood(&sfs, &d)
            .map_err(within(&args.data))?;
        let expected = likelihood.expected_counts(&sfs);
        draw(args, &likelihood, &expected)?;
        Output {
            likelihood: kind,
            parameters: (0..start.len())
                .map(|k| ParameterOut {
                    gradient: Some(gradient[k]),
                    ..base(k)
                })
                .collect(),
            log_likelihood: ll,
            converged: None,
            iterations: None,
            evaluations: None,
            information: None,
            bootstrap_spectra: None,
            theta: likelihood.theta(&sfs),
            expected_sfs: nested(&expected, 0, 0),
            fitted_model: None,
            seconds: t0.elapsed().as_secs_f64(),
        }
    } else {
        let bar = Progress::new("iterations");
        let progress = |done: usize, ll: f64| {
            tracing::info!(iteration = done, log_likelihood = ll, "fit-demes");
            bar.report(done, args.iterations);
        };
        let options = FitOptions {
            iterations: args.iterations,
            tolerance: args.tolerance,
        };
        let fit = maximum_likelihood(
            &model,
            &problem,
            &likelihood,
            &start,
            &options,
            boot.as_deref().unwrap_or(&[]),
            &progress,
        )?;
        let theta: Vec<f64> = fit.estimates.iter().map(|e| e.value).collect();
        if let Some(path) = &args.out {
            let (fitted, _) = bound.apply(&theta)?;
            std::fs::write(path, fitted).map_err(|error| FitDemesError::Write {
                path: path.clone(),
                error,
            })?;
        }
        draw(args, &likelihood, &fit.expected)?;
        fitted(args, fit, base, kind, boot.map(|b| b.len()), t0)
    };
    Ok(if args.json {
        serde_json::to_string(&out).unwrap_or_default()
    } else {
        human(&out)
    })
}

/// The output of a fit.
fn fitted(
    args: &FitDemesArgs,
    fit: DemesFit,
    base: impl Fn(usize) -> ParameterOut,
    kind: &'static str,
    bootstrap_spectra: Option<usize>,
    t0: Instant,
) -> Output {
    Output {
        likelihood: kind,
        parameters: fit
            .estimates
            .iter()
            .enumerate()
            .map(|(k, e)| ParameterOut {
                estimate: Some(e.value),
                std_error: e.std_error,
                interval: e.interval.map(|(lo, hi)| [lo, hi]),
                on_limit: Some(e.on_limit),
                gradient: Some(fit.gradient[k]),
                ..base(k)
            })
            .collect(),
        log_likelihood: fit.log_likelihood,
        converged: Some(fit.converged),
        iterations: Some(fit.iterations),
        evaluations: Some(fit.evaluations),
        information: Some(match fit.information {
            Information::Observed => "observed",
            Information::Godambe => "godambe",
        }),
        bootstrap_spectra,
        theta: fit.theta,
        expected_sfs: nested(&fit.expected, 0, 0),
        fitted_model: args.out.clone(),
        seconds: t0.elapsed().as_secs_f64(),
    }
}

/// `--plot`: the compared entries, observed against expected, with residuals.
fn draw(
    args: &FitDemesArgs,
    likelihood: &SfsLikelihood,
    expected: &phasic::demes::Spectrum,
) -> Result<(), FitDemesError> {
    let Some(path) = &args.plot else {
        return Ok(());
    };
    let entries: Vec<residuals::Entry> = likelihood
        .entries()
        .iter()
        .map(|&o| residuals::Entry {
            label: label(likelihood.observed(), o),
            observed: likelihood.observed().values[o],
            expected: expected.values()[o],
        })
        .collect();
    plot::write(path, &residuals::observed_and_expected(&entries)?)?;
    Ok(())
}

/// The multi-index of offset `o` of `data`, as `i` or `i,j`.
fn label(data: &Observed, o: usize) -> String {
    data.index(o)
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn human(out: &Output) -> String {
    let mut lines = vec![format!(
        "{:<14} {:>14} {:>14} {:>14} {:>30} {:>14}",
        "parameter", "start", "estimate", "std. error", "95% interval", "gradient"
    )];
    let num = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.6e}"));
    for p in &out.parameters {
        lines.push(format!(
            "{:<14} {:>14} {:>14} {:>14} {:>30} {:>14}",
            p.name,
            format!("{:.6e}", p.start),
            num(p.estimate),
            num(p.std_error),
            p.interval
                .map_or("-".to_string(), |[a, b]| format!("[{a:.4e}, {b:.4e}]")),
            num(p.gradient),
        ));
    }
    let limits: Vec<&str> = out
        .parameters
        .iter()
        .filter(|p| p.on_limit == Some(true))
        .map(|p| p.name.as_str())
        .collect();
    if !limits.is_empty() {
        lines.push(format!(
            "on a bound or constraint: {} (the maximum is at the edge of what is allowed; its interval means little)",
            limits.join(", ")
        ));
    }
    lines.push(format!(
        "log-likelihood {} ({})",
        out.log_likelihood, out.likelihood
    ));
    if let (Some(c), Some(i)) = (out.converged, out.iterations) {
        lines.push(format!(
            "converged      {c} after {i} iterations; standard errors from the {} information",
            out.information.unwrap_or("observed")
        ));
    }
    lines.push(format!("theta          {}", out.theta));
    if let Some(p) = &out.fitted_model {
        lines.push(format!("fitted model   {}", p.display()));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_multi_indices() {
        let one = Observed::from_fs("4\n0 1 2 0\n").unwrap();
        assert_eq!(label(&one, 2), "2");
        let two = Observed::from_fs("3 4\n0 1 2 3 4 5 6 7 8 9 10 11\n").unwrap();
        assert_eq!(label(&two, 6), "1,2");
    }
}
