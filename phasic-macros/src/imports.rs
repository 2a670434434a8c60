//! What a generated module imports from its parent: the declared consts
//! and helpers, and the types named in the signature.

use proc_macro2::{Ident, Span};
use syn::visit::{self, Visit};
use syn::{Signature, Type};

/// The single-segment type names of `ty` that the prelude does not provide.
pub fn signature_types<'a>(types: impl IntoIterator<Item = &'a Type>) -> Vec<Ident> {
    struct Collect(Vec<Ident>);
    impl<'ast> Visit<'ast> for Collect {
        fn visit_type_path(&mut self, t: &'ast syn::TypePath) {
            if t.qself.is_none() && t.path.leading_colon.is_none() && t.path.segments.len() == 1 {
                let ident = &t.path.segments[0].ident;
                let name = ident.to_string();
                if !crate::rules::is_prelude(&name) && !self.0.iter().any(|i| *i == name) {
                    self.0.push(ident.clone());
                }
            }
            visit::visit_type_path(self, t);
        }
    }
    let mut c = Collect(Vec::new());
    for t in types {
        c.visit_type(t);
    }
    c.0
}

/// Every type written in the signature's inputs and output.
pub fn types_of(sig: &Signature) -> Vec<&Type> {
    let mut out: Vec<&Type> = sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(t) => Some(&*t.ty),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    if let syn::ReturnType::Type(_, t) = &sig.output {
        out.push(t);
    }
    out
}

/// The name of the item `#[phasic::pure]` generates next to `f`, which a
/// callback declaring `helpers(f)` refers to. Its name says the fix when
/// `f` lacks the attribute.
pub fn pure_marker(helper: &Ident) -> Ident {
    Ident::new(&format!("__mark_{helper}_with_phasic_pure"), helper.span())
}

/// The name of the generated module that holds a function's body.
pub fn body_module(kind: &str, name: &Ident) -> Ident {
    Ident::new(&format!("__phasic_{kind}_{name}"), Span::call_site())
}
