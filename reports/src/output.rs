//! Output folders written atomically: everything goes into a hidden temporary folder beside the
//! target, which is renamed into place only when complete. An existing folder is replaced only
//! when the caller says so (`--force`), and then also by rename, so a reader never sees a half
//! written folder and a failed run leaves the old one untouched.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// A folder being written.
#[derive(Debug)]
pub struct OutputDir {
    target: PathBuf,
    tmp: PathBuf,
    force: bool,
    committed: bool,
}

impl OutputDir {
    /// Start writing `target`. Fails if it exists and `force` is false.
    pub fn create(target: &Path, force: bool) -> Result<OutputDir> {
        if target.exists() && !force {
            bail!(
                "output folder {} already exists; pass --force to replace it, or --out to write elsewhere",
                target.display()
            );
        }
        let parent = parent_of(target);
        fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
        let name = file_name(target);
        let tmp = parent.join(format!(".{name}.tmp-{}-{}", std::process::id(), unique_suffix()));
        fs::create_dir(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        Ok(OutputDir { target: target.to_path_buf(), tmp, force, committed: false })
    }

    /// Path of a file inside the folder being written.
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.join(name)
    }

    /// The folder being written (temporary until [`OutputDir::commit`]).
    pub fn tmp_dir(&self) -> &Path {
        &self.tmp
    }

    /// The final location.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Move the finished folder into place.
    pub fn commit(mut self) -> Result<PathBuf> {
        if self.target.exists() {
            if !self.force {
                bail!("output folder {} appeared while writing; nothing was replaced", self.target.display());
            }
            let old = parent_of(&self.target).join(format!(".{}.old-{}-{}", file_name(&self.target), std::process::id(), unique_suffix()));
            fs::rename(&self.target, &old).with_context(|| format!("moving the old {} aside", self.target.display()))?;
            if let Err(e) = fs::rename(&self.tmp, &self.target) {
                // Put the old folder back so nothing is lost.
                let _ = fs::rename(&old, &self.target);
                return Err(e).with_context(|| format!("moving the new output into {}", self.target.display()));
            }
            fs::remove_dir_all(&old).with_context(|| format!("removing the replaced {}", old.display()))?;
        } else {
            fs::rename(&self.tmp, &self.target).with_context(|| format!("moving the output into {}", self.target.display()))?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Write a file atomically (temporary file, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = parent_of(path);
    let tmp = parent.join(format!(".{}.tmp-{}-{}", file_name(path), std::process::id(), unique_suffix()));
    fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}

/// The first of `base`, `base-2`, `base-3`, ... that does not exist.
pub fn fresh_path(base: &Path) -> PathBuf {
    if !base.exists() {
        return base.to_path_buf();
    }
    let name = file_name(base);
    (2u32..)
        .map(|i| parent_of(base).join(format!("{name}-{i}")))
        .find(|p| !p.exists())
        .expect("some suffix is free")
}

fn parent_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into())
}

fn unique_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existing_folder_is_kept_without_force_and_replaced_with_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out");
        fs::create_dir(&target).expect("mkdir");
        fs::write(target.join("old.txt"), "old").expect("write");
        assert!(OutputDir::create(&target, false).is_err());
        assert!(target.join("old.txt").exists());

        let out = OutputDir::create(&target, true).expect("create");
        fs::write(out.path("new.txt"), "new").expect("write");
        out.commit().expect("commit");
        assert!(target.join("new.txt").exists());
        assert!(!target.join("old.txt").exists());
        // No temporary folders are left behind.
        let leftovers: Vec<_> = fs::read_dir(dir.path()).expect("read").filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().starts_with('.')).collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn an_abandoned_write_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out");
        {
            let out = OutputDir::create(&target, false).expect("create");
            fs::write(out.path("a.txt"), "a").expect("write");
        }
        assert!(!target.exists());
        assert_eq!(fs::read_dir(dir.path()).expect("read").count(), 0);
    }

    #[test]
    fn fresh_path_skips_existing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().join("run");
        assert_eq!(fresh_path(&base), base);
        fs::create_dir(&base).expect("mkdir");
        assert_eq!(fresh_path(&base), dir.path().join("run-2"));
    }
}
