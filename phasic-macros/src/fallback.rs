//! What is emitted when a mistake was found: every error at once, and the
//! items that code elsewhere refers to (a callback's unit struct with a
//! stub impl; a pure helper unchanged, with its module), so that each
//! mistake gives its own errors and no cascade.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::expand::{callback, pure_fn};
use crate::imports::{body_module, imported_types};
use crate::ir::{Function, Kind};

/// The error and `item` unchanged, when `item` is not a function.
pub fn not_a_function(error: &syn::Error, item: TokenStream) -> TokenStream {
    let err = error.to_compile_error();
    quote!(#err #item)
}

/// The errors and the stand-in items of `f`; `item` is the function as
/// written.
pub fn expand(f: &Function, item: TokenStream, errors: &[syn::Error]) -> TokenStream {
    let errs = errors.iter().map(syn::Error::to_compile_error);
    let items = match f.kind {
        Kind::Callback => callback_stub(f),
        // the helper stays callable; its module has no body and a zero key
        Kind::Pure => {
            let module = pure_fn::module(f, [0; 32], None);
            quote!(#item #module)
        }
    };
    quote!(#(#errs)* #items)
}

/// The unit struct and a stub `Callback` impl, so uses of the model
/// elsewhere do not add errors.
fn callback_stub(f: &Function) -> TokenStream {
    let name = &f.item.sig.ident;
    let vis = &f.item.vis;
    let params_ty = callback::params_type(f);
    let name_str = name.to_string();
    let unused = format_ident!("_unused");
    let module = body_module(f.kind.name(), name);
    let (consts, helpers) = (&f.args.consts, &f.args.helpers);
    let types = imported_types(&f.item.sig);
    quote! {
        #[allow(non_camel_case_types, dead_code)]
        #[derive(Clone, Copy, Debug, Default)]
        #vis struct #name;

        // what the model declares stays in use, so that its imports do
        // not add warnings to the error
        #[doc(hidden)]
        #[allow(non_snake_case, unused_imports)]
        mod #module {
            use super::{#(#consts,)* #(#helpers,)* #(#types,)*};
        }

        impl ::phasic::__private::Callback for #name {
            type Params = #params_ty;
            const NAME: &'static str = #name_str;
            const TOKEN_KEY: ::phasic::__private::ModelKey = ::phasic::__private::ModelKey([0; 32]);
            const THETA_DIM: usize = 0;
            fn initial(&self, #unused: &<Self::Params as ::phasic::__private::Plain>::Mirror)
                -> ::phasic::__private::Result<::phasic::__private::Initial>
            {
                ::core::unreachable!()
            }
            fn expand(
                &self,
                _: &[i32],
                _: &mut ::phasic::__private::Transitions,
                _: &<Self::Params as ::phasic::__private::Plain>::Mirror,
            ) {
            }
            fn dependencies(
                &self,
                _: &mut ::phasic::__private::KeyHasher,
                _: &mut ::phasic::__private::Visited,
            ) {
            }
        }
    }
}
