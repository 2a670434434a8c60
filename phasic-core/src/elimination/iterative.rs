//! Cyclic components solved iteratively (docs/ALGORITHMS.md §3.9): where
//! eliminating a component would fill it densely, a [`Program`] keeps the
//! component's embedded chain as it is and solves `(I − P) x = r` with
//! BiCGSTAB each time it is applied — memory that follows the edges, not
//! the fill. Traces stay elimination-based.
//!
//! [`Program`]: crate::elimination::Program

/// Relative residual at which an iteration stops.
const TOLERANCE: f64 = 1e-15;
/// True relative residual accepted after the iteration (else it restarts).
const ACCEPT: f64 = 1e-13;
/// Fixed-point sweeps after the iteration (see [`Block::solve`]).
const SWEEPS: usize = 8;
/// Restarts before the best iterate is kept, with a warning.
const RESTARTS: usize = 8;

/// One cyclic component at positions `a..b`, with every out-edge of its
/// members as `(target position, probability)` of the embedded chain.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// First position.
    pub(crate) a: usize,
    /// One past the last position.
    pub(crate) b: usize,
    /// Out-edges of local vertex `j`: `offsets[j]..offsets[j + 1]`.
    offsets: Vec<usize>,
    targets: Vec<u32>,
    probs: Vec<f64>,
}

impl Block {
    /// The component at positions `a..b` whose local vertex `j` has the
    /// out-edges `edges(j)` (target position, probability).
    pub(crate) fn new(
        a: usize,
        b: usize,
        mut edges: impl FnMut(usize) -> Vec<(u32, f64)>,
    ) -> Block {
        let mut block = Block {
            a,
            b,
            offsets: vec![0],
            targets: Vec::new(),
            probs: Vec::new(),
        };
        for j in 0..b - a {
            for (t, p) in edges(a + j) {
                block.targets.push(t);
                block.probs.push(p);
            }
            block.offsets.push(block.targets.len());
        }
        block
    }

    /// The out-edges of local vertex `j`, as given to [`new`](Self::new).
    pub(crate) fn row(&self, j: usize) -> impl Iterator<Item = (u32, f64)> + '_ {
        let r = self.offsets[j]..self.offsets[j + 1];
        self.targets[r.clone()]
            .iter()
            .copied()
            .zip(self.probs[r].iter().copied())
    }

    fn inside(&self, t: u32) -> bool {
        (self.a..self.b).contains(&(t as usize))
    }

    /// The out-edges of local vertex `j` inside the component, as `(local
    /// target, probability)`, in order.
    fn inner(&self, j: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.row(j)
            .filter(|&(t, _)| self.inside(t))
            .map(|(t, p)| (t as usize - self.a, p))
    }

    /// The out-edges of local vertex `j` leaving the component, as
    /// `(position, probability)`, in order.
    fn outer(&self, j: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.row(j)
            .filter(|&(t, _)| !self.inside(t))
            .map(|(t, p)| (t as usize, p))
    }

    /// `out ← (I − P_in) v`.
    fn multiply(&self, v: &[f64], out: &mut [f64]) {
        for (j, o) in out.iter_mut().enumerate() {
            *o = self.inner(j).fold(v[j], |s, (t, p)| s - p * v[t]);
        }
    }

    /// `out ← (I − P_in)ᵀ v`.
    fn multiply_transposed(&self, v: &[f64], out: &mut [f64]) {
        out.copy_from_slice(v);
        for (j, &vj) in v.iter().enumerate() {
            for (t, p) in self.inner(j) {
                out[t] -= p * vj;
            }
        }
    }

    /// `x[a..b] ← (I − P_in)⁻¹ (x[a..b] + P_out x)`: the component's
    /// expected rewards, once every later position is final.
    pub(crate) fn solve(&self, x: &mut [f64]) {
        let n = self.b - self.a;
        let mut rhs = x[self.a..self.b].to_vec();
        for (j, r) in rhs.iter_mut().enumerate() {
            for (t, p) in self.outer(j) {
                *r += p * x[t];
            }
        }
        let mut y = rhs.clone();
        bicgstab(n, |v, o| self.multiply(v, o), &rhs, &mut y);
        // Gauss–Seidel sweeps, `y_j ← rhs_j + Σ P_jt y_t` in place: each
        // entry from its own row, so that small entries get the relative
        // accuracy of those they are made of (BiCGSTAB's accuracy is the
        // norm's)
        for _ in 0..SWEEPS {
            for j in 0..n {
                y[j] = self.inner(j).fold(rhs[j], |s, (t, p)| s + p * y[t]);
            }
        }
        x[self.a..self.b].copy_from_slice(&y);
    }

    /// The transpose of [`solve`](Self::solve), in a forward sweep:
    /// `y[a..b] ← (I − P_in)⁻ᵀ y[a..b]`, then `y[t] += P_outᵀ y[a..b]`.
    pub(crate) fn solve_transposed(&self, y: &mut [f64]) {
        let n = self.b - self.a;
        let rhs = y[self.a..self.b].to_vec();
        let mut z = rhs.clone();
        bicgstab(n, |v, o| self.multiply_transposed(v, o), &rhs, &mut z);
        // Jacobi sweeps of the transpose, `z ← rhs + P_inᵀ z`, for the
        // relative accuracy of small entries (as in `solve`)
        let mut next = vec![0.0; n];
        for _ in 0..SWEEPS {
            next.copy_from_slice(&rhs);
            for (j, &zj) in z.iter().enumerate() {
                for (t, p) in self.inner(j) {
                    next[t] += p * zj;
                }
            }
            std::mem::swap(&mut z, &mut next);
        }
        for (j, &zj) in z.iter().enumerate() {
            for (t, p) in self.outer(j) {
                y[t] += p * zj;
            }
        }
        y[self.a..self.b].copy_from_slice(&z);
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Solves `A x = b` by BiCGSTAB (van der Vorst 1992) from the guess in
/// `x`, restarting from the current iterate while the true residual is
/// above [`ACCEPT`]·‖b‖. `A = I − P` with `P` substochastic and absorbing,
/// so `A` is an M-matrix and the iteration converges; the sums run in a
/// fixed order, so the result does not depend on threads.
fn bicgstab(n: usize, matvec: impl Fn(&[f64], &mut [f64]), b: &[f64], x: &mut [f64]) {
    let b_norm = norm(b);
    if b_norm == 0.0 {
        x.fill(0.0);
        return;
    }
    let max_iter = 50 + 20 * n.min(500);
    let (mut r, mut v, mut p, mut s, mut t) = (
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
    );
    let residual = |x: &[f64], r: &mut [f64]| {
        matvec(x, r);
        for (ri, bi) in r.iter_mut().zip(b) {
            *ri = bi - *ri;
        }
        norm(r)
    };
    for _ in 0..=RESTARTS {
        if residual(x, &mut r) <= ACCEPT * b_norm {
            return;
        }
        let r_hat = r.clone();
        let (mut rho, mut alpha, mut omega) = (1.0, 1.0, 1.0);
        v.fill(0.0);
        p.fill(0.0);
        for _ in 0..max_iter {
            let rho_next = dot(&r_hat, &r);
            if rho_next == 0.0 || omega == 0.0 {
                break;
            }
            let beta = (rho_next / rho) * (alpha / omega);
            rho = rho_next;
            for i in 0..n {
                p[i] = r[i] + beta * (p[i] - omega * v[i]);
            }
            matvec(&p, &mut v);
            let rv = dot(&r_hat, &v);
            if rv == 0.0 {
                break;
            }
            alpha = rho / rv;
            for i in 0..n {
                s[i] = r[i] - alpha * v[i];
            }
            if norm(&s) <= TOLERANCE * b_norm {
                for i in 0..n {
                    x[i] += alpha * p[i];
                }
                break;
            }
            matvec(&s, &mut t);
            let tt = dot(&t, &t);
            omega = if tt > 0.0 { dot(&t, &s) / tt } else { 0.0 };
            for i in 0..n {
                x[i] += alpha * p[i] + omega * s[i];
                r[i] = s[i] - omega * t[i];
            }
            if norm(&r) <= TOLERANCE * b_norm {
                break;
            }
        }
    }
    let left = residual(x, &mut r) / b_norm;
    if left > ACCEPT {
        tracing::warn!(
            size = n,
            relative_residual = left,
            "iterative solve of a cyclic component stopped short"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A three-state cycle 0 → 1 → 2 → 0 with exit ½ from each: x = (I − P)⁻¹ r.
    #[test]
    fn a_cycle_with_exits_in_closed_form() {
        // positions 0..3 are the block, 3 is the absorbing target
        let block = Block::new(0, 3, |i| vec![(((i + 1) % 3) as u32, 0.5), (3, 0.5)]);
        let mut x = vec![1.0, 0.0, 0.0, 0.0];
        block.solve(&mut x);
        // x0 = 1 + x1/2, x1 = x2/2, x2 = x0/2  →  x0 = 8/7
        let want = [8.0 / 7.0, 2.0 / 7.0, 4.0 / 7.0];
        for (g, w) in x.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{x:?}");
        }
        // the transpose: y ← (I − P)⁻ᵀ y, and y[3] gets the exits
        let mut y = vec![1.0, 0.0, 0.0, 0.0];
        block.solve_transposed(&mut y);
        // z0 = 1 + z2/2, z1 = z0/2, z2 = z1/2  →  z = (8/7, 4/7, 2/7)
        let want = [8.0 / 7.0, 4.0 / 7.0, 2.0 / 7.0];
        for (g, w) in y.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{y:?}");
        }
        assert!((y[3] - 0.5 * (8.0 + 4.0 + 2.0) / 7.0).abs() < 1e-15);
    }
}
