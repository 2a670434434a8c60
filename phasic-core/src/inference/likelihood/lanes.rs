//! Many θs at once: θs needing similar numbers of steps share a group of
//! lanes (structure of arrays), groups run in parallel, costliest first,
//! and derivatives are carried in passes of at most [`PASS`] parameters.
//! Every lane runs the operations it would run alone, so each θ's result
//! is bit-identical to its single evaluation, whatever the thread count.

use rayon::prelude::*;

use crate::error::Result;

use super::Likelihood;
use super::homogeneous;
use super::series::SeriesSetup;

/// θs evaluated side by side by the batch methods (a group of at most
/// four, such as a batch's last, runs in four lanes).
pub(super) const LANES: usize = 8;

/// Parameters whose derivatives one pass of the series carries.
pub(super) const PASS: usize = 7;

impl Likelihood {
    /// Runs `thetas` in groups of [`LANES`], groups in parallel, and maps
    /// every θ's densities through `each`. Fails with the first bad θ in
    /// the order of `thetas`.
    pub(super) fn batch<T: Send>(
        &self,
        thetas: &[Vec<f64>],
        derivatives: bool,
        each: impl Fn(&[Vec<f64>], &Self) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        let ats = thetas
            .par_iter()
            .map(|t| self.setup(t))
            .collect::<Result<Vec<SeriesSetup>>>()?;
        // θs needing similar numbers of steps share a group (lanes run the
        // longest lane's steps), and θs whose scores Euler's identity gives
        // only share one with each other; a θ's result does not depend on
        // its group
        let by_identity = |at: &SeriesSetup| derivatives && at.scaled.is_some();
        let mut order: Vec<usize> = (0..ats.len()).collect();
        order.sort_by_key(|&i| (!by_identity(&ats[i]), ats[i].steps, i));
        let mut slots: Vec<Option<SeriesSetup>> = ats.into_iter().map(Some).collect();
        let sorted: Vec<SeriesSetup> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let groups: Vec<&[SeriesSetup]> = sorted
            .chunk_by(|a, b| by_identity(a) == by_identity(b))
            .flat_map(|run| run.chunks(LANES))
            .collect();
        // the costliest groups first, each to the next free thread, so that
        // the threads finish together (a group's cost: its longest lane's
        // steps, the last, times its θs)
        let mut queue: Vec<usize> = (0..groups.len()).collect();
        queue.sort_by_key(|&g| {
            std::cmp::Reverse(groups[g].last().map_or(0, |at| at.steps) * groups[g].len())
        });
        let mut done: Vec<(usize, Result<Vec<T>>)> = queue
            .into_iter()
            .par_bridge()
            .map(|g| {
                let group = groups[g];
                let f = self.densities(group, derivatives);
                (g, f.iter().map(|f| each(f, self)).collect())
            })
            .collect();
        done.sort_by_key(|(g, _)| *g);
        let groups = done
            .into_iter()
            .map(|(_, r)| r)
            .collect::<Result<Vec<_>>>()?;
        let mut out: Vec<Option<T>> = thetas.iter().map(|_| None).collect();
        for (&i, r) in order.iter().zip(groups.into_iter().flatten()) {
            out[i] = Some(r);
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// For every θ of `ats` (at most [`LANES`]) and every observation:
    /// the log-density (log-pmf; `−∞` if impossible) and, with
    /// `derivatives`, the scores `∂f/∂θ_j / f` (`[ln f, s_1, …]`). The
    /// derivatives are carried in passes of at most [`PASS`] parameters,
    /// except the one Euler's identity gives (the same for every θ of
    /// `ats`).
    pub(super) fn densities(&self, ats: &[SeriesSetup], derivatives: bool) -> Vec<Vec<Vec<f64>>> {
        let p = self.param_dim;
        let width = if derivatives { p + 1 } else { 1 };
        let mut f = vec![vec![vec![0.0; width]; self.data.len()]; ats.len()];
        let scaled = ats[0].scaled.filter(|_| derivatives);
        debug_assert!(
            ats.iter()
                .all(|at| at.scaled.filter(|_| derivatives) == scaled)
        );
        let carried: Vec<usize> = (0..p)
            .filter(|&q| derivatives && Some(q) != scaled)
            .collect();
        let mut passes: Vec<&[usize]> = carried.chunks(PASS).collect();
        if passes.is_empty() {
            passes.push(&[]);
        }
        for (i, params) in passes.into_iter().enumerate() {
            let time_score = scaled.filter(|_| i == 0);
            macro_rules! run {
                ($($d:literal)*) => {
                    match (params.len() + 1, ats.len()) {
                        $(($d, 1) => self.series::<$d, 1>(ats, params, time_score, &mut f),)*
                        $(($d, 2..=4) => self.series::<$d, 4>(ats, params, time_score, &mut f),)*
                        $(($d, _) => self.series::<$d, LANES>(ats, params, time_score, &mut f),)*
                        _ => unreachable!("passes carry at most {PASS} parameters"),
                    }
                };
            }
            run!(1 2 3 4 5 6 7 8);
        }
        if let Some(q) = scaled {
            homogeneous::recover_score(&mut f, ats, &carried, q);
        }
        f
    }
}
