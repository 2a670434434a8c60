//! Traces replay the elimination exactly: on random cyclic parameterized
//! graphs numbered in any order, the program evaluated from the trace at θ
//! gives the same expected waiting times, moments and sojourn times as a
//! fresh elimination of the graph re-weighted to θ.

mod common;

use common::is_close;
use phasic_core::PhaseTypeDistribution;
use phasic_core::{
    Error, Graph, GraphBuilder, GraphView, PhaseType, START, trace::Trace, trace::TraceOptions,
};
use proptest::prelude::*;

/// A random graph with `k` transient vertices in a shuffled numbering,
/// every edge `b + c·θ` with random non-negative base and coefficients,
/// and an exit from every vertex (so absorption is certain for θ ≥ 0).
fn graph(k: usize, extra: &[(usize, usize, f64, [f64; 3])], perm: &[usize]) -> Graph {
    let mut b = GraphBuilder::with_params(1, 3);
    let ids: Vec<usize> = perm
        .iter()
        .map(|&i| b.find_or_create(&[i as i32 + 1]).unwrap())
        .collect();
    let absorbing = b.find_or_create(&[0]).unwrap();
    b.add_edge(START, ids[0], 1.0).unwrap();
    for i in 0..k {
        // a path forward and an exit keep every vertex live
        let next = if i + 1 < k { ids[i + 1] } else { absorbing };
        b.add_param_edge(ids[i], next, 0.1, &[1.0, 0.0, 0.5])
            .unwrap();
        b.add_param_edge(ids[i], absorbing, 0.05, &[0.0, 0.3, 0.0])
            .unwrap();
    }
    for &(from, to, base, c) in extra {
        let (from, to) = (from % k, to % k);
        if from != to {
            b.add_param_edge(ids[from], ids[to], base, &c).unwrap();
        }
    }
    b.build()
}

proptest! {
    #![proptest_config(common::config(96))]
    #[test]
    fn trace_equals_direct_elimination(
        k in 2usize..14,
        extra in prop::collection::vec((0usize..14, 0usize..14, 0.0f64..2.0, prop::array::uniform3(0.0f64..3.0)), 0..30),
        seed in any::<u64>(),
        thetas in prop::collection::vec(prop::array::uniform3(0.05f64..4.0), 1..4),
    ) {
        let mut perm: Vec<usize> = (0..k).collect();
        let mut s = seed;
        for i in (1..k).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            perm.swap(i, (s >> 33) as usize % (i + 1));
        }
        let mut g = graph(k, &extra, &perm);
        let trace = Trace::record(&g).unwrap();
        let rewards: Vec<f64> = (0..g.vertex_count()).map(|v| (v % 3) as f64).collect();
        let batch: Vec<Vec<f64>> = thetas.iter().map(|t| t.to_vec()).collect();
        let expectations = trace.expectations(&batch, Some(&rewards)).unwrap();
        for (theta, e) in thetas.iter().zip(&expectations) {
            g.update_weights(theta).unwrap();
            let direct = PhaseType::new(&g).unwrap().expectation(Some(&rewards)).unwrap();
            prop_assert!(is_close(direct, *e, 1e-11, 1e-300), "batch E {direct} vs {e}");
        }
        for theta in thetas {
            g.update_weights(&theta).unwrap();
            let ph = PhaseType::new(&g).unwrap();
            let program = trace.program(&theta).unwrap();
            let direct = ph.expected_waiting_time(Some(&rewards)).unwrap();
            let replayed = program.expected_waiting_time(&g, Some(&rewards)).unwrap();
            for (a, b) in direct.iter().zip(&replayed) {
                prop_assert!(is_close(*a, *b, 1e-11, 1e-300), "EWT {a} vs {b}");
            }
            let sd = ph.sojourn_times();
            let sr = program.sojourn_times(&g).unwrap();
            for (a, b) in sd.iter().zip(&sr) {
                prop_assert!(is_close(*a, *b, 1e-11, 1e-300), "sojourn {a} vs {b}");
            }
        }
    }
}

#[test]
fn batches_do_not_depend_on_thread_count_or_chunking() {
    let g = graph(
        9,
        &[(3, 1, 0.2, [0.5, 1.0, 0.0]), (7, 2, 0.0, [1.0, 0.0, 2.0])],
        &[4, 2, 8, 0, 6, 1, 7, 3, 5],
    );
    let trace = Trace::record(&g).unwrap();
    let thetas: Vec<Vec<f64>> = (0..100)
        .map(|i| vec![0.1 + i as f64 * 0.03, 1.0, 0.5 + (i % 7) as f64])
        .collect();
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| trace.expectations(&thetas, None).unwrap())
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one, two);
    // the same θ gives the same bits wherever it sits in a chunk
    let alone = trace.expectations(&thetas[57..58], None).unwrap();
    assert_eq!(alone[0], one[57]);
}

#[test]
fn errors_name_the_problem() {
    let g = graph(3, &[(2, 0, 0.0, [0.0, 1.0, 0.0])], &[0, 1, 2]);
    let trace = Trace::record(&g).unwrap();
    assert!(matches!(
        trace.program(&[1.0, 2.0]),
        Err(Error::ParamLength {
            expected: 3,
            got: 2
        })
    ));
    assert!(matches!(
        trace.program(&[1.0, f64::NAN, 0.0]),
        Err(Error::InvalidParam { index: 1, .. })
    ));
    // zero θ with zero bases cannot zero a rate here (bases are positive)...
    assert!(trace.program(&[0.0, 0.0, 0.0]).is_ok());
    // ...but a graph whose only edge out of a vertex is θ₀·1 can
    let mut b = GraphBuilder::with_params(1, 1);
    let v = b.find_or_create(&[1]).unwrap();
    let a = b.find_or_create(&[2]).unwrap();
    b.add_edge(START, v, 1.0).unwrap();
    b.add_param_edge(v, a, 0.0, &[1.0]).unwrap();
    let g = b.build();
    let trace = Trace::record(&g).unwrap();
    match trace.program(&[0.0]) {
        Err(Error::ZeroRate { vertex, state }) => {
            assert_eq!(vertex, v);
            assert_eq!(state, vec![1]);
        }
        other => panic!("expected ZeroRate, got {other:?}"),
    }
    let p = trace.program(&[4.0]).unwrap();
    assert!((p.expected_waiting_time(&g, None).unwrap()[0] - 0.25).abs() < 1e-15);
}

/// A θ that makes an edge weight negative is an error naming the edge,
/// outside and inside cyclic components, even while every total rate
/// stays positive — never a silently wrong expectation.
#[test]
fn negative_weights_at_theta_are_errors() {
    // 1 → 2 (1 + θ₀), 1 → 3 (2); 2 ⇄ 4 with 2 → 4 (1 + θ₀) and 4 → 2 (1), 4 → 3 (1)
    let mut b = GraphBuilder::with_params(1, 1);
    let ids: Vec<usize> = (1..=4).map(|i| b.find_or_create(&[i]).unwrap()).collect();
    b.add_edge(START, ids[0], 1.0).unwrap();
    b.add_param_edge(ids[0], ids[1], 1.0, &[1.0]).unwrap();
    b.add_edge(ids[0], ids[2], 2.0).unwrap();
    b.add_param_edge(ids[1], ids[3], 1.0, &[1.0]).unwrap();
    b.add_edge(ids[1], ids[2], 5.0).unwrap();
    b.add_edge(ids[3], ids[1], 1.0).unwrap();
    b.add_edge(ids[3], ids[2], 1.0).unwrap();
    let g = b.build();
    for options in [TraceOptions { min_subproblem: 2 }, TraceOptions::default()] {
        let trace = Trace::record_with(&g, options).unwrap();
        assert_eq!(trace.component_count(), 1);
        // θ₀ = −1.5: the weights 1 → 2 and 2 → 4 are −0.5, every rate is positive
        let first = |r: phasic_core::Result<f64>| match r {
            Err(Error::InvalidWeight {
                from,
                from_state,
                to_state,
                weight,
            }) => (from, from_state, to_state, weight),
            other => panic!("expected InvalidWeight, got {other:?}"),
        };
        // back-substitution meets the component (2 ⇄ 4) first
        let (from, fs, ts, w) = first(trace.expectation(&[-1.5], None));
        assert_eq!((from, fs, ts, w), (ids[1], vec![2], vec![4], -0.5));
        let (from, ..) = first(
            trace
                .expectations(&[vec![1.0], vec![-1.5]], None)
                .map(|v| v[0]),
        );
        assert_eq!(from, ids[1]);
        assert!(matches!(
            trace.program(&[-1.5]),
            Err(Error::InvalidWeight { weight: -0.5, .. })
        ));
        // θ₀ = −0.5 keeps every weight positive: a negative θ is not an error by itself
        assert!(trace.expectation(&[-0.5], None).is_ok());
    }
    // a negative weight outside any component
    let mut b = GraphBuilder::with_params(1, 1);
    let v = b.find_or_create(&[1]).unwrap();
    let a = b.find_or_create(&[2]).unwrap();
    let c = b.find_or_create(&[3]).unwrap();
    b.add_edge(START, v, 1.0).unwrap();
    b.add_param_edge(v, a, 1.0, &[1.0]).unwrap();
    b.add_edge(v, c, 3.0).unwrap();
    let g = b.build();
    let trace = Trace::record(&g).unwrap();
    match trace.expectation(&[-2.0], None) {
        Err(Error::InvalidWeight {
            from,
            to_state,
            weight,
            ..
        }) => assert_eq!((from, to_state, weight), (v, vec![2], -1.0)),
        other => panic!("expected InvalidWeight, got {other:?}"),
    }
    assert!(matches!(
        trace.program(&[-2.0]),
        Err(Error::InvalidWeight { weight: -1.0, .. })
    ));
    assert!(matches!(
        trace.at(&g, &[-2.0]),
        Err(Error::InvalidWeight { .. })
    ));
}

proptest! {
    #![proptest_config(common::config(48))]
    /// `∂E[Y^k]/∂θ` from the reverse pass equals central finite
    /// differences of the moments, on random cyclic graphs instantiated
    /// from the trace.
    #[test]
    fn moment_gradients_equal_finite_differences(
        k in 2usize..10,
        extra in prop::collection::vec((0usize..10, 0usize..10, 0.0f64..2.0, prop::array::uniform3(0.0f64..3.0)), 0..20),
        theta in prop::array::uniform3(0.3f64..3.0),
        order in 1usize..4,
        rewarded in any::<bool>(),
    ) {
        let perm: Vec<usize> = (0..k).rev().collect();
        let mut g = graph(k, &extra, &perm);
        let trace = Trace::record(&g).unwrap();
        let rewards: Vec<f64> = (0..g.vertex_count()).map(|v| 0.5 + (v % 3) as f64).collect();
        let r = rewarded.then_some(rewards.as_slice());
        let grad = trace.at(&g, &theta).unwrap().phase_type().moment_gradient(order, r).unwrap();
        let moment = |t: &[f64], g: &mut Graph| {
            g.update_weights(t).unwrap();
            PhaseType::new(&*g).unwrap().moments(order, r).unwrap()[order - 1]
        };
        let m0 = moment(&theta, &mut g);
        for i in 0..3 {
            let h = 1e-5 * theta[i];
            let (mut up, mut down) = (theta, theta);
            up[i] += h;
            down[i] -= h;
            let fd = (moment(&up, &mut g) - moment(&down, &mut g)) / (2.0 * h);
            let scale = grad[i].abs() + m0 / theta[i];
            prop_assert!(
                (fd - grad[i]).abs() <= 1e-6 * scale,
                "order {order}, θ{i}: reverse pass {} vs finite differences {fd}",
                grad[i]
            );
        }
    }
}
