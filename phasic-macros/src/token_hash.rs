//! The structural SHA-256 of token trees: group delimiters, ident text,
//! punct char and spacing, literal text. `TokenStream::to_string()` is
//! never hashed (its spacing changes between compiler releases).
//!
//! Two normalisations make the key independent of formatting everywhere,
//! including inside macro calls, whose tokens are kept as written: doc
//! attributes (`#[doc = …]`, `#![doc = …]`, i.e. doc comments) are skipped
//! wherever they occur, and a punct counts as joint only when it forms an
//! operator with the next one (`::`, `->`, `+=`, `..=`, …) or starts a
//! lifetime (`'a`), and a trailing comma is dropped where it changes
//! nothing (last in a `[…]` or `{…}` group, or in a `(…)` group with
//! another comma at its top level: `(a,)` stays a one-element tuple).

use proc_macro2::{Delimiter, Spacing, Span, TokenStream, TokenTree};
use quote::ToTokens;
use sha2::{Digest, Sha256};
use syn::Ident;

use crate::ir::{Function, Kind};

/// Version of the encoding; bump it whenever this module changes what is
/// hashed or how.
pub const MACRO_FORMAT_VERSION: u32 = 3;

/// The token key of an annotated function: SHA-256 over its kind, the
/// canonical attribute ([`crate::args::Args::canonical`]) and the function
/// with a placeholder name (docs are skipped by the encoding), so that
/// renaming or documenting it keeps its key.
pub fn function_key(f: &Function) -> [u8; 32] {
    let (kind, placeholder) = match f.kind {
        Kind::Callback => ("callback", "__phasic_model"),
        Kind::Pure => ("pure", "__phasic_helper"),
    };
    let mut item = f.item.clone();
    item.sig.ident = Ident::new(placeholder, Span::call_site());
    let mut h = TokenHasher::new(kind);
    h.section("attribute", &f.args.canonical());
    h.section("function", &item.to_token_stream());
    h.finish()
}

/// Collects token streams into one key.
pub struct TokenHasher {
    sha: Sha256,
}

impl TokenHasher {
    /// A hasher for keys of `kind` (`"callback"`, `"pure"`).
    pub fn new(kind: &str) -> Self {
        let mut h = TokenHasher { sha: Sha256::new() };
        h.text(b'S', "phasic.token-key");
        h.sha.update(MACRO_FORMAT_VERSION.to_le_bytes());
        h.text(b'K', kind);
        h
    }

    fn text(&mut self, tag: u8, s: &str) {
        self.sha.update([tag]);
        self.sha.update((s.len() as u64).to_le_bytes());
        self.sha.update(s.as_bytes());
    }

    /// A labelled section (so that sections cannot run into each other).
    pub fn section(&mut self, label: &str, tokens: &TokenStream) {
        self.text(b'N', label);
        self.stream(tokens, Delimiter::None);
    }

    fn stream(&mut self, tokens: &TokenStream, delimiter: Delimiter) {
        let mut tts: Vec<TokenTree> = tokens.clone().into_iter().collect();
        drop_trailing_comma(&mut tts, delimiter);
        let mut i = 0;
        while i < tts.len() {
            if let Some(skip) = doc_attribute(&tts[i..]) {
                i += skip;
                continue;
            }
            match &tts[i] {
                TokenTree::Group(g) => {
                    let d = match g.delimiter() {
                        Delimiter::Parenthesis => b'(',
                        Delimiter::Brace => b'{',
                        Delimiter::Bracket => b'[',
                        Delimiter::None => b'0',
                    };
                    self.sha.update([b'G', d]);
                    self.stream(&g.stream(), g.delimiter());
                    self.sha.update([b'E']);
                }
                TokenTree::Ident(id) => self.text(b'I', &id.to_string()),
                TokenTree::Punct(p) => {
                    let mut buf = [0u8; 4];
                    let joint = p.spacing() == Spacing::Joint && joins(p.as_char(), tts.get(i + 1));
                    self.text(b'P', p.as_char().encode_utf8(&mut buf));
                    self.sha.update([if joint { b'j' } else { b'a' }]);
                }
                TokenTree::Literal(l) => self.text(b'L', &l.to_string()),
            }
            i += 1;
        }
        self.sha.update([b'.']);
    }

    /// The 32-byte key.
    pub fn finish(self) -> [u8; 32] {
        self.sha.finalize().into()
    }
}

/// Two-character operator prefixes: a joint punct followed by a punct
/// makes an operator only for these pairs (three-character operators
/// `..=`, `...`, `<<=`, `>>=` are chains of them).
const PAIRS: &[&str] = &[
    "::", "->", "=>", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "^=", "&=",
    "|=", "<<", ">>", "..", ".=", "<-",
];

/// Whether a joint `c` really joins what follows it.
fn joins(c: char, next: Option<&TokenTree>) -> bool {
    match next {
        Some(TokenTree::Punct(n)) => PAIRS.iter().any(|p| {
            let mut cs = p.chars();
            cs.next() == Some(c) && cs.next() == Some(n.as_char())
        }),
        Some(TokenTree::Ident(_)) => c == '\'',
        _ => false,
    }
}

fn is_comma(t: &TokenTree) -> bool {
    matches!(t, TokenTree::Punct(p) if p.as_char() == ',')
}

/// Drops a trailing top-level comma that rustfmt may add or remove
/// without changing the meaning: always in `[…]` and `{…}`, and in `(…)`
/// when another top-level comma is there (`(a,)` stays a one-element
/// tuple).
fn drop_trailing_comma(tts: &mut Vec<TokenTree>, delimiter: Delimiter) {
    let Some(last) = tts.last() else { return };
    let droppable = match delimiter {
        Delimiter::Bracket | Delimiter::Brace => true,
        Delimiter::Parenthesis => tts[..tts.len() - 1].iter().any(is_comma),
        Delimiter::None => false,
    };
    if droppable && is_comma(last) {
        tts.pop();
    }
}

/// If `tts` starts with a doc attribute (`# [doc …]` or `# ! [doc …]`),
/// how many tokens it spans.
fn doc_attribute(tts: &[TokenTree]) -> Option<usize> {
    let TokenTree::Punct(hash) = tts.first()? else {
        return None;
    };
    if hash.as_char() != '#' {
        return None;
    }
    let bang = matches!(tts.get(1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
    let at = if bang { 2 } else { 1 };
    let TokenTree::Group(g) = tts.get(at)? else {
        return None;
    };
    if g.delimiter() != Delimiter::Bracket {
        return None;
    }
    match g.stream().into_iter().next() {
        Some(TokenTree::Ident(i)) if i == "doc" => Some(at + 1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn key(t: TokenStream) -> [u8; 32] {
        let mut h = TokenHasher::new("test");
        h.section("body", &t);
        h.finish()
    }

    #[test]
    fn spacing_and_delimiters_matter_but_whitespace_does_not() {
        assert_eq!(key(quote!(a + b)), key("a   +\n b".parse().unwrap()));
        assert_ne!(key(quote!(a + b)), key(quote!(a - b)));
        assert_ne!(key(quote!((a))), key(quote!([a])));
        assert_ne!(key(quote!(a += b)), key(quote!(a + = b)));
        // a comma is never joint, whatever the lexer says
        assert_eq!(
            key("v![a,-1]".parse().unwrap()),
            key("v![a, -1]".parse().unwrap())
        );
        // trailing commas that rustfmt adds change nothing; `(a,)` is a tuple
        assert_eq!(key(quote!(f(a, b,))), key(quote!(f(a, b))));
        assert_eq!(key(quote!([a,])), key(quote!([a])));
        assert_eq!(key(quote!(S { a })), key(quote!(S { a })));
        assert_ne!(key(quote!((a,))), key(quote!((a))));
        // doc attributes are skipped wherever they are
        assert_eq!(
            key(quote!(#[doc = "x"] let a = 1;)),
            key(quote!(let a = 1;))
        );
        assert_ne!(key(quote!(#[allow(x)] let a = 1;)), key(quote!(let a = 1;)));
        assert_ne!(key(quote!(1.0)), key(quote!(1.00)));
        assert_ne!(key(quote!(ab)), key(quote!(a b)));
    }

    #[test]
    fn sections_do_not_run_into_each_other() {
        let mut a = TokenHasher::new("t");
        a.section("x", &quote!(a b));
        a.section("y", &quote!(c));
        let mut b = TokenHasher::new("t");
        b.section("x", &quote!(a));
        b.section("y", &quote!(b c));
        assert_ne!(a.finish(), b.finish());
    }
}
