//! Writing your own model with `#[phasic::callback]`: declared consts, a
//! pure helper and a parameter struct.
//!
//! `cargo run --example own_model`

use phasic::prelude::*;

/// Migration rate between the two islands (a declared const: keyed by value).
const MIGRATION: f64 = 0.5;

/// Pair coalescence rate among `k` lineages.
#[phasic::pure]
fn pairs(k: i32) -> f64 {
    f64::from(k) * f64::from(k - 1) / 2.0
}

/// Parameters of the model, keyed field by field.
#[derive(phasic::Key, Clone, Debug)]
struct Islands {
    /// Relative size of island 2.
    size2: f64,
}

/// Two islands; state = (lineages in island 1, lineages in island 2).
#[phasic::callback(initial = [n, 0], consts(MIGRATION), helpers(pairs))]
fn two_islands(state: &[i32], out: &mut Transitions, n: i32, p: &Islands) {
    let (a, b) = (state[0], state[1]);
    if a + b <= 1 {
        return;
    }
    if a >= 2 {
        out.add(&[a - 1, b], pairs(a));
    }
    if b >= 2 {
        out.add(&[a, b - 1], pairs(b) / p.size2);
    }
    if a >= 1 {
        out.add(&[a - 1, b + 1], MIGRATION * f64::from(a));
    }
    if b >= 1 {
        out.add(&[a + 1, b - 1], MIGRATION * f64::from(b));
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let params = (3, Islands { size2: 2.0 });
    let key = two_islands.key(&params);
    let graph = Graph::from_callback(two_islands, params)?;
    let ph = PhaseType::new(&graph)?;
    println!("key {key}");
    println!(
        "{} vertices, E[T_MRCA] = {:.6}, Var = {:.6}",
        graph.vertex_count(),
        ph.expectation(None)?,
        ph.variance(None)?
    );
    Ok(())
}
