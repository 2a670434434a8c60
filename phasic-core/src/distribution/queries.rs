//! What the continuous and discrete distributions share, as one trait:
//! both are a graph and its elimination [`Program`], and answer the same
//! questions from them — expected waiting times, moments, variance,
//! covariance, sojourn times, absorption.

use crate::elimination::absorption::{absorption_probabilities, defect};
use crate::elimination::moments::MultivariateMoments;
use crate::elimination::program::Program;
use crate::error::Result;
use crate::graph::view::GraphView;

/// The queries every phase-type distribution answers, continuous
/// ([`PhaseType`](crate::PhaseType)) or discrete
/// ([`DiscretePhaseType`](crate::DiscretePhaseType)). Each type supplies
/// its graph, program, moments, covariance and multivariate moments (the
/// formulas differ); the rest follows from them here.
///
/// Bring it into scope to query either kind (it is in `phasic::prelude`):
///
/// ```
/// use phasic_core::{DiscretePhaseType, Graph, Initial, PhaseType, PhaseTypeDistribution};
/// // Exp(2) and Geometric(1/2) have the same mean, and different variances
/// fn summary<'g, D: PhaseTypeDistribution<'g, Graph>>(d: &D) -> (f64, f64) {
///     (d.expectation(None).unwrap(), d.variance(None).unwrap())
/// }
/// let exp = Graph::from_rule(&Initial::state(&[1]), |s, out| if s[0] == 1 { out.add(&[2], 0.5) }).unwrap();
/// assert_eq!(summary(&PhaseType::new(&exp).unwrap()), (2.0, 4.0));
/// assert_eq!(summary(&DiscretePhaseType::new(&exp).unwrap()), (2.0, 2.0));
/// ```
pub trait PhaseTypeDistribution<'g, G: GraphView + ?Sized + 'g> {
    /// The graph.
    fn graph(&self) -> &'g G;

    /// The elimination program.
    fn program(&self) -> &Program;

    /// Raw moments `E[Y^j]`, `j = 1..=k` (`Y` = the absorption time or
    /// steps when `rewards` is `None`, else the accumulated reward).
    fn moments(&self, k: usize, rewards: Option<&[f64]>) -> Result<Vec<f64>>;

    /// `Cov(Y₁, Y₂)` for two reward vectors on the same path.
    fn covariance(&self, r1: &[f64], r2: &[f64]) -> Result<f64>;

    /// Means, second moments and covariance matrix of the reward vector
    /// `(Y_1, …, Y_d)`, one reward column per component.
    fn multivariate(&self, columns: &[&[f64]]) -> Result<MultivariateMoments>;

    /// Expected accumulated reward until absorption from every vertex
    /// (entry 0 is the expectation).
    fn expected_waiting_time(&self, rewards: Option<&[f64]>) -> Result<Vec<f64>> {
        self.program().expected_waiting_time(self.graph(), rewards)
    }

    /// `E[Y]`.
    fn expectation(&self, rewards: Option<&[f64]>) -> Result<f64> {
        Ok(self.moments(1, rewards)?[0])
    }

    /// `Var Y`.
    fn variance(&self, rewards: Option<&[f64]>) -> Result<f64> {
        let m = self.moments(2, rewards)?;
        Ok(m[1] - m[0] * m[0])
    }

    /// Expected total time (continuous) or number of steps (discrete)
    /// spent in every vertex.
    fn sojourn_times(&self) -> Vec<f64> {
        self.program().sojourn(self.graph())
    }

    /// Probability of starting absorbed.
    fn defect(&self) -> f64 {
        defect(self.graph())
    }

    /// Probability of being absorbed in each absorbing vertex (0 for the others).
    fn absorption_probabilities(&self) -> Vec<f64> {
        absorption_probabilities(self.graph(), &self.program().sojourn(self.graph()))
    }
}
