//! The model library of docs/MODELS.md, each model written with
//! `#[phasic::callback]`, and the catalogue the `phasic model` command
//! reads.

mod coalescent;
mod demes;
mod islands;
mod mutations;
mod settings;
mod sfs;
mod two_locus;

pub use coalescent::{kingman, kingman_theta};
pub use demes::{Demes, im_ancestral, isolation_migration, isolation_migration_theta, joint_sfs};
pub use islands::{RabbitRates, rabbits, rabbits_theta};
pub use mutations::segregating_sites;
pub use settings::{ModelError, Settings};
pub use sfs::{block_counting, block_counting_theta};
pub use two_locus::{Recombination, TwoLocus, two_locus_two_island, two_locus_two_island_theta};

use phasic_cache::{Cached, CachedProgram};
use phasic_core::{GraphView, PhaseType, elimination::Program};

/// The expected site-frequency spectrum of a model.
#[derive(Debug, Clone, PartialEq)]
pub enum Spectrum {
    /// `E[ξ_1], …, E[ξ_{n−1}]`.
    Classes(Vec<f64>),
    /// `E[ξ_ij]`, rows `i = 0..=n1`, columns `j = 0..=n2`.
    Joint(Vec<Vec<f64>>),
}

/// A built model: its graph, its named reward vectors and how to get its SFS.
pub struct Built {
    /// The graph (mapped from the cache, or built), whether it came from
    /// the cache, the time spent loading or building it, and where its
    /// program is cached.
    pub cached: Cached,
    /// Whether the graph is a discrete phase-type distribution.
    pub discrete: bool,
    /// Named rewards, the default (time or steps) first.
    pub rewards: Vec<(&'static str, Vec<f64>)>,
    /// The expected SFS, where the model has one.
    pub sfs: Option<SpectrumFn>,
    /// For a model that is not one phase-type graph (the IM model with a
    /// split time), its expected time to the MRCA; only the expectation
    /// and the SFS are available then.
    pub split_expectation: Option<ExpectationFn>,
}

/// A model's graph with the weights to use and, optionally, its
/// elimination program (evaluated from a trace).
pub struct Weighted<'g> {
    /// The graph.
    pub graph: &'g dyn GraphView,
    /// Its program, if already computed.
    pub program: Option<&'g Program>,
}

impl<'g> Weighted<'g> {
    /// The continuous distribution, eliminated now unless a program was given.
    pub fn phase_type(&self) -> phasic_core::Result<PhaseType<'g, dyn GraphView + 'g>> {
        match self.program {
            Some(p) => PhaseType::with_borrowed_program(self.graph, p),
            None => PhaseType::new(self.graph),
        }
    }
}

/// How a model computes its SFS.
pub type SpectrumFn = Box<dyn Fn(&Weighted<'_>) -> Result<Spectrum, ModelError>>;
/// How a split model computes its expectation from its graph.
pub type ExpectationFn = Box<dyn Fn(&dyn GraphView) -> Result<f64, ModelError>>;

impl Built {
    /// A model built from `cached` with its named rewards (the default first).
    pub(crate) fn new(
        cached: Cached,
        discrete: bool,
        rewards: Vec<(&'static str, Vec<f64>)>,
    ) -> Built {
        Built {
            cached,
            discrete,
            rewards,
            sfs: None,
            split_expectation: None,
        }
    }

    /// The elimination program of the model's graph, through the program
    /// cache ([`Cached::program`]: a hit on a graph with constant weights
    /// loads it instead of eliminating); `None` for a model whose queries
    /// use none of their own (a discrete model's distribution eliminates
    /// after its own checks, a split IM model is evaluated by
    /// uniformization).
    pub fn program(&self) -> Result<Option<CachedProgram>, ModelError> {
        if self.discrete || self.split_expectation.is_some() {
            return Ok(None);
        }
        Ok(Some(self.cached.program()?))
    }
}

/// A model of the catalogue.
pub struct Spec {
    /// Name on the command line.
    pub name: &'static str,
    /// One line about it.
    pub about: &'static str,
    /// `--set` keys and their defaults.
    pub keys: &'static [(&'static str, &'static str)],
    /// Named rewards (`--reward`), the default first.
    pub rewards: &'static [&'static str],
    /// The parameterized variant of docs/MODELS.md §6 (`--theta`), if any.
    pub theta: Option<Theta>,
    /// Builds it.
    pub build: fn(&Settings) -> Result<Built, ModelError>,
}

/// The parameterized variant of a model: its weights are `c·θ`.
pub struct Theta {
    /// What the components of θ mean.
    pub about: &'static str,
    /// Number of components.
    pub dim: usize,
    /// Builds the structure (set θ with `Graph::update_weights`).
    pub build: fn(&Settings) -> Result<Built, ModelError>,
}

/// Every model of the catalogue.
pub const CATALOGUE: &[Spec] = &[
    coalescent::SPEC,
    sfs::SPEC,
    islands::SPEC,
    two_locus::SPEC,
    demes::SPEC,
    mutations::SPEC,
];

/// The model called `name` (hyphens may stand for underscores).
pub fn find(name: &str) -> Result<&'static Spec, ModelError> {
    let wanted = name.replace('-', "_");
    CATALOGUE
        .iter()
        .find(|s| s.name == wanted)
        .ok_or_else(|| ModelError::UnknownModel {
            name: name.to_string(),
            valid: CATALOGUE
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// One reward per vertex, computed from the state.
pub(crate) fn reward_of<G: GraphView + ?Sized>(graph: &G, f: impl Fn(&[i32]) -> f64) -> Vec<f64> {
    (0..graph.vertex_count())
        .map(|v| f(graph.state(v)))
        .collect()
}
