//! The `simulation` section: start, horizon, replications, sampling and hourly capture.

use serde::{Deserialize, Serialize};

use super::validate::*;
use super::*;
use crate::problems::Problems;
use crate::time::YearMonth;

/// Months of hourly flows kept by default: one year, enough for the seasonal PUE and temperature
/// chart (8,760 rows per replication).
pub const DEFAULT_HOURLY_MONTHS: i64 = 12;

impl Simulation {
    /// The horizon in months (validated to be between 1 and 600).
    pub fn horizon(&self) -> u32 {
        self.horizon_months
            .clamp(1, super::validate::MAX_HORIZON_MONTHS as i64) as u32
    }

    /// Replications (validated to be between 1 and the limit).
    pub fn replication_count(&self) -> u32 {
        self.replications
            .clamp(1, super::validate::MAX_REPLICATIONS as i64) as u32
    }

    /// Whether replication `index` keeps its hourly flows, and for how many months.
    pub fn hourly_capture(&self, index: u64) -> Option<u32> {
        self.hourly_replications
            .iter()
            .any(|&r| r >= 0 && r as u64 == index)
            .then(|| {
                self.hourly_months
                    .unwrap_or(DEFAULT_HOURLY_MONTHS)
                    .clamp(1, self.horizon() as i64) as u32
            })
    }
}

/// Simulation settings.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    /// Calendar month of the scenario start.
    pub start: YearMonth,
    /// Months simulated.
    pub horizon_months: i64,
    /// Monte Carlo replications (the command line may override).
    pub replications: i64,
    /// Master seed (the command line may override).
    pub seed: u64,
    /// How uncertain inputs are drawn across replications.
    #[serde(default, skip_serializing_if = "Sampling::is_random")]
    pub sampling: Sampling,
    /// Replications whose hourly energy flows (load, sources, battery, temperature, PUE) are
    /// kept and written to `hourly.parquet`; the first of them also draws the PUE and
    /// temperature chart. Empty: no hourly output and no such chart.
    #[serde(
        default = "default_hourly_replications",
        skip_serializing_if = "is_default_hourly_replications"
    )]
    pub hourly_replications: Vec<i64>,
    /// Months of hourly flows kept for those replications, from the start (at most the horizon;
    /// default: one year, or the horizon if shorter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly_months: Option<i64>,
}

fn default_hourly_replications() -> Vec<i64> {
    vec![0]
}

fn is_default_hourly_replications(v: &[i64]) -> bool {
    v == [0]
}

/// How the distribution-valued inputs are drawn across replications.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum Sampling {
    /// Independent draws in every replication (plain Monte Carlo).
    #[default]
    Random,
    /// Latin hypercube: each input's range is cut into as many equally likely strata as there
    /// are replications and every stratum is drawn exactly once, so fewer replications cover
    /// the inputs evenly.
    LatinHypercube,
}

impl Sampling {
    fn is_random(&self) -> bool {
        *self == Sampling::Random
    }
}

pub(super) fn check_simulation(s: &Scenario, p: &mut Problems) {
    let sim = &s.simulation;
    if !(1..=12).contains(&sim.start.month) {
        p.push(
            "simulation.start.month",
            format!("{} is not a month (1-12)", sim.start.month),
        );
    }
    if !(1900..=3000).contains(&sim.start.year) {
        p.push(
            "simulation.start.year",
            format!("{} is outside 1900-3000", sim.start.year),
        );
    }
    if sim.horizon_months < 1 || sim.horizon_months > MAX_HORIZON_MONTHS as i64 {
        p.push(
            "simulation.horizon_months",
            format!(
                "{} must be between 1 and {MAX_HORIZON_MONTHS}",
                sim.horizon_months
            ),
        );
    }
    if sim.replications < 1 || sim.replications > MAX_REPLICATIONS as i64 {
        p.push(
            "simulation.replications",
            format!(
                "{} must be between 1 and {MAX_REPLICATIONS}",
                sim.replications
            ),
        );
    }
    for (i, r) in sim.hourly_replications.iter().enumerate() {
        if *r < 0 || *r >= MAX_REPLICATIONS as i64 {
            p.push(
                format!("simulation.hourly_replications[{i}]"),
                format!(
                    "{r} is not a replication index (0 to {})",
                    MAX_REPLICATIONS - 1
                ),
            );
        } else if sim.hourly_replications[..i].contains(r) {
            p.push(
                format!("simulation.hourly_replications[{i}]"),
                format!("replication {r} is listed twice"),
            );
        }
    }
    for w in hourly_not_run(sim) {
        p.warn(w.path, w.message);
    }
    if sim.hourly_replications.len() > MAX_HOURLY_REPLICATIONS {
        p.push(
            "simulation.hourly_replications",
            format!("{} replications listed; at most {MAX_HOURLY_REPLICATIONS} keep hourly flows (each keeps up to {} rows)", sim.hourly_replications.len(), MAX_HORIZON_MONTHS * 744),
        );
    }
    match sim.hourly_months {
        Some(months) if months < 1 || months > sim.horizon_months.max(1) => p.push(
            "simulation.hourly_months",
            format!(
                "{months} must be between 1 and the horizon ({} months)",
                sim.horizon_months
            ),
        ),
        _ => {}
    }
}

/// Warnings for the replications `hourly_replications` lists that a run of `replications`
/// replications does not run (they keep no hourly flows): checked again when the command line
/// sets the replication count.
pub fn hourly_not_run(sim: &Simulation) -> Vec<crate::problems::Problem> {
    let n = sim.replications;
    sim.hourly_replications
        .iter()
        .enumerate()
        .filter(|&(_, &r)| r >= n && r < MAX_REPLICATIONS as i64 && n >= 1)
        .map(|(i, r)| crate::problems::Problem {
            path: format!("simulation.hourly_replications[{i}]"),
            message: format!(
                "replication {r} is not run ({n} replications: 0 to {}), so it keeps no hourly flows",
                n - 1
            ),
            severity: crate::problems::Severity::Warning,
        })
        .collect()
}
