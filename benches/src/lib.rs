//! Shared helpers for dcplan's benchmarks.

use std::path::PathBuf;

use dcplan_sim::LoadedScenario;

/// Path of a file relative to the repository root.
pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// Load a scenario by path relative to the repository root, panicking with the full error.
pub fn load(rel: &str) -> LoadedScenario {
    dcplan_sim::load_file(&repo_path(rel)).unwrap_or_else(|e| panic!("{e}"))
}

/// Load scenario text with `horizon_months` replaced (for scaling benchmarks).
pub fn load_with_horizon(rel: &str, horizon_months: u32) -> LoadedScenario {
    let text = std::fs::read_to_string(repo_path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let re_start = text.find("horizon_months:").expect("scenario has horizon_months");
    let end = text[re_start..].find(',').expect("field ends with a comma") + re_start;
    let text = format!("{}horizon_months: {horizon_months}{}", &text[..re_start], &text[end..]);
    dcplan_sim::load_str(rel, &text).unwrap_or_else(|e| panic!("{e}"))
}
