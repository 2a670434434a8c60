//! Models written as annotated functions (`#[phasic::callback]`) and the
//! cache keys composed from them.

use crate::error::Result;
use crate::graph::build_options::BuildOptions;
use crate::graph::csr::Graph;
use crate::graph::rule::{Initial, Transitions};
use crate::key::encoding::{GRAPH_FORMAT_VERSION, Key, KeyHasher, ModelKey};
use crate::key::plain::Plain;

/// A model rule with a compile-time key, implemented by
/// `#[phasic::callback]` on a function.
///
/// The key of a built graph is composed at run time from the token hash of
/// the function, the values of its declared consts, the keys of its
/// declared helpers (transitively), [`GRAPH_FORMAT_VERSION`] and the
/// run-time parameters ([`Callback::key`]).
pub trait Callback {
    /// The run-time parameters (one type, a tuple for several, `()` for
    /// none): plain data, keyed by value; the body sees their mirror.
    type Params: Plain;
    /// Name of the function (not part of any key).
    const NAME: &'static str;
    /// SHA-256 over the normalised tokens of the function and its attribute.
    const TOKEN_KEY: ModelKey;
    /// Number of parameters θ of parameterized edges (0 for constant rates).
    const THETA_DIM: usize;

    /// The initial distribution for these parameters (their mirror).
    fn initial(&self, params: &<Self::Params as Plain>::Mirror) -> Result<Initial>;
    /// The transitions out of `state` (the parameters' mirror).
    fn expand(
        &self,
        state: &[i32],
        out: &mut Transitions,
        params: &<Self::Params as Plain>::Mirror,
    );
    /// Writes the declared consts' values and helpers' keys.
    fn dependencies(&self, h: &mut KeyHasher, seen: &mut Visited);

    /// The full key of the graph built with `params`.
    fn key(&self, params: &Self::Params) -> ModelKey {
        let mut h = KeyHasher::new("phasic.graph-key.v1");
        GRAPH_FORMAT_VERSION.key(&mut h);
        Self::TOKEN_KEY.key(&mut h);
        Self::THETA_DIM.key(&mut h);
        let mut seen = Visited::default();
        self.dependencies(&mut h, &mut seen);
        params.key(&mut h);
        h.finish()
    }
}

/// The helpers already written into a key. Identity (not the token key)
/// decides, so two helpers with equal tokens but different const values
/// are both keyed.
#[derive(Debug, Default)]
pub struct Visited(Vec<&'static Pure>);

/// What `#[phasic::pure]` records about a helper function.
#[derive(Debug)]
pub struct Pure {
    /// The helper's name (not part of any key).
    pub name: &'static str,
    /// SHA-256 over its normalised tokens.
    pub key: ModelKey,
    /// Writes the values of its declared consts.
    pub consts: fn(&mut KeyHasher),
    /// Its declared helpers.
    pub helpers: &'static [fn() -> &'static Pure],
}

impl Pure {
    /// Writes this helper's key, consts and helpers (each helper once:
    /// cycles of helpers calling each other end at the second visit; a
    /// revisit writes the key only).
    pub fn hash_into(&'static self, h: &mut KeyHasher, seen: &mut Visited) {
        self.key.key(h);
        if seen.0.iter().any(|p| std::ptr::eq(*p, self)) {
            return;
        }
        seen.0.push(self);
        (self.consts)(h);
        h.len(self.helpers.len());
        for helper in self.helpers {
            helper().hash_into(h, seen);
        }
    }
}

/// Anything that describes an initial distribution: one state (`[5]`,
/// `vec![5, 0]`, `&[5][..]`) or weighted states (`[([5], 0.5), ([3], 0.5)]`).
pub trait IntoInitial {
    /// The initial distribution.
    fn into_initial(self) -> Result<Initial>;
}

impl IntoInitial for Initial {
    fn into_initial(self) -> Result<Initial> {
        Ok(self)
    }
}

impl<const N: usize> IntoInitial for [i32; N] {
    fn into_initial(self) -> Result<Initial> {
        Ok(Initial::state(&self))
    }
}

impl IntoInitial for Vec<i32> {
    fn into_initial(self) -> Result<Initial> {
        Ok(Initial::state(&self))
    }
}

impl IntoInitial for &[i32] {
    fn into_initial(self) -> Result<Initial> {
        Ok(Initial::state(self))
    }
}

impl<S: AsRef<[i32]>, const N: usize> IntoInitial for [(S, f64); N] {
    fn into_initial(self) -> Result<Initial> {
        Initial::weighted(self)
    }
}

impl<S: AsRef<[i32]>> IntoInitial for Vec<(S, f64)> {
    fn into_initial(self) -> Result<Initial> {
        Initial::weighted(self)
    }
}

impl Graph {
    /// Builds the graph of a `#[phasic::callback]` model for `params`.
    /// The body sees the parameters' mirror, made once.
    pub fn from_callback<C: Callback>(callback: C, params: C::Params) -> Result<Graph> {
        Self::from_callback_with(callback, params, &BuildOptions::default())
    }

    /// As [`Graph::from_callback`], within the limit of `options` and
    /// telling its observer of the progress ([`BuildOptions`]).
    pub fn from_callback_with<C: Callback>(
        callback: C,
        params: C::Params,
        options: &BuildOptions,
    ) -> Result<Graph> {
        let mirror = params.mirror();
        let initial = callback.initial(&mirror)?;
        Graph::from_rule_with_options(&initial, C::THETA_DIM, options, |s, out| {
            callback.expand(s, out, &mirror)
        })
    }
}
