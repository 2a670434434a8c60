//! Programs on disk: the elimination of a cached graph, stored under the
//! graph's key. The 64-byte header (magic `PHASICP\x01`) is followed by an
//! rkyv archive of the program's plain data
//! ([`ProgramParts`](phasic_core::elimination::ProgramParts)) and the
//! checksum of the graph entry it was computed from. An entry is mapped,
//! checked like a graph entry (header, checksum, bytecheck), and its
//! arrays are handed in place to `Program::from_parts`, which validates
//! every index while it builds the program: one pass over the mapping.

use std::borrow::Cow;
use std::path::Path;

use phasic_core::GraphView;
use phasic_core::elimination::{AcyclicParts, CommandParts, CsrParts, Program, ProgramParts};
use rkyv::rancor;
use rkyv::util::AlignedVec;

use crate::archive::map_checked;
use crate::defect::Defect;
use crate::header::{HEADER_LEN, MAGIC_PROGRAM, archive_entry, program_flags};

/// The archived form of a program: its plain data, array by array.
#[derive(rkyv::Archive, rkyv::Serialize, Debug)]
pub struct ProgramArchive {
    /// The payload checksum of the graph entry the program belongs to.
    pub graph_checksum: u64,
    pub vertices: u64,
    pub edges: u64,
    pub order: Vec<u32>,
    pub scale: Vec<f64>,
    pub command_targets: Vec<u32>,
    pub command_sources: Vec<u32>,
    pub command_multipliers: Vec<f64>,
    pub acyclic: AcyclicArchive,
    pub segments: Vec<[u64; 4]>,
    pub exits: CsrArchive,
    pub blocks: Vec<[u64; 2]>,
    pub block_edges: CsrArchive,
}

/// The archived final acyclic graph.
#[derive(rkyv::Archive, rkyv::Serialize, Debug)]
pub enum AcyclicArchive {
    /// Read from the graph, with one over every vertex's rate.
    Graph(Vec<f64>),
    /// Rows by position.
    Explicit(CsrArchive),
}

/// Archived rows (offsets, targets, values).
#[derive(rkyv::Archive, rkyv::Serialize, Debug)]
pub struct CsrArchive {
    pub offsets: Vec<u64>,
    pub targets: Vec<u32>,
    pub values: Vec<f64>,
}

impl From<CsrParts<'_>> for CsrArchive {
    fn from(c: CsrParts<'_>) -> CsrArchive {
        CsrArchive {
            offsets: c.offsets.into_owned(),
            targets: c.targets.into_owned(),
            values: c.values.into_owned(),
        }
    }
}

impl ArchivedCsrArchive {
    /// The rows, borrowed from the archive.
    fn parts(&self) -> CsrParts<'_> {
        CsrParts {
            offsets: Cow::Borrowed(bytemuck::cast_slice(self.offsets.as_slice())),
            targets: Cow::Borrowed(bytemuck::cast_slice(self.targets.as_slice())),
            values: Cow::Borrowed(bytemuck::cast_slice(self.values.as_slice())),
        }
    }
}

/// A program read from the store, with the checksum of the graph entry
/// it was computed from.
#[derive(Debug)]
pub struct StoredProgram {
    /// The program.
    pub program: Program,
    /// The payload checksum of its graph's entry.
    pub graph_checksum: u64,
}

impl StoredProgram {
    /// Accepts the program only for the graph it was computed from: the
    /// graph entry whose payload checksum is `graph_checksum`, of
    /// `graph`'s size.
    pub(crate) fn belongs_to<G: GraphView + ?Sized>(
        &self,
        graph: &G,
        graph_checksum: u64,
    ) -> Result<(), Defect> {
        let fits = self.program.vertex_count() == graph.vertex_count()
            && self.program.edge_count() == graph.edge_count();
        if self.graph_checksum == graph_checksum && fits {
            Ok(())
        } else {
            Err(Defect::OtherGraph)
        }
    }
}

/// The bytes of a complete entry for `program` under the key of its graph,
/// whose entry's payload checksum is `graph_checksum`.
pub fn encode_program(
    program: &Program,
    graph_checksum: u64,
    key: [u8; 32],
) -> Result<AlignedVec, Defect> {
    let p = program.to_parts();
    let archive = ProgramArchive {
        graph_checksum,
        vertices: p.vertices,
        edges: p.edges,
        order: p.order.into_owned(),
        scale: p.scale.into_owned(),
        command_targets: p.commands.targets.into_owned(),
        command_sources: p.commands.sources.into_owned(),
        command_multipliers: p.commands.multipliers.into_owned(),
        acyclic: match p.acyclic {
            AcyclicParts::Graph { inv_rate } => AcyclicArchive::Graph(inv_rate.into_owned()),
            AcyclicParts::Explicit(c) => AcyclicArchive::Explicit(c.into()),
        },
        segments: p.segments.into_owned(),
        exits: p.exits.into(),
        blocks: p.blocks.into_owned(),
        block_edges: p.block_edges.into(),
    };
    archive_entry(MAGIC_PROGRAM, program_flags(), key, &archive)
}

/// Maps and checks the entry at `path` (`Err`: which check failed) and
/// builds its program from the archive in place.
pub fn open_program(path: &Path, key: [u8; 32]) -> Result<StoredProgram, Defect> {
    let (map, _) = map_checked(path, MAGIC_PROGRAM, program_flags(), key)?;
    let a = rkyv::access::<ArchivedProgramArchive, rancor::Error>(&map[HEADER_LEN..])
        .map_err(|e| Defect::Archive(e.to_string()))?;
    let parts = ProgramParts {
        vertices: a.vertices.to_native(),
        edges: a.edges.to_native(),
        order: Cow::Borrowed(bytemuck::cast_slice(a.order.as_slice())),
        scale: Cow::Borrowed(bytemuck::cast_slice(a.scale.as_slice())),
        commands: CommandParts {
            targets: Cow::Borrowed(bytemuck::cast_slice(a.command_targets.as_slice())),
            sources: Cow::Borrowed(bytemuck::cast_slice(a.command_sources.as_slice())),
            multipliers: Cow::Borrowed(bytemuck::cast_slice(a.command_multipliers.as_slice())),
        },
        acyclic: match &a.acyclic {
            ArchivedAcyclicArchive::Graph(inv_rate) => AcyclicParts::Graph {
                inv_rate: Cow::Borrowed(bytemuck::cast_slice(inv_rate.as_slice())),
            },
            ArchivedAcyclicArchive::Explicit(c) => AcyclicParts::Explicit(c.parts()),
        },
        segments: Cow::Borrowed(bytemuck::cast_slice(a.segments.as_slice())),
        exits: a.exits.parts(),
        blocks: Cow::Borrowed(bytemuck::cast_slice(a.blocks.as_slice())),
        block_edges: a.block_edges.parts(),
    };
    Ok(StoredProgram {
        program: Program::from_parts(parts).map_err(Defect::Decode)?,
        graph_checksum: a.graph_checksum.to_native(),
    })
}
