//! `dcplan report RUN_DIR`: rebuild the tables, charts and report of a finished run folder from
//! the data it holds, without simulating again.
//!
//! A run or comparison folder holds every number its report draws: `runs.parquet` (KPIs, sampled
//! inputs, event counts), `monthly.parquet`, `fleet.parquet`, `market.parquet`, `hourly.parquet`
//! (the replications that kept hourly flows), the scenario text (`scenario.ron`, or `compare.ron`
//! for `dcplan compare`) and `manifest.ron` (seed, replication count, failures and the hash of
//! every file). Rebuilding reads them back into the replication records the run produced and
//! writes the folder again: the tables and charts come out byte-identical, and the report
//! changes only where this build of dcplan draws it differently. A folder from an earlier build
//! lacks the quantities added since; they are rebuilt as missing. The external files the scenario
//! read (weather, hourly series, demand history) are read from the folder's `inputs/` copies,
//! which the manifest hashes: a changed copy makes the rebuild refuse.

use std::path::{Path, PathBuf};
use std::time::Instant;

use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};

use crate::commands::compare::compare_names;
use crate::commands::job::{Finished, Job, RunRequest, print_finished};
use crate::commands::run::{self, CompareInputs, Inputs, RunInfo};
use crate::render::run_folder::{check_hashes, is_run_folder, read_runs};
use crate::store::manifest::{self, Manifest};
use crate::store::output::{self, OutputDir};

/// `dcplan report`: merge part folders, or rebuild one finished run folder.
pub fn main(parts: &[PathBuf], req: RunRequest) -> Result<ExitCode> {
    let (result, what) = match classify(parts)? {
        ReportInput::Parts(parts) => (
            crate::commands::shard::merge(&parts, &req).context("merging the parts")?,
            "merged",
        ),
        ReportInput::Run(dir) => (
            rebuild(&dir, &req).with_context(|| format!("rebuilding {}", dir.display()))?,
            "rebuilt",
        ),
    };
    let label = format!("{what} {}", result.dir.display());
    print_finished(&label, &result, req.quiet);
    Ok(if result.any_failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Rebuild the run folder `dir` into `req.out` (default: `dir` itself, which then needs
/// `req.force`). Every problem with the folder is reported at once.
pub(crate) fn rebuild(dir: &Path, req: &RunRequest) -> Result<Finished> {
    let t0 = Instant::now();
    let text = output::read_text(&dir.join("manifest.ron"), output::MAX_TEXT_BYTES)
        .with_context(|| format!("reading {}", dir.join("manifest.ron").display()))?;
    let manifest: Manifest = ron::from_str(&text).map_err(|e| {
        anyhow!(
            "{}: not a dcplan manifest: {e}",
            dir.join("manifest.ron").display()
        )
    })?;
    if manifest.replications == 0
        || manifest.replications > dcplan_sim::scenario::validate::MAX_REPLICATIONS as u64
    {
        bail!(
            "{}: records {} replications, not a run dcplan makes",
            dir.join("manifest.ron").display(),
            manifest.replications
        );
    }
    check_hashes(dir, &manifest)?;
    // The scenario(s) the run used, checked against the manifest's hash.
    let compare_file = dir.join("compare.ron");
    let (loadeds, text_hash) = if compare_file.exists() {
        let text = output::read_text(&compare_file, output::MAX_TEXT_BYTES)
            .with_context(|| format!("reading {}", compare_file.display()))?;
        let inputs: CompareInputs =
            ron::from_str(&text).map_err(|e| anyhow!("{}: {e}", compare_file.display()))?;
        let mut loadeds = Vec::new();
        for (k, (file, text)) in inputs.scenarios.iter().enumerate() {
            let input_dir = dir.join(run::compare_inputs_dir(k));
            loadeds.push(
                dcplan_sim::load_str_in(file, text, &input_dir).map_err(|e| {
                    anyhow!(
                        "{}: a scenario no longer loads:\n{e}",
                        compare_file.display()
                    )
                })?,
            );
        }
        let joined: Vec<&str> = inputs.scenarios.iter().map(|(_, t)| t.as_str()).collect();
        (loadeds, manifest::hash_bytes(joined.join("\n").as_bytes()))
    } else {
        let path = dir.join("scenario.ron");
        let text = output::read_text(&path, output::MAX_TEXT_BYTES)
            .with_context(|| format!("reading {}", path.display()))?;
        // Its inputs are the copies the folder carries, not today's files.
        let input_dir = dir.join(manifest::INPUTS_DIR);
        let loaded =
            dcplan_sim::load_str_in(&manifest.scenario_file, &text, &input_dir).map_err(|e| {
                anyhow!(
                    "{}: the scenario no longer loads in this build of dcplan:\n{e}",
                    path.display()
                )
            })?;
        let hash = manifest::hash_bytes(text.as_bytes());
        (vec![loaded], hash)
    };
    if text_hash != manifest.scenario_hash {
        bail!(
            "{}: the scenario text hashes to {text_hash}, the manifest records {}",
            dir.display(),
            manifest.scenario_hash
        );
    }
    let sweep_variants = if compare_file.exists() {
        Vec::new()
    } else {
        run::variants_of(&loadeds[0])?
    };
    let (names, starts): (Vec<String>, Vec<_>) = if compare_file.exists() {
        (
            compare_names(&loadeds),
            loadeds
                .iter()
                .map(|l| l.scenario.simulation.start)
                .collect(),
        )
    } else {
        (
            sweep_variants.iter().map(|v| v.name.clone()).collect(),
            sweep_variants
                .iter()
                .map(|v| v.loaded.scenario.simulation.start)
                .collect(),
        )
    };
    // Refuse the output folder before reading the bulk of the data.
    let target = req.out.clone().unwrap_or_else(|| dir.to_path_buf());
    // In place is the folder itself; a folder inside it or holding it would be written while
    // it is read, and would end up inside the rebuilt folder or replace it.
    if req.out.is_some()
        && crate::store::output::overlaps(&target, dir)
        && crate::store::output::resolved(&target) != crate::store::output::resolved(dir)
    {
        anyhow::bail!(
            "{} lies inside or holds {}, which this rebuild reads; choose another --out (or leave it out to rebuild in place)",
            target.display(),
            dir.display()
        );
    }
    let out = OutputDir::create(&target, req.force).map_err(|e| {
        // The hint only where --force would help: with it, the refusal is of a folder edited
        // since dcplan wrote it, which --force never replaces.
        if target == dir && !req.force {
            anyhow!("{e:#}\n(rebuilding {} in place replaces it: pass --force, or --out to write the rebuilt folder elsewhere)", dir.display())
        } else {
            e
        }
    })?;
    let mut runs = read_runs(dir, &manifest, &names, &starts)?;
    for (v, s) in runs.iter_mut().zip(&sweep_variants) {
        v.axes = s.settings.clone();
    }
    for v in &mut runs {
        v.output.replications.sort_by_key(|r| r.index);
        v.output.failures.sort_by_key(|f| f.index);
    }
    let inputs = if compare_file.exists() {
        Inputs::Compare(&loadeds)
    } else {
        Inputs::Scenario(&loadeds[0], &sweep_variants)
    };
    let info = RunInfo {
        inputs,
        seed: manifest.seed,
        n: manifest.replications,
        threads: manifest.threads,
        command_line: manifest.command_line.clone(),
        target_ci: run::target_ci_in(&manifest.command_line),
    };
    // A rebuilt folder keeps the run's start; its wall time counts from the start of the rebuild.
    let mut job = Job::start(out, true, 0, "rebuilding");
    job.started_utc = manifest.started_utc.clone();
    job.t0 = t0;
    run::finish(&info, runs, job)
}

/// The folders `dcplan report` was given: part folders to merge, or one run folder to rebuild.
pub(crate) enum ReportInput {
    /// Part folders (or folders of them) of a sharded run.
    Parts(Vec<PathBuf>),
    /// A finished run or comparison folder.
    Run(PathBuf),
}

/// Sort the command line's folders into parts to merge or a run folder to rebuild.
pub(crate) fn classify(paths: &[PathBuf]) -> Result<ReportInput> {
    for p in paths {
        if ["sensitivity.csv", "candidates.csv"]
            .iter()
            .any(|f| p.join(f).exists())
        {
            bail!(
                "{} is a sensitivity or search folder; run `dcplan sensitivity` or `dcplan optimize` again to rebuild it",
                p.display()
            );
        }
    }
    for p in paths {
        let looks_like_a_run = [
            "runs.parquet",
            "monthly.parquet",
            "report.html",
            "summary.csv",
        ]
        .iter()
        .any(|f| p.join(f).exists());
        if looks_like_a_run && !p.join("manifest.ron").is_file() && !p.join("part.ron").exists() {
            bail!(
                "{}: manifest.ron is missing, so the folder cannot be rebuilt (the manifest records the run's seed, replications and the checksum of every file)",
                p.display()
            );
        }
    }
    for p in paths {
        if p.join("manifest.ron").is_file() && !p.join("part.ron").exists() && !is_run_folder(p) {
            bail!(
                "{}: has a manifest.ron, but its runs.parquet or monthly.parquet is missing or not a regular file",
                p.display()
            );
        }
    }
    let runs: Vec<&PathBuf> = paths.iter().filter(|p| is_run_folder(p)).collect();
    match (runs.len(), paths.len()) {
        (0, _) => Ok(ReportInput::Parts(paths.to_vec())),
        (1, 1) => Ok(ReportInput::Run(paths[0].clone())),
        _ => bail!(
            "{} is a finished run folder: give it alone to rebuild its report, or give only part folders to merge",
            runs[0].display()
        ),
    }
}
