//! The expected site-frequency spectrum: bars for one sample group, a
//! heatmap with a colour bar for two.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{PlotError, chart, colour, span};

/// An expected SFS, with the unit of its values.
#[derive(Debug)]
pub enum Sfs {
    /// `E[ξ_i]` for `i = first, first + 1, …`.
    Bars {
        /// The entries.
        values: Vec<f64>,
        /// The count of the first entry (1 for `E[ξ_1], …`).
        first: usize,
        /// The values' unit, e.g. "expected branch length (generations)".
        unit: String,
    },
    /// `E[ξ_ij]`, rows `i` for the first group, columns `j` for the second;
    /// `None` where masked (the monomorphic corners, folded-away entries).
    Joint {
        /// The rows.
        rows: Vec<Vec<Option<f64>>>,
        /// The names of the two groups (y axis, x axis).
        names: [String; 2],
        /// The values' unit.
        unit: String,
    },
}

/// A tick label of a count axis: the whole numbers only (ticks between
/// them are left blank).
fn whole(x: &f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        String::new()
    }
}

/// Cells of the colour bar.
const BAR_STEPS: usize = 64;

/// A colour from dark blue (0) through green to yellow (1), close to
/// viridis.
pub fn shade(t: f64) -> RGBColor {
    const STOPS: [(f64, (f64, f64, f64)); 5] = [
        (0.0, (68.0, 1.0, 84.0)),
        (0.25, (59.0, 82.0, 139.0)),
        (0.5, (33.0, 145.0, 140.0)),
        (0.75, (94.0, 201.0, 98.0)),
        (1.0, (253.0, 231.0, 37.0)),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let k = STOPS
        .windows(2)
        .position(|w| t <= w[1].0)
        .unwrap_or(STOPS.len() - 2);
    let ((t0, a), (t1, b)) = (STOPS[k], STOPS[k + 1]);
    let f = (t - t0) / (t1 - t0);
    let mix = |x: f64, y: f64| (x + f * (y - x)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

impl Sfs {
    /// Draws the spectrum into `area`.
    pub fn draw(&self, area: &DrawingArea<SVGBackend, Shift>) -> Result<(), PlotError> {
        match self {
            Sfs::Bars {
                values,
                first,
                unit,
            } => bars(area, values, *first, unit),
            Sfs::Joint { rows, names, unit } => heatmap(area, rows, names, unit),
        }
    }
}

fn bars(
    area: &DrawingArea<SVGBackend, Shift>,
    values: &[f64],
    first: usize,
    unit: &str,
) -> Result<(), PlotError> {
    let lo = first as f64 - 0.5;
    let hi = (first + values.len()) as f64 - 0.5;
    let (_, top) = span(values.iter().copied().chain([0.0]));
    let mut chart = chart(area, "expected site-frequency spectrum", lo..hi, 0.0..top)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .disable_x_mesh()
        .x_labels(values.len().min(20))
        .x_label_formatter(&whole)
        .x_desc("derived allele count i")
        .y_desc(unit)
        .draw()?;
    chart.draw_series(values.iter().enumerate().map(|(k, &v)| {
        let x = (first + k) as f64;
        Rectangle::new([(x - 0.4, 0.0), (x + 0.4, v)], colour::FIRST.filled())
    }))?;
    Ok(())
}

fn heatmap(
    area: &DrawingArea<SVGBackend, Shift>,
    rows: &[Vec<Option<f64>>],
    names: &[String; 2],
    unit: &str,
) -> Result<(), PlotError> {
    // the smallest value is the darkest colour, the largest the lightest
    let (lo, hi) = rows
        .iter()
        .flatten()
        .flatten()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let (lo, hi) = if lo < hi {
        (lo, hi)
    } else {
        span([lo, hi].into_iter())
    };
    let scale = |v: f64| (v - lo) / (hi - lo);
    let (map, bar) = area.split_horizontally(area.dim_in_pixel().0 * 4 / 5);
    let n_rows = rows.len();
    let n_cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut chart = ChartBuilder::on(&map)
        .caption("expected joint site-frequency spectrum", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(-0.5..n_cols as f64 - 0.5, -0.5..n_rows as f64 - 0.5)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .disable_mesh()
        .x_labels(n_cols.min(20))
        .y_labels(n_rows.min(20))
        .x_label_formatter(&whole)
        .y_label_formatter(&whole)
        .x_desc(format!("derived alleles in {}", names[1]))
        .y_desc(format!("derived alleles in {}", names[0]))
        .draw()?;
    chart.draw_series(rows.iter().enumerate().flat_map(|(i, row)| {
        row.iter().enumerate().filter_map(move |(j, v)| {
            let (x, y) = (j as f64, i as f64);
            v.map(|v| {
                Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    shade(scale(v)).filled(),
                )
            })
        })
    }))?;
    let mut legend = ChartBuilder::on(&bar)
        .margin(10)
        .margin_top(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, lo..hi)?;
    legend
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .disable_mesh()
        .disable_x_axis()
        .y_desc(unit)
        .draw()?;
    let step = (hi - lo) / BAR_STEPS as f64;
    legend.draw_series((0..BAR_STEPS).map(|k| {
        let y = lo + step * k as f64;
        Rectangle::new(
            [(0.0, y), (1.0, y + step)],
            shade((k as f64 + 0.5) / BAR_STEPS as f64).filled(),
        )
    }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_colour_scale_runs_from_dark_blue_to_yellow() {
        assert_eq!(shade(0.0), RGBColor(68, 1, 84));
        assert_eq!(shade(1.0), RGBColor(253, 231, 37));
        assert_eq!(shade(0.5), RGBColor(33, 145, 140));
        // halfway between the stops at 0.5 and 0.75
        assert_eq!(shade(0.625), RGBColor(64, 173, 119));
        assert_eq!(shade(f64::NAN), shade(0.0));
        assert_eq!(shade(7.0), shade(1.0));
    }
}
