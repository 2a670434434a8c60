//! The configuration of every property test: a fixed seed, so that CI runs
//! the same cases every time (proptest's own default is a new random seed
//! per run), unless `PROPTEST_RNG_SEED` asks for another to explore; no
//! failure persistence (nothing is written beside the sources).

use proptest::test_runner::{Config, RngSeed};

/// The seed unless `PROPTEST_RNG_SEED` says otherwise.
pub const SEED: u64 = 20_261_203;

/// `cases` cases from [`SEED`] (or `PROPTEST_RNG_SEED`).
pub fn config(cases: u32) -> Config {
    let base = Config::with_cases(cases);
    Config {
        failure_persistence: None,
        rng_seed: match base.rng_seed {
            RngSeed::Random => RngSeed::Fixed(SEED),
            given => given,
        },
        ..base
    }
}
