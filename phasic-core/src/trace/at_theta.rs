//! A trace's graph at θ: the borrowed structure with the weights at θ
//! and the program evaluated from the trace — every [`PhaseType`] query
//! without redoing the elimination.

use super::Trace;
use crate::distribution::continuous::PhaseType;
use crate::elimination::program::Program;
use crate::error::{Error, Result};
use crate::graph::csr::weights_at;
use crate::graph::view::{GraphView, reweighted_view};

impl Trace {
    /// The graph `view` (the one the trace was recorded from) instantiated
    /// at θ, with its program: every query of [`PhaseType`] (moments,
    /// covariances, densities, gradients) without redoing the elimination.
    /// The structure is borrowed, never copied (a memory-mapped graph
    /// stays mapped).
    pub fn at<'g, G: GraphView + ?Sized>(
        &self,
        view: &'g G,
        theta: &[f64],
    ) -> Result<AtTheta<'g, G>> {
        if view.vertex_count() != self.pos.len()
            || view.edge_count() != self.edges
            || view.param_dim() != self.param_dim
        {
            return Err(Error::GraphMismatch {
                what: "trace",
                expected_vertices: self.pos.len(),
                expected_edges: self.edges,
                expected_param_dim: self.param_dim,
                vertices: view.vertex_count(),
                edges: view.edge_count(),
                param_dim: view.param_dim(),
            });
        }
        let program = self.program(theta)?;
        let weights = if self.param_dim == 0 {
            view.weights().to_vec()
        } else {
            weights_at(view, theta)?
        };
        Ok(AtTheta {
            view,
            weights,
            program,
        })
    }
}

/// A graph instantiated at θ by a [`Trace`]: the borrowed structure with
/// the weights `b + c·θ`, and its elimination program.
#[derive(Debug, Clone)]
pub struct AtTheta<'g, G: ?Sized> {
    view: &'g G,
    weights: Vec<f64>,
    program: Program,
}

impl<G: GraphView + ?Sized> AtTheta<'_, G> {
    /// The phase-type distribution at θ.
    pub fn phase_type(&self) -> PhaseType<'_, Self> {
        PhaseType::with_borrowed_program(self, &self.program)
            .expect("the program was evaluated for this graph")
    }

    /// The elimination program at θ.
    pub fn program(&self) -> &Program {
        &self.program
    }
}

reweighted_view!(AtTheta);
