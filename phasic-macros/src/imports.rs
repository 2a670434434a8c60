//! What a generated module imports from its parent: the declared consts
//! and helpers, and the types named in the signature.

use proc_macro2::{Ident, Span, TokenStream};
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

/// The function `#[phasic::pure]` generates in the module of the same name
/// as the helper (so that `use a::f;` brings it along with `f`); a
/// callback declaring `helpers(f)` calls it for `f`'s key.
pub fn pure_marker(helper: &Ident) -> TokenStream {
    let marker = Ident::new("__phasic_pure", helper.span());
    quote::quote_spanned!(helper.span()=> #helper::#marker)
}

/// The name of the generated module that holds a function's body.
pub fn body_module(kind: &str, name: &Ident) -> Ident {
    Ident::new(&format!("__phasic_{kind}_{name}"), Span::call_site())
}
