//! The plain data of a program (`Program::to_parts`, `Program::from_parts`,
//! what the program cache stores): read back, a program runs bit for bit
//! as the one it was taken from, on random graphs, with every solver and
//! from a trace; inconsistent parts are refused with `Error::Decode`, and
//! damaged parts never make either the check or an accepted program's runs
//! panic.

mod common;

use std::borrow::Cow;

use common::config;
use common::random_graph::RandomGraph;
use phasic_core::elimination::{
    AcyclicParts, CommandParts, CsrParts, Program, ProgramParts, SCALING, Solver,
};
use phasic_core::trace::Trace;
use phasic_core::{Error, Graph, GraphView, Initial, PhaseType, PhaseTypeDistribution};
use proptest::prelude::*;
use proptest::sample::Index;

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// Every kind of run of `p` on `g`, as bits (errors as text).
fn runs(p: &Program, g: &Graph, rewards: &[f64]) -> Vec<Result<Vec<u64>, String>> {
    let r: Vec<f64> = (0..g.vertex_count())
        .map(|v| rewards[v % rewards.len()])
        .collect();
    let ph = PhaseType::with_program(g, p.clone());
    vec![
        p.expected_waiting_time(g, None).map(|x| bits(&x)),
        p.expected_waiting_time(g, Some(&r)).map(|x| bits(&x)),
        p.sojourn_times(g).map(|x| bits(&x)),
        ph.and_then(|ph| ph.moments(3, Some(&r))).map(|x| bits(&x)),
    ]
    .into_iter()
    .map(|x| x.map_err(|e| e.to_string()))
    .collect()
}

/// Parts that own every array, to be damaged.
fn owned(p: ProgramParts<'_>) -> ProgramParts<'static> {
    fn own<T: Clone>(c: Cow<'_, [T]>) -> Cow<'static, [T]> {
        Cow::Owned(c.into_owned())
    }
    fn csr(c: CsrParts<'_>) -> CsrParts<'static> {
        CsrParts {
            offsets: own(c.offsets),
            targets: own(c.targets),
            values: own(c.values),
        }
    }
    ProgramParts {
        vertices: p.vertices,
        edges: p.edges,
        order: own(p.order),
        scale: own(p.scale),
        commands: CommandParts {
            targets: own(p.commands.targets),
            sources: own(p.commands.sources),
            multipliers: own(p.commands.multipliers),
        },
        acyclic: match p.acyclic {
            AcyclicParts::Graph { inv_rate } => AcyclicParts::Graph {
                inv_rate: own(inv_rate),
            },
            AcyclicParts::Explicit(c) => AcyclicParts::Explicit(csr(c)),
        },
        segments: own(p.segments),
        exits: csr(p.exits),
        blocks: own(p.blocks),
        block_edges: csr(p.block_edges),
    }
}

fn solver() -> impl Strategy<Value = Solver> {
    prop_oneof![
        Just(Solver::Auto),
        Just(Solver::Elimination),
        Just(Solver::Iterative)
    ]
}

proptest! {
    #![proptest_config(config(200))]
    #[test]
    fn programs_read_back_run_bit_for_bit(
        spec in RandomGraph::constant(30),
        rewards in proptest::collection::vec(0.0f64..3.0, 1..16),
        solver in solver(),
    ) {
        let g = spec.graph();
        let Ok(p) = Program::with_solver(&g, solver) else {
            return Ok(());
        };
        let parts = p.to_parts();
        let back = Program::from_parts(parts.clone()).unwrap();
        prop_assert_eq!(back.to_parts(), parts.clone());
        let owned_back = Program::from_parts(owned(parts)).unwrap();
        let want = runs(&p, &g, &rewards);
        prop_assert_eq!(runs(&back, &g, &rewards), want.clone());
        prop_assert_eq!(runs(&owned_back, &g, &rewards), want);
    }

    #[test]
    fn programs_of_a_trace_read_back_run_bit_for_bit(
        spec in RandomGraph::parameterized(vec![1, 2], false),
        t in proptest::collection::vec(0.3f64..2.5, 2),
    ) {
        let mut g = spec.graph();
        let theta = &t[..g.param_dim()];
        let Ok(trace) = Trace::record(&g) else {
            return Ok(());
        };
        let Ok(p) = trace.program(theta) else {
            return Ok(());
        };
        g.update_weights(theta).unwrap();
        let back = Program::from_parts(p.to_parts()).unwrap();
        prop_assert_eq!(runs(&back, &g, &[1.0, 2.0]), runs(&p, &g, &[1.0, 2.0]));
    }
}

/// A 4 × 4 grid walk with exits on the border: one cyclic component of 16
/// vertices (segments, exits, fill) between the start and absorption.
fn grid() -> Graph {
    Graph::from_rule(&Initial::state(&[0, 0]), |s, out| {
        let (x, y) = (s[0], s[1]);
        if x < 0 {
            return;
        }
        for (dx, dy, rate) in [(1, 0, 1.0), (-1, 0, 2.0), (0, 1, 0.5), (0, -1, 1.5)] {
            let (a, b) = (x + dx, y + dy);
            if (0..4).contains(&a) && (0..4).contains(&b) {
                out.add(&[a, b], rate);
            } else {
                out.add(&[-1, -1], rate / 4.0);
            }
        }
    })
    .unwrap()
}

/// A Kingman coalescent, vertices numbered topologically: the program
/// reads its acyclic graph from the graph.
fn kingman() -> Graph {
    Graph::from_rule(&Initial::state(&[6]), |s, out| {
        if s[0] > 1 {
            out.add(&[s[0] - 1], f64::from(s[0] * (s[0] - 1)) / 2.0)
        }
    })
    .unwrap()
}

/// The explicit acyclic graph of `p`.
fn explicit<'p>(p: &'p mut ProgramParts<'static>) -> &'p mut CsrParts<'static> {
    match &mut p.acyclic {
        AcyclicParts::Explicit(c) => c,
        AcyclicParts::Graph { .. } => panic!("the program reads its graph"),
    }
}

/// `from_parts` of `parts` changed by `damage` is refused with a reason
/// containing `why`.
#[track_caller]
fn refused(g: &Graph, damage: impl FnOnce(&mut ProgramParts<'static>), why: &str) {
    let mut parts = owned(Program::new(g).unwrap().to_parts());
    damage(&mut parts);
    match Program::from_parts(parts) {
        Err(Error::Decode {
            what: "program",
            reason,
        }) => {
            assert!(reason.contains(why), "refused for `{reason}`, not `{why}`")
        }
        other => panic!("accepted or other error ({why}): {other:?}"),
    }
}

#[test]
fn the_grid_has_what_the_checks_need() {
    let program = Program::new(&grid()).unwrap();
    let p = program.to_parts();
    assert_eq!(p.segments.len(), 1);
    assert!(p.commands.targets.len() > 16 && p.commands.sources.contains(&SCALING));
    assert!(!p.exits.targets.is_empty());
    assert!(matches!(p.acyclic, AcyclicParts::Explicit(_)));
    assert!(matches!(
        Program::new(&kingman()).unwrap().to_parts().acyclic,
        AcyclicParts::Graph { .. }
    ));
}

#[test]
fn inconsistent_parts_are_refused_by_name() {
    let (g, k) = (&grid(), &kingman());
    let v = |p: &ProgramParts| p.vertices;
    refused(g, |p| p.vertices = 0, "0 vertices");
    refused(g, |p| p.vertices = 1 << 40, "vertices");
    refused(g, |p| p.order.to_mut()[1] = p.order[0], "two positions");
    refused(
        g,
        |p| p.order.to_mut()[2] = v(p) as u32,
        "position 2 is vertex",
    );
    refused(
        g,
        |p| {
            let start = p.order.iter().position(|&v| v == 0).unwrap();
            p.order.to_mut().remove(start);
        },
        "the start vertex has no position",
    );
    refused(
        g,
        |p| {
            p.scale.to_mut().pop();
        },
        "scale factors",
    );
    refused(
        g,
        |p| {
            p.commands.sources.to_mut().pop();
        },
        "command targets",
    );
    refused(
        g,
        |p| p.commands.targets.to_mut()[0] = 999,
        "command 0 reads",
    );
    refused(
        g,
        |p| p.commands.sources.to_mut()[0] = 999,
        "command 0 reads",
    );
    refused(
        g,
        |p| explicit(p).offsets.to_mut()[1] = 999,
        "acyclic graph: offsets",
    );
    refused(
        g,
        |p| {
            explicit(p).values.to_mut().pop();
        },
        "acyclic graph:",
    );
    refused(
        g,
        |p| explicit(p).targets.to_mut()[0] = 999,
        "acyclic graph: target 999",
    );
    refused(
        g,
        |p| {
            let c = explicit(p);
            let row = c.offsets.windows(2).rposition(|w| w[1] > w[0]).unwrap();
            let at = c.offsets[row] as usize;
            c.targets.to_mut()[at] = row as u32;
        },
        "an edge back",
    );
    refused(g, |p| p.segments.to_mut()[0][1] = 999, "segment");
    refused(
        g,
        |p| p.segments.to_mut()[0][1] = p.segments[0][0],
        "segment",
    );
    refused(g, |p| p.segments.to_mut()[0][2] = 1, "has commands 1..");
    refused(g, |p| p.segments.to_mut()[0][3] -= 1, "the segments cover");
    refused(
        g,
        |p| {
            let s = p.segments.to_mut();
            s[0][1] -= 1;
        },
        "outside it",
    );
    refused(
        g,
        |p| {
            let s = p.segments[0];
            p.blocks = Cow::Owned(vec![[s[0], s[0] + 1]]);
            let rows = p.block_edges.offsets.to_mut();
            rows.push(0);
        },
        "both a segment and a block",
    );
    refused(
        g,
        |p| {
            p.exits.offsets.to_mut().pop();
        },
        "exits",
    );
    refused(
        g,
        |p| {
            let row = p
                .exits
                .offsets
                .windows(2)
                .position(|w| w[1] > w[0])
                .unwrap();
            let at = p.exits.offsets[row] as usize;
            p.exits.targets.to_mut()[at] = 0;
        },
        "exits: position",
    );
    refused(g, |p| p.block_edges.targets.to_mut().push(0), "block edges");
    refused(k, |p| p.order.to_mut().swap(1, 2), "its own position");
    refused(
        k,
        |p| {
            p.commands.targets.to_mut().push(1);
            p.commands.sources.to_mut().push(SCALING);
            p.commands.multipliers.to_mut().push(1.0);
        },
        "no commands",
    );
}

/// One damage to the parts: `field` picks an array or count, `at` an
/// entry, `value` what is written there (or, for `cut`, where the array
/// is cut).
fn damage(p: &mut ProgramParts<'static>, field: u8, at: Index, value: u64, cut: bool) {
    fn hit<T: Clone>(a: &mut Cow<'static, [T]>, at: Index, value: T, cut: bool) {
        let v = a.to_mut();
        if cut {
            v.truncate(at.index(v.len() + 1));
        } else if !v.is_empty() {
            let i = at.index(v.len());
            v[i] = value;
        }
    }
    let (u, f) = (value as u32, f64::from_bits(value));
    match field % 17 {
        0 => p.vertices = value,
        1 => p.edges = value,
        2 => hit(&mut p.order, at, u, cut),
        3 => hit(&mut p.scale, at, f, cut),
        4 => hit(&mut p.commands.targets, at, u, cut),
        5 => hit(&mut p.commands.sources, at, u, cut),
        6 => hit(&mut p.commands.multipliers, at, f, cut),
        7 => match &mut p.acyclic {
            AcyclicParts::Graph { inv_rate } => hit(inv_rate, at, f, cut),
            AcyclicParts::Explicit(c) => hit(&mut c.values, at, f, cut),
        },
        8 | 9 => {
            if let AcyclicParts::Explicit(c) = &mut p.acyclic {
                if field % 17 == 8 {
                    hit(&mut c.offsets, at, value, cut)
                } else {
                    hit(&mut c.targets, at, u, cut)
                }
            }
        }
        10 => {
            let s = p.segments.to_mut();
            if !s.is_empty() {
                let i = at.index(s.len());
                s[i][(value % 4) as usize] = value >> 2;
            }
        }
        11 => hit(&mut p.exits.offsets, at, value, cut),
        12 => hit(&mut p.exits.targets, at, u, cut),
        13 => p.blocks.to_mut().push([value % 64, (value >> 6) % 64]),
        14 => hit(&mut p.block_edges.offsets, at, value, cut),
        15 => hit(&mut p.block_edges.targets, at, u, cut),
        _ => hit(&mut p.exits.values, at, f, cut),
    }
}

proptest! {
    #![proptest_config(config(400))]
    #[test]
    fn damaged_parts_never_panic(
        spec in RandomGraph::constant(20),
        solver in solver(),
        damages in proptest::collection::vec(
            (any::<u8>(), any::<Index>(), prop_oneof![0u64..80, any::<u64>()], any::<bool>()),
            1..4,
        ),
    ) {
        let g = spec.graph();
        let Ok(p) = Program::with_solver(&g, solver) else {
            return Ok(());
        };
        let mut parts = owned(p.to_parts());
        for (field, at, value, cut) in damages {
            damage(&mut parts, field, at, value, cut);
        }
        match Program::from_parts(parts) {
            Ok(q) => drop(runs(&q, &g, &[1.0, 0.5])),
            Err(e) => prop_assert!(matches!(e, Error::Decode { what: "program", .. }), "{e}"),
        }
    }
}
