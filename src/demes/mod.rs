//! Demographic histories in the Demes format: exact expected
//! site-frequency spectra and the distribution of the time to the most
//! recent common ancestor (docs/MODELS.md §9).
//!
//! Conventions are msprime's and moments': time in generations backward
//! from 0 (a file in years is divided by its `generation_time`); a pair of
//! lineages in a deme of size `N` coalesces at rate `1/(2N)`; a migration
//! of rate `m` from `source` to `dest` moves a `dest` lineage to `source`
//! at rate `m` backward in time; sample counts are haploid genomes.
//!
//! A model is fitted to an observed SFS ([`Observed`]) with its parameters
//! named in an options file of moments' format ([`Parameters`]): the
//! composite likelihood ([`SfsLikelihood`]) with the exact gradient of the
//! SFS ([`Model::sfs_gradient`]), maximised by [`maximum_likelihood`]
//! (docs/MODELS.md §9.1–9.2).
//!
//! ```
//! use phasic::demes::{Model, Samples};
//! let yaml = "
//! time_units: generations
//! demes:
//!   - name: A
//!     epochs:
//!       - {start_size: 1000}
//! ";
//! let samples: Samples = "A=4".parse().unwrap();
//! let model = Model::from_yaml(yaml, &samples).unwrap();
//! let sfs = model.sfs().unwrap();
//! // constant size: E[ξ_i] = 4N/i generations
//! for i in 1..4 {
//!     let want = 4000.0 / i as f64;
//!     assert!((sfs.get(&[i]).unwrap() - want).abs() < 1e-9 * want);
//! }
//! // E[T_MRCA] = 4N(1 − 1/n)
//! let m = model.tmrca_moments(1).unwrap();
//! assert!((m[0] - 3000.0).abs() < 1e-9 * 3000.0);
//! ```

mod coordinates;
mod data;
mod error;
mod evolve;
mod fit;
mod gradient;
mod history;
mod likelihood;
mod lineages;
mod params;
mod rates;
mod real;
mod samples;
mod spectrum;

use std::sync::Arc;
use std::time::Instant;

use phasic_cache::{CacheOptions, CacheStatus, CachedGraph, build_graph_with};
use phasic_core::GraphView;
use phasic_core::graph::BuildOptions;

pub use data::Observed;
pub use error::DemesError;
pub use evolve::{Evaluation, Query};
pub use fit::{
    Admissible, DemesFit, Estimate, FitOptions, GraphAt, Information, Problem, log_likelihood,
    maximum_likelihood,
};
pub use likelihood::{Scaling, SfsLikelihood};
pub use lineages::{Layout, demes_interval};
pub use params::{Bound, Constraint, Field, Parameter, Parameters};
pub use samples::{Sample, Samples};
pub use spectrum::Spectrum;

use history::History;
use lineages::{Boundary, Transfer, Types, classes};
use rates::{Reweighted, class_rates};

/// How a model's state spaces are built.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Through the graph cache (default: off).
    pub cache: CacheOptions,
    /// Within a state limit, telling an observer of the progress.
    pub build: BuildOptions,
}

/// One interval's built state space.
struct Space {
    graph: CachedGraph,
    layout: Layout,
    /// The rate class of every edge.
    classes: Vec<u32>,
    /// Whether each vertex is the MRCA (one lineage, every sample joined).
    done: Vec<bool>,
}

/// A Demes model with its samples, its state spaces built.
pub struct Model {
    samples: Samples,
    history: History,
    types: Types,
    /// The state spaces (shared by the models of one structure that a fit
    /// evaluates at many parameter values).
    spaces: Arc<Vec<Space>>,
    /// How the previous space's mass enters each space (`None` for the
    /// first): the moves depend on the proportions of the events.
    transfers: Vec<Option<Transfer>>,
    /// The space of each interval (consecutive intervals with the same
    /// layout and no event between them share one).
    space_of: Vec<usize>,
    /// The distribution at the first sampling time, on the first space.
    initial: Vec<(usize, f64)>,
    /// Per sample group: its deme, its type, its lineages.
    groups: Vec<(usize, usize, i32)>,
    build_seconds: f64,
    cache: Vec<CacheStatus>,
}

/// What is said about one interval.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalInfo {
    /// Start, in generations.
    pub start: f64,
    /// End (infinite for the last).
    pub end: f64,
    /// The demes that exist in it.
    pub demes: Vec<String>,
    /// Vertices of its state space (start vertex included).
    pub vertices: usize,
    /// Whether a deme size changes within it.
    pub varies: bool,
}

/// The distribution over the first graph's vertices from the first
/// boundary's outcomes: the graph registers them in order as vertices
/// 1, 2, ….
fn initial(first: &[(Vec<i32>, f64)]) -> Vec<(usize, f64)> {
    first
        .iter()
        .enumerate()
        .map(|(i, (_, p))| (i + 1, *p))
        .collect()
}

/// The moves at the start of interval `j` of `history` by `events` (the
/// interval's own, or the same with derivatives), for `types` lineage
/// types and the sample `groups`.
fn boundary<'a, T>(
    types: usize,
    history: &'a History,
    groups: &'a [(usize, usize, i32)],
    j: usize,
    events: &'a [history::Event<T>],
) -> Boundary<'a, T> {
    Boundary {
        types,
        demes: history.names.len(),
        from: if j == 0 {
            &[]
        } else {
            &history.intervals[j - 1].demes
        },
        to: &history.intervals[j].demes,
        events,
        groups,
    }
}

impl Model {
    /// Reads a Demes model (YAML) and builds its state spaces for `samples`,
    /// without the graph cache.
    pub fn from_yaml(yaml: &str, samples: &Samples) -> Result<Model, DemesError> {
        Model::from_yaml_with(yaml, samples, &Options::default())
    }

    /// As [`from_yaml`](Self::from_yaml), building with `options`.
    pub fn from_yaml_with(
        yaml: &str,
        samples: &Samples,
        options: &Options,
    ) -> Result<Model, DemesError> {
        Model::new(demes::loads(yaml)?, samples, options)
    }

    /// Builds the state spaces of a parsed Demes graph for `samples`.
    pub fn new(
        graph: demes::Graph,
        samples: &Samples,
        options: &Options,
    ) -> Result<Model, DemesError> {
        let t0 = Instant::now();
        let history = History::new(graph, samples)?;
        let types = Types::new(&history.counts());
        let groups: Vec<(usize, usize, i32)> = history
            .groups
            .iter()
            .enumerate()
            .map(|(g, s)| (s.deme, types.singleton(g), s.count))
            .collect();
        let boundary = |j: usize| {
            boundary(
                types.len(),
                &history,
                &groups,
                j,
                &history.intervals[j].events,
            )
        };
        let first = boundary(0).outcomes(&[]);
        let mut spaces: Vec<Space> = Vec::new();
        let mut transfers = Vec::new();
        let mut space_of = Vec::with_capacity(history.intervals.len());
        let mut cache = Vec::new();
        for (j, interval) in history.intervals.iter().enumerate() {
            let slot = |d: usize| interval.demes.iter().position(|&x| x == d).unwrap_or(0) as i32;
            let layout = Layout {
                types: types.len() as i32,
                demes: interval.demes.len() as i32,
                migrations: interval
                    .migrations
                    .iter()
                    .map(|m| (slot(m.from), slot(m.to)))
                    .collect(),
                complete: interval.complete,
            };
            let (entry, transfer) = match spaces.last() {
                None => (first.iter().map(|(s, _)| s.clone()).collect(), None),
                Some(prev) if prev.layout == layout && interval.events.is_empty() => {
                    space_of.push(spaces.len() - 1);
                    continue;
                }
                Some(prev) => {
                    let (entry, transfer) = Transfer::new(&prev.graph, &boundary(j));
                    (entry, Some(transfer))
                }
            };
            let built = build_graph_with(
                demes_interval,
                (layout.clone(), entry),
                &options.cache,
                &options.build,
            )?;
            cache.push(built.status);
            let graph = built.graph;
            let done = (0..graph.vertex_count())
                .map(|v| v > 0 && layout.complete && graph.state(v).iter().sum::<i32>() == 1)
                .collect();
            spaces.push(Space {
                classes: classes(&graph, &layout),
                graph,
                layout,
                done,
            });
            transfers.push(transfer);
            space_of.push(spaces.len() - 1);
        }
        // in the last interval a state with lineages left and no way out
        // means they can never meet
        let (last, interval) = (
            &spaces[spaces.len() - 1],
            &history.intervals[history.intervals.len() - 1],
        );
        if let Some(v) =
            (1..last.graph.vertex_count()).find(|&v| last.graph.is_absorbing(v) && !last.done[v])
        {
            return Err(evolve::never(
                &history.names,
                types.len(),
                interval,
                last.graph.state(v),
            ));
        }
        let initial = initial(&first);
        Ok(Model {
            samples: samples.clone(),
            history,
            types,
            spaces: Arc::new(spaces),
            transfers,
            space_of,
            initial,
            groups,
            build_seconds: t0.elapsed().as_secs_f64(),
            cache,
        })
    }

    /// The same model with the numbers of another Demes graph of the same
    /// structure (the same intervals, demes, migrations, events and size
    /// shapes; only times, sizes, rates and proportions differ), sharing
    /// this model's state spaces: what a fit evaluates at every step.
    ///
    /// ```
    /// use phasic::demes::{Model, Samples};
    /// let yaml = |n: f64| format!("time_units: generations\ndemes:\n  - name: A\n    epochs:\n      - {{start_size: {n}}}\n");
    /// let samples: Samples = "A=3".parse()?;
    /// let model = Model::from_yaml(&yaml(1000.0), &samples)?;
    /// let other = model.reparameterized(demes::loads(&yaml(2500.0))?)?;
    /// assert_eq!(other.sfs()?.get(&[1]), Some(10_000.0)); // 4N/i
    /// # Ok::<(), phasic::demes::DemesError>(())
    /// ```
    pub fn reparameterized(&self, graph: demes::Graph) -> Result<Model, DemesError> {
        let history = History::new(graph, &self.samples)?;
        self.history.check_structure(&history)?;
        let types = self.types.len();
        let boundary = |j: usize| {
            boundary(
                types,
                &history,
                &self.groups,
                j,
                &history.intervals[j].events,
            )
        };
        let first = boundary(0).outcomes(&[]);
        let initial = initial(&first);
        // space s is entered at the first interval that uses it
        let mut transfers = vec![None];
        for s in 1..self.spaces.len() {
            let j = self.space_of.iter().position(|&x| x == s).unwrap_or(0);
            let prev = &self.spaces[s - 1];
            let (_, transfer) = Transfer::new(&prev.graph, &boundary(j));
            transfers.push(Some(transfer));
        }
        Ok(Model {
            samples: self.samples.clone(),
            history,
            types: self.types.clone(),
            spaces: Arc::clone(&self.spaces),
            transfers,
            space_of: self.space_of.clone(),
            initial,
            groups: self.groups.clone(),
            build_seconds: 0.0,
            cache: Vec::new(),
        })
    }

    /// The distribution at the first sampling time, over the first space.
    fn initial_distribution(&self) -> Vec<f64> {
        let mut p = vec![0.0; self.spaces[0].graph.vertex_count()];
        for &(v, q) in &self.initial {
            p[v] += q;
        }
        p
    }

    /// The names of the sampled demes, one per sample group, in order.
    pub fn sampled_demes(&self) -> Vec<String> {
        self.history
            .groups
            .iter()
            .map(|g| self.history.names[g.deme].clone())
            .collect()
    }

    /// The intervals between event times, from the first sampling time.
    pub fn intervals(&self) -> Vec<IntervalInfo> {
        self.history
            .intervals
            .iter()
            .zip(&self.space_of)
            .map(|(i, &s)| IntervalInfo {
                start: i.start,
                end: i.end,
                demes: i
                    .demes
                    .iter()
                    .map(|&d| self.history.names[d].clone())
                    .collect(),
                vertices: self.spaces[s].graph.vertex_count(),
                varies: i.varies(),
            })
            .collect()
    }

    /// Interval `i`'s state space (in the order of [`intervals`](Self::intervals))
    /// with the rates at the interval's start, per generation: a state
    /// counts the lineages of every type in every deme (its
    /// [`Layout`]); `None` past the last interval.
    ///
    /// ```
    /// use phasic::core::GraphView;
    /// use phasic::demes::{Model, Samples};
    /// let yaml = "time_units: generations\ndemes:\n  - name: A\n    epochs:\n      - {start_size: 1000}\n";
    /// let model = Model::from_yaml(yaml, &"A=2".parse::<Samples>()?)?;
    /// let g = model.interval_graph(0).unwrap();
    /// // start → two lineages → their MRCA, at the pair's rate 1/(2N)
    /// assert_eq!(g.vertex_count(), 3);
    /// assert_eq!(g.out_weights(1), &[1.0 / 2000.0]);
    /// assert!(model.interval_graph(1).is_none());
    /// # Ok::<(), phasic::demes::DemesError>(())
    /// ```
    pub fn interval_graph(&self, i: usize) -> Option<impl GraphView + '_> {
        let interval = self.history.intervals.get(i)?;
        let space = &self.spaces[self.space_of[i]];
        let rates = class_rates(interval, (interval.start, interval.start));
        Some(Reweighted::new(&space.graph, &space.classes, &rates))
    }

    /// Vertices summed over the intervals.
    pub fn vertices(&self) -> usize {
        self.space_of
            .iter()
            .map(|&s| self.spaces[s].graph.vertex_count())
            .sum()
    }

    /// Seconds spent reading the model and building (or loading) its state spaces.
    pub fn build_seconds(&self) -> f64 {
        self.build_seconds
    }

    /// Whether each distinct state space came from the cache.
    pub fn cache_status(&self) -> &[CacheStatus] {
        &self.cache
    }

    /// The expected SFS (see [`Spectrum`]).
    pub fn sfs(&self) -> Result<Spectrum, DemesError> {
        let e = self.evaluate(&Query {
            sfs: true,
            ..Query::default()
        })?;
        Ok(e.sfs.expect("asked for"))
    }

    /// `E[T_MRCA^k]` for `k = 1..=moments`, in generations^k.
    pub fn tmrca_moments(&self, moments: usize) -> Result<Vec<f64>, DemesError> {
        Ok(self
            .evaluate(&Query {
                moments,
                ..Query::default()
            })?
            .moments)
    }

    /// The density and distribution function of `T_MRCA` at `times` (generations).
    pub fn tmrca_pdf_cdf(&self, times: &[f64]) -> Result<(Vec<f64>, Vec<f64>), DemesError> {
        let e = self.evaluate(&Query {
            times: times.to_vec(),
            ..Query::default()
        })?;
        Ok((e.pdf, e.cdf))
    }
}
