//! Graphs as rkyv archives: CSR arrays written once, then used in place
//! from a memory mapping through [`GraphView`].

use std::ops::Range;
use std::path::Path;

use memmap2::Mmap;
use phasic_core::GraphView;
use rkyv::rancor;
use rkyv::util::AlignedVec;

use crate::defect::Defect;
use crate::header::{
    HEADER_LEN, MAGIC_GRAPH, archive_entry, check, format_flags, open_regular, payload_checksum,
};

/// The archived form of a graph: flat CSR arrays.
#[derive(rkyv::Archive, rkyv::Serialize, Debug)]
pub struct GraphArchive {
    pub state_len: u32,
    pub param_dim: u32,
    pub states: Vec<i32>,
    pub offsets: Vec<u64>,
    pub targets: Vec<u32>,
    pub weights: Vec<f64>,
    pub base: Vec<f64>,
    pub coeffs: Vec<f64>,
}

impl GraphArchive {
    /// Copies a view into archive form.
    pub fn of<G: GraphView + ?Sized>(g: &G) -> GraphArchive {
        GraphArchive {
            state_len: g.state_len() as u32,
            param_dim: g.param_dim() as u32,
            states: g.states().to_vec(),
            offsets: g.offsets().to_vec(),
            targets: g.targets().to_vec(),
            weights: g.weights().to_vec(),
            base: g.base_weights().to_vec(),
            coeffs: g.coefficients().to_vec(),
        }
    }
}

/// The bytes of a complete entry (header and payload) for `g` under `key`.
pub fn encode<G: GraphView + ?Sized>(g: &G, key: [u8; 32]) -> Result<AlignedVec, Defect> {
    archive_entry(MAGIC_GRAPH, format_flags(), key, &GraphArchive::of(g))
}

/// Maps the entry at `path` and checks its header — length, magic, header
/// version, `flags`, key, payload length and checksum; returns the
/// mapping and the payload's checksum. The payload starts at
/// [`HEADER_LEN`], 16-byte aligned.
pub(crate) fn map_checked(
    path: &Path,
    magic: [u8; 8],
    flags: u32,
    key: [u8; 32],
) -> Result<(Mmap, u64), Defect> {
    if !cfg!(target_endian = "little") {
        return Err(Defect::NotLittleEndian);
    }
    let file = open_regular(path)?;
    let meta = file.metadata().map_err(Defect::cannot_stat)?;
    if meta.len() < HEADER_LEN as u64 {
        return Err(Defect::TooShort { len: meta.len() });
    }
    // SAFETY: published entries are never modified (they are written to
    // a temporary file and renamed into place), and the length is
    // checked against the header before any payload byte is read.
    let map = unsafe { Mmap::map(&file) }.map_err(Defect::cannot_map)?;
    check(&map, magic, flags, key)?;
    let checksum = payload_checksum(&map);
    Ok((map, checksum))
}

/// A validated, memory-mapped graph entry, used in place.
#[derive(Debug)]
pub struct MappedGraph {
    /// The whole entry; the arrays are byte ranges of it, each checked
    /// (bounds, alignment, length) when the entry was opened.
    map: Mmap,
    /// The checksum of the payload.
    checksum: u64,
    state_len: usize,
    param_dim: usize,
    states: Range<usize>,
    offsets: Range<usize>,
    targets: Range<usize>,
    weights: Range<usize>,
    base: Range<usize>,
    coeffs: Range<usize>,
}

impl MappedGraph {
    /// Maps `path` and checks it completely: length, magic, header version,
    /// format flags, key, payload checksum, the archive (bytecheck), and the
    /// CSR invariants every algorithm relies on. `Err` says which check
    /// failed.
    pub fn open(path: &Path, key: [u8; 32]) -> Result<MappedGraph, Defect> {
        let (map, checksum) = map_checked(path, MAGIC_GRAPH, format_flags(), key)?;
        let a = rkyv::access::<ArchivedGraphArchive, rancor::Error>(&map[HEADER_LEN..])
            .map_err(|e| Defect::Archive(e.to_string()))?;
        check_csr(a)?;
        // every array as a byte range of the mapping (bytecheck has
        // checked that each lies inside it, aligned for its type)
        let start = map.as_ptr() as usize;
        let range = |bytes: &[u8]| {
            let at = bytes.as_ptr() as usize - start;
            at..at + bytes.len()
        };
        let (state_len, param_dim) = (
            a.state_len.to_native() as usize,
            a.param_dim.to_native() as usize,
        );
        let states = range(bytemuck::cast_slice(a.states.as_slice()));
        let offsets = range(bytemuck::cast_slice(a.offsets.as_slice()));
        let targets = range(bytemuck::cast_slice(a.targets.as_slice()));
        let weights = range(bytemuck::cast_slice(a.weights.as_slice()));
        let base = range(bytemuck::cast_slice(a.base.as_slice()));
        let coeffs = range(bytemuck::cast_slice(a.coeffs.as_slice()));
        Ok(MappedGraph {
            map,
            checksum,
            state_len,
            param_dim,
            states,
            offsets,
            targets,
            weights,
            base,
            coeffs,
        })
    }

    /// The checksum of the entry's payload (docs/CACHE_FORMAT.md): the
    /// graph's content, as the program stored with it records it.
    pub fn checksum(&self) -> u64 {
        self.checksum
    }

    /// The array at `range` of the mapping, borrowed from `self`.
    fn array<T: bytemuck::Pod>(&self, range: &Range<usize>) -> &[T] {
        bytemuck::cast_slice(&self.map[range.clone()])
    }
}

/// The invariants of [`GraphView`]: offsets start at 0, never decrease and
/// end at the edge count; array lengths agree; targets are vertices.
fn check_csr(a: &ArchivedGraphArchive) -> Result<(), Defect> {
    let offsets: &[u64] = bytemuck::cast_slice(a.offsets.as_slice());
    let n = offsets.len().checked_sub(1).ok_or(Defect::NoOffsets)?;
    let l = a.state_len.to_native() as usize;
    let p = a.param_dim.to_native() as usize;
    let e = a.targets.len();
    if n == 0 || n > u32::MAX as usize {
        return Err(Defect::VertexCount { vertices: n });
    }
    if a.states.len() != n.checked_mul(l).ok_or(Defect::StateArenaOverflow)? {
        return Err(Defect::StateValues {
            values: a.states.len(),
            vertices: n,
            state_len: l,
        });
    }
    if offsets[0] != 0 || offsets.windows(2).any(|w| w[0] > w[1]) || offsets[n] != e as u64 {
        return Err(Defect::Offsets);
    }
    if a.weights.len() != e {
        return Err(Defect::WeightCount {
            weights: a.weights.len(),
            edges: e,
        });
    }
    let (base_len, coeff_len) = if p == 0 { (0, 0) } else { (e, e * p) };
    if a.base.len() != base_len || a.coeffs.len() != coeff_len {
        return Err(Defect::ParameterArrays {
            edges: e,
            params: p,
        });
    }
    let targets: &[u32] = bytemuck::cast_slice(a.targets.as_slice());
    if let Some(&t) = targets.iter().find(|&&t| t as usize >= n) {
        return Err(Defect::EdgeTarget {
            target: t,
            vertices: n,
        });
    }
    Ok(())
}

impl GraphView for MappedGraph {
    fn state_len(&self) -> usize {
        self.state_len
    }
    fn states(&self) -> &[i32] {
        self.array(&self.states)
    }
    fn offsets(&self) -> &[u64] {
        self.array(&self.offsets)
    }
    fn targets(&self) -> &[u32] {
        self.array(&self.targets)
    }
    fn weights(&self) -> &[f64] {
        self.array(&self.weights)
    }
    fn param_dim(&self) -> usize {
        self.param_dim
    }
    fn base_weights(&self) -> &[f64] {
        self.array(&self.base)
    }
    fn coefficients(&self) -> &[f64] {
        self.array(&self.coeffs)
    }
}
