//! Cyclic components solved iteratively give what elimination gives
//! (docs/ALGORITHMS.md §3.9): expected accumulated rewards (the program
//! applied) and sojourn times (its transpose) agree to 1e-12 relative on
//! random graphs, whatever their cycles.

mod common;

use common::config;
use common::random_graph::RandomGraph;
use phasic_core::GraphView;
use phasic_core::elimination::{Program, Solver};
use proptest::prelude::*;

fn agree(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    let scale = want
        .iter()
        .filter(|w| w.is_finite())
        .fold(0.0f64, |m, w| m.max(w.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() {
            assert!(g.is_nan(), "{what}[{i}]: {g} where elimination gives NaN");
        } else {
            assert!(
                (g - w).abs() <= 1e-12 * w.abs().max(1e-3 * scale),
                "{what}[{i}]: iterative {g}, elimination {w}"
            );
        }
    }
}

proptest! {
    #![proptest_config(config(200))]
    #[test]
    fn iterative_components_equal_elimination(
        spec in RandomGraph::constant(30),
        rewards in proptest::collection::vec(0.0f64..3.0, 64),
    ) {
        let g = spec.graph();
        let Ok(eliminated) = Program::with_solver(&g, Solver::Elimination) else {
            // a graph elimination refuses is refused by both
            prop_assert!(Program::with_solver(&g, Solver::Iterative).is_err());
            return Ok(());
        };
        let iterative = Program::with_solver(&g, Solver::Iterative).unwrap();
        let r: Vec<f64> = (0..g.vertex_count()).map(|v| rewards[v % rewards.len()]).collect();
        agree(
            &iterative.expected_waiting_time(&g, None).unwrap(),
            &eliminated.expected_waiting_time(&g, None).unwrap(),
            "expected waiting time",
        );
        agree(
            &iterative.expected_waiting_time(&g, Some(&r)).unwrap(),
            &eliminated.expected_waiting_time(&g, Some(&r)).unwrap(),
            "expected reward",
        );
        agree(
            &iterative.sojourn_times(&g).unwrap(),
            &eliminated.sojourn_times(&g).unwrap(),
            "sojourn times",
        );
    }
}
