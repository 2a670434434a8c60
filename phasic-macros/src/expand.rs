//! Runs the stages in order: parse into the IR ([`Function::parse`],
//! which checks the arguments and the signature), apply the [`rules`],
//! then expand each attribute ([`callback`], [`pure_fn`]), or emit the
//! [`fallback`] with every mistake found.

pub mod callback;
pub mod pure_fn;

use proc_macro2::TokenStream;

use crate::fallback;
use crate::ir::{Function, Kind};
use crate::rules;

/// The expansion of the attribute `kind` with arguments `attr` on `item`.
pub fn run(kind: Kind, attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let f = match Function::parse(kind, attr, item.clone(), &mut errors) {
        Ok(f) => f,
        Err(e) => return fallback::not_a_function(&e, item),
    };
    // the body is checked only once the signature and arguments are right
    if errors.is_empty() {
        errors = rules::check(&f);
    }
    if !errors.is_empty() {
        return fallback::expand(&f, item, &errors);
    }
    match kind {
        Kind::Callback => callback::expand(&f),
        Kind::Pure => pure_fn::expand(&f),
    }
}
