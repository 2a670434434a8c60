//! The typed description of an annotated function, shared by
//! `#[callback]` and `#[pure]`: the function, its attribute arguments
//! ([`Args`]) and its parameters as typed items ([`Param`]).

use proc_macro2::TokenStream;
use syn::{Ident, ItemFn, Token, Type};

use crate::args::Args;
use crate::signature;

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `#[phasic::callback]`: a model function.
    Callback,
    /// `#[phasic::pure]`: a helper that model functions may call.
    Pure,
}

impl Kind {
    /// The attribute's name, as in `#[phasic::callback]`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Callback => "callback",
            Kind::Pure => "pure",
        }
    }
}

/// A run-time parameter written as a plain name: `theta: f64`,
/// `mut n: i32`, `p: &Params`.
pub struct Param {
    /// The name.
    pub ident: Ident,
    /// `mut`, if the parameter is a mutable binding.
    pub mutability: Option<Token![mut]>,
    /// The type as written.
    pub ty: Type,
}

impl Param {
    /// The type a callback stores for this parameter: `T` for `&T` (and
    /// for a refused `&mut T`, so that uses elsewhere add no errors).
    pub fn stored(&self) -> &Type {
        match &self.ty {
            Type::Reference(r) => &r.elem,
            other => other,
        }
    }

    /// Whether the parameter is passed by reference, as `&T`.
    pub fn by_ref(&self) -> bool {
        matches!(self.ty, Type::Reference(_))
    }
}

/// An annotated function, its arguments and its signature, typed.
pub struct Function {
    /// Which attribute it carries.
    pub kind: Kind,
    /// The function as parsed.
    pub item: ItemFn,
    /// The attribute arguments (the defaults if they did not parse).
    pub args: Args,
    /// The names bound by the arguments before the parameters: a
    /// callback's `state` and `out`, when written as plain names.
    pub leading: Vec<Ident>,
    /// The parameters written as plain names (without a callback's
    /// `state` and `out`, and its refused `impl Trait` parameters).
    pub params: Vec<Param>,
}

impl Function {
    /// Parses `item` and the attribute arguments `attr` of `kind`, and
    /// checks the signature ([`signature::check`]). Mistakes in the
    /// arguments and the signature are collected in `errors`; `Err` means
    /// that `item` is not a function.
    pub fn parse(
        kind: Kind,
        attr: TokenStream,
        item: TokenStream,
        errors: &mut Vec<syn::Error>,
    ) -> syn::Result<Function> {
        let item: ItemFn = syn::parse2(item).map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("#[phasic::{}] applies to a function: {e}", kind.name()),
            )
        })?;
        let args = Args::parse(attr, kind).unwrap_or_else(|e| {
            errors.push(e);
            Args::default()
        });
        let (leading, params) = signature::check(kind, &item.sig, errors);
        if errors.is_empty() {
            errors.extend(args.missing(kind));
        }
        Ok(Function {
            kind,
            item,
            args,
            leading,
            params,
        })
    }
}
