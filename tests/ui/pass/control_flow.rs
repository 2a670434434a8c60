#![deny(warnings)]
//! Closures, `match`, `for` loops, `if let`, `while`, shadowing.

use phasic::prelude::*;

#[phasic::callback(initial = [2, 1])]
fn model(state: &[i32], out: &mut Transitions) {
    let rate = |k: i32| f64::from(k) * 0.5;
    for (i, &count) in state.iter().enumerate() {
        let mut child = state.to_vec();
        match count {
            0 => continue,
            c if c > 0 => child[i] = c - 1,
            _ => unreachable!(),
        }
        if let Some(first) = child.first().copied() {
            let mut total = 0;
            let mut k = first;
            while k > 0 {
                total += k;
                k -= 1;
            }
            let _ = total;
        }
        out.add(&child, rate(count));
    }
}

fn main() {
    let graph = Graph::from_callback(model, ()).unwrap();
    // start and the 3 x 2 states with a <= 2, b <= 1
    assert_eq!(graph.vertex_count(), 7);
}
