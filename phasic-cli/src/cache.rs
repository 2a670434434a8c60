//! `phasic cache`: inspect and maintain the cache — graph, trace and
//! program entries, temporary files of interrupted writes, the quarantine.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use phasic::cache::{Cache, CacheStats, Collected, Files, Limits, cache_root};

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
    /// Entries, bytes, hits, misses and bad entries seen; temporary and quarantined files
    Stats,
    /// Check every entry; bad ones are moved aside
    Verify,
    /// Remove temporary files of interrupted writes (after an hour), entries and
    /// quarantined files older than --max-age, then the oldest until the cache fits
    /// --max-bytes
    Gc {
        /// Keep at most this many bytes (suffixes k, M, G allowed)
        #[arg(long, value_name = "SIZE", value_parser = size)]
        max_bytes: Option<u64>,
        /// Remove entries older than this (e.g. 30d, 12h, 90m, 45s)
        #[arg(long, value_name = "DURATION", value_parser = duration)]
        max_age: Option<Duration>,
    },
    /// Remove every entry, temporary and quarantined file, and the counters
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

fn files(f: Files) -> String {
    let s = if f.count == 1 { "" } else { "s" };
    format!("{} file{s}, {} bytes", f.count, f.bytes)
}

fn stats_text(root: &Path, s: &CacheStats) -> String {
    let t = s.total();
    let c = t.counters.map_or_else(
        || std::array::from_fn(|_| "unknown (counters file damaged)".to_string()),
        |c| [c.hits, c.misses, c.corrupt].map(|n| n.to_string()),
    );
    format!(
        "root         {}\nentries      {} (graphs {}, traces {}, programs {})\nbytes        {}\nhits         {}\nmisses       {}\ncorrupt      {}\ntemporary    {} (of interrupted writes; gc removes them after an hour)\nquarantined  {} (bad entries moved aside)",
        root.display(),
        t.entries,
        s.graphs.entries,
        s.traces.entries,
        s.programs.entries,
        t.bytes,
        c[0],
        c[1],
        c[2],
        files(t.temporary),
        files(t.quarantined),
    )
}

fn stats_json(root: &Path, s: &CacheStats) -> serde_json::Value {
    let t = s.total();
    serde_json::json!({
        "root": root,
        "entries": t.entries,
        "bytes": t.bytes,
        "hits": t.counters.map(|c| c.hits),
        "misses": t.counters.map(|c| c.misses),
        "corrupt": t.counters.map(|c| c.corrupt),
        "temporary": t.temporary,
        "quarantined": t.quarantined,
        "graphs": s.graphs,
        "traces": s.traces,
        "programs": s.programs,
    })
}

fn collected_text(c: &Collected) -> String {
    let mut out = format!(
        "removed {} entries, {} temporary and {} quarantined files, {} bytes",
        c.entries.count,
        c.temporary.count,
        c.quarantined.count,
        c.bytes()
    );
    if c.kept > 0 {
        out.push_str(&format!("; kept {} this user may not remove", c.kept));
    }
    out
}

fn collected_json(c: &Collected) -> serde_json::Value {
    serde_json::json!({
        "removed": c.entries.count,
        "temporary": c.temporary.count,
        "quarantined": c.quarantined.count,
        "bytes_freed": c.bytes(),
        "kept": c.kept,
    })
}

/// Runs `phasic cache` over every store (graphs, traces, programs);
/// returns the text to print.
pub fn run(args: &CacheArgs) -> Result<String, phasic::cache::Error> {
    let root = cache_root(args.cache_dir.as_deref())?;
    let cache = Cache::new(&root);
    let json = |v: serde_json::Value| v.to_string();
    Ok(match &args.action {
        Action::Path => {
            if args.json {
                json(serde_json::json!({
                    "root": root, "graphs": cache.graphs.dir(), "traces": cache.traces.dir(),
                    "programs": cache.programs.dir(),
                }))
            } else {
                root.display().to_string()
            }
        }
        Action::Stats => {
            let s = cache.stats()?;
            if args.json {
                json(stats_json(&root, &s))
            } else {
                stats_text(&root, &s)
            }
        }
        Action::Verify => {
            let v = cache.verify()?;
            if args.json {
                let bad: Vec<_> = v
                    .bad
                    .iter()
                    .map(|(p, r)| serde_json::json!({ "path": p, "reason": r }))
                    .collect();
                let denied: Vec<_> = v
                    .denied
                    .iter()
                    .map(|(p, r)| serde_json::json!({ "path": p, "reason": r.to_string() }))
                    .collect();
                json(serde_json::json!({ "good": v.good, "bad": bad, "denied": denied }))
            } else {
                let mut out = format!(
                    "{} good, {} bad (moved to quarantine/)",
                    v.good,
                    v.bad.len()
                );
                if !v.denied.is_empty() {
                    out.push_str(&format!(
                        ", {} not readable by this user (not checked, left alone)",
                        v.denied.len()
                    ));
                }
                for (p, r) in &v.bad {
                    out.push_str(&format!("\n{}: {r}", p.display()));
                }
                for (p, r) in &v.denied {
                    out.push_str(&format!("\n{}: {r}", p.display()));
                }
                out
            }
        }
        Action::Gc { max_bytes, max_age } => {
            let c = cache.gc(&Limits::new(*max_bytes, *max_age))?;
            if args.json {
                json(collected_json(&c))
            } else {
                collected_text(&c)
            }
        }
        Action::Clear => {
            let c = cache.clear()?;
            if args.json {
                json(collected_json(&c))
            } else {
                collected_text(&c)
            }
        }
    })
}
