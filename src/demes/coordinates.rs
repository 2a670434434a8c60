//! The coordinates a fit moves in: `θ = T(z)` maps the whole real space
//! onto the parameter values that the bounds and the order constraints
//! allow (docs/MODELS.md §9.2).
//!
//! Parameters are mapped one after the other, every parameter after those
//! it must exceed (a topological order of the constraints). Parameter `k`
//! lies in `(lo_k, hi_k)` with `lo_k` the larger of its lower bound and the
//! values of the parameters it must exceed, and `hi_k` the smaller of its
//! upper bound and the upper limits of the parameters that must exceed it.
//! Then `θ_k = lo + (hi − lo)·σ(z_k)` between two finite ends, `lo + e^{z_k}`
//! without an upper one, `hi − e^{z_k}` without a lower one, and
//! `θ_0 + s·z_k` (`s` the start's magnitude) with neither.

use super::error::DemesError;
use super::params::Constraint;

/// How parameter `k`'s value follows from `z_k` and its range.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Logistic,
    Above,
    Below,
    Affine { at: f64, scale: f64 },
}

/// The map between fit coordinates `z` and parameter values `θ`.
#[derive(Debug, Clone)]
pub(crate) struct Coordinates {
    /// The order in which parameters are mapped.
    order: Vec<usize>,
    /// Per parameter, those it must exceed.
    exceeds: Vec<Vec<usize>>,
    /// Per parameter, those that must exceed it.
    exceeded_by: Vec<Vec<usize>>,
    lower: Vec<f64>,
    /// Upper bounds, lowered by those of the parameters that must exceed it.
    upper: Vec<f64>,
    kinds: Vec<Kind>,
}

impl Coordinates {
    /// The coordinates of parameters with bounds `lower`/`upper` and
    /// `constraints`; `start` sets the scale of unbounded ones. Fails if
    /// the constraints form a cycle, naming its parameters.
    pub(crate) fn new(
        names: &[String],
        lower: &[f64],
        upper: &[f64],
        constraints: &[Constraint],
        start: &[f64],
    ) -> Result<Coordinates, DemesError> {
        let d = names.len();
        let mut exceeds = vec![Vec::new(); d];
        let mut exceeded_by = vec![Vec::new(); d];
        for c in constraints {
            exceeds[c.greater].push(c.lesser);
            exceeded_by[c.lesser].push(c.greater);
        }
        // Kahn's algorithm, smallest index first: deterministic
        let mut waiting: Vec<usize> = exceeds.iter().map(Vec::len).collect();
        let mut order = Vec::with_capacity(d);
        let mut ready: Vec<usize> = (0..d).filter(|&k| waiting[k] == 0).rev().collect();
        while let Some(k) = ready.pop() {
            order.push(k);
            for &a in &exceeded_by[k] {
                waiting[a] -= 1;
                if waiting[a] == 0 {
                    ready.push(a);
                    ready.sort_by(|x, y| y.cmp(x));
                }
            }
        }
        if order.len() < d {
            let cycle: Vec<&str> = (0..d)
                .filter(|&k| waiting[k] > 0)
                .map(|k| names[k].as_str())
                .collect();
            return Err(DemesError::BadOptions {
                item: "constraints".into(),
                what: format!(
                    "they form a cycle among {}: no values can satisfy them",
                    cycle.join(", ")
                ),
            });
        }
        let mut upper = upper.to_vec();
        for &k in order.iter().rev() {
            for &a in &exceeded_by[k] {
                upper[k] = upper[k].min(upper[a]);
            }
        }
        let kinds = (0..d)
            .map(|k| {
                let has_lower = lower[k].is_finite() || !exceeds[k].is_empty();
                match (has_lower, upper[k].is_finite()) {
                    (true, true) => Kind::Logistic,
                    (true, false) => Kind::Above,
                    (false, true) => Kind::Below,
                    (false, false) => Kind::Affine {
                        at: start[k],
                        scale: start[k].abs().max(1.0),
                    },
                }
            })
            .collect();
        Ok(Coordinates {
            order,
            exceeds,
            exceeded_by,
            lower: lower.to_vec(),
            upper,
            kinds,
        })
    }

    /// The lower end of parameter `k`'s range given the values mapped so
    /// far, and the parameter that sets it (if one does).
    fn low(&self, k: usize, theta: &[f64]) -> (f64, Option<usize>) {
        let mut lo = (self.lower[k], None);
        for &b in &self.exceeds[k] {
            if theta[b] > lo.0 || lo.0.is_nan() {
                lo = (theta[b], Some(b));
            }
        }
        lo
    }

    /// `θ(z)` and its Jacobian `∂θ_k/∂z_j` (row `k`).
    pub(crate) fn theta(&self, z: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
        let d = z.len();
        let mut theta = vec![0.0; d];
        let mut jac = vec![vec![0.0; d]; d];
        for &k in &self.order {
            let (lo, from) = self.low(k, &theta);
            let hi = self.upper[k];
            // θ_k = lo·a + b(z_k): `a` is ∂θ_k/∂lo
            let (value, own, a) = match self.kinds[k] {
                Kind::Logistic => {
                    let s = 1.0 / (1.0 + (-z[k]).exp());
                    (lo + (hi - lo) * s, (hi - lo) * s * (1.0 - s), 1.0 - s)
                }
                Kind::Above => (lo + z[k].exp(), z[k].exp(), 1.0),
                Kind::Below => (hi - z[k].exp(), -z[k].exp(), 0.0),
                Kind::Affine { at, scale } => (at + scale * z[k], scale, 0.0),
            };
            // strictly inside, also where σ or e^z underflow at an end
            theta[k] = value.max(lo.next_up()).min(hi.next_down());
            if let Some(b) = from {
                let row = jac[b].clone();
                for (x, y) in jac[k].iter_mut().zip(row) {
                    *x += a * y;
                }
            }
            jac[k][k] += own;
        }
        (theta, jac)
    }

    /// Whether each value of `theta` lies on an end of its range — its
    /// bound, or a parameter it must exceed or stay below — within
    /// `relative` of the values involved.
    pub(crate) fn on_limit(&self, theta: &[f64], relative: f64) -> Vec<bool> {
        let near = |a: f64, b: f64| (a - b).abs() <= relative * a.abs().max(b.abs());
        (0..theta.len())
            .map(|k| {
                let (lo, _) = self.low(k, theta);
                let below = self.exceeded_by[k]
                    .iter()
                    .map(|&a| theta[a])
                    .fold(self.upper[k], f64::min);
                near(theta[k], lo) || near(theta[k], below)
            })
            .collect()
    }

    /// `z(θ)`, for `θ` strictly inside its ranges.
    pub(crate) fn z(&self, theta: &[f64]) -> Vec<f64> {
        let mut z = vec![0.0; theta.len()];
        for &k in &self.order {
            let (lo, _) = self.low(k, theta);
            let hi = self.upper[k];
            z[k] = match self.kinds[k] {
                Kind::Logistic => {
                    let s = (theta[k] - lo) / (hi - lo);
                    (s / (1.0 - s)).ln()
                }
                Kind::Above => (theta[k] - lo).ln(),
                Kind::Below => (hi - theta[k]).ln(),
                Kind::Affine { at, scale } => (theta[k] - at) / scale,
            };
        }
        z
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(d: usize) -> Vec<String> {
        (0..d).map(|k| format!("p{k}")).collect()
    }

    /// `a > b > c`, with every kind of range: values keep the order, the
    /// inverse returns `z`, the Jacobian matches differences.
    #[test]
    fn ordered_parameters_round_trip_with_their_jacobian() {
        let c = |greater, lesser| Constraint { greater, lesser };
        // p0 > p1 > p2, p3 unbounded, p4 below 5 only
        let lower = [0.0, 1.0, 0.5, f64::NEG_INFINITY, f64::NEG_INFINITY];
        let upper = [100.0, f64::INFINITY, 50.0, f64::INFINITY, 5.0];
        let start = [30.0, 20.0, 10.0, -7.0, 2.0];
        let co = Coordinates::new(&names(5), &lower, &upper, &[c(0, 1), c(1, 2)], &start).unwrap();
        // p1's upper bound is p0's
        assert_eq!(co.upper[1], 100.0);
        let z0 = co.z(&start);
        let (back, _) = co.theta(&z0);
        for (a, b) in back.iter().zip(&start) {
            assert!((a - b).abs() < 1e-12 * b.abs().max(1.0), "{back:?}");
        }
        for z in [
            z0.clone(),
            vec![3.0, -2.0, 1.5, 0.3, -1.0],
            vec![-8.0, 9.0, -3.0, 2.0, 4.0],
        ] {
            let (t, jac) = co.theta(&z);
            assert!(
                t[0] > t[1] && t[1] > t[2] && t[2] > 0.5 && t[0] < 100.0 && t[4] < 5.0,
                "{t:?}"
            );
            for j in 0..5 {
                let h = 1e-6;
                let mut up = z.clone();
                up[j] += h;
                let mut down = z.clone();
                down[j] -= h;
                let (a, b) = (co.theta(&up).0, co.theta(&down).0);
                for k in 0..5 {
                    let diff = (a[k] - b[k]) / (2.0 * h);
                    assert!(
                        (jac[k][j] - diff).abs() < 1e-6 * diff.abs().max(1.0),
                        "∂θ{k}/∂z{j}: {} vs {diff}",
                        jac[k][j]
                    );
                }
            }
        }
    }

    /// On a bound or on a constraint, and not.
    #[test]
    fn limits_are_told() {
        let c = Constraint {
            greater: 0,
            lesser: 1,
        };
        let co =
            Coordinates::new(&names(2), &[0.0, 0.0], &[10.0, 10.0], &[c], &[5.0, 1.0]).unwrap();
        assert_eq!(co.on_limit(&[5.0, 1.0], 1e-9), [false, false]);
        assert_eq!(co.on_limit(&[3.0, 3.0 - 1e-12], 1e-9), [true, true]);
        assert_eq!(co.on_limit(&[10.0, 1.0], 1e-9), [true, false]);
        assert_eq!(co.on_limit(&[5.0, 0.0], 1e-9), [false, true]);
    }

    #[test]
    fn a_cycle_is_refused_naming_its_parameters() {
        let c = |greater, lesser| Constraint { greater, lesser };
        let inf = f64::INFINITY;
        let e = Coordinates::new(
            &names(3),
            &[0.0; 3],
            &[inf; 3],
            &[c(0, 1), c(1, 2), c(2, 0)],
            &[1.0; 3],
        )
        .unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("cycle") && m.contains("p0") && m.contains("p2"),
            "{m}"
        );
    }
}
