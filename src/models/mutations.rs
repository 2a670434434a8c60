//! Segregating sites (docs/MODELS.md §7): the Kingman coalescent's embedded jump
//! chain with a mutation detour, a discrete phase-type distribution.

use super::coalescent::kingman;
use super::{Built, ModelError, Settings, Spec, reward_of};
use phasic_cache::Cached;
use phasic_core::{Graph, GraphBuilder, GraphView, START};

/// The discrete graph whose visits to auxiliary vertices count the
/// segregating sites `S` of a sample of `n` at mutation rate `θ`, and the
/// reward vector marking those vertices.
///
/// From `[k]` the chain moves to `[k−1]` with probability `(k−1)/(k−1+θ)`
/// and into the auxiliary vertex of `[k]` (one mutation, then back) with
/// probability `θ/(k−1+θ)`.
///
/// ```
/// use phasic::prelude::*;
/// let (g, r) = phasic::models::segregating_sites(5, 1.0).unwrap();
/// assert_eq!(g.vertex_count(), 10);
/// let d = DiscretePhaseType::new(&g).unwrap();
/// assert!((d.expectation(Some(&r)).unwrap() - 25.0 / 12.0).abs() < 1e-13);
/// ```
pub fn segregating_sites(n: i32, theta: f64) -> phasic_core::Result<(Graph, Vec<f64>)> {
    let k = Graph::from_callback(kingman, n)?;
    let mut b = GraphBuilder::new(k.state_len());
    for v in 1..k.vertex_count() {
        b.find_or_create(k.state(v))?;
    }
    let transient: Vec<usize> = (1..k.vertex_count())
        .filter(|&v| !k.is_absorbing(v))
        .collect();
    let zeros = vec![0; k.state_len()];
    let aux: Vec<usize> = transient
        .iter()
        .map(|_| b.create(&zeros))
        .collect::<phasic_core::Result<_>>()?;
    for e in k.edge_range(START) {
        b.add_edge(START, k.targets()[e] as usize, k.weights()[e])?;
    }
    for (&v, &a) in transient.iter().zip(&aux) {
        let mutation = theta / 2.0 * f64::from(k.state(v)[0]);
        let total = k.rate(v) + mutation;
        for e in k.edge_range(v) {
            b.add_edge(v, k.targets()[e] as usize, k.weights()[e] / total)?;
        }
        b.add_edge(v, a, mutation / total)?;
        b.add_edge(a, v, 1.0)?;
    }
    let g = b.build();
    let mut reward = vec![0.0; g.vertex_count()];
    for &a in &aux {
        reward[a] = 1.0;
    }
    Ok((g, reward))
}

pub(super) const SPEC: Spec = Spec {
    name: "segregating_sites",
    about: "number of segregating sites of a Kingman sample (discrete): its distribution",
    keys: &[("n", "5"), ("theta", "1")],
    rewards: &["segregating_sites", "steps"],
    theta: None,
    build,
};

fn build(s: &Settings) -> Result<Built, ModelError> {
    let (graph, sites) = segregating_sites(s.count("n", 2)?, s.rate("theta")?)?;
    let steps = reward_of(&graph, |_| 1.0);
    // the DPH is derived from the Kingman graph, not built by a callback: not cached
    Ok(Built::new(
        Cached::uncached(graph),
        true,
        vec![("segregating_sites", sites), ("steps", steps)],
    ))
}
