//! `phasic demes`: a Demes model's expected SFS and the distribution of
//! its time to the most recent common ancestor.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use phasic::demes::{DemesError, Model, Options, Query, Samples, Spectrum};
use serde::Serialize;
use serde_json::{Value, json};

use crate::dot::{DotArgs, DotError, numbered};
use crate::plot::{self, Curve, Figure, PlotArgs, PlotError, Sfs};
use crate::progress::Growth;
use crate::state_limit::StateLimit;

/// Arguments of `phasic demes`.
#[derive(Debug, Args)]
pub struct DemesArgs {
    /// The Demes model (YAML; time in generations or years)
    pub file: PathBuf,
    /// Sample groups: haploid genomes per deme, NAME=n[@generation],...
    /// (one SFS axis per group, in this order)
    #[arg(long, value_name = "A=n,...", value_parser = samples)]
    pub samples: Samples,
    /// Print the expected site-frequency spectrum (in generations of branch length)
    #[arg(long)]
    pub sfs: bool,
    /// With --sfs: fold it (as moments and dadi do)
    #[arg(long, requires = "sfs")]
    pub folded: bool,
    /// Number K of raw moments of T_MRCA to print (0 for none)
    #[arg(long, value_name = "K", default_value_t = 2, value_parser = moments)]
    pub moments: u64,
    /// Generations at which to evaluate the pdf and cdf of T_MRCA
    #[arg(long, value_name = "t1,t2,...", value_delimiter = ',', value_parser = generation)]
    pub at: Vec<f64>,
    /// Stop building with an error past this many states per interval
    /// (default: half the available memory at 1 KiB a state)
    #[arg(long, value_name = "N", value_parser = crate::command::positive)]
    pub max_states: Option<usize>,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub plot: PlotArgs,
    /// With --dot FILE: one file per interval, FILE-K (K = 0, 1, … as the
    /// intervals are printed), rates at the interval's start
    #[command(flatten)]
    pub dot: DotArgs,
    #[command(flatten)]
    pub cache: crate::command::CacheFlags,
}

/// `--samples`: `NAME=n[@generation],...`.
pub(crate) fn samples(s: &str) -> Result<Samples, String> {
    s.parse().map_err(|e: DemesError| e.to_string())
}

fn moments(s: &str) -> Result<u64, String> {
    crate::command::bounded(s, 0, crate::command::MAX_MOMENTS)
}

fn generation(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!(
            "`{s}` is not a finite, non-negative number of generations"
        )),
    }
}

/// Failures of `phasic demes`.
#[derive(Debug, thiserror::Error)]
pub enum DemesCliError {
    /// The file cannot be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A problem of the model, its samples or the maths.
    #[error(transparent)]
    Demes(#[from] DemesError),
    /// A state space past `--max-states`, in its terms.
    #[error("{0}")]
    Limit(String),
    /// The picture (`--plot`) could not be drawn or written.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A state space (`--dot`) could not be written.
    #[error(transparent)]
    Dot(#[from] DotError),
}

/// One interval, as printed.
#[derive(Debug, Serialize)]
struct IntervalOut {
    start: f64,
    /// `null` for the last, infinite interval.
    end: Option<f64>,
    demes: Vec<String>,
    vertices: usize,
    varies: bool,
}

/// One sample group, as printed.
#[derive(Debug, Serialize)]
struct SampleOut {
    deme: String,
    count: u32,
    time: f64,
}

/// The output of `phasic demes`.
#[derive(Debug, Serialize)]
struct Output {
    demes: Vec<String>,
    samples: Vec<SampleOut>,
    intervals: Vec<IntervalOut>,
    vertices: usize,
    build_seconds: f64,
    cache: Vec<&'static str>,
    moments: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sfs: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    folded: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pdf: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cdf: Option<Vec<f64>>,
}

/// Why [`build_model`] failed.
pub(crate) enum BuildFailed {
    /// A problem of the model, its samples or the maths.
    Demes(DemesError),
    /// A state space past `--max-states`, in its terms.
    Limit(String),
}

/// Builds a Demes model's state spaces with the cache flags, within
/// `--max-states` (a spinner on a terminal while they grow).
pub(crate) fn build_model(
    yaml: &str,
    samples: &Samples,
    max_states: Option<usize>,
    cache: &crate::command::CacheFlags,
) -> Result<Model, BuildFailed> {
    let limit = StateLimit::new(max_states);
    let growth = Arc::new(Growth::new());
    let options = Options {
        cache: cache.options(),
        build: limit.options(&growth),
    };
    let model = Model::from_yaml_with(yaml, samples, &options);
    growth.finish();
    model.map_err(|e| {
        let explained = match &e {
            DemesError::Core(core) => limit.explain(core),
            _ => None,
        };
        explained.map_or(BuildFailed::Demes(e), BuildFailed::Limit)
    })
}

/// Runs `phasic demes`; returns the text to print.
pub fn run(args: &DemesArgs) -> Result<String, DemesCliError> {
    let yaml = std::fs::read_to_string(&args.file).map_err(|error| DemesCliError::Read {
        path: args.file.clone(),
        error,
    })?;
    let model =
        build_model(&yaml, &args.samples, args.max_states, &args.cache).map_err(|e| match e {
            BuildFailed::Demes(e) => DemesCliError::Demes(e),
            BuildFailed::Limit(text) => DemesCliError::Limit(text),
        })?;
    if let Some(path) = &args.dot.dot {
        for (k, info) in model.intervals().iter().enumerate() {
            if let Some(g) = model.interval_graph(k) {
                let end = if info.end.is_finite() {
                    info.end.to_string()
                } else {
                    "∞".into()
                };
                let title = format!(
                    "{} interval {k}: [{}, {end}) generations, demes {}",
                    args.file.display(),
                    info.start,
                    info.demes.join(", ")
                );
                let what = format!("the state space of interval {k}");
                args.dot.write(&g, &what, &title, &numbered(path, k))?;
            }
        }
    }
    let e = model.evaluate(&Query {
        sfs: args.sfs,
        moments: args.moments as usize,
        times: args.at.clone(),
    })?;
    if let Some(path) = &args.plot.plot {
        let curve = curve(&model, &args.at, args.plot.plot_points)?;
        let sfs = e
            .sfs
            .as_ref()
            .map(|s| {
                picture(
                    if args.folded { s.fold() } else { s.clone() },
                    &model.sampled_demes(),
                )
            })
            .transpose()?;
        let figure = Figure {
            curve: Some(&curve),
            sfs: sfs.as_ref(),
        };
        plot::write(path, &figure.svg()?)?;
    }
    let at = !args.at.is_empty();
    let out = Output {
        demes: model.sampled_demes(),
        samples: args
            .samples
            .groups()
            .iter()
            .map(|g| SampleOut {
                deme: g.deme.clone(),
                count: g.count,
                time: g.time,
            })
            .collect(),
        intervals: model
            .intervals()
            .into_iter()
            .map(|i| IntervalOut {
                start: i.start,
                end: i.end.is_finite().then_some(i.end),
                demes: i.demes,
                vertices: i.vertices,
                varies: i.varies,
            })
            .collect(),
        vertices: model.vertices(),
        build_seconds: model.build_seconds(),
        cache: model.cache_status().iter().map(|c| c.as_str()).collect(),
        moments: e.moments,
        sfs: e.sfs.map(|s| {
            let s = if args.folded { s.fold() } else { s };
            nested(&s, 0, 0)
        }),
        folded: args.sfs.then_some(args.folded),
        pdf: at.then_some(e.pdf),
        cdf: at.then_some(e.cdf),
    };
    Ok(if args.json {
        serde_json::to_string(&out).unwrap_or_default()
    } else {
        human(&out)
    })
}

/// The density and distribution function of `T_MRCA` over the `--at`
/// range, else from 0 to `E[T] + 5·sd` (the history is not one
/// homogeneous chain, so no quantile is at hand).
fn curve(model: &Model, at: &[f64], points: usize) -> Result<Curve, DemesCliError> {
    let upper = || {
        let m = model.tmrca_moments(2).map_err(|e| {
            PlotError::Unsupported(format!("the moments of T_MRCA, for the time range: {e}"))
        })?;
        Ok(m[0] + SD_ABOVE * (m[1] - m[0] * m[0]).max(0.0).sqrt())
    };
    let xs = plot::curve_points(at, points, false, upper)?;
    let (pdf, cdf) = model.tmrca_pdf_cdf(&xs)?;
    Ok(Curve {
        xs,
        pdf,
        cdf,
        x_label: "generations".into(),
        discrete: false,
    })
}

/// Standard deviations above the mean where a picture of `T_MRCA` ends.
const SD_ABOVE: f64 = 5.0;

/// The spectrum as drawn: bars for one sample group, a heatmap for two.
fn picture(s: Spectrum, names: &[String]) -> Result<Sfs, PlotError> {
    let unit = "expected branch length (generations)".to_string();
    let shape = s.shape().to_vec();
    let at = |k: usize| (!s.masked()[k]).then(|| s.values()[k]);
    // the monomorphic classes (none or all derived) are not drawn
    match shape[..] {
        [n] => Ok(Sfs::Bars {
            values: (1..n - 1).map_while(at).collect(),
            first: 1,
            unit,
        }),
        [rows, cols] => Ok(Sfs::Joint {
            rows: (0..rows)
                .map(|i| {
                    (0..cols)
                        .map(|j| {
                            let corner = (i, j) == (0, 0) || (i, j) == (rows - 1, cols - 1);
                            at(i * cols + j).filter(|_| !corner)
                        })
                        .collect()
                })
                .collect(),
            names: [names[0].clone(), names[1].clone()],
            unit,
        }),
        _ => Err(PlotError::Unsupported(format!(
            "a spectrum of {} sample groups is not drawn (one: bars, two: a heatmap); leave out --sfs to draw T_MRCA",
            shape.len()
        ))),
    }
}

/// The spectrum as nested arrays indexed `[i_1]…[i_P]` (`null` where masked),
/// from axis `axis` at row-major offset `offset`.
pub(crate) fn nested(s: &Spectrum, axis: usize, offset: usize) -> Value {
    let shape = s.shape();
    if axis == shape.len() {
        return if s.masked()[offset] {
            Value::Null
        } else {
            json!(s.values()[offset])
        };
    }
    Value::Array(
        (0..shape[axis])
            .map(|i| nested(s, axis + 1, offset * shape[axis] + i))
            .collect(),
    )
}

fn human(out: &Output) -> String {
    let mut lines = vec![
        format!("demes      {}", out.demes.join(", ")),
        format!(
            "samples    {}",
            out.samples
                .iter()
                .map(|s| if s.time == 0.0 {
                    format!("{}={}", s.deme, s.count)
                } else {
                    format!("{}={}@{}", s.deme, s.count, s.time)
                })
                .collect::<Vec<_>>()
                .join(",")
        ),
        format!("intervals  {}", out.intervals.len()),
    ];
    for i in &out.intervals {
        let end = i.end.map_or("∞".to_string(), |e| e.to_string());
        lines.push(format!(
            "  [{}, {end}) demes {}: {} vertices{}",
            i.start,
            i.demes.join(", "),
            i.vertices,
            if i.varies { ", sizes change" } else { "" }
        ));
    }
    lines.push(format!("vertices   {} (over the intervals)", out.vertices));
    lines.push(format!(
        "built in   {:.6} s (cache: {})",
        out.build_seconds,
        out.cache.join(", ")
    ));
    if !out.moments.is_empty() {
        lines.push(format!("E[T^k]     {}", json!(out.moments)));
    }
    if let Some(sfs) = &out.sfs {
        let title = if out.folded == Some(true) {
            "folded sfs"
        } else {
            "sfs"
        };
        match sfs {
            Value::Array(rows)
                if rows.iter().all(Value::is_array)
                    && rows.iter().all(|r| {
                        r.as_array()
                            .is_some_and(|c| c.iter().all(|x| !x.is_array()))
                    }) =>
            {
                lines.push(format!(
                    "{title} (rows: {}, columns: {})",
                    out.demes[0], out.demes[1]
                ));
                lines.extend(rows.iter().map(|r| format!("  {r}")));
            }
            other => lines.push(format!("{title:<10} {other}")),
        }
    }
    for (name, v) in [("pdf", &out.pdf), ("cdf", &out.cdf)] {
        if let Some(v) = v {
            lines.push(format!("{name:<10} {}", json!(v)));
        }
    }
    lines.join("\n")
}
