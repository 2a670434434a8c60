//! `#[derive(phasic::Key)]`: the key and the plain-data mirror of a struct
//! or enum.
//!
//! The key writes the type name and the token hash of its definition (so
//! that an edit of any field, variant, variant order, field type or
//! discriminant expression changes the key of every value), for an enum of
//! unit variants every variant's discriminant value (what `x as i32` and
//! `Mode::Fast as i32` read), then the value: each field's name and value,
//! or its variant's position, name and fields, in declaration order. The mirror is
//! a hidden copy of the type with the same fields, variants, discriminants
//! and `repr`, whose field types are their own mirrors, and whose only
//! impls are derived: what a model body sees of a parameter
//! (`phasic::key::Plain`), so that no code of the type reaches it.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};

use crate::token_hash::TokenHasher;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Generics, Ident};

/// The `Key` and `Plain` impls and the mirror of `input`, or the error.
pub fn expand(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    if let Data::Union(u) = &input.data {
        return syn::Error::new(u.union_token.span, "`Key` cannot be derived for unions")
            .to_compile_error();
    }
    let key = key_impl(&input);
    let mirror = mirror(&input);
    quote!(#key #mirror)
}

/// `generics` with `bound` added to every type parameter.
fn bounded(generics: &Generics, bound: syn::TypeParamBound) -> Generics {
    let mut g = generics.clone();
    for p in g.type_params_mut() {
        p.bounds.push(bound.clone());
    }
    g
}

/// The `Key` impl.
fn key_impl(input: &DeriveInput) -> TokenStream {
    let name = &input.ident;
    let name_str = name.to_string();
    let generics = bounded(&input.generics, syn::parse_quote!(::phasic::__private::Key));
    let (impl_g, ty_g, where_g) = generics.split_for_impl();
    let definition = definition_key(input);
    let body = match &input.data {
        Data::Struct(s) => {
            let (pattern, writes) = key_fields(&s.fields);
            quote! {
                h.tag(::phasic::__private::tag::STRUCT);
                h.str(#name_str);
                h.bytes(&[#(#definition),*]);
                let #name #pattern = self;
                #writes
            }
        }
        Data::Enum(e) => {
            // an enum of unit variants can be cast (`x as i32`,
            // `Mode::Fast as i32`): the values of all its discriminants are
            // keyed, also where an expression computes them
            let unit_only = input.generics.params.is_empty()
                && e.variants.iter().all(|v| matches!(v.fields, Fields::Unit));
            let discriminants = e.variants.iter().filter(|_| unit_only).map(|v| {
                let vname = &v.ident;
                quote!(h.bytes(&(#name::#vname as i128).to_le_bytes());)
            });
            let arms = e.variants.iter().enumerate().map(|(i, v)| {
                let vname = &v.ident;
                let vstr = vname.to_string();
                let (pattern, writes) = key_fields(&v.fields);
                quote!(#name::#vname #pattern => {
                    h.len(#i);
                    h.str(#vstr);
                    #writes
                })
            });
            quote! {
                h.tag(::phasic::__private::tag::ENUM);
                h.str(#name_str);
                h.bytes(&[#(#definition),*]);
                #(#discriminants)*
                match self { #(#arms)* }
            }
        }
        Data::Union(_) => unreachable!("refused in `expand`"),
    };
    quote! {
        impl #impl_g ::phasic::__private::Key for #name #ty_g #where_g {
            fn key(&self, h: &mut ::phasic::__private::KeyHasher) {
                #body
            }
        }
    }
}

/// The token hash of the type's definition: generics, fields, field types,
/// variants in order and discriminant expressions, with `repr`; other
/// attributes (derives, docs) are left out.
fn definition_key(input: &DeriveInput) -> [u8; 32] {
    let mut definition = input.clone();
    definition.attrs.retain(|a| a.path().is_ident("repr"));
    let strip = |fields: &mut Fields| fields.iter_mut().for_each(|f| f.attrs.clear());
    match &mut definition.data {
        Data::Struct(s) => strip(&mut s.fields),
        Data::Enum(e) => e.variants.iter_mut().for_each(|v| {
            v.attrs.clear();
            strip(&mut v.fields);
        }),
        Data::Union(_) => {}
    }
    let mut h = TokenHasher::new("type");
    h.section("definition", &definition.to_token_stream());
    h.finish()
}

/// A destructuring pattern for the fields and the writes of their keys.
/// Each write is spanned on the field's type, where a type that is not
/// `Key` is reported.
fn key_fields(fields: &Fields) -> (TokenStream, TokenStream) {
    let write = |ident: &Ident, ty: &syn::Type| quote_spanned!(ty.span()=> ::phasic::__private::Key::key(#ident, h););
    let idents = field_idents(fields);
    let writes = fields.iter().zip(&idents).map(|(f, i)| write(i, &f.ty));
    let count = idents.len();
    match fields {
        Fields::Named(_) => {
            let strs = idents.iter().map(|i| i.to_string());
            (
                quote!({ #(#idents),* }),
                quote!(h.len(#count); #( h.str(#strs); #writes )*),
            )
        }
        Fields::Unnamed(_) => (
            quote!(( #(#idents),* )),
            quote!(h.len(#count); #( #writes )*),
        ),
        Fields::Unit => (quote!(), quote!(h.len(0);)),
    }
}

/// The bindings of a pattern over `fields`: their names, or `f0, f1, …`.
fn field_idents(fields: &Fields) -> Vec<Ident> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| f.ident.clone().unwrap_or_else(|| format_ident!("f{i}")))
        .collect()
}

/// The name of the mirror of type `name`.
pub fn mirror_name(name: &Ident) -> Ident {
    format_ident!("__PhasicMirror{}", name)
}

/// The mirror type and the `Plain` impl.
fn mirror(input: &DeriveInput) -> TokenStream {
    let name = &input.ident;
    let vis = &input.vis;
    let mname = mirror_name(name);
    let generics = bounded(
        &input.generics,
        syn::parse_quote!(::phasic::__private::Plain),
    );
    let (impl_g, ty_g, where_g) = generics.split_for_impl();
    let repr = input.attrs.iter().filter(|a| a.path().is_ident("repr"));
    let mirror_field = |f: &syn::Field| {
        let (fvis, ty) = (&f.vis, &f.ty);
        let ty = quote_spanned!(ty.span()=> <#ty as ::phasic::__private::Plain>::Mirror);
        match &f.ident {
            Some(i) => quote!(#fvis #i: #ty),
            None => quote!(#fvis #ty),
        }
    };
    let shape = |fields: &Fields| {
        let fs = fields.iter().map(mirror_field);
        match fields {
            Fields::Named(_) => quote!({ #(#fs,)* }),
            Fields::Unnamed(_) => quote!(( #(#fs,)* )),
            Fields::Unit => quote!(),
        }
    };
    // `Src #pattern => Dst #construction`, fields mirrored one by one
    let convert = |src: TokenStream, dst: TokenStream, fields: &Fields| {
        let idents = field_idents(fields);
        let values = idents
            .iter()
            .map(|i| quote!(::phasic::__private::Plain::mirror(#i)));
        match fields {
            Fields::Named(_) => {
                quote!(#src { #(#idents),* } => #dst { #(#idents: #values),* })
            }
            Fields::Unnamed(_) => quote!(#src ( #(#idents),* ) => #dst ( #(#values),* )),
            Fields::Unit => quote!(#src => #dst),
        }
    };
    let (definition, arms, unit_only) = match &input.data {
        Data::Struct(s) => {
            let body = shape(&s.fields);
            let definition = match s.fields {
                Fields::Named(_) => quote!(struct #mname #generics #where_g #body),
                _ => quote!(struct #mname #generics #body #where_g;),
            };
            (
                definition,
                vec![convert(quote!(#name), quote!(#mname), &s.fields)],
                false,
            )
        }
        Data::Enum(e) => {
            let variants = e.variants.iter().map(|v| {
                let vname = &v.ident;
                let body = shape(&v.fields);
                let disc = v.discriminant.as_ref().map(|(eq, d)| quote!(#eq #d));
                quote!(#vname #body #disc)
            });
            let arms = e
                .variants
                .iter()
                .map(|v| {
                    let vname = &v.ident;
                    convert(quote!(#name::#vname), quote!(#mname::#vname), &v.fields)
                })
                .collect();
            let unit_only = e.variants.iter().all(|v| matches!(v.fields, Fields::Unit));
            (
                quote!(enum #mname #generics #where_g { #(#variants,)* }),
                arms,
                unit_only,
            )
        }
        Data::Union(_) => unreachable!("refused in `expand`"),
    };
    let derives = if unit_only {
        quote!(#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)])
    } else {
        quote!(#[derive(Clone, Debug, PartialEq, PartialOrd)])
    };
    let doc = format!(
        "What a model body sees of a [`{name}`] parameter: its fields and variants, no impls but derived ones."
    );
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #derives
        #(#repr)*
        #[allow(non_camel_case_types, dead_code, missing_docs)]
        #vis #definition

        impl #impl_g ::phasic::__private::Plain for #name #ty_g #where_g {
            type Mirror = #mname #ty_g;
            fn mirror(&self) -> Self::Mirror {
                match self { #(#arms,)* }
            }
        }
    }
}
