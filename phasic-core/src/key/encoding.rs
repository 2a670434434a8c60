//! Canonical, typed encoding of values into SHA-256 keys.
//!
//! Cache keys must never go stale and never collide: every value is
//! written with a type tag, fixed-width little-endian numbers, lengths in
//! front of sequences and strings, and floats by their bits with NaN
//! normalised (every NaN keys alike; `-0.0` and `0.0` do not, since a
//! model can read the sign: `1.0 / x`, `signum`). `Debug`/`Display`
//! output is never hashed.

use sha2::{Digest, Sha256};

/// Version of what a builder produces from a rule. Bump it in the same
/// change that alters the graphs built from unchanged rules (numbering,
/// edge order, defect handling, …): every cached graph then misses.
pub const GRAPH_FORMAT_VERSION: u32 = 1;

/// A 32-byte SHA-256 key.
///
/// ```
/// use phasic_core::ModelKey;
/// let k = ModelKey([0xab; 32]);
/// assert_eq!(&k.hex()[..4], "abab");
/// assert_eq!(k.hex().len(), 64);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelKey(pub [u8; 32]);

impl ModelKey {
    /// Lower-case hexadecimal form (64 characters).
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Debug for ModelKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ModelKey({})", self.hex())
    }
}

impl std::fmt::Display for ModelKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hex())
    }
}

/// A SHA-256 hasher fed through the typed encoding of [`Key`].
///
/// ```
/// use phasic_core::{Key, KeyHasher};
/// let key = |v: &dyn Fn(&mut KeyHasher)| { let mut h = KeyHasher::new("test"); v(&mut h); h.finish() };
/// assert_ne!(key(&|h| 1_i64.key(h)), key(&|h| 1.0_f64.key(h)));
/// assert_ne!(
///     key(&|h| (vec![1, 2], vec![3]).key(h)),
///     key(&|h| (vec![1], vec![2, 3]).key(h)),
/// );
/// assert_ne!(key(&|h| 0.0_f64.key(h)), key(&|h| (-0.0_f64).key(h)));
/// assert_eq!(key(&|h| f64::NAN.key(h)), key(&|h| (-f64::NAN).key(h)));
/// ```
#[derive(Clone)]
pub struct KeyHasher {
    sha: Sha256,
}

impl KeyHasher {
    /// A hasher whose keys are separated from other uses by `schema`.
    pub fn new(schema: &str) -> Self {
        let mut h = KeyHasher { sha: Sha256::new() };
        h.str(schema);
        h
    }

    /// Writes raw bytes (callers add their own tags and lengths).
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.sha.update(bytes);
    }

    /// Writes a one-byte type tag.
    pub fn tag(&mut self, tag: u8) {
        self.sha.update([tag]);
    }

    /// Writes a length (as u64, little-endian).
    pub fn len(&mut self, len: usize) {
        self.sha.update((len as u64).to_le_bytes());
    }

    /// Writes a tagged, length-prefixed string.
    pub fn str(&mut self, s: &str) {
        self.tag(tag::STR);
        self.len(s.len());
        self.sha.update(s.as_bytes());
    }

    /// The key of everything written.
    pub fn finish(self) -> ModelKey {
        ModelKey(self.sha.finalize().into())
    }
}

/// Type tags of the encoding.
pub mod tag {
    #![allow(missing_docs)]
    pub const U8: u8 = 1;
    pub const U16: u8 = 2;
    pub const U32: u8 = 3;
    pub const U64: u8 = 4;
    pub const U128: u8 = 5;
    pub const USIZE: u8 = 6;
    pub const I8: u8 = 7;
    pub const I16: u8 = 8;
    pub const I32: u8 = 9;
    pub const I64: u8 = 10;
    pub const I128: u8 = 11;
    pub const ISIZE: u8 = 12;
    pub const F32: u8 = 13;
    pub const F64: u8 = 14;
    pub const BOOL: u8 = 15;
    pub const CHAR: u8 = 16;
    pub const STR: u8 = 17;
    pub const SEQ: u8 = 18;
    pub const TUPLE: u8 = 19;
    pub const NONE: u8 = 20;
    pub const SOME: u8 = 21;
    pub const UNIT: u8 = 22;
    pub const STRUCT: u8 = 23;
    pub const ENUM: u8 = 24;
    pub const KEY: u8 = 25;
}

/// Values that can be part of a cache key: a canonical, typed encoding.
///
/// Derive it for parameter structs with `#[derive(phasic::Key)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be part of a cache key: it does not implement `phasic::Key`",
    label = "not a `phasic::Key`",
    note = "derive it with `#[derive(phasic::Key)]`, or implement `phasic::Key` by hand"
)]
pub trait Key {
    /// Writes the encoding of `self`.
    fn key(&self, h: &mut KeyHasher);
}

macro_rules! int_key {
    ($($t:ty => $tag:ident),*) => {$(
        impl Key for $t {
            fn key(&self, h: &mut KeyHasher) {
                h.tag(tag::$tag);
                h.bytes(&self.to_le_bytes());
            }
        }
    )*};
}
int_key!(u8 => U8, u16 => U16, u32 => U32, u64 => U64, u128 => U128, i8 => I8, i16 => I16,
    i32 => I32, i64 => I64, i128 => I128);

impl Key for usize {
    fn key(&self, h: &mut KeyHasher) {
        h.tag(tag::USIZE);
        h.bytes(&(*self as u64).to_le_bytes());
    }
}

impl Key for isize {
    fn key(&self, h: &mut KeyHasher) {
        h.tag(tag::ISIZE);
        h.bytes(&(*self as i64).to_le_bytes());
    }
}

impl Key for f64 {
    fn key(&self, h: &mut KeyHasher) {
        h.tag(tag::F64);
        let bits = if self.is_nan() {
            f64::NAN.to_bits()
        } else {
            self.to_bits()
        };
        h.bytes(&bits.to_le_bytes());
    }
}

impl Key for f32 {
    fn key(&self, h: &mut KeyHasher) {
        h.tag(tag::F32);
        let bits = if self.is_nan() {
            f32::NAN.to_bits()
        } else {
            self.to_bits()
        };
        h.bytes(&bits.to_le_bytes());
    }
}

impl Key for bool {
    fn key(&self, h: &mut KeyHasher) {
        h.tag(tag::BOOL);
        h.tag(u8::from(*self));
    }
}

impl Key for char {
    fn key(&self, h: &mut KeyHasher) {
        h.tag(tag::CHAR);
        h.bytes(&u32::from(*self).to_le_bytes());
    }
}

impl Key for str {
    fn key(&self, h: &mut KeyHasher) {
        h.str(self);
    }
}

impl Key for String {
    fn key(&self, h: &mut KeyHasher) {
        h.str(self);
    }
}

impl Key for () {
    fn key(&self, h: &mut KeyHasher) {
        h.tag(tag::UNIT);
    }
}

impl Key for ModelKey {
    fn key(&self, h: &mut KeyHasher) {
        h.tag(tag::KEY);
        h.bytes(&self.0);
    }
}

impl<T: Key + ?Sized> Key for &T {
    fn key(&self, h: &mut KeyHasher) {
        (**self).key(h);
    }
}

impl<T: Key> Key for [T] {
    fn key(&self, h: &mut KeyHasher) {
        h.tag(tag::SEQ);
        h.len(self.len());
        for x in self {
            x.key(h);
        }
    }
}

impl<T: Key, const N: usize> Key for [T; N] {
    fn key(&self, h: &mut KeyHasher) {
        self.as_slice().key(h);
    }
}

impl<T: Key> Key for Vec<T> {
    fn key(&self, h: &mut KeyHasher) {
        self.as_slice().key(h);
    }
}

impl<T: Key> Key for Option<T> {
    fn key(&self, h: &mut KeyHasher) {
        match self {
            None => h.tag(tag::NONE),
            Some(x) => {
                h.tag(tag::SOME);
                x.key(h);
            }
        }
    }
}

macro_rules! tuple_key {
    ($($n:literal: ($($t:ident . $i:tt),+)),*) => {$(
        impl<$($t: Key),+> Key for ($($t,)+) {
            fn key(&self, h: &mut KeyHasher) {
                h.tag(tag::TUPLE);
                h.len($n);
                $(self.$i.key(h);)+
            }
        }
    )*};
}
tuple_key!(
    1: (A.0),
    2: (A.0, B.1),
    3: (A.0, B.1, C.2),
    4: (A.0, B.1, C.2, D.3),
    5: (A.0, B.1, C.2, D.3, E.4),
    6: (A.0, B.1, C.2, D.3, E.4, F.5),
    7: (A.0, B.1, C.2, D.3, E.4, F.5, G.6),
    8: (A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7)
);
