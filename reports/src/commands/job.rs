//! The job envelope every command runs in: its request, its output folder (written to a
//! temporary folder and moved into place), its clock, its progress bar, its manifest and report
//! files, and what it tells the caller when it is done.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use dcplan_sim::{LoadedScenario, RunConfig, RunOutput};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::commands::console::outln;
use crate::render::doc::Doc;
use crate::render::tables::VariantRuns;
use crate::store::manifest::{self, Manifest};
use crate::store::output::{OutputDir, Replace};

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
    /// Fields set on the command line (`--set PATH=VALUE`): `(path, value text)`, in order.
    pub settings: Vec<(String, String)>,
}

/// What a finished command produced.
#[derive(Debug)]
pub(crate) struct Finished {
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
    pub(crate) fn replications(&self) -> usize {
        self.variants
            .iter()
            .map(|v| v.output.replications.len())
            .sum()
    }

    /// Whether any replication failed.
    pub(crate) fn any_failed(&self) -> bool {
        self.variants.iter().any(|v| !v.output.failures.is_empty())
    }
}

/// A progress bar on stderr that appears only after a second, only on a terminal, never when quiet.
pub(crate) struct Progress {
    bar: ProgressBar,
    start: Instant,
    shown: Mutex<bool>,
    enabled: bool,
}

impl Progress {
    /// A bar for `total` steps.
    pub(crate) fn new(total: u64, quiet: bool, what: &str) -> Progress {
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
    pub(crate) fn add_total(&self, n: u64) {
        self.bar.inc_length(n);
    }

    /// One step done.
    pub(crate) fn tick(&self) {
        self.bar.inc(1);
        if self.enabled
            && self.start.elapsed() > Duration::from_secs(1)
            && let Ok(mut shown) = self.shown.lock()
            && !*shown
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            *shown = true;
        }
    }

    /// Remove the bar.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// One command's work on one output folder, from the moment the folder is claimed to the moment
/// it is moved into place.
pub(crate) struct Job {
    out: OutputDir,
    /// When the work started (UTC, ISO 8601), for the manifest.
    pub(crate) started_utc: String,
    /// When the work started.
    pub(crate) t0: Instant,
    /// The progress bar of the work.
    pub(crate) progress: Progress,
}

impl Job {
    /// Claim `target` (refusing an existing folder unless `force` and dcplan wrote it) and start
    /// the clock and a progress bar of `total` steps.
    pub(crate) fn create(
        target: &Path,
        force: bool,
        quiet: bool,
        total: u64,
        what: &str,
    ) -> Result<Job> {
        Ok(Job::start(
            OutputDir::create(target, force)?,
            quiet,
            total,
            what,
        ))
    }

    /// Claim `target`, replacing an existing folder as `replace` allows.
    pub(crate) fn create_with(
        target: &Path,
        replace: Replace,
        quiet: bool,
        total: u64,
        what: &str,
    ) -> Result<Job> {
        Ok(Job::start(
            OutputDir::create_with(target, replace)?,
            quiet,
            total,
            what,
        ))
    }

    /// Start the clock and a progress bar of `total` steps on a claimed folder.
    pub(crate) fn start(out: OutputDir, quiet: bool, total: u64, what: &str) -> Job {
        Job {
            out,
            started_utc: manifest::now_utc(),
            t0: Instant::now(),
            progress: Progress::new(total, quiet, what),
        }
    }

    /// Path of a file in the (temporary) output folder.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.out.path(name)
    }

    /// The temporary folder the files are written to.
    pub(crate) fn dir(&self) -> &Path {
        self.out.tmp_dir()
    }

    /// Write a file into the output folder.
    pub(crate) fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
        std::fs::write(self.path(name), bytes).with_context(|| format!("writing {name}"))
    }

    /// Copy every external file the scenarios read into the folder, under `sub` (`inputs`, or
    /// `inputs/2` for the second of several scenarios compared), at the path the scenario names
    /// it by, so that the folder carries what its results were made from and a rebuild reads
    /// those copies. A file several variants read is written once.
    pub(crate) fn write_inputs<'a>(
        &self,
        sub: &str,
        loadeds: impl IntoIterator<Item = &'a LoadedScenario>,
    ) -> Result<()> {
        let mut written: Vec<(String, &[u8])> = Vec::new();
        for loaded in loadeds {
            for f in &loaded.inputs {
                let name = manifest::input_name(sub, &f.path);
                if let Some((_, bytes)) = written.iter().find(|(n, _)| *n == name) {
                    if *bytes != f.bytes.as_slice() {
                        anyhow::bail!(
                            "{}: changed while the scenario's variants were read; run again",
                            loaded.input_dir.join(&f.path).display()
                        );
                    }
                    continue;
                }
                let path = self.dir().join(&name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("creating {}", parent.display()))?;
                }
                std::fs::write(&path, &f.bytes).with_context(|| format!("writing {name}"))?;
                written.push((name, &f.bytes));
            }
        }
        Ok(())
    }

    /// The manifest of the folder, before its wall time and file hashes are known.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn manifest(
        &self,
        scenario_file: String,
        scenario_name: String,
        scenario_hash: String,
        seed: u64,
        replications: u64,
        threads: usize,
        command_line: String,
        failures: Vec<(u64, String)>,
    ) -> Manifest {
        Manifest {
            dcplan_version: manifest::VERSION.to_string(),
            git_revision: manifest::GIT_REVISION.to_string(),
            scenario_file,
            scenario_name,
            scenario_hash,
            seed,
            replications,
            replication_range: (0, replications),
            threads,
            command_line,
            started_utc: self.started_utc.clone(),
            wall_time_s: 0.0,
            failures,
            files: Vec::new(),
        }
    }

    /// The manifest of a folder that studies one scenario (no failures recorded).
    pub(crate) fn scenario_manifest(
        &self,
        loaded: &LoadedScenario,
        seed: u64,
        n: u64,
        req: &RunRequest,
    ) -> Manifest {
        self.manifest(
            loaded.file.clone(),
            loaded.scenario.name.clone(),
            manifest::hash_bytes(loaded.source_text.as_bytes()),
            seed,
            n,
            threads_used(req.threads),
            req.command_line.clone(),
            Vec::new(),
        )
    }

    /// Write `report.md`, `report.html` and the manifest (with the wall time so far and the hash
    /// of every file), then move the folder into place.
    pub(crate) fn finish(
        self,
        doc: &Doc,
        mut manifest: Manifest,
        variants: Vec<VariantRuns>,
        headlines: Vec<String>,
    ) -> Result<Finished> {
        self.progress.finish();
        self.write("report.md", doc.to_markdown())?;
        self.write("report.html", doc.to_html())?;
        manifest.wall_time_s = self.t0.elapsed().as_secs_f64();
        manifest.files = manifest::hash_files(self.dir())?;
        let text = ron::ser::to_string_pretty(&manifest, ron::ser::PrettyConfig::default())
            .context("encoding the manifest")?;
        self.write("manifest.ron", text)?;
        let t0 = self.t0;
        let dir = self.out.commit()?;
        Ok(Finished {
            dir,
            variants,
            headlines,
            wall: t0.elapsed(),
        })
    }

    /// Move the folder into place as it is (a part folder, which has its own manifest).
    pub(crate) fn commit(self) -> Result<PathBuf> {
        self.progress.finish();
        self.out.commit()
    }
}

/// Refuse a run in which every replication failed, naming the first failure:
/// `FILE: every replication of WHAT failed; the first: ...`.
pub(crate) fn require_some(output: &RunOutput, file: &str, what: &str) -> Result<()> {
    if output.replications.is_empty() {
        let first = output
            .failures
            .first()
            .map(|f| format!("replication {} (seed {}): {}", f.index, f.seed, f.message))
            .unwrap_or_default();
        anyhow::bail!("{file}: every replication of {what} failed; the first: {first}");
    }
    Ok(())
}

/// Run every replication of `config`, refusing the result when all of them failed (`what` names
/// the setting or candidate in the message).
pub(crate) fn run_all(
    loaded: &LoadedScenario,
    config: &RunConfig,
    progress: &Progress,
    what: &str,
) -> Result<RunOutput> {
    let output = dcplan_sim::run(loaded, config, &|| progress.tick())?;
    require_some(&output, &loaded.file, what)?;
    Ok(output)
}

/// Worker threads a request will use.
pub(crate) fn threads_used(requested: usize) -> usize {
    if requested == 0 {
        rayon::current_num_threads()
    } else {
        requested
    }
}

/// Print what a run produced: replications, wall time, headlines and where the report is.
pub(crate) fn print_finished(name: &str, result: &Finished, quiet: bool) {
    if quiet {
        return;
    }
    let variants = if result.variants.len() > 1 {
        format!(" ({} variants)", result.variants.len())
    } else {
        String::new()
    };
    outln!(
        "{name}: {} replications{variants} in {:.1} s",
        result.replications(),
        result.wall.as_secs_f64()
    );
    for h in &result.headlines {
        outln!("  {h}");
    }
    outln!("report: {}", result.dir.join("report.html").display());
}
