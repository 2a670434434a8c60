//! The checks of user input shared by every layer: θ, rewards, weights,
//! time points and discrete probabilities. Each rejects with the error
//! variant that names the bad value.

use crate::error::{Error, Result};
use crate::graph::view::GraphView;

/// Slack on `λ_v ≤ 1` for round-off in probabilities.
pub(crate) const DISCRETE_SLACK: f64 = 1e-9;

/// Rejects a θ of the wrong length or with a non-finite component.
pub(crate) fn check_theta(theta: &[f64], param_dim: usize) -> Result<()> {
    if theta.len() != param_dim {
        return Err(Error::ParamLength {
            expected: param_dim,
            got: theta.len(),
        });
    }
    match theta.iter().enumerate().find(|(_, t)| !t.is_finite()) {
        Some((index, &value)) => Err(Error::InvalidParam {
            index,
            value,
            reason: "parameters must be finite",
        }),
        None => Ok(()),
    }
}

/// Rejects reward vectors of the wrong length or with non-finite entries.
pub(crate) fn check_rewards(r: &[f64], n: usize) -> Result<()> {
    if r.len() != n {
        return Err(Error::RewardLength {
            expected: n,
            got: r.len(),
        });
    }
    if let Some(v) = r.iter().position(|x| !x.is_finite()) {
        return Err(Error::InvalidReward {
            vertex: v,
            reward: r[v],
            reason: "rewards must be finite",
        });
    }
    Ok(())
}

/// Rejects negative or non-finite weights.
pub(crate) fn check_weights<G: GraphView + ?Sized>(view: &G) -> Result<()> {
    let weights = view.weights();
    for v in 0..view.vertex_count() {
        if let Some(e) = view
            .edge_range(v)
            .find(|&e| !(weights[e].is_finite() && weights[e] >= 0.0))
        {
            return Err(invalid_weight(view, v, e));
        }
    }
    Ok(())
}

fn invalid_weight<G: GraphView + ?Sized>(view: &G, v: usize, e: usize) -> Error {
    Error::InvalidWeight {
        from: v,
        from_state: view.state(v).to_vec(),
        to_state: view.state(view.targets()[e] as usize).to_vec(),
        weight: view.weights()[e],
    }
}

/// Fails unless a tolerance (an absolute error bound on probabilities)
/// lies in (0, 1).
pub(crate) fn check_tolerance(tolerance: f64) -> Result<()> {
    if tolerance > 0.0 && tolerance < 1.0 {
        Ok(())
    } else {
        Err(Error::InvalidSetting {
            name: "tolerance",
            value: tolerance,
            reason: "must lie in (0, 1)",
        })
    }
}

/// Rejects negative or non-finite time points.
pub(crate) fn check_times(times: &[f64]) -> Result<()> {
    match times.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
        Some(&t) => Err(Error::InvalidTime(t)),
        None => Ok(()),
    }
}

/// Fails with [`Error::NotDiscrete`] if a vertex other than the start has
/// out-probabilities summing above 1.
pub(crate) fn check_discrete<G: GraphView + ?Sized>(view: &G) -> Result<()> {
    for v in 1..view.vertex_count() {
        let rate = view.rate(v);
        if rate.is_nan() || rate > 1.0 + DISCRETE_SLACK {
            return Err(Error::NotDiscrete {
                vertex: v,
                state: view.state(v).to_vec(),
                rate,
            });
        }
    }
    Ok(())
}
