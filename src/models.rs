//! Built-in models of `MODELS.md`, as rules over integer states.

use phasic_core::{Graph, Initial, Result};

/// Kingman coalescent (MODELS §1): state `[k]` lineages, `[k] → [k−1]` at
/// rate `k(k−1)/2`, starting from `[n]`.
///
/// ```
/// use phasic::core::{GraphView, PhaseType};
/// let g = phasic::models::kingman(5).unwrap();
/// assert_eq!(g.vertex_count(), 6);
/// let e = PhaseType::new(&g).unwrap().expectation(None).unwrap();
/// assert!((e - 1.6).abs() < 1e-14);
/// ```
pub fn kingman(n: usize) -> Result<Graph> {
    Graph::from_rule(&Initial::state(&[n as i32]), |s, out| {
        let k = s[0];
        if k > 1 {
            out.add(&[k - 1], f64::from(k) * f64::from(k - 1) / 2.0);
        }
    })
}

/// Block-counting coalescent (MODELS §2): `state[i]` counts the lineages
/// subtending `i + 1` of the `n` samples; lineages of classes `i ≤ j` merge
/// at rate `a_i·a_j` (`a_i(a_i−1)/2` when `i = j`) into class `i + j + 1`.
///
/// ```
/// use phasic::core::GraphView;
/// let g = phasic::models::block_counting(6).unwrap();
/// assert_eq!((g.vertex_count(), g.edge_count()), (12, 18));
/// ```
pub fn block_counting(n: usize) -> Result<Graph> {
    let mut initial = vec![0; n];
    if let Some(first) = initial.first_mut() {
        *first = n as i32;
    }
    let mut child = vec![0; n];
    Graph::from_rule(&Initial::state(&initial), |s, out| {
        for i in (0..n).filter(|&i| s[i] > 0) {
            for j in i..n {
                let rate = if i == j {
                    f64::from(s[i]) * f64::from(s[i] - 1) / 2.0
                } else {
                    f64::from(s[i]) * f64::from(s[j])
                };
                if rate > 0.0 {
                    child.copy_from_slice(s);
                    child[i] -= 1;
                    child[j] -= 1;
                    child[i + j + 1] += 1;
                    out.add(&child, rate);
                }
            }
        }
    })
}

/// Rabbit islands (MODELS §3): `(left, right)` rabbits, starting at
/// `(k, 0)`; a rabbit jumps at rate `jump` per occupied island, an island
/// floods at rate `flood_left` / `flood_right`.
///
/// ```
/// use phasic::core::PhaseType;
/// let g = phasic::models::rabbits(2, 1.0, 2.0, 4.0).unwrap();
/// let e = PhaseType::new(&g).unwrap().expectation(None).unwrap();
/// assert!((e - 395.0 / 784.0).abs() < 1e-14);
/// ```
pub fn rabbits(k: i32, jump: f64, flood_left: f64, flood_right: f64) -> Result<Graph> {
    Graph::from_rule(&Initial::state(&[k, 0]), |s, out| {
        let (l, r) = (s[0], s[1]);
        if l > 0 {
            out.add(&[l - 1, r + 1], jump);
            out.add(&[0, r], flood_left);
        }
        if r > 0 {
            out.add(&[l + 1, r - 1], jump);
            out.add(&[l, 0], flood_right);
        }
    })
}
