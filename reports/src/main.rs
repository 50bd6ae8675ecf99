//! The `dcplan` command line: parses arguments and dispatches to the commands of the library
//! (`dcplan::commands`), which do the work and print; maps errors to an exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dcplan::commands::{
    self,
    catalog::{CatalogFormat, CatalogKind},
    job::RunRequest,
};
use dcplan::store::output::clean_for_terminal;
use dcplan_sim::scenario::validate::MAX_REPLICATIONS;

/// Most worker threads a command may ask for (results do not depend on the count).
const MAX_THREADS: usize = 1024;

/// A whole number as typed, or why it is not one (a number too large to read says so).
fn whole_number(s: &str) -> Result<i64, String> {
    let t = s.trim();
    t.parse().map_err(|_| {
        let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            format!("`{s}` is far too large")
        } else {
            format!("`{s}` is not a whole number")
        }
    })
}

fn parse_replications(s: &str) -> Result<u32, String> {
    let n = whole_number(s)?;
    if n < 1 || n > MAX_REPLICATIONS as i64 {
        return Err(format!("{n} must be between 1 and {MAX_REPLICATIONS}"));
    }
    Ok(n as u32)
}

fn parse_threads(s: &str) -> Result<usize, String> {
    let n = whole_number(s)?;
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
  dcplan compare scenarios/energy-*.ron       energy strategies on the same simulated load
  dcplan sensitivity                          tornado charts of the default scenario
  dcplan optimize                             search the default scenario's decisions
  dcplan run S.ron --shard 3/16 --out parts/3 one slice of a run, for a cluster
  dcplan report parts/ --out result           merge the slices into the full outputs
  dcplan check scenarios/*.ron                validate scenarios and list every problem
  dcplan run S.ron --set fleet[0].gpus=2048   a field set on the command line
  dcplan schema --out scenario.schema.json    the JSON Schema of the scenario format";

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
        /// Output format: a listing with sources, CSV rows (with sources) or JSON data.
        #[arg(long, value_enum, default_value_t = CatalogFormat::Text)]
        format: CatalogFormat,
    },
    /// Print the JSON Schema of the scenario format (for editors, and for scenarios written as
    /// JSON by other programs).
    Schema {
        /// Write it to this file instead of standard output.
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Replace the --out file if it exists.
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Print a shell completion script, e.g. `dcplan completions bash > ~/.local/share/bash-completion/completions/dcplan`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Fit a request trace (CSV: submit time, GPUs, duration in hours) into a `demand` section:
    /// arrival rate, growth, request sizes and durations, with the fit's statistics as comments.
    #[command(
        after_help = "Examples:\n  dcplan calibrate scenarios/data/request-trace.csv\n  dcplan calibrate trace.csv --out demand.ron\n\nColumns, found by header name (case-insensitive):\n  submit time: submit_time, submit, submitted, time, timestamp (ISO 8601 or seconds)\n  GPUs: gpus, num_gpus, gpu_count, n_gpus\n  duration in hours: duration_hours, duration_h, duration, hours"
    )]
    Calibrate {
        /// The request trace (CSV).
        trace: PathBuf,
        /// Write the fragment to this file instead of standard output.
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Replace the --out file if it exists.
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Validate scenarios and print every problem with its location.
    Check {
        /// Scenario files.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Set a field of every scenario before checking it (as `dcplan run --set`).
        #[arg(long = "set", value_name = "PATH=VALUE", value_parser = dcplan_sim::load::parse_setting)]
        set: Vec<(String, String)>,
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
    /// Set a field of the scenario, written as in the file, e.g. `--set fleet[0].gpus=2048` or
    /// `--set 'site.pue=Triangular(1.2, 1.3, 1.4)'`; repeatable, applied in order, validated as
    /// the file is.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = dcplan_sim::load::parse_setting)]
    set: Vec<(String, String)>,
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
            command_line: dcplan::store::manifest::command_line(std::env::args_os()),
            target_ci,
            max_memory: self.max_memory,
            yes: self.yes,
            settings: self.set,
        }
    }
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// Scenario files (RON, or JSON if named *.json); the first is the baseline for differences.
    #[arg(required = true, num_args = 1..)]
    scenarios: Vec<PathBuf>,
    #[command(flatten)]
    common: Common,
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
    /// Scenario file (RON, or JSON if named *.json). Without one, the built-in default scenario is used.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Scenario file (RON, or JSON if named *.json). Without one, the built-in default scenario runs.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
    /// Stop early once the 95 % confidence half-width of mean NPV is within this share of its
    /// magnitude, e.g. 0.02; --replications is then the maximum.
    #[arg(long, value_name = "SHARE", value_parser = parse_target_ci)]
    target_ci: Option<f64>,
    /// Run only shard I of N of the (variant, replication) pairs, counting from 0 (I = 0 .. N-1),
    /// and write a part folder (default out/<scenario>-parts/part-I-of-N); merge the parts with
    /// `dcplan report`.
    #[arg(long, value_name = "I/N")]
    shard: Option<dcplan::store::parts::Shard>,
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
        Command::Run(args) => {
            let req = args.common.request(args.target_ci);
            commands::run::main(args.scenario.as_ref(), req, args.shard, args.resume)
        }
        Command::Compare(args) => {
            commands::compare::main(&args.scenarios, args.common.request(None))
        }
        Command::Report(args) => {
            let req = Common {
                out: args.out,
                force: args.force,
                quiet: args.quiet,
                ..Common::default()
            }
            .request(None);
            commands::rebuild::main(&args.parts, req)
        }
        Command::Sensitivity(args) => {
            commands::sensitivity::main(args.scenario.as_ref(), args.common.request(None))
        }
        Command::Optimize(args) => {
            commands::optimize::main(args.scenario.as_ref(), args.common.request(None))
        }
        Command::Calibrate { trace, out, force } => {
            commands::calibrate::main(&trace, out.as_deref(), force)
        }
        Command::Check { scenarios, set } => commands::check::main(&scenarios, &set),
        Command::Init { name, force } => commands::init::main(&name, force),
        Command::Catalog { which, format } => commands::catalog::main(which, format),
        Command::Schema { out, force } => commands::schema::main(out.as_deref(), force),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "dcplan",
                &mut script,
            );
            commands::console::write_stdout(&script);
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", clean_for_terminal(&format!("error: {e:#}")));
            ExitCode::FAILURE
        }
    }
}
