//! A mistake inside a `#[phasic::pure]` helper is described as one.

#[phasic::pure]
fn rate(n: i32) -> f64 {
    let scale: f64 = std::env::var("SCALE").map(|s| s.parse().unwrap()).unwrap_or(1.0);
    f64::from(n) * scale
}

fn main() {
    let _ = rate(3);
}
