//! Kingman coalescent (docs/MODELS.md §1): `[k]` lineages coalesce to `[k−1]` at
//! rate `k(k−1)/2`.

use super::{Built, ModelError, Settings, Spec, Theta, reward_of};
use phasic_cache::Cached;

/// Number of pairs among `k` lineages.
#[crate::pure]
pub(crate) fn pairs(k: i32) -> f64 {
    f64::from(k) * f64::from(k - 1) / 2.0
}

/// Kingman coalescent of `n` samples, pair coalescence rate 1.
///
/// ```
/// use phasic::prelude::*;
/// let g = Graph::from_callback(phasic::models::kingman, 5).unwrap();
/// assert_eq!(g.vertex_count(), 6);
/// let e = PhaseType::new(&g).unwrap().expectation(None).unwrap();
/// assert!((e - 1.6).abs() < 1e-14);
/// ```
#[crate::callback(initial = [n], helpers(pairs))]
pub fn kingman(state: &[i32], out: &mut Transitions, n: i32) {
    let k = state[0];
    if k > 1 {
        out.add(&[k - 1], pairs(k));
    }
}

/// Kingman coalescent with the coalescence scale θ₀ as parameter: edge
/// `[k] → [k−1]` has weight `C(k,2)·θ₀` (docs/MODELS.md §6).
///
/// ```
/// use phasic::prelude::*;
/// let mut g = Graph::from_callback(phasic::models::kingman_theta, 5).unwrap();
/// g.update_weights(&[0.5]).unwrap();
/// let e = PhaseType::new(&g).unwrap().expectation(None).unwrap();
/// assert!((e - 3.2).abs() < 1e-14);
/// ```
#[crate::callback(initial = [n], theta_dim = 1, helpers(pairs))]
pub fn kingman_theta(state: &[i32], out: &mut Transitions, n: i32) {
    let k = state[0];
    if k > 1 {
        out.add_param(&[k - 1], 0.0, &[pairs(k)]);
    }
}

pub(super) const SPEC: Spec = Spec {
    name: "kingman",
    about: "Kingman coalescent: time to the MRCA and total branch length",
    keys: &[("n", "10")],
    rewards: &["tmrca", "total_branch_length"],
    theta: Some(Theta {
        about: "(θ₀): coalescence scale",
        dim: 1,
        build: build_theta,
    }),
    build,
};

fn build(s: &Settings) -> Result<Built, ModelError> {
    let n = s.count("n", 1)?;
    Ok(built(s.graph(kingman, n)?))
}

fn build_theta(s: &Settings) -> Result<Built, ModelError> {
    Ok(built(s.graph(kingman_theta, s.count("n", 1)?)?))
}

fn built(c: Cached) -> Built {
    let graph = &c.graph;
    let rewards = vec![
        ("tmrca", reward_of(graph, |_| 1.0)),
        ("total_branch_length", reward_of(graph, |s| f64::from(s[0]))),
    ];
    Built::new(c, false, rewards)
}
