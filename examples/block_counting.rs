//! The block-counting coalescent (site-frequency spectrum): builds the
//! state space for `n` samples, prints its size, the expected SFS and how
//! long each step took.
//!
//! `cargo run --release --example block_counting -- 50`

use std::time::Instant;

use phasic::models::block_counting;
use phasic::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10);
    let t = Instant::now();
    let g = Graph::from_callback(block_counting, n as i32)?;
    let build = t.elapsed();
    println!(
        "n = {n}: {} vertices, {} edges, built in {:.3} s",
        g.vertex_count(),
        g.edge_count(),
        build.as_secs_f64()
    );
    let t = Instant::now();
    let ph = PhaseType::new(&g)?;
    let eliminated = t.elapsed();
    let e = ph.expectation(None)?;
    println!(
        "E[T_MRCA] = {e:.12} (closed form {:.12}) in {:.3} s ({:.3} s elimination)",
        2.0 * (1.0 - 1.0 / n as f64),
        t.elapsed().as_secs_f64(),
        eliminated.as_secs_f64()
    );
    let t = Instant::now();
    let m = ph.moments(4, None)?;
    println!("moments 1..4 = {m:?} in {:.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let sfs: Vec<f64> = (0..n - 1)
        .map(|i| {
            let r: Vec<f64> = (0..g.vertex_count())
                .map(|v| f64::from(g.state(v)[i]))
                .collect();
            ph.expectation(Some(&r))
        })
        .collect::<Result<_, _>>()?;
    println!(
        "E[xi_1..3] = {:?} (closed form 2/i) in {:.3} s",
        &sfs[..3.min(sfs.len())],
        t.elapsed().as_secs_f64()
    );
    if n <= 30 {
        let times: Vec<f64> = (1..=100).map(|k| k as f64 * 0.05).collect();
        let t = Instant::now();
        let (pdf, cdf) = ph.pdf_cdf(&times, Method::default())?;
        println!(
            "pdf/cdf at 100 points in {:.3} s: pdf(1) = {:.12}, cdf(1) = {:.12}",
            t.elapsed().as_secs_f64(),
            pdf[19],
            cdf[19]
        );
    }
    Ok(())
}
