//! The memory this process may still use, and the default `--max-states`
//! derived from it. The least of: `MemAvailable` (`/proc/meminfo`), the
//! memory cgroup's limit less its usage (v2 `memory.max`, v1
//! `memory.limit_in_bytes`), and the address-space limit less the address
//! space in use (`/proc/self/limits`, `/proc/self/status`).

use std::fs;

/// Bytes a state costs, rounded up from the peak resident memory measured
/// on `block_counting` (release build): a whole run takes 710 B/state at
/// n = 50 (204,227 states) and 821 B/state at n = 60 (966,468 states);
/// the build alone at n = 100, whose states are longer, 633 B/state at
/// 500,000 states and 665 B/state at 2,000,000.
pub const BYTES_PER_STATE: u64 = 1024;

/// The share of the available memory a build may take by default (the
/// rest is for the elimination and everything else).
const SHARE: u64 = 2;

/// `--max-states` when no memory figure can be read.
const FALLBACK_MAX_STATES: usize = 10_000_000;

/// The default `--max-states`: half the available memory at
/// [`BYTES_PER_STATE`], with the memory it is derived from (bytes).
pub fn default_max_states() -> (usize, Option<u64>) {
    let available = available();
    (max_states_for(available), available)
}

fn max_states_for(available: Option<u64>) -> usize {
    available.map_or(FALLBACK_MAX_STATES, |bytes| {
        usize::try_from(bytes / SHARE / BYTES_PER_STATE)
            .unwrap_or(usize::MAX)
            .max(1)
    })
}

/// Bytes this process may still allocate, if any limit can be read.
fn available() -> Option<u64> {
    let read = |path: &str| fs::read_to_string(path).ok();
    let meminfo = read("/proc/meminfo").and_then(|t| kib_field(&t, "MemAvailable:"));
    let address_space = read("/proc/self/limits")
        .and_then(|t| address_space_limit(&t))
        .map(|limit| {
            let used = read("/proc/self/status")
                .and_then(|t| kib_field(&t, "VmSize:"))
                .unwrap_or(0);
            limit.saturating_sub(used)
        });
    [meminfo, cgroup(), address_space]
        .into_iter()
        .flatten()
        .min()
}

/// The memory cgroup's limit less its usage: v2 (the process's own group,
/// from `/proc/self/cgroup`), else v1.
fn cgroup() -> Option<u64> {
    let read = |path: &str| fs::read_to_string(path).ok();
    let number = |path: String| read(&path).and_then(|t| t.trim().parse::<u64>().ok());
    let v2 = read("/proc/self/cgroup")
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("0::").map(str::to_string))
        })
        .and_then(|group| {
            let dir = format!("/sys/fs/cgroup{}", group.trim_end_matches('/'));
            let limit = number(format!("{dir}/memory.max"))?;
            let used = number(format!("{dir}/memory.current")).unwrap_or(0);
            Some(limit.saturating_sub(used))
        });
    v2.or_else(|| {
        let dir = "/sys/fs/cgroup/memory";
        let limit = number(format!("{dir}/memory.limit_in_bytes"))?;
        let used = number(format!("{dir}/memory.usage_in_bytes")).unwrap_or(0);
        Some(limit.saturating_sub(used))
    })
}

/// A `Name:   1234 kB` field of `/proc/meminfo` or `/proc/self/status`, in bytes.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The soft `Max address space` of `/proc/self/limits`, in bytes (`None`
/// if unlimited).
fn address_space_limit(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("Max address space"))?;
    line["Max address space".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_in_bytes() {
        let meminfo =
            "MemTotal:       24683568 kB\nMemFree:         1000 kB\nMemAvailable:   23941976 kB\n";
        assert_eq!(kib_field(meminfo, "MemAvailable:"), Some(23_941_976 * 1024));
        assert_eq!(kib_field(meminfo, "VmSize:"), None);
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max stack size            8388608              unlimited            bytes     \n\
                      Max address space         1000000000           1000000000           bytes     \n";
        assert_eq!(address_space_limit(limits), Some(1_000_000_000));
        let unlimited =
            "Max address space         unlimited            unlimited            bytes     \n";
        assert_eq!(address_space_limit(unlimited), None);
    }

    #[test]
    fn the_default_is_half_the_memory_at_the_cost_of_a_state() {
        // 24 GiB available: 12 GiB at 1 KiB/state
        assert_eq!(max_states_for(Some(24 << 30)), 12 << 20);
        assert_eq!(max_states_for(Some(2048)), 1);
        assert_eq!(max_states_for(Some(0)), 1);
        assert_eq!(max_states_for(None), FALLBACK_MAX_STATES);
    }
}
