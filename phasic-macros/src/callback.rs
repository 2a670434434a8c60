//! `#[phasic::callback]`: parse → validate → expand, with a fallback item
//! when validation fails.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::visit::Visit;
use syn::{FnArg, Ident, ItemFn, Pat, Type};

use crate::args::{Args, For, parse_fn};
use crate::imports::{body_module, helper_lookup, imported_types, pure_marker};
use crate::rules::{Declared, Rules};
use crate::token_hash::TokenHasher;

const SHAPE: &str =
    "a model function has the shape `fn name(state: &[i32], out: &mut Transitions, params…)`";

/// A run-time parameter of the model.
struct Param {
    pat: Pat,
    /// The type as written.
    ty: Type,
    /// The type stored in `Params` (`T` for `&T`).
    stored: Type,
    by_ref: bool,
}

/// The validated parts of a model function.
struct Model {
    func: ItemFn,
    args: Args,
    params: Vec<Param>,
}

pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let (func, args) = match parse_fn(attr, item, For::Callback, &mut errors) {
        Ok(parsed) => parsed,
        Err(emit) => return emit,
    };
    let params = parameters(&func, &mut errors);
    if args.initial.is_none() && errors.is_empty() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "missing `initial = …`: the initial state, e.g. `#[phasic::callback(initial = [5])]`, or weighted states `initial = [([5], 0.5), ([3], 0.5)]`",
        ));
    }
    let model = Model { func, args, params };
    if errors.is_empty() {
        errors = check_rules(&model);
    }
    if errors.is_empty() {
        generate(&model)
    } else {
        let errs = errors.iter().map(syn::Error::to_compile_error);
        let fallback = fallback(&model);
        quote!(#(#errs)* #fallback)
    }
}

/// Checks the signature and extracts the run-time parameters.
fn parameters(func: &ItemFn, errors: &mut Vec<syn::Error>) -> Vec<Param> {
    let sig = &func.sig;
    let mut err = |tokens: &dyn ToTokens, msg: String| {
        errors.push(syn::Error::new_spanned(tokens, msg));
    };
    if let Some(a) = &sig.asyncness {
        err(
            a,
            format!("`async fn` cannot be driven by the builder: {SHAPE}"),
        );
    }
    if let Some(c) = &sig.constness {
        err(c, format!("`const fn` is not needed here: {SHAPE}"));
    }
    if let syn::Safety::Unsafe(u) = &sig.safety {
        err(u, "`unsafe` is not allowed in a model function".to_string());
    }
    if let Some(abi) = &sig.abi {
        err(
            abi,
            format!("`extern` functions cannot be model functions: {SHAPE}"),
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        err(
            &sig.generics,
            format!(
                "generic model functions are not supported: {SHAPE}, with concrete parameter types"
            ),
        );
    }
    if let syn::ReturnType::Type(arrow, t) = &sig.output {
        err(
            &quote!(#arrow #t),
            format!("a model function returns nothing, it adds transitions to `out`: {SHAPE}"),
        );
    }
    // `self` is reported once; the arguments after it are checked as if
    // it were not there
    let mut inputs = Vec::new();
    for a in &sig.inputs {
        match a {
            FnArg::Typed(t) => inputs.push(t),
            FnArg::Receiver(r) => err(
                r,
                format!("`self`: a model function is a free function, not a method: {SHAPE}"),
            ),
        }
    }
    // the parentheses of the signature, for a missing argument
    let mut parens = proc_macro2::Group::new(
        proc_macro2::Delimiter::Parenthesis,
        sig.inputs.to_token_stream(),
    );
    parens.set_span(sig.paren_token.span.join());
    match inputs.first() {
        Some(t) if is_state_type(&t.ty) => {}
        Some(t) => err(
            &t.ty,
            format!("the first argument is the state and has type `&[i32]`: {SHAPE}"),
        ),
        None => err(
            &parens,
            format!("missing the state argument `state: &[i32]`: {SHAPE}"),
        ),
    }
    match inputs.get(1) {
        Some(t) if is_transitions_type(&t.ty) => {}
        Some(t) => err(
            &t.ty,
            format!(
                "the second argument receives the transitions and has type `&mut Transitions`: {SHAPE}"
            ),
        ),
        None if !inputs.is_empty() => err(
            &parens,
            format!("missing the transitions argument `out: &mut Transitions`: {SHAPE}"),
        ),
        None => {}
    }
    let mut params = Vec::new();
    for t in inputs.iter().skip(2) {
        if !matches!(&*t.pat, Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none()) {
            err(
                &t.pat,
                "a model parameter is a plain name, e.g. `theta: f64`".to_string(),
            );
            continue;
        }
        let (stored, by_ref) = match &*t.ty {
            Type::Reference(r) if r.mutability.is_some() => {
                err(
                    r,
                    "parameters are read-only: use `&T` or a `Copy` value, not `&mut`".to_string(),
                );
                // kept as `T`, so that calls elsewhere give no further errors
                ((*r.elem).clone(), true)
            }
            Type::Reference(r) => ((*r.elem).clone(), true),
            Type::ImplTrait(i) => {
                err(
                    i,
                    "`impl Trait` parameters cannot be keyed: use a concrete type".to_string(),
                );
                continue;
            }
            other => (other.clone(), false),
        };
        params.push(Param {
            pat: (*t.pat).clone(),
            ty: (*t.ty).clone(),
            stored,
            by_ref,
        });
    }
    params
}

fn is_state_type(t: &Type) -> bool {
    matches!(t, Type::Reference(r) if r.mutability.is_none()
        && matches!(&*r.elem, Type::Slice(s) if matches!(&*s.elem, Type::Path(p) if p.path.is_ident("i32"))))
}

fn is_transitions_type(t: &Type) -> bool {
    matches!(t, Type::Reference(r) if r.mutability.is_some()
        && matches!(&*r.elem, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Transitions")))
}

fn declared(model: &Model) -> Declared {
    Declared {
        consts: model.args.consts.iter().map(Ident::to_string).collect(),
        helpers: model.args.helpers.iter().map(Ident::to_string).collect(),
        types: imported_types(&model.func.sig)
            .iter()
            .map(Ident::to_string)
            .collect(),
    }
}

fn param_names(model: &Model) -> Vec<String> {
    model
        .params
        .iter()
        .map(|p| p.pat.to_token_stream().to_string().replace("mut ", ""))
        .collect()
}

fn check_rules(model: &Model) -> Vec<syn::Error> {
    let declared = declared(model);
    let sig_locals = model
        .func
        .sig
        .inputs
        .iter()
        .take(2)
        .filter_map(|a| match a {
            FnArg::Typed(t) => Some(t.pat.to_token_stream().to_string().replace("mut ", "")),
            FnArg::Receiver(_) => None,
        });
    // `initial` sees the parameters only; it comes first, so that a
    // mistake made in both is reported where it is written first
    let mut rules = Rules::new(&declared, param_names(model));
    if let Some(init) = &model.args.initial {
        rules.visit_expr(init);
    }
    rules.rescope(sig_locals.chain(param_names(model)));
    rules.visit_block(&model.func.block);
    rules.errors
}

/// SHA-256 over the canonical attribute and the function without docs and name.
fn token_key(model: &Model) -> [u8; 32] {
    let mut f = model.func.clone();
    f.sig.ident = Ident::new("__phasic_model", Span::call_site());
    let mut h = TokenHasher::new("callback");
    h.section("attribute", &model.args.canonical());
    h.section("function", &f.to_token_stream());
    h.finish()
}

/// `Params`, and how each parameter is passed from `params: &Params`.
fn params_type_and_args(model: &Model) -> (TokenStream, Vec<TokenStream>) {
    let ps = &model.params;
    let stored: Vec<&Type> = ps.iter().map(|p| &p.stored).collect();
    let ty = match stored.as_slice() {
        [] => quote!(()),
        [one] => quote!(#one),
        many => quote!((#(#many,)*)),
    };
    let args = ps
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let access = if ps.len() == 1 {
                quote!(params)
            } else {
                let i = syn::Index::from(k);
                quote!(&params.#i)
            };
            if p.by_ref {
                access
            } else {
                quote!(::core::clone::Clone::clone(#access))
            }
        })
        .collect();
    (ty, args)
}

fn generate(model: &Model) -> TokenStream {
    let f = &model.func;
    let name = &f.sig.ident;
    let vis = &f.vis;
    let docs = f.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let other_attrs: Vec<_> = f
        .attrs
        .iter()
        .filter(|a| !a.path().is_ident("doc"))
        .collect();
    let module = body_module("callback", name);
    let key = token_key(model);
    let name_str = name.to_string();
    let theta_dim = match &model.args.theta_dim {
        Some(d) => d.to_token_stream(),
        None => quote!(0),
    };
    let (params_ty, args) = params_type_and_args(model);
    let consts = &model.args.consts;
    let const_names = consts.iter().map(Ident::to_string);
    let helpers = &model.args.helpers;
    let markers = helpers.iter().map(pure_marker);
    let lookup = helper_lookup(helpers);
    let types = imported_types(&f.sig);
    let inputs = &f.sig.inputs;
    let param_decls = model.params.iter().map(|p| {
        let (pat, ty) = (&p.pat, &p.ty);
        quote!(#pat: #ty)
    });
    let body = &f.block;
    let initial = &model.args.initial;
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

/// What is emitted when validation fails: the unit struct and a stub
/// `Callback` impl, so uses of the model elsewhere do not add errors.
fn fallback(model: &Model) -> TokenStream {
    let name = &model.func.sig.ident;
    let vis = &model.func.vis;
    let (params_ty, _) = params_type_and_args(model);
    let name_str = name.to_string();
    let unused = format_ident!("_unused");
    let module = body_module("callback", name);
    let (consts, helpers) = (&model.args.consts, &model.args.helpers);
    let types = imported_types(&model.func.sig);
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
            fn initial(&self, #unused: &Self::Params)
                -> ::phasic::__private::Result<::phasic::__private::Initial>
            {
                ::core::unreachable!()
            }
            fn expand(&self, _: &[i32], _: &mut ::phasic::__private::Transitions, _: &Self::Params) {}
            fn dependencies(
                &self,
                _: &mut ::phasic::__private::KeyHasher,
                _: &mut ::phasic::__private::Visited,
            ) {
            }
        }
    }
}
