//! Builds from a rule within limits: a state limit that stops the build
//! with an error naming it, an observer told of the progress, and
//! allocation failures returned as errors, not aborts.

use std::sync::{Arc, Mutex};

use phasic_core::graph::{BuildOptions, BuildProgress, PROGRESS_INTERVAL};
use phasic_core::{Error, Graph, GraphBuilder, GraphView, Initial, START, Transitions};

/// `[k] -> [k-1]` at rate 1 down to `[0]`: `k + 2` vertices with the start.
fn chain(s: &[i32], out: &mut Transitions) {
    if s[0] > 0 {
        out.add(&[s[0] - 1], 1.0);
    }
}

/// A 2-D grid `[i, j] -> [i-1, j], [i, j-1]`: from `[n, n]`,
/// `(n+1)² + 1` vertices and `2n(n+1) + 1` edges.
fn grid(s: &[i32], out: &mut Transitions) {
    if s[0] > 0 {
        out.add(&[s[0] - 1, s[1]], 1.0);
    }
    if s[1] > 0 {
        out.add(&[s[0], s[1] - 1], 2.0);
    }
}

#[test]
fn the_limit_is_the_number_of_vertices_exactly() {
    let start = Initial::state(&[10]);
    let g = Graph::from_rule_with_options(&start, 0, &BuildOptions::new().max_states(12), chain)
        .unwrap();
    assert_eq!(g.vertex_count(), 12);
    let e = Graph::from_rule_with_options(&start, 0, &BuildOptions::new().max_states(11), chain)
        .unwrap_err();
    assert_eq!(e, Error::TooManyStates { limit: 11 });
    assert_eq!(
        e.to_string(),
        "the state space grows beyond 11 states, the limit set for this build"
    );
}

#[test]
fn the_limit_counts_initial_states_and_the_defect_vertex() {
    // [1] and [2] at 0.25 each, defect 0.5: start, [1], [2], [0], defect
    let start = Initial::weighted([(vec![1], 0.25), (vec![2], 0.25)]).unwrap();
    let ok = Graph::from_rule_with_options(&start, 0, &BuildOptions::new().max_states(5), chain)
        .unwrap();
    assert_eq!(ok.vertex_count(), 5);
    assert_eq!(
        Graph::from_rule_with_options(&start, 0, &BuildOptions::new().max_states(4), chain)
            .unwrap_err(),
        Error::TooManyStates { limit: 4 }
    );
    assert_eq!(
        Graph::from_rule_with_options(&start, 0, &BuildOptions::new().max_states(1), chain)
            .unwrap_err(),
        Error::TooManyStates { limit: 1 }
    );
}

#[test]
fn a_limit_stops_an_unbounded_rule() {
    // [k] -> [k+1] forever: only the limit ends it
    let e = Graph::from_rule_with_options(
        &Initial::state(&[0]),
        0,
        &BuildOptions::new().max_states(100_000),
        |s, out| out.add(&[s[0] + 1], 1.0),
    )
    .unwrap_err();
    assert_eq!(e, Error::TooManyStates { limit: 100_000 });
}

#[test]
fn the_observer_sees_every_interval_and_the_graph_is_unchanged() {
    let n = 250; // 63,002 vertices, 125,501 edges
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let options = BuildOptions::new().on_progress(move |p| log.lock().unwrap().push(*p));
    let start = Initial::state(&[n, n]);
    let g = Graph::from_rule_with_options(&start, 0, &options, grid).unwrap();
    let plain = Graph::from_rule(&start, grid).unwrap();
    assert_eq!(g.vertex_count(), 251 * 251 + 1);
    assert_eq!(g.edge_count(), 2 * 250 * 251 + 1);
    assert_eq!(g.targets(), plain.targets());
    assert_eq!(g.weights(), plain.weights());
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), (251 * 251) / PROGRESS_INTERVAL);
    for (i, p) in seen.iter().enumerate() {
        assert_eq!(p.expanded, (i + 1) * PROGRESS_INTERVAL);
        // breadth-first: the states discovered exceed those expanded by the frontier
        assert!(p.states > p.expanded + 1 && p.states <= g.vertex_count());
        assert!(p.edges > p.expanded && p.edges <= g.edge_count());
    }
    // the first report in closed form: after expanding the diagonals
    // d = 0..=k-1 (i + j = 2n - d) and part of diagonal k
    let first = seen[0];
    let mut expanded = 0;
    let mut d = 0;
    while expanded + (d + 1) <= PROGRESS_INTERVAL {
        expanded += d + 1;
        d += 1;
    }
    let partial = PROGRESS_INTERVAL - expanded; // vertices of diagonal d expanded
    // discovered: start + diagonals 0..=d fully + the children of the
    // `partial` vertices of diagonal d on diagonal d+1 (partial + 1 of them)
    let discovered = 1 + (d + 1) * (d + 2) / 2 + partial + 1;
    assert_eq!(first.states, discovered);
    assert_eq!(
        first,
        BuildProgress {
            states: discovered,
            expanded: PROGRESS_INTERVAL,
            // the start edge, two per vertex of diagonals 0..d, two per partial
            edges: 1 + 2 * PROGRESS_INTERVAL,
        }
    );
}

#[test]
fn a_failed_allocation_is_an_error_and_the_builder_is_unchanged() {
    let p = usize::MAX / 64; // coefficients of one edge: 2^61 bytes
    let mut b = GraphBuilder::with_params(1, p);
    let v = b.find_or_create(&[1]).unwrap();
    let e = b.add_edge(START, v, 1.0).unwrap_err();
    assert_eq!(
        e,
        Error::OutOfMemory {
            what: "the edge coefficients",
            bytes: p * 8,
            vertices: 2,
        }
    );
    assert!(e.to_string().starts_with("out of memory: cannot allocate"));
    assert_eq!(b.edge_count(), 0);
    assert_eq!(b.vertex_count(), 2);
    // the same through a build from a rule
    let e = Graph::from_rule_with_params(&Initial::state(&[3]), p, chain).unwrap_err();
    assert!(
        matches!(
            e,
            Error::OutOfMemory {
                what: "the edge coefficients",
                ..
            }
        ),
        "{e:?}"
    );
}
