//! Two-locus, two-island ancestral recombination graph (docs/MODELS.md §4).

use super::{Built, ModelError, Settings, Spec, Theta, reward_of};
use phasic_cache::Cached;

/// How the recombination rate scales with the number of lineages of a type.
#[derive(crate::Key, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recombination {
    /// Rate `R·c` for `c` lineages of a type (Hudson's ARG; the default).
    PerLineage,
    /// Rate `R` per lineage type, whatever its count (the original docs).
    PerType,
}

/// Deme sizes and rates of the two-locus model (constant-rate variant).
#[derive(crate::Key, Clone, Copy, Debug, PartialEq)]
pub struct TwoLocus {
    /// Relative size of island 1.
    pub n1: f64,
    /// Relative size of island 2.
    pub n2: f64,
    /// Per-lineage rate of moving from island 1 to island 2.
    pub m1: f64,
    /// Per-lineage rate of moving from island 2 to island 1.
    pub m2: f64,
    /// Recombination rate between the loci.
    pub r: f64,
}

/// `s` lineages of type (1, 1) in island 1.
#[crate::pure]
fn two_locus_start(s: i32) -> Vec<i32> {
    let w = (s + 1) as usize;
    let mut state = vec![0; 2 * w * w];
    state[w + 1] = s;
    state
}

/// Every move out of `state` in emission order, with its coefficient
/// vector over (1/N1, 1/N2, M1, M2, R): coalescences, then migration, then
/// recombination, slot by slot. A state with at most one lineage has none.
#[crate::pure]
fn two_locus_moves(state: &[i32], s: i32, per_lineage: bool) -> Vec<(Vec<i32>, [f64; 5])> {
    let w = (s + 1) as usize;
    let half = w * w;
    let mut moves = Vec::new();
    if state.iter().sum::<i32>() <= 1 {
        return moves;
    }
    for x in (0..state.len()).filter(|&x| state[x] > 0) {
        let island = x / half;
        let (a, b) = ((x % half) / w, x % w);
        let c = f64::from(state[x]);
        for y in (x..(island + 1) * half).filter(|&y| state[y] > 0 && (y != x || state[x] >= 2)) {
            let (a2, b2) = ((y % half) / w, y % w);
            let mut child = state.to_vec();
            child[x] -= 1;
            child[y] -= 1;
            child[island * half + (a + a2) * w + (b + b2)] += 1;
            let pairs = if y == x {
                c * (c - 1.0) / 2.0
            } else {
                c * f64::from(state[y])
            };
            let mut coeff = [0.0; 5];
            coeff[island] = pairs;
            moves.push((child, coeff));
        }
        let mut child = state.to_vec();
        child[x] -= 1;
        child[(1 - island) * half + a * w + b] += 1;
        let mut coeff = [0.0; 5];
        coeff[2 + island] = c;
        moves.push((child, coeff));
        if a > 0 && b > 0 {
            let mut child = state.to_vec();
            child[x] -= 1;
            child[island * half + a * w] += 1;
            child[island * half + b] += 1;
            let mut coeff = [0.0; 5];
            coeff[4] = if per_lineage { c } else { 1.0 };
            moves.push((child, coeff));
        }
    }
    moves
}

/// The two-locus, two-island ARG for a sample of `s` in island 1.
///
/// ```
/// use phasic::prelude::*;
/// use phasic::models::{two_locus_two_island, Recombination, TwoLocus};
/// let p = TwoLocus { n1: 1.0, n2: 1.0, m1: 0.0, m2: 0.0, r: 1.0 };
/// let g = Graph::from_callback(two_locus_two_island, (2, p, Recombination::PerLineage)).unwrap();
/// assert_eq!((g.vertex_count(), g.edge_count()), (10, 19));
/// let e = PhaseType::new(&g).unwrap().expectation(None).unwrap();
/// assert!((e - 35.0 / 24.0).abs() < 1e-14);
/// ```
#[crate::callback(initial = two_locus_start(s), helpers(two_locus_start, two_locus_moves))]
pub fn two_locus_two_island(
    state: &[i32],
    out: &mut Transitions,
    s: i32,
    p: &TwoLocus,
    recombination: Recombination,
) {
    let theta = [1.0 / p.n1, 1.0 / p.n2, p.m1, p.m2, p.r];
    let per_lineage = recombination == Recombination::PerLineage;
    for (child, coeff) in two_locus_moves(state, s, per_lineage) {
        let rate: f64 = coeff.iter().zip(&theta).map(|(c, t)| c * t).sum();
        if rate > 0.0 {
            out.add(&child, rate);
        }
    }
}

/// Parameterized two-locus model, θ = (1/N1, 1/N2, M1, M2, R); every edge
/// is emitted whatever θ is (docs/MODELS.md §6).
#[crate::callback(initial = two_locus_start(s), theta_dim = 5, helpers(two_locus_start, two_locus_moves))]
pub fn two_locus_two_island_theta(
    state: &[i32],
    out: &mut Transitions,
    s: i32,
    recombination: Recombination,
) {
    for (child, coeff) in two_locus_moves(state, s, recombination == Recombination::PerLineage) {
        out.add_param(&child, 0.0, &coeff);
    }
}

fn recombination(s: &Settings) -> Result<Recombination, ModelError> {
    match s.raw("recombination") {
        Some("per_lineage") | Some("per-lineage") => Ok(Recombination::PerLineage),
        Some("per_type") | Some("per-type") => Ok(Recombination::PerType),
        other => Err(ModelError::BadValue {
            key: "recombination".into(),
            value: other.unwrap_or_default().into(),
            expected: "expected `per_lineage` or `per_type`".into(),
        }),
    }
}

pub(super) const SPEC: Spec = Spec {
    name: "two_locus_two_island",
    about: "two-locus ARG in two islands: time until both loci find their MRCA in one lineage",
    keys: &[
        ("s", "4"),
        ("n1", "1"),
        ("n2", "1"),
        ("m1", "1"),
        ("m2", "1"),
        ("r", "1"),
        ("recombination", "per_lineage"),
    ],
    rewards: &["tmrca"],
    theta: Some(Theta {
        about: "(1/N1, 1/N2, M1, M2, R)",
        dim: 5,
        build: |s| {
            Ok(built(s.graph(
                two_locus_two_island_theta,
                (s.count("s", 1)?, recombination(s)?),
            )?))
        },
    }),
    build,
};

fn build(s: &Settings) -> Result<Built, ModelError> {
    let p = TwoLocus {
        n1: s.positive("n1")?,
        n2: s.positive("n2")?,
        m1: s.rate("m1")?,
        m2: s.rate("m2")?,
        r: s.rate("r")?,
    };
    Ok(built(s.graph(
        two_locus_two_island,
        (s.count("s", 1)?, p, recombination(s)?),
    )?))
}

fn built(c: Cached) -> Built {
    let rewards = vec![("tmrca", reward_of(&c.graph, |_| 1.0))];
    Built::new(c, false, rewards)
}
