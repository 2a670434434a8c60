//! What a model body may receive: plain data. A parameter reaches a
//! `#[phasic::callback]` body (and a `#[phasic::pure]` helper) as its
//! [`Plain::Mirror`]: itself for the standard types, and for a type with
//! `#[derive(phasic::Key)]` a generated plain-data copy with the same
//! fields and variants (discriminants included) and no impls but derived
//! ones. So no code of the parameter types — methods, operators,
//! conversions, `Default`, a hand-written `Clone`, associated consts —
//! can reach a model body without being in its key: the body sees
//! fields, and fields are keyed by value.

use crate::key::encoding::{Key, ModelKey};

/// Plain data, keyed by value, with the mirror a model body sees.
///
/// Implemented for numbers, `bool`, `char`, `String`, `()`, [`ModelKey`],
/// and `Vec`, `Option`, arrays and tuples of plain data, and by
/// `#[derive(phasic::Key)]`. Outside a model, [`mirror`](Plain::mirror)
/// turns a value into what a body or a pure helper takes.
///
/// ```
/// use phasic_core::key::Plain;
/// assert_eq!((1_i32, vec![2.0_f64]).mirror(), (1, vec![2.0]));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not plain data that a model body may receive",
    label = "not plain data",
    note = "derive it with `#[derive(phasic::Key)]` (the body then sees a plain-data mirror: its fields, no methods or impls), or pass numbers, strings, `Vec`, `Option`, arrays and tuples of them"
)]
pub trait Plain: Key {
    /// What a model body sees: fields only, no user code.
    type Mirror: Clone + std::fmt::Debug + PartialEq + PartialOrd;
    /// The mirror of `self`.
    fn mirror(&self) -> Self::Mirror;
}

macro_rules! plain_as_itself {
    ($($t:ty),*) => {$(
        impl Plain for $t {
            type Mirror = $t;
            fn mirror(&self) -> $t {
                self.clone()
            }
        }
    )*};
}
plain_as_itself!(
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    bool,
    char,
    String,
    (),
    ModelKey
);

impl<T: Plain> Plain for Vec<T> {
    type Mirror = Vec<T::Mirror>;
    fn mirror(&self) -> Self::Mirror {
        self.iter().map(Plain::mirror).collect()
    }
}

impl<T: Plain> Plain for Option<T> {
    type Mirror = Option<T::Mirror>;
    fn mirror(&self) -> Self::Mirror {
        self.as_ref().map(Plain::mirror)
    }
}

impl<T: Plain, const N: usize> Plain for [T; N] {
    type Mirror = [T::Mirror; N];
    fn mirror(&self) -> Self::Mirror {
        std::array::from_fn(|i| self[i].mirror())
    }
}

macro_rules! plain_tuple {
    ($(($($t:ident . $i:tt),+)),*) => {$(
        impl<$($t: Plain),+> Plain for ($($t,)+) {
            type Mirror = ($($t::Mirror,)+);
            fn mirror(&self) -> Self::Mirror {
                ($(self.$i.mirror(),)+)
            }
        }
    )*};
}
plain_tuple!(
    (A.0),
    (A.0, B.1),
    (A.0, B.1, C.2),
    (A.0, B.1, C.2, D.3),
    (A.0, B.1, C.2, D.3, E.4),
    (A.0, B.1, C.2, D.3, E.4, F.5),
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6),
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7)
);
