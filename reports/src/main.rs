//! The `dcplan` command line: parses arguments, dispatches, maps errors to an exit code.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use dcplan::pipeline::{self, RunRequest};
use dcplan_sim::scenario::validate::MAX_REPLICATIONS;
use dcplan_sim::scenario::{self, LoadedScenario, ScenarioError, Severity};

/// Print a line on standard output, with control characters made harmless; a closed pipe (the
/// reader, e.g. `head`, has had enough) ends the program quietly.
macro_rules! outln {
    () => { say("\n") };
    ($($arg:tt)*) => { say(&format!("{}\n", format_args!($($arg)*))) };
}

/// Print a line on standard error, with control characters made harmless.
macro_rules! errln {
    ($($arg:tt)*) => { eprintln!("{}", dcplan::output::clean_for_terminal(&format!($($arg)*))) };
}

/// Write text to standard output; a closed pipe ends the program quietly (exit 0), as ripgrep does.
fn say(text: &str) {
    write_stdout(dcplan::output::clean_for_terminal(text).as_bytes());
}

fn write_stdout(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to standard output: {e}");
        std::process::exit(1);
    }
}

/// Most worker threads a command may ask for (results do not depend on the count).
const MAX_THREADS: usize = 1024;

fn parse_replications(s: &str) -> Result<u32, String> {
    let n: i64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number"))?;
    if n < 1 || n > MAX_REPLICATIONS as i64 {
        return Err(format!("{n} must be between 1 and {MAX_REPLICATIONS}"));
    }
    Ok(n as u32)
}

fn parse_threads(s: &str) -> Result<usize, String> {
    let n: i64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number"))?;
    if n < 0 || n > MAX_THREADS as i64 {
        return Err(format!(
            "{n} must be between 0 (one per core) and {MAX_THREADS}"
        ));
    }
    Ok(n as usize)
}

fn parse_target_ci(s: &str) -> Result<f64, String> {
    let x: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if !(x.is_finite() && x > 0.0 && x < 1.0) {
        return Err(format!(
            "{} must be a share above 0 and below 1, e.g. 0.02",
            s.trim().chars().take(24).collect::<String>()
        ));
    }
    Ok(x)
}

/// A memory size: bytes, or with a unit K, M, G or T (powers of 1024; `B`/`iB` may follow).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let digits = upper.trim_end_matches('B').trim_end_matches('I');
    let (num, unit) = match digits.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => (&digits[..i], digits[i..].trim()),
        None => (digits, ""),
    };
    let k: f64 = match unit {
        "" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => 1024.0 * 1024.0 * 1024.0,
        "T" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("`{t}` is not a size (e.g. 8G, 512M)")),
    };
    let x: f64 = num
        .parse()
        .map_err(|_| format!("`{t}` is not a size (e.g. 8G, 512M)"))?;
    let bytes = x * k;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes <= 1u64.wrapping_shl(60) as f64) {
        return Err(format!("`{t}` must be between 1 byte and 1024P"));
    }
    Ok(bytes as u64)
}

/// Data-center capacity planning for GPU clouds: what a fleet, in a building, on a power supply,
/// with a demand and a financing, will earn, as distributions.
#[derive(Debug, Parser)]
#[command(name = "dcplan", version, about, long_about = None, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

const EXAMPLES: &str = "Examples:
  dcplan run                                  run the built-in 4,096-GPU H100 scenario
  dcplan run scenarios/medium.ron -r 500      500 replications of a scenario
  dcplan run scenarios/tiny.ron --out /tmp/t  write the output folder to /tmp/t
  dcplan run scenarios/portfolio.ron          every variant of a sweep, compared
  dcplan compare scenarios/energy/*.ron       energy strategies on the same simulated load
  dcplan sensitivity                          tornado charts of the default scenario
  dcplan optimize                             search the default scenario's decisions
  dcplan run S.ron --shard 3/16 --out parts/3 one slice of a run, for a cluster
  dcplan report parts/ --out result           merge the slices into the full outputs
  dcplan check scenarios/*.ron                validate scenarios and list every problem";

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a scenario and write tables, charts and a report.
    #[command(
        after_help = "Examples:\n  dcplan run\n  dcplan run scenarios/medium.ron -r 1000 --out out/medium\n  dcplan run scenarios/portfolio.ron                 (a sweep: every variant, compared)\n  dcplan run scenarios/default.ron --target-ci 0.02 -r 5000\n  dcplan run S.ron -r 10000 --shard 3/16 --out parts/3 --resume"
    )]
    Run(RunArgs),
    /// Run several scenarios with common random numbers and compare them side by side.
    Compare(CompareArgs),
    /// Merge the part folders of a sharded run into its full outputs, or rebuild the tables,
    /// charts and report of a finished run folder from its data (no new simulation).
    #[command(
        after_help = "Examples:\n  dcplan report parts/ --out result        (parts/ holds the part folders)\n  dcplan report parts/p0 parts/p1 parts/p2 parts/p3 --out result\n  dcplan report out/default-4096-h100 --force    (rebuild a run folder in place)\n  dcplan report out/medium --out out/medium-v2   (rebuild it elsewhere)"
    )]
    Report(ReportArgs),
    /// One-at-a-time sensitivity: each uncertain input at P10 and P90, tornado charts.
    #[command(
        after_help = "Examples:\n  dcplan sensitivity\n  dcplan sensitivity scenarios/large.ron -r 200 --out out/large-tornado"
    )]
    Sensitivity(StudyArgs),
    /// Search the scenario's `optimize` decision variables for the best P50 NPV under its risk
    /// constraint.
    #[command(
        after_help = "Examples:\n  dcplan optimize                       (the default scenario's optimize section)\n  dcplan optimize my-build.ron -r 100\n\nThe scenario needs an `optimize` section, e.g.\n  optimize: (\n      variables: [(path: \"fleet[0].gpus\", min: 2048, max: 8192, multiple_of: 256)],\n      constraint: (payback_months: 36, probability: 0.8),\n  ),"
    )]
    Optimize(StudyArgs),
    /// Write a commented template scenario to start from (it validates as written).
    Init {
        /// Scenario name; the file is NAME.ron (a name ending in .ron is the file path).
        #[arg(default_value = "my-build")]
        name: String,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Print the built-in catalogs (GPU SKUs, climates, cooling presets, tariffs) with sources.
    Catalog {
        /// Only this catalog.
        #[arg(value_enum)]
        which: Option<CatalogKind>,
    },
    /// Print a shell completion script, e.g. `dcplan completions bash > ~/.local/share/bash-completion/completions/dcplan`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Validate scenarios and print every problem with its location.
    Check {
        /// Scenario files.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
}

/// Options every simulating command takes.
#[derive(Debug, Default, clap::Args)]
struct Common {
    /// Monte Carlo replications (default: the scenario's `simulation.replications`; sensitivity
    /// uses at most 100 per setting, optimize the scenario's `optimize.replications`).
    #[arg(short, long, value_parser = parse_replications)]
    replications: Option<u32>,
    /// Master seed (default: the scenario's `simulation.seed`).
    #[arg(short, long)]
    seed: Option<u64>,
    /// Worker threads; 0 uses every core. Results do not depend on it.
    #[arg(short, long, default_value_t = 0, value_parser = parse_threads)]
    threads: usize,
    /// Output folder (default: under out/, named after the scenario, numbered if it exists).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Replace the output folder if it exists and dcplan wrote it (never another folder, nor the
    /// current folder or its ancestors); files you added to it are kept.
    #[arg(long)]
    force: bool,
    /// Print nothing on success (errors still go to stderr).
    #[arg(short, long)]
    quiet: bool,
    /// Memory the run may use, e.g. 8G (default: the machine's memory); a run estimated to need
    /// more is refused before it starts.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_memory: Option<u64>,
    /// Run even when the estimate says the run needs more memory or time than allowed.
    #[arg(long)]
    yes: bool,
}

impl Common {
    fn request(self, target_ci: Option<f64>) -> RunRequest {
        RunRequest {
            replications: self.replications,
            seed: self.seed,
            threads: self.threads,
            out: self.out,
            force: self.force,
            quiet: self.quiet,
            command_line: std::env::args().collect::<Vec<_>>().join(" "),
            target_ci,
            max_memory: self.max_memory,
            yes: self.yes,
        }
    }
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// Scenario files (RON); the first is the baseline for differences.
    #[arg(required = true, num_args = 1..)]
    scenarios: Vec<PathBuf>,
    #[command(flatten)]
    common: Common,
}

/// The built-in catalogs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum CatalogKind {
    /// GPU SKUs (scenarios/catalog/gpus.ron).
    Gpus,
    /// Climates (scenarios/catalog/climates.ron).
    Climates,
    /// Cooling presets (scenarios/catalog/cooling.ron).
    Cooling,
    /// Wholesale tariff presets (scenarios/catalog/tariffs.ron).
    Tariffs,
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// Part folders (or folders holding them) written by `dcplan run --shard`, or one finished
    /// run or comparison folder to rebuild.
    #[arg(required = true, num_args = 1..)]
    parts: Vec<PathBuf>,
    /// Output folder (default: out/<scenario name> for merged parts; the folder itself, with
    /// --force, for a rebuild).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Replace the output folder if it exists and dcplan wrote it; files you added to it are kept.
    #[arg(long)]
    force: bool,
    /// Print nothing on success.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
struct StudyArgs {
    /// Scenario file (RON). Without one, the built-in default scenario is used.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Scenario file (RON). Without one, the built-in default scenario runs.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
    /// Stop early once the 95 % confidence half-width of mean NPV is within this share of its
    /// magnitude, e.g. 0.02; --replications is then the maximum.
    #[arg(long, value_name = "SHARE", value_parser = parse_target_ci)]
    target_ci: Option<f64>,
    /// Run only shard I of N of the (variant, replication) pairs and write a part folder
    /// (default out/<scenario>-parts/part-I-of-N); merge the parts with `dcplan report`.
    #[arg(long, value_name = "I/N")]
    shard: Option<dcplan::shard::Shard>,
    /// With --shard: keep a part folder that is already complete and verified, run otherwise
    /// (replacing only a part folder, never another folder).
    #[arg(long, requires = "shard")]
    resume: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Run(RunArgs {
        scenario: None,
        common: Common::default(),
        target_ci: None,
        shard: None,
        resume: false,
    }));
    let result = match command {
        Command::Run(args) => cmd_run(args),
        Command::Compare(args) => cmd_compare(args),
        Command::Report(args) => cmd_report(args),
        Command::Sensitivity(args) => cmd_study(args, true),
        Command::Optimize(args) => cmd_study(args, false),
        Command::Check { scenarios } => cmd_check(&scenarios),
        Command::Init { name, force } => cmd_init(&name, force),
        Command::Catalog { which } => cmd_catalog(which),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "dcplan",
                &mut script,
            );
            write_stdout(&script);
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            errln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(path: Option<&PathBuf>) -> Result<LoadedScenario, ScenarioError> {
    match path {
        Some(p) => dcplan_sim::load_file(p),
        None => dcplan_sim::load_default(),
    }
}

fn cmd_run(args: RunArgs) -> Result<ExitCode> {
    let loaded = match load(args.scenario.as_ref()) {
        Ok(l) => l,
        Err(e) => {
            print_scenario_error(&e);
            return Ok(ExitCode::FAILURE);
        }
    };
    let quiet = args.common.quiet;
    if !quiet {
        for w in &loaded.warnings {
            errln!("{}: {w}", loaded.file);
        }
    }
    let req = args.common.request(args.target_ci);
    if let Some(shard) = args.shard {
        let outcome = dcplan::shard::run_shard(&loaded, &req, shard, args.resume)
            .context("running the shard")?;
        return Ok(match outcome {
            dcplan::shard::ShardOutcome::AlreadyComplete { dir } => {
                if !quiet {
                    outln!(
                        "shard {shard}: already complete in {} (verified); nothing to run",
                        dir.display()
                    );
                }
                ExitCode::SUCCESS
            }
            dcplan::shard::ShardOutcome::Written {
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
    let result = pipeline::run(&loaded, &req).context("running the scenario")?;
    print_finished(&loaded.scenario.name, &result, quiet);
    Ok(if result.any_failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_finished(name: &str, result: &pipeline::Finished, quiet: bool) {
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

fn cmd_report(args: ReportArgs) -> Result<ExitCode> {
    let req = Common {
        out: args.out,
        force: args.force,
        quiet: args.quiet,
        ..Common::default()
    }
    .request(None);
    let (result, what) = match dcplan::rebuild::classify(&args.parts)? {
        dcplan::rebuild::ReportInput::Parts(parts) => (
            dcplan::shard::merge(&parts, &req).context("merging the parts")?,
            "merged",
        ),
        dcplan::rebuild::ReportInput::Run(dir) => (
            dcplan::rebuild::rebuild(&dir, &req)
                .with_context(|| format!("rebuilding {}", dir.display()))?,
            "rebuilt",
        ),
    };
    let label = format!("{what} {}", result.dir.display());
    print_finished(&label, &result, args.quiet);
    Ok(if result.any_failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn cmd_study(args: StudyArgs, sensitivity: bool) -> Result<ExitCode> {
    let loaded = match load(args.scenario.as_ref()) {
        Ok(l) => l,
        Err(e) => {
            print_scenario_error(&e);
            return Ok(ExitCode::FAILURE);
        }
    };
    let quiet = args.common.quiet;
    let req = args.common.request(None);
    // A study runs the scenario many times over; one run of it must fit at least.
    let full = loaded.scenario.simulation.replication_count();
    let n = req.replications.unwrap_or(if sensitivity {
        full.min(dcplan::study::SENSITIVITY_REPLICATIONS)
    } else {
        full
    }) as u64;
    pipeline::check_budget(&[&loaded], n, &req)?;
    let result = if sensitivity {
        dcplan::study::run_sensitivity(&loaded, &req).context("running the sensitivity study")?
    } else {
        dcplan::study::run_optimize(&loaded, &req).context("running the search")?
    };
    if !quiet {
        outln!(
            "{}: done in {:.1} s",
            loaded.scenario.name,
            result.wall.as_secs_f64()
        );
        for h in &result.headlines {
            outln!("  {h}");
        }
        outln!("report: {}", result.dir.join("report.html").display());
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_compare(args: CompareArgs) -> Result<ExitCode> {
    let mut loadeds = Vec::new();
    let mut failed = false;
    for p in &args.scenarios {
        match dcplan_sim::load_file(p) {
            Ok(l) => loadeds.push(l),
            Err(e) => {
                print_scenario_error(&e);
                failed = true;
            }
        }
    }
    if failed {
        return Ok(ExitCode::FAILURE);
    }
    let quiet = args.common.quiet;
    let req = args.common.request(None);
    let result = pipeline::run_compare(&loadeds, &req).context("comparing the scenarios")?;
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

fn cmd_check(paths: &[PathBuf]) -> Result<ExitCode> {
    let mut ok = true;
    for p in paths {
        match dcplan_sim::load_file(p) {
            Ok(l) => {
                let extra = if l.warnings.is_empty() {
                    String::new()
                } else {
                    format!(" ({} warning(s))", l.warnings.len())
                };
                let variants = match &l.scenario.sweep {
                    Some(_) => dcplan_sim::sweep::expand(&l)
                        .map(|v| format!(", {} sweep variants", v.len()))
                        .unwrap_or_default(),
                    None => String::new(),
                };
                outln!("{}: ok{variants}{extra}", p.display());
                for w in &l.warnings {
                    outln!("  {}", located(&l.file, &l.source_text, w));
                }
            }
            Err(e) => {
                ok = false;
                print_scenario_error(&e);
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `file:line:column: path: message`, with the position of the field when it is written.
fn located(file: &str, text: &str, problem: &scenario::Problem) -> String {
    match scenario::problem_position(text, &problem.path) {
        Some((line, column)) => format!("{file}:{line}:{column}: {problem}"),
        None => format!("{file}: {problem}"),
    }
}

/// A hint for a problem message, where one helps.
fn hint(message: &str) -> Option<&'static str> {
    let m = message.to_lowercase();
    if m.contains("sku") && (m.contains("unknown") || m.contains("not a built-in")) {
        Some(
            "`dcplan catalog` lists the built-in SKUs; a new one goes in `catalog: (gpus: [...])` with every field",
        )
    } else if (m.contains("climate")
        || m.contains("cooling")
        || m.contains("tariff")
        || m.contains("preset"))
        && m.contains("unknown")
    {
        Some("`dcplan catalog` lists the built-in climates, cooling presets and tariffs")
    } else if m.contains("sum to") || m.contains("add up") || m.contains("shares") {
        Some("the shares of a list must add up to 1")
    } else if m.contains("expected") || m.contains("unexpected") {
        Some("compare with the commented template that `dcplan init` writes")
    } else {
        None
    }
}

/// Print a scenario error: every problem with its file, line and column, and a hint where one helps.
fn print_scenario_error(e: &ScenarioError) {
    match e {
        ScenarioError::Invalid { file, problems } => {
            let text = if file == scenario::DEFAULT_SCENARIO_NAME {
                scenario::DEFAULT_SCENARIO_RON.to_string()
            } else {
                scenario::read_regular_file(
                    std::path::Path::new(file),
                    scenario::MAX_SCENARIO_BYTES,
                )
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
            };
            let n_err = problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count();
            errln!("{file}: {n_err} error(s)");
            for problem in problems {
                errln!("  {}", located(file, &text, problem));
                if let Some(h) = hint(&problem.message) {
                    errln!("    hint: {h}");
                }
            }
        }
        ScenarioError::Syntax { message, .. } => {
            errln!("{e}");
            if let Some(h) = hint(message) {
                errln!("  hint: {h}");
            }
        }
        ScenarioError::Io { .. } => errln!("{e}"),
    }
}

fn cmd_init(name: &str, force: bool) -> Result<ExitCode> {
    let (path, name) = match name.strip_suffix(".ron") {
        Some(stem) => (
            PathBuf::from(name),
            PathBuf::from(stem)
                .file_name()
                .map_or("my-build".into(), |n| n.to_string_lossy().into_owned()),
        ),
        None => (PathBuf::from(format!("{name}.ron")), name.to_string()),
    };
    if path.exists() && !force {
        errln!(
            "error: {} already exists; pass --force to replace it, or choose another name",
            path.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    let text = dcplan::template::scenario_template(&name);
    // The template must validate as written.
    if let Err(e) = dcplan_sim::load_str(&path.display().to_string(), &text) {
        anyhow::bail!("the template does not validate: {e}");
    }
    dcplan::output::write_atomic(&path, text.as_bytes())?;
    outln!("wrote {}", path.display());
    outln!(
        "next: edit it, then `dcplan check {0}` and `dcplan run {0}`",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn cmd_catalog(which: Option<CatalogKind>) -> Result<ExitCode> {
    use dcplan_sim::catalog;
    let all = [
        (
            CatalogKind::Gpus,
            "GPU SKUs",
            "scenarios/catalog/gpus.ron",
            catalog::GPUS_RON,
        ),
        (
            CatalogKind::Climates,
            "Climates",
            "scenarios/catalog/climates.ron",
            catalog::CLIMATES_RON,
        ),
        (
            CatalogKind::Cooling,
            "Cooling presets",
            "scenarios/catalog/cooling.ron",
            catalog::COOLING_RON,
        ),
        (
            CatalogKind::Tariffs,
            "Wholesale tariff presets (energy.tariff: Market(preset: ...))",
            "scenarios/catalog/tariffs.ron",
            catalog::TARIFFS_RON,
        ),
    ];
    let mut first = true;
    for (kind, title, file, text) in all {
        if which.is_some_and(|w| w != kind) {
            continue;
        }
        if !first {
            outln!();
        }
        first = false;
        say(&dcplan::template::catalog_listing(title, file, text));
    }
    Ok(ExitCode::SUCCESS)
}
