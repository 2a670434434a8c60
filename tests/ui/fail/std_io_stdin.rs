//! Reads standard input with `std::io::stdin`.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], line.len() as f64);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
