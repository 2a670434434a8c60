//! `#[phasic::callback]`: parse → validate → expand, with a fallback item
//! when validation fails.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{FnArg, Ident, ItemFn, Pat, Type};

use crate::args::{Args, For};
use crate::imports::{body_module, pure_marker, signature_types, types_of};
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
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let err = syn::Error::new(
                e.span(),
                format!("#[phasic::callback] applies to a function: {e}"),
            );
            let err = err.to_compile_error();
            return quote!(#err #item);
        }
    };
    let mut errors = Vec::new();
    let args = Args::parse(attr, For::Callback).unwrap_or_else(|e| {
        errors.push(e);
        Args::default()
    });
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
    let mut err = |span: Span, msg: String| errors.push(syn::Error::new(span, msg));
    if let Some(a) = &sig.asyncness {
        err(
            a.span(),
            format!("`async fn` cannot be driven by the builder: {SHAPE}"),
        );
    }
    if let Some(c) = &sig.constness {
        err(c.span(), format!("`const fn` is not needed here: {SHAPE}"));
    }
    if let syn::Safety::Unsafe(u) = &sig.safety {
        err(
            u.span(),
            "`unsafe` is not allowed in a model function".to_string(),
        );
    }
    if let Some(abi) = &sig.abi {
        err(
            abi.span(),
            format!("`extern` functions cannot be model functions: {SHAPE}"),
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        err(
            sig.generics.span(),
            format!(
                "generic model functions are not supported: {SHAPE}, with concrete parameter types"
            ),
        );
    }
    if let syn::ReturnType::Type(_, t) = &sig.output {
        err(
            t.span(),
            format!("a model function returns nothing, it adds transitions to `out`: {SHAPE}"),
        );
    }
    let inputs: Vec<&FnArg> = sig.inputs.iter().collect();
    let typed = |a: &FnArg| match a {
        FnArg::Typed(t) => Some(t.clone()),
        FnArg::Receiver(_) => None,
    };
    match inputs.first().and_then(|a| typed(a)) {
        Some(t) if is_state_type(&t.ty) => {}
        Some(t) => err(
            t.ty.span(),
            format!("the first argument is the state and has type `&[i32]`: {SHAPE}"),
        ),
        None => err(sig.span(), format!("missing the state argument: {SHAPE}")),
    }
    match inputs.get(1).and_then(|a| typed(a)) {
        Some(t) if is_transitions_type(&t.ty) => {}
        Some(t) => err(
            t.ty.span(),
            format!(
                "the second argument receives the transitions and has type `&mut Transitions`: {SHAPE}"
            ),
        ),
        None => err(
            sig.span(),
            format!("missing the transitions argument: {SHAPE}"),
        ),
    }
    let mut params = Vec::new();
    for a in inputs.iter().skip(2) {
        let Some(t) = typed(a) else {
            err(
                a.span(),
                format!("`self` cannot be a model parameter: {SHAPE}"),
            );
            continue;
        };
        if !matches!(&*t.pat, Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none()) {
            err(
                t.pat.span(),
                "a model parameter is a plain name, e.g. `theta: f64`".to_string(),
            );
            continue;
        }
        let (stored, by_ref) = match &*t.ty {
            Type::Reference(r) if r.mutability.is_some() => {
                err(
                    r.span(),
                    "parameters are read-only: use `&T` or a `Copy` value, not `&mut`".to_string(),
                );
                continue;
            }
            Type::Reference(r) => ((*r.elem).clone(), true),
            Type::ImplTrait(i) => {
                err(
                    i.span(),
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
        types: signature_types(types_of(&model.func.sig))
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
    let mut rules = Rules::new(&declared, sig_locals.chain(param_names(model)));
    rules.visit_block(&model.func.block);
    // `initial` sees the parameters only
    let mut initial_rules = Rules::new(&declared, param_names(model));
    if let Some(init) = &model.args.initial {
        initial_rules.visit_expr(init);
    }
    let mut errors = rules.errors;
    errors.extend(initial_rules.errors);
    errors
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
    let markers: Vec<TokenStream> = helpers.iter().map(pure_marker).collect();
    let n_helpers = helpers.len();
    let types = signature_types(types_of(&f.sig));
    let inputs = &f.sig.inputs;
    let param_decls = model.params.iter().map(|p| {
        let (pat, ty) = (&p.pat, &p.ty);
        quote!(#pat: #ty)
    });
    let body = &f.block;
    let initial = &model.args.initial;
    let marker_calls = markers.iter().map(|m| quote!(#m().hash_into(h, seen);));
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
                h.len(#n_helpers);
                #(#marker_calls)*
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
    quote! {
        #[allow(non_camel_case_types, dead_code)]
        #[derive(Clone, Copy, Debug, Default)]
        #vis struct #name;

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
