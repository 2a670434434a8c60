//! `phasic model`: build a model of the library and print what it implies.

use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use phasic::cache::{CacheOptions, ShardOptions, prepare_session, record_trace, sharded_trace};
use phasic::core::{
    DiscretePhaseType, Graph, GraphView, Method, PhaseType, distribution::reward_transform,
    distribution::reward_transform_discrete, elimination::Program, trace::TraceOptions,
};
use phasic::models::{self, Built, CATALOGUE, ModelError, Settings, Spec, Spectrum, Weighted};
use serde::Serialize;

use crate::dot::{DotArgs, DotError};
use crate::plot::{self, Curve, Figure, PlotArgs, PlotError, Sfs};
use crate::progress::{Growth, Progress};
use crate::state_limit::StateLimit;
use crate::work;
use phasic::prelude::PhaseTypeDistribution;

/// Arguments of `phasic model`.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// The model (`list` shows them all)
    pub name: String,
    /// Model parameters, `key=value` (repeatable)
    #[arg(long = "set", value_name = "key=value", value_parser = key_value)]
    pub set: Vec<(String, String)>,
    /// Number K of raw moments to print
    #[arg(long, value_name = "K", default_value_t = 2, value_parser = crate::command::moments)]
    pub moments: u64,
    /// A named reward of the model (default: its first, the time)
    #[arg(long, value_name = "NAME")]
    pub reward: Option<String>,
    /// Print the expected site-frequency spectrum
    #[arg(long)]
    pub sfs: bool,
    /// Points at which to evaluate the pdf and cdf (pmf and cdf for a discrete model)
    #[arg(long, value_name = "t1,t2,...", value_delimiter = ',', value_parser = non_negative)]
    pub at: Vec<f64>,
    /// Evaluate the parameterized variant at θ = a,b,... (repeat for a batch)
    #[arg(long, value_name = "a,b,...", allow_hyphen_values = true, value_parser = theta_list)]
    pub theta: Vec<Vec<f64>>,
    /// With --theta: record the elimination once and evaluate it for every θ
    #[arg(long, requires = "theta")]
    pub via_trace: bool,
    /// With --via-trace: cyclic components of at least this many vertices
    /// are subproblems (stored by content, sharded); smaller ones are
    /// recorded inline
    #[arg(long, value_name = "N", requires = "via_trace", default_value_t = phasic::core::trace::DEFAULT_MIN_SUBPROBLEM as u64, value_parser = clap::value_parser!(u64).range(2..))]
    pub min_subproblem: u64,
    /// With --via-trace: compute the trace's subproblems as work units run
    /// by threads, processes:N (local workers) or slurm[:K] (a job array,
    /// at most K tasks at once)
    #[arg(long, value_name = "HOW", requires = "via_trace", value_parser = work::shard)]
    pub shard: Option<work::Shard>,
    /// With --shard: where sessions live, on a filesystem every worker sees
    /// (default: PHASIC_WORK_DIR, else the cache root)
    #[arg(long, value_name = "DIR", requires = "shard")]
    pub work_dir: Option<std::path::PathBuf>,
    /// With --shard: attempts after the first for units still missing
    #[arg(long, value_name = "N", default_value_t = 2, requires = "shard", value_parser = crate::command::retries)]
    pub retries: usize,
    #[command(flatten)]
    pub slurm: work::SlurmArgs,
    /// Stop building with an error past this many states (default: half
    /// the available memory at 1 KiB a state)
    #[arg(long, value_name = "N", value_parser = crate::command::positive)]
    pub max_states: Option<usize>,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub plot: PlotArgs,
    #[command(flatten)]
    pub dot: DotArgs,
    #[command(flatten)]
    pub cache: crate::command::CacheFlags,
}

pub fn key_value(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not of the form key=value"))?;
    Ok((k.trim().to_string(), v.trim().to_string()))
}

fn non_negative(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("`{s}` is not a finite, non-negative number")),
    }
}

pub fn theta_list(s: &str) -> Result<Vec<f64>, String> {
    s.split(',')
        .enumerate()
        .map(|(i, x)| match x.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!("component {i} of θ, `{x}`, is not a finite number")),
        })
        .collect()
}

/// Failures of `phasic model`.
#[derive(Debug, thiserror::Error)]
pub enum ModelCliError {
    /// A model or setting problem.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A problem of the maths.
    #[error(transparent)]
    Core(#[from] phasic::core::Error),
    /// A θ at which the model is not a phase-type distribution.
    #[error("--theta {theta}: {problem} (θ = {about})")]
    Theta {
        /// The θ given, as on the command line.
        theta: String,
        /// What it does to the model.
        problem: String,
        /// What the model's θ is.
        about: &'static str,
    },
    /// A request the model cannot answer.
    #[error("{0}")]
    Unsupported(String),
    /// The picture (`--plot`) could not be drawn or written.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// The state space (`--dot`) could not be written.
    #[error(transparent)]
    Dot(#[from] DotError),
}

/// An error at one θ in the user's terms: the rates θ gives to the
/// model's states, not the graph's edges and vertices. Other errors are
/// returned as they are.
fn at_theta(theta: &[f64], about: &'static str, e: ModelCliError) -> ModelCliError {
    use phasic::core::Error;
    let problem = match &e {
        ModelCliError::Core(Error::InvalidWeight {
            from_state,
            to_state,
            weight,
            ..
        }) => format!(
            "the transition from state {from_state:?} to state {to_state:?} gets rate {weight}, and rates must be finite and non-negative"
        ),
        ModelCliError::Core(Error::ZeroRate { state, .. }) => {
            format!("state {state:?} gets total rate 0, so the chain never leaves it")
        }
        ModelCliError::Core(Error::NoPathToAbsorption { state, .. }) => format!(
            "from state {state:?} the chain can never be absorbed (it is caught in a closed class)"
        ),
        _ => return e,
    };
    let theta = theta
        .iter()
        .map(f64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    ModelCliError::Theta {
        theta,
        problem,
        about,
    }
}

/// What one evaluation reports (the fields requested).
#[derive(Debug, Serialize, Default)]
struct Report {
    moments: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    variance: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sfs: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pdf: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cdf: Option<Vec<f64>>,
    /// With `--plot`: the distribution over the plot's range.
    #[serde(skip)]
    curve: Option<Curve>,
    /// With `--plot --sfs`: the spectrum to draw.
    #[serde(skip)]
    spectrum: Option<Sfs>,
}

/// Where the elimination program came from: the program cache (`hit`),
/// eliminated and cached (`miss`), or eliminated without the cache (`off`).
#[derive(Debug, Serialize)]
struct ProgramCache {
    cache: &'static str,
    seconds: f64,
}

/// The output of `phasic model NAME`.
#[derive(Debug, Serialize)]
pub struct Output {
    model: &'static str,
    vertices: usize,
    edges: usize,
    build_seconds: f64,
    cache: &'static str,
    load_seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    program: Option<ProgramCache>,
    #[serde(skip_serializing_if = "Option::is_none")]
    theta: Option<Vec<Vec<f64>>>,
    moments: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    variance: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sfs: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pdf: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cdf: Option<serde_json::Value>,
}

/// Runs `phasic model`; returns the text to print.
pub fn run(args: &ModelArgs) -> Result<String, ModelCliError> {
    if args.name == "list" {
        return Ok(list(args.json));
    }
    let spec = models::find(&args.name)?;
    if args.plot.plot.is_some() && args.theta.len() > 1 {
        return Err(PlotError::Unsupported(
            "a picture shows one distribution: give one --theta".into(),
        )
        .into());
    }
    let cache = args.cache.options();
    let limit = StateLimit::new(args.max_states);
    let growth = Arc::new(Growth::new());
    let settings = Settings::new(spec, &args.set)?
        .with_cache(cache.clone())
        .with_build(limit.options(&growth));
    let t0 = Instant::now();
    let built = build_model(spec, &settings, args);
    growth.finish();
    let built = built.map_err(|e| match &e {
        ModelCliError::Model(ModelError::Core(core)) => {
            limit.explain(core).map_or(e, ModelCliError::Unsupported)
        }
        _ => e,
    })?;
    let build_seconds = t0.elapsed().as_secs_f64();
    if let Some(path) = &args.dot.dot {
        let what = format!("the state space of `{}`", spec.name);
        let title = title(spec.name, &args.set);
        match args.theta.first() {
            None => args.dot.write(&built.cached.graph, &what, &title, path)?,
            Some(t) => {
                // the rates at the (first) θ
                let mut g = Graph::from_view(&built.cached.graph)?;
                g.update_weights(t).map_err(|e| {
                    at_theta(t, spec.theta.as_ref().map_or("", |x| x.about), e.into())
                })?;
                args.dot.write(&g, &what, &title, path)?;
            }
        }
    }
    let reward_index = match &args.reward {
        None => 0,
        Some(name) => built
            .rewards
            .iter()
            .position(|(n, _)| *n == name)
            .ok_or_else(|| ModelError::UnknownReward {
                model: spec.name,
                name: name.clone(),
                valid: built
                    .rewards
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?,
    };
    let mut program_cache = None;
    let reports = if args.theta.is_empty() {
        let program = built.program()?;
        program_cache = program.as_ref().map(|p| ProgramCache {
            cache: p.status.as_str(),
            seconds: p.seconds,
        });
        let program = program.as_ref().map(|p| &p.program);
        vec![evaluate(
            &built,
            &built.cached.graph,
            reward_index,
            args,
            program,
        )?]
    } else {
        let trace_options = TraceOptions {
            min_subproblem: usize::try_from(args.min_subproblem).unwrap_or(usize::MAX),
        };
        let trace = if args.via_trace {
            match &args.shard {
                None => {
                    let (trace, report) = record_trace(&built.cached.graph, &cache, trace_options)
                        .map_err(ModelError::from)?;
                    tracing::info!(?report, "trace recorded");
                    Some(trace)
                }
                Some(shard) => {
                    let options = ShardOptions {
                        work_dir: args.work_dir.clone(),
                        retries: args.retries,
                    };
                    if args.slurm.dry_run {
                        return dry_run(
                            &built,
                            &cache,
                            trace_options,
                            &options,
                            shard,
                            &args.slurm,
                        );
                    }
                    let executor = work::executor(shard, &args.slurm).map_err(|e| {
                        ModelCliError::Unsupported(format!("cannot find this executable: {e}"))
                    })?;
                    let bar = Progress::new("units");
                    let progress = |done: usize, total: usize| bar.report(done, total);
                    let (trace, report) = sharded_trace(
                        &built.cached.graph,
                        &cache,
                        trace_options,
                        &options,
                        executor.as_ref(),
                        &progress,
                    )
                    .map_err(ModelError::from)?;
                    drop(bar);
                    tracing::info!(?report, "trace computed by {}", executor.describe());
                    Some(trace)
                }
            }
        } else {
            None
        };
        // with a trace, the model's graph is borrowed with its weights at θ;
        // without (or where θ splits a cyclic component so that part of it
        // is closed: direct elimination prunes what the start cannot reach),
        // one re-weightable copy serves every θ
        let mut owned: Option<Graph> = None;
        let mut direct = |t: &[f64]| -> Result<Report, ModelCliError> {
            let g = match &mut owned {
                Some(g) => g,
                None => owned.insert(Graph::from_view(&built.cached.graph)?),
            };
            g.update_weights(t)?;
            evaluate(&built, &*g, reward_index, args, None)
        };
        let about = spec.theta.as_ref().map_or("", |t| t.about);
        args.theta
            .iter()
            .map(|t| {
                match trace.as_ref().map(|tr| tr.at(&built.cached.graph, t)) {
                    None => direct(t),
                    Some(Ok(at)) => evaluate(&built, &at, reward_index, args, Some(at.program())),
                    Some(Err(
                        phasic::core::Error::ZeroRate { vertex, .. }
                        | phasic::core::Error::NoPathToAbsorption { vertex, .. },
                    )) => {
                        tracing::info!(
                            vertex,
                            "θ closes part of a component; eliminating directly with pruning"
                        );
                        direct(t)
                    }
                    Some(Err(e)) => Err(e.into()),
                }
                .map_err(|e| at_theta(t, about, e))
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    if let Some(path) = &args.plot.plot {
        let first = reports.first();
        let figure = Figure {
            curve: first.and_then(|r| r.curve.as_ref()),
            sfs: first.and_then(|r| r.spectrum.as_ref()),
        };
        plot::write(path, &figure.svg()?)?;
    }
    let batch = !args.theta.is_empty();
    let pick = |f: &dyn Fn(&Report) -> Option<serde_json::Value>| -> Option<serde_json::Value> {
        let values: Vec<serde_json::Value> = reports.iter().filter_map(f).collect();
        if values.len() != reports.len() {
            None
        } else if batch {
            Some(serde_json::Value::Array(values))
        } else {
            values.into_iter().next()
        }
    };
    let out = Output {
        model: spec.name,
        vertices: built.cached.graph.vertex_count(),
        edges: built.cached.graph.edge_count(),
        build_seconds,
        cache: built.cached.status.as_str(),
        load_seconds: built.cached.seconds,
        program: program_cache,
        theta: batch.then(|| args.theta.clone()),
        moments: pick(&|r| Some(serde_json::json!(r.moments))).unwrap_or_default(),
        variance: pick(&|r| r.variance.map(|v| serde_json::json!(v))),
        sfs: pick(&|r| r.sfs.clone()),
        pdf: pick(&|r| r.pdf.as_ref().map(|v| serde_json::json!(v))),
        cdf: pick(&|r| r.cdf.as_ref().map(|v| serde_json::json!(v))),
    };
    if args.json {
        Ok(serde_json::to_string(&out).unwrap_or_default())
    } else {
        Ok(human(&out))
    }
}

/// The model's graph (its parameterized variant with `--theta`), checking
/// that θ has the model's dimension.
fn build_model(
    spec: &'static Spec,
    settings: &Settings,
    args: &ModelArgs,
) -> Result<Built, ModelCliError> {
    Ok(if args.theta.is_empty() {
        (spec.build)(settings)?
    } else {
        let theta = spec.theta.as_ref().ok_or_else(|| {
            ModelCliError::Unsupported(format!(
                "model `{}` has no parameterized variant",
                spec.name
            ))
        })?;
        if let Some(t) = args.theta.iter().find(|t| t.len() != theta.dim) {
            return Err(ModelCliError::Unsupported(format!(
                "--theta has {} components, model `{}` takes {}: θ = {}",
                t.len(),
                spec.name,
                theta.dim,
                theta.about
            )));
        }
        (theta.build)(settings)?
    })
}

/// `--dry-run`: the batch script that `--shard slurm` would submit (the
/// session with the missing units is prepared, nothing is submitted).
fn dry_run(
    built: &Built,
    cache: &CacheOptions,
    trace_options: TraceOptions,
    options: &ShardOptions,
    shard: &work::Shard,
    slurm: &work::SlurmArgs,
) -> Result<String, ModelCliError> {
    let work::Shard::Slurm(k) = *shard else {
        return Err(ModelCliError::Unsupported(
            "--dry-run prints a SLURM batch script: use it with --shard slurm[:K]".into(),
        ));
    };
    let session = prepare_session(&built.cached.graph, cache, trace_options, options)
        .map_err(ModelError::from)?;
    let Some(session) = session else {
        return Ok("# nothing to submit: every subproblem is in the trace store".into());
    };
    let slurm = work::slurm(k, slurm)
        .map_err(|e| ModelCliError::Unsupported(format!("cannot find this executable: {e}")))?;
    Ok(slurm.script_for(session.dir(), session.units().len()))
}

/// The moments, or the first one outside f64's range named with how many
/// moments can be had.
fn in_range(moments: phasic::core::Result<Vec<f64>>) -> Result<Vec<f64>, ModelCliError> {
    moments.map_err(|e| match e {
        phasic::core::Error::MomentRange { order, .. } if order > 1 => ModelCliError::Unsupported(
            format!("{e}: ask for at most {} moments (--moments)", order - 1),
        ),
        e => e.into(),
    })
}

/// Fails at the first moment that overflowed, naming it and how many
/// moments can be had.
fn finite_moments(moments: &[f64]) -> Result<(), ModelCliError> {
    match moments.iter().position(|m| !m.is_finite()) {
        Some(k) => Err(ModelCliError::Unsupported(format!(
            "moment E[Y^{}] = {} overflows a 64-bit float: ask for at most {k} moments (--moments)",
            k + 1,
            moments[k]
        ))),
        None => Ok(()),
    }
}

/// Moments, variance, SFS, pdf and cdf of one built model, with the
/// weights of `g` (the model's graph, or a re-weighted copy).
fn evaluate<G: GraphView>(
    built: &Built,
    g: &G,
    reward_index: usize,
    args: &ModelArgs,
    program: Option<&Program>,
) -> Result<Report, ModelCliError> {
    let weighted = Weighted { graph: g, program };
    let k = args.moments as usize;
    let mut report = Report::default();
    if let Some(split) = &built.split_expectation {
        if k > 1 || !args.at.is_empty() || reward_index != 0 {
            return Err(ModelCliError::Unsupported(
                "with a split time `t` the model is not one phase-type distribution: only the expectation (--moments 1) and --sfs are available".into(),
            ));
        }
        report.moments = vec![split(g)?];
    } else {
        let reward =
            (reward_index != 0 || built.discrete).then(|| built.rewards[reward_index].1.as_slice());
        if built.discrete {
            let d = DiscretePhaseType::new(g)?;
            report.moments = in_range(d.moments(k, reward))?;
            report.variance = Some(d.variance(reward)?);
        } else {
            let ph = weighted.phase_type()?;
            report.moments = in_range(ph.moments(k, reward))?;
            report.variance = Some(ph.variance(reward)?);
        }
        if !args.at.is_empty() {
            let (pdf, cdf) =
                on_distribution(&weighted, built.discrete, reward, |d| d.at(&args.at))?;
            report.pdf = Some(pdf);
            report.cdf = Some(cdf);
        }
        if args.plot.plot.is_some() {
            let x_label = match (reward_index, built.discrete) {
                (0, false) => "time".to_string(),
                (0, true) => "steps".to_string(),
                (i, _) => format!("reward {}", built.rewards[i].0),
            };
            let points = args.plot.plot_points;
            let (xs, (pdf, cdf)) = on_distribution(&weighted, built.discrete, reward, |d| {
                d.curve(&args.at, points)
            })?;
            report.curve = Some(Curve {
                xs,
                pdf,
                cdf,
                x_label,
                discrete: built.discrete,
            });
        }
    }
    finite_moments(&report.moments)?;
    if args.sfs {
        let sfs = built.sfs.as_ref().ok_or_else(|| {
            ModelCliError::Unsupported("this model has no site-frequency spectrum (--sfs)".into())
        })?;
        let spectrum = sfs(&weighted)?;
        report.sfs = Some(match &spectrum {
            Spectrum::Classes(c) => serde_json::json!(c),
            Spectrum::Joint(m) => serde_json::json!(m),
        });
        if args.plot.plot.is_some() {
            report.spectrum = Some(picture(spectrum));
        }
    }
    Ok(report)
}

/// The model's spectrum as drawn: bars, or a heatmap of the joint
/// spectrum with its monomorphic corners masked.
fn picture(spectrum: Spectrum) -> Sfs {
    let unit = "expected branch length (time)".to_string();
    match spectrum {
        Spectrum::Classes(values) => Sfs::Bars {
            values,
            first: 1,
            unit,
        },
        Spectrum::Joint(m) => {
            let last = (
                m.len().saturating_sub(1),
                m.last().map_or(0, |r| r.len().saturating_sub(1)),
            );
            let rows = m
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    row.iter()
                        .enumerate()
                        .map(|(j, &v)| ((i, j) != (0, 0) && (i, j) != last).then_some(v))
                        .collect()
                })
                .collect();
            Sfs::Joint {
                rows,
                names: ["population 1".into(), "population 2".into()],
                unit,
            }
        }
    }
}

/// `NAME key=value …`: the title of a drawn state space.
fn title(name: &str, set: &[(String, String)]) -> String {
    std::iter::once(name.to_string())
        .chain(set.iter().map(|(k, v)| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A picture's points with the pdf (pmf) and cdf there.
type Points = (Vec<f64>, (Vec<f64>, Vec<f64>));

/// The distribution of the rewarded variable (the reward-transformed
/// graph, or `g` itself for the time), continuous or discrete.
enum Dist<'a> {
    Continuous(PhaseType<'a, dyn GraphView + 'a>),
    Discrete(DiscretePhaseType<'a, dyn GraphView + 'a>),
}

impl Dist<'_> {
    /// pdf (pmf) and cdf at `at`.
    fn at(&self, at: &[f64]) -> Result<(Vec<f64>, Vec<f64>), ModelCliError> {
        match self {
            Dist::Continuous(ph) => Ok(ph.pdf_cdf(at, Method::default())?),
            Dist::Discrete(d) => {
                let ks: Vec<u64> = at
                    .iter()
                    .map(|&x| {
                        if x.fract() == 0.0 {
                            Ok(x as u64)
                        } else {
                            Err(ModelCliError::Unsupported(format!(
                                "--at {x}: a discrete model is evaluated at integers"
                            )))
                        }
                    })
                    .collect::<Result<_, _>>()?;
                Ok(d.pmf_cdf(&ks)?)
            }
        }
    }

    /// The points of a picture ([`plot::curve_points`]; without `--at`
    /// up to the 0.999 quantile) and the pdf (pmf) and cdf there.
    fn curve(&self, at: &[f64], points: usize) -> Result<Points, ModelCliError> {
        let discrete = matches!(self, Dist::Discrete(_));
        let xs = plot::curve_points(at, points, discrete, || {
            match self {
                Dist::Continuous(ph) => ph.quantile(plot::UPPER_QUANTILE),
                Dist::Discrete(d) => d.quantile(plot::UPPER_QUANTILE).map(|k| k as f64),
            }
            .map_err(plot::quantile_failed)
        })?;
        let values = self.at(&xs)?;
        Ok((xs, values))
    }
}

/// Runs `f` on the distribution of the rewarded variable.
fn on_distribution<T>(
    w: &Weighted<'_>,
    discrete: bool,
    reward: Option<&[f64]>,
    f: impl FnOnce(&Dist<'_>) -> Result<T, ModelCliError>,
) -> Result<T, ModelCliError> {
    let g = w.graph;
    let transformed = match (reward, discrete) {
        (None, _) => None,
        (Some(r), true) => {
            let ints: Vec<u32> = r.iter().map(|&x| x as u32).collect();
            Some(reward_transform_discrete(g, &ints)?.graph)
        }
        (Some(r), false) => Some(reward_transform(g, r)?.graph),
    };
    let h: &dyn GraphView = match &transformed {
        Some(t) => t,
        None => g,
    };
    if discrete {
        f(&Dist::Discrete(DiscretePhaseType::new(h)?))
    } else {
        // the time itself: the model's own program (from the cache, a trace
        // or eliminated once)
        match transformed {
            Some(_) => f(&Dist::Continuous(PhaseType::new(h)?)),
            None => f(&Dist::Continuous(w.phase_type()?)),
        }
    }
}

fn list(json: bool) -> String {
    if json {
        let models: Vec<serde_json::Value> = CATALOGUE
            .iter()
            .map(|s| {
                serde_json::json!({
                    "name": s.name,
                    "about": s.about,
                    "set": s.keys.iter().map(|(k, d)| serde_json::json!({"key": k, "default": d})).collect::<Vec<_>>(),
                    "rewards": s.rewards,
                    "theta": s.theta.as_ref().map(|t| t.about),
                })
            })
            .collect();
        return serde_json::json!({ "models": models }).to_string();
    }
    let mut out = String::new();
    for s in CATALOGUE {
        let keys: Vec<String> = s.keys.iter().map(|(k, d)| format!("{k}={d}")).collect();
        out.push_str(&format!("{:<22} {}\n", s.name, s.about));
        out.push_str(&format!("{:<22}   --set {}\n", "", keys.join(" ")));
        out.push_str(&format!(
            "{:<22}   --reward {}\n",
            "",
            s.rewards.join(" | ")
        ));
        if let Some(t) = &s.theta {
            out.push_str(&format!("{:<22}   --theta {}\n", "", t.about));
        }
    }
    out.trim_end().to_string()
}

fn human(out: &Output) -> String {
    let mut lines = vec![
        format!("model      {}", out.model),
        format!("vertices   {}", out.vertices),
        format!("edges      {}", out.edges),
        format!("built in   {:.6} s", out.build_seconds),
    ];
    if let Some(t) = &out.theta {
        lines.push(format!("theta      {}", serde_json::json!(t)));
    }
    lines.push(format!(
        "cache      {} ({:.6} s)",
        out.cache, out.load_seconds
    ));
    if let Some(p) = &out.program {
        lines.push(format!("program    {} ({:.6} s)", p.cache, p.seconds));
    }
    lines.push(format!("moments    {}", out.moments));
    for (name, v) in [
        ("variance", &out.variance),
        ("sfs", &out.sfs),
        ("pdf", &out.pdf),
        ("cdf", &out.cdf),
    ] {
        if let Some(v) = v {
            lines.push(format!("{name:<10} {v}"));
        }
    }
    lines.join("\n")
}
