//! The expansion of a valid `#[phasic::callback]`: a unit struct named
//! after the model, a module holding the body and `initial`, and its
//! `Callback` impl with the token key.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Ident, Type};

use crate::imports::{body_module, helper_lookup, mirrored_types, pure_marker};
use crate::ir::Function;
use crate::std_macros::absolute;
use crate::token_hash::function_key;

/// The `Params` type of the model: `()`, the one stored parameter type,
/// or a tuple of them.
pub fn params_type(f: &Function) -> TokenStream {
    let stored: Vec<&Type> = f.params.iter().map(|p| p.stored()).collect();
    match stored.as_slice() {
        [] => quote!(()),
        [one] => quote!(#one),
        many => quote!((#(#many,)*)),
    }
}

/// How each parameter is passed from `params: &Params`.
fn param_args(f: &Function) -> Vec<TokenStream> {
    let ps = &f.params;
    ps.iter()
        .enumerate()
        .map(|(k, p)| {
            let access = if ps.len() == 1 {
                quote!(params)
            } else {
                let i = syn::Index::from(k);
                quote!(&params.#i)
            };
            if p.by_ref() {
                access
            } else {
                quote!(::core::clone::Clone::clone(#access))
            }
        })
        .collect()
}

/// The unit struct, the body module and the `Callback` impl.
pub fn expand(f: &Function) -> TokenStream {
    let item = &f.item;
    let name = &item.sig.ident;
    let vis = &item.vis;
    // inner attributes of the body (`//!`, `#![allow(…)]`) are emitted as
    // outer ones: docs on the unit struct, the rest on the body's function
    let outer: Vec<syn::Attribute> = item
        .attrs
        .iter()
        .cloned()
        .map(|mut a| {
            a.style = syn::AttrStyle::Outer;
            a
        })
        .collect();
    let docs = outer.iter().filter(|a| a.path().is_ident("doc"));
    let other_attrs: Vec<_> = outer.iter().filter(|a| !a.path().is_ident("doc")).collect();
    let module = body_module(f.kind.name(), name);
    let key = function_key(f);
    let name_str = name.to_string();
    let theta_dim = match &f.args.theta_dim {
        Some(d) => d.to_token_stream(),
        None => quote!(0),
    };
    let params_ty = params_type(f);
    let args = param_args(f);
    let consts = &f.args.consts;
    let const_names = consts.iter().map(Ident::to_string);
    // a const whose type is not `Key` is reported on its name
    let const_keys = consts
        .iter()
        .map(|c| quote::quote_spanned!(c.span()=> ::phasic::__private::Key::key(&#c, h);));
    let helpers = &f.args.helpers;
    let markers = helpers.iter().map(pure_marker);
    let lookup = helper_lookup(helpers);
    let mirrors = mirrored_types(&item.sig);
    let inputs = &item.sig.inputs;
    // the signature's types as written, so that the imports they need
    // (`use phasic::prelude::Transitions;`) stay in use in the user's module
    let written = item.sig.inputs.iter().filter_map(|a| match a {
        syn::FnArg::Typed(t) => Some(&t.ty),
        syn::FnArg::Receiver(_) => None,
    });
    let signature_alias = quote::format_ident!("__PhasicSignature_{}", name);
    let param_decls = f.params.iter().map(|p| {
        let (mutability, ident, ty) = (&p.mutability, &p.ident, &p.ty);
        quote!(#mutability #ident: #ty)
    });
    let body = absolute(item.block.to_token_stream());
    let initial = absolute(f.args.initial.to_token_stream());
    quote! {
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        #vis struct #name;

        // the signature's types as the user wrote them: `Transitions`
        // resolves to the user's import if there is one (which this keeps
        // in use), else to the glob
        #[allow(unused_imports)]
        use ::phasic::__private::prelude::*;
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        type #signature_alias = fn(#(#written),*);

        #[doc(hidden)]
        #[allow(non_snake_case)]
        mod #module {
            #[allow(unused_imports)]
            use ::phasic::__private::prelude::*;
            #[allow(unused_imports)]
            use super::{#(#consts,)* #(#helpers,)*};
            #mirrors
            #lookup

            /// The markers of the declared helpers.
            pub(super) static __PHASIC_HELPERS: &[fn() -> &'static ::phasic::__private::Pure] = &[#(#markers),*];

            #(#other_attrs)*
            // parameters used only by `initial` are not unused
            #[allow(unused_variables)]
            pub(super) fn rule(#inputs) #body

            #[allow(unused_variables, unused_mut)]
            pub(super) fn initial(#(#param_decls),*)
                -> ::phasic::__private::Result<::phasic::__private::Initial>
            {
                ::phasic::__private::IntoInitial::into_initial(#initial)
            }
        }

        impl ::phasic::__private::Callback for #name {
            type Params = #params_ty;
            const NAME: &'static str = #name_str;
            const TOKEN_KEY: ::phasic::__private::ModelKey = ::phasic::__private::ModelKey([#(#key),*]);
            const THETA_DIM: usize = #theta_dim;

            #[allow(unused_variables)]
            fn initial(&self, params: &<Self::Params as ::phasic::__private::Plain>::Mirror)
                -> ::phasic::__private::Result<::phasic::__private::Initial>
            {
                #module::initial(#(#args),*)
            }

            #[allow(unused_variables)]
            fn expand(
                &self,
                state: &[i32],
                out: &mut ::phasic::__private::Transitions,
                params: &<Self::Params as ::phasic::__private::Plain>::Mirror,
            ) {
                #module::rule(state, out, #(#args),*)
            }

            fn dependencies(
                &self,
                h: &mut ::phasic::__private::KeyHasher,
                seen: &mut ::phasic::__private::Visited,
            ) {
                #(
                    h.str(#const_names);
                    #const_keys
                )*
                h.len(#module::__PHASIC_HELPERS.len());
                for helper in #module::__PHASIC_HELPERS {
                    helper().hash_into(h, seen);
                }
            }
        }
    }
}
