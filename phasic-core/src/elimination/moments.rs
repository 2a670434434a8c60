//! Moment recursions shared by the continuous and discrete distributions
//! (docs/ALGORITHMS.md §2.3–§2.4): everything here re-runs one [`Program`].

use crate::elimination::program::Program;
use crate::error::{Error, Result};
use crate::graph::view::GraphView;

/// `μ_j = j!·α(UΔ(r))^j e` for `j = 1..=k`, with `r` in position space.
///
/// For a continuous graph these are the raw moments; for a discrete graph
/// without rewards they are the rising factorial moments.
pub(crate) fn rising<G: GraphView + ?Sized>(
    program: &Program,
    view: &G,
    k: usize,
    rp: &[f64],
) -> Result<Vec<f64>> {
    if k == 0 {
        return Err(Error::MomentOrder(0));
    }
    let s = program.start();
    let mut y = rp.to_vec();
    program.apply(view, &mut y);
    let mut out = vec![y[s]];
    let mut factorial = 1.0;
    for j in 2..=k {
        factorial *= j as f64;
        for (yi, ri) in y.iter_mut().zip(rp) {
            *yi *= ri;
        }
        program.apply(view, &mut y);
        out.push(factorial * y[s]);
    }
    Ok(out)
}

/// First-order runs and the mixed second moment for two rewards (position
/// space): returns `(E[Y₁], E[Y₂], αUΔ(r₂)UΔ(r₁)e + αUΔ(r₁)UΔ(r₂)e)`.
pub(crate) fn mixed<G: GraphView + ?Sized>(
    program: &Program,
    view: &G,
    r1: &[f64],
    r2: &[f64],
) -> (f64, f64, f64) {
    let s = program.start();
    let mut a = r1.to_vec();
    program.apply(view, &mut a);
    let mut b = r2.to_vec();
    program.apply(view, &mut b);
    let (ea, eb) = (a[s], b[s]);
    for ((ai, bi), (x1, x2)) in a.iter_mut().zip(b.iter_mut()).zip(r1.iter().zip(r2)) {
        *ai *= x2;
        *bi *= x1;
    }
    program.apply(view, &mut a);
    program.apply(view, &mut b);
    (ea, eb, a[s] + b[s])
}

/// Marginal means and mixed second moments of a multivariate reward
/// (docs/ALGORITHMS.md §2.3, MPH*).
#[derive(Debug, Clone, PartialEq)]
pub struct MultivariateMoments {
    /// `E[Y_i]`.
    pub mean: Vec<f64>,
    /// `E[Y_i Y_j]`.
    pub second: Vec<Vec<f64>>,
    /// `Cov(Y_i, Y_j)`.
    pub covariance: Vec<Vec<f64>>,
}

/// `E[Y_i]` and the symmetric sums `c_ij + c_ji` for reward columns in
/// position space. Columns are processed in parallel; each entry is
/// computed by one sequential run, so results do not depend on the thread
/// count.
pub(crate) fn multivariate_parts<G: GraphView + ?Sized>(
    program: &Program,
    view: &G,
    cols: &[Vec<f64>],
) -> (Vec<f64>, Vec<Vec<f64>>) {
    use rayon::prelude::*;
    let s = program.start();
    let first: Vec<Vec<f64>> = cols
        .par_iter()
        .map(|r| {
            let mut y = r.clone();
            program.apply(view, &mut y);
            y
        })
        .collect();
    let d = cols.len();
    // c[i][j] = αUΔ(r_j)UΔ(r_i)e
    let c: Vec<f64> = (0..d * d)
        .into_par_iter()
        .map(|ij| {
            let (i, j) = (ij / d, ij % d);
            let mut y: Vec<f64> = first[i].iter().zip(&cols[j]).map(|(a, r)| a * r).collect();
            program.apply(view, &mut y);
            y[s]
        })
        .collect();
    let mean = first.iter().map(|y| y[s]).collect();
    let second = (0..d)
        .map(|i| (0..d).map(|j| c[i * d + j] + c[j * d + i]).collect())
        .collect();
    (mean, second)
}

/// Moves reward columns to position space after checking them.
pub(crate) fn columns_to_positions(program: &Program, cols: &[&[f64]]) -> Result<Vec<Vec<f64>>> {
    cols.iter()
        .map(|c| program.rewards_to_positions(Some(c)))
        .collect()
}
