//! Cache modes and the cache root.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, Result};

/// How a build uses the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheMode {
    /// No cache at all.
    Off,
    /// Use entries, never write.
    ReadOnly,
    /// Use entries; build and publish on a miss (the default).
    #[default]
    ReadWrite,
    /// Rebuild and replace the entry.
    Refresh,
    /// As `ReadWrite`, but any cache failure is an error instead of a warning.
    Required,
}

impl CacheMode {
    /// A cache failure `e`: an error in `Required` mode; otherwise a warning
    /// naming `what` (the graph cache, the trace store), and the work goes
    /// on without it.
    pub(crate) fn tolerate(self, e: Error, what: &str) -> Result<()> {
        if self == CacheMode::Required {
            Err(Error::Required(Box::new(e)))
        } else {
            tracing::warn!(error = %e, "{what} unusable; going on without it");
            Ok(())
        }
    }
}

impl FromStr for CacheMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.replace('_', "-").as_str() {
            "off" => Ok(CacheMode::Off),
            "read-only" => Ok(CacheMode::ReadOnly),
            "read-write" => Ok(CacheMode::ReadWrite),
            "refresh" => Ok(CacheMode::Refresh),
            "required" => Ok(CacheMode::Required),
            _ => Err(Error::UnknownMode(s.to_string())),
        }
    }
}

/// The cache root: `explicit`, else `PHASIC_CACHE_DIR`, else the platform
/// cache directory (`$XDG_CACHE_HOME/phasic`, else `~/.cache/phasic`).
/// Reads the environment; never modifies it.
///
/// ```
/// use std::path::Path;
/// let root = phasic_cache::cache_root(Some(Path::new("/tmp/x"))).unwrap();
/// assert_eq!(root, Path::new("/tmp/x"));
/// ```
pub fn cache_root(explicit: Option<&Path>) -> Result<PathBuf> {
    resolve_root(
        explicit,
        std::env::var_os("PHASIC_CACHE_DIR").map(PathBuf::from),
        || directories::BaseDirs::new().map(|b| b.cache_dir().join("phasic")),
    )
}

/// The precedence rule, separated from the environment for tests.
pub(crate) fn resolve_root(
    explicit: Option<&Path>,
    env: Option<PathBuf>,
    platform: impl FnOnce() -> Option<PathBuf>,
) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = env.filter(|p| !p.as_os_str().is_empty()) {
        return Ok(p);
    }
    platform().ok_or(Error::NoRoot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_explicit_then_env_then_platform() {
        let plat = || Some(PathBuf::from("/plat/phasic"));
        let env = Some(PathBuf::from("/env"));
        assert_eq!(
            resolve_root(Some(Path::new("/arg")), env.clone(), plat).unwrap(),
            Path::new("/arg")
        );
        assert_eq!(resolve_root(None, env, plat).unwrap(), Path::new("/env"));
        assert_eq!(
            resolve_root(None, Some(PathBuf::new()), plat).unwrap(),
            Path::new("/plat/phasic")
        );
        assert_eq!(
            resolve_root(None, None, plat).unwrap(),
            Path::new("/plat/phasic")
        );
        assert!(matches!(
            resolve_root(None, None, || None),
            Err(Error::NoRoot)
        ));
    }

    #[test]
    fn modes_parse_with_hyphens_or_underscores() {
        assert_eq!(
            "read-only".parse::<CacheMode>().unwrap(),
            CacheMode::ReadOnly
        );
        assert_eq!(
            "read_write".parse::<CacheMode>().unwrap(),
            CacheMode::ReadWrite
        );
        assert!("sometimes".parse::<CacheMode>().is_err());
    }
}
