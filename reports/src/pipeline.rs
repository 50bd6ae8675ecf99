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
use crate::manifest::{self, Manifest};
use crate::output::OutputDir;
use crate::report;
use crate::tables::{self, VariantRuns};

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
];

/// What a finished run produced.
#[derive(Debug)]
pub struct RunResult {
    /// The output folder.
    pub dir: PathBuf,
    /// Results.
    pub variant: VariantRuns,
    /// Headline sentences.
    pub headlines: Vec<String>,
    /// Wall time.
    pub wall: Duration,
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
            ProgressStyle::with_template("{prefix} {bar:40.cyan/blue} {pos}/{len} {per_sec} ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(what.to_string());
        Progress { bar, start: Instant::now(), shown: Mutex::new(false), enabled: !quiet && std::io::stderr().is_terminal() }
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
    let safe: String = loaded
        .scenario
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .collect();
    crate::output::fresh_path(&Path::new("out").join(safe))
}

/// Run a scenario and write its output folder.
pub fn run(loaded: &LoadedScenario, req: &RunRequest) -> Result<RunResult> {
    let seed = req.seed.unwrap_or(loaded.scenario.simulation.seed);
    let n = req.replications.unwrap_or(loaded.scenario.simulation.replication_count()) as u64;
    let target = req.out.clone().unwrap_or_else(|| default_out(loaded));
    // Refuse an existing folder before spending time on the simulation.
    let out = OutputDir::create(&target, req.force)?;
    let started = manifest::now_utc();
    let t0 = Instant::now();
    let config = RunConfig { seed, replications: 0..n, threads: req.threads, options: ReplicationOptions::default() };
    let progress = Progress::new(n, req.quiet, "simulating");
    let output = dcplan_sim::run(loaded, &config, &|| progress.tick())?;
    progress.finish();
    if output.replications.is_empty() {
        let first = output.failures.first().map(|f| format!("replication {} (seed {}): {}", f.index, f.seed, f.message)).unwrap_or_default();
        anyhow::bail!("every replication failed; the first: {first}");
    }
    let threads = if req.threads == 0 { rayon::current_num_threads() } else { req.threads };
    let variant = VariantRuns { name: "base".into(), seed, start: loaded.scenario.simulation.start, output };
    let variants = std::slice::from_ref(&variant);

    tables::write_parquet(&mut tables::runs_frame(variants)?, &out.path("runs.parquet"))?;
    tables::write_parquet(&mut tables::monthly_frame(variants)?, &out.path("monthly.parquet"))?;
    tables::write_parquet(&mut tables::fleet_frame(variants)?, &out.path("fleet.parquet"))?;
    tables::write_csv(&mut tables::summary_frame(variants)?, &out.path("summary.csv"))?;
    std::fs::write(out.path("scenario.ron"), &loaded.source_text).context("writing scenario.ron")?;
    let charts = run_charts(&variant, out.tmp_dir())?;

    let mut manifest = Manifest {
        dcplan_version: manifest::VERSION.to_string(),
        git_revision: manifest::GIT_REVISION.to_string(),
        scenario_file: loaded.file.clone(),
        scenario_name: loaded.scenario.name.clone(),
        scenario_hash: manifest::hash_bytes(loaded.source_text.as_bytes()),
        seed,
        replications: n,
        replication_range: (0, n),
        threads,
        command_line: req.command_line.clone(),
        started_utc: started,
        wall_time_s: 0.0,
        failures: variant.output.failures.iter().map(|f| (f.index, f.message.clone())).collect(),
        files: Vec::new(),
    };
    let doc = report::run_report(loaded, &variant, &charts, &manifest);
    std::fs::write(out.path("report.md"), doc.to_markdown()).context("writing report.md")?;
    std::fs::write(out.path("report.html"), doc.to_html()).context("writing report.html")?;
    manifest.wall_time_s = t0.elapsed().as_secs_f64();
    manifest.files = hash_files(out.tmp_dir())?;
    let text = ron::ser::to_string_pretty(&manifest, ron::ser::PrettyConfig::default()).context("encoding the manifest")?;
    std::fs::write(out.path("manifest.ron"), text).context("writing manifest.ron")?;
    let dir = out.commit()?;
    let discount = report::discount_text(&loaded.scenario);
    Ok(RunResult { dir, headlines: report::headlines(&variant, &discount), variant, wall: t0.elapsed() })
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
        let bytes = std::fs::read(entry.path()).with_context(|| format!("reading {}", entry.path().display()))?;
        out.push((name, manifest::hash_bytes(&bytes)));
    }
    out.sort();
    Ok(out)
}

/// The charts of a single-variant run.
pub fn run_charts(v: &VariantRuns, dir: &Path) -> Result<Vec<RenderedChart>> {
    let reps = &v.output.replications;
    let horizon = reps.iter().map(|r| r.months.len()).max().unwrap_or(0);
    let samples: Vec<Vec<f64>> =
        (0..horizon).map(|m| reps.iter().filter_map(|r| r.months.get(m).map(|row| row.cumulative_cash_usd)).collect()).collect();
    let cash = FanChart {
        name: "cumulative_cash".into(),
        title: "Cumulative free cash flow".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "Cumulative cash ($M)".into(),
        bands: Bands::from_samples((1..=horizon).map(|m| m as f64).collect(), &samples),
        y_format: YFormat::MillionsUsd,
        zero_line: true,
    };
    let npv = v.summary("npv_usd");
    let hist = Histogram {
        name: "npv_histogram".into(),
        title: "Project NPV across replications".into(),
        x_label: "NPV ($M)".into(),
        values: v.kpi("npv_usd").into_iter().flatten().collect(),
        x_format: YFormat::MillionsUsd,
        markers: vec![("P10".into(), npv.p10), ("P50".into(), npv.p50), ("P90".into(), npv.p90)],
    };
    Ok(vec![charts::render(&cash, dir)?, charts::render(&hist, dir)?, charts::render(&fleet_chart(v), dir)?])
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
                        values[*m as usize] += states.iter().map(|st| g[*st as usize] as f64).sum::<f64>() / n;
                    }
                }
            }
            if values.iter().any(|x| *x > 0.0) {
                series.push((format!("{sku} {label}"), charts::shade(charts::PALETTE[si % charts::PALETTE.len()], t), values));
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
        y_format: YFormat::Plain,
    }
}
