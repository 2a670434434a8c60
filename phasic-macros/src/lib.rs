//! Procedural macros of `phasic`: `#[callback]`, `#[pure]` and
//! `#[derive(Key)]`.
//!
//! Users depend on the facade crate `phasic`, which re-exports these;
//! generated code names only `::phasic::__private` paths.
//!
//! Shape (after thiserror-impl): parse into a typed description, validate
//! with one spanned message per rule ([`rules`]), then expand; a mistake
//! still emits a fallback item so that it gives one error, not a cascade.

use proc_macro::TokenStream;

mod args;
mod callback;
mod derive_key;
mod imports;
#[cfg(test)]
mod key_tests;
mod pure_fn;
mod rules;
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
    callback::expand(attr.into(), item.into()).into()
}

/// Marks a helper function as pure so that callbacks may declare it with
/// `helpers(f)`; it obeys the same rules and contributes its own key.
/// Arguments: `consts(A)`, `helpers(g)`.
#[proc_macro_attribute]
pub fn pure(attr: TokenStream, item: TokenStream) -> TokenStream {
    pure_fn::expand(attr.into(), item.into()).into()
}

/// Derives `phasic::Key` (the canonical cache-key encoding) for a struct
/// or enum: type name, field names and field values, in order.
#[proc_macro_derive(Key)]
pub fn derive_key(input: TokenStream) -> TokenStream {
    derive_key::expand(input.into()).into()
}
