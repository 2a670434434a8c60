//! Gradients of moments with respect to θ by a reverse (adjoint) pass.
//!
//! With `M x = D b` the linear system one program run solves (`M = Λ − W`
//! over the transient vertices, `D` zero at the start vertex), the moments
//! are the chain `y₁ = C r`, `y_j = C (r ⊙ y_{j−1})`, `E[Y^k] = k!·y_k[S]`
//! with `C = M⁻¹D`. Going back through the chain with adjoints
//! `z = M⁻ᵀ ḡ` (one transposed program run per step), the derivative with
//! respect to the weight of an edge `u → t` is `z_u (y_t − y_u)`, and
//! `∂w/∂θ_i` is the edge's coefficient `c_i`. Cost: `k` forward and `k`
//! transposed runs, plus one pass over the edges per step.

use crate::elimination::program::Program;
use crate::error::{Error, Result};
use crate::graph::csr::START;
use crate::graph::view::GraphView;

/// `∂E[Y^k]/∂θ` for the graph `view` at its current weights (a
/// parameterized graph), `Y` the time or the accumulated `rewards`.
pub(crate) fn moment_gradient<G: GraphView + ?Sized>(
    program: &Program,
    view: &G,
    k: usize,
    rewards: Option<&[f64]>,
) -> Result<Vec<f64>> {
    if k == 0 {
        return Err(Error::MomentOrder(0));
    }
    let p = view.param_dim();
    let rp = program.rewards_to_positions(rewards)?;
    let s = program.start();
    let mut ys = Vec::with_capacity(k);
    let mut y = rp.clone();
    for j in 0..k {
        if j > 0 {
            y.iter_mut().zip(&rp).for_each(|(y, r)| *y *= r);
        }
        program.apply(view, &mut y);
        ys.push(y.clone());
    }
    let mut g = vec![0.0; rp.len()];
    g[s] = (1..=k).map(|j| j as f64).product();
    let rate_start = view.rate(START);
    let (targets, coeffs) = (view.targets(), view.coefficients());
    let mut grad = vec![0.0; p];
    for x in ys.iter().rev() {
        let mut a = g.clone();
        program.apply_transposed(view, &mut a);
        for u in 0..view.vertex_count() {
            let Some(pu) = program.position(u) else {
                continue;
            };
            // z = M⁻ᵀḡ: the transposed run scaled by 1/λ everywhere but at
            // the start (which has no in-edges, so z_S = ḡ_S/λ_S)
            let z = if pu == s { g[s] / rate_start } else { a[pu] };
            if z == 0.0 {
                continue;
            }
            for e in view.edge_range(u) {
                let c = &coeffs[e * p..(e + 1) * p];
                if c.iter().all(|&c| c == 0.0) {
                    continue;
                }
                let t = targets[e] as usize;
                let Some(pt) = program.position(t) else {
                    // raising this weight would make absorption uncertain
                    return Err(Error::NoPathToAbsorption {
                        vertex: t,
                        state: view.state(t).to_vec(),
                    });
                };
                let d = z * (x[pt] - x[pu]);
                grad.iter_mut().zip(c).for_each(|(g, c)| *g += c * d);
            }
        }
        g = a.iter().zip(&rp).map(|(a, r)| a * r).collect();
    }
    Ok(grad)
}
