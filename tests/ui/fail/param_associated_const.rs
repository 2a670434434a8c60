//! Kind 1: an associated const of a parameter type (`Params::RATE`) is a
//! value outside the key; the mirror has no associated items.

use phasic::prelude::*;

#[derive(phasic::Key, Clone, Debug)]
struct Params {
    n: i32,
}

impl Params {
    const RATE: f64 = 1.5;
}

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions, p: &Params) {
    let n = state[0];
    if n > p.n {
        out.add(&[n - 1], Params::RATE);
    }
}

fn main() {
    let _ = Params::RATE;
    let _ = Graph::from_callback(model, Params { n: 1 });
}
