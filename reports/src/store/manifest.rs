//! `manifest.ron`: what was run, how, and with which result files.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// Version of the dcplan binary.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Git revision the binary was built from (`unknown` outside a git checkout).
pub(crate) const GIT_REVISION: &str = env!("DCPLAN_GIT_REVISION");

/// Everything needed to reproduce and check a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// dcplan version.
    pub dcplan_version: String,
    /// Git revision of the build.
    pub git_revision: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// Scenario name.
    pub scenario_name: String,
    /// BLAKE3 hash of the scenario text.
    pub scenario_hash: String,
    /// Master seed.
    pub seed: u64,
    /// Replications in the whole run.
    pub replications: u64,
    /// Replication indices in this output (`start..end`; the whole run unless sharded).
    pub replication_range: (u64, u64),
    /// Worker threads used (does not affect results).
    pub threads: usize,
    /// The command line.
    pub command_line: String,
    /// When the run started (UTC, ISO 8601).
    pub started_utc: String,
    /// Wall time of the run, seconds.
    pub wall_time_s: f64,
    /// Replications that failed, with the seed and message to reproduce them.
    pub failures: Vec<(u64, String)>,
    /// Files written, with their BLAKE3 hashes.
    pub files: Vec<(String, String)>,
}

/// A command line as a shell reads it back: each argument as is where it holds only characters
/// no shell treats specially, else in single quotes (a quote inside written `'\''`). An argument
/// that is not valid Unicode (a file name in another encoding) is written with U+FFFD in place of
/// its invalid bytes: the record is for reading, and the run itself uses the name as given.
pub fn command_line(args: impl IntoIterator<Item = std::ffi::OsString>) -> String {
    args.into_iter()
        .map(|a| {
            let a = a.to_string_lossy();
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./:=,+@%".contains(c));
            if plain {
                a.into_owned()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The arguments of a command line written by [`command_line`] (or of an older, unquoted one,
/// split at white space).
pub(crate) fn command_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    w.push(q);
                }
            }
            '\\' => {
                if let Some(next) = chars.next() {
                    word.get_or_insert_with(String::new).push(next);
                }
            }
            c if c.is_whitespace() => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// BLAKE3 hash of bytes, as `blake3:<hex>`.
pub fn hash_bytes(bytes: &[u8]) -> String {
    format!("blake3:{}", blake3::hash(bytes).to_hex())
}

/// Current UTC time as ISO 8601 (`2026-11-24T21:41:41Z`).
pub(crate) fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    iso8601(secs)
}

/// Format seconds since the Unix epoch as ISO 8601 UTC.
pub(crate) fn iso8601(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Folder of an output folder that holds a copy of every external file the scenario read.
pub(crate) const INPUTS_DIR: &str = "inputs";

/// The name in an output folder of the copy of an input the scenario names `path` (a relative
/// path of plain components, as the scenario reader accepts), under `sub`: `inputs/data/x.csv`.
pub(crate) fn input_name(sub: &str, path: &str) -> String {
    let mut name = sub.to_string();
    for c in Path::new(path).components() {
        if let std::path::Component::Normal(part) = c {
            name.push('/');
            name.push_str(&part.to_string_lossy());
        }
    }
    name
}

/// The listed copies of inputs among a manifest's files (`inputs/...`).
pub(crate) fn listed_inputs(files: &[(String, String)]) -> Vec<(String, String)> {
    files
        .iter()
        .filter(|(f, _)| f.starts_with(&format!("{INPUTS_DIR}/")))
        .cloned()
        .collect()
}

/// Whether a name listed in a manifest may name a file of the folder: a plain file name, or a
/// copy of an input under [`INPUTS_DIR`] (plain components only: no `..`, no hidden names).
pub(crate) fn is_listable(name: &str) -> bool {
    let plain = |s: &str| !s.is_empty() && !s.starts_with('.') && !s.contains('\\');
    match name.split_once('/') {
        None => plain(name),
        Some((top, rest)) => top == INPUTS_DIR && rest.split('/').all(plain),
    }
}

/// BLAKE3 hashes of every file in a folder, sorted by name: its own files and those under
/// [`INPUTS_DIR`] (named by their path in the folder, `inputs/data/prices.csv`).
pub(crate) fn hash_files(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "manifest.ron"
            || name == crate::store::output::PARTIAL_MARKER
            || !entry.file_type()?.is_file()
        {
            continue;
        }
        let bytes = std::fs::read(entry.path())
            .with_context(|| format!("reading {}", entry.path().display()))?;
        out.push((name, hash_bytes(&bytes)));
    }
    for (name, path) in files_under(dir, INPUTS_DIR)? {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        out.push((name, hash_bytes(&bytes)));
    }
    out.sort();
    Ok(out)
}

/// Every file under `dir/sub` (none when it does not exist), as (`sub/a/b`, full path), sorted.
/// Anything that is neither a file nor a folder is named as a file, so that a check of the
/// listing sees it.
pub(crate) fn files_under(dir: &Path, sub: &str) -> Result<Vec<(String, std::path::PathBuf)>> {
    fn walk(path: &Path, name: &str, out: &mut Vec<(String, std::path::PathBuf)>) -> Result<()> {
        let meta = std::fs::symlink_metadata(path)
            .with_context(|| format!("reading {}", path.display()))?;
        if !meta.is_dir() {
            out.push((name.to_string(), path.to_path_buf()));
            return Ok(());
        }
        for entry in
            std::fs::read_dir(path).with_context(|| format!("listing {}", path.display()))?
        {
            let entry = entry?;
            let child = entry.file_name().to_string_lossy().into_owned();
            walk(&entry.path(), &format!("{name}/{child}"), out)?;
        }
        Ok(())
    }
    let root = dir.join(sub);
    let mut out = Vec::new();
    if std::fs::symlink_metadata(&root).is_ok() {
        walk(&root, sub, &mut out)?;
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recorded command line reads back as the arguments it was made of, whatever they hold.
    #[test]
    fn command_lines_are_quoted_and_read_back() {
        let args = [
            "dcplan",
            "run",
            "a b.ron",
            "--out",
            "c --target-ci 0.5",
            "--set",
            "site.pue=Triangular(1.2, 1.3, 1.4)",
            "it's",
            "",
            "plain-1.ron",
        ];
        let line = command_line(args.iter().map(std::ffi::OsString::from));
        assert!(line.starts_with("dcplan run 'a b.ron' --out"), "{line}");
        assert_eq!(command_words(&line), args);
        // An older, unquoted line splits at white space.
        assert_eq!(
            command_words("dcplan run x.ron -r 8"),
            ["dcplan", "run", "x.ron", "-r", "8"]
        );
        // Bytes that are not Unicode do not stop the record.
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let line = command_line([std::ffi::OsString::from_vec(b"out\xff".to_vec())]);
            assert_eq!(line, "'out\u{fffd}'");
        }
    }

    #[test]
    fn iso8601_known_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_795_556_501), "2026-11-24T21:41:41Z");
    }
}
