//! dcplan simulation core.
//!
//! Turns a validated scenario and a seed into results (plain Rust structs): the scenario schema
//! and its validation ([`scenario`]), the discrete-event engine on `bevy_ecs` ([`engine`]), the
//! fleet, demand, energy and finance models ([`model`]), and Monte Carlo runs across threads
//! ([`montecarlo`]). This crate writes no files and knows nothing of tables, charts or the
//! command line.

pub mod calibrate;
pub mod catalog;
pub mod columns;
pub mod correlation;
pub mod dictionary;
pub mod dist;
pub mod energy;
pub mod engine;
pub mod labels;
pub mod load;
pub mod metrics;
pub mod model;
pub mod montecarlo;
pub mod optimize;
pub mod params;
pub mod plan;
pub mod problems;
pub mod proforma;
pub mod queue;
pub mod replication;
pub mod results;
pub mod rng;
pub mod scenario;
pub mod sensitivity;
pub mod stats;
pub mod sweep;
pub mod time;

pub use load::{load_default, load_file, load_str, load_str_in, load_with_settings};
pub use montecarlo::{RunConfig, RunOutput, run};
pub use results::{Kpi, Kpis, MonthRow, Replication};
pub use scenario::{LoadedScenario, Scenario, ScenarioError};

/// Version of the simulation core, recorded in manifests.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
