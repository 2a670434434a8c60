//! Where and whether the chain is absorbed: defect, absorption
//! probabilities, and transforms by killing (docs/ALGORITHMS.md §2.6).

use crate::error::Result;
use crate::graph::builder::GraphBuilder;
use crate::graph::csr::{Graph, START};
use crate::graph::view::GraphView;

/// `P(start absorbed)`: the start's weight into absorbing vertices over its total.
pub(crate) fn defect<G: GraphView + ?Sized>(view: &G) -> f64 {
    let rate = view.rate(START);
    if rate == 0.0 {
        return 1.0;
    }
    view.edge_range(START)
        .filter(|&e| view.is_absorbing(view.targets()[e] as usize))
        .map(|e| view.weights()[e])
        .sum::<f64>()
        / rate
}

/// Probability of ending in each absorbing vertex (0 elsewhere), from the
/// expected sojourn times: `P(a) = α_a + Σ_v y_v·w(v→a)`.
///
/// Holds for continuous graphs (`y` = expected time, `w` = rate) and
/// discrete ones (`y` = expected steps, `w` = probability).
pub(crate) fn absorption_probabilities<G: GraphView + ?Sized>(
    view: &G,
    sojourn: &[f64],
) -> Vec<f64> {
    let n = view.vertex_count();
    let targets = view.targets();
    let weights = view.weights();
    let mut out = vec![0.0; n];
    let start_rate = view.rate(START);
    for (v, &soj) in sojourn.iter().enumerate().take(n) {
        let factor = if v == START {
            if start_rate == 0.0 {
                out[START] = 1.0;
                continue;
            }
            1.0 / start_rate
        } else {
            soj
        };
        if !factor.is_finite() || factor == 0.0 {
            continue;
        }
        for e in view.edge_range(v) {
            let t = targets[e] as usize;
            if view.is_absorbing(t) {
                out[t] += factor * weights[e];
            }
        }
    }
    out
}

/// A copy of `view` in which every edge out of a transient vertex is
/// multiplied by `keep`, and every transient vertex gets an extra edge of
/// weight `kill` to a new absorbing vertex (the last one).
///
/// Continuous Laplace transform: `keep = 1`, `kill = s`. Discrete
/// probability generating function: `keep = z`, `kill = 1 − z`. The
/// transform is then the probability of absorption in an original absorbing
/// vertex.
pub(crate) fn killed<G: GraphView + ?Sized>(view: &G, keep: f64, kill: f64) -> Result<Graph> {
    let n = view.vertex_count();
    let mut b = GraphBuilder::with_params(view.state_len(), 0);
    for v in 1..n {
        b.create(view.state(v))?;
    }
    let grave = b.create(&vec![0; view.state_len()])?;
    let targets = view.targets();
    let weights = view.weights();
    for v in 0..n {
        let factor = if v == START { 1.0 } else { keep };
        for e in view.edge_range(v) {
            b.add_edge(v, targets[e] as usize, factor * weights[e])?;
        }
        if v != START && !view.is_absorbing(v) {
            b.add_edge(v, grave, kill)?;
        }
    }
    Ok(b.build())
}
