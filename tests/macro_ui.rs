//! Compile-time checks of `#[phasic::callback]`, `#[phasic::pure]` and
//! `#[derive(phasic::Key)]`: every rule of "no hidden inputs" gives one
//! clear, spanned error (`tests/ui/fail`, one file per mistake, with its
//! `.stderr` snapshot), and every accepted form compiles without warnings
//! and builds a graph (`tests/ui/pass`).
//!
//! Refresh the snapshots with `TRYBUILD=overwrite cargo test --test macro_ui`.

#[test]
fn macro_ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
