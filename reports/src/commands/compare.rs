//! `dcplan compare`: several scenarios run with common random numbers into one comparison folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use dcplan_sim::LoadedScenario;

use crate::commands::budget::check_budget;
use crate::commands::check::print_scenario_error;
use crate::commands::console::{errln, outln};
use crate::commands::job::{Finished, Job, RunRequest, threads_used};
use crate::commands::run::{Inputs, RunInfo, finish, simulate};
use crate::render::tables::VariantRuns;
use crate::store::output::safe_name;

/// `dcplan compare`: load every scenario (reporting every one that does not load), then compare.
pub fn main(paths: &[PathBuf], req: RunRequest) -> Result<ExitCode> {
    let mut loadeds = Vec::new();
    let mut failed = false;
    for p in paths {
        match dcplan_sim::load_with_settings(Some(p), &req.settings) {
            Ok(l) => loadeds.push(crate::commands::check::with_run_options(
                l,
                req.seed,
                req.replications,
            )),
            Err(e) => {
                print_scenario_error(&e);
                crate::commands::check::print_settings_note(&e, &req.settings);
                failed = true;
            }
        }
    }
    if failed {
        return Ok(ExitCode::FAILURE);
    }
    let loadeds = with_shared_run_values(loadeds);
    let quiet = req.quiet;
    if !quiet && let Some(w) = span_warning(&loadeds) {
        errln!("{w}");
    }
    let result = run_compare(&loadeds, &req).context("comparing the scenarios")?;
    if !quiet {
        for h in &result.headlines {
            outln!("{h}");
        }
        outln!("report: {}", result.dir.join("report.html").display());
    }
    Ok(if result.any_failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A warning when the compared scenarios start or end in different months: their NPVs, paybacks
/// and totals then cover different spans, and a difference between them is partly the span's.
fn span_warning(loadeds: &[LoadedScenario]) -> Option<String> {
    let span = |l: &LoadedScenario| {
        let s = &l.scenario.simulation;
        (s.start, s.horizon_months)
    };
    let first = span(loadeds.first()?);
    if loadeds.iter().all(|l| span(l) == first) {
        return None;
    }
    let spans: Vec<String> = loadeds
        .iter()
        .zip(compare_names(loadeds))
        .map(|(l, name)| {
            let (start, months) = span(l);
            format!("{name} {months} months from {start}")
        })
        .collect();
    Some(format!(
        "warning: the scenarios cover different spans ({}): their NPVs, paybacks and totals are not over the same months",
        spans.join(", ")
    ))
}

/// The compared scenarios, every one after the first carrying the first's seed and replication
/// count, which the comparison runs them with (after `--seed` and `--replications`, already
/// applied to each), so that each variant's assumptions table and `scenario.ron` say what ran.
fn with_shared_run_values(loadeds: Vec<LoadedScenario>) -> Vec<LoadedScenario> {
    let Some(first) = loadeds.first() else {
        return loadeds;
    };
    let (seed, n) = (
        first.scenario.simulation.seed,
        first.scenario.simulation.replication_count(),
    );
    let first_name = first.scenario.name.clone();
    loadeds
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l
            } else {
                crate::commands::check::with_comparison_values(l, seed, n, &first_name)
            }
        })
        .collect()
}

/// Files every comparison folder holds.
pub const COMPARE_FILES: &[&str] = &[
    "runs.parquet",
    "monthly.parquet",
    "summary.csv",
    "comparison.csv",
    "manifest.ron",
    "report.md",
    "report.html",
    "energy_cost_breakdown.svg",
    "energy_cost_breakdown.png",
    "pue_temperature.svg",
    "pue_temperature.png",
    "payback_cdf.svg",
    "payback_cdf.png",
    "npv_distribution.svg",
    "npv_distribution.png",
    "npv_boxplot.svg",
    "npv_boxplot.png",
    "payback_boxplot.svg",
    "payback_boxplot.png",
];

/// The variant names of compared scenarios: their names, made unique with primes (`a`, `a'`).
pub(crate) fn compare_names(loadeds: &[LoadedScenario]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for l in loadeds {
        let mut name = l.scenario.name.clone();
        while names.contains(&name) {
            name.push('\'');
        }
        names.push(name);
    }
    names
}

/// Run several scenarios with common random numbers (the same seed and replication indices) and
/// write a comparison folder.
pub(crate) fn run_compare(loadeds: &[LoadedScenario], req: &RunRequest) -> Result<Finished> {
    let first = loadeds
        .first()
        .context("compare needs at least one scenario")?;
    if let Some(swept) = loadeds.iter().find(|l| l.scenario.sweep.is_some()) {
        anyhow::bail!(
            "{}: compare runs each scenario as it is; remove its `sweep` section, or run it alone (`dcplan run`) to compare its variants",
            swept.file
        );
    }
    let seed = req.seed.unwrap_or(first.scenario.simulation.seed);
    let n = req
        .replications
        .unwrap_or(first.scenario.simulation.replication_count()) as u64;
    let target = req.out.clone().unwrap_or_else(|| {
        let names: Vec<&str> = loadeds.iter().map(|l| l.scenario.name.as_str()).collect();
        crate::store::output::fresh_path(
            &Path::new("out").join(safe_name(&format!("compare-{}", names.join("-vs-")))),
        )
    });
    check_budget(&loadeds.iter().collect::<Vec<_>>(), n, req)?;
    let job = Job::create(
        &target,
        req.force,
        req.quiet,
        n * loadeds.len() as u64,
        "simulating",
    )?;
    let mut variants: Vec<VariantRuns> = Vec::new();
    for (l, name) in loadeds.iter().zip(compare_names(loadeds)) {
        let output = simulate(
            l,
            seed,
            n,
            &RunRequest {
                target_ci: None,
                ..req.clone()
            },
            &job.progress,
        )?;
        variants.push(VariantRuns {
            name,
            seed,
            start: l.scenario.simulation.start,
            axes: Vec::new(),
            output,
        });
    }
    job.progress.finish();
    let info = RunInfo {
        inputs: Inputs::Compare(loadeds),
        seed,
        n,
        threads: threads_used(req.threads),
        command_line: req.command_line.clone(),
        target_ci: None,
    };
    finish(&info, variants, job)
}
