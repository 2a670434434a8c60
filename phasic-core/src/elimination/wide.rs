//! Non-negative numbers with a wide exponent, `m·2^e` (`e` an `i64`), for
//! recursions whose intermediate values leave the range of `f64` although
//! the results they lead to do not: high-order moments (`E[T^170]` of a
//! rate-1000 exponential is 7e-204, reached through vectors near 1e-300,
//! and `170!` alone is 7e306).
//!
//! Scaling by a power of two is exact, so a `Wide` carries the relative
//! precision of its mantissa at any magnitude: products and sums of
//! non-negative numbers lose one rounding each, as in `f64`.

use crate::error::{Error, Result};

/// `m·2^e` with `m = 0` or `½ ≤ m < 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Wide {
    m: f64,
    e: i64,
}

/// `x·2^e`, exact whenever the result is a normal number (steps of at
/// most `2^1000`, so no factor overflows on its own).
pub(crate) fn scale_by_power_of_two(mut x: f64, mut e: i64) -> f64 {
    const STEP: i64 = 1000;
    while e > STEP && x != 0.0 && x.is_finite() {
        x *= f64::from_bits(((1023 + STEP) as u64) << 52);
        e -= STEP;
    }
    while e < -STEP && x != 0.0 && x.is_finite() {
        x *= f64::from_bits(((1023 - STEP) as u64) << 52);
        e += STEP;
    }
    // |e| ≤ 1000: 2^e is a normal number
    x * f64::from_bits(((1023 + e) as u64) << 52)
}

/// `(m, e)` with `x = m·2^e`, `½ ≤ |m| < 1` (`(x, 0)` for 0, NaN and ±∞).
pub(crate) fn split_exponent(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    // subnormals first become normal
    let (x, bias) = if x.abs() < f64::MIN_POSITIVE {
        (x * 2f64.powi(64), -64)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64 - 1022;
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, exp + bias)
}

impl Wide {
    /// Zero.
    pub(crate) const ZERO: Wide = Wide { m: 0.0, e: 0 };

    /// `m·2^e` for a finite, non-negative `m`.
    pub(crate) fn new(m: f64, e: i64) -> Wide {
        let (m, shift) = split_exponent(m);
        if m == 0.0 {
            Wide::ZERO
        } else {
            Wide { m, e: e + shift }
        }
    }

    /// `x` as a wide number.
    pub(crate) fn from_f64(x: f64) -> Wide {
        Wide::new(x, 0)
    }

    /// Whether it is zero.
    pub(crate) fn is_zero(self) -> bool {
        self.m == 0.0
    }

    /// `self·other`.
    pub(crate) fn mul(self, other: Wide) -> Wide {
        Wide::new(self.m * other.m, self.e + other.e)
    }

    /// `self + other` (both non-negative): one rounding.
    pub(crate) fn add(self, other: Wide) -> Wide {
        if self.is_zero() {
            return other;
        }
        if other.is_zero() {
            return self;
        }
        let (big, small) = if self.e >= other.e {
            (self, other)
        } else {
            (other, self)
        };
        // a gap beyond 1100 binary digits leaves nothing of `small`
        let gap = (big.e - small.e).min(1100);
        Wide::new(big.m + scale_by_power_of_two(small.m, -gap), big.e)
    }

    /// `log₁₀` of the value (−∞ for zero).
    pub(crate) fn log10(self) -> f64 {
        if self.is_zero() {
            return f64::NEG_INFINITY;
        }
        self.m.log10() + self.e as f64 * std::f64::consts::LOG10_2
    }

    /// The value as an `f64`, or the error [`Error::MomentRange`] for
    /// `E[Y^order]` when it is not zero and lies outside the normal range
    /// of `f64` (above `f64::MAX`, or below `f64::MIN_POSITIVE`, where it
    /// would lose precision or vanish).
    pub(crate) fn moment(self, order: usize) -> Result<f64> {
        if self.is_zero() {
            return Ok(0.0);
        }
        // m in [½, 1): the value lies in [2^(e−1), 2^e)
        if self.e > 1024 || self.e - 1 < -1022 {
            return Err(Error::MomentRange {
                order,
                log10: self.log10(),
            });
        }
        Ok(scale_by_power_of_two(self.m, self.e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_split_and_join_exactly() {
        for x in [1.0, 0.75, 3.0, 1e300, 1e-300, 5e-324, 2.2e-308, f64::MAX] {
            let (m, e) = split_exponent(x);
            assert!((0.5..1.0).contains(&m), "{x}: {m}");
            assert_eq!(scale_by_power_of_two(m, e), x);
        }
        assert_eq!(split_exponent(0.0), (0.0, 0));
        assert_eq!(scale_by_power_of_two(1.0, -1074), 5e-324);
        assert_eq!(scale_by_power_of_two(1.0, 1023), 2f64.powi(1023));
        assert_eq!(scale_by_power_of_two(0.75, 2000), f64::INFINITY);
    }

    #[test]
    fn wide_numbers_reach_past_f64_and_back() {
        // 2^-1100 · 2^1100 = 1, with 2^-1100 not an f64
        let tiny = Wide::new(1.0, -1100);
        let huge = Wide::new(1.0, 1100);
        assert_eq!(tiny.mul(huge).moment(1).unwrap(), 1.0);
        assert!(matches!(
            huge.moment(3),
            Err(Error::MomentRange { order: 3, .. })
        ));
        assert!(matches!(tiny.moment(2), Err(Error::MomentRange { .. })));
        assert!((huge.log10() - 1100.0 * 2f64.log10()).abs() < 1e-12);
        // sums align their exponents; a negligible term leaves no trace
        let sum = Wide::from_f64(1.5).add(Wide::from_f64(0.25));
        assert_eq!(sum.moment(1).unwrap(), 1.75);
        assert_eq!(huge.add(Wide::from_f64(1.0)), huge);
        assert_eq!(Wide::ZERO.add(tiny), tiny);
        assert_eq!(Wide::ZERO.moment(9).unwrap(), 0.0);
        // the smallest normal number is in range, half of it is not
        assert_eq!(
            Wide::from_f64(f64::MIN_POSITIVE).moment(1).unwrap(),
            f64::MIN_POSITIVE
        );
        assert!(Wide::new(f64::MIN_POSITIVE, -1).moment(1).is_err());
        assert_eq!(Wide::from_f64(f64::MAX).moment(1).unwrap(), f64::MAX);
    }
}
