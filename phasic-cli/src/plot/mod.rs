//! `--plot FILE.svg`: pictures of what a command computed, drawn with
//! plotters' SVG backend. Text is written as SVG `<text>` and laid out by
//! plotters' estimate of its width (its `ttf` feature, which would look up
//! system fonts through font-kit, is off), so no font is needed to draw;
//! the viewer picks a sans-serif font.
//!
//! A figure is a column of panels: the density (or pmf) and the
//! distribution function, then the site-frequency spectrum (bars, or a
//! heatmap with a colour bar for a joint spectrum of two sample groups);
//! a fit draws its posterior ([`posterior`]).

pub mod density;
pub mod posterior;
pub mod residuals;
pub mod spectrum;

use std::path::{Path, PathBuf};

use clap::Args;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

pub use density::Curve;
pub use spectrum::Sfs;

/// `--plot FILE` and `--plot-points N`, shared by the commands that draw.
#[derive(Debug, Clone, Args)]
pub struct PlotArgs {
    /// Draw the results as an SVG picture into FILE
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// With --plot: points on each density and distribution function curve
    #[arg(long, value_name = "N", default_value_t = DEFAULT_POINTS, requires = "plot", value_parser = points)]
    pub plot_points: usize,
}

/// Points of a curve unless `--plot-points` says otherwise.
pub const DEFAULT_POINTS: usize = 200;
/// Most points of a curve.
pub const MAX_POINTS: usize = 100_000;
/// Width of a figure, and height of each of its panels, in pixels.
const WIDTH: u32 = 720;
const PANEL_HEIGHT: u32 = 300;
/// Side of one panel of a grid of panels (a posterior), in pixels.
const CELL: u32 = 300;

/// `--plot-points N`: from 2 to [`MAX_POINTS`].
fn points(s: &str) -> Result<usize, String> {
    crate::command::bounded(s, 2, MAX_POINTS as u64).map(|n| n as usize)
}

/// Why a picture was not drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The SVG could not be written.
    #[error("cannot write the plot {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// plotters refused to draw (a message of its own).
    #[error("cannot draw the plot: {0}")]
    Draw(String),
    /// A request that cannot be drawn, in the user's terms.
    #[error("--plot: {0}")]
    Unsupported(String),
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for PlotError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        PlotError::Draw(e.to_string())
    }
}

/// What a command draws: a curve and a spectrum, either may be absent.
pub struct Figure<'a> {
    /// The density and distribution function, with the unit of the x axis.
    pub curve: Option<&'a Curve>,
    /// The expected SFS, with the unit of its branch lengths.
    pub sfs: Option<&'a Sfs>,
}

impl Figure<'_> {
    /// Draws the figure as SVG text; an empty figure is an error.
    pub fn svg(&self) -> Result<String, PlotError> {
        let panels = self.curve.as_ref().map_or(0, |_| 2) + usize::from(self.sfs.is_some());
        if panels == 0 {
            return Err(PlotError::Unsupported(
                "nothing to draw: ask for the distribution (--at or the default range) or the SFS (--sfs)".into(),
            ));
        }
        let height = PANEL_HEIGHT * u32::try_from(panels).unwrap_or(u32::MAX);
        draw((WIDTH, height), (panels, 1), |areas| {
            let mut next = areas.iter();
            if let Some(c) = self.curve {
                // two panels, both present by the count above
                if let (Some(top), Some(bottom)) = (next.next(), next.next()) {
                    c.draw(top, bottom)?;
                }
            }
            if let (Some(s), Some(area)) = (self.sfs, next.next()) {
                s.draw(area)?;
            }
            Ok(())
        })
    }
}

/// An SVG of `size` pixels split into a grid of `(rows, columns)`
/// panels (row by row), drawn by `paint`.
pub fn draw(
    size: (u32, u32),
    grid: (usize, usize),
    paint: impl FnOnce(&[DrawingArea<SVGBackend, Shift>]) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)?;
        let areas = root.split_evenly(grid);
        paint(&areas)?;
        root.present()?;
    }
    Ok(svg)
}

/// A chart of one panel: `title` above, axes over `x` and `y`, room for
/// tick labels and the axis descriptions the caller draws.
pub type Chart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The chart of a full-width panel.
fn chart<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<Chart<'a, 'b>, PlotError> {
    Ok(ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)?)
}

/// Writes `svg` to `path`.
pub fn write(path: &Path, svg: &str) -> Result<(), PlotError> {
    std::fs::write(path, svg).map_err(|source| PlotError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// `n` evenly spaced points from `lo` to `hi` (both included).
fn grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let step = (hi - lo) / (n.max(2) - 1) as f64;
    (0..n).map(|i| lo + step * i as f64).collect()
}

/// The x range of a curve: from the smallest to the largest `--at` point
/// when they span an interval, else from 0 to `upper` (a high quantile,
/// or `E + 5·sd`, chosen by the command).
fn range(
    at: &[f64],
    upper: impl FnOnce() -> Result<f64, PlotError>,
) -> Result<(f64, f64), PlotError> {
    let lo = at.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = at.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lo < hi {
        return Ok((lo, hi));
    }
    let hi = upper()?;
    if hi.is_finite() && hi > 0.0 {
        Ok((0.0, hi))
    } else {
        Err(PlotError::Unsupported(format!(
            "no time range to draw over (upper end {hi}): give one with --at t1,t2"
        )))
    }
}

/// The points of a curve: `n` evenly spaced over [`range`] — for a
/// discrete distribution the integers among them, each once.
pub fn curve_points(
    at: &[f64],
    n: usize,
    discrete: bool,
    upper: impl FnOnce() -> Result<f64, PlotError>,
) -> Result<Vec<f64>, PlotError> {
    let (lo, hi) = range(at, upper)?;
    let mut xs = grid(lo, hi, n);
    if discrete {
        for x in &mut xs {
            *x = x.round();
        }
        xs.dedup();
    }
    Ok(xs)
}

/// The upper end of a curve's range without `--at`: this quantile
/// (`phasic model`, `phasic eval`).
pub const UPPER_QUANTILE: f64 = 0.999;

/// The upper end of the range from a failed quantile, in the user's terms.
pub fn quantile_failed(e: impl std::fmt::Display) -> PlotError {
    PlotError::Unsupported(format!(
        "the {UPPER_QUANTILE} quantile, the upper end of the time range, failed: {e}; give a range with --at t1,t2"
    ))
}

/// The span of `values` with a margin for drawing (a flat or empty span
/// is widened).
fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if lo > hi {
        // nothing finite
        (0.0, 1.0)
    } else if lo == hi {
        (lo - 0.5 * lo.abs().max(1.0), hi + 0.5 * hi.abs().max(1.0))
    } else {
        (lo, hi + 0.05 * (hi - lo))
    }
}

/// The colours of the picture (plotters' palette, as hex in the SVG).
pub mod colour {
    use plotters::style::RGBColor;
    /// Densities and bars.
    pub const FIRST: RGBColor = RGBColor(31, 119, 180);
    /// Distribution functions and fitted curves.
    pub const SECOND: RGBColor = RGBColor(214, 39, 40);
}
