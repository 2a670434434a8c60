//! Cache keys of `#[phasic::callback]` models (issue 4, "Tests: Keys"):
//! a declared const's value changes → miss; a reformatted callback → hit;
//! a different parameter → miss; `Refresh` rebuilds.
//!
//! A const's value cannot change within one binary, so the models below
//! come in modules whose token text is identical (hence identical
//! `TOKEN_KEY`s) but whose declared consts have different values.

use std::fs;
use std::path::Path;

use phasic::Callback;
use phasic::cache::{CacheMode, CacheOptions, CacheStatus, Cached, GraphStore, build_graph};
use phasic::models::{block_counting, kingman, kingman_theta};
use phasic::prelude::PhaseTypeDistribution;
use phasic::prelude::{Graph, GraphView, PhaseType};

/// A death chain `[k] → [k − 1]` at rate `RATE·k`, `RATE = 1`.
mod slow {
    pub const RATE: f64 = 1.0;

    /// Death chain.
    #[phasic::callback(initial = [n], consts(RATE))]
    pub fn chain(state: &[i32], out: &mut Transitions, n: i32) {
        let k = state[0];
        if k > 0 {
            out.add(&[k - 1], RATE * f64::from(k));
        }
    }
}

/// The same tokens, `RATE = 2`.
mod fast {
    pub const RATE: f64 = 2.0;

    /// Death chain.
    #[phasic::callback(initial = [n], consts(RATE))]
    pub fn chain(state: &[i32], out: &mut Transitions, n: i32) {
        let k = state[0];
        if k > 0 {
            out.add(&[k - 1], RATE * f64::from(k));
        }
    }
}

/// `slow::chain` reformatted: other whitespace, comments, docs and name
/// (rustfmt is told to leave the layout alone).
#[rustfmt::skip]
mod reformatted {
    pub const RATE: f64 = 1.0;

    // A comment that is not part of any key.
    /// Other documentation,
    /// over two lines.
    #[phasic::callback(
        initial = [ n ],
        consts( RATE )
    )]
    pub fn death_chain_renamed(
        state : &[ i32 ], // the state
        out   : &mut Transitions,
        n     : i32
    )
    {
        let k=state[0];
        /* block comment */
        if k>0 { out.add(&[k-1], RATE*f64::from(k)); }
    }
}

/// `slow::chain` as rustfmt lays it out when its name is long: the
/// signature broken over several lines, with a trailing comma after the
/// last parameter. Only the layout changed.
mod rustfmt_broken {
    pub const RATE: f64 = 1.0;

    #[phasic::callback(initial = [n], consts(RATE))]
    pub fn death_chain_with_a_name_long_enough_for_rustfmt_to_break_the_signature(
        state: &[i32],
        out: &mut Transitions,
        n: i32,
    ) {
        let k = state[0];
        if k > 0 {
            out.add(&[k - 1], RATE * f64::from(k));
        }
    }
}

/// `slow::chain` with a changed body (same behaviour, other tokens).
mod edited {
    pub const RATE: f64 = 1.0;

    /// Death chain.
    #[phasic::callback(initial = [n], consts(RATE))]
    pub fn chain(state: &[i32], out: &mut Transitions, n: i32) {
        let k = state[0];
        if k >= 1 {
            out.add(&[k - 1], RATE * f64::from(k));
        }
    }
}

/// A death chain whose rate comes from a pure helper declaring a const.
mod helper_one {
    pub const SCALE: f64 = 1.0;

    #[phasic::pure(consts(SCALE))]
    fn scaled(k: i32) -> f64 {
        SCALE * f64::from(k)
    }

    #[phasic::callback(initial = [n], helpers(scaled))]
    pub fn chain(state: &[i32], out: &mut Transitions, n: i32) {
        let k = state[0];
        if k > 0 {
            out.add(&[k - 1], scaled(k));
        }
    }
}

/// The same tokens; the helper's const is 3.
mod helper_three {
    pub const SCALE: f64 = 3.0;

    #[phasic::pure(consts(SCALE))]
    fn scaled(k: i32) -> f64 {
        SCALE * f64::from(k)
    }

    #[phasic::callback(initial = [n], helpers(scaled))]
    pub fn chain(state: &[i32], out: &mut Transitions, n: i32) {
        let k = state[0];
        if k > 0 {
            out.add(&[k - 1], scaled(k));
        }
    }
}

fn rw(root: &Path) -> CacheOptions {
    CacheOptions {
        mode: CacheMode::ReadWrite,
        root: Some(root.to_path_buf()),
    }
}

fn with_mode(root: &Path, mode: CacheMode) -> CacheOptions {
    CacheOptions {
        mode,
        root: Some(root.to_path_buf()),
    }
}

fn expectation<G: GraphView + ?Sized>(g: &G) -> f64 {
    PhaseType::new(g).unwrap().expectation(None).unwrap()
}

fn entries(root: &Path) -> u64 {
    GraphStore::new(root).stats().unwrap().entries
}

fn status(c: &Cached) -> CacheStatus {
    c.status
}

/// The bit patterns of the arrays, for comparing graphs exactly.
fn arrays<G: GraphView + ?Sized>(g: &G) -> (Vec<i32>, Vec<u64>, Vec<u32>, Vec<u64>) {
    (
        g.states().to_vec(),
        g.offsets().to_vec(),
        g.targets().to_vec(),
        g.weights().iter().map(|w| w.to_bits()).collect(),
    )
}

#[test]
fn keys_are_deterministic() {
    assert_eq!(slow::chain.key(&5), slow::chain.key(&5));
    assert_eq!(block_counting.key(&7), block_counting.key(&7));
    assert_eq!(slow::chain::TOKEN_KEY, <slow::chain as Callback>::TOKEN_KEY);
}

#[test]
fn a_changed_const_value_is_a_miss() {
    // identical token text: identical token keys
    assert_eq!(
        <slow::chain as Callback>::TOKEN_KEY,
        <fast::chain as Callback>::TOKEN_KEY
    );
    // different const values: different keys
    assert_ne!(slow::chain.key(&5), fast::chain.key(&5));

    let dir = tempfile::tempdir().unwrap();
    let o = rw(dir.path());
    let s = build_graph(slow::chain, 5, &o).unwrap();
    assert_eq!(status(&s), CacheStatus::Miss);
    assert_eq!(
        status(&build_graph(slow::chain, 5, &o).unwrap()),
        CacheStatus::Hit
    );
    let f = build_graph(fast::chain, 5, &o).unwrap();
    assert_eq!(
        status(&f),
        CacheStatus::Miss,
        "a changed const was served from the cache"
    );
    // and the graph is the new one: twice the rates, half the expectation
    let fresh = Graph::from_callback(fast::chain, 5).unwrap();
    assert_eq!(arrays(&f.graph), arrays(&fresh));
    assert_eq!(expectation(&f.graph), expectation(&s.graph) / 2.0);
    assert_eq!(entries(dir.path()), 2);
    let f = build_graph(fast::chain, 5, &o).unwrap();
    assert_eq!(status(&f), CacheStatus::Hit);
    assert_eq!(arrays(&f.graph), arrays(&fresh));
    let s = build_graph(slow::chain, 5, &o).unwrap();
    assert_eq!(status(&s), CacheStatus::Hit);
    assert_eq!(
        arrays(&s.graph),
        arrays(&Graph::from_callback(slow::chain, 5).unwrap())
    );
}

#[test]
fn a_changed_const_of_a_helper_is_a_miss() {
    assert_eq!(
        <helper_one::chain as Callback>::TOKEN_KEY,
        <helper_three::chain as Callback>::TOKEN_KEY
    );
    assert_ne!(helper_one::chain.key(&4), helper_three::chain.key(&4));
    let dir = tempfile::tempdir().unwrap();
    let o = rw(dir.path());
    let one = build_graph(helper_one::chain, 4, &o).unwrap();
    assert_eq!(status(&one), CacheStatus::Miss);
    let three = build_graph(helper_three::chain, 4, &o).unwrap();
    assert_eq!(
        status(&three),
        CacheStatus::Miss,
        "a helper's changed const was served from the cache"
    );
    let (e3, e1) = (expectation(&three.graph), expectation(&one.graph));
    assert!((e3 - e1 / 3.0).abs() < 1e-14 * e1, "{e3} vs {e1} / 3");
    assert_eq!(
        status(&build_graph(helper_one::chain, 4, &o).unwrap()),
        CacheStatus::Hit
    );
    assert_eq!(
        status(&build_graph(helper_three::chain, 4, &o).unwrap()),
        CacheStatus::Hit
    );
}

#[test]
fn a_reformatted_callback_is_a_hit() {
    assert_ne!(
        <slow::chain as Callback>::NAME,
        <reformatted::death_chain_renamed as Callback>::NAME
    );
    assert_eq!(
        <slow::chain as Callback>::TOKEN_KEY,
        <reformatted::death_chain_renamed as Callback>::TOKEN_KEY,
        "whitespace, comments, docs or the name changed the token key"
    );
    assert_eq!(
        slow::chain.key(&6),
        reformatted::death_chain_renamed.key(&6)
    );

    let dir = tempfile::tempdir().unwrap();
    let o = rw(dir.path());
    let a = build_graph(slow::chain, 6, &o).unwrap();
    assert_eq!(status(&a), CacheStatus::Miss);
    let b = build_graph(reformatted::death_chain_renamed, 6, &o).unwrap();
    assert_eq!(
        status(&b),
        CacheStatus::Hit,
        "a reformatted callback missed"
    );
    assert_eq!(arrays(&a.graph), arrays(&b.graph));
    assert_eq!(
        expectation(&a.graph).to_bits(),
        expectation(&b.graph).to_bits()
    );
    assert_eq!(entries(dir.path()), 1);
}

/// rustfmt adds a trailing comma when it breaks a signature (or a call,
/// an array, a struct literal) over several lines; that comma is a token
/// but not a change of the function, so the key must not see it.
#[test]
fn a_callback_reformatted_by_rustfmt_is_a_hit() {
    use rustfmt_broken::death_chain_with_a_name_long_enough_for_rustfmt_to_break_the_signature as long;
    assert_eq!(
        <slow::chain as Callback>::TOKEN_KEY,
        <long as Callback>::TOKEN_KEY,
        "the trailing comma rustfmt adds to a broken signature changed the token key"
    );
    let dir = tempfile::tempdir().unwrap();
    let o = rw(dir.path());
    assert_eq!(
        status(&build_graph(slow::chain, 6, &o).unwrap()),
        CacheStatus::Miss
    );
    assert_eq!(status(&build_graph(long, 6, &o).unwrap()), CacheStatus::Hit);
}

#[test]
fn a_changed_body_is_a_miss() {
    assert_ne!(
        <slow::chain as Callback>::TOKEN_KEY,
        <edited::chain as Callback>::TOKEN_KEY
    );
    let dir = tempfile::tempdir().unwrap();
    let o = rw(dir.path());
    assert_eq!(
        status(&build_graph(slow::chain, 5, &o).unwrap()),
        CacheStatus::Miss
    );
    assert_eq!(
        status(&build_graph(edited::chain, 5, &o).unwrap()),
        CacheStatus::Miss
    );
    assert_eq!(entries(dir.path()), 2);
}

#[test]
fn a_different_parameter_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let o = rw(dir.path());
    assert_ne!(slow::chain.key(&5), slow::chain.key(&6));
    assert_ne!(block_counting.key(&5), block_counting.key(&6));
    assert_eq!(
        status(&build_graph(slow::chain, 5, &o).unwrap()),
        CacheStatus::Miss
    );
    let six = build_graph(slow::chain, 6, &o).unwrap();
    assert_eq!(
        status(&six),
        CacheStatus::Miss,
        "another parameter was served from the cache"
    );
    assert_eq!(
        arrays(&six.graph),
        arrays(&Graph::from_callback(slow::chain, 6).unwrap())
    );
    assert_eq!(
        status(&build_graph(slow::chain, 5, &o).unwrap()),
        CacheStatus::Hit
    );
    assert_eq!(
        status(&build_graph(slow::chain, 6, &o).unwrap()),
        CacheStatus::Hit
    );
    for n in [4, 5, 6] {
        assert_eq!(
            status(&build_graph(block_counting, n, &o).unwrap()),
            CacheStatus::Miss
        );
    }
    for n in [4, 5, 6] {
        let c = build_graph(block_counting, n, &o).unwrap();
        assert_eq!(status(&c), CacheStatus::Hit);
        assert_eq!(
            arrays(&c.graph),
            arrays(&Graph::from_callback(block_counting, n).unwrap())
        );
    }
    assert_eq!(entries(dir.path()), 5);
}

#[test]
fn other_models_and_theta_dimensions_have_other_keys() {
    let keys = [
        kingman.key(&5),
        kingman_theta.key(&5),
        block_counting.key(&5),
        slow::chain.key(&5),
    ];
    for i in 0..keys.len() {
        for j in 0..i {
            assert_ne!(keys[i], keys[j], "keys {i} and {j} collide");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let o = rw(dir.path());
    assert_eq!(
        status(&build_graph(kingman, 5, &o).unwrap()),
        CacheStatus::Miss
    );
    assert_eq!(
        status(&build_graph(kingman_theta, 5, &o).unwrap()),
        CacheStatus::Miss
    );
    assert_eq!(
        status(&build_graph(kingman, 5, &o).unwrap()),
        CacheStatus::Hit
    );
    assert_eq!(
        status(&build_graph(kingman_theta, 5, &o).unwrap()),
        CacheStatus::Hit
    );
}

#[cfg(unix)]
#[test]
fn refresh_rebuilds_and_replaces_the_entry() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let o = rw(root);
    let path = GraphStore::new(root).path_of(&slow::chain.key(&5));
    assert_eq!(
        status(&build_graph(slow::chain, 5, &o).unwrap()),
        CacheStatus::Miss
    );
    let bytes = fs::read(&path).unwrap();
    // the temporary file is created while the old entry exists, so a
    // replaced entry always has another inode than the one before it
    let mut ino = fs::metadata(&path).unwrap().ino();
    for round in 0..3 {
        let c = build_graph(slow::chain, 5, &with_mode(root, CacheMode::Refresh)).unwrap();
        assert_eq!(
            status(&c),
            CacheStatus::Miss,
            "refresh round {round} did not rebuild"
        );
        assert!(matches!(c.graph, phasic::cache::CachedGraph::Built(_)));
        let now = fs::metadata(&path).unwrap().ino();
        assert_ne!(now, ino, "refresh round {round} did not replace the file");
        ino = now;
        assert_eq!(
            fs::read(&path).unwrap(),
            bytes,
            "a rebuild changed the entry's bytes"
        );
    }
    assert_eq!(
        status(&build_graph(slow::chain, 5, &o).unwrap()),
        CacheStatus::Hit
    );
    let s = GraphStore::new(root).stats().unwrap();
    assert_eq!(
        (
            s.entries,
            s.counters.unwrap().misses,
            s.counters.unwrap().hits
        ),
        (1, 4, 1)
    );
    // no temporary files remain in the shard
    let names: Vec<_> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [path.file_name().unwrap()]);
}

/// Two versions of one parameter enum, as an edit between builds would
/// leave them: the same name, other discriminants or variant order.
mod modes {
    pub mod v1 {
        #[derive(phasic::Key, Clone, Copy, Debug)]
        pub enum Mode {
            Slow = 1,
            Fast = 3,
        }
    }
    /// `Fast`'s discriminant edited.
    pub mod discriminant {
        #[derive(phasic::Key, Clone, Copy, Debug)]
        pub enum Mode {
            Slow = 1,
            Fast = 4,
        }
    }
    /// Variants reordered (the discriminants stay explicit and equal).
    pub mod order {
        #[derive(phasic::Key, Clone, Copy, Debug)]
        pub enum Mode {
            Fast = 3,
            Slow = 1,
        }
    }
    /// Implicit discriminants: reordering changes them.
    pub mod implicit {
        #[derive(phasic::Key, Clone, Copy, Debug)]
        pub enum Mode {
            Slow,
            Fast,
        }
    }
    pub mod implicit_swapped {
        #[derive(phasic::Key, Clone, Copy, Debug)]
        pub enum Mode {
            Fast,
            Slow,
        }
    }
    /// A discriminant computed from a const defined outside the type:
    /// the same tokens, another value.
    pub mod computed_one {
        const BASE: isize = 1;
        #[derive(phasic::Key, Clone, Copy, Debug)]
        pub enum Mode {
            Slow = 1,
            Fast = BASE + 2,
        }
    }
    pub mod computed_two {
        const BASE: isize = 2;
        #[derive(phasic::Key, Clone, Copy, Debug)]
        pub enum Mode {
            Slow = 1,
            Fast = BASE + 2,
        }
    }
    /// A field type edited in a variant the value does not use.
    pub mod other_field {
        #[derive(phasic::Key, Clone, Debug)]
        pub enum Scale {
            Unit,
            Times(f32),
        }
    }
    /// An enum with fields, variants reordered (`PartialOrd` on what the
    /// body sees follows the order).
    pub mod fields {
        #[derive(phasic::Key, Clone, Debug)]
        pub enum Scale {
            Unit,
            Times(f64),
        }
    }
    pub mod fields_swapped {
        #[derive(phasic::Key, Clone, Debug)]
        pub enum Scale {
            Times(f64),
            Unit,
        }
    }
}

fn value_key<T: phasic::Key>(v: &T) -> phasic::ModelKey {
    let mut h = phasic::KeyHasher::new("test");
    v.key(&mut h);
    h.finish()
}

/// What `x as i32` reads of a parameter enum (its discriminants) and what
/// its derived order follows (the variants' positions) are in its key, not
/// only its variant names (issue 14, kind 1).
#[test]
fn discriminants_and_variant_order_are_keyed() {
    use modes::*;
    let fast = value_key(&v1::Mode::Fast);
    assert_eq!(fast, value_key(&v1::Mode::Fast));
    assert_ne!(fast, value_key(&discriminant::Mode::Fast));
    assert_ne!(fast, value_key(&order::Mode::Fast));
    assert_ne!(
        value_key(&implicit::Mode::Fast),
        value_key(&implicit_swapped::Mode::Fast)
    );
    assert_ne!(
        value_key(&fields::Scale::Times(2.0)),
        value_key(&fields_swapped::Scale::Times(2.0))
    );
    assert_ne!(
        value_key(&fields::Scale::Unit),
        value_key(&fields_swapped::Scale::Unit)
    );
    // the key of a value covers the whole type: a body may read
    // `Mode::Fast as i32` or compare with another variant while it holds
    // `Slow`
    let slow = value_key(&v1::Mode::Slow);
    assert_ne!(slow, fast);
    assert_ne!(slow, value_key(&discriminant::Mode::Slow));
    assert_ne!(slow, value_key(&order::Mode::Slow));
    assert_ne!(
        value_key(&implicit::Mode::Slow),
        value_key(&implicit_swapped::Mode::Slow)
    );
    assert_ne!(
        value_key(&computed_one::Mode::Slow),
        value_key(&computed_two::Mode::Slow)
    );
    assert_eq!(computed_one::Mode::Fast as i32, 3);
    assert_eq!(computed_two::Mode::Fast as i32, 4);
    assert_ne!(
        value_key(&fields::Scale::Unit),
        value_key(&other_field::Scale::Unit)
    );
    assert!(matches!(
        other_field::Scale::Times(1.0),
        other_field::Scale::Times(_)
    ));
    // and the discriminant a body reads is the type's own
    assert_eq!(discriminant::Mode::Fast as i32, 4);
    assert_eq!(implicit_swapped::Mode::Slow as i32, 1);
}

/// −0.0 and 0.0 parameters build different graphs (`1/x`) and have
/// different keys; every NaN keys alike (issue 14, kind 5).
#[test]
fn the_sign_of_a_zero_parameter_is_keyed() {
    assert_ne!(value_key(&0.0_f64), value_key(&-0.0_f64));
    assert_eq!(value_key(&f64::NAN), value_key(&-f64::NAN));
}
