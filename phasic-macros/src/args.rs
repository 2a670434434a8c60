//! The attribute arguments: `initial = EXPR`, `consts(A, B)`,
//! `helpers(f, g)`, `theta_dim = N`.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Expr, Ident, LitInt};

use crate::ir::Kind;

/// Parsed attribute arguments.
#[derive(Default)]
pub struct Args {
    /// `initial = EXPR` (callbacks only, required).
    pub initial: Option<Expr>,
    /// `consts(A, B)`: the consts the body reads.
    pub consts: Vec<Ident>,
    /// `helpers(f, g)`: the `#[phasic::pure]` functions the body calls.
    pub helpers: Vec<Ident>,
    /// `theta_dim = N` (callbacks only).
    pub theta_dim: Option<LitInt>,
}

impl Args {
    /// Parses the arguments that an attribute of `kind` accepts.
    pub fn parse(tokens: TokenStream, kind: Kind) -> syn::Result<Args> {
        let mut args = Args::default();
        let parser = syn::meta::parser(|meta| {
            let name = meta
                .path
                .get_ident()
                .map(Ident::to_string)
                .unwrap_or_default();
            match (name.as_str(), kind) {
                ("initial", Kind::Callback) => {
                    args.initial = Some(meta.value()?.parse()?);
                    Ok(())
                }
                ("theta_dim", Kind::Callback) => {
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
                    Kind::Callback => {
                        "unknown argument: expected `initial = …`, `consts(…)`, `helpers(…)` or `theta_dim = N`"
                    }
                    Kind::Pure => "unknown argument: expected `consts(…)` or `helpers(…)`",
                })),
            }
        });
        syn::parse::Parser::parse2(parser, tokens)?;
        Ok(args)
    }

    /// The error for a required argument that is missing: a callback's
    /// `initial = …`.
    pub fn missing(&self, kind: Kind) -> Option<syn::Error> {
        (kind == Kind::Callback && self.initial.is_none()).then(|| {
            syn::Error::new(
                proc_macro2::Span::call_site(),
                "missing `initial = …`: the initial state, e.g. `#[phasic::callback(initial = [5])]`, or weighted states `initial = [([5], 0.5), ([3], 0.5)]`",
            )
        })
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
