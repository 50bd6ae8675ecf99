//! `dcplan run --shard I/N` (one slice of a run written as a part folder) and the merge of part
//! folders by `dcplan report`; the part folders themselves are in [`crate::store::parts`].

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use dcplan_sim::montecarlo::ReplicationFailure;
use dcplan_sim::{LoadedScenario, RunOutput};

use crate::commands::budget::check_budget;
use crate::commands::job::{Finished, Job, RunRequest, threads_used};
use crate::commands::run::{self, RunInfo};
use crate::render::tables::{self, VariantRuns};
use crate::store::manifest;
use crate::store::output::{self, Replace};
use crate::store::parts::{
    PART_FORMAT, PartData, PartManifest, Shard, default_part_dir, find_parts, pair_range,
    verify_part,
};

/// What running a shard did.
#[derive(Debug)]
pub(crate) enum ShardOutcome {
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
pub(crate) fn run_shard(
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
    // The inputs the part will carry, as its part.ron lists them: a part made from other versions
    // of the inputs is not this run's.
    let mut input_hashes: Vec<(String, String)> = std::iter::once(loaded)
        .chain(variants.iter().map(|v| &v.loaded))
        .flat_map(|l| &l.inputs)
        .map(|f| {
            (
                manifest::input_name(manifest::INPUTS_DIR, &f.path),
                manifest::hash_bytes(&f.bytes),
            )
        })
        .collect();
    input_hashes.sort();
    input_hashes.dedup();
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
                    && manifest::listed_inputs(&p.files) == input_hashes
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
    check_budget(
        &variants.iter().map(|v| &v.loaded).collect::<Vec<_>>(),
        (share.end - share.start).div_ceil(variants.len().max(1) as u64),
        req,
    )?;
    let pairs = pair_range(n * variants.len() as u64, shard);
    let job = Job::create_with(
        &target,
        replace,
        req.quiet,
        pairs.end - pairs.start,
        &format!("shard {shard}"),
    )?;
    let runs = run::simulate_pairs(
        &variants,
        seed,
        n,
        pairs.clone(),
        req.threads,
        &job.progress,
    )?;
    job.progress.finish();
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
            axes: variants[i].settings.clone(),
            output,
        });
    }
    let failures = data.failures.len();
    let bytes = bincode::serde::encode_to_vec(&data, bincode::config::standard())
        .context("encoding the replications")?;
    job.write("replications.bin", bytes)?;
    job.write("scenario.ron", &loaded.source_text)?;
    job.write_inputs(
        crate::store::manifest::INPUTS_DIR,
        std::iter::once(loaded).chain(variants.iter().map(|v| &v.loaded)),
    )?;
    tables::write_parquet(
        &mut tables::runs_frame(&as_variants)?,
        &job.path("runs.parquet"),
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
        threads: threads_used(req.threads),
        command_line: req.command_line.clone(),
        started_utc: job.started_utc.clone(),
        wall_time_s: job.t0.elapsed().as_secs_f64(),
        files: manifest::hash_files(job.dir())?,
    };
    let text = ron::ser::to_string_pretty(&part, ron::ser::PrettyConfig::default())
        .context("encoding part.ron")?;
    job.write("part.ron", text)?;
    let dir = job.commit()?;
    Ok(ShardOutcome::Written {
        dir,
        pairs,
        failures,
    })
}

/// Merge part folders into the full output folder of the run they split, identical in its
/// results to a single-machine run. Every problem with the set of parts is reported at once.
pub(crate) fn merge(paths: &[PathBuf], req: &RunRequest) -> Result<Finished> {
    let mut parts = checked_parts(paths)?;
    let (first_dir, first) = parts[0].clone();
    let text =
        std::fs::read_to_string(first_dir.join("scenario.ron")).context("reading scenario.ron")?;
    // The scenario reads the copies of its inputs the part carries, not today's files.
    let loaded = dcplan_sim::load_str_in(
        &first.scenario_file,
        &text,
        &first_dir.join(crate::store::manifest::INPUTS_DIR),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
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
    // Every part folder is one of the paths or lies inside one, so the paths are enough.
    if let Some(part) = paths
        .iter()
        .find(|p| crate::store::output::overlaps(&target, p))
    {
        bail!(
            "{} is, holds or lies inside {}, which this merge reads; choose another --out",
            target.display(),
            part.display()
        );
    }
    let job = Job::create(&target, req.force, true, 0, "merging")?;
    let mut outputs: Vec<RunOutput> = variants
        .iter()
        .map(|_| RunOutput {
            replications: Vec::new(),
            failures: Vec::new(),
        })
        .collect();
    let n = first.replications;
    parts.sort_by_key(|(_, p)| p.shard.index);
    for (d, p) in &parts {
        read_part(d, p, n, &mut outputs)?;
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
            axes: variants[i].settings.clone(),
            output,
        });
    }
    // The merged folder's clock starts once the parts are read.
    let mut job = job;
    job.started_utc = manifest::now_utc();
    job.t0 = std::time::Instant::now();
    let info = RunInfo {
        inputs: run::Inputs::Scenario(&loaded, &variants),
        seed: first.seed,
        n: first.replications,
        threads: threads_used(req.threads),
        command_line: req.command_line.clone(),
        target_ci: None,
    };
    run::finish(&info, runs, job)
}

/// The part folders named on the command line, verified and checked to be the shards of one
/// run, each exactly once, in the order given; every problem with the set is reported at once.
fn checked_parts(paths: &[PathBuf]) -> Result<Vec<(PathBuf, PartManifest)>> {
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
            "copy of the inputs",
            format!("{:?}", manifest::listed_inputs(&first.files)),
            format!("{:?}", manifest::listed_inputs(&p.files)),
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
    Ok(parts)
}

/// Read the replications of part `d` (shard manifest `p`, `n` replications per variant) into
/// `outputs`, checking that it holds every pair of its range exactly once.
fn read_part(d: &Path, p: &PartManifest, n: u64, outputs: &mut [RunOutput]) -> Result<()> {
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
    Ok(())
}
