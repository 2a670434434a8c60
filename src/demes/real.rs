//! The numbers of a history as real numbers of any kind: `f64`, or [`Dual`]
//! numbers that carry one derivative along with the value (forward-mode
//! differentiation of the rates and move probabilities a fit needs).

use std::ops::{Add, Div, Mul, Neg, Sub};

/// What the history's arithmetic needs.
pub(crate) trait Real:
    Copy
    + std::fmt::Debug
    + PartialEq
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    /// A constant.
    fn constant(x: f64) -> Self;
    /// The value (without derivative).
    fn value(self) -> f64;
    fn exp(self) -> Self;
    fn exp_m1(self) -> Self;
    fn ln(self) -> Self;
    fn ln_1p(self) -> Self;
    fn powi(self, n: i32) -> Self;
}

impl Real for f64 {
    fn constant(x: f64) -> Self {
        x
    }
    fn value(self) -> f64 {
        self
    }
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn exp_m1(self) -> Self {
        f64::exp_m1(self)
    }
    fn ln(self) -> Self {
        f64::ln(self)
    }
    fn ln_1p(self) -> Self {
        f64::ln_1p(self)
    }
    fn powi(self, n: i32) -> Self {
        f64::powi(self, n)
    }
}

/// `v + d·ε` with `ε² = 0`: a value and its derivative along one direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Dual {
    pub v: f64,
    pub d: f64,
}

impl Dual {
    pub(crate) fn new(v: f64, d: f64) -> Dual {
        Dual { v, d }
    }
}

impl Add for Dual {
    type Output = Dual;
    fn add(self, o: Dual) -> Dual {
        Dual::new(self.v + o.v, self.d + o.d)
    }
}

impl Sub for Dual {
    type Output = Dual;
    fn sub(self, o: Dual) -> Dual {
        Dual::new(self.v - o.v, self.d - o.d)
    }
}

impl Mul for Dual {
    type Output = Dual;
    fn mul(self, o: Dual) -> Dual {
        Dual::new(self.v * o.v, self.d * o.v + self.v * o.d)
    }
}

impl Div for Dual {
    type Output = Dual;
    fn div(self, o: Dual) -> Dual {
        let q = self.v / o.v;
        Dual::new(q, (self.d - q * o.d) / o.v)
    }
}

impl Neg for Dual {
    type Output = Dual;
    fn neg(self) -> Dual {
        Dual::new(-self.v, -self.d)
    }
}

impl Real for Dual {
    fn constant(x: f64) -> Self {
        Dual::new(x, 0.0)
    }
    fn value(self) -> f64 {
        self.v
    }
    fn exp(self) -> Self {
        let e = self.v.exp();
        Dual::new(e, self.d * e)
    }
    fn exp_m1(self) -> Self {
        Dual::new(self.v.exp_m1(), self.d * self.v.exp())
    }
    fn ln(self) -> Self {
        Dual::new(self.v.ln(), self.d / self.v)
    }
    fn ln_1p(self) -> Self {
        Dual::new(self.v.ln_1p(), self.d / (1.0 + self.v))
    }
    fn powi(self, n: i32) -> Self {
        if n == 0 {
            return Dual::constant(1.0);
        }
        Dual::new(self.v.powi(n), self.d * f64::from(n) * self.v.powi(n - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each function's derivative against its closed form.
    #[test]
    fn derivatives_are_the_closed_forms() {
        let x = Dual::new(0.3, 1.0);
        let close = |got: Dual, want: f64, dwant: f64| {
            assert!((got.v - want).abs() < 1e-15, "{got:?} vs {want}");
            assert!((got.d - dwant).abs() < 1e-14, "{got:?} vs {dwant}");
        };
        close(x.exp(), 0.3f64.exp(), 0.3f64.exp());
        close(x.exp_m1(), 0.3f64.exp_m1(), 0.3f64.exp());
        close(x.ln(), 0.3f64.ln(), 1.0 / 0.3);
        close(x.ln_1p(), 0.3f64.ln_1p(), 1.0 / 1.3);
        close(x.powi(3), 0.027, 3.0 * 0.09);
        close(x.powi(0), 1.0, 0.0);
        close(
            x * x / (x + Dual::constant(1.0)),
            0.09 / 1.3,
            (0.6 * 1.3 - 0.09) / 1.69,
        );
        close(-(x - Dual::constant(2.0)), 1.7, -1.0);
    }
}
