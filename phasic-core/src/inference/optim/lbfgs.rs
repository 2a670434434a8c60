//! Limited-memory BFGS (Nocedal & Wright, *Numerical Optimization*,
//! Algorithms 7.4 and 7.5) with a backtracking line search, for maximizing
//! a smooth function that may be undefined in places (a log-likelihood
//! that is `−∞` where an observation is impossible).

use std::collections::VecDeque;

/// Curvature pairs kept.
const MEMORY: usize = 8;
/// Largest move of one coordinate in one iteration.
const MAX_STEP: f64 = 1.0;
/// Sufficient increase (Armijo) constant.
const ARMIJO: f64 = 1e-4;
/// Largest fraction of the slope left at an accepted step whose increase
/// is lost in rounding (the approximate Wolfe conditions).
const CURVATURE: f64 = 0.9;
/// Values closer than this (relative) are equal as far as rounding tells.
const FLAT: f64 = 1e-10;
/// Halvings of the step before the line search gives up.
const HALVINGS: usize = 50;

/// Where [`maximize`] stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Maximum {
    /// Where it stopped.
    pub x: Vec<f64>,
    /// The value there.
    pub value: f64,
    /// Iterations (line searches) done.
    pub iterations: usize,
    /// Evaluations of the function, the one that gave `first` included.
    pub evaluations: usize,
    /// Whether every component of the gradient reached the tolerance.
    pub converged: bool,
}

/// Maximizes `f` (value and gradient, or `None` where undefined) from
/// `x`, where `f` is `first`, for at most `iterations` iterations,
/// until every component of the gradient is at most `tolerance` in
/// magnitude; `progress(done, iterations)` after every iteration. A step
/// moves no coordinate by more than 1; it is halved while `f` is undefined
/// at its end or does not increase enough — by the Armijo condition, or,
/// where the increase is below rounding (near the top), by the slope
/// along the step having fallen to at most 0.9 of its start without
/// overshooting (Hager and Zhang's approximate Wolfe conditions). The
/// search stops unconverged when no step is accepted.
///
/// ```
/// use phasic_core::inference::optim::maximize;
/// // −(x − 3)² − 2(y + 1)²
/// let f = |x: &[f64]| {
///     let v = -(x[0] - 3.0).powi(2) - 2.0 * (x[1] + 1.0).powi(2);
///     Some((v, vec![-2.0 * (x[0] - 3.0), -4.0 * (x[1] + 1.0)]))
/// };
/// let start = vec![0.0, 0.0];
/// let first = f(&start).unwrap();
/// let top = maximize(f, start, first, 100, 1e-10, &|_, _| {});
/// assert!(top.converged);
/// assert!((top.x[0] - 3.0).abs() < 1e-10 && (top.x[1] + 1.0).abs() < 1e-10);
/// ```
pub fn maximize(
    mut f: impl FnMut(&[f64]) -> Option<(f64, Vec<f64>)>,
    mut x: Vec<f64>,
    first: (f64, Vec<f64>),
    iterations: usize,
    tolerance: f64,
    progress: &dyn Fn(usize, usize),
) -> Maximum {
    let (mut value, mut g) = first;
    let mut evaluations = 1; // the one that gave `first`
    let mut pairs = Pairs::default();
    let small = |g: &[f64]| g.iter().all(|g| g.abs() <= tolerance);
    let mut done = 0;
    while done < iterations && !small(&g) {
        done += 1;
        let mut d = pairs.direction(&g);
        let mut slope = dot(&g, &d);
        if slope.is_nan() || slope <= 0.0 {
            // not an ascent direction (rounding in the pairs): start afresh
            pairs = Pairs::default();
            d = pairs.direction(&g);
            slope = dot(&g, &d);
        }
        let accepted = line_search(&mut f, &x, &d, value, slope, &mut evaluations);
        progress(done, iterations);
        let Some((next, v, gn)) = accepted else {
            break;
        };
        let s: Vec<f64> = next.iter().zip(&x).map(|(a, b)| a - b).collect();
        // the curvature of −f: y = ∇(−f)(next) − ∇(−f)(x)
        let y: Vec<f64> = g.iter().zip(&gn).map(|(a, b)| a - b).collect();
        pairs.push(s, y);
        (x, value, g) = (next, v, gn);
    }
    let converged = small(&g);
    Maximum {
        x,
        value,
        iterations: done,
        evaluations,
        converged,
    }
}

/// The point along `d` from `x` (where `f` is `value`, its slope along
/// `d` is `slope > 0`) that the search accepts, with its value and
/// gradient: the longest step of at most 1 per coordinate, halved until
/// accepted (see [`maximize`]); `None` if no step is.
fn line_search(
    f: &mut impl FnMut(&[f64]) -> Option<(f64, Vec<f64>)>,
    x: &[f64],
    d: &[f64],
    value: f64,
    slope: f64,
    evaluations: &mut usize,
) -> Option<(Vec<f64>, f64, Vec<f64>)> {
    let longest = d.iter().fold(0.0f64, |m, d| m.max(d.abs()));
    let mut step = if longest > MAX_STEP {
        MAX_STEP / longest
    } else {
        1.0
    };
    for _ in 0..HALVINGS {
        let next: Vec<f64> = x.iter().zip(d).map(|(x, d)| x + step * d).collect();
        *evaluations += 1;
        if let Some((v, gn)) = f(&next) {
            let armijo = v >= value + ARMIJO * step * slope;
            let flat = (v - value).abs() <= FLAT * value.abs().max(1.0);
            let s = dot(&gn, d);
            let wolfe = -(1.0 - 2.0 * ARMIJO) * slope <= s && s <= CURVATURE * slope;
            if armijo || (flat && wolfe) {
                return Some((next, v, gn));
            }
        }
        step *= 0.5;
    }
    None
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// The last steps `s` and gradient changes `y` (of `−f`) with `1/(y·s)`.
#[derive(Default)]
struct Pairs {
    pairs: VecDeque<(Vec<f64>, Vec<f64>, f64)>,
}

impl Pairs {
    /// Keeps `(s, y)` if it has positive curvature, dropping the oldest
    /// beyond [`MEMORY`].
    fn push(&mut self, s: Vec<f64>, y: Vec<f64>) {
        let sy = dot(&s, &y);
        if sy > 1e-300 && sy.is_finite() {
            if self.pairs.len() == MEMORY {
                self.pairs.pop_front();
            }
            self.pairs.push_back((s, y, 1.0 / sy));
        }
    }

    /// The ascent direction `H·g` by the two-loop recursion, `H₀ = γI`
    /// with `γ = s·y/y·y` of the newest pair (1 without pairs).
    fn direction(&self, g: &[f64]) -> Vec<f64> {
        let mut q = g.to_vec();
        let mut alphas = Vec::with_capacity(self.pairs.len());
        for (s, y, rho) in self.pairs.iter().rev() {
            let a = rho * dot(s, &q);
            q.iter_mut().zip(y).for_each(|(q, y)| *q -= a * y);
            alphas.push(a);
        }
        let gamma = self
            .pairs
            .back()
            .map_or(1.0, |(_, y, rho)| 1.0 / (rho * dot(y, y)));
        q.iter_mut().for_each(|q| *q *= gamma);
        for ((s, y, rho), a) in self.pairs.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &q);
            q.iter_mut().zip(s).for_each(|(q, s)| *q += (a - b) * s);
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet(_: usize, _: usize) {}

    /// `−(x − 3)² − 10(y + 1)²`: the maximum 0 at (3, −1).
    #[test]
    fn finds_the_top_of_a_quadratic() {
        let f = |x: &[f64]| {
            let (a, b) = (x[0] - 3.0, x[1] + 1.0);
            Some((-a * a - 10.0 * b * b, vec![-2.0 * a, -20.0 * b]))
        };
        let m = maximize(
            f,
            vec![0.0, 0.0],
            f(&[0.0, 0.0]).unwrap(),
            100,
            1e-10,
            &quiet,
        );
        assert!(m.converged);
        assert!((m.x[0] - 3.0).abs() < 1e-10 && (m.x[1] + 1.0).abs() < 1e-11);
        assert!(m.value > -1e-20 && m.value <= 0.0);
        // steps of at most 1 per coordinate: at least 3 iterations to reach x = 3
        assert!(m.iterations >= 3 && m.iterations <= 20, "{}", m.iterations);
        assert!(m.evaluations >= m.iterations); // one at least per line search
    }

    /// The negated Rosenbrock function, maximum 0 at (1, 1) from (−1.2, 1).
    #[test]
    fn climbs_the_rosenbrock_valley() {
        let f = |x: &[f64]| {
            let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
            let value = -(a * a + 100.0 * b * b);
            Some((value, vec![2.0 * a + 400.0 * x[0] * b, -200.0 * b]))
        };
        let m = maximize(
            f,
            vec![-1.2, 1.0],
            f(&[-1.2, 1.0]).unwrap(),
            500,
            1e-9,
            &quiet,
        );
        assert!(m.converged, "{m:?}");
        assert!(
            (m.x[0] - 1.0).abs() < 1e-8 && (m.x[1] - 1.0).abs() < 1e-8,
            "{m:?}"
        );
        assert!(m.iterations < 100, "{}", m.iterations);
    }

    /// `ln x − x` is undefined for `x ≤ 0`: a step across 0 is halved
    /// back into the domain; the maximum is at x = 1.
    #[test]
    fn backs_off_where_undefined() {
        let f = |x: &[f64]| (x[0] > 0.0).then(|| (x[0].ln() - x[0], vec![1.0 / x[0] - 1.0]));
        let m = maximize(f, vec![5.0], f(&[5.0]).unwrap(), 100, 1e-12, &quiet);
        assert!(m.converged && (m.x[0] - 1.0).abs() < 1e-11, "{m:?}");
    }

    /// Near a top the increase is lost in the value's rounding; here the
    /// value shows no increase at all (always −100) while the gradient is
    /// that of `−(x − 1)²`: the steps are accepted on the slope alone, to a
    /// gradient of 1e-12. (The Armijo condition alone accepts none.)
    #[test]
    fn converges_where_values_are_flat() {
        let f = |x: &[f64]| Some((-100.0, vec![-2.0 * (x[0] - 1.0)]));
        let m = maximize(f, vec![1.7], f(&[1.7]).unwrap(), 100, 1e-12, &quiet);
        assert!(m.converged && (m.x[0] - 1.0).abs() <= 5e-13, "{m:?}");
    }

    /// A linear function has no maximum: the iterations run out, each
    /// step moving the coordinate by at most 1, and the fit says so.
    #[test]
    fn reports_running_out_of_iterations() {
        let seen = std::cell::RefCell::new(Vec::new());
        let f = |x: &[f64]| Some((2.0 * x[0], vec![2.0]));
        let progress = |d, t| seen.borrow_mut().push((d, t));
        let m = maximize(f, vec![0.0], f(&[0.0]).unwrap(), 7, 1e-9, &progress);
        assert!(!m.converged);
        assert_eq!(m.iterations, 7);
        assert!((m.x[0] - 7.0).abs() < 1e-12, "{m:?}");
        assert_eq!(
            seen.into_inner(),
            (1..=7).map(|d| (d, 7)).collect::<Vec<_>>()
        );
    }
}
