//! Traces composed of subproblems: a trace whose cyclic components are
//! keyed subproblems (recorded separately, deduplicated by content, shipped
//! as bytes) evaluates exactly like the monolithic trace and like a fresh
//! elimination of the graph re-weighted to θ; identical components are
//! recorded once and share their key across models; decoding bad bytes
//! never panics; errors at θ name the offending vertex.

mod common;

use common::is_close;
use common::random_graph::Edge;
use common::rng::Rng;
use phasic_core::PhaseTypeDistribution;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;

use phasic_core::{
    Error, Graph, GraphBuilder, GraphView, Method, PhaseType, START, trace::ComponentTrace,
    trace::Subproblem, trace::Trace, trace::TraceOptions,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// Helpers

const REL: f64 = 1e-12;

const COMPOSED: TraceOptions = TraceOptions { min_subproblem: 2 };
const MONOLITHIC: TraceOptions = TraceOptions {
    min_subproblem: usize::MAX,
};

/// A random parameterized graph with many strongly connected components.
struct Model {
    graph: Graph,
    /// Slot ranges of the blocks (each a strongly connected component).
    blocks: Vec<Range<usize>>,
    /// `(size, exits, edge_count)` expected of every cyclic block's subproblem.
    shapes: Vec<(usize, usize, usize)>,
    rng: Rng,
    p: usize,
}

/// A weight `b + c·θ`; `positive` ones have a base of at least 0.2, the
/// others may be zero for some θ or dead (zero base and coefficients).
fn weight(rng: &mut Rng, p: usize, positive: bool) -> (f64, Vec<f64>) {
    let base = if positive {
        rng.range(0.2, 2.0)
    } else if rng.chance(0.5) {
        0.0
    } else {
        rng.range(0.05, 2.0)
    };
    let coeffs = (0..p)
        .map(|_| {
            if rng.chance(0.4) {
                0.0
            } else {
                rng.range(0.0, 2.0)
            }
        })
        .collect();
    (base, coeffs)
}

/// A chain of 2–8 blocks, each a random cycle of 2–7 vertices (sometimes a
/// single vertex) with random extra edges inside, forward edges to later
/// blocks and to 1–2 absorbing vertices (at least one positive exit per
/// block), vertices numbered in a shuffled order and edges inserted in a
/// shuffled order.
fn random_model(seed: u64, p: usize) -> Model {
    let mut rng = Rng(seed);
    let nb = 2 + rng.below(7);
    let sizes: Vec<usize> = (0..nb)
        .map(|_| {
            if rng.chance(0.12) {
                1
            } else {
                2 + rng.below(6)
            }
        })
        .collect();
    let transient: usize = sizes.iter().sum();
    let n_abs = 1 + rng.below(2);
    let mut blocks = Vec::new();
    let mut s = 0;
    for &k in &sizes {
        blocks.push(s..s + k);
        s += k;
    }
    let mut edges = Vec::new();
    let mut push = |from, to, (base, coeffs): (f64, Vec<f64>)| {
        edges.push(Edge {
            from,
            to,
            base,
            coeffs,
        })
    };
    for blk in &blocks {
        let (a, k) = (blk.start, blk.len());
        // the cycle, in a random local order
        let mut cyc: Vec<usize> = (a..a + k).collect();
        rng.shuffle(&mut cyc);
        if k > 1 {
            for i in 0..k {
                push(cyc[i], cyc[(i + 1) % k], weight(&mut rng, p, true));
            }
            for _ in 0..rng.below(2 * k) {
                let (f, t) = (a + rng.below(k), a + rng.below(k));
                if f != t {
                    push(f, t, weight(&mut rng, p, false));
                }
            }
        }
        // exits: to later transient slots or absorbing slots
        let later = blk.end..transient + n_abs;
        let pick = |rng: &mut Rng| later.start + rng.below(later.len());
        let sure = a + rng.below(k);
        let t = pick(&mut rng);
        push(sure, t, weight(&mut rng, p, true));
        for v in a..a + k {
            for _ in 0..rng.below(3) {
                let t = pick(&mut rng);
                push(v, t, weight(&mut rng, p, false));
            }
        }
    }
    let n_slots = transient + n_abs;
    // expected subproblem shapes: parallel edges merge, dead ones vanish
    let mut shapes = Vec::new();
    for blk in blocks.iter().filter(|b| b.len() > 1) {
        let mut pairs = HashSet::new();
        let mut exits = HashSet::new();
        for e in edges.iter().filter(|e| blk.contains(&e.from) && e.live()) {
            pairs.insert((e.from, e.to));
            if !blk.contains(&e.to) {
                exits.insert(e.to);
            }
        }
        shapes.push((blk.len(), exits.len(), pairs.len()));
    }
    shapes.sort_unstable();

    let mut b = GraphBuilder::with_params(1, p);
    let mut creation: Vec<usize> = (0..n_slots).collect();
    rng.shuffle(&mut creation);
    let mut vertex = vec![0; n_slots];
    for &slot in &creation {
        vertex[slot] = b.find_or_create(&[slot as i32 + 1]).unwrap();
    }
    let first = blocks[0].start + rng.below(blocks[0].len());
    b.add_edge(START, vertex[first], 1.0).unwrap();
    if rng.chance(0.5) {
        let other = rng.below(transient);
        if other != first {
            b.add_edge(START, vertex[other], rng.range(0.1, 1.0))
                .unwrap();
        }
    }
    rng.shuffle(&mut edges);
    for e in &edges {
        b.add_param_edge(vertex[e.from], vertex[e.to], e.base, &e.coeffs)
            .unwrap();
    }
    Model {
        graph: b.build(),
        blocks,
        shapes,
        rng,
        p,
    }
}

impl Model {
    fn cyclic(&self) -> usize {
        self.blocks.iter().filter(|b| b.len() > 1).count()
    }
    /// A random θ ≥ 0, with some entries exactly zero.
    fn theta(&mut self) -> Vec<f64> {
        (0..self.p)
            .map(|_| {
                if self.rng.chance(0.15) {
                    0.0
                } else {
                    self.rng.range(0.1, 3.0)
                }
            })
            .collect()
    }
    /// Random non-negative rewards, some zero.
    fn rewards(&mut self) -> Vec<f64> {
        (0..self.graph.vertex_count())
            .map(|_| {
                if self.rng.chance(0.25) {
                    0.0
                } else {
                    self.rng.range(0.1, 3.0)
                }
            })
            .collect()
    }
}

/// The trace from `plan` with every subproblem recorded here.
fn composed(g: &Graph) -> Trace {
    let plan = Trace::plan(g, COMPOSED).unwrap();
    let traces = plan
        .subproblems()
        .iter()
        .map(|s| Arc::new(ComponentTrace::record(s).unwrap()))
        .collect();
    plan.complete(traces).unwrap()
}

// ---------------------------------------------------------------------------
// 1. Composition equals the monolithic trace and the direct elimination

proptest! {
    #![proptest_config(common::config(64))]
    #[test]
    fn composed_equals_monolithic_equals_direct(seed in any::<u64>(), p in 2usize..=3) {
        let mut m = random_model(seed, p);
        let cyclic = m.cyclic();
        let g0 = m.graph.clone();

        let plan = Trace::plan(&g0, COMPOSED).unwrap();
        prop_assert_eq!(plan.inline_count(), 0);
        if cyclic > 0 {
            prop_assert!(!plan.subproblems().is_empty());
        }
        // random weights: every cyclic component is a distinct subproblem
        let mut shapes: Vec<_> = plan
            .subproblems()
            .iter()
            .map(|s| (s.size(), s.exits(), s.edge_count()))
            .collect();
        shapes.sort_unstable();
        prop_assert_eq!(&shapes, &m.shapes);
        prop_assert_eq!(plan.keys().len(), cyclic);
        let distinct: HashSet<_> = plan.keys().iter().collect();
        prop_assert_eq!(distinct.len(), cyclic);
        for (s, k) in plan.subproblems().iter().zip(plan.keys()) {
            prop_assert_eq!(s.key(), *k);
            prop_assert_eq!(s.param_dim(), p);
        }
        // each subproblem travels as bytes and comes back as bytes
        let traces: Vec<Arc<ComponentTrace>> = plan
            .subproblems()
            .iter()
            .map(|s| {
                let s = Subproblem::decode(&s.encode()).unwrap();
                let t = ComponentTrace::record(&s).unwrap();
                Arc::new(ComponentTrace::decode(&t.encode()).unwrap())
            })
            .collect();
        let comp = plan.complete(traces).unwrap();

        let mono_plan = Trace::plan(&g0, MONOLITHIC).unwrap();
        prop_assert!(mono_plan.subproblems().is_empty());
        prop_assert!(mono_plan.keys().is_empty());
        prop_assert_eq!(mono_plan.inline_count(), cyclic);
        let mono = mono_plan.complete(Vec::new()).unwrap();
        prop_assert_eq!(comp.component_count(), cyclic);
        prop_assert_eq!(mono.component_count(), cyclic);
        prop_assert_eq!(comp.len(), mono.len());
        prop_assert_eq!(comp.vertex_count(), g0.vertex_count());
        prop_assert_eq!(comp.param_dim(), p);

        let mut g = g0.clone();
        let r = m.rewards();
        for _ in 0..3 {
            let theta = m.theta();
            g.update_weights(&theta).unwrap();
            let ph = PhaseType::new(&g).unwrap();
            for rw in [None, Some(r.as_slice())] {
                let d = ph.expectation(rw).unwrap();
                let c = comp.expectation(&theta, rw).unwrap();
                let o = mono.expectation(&theta, rw).unwrap();
                prop_assert!(d.is_finite() && d >= 0.0);
                prop_assert!(is_close(c, o, REL, 0.0), "composed {c} vs monolithic {o} at {theta:?}");
                prop_assert!(is_close(c, d, REL, 0.0), "composed {c} vs direct {d} at {theta:?}");
                prop_assert!(is_close(o, d, REL, 0.0), "monolithic {o} vs direct {d} at {theta:?}");
            }
            let d = ph.expected_waiting_time(Some(&r)).unwrap();
            let c = comp.program(&theta).unwrap().expected_waiting_time(&g, Some(&r)).unwrap();
            let o = mono.program(&theta).unwrap().expected_waiting_time(&g, Some(&r)).unwrap();
            prop_assert_eq!(d.len(), g.vertex_count());
            prop_assert_eq!(c.len(), d.len());
            prop_assert_eq!(o.len(), d.len());
            for v in 0..d.len() {
                prop_assert!(d[v].is_finite(), "direct EWT of vertex {v} is {}", d[v]);
                prop_assert!(is_close(c[v], o[v], REL, 0.0), "EWT[{v}] composed {} vs monolithic {}", c[v], o[v]);
                prop_assert!(is_close(c[v], d[v], REL, 0.0), "EWT[{v}] composed {} vs direct {}", c[v], d[v]);
                prop_assert!(is_close(o[v], d[v], REL, 0.0), "EWT[{v}] monolithic {} vs direct {}", o[v], d[v]);
            }
            // the start's entry is the expectation
            prop_assert!(is_close(c[START], ph.expectation(Some(&r)).unwrap(), REL, 0.0));
        }
    }
}

// ---------------------------------------------------------------------------
// 2. Identical components are one subproblem

/// `S → x`; `x` branches (unequally, through θ) into two copies of the same
/// 3-vertex cyclic component with identical weights, numbered and wired in
/// the same order, each with two exits (to different places).
fn twin_cycles() -> (Graph, Vec<usize>, Vec<usize>) {
    let mut b = GraphBuilder::with_params(1, 2);
    let x = b.find_or_create(&[1]).unwrap();
    let a: Vec<usize> = (10..13).map(|s| b.find_or_create(&[s]).unwrap()).collect();
    let y = b.find_or_create(&[2]).unwrap();
    let c: Vec<usize> = (20..23).map(|s| b.find_or_create(&[s]).unwrap()).collect();
    let z = b.find_or_create(&[3]).unwrap();
    let abs = b.find_or_create(&[0]).unwrap();
    b.add_edge(START, x, 1.0).unwrap();
    b.add_param_edge(x, a[0], 0.5, &[1.0, 0.0]).unwrap();
    b.add_param_edge(x, c[0], 0.25, &[0.0, 2.0]).unwrap();
    // the component, with exits `e0` (first seen from local vertex 0) and `e1`
    let component = |b: &mut GraphBuilder, v: &[usize], e0: usize, e1: usize| {
        b.add_param_edge(v[0], v[1], 1.0, &[1.0, 0.0]).unwrap();
        b.add_param_edge(v[0], e0, 0.2, &[0.0, 0.0]).unwrap();
        b.add_param_edge(v[1], v[2], 2.0, &[0.0, 0.0]).unwrap();
        b.add_param_edge(v[1], v[0], 0.0, &[0.3, 0.0]).unwrap();
        b.add_param_edge(v[2], v[0], 0.5, &[0.0, 1.0]).unwrap();
        b.add_param_edge(v[2], e1, 1.0, &[0.0, 0.5]).unwrap();
    };
    component(&mut b, &a, y, abs);
    component(&mut b, &c, abs, z);
    b.add_param_edge(y, abs, 1.0, &[1.0, 0.0]).unwrap();
    b.add_param_edge(z, abs, 0.1, &[0.0, 0.7]).unwrap();
    (b.build(), a, c)
}

#[test]
fn identical_components_are_computed_once() {
    let (mut g, _, _) = twin_cycles();
    let plan = Trace::plan(&g, COMPOSED).unwrap();
    assert_eq!(plan.subproblems().len(), 1);
    assert_eq!(plan.keys().len(), 1);
    assert_eq!(plan.inline_count(), 0);
    let sub = &plan.subproblems()[0];
    assert_eq!((sub.size(), sub.exits(), sub.edge_count()), (3, 2, 6));
    let ct = Arc::new(ComponentTrace::record(sub).unwrap());
    let trace = plan.complete(vec![ct.clone()]).unwrap();
    assert_eq!(trace.component_count(), 2);
    assert_eq!(trace.len(), 2 * ct.len());
    let mono = Trace::record_with(&g, MONOLITHIC).unwrap();
    assert_eq!(mono.component_count(), 2);
    assert_eq!(mono.len(), trace.len());
    let r: Vec<f64> = (0..g.vertex_count()).map(|v| 1.0 + v as f64).collect();
    for theta in [[1.0, 1.0], [0.3, 2.5], [0.0, 0.0], [4.0, 0.0], [0.0, 3.0]] {
        g.update_weights(&theta).unwrap();
        let ph = PhaseType::new(&g).unwrap();
        for rw in [None, Some(r.as_slice())] {
            let d = ph.expectation(rw).unwrap();
            let t = trace.expectation(&theta, rw).unwrap();
            let o = mono.expectation(&theta, rw).unwrap();
            assert!(
                is_close(t, d, REL, 0.0),
                "θ {theta:?}: trace {t} vs direct {d}"
            );
            assert!(
                is_close(o, d, REL, 0.0),
                "θ {theta:?}: monolithic {o} vs direct {d}"
            );
        }
        let d = ph.expected_waiting_time(Some(&r)).unwrap();
        let t = trace
            .program(&theta)
            .unwrap()
            .expected_waiting_time(&g, Some(&r))
            .unwrap();
        for v in 0..d.len() {
            assert!(
                is_close(t[v], d[v], REL, 0.0),
                "θ {theta:?} vertex {v}: {} vs {}",
                t[v],
                d[v]
            );
        }
    }
    // the two copies are not interchangeable in value: their exits differ
    let t = trace
        .program(&[1.0, 1.0])
        .unwrap()
        .expected_waiting_time(&g, None)
        .unwrap();
    let (_, a, c) = twin_cycles();
    assert!(
        (t[a[0]] - t[c[0]]).abs() > 1e-3,
        "{} vs {}",
        t[a[0]],
        t[c[0]]
    );
}

// ---------------------------------------------------------------------------
// 3. The same component in different models has the same key

/// Where a component edge goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum To {
    In(usize),
    Exit(usize),
}

type CompEdge = (usize, To, f64, [f64; 2]);

/// A 4-vertex cyclic component with two exits (exit 0 first seen from
/// local vertex 1, exit 1 from local vertex 3).
fn component() -> Vec<CompEdge> {
    vec![
        (0, To::In(1), 1.0, [1.0, 0.0]),
        (0, To::In(2), 0.5, [0.0, 0.25]),
        (1, To::Exit(0), 0.3, [0.0, 0.0]),
        (1, To::In(2), 0.0, [2.0, 0.0]),
        (2, To::In(3), 1.5, [0.0, 1.0]),
        (2, To::In(0), 0.25, [0.5, 0.0]),
        (3, To::In(0), 2.0, [0.0, 0.0]),
        (3, To::Exit(1), 0.0, [0.0, 0.75]),
        (3, To::In(1), 0.125, [0.0, 0.0]),
    ]
}

/// Model 1: `S → c0`, the component, exits to `e0 → abs` and `e1 → abs`.
fn model_one(comp: &[CompEdge]) -> (Graph, Vec<usize>) {
    let mut b = GraphBuilder::with_params(2, 2);
    let c: Vec<usize> = (0..4).map(|i| b.find_or_create(&[1, i]).unwrap()).collect();
    let e0 = b.find_or_create(&[2, 0]).unwrap();
    let e1 = b.find_or_create(&[2, 1]).unwrap();
    let abs = b.find_or_create(&[0, 0]).unwrap();
    b.add_edge(START, c[0], 1.0).unwrap();
    for &(f, t, base, coeffs) in comp {
        let t = match t {
            To::In(j) => c[j],
            To::Exit(0) => e0,
            To::Exit(_) => e1,
        };
        b.add_param_edge(c[f], t, base, &coeffs).unwrap();
    }
    b.add_param_edge(e0, abs, 1.0, &[0.0, 0.0]).unwrap();
    b.add_param_edge(e1, abs, 0.5, &[1.0, 0.0]).unwrap();
    (b.build(), c)
}

/// Model 2: other vertices first (a 2-cycle `u ⇄ w` in front), the
/// component's vertices interleaved with others and created out of order
/// (but `c0` still the lowest), edges inserted source by source in reverse
/// order (same order within a source), extra edges into the component,
/// exit 0 to a transient vertex `q`, exit 1 straight to an absorbing one.
fn model_two(comp: &[CompEdge]) -> (Graph, Vec<usize>) {
    let mut b = GraphBuilder::with_params(3, 2);
    let u = b.find_or_create(&[9, 9, 9]).unwrap();
    let w = b.find_or_create(&[8, 8, 8]).unwrap();
    let c0 = b.find_or_create(&[5, 0, 0]).unwrap();
    let a1 = b.find_or_create(&[0, 0, 1]).unwrap();
    let c3 = b.find_or_create(&[5, 0, 3]).unwrap();
    let q = b.find_or_create(&[7, 7, 7]).unwrap();
    let c2 = b.find_or_create(&[5, 0, 2]).unwrap();
    let c1 = b.find_or_create(&[5, 0, 1]).unwrap();
    let a2 = b.find_or_create(&[0, 0, 2]).unwrap();
    let c = vec![c0, c1, c2, c3];
    b.add_edge(START, u, 0.7).unwrap();
    b.add_edge(START, c2, 0.3).unwrap();
    b.add_param_edge(u, w, 1.0, &[0.0, 1.0]).unwrap();
    b.add_param_edge(w, u, 0.5, &[0.0, 0.0]).unwrap();
    b.add_param_edge(w, c0, 0.0, &[1.0, 0.0]).unwrap();
    b.add_param_edge(u, c3, 0.25, &[0.0, 0.0]).unwrap();
    b.add_param_edge(u, a2, 0.1, &[0.0, 0.0]).unwrap();
    for src in (0..4).rev() {
        for &(f, t, base, coeffs) in comp.iter().filter(|e| e.0 == src) {
            let t = match t {
                To::In(j) => c[j],
                To::Exit(0) => q,
                To::Exit(_) => a2,
            };
            b.add_param_edge(c[f], t, base, &coeffs).unwrap();
        }
    }
    b.add_param_edge(q, a1, 0.0, &[0.5, 0.5]).unwrap();
    b.add_param_edge(q, a2, 0.3, &[0.0, 0.0]).unwrap();
    (b.build(), c)
}

/// The subproblem of the 4-vertex component of `g`.
fn four(g: &Graph) -> Subproblem {
    let plan = Trace::plan(g, COMPOSED).unwrap();
    let mut subs: Vec<&Subproblem> = plan
        .subproblems()
        .iter()
        .filter(|s| s.size() == 4)
        .collect();
    assert_eq!(subs.len(), 1);
    subs.pop().unwrap().clone()
}

#[test]
fn the_same_component_in_two_models_has_the_same_key() {
    let comp = component();
    let (g1, _) = model_one(&comp);
    let (mut g2, _) = model_two(&comp);
    let p1 = Trace::plan(&g1, COMPOSED).unwrap();
    let p2 = Trace::plan(&g2, COMPOSED).unwrap();
    assert_eq!(p1.subproblems().len(), 1);
    assert_eq!(
        p2.subproblems().len(),
        2,
        "the 2-cycle u ⇄ w and the component"
    );
    let (s1, s2) = (four(&g1), four(&g2));
    assert_eq!((s1.size(), s1.exits(), s1.edge_count()), (4, 2, 9));
    assert_eq!(s1, s2);
    assert_eq!(s1.encode(), s2.encode());
    assert_eq!(s1.key(), s2.key());
    assert!(p2.keys().contains(&s1.key()));
    assert_eq!(p1.keys(), &[s1.key()]);

    // the trace recorded for model 1 completes model 2
    let ct = Arc::new(ComponentTrace::record(&s1).unwrap());
    let traces: Vec<Arc<ComponentTrace>> = p2
        .subproblems()
        .iter()
        .map(|s| {
            if s.key() == s1.key() {
                ct.clone()
            } else {
                Arc::new(ComponentTrace::record(s).unwrap())
            }
        })
        .collect();
    let t2 = p2.complete(traces).unwrap();
    for theta in [[1.0, 2.0], [0.2, 0.9], [3.0, 0.5]] {
        g2.update_weights(&theta).unwrap();
        let d = PhaseType::new(&g2).unwrap().expectation(None).unwrap();
        let t = t2.expectation(&theta, None).unwrap();
        assert!(is_close(t, d, REL, 0.0), "θ {theta:?}: {t} vs {d}");
    }

    // an edge that can never carry weight is not part of the content
    let mut dead = comp.clone();
    dead.insert(4, (1, To::In(3), 0.0, [0.0, 0.0]));
    assert_eq!(four(&model_one(&dead).0).key(), s1.key());
    assert_eq!(four(&model_two(&dead).0).key(), s1.key());

    // exits are numbered by first appearance: which outside vertex each
    // one leads to is not part of the content
    let mut swapped = comp.clone();
    swapped[2].1 = To::Exit(1);
    swapped[7].1 = To::Exit(0);
    assert_eq!(four(&model_one(&swapped).0).key(), s1.key());
    assert_eq!(four(&model_two(&swapped).0).key(), s1.key());

    // any change of content changes the key, in both models
    let mut variants: Vec<(&str, Vec<CompEdge>)> = Vec::new();
    let mut v = comp.clone();
    v[4].2 = 1.5000000000000002;
    variants.push(("base weight (one ulp)", v));
    let mut v = comp.clone();
    v[6].2 = 2.5;
    variants.push(("constant base weight", v));
    let mut v = comp.clone();
    v[1].3[1] = 0.5;
    variants.push(("coefficient", v));
    let mut v = comp.clone();
    v[6].3[0] = 1e-3;
    variants.push(("coefficient from zero", v));
    let mut v = comp.clone();
    v[3].1 = To::In(3);
    variants.push(("retargeted edge", v));
    let mut v = comp.clone();
    v.push((1, To::In(0), 0.4, [0.0, 0.0]));
    variants.push(("added edge", v));
    let mut v = comp.clone();
    v.remove(8);
    variants.push(("removed edge", v));
    let mut v = comp.clone();
    v.swap(4, 5);
    variants.push(("edge order within a vertex (documented as content)", v));
    let mut v = comp.clone();
    v[7].1 = To::Exit(0);
    variants.push(("two exits merged into one", v));
    let mut keys = vec![s1.key()];
    for (what, v) in &variants {
        let k1 = four(&model_one(v).0).key();
        let k2 = four(&model_two(v).0).key();
        assert_eq!(k1, k2, "{what}: the models disagree");
        assert!(!keys.contains(&k1), "{what}: key did not change");
        keys.push(k1);
    }
}

#[test]
fn a_negative_zero_weight_is_the_same_content() {
    // a subproblem's content is its elimination, for which a zero weight
    // is a zero weight whatever its sign: equal subproblems (compared
    // with `==`) must have equal keys
    let comp = component();
    let mut neg = comp.clone();
    // live edge (coefficient 2) whose base is −0.0, as arithmetic in a
    // rule may produce; the builder accepts it
    assert_eq!(neg[3].2, 0.0);
    neg[3].2 = -0.0;
    let (s, n) = (four(&model_one(&comp).0), four(&model_one(&neg).0));
    assert_eq!(s, n, "the subproblems compare equal");
    // the trace of one completes the other
    let ct = ComponentTrace::record(&s).unwrap();
    assert!(ct.solves(&n));
    assert_eq!(
        s.key(),
        n.key(),
        "equal subproblems (0.0 vs −0.0 base weight) get different content keys"
    );
}

// ---------------------------------------------------------------------------
// 4. Decoding bad bytes never panics

/// θs at which decoded traces are evaluated.
fn probe_thetas(p: usize) -> Vec<Vec<f64>> {
    vec![
        vec![1.0; p],
        (0..p).map(|k| 0.5 + k as f64).collect(),
        vec![0.0; p],
    ]
}

/// Decodes `bytes` (a damaged encoding of the trace of subproblem `k` of
/// `g`'s plan) and, if that succeeds, completes the plan with it and
/// evaluates: nothing may panic; errors are decode errors.
fn damaged_trace(g: &Graph, k: usize, bytes: &[u8]) -> Result<(), TestCaseError> {
    let d = match ComponentTrace::decode(bytes) {
        Err(Error::Decode { what, .. }) => {
            prop_assert_eq!(what, "component trace");
            return Ok(());
        }
        Err(e) => return Err(TestCaseError::fail(format!("not a decode error: {e:?}"))),
        Ok(d) => d,
    };
    // what decodes re-encodes to something that decodes to the same
    prop_assert_eq!(ComponentTrace::decode(&d.encode()), Ok(d.clone()));
    let plan = Trace::plan(g, COMPOSED).unwrap();
    let traces = plan
        .subproblems()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i == k {
                Arc::new(d.clone())
            } else {
                Arc::new(ComponentTrace::record(s).unwrap())
            }
        })
        .collect();
    if let Ok(trace) = plan.complete(traces) {
        let thetas = probe_thetas(g.param_dim());
        let mut gt = g.clone();
        for theta in &thetas {
            let _ = trace.expectation(theta, None);
            if let Ok(program) = trace.program(theta) {
                gt.update_weights(theta).unwrap();
                let _ = program.expected_waiting_time(&gt, None);
                let _ = program.sojourn_times(&gt);
            }
        }
        let _ = trace.expectations(&thetas, None);
    }
    Ok(())
}

/// Decodes a damaged encoding of subproblem `sub` (of `g`'s plan, index
/// `k`): a decode error, or a subproblem whose encoding is exactly these
/// bytes and whose trace is rejected by the plan unless it is equal to
/// `sub` (then it gives the right values).
fn damaged_subproblem(
    g: &Graph,
    k: usize,
    sub: &Subproblem,
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    let d = match Subproblem::decode(bytes) {
        Err(Error::Decode { what, .. }) => {
            prop_assert_eq!(what, "subproblem");
            return Ok(());
        }
        Err(e) => return Err(TestCaseError::fail(format!("not a decode error: {e:?}"))),
        Ok(d) => d,
    };
    prop_assert_eq!(d.encode(), bytes.to_vec());
    if d != *sub {
        prop_assert_ne!(d.key(), sub.key());
    }
    let ct = ComponentTrace::record(&d).unwrap();
    let plan = Trace::plan(g, COMPOSED).unwrap();
    let traces = plan
        .subproblems()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i == k {
                Arc::new(ct.clone())
            } else {
                Arc::new(ComponentTrace::record(s).unwrap())
            }
        })
        .collect();
    match plan.complete(traces) {
        Err(Error::ForeignTrace { index, .. }) => {
            prop_assert_eq!(index, k);
            prop_assert!(d != *sub, "the trace of an equal subproblem was rejected");
        }
        Err(e) => return Err(TestCaseError::fail(format!("unexpected error {e:?}"))),
        Ok(trace) => {
            // only a sign flip of a zero weight leaves the content equal
            prop_assert!(
                d == *sub,
                "the trace of another subproblem was accepted: {d:?}"
            );
            let mut gt = g.clone();
            for theta in probe_thetas(g.param_dim()) {
                gt.update_weights(&theta).unwrap();
                let want = PhaseType::new(&gt).unwrap().expectation(None).unwrap();
                let got = trace.expectation(&theta, None).unwrap();
                prop_assert!(is_close(got, want, REL, 0.0), "{got} vs {want}");
            }
        }
    }
    Ok(())
}

/// A random model with at least one cyclic component, the index of its
/// largest subproblem, that subproblem and its trace.
fn decode_fixture(seed: u64) -> (Graph, usize, Subproblem, ComponentTrace) {
    let mut seed = seed;
    loop {
        let m = random_model(seed, 2);
        let plan = Trace::plan(&m.graph, COMPOSED).unwrap();
        if let Some((k, s)) = plan
            .subproblems()
            .iter()
            .enumerate()
            .max_by_key(|(_, s)| s.size())
        {
            let ct = ComponentTrace::record(s).unwrap();
            return (m.graph.clone(), k, s.clone(), ct);
        }
        seed = seed.wrapping_add(1);
    }
}

proptest! {
    #![proptest_config(common::config(256))]
    #[test]
    fn damaged_component_traces_never_panic(
        seed in any::<u64>(),
        cut in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let (g, k, _, ct) = decode_fixture(seed);
        let bytes = ct.encode();
        prop_assert_eq!(ComponentTrace::decode(&bytes), Ok(ct.clone()));
        // truncated or extended: always an error
        let cut = cut.index(bytes.len());
        let truncated = ComponentTrace::decode(&bytes[..cut]);
        prop_assert!(
            matches!(truncated, Err(Error::Decode { what: "component trace", .. })),
            "truncated to {} bytes: {:?}", &bytes[..cut].len(), truncated
        );
        let mut longer = bytes.clone();
        longer.push(mask);
        let extended = ComponentTrace::decode(&longer);
        prop_assert!(
            matches!(extended, Err(Error::Decode { what: "component trace", .. })),
            "extended to {} bytes: {:?}", &longer.len(), extended
        );
        // any byte, any mask
        let mut flipped = bytes.clone();
        flipped[at.index(bytes.len())] ^= mask;
        damaged_trace(&g, k, &flipped)?;
    }

    #[test]
    fn damaged_subproblems_never_panic_and_never_pass_for_another(
        seed in any::<u64>(),
        cut in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let (g, k, sub, _) = decode_fixture(seed);
        let bytes = sub.encode();
        prop_assert_eq!(Subproblem::decode(&bytes), Ok(sub.clone()));
        let cut = cut.index(bytes.len());
        let truncated = Subproblem::decode(&bytes[..cut]);
        prop_assert!(
            matches!(truncated, Err(Error::Decode { what: "subproblem", .. })),
            "truncated to {} bytes: {:?}", &bytes[..cut].len(), truncated
        );
        let mut longer = bytes.clone();
        longer.push(mask);
        let extended = Subproblem::decode(&longer);
        prop_assert!(
            matches!(extended, Err(Error::Decode { what: "subproblem", .. })),
            "extended to {} bytes: {:?}", &longer.len(), extended
        );
        let mut flipped = bytes.clone();
        flipped[at.index(bytes.len())] ^= mask;
        damaged_subproblem(&g, k, &sub, &flipped)?;
    }
}

/// Every single-bit flip of a small trace and subproblem (exhaustive).
#[test]
fn every_single_bit_flip_is_handled() {
    let (g, _) = model_one(&component());
    let sub = four(&g);
    let ct = ComponentTrace::record(&sub).unwrap();
    let (tb, sb) = (ct.encode(), sub.encode());
    for i in 0..tb.len() {
        for bit in 0..8 {
            let mut b = tb.clone();
            b[i] ^= 1 << bit;
            damaged_trace(&g, 0, &b).unwrap_or_else(|e| panic!("trace byte {i} bit {bit}: {e}"));
        }
    }
    for i in 0..sb.len() {
        for bit in 0..8 {
            let mut b = sb.clone();
            b[i] ^= 1 << bit;
            damaged_subproblem(&g, 0, &sub, &b)
                .unwrap_or_else(|e| panic!("subproblem byte {i} bit {bit}: {e}"));
        }
    }
}

/// A damaged trace that still decodes and still carries its subproblem's
/// edges is accepted by `complete`; then it must still compute the right
/// values. (The encoding's integrity seal rejects every such flip.)
#[test]
fn a_damaged_trace_never_gives_wrong_values() {
    let (mut g, _) = model_one(&component());
    let sub = four(&g);
    let ct = ComponentTrace::record(&sub).unwrap();
    let theta = [1.0, 2.0];
    g.update_weights(&theta).unwrap();
    let want = PhaseType::new(&g).unwrap().expectation(None).unwrap();
    let bytes = ct.encode();
    let mut wrong = Vec::new();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            let Ok(d) = ComponentTrace::decode(&b) else {
                continue;
            };
            let plan = Trace::plan(&g, COMPOSED).unwrap();
            if let Ok(trace) = plan.complete(vec![Arc::new(d)])
                && let Ok(e) = trace.expectation(&theta, None)
                && !is_close(e, want, REL, 0.0)
            {
                wrong.push((i, bit, e));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} single-bit flips of a {}-byte trace were accepted and give wrong values \
         (expected {want}), e.g. {:?}",
        wrong.len(),
        bytes.len(),
        &wrong[..wrong.len().min(5)]
    );
}

// ---------------------------------------------------------------------------
// 5. Everything at θ through `Trace::at`

#[test]
fn at_theta_equals_the_reweighted_graph() {
    let times = [0.0, 0.05, 0.4, 1.0, 2.5, 6.0];
    let method = Method::Exact { tolerance: 1e-12 };
    let mut checked = 0;
    for seed in 0..6u64 {
        let mut m = random_model(1000 + seed, 3);
        let trace = composed(&m.graph);
        assert_eq!(trace.component_count(), m.cyclic());
        let r1 = m.rewards();
        let r2: Vec<f64> = (0..m.graph.vertex_count())
            .map(|v| 0.5 + (v % 4) as f64)
            .collect();
        let g0 = m.graph.clone();
        for _ in 0..2 {
            let theta = m.theta();
            let mut g = g0.clone();
            g.update_weights(&theta).unwrap();
            let direct = PhaseType::new(&g).unwrap();
            let at = trace.at(&g0, &theta).unwrap();
            // the instantiated graph has exactly the weights b + c·θ
            assert_eq!(at.weights(), g.weights());
            assert_eq!(at.vertex_count(), g.vertex_count());
            let ph = at.phase_type();
            let rel = |what: &str, a: &[f64], b: &[f64]| {
                assert_eq!(a.len(), b.len(), "{what}");
                for (x, y) in a.iter().zip(b) {
                    assert!(x.is_finite(), "seed {seed} {what}: {x}");
                    assert!(
                        is_close(*x, *y, REL, 0.0),
                        "seed {seed} θ {theta:?} {what}: {x} vs {y}"
                    );
                }
            };
            for rw in [None, Some(r1.as_slice())] {
                rel(
                    "moments",
                    &ph.moments(3, rw).unwrap(),
                    &direct.moments(3, rw).unwrap(),
                );
                rel(
                    "variance",
                    &[ph.variance(rw).unwrap()],
                    &[direct.variance(rw).unwrap()],
                );
                rel(
                    "expected waiting time",
                    &ph.expected_waiting_time(rw).unwrap(),
                    &direct.expected_waiting_time(rw).unwrap(),
                );
            }
            let cov = ph.covariance(&r1, &r2).unwrap();
            rel(
                "covariance",
                &[cov],
                &[direct.covariance(&r1, &r2).unwrap()],
            );
            assert!(cov > 0.0, "seed {seed}: covariance {cov}");
            rel("sojourn", &ph.sojourn_times(), &direct.sojourn_times());
            let (pdf, cdf) = ph.pdf_cdf(&times, method).unwrap();
            let (dpdf, dcdf) = direct.pdf_cdf(&times, method).unwrap();
            for k in 0..times.len() {
                assert!(
                    (pdf[k] - dpdf[k]).abs() <= 1e-10,
                    "seed {seed} pdf({}) {} vs {}",
                    times[k],
                    pdf[k],
                    dpdf[k]
                );
                assert!(
                    (cdf[k] - dcdf[k]).abs() <= 1e-10,
                    "seed {seed} cdf({}) {} vs {}",
                    times[k],
                    cdf[k],
                    dcdf[k]
                );
            }
            // a real distribution: cdf rises from 0 (no mass at 0 here)
            assert_eq!(cdf[0], 0.0);
            assert!(cdf.windows(2).all(|w| w[0] <= w[1]) && cdf[5] > 0.0);
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
    // a trace is used with the graph it was recorded from only
    let other = random_model(7, 3).graph;
    let trace = composed(&random_model(8, 3).graph);
    let err = trace.at(&other, &[1.0, 1.0, 1.0]).unwrap_err();
    match &err {
        Error::GraphMismatch {
            what: "trace",
            expected_vertices,
            expected_edges,
            expected_param_dim: 3,
            vertices,
            edges,
            param_dim: 3,
        } => {
            assert_eq!(*expected_vertices, random_model(8, 3).graph.vertex_count());
            assert_eq!(*expected_edges, random_model(8, 3).graph.edge_count());
            assert_eq!(
                (*vertices, *edges),
                (other.vertex_count(), other.edge_count())
            );
        }
        other => panic!("expected GraphMismatch, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("a trace must be used with the graph it was made from"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// 6. Errors at θ

/// `S → a`, `a → C0` (θ₀ only); cyclic component `C0 → C1 (1)`,
/// `C0 → C2 (0.25)`, `C1 → C2 (2θ₁ only)`, `C2 → C0 (0.5)`, whose only
/// exit is `C2 → b (θ₂ only)`; `b → abs`.
struct ErrorModel {
    graph: Graph,
    a: usize,
    c: [usize; 3],
}

fn error_model() -> ErrorModel {
    let mut b = GraphBuilder::with_params(2, 3);
    let a = b.find_or_create(&[1, 0]).unwrap();
    let c = [
        b.find_or_create(&[2, 0]).unwrap(),
        b.find_or_create(&[2, 1]).unwrap(),
        b.find_or_create(&[2, 2]).unwrap(),
    ];
    let x = b.find_or_create(&[3, 0]).unwrap();
    let abs = b.find_or_create(&[0, 0]).unwrap();
    b.add_edge(START, a, 1.0).unwrap();
    b.add_param_edge(a, c[0], 0.0, &[1.0, 0.0, 0.0]).unwrap();
    b.add_param_edge(c[0], c[1], 1.0, &[0.0, 0.0, 0.0]).unwrap();
    b.add_param_edge(c[0], c[2], 0.25, &[0.0, 0.0, 0.0])
        .unwrap();
    b.add_param_edge(c[1], c[2], 0.0, &[0.0, 2.0, 0.0]).unwrap();
    b.add_param_edge(c[2], c[0], 0.5, &[0.0, 0.0, 0.0]).unwrap();
    b.add_param_edge(c[2], x, 0.0, &[0.0, 0.0, 1.0]).unwrap();
    b.add_param_edge(x, abs, 1.0, &[0.0, 0.0, 0.0]).unwrap();
    ErrorModel {
        graph: b.build(),
        a,
        c,
    }
}

/// The error of every way of evaluating `trace` at `theta`: alone, in a
/// batch (first in a chunk, and in the second chunk after good θs), and
/// through `program` and `at`.
fn errors_at(trace: &Trace, g: &Graph, theta: &[f64], good: &[f64]) -> Vec<Error> {
    let mut batch: Vec<Vec<f64>> = vec![good.to_vec(); 9];
    batch.push(theta.to_vec());
    batch.push(good.to_vec());
    vec![
        trace.expectation(theta, None).unwrap_err(),
        trace
            .expectation(theta, Some(&vec![1.0; g.vertex_count()]))
            .unwrap_err(),
        trace.expectations(&[theta.to_vec()], None).unwrap_err(),
        trace.expectations(&batch, None).unwrap_err(),
        trace.program(theta).unwrap_err(),
        trace.at(g, theta).unwrap_err(),
    ]
}

#[test]
fn errors_at_theta_name_the_vertex() {
    let em = error_model();
    let g = &em.graph;
    let good = [1.0, 1.0, 1.0];
    for options in [COMPOSED, TraceOptions::default(), MONOLITHIC] {
        let trace = Trace::record_with(g, options).unwrap();
        assert_eq!(trace.component_count(), 1);
        // the good θ works and equals the direct value
        let mut gt = g.clone();
        gt.update_weights(&good).unwrap();
        let d = PhaseType::new(&gt).unwrap().expectation(None).unwrap();
        assert!(is_close(
            trace.expectation(&good, None).unwrap(),
            d,
            REL,
            0.0
        ));

        // a single vertex whose only edge is θ₀·1
        let theta = [0.0, 1.0, 1.0];
        let want = Error::ZeroRate {
            vertex: em.a,
            state: vec![1, 0],
        };
        gt.update_weights(&theta).unwrap();
        assert_eq!(PhaseType::new(&gt).unwrap_err(), want, "direct");
        for e in errors_at(&trace, g, &theta, &good) {
            assert_eq!(e, want, "{options:?}");
        }

        // a vertex of the component whose only edge is 2θ₁
        let theta = [1.0, 0.0, 1.0];
        let want = Error::ZeroRate {
            vertex: em.c[1],
            state: vec![2, 1],
        };
        gt.update_weights(&theta).unwrap();
        assert_eq!(PhaseType::new(&gt).unwrap_err(), want, "direct");
        for e in errors_at(&trace, g, &theta, &good) {
            assert_eq!(e, want, "{options:?}");
        }

        // the component's only exit is θ₂·1: closed, rates inside positive
        let theta = [1.0, 1.0, 0.0];
        gt.update_weights(&theta).unwrap();
        assert!(matches!(
            PhaseType::new(&gt).unwrap_err(),
            Error::NoPathToAbsorption { vertex, .. } if em.c.contains(&vertex)
        ));
        for e in errors_at(&trace, g, &theta, &good) {
            match e {
                Error::NoPathToAbsorption { vertex, state } => {
                    assert!(em.c.contains(&vertex), "{options:?}: vertex {vertex}");
                    assert_eq!(state, g.state(vertex), "{options:?}");
                }
                other => panic!("{options:?}: expected NoPathToAbsorption, got {other:?}"),
            }
        }

        // θ of the wrong length
        for theta in [vec![1.0, 1.0], vec![1.0; 4], vec![]] {
            let want = Error::ParamLength {
                expected: 3,
                got: theta.len(),
            };
            for e in errors_at(&trace, g, &theta, &good) {
                assert_eq!(e, want, "{options:?}");
            }
        }
        // θ not finite
        for (index, value) in [(0, f64::NAN), (1, f64::INFINITY), (2, f64::NEG_INFINITY)] {
            let mut theta = vec![1.0; 3];
            theta[index] = value;
            for e in errors_at(&trace, g, &theta, &good) {
                match e {
                    Error::InvalidParam {
                        index: i, value: v, ..
                    } => {
                        assert_eq!(i, index);
                        assert!(v == value || (v.is_nan() && value.is_nan()));
                    }
                    other => panic!("{options:?}: expected InvalidParam, got {other:?}"),
                }
            }
        }
    }
}

/// A θ that makes a weight negative is the same named error as for the
/// graph re-weighted to θ, for a single vertex and inside a component.
#[test]
fn a_negative_weight_at_theta_names_the_edge() {
    let mut b = GraphBuilder::with_params(1, 2);
    let a = b.find_or_create(&[1]).unwrap();
    let c0 = b.find_or_create(&[2]).unwrap();
    let c1 = b.find_or_create(&[3]).unwrap();
    let x = b.find_or_create(&[4]).unwrap();
    let abs = b.find_or_create(&[0]).unwrap();
    b.add_edge(START, a, 1.0).unwrap();
    b.add_param_edge(a, c0, 2.0, &[-1.0, 0.0]).unwrap();
    b.add_param_edge(c0, c1, 1.0, &[0.0, 0.0]).unwrap();
    b.add_param_edge(c1, c0, 1.0, &[0.0, 0.0]).unwrap();
    b.add_param_edge(c1, x, 3.0, &[0.0, -1.0]).unwrap();
    b.add_param_edge(x, abs, 1.0, &[0.0, 0.0]).unwrap();
    let g = b.build();
    for options in [COMPOSED, MONOLITHIC] {
        let trace = Trace::record_with(&g, options).unwrap();
        for (theta, from, to) in [([3.0, 1.0], a, c0), ([1.0, 4.0], c1, x)] {
            let want = g.clone().update_weights(&theta).unwrap_err();
            assert!(
                matches!(want, Error::InvalidWeight { from: f, weight: -1.0, .. } if f == from)
            );
            let Error::InvalidWeight { ref to_state, .. } = want else {
                unreachable!()
            };
            assert_eq!(to_state, g.state(to));
            for e in errors_at(&trace, &g, &theta, &[1.0, 1.0]) {
                assert_eq!(e, want, "{options:?}");
            }
        }
    }
}

/// A zero rate or a closed class that the start cannot reach at θ (the
/// only way in is an edge that is zero at θ) is no error for the graph
/// re-weighted to θ: [`PhaseType::new`] succeeds and the expectation is
/// well defined. `Trace::program` is documented to equal `Program::new` on
/// that graph, so the trace must not fail either.
#[test]
fn a_bad_class_the_start_cannot_reach_at_theta_is_not_an_error() {
    // S → a → abs, and S → d with weight θ₀ only. `d`: (i) its only edge is
    // θ₀·1 (zero rate at θ₀ = 0); (ii) a cycle d ⇄ e whose only exit is
    // θ₁·1 (closed at θ₁ = 0).
    let zero_rate = {
        let mut b = GraphBuilder::with_params(1, 2);
        let a = b.find_or_create(&[1]).unwrap();
        let d = b.find_or_create(&[2]).unwrap();
        let abs = b.find_or_create(&[0]).unwrap();
        b.add_edge(START, a, 1.0).unwrap();
        b.add_param_edge(START, d, 0.0, &[1.0, 0.0]).unwrap();
        b.add_param_edge(a, abs, 2.0, &[0.0, 0.0]).unwrap();
        b.add_param_edge(d, abs, 0.0, &[1.0, 0.0]).unwrap();
        b.build()
    };
    let closed = {
        let mut b = GraphBuilder::with_params(1, 2);
        let a = b.find_or_create(&[1]).unwrap();
        let d = b.find_or_create(&[2]).unwrap();
        let e = b.find_or_create(&[3]).unwrap();
        let abs = b.find_or_create(&[0]).unwrap();
        b.add_edge(START, a, 1.0).unwrap();
        b.add_param_edge(START, d, 0.0, &[1.0, 0.0]).unwrap();
        b.add_param_edge(a, abs, 2.0, &[0.0, 0.0]).unwrap();
        b.add_param_edge(d, e, 1.0, &[0.0, 0.0]).unwrap();
        b.add_param_edge(e, d, 1.0, &[0.0, 0.0]).unwrap();
        b.add_param_edge(e, abs, 0.0, &[0.0, 1.0]).unwrap();
        b.build()
    };
    for (what, g, theta) in [
        ("zero rate", zero_rate, [0.0, 1.0]),
        ("closed class", closed, [0.0, 0.0]),
    ] {
        let mut gt = g.clone();
        gt.update_weights(&theta).unwrap();
        let direct = PhaseType::new(&gt).unwrap().expectation(None).unwrap();
        assert_eq!(direct, 0.5, "{what}: direct");
        for options in [COMPOSED, MONOLITHIC] {
            let trace = Trace::record_with(&g, options).unwrap();
            // θ away from the boundary is fine
            assert!(trace.expectation(&[1.0, 1.0], None).is_ok());
            let got = trace.expectation(&theta, None);
            assert_eq!(got, Ok(0.5), "{what} ({options:?}): expectation");
            let got = trace
                .program(&theta)
                .and_then(|p| p.expected_waiting_time(&gt, None))
                .map(|x| x[START]);
            assert_eq!(got, Ok(0.5), "{what} ({options:?}): program");
        }
    }
}

// ---------------------------------------------------------------------------
// 7. Batches are bit-identical to single evaluations

#[test]
fn batches_equal_single_evaluations_bit_for_bit() {
    let mut seed = 77;
    let mut m = loop {
        let m = random_model(seed, 3);
        if m.cyclic() >= 2 {
            break m;
        }
        seed += 1;
    };
    let g = m.graph.clone();
    let plan = Trace::plan(&g, COMPOSED).unwrap();
    assert!(plan.subproblems().len() >= 2);
    let trace = composed(&g);
    let thetas: Vec<Vec<f64>> = (0..37).map(|_| m.theta()).collect();
    let r = m.rewards();
    for rw in [None, Some(r.as_slice())] {
        let single: Vec<f64> = thetas
            .iter()
            .map(|t| trace.expectation(t, rw).unwrap())
            .collect();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (batch, shifted) = pool.install(|| {
                (
                    trace.expectations(&thetas, rw).unwrap(),
                    trace.expectations(&thetas[3..], rw).unwrap(),
                )
            });
            assert_eq!(batch.len(), 37);
            for i in 0..37 {
                assert_eq!(
                    batch[i].to_bits(),
                    single[i].to_bits(),
                    "{threads} threads, θ {i}: {} vs {}",
                    batch[i],
                    single[i]
                );
            }
            // a θ's bits do not depend on its place in a chunk
            for i in 3..37 {
                assert_eq!(shifted[i - 3].to_bits(), single[i].to_bits(), "θ {i}");
            }
        }
        // and they are the right values
        let mut gt = g.clone();
        for (t, e) in thetas.iter().zip(&single) {
            gt.update_weights(t).unwrap();
            let d = PhaseType::new(&gt).unwrap().expectation(rw).unwrap();
            assert!(is_close(*e, d, REL, 0.0), "{e} vs {d}");
        }
    }
    assert_eq!(trace.expectations(&[], None).unwrap(), Vec::<f64>::new());
}
