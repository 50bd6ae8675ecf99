//! The scenario as a whole; each section's schema lies next to its validation (`site.rs`,
//! `fleet.rs`, `energy.rs`, `demand.rs`, `pricing.rs`, `finance.rs`, `simulation.rs`, `study.rs`,
//! `catalog.rs`). Every struct denies unknown fields; units are in field names.

use serde::{Deserialize, Serialize};

use super::*;
use crate::dist::Param;

pub(super) fn zero() -> Param {
    Param::Value(0.0)
}

pub(super) fn is_zero(p: &Param) -> bool {
    *p == Param::Value(0.0)
}

/// A complete scenario.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Catalog files to include, relative to the scenario's folder: each holds catalog entries in
    /// the shape of the `catalog` section, applied in order; the scenario's own `catalog` wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Short name, used in reports.
    pub name: String,
    /// One or two sentences on what the scenario represents.
    #[serde(default)]
    pub description: String,
    /// Project title for the report's title block, e.g. "Ashburn campus, phase 1: 4,096 H100";
    /// the name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Disclaimer printed under the report's title block, in place of dcplan's default one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclaimer: Option<String>,
    /// The building: hall phases, cooling, power.
    pub site: Site,
    /// GPU purchase orders.
    pub fleet: Vec<Tranche>,
    /// Where electricity comes from and what it costs.
    pub energy: Energy,
    /// Customer requests.
    pub demand: Demand,
    /// Rental prices.
    pub pricing: Pricing,
    /// Costs, depreciation and the discount rate.
    pub finance: Finance,
    /// Horizon, replications and seed.
    pub simulation: Simulation,
    /// Overrides of built-in catalog entries, or new entries.
    #[serde(default, skip_serializing_if = "CatalogOverrides::is_empty")]
    pub catalog: CatalogOverrides,
    /// Failures, repairs, spares and SLA credits.
    #[serde(default)]
    pub reliability: Reliability,
    /// End of life, resale and refresh of the fleet.
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// Variants: axes over field paths, expanded as a cartesian product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<Sweep>,
    /// Decision variables and the goal of `dcplan optimize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimize: Option<Optimize>,
    /// Expansion policies: rules evaluated at the start of every month that order tranches,
    /// start, defer or cancel hall phases, retire tranches or set the list-price ratio as the
    /// simulation runs (none: the fleet is the plan).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
    /// Rank correlations between uncertain inputs (none: every input drawn independently).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub correlations: Vec<Correlation>,
}

pub(super) fn yes() -> bool {
    true
}

pub(super) fn one() -> Param {
    Param::Value(1.0)
}

pub(super) fn one_f64() -> f64 {
    1.0
}
