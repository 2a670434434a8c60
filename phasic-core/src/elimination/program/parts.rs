//! The plain data of a [`Program`]: what a store keeps of an elimination
//! to give it back without eliminating again (`phasic-cache` archives it,
//! docs/CACHE_FORMAT.md). Arrays are borrowed where the program holds
//! them as they are, and may be borrowed from a memory mapping when read
//! back. Parts read back come from disk: [`Program::from_parts`] checks
//! every length, index and range a program's runs rely on and rejects
//! inconsistent parts with [`Error::Decode`], never with a panic.

use std::borrow::Cow;
use std::ops::Range;

use super::{Command, Dag, EXCLUDED, Exits, Program, Segment};
use crate::elimination::iterative::Block;
use crate::error::{Error, Result};
use crate::graph::csr::START;

/// Version of what [`Program::new`] produces for a graph and of the
/// meaning of [`ProgramParts`]. A stored program is used only by a build
/// with the version it was stored under: bump it with any change to the
/// elimination order, the commands or the acyclic graph of a program (a
/// unit test fails on such a change until it is bumped).
pub const PROGRAM_FORMAT_VERSION: u32 = 1;

/// The source of a scaling command `x[t] ← m·x[t]` in [`CommandParts`]
/// (no position has this index: a graph has at most `u32::MAX` vertices).
pub const SCALING: u32 = u32::MAX;

/// A compressed sparse row array: the entries of row `i` are
/// `offsets[i]..offsets[i + 1]` of `targets` (positions) and `values`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CsrParts<'a> {
    /// Row boundaries: one more than the rows, from 0 to the entry count.
    pub offsets: Cow<'a, [u64]>,
    /// The position of every entry.
    pub targets: Cow<'a, [u32]>,
    /// The value (a probability) of every entry.
    pub values: Cow<'a, [f64]>,
}

/// The elimination commands, one entry per command in the order they run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommandParts<'a> {
    /// The position a command writes.
    pub targets: Cow<'a, [u32]>,
    /// The position it reads: `x[t] ← x[t] + m·x[s]`; [`SCALING`] for
    /// `x[t] ← m·x[t]`.
    pub sources: Cow<'a, [u32]>,
    /// Its multiplier `m`.
    pub multipliers: Cow<'a, [f64]>,
}

/// The final acyclic graph of a program (phase 3).
#[derive(Debug, Clone, PartialEq)]
pub enum AcyclicParts<'a> {
    /// The graph itself, whose vertices are numbered topologically:
    /// positions are vertices, and the probability of an edge is its
    /// weight times `inv_rate` of its source.
    Graph {
        /// One over the total rate of every vertex (0 where it is 0).
        inv_rate: Cow<'a, [f64]>,
    },
    /// Edges by position, each to a later position.
    Explicit(CsrParts<'a>),
}

/// The plain data of a [`Program`] (see [`Program::to_parts`]).
///
/// Positions number the vertices from which absorption is certain, in
/// elimination order. Segments and blocks are position ranges `a..b` in
/// ascending order, none overlapping another.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramParts<'a> {
    /// Vertices of the graph the program was built from.
    pub vertices: u64,
    /// Its edges.
    pub edges: u64,
    /// Position → vertex.
    pub order: Cow<'a, [u32]>,
    /// Phase 1: the multiplier of every position.
    pub scale: Cow<'a, [f64]>,
    /// Phase 2: the elimination commands.
    pub commands: CommandParts<'a>,
    /// Phase 3: the final acyclic graph.
    pub acyclic: AcyclicParts<'a>,
    /// Eliminated cyclic components: `[a, b, first, end]`, the positions
    /// `a..b` and their commands `first..end`; the command ranges follow
    /// each other and cover every command. Without segments every command
    /// runs before phase 3.
    pub segments: Cow<'a, [[u64; 4]]>,
    /// The out-of-component edges of every position in a segment (a row
    /// per position, or no offsets at all).
    pub exits: CsrParts<'a>,
    /// Cyclic components solved iteratively: `[a, b]`.
    pub blocks: Cow<'a, [[u64; 2]]>,
    /// The out-edges of the blocks' positions, one row per position of
    /// every block in turn.
    pub block_edges: CsrParts<'a>,
}

impl Program {
    /// The plain data of this program, borrowing what it holds as is.
    ///
    /// [`from_parts`](Self::from_parts) gives back a program whose runs are
    /// identical, bit for bit:
    ///
    /// ```
    /// use phasic_core::{Graph, Initial, elimination::Program};
    /// // a cycle 1 ⇄ 2 with exits: one eliminated component
    /// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| match s[0] {
    ///     1 => { out.add(&[2], 1.0); out.add(&[0], 0.5) }
    ///     2 => { out.add(&[1], 3.0); out.add(&[0], 1.0) }
    ///     _ => {}
    /// }).unwrap();
    /// let p = Program::new(&g).unwrap();
    /// let back = Program::from_parts(p.to_parts()).unwrap();
    /// assert_eq!(back.to_parts(), p.to_parts());
    /// let bits = |p: &Program| -> Vec<u64> {
    ///     p.expected_waiting_time(&g, None).unwrap().iter().map(|x| x.to_bits()).collect()
    /// };
    /// assert_eq!(bits(&back), bits(&p));
    /// ```
    pub fn to_parts(&self) -> ProgramParts<'_> {
        let mut commands = CommandParts {
            targets: Cow::Owned(Vec::with_capacity(self.elim.len())),
            sources: Cow::Owned(Vec::with_capacity(self.elim.len())),
            multipliers: Cow::Owned(Vec::with_capacity(self.elim.len())),
        };
        for c in &self.elim {
            let (t, s, m) = match *c {
                Command::Scale { v, m } => (v, SCALING, m),
                Command::AddScaled { v, u, m } => (v, u, m),
            };
            commands.targets.to_mut().push(t);
            commands.sources.to_mut().push(s);
            commands.multipliers.to_mut().push(m);
        }
        let mut block_edges = CsrParts::default();
        let rows = block_edges.offsets.to_mut();
        rows.push(0);
        for block in self.blocks.iter() {
            for j in 0..block.b - block.a {
                for (t, q) in block.row(j) {
                    block_edges.targets.to_mut().push(t);
                    block_edges.values.to_mut().push(q);
                }
                rows.push(block_edges.targets.len() as u64);
            }
        }
        ProgramParts {
            vertices: self.pos.len() as u64,
            edges: self.edges as u64,
            order: Cow::Borrowed(&self.order),
            scale: Cow::Borrowed(&self.scale),
            commands,
            acyclic: match &self.dag {
                Dag::Graph { inv_rate } => AcyclicParts::Graph {
                    inv_rate: Cow::Borrowed(inv_rate),
                },
                Dag::Explicit { offsets, edges } => {
                    AcyclicParts::Explicit(CsrParts::of(offsets, edges))
                }
            },
            segments: self
                .segments
                .iter()
                .map(|s| [s.a, s.b, s.commands.start, s.commands.end].map(|x| x as u64))
                .collect(),
            exits: CsrParts::of(&self.exits.offsets, &self.exits.edges),
            blocks: self
                .blocks
                .iter()
                .map(|k| [k.a as u64, k.b as u64])
                .collect(),
            block_edges,
        }
    }

    /// The program whose plain data is `parts`, after checking that the
    /// parts are consistent: every position, vertex, row and command index
    /// in range, the positions a permutation of some vertices with the
    /// start among them, rows by offsets that never decrease, the edges of
    /// the acyclic graph and the exits forward, segments and blocks in
    /// ascending order without overlap, each segment's commands inside it.
    /// Anything else is [`Error::Decode`].
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use phasic_core::{Error, Graph, Initial, elimination::Program};
    /// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
    ///     if s[0] == 1 { out.add(&[2], 2.0) }
    /// }).unwrap();
    /// let program = Program::new(&g).unwrap();
    /// let mut parts = program.to_parts();
    /// parts.order = Cow::Owned(vec![0, 0, 2]);
    /// assert!(matches!(Program::from_parts(parts), Err(Error::Decode { what: "program", .. })));
    /// ```
    pub fn from_parts(parts: ProgramParts<'_>) -> Result<Program> {
        let n = usize::try_from(parts.vertices)
            .ok()
            .filter(|&n| n > START && n <= u32::MAX as usize)
            .ok_or_else(|| bad(format!("{} vertices", parts.vertices)))?;
        let edges =
            usize::try_from(parts.edges).map_err(|_| bad(format!("{} edges", parts.edges)))?;
        let m = parts.order.len();
        let mut pos = vec![EXCLUDED; n];
        for (i, &v) in parts.order.iter().enumerate() {
            match pos.get_mut(v as usize) {
                Some(p) if *p == EXCLUDED => *p = i as u32,
                Some(_) => return Err(bad(format!("vertex {v} has two positions"))),
                None => return Err(bad(format!("position {i} is vertex {v} of {n}"))),
            }
        }
        if pos[START] == EXCLUDED {
            return Err(bad("the start vertex has no position".into()));
        }
        if parts.scale.len() != m {
            return Err(bad(format!(
                "{} scale factors for {m} positions",
                parts.scale.len()
            )));
        }
        let elim = commands(&parts.commands, m)?;
        let dag = match parts.acyclic {
            AcyclicParts::Graph { inv_rate } => {
                let identity = parts
                    .order
                    .iter()
                    .enumerate()
                    .all(|(i, &v)| i == v as usize);
                if !(m == n && identity && inv_rate.len() == n) {
                    return Err(bad(
                        "an acyclic graph read from the graph needs every vertex at its own position and one rate each".into(),
                    ));
                }
                if !(elim.is_empty() && parts.segments.is_empty() && parts.blocks.is_empty()) {
                    return Err(bad(
                        "a program over its graph's own order has no commands, segments or blocks"
                            .into(),
                    ));
                }
                Dag::Graph {
                    inv_rate: inv_rate.into_owned(),
                }
            }
            AcyclicParts::Explicit(csr) => {
                let (offsets, edges) = csr.rows(m, m, "acyclic graph")?;
                forward(&offsets, &edges, "acyclic graph")?;
                Dag::Explicit {
                    offsets: offsets.into(),
                    edges,
                }
            }
        };
        let segments = segments(&parts.segments, m, &elim)?;
        let blocks = ranges(parts.blocks.iter().map(|k| (k[0], k[1])), m, "block")?;
        disjoint(segments.iter().map(|s| s.a..s.b), blocks.iter().cloned(), m)?;
        let exits = if parts.exits.offsets.is_empty() {
            parts.exits.rows(0, m, "exits")?;
            Exits::default()
        } else {
            let (offsets, edges) = parts.exits.rows(m, m, "exits")?;
            forward(&offsets, &edges, "exits")?;
            Exits { offsets, edges }
        };
        let block_rows = blocks.iter().map(|r| r.len()).sum();
        let (rows, block_edges) = parts.block_edges.rows(block_rows, m, "block edges")?;
        let mut first = 0;
        let blocks = blocks
            .into_iter()
            .map(|r| {
                let block = Block::new(r.start, r.end, |i| {
                    let j = first + i - r.start;
                    block_edges[rows[j]..rows[j + 1]].to_vec()
                });
                first += r.len();
                block
            })
            .collect();
        Ok(Program {
            order: parts.order.into_owned().into(),
            pos: pos.into(),
            scale: parts.scale.into_owned(),
            elim,
            dag,
            blocks,
            segments: segments.into(),
            exits,
            edges,
        })
    }
}

/// What is wrong with parts.
fn bad(reason: String) -> Error {
    Error::Decode {
        what: "program",
        reason,
    }
}

impl CsrParts<'static> {
    /// Rows of `(target, value)` pairs by offsets.
    fn of(offsets: &[usize], edges: &[(u32, f64)]) -> CsrParts<'static> {
        CsrParts {
            offsets: offsets.iter().map(|&o| o as u64).collect(),
            targets: edges.iter().map(|e| e.0).collect(),
            values: edges.iter().map(|e| e.1).collect(),
        }
    }
}

/// Row offsets and the `(target, value)` pairs of the rows.
type Rows = (Vec<usize>, Vec<(u32, f64)>);

impl CsrParts<'_> {
    /// Checks `rows` rows (no offsets at all for no rows) of targets below
    /// `columns`; returns the offsets and the `(target, value)` pairs.
    fn rows(&self, rows: usize, columns: usize, what: &str) -> Result<Rows> {
        let e = self.targets.len();
        let expected = if rows == 0 && self.offsets.is_empty() {
            0
        } else {
            rows + 1
        };
        if self.offsets.len() != expected || self.values.len() != e {
            return Err(bad(format!(
                "{what}: {} offsets, {e} targets and {} values for {rows} rows",
                self.offsets.len(),
                self.values.len()
            )));
        }
        if self.offsets.first().is_some_and(|&o| o != 0)
            || self.offsets.windows(2).any(|w| w[0] > w[1])
            || self.offsets.last().copied().unwrap_or(0) != e as u64
        {
            return Err(bad(format!("{what}: offsets are not a valid row index")));
        }
        if let Some(&t) = self.targets.iter().find(|&&t| t as usize >= columns) {
            return Err(bad(format!("{what}: target {t} of {columns} positions")));
        }
        Ok((
            self.offsets.iter().map(|&o| o as usize).collect(),
            self.targets
                .iter()
                .copied()
                .zip(self.values.iter().copied())
                .collect(),
        ))
    }
}

/// Fails unless every edge of row `i` goes to a position after `i`.
fn forward(offsets: &[usize], edges: &[(u32, f64)], what: &str) -> Result<()> {
    for (i, w) in offsets.windows(2).enumerate() {
        if let Some(&(t, _)) = edges[w[0]..w[1]].iter().find(|e| e.0 as usize <= i) {
            return Err(bad(format!(
                "{what}: position {i} has an edge back to position {t}"
            )));
        }
    }
    Ok(())
}

/// The commands, every index one of the `positions` (a source may be [`SCALING`]).
fn commands(c: &CommandParts<'_>, positions: usize) -> Result<Vec<Command>> {
    let k = c.targets.len();
    if c.sources.len() != k || c.multipliers.len() != k {
        return Err(bad(format!(
            "{k} command targets, {} sources and {} multipliers",
            c.sources.len(),
            c.multipliers.len()
        )));
    }
    let valid = |(&v, &u): (&u32, &u32)| {
        (v as usize) < positions && (u == SCALING || (u as usize) < positions)
    };
    if let Some(i) = c
        .targets
        .iter()
        .zip(c.sources.iter())
        .position(|vu| !valid(vu))
    {
        return Err(bad(format!(
            "command {i} reads position {} and writes {} of {positions}",
            c.sources[i], c.targets[i]
        )));
    }
    // checked apart, so that the commands are collected at their known size
    Ok(c.targets
        .iter()
        .zip(c.sources.iter())
        .zip(c.multipliers.iter())
        .map(|((&v, &u), &m)| match u {
            SCALING => Command::Scale { v, m },
            u => Command::AddScaled { v, u, m },
        })
        .collect())
}

/// Position ranges `a..b`, non-empty, within `m` and ascending.
fn ranges(
    raw: impl ExactSizeIterator<Item = (u64, u64)>,
    m: usize,
    what: &str,
) -> Result<Vec<Range<usize>>> {
    let mut out: Vec<Range<usize>> = Vec::with_capacity(raw.len());
    for (a, b) in raw {
        if !(a < b && b <= m as u64) || out.last().is_some_and(|p| p.end as u64 > a) {
            return Err(bad(format!(
                "{what} {a}..{b} is not a new range of the {m} positions"
            )));
        }
        out.push(a as usize..b as usize);
    }
    Ok(out)
}

/// The segments: their command ranges cover the commands in order, and
/// every command of a segment stays inside it.
fn segments(raw: &[[u64; 4]], m: usize, elim: &[Command]) -> Result<Vec<Segment>> {
    let mut next = 0;
    let mut out = Vec::with_capacity(raw.len());
    let positions = ranges(raw.iter().map(|s| (s[0], s[1])), m, "segment")?;
    for (r, s) in positions.into_iter().zip(raw) {
        let (first, end) = (s[2], s[3]);
        if first != next || !(first <= end && end <= elim.len() as u64) {
            return Err(bad(format!(
                "segment {}..{} has commands {first}..{end} after {next} of {}",
                r.start,
                r.end,
                elim.len()
            )));
        }
        let commands = first as usize..end as usize;
        let inside = |p: u32| r.contains(&(p as usize));
        if let Some(c) = elim[commands.clone()].iter().find(|c| match **c {
            Command::Scale { v, .. } => !inside(v),
            Command::AddScaled { v, u, .. } => !(inside(v) && inside(u)),
        }) {
            return Err(bad(format!(
                "segment {}..{} has a command outside it: {c:?}",
                r.start, r.end
            )));
        }
        next = end;
        out.push(Segment {
            a: r.start,
            b: r.end,
            commands,
        });
    }
    if !out.is_empty() && next != elim.len() as u64 {
        return Err(bad(format!(
            "the segments cover {next} of {} commands",
            elim.len()
        )));
    }
    Ok(out)
}

/// Fails if a segment and a block share a position.
fn disjoint(
    segments: impl Iterator<Item = Range<usize>>,
    blocks: impl Iterator<Item = Range<usize>>,
    m: usize,
) -> Result<()> {
    let mut taken = vec![false; m];
    for r in segments.chain(blocks) {
        if taken[r.clone()].iter().any(|&t| t) {
            return Err(bad(format!(
                "positions {}..{} are both a segment and a block",
                r.start, r.end
            )));
        }
        taken[r].fill(true);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elimination::program::Solver;
    use crate::graph::csr::Graph;
    use crate::graph::rule::Initial;
    use crate::key::encoding::KeyHasher;

    /// The key of everything a program holds.
    fn fingerprint(p: &ProgramParts<'_>) -> String {
        fn csr(h: &mut KeyHasher, c: &CsrParts<'_>) {
            for o in c.offsets.iter() {
                h.bytes(&o.to_le_bytes());
            }
            for t in c.targets.iter() {
                h.bytes(&t.to_le_bytes());
            }
            for v in c.values.iter() {
                h.bytes(&v.to_le_bytes());
            }
        }
        let mut h = KeyHasher::new("program parts");
        h.bytes(&p.vertices.to_le_bytes());
        h.bytes(&p.edges.to_le_bytes());
        p.order.iter().for_each(|v| h.bytes(&v.to_le_bytes()));
        p.scale.iter().for_each(|v| h.bytes(&v.to_le_bytes()));
        csr(
            &mut h,
            &CsrParts {
                offsets: Cow::Borrowed(&[]),
                targets: Cow::Borrowed(&p.commands.targets),
                values: Cow::Borrowed(&p.commands.multipliers),
            },
        );
        p.commands
            .sources
            .iter()
            .for_each(|v| h.bytes(&v.to_le_bytes()));
        match &p.acyclic {
            AcyclicParts::Graph { inv_rate } => {
                inv_rate.iter().for_each(|v| h.bytes(&v.to_le_bytes()))
            }
            AcyclicParts::Explicit(c) => csr(&mut h, c),
        }
        p.segments
            .iter()
            .flatten()
            .for_each(|v| h.bytes(&v.to_le_bytes()));
        csr(&mut h, &p.exits);
        p.blocks
            .iter()
            .flatten()
            .for_each(|v| h.bytes(&v.to_le_bytes()));
        csr(&mut h, &p.block_edges);
        h.finish().hex()
    }

    /// A 5 × 5 grid walk with exits on the border.
    fn grid() -> Graph {
        Graph::from_rule(&Initial::state(&[0, 0]), |s, out| {
            let (x, y) = (s[0], s[1]);
            if x < 0 {
                return;
            }
            for (dx, dy, rate) in [(1, 0, 1.0), (-1, 0, 2.0), (0, 1, 0.5), (0, -1, 1.5)] {
                let (a, b) = (x + dx, y + dy);
                if (0..5).contains(&a) && (0..5).contains(&b) {
                    out.add(&[a, b], rate);
                } else {
                    out.add(&[-1, -1], rate / 3.0);
                }
            }
        })
        .unwrap()
    }

    /// Stored programs are used by builds of the same
    /// [`PROGRAM_FORMAT_VERSION`] only: a change to what elimination
    /// produces must come with a new version. This pins the programs of
    /// one graph; when it fails, bump the version and update the keys.
    #[test]
    fn what_elimination_produces_is_pinned_to_the_format_version() {
        let g = grid();
        let pinned = [
            (
                Solver::Auto,
                "87e3b173d5a2e7af7b312472eb98258a01f5fa1aae2f0cf6e5f1134f91ebd731",
            ),
            (
                Solver::Iterative,
                "67170ad64e0e4684ad0f89d4cd627589fa7d7a98eb7cdf76f1cc69f2d436aea0",
            ),
        ];
        for (solver, key) in pinned {
            let p = Program::with_solver(&g, solver).unwrap();
            assert_eq!(
                (PROGRAM_FORMAT_VERSION, fingerprint(&p.to_parts()).as_str()),
                (1, key),
                "the programs of {solver:?} changed: bump PROGRAM_FORMAT_VERSION and pin the new keys"
            );
        }
    }
}
