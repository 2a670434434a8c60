//! The in-memory graph: CSR arrays plus the state lookup.

use crate::error::{Error, Result};
use crate::graph::state_index::StateIndex;
use crate::graph::view::GraphView;
use crate::validate::check_theta;

/// Index of the start vertex `S`.
pub const START: usize = 0;

/// A phase-type graph in compressed sparse row form.
///
/// Built by [`GraphBuilder`](crate::GraphBuilder) or grown from a rule with
/// [`Graph::from_rule`]. The structure is immutable; the weights of a
/// parameterized graph change with [`Graph::update_weights`]. Every
/// algorithm reads it through [`GraphView`].
///
/// ```
/// use phasic_core::{Graph, GraphBuilder, GraphView, START};
/// let mut b = GraphBuilder::new(1);
/// let v = b.find_or_create(&[1]).unwrap();
/// let a = b.find_or_create(&[2]).unwrap();
/// b.add_edge(START, v, 1.0).unwrap();
/// b.add_edge(v, a, 2.0).unwrap();
/// let g: Graph = b.build();
/// assert_eq!(g.edge_count(), 2);
/// assert_eq!(g.find_vertex(&[2]), Some(a));
/// ```
#[derive(Debug, Clone)]
pub struct Graph {
    pub(crate) state_len: usize,
    pub(crate) states: Vec<i32>,
    pub(crate) index: StateIndex,
    pub(crate) offsets: Vec<u64>,
    pub(crate) targets: Vec<u32>,
    pub(crate) weights: Vec<f64>,
    pub(crate) param_dim: usize,
    pub(crate) base: Vec<f64>,
    pub(crate) coeffs: Vec<f64>,
}

impl Graph {
    /// The vertex registered for `state` (the start vertex is never registered).
    pub fn find_vertex(&self, state: &[i32]) -> Option<usize> {
        if state.len() != self.state_len {
            return None;
        }
        self.index
            .get(&self.states, self.state_len, state)
            .map(|v| v as usize)
    }

    /// Sets every edge weight to `b + c·θ` (parameterized graphs only).
    ///
    /// Fails if θ has the wrong length or a non-finite entry, or if a
    /// resulting weight is negative or not finite; the weights are unchanged then.
    ///
    /// ```
    /// use phasic_core::{Graph, GraphView, Initial};
    /// let mut g = Graph::from_rule_with_params(&Initial::state(&[2]), 1, |s, out| {
    ///     if s[0] > 1 { out.add_param(&[s[0] - 1], 0.0, &[1.0]) }
    /// }).unwrap();
    /// g.update_weights(&[3.0]).unwrap();
    /// assert_eq!(g.out_weights(1), &[3.0]);
    /// assert!(g.update_weights(&[1.0, 2.0]).is_err());
    /// ```
    pub fn update_weights(&mut self, theta: &[f64]) -> Result<()> {
        self.weights = weights_at(self, theta)?;
        Ok(())
    }
}

/// The weights `b + c·θ` of every edge of a parameterized `view`.
///
/// Fails if θ has the wrong length or a non-finite entry, or if a
/// resulting weight is negative or not finite (naming the edge).
pub(crate) fn weights_at<G: GraphView + ?Sized>(view: &G, theta: &[f64]) -> Result<Vec<f64>> {
    let p = view.param_dim();
    check_theta(theta, p)?;
    let coeffs = view.coefficients();
    let new: Vec<f64> = view
        .base_weights()
        .iter()
        .enumerate()
        .map(|(e, &b)| weight(b, &coeffs[e * p..(e + 1) * p], theta))
        .collect();
    if let Some(e) = new.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        let from = view.offsets().partition_point(|&o| o as usize <= e) - 1;
        return Err(Error::InvalidWeight {
            from,
            from_state: view.state(from).to_vec(),
            to_state: view.state(view.targets()[e] as usize).to_vec(),
            weight: new[e],
        });
    }
    Ok(new)
}

/// The weight `b + c·θ` of an edge with base `b` and coefficients `c`: the
/// one formula (and summation order) for every scalar weight at θ.
pub(crate) fn weight(base: f64, coeffs: &[f64], theta: &[f64]) -> f64 {
    base + coeffs.iter().zip(theta).map(|(c, t)| c * t).sum::<f64>()
}

impl GraphView for Graph {
    fn state_len(&self) -> usize {
        self.state_len
    }
    fn states(&self) -> &[i32] {
        &self.states
    }
    fn offsets(&self) -> &[u64] {
        &self.offsets
    }
    fn targets(&self) -> &[u32] {
        &self.targets
    }
    fn weights(&self) -> &[f64] {
        &self.weights
    }
    fn param_dim(&self) -> usize {
        self.param_dim
    }
    fn base_weights(&self) -> &[f64] {
        &self.base
    }
    fn coefficients(&self) -> &[f64] {
        &self.coeffs
    }
}
