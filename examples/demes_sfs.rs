//! Expected site-frequency spectra of Demes models (examples/demes/*.yaml).
//!
//! `cargo run --release --example demes_sfs` prints the spectrum and the
//! mean time to the MRCA of each example model, with the time taken.
//! `cargo run --release --example demes_sfs -- --targets` times the
//! performance targets of the Demes issue, each case in its own process
//! (peak RSS is per process), the median of three runs:
//! * one deme, n = 30, five epochs, one of them exponential
//!   (`bottleneck.yaml`, `pop=30`);
//! * two demes, n = (4, 4), split + migration + exponential growth
//!   (`isolation_migration.yaml`, `A=4,B=4`);
//! * two demes, n = (6, 6), the same with migration (`A=6,B=6`).

use std::time::Instant;

use phasic::demes::{Model, Query, Samples};

#[path = "support/measure.rs"]
mod measure;
use measure::{median_of, peak_rss_mb, runs};

/// The example models and samples to show.
const MODELS: [(&str, &str, &str); 3] = [
    (
        "bottleneck",
        include_str!("demes/bottleneck.yaml"),
        "pop=10",
    ),
    (
        "isolation_migration",
        include_str!("demes/isolation_migration.yaml"),
        "A=3,B=3",
    ),
    ("admixture", include_str!("demes/admixture.yaml"), "B=3,C=3"),
];

/// The targets: (name, model, samples).
const TARGETS: [(&str, usize, &str); 3] = [
    ("one deme n=30, five epochs, one exponential", 0, "pop=30"),
    ("two demes (4,4), split + migration + growth", 1, "A=4,B=4"),
    ("two demes (6,6), with migration", 1, "A=6,B=6"),
];

/// Builds and evaluates one model: `key=value` figures.
fn run(model: usize, samples: &str) -> Result<String, Box<dyn std::error::Error>> {
    let t = Instant::now();
    let samples: Samples = samples.parse()?;
    let m = Model::from_yaml(MODELS[model].1, &samples)?;
    let built = t.elapsed().as_secs_f64();
    let e = m.evaluate(&Query {
        sfs: true,
        moments: 1,
        times: vec![],
    })?;
    let sfs = e.sfs.ok_or("no SFS")?;
    Ok(format!(
        "vertices={} build_s={built:.3} wall_s={:.3} peak_rss_mb={} E_T={:.6} sfs_1={:.6}",
        m.vertices(),
        t.elapsed().as_secs_f64(),
        peak_rss_mb(),
        e.moments[0],
        sfs.values()[1],
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--child") => println!("{}", run(args[1].parse()?, &args[2])?),
        Some("--targets") => {
            for (name, model, samples) in TARGETS {
                let lines = runs(&[model.to_string(), samples.to_string()], 3)?;
                println!(
                    "{name}: median wall {:.3} s, median peak RSS {:.0} MB; {}",
                    median_of(&lines, "wall_s"),
                    median_of(&lines, "peak_rss_mb"),
                    lines[0]
                );
            }
        }
        _ => {
            for (name, yaml, samples) in MODELS {
                let t = Instant::now();
                let m = Model::from_yaml(yaml, &samples.parse()?)?;
                let e = m.evaluate(&Query {
                    sfs: true,
                    moments: 1,
                    times: vec![],
                })?;
                let sfs = e.sfs.ok_or("no SFS")?;
                println!(
                    "{name} ({samples}): E[T_MRCA] = {:.2} generations, {} vertices over {} intervals, {:.3} s",
                    e.moments[0],
                    m.vertices(),
                    m.intervals().len(),
                    t.elapsed().as_secs_f64()
                );
                println!(
                    "  SFS (shape {:?}, row-major): {:.1?}",
                    sfs.shape(),
                    sfs.values()
                );
            }
        }
    }
    Ok(())
}
