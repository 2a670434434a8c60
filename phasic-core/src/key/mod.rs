//! Cache keys: the typed canonical encoding ([`Key`]), SHA-256 ([`KeyHasher`], [`ModelKey`]), and the [`Callback`] trait that `#[phasic::callback]` implements.

pub(crate) mod callback;
pub(crate) mod encoding;
pub(crate) mod plain;

pub use callback::{Callback, IntoInitial, Pure, Visited};
pub use encoding::{GRAPH_FORMAT_VERSION, Key, KeyHasher, ModelKey, tag};
pub use plain::Plain;
