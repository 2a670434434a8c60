//! The structural SHA-256 of token trees: group delimiters, ident text,
//! punct char and spacing, literal text. `TokenStream::to_string()` is
//! never hashed (its spacing changes between compiler releases).

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use sha2::{Digest, Sha256};

/// Version of the encoding; bump it whenever this module changes.
pub const MACRO_FORMAT_VERSION: u32 = 1;

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
        self.stream(tokens);
    }

    fn stream(&mut self, tokens: &TokenStream) {
        for tt in tokens.clone() {
            match tt {
                TokenTree::Group(g) => {
                    let d = match g.delimiter() {
                        Delimiter::Parenthesis => b'(',
                        Delimiter::Brace => b'{',
                        Delimiter::Bracket => b'[',
                        Delimiter::None => b'0',
                    };
                    self.sha.update([b'G', d]);
                    self.stream(&g.stream());
                    self.sha.update([b'E']);
                }
                TokenTree::Ident(i) => self.text(b'I', &i.to_string()),
                TokenTree::Punct(p) => {
                    let mut buf = [0u8; 4];
                    let spacing = match p.spacing() {
                        Spacing::Alone => b'a',
                        Spacing::Joint => b'j',
                    };
                    self.text(b'P', p.as_char().encode_utf8(&mut buf));
                    self.sha.update([spacing]);
                }
                TokenTree::Literal(l) => self.text(b'L', &l.to_string()),
            }
        }
        self.sha.update([b'.']);
    }

    /// The 32-byte key.
    pub fn finish(self) -> [u8; 32] {
        self.sha.finalize().into()
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
