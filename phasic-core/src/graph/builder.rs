//! Manual graph construction: vertices by state, edges by weight.

use crate::error::{Error, Result};
use crate::graph::csr::{Graph, START};
use crate::graph::memory::{AllocFailure, filled, reserve, with_capacity};
use crate::graph::state_index::StateIndex;
use crate::graph::view::GraphView;

/// Grows a [`Graph`] vertex by vertex and edge by edge.
///
/// Vertex 0, the start vertex with the all-zero state, exists from the
/// beginning and is not registered in the state lookup, so a user state of
/// all zeros gets a vertex of its own. Parallel edges (same source and
/// target) are summed by [`build`](GraphBuilder::build).
///
/// Memory is reserved fallibly: where a vector cannot grow, the method
/// fails with [`Error::OutOfMemory`] and the builder is unchanged.
///
/// ```
/// use phasic_core::{GraphBuilder, GraphView, START};
/// let mut b = GraphBuilder::new(2);
/// let v = b.find_or_create(&[0, 0]).unwrap();
/// assert_eq!(v, 1); // not the start vertex
/// let a = b.find_or_create(&[1, 0]).unwrap();
/// b.add_edge(START, v, 1.0).unwrap();
/// b.add_edge(v, a, 1.0).unwrap();
/// b.add_edge(v, a, 0.5).unwrap();
/// let g = b.build();
/// assert_eq!(g.out_weights(v), &[1.5]);
/// ```
#[derive(Debug, Clone)]
pub struct GraphBuilder {
    state_len: usize,
    param_dim: usize,
    count: usize,
    states: Vec<i32>,
    index: StateIndex,
    /// `(from, to)` per edge, in insertion order.
    ends: Vec<(u32, u32)>,
    /// Constant weight, or base weight of a parameterized edge.
    base: Vec<f64>,
    /// `param_dim` coefficients per edge.
    coeffs: Vec<f64>,
}

impl GraphBuilder {
    /// A builder for constant-weight graphs with states of length `state_len`.
    pub fn new(state_len: usize) -> Self {
        Self::with_params(state_len, 0)
    }

    /// A builder whose edges may be parameterized by `param_dim` parameters.
    pub fn with_params(state_len: usize, param_dim: usize) -> Self {
        GraphBuilder {
            state_len,
            param_dim,
            count: 1,
            states: vec![0; state_len],
            index: StateIndex::default(),
            ends: Vec::new(),
            base: Vec::new(),
            coeffs: Vec::new(),
        }
    }

    /// Length of every state.
    pub fn state_len(&self) -> usize {
        self.state_len
    }

    /// Number of parameters.
    pub fn param_dim(&self) -> usize {
        self.param_dim
    }

    /// Number of vertices so far (including the start vertex).
    pub fn vertex_count(&self) -> usize {
        self.count
    }

    /// Number of edges added so far (parallel edges counted separately).
    pub fn edge_count(&self) -> usize {
        self.ends.len()
    }

    /// The state of vertex `v`.
    pub fn state(&self, v: usize) -> &[i32] {
        &self.states[v * self.state_len..(v + 1) * self.state_len]
    }

    fn check_len(&self, state: &[i32]) -> Result<()> {
        if state.len() != self.state_len {
            return Err(Error::StateLength {
                state: state.to_vec(),
                len: state.len(),
                expected: self.state_len,
            });
        }
        Ok(())
    }

    fn check_vertex(&self, v: usize) -> Result<()> {
        let count = self.vertex_count();
        if v >= count {
            return Err(Error::UnknownVertex { vertex: v, count });
        }
        Ok(())
    }

    /// The registered vertex with this state, if any.
    pub fn find(&self, state: &[i32]) -> Option<usize> {
        self.index
            .get(&self.states, self.state_len, state)
            .map(|v| v as usize)
    }

    /// The vertex with this state, created (and registered) if absent.
    pub fn find_or_create(&mut self, state: &[i32]) -> Result<usize> {
        self.check_len(state)?;
        if let Some(v) = self.find(state) {
            return Ok(v);
        }
        let v = self.create(state)?;
        if let Err(e) = self.index.insert(&self.states, self.state_len, v as u32) {
            self.states.truncate(v * self.state_len);
            self.count -= 1;
            return Err(e.at(v));
        }
        Ok(v)
    }

    /// A new vertex with this state, not registered in the lookup.
    pub fn create(&mut self, state: &[i32]) -> Result<usize> {
        self.check_len(state)?;
        let v = self.vertex_count();
        if v >= u32::MAX as usize {
            return Err(Error::TooLarge(u32::MAX as usize - 1));
        }
        reserve(&mut self.states, self.state_len, "the states").map_err(|e| e.at(v))?;
        self.states.extend_from_slice(state);
        self.count += 1;
        Ok(v)
    }

    fn check_edge(&self, from: usize, to: usize, weight: f64) -> Result<()> {
        self.check_vertex(from)?;
        self.check_vertex(to)?;
        if to == START {
            return Err(Error::EdgeToStart {
                from,
                state: self.state(from).to_vec(),
            });
        }
        if from == to {
            return Err(Error::SelfLoop {
                vertex: from,
                state: self.state(from).to_vec(),
            });
        }
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(Error::InvalidWeight {
                from,
                from_state: self.state(from).to_vec(),
                to_state: self.state(to).to_vec(),
                weight,
            });
        }
        Ok(())
    }

    /// Adds an edge with a constant weight (a rate, or a probability for a
    /// discrete graph). Zero is accepted; negative, NaN and infinite weights
    /// and self-loops are errors.
    pub fn add_edge(&mut self, from: usize, to: usize, weight: f64) -> Result<()> {
        self.check_edge(from, to, weight)?;
        self.push(from, to, weight)?;
        self.coeffs.extend(std::iter::repeat_n(0.0, self.param_dim));
        Ok(())
    }

    /// Adds an edge of weight `base + Σ coeffs[i]·θ[i]`.
    pub fn add_param_edge(
        &mut self,
        from: usize,
        to: usize,
        base: f64,
        coeffs: &[f64],
    ) -> Result<()> {
        if self.param_dim == 0 {
            return Err(Error::NotParameterized);
        }
        if coeffs.len() != self.param_dim {
            return Err(Error::ParamLength {
                expected: self.param_dim,
                got: coeffs.len(),
            });
        }
        self.check_edge(from, to, base)?;
        if let Some(&c) = coeffs.iter().find(|c| !c.is_finite()) {
            return Err(Error::InvalidWeight {
                from,
                from_state: self.state(from).to_vec(),
                to_state: self.state(to).to_vec(),
                weight: c,
            });
        }
        self.push(from, to, base)?;
        self.coeffs.extend_from_slice(coeffs);
        Ok(())
    }

    /// Appends the edge's ends and base weight, with room reserved for its
    /// coefficients.
    fn push(&mut self, from: usize, to: usize, base: f64) -> Result<()> {
        let p = self.param_dim;
        reserve(&mut self.ends, 1, "the edges")
            .and_then(|()| reserve(&mut self.base, 1, "the edge weights"))
            .and_then(|()| reserve(&mut self.coeffs, p, "the edge coefficients"))
            .map_err(|e| e.at(self.count))?;
        self.ends.push((from as u32, to as u32));
        self.base.push(base);
        Ok(())
    }

    /// Finishes the graph: edges grouped by source in insertion order,
    /// parallel edges summed (weights and coefficients).
    ///
    /// A parameterized graph starts with its base weights (θ = 0); call
    /// [`Graph::update_weights`] before computing with it.
    ///
    /// Like any `Vec` growth, this aborts the process if memory runs out;
    /// [`try_build`](GraphBuilder::try_build) returns an error instead.
    pub fn build(self) -> Graph {
        self.assemble().unwrap_or_else(|e| e.abort())
    }

    /// As [`build`](GraphBuilder::build), failing with
    /// [`Error::OutOfMemory`] where the graph's arrays cannot be allocated.
    ///
    /// ```
    /// use phasic_core::{GraphBuilder, GraphView, START};
    /// let mut b = GraphBuilder::new(1);
    /// let v = b.find_or_create(&[1]).unwrap();
    /// b.add_edge(START, v, 1.0).unwrap();
    /// assert_eq!(b.try_build().unwrap().vertex_count(), 2);
    /// ```
    pub fn try_build(self) -> Result<Graph> {
        let n = self.vertex_count();
        self.assemble().map_err(|e| e.at(n))
    }

    fn assemble(self) -> std::result::Result<Graph, AllocFailure> {
        let n = self.vertex_count();
        let p = self.param_dim;
        let m = self.ends.len();
        // Stable grouping by source; the common case (edges added vertex by
        // vertex, as the rule builder does) needs no sort.
        let mut idx: Vec<u32> = with_capacity(m, "the edge order")?;
        idx.extend(0..m as u32);
        if !self.ends.is_sorted_by_key(|e| e.0) {
            idx.sort_by_key(|&e| self.ends[e as usize].0);
        }
        let mut offsets = filled(n + 1, 0u64, "the edge offsets")?;
        let mut targets = with_capacity(m, "the edge targets")?;
        let mut base = with_capacity(m, "the edge weights")?;
        let mut coeffs = with_capacity(m * p, "the edge coefficients")?;
        // slot[t] = output position of the latest edge into t
        let mut slot = filled(n, usize::MAX, "the parallel-edge slots")?;
        let mut k = 0;
        for v in 0..n {
            let group_start = targets.len();
            while k < m && self.ends[idx[k] as usize].0 as usize == v {
                let e = idx[k] as usize;
                let t = self.ends[e].1 as usize;
                let c = &self.coeffs[e * p..(e + 1) * p];
                if slot[t] != usize::MAX && slot[t] >= group_start {
                    let o = slot[t];
                    base[o] += self.base[e];
                    coeffs[o * p..(o + 1) * p]
                        .iter_mut()
                        .zip(c)
                        .for_each(|(a, b)| *a += b);
                } else {
                    slot[t] = targets.len();
                    targets.push(t as u32);
                    base.push(self.base[e]);
                    coeffs.extend_from_slice(c);
                }
                k += 1;
            }
            offsets[v + 1] = targets.len() as u64;
        }
        let (weights, base, coeffs) = if p == 0 {
            (base, Vec::new(), Vec::new())
        } else {
            let mut weights = with_capacity(base.len(), "the edge weights")?;
            weights.extend_from_slice(&base);
            (weights, base, coeffs)
        };
        Ok(Graph {
            state_len: self.state_len,
            states: self.states,
            index: self.index,
            offsets,
            targets,
            weights,
            param_dim: p,
            base,
            coeffs,
        })
    }
}

impl Graph {
    /// An owned copy of any view (for example a memory-mapped cache entry
    /// that is to be re-weighted). States are registered in the lookup
    /// (the first vertex of a state wins; the start vertex never is).
    ///
    /// ```
    /// use phasic_core::{Graph, GraphView, Initial};
    /// let g = Graph::from_rule(&Initial::state(&[2]), |s, out| {
    ///     if s[0] > 0 { out.add(&[s[0] - 1], 1.0) }
    /// }).unwrap();
    /// let copy = Graph::from_view(&g).unwrap();
    /// assert_eq!(copy.targets(), g.targets());
    /// assert_eq!(copy.find_vertex(&[0]), g.find_vertex(&[0]));
    /// ```
    pub fn from_view<G: GraphView + ?Sized>(view: &G) -> Result<Graph> {
        let n = view.vertex_count();
        let p = view.param_dim();
        let mut b = GraphBuilder::with_params(view.state_len(), p);
        for v in 1..n {
            let s = view.state(v);
            if b.find(s).is_none() {
                b.find_or_create(s)?;
            } else {
                b.create(s)?;
            }
        }
        let (targets, base, coeffs) = (view.targets(), view.base_weights(), view.coefficients());
        for v in 0..n {
            for e in view.edge_range(v) {
                let t = targets[e] as usize;
                if p == 0 {
                    b.add_edge(v, t, view.weights()[e])?;
                } else {
                    b.add_param_edge(v, t, base[e], &coeffs[e * p..(e + 1) * p])?;
                }
            }
        }
        let mut g = b.try_build()?;
        let mut weights =
            with_capacity(view.weights().len(), "the edge weights").map_err(|e| e.at(n))?;
        weights.extend_from_slice(view.weights());
        g.weights = weights;
        Ok(g)
    }
}
