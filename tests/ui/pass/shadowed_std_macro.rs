#![deny(warnings)]
// the shadowing macros are never used: that is what this test shows
#![allow(unused_macros)]
//! Kind 2: a `macro_rules!` named like an allowed std macro, defined
//! earlier in the file, does not reach a model body: the body's `vec!`,
//! `matches!` and `assert!` are the std ones (nested ones too).

macro_rules! vec {
    ($($t:tt)*) => {
        compile_error!("the shadowing vec! reached a model body")
    };
}
macro_rules! matches {
    ($($t:tt)*) => {
        compile_error!("the shadowing matches! reached a model body")
    };
}

use phasic::prelude::*;

#[phasic::callback(initial = [4])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    let children = ::std::vec![vec![n - 1]];
    assert!(matches!(children.len(), 1));
    if n > 1 {
        out.add(&children[0], 1.0);
    }
}

fn main() {
    let graph = Graph::from_callback(model, ()).unwrap();
    assert_eq!(graph.vertex_count(), 5);
}
