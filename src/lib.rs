#![doc = include_str!("../README.md")]
//!
//! This facade re-exports the member crates; most users need only
//! `phasic::prelude::*`.

pub use phasic_core as core;

pub mod models;

/// The names most programs need.
pub mod prelude {
    pub use phasic_core::{
        DiscretePhaseType, Graph, GraphBuilder, GraphView, Initial, Method, PhaseType, START,
        Transitions,
    };
}
