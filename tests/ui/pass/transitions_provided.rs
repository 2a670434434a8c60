#![deny(warnings)]
//! A model function names `Transitions` without importing it: the macro
//! provides it (and an import used only there would be unused).

#[phasic::callback(initial = [3])]
fn kingman(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], f64::from(n * (n - 1)) / 2.0);
    }
}

use phasic::prelude::{Graph, GraphView};

fn main() {
    let graph = Graph::from_callback(kingman, ()).unwrap();
    assert_eq!(graph.vertex_count(), 4);
}
