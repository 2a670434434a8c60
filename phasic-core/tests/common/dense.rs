//! The dense reference: a model as matrices (from
//! [`super::random_graph::RandomGraph::dense`] or by hand), with the
//! quantities the library computes written as plain linear algebra.

use nalgebra::{DMatrix, DVector};

/// A model in dense form: `α` (normalised by the start's total weight, so
/// it sums to 1 − defect), the defect split by absorbing node, the rates
/// (or probabilities) `W` between transient nodes and the exits split by
/// absorbing node. `S = W − Δ(We + exit·e)`; for a discrete model
/// `T = I + S`, and `U = (−S)⁻¹` serves both.
pub struct Dense {
    pub alpha: DVector<f64>,
    pub alpha_abs: Vec<f64>,
    pub w: DMatrix<f64>,
    pub exit: DMatrix<f64>,
}

impl Dense {
    pub fn m(&self) -> usize {
        self.alpha.len()
    }

    pub fn defect(&self) -> f64 {
        self.alpha_abs.iter().sum()
    }

    /// The exit rates (probabilities) `exit·e`.
    pub fn exit_total(&self) -> DVector<f64> {
        DVector::from_iterator(self.m(), self.exit.row_iter().map(|r| r.sum()))
    }

    /// The sub-intensity matrix `S`.
    pub fn s(&self) -> DMatrix<f64> {
        let exit = self.exit_total();
        let mut s = self.w.clone();
        for i in 0..self.m() {
            s[(i, i)] = -(self.w.row(i).sum() + exit[i]);
        }
        s
    }

    /// The sub-transition matrix `T = I + S` of a discrete model.
    pub fn t(&self) -> DMatrix<f64> {
        self.s() + DMatrix::identity(self.m(), self.m())
    }

    /// `−S = (sI − S)` at `shift = 0`, factored; `shift > 0` for the
    /// Laplace transform.
    pub fn green(&self, shift: f64) -> MFactor {
        let exit = self.exit_total();
        MFactor::new(&self.w, exit.iter().map(|x| x + shift).collect())
    }

    /// `α M` as a column vector.
    pub fn alpha_times(&self, mat: &DMatrix<f64>) -> DVector<f64> {
        mat.tr_mul(&self.alpha)
    }

    /// `k!·α(UΔ(r))^k e`, `k = 1..=order`.
    pub fn moments(&self, u: &MFactor, r: &DVector<f64>, order: usize) -> Vec<f64> {
        let mut y = DVector::from_element(self.m(), 1.0);
        (1..=order)
            .map(|k| {
                y = u.solve(&y.component_mul(r));
                factorial(k) * self.alpha.dot(&y)
            })
            .collect()
    }

    /// Mean absorption time given that the start is not absorbed.
    pub fn mean(&self) -> f64 {
        let u = (-self.s()).try_inverse().unwrap();
        let ones = DVector::from_element(self.m(), 1.0);
        (self.alpha.transpose() * u * ones)[(0, 0)] / self.alpha.sum()
    }

    /// `α_a + αU s_a` per absorbing node.
    pub fn absorption(&self, u: &MFactor) -> Vec<f64> {
        let occ = u.solve_left(&self.alpha);
        let via = self.exit.tr_mul(&occ);
        (0..self.alpha_abs.len())
            .map(|a| self.alpha_abs[a] + via[a])
            .collect()
    }

    /// The density `α e^{St} s`.
    pub fn pdf(&self, t: f64) -> f64 {
        let e = (self.s() * t).exp();
        (self.alpha.transpose() * e * self.exit_total())[(0, 0)]
    }

    /// The pmf `α T^{k−1} t` at `k ≥ 1`.
    pub fn pmf(&self, k: u64) -> f64 {
        let t = self.t();
        let mut v = self.alpha.transpose();
        for _ in 1..k {
            v *= &t;
        }
        (v * self.exit_total())[(0, 0)]
    }

    /// The reward-transformed chain: rows of `W` and the exits divided by
    /// `r`.
    pub fn reward_scaled(&self, r: &[f64]) -> Dense {
        let mut w = self.w.clone();
        let mut exit = self.exit.clone();
        for (i, &ri) in r[..self.m()].iter().enumerate() {
            w.row_mut(i).iter_mut().for_each(|x| *x /= ri);
            exit.row_mut(i).iter_mut().for_each(|x| *x /= ri);
        }
        Dense {
            alpha: self.alpha.clone(),
            alpha_abs: self.alpha_abs.clone(),
            w,
            exit,
        }
    }
}

fn factorial(k: usize) -> f64 {
    (1..=k).map(|i| i as f64).product()
}

/// LU factors of the M-matrix `A = Δ(We + s) − W` (`W ≥ 0` off the
/// diagonal, `s ≥ 0` the row sums of `A`), by Gaussian elimination that
/// tracks the row sums of the Schur complements and so only ever adds
/// non-negative numbers (the GTH / Alfa–Xue–Ye trick). Solves with `A`
/// are then accurate entry by entry, also for tiny entries (an ordinary
/// LU inverse is only accurate relative to the norm), and entries that
/// are zero in exact arithmetic come out as exact zeros.
pub struct MFactor {
    /// Strictly below the diagonal: `−L ≥ 0`; above: `−U ≥ 0`.
    neg: DMatrix<f64>,
    /// Diagonal of `U`.
    diag: Vec<f64>,
}

impl MFactor {
    pub fn new(w: &DMatrix<f64>, mut sums: Vec<f64>) -> MFactor {
        let n = w.nrows();
        let mut a = w.clone();
        a.fill_diagonal(0.0);
        let mut diag = vec![0.0; n];
        for k in 0..n {
            let d = sums[k] + (k + 1..n).map(|j| a[(k, j)]).sum::<f64>();
            assert!(d > 0.0, "singular M-matrix");
            diag[k] = d;
            for i in k + 1..n {
                let l = a[(i, k)] / d;
                a[(i, k)] = l;
                if l == 0.0 {
                    continue;
                }
                for j in k + 1..n {
                    if j != i {
                        let akj = a[(k, j)];
                        a[(i, j)] += l * akj;
                    }
                }
                sums[i] += l * sums[k];
            }
        }
        MFactor { neg: a, diag }
    }

    /// `A⁻¹b`.
    pub fn solve(&self, b: &DVector<f64>) -> DVector<f64> {
        let n = self.diag.len();
        let mut x = b.clone();
        for i in 0..n {
            x[i] += (0..i).map(|j| self.neg[(i, j)] * x[j]).sum::<f64>();
        }
        for i in (0..n).rev() {
            x[i] = (x[i] + (i + 1..n).map(|j| self.neg[(i, j)] * x[j]).sum::<f64>()) / self.diag[i];
        }
        x
    }

    /// `(cᵀA⁻¹)ᵀ`.
    pub fn solve_left(&self, c: &DVector<f64>) -> DVector<f64> {
        let n = self.diag.len();
        let mut y = c.clone();
        for j in 0..n {
            y[j] = (y[j] + (0..j).map(|i| y[i] * self.neg[(i, j)]).sum::<f64>()) / self.diag[j];
        }
        for j in (0..n).rev() {
            y[j] += (j + 1..n).map(|i| y[i] * self.neg[(i, j)]).sum::<f64>();
        }
        y
    }
}
