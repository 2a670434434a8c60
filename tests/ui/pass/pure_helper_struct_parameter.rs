#![deny(warnings)]
//! A `#[phasic::pure]` helper taking a `#[derive(phasic::Key)]` struct
//! takes its mirror — what the model body has — and returns plain data;
//! outside a model, `Plain::mirror` makes the argument.

use phasic::core::key::Plain;
use phasic::prelude::*;

#[derive(phasic::Key, Clone, Debug)]
struct Rates {
    per_pair: f64,
}

#[phasic::pure]
fn pair_rate(k: i32, rates: &Rates) -> f64 {
    f64::from(k * (k - 1)) / 2.0 * rates.per_pair
}

#[phasic::callback(initial = [4], helpers(pair_rate))]
fn kingman(state: &[i32], out: &mut Transitions, rates: &Rates) {
    let k = state[0];
    if k > 1 {
        out.add(&[k - 1], pair_rate(k, rates));
    }
}

fn main() {
    let rates = Rates { per_pair: 2.0 };
    assert_eq!(pair_rate(4, &rates.mirror()), 12.0);
    let graph = Graph::from_callback(kingman, rates).unwrap();
    let ph = PhaseType::new(&graph).unwrap();
    // 2(1 − 1/4) / 2
    assert!((ph.expectation(None).unwrap() - 0.75).abs() < 1e-12);
}
