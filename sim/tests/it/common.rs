//! Helpers shared by the integration tests.

use std::path::PathBuf;

use dcplan_sim::replication::{ReplicationOptions, run_replication};
use dcplan_sim::scenario::LoadedScenario;
use dcplan_sim::{Replication, load_str};

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Path of a file under the repository's `scenarios/` folder.
pub(crate) fn scenario_path(name: &str) -> PathBuf {
    repo_root().join("scenarios").join(name)
}

/// Every shipped scenario file (`scenarios/*.ron`), sorted.
pub(crate) fn shipped_scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenario_path(""))
        .expect("scenarios folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    assert!(files.len() >= 12, "{files:?}");
    files
}

/// Load a scenario from `scenarios/`, panicking with the full error if it does not load.
pub(crate) fn load(name: &str) -> LoadedScenario {
    dcplan_sim::load_file(&scenario_path(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// Load scenario text, panicking with the full error if it does not load.
pub(crate) fn load_text(text: &str) -> LoadedScenario {
    load_str("test.ron", text).unwrap_or_else(|e| panic!("{e}"))
}

/// Run one replication with default options.
pub(crate) fn run(loaded: &LoadedScenario, seed: u64, replication: u64) -> Replication {
    run_replication(loaded, seed, replication, &ReplicationOptions::default())
}

/// A one-SKU scenario with a single hall ready at month 0 and one request class, for model tests.
/// `mix` is the RON of the demand mix list; `extra_fleet` is appended to the fleet list.
pub(crate) fn simple_scenario(
    nodes: u32,
    arrivals_per_day: f64,
    mix: &str,
    horizon_months: u32,
) -> String {
    format!(
        r#"Scenario(
    name: "test",
    site: (name: "s", pue: 1.25, phases: [(name: "p", it_mw: 1000.0, capex_usd_per_mw: 10e6)]),
    fleet: [(name: "t", sku: "H100-SXM", gpus: {gpus}, price_usd_per_gpu: 30000, network_usd_per_node: 40000)],
    energy: (tariff: Flat(price_usd_per_kwh: 0.08)),
    demand: (arrivals_per_day: {arrivals_per_day}, mix: {mix}),
    pricing: (market: [(sku: "H100-SXM", on_demand_usd_per_gpu_hour: 2.0)], reserved_discount_frac: 0.25),
    finance: (
        discount_rate_frac: 0.1,
        depreciation_years: (gpu_servers: 5.0, network: 4.0, facility: 20.0),
        opex: (staff_usd_per_mw_year: 0, staff_usd_per_1000_gpus_year: 0, maintenance_frac_of_capex_per_year: 0),
    ),
    simulation: (start: (year: 2027, month: 1), horizon_months: {horizon_months}, replications: 1, seed: 1),
    reliability: (failures: false),
)"#,
        gpus = nodes * 8
    )
}

/// `text` (a [`simple_scenario`] of 4 H100 nodes) with its H100s replaced at 12 months by 2 B200
/// nodes (16 GPUs at $50k), and a B200 market price.
pub(crate) fn with_b200_refresh(text: &str) -> String {
    text.replace(
        "pricing: (market: [(sku: \"H100-SXM\", on_demand_usd_per_gpu_hour: 2.0)]",
        "pricing: (market: [(sku: \"H100-SXM\", on_demand_usd_per_gpu_hour: 2.0), (sku: \"B200\", on_demand_usd_per_gpu_hour: 5.0)]",
    )
    .replace(
        "reliability: (failures: false),",
        "reliability: (failures: false),\n    lifecycle: (refresh: [(name: \"b200\", replaces: \"t\", at_age_months: 12, sku: \"B200\", gpus: 16, price_usd_per_gpu: 50000)]),",
    )
}

/// A mix of one-node on-demand requests with exponential durations of `mean_hours`.
pub(crate) fn one_node_mix(mean_hours: f64) -> String {
    format!(
        "[(class: OnDemand, share_frac: 1.0, size_gpus: 8, duration: Hours(Exponential({mean_hours})), load_frac: 0.5)]"
    )
}

/// Mean and standard error of a sample.
pub(crate) fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}
