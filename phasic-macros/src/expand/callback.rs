//! The expansion of a valid `#[phasic::callback]`: a unit struct named
//! after the model, a module holding the body and `initial`, and its
//! `Callback` impl with the token key.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Ident, Type};

use crate::imports::{body_module, helper_lookup, imported_types, pure_marker};
use crate::ir::Function;
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
    let docs = item.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let other_attrs: Vec<_> = item
        .attrs
        .iter()
        .filter(|a| !a.path().is_ident("doc"))
        .collect();
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
    let helpers = &f.args.helpers;
    let markers = helpers.iter().map(pure_marker);
    let lookup = helper_lookup(helpers);
    let types = imported_types(&item.sig);
    let inputs = &item.sig.inputs;
    let param_decls = f.params.iter().map(|p| {
        let (mutability, ident, ty) = (&p.mutability, &p.ident, &p.ty);
        quote!(#mutability #ident: #ty)
    });
    let body = &item.block;
    let initial = &f.args.initial;
    quote! {
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        #vis struct #name;

        #[doc(hidden)]
        #[allow(non_snake_case)]
        mod #module {
            #[allow(unused_imports)]
            use ::phasic::__private::prelude::*;
            #[allow(unused_imports)]
            use super::{#(#consts,)* #(#helpers,)* #(#types,)*};
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
            fn initial(&self, params: &Self::Params)
                -> ::phasic::__private::Result<::phasic::__private::Initial>
            {
                #module::initial(#(#args),*)
            }

            #[allow(unused_variables)]
            fn expand(
                &self,
                state: &[i32],
                out: &mut ::phasic::__private::Transitions,
                params: &Self::Params,
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
                    ::phasic::__private::Key::key(&#consts, h);
                )*
                h.len(#module::__PHASIC_HELPERS.len());
                for helper in #module::__PHASIC_HELPERS {
                    helper().hash_into(h, seen);
                }
            }
        }
    }
}
