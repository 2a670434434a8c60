//! The exact derivatives of the expected SFS (`Model::sfs_gradient`)
//! against fourth-order central differences of the SFS computed from
//! scratch, for every kind of parameter: constant sizes, the sizes of an
//! exponential epoch, epoch end times, a deme's start time, a migration
//! rate, a pulse's proportion and its time.

use phasic::demes::{DemesError, Model, Samples, Spectrum};

/// `∂ sfs/∂θ_k` by `(−f(2ε) + 8f(ε) − 8f(−ε) + f(−2ε))/(12ε)`, from fresh models.
fn differences(
    graph: &impl Fn(&[f64]) -> Result<demes::Graph, DemesError>,
    samples: &Samples,
    theta: &[f64],
    k: usize,
    relative: f64,
) -> Vec<f64> {
    let eps = relative * theta[k].abs();
    let sfs = |by: f64| -> Vec<f64> {
        let mut t = theta.to_vec();
        t[k] += by;
        let model = Model::new(graph(&t).unwrap(), samples, &Default::default()).unwrap();
        model.sfs().unwrap().values().to_vec()
    };
    let (a, b, c, d) = (sfs(2.0 * eps), sfs(eps), sfs(-eps), sfs(-2.0 * eps));
    (0..a.len())
        .map(|i| (-a[i] + 8.0 * b[i] - 8.0 * c[i] + d[i]) / (12.0 * eps))
        .collect()
}

/// Checks every derivative against the differences, relative to the
/// largest derivative of the SFS by that parameter, and returns the
/// spectrum.
fn check(
    graph: impl Fn(&[f64]) -> Result<demes::Graph, DemesError>,
    samples: &str,
    theta: &[f64],
    tol: f64,
    relative: f64,
) -> Spectrum {
    let samples: Samples = samples.parse().unwrap();
    let model = Model::new(graph(theta).unwrap(), &samples, &Default::default()).unwrap();
    let (sfs, d) = model.sfs_gradient(theta, &graph).unwrap();
    let fresh = model.sfs().unwrap();
    for (x, y) in sfs.values().iter().zip(fresh.values()) {
        assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{x} vs {y}");
    }
    for (k, dk) in d.iter().enumerate() {
        let want = differences(&graph, &samples, theta, k, relative);
        let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        assert!(scale > 0.0, "parameter {k} does not move the SFS");
        for (i, (got, w)) in dk.values().iter().zip(&want).enumerate() {
            assert!(
                (got - w).abs() <= tol * scale,
                "parameter {k}, entry {i}: exact {got:e}, differences {w:e} (scale {scale:e})"
            );
        }
    }
    sfs
}

fn load(yaml: String) -> Result<demes::Graph, DemesError> {
    Ok(demes::loads(&yaml)?)
}

/// A bottleneck: its size and both its times.
#[test]
fn bottleneck_size_and_times() {
    let graph = |t: &[f64]| {
        load(format!(
            "time_units: generations
demes:
  - name: A
    epochs:
      - {{start_size: 10000, end_time: {}}}
      - {{start_size: {}, end_time: {}}}
      - {{start_size: 10000}}
",
            t[2], t[0], t[1]
        ))
    };
    check(graph, "A=8", &[1500.0, 800.0, 3000.0], 1e-9, 1e-3);
}

/// Exponential growth: the sizes at both ends and the time it starts.
#[test]
fn exponential_growth() {
    let graph = |t: &[f64]| {
        load(format!(
            "time_units: generations
demes:
  - name: A
    epochs:
      - {{start_size: 5000, end_time: {}}}
      - {{start_size: {}, end_size: {}, end_time: 0}}
",
            t[2], t[0], t[1]
        ))
    };
    check(graph, "A=6", &[5000.0, 40000.0, 1200.0], 1e-6, 1e-3);
}

/// Two demes split from an ancestor, with migration between them and a
/// pulse: the split time (the demes' start time), the migration rate, the
/// pulse's proportion and time, and a size.
#[test]
fn split_with_migration_and_a_pulse() {
    let graph = |t: &[f64]| {
        load(format!(
            "time_units: generations
demes:
  - name: X
    epochs:
      - {{start_size: 8000, end_time: {split}}}
  - name: A
    ancestors: [X]
    epochs:
      - {{start_size: {size}}}
  - name: B
    ancestors: [X]
    epochs:
      - {{start_size: 4000}}
migrations:
  - {{demes: [A, B], rate: {m}}}
pulses:
  - {{sources: [A], dest: B, time: {pt}, proportions: [{pp}]}}
",
            split = t[0],
            m = t[1],
            pp = t[2],
            pt = t[3],
            size = t[4],
        ))
    };
    check(
        graph,
        "A=2,B=2",
        &[3000.0, 2e-4, 0.2, 700.0, 6000.0],
        1e-9,
        1e-3,
    );
}

/// A deme founded by two ancestors in given proportions, with a linear
/// size change: the ancestry proportion, the founding time and both ends
/// of the linear epoch.
#[test]
fn admixed_founding_and_linear_growth() {
    let graph = |t: &[f64]| {
        load(format!(
            "time_units: generations
demes:
  - name: X
    epochs:
      - {{start_size: 6000}}
  - name: Y
    epochs:
      - {{start_size: 3000}}
  - name: C
    ancestors: [X, Y]
    proportions: [{p}, {q}]
    start_time: {t}
    epochs:
      - {{start_size: {n0}, end_size: {n1}, size_function: linear}}
migrations:
  - {{source: X, dest: Y, rate: 5e-4}}
",
            p = t[0],
            q = 1.0 - t[0],
            t = t[1],
            n0 = t[2],
            n1 = t[3],
        ))
    };
    check(graph, "C=4", &[0.3, 900.0, 2000.0, 7000.0], 1e-6, 1e-3);
}
