//! The state space in graphviz DOT: one node per vertex labelled with its
//! state, one edge per transition labelled with its rate (or probability),
//! and every cyclic component (a strongly connected component of more
//! than one vertex, over positive-weight edges) drawn as a cluster.
//!
//! Returns the text; writing it is the caller's (phasic-core does no I/O).

use std::fmt::Write;

use crate::graph::csr::START;
use crate::graph::scc::components;
use crate::graph::view::GraphView;

/// The graph `view` in DOT, as `digraph "title"`.
///
/// Node `vN` is vertex `N`: the start is a point labelled `start`,
/// absorbing vertices have a double border, the others are boxes labelled
/// with their state `[a, b, …]`. Edges are labelled with their current
/// weight (shortest round-trip decimal); an edge of weight 0 (a
/// parameterized rate that is 0 at this θ) is dashed. Cyclic components
/// are `subgraph cluster_K` with the label `cyclic component K (n
/// states)`, in topological order.
///
/// ```
/// use phasic_core::{Graph, Initial, graph::to_dot};
/// // Kingman n = 3: [3] → [2] → [1]
/// let g = Graph::from_rule(&Initial::state(&[3]), |s, out| {
///     let k = s[0];
///     if k > 1 { out.add(&[k - 1], f64::from(k * (k - 1)) / 2.0) }
/// }).unwrap();
/// let dot = to_dot(&g, "kingman");
/// assert!(dot.starts_with("digraph \"kingman\" {\n  newrank=true;\n"));
/// assert!(dot.contains("  v1 [label=\"[3]\"];\n"));
/// assert!(dot.contains("  v1 -> v2 [label=\"3\"];\n"));
/// assert!(dot.contains("  v3 [label=\"[1]\", peripheries=2];\n"));
/// assert!(!dot.contains("cluster")); // no cycle
/// ```
pub fn to_dot<G: GraphView + ?Sized>(view: &G, title: &str) -> String {
    let mut out = String::new();
    // writing to a String cannot fail
    let _ = writeln!(out, "digraph \"{}\" {{", escape(title));
    // graphviz 2.42 fails ("trouble in init_rank") on clusters with edges
    // between them under the old ranking
    out.push_str("  newrank=true;\n");
    out.push_str("  node [shape=box, fontname=\"sans-serif\"];\n");
    out.push_str("  edge [fontname=\"sans-serif\", fontsize=10];\n");
    let node = |out: &mut String, indent: &str, v: usize| {
        let _ = if v == START {
            writeln!(
                out,
                "{indent}v{v} [label=\"start\", shape=point, width=0.15];"
            )
        } else if view.is_absorbing(v) {
            writeln!(
                out,
                "{indent}v{v} [label=\"{}\", peripheries=2];",
                state(view.state(v))
            )
        } else {
            writeln!(out, "{indent}v{v} [label=\"{}\"];", state(view.state(v)))
        };
    };
    let (vertices, offsets) = components(view);
    let mut cluster = 0;
    for c in offsets.windows(2) {
        let members = &vertices[c[0]..c[1]];
        if members.len() == 1 {
            node(&mut out, "  ", members[0] as usize);
            continue;
        }
        let _ = writeln!(out, "  subgraph cluster_{cluster} {{");
        let _ = writeln!(
            out,
            "    label=\"cyclic component {cluster} ({} states)\";",
            members.len()
        );
        out.push_str("    style=dashed;\n");
        for &v in members {
            node(&mut out, "    ", v as usize);
        }
        out.push_str("  }\n");
        cluster += 1;
    }
    for v in 0..view.vertex_count() {
        for (&t, &w) in view.out_targets(v).iter().zip(view.out_weights(v)) {
            let style = if w > 0.0 { "" } else { ", style=dashed" };
            let _ = writeln!(out, "  v{v} -> v{t} [label=\"{w}\"{style}];");
        }
    }
    out.push_str("}\n");
    out
}

/// `[a, b, …]`.
fn state(s: &[i32]) -> String {
    let parts: Vec<String> = s.iter().map(i32::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// A DOT double-quoted string's content: `"` and `\` escaped, line
/// breaks as `\n`.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::builder::GraphBuilder;

    #[test]
    fn a_cycle_is_a_cluster_and_every_edge_is_written() {
        // start → 1 ⇄ 2 → 3 (absorbing), and a zero-weight 1 → 3
        let mut b = GraphBuilder::new(2);
        for s in [[1, 0], [2, 0], [0, 0]] {
            b.find_or_create(&s).unwrap();
        }
        b.add_edge(START, 1, 1.0).unwrap();
        b.add_edge(1, 2, 0.5).unwrap();
        b.add_edge(2, 1, 2.0).unwrap();
        b.add_edge(2, 3, 1.25).unwrap();
        b.add_edge(1, 3, 0.0).unwrap();
        let g = b.build();
        let dot = to_dot(&g, "a \"quoted\" title");
        assert_eq!(
            dot,
            "digraph \"a \\\"quoted\\\" title\" {
  newrank=true;
  node [shape=box, fontname=\"sans-serif\"];
  edge [fontname=\"sans-serif\", fontsize=10];
  v0 [label=\"start\", shape=point, width=0.15];
  subgraph cluster_0 {
    label=\"cyclic component 0 (2 states)\";
    style=dashed;
    v1 [label=\"[1, 0]\"];
    v2 [label=\"[2, 0]\"];
  }
  v3 [label=\"[0, 0]\", peripheries=2];
  v0 -> v1 [label=\"1\"];
  v1 -> v2 [label=\"0.5\"];
  v1 -> v3 [label=\"0\", style=dashed];
  v2 -> v1 [label=\"2\"];
  v2 -> v3 [label=\"1.25\"];
}
"
        );
    }
}
