//! The state space: the read-only [`GraphView`] trait every algorithm works on, the CSR [`Graph`], building by hand ([`GraphBuilder`]), by rule ([`Initial`], [`Transitions`], within [`BuildOptions`]) or from matrices, strongly connected components, and the graph in graphviz DOT.

pub(crate) mod build_options;
pub(crate) mod builder;
pub(crate) mod csr;
pub(crate) mod dot;
pub(crate) mod matrices;
pub(crate) mod memory;
pub(crate) mod rule;
pub(crate) mod scc;
pub(crate) mod state_index;
pub(crate) mod view;

pub use build_options::{BuildOptions, BuildProgress, PROGRESS_INTERVAL};
pub use builder::GraphBuilder;
pub use csr::{Graph, START};
pub use dot::to_dot;
pub use matrices::{Matrices, to_discrete_matrices, to_matrices};
pub use rule::{Initial, Transitions};
pub use view::GraphView;
