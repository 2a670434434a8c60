//! `--dot FILE`: a state space in graphviz DOT (`phasic_core::graph::to_dot`),
//! written to a file, within a vertex limit.

use std::path::{Path, PathBuf};

use clap::Args;
use phasic::core::GraphView;
use phasic::core::graph::to_dot;

/// `--dot FILE` and `--dot-limit N`.
#[derive(Debug, Clone, Args)]
pub struct DotArgs {
    /// Write the state space in graphviz DOT to FILE (`dot -Tsvg FILE`
    /// draws it)
    #[arg(long, value_name = "FILE")]
    pub dot: Option<PathBuf>,
    /// With --dot: refuse state spaces of more vertices than this
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT, requires = "dot", value_parser = crate::command::positive)]
    pub dot_limit: usize,
}

/// Vertices above which `--dot` refuses: graphviz lays out a few thousand
/// nodes in seconds, and a picture of more says little.
pub const DEFAULT_LIMIT: usize = 2_000;

/// Why no DOT file was written.
#[derive(Debug, thiserror::Error)]
pub enum DotError {
    /// A state space above `--dot-limit`.
    #[error(
        "--dot: {what} has {vertices} vertices, more than the limit of {limit}: raise it with --dot-limit N"
    )]
    TooLarge {
        /// Which state space.
        what: String,
        /// Its vertices.
        vertices: usize,
        /// The limit.
        limit: usize,
    },
    /// The file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl DotArgs {
    /// Writes `graph` (called `what` in an error, `title` in the file) to
    /// `path` if it is within the limit.
    pub fn write<G: GraphView + ?Sized>(
        &self,
        graph: &G,
        what: &str,
        title: &str,
        path: &Path,
    ) -> Result<(), DotError> {
        let vertices = graph.vertex_count();
        if vertices > self.dot_limit {
            return Err(DotError::TooLarge {
                what: what.to_string(),
                vertices,
                limit: self.dot_limit,
            });
        }
        std::fs::write(path, to_dot(graph, title)).map_err(|source| DotError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// `FILE` with `-K` before its extension: `im.dot` → `im-2.dot` (one
/// file per interval of a Demes model).
pub fn numbered(path: &Path, k: usize) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{k}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{k}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_files_are_numbered_before_the_extension() {
        assert_eq!(
            numbered(Path::new("out/im.dot"), 2),
            PathBuf::from("out/im-2.dot")
        );
        assert_eq!(numbered(Path::new("im"), 0), PathBuf::from("im-0"));
        assert_eq!(numbered(Path::new("a.b.gv"), 1), PathBuf::from("a.b-1.gv"));
    }
}
