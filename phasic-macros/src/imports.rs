//! What a generated module imports from its parent: the declared consts
//! and helpers, and the types named in the signature.

use proc_macro2::{Ident, Span, TokenStream};
use syn::visit::{self, Visit};
use syn::{Signature, Type};

/// The parameter types a generated module sees, each as its plain-data
/// mirror under its own name: `type Rates = <super::Rates as Plain>::Mirror;`
/// for every type of the signature that neither the prelude nor the
/// generic parameters provide. A body can then name fields, build values
/// and match variants, but reaches no code of the type.
pub fn mirrored_types(sig: &Signature) -> TokenStream {
    let aliases = imported_types(sig).into_iter().map(|t| {
        quote::quote_spanned! {t.span()=>
            #[allow(dead_code)]
            type #t = <super::#t as ::phasic::__private::Plain>::Mirror;
        }
    });
    quote::quote!(#(#aliases)*)
}

/// Rewrites the types of `sig` (a pure helper's public wrapper, in the
/// parent module) to their mirrors: `Rates` → `<Rates as Plain>::Mirror`,
/// so that the wrapper takes and returns what the body sees.
pub fn mirror_signature(sig: &mut Signature) {
    use syn::visit_mut::{self, VisitMut};
    struct Mirror(Vec<String>);
    impl VisitMut for Mirror {
        fn visit_type_mut(&mut self, t: &mut Type) {
            if let Type::Path(p) = t
                && p.qself.is_none()
                && p.path.leading_colon.is_none()
                && p.path.segments.len() == 1
                && self.0.contains(&p.path.segments[0].ident.to_string())
            {
                let inner = p.clone();
                *t = syn::parse_quote!(<#inner as ::phasic::__private::Plain>::Mirror);
                return;
            }
            visit_mut::visit_type_mut(self, t);
        }
    }
    let names = imported_types(sig).iter().map(Ident::to_string).collect();
    let mut m = Mirror(names);
    for a in sig.inputs.iter_mut() {
        if let syn::FnArg::Typed(t) = a {
            m.visit_type_mut(&mut t.ty);
        }
    }
    if let syn::ReturnType::Type(_, t) = &mut sig.output {
        m.visit_type_mut(t);
    }
}

/// The single-segment type names of the signature that neither the
/// prelude nor the generic parameters provide: the user's types.
pub fn imported_types(sig: &Signature) -> Vec<Ident> {
    let generic: Vec<String> = sig
        .generics
        .type_params()
        .map(|p| p.ident.to_string())
        .collect();
    signature_types(types_of(sig))
        .into_iter()
        .filter(|t| !generic.contains(&t.to_string()))
        .collect()
}

/// The single-segment type names of `ty` that the prelude does not provide.
fn signature_types<'a>(types: impl IntoIterator<Item = &'a Type>) -> Vec<Ident> {
    struct Collect(Vec<Ident>);
    impl<'ast> Visit<'ast> for Collect {
        fn visit_type_path(&mut self, t: &'ast syn::TypePath) {
            if t.qself.is_none() && t.path.leading_colon.is_none() && t.path.segments.len() == 1 {
                let ident = &t.path.segments[0].ident;
                let name = ident.to_string();
                if !crate::rules::is_prelude(&name) && !self.0.iter().any(|i| *i == name) {
                    self.0.push(ident.clone());
                }
            }
            visit::visit_type_path(self, t);
        }
    }
    let mut c = Collect(Vec::new());
    for t in types {
        c.visit_type(t);
    }
    c.0
}

/// Every type written in the signature's inputs and output.
fn types_of(sig: &Signature) -> Vec<&Type> {
    let mut out: Vec<&Type> = sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(t) => Some(&*t.ty),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    if let syn::ReturnType::Type(_, t) = &sig.output {
        out.push(t);
    }
    out
}

/// The marker of a declared helper, a `fn() -> &'static Pure`: a closure
/// calling the `__phasic_pure` that `#[phasic::pure]` generates in the
/// module of the same name as the helper (so that `use super::f;` brings
/// it along with `f`). Valid inside a module that emits [`helper_lookup`].
pub fn pure_marker(helper: &Ident) -> TokenStream {
    let marker = Ident::new("__phasic_pure", helper.span());
    quote::quote_spanned!(helper.span()=>
        || __phasic_helpers::PureHelper::pure(#helper::#marker())
    )
}

/// Emitted in a generated module that imports `helpers(f, g)` from its
/// parent: what makes a helper without `#[phasic::pure]` one clear error.
///
/// For each helper, a fallback module of the same name, glob-imported: an
/// explicit `use super::f;` shadows it when `f` has its `#[phasic::pure]`
/// module, and otherwise [`pure_marker`] reaches the fallback, whose
/// `__phasic_pure` returns a type that is not `PureHelper`, and the
/// compiler says so with the message below, on the helper's name.
pub fn helper_lookup(helpers: &[Ident]) -> TokenStream {
    if helpers.is_empty() {
        return TokenStream::new();
    }
    let fallbacks = helpers.iter().map(|h| {
        quote::quote_spanned! {h.span()=>
            pub mod #h {
                pub struct NotMarkedPure;
                pub fn __phasic_pure() -> NotMarkedPure {
                    NotMarkedPure
                }
            }
        }
    });
    quote::quote! {
        #[doc(hidden)]
        #[allow(dead_code, non_snake_case)]
        mod __phasic_helpers {
            #[diagnostic::on_unimplemented(
                message = "this function is declared in `helpers(…)` but is not marked `#[phasic::pure]`",
                label = "not a `#[phasic::pure]` function",
                note = "mark the function with `#[phasic::pure]` (declaring the consts and helpers it uses with `consts(…)` and `helpers(…)`), so that its code is part of the model's key"
            )]
            pub trait PureHelper {
                fn pure(self) -> &'static ::phasic::__private::Pure;
            }
            #[diagnostic::do_not_recommend]
            impl PureHelper for &'static ::phasic::__private::Pure {
                fn pure(self) -> &'static ::phasic::__private::Pure {
                    self
                }
            }
            pub mod fallback {
                #(#fallbacks)*
            }
        }
        #[allow(unused_imports)]
        use self::__phasic_helpers::fallback::*;
    }
}

/// The name of the generated module that holds a function's body.
pub fn body_module(kind: &str, name: &Ident) -> Ident {
    Ident::new(&format!("__phasic_{kind}_{name}"), Span::call_site())
}
