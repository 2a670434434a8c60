//! Measuring whole runs for the examples: each run in its own process
//! (peak RSS is per process), figures as `key=value` pairs, medians.

use std::process::Command;

/// This process's peak resident set (VmHWM), in MB.
pub fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// The value of `key` in a line of `key=value` pairs.
pub fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

/// The median (upper middle for an even count).
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Runs this executable with `--child` and `args`, `repeats` times; the
/// lines each run printed.
pub fn runs(args: &[String], repeats: usize) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let me = std::env::current_exe()?;
    let mut lines = Vec::new();
    for _ in 0..repeats {
        let out = Command::new(&me).arg("--child").args(args).output()?;
        if !out.status.success() {
            return Err(format!(
                "{}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        lines.push(String::from_utf8(out.stdout)?.trim().to_string());
    }
    Ok(lines)
}

/// The median of `key` over `lines`.
pub fn median_of(lines: &[String], key: &str) -> f64 {
    median(
        lines
            .iter()
            .filter_map(|l| field(l, key)?.parse().ok())
            .collect(),
    )
}
