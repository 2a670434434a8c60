//! `#[phasic::pure]`: a helper that obeys the callback rules and
//! contributes its own key.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{FnArg, Ident, ItemFn, Pat};

use crate::args::{Args, For, parse_fn};
use crate::imports::{helper_lookup, imported_types, pure_marker};
use crate::rules::{Declared, Rules};
use crate::token_hash::TokenHasher;

pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let (func, args) = match parse_fn(attr, item.clone(), For::Pure, &mut errors) {
        Ok(parsed) => parsed,
        Err(emit) => return emit,
    };
    let sig = &func.sig;
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new(
            sig.generics.span(),
            "generic pure helpers are not supported: use concrete types",
        ));
    }
    if let Some(a) = &sig.asyncness {
        errors.push(syn::Error::new(
            a.span(),
            "`async` is not allowed in a pure helper",
        ));
    }
    if let syn::Safety::Unsafe(u) = &sig.safety {
        errors.push(syn::Error::new(
            u.span(),
            "`unsafe` is not allowed in a pure helper",
        ));
    }
    let mut names = Vec::new();
    for a in &sig.inputs {
        match a {
            FnArg::Typed(t) => match &*t.pat {
                Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                    names.push(p.ident.clone())
                }
                other => errors.push(syn::Error::new(
                    other.span(),
                    "a pure helper's arguments are plain names, e.g. `k: i32`",
                )),
            },
            FnArg::Receiver(r) => errors.push(syn::Error::new(
                r.span(),
                "pure helpers are free functions, not methods",
            )),
        }
    }
    let declared = Declared {
        consts: args.consts.iter().map(Ident::to_string).collect(),
        helpers: args.helpers.iter().map(Ident::to_string).collect(),
        types: imported_types(sig).iter().map(Ident::to_string).collect(),
    };
    if errors.is_empty() {
        let mut rules = Rules::new(&declared, names.iter().map(Ident::to_string));
        rules.visit_block(&func.block);
        errors = rules.errors;
    }
    if errors.is_empty() {
        generate(&func, &args, &names)
    } else {
        let errs = errors.iter().map(syn::Error::to_compile_error);
        let module = module(&func, &args, [0; 32], None);
        quote!(#(#errs)* #item #module)
    }
}

fn token_key(func: &ItemFn, args: &Args) -> [u8; 32] {
    let mut f = func.clone();
    f.sig.ident = Ident::new("__phasic_helper", Span::call_site());
    let mut h = TokenHasher::new("pure");
    h.section("attribute", &args.canonical());
    h.section("function", &f.to_token_stream());
    h.finish()
}

/// The module named after the helper: the body (so that it sees only
/// declared items) and `__phasic_pure`, which a callback's `helpers(f)`
/// calls. `body` is `None` for the fallback emitted after an error.
fn module(func: &ItemFn, args: &Args, key: [u8; 32], body: Option<TokenStream>) -> TokenStream {
    let vis = &func.vis;
    let name = &func.sig.ident;
    let name_str = name.to_string();
    let consts = &args.consts;
    let const_names = consts.iter().map(Ident::to_string);
    let helpers = &args.helpers;
    let helper_markers = helpers.iter().map(pure_marker);
    let lookup = helper_lookup(helpers);
    let types = imported_types(&func.sig);
    quote! {
        #[doc(hidden)]
        #[allow(non_snake_case, dead_code)]
        #vis mod #name {
            #[allow(unused_imports)]
            use ::phasic::__private::prelude::*;
            #[allow(unused_imports)]
            use super::{#name, #(#consts,)* #(#helpers,)* #(#types,)*};
            #lookup

            #body

            /// What `#[phasic::pure]` records about this helper.
            pub fn __phasic_pure() -> &'static ::phasic::__private::Pure {
                #[allow(unused_variables)]
                fn consts(h: &mut ::phasic::__private::KeyHasher) {
                    #(
                        h.str(#const_names);
                        ::phasic::__private::Key::key(&#consts, h);
                    )*
                }
                static PURE: ::phasic::__private::Pure = ::phasic::__private::Pure {
                    name: #name_str,
                    key: ::phasic::__private::ModelKey([#(#key),*]),
                    consts,
                    helpers: &[#(#helper_markers),*],
                };
                &PURE
            }
        }
    }
}

fn generate(func: &ItemFn, args: &Args, names: &[Ident]) -> TokenStream {
    let name = &func.sig.ident;
    let mut inner_sig = func.sig.clone();
    inner_sig.ident = Ident::new("__body", name.span());
    let body = &func.block;
    // the public wrapper: same signature without `mut` on arguments
    let mut outer = func.clone();
    for a in outer.sig.inputs.iter_mut() {
        if let FnArg::Typed(t) = a
            && let Pat::Ident(p) = &mut *t.pat
        {
            p.mutability = None;
        }
    }
    let outer_attrs = &outer.attrs;
    let outer_vis = &outer.vis;
    let outer_sig = &outer.sig;
    let module = module(
        func,
        args,
        token_key(func, args),
        Some(quote!(pub(super) #inner_sig #body)),
    );
    quote! {
        #(#outer_attrs)*
        #[inline]
        #outer_vis #outer_sig {
            #name::__body(#(#names),*)
        }

        #module
    }
}
