//! The density (or probability mass) and the distribution function, one
//! panel each, as lines through the computed points.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{PlotError, chart, colour, span};

/// A distribution evaluated at points.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// The points, increasing.
    pub xs: Vec<f64>,
    /// The density (continuous) or probability mass (discrete) at each.
    pub pdf: Vec<f64>,
    /// The distribution function at each.
    pub cdf: Vec<f64>,
    /// What `x` is, with its unit: "time", "generations", "steps".
    pub x_label: String,
    /// Whether `pdf` is a probability mass.
    pub discrete: bool,
}

impl Curve {
    /// The density in `top`, the distribution function in `bottom`.
    pub fn draw(
        &self,
        top: &DrawingArea<SVGBackend, Shift>,
        bottom: &DrawingArea<SVGBackend, Shift>,
    ) -> Result<(), PlotError> {
        let (name, y) = if self.discrete {
            ("probability mass", "P(Y = k)")
        } else {
            ("density", "density")
        };
        self.panel(top, name, y, &self.pdf, colour::FIRST)?;
        self.panel(
            bottom,
            "distribution function",
            "P(Y ≤ x)",
            &self.cdf,
            colour::SECOND,
        )
    }

    fn panel(
        &self,
        area: &DrawingArea<SVGBackend, Shift>,
        title: &str,
        y_label: &str,
        ys: &[f64],
        colour: RGBColor,
    ) -> Result<(), PlotError> {
        let (x0, x1) = span(self.xs.iter().copied());
        let (_, y1) = span(ys.iter().copied().chain([0.0]));
        let mut chart = chart(area, title, x0..x1, 0.0..y1)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_desc(self.x_label.as_str())
            .y_desc(y_label)
            .draw()?;
        chart.draw_series(LineSeries::new(
            self.xs.iter().copied().zip(ys.iter().copied()),
            colour.stroke_width(2),
        ))?;
        Ok(())
    }
}
