//! Signature validation, written once for `#[callback]` and `#[pure]`:
//! one spanned message per mistake, in one wording that names the kind of
//! function and its expected shape; the accepted parameters become typed
//! [`Param`]s.

use quote::ToTokens;
use syn::{FnArg, Ident, Pat, PatType, Signature, Type};

use crate::ir::{Kind, Param};

/// How the messages name a function of `kind`: one, several, and the
/// shape it must have.
fn words(kind: Kind) -> (&'static str, &'static str, &'static str) {
    match kind {
        Kind::Callback => (
            "a model function",
            "model functions",
            "a model function has the shape `fn name(state: &[i32], out: &mut Transitions, params…)`",
        ),
        Kind::Pure => (
            "a pure helper",
            "pure helpers",
            "a pure helper has the shape `fn name(params…) -> T`",
        ),
    }
}

/// Checks the signature of a function of `kind`, collecting every mistake
/// in `errors`, and returns the names bound by the arguments before the
/// parameters (a callback's `state` and `out`) and the parameters that
/// passed. A refused `&mut T` parameter is kept, so that the fallback's
/// `Params` still matches its calls.
pub fn check(
    kind: Kind,
    sig: &Signature,
    errors: &mut Vec<syn::Error>,
) -> (Vec<Ident>, Vec<Param>) {
    let (noun, plural, shape) = words(kind);
    let callback = kind == Kind::Callback;
    let mut err = |tokens: &dyn ToTokens, msg: String| {
        errors.push(syn::Error::new_spanned(tokens, msg));
    };
    if let Some(a) = &sig.asyncness {
        err(a, format!("`async` is not allowed in {noun}"));
    }
    if callback && let Some(c) = &sig.constness {
        err(c, format!("`const fn` is not needed here: {shape}"));
    }
    if let syn::Safety::Unsafe(u) = &sig.safety {
        err(u, format!("`unsafe` is not allowed in {noun}"));
    }
    if callback && let Some(abi) = &sig.abi {
        err(
            abi,
            format!("`extern` functions cannot be {plural}: {shape}"),
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        err(
            &sig.generics,
            format!("generic {plural} are not supported: {shape}, with concrete parameter types"),
        );
    }
    if callback && let syn::ReturnType::Type(arrow, t) = &sig.output {
        err(
            &quote::quote!(#arrow #t),
            format!("a model function returns nothing, it adds transitions to `out`: {shape}"),
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
                format!("`self`: {noun} is a free function, not a method: {shape}"),
            ),
        }
    }
    // a callback's `state` and `out` come before its parameters
    let fixed = if callback {
        check_state_and_out(sig, &inputs, shape, &mut err);
        inputs.len().min(2)
    } else {
        0
    };
    let leading = inputs[..fixed]
        .iter()
        .filter_map(|t| plain_name(t).map(|(ident, _)| ident.clone()))
        .collect();
    let mut params = Vec::new();
    for t in &inputs[fixed..] {
        let Some((ident, mutability)) = plain_name(t) else {
            err(
                &t.pat,
                format!("a parameter of {noun} is a plain name, e.g. `x: f64`"),
            );
            continue;
        };
        match &*t.ty {
            Type::Reference(r) if callback && r.mutability.is_some() => err(
                r,
                "parameters are read-only: use `&T` or a `Copy` value, not `&mut`".to_string(),
            ),
            Type::ImplTrait(i) if callback => {
                err(
                    i,
                    "`impl Trait` parameters cannot be keyed: use a concrete type".to_string(),
                );
                continue;
            }
            _ => {}
        }
        params.push(Param {
            ident: ident.clone(),
            mutability: *mutability,
            ty: (*t.ty).clone(),
        });
    }
    (leading, params)
}

/// The name and `mut` of an argument written as a plain name (`x`,
/// `mut x`; not `ref x`, `x @ …` or a destructuring pattern).
fn plain_name(t: &PatType) -> Option<(&Ident, &Option<syn::Token![mut]>)> {
    match &*t.pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
            Some((&p.ident, &p.mutability))
        }
        _ => None,
    }
}

/// A callback's first two arguments: `state: &[i32]` and
/// `out: &mut Transitions`.
fn check_state_and_out(
    sig: &Signature,
    inputs: &[&PatType],
    shape: &str,
    err: &mut impl FnMut(&dyn ToTokens, String),
) {
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
            format!("the first argument is the state and has type `&[i32]`: {shape}"),
        ),
        None => err(
            &parens,
            format!("missing the state argument `state: &[i32]`: {shape}"),
        ),
    }
    match inputs.get(1) {
        Some(t) if is_transitions_type(&t.ty) => {}
        Some(t) => err(
            &t.ty,
            format!(
                "the second argument receives the transitions and has type `&mut Transitions`: {shape}"
            ),
        ),
        None if !inputs.is_empty() => err(
            &parens,
            format!("missing the transitions argument `out: &mut Transitions`: {shape}"),
        ),
        None => {}
    }
}

fn is_state_type(t: &Type) -> bool {
    matches!(t, Type::Reference(r) if r.mutability.is_none()
        && matches!(&*r.elem, Type::Slice(s) if matches!(&*s.elem, Type::Path(p) if p.path.is_ident("i32"))))
}

fn is_transitions_type(t: &Type) -> bool {
    matches!(t, Type::Reference(r) if r.mutability.is_some()
        && matches!(&*r.elem, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Transitions")))
}
