//! The one step shared by graph elimination (ALGORITHMS §3.3) and reward
//! transformation (§4.1): remove the edge `u → v` and let `u` inherit
//! `v`'s out-edges.

/// Normalised out-edges `(target, probability)`, sorted by target.
pub(crate) type Children = Vec<(u32, f64)>;

/// What bypassing `v` did to `u`.
pub(crate) struct Bypass {
    /// Probability of the removed edge `u → v`.
    pub q_uv: f64,
    /// `1 / total`, the factor `u`'s probabilities were renormalised by.
    pub inv_total: f64,
    /// Whether `v` led back to `u` (a loop `u → v → u` was folded in).
    pub self_loop: bool,
}

/// Removes `u → v` from `cu` (target `v`) and merges `q_uv · cv` into it,
/// dropping `v → u` (which becomes the self-loop) and renormalising.
/// `new_edge(z)` is called for every target `u` did not have before.
///
/// Returns `None` if `cu` has no edge to `v`. If no mass is left (`u` only
/// looped back through `v`), `inv_total` is not finite; callers report
/// that as a closed class.
pub(crate) fn bypass(
    u: u32,
    v: u32,
    cu: &mut Children,
    cv: &[(u32, f64)],
    scratch: &mut Children,
    mut new_edge: impl FnMut(u32),
) -> Option<Bypass> {
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
                scratch.push((z, q_uv * q));
                new_edge(z);
            }
        } else {
            scratch.push((cu[i].0, cu[i].1 + q_uv * cv[j].1));
            i += 1;
            j += 1;
        }
    }
    let total: f64 = scratch.iter().map(|&(_, q)| q).sum();
    let inv_total = 1.0 / total;
    for e in scratch.iter_mut() {
        e.1 *= inv_total;
    }
    std::mem::swap(cu, scratch);
    Some(Bypass {
        q_uv,
        inv_total,
        self_loop,
    })
}
