//! Reward transformation (docs/ALGORITHMS.md §4): a new graph whose absorption
//! time has the law of the accumulated reward.

use crate::elimination::bypass::{PlainArithmetic, bypass};
use crate::elimination::reachability::analyse;
use crate::error::{Error, Result};
use crate::graph::builder::GraphBuilder;
use crate::graph::csr::{Graph, START};
use crate::graph::view::GraphView;
use crate::validate::check_rewards;

/// A reward-transformed graph and where its vertices came from.
#[derive(Debug, Clone)]
pub struct RewardTransformed {
    /// The new graph.
    pub graph: Graph,
    /// For every new vertex, the original vertex it stands for (`None` for
    /// the auxiliary vertices of the discrete transform).
    pub original: Vec<Option<usize>>,
}

/// The graph of `Y = ∫₀^τ r(X_t) dt` (continuous, docs/ALGORITHMS.md §4.1).
///
/// Vertices with reward 0 are bypassed exactly; a positive reward divides
/// the vertex's out-rates. Rewards of the start and absorbing vertices are
/// ignored. Kept vertices stay in their original relative order; the input
/// is never modified.
///
/// ```
/// use phasic_core::{distribution::reward_transform, GraphBuilder, PhaseType, START, PhaseTypeDistribution};
/// // docs/ALGORITHMS.md §9.6: S→A 1, A→B 2, A→D 1, B→A 3, B→C 1, C→D 4
/// let mut b = GraphBuilder::new(1);
/// let v: Vec<usize> = (1..=4).map(|s| b.find_or_create(&[s]).unwrap()).collect();
/// let (a, bb, c, d) = (v[0], v[1], v[2], v[3]);
/// for (x, y, w) in [(START, a, 1.0), (a, bb, 2.0), (a, d, 1.0), (bb, a, 3.0), (bb, c, 1.0), (c, d, 4.0)] {
///     b.add_edge(x, y, w).unwrap();
/// }
/// let g = b.build();
/// let t = reward_transform(&g, &[0.0, 1.0, 0.0, 2.0, 0.0]).unwrap();
/// let m = PhaseType::new(&t.graph).unwrap().moments(2, None).unwrap();
/// assert!((m[0] - 5.0 / 6.0).abs() < 1e-14 && (m[1] - 23.0 / 18.0).abs() < 1e-14);
/// ```
pub fn reward_transform<G: GraphView + ?Sized>(
    view: &G,
    rewards: &[f64],
) -> Result<RewardTransformed> {
    check_rewards(rewards, view.vertex_count())?;
    if let Some(v) = rewards.iter().position(|&r| r < 0.0) {
        return Err(Error::InvalidReward {
            vertex: v,
            reward: rewards[v],
            reason: "rewards must be non-negative",
        });
    }
    let bypassed = bypass_zero_rewards(view, rewards)?;
    assemble(view, &bypassed, |_| 1)
}

/// The graph of `Y = Σ_k r(X_k)` for a discrete graph and integer rewards
/// (docs/ALGORITHMS.md §4.2): zero rewards are bypassed, a reward `k > 1` becomes a
/// chain of `k − 1` auxiliary vertices after the vertex.
///
/// Fails with [`Error::NotDiscrete`] if a rewarded vertex has
/// out-probabilities summing above 1.
pub fn reward_transform_discrete<G: GraphView + ?Sized>(
    view: &G,
    rewards: &[u32],
) -> Result<RewardTransformed> {
    let n = view.vertex_count();
    if rewards.len() != n {
        return Err(Error::RewardLength {
            expected: n,
            got: rewards.len(),
        });
    }
    crate::validate::check_discrete(view)?;
    let mask: Vec<f64> = rewards
        .iter()
        .map(|&r| if r > 0 { 1.0 } else { 0.0 })
        .collect();
    let bypassed = bypass_zero_rewards(view, &mask)?;
    assemble(view, &bypassed, |v| rewards[v].max(1))
}

/// Checks that rewards are non-negative integers and converts them.
pub(crate) fn integer_rewards(rewards: &[f64]) -> Result<Vec<u32>> {
    rewards
        .iter()
        .enumerate()
        .map(|(v, &r)| {
            if r >= 0.0 && r.fract() == 0.0 && r <= f64::from(u32::MAX) {
                Ok(r as u32)
            } else {
                Err(Error::InvalidReward {
                    vertex: v,
                    reward: r,
                    reason: "discrete rewards must be non-negative integers",
                })
            }
        })
        .collect()
}

/// The normalised graph after bypassing the zero-reward vertices.
struct Bypassed {
    /// Vertices that remain (start, positive-reward transient, absorbing).
    kept: Vec<bool>,
    /// Normalised out-edges `(target, probability)` of kept vertices.
    children: Vec<Vec<(u32, f64)>>,
    /// Expected reward per visit `ρ_v` (the new out-weights are `p/ρ`).
    rho: Vec<f64>,
}

fn bypass_zero_rewards<G: GraphView + ?Sized>(view: &G, rewards: &[f64]) -> Result<Bypassed> {
    let support = analyse(view)?;
    let n = view.vertex_count();
    let targets = view.targets();
    let weights = view.weights();
    let transient = |v: usize| v != START && !view.is_absorbing(v);
    let mut children: Vec<Vec<(u32, f64)>> = Vec::with_capacity(n);
    let mut parents: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut rho = vec![0.0; n];
    for v in 0..n {
        let rate = support.rates[v];
        let mut c: Vec<(u32, f64)> = if support.good[v] {
            view.edge_range(v)
                .filter(|&e| weights[e] > 0.0)
                .map(|e| (targets[e], weights[e] / rate))
                .collect()
        } else {
            Vec::new()
        };
        c.sort_unstable_by_key(|&(t, _)| t);
        for &(t, _) in &c {
            parents[t as usize].push(v as u32);
        }
        children.push(c);
        rho[v] = if v == START {
            1.0 / rate
        } else if transient(v) {
            rewards[v] / rate
        } else {
            1.0
        };
    }
    let kept: Vec<bool> = (0..n)
        .map(|v| support.good[v] && !(transient(v) && rewards[v] == 0.0))
        .collect();
    let order = support.comp_vertices;
    let mut removed = vec![false; n];
    let mut merged: Vec<(u32, f64)> = Vec::new();
    for v in order
        .into_iter()
        .map(|v| v as usize)
        .filter(|&v| !kept[v] && support.good[v])
    {
        removed[v] = true;
        let cv = std::mem::take(&mut children[v]);
        for u in std::mem::take(&mut parents[v])
            .into_iter()
            .map(|u| u as usize)
        {
            if removed[u] {
                continue;
            }
            let Some(step) = bypass(
                &mut PlainArithmetic,
                u as u32,
                v as u32,
                &mut children[u],
                &cv,
                &mut merged,
                |z| parents[z as usize].push(u as u32),
            ) else {
                continue;
            };
            if !step.inv_total.is_finite() {
                return Err(Error::NoPathToAbsorption {
                    vertex: u,
                    state: view.state(u).to_vec(),
                });
            }
            if step.self_loop {
                rho[u] *= step.inv_total;
            }
        }
    }
    Ok(Bypassed {
        kept,
        children,
        rho,
    })
}

/// Builds the output graph; `steps(v)` (≥ 1) is the number of time steps a
/// visit to kept vertex `v` is stretched to (1 for the continuous transform).
fn assemble<G: GraphView + ?Sized>(
    view: &G,
    by: &Bypassed,
    steps: impl Fn(usize) -> u32,
) -> Result<RewardTransformed> {
    let n = view.vertex_count();
    let len = view.state_len();
    let mut b = GraphBuilder::new(len);
    let mut new_index = vec![usize::MAX; n];
    let mut original = vec![Some(START)];
    new_index[START] = START;
    for v in (1..n).filter(|&v| by.kept[v]) {
        let s = view.state(v);
        new_index[v] = if b.find(s).is_none() {
            b.find_or_create(s)?
        } else {
            b.create(s)?
        };
        original.push(Some(v));
    }
    let zeros = vec![0; len];
    for v in (0..n).filter(|&v| by.kept[v]) {
        let k = if v == START || view.is_absorbing(v) {
            1
        } else {
            steps(v)
        };
        // a visit to v lasts k steps: v → a_1 → … → a_{k−1}, which leaves like v did
        let mut last = new_index[v];
        for _ in 1..k {
            let a = b.create(&zeros)?;
            original.push(None);
            b.add_edge(last, a, 1.0)?;
            last = a;
        }
        let mut out = 0.0;
        for &(z, q) in &by.children[v] {
            let w = q / by.rho[v];
            out += w;
            b.add_edge(last, new_index[z as usize], w)?;
        }
        if k > 1 && out < 1.0 {
            b.add_edge(last, new_index[v], 1.0 - out)?;
        }
    }
    Ok(RewardTransformed {
        graph: b.build(),
        original,
    })
}
