//! Random sampling of absorption times, rewards and absorbing vertices
//! (docs/ALGORITHMS.md §5.5), with any seeded generator.

use rand::{Rng, RngExt};

use crate::elimination::reachability::analyse;
use crate::error::Result;
use crate::graph::csr::START;
use crate::graph::view::GraphView;
use crate::validate::check_discrete;
use crate::validate::check_rewards;

/// One path to absorption, summarised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Absorption time (continuous) or number of steps (discrete).
    pub time: f64,
    /// The absorbing vertex reached.
    pub vertex: usize,
}

/// Draws paths of a continuous or discrete graph.
///
/// A path is walked jump by jump: a continuous vertex is held an
/// exponential time of rate `λ_v`, a discrete one a geometric number of
/// steps with success probability `λ_v`, then an out-edge is chosen with
/// probability proportional to its weight. The start takes no time.
///
/// ```
/// use phasic_core::{Graph, Initial, distribution::Sampler};
/// use rand::SeedableRng;
/// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
///     if s[0] == 1 { out.add(&[2], 2.0) }
/// }).unwrap();
/// let sampler = Sampler::continuous(&g).unwrap();
/// let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7);
/// let times = sampler.times(&mut rng, 20_000);
/// let mean = times.iter().sum::<f64>() / times.len() as f64;
/// assert!((mean - 0.5).abs() < 0.02); // E[T] = 1/2, standard error 0.0035
/// ```
#[derive(Debug, Clone)]
pub struct Sampler<'g, G: GraphView + ?Sized> {
    graph: &'g G,
    rates: Vec<f64>,
    discrete: bool,
}

impl<'g, G: GraphView + ?Sized> Sampler<'g, G> {
    /// A sampler of the continuous distribution (rates).
    pub fn continuous(graph: &'g G) -> Result<Self> {
        let support = analyse(graph)?;
        Ok(Sampler {
            graph,
            rates: support.rates,
            discrete: false,
        })
    }

    /// A sampler of the discrete distribution (probabilities).
    pub fn discrete(graph: &'g G) -> Result<Self> {
        check_discrete(graph)?;
        let support = analyse(graph)?;
        Ok(Sampler {
            graph,
            rates: support.rates,
            discrete: true,
        })
    }

    /// A sampler of a graph already checked (by the elimination of a
    /// [`PhaseType`] or [`DiscretePhaseType`]).
    pub(crate) fn checked(graph: &'g G, discrete: bool) -> Self {
        Sampler {
            graph,
            rates: (0..graph.vertex_count()).map(|v| graph.rate(v)).collect(),
            discrete,
        }
    }

    /// Time (or steps) spent in `v` on one visit.
    fn holding<R: Rng + ?Sized>(&self, rng: &mut R, v: usize) -> f64 {
        if v == START {
            return 0.0;
        }
        let u = 1.0 - rng.random::<f64>(); // in (0, 1]
        let rate = self.rates[v];
        if self.discrete {
            if rate >= 1.0 {
                1.0
            } else {
                (u.ln() / (-rate).ln_1p()).ceil().max(1.0)
            }
        } else {
            -u.ln() / rate
        }
    }

    /// The next vertex after `v`, chosen proportionally to the weights.
    fn next<R: Rng + ?Sized>(&self, rng: &mut R, v: usize) -> usize {
        let range = self.graph.edge_range(v);
        let weights = &self.graph.weights()[range.clone()];
        let targets = &self.graph.targets()[range];
        let u = rng.random::<f64>() * self.rates[v];
        let mut cum = 0.0;
        let mut chosen = None;
        for (&t, &w) in targets.iter().zip(weights) {
            if w > 0.0 {
                cum += w;
                chosen = Some(t as usize);
                if cum > u {
                    break;
                }
            }
        }
        chosen.unwrap_or(START)
    }

    /// Walks one path, calling `visit(v, holding)` for every transient visit.
    fn walk<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        mut visit: impl FnMut(usize, f64) -> bool,
    ) -> usize {
        let mut v = START;
        while !self.graph.is_absorbing(v) && self.rates[v] > 0.0 {
            let h = self.holding(rng, v);
            if !visit(v, h) {
                return v;
            }
            v = self.next(rng, v);
        }
        v
    }

    /// Absorption time and absorbing vertex of one path.
    pub fn outcome<R: Rng + ?Sized>(&self, rng: &mut R) -> Outcome {
        let mut time = 0.0;
        let vertex = self.walk(rng, |_, h| {
            time += h;
            true
        });
        Outcome { time, vertex }
    }

    /// Absorption times (steps, for a discrete graph) of `n` independent
    /// paths, in the order drawn.
    pub fn times<R: Rng + ?Sized>(&self, rng: &mut R, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.outcome(rng).time).collect()
    }

    /// One draw of the accumulated reward `Y` (the absorption time when `None`).
    pub fn reward<R: Rng + ?Sized>(&self, rng: &mut R, rewards: Option<&[f64]>) -> Result<f64> {
        let Some(r) = rewards else {
            return Ok(self.outcome(rng).time);
        };
        check_rewards(r, self.graph.vertex_count())?;
        let mut y = 0.0;
        self.walk(rng, |v, h| {
            y += h * r[v];
            true
        });
        Ok(y)
    }

    /// One draw of the reward vector `(Y_1, …, Y_d)` on a single path.
    pub fn multivariate<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        columns: &[&[f64]],
    ) -> Result<Vec<f64>> {
        for c in columns {
            check_rewards(c, self.graph.vertex_count())?;
        }
        let mut y = vec![0.0; columns.len()];
        self.walk(rng, |v, h| {
            for (yi, c) in y.iter_mut().zip(columns) {
                *yi += h * c[v];
            }
            true
        });
        Ok(y)
    }
}
