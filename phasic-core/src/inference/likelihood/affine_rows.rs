//! Sparse matrices whose entries are linear in θ, applied row by row to
//! first-order dual numbers: the hot loop of the likelihood's series.
//!
//! An edge weight is `w = b + Σ_q c_q θ_q`, so a row of the uniformized
//! chain, `Σ_{u→t} x[u]·w/Λ`, splits into θ-free sums, one per
//! coefficient ("key": the base or a parameter), each scaled at the end by
//! a per-lane factor (`1/Λ` or `θ_q/Λ`): `Σ_key f_key · Σ_{terms} c·x[u]`.
//! The terms hold plain numbers shared by every θ, and the derivative
//! along `θ_q` of a row is its `q` sum's value times the scale — no
//! per-θ coefficient is stored.
//!
//! A dual number has `D` components (a value and `D − 1` partials) in `L`
//! lanes (θs evaluated side by side), stored as `[[f64; L]; D]`. Every lane
//! runs the same operations in the same order, so a lane's result does
//! not depend on what runs beside it. [`Chain::run`] is compiled a second
//! time for AVX2 and FMA and picks that copy at run time; every
//! multiply-add in both copies is a fused [`f64::mul_add`] (correctly
//! rounded, in hardware or in software), so results are bit-identical on
//! every CPU.

// Loops index lanes and components by constant ranges on purpose: that is
// the form that unrolls into vector operations with the sums kept in
// registers (iterator chains here measured twice as slow).
#![allow(clippy::needless_range_loop)]

/// `D` components in `L` lanes.
pub(crate) type Dual<const D: usize, const L: usize> = [[f64; L]; D];

/// A sparse matrix linear in θ, by rows: each row a list of groups (one
/// per key: 0 for the base, `q + 1` for `θ_q`), each group a list of
/// `(source, coefficient)` terms with nonzero coefficients.
///
/// Rows are read in order with a [`Cursor`]: a row's groups follow the
/// previous row's and a group's terms the previous group's, so a group is
/// one 8-byte record (key, term count) and a row one end index — the
/// fewest loads of bookkeeping in a loop bound by loads.
#[derive(Debug, Clone, Default)]
pub(crate) struct AffineRows {
    /// One past the last group of every row.
    row_ends: Vec<u32>,
    groups: Vec<Group>,
    sources: Vec<u32>,
    coeffs: Vec<f64>,
    /// One more than the largest source (the length a vector needs).
    columns: usize,
    /// One more than the largest key.
    keys: usize,
}

/// A group of a row's terms: their key and how many there are.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Group {
    key: u32,
    terms: u32,
}

/// Where the reading of a [`AffineRows`] is: the next row, group and
/// term. It only moves forward through the rows, groups and terms that
/// exist.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    row: usize,
    group: usize,
    term: usize,
}

impl AffineRows {
    /// Appends a row from its terms `(source, key, coefficient)`; terms
    /// are grouped by key (in key order, each group in the given order)
    /// and zero coefficients are left out.
    pub(crate) fn push_row(&mut self, terms: impl IntoIterator<Item = (u32, usize, f64)>) {
        let mut terms: Vec<(u32, usize, f64)> = terms.into_iter().filter(|t| t.2 != 0.0).collect();
        terms.sort_by_key(|t| t.1); // stable: each group keeps its order
        for (i, &(src, key, c)) in terms.iter().enumerate() {
            if i == 0 || terms[i - 1].1 != key {
                self.groups.push(Group {
                    key: key as u32,
                    terms: 0,
                });
                self.keys = self.keys.max(key + 1);
            }
            if let Some(g) = self.groups.last_mut() {
                g.terms += 1;
            }
            self.sources.push(src);
            self.coeffs.push(c);
            self.columns = self.columns.max(src as usize + 1);
        }
        self.row_ends.push(self.groups.len() as u32);
    }

    /// Number of rows.
    fn rows(&self) -> usize {
        self.row_ends.len()
    }

    /// The source's value and the coefficient of term `i`.
    ///
    /// # Safety
    ///
    /// `i` is a term (below `sources.len()`: a cursor's terms are) and
    /// every source is below `x.len()`.
    #[inline(always)]
    unsafe fn term<'x, const D: usize, const L: usize>(
        &self,
        i: usize,
        x: &'x [Dual<D, L>],
    ) -> (&'x Dual<D, L>, f64) {
        // SAFETY: the caller's promise
        unsafe {
            let src = *self.sources.get_unchecked(i);
            (x.get_unchecked(src as usize), *self.coeffs.get_unchecked(i))
        }
    }

    /// `acc += Σ_key factor_key · Σ_terms c·x[src]` over the groups of
    /// the cursor's row, which it then leaves; the value part of group `θ_q`'s sum, times the scale, also
    /// goes to the component carrying `∂/∂θ_q` (if any). A group with no
    /// such component adds its terms straight into `acc`, each with its
    /// coefficient times the factor (no sum to keep: fewer loads and
    /// registers in a loop bound by loads).
    ///
    /// # Safety
    ///
    /// Every source of these rows is below `x.len()` (`self.columns ≤
    /// x.len()`), and every key is below both `scaling.factors.len()` and
    /// `scaling.components.len()` (`self.keys` ≤ both): the reads are
    /// unchecked. `Chain::run` asserts both before its loop. The cursor
    /// must have come from `Cursor::default()` and only ever been advanced
    /// by `gather` on these rows (then its terms follow the groups).
    #[inline(always)]
    unsafe fn gather<const D: usize, const L: usize>(
        &self,
        cursor: &mut Cursor,
        x: &[Dual<D, L>],
        scaling: &Scaling<L>,
        acc: &mut Dual<D, L>,
    ) {
        let end = self.row_ends[cursor.row] as usize;
        cursor.row += 1;
        while cursor.group < end {
            // SAFETY: `cursor.group < end ≤ groups.len()` (row ends are
            // group counts)
            let Group { key, terms } = unsafe { *self.groups.get_unchecked(cursor.group) };
            // SAFETY: keys are below `self.keys`, which the caller keeps
            // within the factors and the components
            let (f, component) = unsafe {
                (
                    scaling.factors.get_unchecked(key as usize),
                    *scaling.components.get_unchecked(key as usize),
                )
            };
            let terms = cursor.term..cursor.term + terms as usize;
            cursor.group += 1;
            cursor.term = terms.end;
            if component == 0 {
                for i in terms {
                    // SAFETY: a cursor's terms follow its groups' counts, so
                    // `i < sources.len()`; the caller keeps every source
                    // below `x.len()`
                    let (xs, c) = unsafe { self.term(i, x) };
                    let cf: [f64; L] = std::array::from_fn(|l| c * f[l]);
                    for j in 0..D {
                        for l in 0..L {
                            acc[j][l] = xs[j][l].mul_add(cf[l], acc[j][l]);
                        }
                    }
                }
                continue;
            }
            let mut sum = [[0.0; L]; D];
            for i in terms {
                // SAFETY: as above
                let (xs, c) = unsafe { self.term(i, x) };
                for j in 0..D {
                    for l in 0..L {
                        sum[j][l] = xs[j][l].mul_add(c, sum[j][l]);
                    }
                }
            }
            for j in 0..D {
                for l in 0..L {
                    acc[j][l] = sum[j][l].mul_add(f[l], acc[j][l]);
                }
            }
            // a fixed index per unrolled iteration keeps `acc` in registers
            for j in 1..D {
                if j == component {
                    for l in 0..L {
                        acc[j][l] = sum[0][l].mul_add(scaling.scale[l], acc[j][l]);
                    }
                }
            }
        }
    }
}

/// The per-lane factors of a [`AffineRows`] at some θs.
#[derive(Debug, Clone)]
pub(crate) struct Scaling<const L: usize> {
    /// Factor of every key: `scale` for the base, `θ_q·scale` for `θ_q`.
    pub(crate) factors: Vec<[f64; L]>,
    /// The scale itself.
    pub(crate) scale: [f64; L],
    /// The dual component carrying `∂/∂θ_q` for every key (0: none).
    pub(crate) components: Vec<usize>,
}

impl<const L: usize> Scaling<L> {
    /// Factors for `thetas` (one per lane) scaled by `scale`, with
    /// derivatives along the parameters `pass` (components `1..`).
    pub(crate) fn new(thetas: [&[f64]; L], scale: [f64; L], pass: &[usize]) -> Self {
        let p = thetas[0].len();
        let mut factors = vec![scale];
        factors.extend((0..p).map(|q| std::array::from_fn(|l| thetas[l][q] * scale[l])));
        let mut components = vec![0; p + 1];
        for (j, &q) in pass.iter().enumerate() {
            components[q + 1] = j + 1;
        }
        Scaling {
            factors,
            scale,
            components,
        }
    }
}

/// The uniformized chain of a likelihood at `L` θs:
/// `x_{k+1}[t] = x_k[t]·stay_t + row t of moves at x_k`, and the exit
/// flow `g_k = exits at x_k`, with derivatives in `D` components.
pub(crate) struct Chain<'a, const D: usize, const L: usize> {
    pub(crate) moves: &'a AffineRows,
    pub(crate) move_scaling: Scaling<L>,
    pub(crate) exits: &'a AffineRows,
    pub(crate) exit_scaling: Scaling<L>,
    /// `1 − λ_t/Λ` per state and lane.
    pub(crate) stay: Vec<[f64; L]>,
    /// `∂λ_t/∂θ` (θ-free) per state at the components that carry it
    /// (component 0 unused), so that `∂stay_t = −∂λ_t · scale`.
    pub(crate) rate_partials: Vec<[f64; D]>,
    /// `frontier[k]`: every row that can be nonzero after `k` steps is
    /// below it (after more steps than it lists: below its last entry;
    /// the starting vector's nonzero rows are below `frontier[0]`). Rows
    /// past the frontier are zero and are not computed.
    pub(crate) frontier: &'a [usize],
}

/// A lane whose mass (the sum of its values, all non-negative) falls below
/// `2^−RESCALE` is multiplied by `2^RESCALE` (exact), so that the chain's
/// values never underflow (nor overflow: they stay below 1): far
/// in a density's tail they may fall below 1e-308 long before the density
/// (whose logarithm is what the likelihood needs) is out of reach.
const RESCALE: i64 = 600;

/// The exit flows of a [`Chain`]: the true `g_k` of lane `l` is
/// `g[k][·][l]·2^exponents[k][l]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Flows<const D: usize, const L: usize> {
    /// `g_k`, each lane scaled by a power of two.
    pub(crate) g: Vec<Dual<D, L>>,
    /// The binary exponent of every step's lanes (0 or negative).
    pub(crate) exponents: Vec<[i64; L]>,
}

impl<const D: usize, const L: usize> Flows<D, L> {
    /// Lane `l` of `g_k` and its binary exponent.
    pub(crate) fn lane(&self, k: usize, l: usize) -> ([f64; D], i64) {
        let mut v = [0.0; D];
        for (vj, gj) in v.iter_mut().zip(&self.g[k]) {
            *vj = gj[l];
        }
        (v, self.exponents[k][l])
    }
}

impl<const D: usize, const L: usize> Chain<'_, D, L> {
    /// `g_k` for `k = 0..=steps`, starting at `x`.
    pub(crate) fn run(&self, x: Vec<Dual<D, L>>, steps: usize) -> Flows<D, L> {
        // what the unchecked reads in `AffineRows::gather` rely on
        assert!(
            self.moves.rows() == x.len()
                && self.moves.columns <= x.len()
                && self.exits.columns <= x.len()
                && self.exits.rows() == 1,
            "a chain's rows and vector disagree"
        );
        for (rows, scaling) in [
            (self.moves, &self.move_scaling),
            (self.exits, &self.exit_scaling),
        ] {
            assert!(
                rows.keys <= scaling.factors.len() && rows.keys <= scaling.components.len(),
                "a chain's rows have keys without factors"
            );
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the running CPU supports AVX2 and FMA, checked just above.
            return unsafe { self.run_avx2(x, steps) };
        }
        self.run_portable(x, steps)
    }

    /// [`run`](Self::run) compiled for AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn run_avx2(&self, x: Vec<Dual<D, L>>, steps: usize) -> Flows<D, L> {
        self.run_portable(x, steps)
    }

    #[inline(always)]
    fn run_portable(&self, mut x: Vec<Dual<D, L>>, steps: usize) -> Flows<D, L> {
        let scale = &self.move_scaling.scale;
        let mut g = Vec::with_capacity(steps + 1);
        let mut exponents = Vec::with_capacity(steps + 1);
        let mut exponent = [0i64; L];
        let mut next = vec![[[0.0; L]; D]; x.len()];
        let tiny = f64::from_bits(((1023 - RESCALE) as u64) << 52);
        let lift = f64::from_bits(((1023 + RESCALE) as u64) << 52);
        for k in 0..=steps {
            let mut gk = [[0.0; L]; D];
            // SAFETY: `run` asserted `exits.columns ≤ x.len()` and that the
            // exit keys have factors and components; the cursor is new
            unsafe {
                self.exits
                    .gather(&mut Cursor::default(), &x, &self.exit_scaling, &mut gk);
            }
            g.push(gk);
            exponents.push(exponent);
            if k == steps {
                break;
            }
            // rows past the frontier are zero in `next` (it holds x_{k−1})
            let active = self.frontier.get(k + 1).or(self.frontier.last());
            let active = active.copied().unwrap_or(0).min(next.len());
            let diagonal = self.stay.iter().zip(&self.rate_partials);
            let rows = next[..active].iter_mut().zip(&x).zip(diagonal);
            let mut cursor = Cursor::default();
            // each lane's transient mass (the values are non-negative):
            // one addition a row, cheaper than a maximum, and below 2^−600
            // only when every value is
            let mut mass = [0.0f64; L];
            for ((n, xt), (stay, o)) in rows {
                // the diagonal: x[t]·stay_t, ∂stay_t/∂θ_q = −(∂λ_t/∂θ_q)/Λ
                let mut acc = [[0.0; L]; D];
                for j in 0..D {
                    for l in 0..L {
                        acc[j][l] = xt[j][l] * stay[l];
                    }
                }
                for j in 1..D {
                    for l in 0..L {
                        acc[j][l] = (-xt[0][l]).mul_add(o[j] * scale[l], acc[j][l]);
                    }
                }
                // SAFETY: `run` asserted `moves.columns ≤ x.len()` and that
                // the move keys have factors and components; the cursor is
                // advanced by these rows only, one row per vertex
                unsafe {
                    self.moves
                        .gather(&mut cursor, &x, &self.move_scaling, &mut acc);
                }
                for l in 0..L {
                    mass[l] += acc[0][l];
                }
                *n = acc;
            }
            std::mem::swap(&mut x, &mut next);
            // lanes whose mass fell below 2^−RESCALE are lifted
            for l in 0..L {
                if mass[l] < tiny && mass[l] > 0.0 {
                    for xt in x[..active].iter_mut() {
                        for j in 0..D {
                            xt[j][l] *= lift;
                        }
                    }
                    exponent[l] -= RESCALE;
                }
            }
        }
        Flows { g, exponents }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One parameter θ, two states: `x_0 → x_1` at rate `θ`, `x_1` exits
    /// at rate `2`; Λ = 4. Lanes θ = 1 and θ = 3.
    #[test]
    fn chains_step_dual_numbers_lane_by_lane() {
        let mut moves = AffineRows::default();
        moves.push_row([]);
        moves.push_row([(0, 1, 1.0)]);
        let mut exits = AffineRows::default();
        exits.push_row([(1, 0, 2.0), (0, 0, 0.0)]);
        let thetas: [&[f64]; 2] = [&[1.0], &[3.0]];
        let inv = [0.25; 2];
        let chain = Chain {
            moves: &moves,
            move_scaling: Scaling::new(thetas, inv, &[0]),
            exits: &exits,
            exit_scaling: Scaling::new(thetas, [1.0; 2], &[0]),
            stay: vec![[0.75, 0.25], [0.5, 0.5]],
            rate_partials: vec![[0.0, 1.0], [0.0, 0.0]],
            frontier: &[1, 2],
        };
        let x = vec![[[1.0, 1.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]];
        let flows = chain.run(x.clone(), 2);
        assert!(flows.exponents.iter().all(|e| *e == [0, 0]));
        let g = flows.g;
        // x_1 = (1 − θ/4, θ/4), ∂ = (−1/4, 1/4): g_1 = 2·θ/4, ∂g_1 = 1/2
        assert_eq!(g[0], [[0.0, 0.0], [0.0, 0.0]]);
        assert_eq!(g[1], [[0.5, 1.5], [0.5, 0.5]]);
        // x_2[1] = x_1[0]·θ/4 + x_1[1]/2 = (1 − θ/4)θ/4 + θ/8,
        // ∂ = (1 − θ/2)/4 + 1/8; g_2 = 2·x_2[1]
        assert_eq!(g[2], [[0.625, 1.125], [0.5, 0.0]]);
        // the copy for this CPU and the portable one agree
        assert_eq!(chain.run_portable(x, 2).g, g);
        // without derivatives every group adds its terms straight into the
        // rows: the same values
        let values = Chain {
            moves: &moves,
            move_scaling: Scaling::new(thetas, inv, &[]),
            exits: &exits,
            exit_scaling: Scaling::new(thetas, [1.0; 2], &[]),
            stay: vec![[0.75, 0.25], [0.5, 0.5]],
            rate_partials: vec![[0.0], [0.0]],
            frontier: &[1, 2],
        };
        let v = values.run(vec![[[1.0, 1.0]], [[0.0, 0.0]]], 2).g;
        assert_eq!(v, g.iter().map(|gk| [gk[0]]).collect::<Vec<_>>());
    }

    /// A line `0 → 1 → 2 → 3 → exit` at rate θ (Λ = θ): skipping the rows
    /// the start cannot have reached yet changes nothing, and a frontier
    /// that stops short of the rows there are leaves the rest at zero.
    #[test]
    fn rows_past_the_frontier_are_zero_and_skipped() {
        let mut moves = AffineRows::default();
        moves.push_row([]);
        for t in 1..4 {
            moves.push_row([(t - 1, 1, 1.0)]);
        }
        let mut exits = AffineRows::default();
        exits.push_row([(3, 1, 1.0)]);
        let thetas: [&[f64]; 1] = [&[2.0]];
        let chain = |frontier| Chain {
            moves: &moves,
            move_scaling: Scaling::new(thetas, [0.5], &[0]),
            exits: &exits,
            exit_scaling: Scaling::new(thetas, [1.0], &[0]),
            stay: vec![[0.0]; 4],
            rate_partials: vec![[0.0, 1.0]; 4],
            frontier,
        };
        let x = vec![
            [[1.0], [0.0]],
            [[0.0], [0.0]],
            [[0.0], [0.0]],
            [[0.0], [0.0]],
        ];
        let all = chain(&[4]).run(x.clone(), 5).g;
        assert_eq!(chain(&[1, 2, 3, 4]).run(x.clone(), 5).g, all);
        // P is a shift: the mass reaches row 3 after 3 steps and exits at
        // rate θ = 2
        assert_eq!(all[3][0], [2.0]);
        assert_eq!(all[2][0], [0.0]);
        assert_eq!(all[4][0], [0.0]);
        // a frontier that never grows past row 2: row 3 stays zero
        assert_eq!(chain(&[1, 2]).run(x, 5).g[3][0], [0.0]);
    }

    /// One state that stays with probability 2^−10 and exits at rate 1
    /// (Λ = 1): `g_k = 2^−10k` reaches 2^−3000 after 300 steps, far below
    /// the smallest `f64`, and is carried exactly as a lifted value and a
    /// binary exponent; the derivative is lifted with it.
    #[test]
    fn vanishing_lanes_are_lifted_by_powers_of_two() {
        let mut moves = AffineRows::default();
        moves.push_row([]);
        let mut exits = AffineRows::default();
        exits.push_row([(0, 0, 1.0)]);
        let thetas: [&[f64]; 1] = [&[1.0]];
        let stay = 2f64.powi(-10);
        let chain = Chain {
            moves: &moves,
            move_scaling: Scaling::new(thetas, [1.0], &[0]),
            exits: &exits,
            exit_scaling: Scaling::new(thetas, [1.0], &[0]),
            stay: vec![[stay]],
            rate_partials: vec![[0.0, 0.0]],
            frontier: &[1],
        };
        let flows = chain.run(vec![[[1.0], [3.0]]], 300);
        for k in 0..=300 {
            let (v, e) = flows.lane(k, 0);
            // the true value 2^−10k, as v·2^e with v not tiny
            assert_eq!(e + v[0].log2() as i64, -10 * k as i64, "k = {k}");
            assert!(v[0] >= 2f64.powi(-600), "k = {k}: {v:?}");
            assert_eq!(v[1], 3.0 * v[0]);
        }
        assert!(flows.exponents[300][0] <= -2400);
    }

    #[test]
    fn rows_group_terms_by_key_and_drop_zeros() {
        let mut rows = AffineRows::default();
        rows.push_row([(3, 2, 1.0), (4, 0, 2.0), (5, 2, 0.0), (6, 2, 3.0)]);
        rows.push_row([]);
        rows.push_row([(7, 1, 1.0)]);
        let group = |key, terms| Group { key, terms };
        assert_eq!(rows.groups, vec![group(0, 1), group(2, 2), group(1, 1)]);
        assert_eq!(rows.row_ends, vec![2, 2, 3]);
        assert_eq!(rows.keys, 3);
        assert_eq!(rows.sources, vec![4, 3, 6, 7]);
        assert_eq!(rows.coeffs, vec![2.0, 1.0, 3.0, 1.0]);
    }
}
