//! The elimination order inside a cyclic component (docs/ALGORITHMS.md
//! §3.2): approximate minimum degree (AMD, Amestoy–Davis–Duff, the `amd`
//! crate) on the pattern of the component's positive-weight internal
//! edges, symmetrised.
//!
//! Eliminating a vertex gives each of its remaining parents its children
//! (§3.3), exactly as Gaussian elimination fills a sparse matrix, so the
//! fill — and with it time and memory — depends on the order. AMD works on
//! the structure alone: one order serves every θ, and traces stay
//! canonical. It is deterministic: a function of the members' order and
//! the edges, whatever the number of threads.

use crate::graph::view::GraphView;

/// Components smaller than this keep their breadth-first order (no fill
/// to save).
const MIN_ORDERED: usize = 4;

/// Puts `members` (one strongly connected component of the edges `keep`
/// accepts) in its canonical elimination order: breadth-first from the
/// lowest vertex id along kept out-edges in edge order — a numbering that
/// depends on the component's structure only — then reordered by AMD
/// on that numbering. `local` is scratch of one entry per vertex,
/// `u32::MAX` everywhere on entry and on return. Returns AMD's estimate of
/// the multiply-adds an elimination in that order costs (0 for small
/// components, which are not reordered).
pub(crate) fn canonical_order<G: GraphView + ?Sized>(
    view: &G,
    members: &mut [u32],
    keep: impl Fn(usize) -> bool,
    local: &mut [u32],
) -> usize {
    let n = members.len();
    if n == 0 {
        return 0;
    }
    let targets = view.targets();
    for &v in members.iter() {
        local[v as usize] = u32::MAX - 1; // a member not yet numbered
    }
    let first = members.iter().copied().min().unwrap_or(0);
    let mut order = Vec::with_capacity(n);
    local[first as usize] = 0;
    order.push(first);
    let mut head = 0;
    while head < order.len() {
        let v = order[head] as usize;
        head += 1;
        for e in view.edge_range(v).filter(|&e| keep(e)) {
            let t = targets[e] as usize;
            if local[t] == u32::MAX - 1 {
                local[t] = order.len() as u32;
                order.push(t as u32);
            }
        }
    }
    if order.len() != n {
        // not strongly connected under `keep`: keep the given order
        for &v in members.iter() {
            local[v as usize] = u32::MAX;
        }
        return 0;
    }
    let flops = if n >= MIN_ORDERED {
        fill_reducing(view, &mut order, &keep, local)
    } else {
        0
    };
    for &v in &order {
        local[v as usize] = u32::MAX;
    }
    members.copy_from_slice(&order);
    flops
}

/// Reorders `order` (numbered `0..n` in `local`) by AMD on the symmetrised
/// pattern of its internal kept edges; returns AMD's multiply-add count of
/// an LU factorisation in that order.
fn fill_reducing<G: GraphView + ?Sized>(
    view: &G,
    order: &mut [u32],
    keep: &impl Fn(usize) -> bool,
    local: &[u32],
) -> usize {
    let n = order.len();
    let targets = view.targets();
    // column i: the internal out-neighbours of vertex i, sorted, no loops
    let mut col_ptr = Vec::with_capacity(n + 1);
    let mut rows: Vec<usize> = Vec::new();
    col_ptr.push(0usize);
    for (i, &v) in order.iter().enumerate() {
        let start = rows.len();
        rows.extend(
            view.edge_range(v as usize)
                .filter(|&e| keep(e))
                .map(|e| local[targets[e] as usize] as usize)
                .filter(|&l| l < n && l != i),
        );
        rows[start..].sort_unstable();
        let mut k = start;
        for j in start..rows.len() {
            if k == start || rows[j] != rows[k - 1] {
                rows[k] = rows[j];
                k += 1;
            }
        }
        rows.truncate(k);
        col_ptr.push(rows.len());
    }
    match amd::order(n, &col_ptr, &rows, &amd::Control::default()) {
        Ok((perm, _, info)) if perm.len() == n => {
            let ordered: Vec<u32> = perm.iter().map(|&i| order[i]).collect();
            order.copy_from_slice(&ordered);
            info.n_mult_subs_lu
        }
        // an input AMD refuses cannot come from a graph; keep the order
        _ => {
            tracing::debug!(size = n, "AMD refused a component; its order is kept");
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::builder::GraphBuilder;

    /// A star inside a cycle: hub 1 ⇄ leaves 2..=6, entered at 1. Hub
    /// first fills every pair of leaves; AMD takes the leaves first.
    #[test]
    fn the_hub_of_a_star_goes_last() {
        let mut b = GraphBuilder::new(1);
        let start = 0;
        let hub = b.find_or_create(&[1]).unwrap();
        let leaves: Vec<usize> = (2..=6).map(|k| b.find_or_create(&[k]).unwrap()).collect();
        let exit = b.find_or_create(&[9]).unwrap();
        b.add_edge(start, hub, 1.0).unwrap();
        for &l in &leaves {
            b.add_edge(hub, l, 1.0).unwrap();
            b.add_edge(l, hub, 1.0).unwrap();
            b.add_edge(l, exit, 0.5).unwrap();
        }
        let g = b.build();
        let mut members: Vec<u32> = std::iter::once(hub as u32)
            .chain(leaves.iter().map(|&l| l as u32))
            .collect();
        let mut local = vec![u32::MAX; g.vertex_count()];
        let keep = |e: usize| g.weights()[e] > 0.0;
        canonical_order(&g, &mut members, keep, &mut local);
        assert_eq!(*members.last().unwrap(), hub as u32, "{members:?}");
        let mut sorted = members.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [1, 2, 3, 4, 5, 6]);
        assert!(local.iter().all(|&l| l == u32::MAX));
        // deterministic, whatever order the members come in
        let mut again: Vec<u32> = std::iter::once(hub as u32)
            .chain(leaves.iter().map(|&l| l as u32))
            .collect();
        again.reverse();
        canonical_order(&g, &mut again, keep, &mut local);
        assert_eq!(again, members);
    }
}
