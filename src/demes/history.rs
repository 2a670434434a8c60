//! A Demes model as a sequence of intervals between event times, each
//! homogeneous but for deme sizes that change smoothly, with the events
//! that move lineages at their boundaries (docs/MODELS.md §9).
//!
//! Backward in time, at an interval's start: samples taken then join,
//! pulses move destination lineages to their sources (the last-listed
//! pulse first, since Demes applies pulses of one time in the listed order
//! forward in time), and demes that begin then send their lineages to
//! their ancestors.

use super::error::DemesError;
use super::real::Real;
use super::samples::Samples;

/// How a deme's size changes within an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Constant,
    /// Exponentially interpolated from `n_s` at `t_s` to `n_e` at `t_e`.
    Exponential,
    /// Linearly interpolated.
    Linear,
}

/// A deme's size within an epoch `[t_e, t_s]` (`t_s` the older time):
/// `N(t) = n_s·exp(r·(t_s − t))` with `r = ln(n_e/n_s)/(t_s − t_e)`, or
/// `n_s + b·(t_s − t)` with `b = (n_e − n_s)/(t_s − t_e)`. The raw
/// numbers are kept, so that every number of a history depends linearly
/// on the fields of the Demes file (a fit differentiates through them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Size<T = f64> {
    pub shape: Shape,
    pub t_s: T,
    pub t_e: T,
    pub n_s: T,
    pub n_e: T,
}

impl Size {
    /// The size of deme `deme`'s epoch `i` (named in the error for a size
    /// function the specification may add).
    fn of(deme: &demes::Deme, i: usize) -> Result<Size, DemesError> {
        let epoch = &deme.epochs()[i];
        let (t_s, t_e) = (f64::from(epoch.start_time()), f64::from(epoch.end_time()));
        let (n_s, n_e) = (f64::from(epoch.start_size()), f64::from(epoch.end_size()));
        let shape = match epoch.size_function() {
            _ if n_s == n_e => Shape::Constant,
            demes::SizeFunction::Constant => Shape::Constant,
            demes::SizeFunction::Exponential => Shape::Exponential,
            demes::SizeFunction::Linear => Shape::Linear,
            other => {
                return Err(DemesError::Unsupported {
                    item: format!("deme `{}`, epoch {i}", deme.name()),
                    what: format!(
                        "size function {other:?} is not modelled (constant, exponential and linear are)"
                    ),
                });
            }
        };
        // a constant epoch's size is its end size (the start size may be
        // implicit and equal)
        Ok(Size {
            shape,
            t_s,
            t_e,
            n_s: if shape == Shape::Constant { n_e } else { n_s },
            n_e,
        })
    }
}

impl<T> Size<T> {
    /// Whether the size changes within the epoch.
    pub(crate) fn varies(&self) -> bool {
        self.shape != Shape::Constant
    }
}

impl<T: Real> Size<T> {
    /// The size at generation `t`.
    pub(crate) fn at(&self, t: T) -> T {
        match self.shape {
            Shape::Constant => self.n_e,
            Shape::Exponential => {
                let r = (self.n_e / self.n_s).ln() / (self.t_s - self.t_e);
                self.n_s * (r * (self.t_s - t)).exp()
            }
            Shape::Linear => {
                let b = (self.n_e - self.n_s) / (self.t_s - self.t_e);
                self.n_s + b * (self.t_s - t)
            }
        }
    }

    /// The pair coalescence rate `1/(2N(t))` at generation `t`.
    pub(crate) fn coalescence_rate(&self, t: T) -> T {
        T::constant(0.5) / self.at(t)
    }

    /// The mean pair coalescence rate over `[u, v]`,
    /// `(1/(v−u))·∫_u^v dt/(2N(t))`, in closed form (the rate at `u` for
    /// an empty range).
    ///
    /// Exponential: `e^{−r(t_s−v)}·(1 − e^{−r(v−u)})/(r(v−u))/(2n_s)`;
    /// linear: `ln(N(u)/N(v))/(2b(v−u))`, both written with `expm1`/`ln1p`
    /// so that short pieces and slow changes keep full precision.
    pub(crate) fn mean_coalescence_rate(&self, u: T, v: T) -> T {
        let h = v - u;
        if h.value() <= 0.0 {
            return self.coalescence_rate(u);
        }
        let half = T::constant(0.5);
        let one = T::constant(1.0);
        match self.shape {
            Shape::Constant => half / self.n_e,
            Shape::Exponential => {
                let r = (self.n_e / self.n_s).ln() / (self.t_s - self.t_e);
                let y = r * h;
                // −expm1(−y)/y, and its first order at y = 0
                let ratio = if y.value() == 0.0 {
                    one - y * half
                } else {
                    -(-y).exp_m1() / y
                };
                (-r * (self.t_s - v)).exp() * ratio * half / self.n_s
            }
            Shape::Linear => {
                let (nu, nv) = (self.at(u), self.at(v));
                let y = (nu - nv) / nu;
                let ratio = if y.value() == 0.0 {
                    one + y * half
                } else {
                    -(-y).ln_1p() / y
                };
                ratio * half / nu
            }
        }
    }
}

/// Lineages moved at an interval's start.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event<T = f64> {
    /// Sample group `group` joins (its lineages appear in its deme).
    Sample { group: usize },
    /// Each lineage of `dest` moves to source `s` with probability `p`
    /// (`(s, p)` in `sources`), or stays.
    Pulse {
        dest: usize,
        sources: Vec<(usize, T)>,
    },
    /// Deme `deme` begins: each of its lineages moves to an ancestor with
    /// its proportion.
    Begin {
        deme: usize,
        ancestors: Vec<(usize, T)>,
    },
}

/// Backward migration within an interval: a lineage in `from` (the Demes
/// destination) moves to `to` (the source) at `rate` per generation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Migration<T = f64> {
    pub from: usize,
    pub to: usize,
    pub rate: T,
}

/// `[start, end)` in generations (`end` infinite for the last).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Interval<T = f64> {
    pub start: T,
    pub end: T,
    /// The demes that exist throughout, by index, ascending.
    pub demes: Vec<usize>,
    /// Their sizes, parallel to `demes`.
    pub sizes: Vec<Size<T>>,
    /// Backward migrations, one per ordered pair.
    pub migrations: Vec<Migration<T>>,
    /// The events at `start`, in the order they apply.
    pub events: Vec<Event<T>>,
    /// Whether every sample has joined by `start`.
    pub complete: bool,
}

impl<T: Copy> Interval<T> {
    /// Whether a deme size changes within the interval.
    pub(crate) fn varies(&self) -> bool {
        self.sizes.iter().any(Size::varies)
    }

    /// Every number of the interval, in the order of [`map`](Self::map).
    pub(crate) fn numbers(&self) -> Vec<T> {
        let mut out = Vec::new();
        self.map(&mut |x| {
            out.push(x);
            x
        });
        out
    }

    /// The interval with every number replaced by `f` of it, visited in a
    /// fixed order (start, end, sizes, migrations, event proportions):
    /// the one place that knows where a history's numbers are.
    pub(crate) fn map<U: Copy>(&self, f: &mut impl FnMut(T) -> U) -> Interval<U> {
        let (start, end) = (f(self.start), f(self.end));
        let sizes = self
            .sizes
            .iter()
            .map(|s| Size {
                shape: s.shape,
                t_s: f(s.t_s),
                t_e: f(s.t_e),
                n_s: f(s.n_s),
                n_e: f(s.n_e),
            })
            .collect();
        let migrations = self
            .migrations
            .iter()
            .map(|m| Migration {
                from: m.from,
                to: m.to,
                rate: f(m.rate),
            })
            .collect();
        let mut shares = |list: &[(usize, T)]| list.iter().map(|&(d, q)| (d, f(q))).collect();
        let events = self
            .events
            .iter()
            .map(|e| match e {
                Event::Sample { group } => Event::Sample { group: *group },
                Event::Pulse { dest, sources } => Event::Pulse {
                    dest: *dest,
                    sources: shares(sources),
                },
                Event::Begin { deme, ancestors } => Event::Begin {
                    deme: *deme,
                    ancestors: shares(ancestors),
                },
            })
            .collect();
        Interval {
            start,
            end,
            demes: self.demes.clone(),
            sizes,
            migrations,
            events,
            complete: self.complete,
        }
    }
}

/// A sample group resolved against the model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    pub deme: usize,
    pub count: i32,
    pub time: f64,
}

/// The model as intervals, from the first sampling time on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct History {
    /// Every deme's name, by index.
    pub names: Vec<String>,
    /// The sample groups, in the order given.
    pub groups: Vec<Group>,
    /// Consecutive intervals; the first starts at the earliest sampling
    /// time and the last is infinite.
    pub intervals: Vec<Interval>,
}

impl History {
    /// Reads a parsed Demes graph (any time units) with its samples.
    pub(crate) fn new(graph: demes::Graph, samples: &Samples) -> Result<History, DemesError> {
        let graph = graph.into_generations()?;
        refuse_unsupported(&graph)?;
        let demes = graph.demes();
        let names: Vec<String> = demes.iter().map(|d| d.name().to_string()).collect();
        let groups = resolve_samples(demes, &names, samples)?;
        let first = groups.iter().map(|g| g.time).fold(f64::INFINITY, f64::min);
        let last_sample = groups.iter().map(|g| g.time).fold(0.0, f64::max);
        let mut times: Vec<f64> = event_times(&graph, &groups)
            .filter(|&t| t > first && t.is_finite())
            .collect();
        times.push(first);
        times.sort_by(f64::total_cmp);
        times.dedup();
        let mut intervals = Vec::with_capacity(times.len());
        for (i, &start) in times.iter().enumerate() {
            let end = times.get(i + 1).copied().unwrap_or(f64::INFINITY);
            let alive: Vec<usize> = (0..demes.len())
                .filter(|&d| {
                    f64::from(demes[d].end_time()) <= start
                        && f64::from(demes[d].start_time()) >= end
                })
                .collect();
            let sizes = alive
                .iter()
                .map(|&d| {
                    // the epochs of a deme cover the times it exists, so one is found
                    let i = demes[d]
                        .epochs()
                        .iter()
                        .position(|e| {
                            f64::from(e.end_time()) <= start && f64::from(e.start_time()) >= end
                        })
                        .unwrap_or(0);
                    Size::of(&demes[d], i)
                })
                .collect::<Result<_, _>>()?;
            intervals.push(Interval {
                start,
                end,
                migrations: migrations(&graph, start, end),
                events: events_at(&graph, &groups, start),
                complete: last_sample <= start,
                demes: alive,
                sizes,
            });
        }
        Ok(History {
            names,
            groups,
            intervals,
        })
    }

    /// Fails unless `other` has this history's structure: the same
    /// intervals with the same demes, migrations, events and size shapes
    /// (its numbers may differ), naming the first interval that differs.
    pub(crate) fn check_structure(&self, other: &History) -> Result<(), DemesError> {
        let shape = |i: &Interval| i.map(&mut |_| ());
        let differs = (self.intervals.len() != other.intervals.len())
            .then_some(0)
            .or_else(|| {
                (0..self.intervals.len())
                    .find(|&j| shape(&self.intervals[j]) != shape(&other.intervals[j]))
            });
        match differs {
            None => Ok(()),
            Some(j) => Err(DemesError::Structure {
                interval: j,
                start: self.intervals.get(j).map_or(f64::NAN, |i| i.start),
                intervals: self.intervals.len(),
                others: other.intervals.len(),
            }),
        }
    }

    /// The sizes of the sample groups (the SFS's shape, less one per axis).
    pub(crate) fn counts(&self) -> Vec<i32> {
        self.groups.iter().map(|g| g.count).collect()
    }
}

/// Selfing and cloning change the coalescent; phasic models random mating.
fn refuse_unsupported(graph: &demes::Graph) -> Result<(), DemesError> {
    for deme in graph.demes() {
        for (i, e) in deme.epochs().iter().enumerate() {
            let (selfing, cloning) = (f64::from(e.selfing_rate()), f64::from(e.cloning_rate()));
            for (what, rate) in [("selfing_rate", selfing), ("cloning_rate", cloning)] {
                if rate != 0.0 {
                    return Err(DemesError::Unsupported {
                        item: format!("deme `{}`, epoch {i}", deme.name()),
                        what: format!(
                            "{what} is {rate}: phasic models random mating only (selfing and cloning rates must be 0)"
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Each sample group's deme, which must exist at its sampling time.
fn resolve_samples(
    demes: &[demes::Deme],
    names: &[String],
    samples: &Samples,
) -> Result<Vec<Group>, DemesError> {
    samples
        .groups()
        .iter()
        .map(|s| {
            let d =
                names
                    .iter()
                    .position(|n| *n == s.deme)
                    .ok_or_else(|| DemesError::UnknownDeme {
                        name: s.deme.clone(),
                        valid: names.join(", "),
                    })?;
            let (start, end) = (
                f64::from(demes[d].start_time()),
                f64::from(demes[d].end_time()),
            );
            if !(end <= s.time && s.time < start) {
                return Err(DemesError::NotAlive {
                    name: s.deme.clone(),
                    time: s.time,
                    start,
                    end,
                });
            }
            let count = i32::try_from(s.count).map_err(|_| DemesError::BadSamples {
                text: samples.to_string(),
                expected: format!("{} genomes of `{}` are too many", s.count, s.deme),
            })?;
            Ok(Group {
                deme: d,
                count,
                time: s.time,
            })
        })
        .collect()
}

/// Every time at which something changes.
fn event_times<'a>(graph: &'a demes::Graph, groups: &'a [Group]) -> impl Iterator<Item = f64> + 'a {
    let demes = graph.demes().iter().flat_map(|d| {
        std::iter::once(f64::from(d.start_time()))
            .chain(d.epochs().iter().map(|e| f64::from(e.end_time())))
    });
    let migrations = graph
        .migrations()
        .iter()
        .flat_map(|m| [f64::from(m.start_time()), f64::from(m.end_time())]);
    let pulses = graph.pulses().iter().map(|p| f64::from(p.time()));
    demes
        .chain(migrations)
        .chain(pulses)
        .chain(groups.iter().map(|g| g.time))
}

/// The backward migrations active throughout `[start, end)`, summed per ordered pair.
fn migrations(graph: &demes::Graph, start: f64, end: f64) -> Vec<Migration> {
    let mut out: Vec<Migration> = Vec::new();
    for m in graph.migrations() {
        let rate = f64::from(m.rate());
        if rate == 0.0 || f64::from(m.end_time()) > start || f64::from(m.start_time()) < end {
            continue;
        }
        let (from, to) = (index(graph, m.dest()), index(graph, m.source()));
        match out.iter_mut().find(|x| x.from == from && x.to == to) {
            Some(x) => x.rate += rate,
            None => out.push(Migration { from, to, rate }),
        }
    }
    out.sort_by_key(|m| (m.from, m.to));
    out
}

/// The events at time `t`, in the order they apply backward in time.
fn events_at(graph: &demes::Graph, groups: &[Group], t: f64) -> Vec<Event> {
    let samples = (0..groups.len())
        .filter(|&g| groups[g].time == t)
        .map(|group| Event::Sample { group });
    let pulses = graph
        .pulses()
        .iter()
        .rev()
        .filter(|p| f64::from(p.time()) == t)
        .map(|p| Event::Pulse {
            dest: index(graph, p.dest()),
            sources: p
                .sources()
                .iter()
                .zip(p.proportions())
                .map(|(s, &q)| (index(graph, s), f64::from(q)))
                .collect(),
        });
    let begins = graph
        .demes()
        .iter()
        .enumerate()
        .filter(|(_, d)| f64::from(d.start_time()) == t)
        .map(|(deme, d)| Event::Begin {
            deme,
            ancestors: d
                .ancestor_indexes()
                .iter()
                .zip(d.proportions())
                .map(|(&a, &q)| (a, f64::from(q)))
                .collect(),
        });
    samples.chain(pulses).chain(begins).collect()
}

/// A deme's index (the graph is resolved, so every name exists).
fn index(graph: &demes::Graph, name: &str) -> usize {
    graph
        .deme_index(name)
        .expect("a resolved Demes graph names only its own demes")
}
