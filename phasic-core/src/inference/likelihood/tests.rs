use super::*;
use crate::graph::csr::Graph;
use crate::graph::csr::START;
use crate::graph::rule::Initial;

/// A population of `1..=k` starting at `k`, absorbed at 0: θ = (death
/// per individual, immigration below `k`, catastrophe), every rate
/// linear in θ; a catastrophe leaves one survivor from 3 up.
fn population(k: i32) -> Graph {
    Graph::from_rule_with_params(&Initial::state(&[k]), 3, |s, out| {
        let n = s[0];
        if n > 0 {
            out.add_param(&[n - 1], 0.0, &[f64::from(n), 0.0, 0.0]);
            out.add_param(&[i32::from(n >= 3)], 0.0, &[0.0, 0.0, 1.0]);
            if n < k {
                out.add_param(&[n + 1], 0.0, &[0.0, 1.0, 0.0]);
            }
        }
    })
    .unwrap()
}

/// A cycle `0 → 1 → … → 8 → 0` where edge `i` has rate `θ_i` (edge 4
/// three times as much) and every state exits at rate `θ_{8−i}/2`.
fn ring(start: &Initial) -> Graph {
    Graph::from_rule_with_params(start, 9, |s, out| {
        let i = s[0] as usize;
        if i < 9 {
            let mut c = [0.0; 9];
            c[i] = if i == 4 { 3.0 } else { 1.0 };
            out.add_param(&[(s[0] + 1) % 9], 0.0, &c);
            let mut c = [0.0; 9];
            c[8 - i] = 0.5;
            out.add_param(&[9], 0.0, &c);
        }
    })
    .unwrap()
}

/// The gradient of `lik` by Euler's identity against the one whose
/// passes carry every parameter.
#[track_caller]
fn identity_matches_carried(lik: &Likelihood, thetas: &[Vec<f64>]) {
    let mut carried = lik.clone();
    carried.scale_param = None;
    for theta in thetas {
        let (ll, g) = lik.gradient(theta).unwrap();
        let (want_ll, want) = carried.gradient(theta).unwrap();
        // the same series, summed in another order (a key without a
        // derivative adds its terms straight into the rows)
        assert!(
            (ll - want_ll).abs() <= 1e-13 * want_ll.abs().max(1.0),
            "θ {theta:?}: log L {ll} vs {want_ll}"
        );
        for (q, (a, b)) in g.iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() <= 1e-10 * b.abs().max(1.0),
                "θ {theta:?}, ∂/∂θ{q}: identity {a:e}, carried {b:e}"
            );
        }
    }
}

#[test]
fn euler_identity_gives_the_carried_score() {
    let times = vec![0.02, 0.3, 0.9, 1.7, 3.5, 6.0];
    // the deaths carry most of the rates
    let lik = Likelihood::new(&population(12), Observations::Times(times.clone())).unwrap();
    assert_eq!(lik.scale_param, Some(0));
    let thetas = [
        vec![1.0, 2.0, 4.0],
        vec![0.05, 0.7, 3.0],
        vec![6.0, 0.2, 0.1],
    ];
    identity_matches_carried(&lik, &thetas);
    // with rewards
    let g = population(6);
    let rewards: Vec<f64> = (0..g.vertex_count())
        .map(|v| 0.5 + v as f64 * 0.1)
        .collect();
    let lik = Likelihood::with_rewards(&g, &rewards, Observations::Times(times.clone()));
    identity_matches_carried(&lik.unwrap(), &thetas);
    // nine parameters: the identity's (θ_4, the largest coefficients)
    // sits inside the first pass; the second pass carries one
    for start in [
        Initial::state(&[0]),
        Initial::weighted([([0], 0.5), ([3], 0.25)]).unwrap(),
    ] {
        let lik = Likelihood::new(&ring(&start), Observations::Times(times.clone())).unwrap();
        assert_eq!(lik.scale_param, Some(4));
        let thetas: Vec<Vec<f64>> = (0..3)
            .map(|i| {
                (0..9)
                    .map(|q| 0.3 + ((q * 5 + i * 3) % 7) as f64 * 0.4)
                    .collect()
            })
            .collect();
        identity_matches_carried(&lik, &thetas);
    }
}

/// θs with no deaths (θ_0 = 0: no identity, the score is carried)
/// among others: every result bit-identical to its single evaluation,
/// for any thread count and batch size.
#[test]
fn batches_mixing_identity_and_carried_scores() {
    let times = Observations::Times(vec![0.1, 0.5, 1.2, 2.5]);
    let lik = Likelihood::new(&population(8), times).unwrap();
    let thetas: Vec<Vec<f64>> = (0..19)
        .map(|i| {
            let death = if i % 3 == 1 {
                0.0
            } else {
                0.2 + 0.3 * i as f64
            };
            vec![death, 0.5 + (i % 4) as f64, 1.0 + (i % 5) as f64 * 0.5]
        })
        .collect();
    let bits = |(l, g): &(f64, Vec<f64>)| (l.to_bits(), g.iter().map(|x| x.to_bits()).collect());
    let single: Vec<(u64, Vec<u64>)> = thetas
        .iter()
        .map(|t| bits(&lik.gradient(t).unwrap()))
        .collect();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for n in [19, 10, 2] {
            let got = pool.install(|| lik.gradients(&thetas[..n]).unwrap());
            let got: Vec<(u64, Vec<u64>)> = got.iter().map(bits).collect();
            assert_eq!(got, single[..n], "{threads} threads, {n} θs");
        }
    }
    // without deaths, the carried score is the identity's limit
    let (_, at_zero) = lik.gradient(&[0.0, 1.5, 2.0]).unwrap();
    let (_, near) = lik.gradient(&[1e-7, 1.5, 2.0]).unwrap();
    for (a, b) in at_zero.iter().zip(&near) {
        assert!(
            (a - b).abs() < 1e-5 * a.abs().max(1.0),
            "{at_zero:?} vs {near:?}"
        );
    }
}

#[test]
fn identity_only_for_homogeneous_continuous_models() {
    let times = Observations::Times(vec![1.0]);
    let with = |rule: fn(&[i32], &mut crate::graph::rule::Transitions)| {
        let g = Graph::from_rule_with_params(&Initial::state(&[0]), 2, rule).unwrap();
        Likelihood::new(&g, times.clone()).unwrap().scale_param
    };
    // θ_1 carries more (2 + 1 against 1)
    assert_eq!(
        with(|s, out| if s[0] == 0 {
            out.add_param(&[1], 0.0, &[1.0, 2.0]);
        } else if s[0] == 1 {
            out.add_param(&[2], 0.0, &[0.0, 1.0]);
        }),
        Some(1)
    );
    // a fixed part in one rate
    assert_eq!(
        with(|s, out| if s[0] == 0 {
            out.add_param(&[1], 0.1, &[1.0, 2.0]);
        } else if s[0] == 1 {
            out.add_param(&[2], 0.0, &[0.0, 1.0]);
        }),
        None
    );
    // a start with a fixed and a θ-dependent edge changes with θ's scale
    let mut b = crate::graph::builder::GraphBuilder::with_params(1, 1);
    let a = b.find_or_create(&[1]).unwrap();
    let c = b.find_or_create(&[2]).unwrap();
    let x = b.find_or_create(&[3]).unwrap();
    b.add_param_edge(START, a, 1.0, &[0.0]).unwrap();
    b.add_param_edge(START, c, 0.0, &[1.0]).unwrap();
    b.add_param_edge(a, x, 0.0, &[1.0]).unwrap();
    b.add_param_edge(c, x, 0.0, &[2.0]).unwrap();
    let g = b.build();
    assert_eq!(
        Likelihood::new(&g, times.clone()).unwrap().scale_param,
        None
    );
    // discrete steps do not scale with θ
    let g = Graph::from_rule_with_params(&Initial::state(&[0]), 1, |s, out| {
        if s[0] == 0 {
            out.add_param(&[1], 0.0, &[0.5]);
        }
    })
    .unwrap();
    let lik = Likelihood::new(&g, Observations::Steps(vec![1, 2])).unwrap();
    assert_eq!(lik.scale_param, None);
}
