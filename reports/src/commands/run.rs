//! `dcplan run`: from a loaded scenario (and its sweep's variants) to a finished run or
//! comparison folder.

use std::process::ExitCode;

use anyhow::{Context, Result};
use dcplan_sim::replication::ReplicationOptions;
use dcplan_sim::sweep;
use dcplan_sim::{LoadedScenario, RunConfig};
use std::path::{Path, PathBuf};

use crate::commands::budget::check_budget;
use crate::commands::check::{load_or_print, with_run_options};
use crate::commands::console::{errln, outln};
use crate::commands::job::{
    Finished, Job, Progress, RunRequest, print_finished, require_some, threads_used,
};
use crate::render::charts;
use crate::render::doc::Block;
use crate::render::report;
use crate::render::tables::{self, VariantRuns};
use crate::store::manifest::{self, Manifest};
use crate::store::output::safe_name;
use crate::store::parts::Shard;

/// `dcplan run`: one scenario (or its sweep), or one shard of it with `shard`.
pub fn main(
    scenario: Option<&PathBuf>,
    req: RunRequest,
    shard: Option<Shard>,
    resume: bool,
) -> Result<ExitCode> {
    let Some(loaded) = load_or_print(scenario, &req.settings) else {
        return Ok(ExitCode::FAILURE);
    };
    let loaded = with_run_options(loaded, req.seed, req.replications);
    let quiet = req.quiet;
    if !quiet {
        for w in &loaded.warnings {
            errln!("{}: {w}", loaded.file);
        }
    }
    if let Some(shard) = shard {
        let outcome = crate::commands::shard::run_shard(&loaded, &req, shard, resume)
            .context("running the shard")?;
        return Ok(match outcome {
            crate::commands::shard::ShardOutcome::AlreadyComplete { dir } => {
                if !quiet {
                    outln!(
                        "shard {shard}: already complete in {} (verified); nothing to run",
                        dir.display()
                    );
                }
                ExitCode::SUCCESS
            }
            crate::commands::shard::ShardOutcome::Written {
                dir,
                pairs,
                failures,
            } => {
                if !quiet {
                    outln!(
                        "shard {shard}: pairs {}..{} written to {}",
                        pairs.start,
                        pairs.end,
                        dir.display()
                    );
                }
                if failures == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
        });
    }
    let result = run(&loaded, &req).context("running the scenario")?;
    print_finished(&loaded.scenario.name, &result, quiet);
    Ok(if result.any_failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Replications run between checks of the stopping rule (fixed, so that where a run stops does
/// not depend on the thread count).
pub const STOP_BATCH: u64 = 32;

/// Whether the mean NPV of the replications so far is known to the target precision.
pub(crate) fn precise_enough(reps: &[dcplan_sim::Replication], target: f64) -> bool {
    let npv: Vec<Option<f64>> = reps.iter().map(|r| Some(r.kpis.npv_usd)).collect();
    let s = dcplan_sim::stats::summarize(&npv);
    s.n >= 2 && s.ci95_hi - s.mean <= target * s.mean.abs()
}

/// Files every run folder holds.
pub const RUN_FILES: &[&str] = &[
    "runs.parquet",
    "monthly.parquet",
    "fleet.parquet",
    "summary.csv",
    "proforma.csv",
    "columns.csv",
    "manifest.ron",
    "scenario.ron",
    "report.md",
    "report.html",
    "report.xlsx",
    "cumulative_cash.svg",
    "cumulative_cash.png",
    "npv_histogram.svg",
    "npv_histogram.png",
    "fleet_composition.svg",
    "fleet_composition.png",
    "utilization.svg",
    "utilization.png",
    "revenue_by_class.svg",
    "revenue_by_class.png",
    "revenue_opex.svg",
    "revenue_opex.png",
    "market_prices.svg",
    "market_prices.png",
    "cash_waterfall.svg",
    "cash_waterfall.png",
    "payback_cdf.svg",
    "payback_cdf.png",
    "debt_service.svg",
    "debt_service.png",
    "energy_cost_breakdown.svg",
    "energy_cost_breakdown.png",
    "pue_temperature.svg",
    "pue_temperature.png",
    "market.parquet",
    "hourly.parquet",
];

/// Default output folder for a scenario.
pub(crate) fn default_out(loaded: &LoadedScenario) -> PathBuf {
    crate::store::output::fresh_path(&Path::new("out").join(safe_name(&loaded.scenario.name)))
}

/// The variants of a scenario: its sweep's, or the scenario alone.
pub(crate) fn variants_of(loaded: &LoadedScenario) -> Result<Vec<sweep::Variant>> {
    sweep::expand(loaded).map_err(|e| anyhow::anyhow!("{e}"))
}

/// What was run: one scenario (with its sweep's variants, if any), or several compared.
#[derive(Clone, Copy)]
pub(crate) enum Inputs<'a> {
    /// One scenario as given and its variants (one, `base`, without a sweep).
    Scenario(&'a LoadedScenario, &'a [sweep::Variant]),
    /// Several scenarios compared with common random numbers, in command-line order.
    Compare(&'a [LoadedScenario]),
}

/// Where the `k`-th (from 0) scenario of a comparison folder keeps its copies of its inputs.
pub(crate) fn compare_inputs_dir(k: usize) -> String {
    format!("{}/{}", manifest::INPUTS_DIR, k + 1)
}

/// The scenarios of a comparison folder (`compare.ron`), so that `dcplan report` can rebuild it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct CompareInputs {
    /// Each scenario's file name as given and its text.
    pub scenarios: Vec<(String, String)>,
}

/// How a run is identified, for manifests and reports.
pub(crate) struct RunInfo<'a> {
    /// What was run.
    pub inputs: Inputs<'a>,
    /// Master seed.
    pub seed: u64,
    /// Replications per variant.
    pub n: u64,
    /// Worker threads used.
    pub threads: usize,
    /// The command line.
    pub command_line: String,
    /// The precision target of `--target-ci`, whose outcome the report and headlines state.
    pub target_ci: Option<f64>,
}

/// Run a scenario (every variant of its sweep, if it has one) and write its output folder.
pub(crate) fn run(loaded: &LoadedScenario, req: &RunRequest) -> Result<Finished> {
    let seed = req.seed.unwrap_or(loaded.scenario.simulation.seed);
    let n = req
        .replications
        .unwrap_or(loaded.scenario.simulation.replication_count()) as u64;
    let variants = variants_of(loaded)?;
    if req.target_ci.is_some() && variants.len() > 1 {
        anyhow::bail!(
            "--target-ci stops a single scenario early; a sweep runs every variant to the same replication count"
        );
    }
    let target = req.out.clone().unwrap_or_else(|| default_out(loaded));
    check_budget(
        &variants.iter().map(|v| &v.loaded).collect::<Vec<_>>(),
        n,
        req,
    )?;
    // Refuse an existing folder before spending time on the simulation.
    let job = Job::create(
        &target,
        req.force,
        req.quiet,
        n * variants.len() as u64,
        "simulating",
    )?;
    let progress = &job.progress;
    let info = RunInfo {
        inputs: Inputs::Scenario(loaded, &variants),
        seed,
        n,
        threads: threads_used(req.threads),
        command_line: req.command_line.clone(),
        target_ci: req.target_ci,
    };
    let runs = if variants.len() == 1 {
        // The one variant is the scenario itself, or a sweep's single combination of values.
        let only = &variants[0];
        vec![VariantRuns {
            name: only.name.clone(),
            seed,
            start: only.loaded.scenario.simulation.start,
            axes: only.settings.clone(),
            output: simulate(&only.loaded, seed, n, req, progress)?,
        }]
    } else {
        simulate_pairs(
            &variants,
            seed,
            n,
            0..n * variants.len() as u64,
            req.threads,
            progress,
        )?
        .into_iter()
        .map(|(i, output)| VariantRuns {
            name: variants[i].name.clone(),
            seed,
            start: variants[i].loaded.scenario.simulation.start,
            axes: variants[i].settings.clone(),
            output,
        })
        .collect()
    };
    progress.finish();
    for v in &runs {
        require_some(&v.output, &loaded.file, &format!("`{}`", v.name))?;
    }
    finish(&info, runs, job)
}

/// The precision target a recorded command line set with `--target-ci`, if any.
pub(crate) fn target_ci_in(command_line: &str) -> Option<f64> {
    let words = crate::store::manifest::command_words(command_line);
    let mut words = words.iter().map(String::as_str);
    while let Some(w) = words.next() {
        let value = match w.strip_prefix("--target-ci") {
            Some("") => words.next(),
            Some(v) => v.strip_prefix('='),
            None => None,
        };
        if let Some(x) = value.and_then(|v| v.parse::<f64>().ok()) {
            return Some(x);
        }
    }
    None
}

/// What a precision target (`--target-ci`) came to: met, after how many replications, or missed
/// at the maximum, with the precision reached.
pub(crate) fn precision_note(reps: &[dcplan_sim::Replication], target: f64) -> String {
    let npv: Vec<Option<f64>> = reps.iter().map(|r| Some(r.kpis.npv_usd)).collect();
    let s = dcplan_sim::stats::summarize(&npv);
    let share = (s.ci95_hi - s.mean) / s.mean.abs();
    let reached = if s.n >= 2 && share.is_finite() {
        format!(
            "the 95 % confidence half-width of mean NPV is {:.2} % of its magnitude",
            share * 100.0
        )
    } else {
        "the precision of mean NPV cannot be stated (fewer than 2 replications, or a mean of 0)"
            .to_string()
    };
    if precise_enough(reps, target) {
        format!(
            "precision target met after {} replications: {reached} (target {:.2} %)",
            s.n,
            target * 100.0
        )
    } else {
        format!(
            "warning: precision target not met: after {} replications (the maximum, --replications) {reached}, above the target {:.2} %",
            s.n,
            target * 100.0
        )
    }
}

/// Run the (variant, replication) pairs `pairs` of a sweep, variant-major (pair `k` is variant
/// `k / n`, replication `k % n`), returning the runs of every variant the range touches.
pub(crate) fn simulate_pairs(
    variants: &[sweep::Variant],
    seed: u64,
    n: u64,
    pairs: std::ops::Range<u64>,
    threads: usize,
    progress: &Progress,
) -> Result<Vec<(usize, dcplan_sim::RunOutput)>> {
    let mut out = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let lo = pairs.start.max(i as u64 * n);
        let hi = pairs.end.min((i as u64 + 1) * n);
        if lo >= hi {
            continue;
        }
        let config = RunConfig {
            seed,
            replications: lo - i as u64 * n..hi - i as u64 * n,
            threads,
            options: ReplicationOptions::for_run(&v.loaded, seed, n),
        };
        out.push((i, dcplan_sim::run(&v.loaded, &config, &|| progress.tick())?));
    }
    Ok(out)
}

/// Write the output folder of finished runs: a run folder for one variant, a comparison folder
/// for a sweep or for several scenarios compared.
pub(crate) fn finish(info: &RunInfo, runs: Vec<VariantRuns>, job: Job) -> Result<Finished> {
    let manifest = folder_manifest(info, &runs, &job);
    write_tables(&runs, &job)?;
    match info.inputs {
        Inputs::Scenario(loaded, variants) => {
            job.write("scenario.ron", &loaded.source_text)?;
            job.write_inputs(
                manifest::INPUTS_DIR,
                std::iter::once(loaded).chain(variants.iter().map(|v| &v.loaded)),
            )?;
        }
        Inputs::Compare(loadeds) => {
            for (k, loaded) in loadeds.iter().enumerate() {
                job.write_inputs(&compare_inputs_dir(k), [loaded])?;
            }
        }
    }
    let (doc, headlines) = match info.inputs {
        Inputs::Scenario(loaded, variants) if runs.len() == 1 => {
            // A sweep of one combination reports that variant, not the scenario it changes.
            let loaded = variants.first().map_or(loaded, |v| &v.loaded);
            let v = &runs[0];
            let charts = charts::run_charts(v, &loaded.scenario, job.dir())?;
            crate::render::workbook::write_workbook(loaded, v, &job.path("report.xlsx"))?;
            let discount = report::discount_text(&loaded.scenario);
            let precision = info
                .target_ci
                .map(|target| precision_note(&v.output.replications, target));
            let mut headlines = report::headlines(v, &discount);
            headlines.extend(precision.clone());
            (
                report::run_report(loaded, v, &charts, &manifest, precision.as_deref()),
                headlines,
            )
        }
        Inputs::Scenario(loaded, variants) => sweep_doc(loaded, variants, &runs, &job, &manifest)?,
        Inputs::Compare(loadeds) => compare_doc(loadeds, &runs, &job, &manifest)?,
    };
    job.finish(&doc, manifest, runs, headlines)
}

/// The manifest of a run or comparison folder.
fn folder_manifest(info: &RunInfo, runs: &[VariantRuns], job: &Job) -> Manifest {
    let (scenario_file, scenario_name, scenario_hash) = match info.inputs {
        Inputs::Scenario(loaded, _) => (
            loaded.file.clone(),
            loaded.scenario.name.clone(),
            manifest::hash_bytes(loaded.source_text.as_bytes()),
        ),
        Inputs::Compare(loadeds) => {
            let text: String = loadeds
                .iter()
                .map(|l| l.source_text.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            (
                loadeds
                    .iter()
                    .map(|l| l.file.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                runs.iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" vs "),
                manifest::hash_bytes(text.as_bytes()),
            )
        }
    };
    // Replications actually run: fewer than asked when a precision target stopped the run early.
    let n = runs
        .iter()
        .map(|v| (v.output.replications.len() + v.output.failures.len()) as u64)
        .max()
        .unwrap_or(info.n);
    let failures = runs
        .iter()
        .flat_map(|v| {
            let prefix = if runs.len() > 1 {
                format!("{}: ", v.name)
            } else {
                String::new()
            };
            v.output
                .failures
                .iter()
                .map(move |f| (f.index, format!("{prefix}{}", f.message)))
        })
        .collect();
    job.manifest(
        scenario_file,
        scenario_name,
        scenario_hash,
        info.seed,
        n,
        info.threads,
        info.command_line.clone(),
        failures,
    )
}

/// The report and headlines of the variants of a sweep.
fn sweep_doc(
    loaded: &LoadedScenario,
    variants: &[sweep::Variant],
    runs: &[VariantRuns],
    job: &Job,
    manifest: &Manifest,
) -> Result<(crate::render::doc::Doc, Vec<String>)> {
    tables::write_csv(
        &mut crate::render::comparison::comparison_frame(runs)?,
        &job.path("comparison.csv"),
    )?;
    let charts = charts::comparison_charts(runs, job.dir())?;
    // Settings are named by the inputs' labels, with the field paths in the last column.
    let labels = dcplan_sim::labels::Labeller::new(&loaded.scenario);
    let mut inputs = vec![Block::Table {
        header: vec!["variant".into(), "settings".into(), "field paths".into()],
        rows: variants
            .iter()
            .map(|v| {
                vec![
                    v.name.clone(),
                    v.settings
                        .iter()
                        .map(|(p, x)| {
                            let l = labels.input(p);
                            let value = dcplan_sim::labels::value_text(x);
                            let unit = value.unit.map_or(l.unit, str::to_string);
                            if unit.is_empty() {
                                format!("{} = {}", l.label, value.describe())
                            } else {
                                format!("{} = {} {unit}", l.label, value.describe())
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                    v.settings
                        .iter()
                        .map(|(p, _)| p.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                ]
            })
            .collect(),
    }];
    inputs.push(report::scenario_source(loaded));
    let what = format!("{} variants of {}", runs.len(), loaded.scenario.name);
    let scenarios: Vec<&dcplan_sim::Scenario> =
        variants.iter().map(|v| &v.loaded.scenario).collect();
    Ok((
        report::compare_report(&what, inputs, &scenarios, runs, &charts, manifest),
        runs.iter()
            .map(crate::render::comparison::short_headline)
            .collect(),
    ))
}

/// The report and headlines of several scenarios compared, with `compare.ron` (their texts).
fn compare_doc(
    loadeds: &[LoadedScenario],
    runs: &[VariantRuns],
    job: &Job,
    manifest: &Manifest,
) -> Result<(crate::render::doc::Doc, Vec<String>)> {
    let saved = CompareInputs {
        scenarios: loadeds
            .iter()
            .map(|l| (l.file.clone(), l.source_text.clone()))
            .collect(),
    };
    let text = ron::ser::to_string_pretty(&saved, ron::ser::PrettyConfig::default())
        .context("encoding compare.ron")?;
    job.write("compare.ron", text)?;
    tables::write_csv(
        &mut crate::render::comparison::comparison_frame(runs)?,
        &job.path("comparison.csv"),
    )?;
    let charts = charts::comparison_charts(runs, job.dir())?;
    let inputs = loadeds.iter().map(report::scenario_source).collect();
    let what = format!("{} scenarios", runs.len());
    let scenarios: Vec<&dcplan_sim::Scenario> = loadeds.iter().map(|l| &l.scenario).collect();
    Ok((
        report::compare_report(&what, inputs, &scenarios, runs, &charts, manifest),
        runs.iter()
            .map(crate::render::comparison::headline)
            .collect(),
    ))
}

/// Run the replications of one scenario (all of them, or until the stopping rule is met).
pub(crate) fn simulate(
    loaded: &LoadedScenario,
    seed: u64,
    n: u64,
    req: &RunRequest,
    progress: &Progress,
) -> Result<dcplan_sim::RunOutput> {
    let output = match req.target_ci {
        None => {
            let config = RunConfig {
                seed,
                replications: 0..n,
                threads: req.threads,
                options: ReplicationOptions::for_run(loaded, seed, n),
            };
            dcplan_sim::run(loaded, &config, &|| progress.tick())?
        }
        Some(target) => {
            let mut all = dcplan_sim::RunOutput {
                replications: Vec::new(),
                failures: Vec::new(),
            };
            let mut start = 0;
            while start < n {
                let end = (start + STOP_BATCH).min(n);
                let config = RunConfig {
                    seed,
                    replications: start..end,
                    threads: req.threads,
                    options: ReplicationOptions::for_run(loaded, seed, n),
                };
                let part = dcplan_sim::run(loaded, &config, &|| progress.tick())?;
                all.replications.extend(part.replications);
                all.failures.extend(part.failures);
                start = end;
                if precise_enough(&all.replications, target) {
                    break;
                }
            }
            all
        }
    };
    if output.replications.is_empty() {
        match output.failures.first() {
            Some(f) => anyhow::bail!(
                "{}: every replication failed; the first: replication {} (seed {}): {}",
                loaded.file,
                f.index,
                f.seed,
                f.message
            ),
            None => anyhow::bail!("{}: no replication ran (0 asked)", loaded.file),
        }
    }
    Ok(output)
}

/// Write the result tables of some variants into an output folder.
pub(crate) fn write_tables(variants: &[VariantRuns], out: &Job) -> Result<()> {
    tables::write_parquet(
        &mut tables::runs_frame(variants)?,
        &out.path("runs.parquet"),
    )?;
    tables::write_parquet(
        &mut tables::monthly_frame(variants)?,
        &out.path("monthly.parquet"),
    )?;
    tables::write_parquet(
        &mut tables::fleet_frame(variants)?,
        &out.path("fleet.parquet"),
    )?;
    tables::write_parquet(
        &mut tables::market_frame(variants)?,
        &out.path("market.parquet"),
    )?;
    // Only a run whose policies fired has a decisions table.
    let mut decisions = tables::decisions_frame(variants)?;
    if decisions.height() > 0 {
        tables::write_parquet(&mut decisions, &out.path("decisions.parquet"))?;
        tables::write_csv(&mut decisions, &out.path("decisions.csv"))?;
    }
    let mut hourly = tables::hourly_frame(variants)?;
    if hourly.height() > 0 {
        tables::write_parquet(&mut hourly, &out.path("hourly.parquet"))?;
    }
    tables::write_csv(
        &mut tables::summary_frame(variants)?,
        &out.path("summary.csv"),
    )?;
    tables::write_csv(
        &mut crate::render::proforma::proforma_frame(variants)?,
        &out.path("proforma.csv"),
    )?;
    tables::write_csv(&mut tables::columns_frame()?, &out.path("columns.csv"))?;
    Ok(())
}
