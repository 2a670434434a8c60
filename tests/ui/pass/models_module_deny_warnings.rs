#![deny(warnings)]
//! A module holding only models, importing `Transitions` from the
//! prelude, compiles without an unused-import warning; `//!` docs and
//! `#![allow(…)]` at the top of a model body are accepted.

mod models {
    use phasic::prelude::Transitions;

    /// Kingman's coalescent.
    #[phasic::callback(initial = [4])]
    pub fn kingman(state: &[i32], out: &mut Transitions) {
        //! Pairs merge at rate k(k − 1)/2.
        #![allow(clippy::cast_lossless)]
        let k = state[0];
        if k > 1 {
            out.add(&[k - 1], (k * (k - 1)) as f64 / 2.0);
        }
    }
}

use phasic::prelude::*;

fn main() {
    let graph = Graph::from_callback(models::kingman, ()).unwrap();
    assert_eq!(graph.vertex_count(), 5);
}
