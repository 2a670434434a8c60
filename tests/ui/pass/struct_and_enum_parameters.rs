#![deny(warnings)]
//! A `&Struct` parameter and an enum parameter, both with
//! `#[derive(phasic::Key)]`; the enum is used in a `match`.

use phasic::prelude::*;

#[derive(phasic::Key, Clone, Debug)]
struct Rates {
    coalescence: f64,
    floor: i32,
}

#[derive(phasic::Key, Clone, Copy, Debug, PartialEq)]
enum Scale {
    Unit,
    Times(f64),
}

#[phasic::callback(initial = [5])]
fn kingman(state: &[i32], out: &mut Transitions, rates: &Rates, scale: Scale) {
    let n = state[0];
    let factor = match scale {
        Scale::Unit => 1.0,
        Scale::Times(x) => x,
    };
    if n > rates.floor {
        out.add(
            &[n - 1],
            f64::from(n * (n - 1)) / 2.0 * rates.coalescence * factor,
        );
    }
}

fn main() {
    let rates = Rates {
        coalescence: 1.0,
        floor: 1,
    };
    let graph = Graph::from_callback(kingman, (rates.clone(), Scale::Times(2.0))).unwrap();
    assert_eq!(graph.vertex_count(), 6);
    let ph = PhaseType::new(&graph).unwrap();
    let expected = 2.0 * (1.0 - 1.0 / 5.0) / 2.0;
    assert!((ph.expectation(None).unwrap() - expected).abs() < 1e-12);
    assert_ne!(
        kingman.key(&(rates.clone(), Scale::Unit)),
        kingman.key(&(rates, Scale::Times(1.0)))
    );
}
