#![doc = include_str!("../README.md")]
//!
//! This facade re-exports the member crates; most users need only
//! `phasic::prelude::*`.
#![forbid(unsafe_code)]

// The macros name `::phasic::__private`; this lets the crate's own models use them.
extern crate self as phasic;

pub use phasic_cache as cache;
pub use phasic_core as core;
pub use phasic_core::{Callback, Key, KeyHasher, ModelKey};
pub use phasic_macros::{Key, callback, pure};

pub mod demes;
pub mod models;

/// What the macros' generated code names (not a public API).
#[doc(hidden)]
pub mod __private {
    pub use phasic_core::{
        Callback, Initial, Key, KeyHasher, ModelKey, Result, Transitions, key::IntoInitial,
        key::Plain, key::Pure, key::Visited, key::tag,
    };

    /// Imported into every generated model module.
    pub mod prelude {
        pub use phasic_core::Transitions;
    }
}

/// The names most programs need.
pub mod prelude {
    pub use phasic_core::{
        Callback, DiscretePhaseType, Graph, GraphBuilder, GraphView, Initial, Method, PhaseType,
        PhaseTypeDistribution, START, Transitions,
    };
}
