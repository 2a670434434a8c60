//! Procedural macros of `phasic`: `#[callback]`, `#[pure]` and
//! `#[derive(Key)]`.
//!
//! Users depend on the facade crate `phasic`, which re-exports these;
//! generated code names only `::phasic::__private` paths.
//!
//! One module per stage (after thiserror-impl):
//!
//! - `ir`: the typed description of an annotated function, shared by
//!   both attributes;
//! - `args`: the attribute arguments;
//! - `signature`: the signature checks, once for both attributes;
//! - `rules`: "no hidden inputs", a pass over the body;
//! - `token_hash`: the compile-time token key;
//! - `std_macros`: allowed std macros emitted with absolute paths;
//! - `imports`: what a generated module imports from its parent;
//! - `expand`: runs the stages, then expands each attribute;
//! - `fallback`: what is emitted after a mistake, so that every error is
//!   reported at once and none cascades;
//! - `derive_key`: the expansion of `#[derive(Key)]`.

#![forbid(unsafe_code)]

use proc_macro::TokenStream;

use crate::ir::Kind;

mod args;
mod derive_key;
mod expand;
mod fallback;
mod imports;
mod ir;
#[cfg(test)]
mod key_tests;
mod rules;
mod signature;
mod std_macros;
mod token_hash;

/// Turns a model function into a `phasic` callback with a compile-time key.
///
/// ```ignore
/// #[phasic::callback(initial = [5])]
/// fn kingman(state: &[i32], out: &mut Transitions, theta: f64) { … }
/// let graph = Graph::from_callback(kingman, 1.0)?;
/// ```
///
/// Attribute arguments: `initial = EXPR` (required; a state such as `[5]`,
/// or weighted states `[([5], 0.5), ([3], 0.5)]`; it may use the
/// parameters), `consts(A, B)`, `helpers(f, g)`, `theta_dim = N`.
#[proc_macro_attribute]
pub fn callback(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(Kind::Callback, attr.into(), item.into()).into()
}

/// Marks a helper function as pure so that callbacks may declare it with
/// `helpers(f)`; it obeys the same rules and contributes its own key.
/// Arguments: `consts(A)`, `helpers(g)`.
#[proc_macro_attribute]
pub fn pure(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(Kind::Pure, attr.into(), item.into()).into()
}

/// Derives `phasic::Key` (the canonical cache-key encoding) for a struct
/// or enum: type name, field names and field values, in order.
#[proc_macro_derive(Key)]
pub fn derive_key(input: TokenStream) -> TokenStream {
    derive_key::expand(input.into()).into()
}
