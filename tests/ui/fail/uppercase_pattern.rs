//! An undeclared UPPERCASE name in a pattern is a new binding that matches
//! anything, not the constant it looks like.

use phasic::prelude::*;

const LAST: i32 = 1;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    match state[0] {
        LAST => {}
        n => out.add(&[n - 1], 1.0),
    }
}

fn main() {
    let _ = LAST;
    let _ = Graph::from_callback(model, ());
}
