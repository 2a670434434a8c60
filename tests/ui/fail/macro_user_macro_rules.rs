//! Calls a user `macro_rules!` macro, whose body the key cannot see.

use phasic::prelude::*;

macro_rules! rate {
    ($n:expr) => {
        f64::from($n)
    };
}

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], rate!(n));
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
