//! `phasic eval`: a phase-type distribution given as matrices, evaluated.
//!
//! The input file is one JSON object, either continuous
//! `{"alpha": [...], "S": [[...]]}` (sub-intensity matrix) or discrete
//! `{"alpha": [...], "T": [[...]]}` (sub-transition matrix, diagonal = the
//! self-loop probability), with an optional `"rewards": [...]`, one
//! non-negative reward per row (integers for a discrete distribution).
//!
//! The output is `{"states": N, "moments": [E[Y], …, E[Y^K]], "variance": v,
//! "pdf": [...], "cdf": [...]}` where `Y` is the absorption time, or the
//! accumulated reward when rewards are given; `N` is the number of rows.
//! For a discrete distribution `pdf` holds the probability mass function.

use std::path::{Path, PathBuf};

use clap::Args;
use phasic::core::{
    DiscretePhaseType, Graph, GraphView, Method, PhaseType, distribution::reward_transform,
    distribution::reward_transform_discrete,
};
use phasic::prelude::PhaseTypeDistribution;
use serde::{Deserialize, Serialize};

use crate::plot::{self, Curve, Figure, PlotArgs, PlotError};

/// Arguments of `phasic eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// JSON file: {"alpha": [...], "S": [[...]]} (continuous) or
    /// {"alpha": [...], "T": [[...]]} (discrete), with optional "rewards": [...]
    #[arg(long, value_name = "FILE")]
    pub matrix: PathBuf,
    /// Number K of raw moments E[Y], ..., E[Y^K] to print
    #[arg(long, value_name = "K", default_value_t = 2,
          value_parser = crate::command::moments)]
    pub moments: u64,
    /// Comma-separated points at which to evaluate the pdf and cdf
    /// (non-negative integers for a discrete distribution)
    #[arg(long, value_name = "t1,t2,...", value_delimiter = ',',
          allow_hyphen_values = true, value_parser = finite_f64)]
    pub at: Vec<f64>,
    #[command(flatten)]
    pub plot: PlotArgs,
}

/// Parses a finite `f64` (rejects `nan` and `inf`, which `str::parse` accepts).
fn finite_f64(s: &str) -> Result<f64, String> {
    let x: f64 = s.trim().parse().map_err(|e| format!("{e}"))?;
    if x.is_finite() {
        Ok(x)
    } else {
        Err("not a finite number".to_string())
    }
}

/// The input file, as written. Integers are accepted wherever reals are.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Initial probabilities of the rows; a sum below 1 is a defect (`Y = 0`).
    pub alpha: Vec<f64>,
    /// Sub-intensity matrix (continuous).
    #[serde(rename = "S", default)]
    pub s: Option<Vec<Vec<f64>>>,
    /// Sub-transition matrix (discrete).
    #[serde(rename = "T", default)]
    pub t: Option<Vec<Vec<f64>>>,
    /// One reward per row.
    #[serde(default)]
    pub rewards: Option<Vec<f64>>,
}

/// What `phasic eval` prints (field order is the output order).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Output {
    /// Number of rows of the matrix.
    pub states: usize,
    /// Raw moments `E[Y^j]`, `j = 1..=K`.
    pub moments: Vec<f64>,
    /// `Var Y`.
    pub variance: f64,
    /// Density (continuous) or probability mass (discrete) at the `--at` points.
    pub pdf: Vec<f64>,
    /// Distribution function at the `--at` points.
    pub cdf: Vec<f64>,
    /// With `--plot`: the distribution over the picture's range.
    #[serde(skip)]
    pub curve: Option<Curve>,
}

/// Why `phasic eval` failed. Every message is one line and names the
/// offending position or value.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid JSON or does not have the expected shape.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// serde_json's message, with line and column.
        source: serde_json::Error,
    },
    /// Both `S` and `T` are given.
    #[error(
        "the input has both \"S\" and \"T\": give \"S\" for a continuous or \"T\" for a discrete distribution, not both"
    )]
    BothMatrices,
    /// Neither `S` nor `T` is given.
    #[error(
        "the input has neither \"S\" (continuous sub-intensity matrix) nor \"T\" (discrete sub-transition matrix)"
    )]
    NoMatrix,
    /// A reward vector whose length is not the number of rows.
    #[error("rewards has {got} entries, but {matrix} has {rows} rows (one reward per row)")]
    RewardLength {
        /// `"S"` or `"T"`.
        matrix: &'static str,
        /// Number of rows.
        rows: usize,
        /// Length given.
        got: usize,
    },
    /// A reward that is negative, or not an integer for a discrete distribution.
    #[error("rewards[{index}] = {} is invalid: {reason}", Num(*.value))]
    Reward {
        /// Position in `rewards`.
        index: usize,
        /// The value.
        value: f64,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// An `--at` point that is invalid for this distribution.
    #[error("--at value {} (position {index}) is invalid: {reason}", Num(*.value))]
    Point {
        /// Position in the `--at` list (from 0).
        index: usize,
        /// The value.
        value: f64,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A row the chain can reach from which it is never absorbed.
    #[error(
        "row {row} of {matrix} can be reached from alpha but never leads to absorption: from it the chain only moves among rows {} of {matrix}, none of which has an exit rate or probability (a closed class)",
        RowList(rows)
    )]
    ClosedClass {
        /// The row the library named.
        row: usize,
        /// Every row reachable from it (the class and what leads into it).
        rows: Vec<usize>,
        /// `"S"` or `"T"`.
        matrix: &'static str,
    },
    /// A moment outside the range of `f64`; the ones before it are not.
    #[error("{source}; --moments {} prints the moments before it", .order - 1)]
    MomentRange {
        /// The library's error, naming the moment and its value.
        source: phasic::core::Error,
        /// Its order (at least 3).
        order: usize,
    },
    /// An `--at` point at which the pdf and cdf are not computed exactly.
    #[error("--at value {} (position {index}) is too far out: {source}", Num(*value))]
    PointTooFar {
        /// Position in the `--at` list (from 0).
        index: usize,
        /// The value.
        value: f64,
        /// The library's error.
        source: phasic::core::Error,
    },
    /// An error of `phasic-core` naming a vertex; `row` is its matrix row.
    #[error("{source} (vertex {vertex} is row {row} of {matrix})")]
    AtRow {
        /// The library's error.
        source: phasic::core::Error,
        /// The vertex it names.
        vertex: usize,
        /// The matrix row of that vertex.
        row: usize,
        /// `"S"` or `"T"`.
        matrix: &'static str,
    },
    /// Any other error of `phasic-core` (its message names the position).
    #[error(transparent)]
    Core(#[from] phasic::core::Error),
    /// The picture (`--plot`) could not be drawn or written.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A result that overflowed.
    #[error("{what} = {value} is not finite (numerical overflow); nothing is printed")]
    NonFinite {
        /// What was computed, e.g. `E[Y^3]` or `cdf(2.5)`.
        what: String,
        /// The value.
        value: f64,
    },
}

/// A number as in the input: `-1`, `0.25`, `1e300` (not 300 digits).
struct Num(f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.0.abs();
        if a != 0.0 && !(1e-6..1e16).contains(&a) {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// Row numbers, the first ten and a count of the rest: `1, 2, 5`.
struct RowList<'a>(&'a [usize]);

impl std::fmt::Display for RowList<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 10;
        let shown: Vec<String> = self.0.iter().take(SHOWN).map(usize::to_string).collect();
        write!(f, "{}", shown.join(", "))?;
        if self.0.len() > SHOWN {
            write!(f, " and {} more", self.0.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// `2^53`: above it not every integer is an `f64`.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

type Result<T, E = EvalError> = std::result::Result<T, E>;

/// Reads `args.matrix`, evaluates it, and returns the output object.
pub fn run(args: &EvalArgs) -> Result<Output> {
    let input = read_input(&args.matrix)?;
    let k = usize::try_from(args.moments).unwrap_or(usize::MAX);
    let points = args.plot.plot.as_ref().map(|_| args.plot.plot_points);
    let output = evaluate(&input, k, &args.at, points)?;
    if let (Some(path), Some(curve)) = (&args.plot.plot, &output.curve) {
        let figure = Figure {
            curve: Some(curve),
            sfs: None,
        };
        plot::write(path, &figure.svg()?)?;
    }
    Ok(output)
}

/// Reads and parses the input file.
pub fn read_input(path: &Path) -> Result<Input> {
    let bytes = std::fs::read(path).map_err(|source| EvalError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| EvalError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// The moments `1..=k`, the variance and the pdf/cdf at `at` of the
/// distribution `input` describes; with `plot = Some(n)`, its curve at
/// `n` points ([`plot::curve_points`]).
pub fn evaluate(input: &Input, k: usize, at: &[f64], plot: Option<usize>) -> Result<Output> {
    let output = match (&input.s, &input.t) {
        (Some(s), None) => continuous(&input.alpha, s, input.rewards.as_deref(), k, at, plot)?,
        (None, Some(t)) => discrete(&input.alpha, t, input.rewards.as_deref(), k, at, plot)?,
        (Some(_), Some(_)) => return Err(EvalError::BothMatrices),
        (None, None) => return Err(EvalError::NoMatrix),
    };
    check_finite(&output, at)?;
    Ok(output)
}

fn continuous(
    alpha: &[f64],
    s: &[Vec<f64>],
    rewards: Option<&[f64]>,
    k: usize,
    at: &[f64],
    plot: Option<usize>,
) -> Result<Output> {
    let graph = Graph::from_matrices(alpha, s)?;
    for (index, &value) in at.iter().enumerate() {
        if value < 0.0 {
            return Err(EvalError::Point {
                index,
                value,
                reason: "times must be non-negative",
            });
        }
    }
    let rewards = rewards
        .map(|r| vertex_rewards(&graph, r, "S", false))
        .transpose()?;
    let transformed = match &rewards {
        Some(r) => Some(reward_transform(&graph, r).map_err(|e| at_row(e, "S", s))?),
        None => None,
    };
    let ph = match &transformed {
        Some(t) => PhaseType::new(&t.graph)?,
        None => PhaseType::new(&graph).map_err(|e| at_row(e, "S", s))?,
    };
    let (pdf, cdf) = if at.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        ph.pdf_cdf(at, Method::default())
            .map_err(|e| at_point(e, at))?
    };
    let curve = match plot {
        None => None,
        Some(n) => {
            let xs = plot::curve_points(at, n, false, || {
                ph.quantile(plot::UPPER_QUANTILE)
                    .map_err(plot::quantile_failed)
            })?;
            let (pdf, cdf) = ph.pdf_cdf(&xs, Method::default())?;
            let x_label = if rewards.is_some() { "reward" } else { "time" };
            Some(Curve {
                xs,
                pdf,
                cdf,
                x_label: x_label.into(),
                discrete: false,
            })
        }
    };
    Ok(Output {
        states: s.len(),
        moments: ph.moments(k, None).map_err(moment_range)?,
        variance: ph.variance(None)?,
        pdf,
        cdf,
        curve,
    })
}

fn discrete(
    alpha: &[f64],
    t: &[Vec<f64>],
    rewards: Option<&[f64]>,
    k: usize,
    at: &[f64],
    plot: Option<usize>,
) -> Result<Output> {
    let graph = Graph::from_discrete_matrices(alpha, t)?;
    let ks = at
        .iter()
        .enumerate()
        .map(|(index, &value)| {
            if value < 0.0 {
                Err(EvalError::Point {
                    index,
                    value,
                    reason: "a discrete distribution is evaluated at non-negative integers",
                })
            } else if value.fract() != 0.0 {
                Err(EvalError::Point {
                    index,
                    value,
                    reason: "a discrete distribution is evaluated at integers",
                })
            } else if value > MAX_EXACT_INTEGER {
                Err(EvalError::Point {
                    index,
                    value,
                    reason: "integers above 2^53 are not represented exactly",
                })
            } else {
                Ok(value as u64)
            }
        })
        .collect::<Result<Vec<u64>>>()?;
    let rewards = rewards
        .map(|r| vertex_rewards(&graph, r, "T", true))
        .transpose()?;
    let transformed = match &rewards {
        Some(r) => {
            // vertex_rewards checked that these are integers in u32 range
            let ints: Vec<u32> = r.iter().map(|&x| x as u32).collect();
            Some(reward_transform_discrete(&graph, &ints).map_err(|e| at_row(e, "T", t))?)
        }
        None => None,
    };
    let d = match &transformed {
        Some(tr) => DiscretePhaseType::new(&tr.graph)?,
        None => DiscretePhaseType::new(&graph).map_err(|e| at_row(e, "T", t))?,
    };
    let (pdf, cdf) = if ks.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        d.pmf_cdf(&ks)?
    };
    let curve = match plot {
        None => None,
        Some(n) => {
            let xs = plot::curve_points(at, n, true, || {
                d.quantile(plot::UPPER_QUANTILE)
                    .map(|k| k as f64)
                    .map_err(plot::quantile_failed)
            })?;
            let ks: Vec<u64> = xs.iter().map(|&x| x.max(0.0) as u64).collect();
            let (pmf, cdf) = d.pmf_cdf(&ks)?;
            let x_label = if rewards.is_some() { "reward" } else { "steps" };
            Some(Curve {
                xs,
                pdf: pmf,
                cdf,
                x_label: x_label.into(),
                discrete: true,
            })
        }
    };
    Ok(Output {
        states: t.len(),
        moments: d.moments(k, None).map_err(moment_range)?,
        variance: d.variance(None)?,
        pdf,
        cdf,
        curve,
    })
}

/// Checks the per-row rewards and spreads them over the graph's vertices:
/// row `i` is vertex `i + 1`; the start and absorbing vertices get 0.
fn vertex_rewards(
    graph: &Graph,
    rewards: &[f64],
    matrix: &'static str,
    integer: bool,
) -> Result<Vec<f64>> {
    let rows = graph.vertex_count() - 2;
    if rewards.len() != rows {
        return Err(EvalError::RewardLength {
            matrix,
            rows,
            got: rewards.len(),
        });
    }
    for (index, &value) in rewards.iter().enumerate() {
        if value < 0.0 {
            return Err(EvalError::Reward {
                index,
                value,
                reason: "rewards must be non-negative",
            });
        }
        if integer && (value.fract() != 0.0 || value > f64::from(u32::MAX)) {
            return Err(EvalError::Reward {
                index,
                value,
                reason: "rewards of a discrete distribution must be integers (at most 4294967295)",
            });
        }
    }
    let mut r = vec![0.0; graph.vertex_count()];
    r[1..=rows].copy_from_slice(rewards);
    Ok(r)
}

/// Adds the matrix row to a library error that names a vertex of the
/// untransformed graph (vertex `v` is row `v − 1`); a closed class is
/// named by its rows alone.
fn at_row(e: phasic::core::Error, matrix_name: &'static str, matrix: &[Vec<f64>]) -> EvalError {
    use phasic::core::Error as E;
    let rows = matrix.len();
    let vertex = match &e {
        E::NoPathToAbsorption { vertex, .. }
        | E::ZeroRate { vertex, .. }
        | E::NotDiscrete { vertex, .. }
        | E::SelfLoop { vertex, .. } => Some(*vertex),
        E::InvalidWeight { from, .. } => Some(*from),
        _ => None,
    };
    match vertex {
        Some(vertex) if (1..=rows).contains(&vertex) => {
            if matches!(e, E::NoPathToAbsorption { .. }) {
                return EvalError::ClosedClass {
                    row: vertex - 1,
                    rows: reachable_rows(matrix, vertex - 1),
                    matrix: matrix_name,
                };
            }
            EvalError::AtRow {
                source: e,
                vertex,
                row: vertex - 1,
                matrix: matrix_name,
            }
        }
        _ => EvalError::Core(e),
    }
}

/// The rows reachable from `row` through positive off-diagonal entries
/// (`row` included), in increasing order.
fn reachable_rows(matrix: &[Vec<f64>], row: usize) -> Vec<usize> {
    let mut seen = vec![false; matrix.len()];
    seen[row] = true;
    let mut stack = vec![row];
    while let Some(i) = stack.pop() {
        for (j, &x) in matrix[i].iter().enumerate() {
            if j != i && x > 0.0 && !seen[j] {
                seen[j] = true;
                stack.push(j);
            }
        }
    }
    (0..matrix.len()).filter(|&i| seen[i]).collect()
}

/// A moment out of range names `--moments` where fewer moments would be
/// printed (from order 3 on: the variance needs the first two).
fn moment_range(e: phasic::core::Error) -> EvalError {
    match e {
        phasic::core::Error::MomentRange { order, .. } if order > 2 => {
            EvalError::MomentRange { source: e, order }
        }
        e => EvalError::Core(e),
    }
}

/// A time the uniformization cannot reach names its `--at` position.
fn at_point(e: phasic::core::Error, at: &[f64]) -> EvalError {
    match e {
        phasic::core::Error::TooManyJumps { time, .. } => {
            match at.iter().position(|&t| t == time) {
                Some(index) => EvalError::PointTooFar {
                    index,
                    value: time,
                    source: e,
                },
                None => EvalError::Core(e),
            }
        }
        e => EvalError::Core(e),
    }
}

/// NaN or infinity is never printed.
fn check_finite(out: &Output, at: &[f64]) -> Result<()> {
    let bad = |what: String, value: f64| {
        if value.is_finite() {
            Ok(())
        } else {
            Err(EvalError::NonFinite { what, value })
        }
    };
    for (j, &m) in out.moments.iter().enumerate() {
        bad(format!("E[Y^{}]", j + 1), m)?;
    }
    bad("the variance".to_string(), out.variance)?;
    for (i, (&p, &c)) in out.pdf.iter().zip(&out.cdf).enumerate() {
        bad(format!("pdf({})", Num(at[i])), p)?;
        bad(format!("cdf({})", Num(at[i])), c)?;
    }
    Ok(())
}
