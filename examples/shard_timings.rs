//! Sharded trace computation on this machine: the isolation-with-migration
//! model's subproblems computed in process (rayon threads), by two local
//! worker processes, and by a SLURM job array (when `sbatch` is on PATH),
//! each on an empty trace store; prints wall times, the overhead per unit
//! against the in-process run, and checks that every way gives the same
//! expectation, bit for bit.
//!
//! ```sh
//! cargo build --release            # the `phasic` binary the workers run
//! cargo run --release --example shard_timings -- 6   # n1 = n2 = 6
//! ```

use std::path::PathBuf;
use std::time::Instant;

use phasic::cache::{
    CacheMode, CacheOptions, Executor, Processes, ShardOptions, Slurm, Threads, sharded_trace,
};
use phasic::core::trace::TraceOptions;
use phasic::models::isolation_migration_theta;
use phasic::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: i32 = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(5);
    let g = Graph::from_callback(isolation_migration_theta, (n, n))?;
    let theta = [1.0, 0.5, 0.5];
    let options = TraceOptions { min_subproblem: 2 };
    // target/release/examples/shard_timings → target/release/phasic
    let exe: PathBuf = std::env::current_exe()?
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("phasic"))
        .ok_or("cannot locate the phasic binary")?;
    if !exe.is_file() {
        return Err(format!(
            "{} not found: run `cargo build --release` first",
            exe.display()
        )
        .into());
    }
    let mut executors: Vec<Box<dyn Executor>> = vec![
        Box::new(Threads),
        Box::new(Processes {
            n: 2,
            exe: exe.clone(),
        }),
    ];
    let has_sbatch = std::process::Command::new("sbatch")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if has_sbatch {
        executors.push(Box::new(Slurm {
            exe,
            max_tasks: 2,
            ..Slurm::default()
        }));
    } else {
        println!("sbatch not on PATH: no SLURM run");
    }
    println!(
        "isolation with migration, n1 = n2 = {n}: {} vertices, {} edges",
        g.vertex_count(),
        g.edge_count()
    );
    let mut reference: Option<(f64, f64)> = None;
    for executor in &executors {
        let root = tempfile::tempdir()?;
        let cache = CacheOptions {
            mode: CacheMode::ReadWrite,
            root: Some(root.path().to_path_buf()),
        };
        let t = Instant::now();
        let (trace, report) = sharded_trace(
            &g,
            &cache,
            options,
            &ShardOptions::default(),
            executor.as_ref(),
            &|_, _| {},
        )?;
        let wall = t.elapsed().as_secs_f64();
        let e = trace.expectation(&theta, None)?;
        let per_unit = reference
            .map(|(w, _)| {
                format!(
                    "{:+.2} ms per unit vs in-process",
                    (wall - w) * 1e3 / report.units as f64
                )
            })
            .unwrap_or_default();
        println!(
            "{:>22}: {} units, {} attempt(s), {wall:.3} s wall ({:.3} s running units) {per_unit}; E[T] = {e}",
            executor.describe(),
            report.units,
            report.attempts,
            report.seconds,
        );
        match reference {
            None => reference = Some((wall, e)),
            Some((_, r)) if r.to_bits() != e.to_bits() => {
                return Err(format!("{} gives {e}, in-process {r}", executor.describe()).into());
            }
            Some(_) => {}
        }
    }
    Ok(())
}
