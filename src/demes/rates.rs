//! An interval's graph at the rates of a time or a piece of time: edge
//! weights are multiplicities times the rate of the edge's class.

use phasic_core::GraphView;

use super::history::Interval;
use super::lineages::NO_CLASS;
use super::real::Real;

/// Class rates of `interval`: per deme slot the pair coalescence rate, then
/// per migration its rate. `at` is a time (`(t, t)`) or the piece `(u, v)`
/// over which the coalescence rates are averaged.
pub(crate) fn class_rates<T: Real>(interval: &Interval<T>, (u, v): (T, T)) -> Vec<T> {
    interval
        .sizes
        .iter()
        .map(|s| s.mean_coalescence_rate(u, v))
        .chain(interval.migrations.iter().map(|m| m.rate))
        .collect()
}

/// A graph whose weights are its multiplicities times class rates.
pub(crate) struct Reweighted<'g, G: GraphView + ?Sized> {
    graph: &'g G,
    weights: Vec<f64>,
}

impl<'g, G: GraphView + ?Sized> Reweighted<'g, G> {
    pub(crate) fn new(graph: &'g G, classes: &[u32], rates: &[f64]) -> Self {
        let weights = graph
            .weights()
            .iter()
            .zip(classes)
            .map(|(&w, &c)| {
                if c == NO_CLASS {
                    w
                } else {
                    w * rates[c as usize]
                }
            })
            .collect();
        Reweighted { graph, weights }
    }
}

impl<G: GraphView + ?Sized> GraphView for Reweighted<'_, G> {
    fn state_len(&self) -> usize {
        self.graph.state_len()
    }
    fn states(&self) -> &[i32] {
        self.graph.states()
    }
    fn offsets(&self) -> &[u64] {
        self.graph.offsets()
    }
    fn targets(&self) -> &[u32] {
        self.graph.targets()
    }
    fn weights(&self) -> &[f64] {
        &self.weights
    }
    fn param_dim(&self) -> usize {
        0
    }
    fn base_weights(&self) -> &[f64] {
        &[]
    }
    fn coefficients(&self) -> &[f64] {
        &[]
    }
}
