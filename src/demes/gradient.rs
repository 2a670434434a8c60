//! The expected SFS with its exact derivatives along directions in the
//! numbers of a history (docs/ALGORITHMS.md §5.8), forward mode: every
//! number of an interval — its start and end, its sizes, migration rates
//! and event proportions — carries a derivative; the rates of each piece,
//! its duration and the move probabilities at a boundary are computed in
//! [`Dual`] numbers from them; the distribution's tangent is carried
//! through the uniformization with the distribution
//! ([`Propagator::advance_tangents`]); the sojourn times of the last
//! interval are differentiated by one more elimination pass
//! ([`Program::sojourn_times_tangent`]). Richardson extrapolation is
//! linear, so tangents are extrapolated with the values.

use phasic_core::GraphView;
use phasic_core::distribution::{Propagator, Tangents};
use phasic_core::elimination::Program;

use super::error::DemesError;
use super::evolve::{PIECE_TOLERANCE, blocks_agree, largest, refine};
use super::history::{History, Interval};
use super::lineages::NO_CLASS;
use super::rates::{Reweighted, class_rates};
use super::real::Dual;
use super::spectrum::Spectrum;
use super::{Model, Space, boundary};

/// A direction in the numbers of a history: per interval, the derivative
/// of each of its numbers (the same structure as the interval).
pub(crate) type Direction = Vec<Interval>;

/// Branch lengths by type code (`0..=T`) and their derivatives, one
/// vector per direction.
pub(crate) struct BranchTangents {
    pub value: Vec<f64>,
    pub tangents: Vec<Vec<f64>>,
}

/// `interval` with every number carrying its derivative from `tangent`.
fn dual(interval: &Interval, tangent: &Interval) -> Interval<Dual> {
    let mut it = tangent.numbers().into_iter();
    interval.map(&mut |x| Dual::new(x, it.next().unwrap_or(0.0)))
}

/// Per edge of `space`, the derivative of its weight at the piece `at` of
/// the dual interval `d`: its multiplicity times the derivative of its
/// class's rate.
fn weight_tangent(space: &Space, d: &Interval<Dual>, at: (Dual, Dual)) -> Vec<f64> {
    let drates: Vec<f64> = class_rates(d, at).iter().map(|r| r.d).collect();
    space
        .graph
        .weights()
        .iter()
        .zip(&space.classes)
        .map(|(&w, &c)| {
            if c == NO_CLASS {
                0.0
            } else {
                w * drates[c as usize]
            }
        })
        .collect()
}

/// Relative steps of the differences that read how a history's numbers
/// move with a parameter, largest first. They move linearly (times,
/// sizes, rates and proportions are the Demes fields, which a parameter
/// sets or a default copies, divided by the generation time for a file
/// in years), so a difference is exact but for rounding, which a large
/// step keeps small; a smaller one serves where the large one would
/// change the order of events.
const STEPS: [f64; 3] = [1e-3, 1e-5, 1e-7];

/// How far from linear a history may move (relative to its numbers).
const LINEAR: f64 = 1e-9;

impl Model {
    /// The expected SFS at the parameters `theta`, and its exact
    /// derivative with respect to each of them. `graph_at(θ)` is the Demes
    /// graph at `θ` — the fields that a parameter sets must enter linearly,
    /// as those of an options file do — and must have this model's
    /// structure (see [`reparameterized`](Self::reparameterized)).
    ///
    /// ```
    /// use phasic::demes::{DemesError, Model, Samples};
    /// // one deme of size N: E[ξ_i] = 4N/i, so ∂E[ξ_i]/∂N = 4/i
    /// let graph = |t: &[f64]| -> Result<demes::Graph, DemesError> {
    ///     Ok(demes::loads(&format!(
    ///         "time_units: generations\ndemes:\n  - name: A\n    epochs:\n      - {{start_size: {}}}\n",
    ///         t[0]
    ///     ))?)
    /// };
    /// let samples: Samples = "A=4".parse()?;
    /// let model = Model::new(graph(&[1000.0])?, &samples, &Default::default())?;
    /// let (sfs, d) = model.sfs_gradient(&[1500.0], graph)?;
    /// for i in 1..4 {
    ///     let want = 4.0 / i as f64;
    ///     assert!((sfs.get(&[i]).unwrap() - 6000.0 / i as f64).abs() < 1e-9);
    ///     assert!((d[0].get(&[i]).unwrap() - want).abs() < 1e-12 * want);
    /// }
    /// # Ok::<(), DemesError>(())
    /// ```
    pub fn sfs_gradient(
        &self,
        theta: &[f64],
        graph_at: impl Fn(&[f64]) -> Result<demes::Graph, DemesError>,
    ) -> Result<(Spectrum, Vec<Spectrum>), DemesError> {
        let model = self.reparameterized(graph_at(theta)?)?;
        let history_at = |t: &[f64]| -> Result<History, DemesError> {
            let h = History::new(graph_at(t)?, &self.samples)?;
            model.history.check_structure(&h)?;
            Ok(h)
        };
        let mut directions = Vec::with_capacity(theta.len());
        for k in 0..theta.len() {
            let moved = |by: f64| {
                let mut t = theta.to_vec();
                t[k] += by;
                history_at(&t)
            };
            let scale = if theta[k] == 0.0 {
                1e-6
            } else {
                theta[k].abs()
            };
            let at_step = |s: f64| -> Result<(f64, History, History), DemesError> {
                let step = s * scale;
                Ok((step, moved(step)?, moved(-step)?))
            };
            let mut attempt = at_step(STEPS[0]);
            for &s in &STEPS[1..] {
                if attempt.is_ok() {
                    break;
                }
                attempt = at_step(s);
            }
            let (step, up, down) = attempt?;
            let mut direction = Vec::with_capacity(up.intervals.len());
            for ((u, d), at) in up
                .intervals
                .iter()
                .zip(&down.intervals)
                .zip(&model.history.intervals)
            {
                let (lower, here) = (d.numbers(), at.numbers());
                let (mut i, mut curved) = (0, None);
                let tangent = u.map(&mut |x| {
                    let (y, z) = (lower[i], here[i]);
                    i += 1;
                    if (x + y - 2.0 * z).abs()
                        > LINEAR * z.abs().max(x.abs()).max(f64::MIN_POSITIVE)
                        && x.is_finite()
                    {
                        curved = Some(z);
                    }
                    if x.is_finite() {
                        (x - y) / (2.0 * step)
                    } else {
                        0.0
                    }
                });
                if let Some(value) = curved {
                    return Err(DemesError::NotLinear {
                        parameter: k,
                        value,
                    });
                }
                direction.push(tangent);
            }
            directions.push(direction);
        }
        let b = model.branch_tangents(&directions)?;
        Ok((
            model.spectrum(&b.value),
            b.tangents.iter().map(|t| model.spectrum(t)).collect(),
        ))
    }

    /// The branch lengths by type code and their derivatives along each
    /// direction (the SFS's entries before they are laid out).
    pub(crate) fn branch_tangents(
        &self,
        directions: &[Direction],
    ) -> Result<BranchTangents, DemesError> {
        let types = self.types.len();
        let k = directions.len();
        let mut out = BranchTangents {
            value: vec![0.0; types + 1],
            tangents: vec![vec![0.0; types + 1]; k],
        };
        let intervals = &self.history.intervals;
        let duals: Vec<Vec<Interval<Dual>>> = directions
            .iter()
            .map(|d| intervals.iter().zip(d).map(|(i, t)| dual(i, t)).collect())
            .collect();
        let boundary = |j: usize, events| boundary(types, &self.history, &self.groups, j, events);
        let n0 = self.spaces[0].graph.vertex_count();
        let mut p = self.initial_distribution();
        let mut dp: Vec<Vec<f64>> = duals
            .iter()
            .map(|d| {
                let mut t = vec![0.0; n0];
                for (i, (_, q)) in boundary(0, &d[0].events).outcomes(&[]).iter().enumerate() {
                    t[i + 1] += q.d;
                }
                t
            })
            .collect();
        let mut current = 0;
        for (j, interval) in intervals.iter().enumerate() {
            let s = self.space_of[j];
            let space = &self.spaces[s];
            if s != current {
                let prev = &self.spaces[current];
                let transfer = self.transfers[s]
                    .as_ref()
                    .expect("every space after the first is entered");
                let n = space.graph.vertex_count();
                for (t, d) in dp.iter_mut().zip(&duals) {
                    let dprob = transfer.tangent(&prev.graph, &boundary(j, &d[j].events));
                    let mut next = transfer.apply(t, n);
                    let moved = transfer.apply_tangent(&p, n, &dprob);
                    next.iter_mut().zip(&moved).for_each(|(x, y)| *x += y);
                    *t = next;
                }
                p = transfer.apply(&p, n);
                current = s;
            }
            let here: Vec<&Interval<Dual>> = duals.iter().map(|d| &d[j]).collect();
            let time = if interval.end.is_finite() {
                let v = space.graph.vertex_count();
                let flat = refine(
                    interval,
                    |pieces| run(space, interval, &here, &p, &dp, pieces),
                    |a, b| {
                        blocks_agree(
                            a,
                            b,
                            (0..2 * (k + 1)).map(|i| {
                                let r = i * v..(i + 1) * v;
                                let scale = largest(&a[r.clone()]);
                                (r, scale)
                            }),
                        )
                    },
                )?;
                // [P, ∫P, then per direction Ṗ, ∫Ṗ]
                p = flat[..v].to_vec();
                for (i, t) in dp.iter_mut().enumerate() {
                    *t = flat[(2 + 2 * i) * v..(3 + 2 * i) * v].to_vec();
                }
                let integrals: Vec<Vec<f64>> = (0..=k)
                    .map(|i| flat[(1 + 2 * i) * v..(2 + 2 * i) * v].to_vec())
                    .collect();
                integrals
            } else {
                let rates = class_rates(interval, (interval.start, interval.start));
                let view = Reweighted::new(&space.graph, &space.classes, &rates);
                let program = Program::new(&view)?;
                let tau = program.sojourn_times_from(&view, &p)?;
                let mut times = vec![];
                for (t, d) in dp.iter().zip(&here) {
                    let dw = weight_tangent(space, d, (d.start, d.start));
                    times.push(program.sojourn_times_tangent(&view, &tau, t, &dw)?);
                }
                times.insert(0, tau);
                times
            };
            self.add_branches(space, &time[0], &mut out.value);
            for (t, x) in out.tangents.iter_mut().zip(&time[1..]) {
                self.add_branches(space, x, t);
            }
        }
        Ok(out)
    }
}

/// The finite `interval` cut into `pieces` pieces at their mean rates,
/// from `p` with the tangents `dp`: `[P(end), ∫P, (Ṗ(end), ∫Ṗ) per
/// direction]`, flat.
fn run(
    space: &Space,
    interval: &Interval,
    duals: &[&Interval<Dual>],
    p: &[f64],
    dp: &[Vec<f64>],
    pieces: usize,
) -> Result<Vec<f64>, DemesError> {
    let v = space.graph.vertex_count();
    let k = duals.len();
    let mut p = p.to_vec();
    let mut dp = dp.to_vec();
    let mut integral = vec![0.0; v];
    let mut dintegral = vec![vec![0.0; v]; k];
    let at = |a: f64, b: f64, i: usize| a + (b - a) * i as f64 / pieces as f64;
    let dual_at = |d: &Interval<Dual>, i: usize| {
        let (a, b) = (d.start, d.end);
        let f = Dual::new(i as f64 / pieces as f64, 0.0);
        a + (b - a) * f
    };
    for i in 0..pieces {
        let u = at(interval.start, interval.end, i);
        let next = if i + 1 == pieces {
            interval.end
        } else {
            at(interval.start, interval.end, i + 1)
        };
        let rates = class_rates(interval, (u, next));
        let view = Reweighted::new(&space.graph, &space.classes, &rates);
        let mut tangents = Tangents {
            entry: dp,
            ..Tangents::default()
        };
        for d in duals {
            let (du, dv) = (dual_at(d, i), dual_at(d, i + 1));
            tangents.weights.push(weight_tangent(space, d, (du, dv)));
            tangents.duration.push(dv.d - du.d);
        }
        let prop = Propagator::new(&view, PIECE_TOLERANCE)?;
        let (value, moved) = prop.advance_tangents(&view, &p, next - u, &tangents)?;
        integral
            .iter_mut()
            .zip(&value.integrals[0])
            .for_each(|(a, x)| *a += x);
        for (acc, m) in dintegral.iter_mut().zip(&moved) {
            acc.iter_mut()
                .zip(&m.integrals[0])
                .for_each(|(a, x)| *a += x);
        }
        p = value.end;
        dp = moved.into_iter().map(|m| m.end).collect();
    }
    let mut flat = p;
    flat.extend_from_slice(&integral);
    for (e, i) in dp.iter().zip(&dintegral) {
        flat.extend_from_slice(e);
        flat.extend_from_slice(i);
    }
    Ok(flat)
}
