//! Scale-out: a run split into shards, each a deterministic slice of the (variant, replication)
//! pairs, written as a part folder; parts merged into the full outputs.
//!
//! The pairs of a run are numbered variant-major (pair `k` is variant `k / n`, replication
//! `k % n`, for `n` replications per variant) and shard `i` of `m` takes the contiguous range
//! `[i * P / m, (i + 1) * P / m)` of the `P` pairs. A replication's results depend only on the
//! scenario, the master seed and its index, so merging the parts gives exactly the results of a
//! single-machine run.
//!
//! A part folder holds `part.ron` (what it is, with a BLAKE3 checksum of every file),
//! `scenario.ron` (the exact scenario text), `replications.bin` (the replications, losslessly)
//! and `runs.parquet` (its rows of the runs table, for inspection). A part whose checksums verify
//! is complete: `--resume` skips it, and the merge refuses any part that does not verify.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use dcplan_sim::{LoadedScenario, Replication};
use serde::{Deserialize, Serialize};

use crate::store::manifest;
use crate::store::output;
use crate::store::output::safe_name;

/// Version of the part folder layout.
pub(crate) const PART_FORMAT: u32 = 1;

/// Most shards a run may be split into.
pub(crate) const MAX_SHARDS: u32 = 1_000_000;

/// Shard `index` of `count` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based index.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// `I/N`, e.g. `3/16`, with `0 <= I < N`.
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not I/N (e.g. 0/4)"))?;
        let index: u32 = i
            .trim()
            .parse()
            .map_err(|_| format!("`{i}` is not a shard index"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{n}` is not a shard count"))?;
        if count > MAX_SHARDS {
            return Err(format!(
                "{count} shards is more than the {MAX_SHARDS} dcplan splits a run into"
            ));
        }
        if count == 0 {
            return Err(format!(
                "shard {index}/0: a run splits into at least 1 shard"
            ));
        }
        if index >= count {
            return Err(format!(
                "shard {index}/{count}: the index must be 0 to {}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The pairs of shard `shard` among `total` pairs.
pub(crate) fn pair_range(total: u64, shard: Shard) -> Range<u64> {
    let (i, m) = (shard.index as u128, shard.count as u128);
    let t = total as u128;
    (i * t / m) as u64..((i + 1) * t / m) as u64
}

/// `part.ron`: what a part folder holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartManifest {
    /// Layout version ([`PART_FORMAT`]).
    pub format: u32,
    /// dcplan version that wrote it.
    pub dcplan_version: String,
    /// Git revision of that build.
    pub git_revision: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// Scenario name.
    pub scenario_name: String,
    /// BLAKE3 hash of the scenario text.
    pub scenario_hash: String,
    /// Master seed.
    pub seed: u64,
    /// Replications per variant in the whole run.
    pub replications: u64,
    /// Variant names, in order.
    pub variants: Vec<String>,
    /// Which shard.
    pub shard: Shard,
    /// Pairs held (`start..end`, variant-major).
    pub pairs: (u64, u64),
    /// Worker threads used.
    pub threads: usize,
    /// The command line.
    pub command_line: String,
    /// When the shard started (UTC).
    pub started_utc: String,
    /// Wall time, seconds.
    pub wall_time_s: f64,
    /// Files with their BLAKE3 hashes (every file but `part.ron`).
    pub files: Vec<(String, String)>,
}

/// What `replications.bin` holds.
#[derive(Serialize, Deserialize)]
pub(crate) struct PartData {
    /// `(variant index, replication)` in pair order.
    pub(crate) replications: Vec<(u32, Replication)>,
    /// `(variant index, failure)`.
    pub(crate) failures: Vec<(u32, u64, u64, String)>,
}

/// Default folder of a part: `out/<scenario>-parts/part-<i>-of-<n>`.
pub(crate) fn default_part_dir(loaded: &LoadedScenario, shard: Shard) -> PathBuf {
    let width = (shard.count.saturating_sub(1)).to_string().len();
    Path::new("out")
        .join(format!("{}-parts", safe_name(&loaded.scenario.name)))
        .join(format!("part-{:0width$}-of-{}", shard.index, shard.count))
}

/// Read and verify a part folder: its manifest parses and every file matches its checksum.
pub fn verify_part(dir: &Path) -> Result<PartManifest> {
    let text = output::read_text(&dir.join("part.ron"), output::MAX_TEXT_BYTES)
        .with_context(|| format!("{}: no readable part.ron", dir.display()))?;
    let part: PartManifest = ron::from_str(&text)
        .with_context(|| format!("{}: part.ron is not a part manifest", dir.display()))?;
    if part.format != PART_FORMAT {
        bail!(
            "{}: part format {} (this dcplan reads {PART_FORMAT})",
            dir.display(),
            part.format
        );
    }
    let max_reps = dcplan_sim::scenario::validate::MAX_REPLICATIONS as u64;
    if part.shard.count == 0
        || part.shard.count > MAX_SHARDS
        || part.shard.index >= part.shard.count
    {
        bail!(
            "{}: part.ron names shard {}, which is not a shard (0 <= index < count <= {MAX_SHARDS})",
            dir.display(),
            part.shard
        );
    }
    if part.replications == 0
        || part.replications > max_reps
        || part.variants.is_empty()
        || part.variants.len() > 100_000
    {
        bail!(
            "{}: part.ron records {} replications of {} variants, not a run dcplan makes",
            dir.display(),
            part.replications,
            part.variants.len()
        );
    }
    for (name, hash) in &part.files {
        if !manifest::is_listable(name) {
            bail!(
                "{}: part.ron lists `{}`, which is not a file name of a part",
                dir.display(),
                output::clean_for_terminal(name)
            );
        }
        let bytes = output::read_limited(&dir.join(name), output::MAX_DATA_BYTES)
            .with_context(|| format!("{}: missing {name}", dir.display()))?;
        if manifest::hash_bytes(&bytes) != *hash {
            bail!(
                "{}: {name} does not match its checksum (the part is damaged or incomplete)",
                dir.display()
            );
        }
    }
    for name in ["scenario.ron", "replications.bin"] {
        if !part.files.iter().any(|(f, _)| f == name) {
            bail!("{}: part.ron lists no {name}", dir.display());
        }
    }
    Ok(part)
}

/// Part folders named on the command line: each path is a part folder, or a folder of them.
pub(crate) fn find_parts(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.join("part.ron").exists() {
            out.push(p.clone());
            continue;
        }
        let mut inner: Vec<PathBuf> = std::fs::read_dir(p)
            .with_context(|| {
                format!(
                    "{}: not a part folder (no part.ron) and not a readable folder",
                    p.display()
                )
            })?
            .filter_map(|e| e.ok())
            // Hidden entries are temporary folders of running or killed shards, never parts.
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .filter(|q| q.join("part.ron").exists())
            .collect();
        if inner.is_empty() {
            bail!(
                "{}: neither a run folder (no manifest.ron), a part folder (no part.ron), nor a folder of part folders",
                p.display()
            );
        }
        inner.sort();
        out.append(&mut inner);
    }
    Ok(out)
}
