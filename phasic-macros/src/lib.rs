//! Procedural macros of `phasic`.
//!
//! `#[phasic::callback]`, `#[phasic::pure]` and `#[derive(phasic::Key)]`
//! land here (see the callback-macro issue). Users depend on the facade
//! crate `phasic`, which re-exports them; generated code names only
//! `::phasic::__private` paths.
