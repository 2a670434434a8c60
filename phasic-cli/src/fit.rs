//! `phasic fit`: fit a library model's parameters θ to observed
//! absorption times, by maximum likelihood or SVGD.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, ValueEnum};
use phasic::cache::{CacheOptions, record_trace};
use phasic::core::{
    Graph, PhaseType, inference::Likelihood, inference::MleOptions, inference::MomentMatching,
    inference::Observations, inference::Prior, inference::SvgdOptions,
    inference::maximum_likelihood, inference::svgd, trace::TraceOptions,
};
use phasic::models::{self, ModelError, Settings};
use phasic::prelude::GraphView;
use serde::Serialize;

use crate::plot::{self, PlotArgs, PlotError, posterior};
use crate::progress::{Growth, Progress};
use crate::state_limit::StateLimit;

/// Arguments of `phasic fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// The model (its parameterized variant, see `phasic model list`)
    pub name: String,
    /// Observed absorption times: one number per line (`#` comments and
    /// blank lines allowed) or a JSON array
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Model parameters, `key=value` (repeatable)
    #[arg(long = "set", value_name = "key=value", value_parser = crate::model::key_value)]
    pub set: Vec<(String, String)>,
    /// Maximum likelihood or a posterior sample by SVGD
    #[arg(long, value_enum, default_value_t = Method::Mle)]
    pub method: Method,
    /// SVGD particles
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = crate::command::particles)]
    pub particles: usize,
    /// SVGD: Adam steps; MLE: at most this many L-BFGS iterations
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = crate::command::iterations)]
    pub iterations: usize,
    /// SVGD: Adam step size in log θ
    #[arg(long, value_name = "RATE", default_value_t = 0.05)]
    pub rate: f64,
    /// MLE: converged when every |∂ ln L/∂ ln θ_j| is at most this
    #[arg(long, value_name = "TOL", default_value_t = 1e-6)]
    pub tolerance: f64,
    /// Where to start (MLE), or the centre of the starting particles
    /// (SVGD); default: all 1 scaled by the one factor that matches the
    /// model's mean to the data's
    #[arg(long, value_name = "a,b,...", value_parser = crate::model::theta_list)]
    // the full path keeps clap from reading `Vec` as repeated values
    pub start: Option<std::vec::Vec<f64>>,
    /// Prior of every parameter (SVGD): flat, normal:MEAN,SD, log-normal:MU,SIGMA or half-cauchy:SCALE
    #[arg(long, value_name = "PRIOR", default_value = "flat", value_parser = prior)]
    pub prior: Prior,
    /// Seed of the starting particles (SVGD)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
    /// With --plot: SVGD draws the posterior (histograms, pairwise
    /// scatter plots), MLE the data's histogram with the fitted density
    #[command(flatten)]
    pub plot: PlotArgs,
    #[command(flatten)]
    pub cache: crate::command::CacheFlags,
    /// Stop building with an error past this many states (default: half
    /// the available memory at 1 KiB a state)
    #[arg(long, value_name = "N", value_parser = crate::command::positive)]
    pub max_states: Option<usize>,
}

/// How to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Maximum likelihood (Adam in log θ)
    Mle,
    /// Stein variational gradient descent: a posterior sample
    Svgd,
}

/// Parses a prior.
fn prior(s: &str) -> Result<Prior, String> {
    let numbers = |v: &str, n: usize| -> Result<Vec<f64>, String> {
        let xs: Vec<f64> = v
            .split(',')
            .map(|x| {
                x.trim()
                    .parse::<f64>()
                    .map_err(|_| format!("`{x}` is not a number"))
            })
            .collect::<Result<_, _>>()?;
        if xs.len() == n {
            Ok(xs)
        } else {
            Err(format!("`{s}` needs {n} number(s)"))
        }
    };
    let p = match s.split_once(':') {
        None if s == "flat" => Prior::Flat,
        Some(("normal", v)) => numbers(v, 2).map(|x| Prior::Normal {
            mean: x[0],
            sd: x[1],
        })?,
        Some(("log-normal", v)) => numbers(v, 2).map(|x| Prior::LogNormal {
            mu: x[0],
            sigma: x[1],
        })?,
        Some(("half-cauchy", v)) => numbers(v, 1).map(|x| Prior::HalfCauchy { scale: x[0] })?,
        _ => {
            return Err(format!(
                "`{s}` is not flat, normal:MEAN,SD, log-normal:MU,SIGMA or half-cauchy:SCALE"
            ));
        }
    };
    p.check().map_err(|e| e.to_string())?;
    Ok(p)
}

/// Failures of `phasic fit`.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// The data file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A bad observation.
    #[error("{path}: {what}")]
    Data {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        what: String,
    },
    /// The model has no parameterized variant.
    #[error("model `{0}` has no parameterized variant to fit")]
    NoTheta(&'static str),
    /// Building the model failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The build passed `--max-states` or ran out of memory.
    #[error("{0}")]
    Limit(String),
    /// A setting of the command line the fit refused, named as written.
    #[error("{option} {given} is invalid: {reason}")]
    Setting {
        /// The option, e.g. `--iterations`.
        option: &'static str,
        /// Its value as given.
        given: String,
        /// Why it is refused.
        reason: String,
    },
    /// The start chosen by matching the model's mean to the data's cannot
    /// be evaluated.
    #[error("{source}; the start matched the data's mean: give one with --start")]
    MatchedStart {
        /// The library's error, naming the start.
        source: phasic::core::Error,
    },
    /// The likelihood or the fit failed.
    #[error(transparent)]
    Core(#[from] phasic::core::Error),
    /// The result could not be serialised.
    #[error("cannot serialise the output: {0}")]
    Output(#[from] serde_json::Error),
    /// The picture (`--plot`) could not be drawn or written.
    #[error(transparent)]
    Plot(#[from] PlotError),
}

/// Reads observed times: a JSON array, or one number per line. Errors name
/// the line (or array index) and the value.
pub fn read_data(path: &std::path::Path) -> Result<Vec<f64>, FitError> {
    let text = std::fs::read_to_string(path).map_err(|source| FitError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    // a byte-order mark (editors on Windows write one) is not data
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let bad = |what: String| FitError::Data {
        path: path.to_path_buf(),
        what,
    };
    let check = |x: f64, place: String| -> Result<f64, FitError> {
        if x.is_finite() && x >= 0.0 {
            Ok(x)
        } else {
            Err(bad(format!(
                "{place}: {x} is not a finite, non-negative time"
            )))
        }
    };
    let data: Vec<f64> = if text.trim_start().starts_with('[') {
        let values: Vec<serde_json::Value> = serde_json::from_str(text)
            .map_err(|e| bad(format!("not a JSON array of numbers: {e}")))?;
        values
            .iter()
            .enumerate()
            .map(|(i, v)| match v.as_f64() {
                Some(x) => check(x, format!("element {i}")),
                None => Err(bad(format!("element {i}: `{v}` is not a number"))),
            })
            .collect::<Result<_, _>>()?
    } else {
        text.lines()
            .enumerate()
            .filter_map(|(i, l)| {
                let l = l.split('#').next().unwrap_or("").trim();
                (!l.is_empty()).then_some((i + 1, l))
            })
            .map(|(line, l)| match l.parse::<f64>() {
                Ok(x) => check(x, format!("line {line}")),
                Err(_) => Err(bad(format!("line {line}: `{l}` is not a number"))),
            })
            .collect::<Result<_, _>>()?
    };
    if data.is_empty() {
        return Err(bad("no observations".into()));
    }
    Ok(data)
}

/// All ones scaled by the one factor that makes the model's mean the
/// data's (a fit started at θ = 1 on data of another time scale would
/// need series of millions of steps), from the model's trace (through
/// the cache).
fn matched_start<G: GraphView + ?Sized>(
    graph: &G,
    cache: &CacheOptions,
    data: &[f64],
    dim: usize,
) -> Result<Vec<f64>, FitError> {
    let mean = data.iter().sum::<f64>() / data.len() as f64;
    if mean <= 0.0 {
        // every observation is 0: no time scale to match
        return Ok(vec![1.0; dim]);
    }
    let (trace, _) =
        record_trace(graph, cache, TraceOptions::default()).map_err(ModelError::from)?;
    let start = MomentMatching::new(vec![mean])?.scaled_start(&trace, &vec![1.0; dim])?;
    tracing::info!(?start, mean, "start matched to the data's mean");
    Ok(start)
}

/// The data's histogram with the model's density at `theta` over it, at
/// `points` points from 0 to the largest observation.
fn fitted<G: GraphView + ?Sized>(
    graph: &G,
    theta: &[f64],
    data: &[f64],
    points: usize,
) -> Result<String, FitError> {
    let mut g = Graph::from_view(graph)?;
    g.update_weights(theta)?;
    let ph = PhaseType::new(&g)?;
    let largest = data.iter().copied().fold(0.0, f64::max);
    let xs = plot::curve_points(&[0.0, largest], points, false, || {
        ph.quantile(plot::UPPER_QUANTILE)
            .map_err(plot::quantile_failed)
    })?;
    let (pdf, _) = ph.pdf_cdf(&xs, phasic::core::Method::default())?;
    Ok(posterior::data_and_fit(data, &xs, &pdf, "time")?)
}

/// A library error about a setting, in the command line's terms: the
/// option that holds it (`--iterations 0`, `--start 0`), or, for a start
/// the user did not give, what to do.
fn named(e: phasic::core::Error, args: &FitArgs) -> FitError {
    use phasic::core::Error as E;
    let setting = |option: &'static str, given: String, reason: String| FitError::Setting {
        option,
        given,
        reason,
    };
    let start = args.start.as_ref().map(|s| {
        s.iter()
            .map(|x| format!("{x:?}"))
            .collect::<Vec<_>>()
            .join(",")
    });
    match (&e, start) {
        (E::InvalidSetting { name, reason, .. }, _) => {
            let (option, given) = match *name {
                "iterations" => ("--iterations", args.iterations.to_string()),
                "particles" => ("--particles", args.particles.to_string()),
                "rate" => ("--rate", args.rate.to_string()),
                "tolerance" => ("--tolerance", args.tolerance.to_string()),
                _ => return FitError::Core(e),
            };
            setting(option, given, reason.to_string())
        }
        (E::FitStart { source, .. }, Some(given)) => setting(
            "--start",
            given,
            format!("the log-likelihood cannot be evaluated there: {source}"),
        ),
        (E::FitStart { .. }, None) => FitError::MatchedStart { source: e },
        (E::InvalidParam { .. } | E::ParamLength { .. }, Some(given)) => {
            setting("--start", given, e.to_string())
        }
        _ => FitError::Core(e),
    }
}

#[derive(Debug, Serialize)]
struct Output {
    model: &'static str,
    parameters: &'static str,
    method: Method,
    observations: usize,
    vertices: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    theta: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_likelihood: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iterations: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evaluations: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    converged: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mean: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sd: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    q025: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    q975: Option<Vec<f64>>,
    seconds: f64,
}

/// Runs `phasic fit`; returns the text to print.
pub fn run(args: &FitArgs) -> Result<String, FitError> {
    let spec = models::find(&args.name)?;
    let theta = spec.theta.as_ref().ok_or(FitError::NoTheta(spec.name))?;
    let data = read_data(&args.data)?;
    let cache = args.cache.options();
    let limit = StateLimit::new(args.max_states);
    let growth = Arc::new(Growth::new());
    let settings = Settings::new(spec, &args.set)?
        .with_cache(cache.clone())
        .with_build(limit.options(&growth));
    let t0 = Instant::now();
    let built = (theta.build)(&settings);
    growth.finish();
    let built = built.map_err(|e| match &e {
        ModelError::Core(core) => limit
            .explain(core)
            .map_or(FitError::Model(e), FitError::Limit),
        _ => FitError::Model(e),
    })?;
    let n = data.len();
    let start = match &args.start {
        Some(start) => start.clone(),
        None => matched_start(&built.cached.graph, &cache, &data, theta.dim)?,
    };
    let observed = args.plot.plot.is_some().then(|| data.clone());
    let lik = Likelihood::new(&built.cached.graph, Observations::Times(data))?;
    let mut out = Output {
        model: spec.name,
        parameters: theta.about,
        method: args.method,
        observations: n,
        vertices: phasic::prelude::GraphView::vertex_count(&built.cached.graph),
        theta: None,
        log_likelihood: None,
        iterations: None,
        evaluations: None,
        converged: None,
        mean: None,
        sd: None,
        q025: None,
        q975: None,
        seconds: 0.0,
    };
    let bar = Progress::new("iterations");
    let progress = |done: usize, total: usize| bar.report(done, total);
    match args.method {
        Method::Mle => {
            let fit = maximum_likelihood(
                &lik,
                &MleOptions {
                    start,
                    iterations: args.iterations,
                    tolerance: args.tolerance,
                },
                &progress,
            )
            .map_err(|e| named(e, args))?;
            if let (Some(path), Some(data)) = (&args.plot.plot, &observed) {
                let svg = fitted(&built.cached.graph, &fit.theta, data, args.plot.plot_points)?;
                plot::write(path, &svg)?;
            }
            out.theta = Some(fit.theta);
            out.log_likelihood = Some(fit.log_likelihood);
            out.iterations = Some(fit.iterations);
            out.evaluations = Some(fit.evaluations);
            out.converged = Some(fit.converged);
        }
        Method::Svgd => {
            let post = svgd(
                &lik,
                &SvgdOptions {
                    particles: args.particles,
                    iterations: args.iterations,
                    rate: args.rate,
                    priors: vec![args.prior; theta.dim],
                    center: start,
                    seed: args.seed,
                },
                &progress,
            )
            .map_err(|e| named(e, args))?;
            if let Some(path) = &args.plot.plot {
                let names: Vec<String> = (1..=theta.dim).map(|j| format!("θ{j}")).collect();
                plot::write(path, &posterior::corner(&post.particles, &names)?)?;
            }
            let q = |p: f64| (0..theta.dim).map(|j| post.quantile(j, p)).collect();
            out.q025 = Some(q(0.025));
            out.q975 = Some(q(0.975));
            out.mean = Some(post.mean);
            out.sd = Some(post.sd);
            out.iterations = Some(args.iterations);
        }
    }
    drop(bar);
    out.seconds = t0.elapsed().as_secs_f64();
    if args.json {
        return Ok(serde_json::to_string(&out)?);
    }
    let fmt = |v: &Option<Vec<f64>>| {
        v.as_ref()
            .map(|v| {
                v.iter()
                    .map(|x| format!("{x:.6}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    Ok(match args.method {
        Method::Mle => format!(
            "{}, θ = {}; {} observations: MLE θ = ({}), log L = {:.6}, {:.2} s; {}",
            out.model,
            out.parameters,
            n,
            fmt(&out.theta),
            out.log_likelihood.unwrap_or(f64::NAN),
            out.seconds,
            {
                let steps = format!(
                    "after {} iterations ({} evaluations)",
                    out.iterations.unwrap_or(0),
                    out.evaluations.unwrap_or(0)
                );
                if out.converged == Some(true) {
                    format!("converged {steps}")
                } else {
                    format!("NOT converged {steps}: raise --iterations or --tolerance")
                }
            },
        ),
        Method::Svgd => format!(
            "{}, θ = {}; {} observations, {} particles: posterior mean ({}), sd ({}), 95% interval ({}) to ({}), {:.2} s",
            out.model,
            out.parameters,
            n,
            args.particles,
            fmt(&out.mean),
            fmt(&out.sd),
            fmt(&out.q025),
            fmt(&out.q975),
            out.seconds
        ),
    })
}
