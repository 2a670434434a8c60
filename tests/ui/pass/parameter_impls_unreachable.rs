#![deny(warnings)]
//! Kind 1: the body sees a parameter's plain-data mirror, so the type's own
//! code is never run by a model: a hand-written `Clone` (which by-value
//! parameters would otherwise call on every state) panics here and is not
//! called; the body still names fields, builds values and matches
//! variants, and `x as i32` reads the same discriminants (`Mode::Slow` is
//! unused outside the body, hence the `allow`).

use phasic::prelude::*;

#[derive(phasic::Key, Debug)]
struct Params {
    rate: f64,
    scale: Vec<f64>,
}

impl Clone for Params {
    fn clone(&self) -> Self {
        panic!("the model ran the parameter type's own Clone")
    }
}

#[derive(phasic::Key, Clone, Copy, Debug, PartialEq)]
enum Mode {
    Slow = 1,
    Fast = 3,
}

#[phasic::callback(initial = [4])]
fn model(state: &[i32], out: &mut Transitions, p: Params, mode: Mode) {
    let n = state[0];
    let default = Params {
        rate: 1.0,
        scale: vec![1.0],
    };
    let factor = match mode {
        Mode::Slow => default.rate,
        Mode::Fast => mode as i32 as f64,
    };
    if n > 1 {
        out.add(&[n - 1], p.rate * factor * p.scale[0]);
    }
}

fn main() {
    let p = Params {
        rate: 2.0,
        scale: vec![1.0],
    };
    let graph = Graph::from_callback(model, (p, Mode::Fast)).unwrap();
    assert_eq!(graph.vertex_count(), 5);
    let ph = PhaseType::new(&graph).unwrap();
    // rates 6 (n = 4, 3, 2): E[T] = 3/6
    assert!((ph.expectation(None).unwrap() - 0.5).abs() < 1e-12);
}
