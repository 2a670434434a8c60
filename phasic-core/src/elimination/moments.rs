//! Moment recursions shared by the continuous and discrete distributions
//! (docs/ALGORITHMS.md §2.3–§2.4): everything here re-runs one [`Program`].

use crate::elimination::program::Program;
use crate::elimination::reachability::reachable_from_start;
use crate::elimination::wide::{Wide, scale_by_power_of_two, split_exponent};
use crate::error::{Error, Result};
use crate::graph::view::GraphView;

/// `μ_j = j!·α(UΔ(r))^j e` for `j = 1..=k`, with `r` in position space.
///
/// For a continuous graph these are the raw moments; for a discrete graph
/// without rewards they are the rising factorial moments. A moment
/// outside the range of `f64` is [`Error::MomentRange`].
pub(crate) fn rising<G: GraphView + ?Sized>(
    program: &Program,
    view: &G,
    k: usize,
    rp: &[f64],
) -> Result<Vec<f64>> {
    let wide = scaled_chain(program, view, k, rp, |_| {})?;
    wide.iter()
        .enumerate()
        .map(|(j, m)| m.moment(j + 1))
        .collect()
}

/// `y_j[start]` for `j = 1..=k` as wide numbers, where `y_0 = e` and
/// `y_j = j·U·Δ(r)·B(y_{j−1})`, with `B` what `between` does to the vector
/// before every order after the first (nothing, for the rising moments).
///
/// `y_j` is carried as a vector scaled by a power of two (its largest
/// entry in `[½, 1)`) and the exponent of that scale, so no order
/// underflows or overflows on the way to one that does not (`E[T^170]`
/// of a rate-1000 exponential is 7e-204, `170!` is 7e306). Positions the
/// start cannot reach are held at zero: their moments do not enter the
/// start's, and could otherwise set the scale.
pub(crate) fn scaled_chain<G: GraphView + ?Sized>(
    program: &Program,
    view: &G,
    k: usize,
    rp: &[f64],
    mut between: impl FnMut(&mut [f64]),
) -> Result<Vec<Wide>> {
    if k == 0 {
        return Err(Error::MomentOrder(0));
    }
    let s = program.start();
    let mut y = vec![1.0; rp.len()];
    let mut exponent = 0i64;
    let mut out = Vec::with_capacity(k);
    // positions the start reaches, found only once some order leaves the
    // comfortable range (a search of the whole graph costs more than an
    // order): only then can unreachable positions matter
    let mut live: Option<Vec<bool>> = None;
    let hold = |y: &mut [f64], live: &[bool]| {
        for (yi, &l) in y.iter_mut().zip(live) {
            if !l {
                *yi = 0.0;
            }
        }
    };
    let top_of = |y: &[f64]| y.iter().fold(0.0f64, |a, y| a.max(y.abs()));
    for j in 1..=k {
        if j > 1 {
            between(&mut y);
        }
        let order = j as f64;
        for (yi, ri) in y.iter_mut().zip(rp) {
            *yi = *yi * ri * order;
        }
        if let Some(l) = &live {
            hold(&mut y, l);
        }
        program.apply(view, &mut y);
        let mut top = top_of(&y);
        if !(COMFORTABLE_LOW..=COMFORTABLE_HIGH).contains(&top) && live.is_none() {
            let l = reachable_positions(program, view);
            hold(&mut y, &l);
            top = top_of(&y);
            live = Some(l);
        }
        if top == 0.0 {
            // every later order is zero too
            out.resize(k, Wide::ZERO);
            break;
        }
        if !(COMFORTABLE_LOW..=COMFORTABLE_HIGH).contains(&top) {
            let (_, e) = split_exponent(top);
            for yi in y.iter_mut() {
                *yi = scale_by_power_of_two(*yi, -e);
            }
            exponent += e;
        }
        out.push(Wide::new(y[s], exponent));
    }
    Ok(out)
}

/// Below this the vector of an order is rescaled (about 2^-256).
const COMFORTABLE_LOW: f64 = 8.636168555094445e-78;
/// Above this the vector of an order is rescaled (about 2^256).
const COMFORTABLE_HIGH: f64 = 1.157920892373162e77;

/// Positions reachable from the start through positive-weight edges.
fn reachable_positions<G: GraphView + ?Sized>(program: &Program, view: &G) -> Vec<bool> {
    let mut live = vec![false; program.len()];
    for (v, _) in reachable_from_start(view)
        .iter()
        .enumerate()
        .filter(|(_, r)| **r)
    {
        if let Some(p) = program.position(v) {
            live[p] = true;
        }
    }
    live
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
