//! Optimisers on plain vectors: [`Adam`] ascent steps (SVGD) and L-BFGS
//! maximisation with a backtracking line search (maximum likelihood).

pub(crate) mod adam;
pub(crate) mod lbfgs;

pub use adam::Adam;
pub use lbfgs::{Maximum, maximize};
