//! `#[derive(phasic::Key)]`: type name, then each field's name and value
//! (or each variant's name and fields), in declaration order.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

/// The `Key` impl of the struct or enum `input`, or the error.
pub fn expand(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let name = &input.ident;
    let name_str = name.to_string();
    let mut generics = input.generics.clone();
    for p in generics.type_params_mut() {
        p.bounds.push(syn::parse_quote!(::phasic::__private::Key));
    }
    let (impl_g, ty_g, where_g) = generics.split_for_impl();
    let body = match &input.data {
        Data::Struct(s) => {
            let (pattern, writes) = fields(&s.fields);
            quote! {
                h.tag(::phasic::__private::tag::STRUCT);
                h.str(#name_str);
                let #name #pattern = self;
                #writes
            }
        }
        Data::Enum(e) => {
            let arms = e.variants.iter().map(|v| {
                let vname = &v.ident;
                let vstr = vname.to_string();
                let (pattern, writes) = fields(&v.fields);
                quote!(#name::#vname #pattern => { h.str(#vstr); #writes })
            });
            quote! {
                h.tag(::phasic::__private::tag::ENUM);
                h.str(#name_str);
                match self { #(#arms)* }
            }
        }
        Data::Union(u) => {
            return syn::Error::new(u.union_token.span, "`Key` cannot be derived for unions")
                .to_compile_error();
        }
    };
    quote! {
        impl #impl_g ::phasic::__private::Key for #name #ty_g #where_g {
            fn key(&self, h: &mut ::phasic::__private::KeyHasher) {
                #body
            }
        }
    }
}

/// A destructuring pattern for the fields and the writes of their keys.
/// Each write is spanned on the field's type, where a type that is not
/// `Key` is reported.
fn fields(fields: &Fields) -> (TokenStream, TokenStream) {
    let write = |ident: &syn::Ident, ty: &syn::Type| quote_spanned!(ty.span()=> ::phasic::__private::Key::key(#ident, h););
    match fields {
        Fields::Named(n) => {
            let idents: Vec<_> = n.named.iter().filter_map(|f| f.ident.clone()).collect();
            let strs = idents.iter().map(|i| i.to_string());
            let writes = n.named.iter().zip(&idents).map(|(f, i)| write(i, &f.ty));
            let count = idents.len();
            (
                quote!({ #(#idents),* }),
                quote!(h.len(#count); #( h.str(#strs); #writes )*),
            )
        }
        Fields::Unnamed(u) => {
            let idents: Vec<_> = (0..u.unnamed.len())
                .map(|i| format_ident!("f{i}"))
                .collect();
            let writes = u.unnamed.iter().zip(&idents).map(|(f, i)| write(i, &f.ty));
            let count = idents.len();
            (
                quote!(( #(#idents),* )),
                quote!(h.len(#count); #( #writes )*),
            )
        }
        Fields::Unit => (quote!(), quote!(h.len(0);)),
    }
}
