//! The `fleet`, `reliability` and `lifecycle` sections: GPU tranches, failures and SLA credits, refreshes and resale.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::validate::*;
use super::*;
use crate::catalog::Catalog;
use crate::dist::{Param, fmt_num, round_significant};
use crate::problems::Problems;

fn default_transient_repair() -> Param {
    // E: a reboot or driver reset with health checks: median 2 hours, one in ten over 8 hours.
    Param::Dist(crate::dist::Dist::LogNormal(2.0, 8.0))
}

fn default_permanent_repair() -> Param {
    // E: physical replacement 3-5 days (papers and operator blogs, 2025): median 4, P90 7.
    Param::Dist(crate::dist::Dist::LogNormal(4.0, 7.0))
}

/// Node failures, repairs, spares and SLA credits.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reliability {
    /// Simulate failures at the catalog's per-GPU annual rates.
    #[serde(default = "yes")]
    pub failures: bool,
    /// Multiplier on the catalog failure rates (parameter), e.g. `Uniform(0.7, 1.5)`.
    #[serde(default = "one")]
    pub failure_rate_multiplier: Param,
    /// Time to restart after a software or transient interruption (the catalog's
    /// `transient_failures_per_gpu_year`), in hours (drawn per failure).
    #[serde(default = "default_transient_repair")]
    pub transient_repair_hours: Param,
    /// Time to repair a hardware failure (the catalog's `permanent_failures_per_gpu_year`; a part
    /// is swapped), in days (drawn per failure).
    #[serde(default = "default_permanent_repair")]
    pub permanent_repair_days: Param,
    /// Share of each SKU's commissioned nodes held as hot spares; a contract whose node has a
    /// hardware failure moves to a spare at once.
    #[serde(default)]
    pub spares_frac: f64,
    /// Credits owed to customers for the GPU time a failure takes from them.
    #[serde(default)]
    pub sla: Sla,
}

impl Default for Reliability {
    fn default() -> Self {
        Reliability {
            failures: true,
            failure_rate_multiplier: one(),
            transient_repair_hours: default_transient_repair(),
            permanent_repair_days: default_permanent_repair(),
            spares_frac: 0.0,
            sla: Sla::default(),
        }
    }
}

/// SLA credit schedule: a contract's monthly availability below a tier's threshold earns the
/// credit of the lowest tier it falls under, as a share of that contract's revenue of the month.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// Tiers `(below_availability_frac, credit_frac)`.
    pub tiers: Vec<SlaTier>,
}

impl Default for Sla {
    fn default() -> Self {
        // S: the tiers of the AWS EC2 instance-level SLA: 10 % credit below 99.5 % monthly
        // availability, 30 % below 99.0 %, 100 % below 95.0 %.
        Sla {
            tiers: vec![
                SlaTier {
                    below_availability_frac: 0.995,
                    credit_frac: 0.10,
                },
                SlaTier {
                    below_availability_frac: 0.99,
                    credit_frac: 0.30,
                },
                SlaTier {
                    below_availability_frac: 0.95,
                    credit_frac: 1.0,
                },
            ],
        }
    }
}

/// One SLA tier.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaTier {
    /// Monthly availability below which the tier applies.
    pub below_availability_frac: f64,
    /// Credit as a share of the contract's revenue of the month.
    pub credit_frac: f64,
}

/// End of life, resale and refresh.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Resale of retired GPU servers: residual value as a share of the purchase price by age in
    /// years, interpolated linearly (e.g. `[(0, 1.0), (3, 0.4), (6, 0.1)]`). None: retired
    /// servers are scrapped at no value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resale_residual_frac_by_age_years: Option<Vec<(f64, f64)>>,
    /// Refresh rules: replace a tranche with a new one when it reaches an age.
    #[serde(default)]
    pub refresh: Vec<Refresh>,
}

/// Replace a tranche at an age: the old nodes retire then and a new purchase arrives then.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    /// Name of the new tranche.
    pub name: String,
    /// Name of the tranche being replaced.
    pub replaces: String,
    /// Age of the replaced tranche, in months after its delivery, at which the swap happens.
    pub at_age_months: i64,
    /// SKU of the new tranche.
    pub sku: String,
    /// GPUs of the new tranche.
    pub gpus: i64,
    /// Price per GPU in USD (parameter); default: the catalog price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_usd_per_gpu: Option<Param>,
    /// Network cost per node in USD (parameter).
    #[serde(default = "zero")]
    pub network_usd_per_node: Param,
    /// Retire the new tranche this many months after its delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retire_after_months: Option<i64>,
}

/// A GPU purchase order.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tranche {
    /// Tranche name, unique in the scenario.
    pub name: String,
    /// SKU name from the GPU catalog, e.g. "H100-SXM".
    pub sku: String,
    /// Number of GPUs; a whole number of nodes of the SKU.
    pub gpus: i64,
    /// Month of the order, counted from the scenario start.
    #[serde(default)]
    pub order_month: i64,
    /// Months from order to delivery (parameter, rounded to whole months).
    #[serde(default = "zero")]
    pub lead_time_months: Param,
    /// Price per GPU in USD including the server (parameter); default: the catalog price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_usd_per_gpu: Option<Param>,
    /// Network (fabric, switches, cables) cost per node in USD (parameter).
    #[serde(default = "zero")]
    pub network_usd_per_node: Param,
    /// Name of the debt tranche that finances this purchase (see `finance`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financing: Option<String>,
    /// End of life: the nodes leave service this many months after delivery (busy nodes when
    /// their contract ends, failed ones after repair). None keeps them to the end of the horizon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retire_after_months: Option<i64>,
    /// Embodied carbon of each GPU with its share of the server, tCO2e (parameter), counted at delivery.
    #[serde(default = "zero", skip_serializing_if = "is_zero")]
    pub embodied_tco2_per_gpu: Param,
}

impl Tranche {
    /// The GPU count (validated to be between 1 and the fleet limit).
    pub fn gpu_count(&self) -> u32 {
        self.gpus.clamp(0, u32::MAX as i64) as u32
    }
}

pub(super) fn check_reliability(s: &Scenario, p: &mut Problems) {
    let r = &s.reliability;
    r.failure_rate_multiplier
        .check_range("reliability.failure_rate_multiplier", 0.0, 100.0, p);
    r.transient_repair_hours
        .check_draw("reliability.transient_repair_hours", 0.0, 1e4, p);
    r.permanent_repair_days
        .check_draw("reliability.permanent_repair_days", 0.0, 1e3, p);
    if r.spares_frac.is_finite() && !(0.0..=0.5).contains(&r.spares_frac) {
        p.push(
            "reliability.spares_frac",
            format!("{} must be between 0 and 0.5", r.spares_frac),
        );
    }
    let mut previous = f64::INFINITY;
    for (i, t) in r.sla.tiers.iter().enumerate() {
        let path = format!("reliability.sla.tiers[{i}]");
        if t.below_availability_frac.is_finite()
            && !(t.below_availability_frac > 0.0 && t.below_availability_frac <= 1.0)
        {
            p.push(
                format!("{path}.below_availability_frac"),
                format!("{} must be in (0, 1]", t.below_availability_frac),
            );
        } else if t.below_availability_frac >= previous {
            p.push(
                format!("{path}.below_availability_frac"),
                "tiers must go from the highest availability threshold to the lowest",
            );
        } else {
            previous = t.below_availability_frac;
        }
        if t.credit_frac.is_finite() && !(0.0..=1.0).contains(&t.credit_frac) {
            p.push(
                format!("{path}.credit_frac"),
                format!("{} must be between 0 and 1", t.credit_frac),
            );
        }
    }
}

pub(super) fn check_lifecycle(s: &Scenario, catalog: &Catalog, p: &mut Problems) {
    let l = &s.lifecycle;
    if let Some(curve) = &l.resale_residual_frac_by_age_years {
        if curve.is_empty() {
            p.push(
                "lifecycle.resale_residual_frac_by_age_years",
                "needs at least one (age, fraction) point",
            );
        }
        let mut last_age = f64::NEG_INFINITY;
        for (i, (age, frac)) in curve.iter().enumerate() {
            let path = format!("lifecycle.resale_residual_frac_by_age_years[{i}]");
            if !age.is_finite() {
                p.push(
                    format!("{path}.0"),
                    format!("age {} is not a finite number", fmt_num(*age)),
                );
            } else if !(*age >= 0.0 && *age > last_age) {
                p.push(
                    format!("{path}.0"),
                    format!("age {age} must be >= 0 and above the previous point's age"),
                );
            }
            if age.is_finite() {
                last_age = *age;
            }
            if !frac.is_finite() {
                p.push(
                    format!("{path}.1"),
                    format!(
                        "residual fraction {} is not a finite number",
                        fmt_num(*frac)
                    ),
                );
            } else if !(0.0..=1.0).contains(frac) {
                p.push(
                    format!("{path}.1"),
                    format!("residual fraction {frac} must be between 0 and 1"),
                );
            }
        }
    }
    let mut names: HashSet<&str> = s.fleet.iter().map(|t| t.name.as_str()).collect();
    for (i, r) in l.refresh.iter().enumerate() {
        let path = format!("lifecycle.refresh[{i}]");
        if !names.contains(r.replaces.as_str()) {
            let known: Vec<&str> = s
                .fleet
                .iter()
                .map(|t| t.name.as_str())
                .chain(l.refresh[..i].iter().map(|r| r.name.as_str()))
                .collect();
            p.push(
                format!("{path}.replaces"),
                format!(
                    "no tranche named \"{}\" (tranches: {})",
                    r.replaces,
                    known.join(", ")
                ),
            );
        }
        if !names.insert(r.name.as_str()) {
            p.push(
                format!("{path}.name"),
                format!(
                    "\"{}\" is already the name of a tranche; names must be unique",
                    r.name
                ),
            );
        }
        if r.at_age_months < 1 || r.at_age_months > MAX_HORIZON_MONTHS as i64 {
            p.push(
                format!("{path}.at_age_months"),
                format!(
                    "{} must be between 1 and {MAX_HORIZON_MONTHS}",
                    r.at_age_months
                ),
            );
        }
        match catalog.sku(&r.sku) {
            None => p.push(
                format!("{path}.sku"),
                format!(
                    "unknown SKU \"{}\"; known SKUs: {}",
                    r.sku,
                    catalog.sku_names()
                ),
            ),
            Some(sku) => {
                if r.gpus <= 0 || r.gpus > MAX_GPUS as i64 {
                    p.push(
                        format!("{path}.gpus"),
                        format!("{} must be between 1 and {MAX_GPUS}", r.gpus),
                    );
                } else if per_node(sku).is_some_and(|n| r.gpus % n != 0) {
                    p.push(
                        format!("{path}.gpus"),
                        format!(
                            "{} is not a whole number of {}-GPU {} nodes",
                            r.gpus, sku.gpus_per_node, sku.name
                        ),
                    );
                }
                if !s.pricing.market.iter().any(|m| m.sku == r.sku) {
                    p.push(
                        "pricing.market",
                        format!("no price for SKU \"{}\" used by {path}", r.sku),
                    );
                }
            }
        }
        if let Some(price) = &r.price_usd_per_gpu {
            price.check_range(&format!("{path}.price_usd_per_gpu"), 0.0, 1e7, p);
            warn_free_gpus(&format!("{path}.price_usd_per_gpu"), price, p);
        }
        r.network_usd_per_node
            .check_range(&format!("{path}.network_usd_per_node"), 0.0, 1e8, p);
        check_retire(
            &format!("{path}.retire_after_months"),
            r.retire_after_months,
            p,
        );
    }
    for (i, t) in s.fleet.iter().enumerate() {
        check_retire(
            &format!("fleet[{i}].retire_after_months"),
            t.retire_after_months,
            p,
        );
        if t.financing.as_deref().is_some_and(|f| f.trim().is_empty()) {
            p.push(
                format!("fleet[{i}].financing"),
                "must name a debt tranche, or be left out",
            );
        }
    }
}

pub(super) fn check_retire(path: &str, months: Option<i64>, p: &mut Problems) {
    if let Some(m) = months
        && (m < 1 || m > MAX_HORIZON_MONTHS as i64)
    {
        p.push(
            path,
            format!("{m} must be between 1 and {MAX_HORIZON_MONTHS} months"),
        );
    }
}

pub(super) fn check_fleet(s: &Scenario, catalog: &Catalog, horizon: u32, p: &mut Problems) {
    if s.fleet.is_empty() {
        p.push("fleet", "at least one GPU tranche is needed");
    }
    let mut names = HashSet::new();
    let mut max_it_kw = 0.0;
    for (i, t) in s.fleet.iter().enumerate() {
        let path = format!("fleet[{i}]");
        if !names.insert(t.name.as_str()) {
            p.push(
                format!("{path}.name"),
                format!(
                    "\"{}\" is used by an earlier tranche; names must be unique",
                    t.name
                ),
            );
        }
        let sku = catalog.sku(&t.sku);
        if sku.is_none() {
            p.push(
                format!("{path}.sku"),
                format!(
                    "unknown SKU \"{}\"; known SKUs: {}",
                    t.sku,
                    catalog.sku_names()
                ),
            );
        }
        if t.gpus <= 0 {
            p.push(format!("{path}.gpus"), format!("{} must be > 0", t.gpus));
        } else if t.gpus > MAX_GPUS as i64 {
            p.push(
                format!("{path}.gpus"),
                format!(
                    "{} is more than the {MAX_GPUS} GPUs dcplan simulates",
                    t.gpus
                ),
            );
        } else if let Some((sku, per_node)) = sku.and_then(|sku| per_node(sku).map(|n| (sku, n))) {
            if t.gpus % per_node != 0 {
                p.push(
                    format!("{path}.gpus"),
                    format!(
                        "{} is not a whole number of {}-GPU {} nodes {}",
                        t.gpus,
                        sku.gpus_per_node,
                        sku.name,
                        whole_nodes_hint(t.gpus, per_node)
                    ),
                );
            }
            let kw = (t.gpus / per_node) as f64
                * sku.node_max_kw
                * (1.0 + s.site.it_overhead_frac.quantile(0.5));
            if kw.is_finite() {
                max_it_kw += kw;
            }
        }
        if t.order_month < 0 {
            p.push(
                format!("{path}.order_month"),
                format!("{} must be >= 0", t.order_month),
            );
        } else if t.order_month > MAX_HORIZON_MONTHS as i64 {
            p.push(
                format!("{path}.order_month"),
                format!(
                    "{} must be between 0 and {MAX_HORIZON_MONTHS}",
                    t.order_month
                ),
            );
        } else if t.order_month >= horizon as i64 {
            p.warn(
                format!("{path}.order_month"),
                format!("{} is at or after the end of the horizon ({horizon} months): the tranche never arrives", t.order_month),
            );
        }
        t.lead_time_months
            .check_range(&format!("{path}.lead_time_months"), 0.0, 120.0, p);
        if let Some(price) = &t.price_usd_per_gpu {
            price.check_range(&format!("{path}.price_usd_per_gpu"), 0.0, 1e7, p);
            warn_free_gpus(&format!("{path}.price_usd_per_gpu"), price, p);
        }
        t.network_usd_per_node
            .check_range(&format!("{path}.network_usd_per_node"), 0.0, 1e8, p);
    }
    let total_gpus = total_gpus(s.fleet.iter().map(|t| &t.gpus));
    if total_gpus > MAX_GPUS {
        p.push(
            "fleet",
            format!("{total_gpus} GPUs in all is more than the {MAX_GPUS} dcplan simulates"),
        );
    }
    let phase_kw: f64 = s
        .site
        .phases
        .iter()
        .map(|ph| ph.it_mw.quantile(0.5) * 1000.0)
        .sum();
    if max_it_kw > 0.0 && phase_kw.is_finite() && phase_kw > 0.0 && max_it_kw > phase_kw * 1.000_001
    {
        p.warn(
            "fleet",
            format!(
                "the fleet needs up to {} MW of IT power but the hall phases provide {} MW (median): some nodes will wait in inventory",
                fmt_num(round_significant(max_it_kw / 1000.0, 3)),
                fmt_num(round_significant(phase_kw / 1000.0, 3))
            ),
        );
    }
}
