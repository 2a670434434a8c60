//! The attribute arguments: `initial = EXPR`, `consts(A, B)`,
//! `helpers(f, g)`, `theta_dim = N`.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Expr, Ident, LitInt};

/// Parsed attribute arguments.
#[derive(Default)]
pub struct Args {
    pub initial: Option<Expr>,
    pub consts: Vec<Ident>,
    pub helpers: Vec<Ident>,
    pub theta_dim: Option<LitInt>,
}

/// Which arguments an attribute accepts.
#[derive(Clone, Copy, PartialEq)]
pub enum For {
    Callback,
    Pure,
}

impl Args {
    pub fn parse(tokens: TokenStream, kind: For) -> syn::Result<Args> {
        let mut args = Args::default();
        let parser = syn::meta::parser(|meta| {
            let name = meta
                .path
                .get_ident()
                .map(Ident::to_string)
                .unwrap_or_default();
            match (name.as_str(), kind) {
                ("initial", For::Callback) => {
                    args.initial = Some(meta.value()?.parse()?);
                    Ok(())
                }
                ("theta_dim", For::Callback) => {
                    args.theta_dim = Some(meta.value()?.parse()?);
                    Ok(())
                }
                ("consts", _) => meta.parse_nested_meta(|m| {
                    args.consts.push(m.path.require_ident()?.clone());
                    Ok(())
                }),
                ("helpers", _) => meta.parse_nested_meta(|m| {
                    args.helpers.push(m.path.require_ident()?.clone());
                    Ok(())
                }),
                _ => Err(meta.error(match kind {
                    For::Callback => {
                        "unknown argument: expected `initial = …`, `consts(…)`, `helpers(…)` or `theta_dim = N`"
                    }
                    For::Pure => "unknown argument: expected `consts(…)` or `helpers(…)`",
                })),
            }
        });
        syn::parse::Parser::parse2(parser, tokens)?;
        Ok(args)
    }

    /// The arguments re-printed in a canonical order, for the key.
    pub fn canonical(&self) -> TokenStream {
        let mut t = TokenStream::new();
        if let Some(i) = &self.initial {
            quote::quote!(initial = #i;).to_tokens(&mut t);
        }
        let (c, h) = (&self.consts, &self.helpers);
        quote::quote!(consts(#(#c),*); helpers(#(#h),*);).to_tokens(&mut t);
        if let Some(d) = &self.theta_dim {
            quote::quote!(theta_dim = #d;).to_tokens(&mut t);
        }
        t
    }
}

/// Parses the annotated function and the attribute arguments of `kind`.
/// `Err` carries what to emit when the item is not a function (the error
/// and the item unchanged); argument errors are collected in `errors`.
pub fn parse_fn(
    attr: TokenStream,
    item: TokenStream,
    kind: For,
    errors: &mut Vec<syn::Error>,
) -> Result<(syn::ItemFn, Args), TokenStream> {
    let func: syn::ItemFn = syn::parse2(item.clone()).map_err(|e| {
        let name = match kind {
            For::Callback => "callback",
            For::Pure => "pure",
        };
        let err = syn::Error::new(
            e.span(),
            format!("#[phasic::{name}] applies to a function: {e}"),
        )
        .to_compile_error();
        quote::quote!(#err #item)
    })?;
    let args = Args::parse(attr, kind).unwrap_or_else(|e| {
        errors.push(e);
        Args::default()
    });
    Ok((func, args))
}
