//! From a loaded scenario to a finished output folder.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use dcplan_sim::model::ReplicationOptions;
use dcplan_sim::{LoadedScenario, RunConfig};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::charts::{self, Bands, FanChart, Histogram, RenderedChart, StackedArea, YFormat};
use crate::doc::Block;
use crate::manifest::{self, Manifest};
use crate::output::OutputDir;
use crate::report;
use crate::tables::{self, VariantRuns};
use dcplan_sim::sweep;

/// A run request from the command line.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// Replications (overrides the scenario).
    pub replications: Option<u32>,
    /// Seed (overrides the scenario).
    pub seed: Option<u64>,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Output folder; `None` picks `out/<scenario name>` (or a fresh numbered folder beside it).
    pub out: Option<PathBuf>,
    /// Replace an existing output folder.
    pub force: bool,
    /// No progress bar.
    pub quiet: bool,
    /// The command line, for the manifest.
    pub command_line: String,
    /// Stop once the 95 % confidence half-width of mean NPV is within this share of its
    /// magnitude (checked every [`STOP_BATCH`] replications; `replications` is the maximum).
    pub target_ci: Option<f64>,
    /// Memory the run may use, bytes (default: the machine's, see [`memory_limit`]).
    pub max_memory: Option<u64>,
    /// Run even when the estimate exceeds the memory, time or hourly-row budget.
    pub yes: bool,
}

/// Longest estimated run started without `--yes`, seconds (a day).
pub const MAX_SECONDS_WITHOUT_YES: f64 = 86_400.0;
/// Estimated runs longer than this print their estimate first, seconds.
pub const ANNOUNCE_SECONDS: f64 = 60.0;
/// Most hourly rows one run keeps, over every variant: 100 replications for ten years.
pub const MAX_HOURLY_ROWS_PER_RUN: f64 = 100.0 * 120.0 * 744.0;

/// The memory this process may use: the machine's (`MemTotal` of `/proc/meminfo`), or its
/// control group's limit where that is lower (a batch scheduler's allocation). `None` where
/// neither can be read.
pub fn memory_limit() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    let cgroup = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .filter_map(|f| std::fs::read_to_string(f).ok())
    .filter_map(|t| t.trim().parse::<u64>().ok())
    .min();
    match (total, cgroup) {
        (Some(t), Some(c)) => Some(t.min(c)),
        (t, c) => t.or(c),
    }
}

fn gib(bytes: f64) -> String {
    let units = [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (unit, shift) in units {
        let k = (1u64 << shift) as f64;
        if bytes >= k {
            return format!("{:.1} {unit}", bytes / k);
        }
    }
    format!("{bytes:.0} bytes")
}

fn duration_text(secs: f64) -> String {
    match secs {
        s if s < 120.0 => format!("{s:.0} s"),
        s if s < 7_200.0 => format!("{:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.1} h", s / 3_600.0),
        s if s < 3.2e9 => format!("{:.0} days", s / 86_400.0),
        _ => "longer than a century".into(),
    }
}

/// Estimate what running `n` replications of each scenario (variants of a sweep, or compared
/// scenarios) will take, and refuse before anything runs what exceeds the memory (`--max-memory`
/// or the machine's), a day of computing or [`MAX_HOURLY_ROWS_PER_RUN`] hourly rows, unless
/// `--yes`; print the estimate of a long run.
pub fn check_budget(scenarios: &[&LoadedScenario], n: u64, req: &RunRequest) -> Result<()> {
    let est = scenarios
        .iter()
        .map(|l| dcplan_sim::scenario::budget::estimate(&l.scenario, &l.catalog, n))
        .fold(dcplan_sim::scenario::budget::Estimate::default(), |a, b| {
            a.plus(b)
        });
    let threads = threads_used(req.threads);
    let memory = est.memory_bytes(threads);
    let secs = est.seconds(threads);
    let what = format!(
        "{} replication(s) of {} month(s), about {:.1e} events each, {:.1e} hourly rows kept",
        est.replications as u64,
        scenarios
            .iter()
            .map(|l| l.scenario.simulation.horizon())
            .max()
            .unwrap_or(0),
        est.events_per_replication,
        est.hourly_rows,
    );
    let mut problems = Vec::new();
    let (limit, source) = match req.max_memory {
        Some(m) => (Some(m), "--max-memory allows"),
        None => (memory_limit(), "this machine has"),
    };
    if let Some(limit) = limit {
        if memory > limit as f64 {
            problems.push(format!(
                "it needs an estimated {} of memory, more than the {} {source}",
                gib(memory),
                gib(limit as f64)
            ));
        }
    }
    if secs > MAX_SECONDS_WITHOUT_YES {
        problems.push(format!(
            "it would take an estimated {} on {threads} thread(s)",
            duration_text(secs)
        ));
    }
    if est.hourly_rows > MAX_HOURLY_ROWS_PER_RUN {
        problems.push(format!(
            "it keeps {:.1e} hourly rows over all its variants, more than the {MAX_HOURLY_ROWS_PER_RUN:.1e} of one run (fewer `simulation.hourly_replications` or `hourly_months`)",
            est.hourly_rows
        ));
    }
    if !problems.is_empty() && !req.yes {
        anyhow::bail!(
            "the run is too large to start: {} ({what}); use fewer replications, a shorter horizon or fewer hourly rows, or pass --yes (and --max-memory SIZE) to run anyway",
            problems.join("; and ")
        );
    }
    if !req.quiet && (secs > ANNOUNCE_SECONDS || !problems.is_empty()) {
        eprintln!(
            "estimate: about {} and {} of memory ({what})",
            duration_text(secs),
            gib(memory)
        );
    }
    Ok(())
}

/// Replications run between checks of the stopping rule (fixed, so that where a run stops does
/// not depend on the thread count).
pub const STOP_BATCH: u64 = 32;

/// Whether the mean NPV of the replications so far is known to the target precision.
pub fn precise_enough(reps: &[dcplan_sim::Replication], target: f64) -> bool {
    let npv: Vec<Option<f64>> = reps.iter().map(|r| Some(r.kpis.npv_usd)).collect();
    let s = dcplan_sim::stats::summarize(&npv);
    s.n >= 2 && dcplan_sim::stats::Z95 * s.se <= target * s.mean.abs()
}

/// Files every run folder holds.
pub const RUN_FILES: &[&str] = &[
    "runs.parquet",
    "monthly.parquet",
    "fleet.parquet",
    "summary.csv",
    "manifest.ron",
    "scenario.ron",
    "report.md",
    "report.html",
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

/// What a finished command produced.
#[derive(Debug)]
pub struct Finished {
    /// The output folder.
    pub dir: PathBuf,
    /// Results, one entry per variant.
    pub variants: Vec<VariantRuns>,
    /// Headline sentences.
    pub headlines: Vec<String>,
    /// Wall time.
    pub wall: Duration,
}

impl Finished {
    /// Replications that finished, over every variant.
    pub fn replications(&self) -> usize {
        self.variants
            .iter()
            .map(|v| v.output.replications.len())
            .sum()
    }

    /// Whether any replication failed.
    pub fn any_failed(&self) -> bool {
        self.variants.iter().any(|v| !v.output.failures.is_empty())
    }
}

/// A progress bar on stderr that appears only after a second, only on a terminal, never when quiet.
pub struct Progress {
    bar: ProgressBar,
    start: Instant,
    shown: Mutex<bool>,
    enabled: bool,
}

impl Progress {
    /// A bar for `total` steps.
    pub fn new(total: u64, quiet: bool, what: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} {bar:40.cyan/blue} {pos}/{len} {per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(what.to_string());
        Progress {
            bar,
            start: Instant::now(),
            shown: Mutex::new(false),
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// Add `n` steps to the total (for work whose size is known only as it goes).
    pub fn add_total(&self, n: u64) {
        self.bar.inc_length(n);
    }

    /// One step done.
    pub fn tick(&self) {
        self.bar.inc(1);
        if self.enabled && self.start.elapsed() > Duration::from_secs(1) {
            if let Ok(mut shown) = self.shown.lock() {
                if !*shown {
                    self.bar.set_draw_target(ProgressDrawTarget::stderr());
                    *shown = true;
                }
            }
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Default output folder for a scenario.
pub fn default_out(loaded: &LoadedScenario) -> PathBuf {
    crate::output::fresh_path(&Path::new("out").join(safe_name(&loaded.scenario.name)))
}

/// The variants of a scenario: its sweep's, or the scenario alone.
pub fn variants_of(loaded: &LoadedScenario) -> Result<Vec<sweep::Variant>> {
    sweep::expand(loaded).map_err(|e| anyhow::anyhow!("{e}"))
}

/// What was run: one scenario (with its sweep's variants, if any), or several compared.
#[derive(Clone, Copy)]
pub enum Inputs<'a> {
    /// One scenario as given and its variants (one, `base`, without a sweep).
    Scenario(&'a LoadedScenario, &'a [sweep::Variant]),
    /// Several scenarios compared with common random numbers, in command-line order.
    Compare(&'a [LoadedScenario]),
}

/// The scenarios of a comparison folder (`compare.ron`), so that `dcplan report` can rebuild it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CompareInputs {
    /// Each scenario's file name as given and its text.
    pub scenarios: Vec<(String, String)>,
}

/// How a run is identified, for manifests and reports.
pub struct RunInfo<'a> {
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
    /// When the work started (UTC, ISO 8601).
    pub started_utc: String,
    /// When the work started.
    pub t0: Instant,
}

/// Run a scenario (every variant of its sweep, if it has one) and write its output folder.
pub fn run(loaded: &LoadedScenario, req: &RunRequest) -> Result<Finished> {
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
    let out = OutputDir::create(&target, req.force)?;
    let info = RunInfo {
        inputs: Inputs::Scenario(loaded, &variants),
        seed,
        n,
        threads: threads_used(req.threads),
        command_line: req.command_line.clone(),
        started_utc: manifest::now_utc(),
        t0: Instant::now(),
    };
    let progress = Progress::new(n * variants.len() as u64, req.quiet, "simulating");
    let runs = if variants.len() == 1 {
        vec![VariantRuns {
            name: variants[0].name.clone(),
            seed,
            start: loaded.scenario.simulation.start,
            output: simulate(loaded, seed, n, req, &progress)?,
        }]
    } else {
        simulate_pairs(
            &variants,
            seed,
            n,
            0..n * variants.len() as u64,
            req.threads,
            &progress,
        )?
        .into_iter()
        .map(|(i, output)| VariantRuns {
            name: variants[i].name.clone(),
            seed,
            start: variants[i].loaded.scenario.simulation.start,
            output,
        })
        .collect()
    };
    progress.finish();
    for v in &runs {
        if v.output.replications.is_empty() {
            let first = v
                .output
                .failures
                .first()
                .map(|f| format!("replication {} (seed {}): {}", f.index, f.seed, f.message))
                .unwrap_or_default();
            anyhow::bail!(
                "{}: every replication of `{}` failed; the first: {first}",
                loaded.file,
                v.name
            );
        }
    }
    finish(&info, runs, out)
}

/// Worker threads a request will use.
pub fn threads_used(requested: usize) -> usize {
    if requested == 0 {
        rayon::current_num_threads()
    } else {
        requested
    }
}

/// Run the (variant, replication) pairs `pairs` of a sweep, variant-major (pair `k` is variant
/// `k / n`, replication `k % n`), returning the runs of every variant the range touches.
pub fn simulate_pairs(
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
pub fn finish(info: &RunInfo, runs: Vec<VariantRuns>, out: OutputDir) -> Result<Finished> {
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
    let manifest = Manifest {
        dcplan_version: manifest::VERSION.to_string(),
        git_revision: manifest::GIT_REVISION.to_string(),
        scenario_file,
        scenario_name,
        scenario_hash,
        seed: info.seed,
        replications: n,
        replication_range: (0, n),
        threads: info.threads,
        command_line: info.command_line.clone(),
        started_utc: info.started_utc.clone(),
        wall_time_s: 0.0,
        failures: runs
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
            .collect(),
        files: Vec::new(),
    };
    write_tables(&runs, &out)?;
    if let Inputs::Scenario(loaded, _) = info.inputs {
        std::fs::write(out.path("scenario.ron"), &loaded.source_text)
            .context("writing scenario.ron")?;
    }
    let (doc, headlines) = match info.inputs {
        Inputs::Scenario(loaded, _) if runs.len() == 1 => {
            let v = &runs[0];
            let charts = run_charts(v, out.tmp_dir())?;
            let discount = report::discount_text(&loaded.scenario);
            (
                report::run_report(loaded, v, &charts, &manifest),
                report::headlines(v, &discount),
            )
        }
        Inputs::Scenario(loaded, variants) => {
            tables::write_csv(
                &mut crate::compare::comparison_frame(&runs)?,
                &out.path("comparison.csv"),
            )?;
            let charts = comparison_charts(&runs, out.tmp_dir())?;
            let mut inputs = vec![Block::Table {
                header: vec!["variant".into(), "settings".into()],
                rows: variants
                    .iter()
                    .map(|v| {
                        vec![
                            v.name.clone(),
                            v.settings
                                .iter()
                                .map(|(p, x)| format!("{p} = {x}"))
                                .collect::<Vec<_>>()
                                .join("; "),
                        ]
                    })
                    .collect(),
            }];
            inputs.push(Block::Details(
                format!("{} ({})", loaded.scenario.name, loaded.file),
                vec![Block::Code(loaded.source_text.clone())],
            ));
            let what = format!("{} variants of {}", runs.len(), loaded.scenario.name);
            let scenarios: Vec<&dcplan_sim::Scenario> =
                variants.iter().map(|v| &v.loaded.scenario).collect();
            (
                report::compare_report(&what, inputs, &scenarios, &runs, &charts, &manifest),
                runs.iter().map(crate::compare::short_headline).collect(),
            )
        }
        Inputs::Compare(loadeds) => {
            let saved = CompareInputs {
                scenarios: loadeds
                    .iter()
                    .map(|l| (l.file.clone(), l.source_text.clone()))
                    .collect(),
            };
            let text = ron::ser::to_string_pretty(&saved, ron::ser::PrettyConfig::default())
                .context("encoding compare.ron")?;
            std::fs::write(out.path("compare.ron"), text).context("writing compare.ron")?;
            tables::write_csv(
                &mut crate::compare::comparison_frame(&runs)?,
                &out.path("comparison.csv"),
            )?;
            let charts = comparison_charts(&runs, out.tmp_dir())?;
            let inputs = loadeds
                .iter()
                .map(|l| {
                    Block::Details(
                        format!("{} ({})", l.scenario.name, l.file),
                        vec![Block::Code(l.source_text.clone())],
                    )
                })
                .collect();
            let what = format!("{} scenarios", runs.len());
            let scenarios: Vec<&dcplan_sim::Scenario> =
                loadeds.iter().map(|l| &l.scenario).collect();
            (
                report::compare_report(&what, inputs, &scenarios, &runs, &charts, &manifest),
                runs.iter().map(crate::compare::headline).collect(),
            )
        }
    };
    let dir = write_doc_and_manifest(out, &doc, manifest, info.t0)?;
    Ok(Finished {
        dir,
        variants: runs,
        headlines,
        wall: info.t0.elapsed(),
    })
}

/// Write `report.md`, `report.html` and the manifest (with the wall time so far and the hash of
/// every file), then move the folder into place.
pub fn write_doc_and_manifest(
    out: OutputDir,
    doc: &crate::doc::Doc,
    mut manifest: Manifest,
    t0: Instant,
) -> Result<PathBuf> {
    std::fs::write(out.path("report.md"), doc.to_markdown()).context("writing report.md")?;
    std::fs::write(out.path("report.html"), doc.to_html()).context("writing report.html")?;
    manifest.wall_time_s = t0.elapsed().as_secs_f64();
    manifest.files = hash_files(out.tmp_dir())?;
    let text = ron::ser::to_string_pretty(&manifest, ron::ser::PrettyConfig::default())
        .context("encoding the manifest")?;
    std::fs::write(out.path("manifest.ron"), text).context("writing manifest.ron")?;
    out.commit()
}

/// The charts of a comparison of variants.
pub fn comparison_charts(variants: &[VariantRuns], dir: &Path) -> Result<Vec<RenderedChart>> {
    let mut out = vec![
        charts::render(&npv_boxplot(variants), dir)?,
        charts::render(&payback_boxplot(variants), dir)?,
        charts::render(&payback_cdf_chart(variants), dir)?,
        charts::render(&npv_distribution_chart(variants), dir)?,
        charts::render(&crate::figures::energy_breakdown_chart(variants), dir)?,
    ];
    if let Some(c) = crate::figures::pue_temperature_chart(variants) {
        out.push(charts::render(&c, dir)?);
    }
    Ok(out)
}

/// NPV per variant as box plots.
pub fn npv_boxplot(variants: &[VariantRuns]) -> charts::BoxPlot {
    charts::BoxPlot {
        name: "npv_boxplot".into(),
        title: "Project NPV by variant".into(),
        y_label: "NPV ($M)".into(),
        y_format: YFormat::MillionsUsd,
        groups: variants
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    v.kpi(dcplan_sim::Kpi::NpvUsd)
                        .into_iter()
                        .flatten()
                        .collect(),
                )
            })
            .collect(),
        zero_line: true,
    }
}

/// Payback per variant as box plots; a payback beyond the horizon is drawn at the horizon.
pub fn payback_boxplot(variants: &[VariantRuns]) -> charts::BoxPlot {
    let horizon = variants
        .iter()
        .flat_map(|v| v.output.replications.iter().map(|r| r.months.len()))
        .max()
        .unwrap_or(0) as f64;
    charts::BoxPlot {
        name: "payback_boxplot".into(),
        title: format!(
            "Payback by variant (no payback within the horizon drawn at {horizon:.0} months)"
        ),
        y_label: "Payback (months)".into(),
        y_format: YFormat::Plain,
        groups: variants
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    v.kpi(dcplan_sim::Kpi::PaybackMonths)
                        .into_iter()
                        .map(|p| p.unwrap_or(horizon))
                        .collect(),
                )
            })
            .collect(),
        zero_line: false,
    }
}

/// Run the replications of one scenario (all of them, or until the stopping rule is met).
pub fn simulate(
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
pub fn write_tables(variants: &[VariantRuns], out: &OutputDir) -> Result<()> {
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
    let mut hourly = tables::hourly_frame(variants)?;
    if hourly.height() > 0 {
        tables::write_parquet(&mut hourly, &out.path("hourly.parquet"))?;
    }
    tables::write_csv(
        &mut tables::summary_frame(variants)?,
        &out.path("summary.csv"),
    )?;
    Ok(())
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
pub fn compare_names(loadeds: &[LoadedScenario]) -> Vec<String> {
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
pub fn run_compare(loadeds: &[LoadedScenario], req: &RunRequest) -> Result<Finished> {
    let first = loadeds
        .first()
        .context("compare needs at least one scenario")?;
    let seed = req.seed.unwrap_or(first.scenario.simulation.seed);
    let n = req
        .replications
        .unwrap_or(first.scenario.simulation.replication_count()) as u64;
    let target = req.out.clone().unwrap_or_else(|| {
        let names: Vec<&str> = loadeds.iter().map(|l| l.scenario.name.as_str()).collect();
        crate::output::fresh_path(
            &Path::new("out").join(safe_name(&format!("compare-{}", names.join("-vs-")))),
        )
    });
    check_budget(&loadeds.iter().collect::<Vec<_>>(), n, req)?;
    let out = OutputDir::create(&target, req.force)?;
    let started = manifest::now_utc();
    let t0 = Instant::now();
    let progress = Progress::new(n * loadeds.len() as u64, req.quiet, "simulating");
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
            &progress,
        )?;
        variants.push(VariantRuns {
            name,
            seed,
            start: l.scenario.simulation.start,
            output,
        });
    }
    progress.finish();
    let info = RunInfo {
        inputs: Inputs::Compare(loadeds),
        seed,
        n,
        threads: threads_used(req.threads),
        command_line: req.command_line.clone(),
        started_utc: started,
        t0,
    };
    finish(&info, variants, out)
}

/// Cumulative distribution of NPV per variant.
pub fn npv_distribution_chart(variants: &[VariantRuns]) -> charts::Lines {
    let series = variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut npv: Vec<f64> = v
                .kpi(dcplan_sim::Kpi::NpvUsd)
                .into_iter()
                .flatten()
                .collect();
            npv.sort_by(f64::total_cmp);
            let n = npv.len().max(1) as f64;
            let points = npv
                .iter()
                .enumerate()
                .map(|(k, x)| (x / 1e6, (k + 1) as f64 / n))
                .collect();
            (
                v.name.clone(),
                charts::PALETTE[i % charts::PALETTE.len()],
                points,
            )
        })
        .collect();
    charts::Lines {
        name: "npv_distribution".into(),
        title: "Project NPV: share of replications at or below each value".into(),
        x_label: "NPV ($M)".into(),
        y_label: "Share of replications (%)".into(),
        series,
        x_marks: vec![0.0],
        y_format: YFormat::Percent,
        y_range: Some((0.0, 1.0)),
    }
}

pub fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// BLAKE3 hashes of every file in a folder, sorted by name.
pub fn hash_files(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "manifest.ron" || !entry.file_type()?.is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path())
            .with_context(|| format!("reading {}", entry.path().display()))?;
        out.push((name, manifest::hash_bytes(&bytes)));
    }
    out.sort();
    Ok(out)
}

/// The charts of a single-variant run.
pub fn run_charts(v: &VariantRuns, dir: &Path) -> Result<Vec<RenderedChart>> {
    let reps = &v.output.replications;
    let horizon = reps.iter().map(|r| r.months.len()).max().unwrap_or(0);
    let samples: Vec<Vec<f64>> = (0..horizon)
        .map(|m| {
            reps.iter()
                .filter_map(|r| r.months.get(m).map(|row| row.cumulative_cash_usd))
                .collect()
        })
        .collect();
    let cash = FanChart {
        name: "cumulative_cash".into(),
        title: "Cumulative free cash flow".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "Cumulative cash ($M)".into(),
        bands: Bands::from_samples((1..=horizon).map(|m| m as f64).collect(), &samples),
        y_format: YFormat::MillionsUsd,
        zero_line: true,
    };
    let npv = v.summary(dcplan_sim::Kpi::NpvUsd);
    let hist = Histogram {
        name: "npv_histogram".into(),
        title: "Project NPV across replications".into(),
        x_label: "NPV ($M)".into(),
        values: v
            .kpi(dcplan_sim::Kpi::NpvUsd)
            .into_iter()
            .flatten()
            .collect(),
        x_format: YFormat::MillionsUsd,
        markers: vec![
            ("P10".into(), npv.p10),
            ("P50".into(), npv.p50),
            ("P90".into(), npv.p90),
        ],
    };
    let mut out = vec![
        charts::render(&cash, dir)?,
        charts::render(&hist, dir)?,
        charts::render(&utilization_chart(v), dir)?,
        charts::render(&revenue_chart(v), dir)?,
        charts::render(&revenue_opex_chart(v), dir)?,
        charts::render(&price_chart(v), dir)?,
        charts::render(&fleet_chart(v), dir)?,
        charts::render(&waterfall_chart(v), dir)?,
        charts::render(&payback_cdf_chart(std::slice::from_ref(v)), dir)?,
        charts::render(&debt_chart(v), dir)?,
        charts::render(
            &crate::figures::energy_breakdown_chart(std::slice::from_ref(v)),
            dir,
        )?,
    ];
    if let Some(c) = crate::figures::pue_temperature_chart(std::slice::from_ref(v)) {
        out.push(charts::render(&c, dir)?);
    }
    Ok(out)
}

/// The replication whose NPV is the median (nearest rank), for single-path illustrations.
pub fn median_replication(v: &VariantRuns) -> Option<&dcplan_sim::Replication> {
    let mut reps: Vec<&dcplan_sim::Replication> = v.output.replications.iter().collect();
    reps.sort_by(|a, b| {
        a.kpis
            .npv_usd
            .total_cmp(&b.kpis.npv_usd)
            .then(a.index.cmp(&b.index))
    });
    reps.get(reps.len().saturating_sub(1) / 2).copied()
}

/// Revenue to free cash flow over the horizon, for the median-NPV replication.
pub fn waterfall_chart(v: &VariantRuns) -> charts::Waterfall {
    let mut steps = Vec::new();
    let mut title = "Cash-flow waterfall over the horizon".to_string();
    if let Some(r) = median_replication(v) {
        let sum = |f: fn(&dcplan_sim::MonthRow) -> f64| r.months.iter().map(f).sum::<f64>();
        title = format!(
            "Revenue to free cash flow, median-NPV replication (#{})",
            r.index
        );
        steps = vec![
            (
                "Revenue".to_string(),
                sum(|m| m.revenue_reserved_usd + m.revenue_on_demand_usd + m.revenue_spot_usd),
                false,
            ),
            ("SLA credits".into(), -sum(|m| m.sla_credits_usd), false),
            ("Energy".into(), -sum(|m| m.energy_cost_usd), false),
            ("Staff".into(), -sum(|m| m.staff_usd), false),
            (
                "Other opex".into(),
                -sum(|m| {
                    m.maintenance_usd
                        + m.insurance_usd
                        + m.software_usd
                        + m.network_transit_usd
                        + m.sga_usd
                        + m.rent_usd
                }),
                false,
            ),
            ("EBITDA".into(), sum(|m| m.ebitda_usd), true),
            (
                "Prepayments".into(),
                sum(|m| m.prepayments_usd - m.prepaid_revenue_usd),
                false,
            ),
            ("Capex".into(), -sum(|m| m.capex_usd), false),
            ("Resale".into(), sum(|m| m.resale_usd), false),
            ("Free cash flow".into(), sum(|m| m.fcf_usd), true),
        ];
    }
    charts::Waterfall {
        name: "cash_waterfall".into(),
        title,
        y_label: "$M over the horizon".into(),
        steps,
        y_format: YFormat::MillionsUsd,
    }
}

/// Probability of payback within m months, per variant.
pub fn payback_cdf_chart(variants: &[VariantRuns]) -> charts::Lines {
    let horizon = variants
        .iter()
        .flat_map(|v| v.output.replications.iter().map(|r| r.months.len()))
        .max()
        .unwrap_or(0);
    let series = variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let paybacks = v.kpi(dcplan_sim::Kpi::PaybackMonths);
            let points = (0..=horizon)
                .map(|m| {
                    (
                        m as f64,
                        dcplan_sim::stats::prob_at_most(&paybacks, m as f64).0,
                    )
                })
                .collect();
            let label = if variants.len() == 1 {
                "share of replications paid back".to_string()
            } else {
                v.name.clone()
            };
            (label, charts::PALETTE[i % charts::PALETTE.len()], points)
        })
        .collect();
    charts::Lines {
        name: "payback_cdf".into(),
        title: "Probability of payback within a number of months".into(),
        x_label: "Months from the start".into(),
        y_label: "Probability (%)".into(),
        series,
        x_marks: tables::PAYBACK_MONTHS.iter().map(|m| *m as f64).collect(),
        y_format: YFormat::Percent,
        y_range: Some((0.0, 1.0)),
    }
}

/// Mean monthly interest and principal.
pub fn debt_chart(v: &VariantRuns) -> StackedArea {
    let mean = |f: fn(&dcplan_sim::MonthRow) -> f64| -> Vec<f64> {
        monthly_samples(v, f)
            .iter()
            .map(|s| s.iter().sum::<f64>() / s.len().max(1) as f64)
            .collect()
    };
    let any = v
        .output
        .replications
        .iter()
        .any(|r| r.months.iter().any(|m| m.debt_service_usd > 0.0));
    StackedArea {
        name: "debt_service".into(),
        title: if any {
            "Debt service (mean across replications)".into()
        } else {
            "Debt service (the scenario has no debt)".into()
        },
        x_label: format!("Month from {}", v.start),
        y_label: "$M per month".into(),
        x: months_axis(v),
        series: vec![
            (
                "interest".into(),
                charts::PALETTE[3],
                mean(|m| m.interest_usd),
            ),
            (
                "principal".into(),
                charts::PALETTE[0],
                mean(|m| m.principal_usd),
            ),
        ],
        lines: Vec::new(),
        y_format: YFormat::MillionsUsd,
    }
}

/// Per-month samples (one value per replication) of a monthly column.
fn monthly_samples(v: &VariantRuns, f: impl Fn(&dcplan_sim::MonthRow) -> f64) -> Vec<Vec<f64>> {
    let reps = &v.output.replications;
    let horizon = reps.iter().map(|r| r.months.len()).max().unwrap_or(0);
    (0..horizon)
        .map(|m| {
            reps.iter()
                .filter_map(|r| r.months.get(m).map(&f))
                .collect()
        })
        .collect()
}

fn months_axis(v: &VariantRuns) -> Vec<f64> {
    let horizon = v
        .output
        .replications
        .iter()
        .map(|r| r.months.len())
        .max()
        .unwrap_or(0);
    (1..=horizon).map(|m| m as f64).collect()
}

/// Utilization over time: sold / installed GPU-hours (fan) and sold / available (median).
pub fn utilization_chart(v: &VariantRuns) -> charts::FanChart {
    FanChart {
        name: "utilization".into(),
        title: "Utilization (sold / installed GPU-hours)".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "Utilization (%)".into(),
        bands: Bands::from_samples(months_axis(v), &monthly_samples(v, |m| m.utilization_frac)),
        y_format: YFormat::Percent,
        zero_line: false,
    }
}

/// Mean monthly revenue by contract class, stacked.
pub fn revenue_chart(v: &VariantRuns) -> StackedArea {
    let mean = |f: fn(&dcplan_sim::MonthRow) -> f64| -> Vec<f64> {
        monthly_samples(v, f)
            .iter()
            .map(|s| s.iter().sum::<f64>() / s.len().max(1) as f64)
            .collect()
    };
    StackedArea {
        name: "revenue_by_class".into(),
        title: "Monthly revenue by contract class (mean across replications)".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "Revenue ($M per month)".into(),
        x: months_axis(v),
        series: vec![
            (
                "reserved".into(),
                charts::PALETTE[0],
                mean(|m| m.revenue_reserved_usd),
            ),
            (
                "on demand".into(),
                charts::PALETTE[1],
                mean(|m| m.revenue_on_demand_usd),
            ),
            (
                "spot".into(),
                charts::PALETTE[2],
                mean(|m| m.revenue_spot_usd),
            ),
        ],
        lines: Vec::new(),
        y_format: YFormat::MillionsUsd,
    }
}

/// Mean monthly operating costs, stacked, with revenue and EBITDA as lines.
pub fn revenue_opex_chart(v: &VariantRuns) -> StackedArea {
    let mean = |f: &dyn Fn(&dcplan_sim::MonthRow) -> f64| -> Vec<f64> {
        monthly_samples(v, f)
            .iter()
            .map(|s| s.iter().sum::<f64>() / s.len().max(1) as f64)
            .collect()
    };
    StackedArea {
        name: "revenue_opex".into(),
        title: "Monthly revenue and operating costs (mean across replications)".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "$M per month".into(),
        x: months_axis(v),
        series: vec![
            (
                "energy".into(),
                charts::PALETTE[3],
                mean(&|m| m.energy_cost_usd),
            ),
            ("staff".into(), charts::PALETTE[0], mean(&|m| m.staff_usd)),
            (
                "maintenance and insurance".into(),
                charts::PALETTE[4],
                mean(&|m| m.maintenance_usd + m.insurance_usd),
            ),
            (
                "software, transit, SG&A, rent".into(),
                charts::PALETTE[5],
                mean(&|m| m.software_usd + m.network_transit_usd + m.sga_usd + m.rent_usd),
            ),
            (
                "SLA credits".into(),
                charts::PALETTE[6],
                mean(&|m| m.sla_credits_usd),
            ),
        ],
        lines: vec![
            (
                "revenue".into(),
                charts::PALETTE[7],
                mean(&|m| m.revenue_reserved_usd + m.revenue_on_demand_usd + m.revenue_spot_usd),
            ),
            ("EBITDA".into(), charts::PALETTE[2], mean(&|m| m.ebitda_usd)),
        ],
        y_format: YFormat::MillionsUsd,
    }
}

/// Market price paths per SKU (P10/P50/P90) against the realised average price.
pub fn price_chart(v: &VariantRuns) -> charts::MultiFan {
    let reps = &v.output.replications;
    let skus: Vec<String> = reps.first().map(|r| r.skus.clone()).unwrap_or_default();
    let horizon = reps.iter().map(|r| r.months.len()).max().unwrap_or(0);
    let mut series = Vec::new();
    for (i, sku) in skus.iter().enumerate() {
        let samples: Vec<Vec<f64>> = (0..horizon)
            .map(|m| {
                reps.iter()
                    .filter_map(|r| r.market_prices.get(i).and_then(|p| p.get(m)).copied())
                    .collect()
            })
            .collect();
        let (lo, mid, hi) = charts::p10_p50_p90(&samples);
        series.push((
            format!("{sku} market on-demand price"),
            charts::PALETTE[i % charts::PALETTE.len()],
            lo,
            mid,
            hi,
        ));
    }
    let realized: Vec<Vec<f64>> = monthly_samples(v, |m| {
        if m.sold_gpu_hours > 0.0 {
            m.realized_price_usd_per_gpu_hour
        } else {
            f64::NAN
        }
    });
    let (_, mid, _) = charts::p10_p50_p90(&realized);
    series.push((
        "realised average price, all classes (P50)".into(),
        charts::PALETTE[7],
        Vec::new(),
        mid,
        Vec::new(),
    ));
    charts::MultiFan {
        name: "market_prices".into(),
        title: "GPU rental prices".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "USD per GPU-hour".into(),
        x: months_axis(v),
        series,
        y_format: YFormat::Plain,
    }
}

/// Mean GPUs per SKU and state over time, stacked.
pub fn fleet_chart(v: &VariantRuns) -> StackedArea {
    use dcplan_sim::model::fleet::GpuState;
    let reps = &v.output.replications;
    let horizon = reps.iter().map(|r| r.months.len()).max().unwrap_or(0);
    let skus: Vec<String> = reps.first().map(|r| r.skus.clone()).unwrap_or_default();
    let n = reps.len().max(1) as f64;
    // (state group label, states in it, shade)
    let groups: [(&str, &[GpuState], f64); 4] = [
        ("in service", &[GpuState::InService], 0.0),
        ("spare", &[GpuState::Spare], 0.35),
        ("down", &[GpuState::Failed, GpuState::InRepair], -0.45),
        ("inventory", &[GpuState::Inventory], 0.7),
    ];
    let mut series = Vec::new();
    for (si, sku) in skus.iter().enumerate() {
        for (label, states, t) in groups {
            let mut values = vec![0.0; horizon];
            for r in reps {
                for (m, s, g) in r.fleet.iter().filter(|(_, s, _)| *s as usize == si) {
                    let _ = s;
                    if (*m as usize) < horizon {
                        values[*m as usize] +=
                            states.iter().map(|st| g[*st as usize] as f64).sum::<f64>() / n;
                    }
                }
            }
            if values.iter().any(|x| *x > 0.0) {
                series.push((
                    format!("{sku} {label}"),
                    charts::shade(charts::PALETTE[si % charts::PALETTE.len()], t),
                    values,
                ));
            }
        }
    }
    StackedArea {
        name: "fleet_composition".into(),
        title: "Fleet composition (mean across replications)".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "GPUs".into(),
        x: (1..=horizon).map(|m| m as f64).collect(),
        series,
        lines: Vec::new(),
        y_format: YFormat::Plain,
    }
}
