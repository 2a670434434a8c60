//! Rabbit islands (docs/MODELS.md §3, the paper's Fig. 1).

use super::{Built, ModelError, Settings, Spec, Theta, reward_of};
use phasic_cache::Cached;

/// Rates of the rabbit model: a jump per occupied island, and floods.
#[derive(crate::Key, Clone, Copy, Debug, PartialEq)]
pub struct RabbitRates {
    /// Rate at which a rabbit jumps, per occupied island.
    pub jump: f64,
    /// Rate at which the left island floods.
    pub flood_left: f64,
    /// Rate at which the right island floods.
    pub flood_right: f64,
}

/// `(left, right)` rabbits, starting with `k` on the left island.
///
/// ```
/// use phasic::prelude::*;
/// use phasic::models::{rabbits, RabbitRates};
/// let rates = RabbitRates { jump: 1.0, flood_left: 2.0, flood_right: 4.0 };
/// let g = Graph::from_callback(rabbits, (2, rates)).unwrap();
/// let e = PhaseType::new(&g).unwrap().expectation(None).unwrap();
/// assert!((e - 395.0 / 784.0).abs() < 1e-14);
/// ```
#[crate::callback(initial = [k, 0])]
pub fn rabbits(state: &[i32], out: &mut Transitions, k: i32, rates: &RabbitRates) {
    let (l, r) = (state[0], state[1]);
    if l > 0 {
        out.add(&[l - 1, r + 1], rates.jump);
        out.add(&[0, r], rates.flood_left);
    }
    if r > 0 {
        out.add(&[l + 1, r - 1], rates.jump);
        out.add(&[l, 0], rates.flood_right);
    }
}

/// Parameterized rabbits, θ = (jump per rabbit, F_L, F_R) (docs/MODELS.md §6).
///
/// ```
/// use phasic::prelude::*;
/// let mut g = Graph::from_callback(phasic::models::rabbits_theta, 2).unwrap();
/// g.update_weights(&[1.0, 2.0, 4.0]).unwrap();
/// let e = PhaseType::new(&g).unwrap().expectation(None).unwrap();
/// assert!((e - 153.0 / 301.0).abs() < 1e-14);
/// ```
#[crate::callback(initial = [k, 0], theta_dim = 3)]
pub fn rabbits_theta(state: &[i32], out: &mut Transitions, k: i32) {
    let (l, r) = (state[0], state[1]);
    if l > 0 {
        out.add_param(&[l - 1, r + 1], 0.0, &[f64::from(l), 0.0, 0.0]);
        out.add_param(&[0, r], 0.0, &[0.0, 1.0, 0.0]);
    }
    if r > 0 {
        out.add_param(&[l + 1, r - 1], 0.0, &[f64::from(r), 0.0, 0.0]);
        out.add_param(&[l, 0], 0.0, &[0.0, 0.0, 1.0]);
    }
}

pub(super) const SPEC: Spec = Spec {
    name: "rabbits",
    about: "rabbits on two islands that flood: time until all are dead",
    keys: &[
        ("k", "2"),
        ("jump", "1"),
        ("flood_left", "2"),
        ("flood_right", "4"),
    ],
    rewards: &["time", "right_island"],
    theta: Some(Theta {
        about: "(jump per rabbit, F_L, F_R)",
        dim: 3,
        build: |s| Ok(built(s.graph(rabbits_theta, s.count("k", 1)?)?)),
    }),
    build,
};

fn build(s: &Settings) -> Result<Built, ModelError> {
    let rates = RabbitRates {
        jump: s.rate("jump")?,
        flood_left: s.rate("flood_left")?,
        flood_right: s.rate("flood_right")?,
    };
    Ok(built(s.graph(rabbits, (s.count("k", 1)?, rates))?))
}

fn built(c: Cached) -> Built {
    let graph = &c.graph;
    let rewards = vec![
        ("time", reward_of(graph, |_| 1.0)),
        ("right_island", reward_of(graph, |s| f64::from(s[1]))),
    ];
    Built::new(c, false, rewards)
}
