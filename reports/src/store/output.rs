//! Output folders written atomically: everything goes into a hidden temporary folder beside the
//! target, which is moved into place only when complete, so a reader never sees a half written
//! folder and a failed run leaves the old one untouched.
//!
//! Nothing dcplan did not write is ever deleted:
//! - An existing folder is replaced only when the caller says so (`--force`, or `--resume` for a
//!   part folder), only when dcplan wrote it (it holds a `manifest.ron` or `part.ron` that reads
//!   as one), and never when it is the current folder or one of its ancestors.
//! - Files and folders in it that its manifest does not list (the user's additions) are carried
//!   into the new folder (hard links where the file system allows, copies otherwise).
//! - The replacement is an atomic exchange of the two folders where the OS has one (Linux
//!   `renameat2(RENAME_EXCHANGE)`): the target is never missing, whenever the process dies.
//!   Elsewhere the old folder is first moved aside to a hidden `.NAME.old-*` folder, which the
//!   next dcplan writing beside it puts back if the new one never arrived.
//! - Temporary names carry the process id and host name (`.NAME.tmp-PID-N-HOST`); a temporary
//!   folder left by a process of this host that no longer runs (a killed run) is removed by the
//!   next dcplan writing beside it, and only where dcplan's marker file is in it and no process
//!   holds the lock a run keeps on that marker while it writes (a run in another PID namespace,
//!   a container sharing the folder, shows as a process that does not run here, but holds its
//!   lock). Folders of processes on other hosts (a shared file system) are left alone, and so is
//!   anything else with such a name: a file, or a folder without the marker. Single files are
//!   written through a marked temporary folder too.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Largest text file (manifest, part manifest, scenario) dcplan reads from a folder.
pub(crate) const MAX_TEXT_BYTES: u64 = 256 << 20;
/// Largest data file (`replications.bin`, a table) dcplan reads from a folder.
pub(crate) const MAX_DATA_BYTES: u64 = 64 << 30;

/// A folder being written.
#[derive(Debug)]
pub(crate) struct OutputDir {
    target: PathBuf,
    tmp: PathBuf,
    replace: Replace,
    committed: bool,
    /// The marker file, locked while the folder is written (see [`clean_stale`]).
    marker: Option<fs::File>,
}

/// Whether an existing folder may be replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replace {
    /// Never (no `--force`).
    Never,
    /// A folder dcplan wrote (`--force`).
    Output,
    /// Only a part folder of a sharded run (`--resume`).
    Part,
}

impl Replace {
    /// The more permissive of two rules.
    pub(crate) fn max_with(self, other: Replace) -> Replace {
        match (self, other) {
            (Replace::Output, _) | (_, Replace::Output) => Replace::Output,
            (Replace::Part, _) | (_, Replace::Part) => Replace::Part,
            _ => Replace::Never,
        }
    }
}

impl OutputDir {
    /// Start writing `target`. Fails if it exists and `force` is false, or if it may not be
    /// replaced (see the module documentation).
    pub(crate) fn create(target: &Path, force: bool) -> Result<OutputDir> {
        Self::create_with(
            target,
            if force {
                Replace::Output
            } else {
                Replace::Never
            },
        )
    }

    /// Start writing `target`, replacing an existing folder as `replace` allows.
    pub(crate) fn create_with(target: &Path, replace: Replace) -> Result<OutputDir> {
        // `out/.` is `out`; a path that ends in `..`, or is the current or root folder, names no
        // folder to write.
        let normal: PathBuf = target.components().collect();
        if !matches!(
            normal.components().next_back(),
            Some(std::path::Component::Normal(_))
        ) {
            bail!(
                "{} names the current folder, a folder above it or the root, not an output folder; name the folder to write, e.g. --out results",
                target.display()
            );
        }
        let target = normal.as_path();
        let parent = parent_of(target);
        let name = file_name(target);
        if parent.is_dir() {
            clean_stale(&parent);
        }
        if exists(target) {
            if replace == Replace::Never && !target.is_dir() {
                let what = if fs::symlink_metadata(target).is_ok_and(|m| m.file_type().is_symlink())
                {
                    "a symbolic link"
                } else {
                    "a file"
                };
                bail!(
                    "{} is {what}, not an output folder; name a new folder with --out",
                    target.display()
                );
            }
            if replace == Replace::Never {
                bail!(
                    "output folder {} already exists; pass --force to replace it, or --out to write elsewhere",
                    target.display()
                );
            }
            replaceable(target, replace)?;
        }
        // A folder cannot be made inside a file: say which part of the path is one.
        if let Some(file) = parent
            .ancestors()
            .find(|a| fs::metadata(a).is_ok_and(|m| !m.is_dir()))
        {
            bail!(
                "{} is a file, not a folder, so {} cannot be made inside it; name another --out",
                file.display(),
                target.display()
            );
        }
        fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
        let tmp = parent.join(hidden_name(&name, "tmp"));
        fs::create_dir(&tmp).with_context(|| {
            format!(
                "writing {}: cannot make a folder in {}",
                target.display(),
                parent.display()
            )
        })?;
        // Marks the folder as dcplan's until it is finished: only a marked folder is ever
        // cleaned up as an interrupted write, and never while its marker is locked.
        let marker = match marked_and_locked(&tmp) {
            Ok(m) => m,
            Err(e) => {
                let _ = fs::remove_dir_all(&tmp);
                return Err(e).with_context(|| format!("writing {}", target.display()));
            }
        };
        Ok(OutputDir {
            target: target.to_path_buf(),
            tmp,
            replace,
            committed: false,
            marker: Some(marker),
        })
    }

    /// Path of a file inside the folder being written.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.tmp.join(name)
    }

    /// The folder being written (temporary until [`OutputDir::commit`]).
    pub(crate) fn tmp_dir(&self) -> &Path {
        &self.tmp
    }

    /// Move the finished folder into place.
    pub(crate) fn commit(mut self) -> Result<PathBuf> {
        fs::remove_file(self.tmp.join(PARTIAL_MARKER))
            .with_context(|| format!("finishing {}", self.tmp.display()))?;
        self.marker = None;
        if exists(&self.target) {
            if self.replace == Replace::Never {
                bail!(
                    "output folder {} appeared while writing; nothing was replaced",
                    self.target.display()
                );
            }
            // Checked again: the folder may have changed since the run started.
            let keep = replaceable(&self.target, self.replace)?;
            for entry in &keep {
                let (from, to) = (self.target.join(entry), self.tmp.join(entry));
                if exists(&to) {
                    bail!(
                        "{} was not written by dcplan and the new output has a file of that name; move it away and run again (nothing was replaced)",
                        from.display()
                    );
                }
                carry(&from, &to)
                    .with_context(|| format!("keeping {} in the new folder", from.display()))?;
            }
            self.swap()?;
            if !keep.is_empty() {
                eprintln!(
                    "{}: kept {} item(s) dcplan did not write: {}",
                    self.target.display(),
                    keep.len(),
                    keep.iter()
                        .map(|k| clean_for_terminal(k))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        } else {
            fs::rename(&self.tmp, &self.target)
                .with_context(|| format!("moving the output into {}", self.target.display()))?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }

    /// Put the new folder at the target and remove the old one.
    fn swap(&self) -> Result<()> {
        match exchange(&self.tmp, &self.target) {
            Ok(true) => {
                // The temporary name now holds the old folder: marked at once as dcplan's to
                // remove, so that a run killed now leaves nothing the next one does not clean.
                remove_replaced(&self.tmp, &self.target);
                return Ok(());
            }
            Ok(false) => {}
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("exchanging the new output with {}", self.target.display())
                });
            }
        }
        // No atomic exchange here: move the old folder aside under a name the next run recognises.
        let old = parent_of(&self.target).join(hidden_name(&file_name(&self.target), "old"));
        fs::rename(&self.target, &old)
            .with_context(|| format!("moving the old {} aside", self.target.display()))?;
        if let Err(e) = fs::rename(&self.tmp, &self.target) {
            // Put the old folder back so nothing is lost.
            let _ = fs::rename(&old, &self.target);
            return Err(e)
                .with_context(|| format!("moving the new output into {}", self.target.display()));
        }
        remove_replaced(&old, &self.target);
        Ok(())
    }
}

/// Remove the folder a replacement of `target` set aside at `old`. The new folder is in place by
/// then, so a failure (a folder made read-only) is a warning naming what is left, not an error.
fn remove_replaced(old: &Path, target: &Path) {
    let _ = fs::write(old.join(PARTIAL_MARKER), b"");
    if let Err(e) = fs::remove_dir_all(old) {
        eprintln!(
            "{}: replaced; the previous folder could not be removed and is left at {} ({e})",
            target.display(),
            old.display()
        );
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// A path made absolute with its links resolved as far as it exists (a folder about to be
/// written does not exist yet: its parent is resolved and its name kept).
pub(crate) fn resolved(p: &Path) -> std::path::PathBuf {
    if let Ok(c) = fs::canonicalize(p) {
        return c;
    }
    match (p.parent(), p.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            resolved(parent).join(name)
        }
        _ => std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()),
    }
}

/// Whether an output path is an input of the same command, lies inside one or holds one: writing
/// it would replace what the command reads.
pub(crate) fn overlaps(output: &Path, input: &Path) -> bool {
    let (o, i) = (resolved(output), resolved(input));
    o.starts_with(&i) || i.starts_with(&o)
}

/// The file that marks a folder dcplan is still writing (removed when it is finished).
pub const PARTIAL_MARKER: &str = ".dcplan-unfinished";

/// Whether a path exists (a dangling symbolic link counts: it is something in the way).
fn exists(p: &Path) -> bool {
    fs::symlink_metadata(p).is_ok()
}

/// Check that `target` may be replaced; returns the entries in it that dcplan did not write.
fn replaceable(target: &Path, replace: Replace) -> Result<Vec<String>> {
    let shown = target.display();
    let meta = fs::symlink_metadata(target).with_context(|| format!("reading {shown}"))?;
    if !meta.is_dir() {
        bail!(
            "{shown} exists and is not a folder dcplan wrote (it is not a folder); it is left alone: choose another --out"
        );
    }
    if let (Ok(t), Ok(cwd)) = (
        fs::canonicalize(target),
        std::env::current_dir().and_then(fs::canonicalize),
    ) && cwd.starts_with(&t)
    {
        bail!(
            "{shown} is the current folder or one of its ancestors; dcplan never replaces it: choose another --out"
        );
    }
    let written = written_by_dcplan(target, replace);
    let Some(written) = written else {
        let what = match replace {
            Replace::Part => "a part folder (no readable part.ron)",
            _ => "an output folder dcplan wrote (no readable manifest.ron or part.ron)",
        };
        bail!(
            "{shown} exists and is not {what}; it is left alone: move it away or choose another --out"
        );
    };
    if replace != Replace::Part {
        refuse_changed_files(target)?;
    }
    let written = top_level_written(target, &written)?;
    let mut keep = Vec::new();
    for entry in fs::read_dir(target).with_context(|| format!("listing {shown}"))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !written.contains(&name) {
            keep.push(name);
        }
    }
    keep.sort();
    if let Some(mount) = keep
        .iter()
        .find_map(|k| mount_below(&meta, &target.join(k)))
    {
        bail!(
            "{shown} holds another file system mounted at {}; it is left alone: unmount it or choose another --out",
            mount.display()
        );
    }
    Ok(keep)
}

/// The first folder at or below `path` on another device than the output folder (`top`): a
/// mount point, whose contents replacing the folder would copy and then delete.
#[cfg(unix)]
fn mount_below(top: &fs::Metadata, path: &Path) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.is_dir() {
        return None;
    }
    if meta.dev() != top.dev() {
        return Some(path.to_path_buf());
    }
    fs::read_dir(path)
        .ok()?
        .filter_map(|e| e.ok())
        .find_map(|e| mount_below(top, &e.path()))
}

#[cfg(not(unix))]
fn mount_below(_top: &fs::Metadata, _path: &Path) -> Option<std::path::PathBuf> {
    None
}

/// Refuse to replace an output folder where a file its manifest lists is no longer what dcplan
/// wrote (an edited report, a folder put in its place): the change is the user's, and replacing
/// the folder would lose it.
fn refuse_changed_files(dir: &Path) -> Result<()> {
    let Some(manifest) = read_text(&dir.join("manifest.ron"), MAX_TEXT_BYTES)
        .ok()
        .and_then(|t| ron::from_str::<crate::store::manifest::Manifest>(&t).ok())
    else {
        return Ok(());
    };
    let changed: Vec<String> = manifest
        .files
        .iter()
        .filter(|(name, hash)| {
            let path = dir.join(name);
            let same = fs::symlink_metadata(&path).is_ok_and(|m| m.is_file())
                && read_limited(&path, MAX_DATA_BYTES)
                    .is_ok_and(|bytes| crate::store::manifest::hash_bytes(&bytes) == *hash);
            // A file that is gone is no loss; anything else that differs is the user's.
            !same && exists(&path)
        })
        .map(|(name, _)| clean_for_terminal(name))
        .collect();
    if !changed.is_empty() {
        bail!(
            "{} holds files changed since dcplan wrote them ({}); it is left alone: move them away or choose another --out",
            dir.display(),
            changed.join(", ")
        );
    }
    Ok(())
}

/// The files dcplan wrote in `dir` by its manifest (or part manifest), or `None` when it holds
/// neither in a readable form.
fn written_by_dcplan(dir: &Path, replace: Replace) -> Option<Vec<String>> {
    let read = |f: &str| read_text(&dir.join(f), MAX_TEXT_BYTES).ok();
    if let Some(part) =
        read("part.ron").and_then(|t| ron::from_str::<crate::store::parts::PartManifest>(&t).ok())
    {
        let mut files: Vec<String> = part.files.into_iter().map(|(f, _)| f).collect();
        files.push("part.ron".into());
        return Some(files);
    }
    if replace == Replace::Part {
        return None;
    }
    let manifest: crate::store::manifest::Manifest = ron::from_str(&read("manifest.ron")?).ok()?;
    let mut files: Vec<String> = manifest.files.into_iter().map(|(f, _)| f).collect();
    files.push("manifest.ron".into());
    Some(files)
}

/// The top-level entries of `dir` dcplan wrote, from the names its manifest lists: a listed copy
/// of an input (`inputs/data/x.csv`) makes `inputs` dcplan's, but only when every file under it
/// is listed; otherwise `inputs` holds something the user put there and is refused (`Err` names
/// it), since the new folder has an `inputs` of its own.
fn top_level_written(dir: &Path, listed: &[String]) -> Result<Vec<String>> {
    use crate::store::manifest::{INPUTS_DIR, files_under};
    let mut top: Vec<String> = listed
        .iter()
        .map(|f| f.split('/').next().unwrap_or(f).to_string())
        .collect();
    top.sort();
    top.dedup();
    if top.iter().any(|t| t == INPUTS_DIR) {
        let extra: Vec<String> = files_under(dir, INPUTS_DIR)?
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| !listed.contains(name))
            .collect();
        if !extra.is_empty() {
            bail!(
                "{} holds files dcplan did not write in its {INPUTS_DIR} folder ({}); it is left alone: move them away or choose another --out",
                dir.display(),
                extra
                    .iter()
                    .map(|e| clean_for_terminal(e))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(top)
}

/// Hard-link (or copy) a file or folder tree.
fn carry(from: &Path, to: &Path) -> std::io::Result<()> {
    let meta = fs::symlink_metadata(from)?;
    if meta.is_dir() {
        fs::create_dir(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            carry(&entry.path(), &to.join(entry.file_name()))?;
        }
        // The folder keeps its permissions (set last, in case they deny writing into it).
        fs::set_permissions(to, meta.permissions())
    } else if meta.file_type().is_symlink() {
        let link = fs::read_link(from)?;
        symlink(&link, to)
    } else if fs::hard_link(from, to).is_ok() {
        Ok(())
    } else {
        fs::copy(from, to).map(|_| ())
    }
}

#[cfg(unix)]
fn symlink(link: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(link, to)
}

#[cfg(not(unix))]
fn symlink(_link: &Path, to: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(format!(
        "cannot recreate the link {}",
        to.display()
    )))
}

/// Atomically exchange two folders; `Ok(false)` where the OS or file system has no exchange.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(e)
            if e == rustix::io::Errno::INVAL
                || e == rustix::io::Errno::NOSYS
                || e == rustix::io::Errno::OPNOTSUPP =>
        {
            Ok(false)
        }
        Err(e) => Err(std::io::Error::from(e).into()),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_a: &Path, _b: &Path) -> Result<bool> {
    Ok(false)
}

/// This host's name, as used in temporary names (letters, digits, `-`, `_`, `.`).
fn host() -> String {
    #[cfg(unix)]
    let name = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    #[cfg(not(unix))]
    let name = std::env::var("COMPUTERNAME").unwrap_or_default();
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(64)
        .collect();
    if name.is_empty() { "host".into() } else { name }
}

/// Whether a process of this host runs (or may run: an unknown answer counts as running).
fn process_runs(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Some(p) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return true;
        };
        !matches!(rustix::process::test_kill_process(p), Err(e) if e == rustix::io::Errno::SRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// `.NAME.KIND-PID-N-HOST`. A temporary name shortens a long NAME (as [`safe_name`] does), so
/// that any name the file system accepts can be written; a name set aside keeps NAME whole, so
/// that an interrupted replacement can be put back.
fn hidden_name(name: &str, kind: &str) -> String {
    let short;
    let name = if kind == "tmp" && name.len() > MAX_SAFE_NAME {
        short = safe_name(name);
        short.as_str()
    } else {
        name
    };
    format!(
        ".{name}.{kind}-{}-{}-{}",
        std::process::id(),
        unique_suffix(),
        host()
    )
}

/// A hidden name written by [`hidden_name`]: `(NAME, KIND, PID, HOST)`.
fn parse_hidden(file: &str) -> Option<(&str, &str, u32, &str)> {
    let rest = file.strip_prefix('.')?;
    let (name, kind, tail) = ["tmp", "old"]
        .iter()
        .filter_map(|k| rest.rsplit_once(&format!(".{k}-")).map(|(n, t)| (n, *k, t)))
        .next()?;
    let mut fields = tail.splitn(3, '-');
    let pid: u32 = fields.next()?.parse().ok()?;
    fields.next()?.parse::<u128>().ok()?;
    let host = fields.next()?;
    Some((name, kind, pid, host))
}

/// Write dcplan's marker into the new folder `dir` and lock it for as long as the returned file
/// is open.
fn marked_and_locked(dir: &Path) -> std::io::Result<fs::File> {
    let marker = fs::File::create(dir.join(PARTIAL_MARKER))?;
    #[cfg(unix)]
    rustix::fs::flock(
        &marker,
        rustix::fs::FlockOperation::NonBlockingLockExclusive,
    )?;
    Ok(marker)
}

/// The lock on the marker file `marker`, taken and held while the returned file is open; None
/// where a running dcplan holds it (it is writing that folder) or the file cannot be opened.
fn marker_lock(marker: &Path) -> Option<fs::File> {
    let file = fs::File::open(marker).ok()?;
    #[cfg(unix)]
    if rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
        return None;
    }
    Some(file)
}

/// Remove what killed dcplan processes of this host left in `dir`: temporary folders, and
/// folders set aside during a replacement (put back where the new folder never arrived). Only
/// folders with dcplan's marks are touched: a temporary folder with the marker no run holds
/// locked, a set-aside folder with a manifest.
pub(crate) fn clean_stale(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let me = host();
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some((name, kind, pid, host)) = parse_hidden(&file) else {
            continue;
        };
        if host != me || pid == std::process::id() || process_runs(pid) {
            continue;
        }
        let path = entry.path();
        // A file or a link with such a name is not dcplan's to touch.
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let target = dir.join(name);
        // A folder is touched only where dcplan's marks show it is dcplan's: an unfinished
        // output carries the marker (unlocked: no run writes it), a replaced one its manifest.
        let ours = |f: &str| exists(&path.join(f));
        let replaced = ours("manifest.ron") || ours("part.ron");
        // A set-aside folder is put back only where its removal never started (no marker).
        if kind == "old"
            && replaced
            && !ours(PARTIAL_MARKER)
            && !exists(&target)
            && fs::rename(&path, &target).is_ok()
        {
            eprintln!(
                "{}: put back from {} (a replacement was interrupted)",
                target.display(),
                clean_for_terminal(&file)
            );
            continue;
        }
        // (A replaced folder gets the marker before its removal starts, so one whose removal was
        // cut short, its manifest already gone, still has it.)
        if ours(PARTIAL_MARKER) {
            if let Some(_held) = marker_lock(&path.join(PARTIAL_MARKER)) {
                let _ = fs::remove_dir_all(&path);
            }
        } else if kind == "old" && replaced {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// Write a file atomically (temporary file, then rename); the temporary file is removed if
/// either step fails.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = parent_of(path);
    if !parent.is_dir() {
        anyhow::bail!(
            "writing {}: the folder {} does not exist",
            path.display(),
            parent.display()
        );
    }
    // The file is written in a marked temporary folder, so that a run killed meanwhile leaves
    // something the next run recognises as its own.
    let name = file_name(path);
    let tmp_dir = parent.join(hidden_name(&name, "tmp"));
    fs::create_dir(&tmp_dir).with_context(|| {
        format!(
            "writing {}: cannot make a file in {}",
            path.display(),
            parent.display()
        )
    })?;
    let tmp = tmp_dir.join("file");
    let written = marked_and_locked(&tmp_dir)
        .and_then(|_marker| fs::write(&tmp, bytes))
        .with_context(|| format!("writing {}", tmp.display()))
        .and_then(|()| {
            fs::rename(&tmp, path)
                .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
        });
    let _ = fs::remove_dir_all(&tmp_dir);
    written
}

/// Why a file the user named was not written.
#[derive(Debug)]
pub(crate) enum NamedFileRefused {
    /// Something is already at the path and `--force` was not given.
    Exists,
    /// The path is a folder (never replaced, even with `--force`).
    Folder,
    /// The path is a symbolic link (never replaced: the link is the user's, not dcplan's).
    Link,
    /// The path is a device, pipe or socket (never replaced).
    NotRegular,
}

impl std::fmt::Display for NamedFileRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NamedFileRefused::Exists => {
                "already exists; pass --force to replace it, or choose another name"
            }
            NamedFileRefused::Folder => "is a folder; name a file to write",
            NamedFileRefused::Link => {
                "is a symbolic link, which dcplan does not replace; name the file it points to"
            }
            NamedFileRefused::NotRegular => {
                "is a device, pipe or socket, which dcplan never replaces; name a regular file"
            }
        })
    }
}

/// Whether a file the user named on the command line may be written: a regular file already
/// there is replaced only with `force`; a folder, a symbolic link, a device, a pipe or a socket
/// never (writing replaces the path by renaming a new file onto it).
pub(crate) fn may_write_named_file(path: &Path, force: bool) -> Result<(), NamedFileRefused> {
    match fs::symlink_metadata(path) {
        Err(_) => Ok(()),
        Ok(m) if m.is_dir() => Err(NamedFileRefused::Folder),
        Ok(m) if m.file_type().is_symlink() => Err(NamedFileRefused::Link),
        Ok(m) if !m.is_file() => Err(NamedFileRefused::NotRegular),
        Ok(_) if force => Ok(()),
        Ok(_) => Err(NamedFileRefused::Exists),
    }
}

/// Fail unless `path` is a regular file of at most `limit` bytes; returns its size.
pub(crate) fn require_regular(path: &Path, limit: u64) -> Result<u64> {
    let shown = path.display();
    let meta = fs::metadata(path).with_context(|| format!("{shown}: cannot read it"))?;
    if !meta.is_file() {
        bail!(
            "{shown}: not a regular file (a folder, device or pipe); dcplan reads only regular files"
        );
    }
    if meta.len() > limit {
        bail!(
            "{shown}: {} bytes is more than the {} bytes dcplan reads from such a file",
            meta.len(),
            limit
        );
    }
    Ok(meta.len())
}

/// Read a regular file of at most `limit` bytes (never a device, FIFO or folder).
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let shown = path.display();
    let len = require_regular(path, limit)?;
    let meta_len = len;
    let mut bytes = Vec::with_capacity(meta_len as usize);
    fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .with_context(|| format!("{shown}: cannot read it"))?;
    if bytes.len() as u64 > limit {
        bail!("{shown}: more than the {limit} bytes dcplan reads from such a file");
    }
    Ok(bytes)
}

/// Read a regular UTF-8 text file of at most `limit` bytes.
pub(crate) fn read_text(path: &Path, limit: u64) -> Result<String> {
    String::from_utf8(read_limited(path, limit)?)
        .map_err(|_| anyhow::anyhow!("{}: not UTF-8 text", path.display()))
}

/// Text with control characters (escape sequences included) replaced, safe to print to a terminal.
pub fn clean_for_terminal(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// The first of `base`, `base-2`, `base-3`, ... that does not exist.
pub(crate) fn fresh_path(base: &Path) -> PathBuf {
    if !exists(base) {
        return base.to_path_buf();
    }
    let name = file_name(base);
    (2u32..)
        .map(|i| parent_of(base).join(format!("{name}-{i}")))
        .find(|p| !exists(p))
        .expect("some suffix is free")
}

fn parent_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into())
}

fn unique_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// The longest name [`safe_name`] returns: with the hidden temporary name built on it (a dot,
/// `.tmp-`, process id, a unique number and the host name) it stays within the 255 bytes file
/// systems allow for one name.
const MAX_SAFE_NAME: usize = 100;

/// A file or folder name made of the characters of `s` that are safe everywhere (others become
/// `-`). A longer name than [`MAX_SAFE_NAME`] keeps its beginning and ends with a hash of the
/// whole, so that different long names stay different.
pub(crate) fn safe_name(s: &str) -> String {
    let name: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if name.len() <= MAX_SAFE_NAME {
        return name;
    }
    let hash = blake3::hash(s.as_bytes()).to_hex();
    format!("{}-{}", &name[..MAX_SAFE_NAME - 17], &hash[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder that reads as a dcplan output holding `old.txt`.
    fn fake_output(target: &Path) {
        fs::create_dir(target).expect("mkdir");
        fs::write(target.join("old.txt"), "old").expect("write");
        let m = crate::store::manifest::Manifest {
            dcplan_version: "0".into(),
            git_revision: "x".into(),
            scenario_file: "s.ron".into(),
            scenario_name: "s".into(),
            scenario_hash: String::new(),
            seed: 1,
            replications: 1,
            replication_range: (0, 1),
            threads: 1,
            command_line: String::new(),
            started_utc: String::new(),
            wall_time_s: 0.0,
            failures: Vec::new(),
            files: vec![("old.txt".into(), crate::store::manifest::hash_bytes(b"old"))],
        };
        fs::write(
            target.join("manifest.ron"),
            ron::to_string(&m).expect("ron"),
        )
        .expect("write");
    }

    #[test]
    fn existing_folder_is_kept_without_force_and_replaced_with_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out");
        fake_output(&target);
        fs::write(target.join("notes.txt"), "mine").expect("write");
        assert!(OutputDir::create(&target, false).is_err());
        assert!(target.join("old.txt").exists());

        let out = OutputDir::create(&target, true).expect("create");
        fs::write(out.path("new.txt"), "new").expect("write");
        out.commit().expect("commit");
        assert!(target.join("new.txt").exists());
        assert!(!target.join("old.txt").exists());
        assert_eq!(
            fs::read_to_string(target.join("notes.txt")).expect("kept"),
            "mine"
        );
        // No temporary folders are left behind.
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .expect("read")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_folder_dcplan_did_not_write_is_never_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("mine");
        fs::create_dir(&target).expect("mkdir");
        fs::write(target.join("manifest.ron"), "not a dcplan manifest").expect("write");
        let e = OutputDir::create(&target, true).expect_err("refused");
        assert!(
            format!("{e:#}").contains("not an output folder dcplan wrote"),
            "{e:#}"
        );
        assert!(target.join("manifest.ron").exists());
    }

    #[test]
    fn stale_temporary_folders_of_ended_processes_are_removed_and_set_aside_folders_put_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A pid above the kernel's largest (4,194,304) runs nowhere.
        let dead = 4_999_999;
        let h = host();
        let tmp = dir.path().join(format!(".a.tmp-{dead}-1-{h}"));
        let old = dir.path().join(format!(".b.old-{dead}-1-{h}"));
        let other_host = dir.path().join(format!(".c.tmp-{dead}-1-{h}x"));
        let live = dir
            .path()
            .join(format!(".d.tmp-{}-1-{h}", std::process::id()));
        // A folder that only looks like dcplan's: the name, but not the marker.
        let lookalike = dir.path().join(format!(".e.tmp-{dead}-1-{h}"));
        // A folder set aside by name only (no manifest), and a file with a temporary name.
        let old_lookalike = dir.path().join(format!(".f.old-{dead}-1-{h}"));
        let file = dir.path().join(format!(".g.tmp-{dead}-1-{h}"));
        // A run in another PID namespace: its pid runs nowhere here, but it holds its lock.
        let locked = dir.path().join(format!(".i.tmp-{dead}-1-{h}"));
        // A replaced folder whose removal was cut short after its manifest went.
        let half_removed = dir.path().join(format!(".j.old-{dead}-1-{h}"));
        for d in [
            &tmp,
            &old,
            &other_host,
            &live,
            &lookalike,
            &old_lookalike,
            &locked,
            &half_removed,
        ] {
            fs::create_dir(d).expect("mkdir");
        }
        for d in [&tmp, &other_host, &live, &half_removed] {
            fs::write(d.join(PARTIAL_MARKER), "").expect("write");
        }
        let _held = marked_and_locked(&locked).expect("lock");
        fs::write(old.join("manifest.ron"), "x").expect("write");
        fs::write(old_lookalike.join("x"), "mine").expect("write");
        fs::write(lookalike.join("data"), "mine").expect("write");
        fs::write(&file, "mine").expect("write");
        clean_stale(dir.path());
        assert!(!tmp.exists() && !half_removed.exists());
        assert!(!dir.path().join("j").exists());
        assert_eq!(
            fs::read_to_string(dir.path().join("b/manifest.ron")).expect("put back"),
            "x"
        );
        assert!(other_host.exists() && live.exists() && locked.exists());
        assert_eq!(
            fs::read_to_string(lookalike.join("data")).expect("kept"),
            "mine"
        );
        assert_eq!(
            fs::read_to_string(old_lookalike.join("x")).expect("kept"),
            "mine"
        );
        assert!(!dir.path().join("f").exists(), "not put back by name alone");
        assert_eq!(fs::read_to_string(&file).expect("kept"), "mine");
        // Once the lock is let go (the run ended without finishing), the folder goes.
        drop(_held);
        clean_stale(dir.path());
        assert!(!locked.exists());
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn folders_are_exchanged_atomically() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::create_dir(&a).expect("mkdir");
        fs::create_dir(&b).expect("mkdir");
        fs::write(a.join("x"), "a").expect("write");
        fs::write(b.join("x"), "b").expect("write");
        // tmpfs and ext4, where tests run, have the exchange.
        assert!(exchange(&a, &b).expect("exchange"));
        assert_eq!(fs::read_to_string(a.join("x")).expect("read"), "b");
        assert_eq!(fs::read_to_string(b.join("x")).expect("read"), "a");
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

    #[test]
    fn devices_and_oversized_files_are_not_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = read_limited(Path::new("/dev/zero"), 1024).expect_err("device");
        assert!(format!("{e:#}").contains("not a regular file"), "{e:#}");
        fs::write(dir.path().join("big"), vec![b'x'; 2048]).expect("write");
        let e = read_limited(&dir.path().join("big"), 1024).expect_err("too big");
        assert!(format!("{e:#}").contains("1024 bytes"), "{e:#}");
    }

    #[test]
    fn named_files_replace_only_regular_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("schema.json");
        assert!(
            may_write_named_file(&file, false).is_ok(),
            "nothing there yet"
        );
        fs::write(&file, "mine").expect("write");
        assert!(matches!(
            may_write_named_file(&file, false),
            Err(NamedFileRefused::Exists)
        ));
        assert!(may_write_named_file(&file, true).is_ok());
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        assert!(matches!(
            may_write_named_file(&link, true),
            Err(NamedFileRefused::Link)
        ));
        let socket = dir.path().join("socket");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("socket");
        assert!(matches!(
            may_write_named_file(&socket, true),
            Err(NamedFileRefused::NotRegular)
        ));
        assert!(matches!(
            may_write_named_file(Path::new("/dev/null"), true),
            Err(NamedFileRefused::NotRegular)
        ));
        assert!(matches!(
            may_write_named_file(dir.path(), true),
            Err(NamedFileRefused::Folder)
        ));
    }

    #[test]
    fn long_names_are_cut_and_stay_distinct() {
        assert_eq!(safe_name("a b/c"), "a-b-c");
        let a = safe_name(&"x".repeat(300));
        let b = safe_name(&format!("{}y", "x".repeat(299)));
        assert_eq!(a.len(), MAX_SAFE_NAME);
        assert_eq!(b.len(), MAX_SAFE_NAME);
        assert_ne!(a, b);
        assert!(
            hidden_name(&a, "tmp").len() < 255,
            "{}",
            hidden_name(&a, "tmp")
        );
        let unicode = safe_name(&"é".repeat(200));
        assert_eq!(unicode.len(), MAX_SAFE_NAME);
    }

    #[test]
    fn a_file_named_as_the_output_folder_is_named_as_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("out");
        fs::write(&file, "mine").expect("write");
        let Err(e) = OutputDir::create(&file, false) else {
            panic!("a file taken for an output folder")
        };
        assert!(
            format!("{e:#}").contains("is a file, not an output folder"),
            "{e:#}"
        );
        assert_eq!(fs::read_to_string(&file).expect("kept"), "mine");
    }
}
