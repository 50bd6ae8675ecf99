//! Loading a scenario for a run: parse and validate it ([`crate::scenario`]), then check every
//! variant its `sweep` and `optimize` sections make ([`crate::sweep`], [`crate::optimize`]).
//! This sits above all three, so that the scenario layer never calls the layers built on it.

use std::path::Path;

use crate::problems::{ScenarioError, Severity};
use crate::scenario::{self, DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO_RON, LoadedScenario};

/// Parse and validate scenario text, and check the variants of its sweep and search. `file` names
/// it in messages; files the scenario refers to (CSV inputs) are read relative to its folder.
pub fn load_str(file: &str, text: &str) -> Result<LoadedScenario, ScenarioError> {
    load_str_in(file, text, &scenario::input_dir_of(file))
}

/// [`load_str`], reading the files the scenario refers to from `input_dir` instead of the
/// scenario's folder (a finished run's copies of its inputs, when it is rebuilt).
pub fn load_str_in(
    file: &str,
    text: &str,
    input_dir: &Path,
) -> Result<LoadedScenario, ScenarioError> {
    let loaded = scenario::parse_and_check(file, text, input_dir)?;
    // Sweeps and searches make variants of the scenario; each must be valid too.
    let mut extra = crate::sweep::check(&loaded);
    extra.extend(crate::optimize::check(&loaded));
    extra.extend(crate::correlation::check(&loaded));
    if extra.iter().any(|p| p.severity == Severity::Error) {
        extra.extend(loaded.warnings);
        return Err(ScenarioError::Invalid {
            file: file.to_string(),
            problems: extra,
        });
    }
    Ok(loaded)
}

/// Read, parse and validate a scenario file, as [`load_str`] does.
pub fn load_file(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    let (file, text) = scenario::read_text(path)?;
    load_str(&file, &text)
}

/// The built-in default scenario.
pub fn load_default() -> Result<LoadedScenario, ScenarioError> {
    load_str(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO_RON)
}
