//! The one step shared by graph elimination (docs/ALGORITHMS.md §3.3) and
//! reward transformation (§4.1): remove the edge `u → v` and let `u` inherit
//! `v`'s out-edges.
//!
//! It is written over [`Arith`], so the same code computes with numbers
//! and records elimination traces.

/// The arithmetic a bypass needs: numbers, or operations recorded in a trace.
pub(crate) trait Arith {
    /// A value (a number, or the id of a recorded operation).
    type V: Copy;
    /// `a · b`
    fn mul(&mut self, a: Self::V, b: Self::V) -> Self::V;
    /// `a + b`
    fn add(&mut self, a: Self::V, b: Self::V) -> Self::V;
    /// `Σ xs`, in order.
    fn sum(&mut self, xs: impl Iterator<Item = Self::V>) -> Self::V;
    /// `1 / a`
    fn inv(&mut self, a: Self::V) -> Self::V;
    /// Whether `a` is usable as a renormalisation factor (numbers: finite).
    fn usable(&self, a: Self::V) -> bool;
}

/// Plain `f64` arithmetic.
pub(crate) struct PlainArithmetic;

impl Arith for PlainArithmetic {
    type V = f64;
    fn mul(&mut self, a: f64, b: f64) -> f64 {
        a * b
    }
    fn add(&mut self, a: f64, b: f64) -> f64 {
        a + b
    }
    fn sum(&mut self, xs: impl Iterator<Item = f64>) -> f64 {
        xs.sum()
    }
    fn inv(&mut self, a: f64) -> f64 {
        1.0 / a
    }
    fn usable(&self, a: f64) -> bool {
        a.is_finite()
    }
}

/// Normalised out-edges `(target, probability)`, sorted by target.
pub(crate) type Children<V> = Vec<(u32, V)>;

/// What bypassing `v` did to `u`.
pub(crate) struct Bypass<V> {
    /// Probability of the removed edge `u → v`.
    pub q_uv: V,
    /// `1 / total`, the factor `u`'s probabilities were renormalised by.
    pub inv_total: V,
    /// Whether `v` led back to `u` (a loop `u → v → u` was folded in).
    pub self_loop: bool,
}

/// Removes `u → v` from `cu` (target `v`) and merges `q_uv · cv` into it,
/// dropping `v → u` (which becomes the self-loop) and renormalising.
/// `new_edge(z)` is called for every target `u` did not have before.
///
/// Returns `None` if `cu` has no edge to `v`. If no mass is left (`u` only
/// looped back through `v`), `inv_total` is not usable; callers report
/// that as a closed class.
pub(crate) fn bypass<A: Arith>(
    ar: &mut A,
    u: u32,
    v: u32,
    cu: &mut Children<A::V>,
    cv: &[(u32, A::V)],
    scratch: &mut Children<A::V>,
    mut new_edge: impl FnMut(u32),
) -> Option<Bypass<A::V>> {
    let k = cu.binary_search_by_key(&v, |&(t, _)| t).ok()?;
    let q_uv = cu.remove(k).1;
    scratch.clear();
    let mut self_loop = false;
    let (mut i, mut j) = (0, 0);
    while i < cu.len() || j < cv.len() {
        if j == cv.len() || (i < cu.len() && cu[i].0 < cv[j].0) {
            scratch.push(cu[i]);
            i += 1;
        } else if i == cu.len() || cv[j].0 < cu[i].0 {
            let (z, q) = cv[j];
            j += 1;
            if z == u {
                self_loop = true;
            } else {
                let p = ar.mul(q_uv, q);
                scratch.push((z, p));
                new_edge(z);
            }
        } else {
            let p = ar.mul(q_uv, cv[j].1);
            let q = ar.add(cu[i].1, p);
            scratch.push((cu[i].0, q));
            i += 1;
            j += 1;
        }
    }
    let total = ar.sum(scratch.iter().map(|&(_, q)| q));
    let inv_total = ar.inv(total);
    for e in scratch.iter_mut() {
        e.1 = ar.mul(e.1, inv_total);
    }
    std::mem::swap(cu, scratch);
    Some(Bypass {
        q_uv,
        inv_total,
        self_loop,
    })
}
