//! How far the cyclic models scale: wall time and peak memory of whole
//! runs, each in its own process (peak RSS is per process), as the median
//! of a few repeats.
//!
//! Cases (defaults in brackets):
//! * `im S` — isolation with migration, S + S samples, m = 0.5 each way:
//!   build, eliminate, two moments (what `phasic model isolation_migration
//!   --set n1=S --set n2=S --moments 2 --cache off` does) [S = 6, 7, 8];
//! * `bc N` — block counting, N samples: build and expectation [50, 60];
//! * `trace S` — the component traces of IM(S, S) (θ-parameterized): plan,
//!   record every subproblem, and the bytes they take encoded [6, 7];
//! * `grid L` — a random walk on an L × L grid, absorbed at its border:
//!   one cyclic component of L² vertices; the expected time by elimination
//!   and by the iterative solve, each timed (the crossover of `Solver::Auto`).
//!
//! `cargo run --release --example scale` runs the defaults, three repeats
//! each; `cargo run --release --example scale -- --repeats 1 im 9` runs one
//! case.

use std::time::Instant;

#[path = "support/measure.rs"]
mod measure;
use measure::{median_of, peak_rss_mb, runs};

use phasic::core::elimination::{Program, Solver};
use phasic::core::trace::{ComponentTrace, Trace, TraceOptions};
use phasic::models::{Demes, block_counting, isolation_migration, isolation_migration_theta};
use phasic::prelude::*;

/// One run of one case in this process: its figures as `key=value` pairs.
fn run_case(case: &str, size: i32) -> Result<String, Box<dyn std::error::Error>> {
    let t = Instant::now();
    let out = match case {
        "im" => {
            let d = Demes {
                p1: 1.0,
                p2: 1.0,
                m12: 0.5,
                m21: 0.5,
            };
            let g = Graph::from_callback(isolation_migration, (size, size, d))?;
            let built = t.elapsed().as_secs_f64();
            let m = PhaseType::new(&g)?.moments(2, None)?;
            format!(
                "vertices={} edges={} build_s={built:.3} E={:.15} E2={:.15}",
                g.vertex_count(),
                g.edge_count(),
                m[0],
                m[1]
            )
        }
        "bc" => {
            let g = Graph::from_callback(block_counting, size)?;
            let built = t.elapsed().as_secs_f64();
            let e = PhaseType::new(&g)?.expectation(None)?;
            format!(
                "vertices={} edges={} build_s={built:.3} E={e:.15}",
                g.vertex_count(),
                g.edge_count()
            )
        }
        "trace" => {
            let g = Graph::from_callback(isolation_migration_theta, (size, size))?;
            let built = t.elapsed().as_secs_f64();
            let plan = Trace::plan(&g, TraceOptions::default())?;
            let mut bytes = 0;
            let mut traces = Vec::new();
            for sub in plan.subproblems() {
                let trace = ComponentTrace::record(sub)?;
                bytes += trace.encode().len();
                traces.push(std::sync::Arc::new(trace));
            }
            let trace = plan.complete(traces)?;
            let e = trace.expectations(&[vec![1.0, 0.5, 0.5]], None)?;
            format!(
                "vertices={} build_s={built:.3} components={} trace_bytes={bytes} E={:.15}",
                g.vertex_count(),
                trace.component_count(),
                e[0]
            )
        }
        "grid" => {
            let l = size;
            let g = Graph::from_rule(&Initial::state(&[l / 2, l / 2]), |s, out| {
                let (i, j) = (s[0], s[1]);
                if (1..l - 1).contains(&i) && (1..l - 1).contains(&j) {
                    for (di, dj) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
                        out.add(&[i + di, j + dj], 1.0);
                    }
                }
            })?;
            let mut times = Vec::new();
            let mut values = Vec::new();
            for solver in [Solver::Elimination, Solver::Iterative] {
                let t = Instant::now();
                let p = Program::with_solver(&g, solver)?;
                values.push(p.expected_waiting_time(&g, None)?[0]);
                times.push(t.elapsed().as_secs_f64());
            }
            format!(
                "vertices={} elimination_s={:.3} iterative_s={:.3} E={:.15} relative_difference={:.1e}",
                g.vertex_count(),
                times[0],
                times[1],
                values[0],
                (values[1] - values[0]).abs() / values[0]
            )
        }
        _ => return Err(format!("unknown case `{case}` (im, bc, trace, grid)").into()),
    };
    Ok(format!(
        "{out} wall_s={:.3} peak_rss_mb={}",
        t.elapsed().as_secs_f64(),
        peak_rss_mb()
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        println!("{}", run_case(&args[1], args[2].parse()?)?);
        return Ok(());
    }
    let mut repeats = 3;
    if args.first().map(String::as_str) == Some("--repeats") {
        repeats = args[1].parse()?;
        args.drain(..2);
    }
    let cases: Vec<(String, i32)> = if args.is_empty() {
        [
            ("im", 6),
            ("im", 7),
            ("im", 8),
            ("bc", 50),
            ("bc", 60),
            ("trace", 6),
            ("trace", 7),
        ]
        .iter()
        .map(|&(c, s)| (c.to_string(), s))
        .collect()
    } else {
        vec![(args[0].clone(), args[1].parse()?)]
    };
    for (case, size) in cases {
        let lines = runs(&[case.clone(), size.to_string()], repeats)?;
        println!(
            "{case} {size}: median wall {:.2} s, median peak RSS {:.0} MB over {repeats} run(s); {}",
            median_of(&lines, "wall_s"),
            median_of(&lines, "peak_rss_mb"),
            lines[0]
        );
    }
    Ok(())
}
