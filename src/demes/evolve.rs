//! Evaluating a built Demes model: the distribution of the lineages is
//! carried across the intervals, the time spent in each state accumulated,
//! and the last, infinite interval solved by elimination
//! (docs/MODELS.md §9).
//!
//! Within a finite interval the chain is homogeneous but for deme sizes
//! that change smoothly. Constant rates: one [`Propagator`] per interval,
//! exact up to its tolerance. Changing sizes: each segment is cut into `K`
//! pieces, each with the exact mean coalescence rate over the piece; that
//! is a symmetric method of order 2 (the exponential of the generator's
//! mean over the piece), so its error expands in even powers of `1/K`,
//! and Richardson extrapolation over `K = 1, 2, 4, …` removes them one by
//! one. Refinement stops when the last two extrapolated results agree to
//! [`REFINE_TOLERANCE`] relative, block by block.

use phasic_core::GraphView;
use phasic_core::distribution::Propagator;
use phasic_core::elimination::Program;

use super::error::DemesError;
use super::history::Interval;
use super::rates::{Reweighted, class_rates};
use super::spectrum::Spectrum;
use super::{Model, Space};

/// Error bound of each propagated piece (Poisson mass left out).
pub(super) const PIECE_TOLERANCE: f64 = 1e-15;
/// Relative agreement at which refinement stops.
pub const REFINE_TOLERANCE: f64 = 1e-10;
/// Refinement levels: at least `K = 2^3`, at most `K = 2^12` pieces per segment.
const MIN_LEVEL: u32 = 3;
const MAX_LEVEL: u32 = 12;

/// What to compute.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// The expected SFS.
    pub sfs: bool,
    /// `E[T_MRCA^k]` for `k = 1..=moments`.
    pub moments: usize,
    /// Times (generations) for the density and distribution function of `T_MRCA`.
    pub times: Vec<f64>,
}

/// The answers to a [`Query`].
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The expected SFS, if asked for.
    pub sfs: Option<Spectrum>,
    /// `E[T_MRCA^k]`, `k = 1..=moments`.
    pub moments: Vec<f64>,
    /// The density of `T_MRCA` at each time.
    pub pdf: Vec<f64>,
    /// Its distribution function at each time.
    pub cdf: Vec<f64>,
}

/// Accumulated answers.
struct Totals {
    /// Branch length by type code (`0..=T`).
    sfs: Vec<f64>,
    /// `E[T^k]`, `k = 1..`.
    moments: Vec<f64>,
    pdf: Vec<f64>,
    cdf: Vec<f64>,
}

impl Model {
    /// Answers `query` in one pass over the intervals.
    ///
    /// ```
    /// use phasic::demes::{Model, Query, Samples};
    /// // a bottleneck: N = 1000, then 100 between generations 500 and 600, then 1000
    /// let yaml = "
    /// time_units: generations
    /// demes:
    ///   - name: A
    ///     epochs:
    ///       - {start_size: 1000, end_time: 600}
    ///       - {start_size: 100, end_time: 500}
    ///       - {start_size: 1000}
    /// ";
    /// let model = Model::from_yaml(yaml, &"A=2".parse::<Samples>().unwrap()).unwrap();
    /// let e = model.evaluate(&Query { sfs: true, moments: 1, times: vec![100.0, 550.0] }).unwrap();
    /// // two lineages: P(T > t) = exp(−∫ 1/(2N)), E[T] = ∫ P(T > t) dt
    /// let s = |t: f64| (-(t.min(500.0) / 2000.0 + (t.clamp(500.0, 600.0) - 500.0) / 200.0
    ///     + (t.max(600.0) - 600.0) / 2000.0)).exp();
    /// let mean = 2000.0 * (1.0 - s(500.0)) + 200.0 * (s(500.0) - s(600.0)) + 2000.0 * s(600.0);
    /// assert!((e.moments[0] - mean).abs() < 1e-9 * mean);
    /// assert!((e.cdf[1] - (1.0 - s(550.0))).abs() < 1e-12);
    /// assert!((e.pdf[0] - s(100.0) / 2000.0).abs() < 1e-15);
    /// // the SFS of n = 2 is twice the mean time: E[ξ_1] = 2·E[T]
    /// let sfs = e.sfs.unwrap();
    /// assert!((sfs.get(&[1]).unwrap() - 2.0 * mean).abs() < 1e-9 * mean);
    /// ```
    pub fn evaluate(&self, query: &Query) -> Result<Evaluation, DemesError> {
        if let Some(&t) = query.times.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
            return Err(phasic_core::Error::InvalidTime(t).into());
        }
        let powers = query.moments.max(usize::from(query.sfs));
        let mut totals = Totals {
            sfs: vec![0.0; self.types.len() + 1],
            moments: vec![0.0; query.moments],
            pdf: vec![0.0; query.times.len()],
            cdf: vec![0.0; query.times.len()],
        };
        // before the first sampling time the MRCA cannot have been reached
        let first = self.history.intervals[0].start;
        for (k, m) in totals.moments.iter_mut().enumerate() {
            *m += first.powi(k as i32 + 1);
        }
        let mut p = self.initial_distribution();
        let mut current = 0;
        for (j, interval) in self.history.intervals.iter().enumerate() {
            let s = self.space_of[j];
            let space = &self.spaces[s];
            if s != current {
                let transfer = self.transfers[s]
                    .as_ref()
                    .expect("every space after the first is entered");
                p = transfer.apply(&p, space.graph.vertex_count());
                current = s;
            }
            let at: Vec<usize> = (0..query.times.len())
                .filter(|&i| interval.start <= query.times[i] && query.times[i] < interval.end)
                .collect();
            if interval.end.is_finite() {
                let times: Vec<f64> = at.iter().map(|&i| query.times[i]).collect();
                let piece = Piece {
                    space,
                    interval,
                    powers,
                    times: &times,
                };
                let flat = piece.integrate(&p)?;
                let v = space.graph.vertex_count();
                p = flat[..v].to_vec();
                let integrals: Vec<&[f64]> = (0..powers)
                    .map(|i| &flat[v * (i + 1)..v * (i + 2)])
                    .collect();
                let values = &flat[v * (powers + 1)..];
                if query.sfs {
                    self.add_branches(space, integrals[0], &mut totals.sfs);
                }
                for (k, m) in totals.moments.iter_mut().enumerate() {
                    *m += (k + 1) as f64 * alive_sum(space, integrals[k]);
                }
                for (n, &i) in at.iter().enumerate() {
                    totals.cdf[i] = values[2 * n];
                    totals.pdf[i] = values[2 * n + 1];
                }
            } else {
                self.last_interval(space, interval, &p, query, &at, &mut totals)?;
            }
        }
        let sfs = query.sfs.then(|| self.spectrum(&totals.sfs));
        Ok(Evaluation {
            sfs,
            moments: totals.moments,
            pdf: totals.pdf,
            cdf: totals.cdf,
        })
    }

    /// Adds `Σ_v time_v·(lineages of each type at v)` to `sfs` (by type code).
    pub(super) fn add_branches(&self, space: &Space, time: &[f64], sfs: &mut [f64]) {
        let t = self.types.len();
        for (v, &a) in time.iter().enumerate().skip(1) {
            if a == 0.0 {
                continue;
            }
            for (slot, &c) in space.graph.state(v).iter().enumerate() {
                if c > 0 {
                    sfs[slot % t + 1] += a * f64::from(c);
                }
            }
        }
    }

    /// The spectrum in moments' layout from branch lengths by type code.
    pub(super) fn spectrum(&self, by_code: &[f64]) -> Spectrum {
        let counts = self.history.counts();
        let shape: Vec<usize> = counts.iter().map(|&n| n as usize + 1).collect();
        let full = by_code.len() - 1;
        let mut values = vec![0.0; by_code.len()];
        for (code, &x) in by_code.iter().enumerate() {
            if code == 0 || code == full {
                continue;
            }
            let digits = self.types.digits(code - 1);
            let offset = digits.iter().zip(&shape).fold(0, |o, (i, s)| o * s + i);
            values[offset] = x;
        }
        Spectrum::new(shape, values).expect("one value per entry")
    }

    /// The infinite last interval: sojourn times and moments by
    /// elimination, the density and distribution function by propagation.
    fn last_interval(
        &self,
        space: &Space,
        interval: &Interval,
        p: &[f64],
        query: &Query,
        at: &[usize],
        totals: &mut Totals,
    ) -> Result<(), DemesError> {
        let a = interval.start;
        let rates = class_rates(interval, (a, a));
        let view = Reweighted::new(&space.graph, &space.classes, &rates);
        let program = Program::new(&view)?;
        if query.sfs {
            let tau = program.sojourn_times_from(&view, p)?;
            self.add_branches(space, &tau, &mut totals.sfs);
        }
        // E[T^k; from p] − a^k·P(alive) = Σ_{m ≥ 1} C(k, m)·a^{k−m}·p·x_m,
        // with x_m(v) = E_v[R^m] = m·(U x_{m−1})(v) the remaining time's moments
        let mut x: Vec<f64> = Vec::new();
        let mut px = Vec::with_capacity(query.moments);
        for m in 1..=query.moments {
            x = if m == 1 {
                program.expected_waiting_time(&view, None)?
            } else {
                let r: Vec<f64> = x.iter().map(|y| m as f64 * y).collect();
                program.expected_waiting_time(&view, Some(&r))?
            };
            if let Some(v) = (0..x.len()).find(|&v| x[v].is_nan() && p[v] != 0.0) {
                return Err(self.never(interval, space, v));
            }
            px.push(
                p.iter()
                    .zip(&x)
                    .map(|(q, y)| if *q == 0.0 { 0.0 } else { q * y })
                    .sum::<f64>(),
            );
        }
        for (k, total) in totals.moments.iter_mut().enumerate() {
            let k = k + 1;
            let mut binom = 1.0;
            for m in 1..=k {
                binom = binom * (k - m + 1) as f64 / m as f64;
                *total += binom * a.powi((k - m) as i32) * px[m - 1];
            }
        }
        if !at.is_empty() {
            let prop = Propagator::new(&view, PIECE_TOLERANCE)?;
            let mut order = at.to_vec();
            order.sort_by(|&i, &j| query.times[i].total_cmp(&query.times[j]));
            let (mut t, mut q) = (a, p.to_vec());
            for i in order {
                q = prop.advance(&q, t, query.times[i] - t, 0)?.end;
                t = query.times[i];
                let (cdf, pdf) = observe(space, &view, &q);
                totals.cdf[i] = cdf;
                totals.pdf[i] = pdf;
            }
        }
        Ok(())
    }

    fn never(&self, interval: &Interval, space: &Space, v: usize) -> DemesError {
        never(
            &self.history.names,
            self.types.len(),
            interval,
            space.graph.state(v),
        )
    }
}

/// The error for lineages in state `s` of `interval` that can never coalesce.
pub(super) fn never(names: &[String], t: usize, interval: &Interval, s: &[i32]) -> DemesError {
    let demes: Vec<String> = interval
        .demes
        .iter()
        .enumerate()
        .filter(|(slot, _)| s[slot * t..(slot + 1) * t].iter().any(|&c| c > 0))
        .map(|(_, &d)| format!("`{}`", names[d]))
        .collect();
    DemesError::NeverCoalesce {
        time: interval.start,
        demes: demes.join(", "),
    }
}

/// `Σ_v x_v` over the vertices that are not the MRCA.
fn alive_sum(space: &Space, x: &[f64]) -> f64 {
    x.iter()
        .zip(&space.done)
        .skip(1)
        .filter(|(_, d)| !**d)
        .map(|(y, _)| y)
        .sum()
}

/// `(P(T ≤ t), f(t))`: the mass on the MRCA, and the flux into it at the
/// rates of `view`.
fn observe<G: GraphView + ?Sized>(space: &Space, view: &G, p: &[f64]) -> (f64, f64) {
    let targets = view.targets();
    let weights = view.weights();
    let mut cdf = 0.0;
    let mut pdf = 0.0;
    for (v, &pv) in p.iter().enumerate().skip(1) {
        if space.done[v] {
            cdf += pv;
        } else if pv != 0.0 {
            for e in view.edge_range(v) {
                if space.done[targets[e] as usize] {
                    pdf += pv * weights[e];
                }
            }
        }
    }
    (cdf, pdf)
}

/// `run(K)` (a result computed with `K` pieces per segment) for
/// `K = 1, 2, 4, …`, Richardson-extrapolated in even powers of `1/K` until
/// two levels `agree`; one run where the sizes are constant.
pub(super) fn refine(
    interval: &Interval,
    run: impl Fn(usize) -> Result<Vec<f64>, DemesError>,
    agree: impl Fn(&[f64], &[f64]) -> bool,
) -> Result<Vec<f64>, DemesError> {
    if !interval.varies() {
        return run(1);
    }
    let mut previous: Vec<Vec<f64>> = Vec::new();
    for level in 0..=MAX_LEVEL {
        let mut row = vec![run(1 << level)?];
        for l in 1..=level as usize {
            let factor = 4f64.powi(l as i32) - 1.0;
            let better: Vec<f64> = row[l - 1]
                .iter()
                .zip(&previous[l - 1])
                .map(|(fine, coarse)| fine + (fine - coarse) / factor)
                .collect();
            row.push(better);
        }
        if level >= MIN_LEVEL && agree(&row[level as usize], &previous[level as usize - 1]) {
            return Ok(row.pop().expect("non-empty"));
        }
        previous = row;
    }
    Err(DemesError::NotConverged {
        start: interval.start,
        end: interval.end,
        tolerance: REFINE_TOLERANCE,
        pieces: 1 << MAX_LEVEL,
    })
}

/// Whether `a` and `b` agree to [`REFINE_TOLERANCE`] on every block, each
/// relative to its scale.
pub(super) fn blocks_agree(
    a: &[f64],
    b: &[f64],
    blocks: impl IntoIterator<Item = (std::ops::Range<usize>, f64)>,
) -> bool {
    blocks.into_iter().all(|(r, scale)| {
        let diff = a[r.clone()]
            .iter()
            .zip(&b[r])
            .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
        diff <= REFINE_TOLERANCE * scale
    })
}

/// The largest magnitude in `r`.
pub(super) fn largest(r: &[f64]) -> f64 {
    r.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// One finite interval to integrate from a distribution.
struct Piece<'a> {
    space: &'a Space,
    interval: &'a Interval,
    powers: usize,
    /// Query times inside `[start, end)`, in any order.
    times: &'a [f64],
}

impl Piece<'_> {
    /// `[P(end), ∫ t^0 P, …, ∫ t^{powers−1} P, (cdf, pdf) per time]`, flat.
    fn integrate(&self, p: &[f64]) -> Result<Vec<f64>, DemesError> {
        refine(self.interval, |k| self.run(p, k), |a, b| self.agree(a, b))
    }

    /// Whether two results agree, block by block: the distribution and each
    /// integral relative to its largest entry, a distribution function
    /// absolutely, a density relative to the largest coalescence rate in
    /// the interval (which bounds it, times the pairs).
    fn agree(&self, a: &[f64], b: &[f64]) -> bool {
        let v = self.space.graph.vertex_count();
        let rate = {
            let (s, e) = (self.interval.start, self.interval.end);
            let r = self
                .interval
                .sizes
                .iter()
                .map(|z| z.coalescence_rate(s).max(z.coalescence_rate(e)));
            r.fold(0.0f64, f64::max)
        };
        let rest = (self.powers + 1) * v;
        let mut blocks: Vec<(std::ops::Range<usize>, f64)> = (0..=self.powers)
            .map(|i| (i * v..(i + 1) * v, largest(&a[i * v..(i + 1) * v])))
            .collect();
        for n in 0..self.times.len() {
            let (cdf, pdf) = (rest + 2 * n, rest + 2 * n + 1);
            blocks.push((cdf..cdf + 1, 1.0));
            blocks.push((pdf..pdf + 1, a[pdf].abs().max(rate)));
        }
        blocks_agree(a, b, blocks)
    }

    /// The interval cut at the query times, each segment into `k` pieces
    /// at their mean rates.
    fn run(&self, p: &[f64], k: usize) -> Result<Vec<f64>, DemesError> {
        let (start, end) = (self.interval.start, self.interval.end);
        let v = self.space.graph.vertex_count();
        let mut cuts: Vec<f64> = self.times.iter().copied().filter(|&t| t > start).collect();
        cuts.push(start);
        cuts.push(end);
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        let mut p = p.to_vec();
        let mut integrals = vec![0.0; v * self.powers];
        let mut values: Vec<(f64, f64, f64)> = Vec::new(); // (time, cdf, pdf)
        let constant = (!self.interval.varies())
            .then(|| self.propagator((start, start)))
            .transpose()?;
        let mut observe_at = |t: f64, p: &[f64]| {
            if self.times.contains(&t) {
                let rates = class_rates(self.interval, (t, t));
                let view = Reweighted::new(&self.space.graph, &self.space.classes, &rates);
                let (cdf, pdf) = observe(self.space, &view, p);
                values.push((t, cdf, pdf));
            }
        };
        observe_at(start, &p);
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            for i in 0..k {
                let u = a + (b - a) * i as f64 / k as f64;
                let next = if i + 1 == k {
                    b
                } else {
                    a + (b - a) * (i + 1) as f64 / k as f64
                };
                let out = match &constant {
                    Some(prop) => prop.advance(&p, u, next - u, self.powers)?,
                    None => self
                        .propagator((u, next))?
                        .advance(&p, u, next - u, self.powers)?,
                };
                for (i, int) in out.integrals.iter().enumerate() {
                    for (acc, x) in integrals[i * v..(i + 1) * v].iter_mut().zip(int) {
                        *acc += x;
                    }
                }
                p = out.end;
            }
            if b < end {
                observe_at(b, &p);
            }
        }
        let mut flat = p;
        flat.extend_from_slice(&integrals);
        for &t in self.times {
            let &(_, cdf, pdf) = values
                .iter()
                .find(|x| x.0 == t)
                .expect("every time is a cut");
            flat.push(cdf);
            flat.push(pdf);
        }
        Ok(flat)
    }

    /// The chain at the mean rates over `(u, v)`.
    fn propagator(&self, piece: (f64, f64)) -> Result<Propagator, DemesError> {
        let rates = class_rates(self.interval, piece);
        let view = Reweighted::new(&self.space.graph, &self.space.classes, &rates);
        Ok(Propagator::new(&view, PIECE_TOLERANCE)?)
    }
}
