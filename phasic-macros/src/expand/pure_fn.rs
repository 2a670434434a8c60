//! The expansion of a valid `#[phasic::pure]`: the function, as a wrapper
//! of its body, and the module of the same name that holds the body and
//! what the helper records (`__phasic_pure`).

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{FnArg, Ident, Pat};

use crate::imports::{helper_lookup, mirror_signature, mirrored_types, pure_marker};
use crate::ir::Function;
use crate::std_macros::absolute;
use crate::token_hash::function_key;

/// The module named after the helper: the body (so that it sees only
/// declared items) and `__phasic_pure`, which a callback's `helpers(f)`
/// calls. `body` is `None` for the fallback emitted after an error.
pub fn module(f: &Function, key: [u8; 32], body: Option<TokenStream>) -> TokenStream {
    let vis = &f.item.vis;
    let name = &f.item.sig.ident;
    let name_str = name.to_string();
    let consts = &f.args.consts;
    let const_names = consts.iter().map(Ident::to_string);
    // a const whose type is not `Key` is reported on its name
    let const_keys = consts
        .iter()
        .map(|c| quote::quote_spanned!(c.span()=> ::phasic::__private::Key::key(&#c, h);));
    let helpers = &f.args.helpers;
    let helper_markers = helpers.iter().map(pure_marker);
    let lookup = helper_lookup(helpers);
    let mirrors = mirrored_types(&f.item.sig);
    quote! {
        #[doc(hidden)]
        #[allow(non_snake_case, dead_code)]
        #vis mod #name {
            #[allow(unused_imports)]
            use ::phasic::__private::prelude::*;
            #[allow(unused_imports)]
            use super::{#name, #(#consts,)* #(#helpers,)*};
            #mirrors
            #lookup

            #body

            /// What `#[phasic::pure]` records about this helper.
            pub fn __phasic_pure() -> &'static ::phasic::__private::Pure {
                #[allow(unused_variables)]
                fn consts(h: &mut ::phasic::__private::KeyHasher) {
                    #(
                        h.str(#const_names);
                        #const_keys
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

/// The public wrapper, which calls the body in the module, and the module.
pub fn expand(f: &Function) -> TokenStream {
    let item = &f.item;
    let name = &item.sig.ident;
    let mut inner_sig = item.sig.clone();
    inner_sig.ident = Ident::new("__body", name.span());
    let body = absolute(item.block.to_token_stream());
    // the public wrapper: same signature without `mut` on arguments
    let mut outer = item.clone();
    for a in outer.sig.inputs.iter_mut() {
        if let FnArg::Typed(t) = a
            && let Pat::Ident(p) = &mut *t.pat
        {
            p.mutability = None;
        }
    }
    mirror_signature(&mut outer.sig);
    for a in &mut outer.attrs {
        a.style = syn::AttrStyle::Outer;
    }
    let outer_attrs = &outer.attrs;
    let outer_vis = &outer.vis;
    let outer_sig = &outer.sig;
    let names = f.params.iter().map(|p| &p.ident);
    let module = module(
        f,
        function_key(f),
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
