//! `dcplan check`: validate scenarios and print every problem with its file, line and column, and
//! a hint where one helps; also how every command reports a scenario that does not load.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use dcplan_sim::scenario::{self, LoadedScenario, ScenarioError, Severity};

use crate::commands::console::{errln, outln};

/// Load the scenario file, or the built-in default scenario without one, with the fields of
/// `settings` (`--set`) set.
pub(crate) fn load(
    path: Option<&PathBuf>,
    settings: &[(String, String)],
) -> Result<LoadedScenario, ScenarioError> {
    dcplan_sim::load_with_settings(path.map(|p| p.as_path()), settings)
}

/// Load the scenario (as [`load`]), printing its errors; `None` when it has any.
pub(crate) fn load_or_print(
    path: Option<&PathBuf>,
    settings: &[(String, String)],
) -> Option<LoadedScenario> {
    match load(path, settings) {
        Ok(l) => Some(l),
        Err(e) => {
            print_scenario_error(&e);
            print_settings_note(&e, settings);
            None
        }
    }
}

/// The scenario as run when `--seed` or `--replications` replace its own values: its fields and
/// its text carry them, with the option as their source, so that its assumptions table, its
/// `scenario.ron` and its hash say what ran. Values equal to the scenario's change nothing.
pub(crate) fn with_run_options(
    loaded: LoadedScenario,
    seed: Option<u64>,
    replications: Option<u32>,
) -> LoadedScenario {
    with_run_values(loaded, seed, replications, |option| {
        format!("set on the command line ({option})")
    })
}

/// A compared scenario after the first, run with the comparison's seed and replication count
/// where the command line set neither: the first scenario's, so that every variant meets the
/// same customers. Its fields and text carry them, as in [`with_run_options`].
pub(crate) fn with_comparison_values(
    loaded: LoadedScenario,
    seed: u64,
    replications: u32,
    first: &str,
) -> LoadedScenario {
    with_run_values(loaded, Some(seed), Some(replications), |_| {
        format!("the comparison's, from its first scenario {first:?} (common random numbers)")
    })
}

fn with_run_values(
    mut loaded: LoadedScenario,
    seed: Option<u64>,
    replications: Option<u32>,
    source: impl Fn(&str) -> String,
) -> LoadedScenario {
    let sim = &mut loaded.scenario.simulation;
    let mut set = Vec::new();
    if let Some(seed) = seed.filter(|&s| s != sim.seed) {
        sim.seed = seed;
        set.push(("simulation.seed", seed.to_string(), "--seed"));
    }
    if let Some(n) = replications.filter(|&n| i64::from(n) != sim.replications) {
        sim.replications = i64::from(n);
        set.push(("simulation.replications", n.to_string(), "--replications"));
    }
    if set
        .iter()
        .any(|(path, ..)| *path == "simulation.replications")
    {
        // The replications the hourly flows are kept for, against the count now run.
        loaded
            .warnings
            .retain(|w| !w.path.starts_with("simulation.hourly_replications["));
        loaded
            .warnings
            .extend(dcplan_sim::scenario::simulation::hourly_not_run(
                &loaded.scenario.simulation,
            ));
    }
    for (path, value, option) in set {
        let source = source(option);
        if let Ok(text) =
            scenario::ron_text::set_with_source(&loaded.source_text, path, &value, &source)
        {
            loaded.source_text = text;
        }
    }
    loaded
}

/// After a scenario error: which of the problems' fields were set on the command line.
pub(crate) fn print_settings_note(e: &ScenarioError, settings: &[(String, String)]) {
    let paths: Vec<&str> = match e {
        ScenarioError::Invalid { problems, .. } => {
            problems.iter().map(|p| p.path.as_str()).collect()
        }
        _ => Vec::new(),
    };
    for (path, value) in settings {
        let concerned = matches!(e, ScenarioError::Syntax { .. })
            || paths.iter().any(|p| {
                p.strip_prefix(path.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[', ' ']))
            });
        if concerned {
            errln!("  note: {path} was set on the command line: --set {path}={value}");
        }
    }
}

/// Validate every scenario file, each with the fields of `settings` set; fails when any has an
/// error.
pub fn main(paths: &[PathBuf], settings: &[(String, String)]) -> Result<ExitCode> {
    let mut ok = true;
    for p in paths {
        match dcplan_sim::load_with_settings(Some(p), settings) {
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
                print_settings_note(&e, settings);
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
pub(crate) fn print_scenario_error(e: &ScenarioError) {
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
                // A problem inside an included catalog file is that file's: the scenario
                // template says nothing of it.
                if problem.path.starts_with("include[") {
                    continue;
                }
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
