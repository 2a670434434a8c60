//! Growing a state space from a transition rule (breadth-first,
//! docs/ALGORITHMS.md §1.6).

use crate::error::{Error, Result};
use crate::graph::build_options::{BuildOptions, BuildProgress, PROGRESS_INTERVAL};
use crate::graph::builder::GraphBuilder;
use crate::graph::csr::{Graph, START};

/// Tolerance on the sum of initial probabilities.
const IPV_TOLERANCE: f64 = 1e-9;

/// The initial distribution: states with their probabilities.
///
/// Probabilities must lie in `[0, 1]` and sum to at most 1; the rest is the
/// *defect* (the probability of starting absorbed), represented by an edge
/// from the start vertex to a dedicated absorbing vertex created after all
/// others.
///
/// ```
/// use phasic_core::Initial;
/// assert!(Initial::weighted([(vec![5], 0.5), (vec![3], 0.5)]).is_ok());
/// assert!(Initial::weighted([(vec![5], 0.7), (vec![3], 0.7)]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Initial {
    state_len: usize,
    states: Vec<i32>,
    probs: Vec<f64>,
}

impl Initial {
    /// One state with probability 1.
    pub fn state(state: &[i32]) -> Self {
        Initial {
            state_len: state.len(),
            states: state.to_vec(),
            probs: vec![1.0],
        }
    }

    /// Several states with probabilities summing to at most 1.
    pub fn weighted<S: AsRef<[i32]>>(entries: impl IntoIterator<Item = (S, f64)>) -> Result<Self> {
        let mut states = Vec::new();
        let mut probs = Vec::new();
        let mut state_len = None;
        for (s, p) in entries {
            let s = s.as_ref();
            let expected = *state_len.get_or_insert(s.len());
            if s.len() != expected {
                return Err(Error::StateLength {
                    state: s.to_vec(),
                    len: s.len(),
                    expected,
                });
            }
            if !(0.0..=1.0).contains(&p) {
                return Err(Error::InitialProbability {
                    state: s.to_vec(),
                    probability: p,
                });
            }
            states.extend_from_slice(s);
            probs.push(p);
        }
        let state_len = state_len.ok_or(Error::EmptyInitial)?;
        let sum: f64 = probs.iter().sum();
        if sum > 1.0 + IPV_TOLERANCE {
            return Err(Error::InitialSum { sum });
        }
        Ok(Initial {
            state_len,
            states,
            probs,
        })
    }

    /// Length of the states.
    pub fn state_len(&self) -> usize {
        self.state_len
    }

    /// The `(state, probability)` entries.
    pub fn entries(&self) -> impl Iterator<Item = (&[i32], f64)> {
        let l = self.state_len;
        (0..self.probs.len()).map(move |i| (&self.states[i * l..(i + 1) * l], self.probs[i]))
    }

    /// `1 − Σ p`, clamped to zero within the tolerance.
    pub fn defect(&self) -> f64 {
        let d = 1.0 - self.probs.iter().sum::<f64>();
        if d > IPV_TOLERANCE { d } else { 0.0 }
    }
}

/// The sink a rule adds the transitions of one state to.
///
/// Problems (a child of the wrong length, a parameterized transition in a
/// constant graph, a coefficient vector of the wrong length) are recorded
/// and reported by the builder with the state being expanded, so a rule
/// never needs to return a `Result`.
#[derive(Debug, Clone)]
pub struct Transitions {
    state_len: usize,
    param_dim: usize,
    children: Vec<i32>,
    base: Vec<f64>,
    coeffs: Vec<f64>,
    problem: Option<Error>,
}

impl Transitions {
    fn new(state_len: usize, param_dim: usize) -> Self {
        Transitions {
            state_len,
            param_dim,
            children: Vec::new(),
            base: Vec::new(),
            coeffs: Vec::new(),
            problem: None,
        }
    }

    /// Length every child state must have.
    pub fn state_len(&self) -> usize {
        self.state_len
    }

    fn accept(&mut self, child: &[i32]) -> bool {
        if self.problem.is_some() {
            return false;
        }
        if child.len() != self.state_len {
            self.problem = Some(Error::StateLength {
                state: child.to_vec(),
                len: child.len(),
                expected: self.state_len,
            });
            return false;
        }
        true
    }

    /// A transition to `child` with a constant rate (a probability in a
    /// discrete model).
    pub fn add(&mut self, child: &[i32], rate: f64) {
        self.push(child, &[], rate, None);
    }

    /// A transition to `child` with weight `base + Σ coeffs[i]·θ[i]`.
    pub fn add_param(&mut self, child: &[i32], base: f64, coeffs: &[f64]) {
        self.push(child, &[], base, Some(coeffs));
    }

    /// A transition to the child that differs from `state` by `moves`
    /// (`delta` added at `slot` for each `(slot, delta)`), with a constant
    /// rate: the child is written straight into the rule's buffer, so a
    /// rule whose children differ from the state in a few places allocates
    /// nothing per child.
    ///
    /// ```
    /// use phasic_core::{Graph, GraphView, Initial};
    /// // two urns: a ball moves from the first to the second at rate 1 per ball
    /// let g = Graph::from_rule(&Initial::state(&[2, 0]), |s, out| {
    ///     if s[0] > 0 { out.add_moved(s, &[(0, -1), (1, 1)], f64::from(s[0])) }
    /// }).unwrap();
    /// assert_eq!(g.state(2), &[1, 1]);
    /// ```
    pub fn add_moved(&mut self, state: &[i32], moves: &[(usize, i32)], rate: f64) {
        self.push(state, moves, rate, None);
    }

    /// [`add_moved`](Self::add_moved) with weight `base + Σ coeffs[i]·θ[i]`.
    pub fn add_param_moved(
        &mut self,
        state: &[i32],
        moves: &[(usize, i32)],
        base: f64,
        coeffs: &[f64],
    ) {
        self.push(state, moves, base, Some(coeffs));
    }

    /// Records `state` moved by `moves` with its weight (`coeffs` for a
    /// parameterized transition), or the first problem.
    fn push(&mut self, state: &[i32], moves: &[(usize, i32)], base: f64, coeffs: Option<&[f64]>) {
        if !self.accept(state) {
            return;
        }
        if let Some(&(slot, _)) = moves.iter().find(|m| m.0 >= self.state_len) {
            self.problem = Some(Error::MoveOutOfRange {
                state: state.to_vec(),
                slot,
            });
            return;
        }
        match coeffs {
            Some(_) if self.param_dim == 0 => {
                self.problem = Some(Error::NotParameterized);
                return;
            }
            Some(c) if c.len() != self.param_dim => {
                self.problem = Some(Error::ParamLength {
                    expected: self.param_dim,
                    got: c.len(),
                });
                return;
            }
            Some(c) => self.coeffs.extend_from_slice(c),
            None => self.coeffs.extend(std::iter::repeat_n(0.0, self.param_dim)),
        }
        let start = self.children.len();
        self.children.extend_from_slice(state);
        for &(slot, delta) in moves {
            self.children[start + slot] += delta;
        }
        self.base.push(base);
    }

    fn clear(&mut self) {
        self.children.clear();
        self.base.clear();
        self.coeffs.clear();
    }
}

impl Graph {
    /// Grows a graph with constant weights from `rule`, breadth-first from
    /// the initial states; vertices are numbered in discovery order.
    ///
    /// ```
    /// use phasic_core::{Graph, GraphView, Initial};
    /// // Kingman coalescent with 4 lineages: [k] -> [k-1] at rate k(k-1)/2
    /// let g = Graph::from_rule(&Initial::state(&[4]), |s, out| {
    ///     let k = s[0];
    ///     if k > 1 { out.add(&[k - 1], f64::from(k * (k - 1)) / 2.0) }
    /// }).unwrap();
    /// assert_eq!(g.vertex_count(), 5);
    /// assert_eq!(g.state(4), &[1]);
    /// ```
    pub fn from_rule<F>(initial: &Initial, rule: F) -> Result<Graph>
    where
        F: FnMut(&[i32], &mut Transitions),
    {
        Self::from_rule_with_params(initial, 0, rule)
    }

    /// As [`Graph::from_rule`], for rules whose transitions may be
    /// parameterized by `param_dim` parameters
    /// ([`Transitions::add_param`]). The graph starts with its base weights;
    /// set θ with [`Graph::update_weights`].
    pub fn from_rule_with_params<F>(initial: &Initial, param_dim: usize, rule: F) -> Result<Graph>
    where
        F: FnMut(&[i32], &mut Transitions),
    {
        Self::from_rule_with_options(initial, param_dim, &BuildOptions::default(), rule)
    }

    /// As [`Graph::from_rule_with_params`], within the limit of `options`
    /// and telling its observer of the progress
    /// ([`BuildOptions`](crate::graph::BuildOptions)). Memory is reserved
    /// fallibly: where it runs out, the build fails with
    /// [`Error::OutOfMemory`].
    pub fn from_rule_with_options<F>(
        initial: &Initial,
        param_dim: usize,
        options: &BuildOptions,
        mut rule: F,
    ) -> Result<Graph>
    where
        F: FnMut(&[i32], &mut Transitions),
    {
        let len = initial.state_len();
        let mut b = GraphBuilder::with_params(len, param_dim);
        let grow = |b: &mut GraphBuilder, state: &[i32]| -> Result<usize> {
            let v = b.find_or_create(state)?;
            options.admit(b.vertex_count())?;
            Ok(v)
        };
        for (s, p) in initial.entries() {
            let v = grow(&mut b, s)?;
            b.add_edge(START, v, p)?;
        }
        let mut out = Transitions::new(len, param_dim);
        let mut state = vec![0i32; len];
        let mut v = 1;
        while v < b.vertex_count() {
            state.copy_from_slice(b.state(v));
            out.clear();
            rule(&state, &mut out);
            if let Some(problem) = out.problem.take() {
                tracing::debug!(vertex = v, state = ?state, "rule reported a problem");
                return Err(problem);
            }
            for k in 0..out.base.len() {
                let child = &out.children[k * len..(k + 1) * len];
                if child == state.as_slice() {
                    return Err(Error::SelfLoop {
                        vertex: v,
                        state: state.clone(),
                    });
                }
                let to = grow(&mut b, child)?;
                if param_dim == 0 {
                    b.add_edge(v, to, out.base[k])?;
                } else {
                    b.add_param_edge(
                        v,
                        to,
                        out.base[k],
                        &out.coeffs[k * param_dim..(k + 1) * param_dim],
                    )?;
                }
            }
            if v % PROGRESS_INTERVAL == 0 {
                options.report(&BuildProgress {
                    states: b.vertex_count(),
                    expanded: v,
                    edges: b.edge_count(),
                });
            }
            v += 1;
        }
        let defect = initial.defect();
        if defect > 0.0 {
            let a = b.create(&vec![0; len])?;
            options.admit(b.vertex_count())?;
            b.add_edge(START, a, defect)?;
        }
        b.try_build()
    }
}
