//! Conversion between graphs and `(α, S)` / `(α, T)` matrices
//! (docs/ALGORITHMS.md §1.7).

use crate::error::{Error, Result};
use crate::graph::builder::GraphBuilder;
use crate::graph::csr::{Graph, START};
use crate::graph::view::GraphView;

/// Relative slack on row sums (round-off in user matrices).
const ROW_SLACK: f64 = 1e-12;

/// The matrix form of a graph's transient part.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrices {
    /// Initial probabilities of the transient vertices.
    pub alpha: Vec<f64>,
    /// Sub-intensity matrix `S` (continuous) or sub-transition matrix `T` (discrete).
    pub matrix: Vec<Vec<f64>>,
    /// The graph vertex of every row, in increasing vertex order.
    pub vertices: Vec<usize>,
}

fn err<T>(msg: String) -> Result<T> {
    Err(Error::Matrix(msg))
}

fn check_alpha(alpha: &[f64], m: usize, name: &str) -> Result<f64> {
    if alpha.len() != m {
        return err(format!(
            "alpha has length {} but {name} has {m} rows",
            alpha.len()
        ));
    }
    for (i, &a) in alpha.iter().enumerate() {
        if !(0.0..=1.0).contains(&a) {
            return err(format!("alpha[{i}] = {a} is outside [0, 1]"));
        }
    }
    let sum: f64 = alpha.iter().sum();
    if sum > 1.0 + 1e-9 {
        return err(format!("alpha sums to {sum}, above 1"));
    }
    Ok((1.0 - sum).max(0.0))
}

/// Builds a graph from rows given as `(off-diagonal entries, exit weight)`.
fn assemble(
    alpha: &[f64],
    defect: f64,
    rows: &[Vec<f64>],
    exits: &[f64],
    name: &str,
) -> Result<Graph> {
    let m = rows.len();
    let mut b = GraphBuilder::new(1);
    for i in 0..m {
        b.find_or_create(&[i as i32 + 1])?;
    }
    let absorbing = b.find_or_create(&[0])?;
    for (i, &a) in alpha.iter().enumerate() {
        if a > 0.0 {
            b.add_edge(START, i + 1, a)?;
        }
    }
    if defect > 1e-12 {
        b.add_edge(START, absorbing, defect)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let leaves = exits[i] > 0.0 || row.iter().enumerate().any(|(j, &x)| j != i && x > 0.0);
        if !leaves {
            return err(format!(
                "row {i} of {name} has no outgoing rate or probability: the state is never left, so the chain would never be absorbed"
            ));
        }
        for (j, &x) in row.iter().enumerate() {
            if j != i && x > 0.0 {
                b.add_edge(i + 1, j + 1, x)?;
            }
        }
        if exits[i] > 0.0 {
            b.add_edge(i + 1, absorbing, exits[i])?;
        }
    }
    Ok(b.build())
}

fn check_square(rows: &[Vec<f64>], name: &str) -> Result<()> {
    let m = rows.len();
    for (i, row) in rows.iter().enumerate() {
        if row.len() != m {
            return err(format!(
                "row {i} of {name} has {} entries, expected {m} (the matrix must be square)",
                row.len()
            ));
        }
        if let Some(j) = row.iter().position(|x| !x.is_finite()) {
            return err(format!(
                "{name}[{i}][{j}] = {} is not a finite number",
                row[j]
            ));
        }
    }
    Ok(())
}

impl Graph {
    /// A continuous graph from an initial vector and a sub-intensity matrix.
    ///
    /// Row `i` becomes vertex `i + 1` with state `[i + 1]`; one absorbing
    /// vertex (state `[0]`) receives the exit rates `−Σ_j S[i][j]`; an
    /// initial vector summing below 1 gets a defect edge.
    ///
    /// ```
    /// use phasic_core::{Graph, PhaseType, PhaseTypeDistribution};
    /// let g = Graph::from_matrices(&[1.0, 0.0], &[vec![-4.0, 4.0], vec![0.0, -10.0]]).unwrap();
    /// let m = PhaseType::new(&g).unwrap().moments(2, None).unwrap();
    /// assert!((m[0] - 0.35).abs() < 1e-15);
    /// assert!(Graph::from_matrices(&[1.0], &[vec![-1.0], vec![0.0]]).is_err());
    /// // a state that is never left would never be absorbed
    /// assert!(Graph::from_matrices(&[1.0, 0.0], &[vec![-1.0, 1.0], vec![0.0, 0.0]]).is_err());
    /// ```
    pub fn from_matrices(alpha: &[f64], s: &[Vec<f64>]) -> Result<Graph> {
        check_square(s, "S")?;
        let defect = check_alpha(alpha, s.len(), "S")?;
        let mut exits = Vec::with_capacity(s.len());
        for (i, row) in s.iter().enumerate() {
            for (j, &x) in row.iter().enumerate() {
                if j != i && x < 0.0 {
                    return err(format!(
                        "S[{i}][{j}] = {x}: off-diagonal rates must be non-negative"
                    ));
                }
            }
            let sum: f64 = row.iter().sum();
            let scale: f64 = row.iter().map(|x| x.abs()).sum();
            if sum > ROW_SLACK * scale {
                return err(format!("row {i} of S sums to {sum}, above 0"));
            }
            exits.push((-sum).max(0.0));
        }
        assemble(alpha, defect, s, &exits, "S")
    }

    /// A discrete graph from an initial vector and a sub-transition matrix
    /// (the diagonal is each state's self-loop probability).
    ///
    /// ```
    /// use phasic_core::{DiscretePhaseType, Graph, PhaseTypeDistribution};
    /// let g = Graph::from_discrete_matrices(&[1.0], &[vec![0.75]]).unwrap();
    /// assert_eq!(DiscretePhaseType::new(&g).unwrap().expectation(None).unwrap(), 4.0);
    /// ```
    pub fn from_discrete_matrices(alpha: &[f64], t: &[Vec<f64>]) -> Result<Graph> {
        check_square(t, "T")?;
        let defect = check_alpha(alpha, t.len(), "T")?;
        let mut exits = Vec::with_capacity(t.len());
        for (i, row) in t.iter().enumerate() {
            if let Some(j) = row
                .iter()
                .position(|x| !(0.0..=1.0 + ROW_SLACK).contains(x))
            {
                return err(format!("T[{i}][{j}] = {} is outside [0, 1]", row[j]));
            }
            let sum: f64 = row.iter().sum();
            if sum > 1.0 + ROW_SLACK {
                return err(format!("row {i} of T sums to {sum}, above 1"));
            }
            exits.push((1.0 - sum).max(0.0));
        }
        assemble(alpha, defect, t, &exits, "T")
    }
}

/// The transient part of a continuous graph as `(α, S)`.
///
/// Rows are the transient vertices (neither start nor absorbing) in
/// increasing vertex order, listed in [`Matrices::vertices`].
pub fn to_matrices<G: GraphView + ?Sized>(graph: &G) -> Matrices {
    let n = graph.vertex_count();
    let vertices: Vec<usize> = (1..n).filter(|&v| !graph.is_absorbing(v)).collect();
    let mut row_of = vec![usize::MAX; n];
    for (i, &v) in vertices.iter().enumerate() {
        row_of[v] = i;
    }
    let m = vertices.len();
    let start_rate = graph.rate(START);
    let mut alpha = vec![0.0; m];
    for e in graph.edge_range(START) {
        let r = row_of[graph.targets()[e] as usize];
        if r != usize::MAX {
            alpha[r] += graph.weights()[e] / start_rate;
        }
    }
    let mut matrix = vec![vec![0.0; m]; m];
    for (i, &v) in vertices.iter().enumerate() {
        for e in graph.edge_range(v) {
            let w = graph.weights()[e];
            let r = row_of[graph.targets()[e] as usize];
            if r != usize::MAX {
                matrix[i][r] += w;
            }
            matrix[i][i] -= w;
        }
    }
    Matrices {
        alpha,
        matrix,
        vertices,
    }
}

/// The transient part of a discrete graph as `(α, T)`; the diagonal holds
/// the self-loop probabilities `1 − λ_v`.
pub fn to_discrete_matrices<G: GraphView + ?Sized>(graph: &G) -> Matrices {
    let mut m = to_matrices(graph);
    for (i, row) in m.matrix.iter_mut().enumerate() {
        row[i] += 1.0;
    }
    m
}
