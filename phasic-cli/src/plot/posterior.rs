//! A fit's picture. SVGD: a corner plot of the particles — the histogram
//! of every parameter on the diagonal, every pair as a scatter plot below
//! it. MLE: a histogram of the data (scaled to a density) with the fitted
//! model's density over it.

use plotters::prelude::*;

use super::{CELL, PlotError, chart, colour, draw, span};

/// Most bins of a histogram: `⌈√n⌉` bins for `n` values, at most this.
pub const MAX_BINS: usize = 50;

/// Bin counts of `values` over `[lo, hi]`: `(left edges, counts, width)`.
fn histogram(values: &[f64], lo: f64, hi: f64) -> (Vec<f64>, Vec<usize>, f64) {
    let bins = ((values.len() as f64).sqrt().ceil() as usize).clamp(1, MAX_BINS);
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0; bins];
    for &v in values {
        let k = ((v - lo) / width).floor();
        if k.is_finite() {
            counts[(k.max(0.0) as usize).min(bins - 1)] += 1;
        }
    }
    let edges = (0..bins).map(|k| lo + width * k as f64).collect();
    (edges, counts, width)
}

/// The posterior of `particles` (one `Vec` of parameters each) as a
/// corner plot; `names[j]` labels parameter `j`.
pub fn corner(particles: &[Vec<f64>], names: &[String]) -> Result<String, PlotError> {
    let d = names.len();
    let side = CELL * u32::try_from(d).unwrap_or(u32::MAX);
    let column = |j: usize| -> Vec<f64> { particles.iter().map(|p| p[j]).collect() };
    let spans: Vec<(f64, f64)> = (0..d).map(|j| span(column(j).into_iter())).collect();
    draw((side, side), (d, d), |areas| {
        for (k, area) in areas.iter().enumerate() {
            let (i, j) = (k / d, k % d);
            if i == j {
                let values = column(j);
                let (lo, hi) = spans[j];
                let (edges, counts, width) = histogram(&values, lo, hi);
                let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.05;
                let mut chart = ChartBuilder::on(area)
                    .caption(format!("posterior of {}", names[j]), ("sans-serif", 16))
                    .margin(8)
                    .x_label_area_size(35)
                    .y_label_area_size(45)
                    .build_cartesian_2d(lo..hi, 0.0..top)?;
                chart
                    .configure_mesh()
                    .light_line_style(TRANSPARENT)
                    .x_desc(names[j].as_str())
                    .y_desc("particles")
                    .draw()?;
                chart.draw_series(edges.iter().zip(&counts).map(|(&x, &c)| {
                    Rectangle::new([(x, 0.0), (x + width, c as f64)], colour::FIRST.filled())
                }))?;
            } else if i > j {
                let mut chart = ChartBuilder::on(area)
                    .margin(8)
                    .x_label_area_size(35)
                    .y_label_area_size(45)
                    .build_cartesian_2d(spans[j].0..spans[j].1, spans[i].0..spans[i].1)?;
                chart
                    .configure_mesh()
                    .light_line_style(TRANSPARENT)
                    .x_desc(names[j].as_str())
                    .y_desc(names[i].as_str())
                    .draw()?;
                chart.draw_series(
                    particles
                        .iter()
                        .map(|p| Circle::new((p[j], p[i]), 2, colour::FIRST.filled())),
                )?;
            }
        }
        Ok(())
    })
}

/// The data's histogram as a density, with `fitted` (the model's density
/// at the estimate, at `xs`) over it; `x_label` names the unit.
pub fn data_and_fit(
    data: &[f64],
    xs: &[f64],
    fitted: &[f64],
    x_label: &str,
) -> Result<String, PlotError> {
    let (lo, hi) = span(data.iter().copied().chain(xs.iter().copied()));
    let lo = lo.min(0.0);
    let (edges, counts, width) = histogram(data, lo, hi);
    let scale = 1.0 / (data.len() as f64 * width);
    let heights: Vec<f64> = counts.iter().map(|&c| c as f64 * scale).collect();
    let (_, top) = span(heights.iter().chain(fitted).copied().chain([0.0]));
    draw((super::WIDTH, super::PANEL_HEIGHT), (1, 1), |areas| {
        let title = "data (histogram) and the fitted density at the MLE";
        let mut chart = chart(&areas[0], title, lo..hi, 0.0..top)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_desc(x_label)
            .y_desc("density")
            .draw()?;
        chart.draw_series(edges.iter().zip(&heights).map(|(&x, &h)| {
            Rectangle::new([(x, 0.0), (x + width, h)], colour::FIRST.mix(0.5).filled())
        }))?;
        chart.draw_series(LineSeries::new(
            xs.iter().copied().zip(fitted.iter().copied()),
            colour::SECOND.stroke_width(2),
        ))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_take_root_n_bins_and_count_every_value() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let (edges, counts, width) = histogram(&values, 0.0, 100.0);
        assert_eq!((edges.len(), width), (10, 10.0));
        assert_eq!(counts, vec![10; 10]);
        // the upper end falls in the last bin, values below in the first
        let (_, counts, _) = histogram(&[-1.0, 0.0, 5.0, 10.0], 0.0, 10.0);
        assert_eq!(counts, vec![2, 2]);
        let many = vec![1.0; 10_000];
        assert_eq!(histogram(&many, 0.0, 2.0).1.len(), MAX_BINS);
    }
}
