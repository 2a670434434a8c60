//! A fit of a Demes model to an observed SFS: the observed counts and the
//! expected ones at the estimate, entry by entry, and their Poisson
//! residuals `(x − λ)/√λ` below.

use plotters::prelude::*;

use super::{PANEL_HEIGHT, PlotError, WIDTH, chart, colour, draw, span};

/// One compared entry: its label, the observed count and the expected one.
pub struct Entry {
    /// The entry's index, as `i` or `i,j`.
    pub label: String,
    /// The observed count.
    pub observed: f64,
    /// The expected count at the estimate.
    pub expected: f64,
}

/// The Poisson residual `(x − λ)/√λ` (0 where `λ` is 0).
pub fn residual(e: &Entry) -> f64 {
    if e.expected > 0.0 {
        (e.observed - e.expected) / e.expected.sqrt()
    } else {
        0.0
    }
}

/// Observed (points) against expected (line) counts over the compared
/// entries, and the Poisson residuals as bars.
pub fn observed_and_expected(entries: &[Entry]) -> Result<String, PlotError> {
    if entries.is_empty() {
        return Err(PlotError::Unsupported(
            "no entry of the SFS is compared".into(),
        ));
    }
    let n = entries.len() as f64;
    let xs = -0.5..n - 0.5;
    let (_, top) = span(
        entries
            .iter()
            .flat_map(|e| [e.observed, e.expected])
            .chain([0.0]),
    );
    let residuals: Vec<f64> = entries.iter().map(residual).collect();
    let (lo, hi) = span(residuals.iter().copied().chain([0.0]));
    let bound = lo.abs().max(hi.abs());
    let labels = |x: &f64| {
        let k = x.round();
        if (x - k).abs() < 1e-9 && k >= 0.0 && (k as usize) < entries.len() {
            entries[k as usize].label.clone()
        } else {
            String::new()
        }
    };
    let ticks = entries.len().min(30);
    draw((WIDTH, 2 * PANEL_HEIGHT), (2, 1), |areas| {
        let mut c = chart(
            &areas[0],
            "observed and expected SFS at the estimate",
            xs.clone(),
            0.0..top,
        )?;
        c.configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_labels(ticks)
            .x_label_formatter(&labels)
            .x_desc("entry (derived alleles per sample group)")
            .y_desc("sites")
            .draw()?;
        c.draw_series(LineSeries::new(
            entries
                .iter()
                .enumerate()
                .map(|(k, e)| (k as f64, e.expected)),
            colour::SECOND.stroke_width(2),
        ))?
        .label("expected")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], colour::SECOND.stroke_width(2)));
        c.draw_series(
            entries
                .iter()
                .enumerate()
                .map(|(k, e)| Circle::new((k as f64, e.observed), 3, colour::FIRST.filled())),
        )?
        .label("observed")
        .legend(|(x, y)| Circle::new((x + 8, y), 3, colour::FIRST.filled()));
        c.configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw()?;
        let mut r = chart(
            &areas[1],
            "Poisson residuals (x − λ)/√λ",
            xs.clone(),
            -bound..bound,
        )?;
        r.configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_labels(ticks)
            .x_label_formatter(&labels)
            .x_desc("entry (derived alleles per sample group)")
            .y_desc("residual (standard deviations)")
            .draw()?;
        r.draw_series(residuals.iter().enumerate().map(|(k, &v)| {
            let x = k as f64;
            Rectangle::new(
                [(x - 0.35, 0.0), (x + 0.35, v)],
                colour::FIRST.mix(0.6).filled(),
            )
        }))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residuals_are_standardized() {
        let e = Entry {
            label: "1".into(),
            observed: 14.0,
            expected: 9.0,
        };
        assert_eq!(residual(&e), 5.0 / 3.0);
        let svg = observed_and_expected(&[e]).unwrap();
        assert!(svg.contains("Poisson residuals") && svg.contains("sites"));
        assert!(observed_and_expected(&[]).is_err());
    }
}
