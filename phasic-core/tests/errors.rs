//! Every user-facing error of `phasic-core`: the variant, the vertex, state
//! or value it names, and a `Display` message that shows the offending value.

use phasic_core::PhaseTypeDistribution;
use phasic_core::{
    DiscretePhaseType, Error, Graph, GraphBuilder, GraphView, Initial, Method, PhaseType, START,
    distribution::DiscreteContext, distribution::GranularityContext, distribution::Sampler,
    distribution::Uniformization, distribution::reward_transform,
    distribution::reward_transform_discrete,
};

/// Asserts that the message of `e` mentions every one of `parts`.
#[track_caller]
fn mentions(e: &Error, parts: &[&str]) {
    let msg = e.to_string();
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} should contain {p:?}");
    }
}

/// `S → [1] (1)`, `[1] → [2] (w)` built by hand.
fn chain(w: f64) -> Graph {
    let mut b = GraphBuilder::new(1);
    let v = b.find_or_create(&[1]).unwrap();
    let a = b.find_or_create(&[2]).unwrap();
    b.add_edge(START, v, 1.0).unwrap();
    b.add_edge(v, a, w).unwrap();
    b.build()
}

/// A builder with vertices `[1]` (1) and `[2]` (2).
fn two_vertices() -> GraphBuilder {
    let mut b = GraphBuilder::new(1);
    b.find_or_create(&[1]).unwrap();
    b.find_or_create(&[2]).unwrap();
    b
}

/// A one-parameter graph `S → [1]`, `[1] → [2]` with weight `1 − θ`.
fn param_chain() -> Graph {
    let mut g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| {
        if s[0] == 1 {
            out.add_param(&[2], 1.0, &[-1.0])
        }
    })
    .unwrap();
    g.update_weights(&[0.5]).unwrap();
    g
}

// ---------------------------------------------------------------------------
// Weights

#[test]
fn invalid_weight_add_edge() {
    for (w, shown) in [(-2.5, "-2.5"), (f64::NAN, "NaN"), (f64::INFINITY, "inf")] {
        let mut b = two_vertices();
        let e = b.add_edge(1, 2, w).unwrap_err();
        let Error::InvalidWeight {
            from,
            ref from_state,
            ref to_state,
            weight,
        } = e
        else {
            panic!("expected InvalidWeight, got {e:?}")
        };
        assert_eq!(
            (from, from_state.as_slice(), to_state.as_slice()),
            (1, &[1][..], &[2][..])
        );
        assert!(weight == w || (w.is_nan() && weight.is_nan()));
        mentions(&e, &[shown, "vertex 1", "[1]", "[2]"]);
        assert_eq!(b.edge_count(), 0, "a rejected edge is not added");
    }
    // negative infinity
    let e = two_vertices()
        .add_edge(1, 2, f64::NEG_INFINITY)
        .unwrap_err();
    assert!(matches!(e, Error::InvalidWeight { weight, .. } if weight == f64::NEG_INFINITY));
    mentions(&e, &["-inf"]);
    // zero is accepted
    assert!(two_vertices().add_edge(1, 2, 0.0).is_ok());
    // parameterized: a non-finite base or coefficient
    let mut b = GraphBuilder::with_params(1, 2);
    b.find_or_create(&[1]).unwrap();
    b.find_or_create(&[2]).unwrap();
    let e = b.add_param_edge(1, 2, -1.5, &[1.0, 0.0]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidWeight {
                from: 1,
                weight: -1.5,
                ..
            }
        ),
        "{e:?}"
    );
    let e = b.add_param_edge(1, 2, 0.0, &[1.0, f64::NAN]).unwrap_err();
    assert!(
        matches!(e, Error::InvalidWeight { from: 1, weight, .. } if weight.is_nan()),
        "{e:?}"
    );
    mentions(&e, &["NaN"]);
}

#[test]
fn invalid_weight_in_rule() {
    for (w, shown) in [(-3.0, "-3"), (f64::NAN, "NaN"), (f64::INFINITY, "inf")] {
        let e = Graph::from_rule(&Initial::state(&[3]), |s, out| {
            if s[0] == 2 {
                out.add(&[1], w)
            } else if s[0] > 1 {
                out.add(&[s[0] - 1], 1.0)
            }
        })
        .unwrap_err();
        let Error::InvalidWeight {
            from,
            ref from_state,
            ref to_state,
            weight,
        } = e
        else {
            panic!("expected InvalidWeight, got {e:?}")
        };
        assert_eq!(from, 2, "vertex of state [2]");
        assert_eq!(from_state, &[2]);
        assert_eq!(to_state, &[1]);
        assert!(weight == w || (w.is_nan() && weight.is_nan()));
        mentions(&e, &[shown, "vertex 2", "state [2]", "state [1]"]);
    }
}

#[test]
fn self_loop() {
    let mut b = two_vertices();
    let e = b.add_edge(2, 2, 1.0).unwrap_err();
    assert_eq!(
        e,
        Error::SelfLoop {
            vertex: 2,
            state: vec![2]
        }
    );
    mentions(&e, &["vertex 2", "[2]", "itself"]);

    let e = Graph::from_rule(&Initial::state(&[4, 1]), |s, out| {
        if s[0] > 2 {
            out.add(&[s[0] - 1, s[1]], 1.0)
        } else if s[0] == 2 {
            out.add(&[1, 1], 1.0);
            out.add(s, 2.0)
        }
    })
    .unwrap_err();
    assert_eq!(
        e,
        Error::SelfLoop {
            vertex: 3,
            state: vec![2, 1]
        }
    );
    mentions(&e, &["vertex 3", "[2, 1]"]);
}

#[test]
fn edge_into_start() {
    let mut b = two_vertices();
    let e = b.add_edge(2, START, 1.0).unwrap_err();
    assert_eq!(
        e,
        Error::EdgeToStart {
            from: 2,
            state: vec![2]
        }
    );
    mentions(&e, &["vertex 2", "[2]", "start"]);
}

#[test]
fn unknown_vertex() {
    let mut b = two_vertices();
    let e = b.add_edge(1, 7, 1.0).unwrap_err();
    assert_eq!(
        e,
        Error::UnknownVertex {
            vertex: 7,
            count: 3
        }
    );
    mentions(&e, &["7", "3"]);
}

// ---------------------------------------------------------------------------
// States and initial distributions

#[test]
fn state_length() {
    let want = |state: Vec<i32>, expected| Error::StateLength {
        len: state.len(),
        state,
        expected,
    };
    // a rule's child
    let e = Graph::from_rule(&Initial::state(&[2, 0]), |s, out| {
        if s[0] == 2 {
            out.add(&[1, 0, 0], 1.0)
        }
    })
    .unwrap_err();
    assert_eq!(e, want(vec![1, 0, 0], 2));
    mentions(&e, &["[1, 0, 0]", "length 3", "length 2"]);
    // find_or_create and create
    let mut b = GraphBuilder::new(2);
    let e = b.find_or_create(&[7]).unwrap_err();
    assert_eq!(e, want(vec![7], 2));
    mentions(&e, &["[7]", "length 1"]);
    assert_eq!(b.create(&[1, 2, 3]).unwrap_err(), want(vec![1, 2, 3], 2));
    assert_eq!(b.vertex_count(), 1, "nothing was created");
    // mixed lengths in the initial distribution
    let e = Initial::weighted([(vec![1, 0], 0.5), (vec![3], 0.5)]).unwrap_err();
    assert_eq!(e, want(vec![3], 2));
    mentions(&e, &["[3]"]);
}

#[test]
fn initial_probability_out_of_range() {
    for (p, shown) in [
        (-0.25, "-0.25"),
        (1.5, "1.5"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "inf"),
    ] {
        let e = Initial::weighted([(vec![1], 0.5), (vec![4], p)]).unwrap_err();
        let Error::InitialProbability {
            ref state,
            probability,
        } = e
        else {
            panic!("expected InitialProbability, got {e:?}")
        };
        assert_eq!(state, &[4]);
        assert!(probability == p || (p.is_nan() && probability.is_nan()));
        mentions(&e, &[shown, "[4]"]);
    }
}

#[test]
fn initial_sum_above_one() {
    let e = Initial::weighted([(vec![5], 0.7), (vec![3], 0.7)]).unwrap_err();
    let Error::InitialSum { sum } = e else {
        panic!("expected InitialSum, got {e:?}")
    };
    assert_eq!(sum, 1.4);
    mentions(&e, &["1.4"]);
    // within the tolerance is fine
    assert!(Initial::weighted([(vec![5], 0.5), (vec![3], 0.5 + 1e-12)]).is_ok());
}

#[test]
fn empty_initial() {
    let e = Initial::weighted(Vec::<(Vec<i32>, f64)>::new()).unwrap_err();
    assert_eq!(e, Error::EmptyInitial);
    mentions(&e, &["no state"]);
}

// ---------------------------------------------------------------------------
// Structure

#[test]
fn closed_class_without_absorption() {
    // S → X; X → A, X → D (absorbing); A ⇄ B is closed
    let mut b = GraphBuilder::new(1);
    let [x, a, bb, d] = [10, 20, 30, 40].map(|s| b.find_or_create(&[s]).unwrap());
    for (u, z) in [(START, x), (x, a), (x, d), (a, bb), (bb, a)] {
        b.add_edge(u, z, 1.0).unwrap();
    }
    let g = b.build();
    let e = PhaseType::new(&g).unwrap_err();
    let Error::NoPathToAbsorption { vertex, ref state } = e else {
        panic!("expected NoPathToAbsorption, got {e:?}")
    };
    assert!(
        vertex == a || vertex == bb,
        "vertex {vertex} is not in the class"
    );
    assert_eq!(state.as_slice(), g.state(vertex));
    let (v, st) = (format!("vertex {vertex}"), format!("{state:?}"));
    mentions(&e, &[&v, &st]);
    // every algorithm that needs absorption refuses it
    assert!(matches!(
        DiscretePhaseType::new(&chain_closed()).unwrap_err(),
        Error::NoPathToAbsorption { .. }
    ));
    assert!(matches!(
        Sampler::continuous(&g).unwrap_err(),
        Error::NoPathToAbsorption { .. }
    ));

    // the same from a rule: [1] → [2] → [3] → [2], nothing absorbs
    let g = Graph::from_rule(&Initial::state(&[1]), |s, out| match s[0] {
        1 | 2 => out.add(&[s[0] + 1], 1.0),
        _ => out.add(&[2], 1.0),
    })
    .unwrap();
    let e = PhaseType::new(&g).unwrap_err();
    let Error::NoPathToAbsorption { vertex, ref state } = e else {
        panic!("expected NoPathToAbsorption, got {e:?}")
    };
    assert!(
        [2, 3].contains(&vertex),
        "vertex {vertex} is not in the class"
    );
    assert_eq!(state.as_slice(), g.state(vertex));
}

/// A discrete closed class: `S → [1]`, `[1] ⇄ [2]` with probability 0.5.
fn chain_closed() -> Graph {
    let mut b = two_vertices();
    b.add_edge(START, 1, 1.0).unwrap();
    b.add_edge(1, 2, 0.5).unwrap();
    b.add_edge(2, 1, 0.5).unwrap();
    b.build()
}

#[test]
fn zero_rate() {
    let g = chain(0.0);
    let e = PhaseType::new(&g).unwrap_err();
    assert_eq!(
        e,
        Error::ZeroRate {
            vertex: 1,
            state: vec![1]
        }
    );
    mentions(&e, &["vertex 1", "[1]", "rate 0"]);
    // driven to zero by a parameter
    let mut g = param_chain();
    g.update_weights(&[1.0]).unwrap();
    assert_eq!(
        PhaseType::new(&g).unwrap_err(),
        Error::ZeroRate {
            vertex: 1,
            state: vec![1]
        }
    );
}

// ---------------------------------------------------------------------------
// Parameters

#[test]
fn param_length() {
    let mut g = param_chain();
    let e = g.update_weights(&[1.0, 2.0]).unwrap_err();
    assert_eq!(
        e,
        Error::ParamLength {
            expected: 1,
            got: 2
        }
    );
    mentions(&e, &["expected 1", "got 2"]);
    assert_eq!(
        g.update_weights(&[]).unwrap_err(),
        Error::ParamLength {
            expected: 1,
            got: 0
        }
    );
    // constant graphs have no parameters
    let mut c = chain(1.0);
    assert_eq!(
        c.update_weights(&[1.0]).unwrap_err(),
        Error::ParamLength {
            expected: 0,
            got: 1
        }
    );
}

#[test]
fn invalid_param() {
    let mut g = param_chain();
    let e = g.update_weights(&[f64::NAN]).unwrap_err();
    assert!(
        matches!(e, Error::InvalidParam { index: 0, value, .. } if value.is_nan()),
        "{e:?}"
    );
    mentions(&e, &["NaN"]);
}

#[test]
fn negative_weight_after_update() {
    let mut g = param_chain();
    assert_eq!(g.out_weights(1), &[0.5]);
    let e = g.update_weights(&[3.0]).unwrap_err();
    assert_eq!(
        e,
        Error::InvalidWeight {
            from: 1,
            from_state: vec![1],
            to_state: vec![2],
            weight: -2.0
        }
    );
    mentions(&e, &["-2", "vertex 1", "[1]", "[2]"]);
    assert_eq!(
        g.out_weights(1),
        &[0.5],
        "weights are unchanged after a failure"
    );
}

#[test]
fn not_parameterized() {
    let e = Graph::from_rule(&Initial::state(&[1]), |s, out| {
        if s[0] == 1 {
            out.add_param(&[2], 0.0, &[1.0])
        }
    })
    .unwrap_err();
    assert_eq!(e, Error::NotParameterized);
    let mut b = two_vertices();
    assert_eq!(
        b.add_param_edge(1, 2, 1.0, &[1.0]).unwrap_err(),
        Error::NotParameterized
    );
}

// ---------------------------------------------------------------------------
// Rewards and moments

#[test]
fn reward_length() {
    let g = chain(2.0);
    let ph = PhaseType::new(&g).unwrap();
    let short = [0.0, 1.0];
    let want = Error::RewardLength {
        expected: 3,
        got: 2,
    };
    assert_eq!(ph.expectation(Some(&short)).unwrap_err(), want);
    assert_eq!(ph.moments(2, Some(&short)).unwrap_err(), want);
    assert_eq!(ph.variance(Some(&short)).unwrap_err(), want);
    assert_eq!(ph.expected_waiting_time(Some(&short)).unwrap_err(), want);
    assert_eq!(ph.covariance(&short, &[0.0, 1.0, 0.0]).unwrap_err(), want);
    assert_eq!(ph.multivariate(&[&short[..]]).unwrap_err(), want);
    assert_eq!(reward_transform(&g, &short).unwrap_err(), want);
    let long = [0.0, 1.0, 0.0, 1.0];
    let e = ph.expectation(Some(&long)).unwrap_err();
    assert_eq!(
        e,
        Error::RewardLength {
            expected: 3,
            got: 4
        }
    );
    mentions(&e, &["expected 3", "got 4"]);

    let d = chain(0.5);
    let dph = DiscretePhaseType::new(&d).unwrap();
    assert_eq!(dph.expectation(Some(&short)).unwrap_err(), want);
    assert_eq!(dph.variance(Some(&short)).unwrap_err(), want);
    assert_eq!(dph.moments(3, Some(&short)).unwrap_err(), want);
    assert_eq!(dph.covariance(&[0.0, 1.0, 0.0], &short).unwrap_err(), want);
    assert_eq!(reward_transform_discrete(&d, &[0, 1]).unwrap_err(), want);
    let s = Sampler::continuous(&g).unwrap();
    let mut rng = <rand::rngs::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(1);
    assert_eq!(s.reward(&mut rng, Some(&short)).unwrap_err(), want);
}

#[test]
fn invalid_reward() {
    let g = chain(2.0);
    let e = reward_transform(&g, &[0.0, -1.5, 0.0]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidReward {
                vertex: 1,
                reward: -1.5,
                ..
            }
        ),
        "{e:?}"
    );
    mentions(&e, &["-1.5", "vertex 1"]);
    let ph = PhaseType::new(&g).unwrap();
    let e = ph.expectation(Some(&[0.0, f64::NAN, 0.0])).unwrap_err();
    assert!(
        matches!(e, Error::InvalidReward { vertex: 1, reward, .. } if reward.is_nan()),
        "{e:?}"
    );
    // discrete moments of order ≥ 3 need integer rewards
    let d = chain(0.5);
    let e = DiscretePhaseType::new(&d)
        .unwrap()
        .moments(3, Some(&[0.0, 0.5, 0.0]))
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidReward {
                vertex: 1,
                reward: 0.5,
                ..
            }
        ),
        "{e:?}"
    );
    mentions(&e, &["0.5"]);
}

#[test]
fn moment_order_zero() {
    let g = chain(2.0);
    let e = PhaseType::new(&g).unwrap().moments(0, None).unwrap_err();
    assert_eq!(e, Error::MomentOrder(0));
    mentions(&e, &["got 0"]);
    let d = chain(0.5);
    assert_eq!(
        DiscretePhaseType::new(&d)
            .unwrap()
            .moments(0, None)
            .unwrap_err(),
        Error::MomentOrder(0)
    );
}

// ---------------------------------------------------------------------------
// Discrete graphs

#[test]
fn not_discrete() {
    let g = chain(1.5);
    let want = Error::NotDiscrete {
        vertex: 1,
        state: vec![1],
        rate: 1.5,
    };
    let e = DiscretePhaseType::new(&g).unwrap_err();
    assert_eq!(e, want);
    mentions(&e, &["1.5", "vertex 1", "[1]"]);
    assert_eq!(DiscreteContext::new(&g).unwrap_err(), want);
    assert_eq!(Sampler::discrete(&g).unwrap_err(), want);
    assert_eq!(reward_transform_discrete(&g, &[0, 1, 0]).unwrap_err(), want);
    // a context refuses to step once the weights stop being probabilities
    let mut p = param_chain();
    let mut ctx = DiscreteContext::new(&p).unwrap();
    p.update_weights(&[-1.0]).unwrap();
    assert_eq!(
        ctx.step(&p).unwrap_err(),
        Error::NotDiscrete {
            vertex: 1,
            state: vec![1],
            rate: 2.0
        }
    );
}

// ---------------------------------------------------------------------------
// Distribution functions

#[test]
fn invalid_time() {
    let g = chain(2.0);
    let ph = PhaseType::new(&g).unwrap();
    for (t, shown) in [
        (-1.5, "-1.5"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
    ] {
        for method in [Method::default(), Method::Granularity(1024.0)] {
            let e = ph.pdf_cdf(&[0.5, t], method).unwrap_err();
            assert!(
                matches!(e, Error::InvalidTime(x) if x == t || (t.is_nan() && x.is_nan())),
                "{method:?}: {e:?}"
            );
            mentions(&e, &[shown]);
        }
        let u = Uniformization::new(&g, 1e-12).unwrap();
        assert!(matches!(
            u.pdf_cdf(&[t]).unwrap_err(),
            Error::InvalidTime(_)
        ));
        assert!(matches!(
            u.state_probabilities(t).unwrap_err(),
            Error::InvalidTime(_)
        ));
        assert!(matches!(
            u.accumulated_visiting_time(t).unwrap_err(),
            Error::InvalidTime(_)
        ));
    }
}

#[test]
fn granularity_too_small() {
    let g = chain(2.0);
    let ph = PhaseType::new(&g).unwrap();
    let want = Error::Granularity {
        granularity: 1.5,
        vertex: 1,
        rate: 2.0,
    };
    let e = ph.pdf_cdf(&[1.0], Method::Granularity(1.5)).unwrap_err();
    assert_eq!(e, want);
    mentions(&e, &["1.5", "vertex 1", "rate 2"]);
    assert_eq!(GranularityContext::new(&g, 1.5).unwrap_err(), want);
    // a context refuses to step once a rate exceeds its granularity
    let mut p = param_chain();
    let mut ctx = GranularityContext::new(&p, 2.0).unwrap();
    p.update_weights(&[-4.0]).unwrap();
    assert_eq!(
        ctx.step(&p).unwrap_err(),
        Error::Granularity {
            granularity: 2.0,
            vertex: 1,
            rate: 5.0
        }
    );
    // not a number of steps at all
    for bad in [0.5, 0.0, -3.0, f64::NAN, f64::INFINITY] {
        let e = ph.pdf_cdf(&[1.0], Method::Granularity(bad)).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidSetting {
                    name: "granularity",
                    ..
                }
            ),
            "{bad}: {e:?}"
        );
    }
}

#[test]
fn invalid_settings() {
    let g = chain(2.0);
    for tol in [0.0, -1e-3, 1.0, f64::NAN] {
        let e = Uniformization::new(&g, tol).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidSetting {
                    name: "tolerance",
                    ..
                }
            ),
            "{e:?}"
        );
    }
    let e = PhaseType::new(&g)
        .unwrap()
        .laplace_transform(-0.5)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidSetting {
                name: "s",
                value: -0.5,
                ..
            }
        ),
        "{e:?}"
    );
    mentions(&e, &["-0.5"]);
    let d = chain(0.5);
    let e = DiscretePhaseType::new(&d)
        .unwrap()
        .generating_function(1.5)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidSetting {
                name: "z",
                value: 1.5,
                ..
            }
        ),
        "{e:?}"
    );
    mentions(&e, &["1.5"]);
}

// ---------------------------------------------------------------------------
// Matrix import

/// `(alpha, matrix, parts of the expected message)`.
type MatrixCase = (&'static [f64], Vec<Vec<f64>>, &'static [&'static str]);

#[test]
fn from_matrices_invalid() {
    let ok = vec![vec![-1.0, 1.0], vec![0.0, -1.0]];
    assert!(Graph::from_matrices(&[1.0, 0.0], &ok).is_ok());
    let cases: [MatrixCase; 7] = [
        // ragged
        (
            &[1.0, 0.0],
            vec![vec![-1.0, 1.0], vec![-1.0]],
            &["row 1", "1 entries"],
        ),
        // negative off-diagonal
        (
            &[1.0, 0.0],
            vec![vec![-1.0, -0.5], vec![0.0, -1.0]],
            &["S[0][1]", "-0.5"],
        ),
        // row sum above 0
        (
            &[1.0, 0.0],
            vec![vec![-1.0, 2.5], vec![0.0, -1.0]],
            &["row 0", "1.5"],
        ),
        // alpha of the wrong length
        (&[1.0], ok.clone(), &["length 1", "2 rows"]),
        // alpha summing above one
        (&[0.7, 0.7], ok.clone(), &["1.4"]),
        // alpha entry outside [0, 1]
        (&[-0.25, 1.0], ok.clone(), &["alpha[0]", "-0.25"]),
        // not finite
        (
            &[1.0, 0.0],
            vec![vec![f64::NAN, 1.0], vec![0.0, -1.0]],
            &["S[0][0]", "NaN"],
        ),
    ];
    for (alpha, s, parts) in cases {
        let e = Graph::from_matrices(alpha, &s).unwrap_err();
        assert!(matches!(e, Error::Matrix(_)), "{e:?}");
        mentions(&e, parts);
    }
}

#[test]
fn from_discrete_matrices_invalid() {
    assert!(Graph::from_discrete_matrices(&[1.0], &[vec![0.75]]).is_ok());
    let cases: [MatrixCase; 4] = [
        (&[1.0], vec![vec![1.25]], &["T[0][0]", "1.25"]),
        (
            &[1.0, 0.0],
            vec![vec![0.5, -0.25], vec![0.0, 0.5]],
            &["T[0][1]", "-0.25"],
        ),
        (
            &[1.0, 0.0],
            vec![vec![0.75, 0.5], vec![0.0, 0.5]],
            &["row 0", "1.25"],
        ),
        (
            &[0.5, 0.75],
            vec![vec![0.5, 0.0], vec![0.0, 0.5]],
            &["1.25"],
        ),
    ];
    for (alpha, t, parts) in cases {
        let e = Graph::from_discrete_matrices(alpha, &t).unwrap_err();
        assert!(matches!(e, Error::Matrix(_)), "{e:?}");
        mentions(&e, parts);
    }
}

/// A chain that stays transient for more than a million jumps (it
/// circles between two states at rate 10⁶ and leaves at rate 10⁻³): a
/// time with Λt = 10⁷ is an error naming Λt, not hours of work.
#[test]
fn uniformization_refuses_more_than_a_million_jumps() {
    let g = Graph::from_rule(&Initial::state(&[0]), |s, out| match s[0] {
        0 => {
            out.add(&[1], 1e6);
            out.add(&[2], 1e-3);
        }
        1 => out.add(&[0], 1e6),
        _ => {}
    })
    .unwrap();
    let u = Uniformization::new(&g, 1e-12).unwrap();
    let lambda = u.rate();
    for e in [
        u.pdf_cdf(&[1e-3, 10.0 / lambda * 1e6]).unwrap_err(),
        u.state_probabilities(10.0 / lambda * 1e6).unwrap_err(),
        u.accumulated_visiting_time(10.0 / lambda * 1e6)
            .unwrap_err(),
    ] {
        match e {
            Error::TooManyJumps { time, lambda } => {
                assert!((time * lambda - 1e7).abs() < 1e-3, "{time}·{lambda}")
            }
            ref other => panic!("expected TooManyJumps, got {other:?}"),
        }
        mentions(&e, &["Λ·t =", "jumps", "a million"]);
    }
    // below the limit the same chain is computed: T is nearly Exp(1/2000)
    let (_, cdf) = u.pdf_cdf(&[0.1]).unwrap();
    let want = 1.0 - (-0.1f64 / 2000.0).exp();
    assert!((cdf[0] - want).abs() < 1e-9, "cdf(0.1) = {}", cdf[0]);
}

/// A discrete chain that keeps mass for more than a million steps (it
/// leaves with probability 10⁻⁷ a step): a larger step is an error naming
/// it; a chain that has emptied answers any step at once.
#[test]
fn discrete_pmf_refuses_more_than_a_million_steps() {
    let slow = Graph::from_rule(&Initial::state(&[1]), |s, out| {
        if s[0] == 1 {
            out.add(&[2], 1e-7);
        }
    })
    .unwrap();
    let d = DiscretePhaseType::new(&slow).unwrap();
    let e = d.pmf_cdf(&[3, 2_000_000]).unwrap_err();
    match e {
        Error::InvalidSetting { value, .. } => assert_eq!(value, 2e6),
        ref other => panic!("expected InvalidSetting, got {other:?}"),
    }
    mentions(&e, &["step", "a million steps"]);
    // geometric: P(τ = k) = p(1 − p)^{k−1}
    let (pmf, _) = d.pmf_cdf(&[1_000_000]).unwrap();
    let want = 1e-7 * (1.0f64 - 1e-7).powi(999_999);
    assert!((pmf[0] / want - 1.0).abs() < 1e-9, "{}", pmf[0]);
    // fast: empty after a few hundred steps (underflow), then any step
    let fast = Graph::from_rule(&Initial::state(&[1]), |s, out| {
        if s[0] == 1 {
            out.add(&[2], 0.9);
        }
    })
    .unwrap();
    let (pmf, cdf) = DiscretePhaseType::new(&fast)
        .unwrap()
        .pmf_cdf(&[1, u64::MAX])
        .unwrap();
    assert_eq!(pmf, vec![0.9, 0.0]);
    assert!((cdf[1] - 1.0).abs() < 1e-15 && cdf[0] == 0.9);
}

/// The granularity method steps the same way: a far time of a chain that
/// empties is answered at once (density 0, cdf 1); of one that keeps its
/// mass past a million micro-steps, an error naming the micro-steps.
#[test]
fn granularity_refuses_more_than_a_million_steps() {
    let g = |rate: f64| {
        Graph::from_rule(&Initial::state(&[1]), move |s, out| {
            if s[0] == 1 {
                out.add(&[2], rate);
            }
        })
        .unwrap()
    };
    let (fast_graph, slow_graph) = (g(2.0), g(1e-6));
    let fast = PhaseType::new(&fast_graph).unwrap();
    let (pdf, cdf) = fast
        .pdf_cdf(&[0.5, 1e300], Method::Granularity(1024.0))
        .unwrap();
    assert!((pdf[0] - 2.0 * (-1.0f64).exp()).abs() < 1e-3, "{}", pdf[0]);
    assert_eq!(pdf[1], 0.0);
    // 1 up to the rounding of 380,000 summed steps
    assert!((cdf[1] - 1.0).abs() < 1e-13, "{}", cdf[1]);
    let slow = PhaseType::new(&slow_graph).unwrap();
    let e = slow
        .pdf_cdf(&[1e4], Method::Granularity(1024.0))
        .unwrap_err();
    mentions(&e, &["micro-steps", "10240000", "a million steps"]);
}

#[test]
fn a_move_past_the_end_of_the_state_names_the_slot() {
    let e = Graph::from_rule(&Initial::state(&[2, 0]), |s, out| {
        if s[0] > 0 {
            out.add_moved(s, &[(0, -1), (2, 1)], 1.0)
        }
    })
    .unwrap_err();
    assert!(
        matches!(e, Error::MoveOutOfRange { slot: 2, ref state } if state == &[2, 0]),
        "{e}"
    );
    mentions(&e, &["slot 2", "[2, 0]"]);
}
