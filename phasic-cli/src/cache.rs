//! `phasic cache`: inspect and maintain the graph cache.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use phasic::cache::{GraphStore, cache_root};

/// Arguments of `phasic cache`.
#[derive(Debug, Args)]
pub struct CacheArgs {
    /// What to do
    #[command(subcommand)]
    pub action: Action,
    /// Cache root (default: PHASIC_CACHE_DIR, else the platform cache directory)
    #[arg(long, value_name = "DIR", global = true)]
    pub cache_dir: Option<PathBuf>,
    /// Print one JSON object
    #[arg(long, global = true)]
    pub json: bool,
}

/// The maintenance actions.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// Entries, bytes, hits, misses and bad entries seen
    Stats,
    /// Check every entry; bad ones are moved aside
    Verify,
    /// Remove old entries, then the oldest until the cache fits
    Gc {
        /// Keep at most this many bytes (suffixes k, M, G allowed)
        #[arg(long, value_name = "SIZE", value_parser = size)]
        max_bytes: Option<u64>,
        /// Remove entries older than this (e.g. 30d, 12h, 90m, 45s)
        #[arg(long, value_name = "DURATION", value_parser = duration)]
        max_age: Option<Duration>,
    },
    /// Remove every entry
    Clear,
    /// Print the cache root
    Path,
}

fn size(s: &str) -> Result<u64, String> {
    let (num, mult) = match s.trim().chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1u64 << 10),
        Some('M') => (&s[..s.len() - 1], 1 << 20),
        Some('G') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("`{s}` is not a size (e.g. 500M)"))
}

/// Parses `30d`, `12h`, `90m`, `45s` (or plain seconds).
pub fn duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.chars().last() {
        Some(c @ ('d' | 'h' | 'm' | 's')) => (&s[..s.len() - 1], c),
        _ => (s, 's'),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (e.g. 30d, 12h, 90m, 45s)"))?;
    let secs = match unit {
        'd' => n.checked_mul(86_400),
        'h' => n.checked_mul(3_600),
        'm' => n.checked_mul(60),
        _ => Some(n),
    };
    secs.map(Duration::from_secs)
        .ok_or_else(|| format!("`{s}` is too long"))
}

/// Runs `phasic cache`; returns the text to print.
pub fn run(args: &CacheArgs) -> Result<String, phasic::cache::Error> {
    let root = cache_root(args.cache_dir.as_deref())?;
    let store = GraphStore::new(&root);
    let json = |v: serde_json::Value| v.to_string();
    Ok(match &args.action {
        Action::Path => {
            if args.json {
                json(serde_json::json!({ "root": root, "graphs": store.dir() }))
            } else {
                root.display().to_string()
            }
        }
        Action::Stats => {
            let s = store.stats()?;
            if args.json {
                json(serde_json::json!({
                    "root": root, "entries": s.entries, "bytes": s.bytes,
                    "hits": s.counters.hits, "misses": s.counters.misses, "corrupt": s.counters.corrupt,
                }))
            } else {
                format!(
                    "root     {}\nentries  {}\nbytes    {}\nhits     {}\nmisses   {}\ncorrupt  {}",
                    root.display(),
                    s.entries,
                    s.bytes,
                    s.counters.hits,
                    s.counters.misses,
                    s.counters.corrupt
                )
            }
        }
        Action::Verify => {
            let (good, bad) = store.verify()?;
            if args.json {
                let bad: Vec<_> = bad
                    .iter()
                    .map(|(p, r)| serde_json::json!({ "path": p, "reason": r }))
                    .collect();
                json(serde_json::json!({ "good": good, "bad": bad }))
            } else {
                let mut out = format!("{good} good, {} bad (moved to quarantine/)", bad.len());
                for (p, r) in &bad {
                    out.push_str(&format!("\n{}: {r}", p.display()));
                }
                out
            }
        }
        Action::Gc { max_bytes, max_age } => {
            let (removed, freed) = store.gc(*max_bytes, *max_age)?;
            if args.json {
                json(serde_json::json!({ "removed": removed, "bytes_freed": freed }))
            } else {
                format!("removed {removed} entries, {freed} bytes")
            }
        }
        Action::Clear => {
            let removed = store.clear()?;
            if args.json {
                json(serde_json::json!({ "removed": removed }))
            } else {
                format!("removed {removed} entries")
            }
        }
    })
}
