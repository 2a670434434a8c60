//! `phasic demes`: a Demes model's expected SFS and the distribution of
//! its time to the most recent common ancestor.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use phasic::cache::{CacheMode, CacheOptions};
use phasic::demes::{DemesError, Model, Options, Query, Samples, Spectrum};
use serde::Serialize;
use serde_json::{Value, json};

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
    /// Cache root (default: PHASIC_CACHE_DIR, else the platform cache directory)
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Cache mode: off, read-only, read-write, refresh or required
    #[arg(long, value_name = "MODE", default_value = "read-write")]
    pub cache: CacheMode,
}

fn samples(s: &str) -> Result<Samples, String> {
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

/// Runs `phasic demes`; returns the text to print.
pub fn run(args: &DemesArgs) -> Result<String, DemesCliError> {
    let yaml = std::fs::read_to_string(&args.file).map_err(|error| DemesCliError::Read {
        path: args.file.clone(),
        error,
    })?;
    let limit = StateLimit::new(args.max_states);
    let growth = Arc::new(Growth::new());
    let options = Options {
        cache: CacheOptions {
            mode: args.cache,
            root: args.cache_dir.clone(),
        },
        build: limit.options(&growth),
    };
    let model = Model::from_yaml_with(&yaml, &args.samples, &options);
    growth.finish();
    let model = model.map_err(|e| match &e {
        DemesError::Core(core) => limit
            .explain(core)
            .map_or(DemesCliError::Demes(e), DemesCliError::Limit),
        _ => e.into(),
    })?;
    let e = model.evaluate(&Query {
        sfs: args.sfs,
        moments: args.moments as usize,
        times: args.at.clone(),
    })?;
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

/// The spectrum as nested arrays indexed `[i_1]…[i_P]` (`null` where masked),
/// from axis `axis` at row-major offset `offset`.
fn nested(s: &Spectrum, axis: usize, offset: usize) -> Value {
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
