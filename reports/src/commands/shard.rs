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
use std::time::Instant;

use anyhow::{Context, Result, bail};
use dcplan_sim::montecarlo::ReplicationFailure;
use dcplan_sim::{LoadedScenario, Replication, RunOutput};
use serde::{Deserialize, Serialize};

use crate::commands::run::{self, Finished, Progress, RunInfo, RunRequest};
use crate::render::tables::{self, VariantRuns};
use crate::store::manifest;
use crate::store::output::{self, OutputDir, Replace};

/// Version of the part folder layout.
pub const PART_FORMAT: u32 = 1;

/// Most shards a run may be split into.
pub const MAX_SHARDS: u32 = 1_000_000;

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
        if count == 0 || index >= count {
            return Err(format!(
                "shard {index}/{count}: the index must be 0 to {}",
                count.saturating_sub(1)
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
pub fn pair_range(total: u64, shard: Shard) -> Range<u64> {
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
struct PartData {
    /// `(variant index, replication)` in pair order.
    replications: Vec<(u32, Replication)>,
    /// `(variant index, failure)`.
    failures: Vec<(u32, u64, u64, String)>,
}

/// Default folder of a part: `out/<scenario>-parts/part-<i>-of-<n>`.
pub fn default_part_dir(loaded: &LoadedScenario, shard: Shard) -> PathBuf {
    let width = (shard.count.saturating_sub(1)).to_string().len();
    Path::new("out")
        .join(format!("{}-parts", run::safe_name(&loaded.scenario.name)))
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
        if name.contains(['/', '\\']) || name.starts_with('.') {
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

/// What running a shard did.
#[derive(Debug)]
pub enum ShardOutcome {
    /// The shard ran and its part folder was written.
    Written {
        /// Part folder.
        dir: PathBuf,
        /// Pairs run.
        pairs: Range<u64>,
        /// Replications that failed.
        failures: usize,
    },
    /// `--resume` found the part complete and verified; nothing ran.
    AlreadyComplete {
        /// Part folder.
        dir: PathBuf,
    },
}

/// Run one shard of a scenario and write its part folder. With `resume`, a part folder that
/// already holds this shard of this scenario, seed and replication count, and verifies, is kept
/// and nothing runs; a part folder that does not verify is replaced, and any other folder (a
/// user's, a finished run) is refused unless `--force` and dcplan wrote it.
pub fn run_shard(
    loaded: &LoadedScenario,
    req: &RunRequest,
    shard: Shard,
    resume: bool,
) -> Result<ShardOutcome> {
    if req.target_ci.is_some() {
        bail!("--target-ci cannot be used with --shard: every shard must run its whole slice");
    }
    let seed = req.seed.unwrap_or(loaded.scenario.simulation.seed);
    let n = req
        .replications
        .unwrap_or(loaded.scenario.simulation.replication_count()) as u64;
    let variants = run::variants_of(loaded)?;
    let names: Vec<String> = variants.iter().map(|v| v.name.clone()).collect();
    let target = req
        .out
        .clone()
        .unwrap_or_else(|| default_part_dir(loaded, shard));
    let scenario_hash = manifest::hash_bytes(loaded.source_text.as_bytes());
    // What killed shards of this host left beside the part (before --resume looks at it).
    if let Some(parent) = target.parent().filter(|p| p.is_dir()) {
        output::clean_stale(parent);
    }
    // Without --force, --resume replaces only a part folder (a damaged one, or another run's).
    let mut replace = if req.force {
        Replace::Output
    } else {
        Replace::Never
    };
    if resume && std::fs::symlink_metadata(&target).is_ok() {
        match verify_part(&target) {
            Ok(p)
                if p.scenario_hash == scenario_hash
                    && p.seed == seed
                    && p.replications == n
                    && p.shard == shard
                    && p.variants == names
                    && p.git_revision == manifest::GIT_REVISION
                    && p.dcplan_version == manifest::VERSION =>
            {
                return Ok(ShardOutcome::AlreadyComplete { dir: target });
            }
            Ok(_) => {
                if !req.quiet {
                    eprintln!(
                        "{}: holds another run (scenario, seed, replications, shard or build differ); running the shard again",
                        output::clean_for_terminal(&target.display().to_string())
                    );
                }
                replace = replace.max_with(Replace::Part);
            }
            Err(e) => {
                // A folder without a part manifest is not a part: the refusal below says so.
                if !req.quiet && target.join("part.ron").is_file() {
                    eprintln!(
                        "{}; running the shard again",
                        output::clean_for_terminal(&format!("{e:#}"))
                    );
                }
                replace = replace.max_with(Replace::Part);
            }
        }
    }
    // The shard's share of the run: its pairs, spread over the variants.
    let share = pair_range(n * variants.len() as u64, shard);
    run::check_budget(
        &variants.iter().map(|v| &v.loaded).collect::<Vec<_>>(),
        (share.end - share.start).div_ceil(variants.len().max(1) as u64),
        req,
    )?;
    let out = OutputDir::create_with(&target, replace)?;
    let started_utc = manifest::now_utc();
    let t0 = Instant::now();
    let pairs = pair_range(n * variants.len() as u64, shard);
    let progress = Progress::new(
        pairs.end - pairs.start,
        req.quiet,
        &format!("shard {shard}"),
    );
    let runs = run::simulate_pairs(&variants, seed, n, pairs.clone(), req.threads, &progress)?;
    progress.finish();
    let mut data = PartData {
        replications: Vec::new(),
        failures: Vec::new(),
    };
    let mut as_variants = Vec::new();
    for (i, output) in runs {
        data.replications
            .extend(output.replications.iter().map(|r| (i as u32, r.clone())));
        data.failures.extend(
            output
                .failures
                .iter()
                .map(|f| (i as u32, f.index, f.seed, f.message.clone())),
        );
        as_variants.push(VariantRuns {
            name: names[i].clone(),
            seed,
            start: variants[i].loaded.scenario.simulation.start,
            output,
        });
    }
    let failures = data.failures.len();
    let bytes = bincode::serde::encode_to_vec(&data, bincode::config::standard())
        .context("encoding the replications")?;
    std::fs::write(out.path("replications.bin"), bytes).context("writing replications.bin")?;
    std::fs::write(out.path("scenario.ron"), &loaded.source_text)
        .context("writing scenario.ron")?;
    tables::write_parquet(
        &mut tables::runs_frame(&as_variants)?,
        &out.path("runs.parquet"),
    )?;
    let part = PartManifest {
        format: PART_FORMAT,
        dcplan_version: manifest::VERSION.to_string(),
        git_revision: manifest::GIT_REVISION.to_string(),
        scenario_file: loaded.file.clone(),
        scenario_name: loaded.scenario.name.clone(),
        scenario_hash,
        seed,
        replications: n,
        variants: names,
        shard,
        pairs: (pairs.start, pairs.end),
        threads: run::threads_used(req.threads),
        command_line: req.command_line.clone(),
        started_utc,
        wall_time_s: t0.elapsed().as_secs_f64(),
        files: run::hash_files(out.tmp_dir())?,
    };
    let text = ron::ser::to_string_pretty(&part, ron::ser::PrettyConfig::default())
        .context("encoding part.ron")?;
    std::fs::write(out.path("part.ron"), text).context("writing part.ron")?;
    let dir = out.commit()?;
    Ok(ShardOutcome::Written {
        dir,
        pairs,
        failures,
    })
}

/// Part folders named on the command line: each path is a part folder, or a folder of them.
pub fn find_parts(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
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

/// Merge part folders into the full output folder of the run they split, identical in its
/// results to a single-machine run. Every problem with the set of parts is reported at once.
pub fn merge(paths: &[PathBuf], req: &RunRequest) -> Result<Finished> {
    let dirs = find_parts(paths)?;
    let mut problems = Vec::new();
    let mut parts: Vec<(PathBuf, PartManifest)> = Vec::new();
    for d in &dirs {
        match verify_part(d) {
            Ok(p) => parts.push((d.clone(), p)),
            Err(e) => problems.push(format!("{e:#}")),
        }
    }
    let Some((first_dir, first)) = parts.first().cloned() else {
        bail!("no usable part:\n  {}", problems.join("\n  "));
    };
    for (d, p) in &parts[1..] {
        let same = |what: &str, a: String, b: String, problems: &mut Vec<String>| {
            if a != b {
                problems.push(format!(
                    "{}: {what} {b} differs from {} in {}",
                    d.display(),
                    a,
                    first_dir.display()
                ));
            }
        };
        same(
            "scenario hash",
            first.scenario_hash.clone(),
            p.scenario_hash.clone(),
            &mut problems,
        );
        same(
            "seed",
            first.seed.to_string(),
            p.seed.to_string(),
            &mut problems,
        );
        same(
            "replications",
            first.replications.to_string(),
            p.replications.to_string(),
            &mut problems,
        );
        same(
            "shard count",
            first.shard.count.to_string(),
            p.shard.count.to_string(),
            &mut problems,
        );
        same(
            "variants",
            first.variants.join(", "),
            p.variants.join(", "),
            &mut problems,
        );
        same(
            "dcplan build",
            format!("{} ({})", first.dcplan_version, first.git_revision),
            format!("{} ({})", p.dcplan_version, p.git_revision),
            &mut problems,
        );
    }
    // Every shard exactly once.
    let count = first.shard.count;
    let mut seen = vec![Vec::new(); count as usize];
    for (d, p) in &parts {
        if let Some(slot) = seen.get_mut(p.shard.index as usize) {
            slot.push(d.display().to_string());
        }
    }
    for (i, dirs) in seen.iter().enumerate() {
        match dirs.len() {
            0 => problems.push(format!("shard {i}/{count} is missing")),
            1 => {}
            _ => problems.push(format!(
                "shard {i}/{count} is given {} times: {}",
                dirs.len(),
                dirs.join(", ")
            )),
        }
    }
    let total = first.replications * first.variants.len() as u64;
    for (d, p) in &parts {
        let expect = pair_range(total, p.shard);
        if (p.pairs.0, p.pairs.1) != (expect.start, expect.end) {
            problems.push(format!(
                "{}: holds pairs {}..{}, shard {} should hold {}..{}",
                d.display(),
                p.pairs.0,
                p.pairs.1,
                p.shard,
                expect.start,
                expect.end
            ));
        }
    }
    if !problems.is_empty() {
        bail!(
            "cannot merge {} part(s):\n  {}",
            dirs.len(),
            problems.join("\n  ")
        );
    }
    let text =
        std::fs::read_to_string(first_dir.join("scenario.ron")).context("reading scenario.ron")?;
    let loaded =
        dcplan_sim::load_str(&first.scenario_file, &text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let variants = run::variants_of(&loaded)?;
    let names: Vec<String> = variants.iter().map(|v| v.name.clone()).collect();
    if names != first.variants {
        bail!(
            "the scenario's variants ({}) are not those of the parts ({})",
            names.join(", "),
            first.variants.join(", ")
        );
    }
    // Refuse an existing output folder before reading the bulk of the data.
    let target = req.out.clone().unwrap_or_else(|| run::default_out(&loaded));
    let out = OutputDir::create(&target, req.force)?;
    let mut outputs: Vec<RunOutput> = variants
        .iter()
        .map(|_| RunOutput {
            replications: Vec::new(),
            failures: Vec::new(),
        })
        .collect();
    parts.sort_by_key(|(_, p)| p.shard.index);
    let n = first.replications;
    for (d, p) in &parts {
        let bytes = output::read_limited(&d.join("replications.bin"), output::MAX_DATA_BYTES)
            .with_context(|| format!("reading {}", d.join("replications.bin").display()))?;
        let (data, _): (PartData, usize) =
            bincode::serde::decode_from_slice(&bytes, bincode::config::standard())
                .with_context(|| format!("decoding {}", d.join("replications.bin").display()))?;
        // Every pair of the shard's range exactly once, and no other.
        let range = p.pairs.0..p.pairs.1;
        let mut seen = vec![false; (range.end - range.start) as usize];
        let pairs = data
            .replications
            .iter()
            .map(|(v, r)| (*v, r.index))
            .chain(data.failures.iter().map(|(v, i, _, _)| (*v, *i)));
        for (v, index) in pairs {
            let pair = (v as u64)
                .checked_mul(n)
                .and_then(|k| k.checked_add(index))
                .filter(|k| index < n && range.contains(k));
            let Some(pair) = pair else {
                bail!(
                    "{}: holds replication {index} of variant {v}, which is not in shard {} (pairs {}..{})",
                    d.display(),
                    p.shard,
                    range.start,
                    range.end
                );
            };
            let slot = &mut seen[(pair - range.start) as usize];
            if *slot {
                bail!(
                    "{}: holds replication {index} of variant {v} twice",
                    d.display()
                );
            }
            *slot = true;
        }
        if let Some(missing) = seen.iter().position(|s| !s) {
            let pair = range.start + missing as u64;
            bail!(
                "{}: lacks replication {} of variant {} (shard {})",
                d.display(),
                pair % n.max(1),
                pair / n.max(1),
                p.shard
            );
        }
        for (v, r) in data.replications {
            outputs
                .get_mut(v as usize)
                .with_context(|| format!("{}: variant {v} out of range", d.display()))?
                .replications
                .push(r);
        }
        for (v, index, seed, message) in data.failures {
            outputs
                .get_mut(v as usize)
                .with_context(|| format!("{}: variant {v} out of range", d.display()))?
                .failures
                .push(ReplicationFailure {
                    index,
                    seed,
                    message,
                });
        }
    }
    let mut runs = Vec::new();
    for (i, mut output) in outputs.into_iter().enumerate() {
        output.replications.sort_by_key(|r| r.index);
        output.failures.sort_by_key(|f| f.index);
        let got = output.replications.len() as u64 + output.failures.len() as u64;
        if got != first.replications {
            bail!(
                "variant `{}`: the parts hold {got} replications, expected {}",
                names[i],
                first.replications
            );
        }
        if output.replications.is_empty() {
            bail!("variant `{}`: every replication failed", names[i]);
        }
        runs.push(VariantRuns {
            name: names[i].clone(),
            seed: first.seed,
            start: variants[i].loaded.scenario.simulation.start,
            output,
        });
    }
    let info = RunInfo {
        inputs: run::Inputs::Scenario(&loaded, &variants),
        seed: first.seed,
        n: first.replications,
        threads: run::threads_used(req.threads),
        command_line: req.command_line.clone(),
        started_utc: manifest::now_utc(),
        t0: Instant::now(),
    };
    run::finish(&info, runs, out)
}
