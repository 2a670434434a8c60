//! The canonical `Key` encoding, `ModelKey`, and how `Callback::key` is
//! composed from the token key, declared consts, pure helpers and the
//! run-time parameters.

use phasic_core::{
    Callback, Initial, Key, KeyHasher, ModelKey, Result, Transitions, key::Pure, key::Visited,
};
use proptest::prelude::*;

fn key<T: Key + ?Sized>(value: &T) -> ModelKey {
    let mut h = KeyHasher::new("phasic.test");
    value.key(&mut h);
    h.finish()
}

/// Asserts that all keys are pairwise distinct, naming a colliding pair.
fn assert_all_distinct(cases: &[(&str, ModelKey)]) {
    for (i, (a, ka)) in cases.iter().enumerate() {
        for (b, kb) in &cases[i + 1..] {
            assert_ne!(ka, kb, "`{a}` and `{b}` have the same key");
        }
    }
}

// ---------------------------------------------------------------------------
// typed

#[test]
fn numbers_of_different_types_never_collide() {
    assert_all_distinct(&[
        ("1_i64", key(&1_i64)),
        ("1.0_f64", key(&1.0_f64)),
        ("1_i32", key(&1_i32)),
        ("1_u64", key(&1_u64)),
        ("true", key(&true)),
        ("1_u8", key(&1_u8)),
        ("1_u16", key(&1_u16)),
        ("1_u32", key(&1_u32)),
        ("1_u128", key(&1_u128)),
        ("1_usize", key(&1_usize)),
        ("1_i8", key(&1_i8)),
        ("1_i16", key(&1_i16)),
        ("1_i128", key(&1_i128)),
        ("1_isize", key(&1_isize)),
        ("1.0_f32", key(&1.0_f32)),
        ("'1'", key(&'1')),
        ("\"1\"", key("1")),
        ("Some(1_i64)", key(&Some(1_i64))),
        ("(1_i64,)", key(&(1_i64,))),
        ("[1_i64]", key(&[1_i64])),
    ]);
    assert_all_distinct(&[
        ("0_i64", key(&0_i64)),
        ("0.0_f64", key(&0.0_f64)),
        ("0_u64", key(&0_u64)),
        ("false", key(&false)),
        ("0_u8", key(&0_u8)),
        ("()", key(&())),
        ("None::<u8>", key(&None::<u8>)),
        ("\"\"", key("")),
        ("Vec::<u8>::new()", key(&Vec::<u8>::new())),
        ("ModelKey([0; 32])", key(&ModelKey([0; 32]))),
        ("[0_u8; 32]", key(&[0_u8; 32])),
    ]);
}

#[test]
fn the_same_value_keys_the_same_whichever_way_it_is_held() {
    // a `&T` parameter is stored as `T`; `str` and `String` are one type of value
    assert_eq!(key(&5_i32), key(&&5_i32));
    assert_eq!(key("ab"), key(&String::from("ab")));
    assert_eq!(key(&vec![1_i32, 2]), key(&[1_i32, 2]));
    assert_eq!(key(&vec![1_i32, 2]), key(&[1_i32, 2][..]));
}

#[test]
fn the_schema_separates_keys() {
    let mut a = KeyHasher::new("a");
    let mut b = KeyHasher::new("b");
    1_i64.key(&mut a);
    1_i64.key(&mut b);
    assert_ne!(a.finish(), b.finish());
}

// ---------------------------------------------------------------------------
// length-prefixed

#[test]
fn sequences_and_strings_are_length_prefixed() {
    assert_ne!(
        key(&(vec![1_i64, 2], vec![3_i64])),
        key(&(vec![1_i64], vec![2_i64, 3]))
    );
    assert_ne!(key(&([1_i64, 2], [3_i64])), key(&([1_i64], [2_i64, 3])));
    assert_ne!(key(&("ab", "c")), key(&("a", "bc")));
    assert_ne!(key(&("", "abc")), key(&("abc", "")));
    assert_ne!(
        key(&vec![vec![1_u8], vec![2, 3]]),
        key(&vec![vec![1_u8, 2], vec![3]])
    );
    assert_ne!(
        key(&vec![vec![1_u8, 2, 3]]),
        key(&vec![vec![1_u8], vec![2], vec![3]])
    );
    assert_ne!(key(&vec![String::from("ab")]), key(&vec!["a", "b"]));
    assert_ne!(key(&Vec::<()>::new()), key(&()));
    assert_ne!(key(&vec![()]), key(&Vec::<()>::new()));
    assert_ne!(key(&vec![()]), key(&()));
    assert_ne!(key(&(1_u8, 2_u8)), key(&[1_u8, 2]));
    assert_ne!(key(&(1_u8, (2_u8, 3_u8))), key(&((1_u8, 2_u8), 3_u8)));
    assert_ne!(key(&(1_u8, 2_u8, 3_u8)), key(&((1_u8, 2_u8), 3_u8)));
}

#[test]
fn options_nest_without_collisions() {
    assert_all_distinct(&[
        ("None", key(&None::<Option<u8>>)),
        ("Some(None)", key(&Some(None::<u8>))),
        ("Some(Some(0))", key(&Some(Some(0_u8)))),
        ("Some(Some(1))", key(&Some(Some(1_u8)))),
    ]);
    assert_ne!(key(&Some(0_u8)), key(&0_u8));
    assert_ne!(
        key(&(None::<u8>, Some(1_u8))),
        key(&(Some(1_u8), None::<u8>))
    );
}

// ---------------------------------------------------------------------------
// floats

#[test]
fn nan_payloads_are_normalised_and_signed_zeros_are_not() {
    // a model can read the sign of a zero (`1.0 / x`, `signum`): two keys
    assert_ne!(key(&0.0_f64), key(&-0.0_f64));
    assert_ne!(key(&0.0_f32), key(&-0.0_f32));
    let nans = [
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001), // signalling
        f64::from_bits(0x7ff8_0000_0000_0001),
        f64::from_bits(0xfff8_0000_0000_0000),
        f64::from_bits(0x7fff_ffff_ffff_ffff),
        f64::from_bits(0xffff_ffff_ffff_ffff),
        f64::INFINITY - f64::INFINITY,
    ];
    for nan in nans {
        assert!(nan.is_nan());
        assert_eq!(key(&nan), key(&f64::NAN), "{:#x}", nan.to_bits());
    }
    for nan in [
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7f80_0001),
        f32::from_bits(0xffff_ffff),
    ] {
        assert_eq!(key(&nan), key(&f32::NAN), "{:#x}", nan.to_bits());
    }
    // inside containers too
    assert_eq!(key(&vec![0.0, f64::NAN]), key(&vec![0.0, -f64::NAN]));
    assert_ne!(key(&vec![0.0, f64::NAN]), key(&vec![-0.0, f64::NAN]));
}

#[test]
fn every_other_bit_of_a_float_counts() {
    let next = |x: f64| f64::from_bits(x.to_bits() + 1);
    assert_all_distinct(&[
        ("1.0", key(&1.0_f64)),
        ("1.0 + ulp", key(&next(1.0))),
        ("1.0 - ulp", key(&f64::from_bits(1.0_f64.to_bits() - 1))),
        ("-1.0", key(&-1.0_f64)),
        ("0.0", key(&0.0_f64)),
        ("smallest subnormal", key(&f64::from_bits(1))),
        ("-smallest subnormal", key(&-f64::from_bits(1))),
        ("MIN_POSITIVE", key(&f64::MIN_POSITIVE)),
        ("inf", key(&f64::INFINITY)),
        ("-inf", key(&f64::NEG_INFINITY)),
        ("NaN", key(&f64::NAN)),
        ("MAX", key(&f64::MAX)),
        ("0.1 + 0.2", key(&(0.1_f64 + 0.2))),
        ("0.3", key(&0.3_f64)),
    ]);
    assert_ne!(key(&1.0_f32), key(&f32::from_bits(1.0_f32.to_bits() + 1)));
}

/// What the encoding promises to compare: the bits, with every NaN → one
/// NaN (and the sign of zero kept).
fn normalised(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

// ---------------------------------------------------------------------------
// ModelKey

fn from_hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn hex_is_64_lowercase_digits_and_round_trips() {
    for k in [
        ModelKey([0; 32]),
        ModelKey([0xff; 32]),
        ModelKey(std::array::from_fn(|i| i as u8 * 8 + 1)),
        key(&1_i64),
    ] {
        let h = k.hex();
        assert_eq!(h.len(), 64);
        assert!(
            h.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
            "{h}"
        );
        assert_eq!(from_hex(&h), k.0);
        assert_eq!(k.to_string(), h);
        assert!(format!("{k:?}").contains(&h));
    }
    assert_eq!(ModelKey([0xab; 32]).hex(), "ab".repeat(32));
    let mut bytes = [0; 32];
    bytes[0] = 0x0f;
    bytes[31] = 0xa0;
    let h = ModelKey(bytes).hex();
    assert!(h.starts_with("0f00") && h.ends_with("00a0"), "{h}");
}

// ---------------------------------------------------------------------------
// properties

type Split = (Vec<i64>, Vec<i64>);

/// Pairs that concatenate to the same sequence: the collision-prone case.
fn split_pairs() -> impl Strategy<Value = (Split, Split)> {
    (
        proptest::collection::vec(any::<i64>(), 0..8),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(v, i, j)| {
            let (i, j) = (i.index(v.len() + 1), j.index(v.len() + 1));
            let a = (v[..i].to_vec(), v[i..].to_vec());
            let b = (v[..j].to_vec(), v[j..].to_vec());
            (a, b)
        })
}

fn special_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        any::<f64>(),
        Just(0.0),
        Just(-0.0),
        Just(f64::NAN),
        Just(-f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(1.0),
        Just(f64::from_bits(1.0_f64.to_bits() + 1)),
        (0x7ff0_0000_0000_0001_u64..=0x7fff_ffff_ffff_ffff).prop_map(f64::from_bits),
    ]
}

type Mixed = (
    Vec<i64>,
    Option<String>,
    f64,
    bool,
    Vec<(u8, i32)>,
    Option<Option<u16>>,
);

proptest! {
    #[test]
    fn distinct_pairs_of_sequences_get_distinct_keys(
        a in (proptest::collection::vec(any::<i64>(), 0..6), proptest::collection::vec(any::<i64>(), 0..6)),
        b in (proptest::collection::vec(any::<i64>(), 0..6), proptest::collection::vec(any::<i64>(), 0..6)),
    ) {
        prop_assert_eq!(a == b, key(&a) == key(&b), "{:?} {:?}", a, b);
    }

    #[test]
    fn splitting_a_sequence_differently_changes_the_key((a, b) in split_pairs()) {
        prop_assert_eq!(a == b, key(&a) == key(&b), "{:?} {:?}", a, b);
    }

    #[test]
    fn equal_values_get_equal_keys(v in any::<Mixed>()) {
        let copy = v.clone();
        prop_assert_eq!(key(&v), key(&copy));
        prop_assert_eq!(key(&v), key(&v));
    }

    #[test]
    fn float_keys_differ_iff_the_normalised_bits_differ(a in special_f64(), b in special_f64()) {
        prop_assert_eq!(
            key(&a) == key(&b),
            normalised(a) == normalised(b),
            "{:#x} {:#x}", a.to_bits(), b.to_bits()
        );
    }

    #[test]
    fn a_float_differs_from_its_neighbours(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        let up = f64::from_bits(bits.wrapping_add(1));
        prop_assert_eq!(key(&x) == key(&up), normalised(x) == normalised(up));
    }

    #[test]
    fn hex_round_trips(bytes in any::<[u8; 32]>()) {
        let h = ModelKey(bytes).hex();
        prop_assert_eq!(h.len(), 64);
        prop_assert!(h.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        prop_assert_eq!(from_hex(&h), bytes.to_vec());
    }
}

// ---------------------------------------------------------------------------
// Callback::key composition, through a hand-written callback

/// A callback as `#[phasic::callback(initial = [n], consts(RATE), helpers(…))]`
/// would write it, with the const value and helpers as fields so that tests
/// can vary them.
struct Toy {
    rate: f64,
    helpers: &'static [fn() -> &'static Pure],
}

impl Callback for Toy {
    type Params = (i32, f64);
    const NAME: &'static str = "toy";
    const TOKEN_KEY: ModelKey = ModelKey([7; 32]);
    const THETA_DIM: usize = 0;

    fn initial(&self, params: &Self::Params) -> Result<Initial> {
        Ok(Initial::state(&[params.0]))
    }

    fn expand(&self, state: &[i32], out: &mut Transitions, params: &Self::Params) {
        if state[0] > 1 {
            out.add(&[state[0] - 1], self.rate * params.1);
        }
    }

    fn dependencies(&self, h: &mut KeyHasher, seen: &mut Visited) {
        h.str("RATE");
        self.rate.key(h);
        h.len(self.helpers.len());
        for helper in self.helpers {
            helper().hash_into(h, seen);
        }
    }
}

/// The same callback under another token key (an edited function).
struct Edited(Toy);

impl Callback for Edited {
    type Params = (i32, f64);
    const NAME: &'static str = "toy";
    const TOKEN_KEY: ModelKey = ModelKey([8; 32]);
    const THETA_DIM: usize = 0;
    fn initial(&self, params: &Self::Params) -> Result<Initial> {
        self.0.initial(params)
    }
    fn expand(&self, state: &[i32], out: &mut Transitions, params: &Self::Params) {
        self.0.expand(state, out, params)
    }
    fn dependencies(&self, h: &mut KeyHasher, seen: &mut Visited) {
        self.0.dependencies(h, seen)
    }
}

/// The same callback with parameterized edges.
struct WithTheta(Toy);

impl Callback for WithTheta {
    type Params = (i32, f64);
    const NAME: &'static str = "toy";
    const TOKEN_KEY: ModelKey = ModelKey([7; 32]);
    const THETA_DIM: usize = 1;
    fn initial(&self, params: &Self::Params) -> Result<Initial> {
        self.0.initial(params)
    }
    fn expand(&self, state: &[i32], out: &mut Transitions, params: &Self::Params) {
        self.0.expand(state, out, params)
    }
    fn dependencies(&self, h: &mut KeyHasher, seen: &mut Visited) {
        self.0.dependencies(h, seen)
    }
}

fn toy(rate: f64) -> Toy {
    Toy { rate, helpers: &[] }
}

#[test]
fn equal_callbacks_and_parameters_give_equal_keys() {
    assert_eq!(toy(0.5).key(&(5, 1.0)), toy(0.5).key(&(5, 1.0)));
    let t = toy(0.5);
    assert_eq!(t.key(&(5, 1.0)), t.key(&(5, 1.0)));
    // the sign of a zero is kept, in consts and in parameters alike
    assert_ne!(toy(0.0).key(&(5, 1.0)), toy(-0.0).key(&(5, 1.0)));
    assert_ne!(toy(0.5).key(&(5, 0.0)), toy(0.5).key(&(5, -0.0)));
}

#[test]
fn a_different_const_value_gives_a_different_key() {
    assert_all_distinct(&[
        ("RATE = 0.5", toy(0.5).key(&(5, 1.0))),
        ("RATE = 0.25", toy(0.25).key(&(5, 1.0))),
        (
            "RATE = 0.5 + ulp",
            toy(f64::from_bits(0.5_f64.to_bits() + 1)).key(&(5, 1.0)),
        ),
        ("RATE = NaN", toy(f64::NAN).key(&(5, 1.0))),
    ]);
}

#[test]
fn different_parameters_give_different_keys() {
    let t = toy(0.5);
    assert_all_distinct(&[
        ("(5, 1.0)", t.key(&(5, 1.0))),
        ("(6, 1.0)", t.key(&(6, 1.0))),
        ("(5, 2.0)", t.key(&(5, 2.0))),
        ("(-5, 1.0)", t.key(&(-5, 1.0))),
        (
            "(5, 1.0 + ulp)",
            t.key(&(5, f64::from_bits(1.0_f64.to_bits() + 1))),
        ),
    ]);
}

#[test]
fn the_token_key_and_theta_dim_are_part_of_the_key() {
    assert_all_distinct(&[
        ("toy", toy(0.5).key(&(5, 1.0))),
        ("edited", Edited(toy(0.5)).key(&(5, 1.0))),
        ("theta_dim = 1", WithTheta(toy(0.5)).key(&(5, 1.0))),
    ]);
}

#[test]
fn the_key_is_a_pure_function_of_its_inputs() {
    // recomputed from scratch each time: no state carried between calls
    let t = Toy {
        rate: 0.5,
        helpers: &[cycle_a],
    };
    let first = t.key(&(5, 1.0));
    for _ in 0..3 {
        assert_eq!(t.key(&(5, 1.0)), first);
    }
}

// pure helpers, written as `#[phasic::pure]` writes them

/// A helper's record as `#[phasic::pure]` writes it: name, token key
/// (one repeated byte), const writer and helpers.
macro_rules! pure {
    ($f:ident, $name:literal, $key:expr, $consts:expr, [$($h:ident),*]) => {
        fn $f() -> &'static Pure {
            static P: Pure = Pure {
                name: $name,
                key: ModelKey([$key; 32]),
                consts: $consts,
                helpers: &[$($h),*],
            };
            &P
        }
    };
}

fn no_consts(_: &mut KeyHasher) {}

pure!(cycle_a, "a", 0xa, no_consts, [cycle_b]);

pure!(cycle_b, "b", 0xb, no_consts, [cycle_a]);

pure!(self_cycle, "s", 0x5, no_consts, [self_cycle]);

pure!(leaf, "leaf", 0x1, no_consts, []);

pure!(leaf_edited, "leaf", 0x2, no_consts, []);

fn scale_1(h: &mut KeyHasher) {
    h.str("SCALE");
    1.0_f64.key(h);
}

fn scale_2(h: &mut KeyHasher) {
    h.str("SCALE");
    2.0_f64.key(h);
}

fn scale_3(h: &mut KeyHasher) {
    h.str("SCALE");
    3.0_f64.key(h);
}

pure!(leaf_scale_1, "leaf", 0x1, scale_1, []);

pure!(leaf_scale_2, "leaf", 0x1, scale_2, []);

pure!(calls_leaf, "calls_leaf", 0xc, no_consts, [leaf]);

pure!(
    calls_leaf_edited,
    "calls_leaf",
    0xc,
    no_consts,
    [leaf_edited]
);

fn with_helpers(helpers: &'static [fn() -> &'static Pure]) -> ModelKey {
    Toy { rate: 0.5, helpers }.key(&(5, 1.0))
}

#[test]
fn a_cycle_of_pure_helpers_terminates_with_a_stable_key() {
    let k = with_helpers(&[cycle_a]);
    assert_eq!(with_helpers(&[cycle_a]), k);
    let s = with_helpers(&[self_cycle]);
    assert_eq!(with_helpers(&[self_cycle]), s);
    // entering the cycle elsewhere, or not at all, is another key
    assert_all_distinct(&[
        ("no helpers", with_helpers(&[])),
        ("a (↔ b)", k),
        ("b (↔ a)", with_helpers(&[cycle_b])),
        ("a, b", with_helpers(&[cycle_a, cycle_b])),
        ("s (→ s)", s),
    ]);
}

#[test]
fn helper_keys_count_transitively() {
    assert_all_distinct(&[
        ("leaf", with_helpers(&[leaf])),
        ("edited leaf", with_helpers(&[leaf_edited])),
        ("calls leaf", with_helpers(&[calls_leaf])),
        ("calls edited leaf", with_helpers(&[calls_leaf_edited])),
        ("leaf with SCALE = 1", with_helpers(&[leaf_scale_1])),
        ("leaf with SCALE = 2", with_helpers(&[leaf_scale_2])),
    ]);
    // a helper reached twice (diamond) is still deterministic
    assert_eq!(
        with_helpers(&[calls_leaf, leaf]),
        with_helpers(&[calls_leaf, leaf])
    );
}

// Two different helpers whose *tokens* are identical (the same body
// `SCALE * x` in two modules, each with its own `const SCALE`) have the
// same token key but read different const values. Both values must reach
// the key: guarding cycles by token key alone would skip the second
// helper's consts, and changing its `SCALE` would leave a stale cache hit.

pure!(twin_1, "twin", 0x7, scale_1, []);

pure!(twin_2, "twin", 0x7, scale_2, []);

pure!(twin_3, "twin", 0x7, scale_3, []);

#[test]
fn helpers_with_equal_tokens_but_different_const_values_are_both_keyed() {
    assert_ne!(
        with_helpers(&[twin_1, twin_2]),
        with_helpers(&[twin_1, twin_3]),
        "the second helper's const value is not part of the key"
    );
}
