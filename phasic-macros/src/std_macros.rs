//! Every std macro a body may use is emitted with its absolute path
//! (`vec![…]` → `::std::vec![…]`), nested ones included: a
//! `macro_rules! vec` defined earlier in the file is in textual scope
//! inside the generated module and would otherwise shadow the real one,
//! with an expansion the key cannot see.

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};

use crate::rules::PURE_MACROS;

/// `tokens` with every invocation of an allowed std macro written as
/// `::std::name!`, at any depth. An invocation already written with a
/// path (`std::vec!`, `::std::vec!`) is left as it is.
pub fn absolute(tokens: TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(trees.len());
    for (i, tt) in trees.iter().enumerate() {
        match tt {
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), absolute(g.stream()));
                inner.set_span(g.span());
                out.push(TokenTree::Group(inner));
            }
            TokenTree::Ident(name) if is_invocation(&trees, i, name) => {
                let span = name.span();
                out.extend(std_prefix(span));
                out.push(tt.clone());
            }
            _ => out.push(tt.clone()),
        }
    }
    out.into_iter().collect()
}

/// Whether `trees[i]` (the identifier `name`) starts `name!(…)` with no
/// path before it: a `!` alone, then a delimited group.
fn is_invocation(trees: &[TokenTree], i: usize, name: &Ident) -> bool {
    let bang = matches!(trees.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!' && p.spacing() == Spacing::Alone);
    let group =
        matches!(trees.get(i + 2), Some(TokenTree::Group(g)) if g.delimiter() != Delimiter::None);
    let after_path = i > 0
        && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == ':' || p.as_char() == '.');
    bang && group && !after_path && PURE_MACROS.contains(&name.to_string().as_str())
}

/// `::std::`, spanned where the macro's name is.
fn std_prefix(span: Span) -> Vec<TokenTree> {
    let colon = |spacing| {
        let mut p = Punct::new(':', spacing);
        p.set_span(span);
        TokenTree::Punct(p)
    };
    vec![
        colon(Spacing::Joint),
        colon(Spacing::Alone),
        TokenTree::Ident(Ident::new("std", span)),
        colon(Spacing::Joint),
        colon(Spacing::Alone),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn allowed_macros_become_absolute_at_any_depth() {
        let got = absolute(quote!(let v = vec![vec![1], x]; assert!(matches!(v.len(), 2));));
        let want = quote!(let v = ::std::vec![::std::vec![1], x]; ::std::assert!(::std::matches!(v.len(), 2)););
        assert_eq!(got.to_string(), want.to_string());
    }

    #[test]
    fn paths_comparisons_and_other_names_are_left_alone() {
        let src =
            quote!(std::vec![1]; ::std::vec![2]; a.vec(); vec != w; let vec = 1; format_args!("x"));
        assert_eq!(absolute(src.clone()).to_string(), src.to_string());
    }
}
