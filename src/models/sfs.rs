//! Block-counting coalescent (docs/MODELS.md §2): the site-frequency spectrum.

use super::coalescent::pairs;
use super::{Built, Spec, Spectrum, Theta, Weighted, reward_of};
use phasic_cache::Cached;
use phasic_core::GraphView;
use phasic_core::PhaseTypeDistribution;

/// `(n, 0, …, 0)`: `n` lineages each subtending one sample.
#[crate::pure]
fn singletons(n: i32) -> Vec<i32> {
    let mut s = vec![0; n.max(1) as usize];
    s[0] = n;
    s
}

/// Every merge of two lineages of classes `i ≤ j` (0-based), with its rate:
/// `C(a_i, 2)` when `i = j`, else `a_i·a_j`, producing class `i + j + 1`.
#[crate::pure(helpers(pairs))]
fn merges(state: &[i32]) -> Vec<(usize, usize, f64)> {
    let n = state.len();
    let mut out = Vec::new();
    for i in (0..n).filter(|&i| state[i] > 0) {
        for j in i..n {
            let rate = if i == j {
                pairs(state[i])
            } else {
                f64::from(state[i]) * f64::from(state[j])
            };
            if rate > 0.0 {
                out.push((i, j, rate));
            }
        }
    }
    out
}

/// The state after merging one lineage of class `i` with one of class `j`.
#[crate::pure]
fn merged(state: &[i32], i: usize, j: usize) -> Vec<i32> {
    let mut child = state.to_vec();
    child[i] -= 1;
    child[j] -= 1;
    child[i + j + 1] += 1;
    child
}

/// Block-counting coalescent of `n` samples: `state[i]` counts the
/// lineages subtending `i + 1` samples.
///
/// ```
/// use phasic::prelude::*;
/// let g = Graph::from_callback(phasic::models::block_counting, 6).unwrap();
/// assert_eq!((g.vertex_count(), g.edge_count()), (12, 18));
/// ```
#[crate::callback(initial = singletons(n), helpers(singletons, merges, merged))]
pub fn block_counting(state: &[i32], out: &mut Transitions, n: i32) {
    for (i, j, rate) in merges(state) {
        out.add(&merged(state, i, j), rate);
    }
}

/// Block counting with the coalescence scale θ₀ as parameter (docs/MODELS.md §6).
#[crate::callback(initial = singletons(n), theta_dim = 1, helpers(singletons, merges, merged))]
pub fn block_counting_theta(state: &[i32], out: &mut Transitions, n: i32) {
    for (i, j, rate) in merges(state) {
        out.add_param(&merged(state, i, j), 0.0, &[rate]);
    }
}

pub(super) const SPEC: Spec = Spec {
    name: "block_counting",
    about: "block-counting coalescent: the site-frequency spectrum E[ξ_i] = 2/i",
    keys: &[("n", "10")],
    rewards: &["tmrca"],
    theta: Some(Theta {
        about: "(θ₀): coalescence scale",
        dim: 1,
        build: |s| Ok(built(s.graph(block_counting_theta, s.count("n", 2)?)?)),
    }),
    build: |s| Ok(built(s.graph(block_counting, s.count("n", 2)?)?)),
};

/// The SFS class rewards: `ξ_i` has reward `a_{i−1}` at every vertex.
pub(crate) fn sfs_rewards<G: GraphView + ?Sized>(graph: &G) -> Vec<Vec<f64>> {
    (0..graph.state_len().saturating_sub(1))
        .map(|i| reward_of(graph, |s| f64::from(s[i])))
        .collect()
}

fn built(c: Cached) -> Built {
    let rewards = vec![("tmrca", reward_of(&c.graph, |_| 1.0))];
    Built {
        sfs: Some(Box::new(|w: &Weighted<'_>| {
            let ph = w.phase_type()?;
            let classes = sfs_rewards(w.graph)
                .iter()
                .map(|r| ph.expectation(Some(r)))
                .collect::<phasic_core::Result<Vec<f64>>>()?;
            Ok(Spectrum::Classes(classes))
        })),
        ..Built::new(c, false, rewards)
    }
}
