//! Prints with `println!` (I/O). `RATE`, declared and imported, stays in use.

use phasic::prelude::*;

mod rates {
    pub const RATE: f64 = 2.0;
}

use rates::RATE;

#[phasic::callback(initial = [3], consts(RATE))]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    println!("expanding {n}");
    if n > 1 {
        out.add(&[n - 1], RATE);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
