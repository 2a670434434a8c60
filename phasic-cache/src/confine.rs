//! The cache root cannot be escaped: before anything is read, written,
//! moved or removed below the root, every folder between the root and the
//! file is checked to be a real folder and not a symbolic link. The root
//! itself may be a link (the user chose it); nothing inside it is
//! followed. In a cache shared between users anyone may plant a link, so
//! maintenance never touches what a link points at.

use std::fs;
use std::path::Path;

use crate::error::{Error, Result};

/// Checks the folders from `root` (exclusive) down to `dir` (inclusive):
/// each one that exists must be a real folder, not a symbolic link.
/// Folders that do not exist yet are fine (they are created as real
/// folders). `dir` must lie below `root`.
pub(crate) fn confined(root: &Path, dir: &Path) -> Result<()> {
    let Ok(below) = dir.strip_prefix(root) else {
        return Err(Error::Escape {
            path: dir.to_path_buf(),
            reason: format!("outside the cache root {}", root.display()),
        });
    };
    let mut at = root.to_path_buf();
    for part in below.components() {
        at.push(part);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::Escape {
                    path: at,
                    reason: "a symbolic link: phasic follows no link inside its cache root \
                             (point --cache-dir at the real folder instead)"
                        .into(),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("stat", at)(e)),
        }
    }
    Ok(())
}

/// Whether `path` is a regular file itself (a link to one is not).
pub(crate) fn is_regular_file(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linked_folder_below_the_root_is_refused_and_the_root_may_be_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        fs::create_dir_all(real.join("graphs/ab")).unwrap();
        let outside = tmp.path().join("outside");
        fs::create_dir(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, real.join("graphs/cd")).unwrap();
        let root_link = tmp.path().join("root");
        std::os::unix::fs::symlink(&real, &root_link).unwrap();

        assert!(confined(&root_link, &root_link.join("graphs/ab")).is_ok());
        assert!(confined(&root_link, &root_link.join("graphs/ef/deeper")).is_ok());
        let err = confined(&root_link, &root_link.join("graphs/cd")).unwrap_err();
        assert!(
            matches!(&err, Error::Escape { path, .. } if path == &root_link.join("graphs/cd")),
            "{err}"
        );
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(matches!(
            confined(&real, &outside),
            Err(Error::Escape { .. })
        ));
    }

    #[test]
    fn only_a_regular_file_itself_is_a_regular_file() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        fs::write(&file, b"x").unwrap();
        let link = tmp.path().join("l");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(is_regular_file(&file));
        assert!(!is_regular_file(&link));
        assert!(!is_regular_file(tmp.path()));
        assert!(!is_regular_file(&tmp.path().join("missing")));
    }
}
