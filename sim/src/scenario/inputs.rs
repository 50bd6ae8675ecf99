//! External files a scenario reads (weather files, hourly series, demand history): where they
//! lie, their bytes, and the record of every file read, so that the output folder can carry a
//! copy of each with its hash (provenance) and a rebuild can use those copies.

use std::path::{Component, Path, PathBuf};

use super::{MAX_CSV_BYTES, read_regular_file};
use crate::problems::Problems;

/// One external file a scenario read, exactly as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    /// Field path of the scenario field that names it, e.g. `site.weather_csv`.
    pub field: String,
    /// The path as written in the scenario (relative to the scenario's folder).
    pub path: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// Reads the external files of one scenario, relative to one folder, and records each file read.
#[derive(Debug)]
pub(crate) struct InputReader<'a> {
    base: &'a Path,
    files: Vec<InputFile>,
}

impl<'a> InputReader<'a> {
    /// A reader resolving paths relative to `base` (the scenario's folder).
    pub(crate) fn new(base: &'a Path) -> Self {
        InputReader {
            base,
            files: Vec::new(),
        }
    }

    /// The bytes of the file `rel` named by `field`, or `None` with a problem on `field` that
    /// says why it cannot be read. A file read twice is recorded once.
    pub(crate) fn read(
        &mut self,
        field: &str,
        rel: &str,
        problems: &mut Problems,
    ) -> Option<&[u8]> {
        if let Some(i) = self.files.iter().position(|f| f.path == rel) {
            return Some(&self.files[i].bytes);
        }
        let path = match input_path(self.base, rel) {
            Ok(p) => p,
            Err(msg) => {
                problems.push(field, msg);
                return None;
            }
        };
        match read_regular_file(&path, MAX_CSV_BYTES) {
            Err(e) => {
                problems.push(field, format!("cannot read {}: {e}", path.display()));
                None
            }
            Ok(bytes) => {
                self.files.push(InputFile {
                    field: field.to_string(),
                    path: rel.to_string(),
                    bytes,
                });
                self.files.last().map(|f| f.bytes.as_slice())
            }
        }
    }

    /// The text of the file `rel` named by `field` (UTF-8), as [`InputReader::read`] does.
    pub(crate) fn read_text(
        &mut self,
        field: &str,
        rel: &str,
        problems: &mut Problems,
    ) -> Option<(PathBuf, &str)> {
        let shown = self.base.join(rel);
        let bytes = self.read(field, rel, problems)?;
        match std::str::from_utf8(bytes) {
            // A byte-order mark (some editors on Windows write one) is not part of the text.
            Ok(text) => Some((shown, text.strip_prefix('\u{feff}').unwrap_or(text))),
            Err(e) => {
                problems.push(
                    field,
                    format!(
                        "cannot read {}: not UTF-8 text (byte {})",
                        shown.display(),
                        e.valid_up_to()
                    ),
                );
                None
            }
        }
    }

    /// Every file read, in the order first read.
    pub(crate) fn into_files(self) -> Vec<InputFile> {
        self.files
    }
}

/// Where an input named in a scenario lies: relative to the scenario's folder, inside it (no
/// absolute path, no `..`, and no symbolic link leading out of it), so that a scenario cannot
/// read arbitrary files.
fn input_path(base: &Path, rel: &str) -> Result<PathBuf, String> {
    let p = Path::new(rel);
    if rel.is_empty()
        || !p
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "`{}` must be a path relative to the scenario's folder, inside it (no absolute path, no `..`)",
            short(rel)
        ));
    }
    let path = base.join(p);
    // Links are followed only where they stay inside the folder. A path that does not resolve
    // (a missing file) is left to the read, which says so.
    let folder = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    };
    if let (Ok(real_base), Ok(real)) = (folder.canonicalize(), path.canonicalize())
        && !real.starts_with(&real_base)
    {
        return Err(format!(
            "`{}` leads out of the scenario's folder through a symbolic link; copy the file into the folder instead",
            short(rel)
        ));
    }
    Ok(path)
}

/// A user-given string, cut to a few characters and without control characters, for messages.
pub(crate) fn short(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(60)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}
