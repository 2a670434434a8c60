//! Strongly connected components in topological order (iterative Tarjan).

use crate::graph::view::GraphView;

/// Components of `view` restricted to its positive-weight edges, in topological order
/// (every edge goes from a component to itself or to a later one).
///
/// Returns `(vertices, offsets)`: component `c` is
/// `vertices[offsets[c]..offsets[c + 1]]`, its vertices in increasing index
/// order. Iterative, so state spaces of millions of vertices do not
/// overflow the stack.
pub(crate) fn components<G: GraphView + ?Sized>(view: &G) -> (Vec<u32>, Vec<usize>) {
    const UNSEEN: u32 = u32::MAX;
    let n = view.vertex_count();
    let targets = view.targets();
    let weights = view.weights();
    let offsets = view.offsets();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    // (vertex, next edge to look at)
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut next_index = 0u32;
    // components in reverse topological order (Tarjan's emission order)
    let mut rev_vertices: Vec<u32> = Vec::with_capacity(n);
    let mut rev_offsets: Vec<usize> = vec![0];

    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root as u32);
        on_stack[root] = true;
        calls.push((root as u32, offsets[root] as usize));
        while let Some(&mut (v, ref mut e)) = calls.last_mut() {
            let v = v as usize;
            let end = offsets[v + 1] as usize;
            let mut descended = false;
            while *e < end {
                let k = *e;
                *e += 1;
                let w = targets[k] as usize;
                if weights[k] <= 0.0 {
                    continue;
                }
                if index[w] == UNSEEN {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w as u32);
                    on_stack[w] = true;
                    calls.push((w as u32, offsets[w] as usize));
                    descended = true;
                    break;
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            }
            if descended {
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                let p = parent as usize;
                low[p] = low[p].min(low[v]);
            }
            if low[v] == index[v] {
                let start = rev_vertices.len();
                while let Some(w) = stack.pop() {
                    let w = w as usize;
                    on_stack[w] = false;
                    rev_vertices.push(w as u32);
                    if w == v {
                        break;
                    }
                }
                rev_vertices[start..].sort_unstable();
                rev_offsets.push(rev_vertices.len());
            }
        }
    }
    // reverse the component order
    let c = rev_offsets.len() - 1;
    let mut vertices = Vec::with_capacity(rev_vertices.len());
    let mut comp_offsets = Vec::with_capacity(c + 1);
    comp_offsets.push(0);
    for k in (0..c).rev() {
        vertices.extend_from_slice(&rev_vertices[rev_offsets[k]..rev_offsets[k + 1]]);
        comp_offsets.push(vertices.len());
    }
    (vertices, comp_offsets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GraphBuilder, START};

    #[test]
    fn cycle_is_one_component_in_topological_position() {
        // S -> 1 -> 2 -> 3 -> 1, 3 -> 4
        let mut b = GraphBuilder::new(1);
        for s in 1..=4 {
            b.find_or_create(&[s]).unwrap();
        }
        b.add_edge(START, 1, 1.0).unwrap();
        b.add_edge(1, 2, 1.0).unwrap();
        b.add_edge(2, 3, 1.0).unwrap();
        b.add_edge(3, 1, 1.0).unwrap();
        b.add_edge(3, 4, 1.0).unwrap();
        let g = b.build();
        let (v, o) = components(&g);
        assert_eq!(o, vec![0, 1, 4, 5]);
        assert_eq!(v, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn zero_weight_edges_do_not_join_components() {
        let mut b = GraphBuilder::new(1);
        for s in 1..=3 {
            b.find_or_create(&[s]).unwrap();
        }
        b.add_edge(START, 1, 1.0).unwrap();
        b.add_edge(1, 2, 1.0).unwrap();
        b.add_edge(2, 1, 0.0).unwrap();
        b.add_edge(2, 3, 1.0).unwrap();
        let g = b.build();
        let (_, o) = components(&g);
        assert_eq!(o.len() - 1, 4);
    }
}
