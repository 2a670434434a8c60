//! `rand`'s `Distribution`: [`PhaseType`] draws absorption times
//! (`f64`), [`DiscretePhaseType`] numbers of steps (`u64`), both by the
//! [`Sampler`](crate::distribution::Sampler) each makes at its first draw.

use rand::Rng;
use rand::distr::Distribution;

use crate::distribution::continuous::PhaseType;
use crate::distribution::discrete::DiscretePhaseType;
use crate::graph::view::GraphView;

/// One absorption time, by [`Sampler`](crate::distribution::Sampler)
/// (made at the first draw).
///
/// ```
/// use phasic_core::{Graph, Initial, PhaseType};
/// use rand::{SeedableRng, distr::Distribution};
/// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
///     if s[0] == 1 { out.add(&[2], 2.0) }
/// }).unwrap();
/// let ph = PhaseType::new(&g).unwrap();
/// let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7);
/// let mean = ph.sample_iter(&mut rng).take(20_000).sum::<f64>() / 20_000.0;
/// assert!((mean - 0.5).abs() < 0.02); // E[T] = 1/2, standard error 0.0035
/// ```
impl<G: GraphView + ?Sized> Distribution<f64> for PhaseType<'_, G> {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sampler().outcome(rng).time
    }
}

/// One number of steps to absorption, by
/// [`Sampler`](crate::distribution::Sampler) (made at the first draw).
impl<G: GraphView + ?Sized> Distribution<u64> for DiscretePhaseType<'_, G> {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        // whole numbers of steps, exact in an f64 below 2^53
        self.sampler().outcome(rng).time as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::queries::PhaseTypeDistribution;
    use crate::graph::csr::Graph;
    use crate::graph::rule::Initial;
    use rand::SeedableRng;

    /// The mean of `n` draws is within five standard errors of `mean`.
    fn close(draws: &[f64], mean: f64, variance: f64) {
        let n = draws.len() as f64;
        let sample = draws.iter().sum::<f64>() / n;
        let bound = 5.0 * (variance / n).sqrt();
        assert!(
            (sample - mean).abs() < bound,
            "sample mean {sample}, exact {mean}, bound {bound}"
        );
    }

    #[test]
    fn rand_draws_have_the_exact_mean() {
        // two routes to absorption: [2] → [1] → [0] or [2] → [0]
        let g = Graph::from_rule(&Initial::state(&[2]), |s, out| match s[0] {
            2 => {
                out.add(&[1], 0.3);
                out.add(&[0], 0.2)
            }
            1 => out.add(&[0], 0.6),
            _ => {}
        })
        .unwrap();
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(11);
        let ph = PhaseType::new(&g).unwrap();
        let draws: Vec<f64> = (&ph).sample_iter(&mut rng).take(40_000).collect();
        close(
            &draws,
            ph.expectation(None).unwrap(),
            ph.variance(None).unwrap(),
        );
        // the same weights as probabilities: a discrete chain with self-loops
        let d = DiscretePhaseType::new(&g).unwrap();
        let steps: Vec<u64> = (&d).sample_iter(&mut rng).take(40_000).collect();
        assert!(steps.iter().all(|&k| k >= 1));
        let steps: Vec<f64> = steps.into_iter().map(|k| k as f64).collect();
        close(
            &steps,
            d.expectation(None).unwrap(),
            d.variance(None).unwrap(),
        );
    }
}
