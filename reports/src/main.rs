//! The `dcplan` command line: parses arguments, dispatches, maps errors to an exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use dcplan::pipeline::{self, RunRequest};
use dcplan_sim::scenario::{self, LoadedScenario, ScenarioError, Severity};

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
    Run(RunArgs),
    /// Run several scenarios with common random numbers and compare them side by side.
    Compare(CompareArgs),
    /// Merge the part folders of a sharded run into its full outputs.
    Report(ReportArgs),
    /// One-at-a-time sensitivity: each uncertain input at P10 and P90, tornado charts.
    Sensitivity(StudyArgs),
    /// Search the scenario's `optimize` decision variables for the best P50 NPV under its risk
    /// constraint.
    Optimize(StudyArgs),
    /// Validate scenarios and print every problem with its location.
    Check {
        /// Scenario files.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// Scenario files (RON); the first is the baseline for differences.
    #[arg(required = true, num_args = 1..)]
    scenarios: Vec<PathBuf>,
    /// Replications of each scenario (default: the first scenario's).
    #[arg(short, long)]
    replications: Option<u32>,
    /// Master seed shared by every scenario (default: the first scenario's).
    #[arg(short, long)]
    seed: Option<u64>,
    /// Worker threads; 0 uses every core.
    #[arg(short, long, default_value_t = 0)]
    threads: usize,
    /// Output folder (default: out/compare-<names>).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Replace the output folder if it exists.
    #[arg(long)]
    force: bool,
    /// Print nothing on success.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// Part folders (or folders holding them) written by `dcplan run --shard`.
    #[arg(required = true, num_args = 1..)]
    parts: Vec<PathBuf>,
    /// Output folder (default: out/<scenario name>).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Replace the output folder if it exists.
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
    /// Replications per setting or candidate (default: sensitivity min(scenario's, 100);
    /// optimize the `optimize.replications` of the scenario).
    #[arg(short, long)]
    replications: Option<u32>,
    /// Master seed (default: the scenario's `simulation.seed`).
    #[arg(short, long)]
    seed: Option<u64>,
    /// Worker threads; 0 uses every core.
    #[arg(short, long, default_value_t = 0)]
    threads: usize,
    /// Output folder (default: out/<scenario name>-sensitivity or -optimize).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Replace the output folder if it exists.
    #[arg(long)]
    force: bool,
    /// Print nothing on success.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Scenario file (RON). Without one, the built-in default scenario runs.
    scenario: Option<PathBuf>,
    /// Monte Carlo replications (default: the scenario's `simulation.replications`).
    #[arg(short, long)]
    replications: Option<u32>,
    /// Master seed (default: the scenario's `simulation.seed`).
    #[arg(short, long)]
    seed: Option<u64>,
    /// Worker threads; 0 uses every core. Results do not depend on it.
    #[arg(short, long, default_value_t = 0)]
    threads: usize,
    /// Output folder (default: out/<scenario name>, numbered if it exists).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Replace the output folder if it exists.
    #[arg(long)]
    force: bool,
    /// Print nothing on success (errors still go to stderr).
    #[arg(short, long)]
    quiet: bool,
    /// Stop early once the 95 % confidence half-width of mean NPV is within this share of its
    /// magnitude, e.g. 0.02; --replications is then the maximum.
    #[arg(long, value_name = "SHARE")]
    target_ci: Option<f64>,
    /// Run only shard I of N of the (variant, replication) pairs and write a part folder
    /// (default out/<scenario>-parts/part-I-of-N); merge the parts with `dcplan report`.
    #[arg(long, value_name = "I/N")]
    shard: Option<dcplan::shard::Shard>,
    /// With --shard: keep a part folder that is already complete and verified, run otherwise.
    #[arg(long, requires = "shard")]
    resume: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Run(RunArgs {
        scenario: None,
        replications: None,
        seed: None,
        threads: 0,
        out: None,
        force: false,
        quiet: false,
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
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(path: Option<&PathBuf>) -> Result<LoadedScenario, ScenarioError> {
    match path {
        Some(p) => scenario::load_file(p),
        None => scenario::load_default(),
    }
}

fn cmd_run(args: RunArgs) -> Result<ExitCode> {
    let loaded = match load(args.scenario.as_ref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if !args.quiet {
        for w in &loaded.warnings {
            eprintln!("{}: {w}", loaded.file);
        }
    }
    let req = RunRequest {
        replications: args.replications,
        seed: args.seed,
        threads: args.threads,
        out: args.out,
        force: args.force,
        quiet: args.quiet,
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
        target_ci: args.target_ci,
    };
    if let Some(shard) = args.shard {
        let outcome = dcplan::shard::run_shard(&loaded, &req, shard, args.resume).context("running the shard")?;
        return Ok(match outcome {
            dcplan::shard::ShardOutcome::AlreadyComplete { dir } => {
                if !args.quiet {
                    println!("shard {shard}: already complete in {} (verified); nothing to run", dir.display());
                }
                ExitCode::SUCCESS
            }
            dcplan::shard::ShardOutcome::Written { dir, pairs, failures } => {
                if !args.quiet {
                    println!("shard {shard}: pairs {}..{} written to {}", pairs.start, pairs.end, dir.display());
                }
                if failures == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
            }
        });
    }
    let result = pipeline::run(&loaded, &req).context("running the scenario")?;
    print_finished(&loaded.scenario.name, &result, args.quiet);
    Ok(if result.any_failed() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn print_finished(name: &str, result: &pipeline::Finished, quiet: bool) {
    if quiet {
        return;
    }
    let variants = if result.variants.len() > 1 { format!(" ({} variants)", result.variants.len()) } else { String::new() };
    println!("{name}: {} replications{variants} in {:.1} s", result.replications(), result.wall.as_secs_f64());
    for h in &result.headlines {
        println!("  {h}");
    }
    println!("report: {}", result.dir.join("report.html").display());
}

fn cmd_report(args: ReportArgs) -> Result<ExitCode> {
    let req = RunRequest {
        replications: None,
        seed: None,
        threads: 0,
        out: args.out,
        force: args.force,
        quiet: args.quiet,
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
        target_ci: None,
    };
    let result = dcplan::shard::merge(&args.parts, &req).context("merging the parts")?;
    let name = result.variants.first().map(|v| v.name.clone()).unwrap_or_default();
    print_finished(if result.variants.len() > 1 { "merged sweep" } else { &name }, &result, args.quiet);
    Ok(if result.any_failed() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn cmd_study(args: StudyArgs, sensitivity: bool) -> Result<ExitCode> {
    let loaded = match load(args.scenario.as_ref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let req = RunRequest {
        replications: args.replications,
        seed: args.seed,
        threads: args.threads,
        out: args.out,
        force: args.force,
        quiet: args.quiet,
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
        target_ci: None,
    };
    let result = if sensitivity {
        dcplan::study::run_sensitivity(&loaded, &req).context("running the sensitivity study")?
    } else {
        dcplan::study::run_optimize(&loaded, &req).context("running the search")?
    };
    if !args.quiet {
        println!("{}: done in {:.1} s", loaded.scenario.name, result.wall.as_secs_f64());
        for h in &result.headlines {
            println!("  {h}");
        }
        println!("report: {}", result.dir.join("report.html").display());
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_compare(args: CompareArgs) -> Result<ExitCode> {
    let mut loadeds = Vec::new();
    let mut failed = false;
    for p in &args.scenarios {
        match scenario::load_file(p) {
            Ok(l) => loadeds.push(l),
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        return Ok(ExitCode::FAILURE);
    }
    let req = RunRequest {
        replications: args.replications,
        seed: args.seed,
        threads: args.threads,
        out: args.out,
        force: args.force,
        quiet: args.quiet,
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
        target_ci: None,
    };
    let result = pipeline::run_compare(&loadeds, &req).context("comparing the scenarios")?;
    if !args.quiet {
        for h in &result.headlines {
            println!("{h}");
        }
        println!("report: {}", result.dir.join("report.html").display());
    }
    Ok(if result.any_failed() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn cmd_check(paths: &[PathBuf]) -> Result<ExitCode> {
    let mut ok = true;
    for p in paths {
        match scenario::load_file(p) {
            Ok(l) => {
                println!("{}: ok{}", p.display(), if l.warnings.is_empty() { String::new() } else { format!(" ({} warning(s))", l.warnings.len()) });
                for w in &l.warnings {
                    println!("  {w}");
                }
            }
            Err(ScenarioError::Invalid { file, problems }) => {
                ok = false;
                let n_err = problems.iter().filter(|p| p.severity == Severity::Error).count();
                eprintln!("{file}: {n_err} error(s)");
                for problem in &problems {
                    eprintln!("  {problem}");
                }
            }
            Err(e) => {
                ok = false;
                eprintln!("{e}");
            }
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
