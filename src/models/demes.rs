//! Isolation with migration: two demes, and the joint site-frequency
//! spectrum (docs/MODELS.md §5).

use super::{
    Built, ExpectationFn, ModelError, Settings, Spec, Spectrum, Theta, Weighted, reward_of,
};
use phasic_cache::Cached;
use phasic_core::PhaseTypeDistribution;
use phasic_core::{Graph, GraphView, PhaseType, distribution::Uniformization};

/// Error bound of the state probabilities at the split (tighter than the
/// default: they are multiplied by expected remaining rewards).
const SPLIT_TOLERANCE: f64 = 1e-14;

/// Deme sizes and migration rates of the IM graph.
#[derive(crate::Key, Clone, Copy, Debug, PartialEq)]
pub struct Demes {
    /// Relative size of deme 1.
    pub p1: f64,
    /// Relative size of deme 2.
    pub p2: f64,
    /// Per-lineage rate of a deme-2 lineage moving to deme 1.
    pub m12: f64,
    /// Per-lineage rate of a deme-1 lineage moving to deme 2.
    pub m21: f64,
}

/// Width `m = max(n1, n2) + 1` of the encoding; slot `(i, j, p)` is `m²p + i + j·m`.
#[crate::pure]
fn im_start(n1: i32, n2: i32, ancestral: bool) -> Vec<i32> {
    let m = (n1.max(n2) + 1) as usize;
    let mut state = vec![0; 2 * m * m];
    state[1] += n1;
    state[if ancestral { m } else { m * m + m }] += n2;
    state
}

/// Migration moves in emission order: `(from slot, to slot, lineages
/// moved, from deme)`; the child is the state with one lineage moved.
#[crate::pure]
fn im_migrations(state: &[i32], m: usize) -> Vec<(usize, usize, f64, usize)> {
    let mut out = Vec::new();
    if state.iter().sum::<i32>() <= 1 {
        return out;
    }
    for i in 0..m {
        for j in 0..m {
            for p in 0..2 {
                let x = m * m * p + i + j * m;
                if state[x] > 0 {
                    out.push((x, m * m * (1 - p) + i + j * m, f64::from(state[x]), p));
                }
            }
        }
    }
    out
}

/// Coalescences within the demes listed, in emission order: `(slot x,
/// slot y, merged slot, pairs, deme)`; the child has one lineage fewer in
/// `x` and in `y` and one more in the merged slot. Pairs run over the
/// occupied slots only, `(i, j)` upward with `j` fastest, `y` up to `x`.
#[crate::pure]
fn im_coalescences(
    state: &[i32],
    m: usize,
    demes: usize,
) -> Vec<(usize, usize, usize, f64, usize)> {
    let mut out = Vec::new();
    if state.iter().sum::<i32>() <= 1 {
        return out;
    }
    for p in 0..demes {
        let base = m * m * p;
        let occupied: Vec<usize> = (0..m)
            .flat_map(|i| (0..m).map(move |j| i + j * m))
            .filter(|&k| state[base + k] > 0)
            .collect();
        for &kx in &occupied {
            let c1 = state[base + kx];
            for &ky in &occupied {
                if ky > kx || (ky == kx && c1 < 2) {
                    continue;
                }
                let merged = (kx % m + ky % m) + (kx / m + ky / m) * m;
                let pairs = if ky == kx {
                    f64::from(c1) * f64::from(c1 - 1) / 2.0
                } else {
                    f64::from(c1) * f64::from(state[base + ky])
                };
                out.push((base + kx, base + ky, base + merged, pairs, p));
            }
        }
    }
    out
}

/// The IM graph: `n1` samples in deme 1 and `n2` in deme 2, with migration, no end.
///
/// ```
/// use phasic::prelude::*;
/// use phasic::models::{isolation_migration, Demes};
/// let d = Demes { p1: 1.0, p2: 1.0, m12: 0.5, m21: 0.5 };
/// let g = Graph::from_callback(isolation_migration, (1, 1, d)).unwrap();
/// assert_eq!((g.vertex_count(), g.edge_count()), (7, 11));
/// let e = PhaseType::new(&g).unwrap().expectation(None).unwrap();
/// assert!((e - 3.0).abs() < 1e-14); // 2 + 1/(2m)
/// ```
#[crate::callback(initial = im_start(n1, n2, false), helpers(im_start, im_migrations, im_coalescences))]
pub fn isolation_migration(state: &[i32], out: &mut Transitions, n1: i32, n2: i32, d: &Demes) {
    let m = (n1.max(n2) + 1) as usize;
    // migration edges are emitted even at rate 0 (as the original does), so
    // that without migration and without a split the graph reports the
    // lineages that can never meet instead of treating them as absorbed
    for (x, y, count, p) in im_migrations(state, m) {
        out.add_moved(
            state,
            &[(x, -1), (y, 1)],
            count * if p == 0 { d.m21 } else { d.m12 },
        );
    }
    for (x, y, z, pairs, p) in im_coalescences(state, m, 2) {
        out.add_moved(
            state,
            &[(x, -1), (y, -1), (z, 1)],
            pairs / if p == 0 { d.p1 } else { d.p2 },
        );
    }
}

/// The ancestral deme after the split: one panmictic deme of size `pa`.
#[crate::callback(initial = im_start(n1, n2, true), helpers(im_start, im_coalescences))]
pub fn im_ancestral(state: &[i32], out: &mut Transitions, n1: i32, n2: i32, pa: f64) {
    let m = (n1.max(n2) + 1) as usize;
    for (x, y, z, pairs, _) in im_coalescences(state, m, 1) {
        out.add_moved(state, &[(x, -1), (y, -1), (z, 1)], pairs / pa);
    }
}

/// Parameterized IM graph, θ = (1/P shared by both demes, m12, m21); every
/// edge is emitted (docs/MODELS.md §6).
#[crate::callback(initial = im_start(n1, n2, false), theta_dim = 3, helpers(im_start, im_migrations, im_coalescences))]
pub fn isolation_migration_theta(state: &[i32], out: &mut Transitions, n1: i32, n2: i32) {
    let m = (n1.max(n2) + 1) as usize;
    for (x, y, count, p) in im_migrations(state, m) {
        let coeff = if p == 0 {
            [0.0, 0.0, count]
        } else {
            [0.0, count, 0.0]
        };
        out.add_param_moved(state, &[(x, -1), (y, 1)], 0.0, &coeff);
    }
    for (x, y, z, pairs, _) in im_coalescences(state, m, 2) {
        out.add_param_moved(state, &[(x, -1), (y, -1), (z, 1)], 0.0, &[pairs, 0.0, 0.0]);
    }
}

/// The IM model split at time `t` from an ancestral deme of size `pa`:
/// expectations are `Σ_v A_v(t)·r(v) + Σ_v P_v(t)·x^A_{φ(v)}(r)`, with the
/// state probabilities `P` and accumulated times `A` of the IM graph from
/// exact uniformization, and `φ(v)` the ancestral vertex of `v`'s lineages
/// merged into one deme (docs/MODELS.md §5).
struct Split<'g, G: GraphView + ?Sized> {
    im: &'g G,
    anc: Graph,
    p: Vec<f64>,
    a: Vec<f64>,
    phi: Vec<Option<usize>>,
}

impl<'g, G: GraphView + ?Sized> Split<'g, G> {
    fn new(im: &'g G, n1: i32, n2: i32, t: f64, pa: f64) -> Result<Self, ModelError> {
        let m = (n1.max(n2) + 1) as usize;
        let anc = Graph::from_callback(im_ancestral, (n1, n2, pa))?;
        let u = Uniformization::new(im, SPLIT_TOLERANCE)?;
        let phi = (0..im.vertex_count())
            .map(|v| {
                let s = im.state(v);
                let merged: Vec<i32> = (0..2 * m * m)
                    .map(|x| if x < m * m { s[x] + s[x + m * m] } else { 0 })
                    .collect();
                anc.find_vertex(&merged)
            })
            .collect();
        Ok(Split {
            im,
            p: u.state_probabilities(t)?,
            a: u.accumulated_visiting_time(t)?,
            anc,
            phi,
        })
    }

    /// `E[Y]` for the reward `reward(state)` (the same function of the state in both phases).
    fn expectation(&self, reward: impl Fn(&[i32]) -> f64) -> Result<f64, ModelError> {
        let x_anc = PhaseType::new(&self.anc)?
            .expected_waiting_time(Some(&reward_of(&self.anc, &reward)))?;
        let mut total = 0.0;
        for v in 1..self.im.vertex_count() {
            total += self.a[v] * reward(self.im.state(v));
            if self.p[v] > 0.0 {
                total += self.p[v] * self.phi[v].map_or(0.0, |w| x_anc[w]);
            }
        }
        Ok(total)
    }
}

/// The expected joint SFS `E[ξ_ij]` (rows `i = 0..=n1`, columns
/// `j = 0..=n2`; the corners `(0, 0)` and `(n1, n2)` are 0): the reward
/// `r_ij(v)` = lineages of type `(i, j)` in either deme. Without a split
/// (`split = None`) it is the reward expectation on the IM graph; with
/// `split = Some((t, pa))` see `Split`.
pub fn joint_sfs<G: GraphView>(
    im: &G,
    n1: i32,
    n2: i32,
    split: Option<(f64, f64)>,
) -> Result<Vec<Vec<f64>>, ModelError> {
    joint_sfs_of(
        &Weighted {
            graph: im,
            program: None,
        },
        n1,
        n2,
        split,
    )
}

/// [`joint_sfs`] of a weighted IM graph (its program may come from a trace).
fn joint_sfs_of(
    w: &Weighted<'_>,
    n1: i32,
    n2: i32,
    split: Option<(f64, f64)>,
) -> Result<Vec<Vec<f64>>, ModelError> {
    let im = w.graph;
    let m = (n1.max(n2) + 1) as usize;
    let r = |i: usize, j: usize| move |s: &[i32]| f64::from(s[i + j * m] + s[m * m + i + j * m]);
    let mut out = vec![vec![0.0; n2 as usize + 1]; n1 as usize + 1];
    let cells = (0..=n1 as usize)
        .flat_map(|i| (0..=n2 as usize).map(move |j| (i, j)))
        .filter(|&(i, j)| (i, j) != (0, 0) && (i, j) != (n1 as usize, n2 as usize));
    match split {
        None => {
            let ph = w.phase_type()?;
            for (i, j) in cells {
                out[i][j] = ph.expectation(Some(&reward_of(im, r(i, j))))?;
            }
        }
        Some((t, pa)) => {
            let split = Split::new(im, n1, n2, t, pa)?;
            for (i, j) in cells {
                out[i][j] = split.expectation(r(i, j))?;
            }
        }
    }
    Ok(out)
}

pub(super) const SPEC: Spec = Spec {
    name: "isolation_migration",
    about: "two demes with migration (optionally split from an ancestral deme at time t): the joint SFS",
    keys: &[
        ("n1", "2"),
        ("n2", "2"),
        ("p1", "1"),
        ("p2", "1"),
        ("m12", "0.5"),
        ("m21", "0.5"),
        ("pa", "1"),
        ("t", "none"),
    ],
    rewards: &["tmrca"],
    theta: Some(Theta {
        about: "(1/P shared by both demes, m12, m21)",
        dim: 3,
        build: |s| {
            let (n1, n2) = (s.count("n1", 0)?, s.count("n2", 0)?);
            Ok(built(
                s.graph(isolation_migration_theta, (n1, n2))?,
                n1,
                n2,
                None,
            ))
        },
    }),
    build,
};

fn build(s: &Settings) -> Result<Built, ModelError> {
    let (n1, n2) = (s.count("n1", 0)?, s.count("n2", 0)?);
    if n1 + n2 < 2 {
        return Err(ModelError::BadValue {
            key: "n1".into(),
            value: n1.to_string(),
            expected: format!("n1 + n2 must be at least 2 (n2 = {n2})"),
        });
    }
    let d = Demes {
        p1: s.positive("p1")?,
        p2: s.positive("p2")?,
        m12: s.rate("m12")?,
        m21: s.rate("m21")?,
    };
    let split = match s.optional::<f64>("t", "a split time")? {
        Some(t) if !(t.is_finite() && t >= 0.0) => {
            return Err(ModelError::BadValue {
                key: "t".into(),
                value: t.to_string(),
                expected: "expected a finite, non-negative split time".into(),
            });
        }
        Some(t) => Some((t, s.positive("pa")?)),
        None => None,
    };
    Ok(built(
        s.graph(isolation_migration, (n1, n2, d))?,
        n1,
        n2,
        split,
    ))
}

fn built(c: Cached, n1: i32, n2: i32, split: Option<(f64, f64)>) -> Built {
    let rewards = vec![("tmrca", reward_of(&c.graph, |_| 1.0))];
    Built {
        sfs: Some(Box::new(move |w: &Weighted<'_>| {
            joint_sfs_of(w, n1, n2, split).map(Spectrum::Joint)
        })),
        split_expectation: split.map(|(t, pa)| {
            Box::new(move |g: &dyn GraphView| Split::new(g, n1, n2, t, pa)?.expectation(|_| 1.0))
                as ExpectationFn
        }),
        ..Built::new(c, false, rewards)
    }
}
