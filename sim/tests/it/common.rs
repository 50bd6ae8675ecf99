//! Helpers shared by the integration tests.

use std::path::PathBuf;

use dcplan_sim::scenario::LoadedScenario;

/// Path of a file under the repository's `scenarios/` folder.
pub fn scenario_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("scenarios").join(name)
}

/// Load a scenario from `scenarios/`, panicking with the full error if it does not load.
pub fn load(name: &str) -> LoadedScenario {
    dcplan_sim::load_file(&scenario_path(name)).unwrap_or_else(|e| panic!("{e}"))
}
