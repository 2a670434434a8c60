//! Lineages by type and deme: the state space of one interval, grown by a
//! `#[phasic::callback]` rule, and the moves of lineages at the boundary
//! between intervals (docs/MODELS.md §9).
//!
//! With sample groups of sizes `n_1 … n_P`, a lineage's type is
//! `(i_1 … i_P)`, how many samples of each group it subtends, coded in
//! mixed radix `code = Σ i_p·Π_{q<p}(n_q + 1)`; type slot `code − 1`
//! (the all-zero type never occurs). Two lineages that coexist subtend
//! disjoint samples, so the code of their merger is the sum of their
//! codes: slot `a + b + 1`. A state counts lineages by (deme slot, type):
//! entry `d·T + t`, with `T = Π(n_p + 1) − 1` types.

use std::collections::HashMap;

use phasic_core::GraphView;

use super::history::Event;
use super::real::{Dual, Real};

/// The rule's view of one interval.
#[derive(crate::Key, Clone, Debug, PartialEq)]
pub struct Layout {
    /// Number of lineage types `T`.
    pub types: i32,
    /// Number of demes in the state (those that exist in the interval).
    pub demes: i32,
    /// Backward migrations `(from slot, to slot)`, each at its own rate.
    pub migrations: Vec<(i32, i32)>,
    /// Whether every sample has joined: one lineage is then the MRCA and
    /// absorbing; before, a lone lineage keeps migrating.
    pub complete: bool,
}

/// Every entry state with the same probability (the graph's structure is
/// all that is built; the entry distribution is set when evaluating).
#[crate::pure]
fn uniform(entry: &[Vec<i32>]) -> Vec<(Vec<i32>, f64)> {
    let p = 1.0 / entry.len() as f64;
    entry.iter().map(|s| (s.clone(), p)).collect()
}

/// One interval's chain. Edge weights are multiplicities: the number of
/// pairs for a coalescence (pairs × `1/(2N_d)`), the number of lineages
/// for a migration (× the migration rate); `classes` tells which rate
/// each edge takes, so that one graph serves every size and rate.
///
/// Emission order: per deme slot, pairs of types `a ≤ b` upward; then per
/// migration, types upward.
#[crate::callback(initial = uniform(&entry), helpers(uniform))]
pub fn demes_interval(state: &[i32], out: &mut Transitions, layout: &Layout, entry: Vec<Vec<i32>>) {
    let t = layout.types as usize;
    if layout.complete && state.iter().sum::<i32>() <= 1 {
        return;
    }
    for d in 0..layout.demes as usize {
        let base = d * t;
        for a in 0..t {
            let ca = state[base + a];
            if ca == 0 {
                continue;
            }
            for b in a..t {
                let cb = state[base + b];
                let pairs = if a == b { ca * (ca - 1) / 2 } else { ca * cb };
                if pairs == 0 {
                    continue;
                }
                let merged = [(base + a, -1), (base + b, -1), (base + a + b + 1, 1)];
                out.add_moved(state, &merged, f64::from(pairs));
            }
        }
    }
    for &(from, to) in &layout.migrations {
        for ty in 0..t {
            let (x, y) = (from as usize * t + ty, to as usize * t + ty);
            if state[x] > 0 {
                out.add_moved(state, &[(x, -1), (y, 1)], f64::from(state[x]));
            }
        }
    }
}

/// Which rate an edge takes: coalescence in deme slot `d` (class `d`),
/// migration `k` of the layout (class `D + k`), or none (the start's edges).
pub(crate) const NO_CLASS: u32 = u32::MAX;

/// The class of every edge of an interval's graph, from the states it joins.
pub(crate) fn classes<G: GraphView + ?Sized>(graph: &G, layout: &Layout) -> Vec<u32> {
    let t = layout.types as usize;
    let d = layout.demes as u32;
    let targets = graph.targets();
    let mut out = vec![NO_CLASS; graph.edge_count()];
    for v in 1..graph.vertex_count() {
        let s = graph.state(v);
        for e in graph.edge_range(v) {
            let c = graph.state(targets[e] as usize);
            // the first slot that loses, the first that gains, and the
            // change in lineages (−1 for a coalescence, 0 for a migration)
            let (mut lost, mut gained, mut net) = (None, None, 0);
            for (i, (x, y)) in s.iter().zip(c).enumerate() {
                net += y - x;
                if y < x && lost.is_none() {
                    lost = Some(i);
                }
                if y > x && gained.is_none() {
                    gained = Some(i);
                }
            }
            out[e] = match (lost, gained) {
                (Some(i), _) if net < 0 => (i / t) as u32,
                (Some(i), Some(j)) => {
                    let pair = ((i / t) as i32, (j / t) as i32);
                    let k = layout.migrations.iter().position(|&m| m == pair);
                    k.map_or(NO_CLASS, |k| d + k as u32)
                }
                _ => NO_CLASS,
            };
        }
    }
    out
}

/// The lineage types of sample groups of sizes `counts`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Types {
    /// `n_p + 1` per group.
    radix: Vec<usize>,
}

impl Types {
    pub(crate) fn new(counts: &[i32]) -> Types {
        Types {
            radix: counts.iter().map(|&n| n as usize + 1).collect(),
        }
    }

    /// `T`, the number of types (codes `1..=T`).
    pub(crate) fn len(&self) -> usize {
        self.radix.iter().product::<usize>() - 1
    }

    /// The slot of the type of one sample of group `g`.
    pub(crate) fn singleton(&self, g: usize) -> usize {
        self.radix[..g].iter().product::<usize>() - 1
    }

    /// `(i_1 … i_P)` of type slot `t`.
    pub(crate) fn digits(&self, slot: usize) -> Vec<usize> {
        let mut code = slot + 1;
        self.radix
            .iter()
            .map(|&r| {
                let d = code % r;
                code /= r;
                d
            })
            .collect()
    }
}

/// A pulse whose proportions sum to 1 within this leaves no lineage behind.
const STAY_SNAP: f64 = 1e-9;

/// Lineages of every deme of the model, `deme·T + type`.
type Census = Vec<i32>;

/// The moves at an interval boundary, from one layout (`from`: the demes
/// of the interval before) to the next (`to`).
pub(crate) struct Boundary<'a, T = f64> {
    pub types: usize,
    pub demes: usize,
    pub from: &'a [usize],
    pub to: &'a [usize],
    pub events: &'a [Event<T>],
    /// Lineages per group (`Sample` events).
    pub groups: &'a [(usize, usize, i32)],
}

impl<T: Real> Boundary<'_, T> {
    /// The states (in the next layout) that `state` (in the previous one)
    /// becomes, with their probabilities, in a fixed order.
    pub(crate) fn outcomes(&self, state: &[i32]) -> Vec<(Vec<i32>, T)> {
        let t = self.types;
        let mut census: Census = vec![0; self.demes * t];
        for (slot, &deme) in self.from.iter().enumerate() {
            census[deme * t..(deme + 1) * t].copy_from_slice(&state[slot * t..(slot + 1) * t]);
        }
        let mut outcomes = vec![(census, T::constant(1.0))];
        for event in self.events {
            outcomes = match event {
                Event::Sample { group } => {
                    let (deme, ty, count) = self.groups[*group];
                    for (c, _) in &mut outcomes {
                        c[deme * t + ty] += count;
                    }
                    outcomes
                }
                Event::Pulse { dest, sources } => {
                    // proportions summing to 1 up to rounding leave none behind
                    let stay = sources.iter().fold(T::constant(1.0), |left, s| left - s.1);
                    let stay = if stay.value() < STAY_SNAP {
                        T::constant(0.0)
                    } else {
                        stay
                    };
                    let mut targets = vec![(*dest, stay)];
                    targets.extend_from_slice(sources);
                    self.split(outcomes, *dest, &targets)
                }
                Event::Begin { deme, ancestors } => self.split(outcomes, *deme, ancestors),
            };
        }
        outcomes
            .into_iter()
            .map(|(census, p)| {
                let mut state = vec![0; self.to.len() * t];
                for (slot, &deme) in self.to.iter().enumerate() {
                    state[slot * t..(slot + 1) * t]
                        .copy_from_slice(&census[deme * t..(deme + 1) * t]);
                }
                (state, p)
            })
            .collect()
    }

    /// Each lineage of `deme` moves to target `k` with probability
    /// `targets[k].1`: per type a multinomial split of its count.
    fn split(
        &self,
        outcomes: Vec<(Census, T)>,
        deme: usize,
        targets: &[(usize, T)],
    ) -> Vec<(Census, T)> {
        let t = self.types;
        let mut out = Vec::new();
        for (census, p) in outcomes {
            let mut partial = vec![(census, p)];
            for ty in 0..t {
                let c = partial[0].0[deme * t + ty];
                if c == 0 {
                    continue;
                }
                let mut next = Vec::new();
                for (census, p) in partial {
                    for (counts, q) in compositions(c, targets) {
                        let mut moved = census.clone();
                        moved[deme * t + ty] = 0;
                        for (&(target, _), &k) in targets.iter().zip(&counts) {
                            moved[target * t + ty] += k;
                        }
                        next.push((moved, p * q));
                    }
                }
                partial = next;
            }
            out.extend(partial);
        }
        out
    }
}

/// Ways to send `c` lineages to targets with probabilities `q_k`: counts
/// `(a_k)` summing to `c` and `c!/Π a_k!·Π q_k^{a_k}`; targets with
/// probability 0 receive none.
fn compositions<T: Real>(c: i32, targets: &[(usize, T)]) -> Vec<(Vec<i32>, T)> {
    let mut out = Vec::new();
    let mut counts = vec![0; targets.len()];
    fn walk<T: Real>(
        k: usize,
        left: i32,
        prob: T,
        counts: &mut Vec<i32>,
        targets: &[(usize, T)],
        out: &mut Vec<(Vec<i32>, T)>,
    ) {
        let q = targets[k].1;
        if k + 1 == targets.len() {
            if left == 0 || q.value() > 0.0 {
                counts[k] = left;
                out.push((counts.clone(), prob * q.powi(left)));
            }
            return;
        }
        // a_k lineages to target k, chosen among `left`: C(left, a_k)·q^a_k
        let mut binom = 1.0;
        for a in 0..=left {
            if a > 0 {
                if q.value() == 0.0 {
                    break;
                }
                binom = binom * f64::from(left - a + 1) / f64::from(a);
            }
            counts[k] = a;
            walk(
                k + 1,
                left - a,
                prob * T::constant(binom) * q.powi(a),
                counts,
                targets,
                out,
            );
        }
    }
    walk(0, c, T::constant(1.0), &mut counts, targets, &mut out);
    out.retain(|(_, p)| p.value() > 0.0);
    out
}

/// Where the mass of each vertex of one interval's graph goes at the
/// boundary to the next, per vertex its moves to the next graph's
/// vertices.
pub(crate) struct Transfer {
    /// Moves of vertex `v`: `moves[offsets[v]..offsets[v + 1]]`, each
    /// `(next vertex, probability)`.
    pub offsets: Vec<usize>,
    pub moves: Vec<(u32, f64)>,
}

impl Transfer {
    /// The outcomes of every vertex of `graph` but the start, and the next
    /// graph's entry states they name, distinct, in order of first
    /// appearance (entry `i` becomes vertex `i + 1`, the order in which a
    /// graph registers its initial states).
    pub(crate) fn new<G: GraphView + ?Sized>(
        graph: &G,
        boundary: &Boundary<'_>,
    ) -> (Vec<Vec<i32>>, Transfer) {
        let mut index: HashMap<Vec<i32>, u32> = HashMap::new();
        let mut entry = Vec::new();
        let mut offsets = vec![0, 0];
        let mut moves = Vec::new();
        for v in 1..graph.vertex_count() {
            for (s, p) in boundary.outcomes(graph.state(v)) {
                let next = entry.len() as u32 + 1;
                let to = *index.entry(s).or_insert_with_key(|s| {
                    entry.push(s.clone());
                    next
                });
                moves.push((to, p));
            }
            offsets.push(moves.len());
        }
        (entry, Transfer { offsets, moves })
    }

    /// The derivative of every move's probability along the direction
    /// that `boundary`'s dual proportions carry (the moves are those of
    /// [`Transfer::new`] with the same structure, in the same order).
    pub(crate) fn tangent<G: GraphView + ?Sized>(
        &self,
        graph: &G,
        boundary: &Boundary<'_, Dual>,
    ) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.moves.len());
        for v in 1..graph.vertex_count() {
            out.extend(boundary.outcomes(graph.state(v)).iter().map(|(_, p)| p.d));
        }
        debug_assert_eq!(out.len(), self.moves.len());
        out
    }

    /// `p·M` for the moves `M` with the probabilities `dprob` (their
    /// derivatives along a direction, from [`Transfer::tangent`]).
    pub(crate) fn apply_tangent(&self, p: &[f64], vertices: usize, dprob: &[f64]) -> Vec<f64> {
        self.spread(p, vertices, |i| dprob[i])
    }

    /// The distribution `p` on the next graph (of `vertices` vertices).
    pub(crate) fn apply(&self, p: &[f64], vertices: usize) -> Vec<f64> {
        self.spread(p, vertices, |i| self.moves[i].1)
    }

    /// `p` moved along the moves, move `i` weighted by `weight(i)`.
    fn spread(&self, p: &[f64], vertices: usize, weight: impl Fn(usize) -> f64) -> Vec<f64> {
        let mut next = vec![0.0; vertices];
        for (v, &pv) in p.iter().enumerate().skip(1) {
            if pv != 0.0 {
                for i in self.offsets[v]..self.offsets[v + 1] {
                    next[self.moves[i].0 as usize] += pv * weight(i);
                }
            }
        }
        next
    }
}
