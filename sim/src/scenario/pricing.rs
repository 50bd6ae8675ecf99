//! The `pricing` section: market price paths, discounts and the pricing policy.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::validate::*;
use super::*;
use crate::catalog::Catalog;
use crate::dist::Param;
use crate::problems::Problems;

/// Rental prices.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    /// The market price path of each SKU.
    pub market: Vec<MarketPrice>,
    /// Discount of reserved contracts below the list price (parameter, 0..1).
    pub reserved_discount_frac: Param,
    /// Discount of spot capacity below the list price (parameter, 0..1).
    #[serde(default = "zero")]
    pub spot_discount_frac: Param,
    /// How list prices follow the market.
    #[serde(default)]
    pub policy: PricingPolicy,
    /// Multiplier on every price (market paths and anchor contracts), for break-even and
    /// sensitivity runs; 1 leaves prices as given.
    #[serde(default = "one_f64")]
    pub price_scale: f64,
    /// Count the tokens the sold GPU-hours generate (an inference build judged per token): the
    /// runs then report tokens served, revenue and cost per million tokens. `None` counts none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Tokens>,
}

/// Tokens per GPU-hour of the workload served.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tokens {
    /// The workload's tokens per GPU-hour by SKU; a SKU the fleet uses and this list does not
    /// name takes the catalog's figure (`catalog.gpus[*].tokens_per_gpu_hour`, a published
    /// benchmark), which must then exist.
    #[serde(default)]
    pub per_gpu_hour: Vec<SkuTokens>,
}

/// Tokens per GPU-hour of one SKU on the workload served.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuTokens {
    /// SKU name.
    pub sku: String,
    /// Tokens one GPU generates per sold hour.
    pub tokens_per_gpu_hour: f64,
}

/// Tokens per GPU-hour of `sku` when `pricing.tokens` counts tokens: the scenario's figure, else
/// the catalog's; `None` when tokens are not counted or no figure exists.
pub fn tokens_per_gpu_hour(s: &Scenario, catalog: &Catalog, sku: &str) -> Option<f64> {
    let t = s.pricing.tokens.as_ref()?;
    t.per_gpu_hour
        .iter()
        .find(|x| x.sku == sku)
        .map(|x| x.tokens_per_gpu_hour)
        .or_else(|| catalog.sku(sku)?.tokens_per_gpu_hour)
}

/// How list prices are set.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub enum PricingPolicy {
    /// List price = ratio x market price.
    ListRatio(f64),
    /// List price = market price, discounted when the SKU's utilization is low and raised when high.
    Dynamic {
        /// Below this utilization (sold / available GPUs of the SKU) the discount applies.
        low_utilization_frac: f64,
        /// Discount when utilization is low.
        discount_frac: f64,
        /// Above this utilization the premium applies.
        high_utilization_frac: f64,
        /// Premium when utilization is high.
        premium_frac: f64,
    },
}

impl Default for PricingPolicy {
    fn default() -> Self {
        PricingPolicy::ListRatio(1.0)
    }
}

/// The market price path of one SKU: a trend, a step when the next generation ships, and
/// mean-reverting shocks in log price (an AR(1) process month to month).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketPrice {
    /// SKU name.
    pub sku: String,
    /// On-demand market price at the start in USD per GPU-hour (parameter).
    pub on_demand_usd_per_gpu_hour: Param,
    /// Trend: price decline per year (parameter), e.g. 0.2 for -20 % a year.
    #[serde(default = "zero")]
    pub decline_per_year_frac: Param,
    /// Monthly standard deviation of log-price shocks, e.g. 0.05.
    #[serde(default)]
    pub volatility_per_month: f64,
    /// Half-life of a price shock in months.
    #[serde(default = "six")]
    pub shock_half_life_months: f64,
    /// The price drops when the next GPU generation ships.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_generation: Option<GenerationStep>,
}

/// Default half-life of a price shock, months. E: the 2025 H100 trough recovered within about a
/// year (SemiAnalysis), as the shipped scenarios' `shock_half_life_months`.
fn six() -> f64 {
    6.0
}

/// A step down in price when the next generation ships.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerationStep {
    /// Month (from the scenario start) in which the next generation ships (parameter).
    pub month: Param,
    /// Fractional price drop at that month (parameter).
    pub price_drop_frac: Param,
}

pub(super) fn check_pricing(s: &Scenario, catalog: &Catalog, p: &mut Problems) {
    let mut seen = HashSet::new();
    for (i, m) in s.pricing.market.iter().enumerate() {
        let path = format!("pricing.market[{i}]");
        if catalog.sku(&m.sku).is_none() {
            p.push(
                format!("{path}.sku"),
                format!(
                    "unknown SKU \"{}\"; known SKUs: {}",
                    m.sku,
                    catalog.sku_names()
                ),
            );
        }
        if !seen.insert(m.sku.as_str()) {
            p.push(
                format!("{path}.sku"),
                format!("\"{}\" is priced twice", m.sku),
            );
        }
        m.on_demand_usd_per_gpu_hour.check_range(
            &format!("{path}.on_demand_usd_per_gpu_hour"),
            0.0,
            1_000.0,
            p,
        );
        m.decline_per_year_frac.check_range(
            &format!("{path}.decline_per_year_frac"),
            -1.0,
            0.95,
            p,
        );
        if m.volatility_per_month.is_finite() && !(0.0..=2.0).contains(&m.volatility_per_month) {
            p.push(
                format!("{path}.volatility_per_month"),
                format!("{} must be between 0 and 2", m.volatility_per_month),
            );
        }
        if m.shock_half_life_months.is_finite()
            && !(m.shock_half_life_months > 0.0 && m.shock_half_life_months <= 1200.0)
        {
            p.push(
                format!("{path}.shock_half_life_months"),
                format!("{} must be > 0 and at most 1200", m.shock_half_life_months),
            );
        }
        if let Some(g) = &m.next_generation {
            g.month.check_range(
                &format!("{path}.next_generation.month"),
                0.0,
                MAX_HORIZON_MONTHS as f64,
                p,
            );
            g.price_drop_frac.check_range(
                &format!("{path}.next_generation.price_drop_frac"),
                0.0,
                0.95,
                p,
            );
        }
    }
    if let Some(tokens) = &s.pricing.tokens {
        let used: Vec<&str> = s
            .fleet
            .iter()
            .map(|t| t.sku.as_str())
            .chain(s.lifecycle.refresh.iter().map(|r| r.sku.as_str()))
            .collect();
        for (i, x) in tokens.per_gpu_hour.iter().enumerate() {
            let path = format!("pricing.tokens.per_gpu_hour[{i}]");
            if !used.contains(&x.sku.as_str()) {
                p.push(
                    format!("{path}.sku"),
                    format!(
                        "SKU \"{}\" is not in the fleet or a refresh; the fleet uses: {}",
                        x.sku,
                        used.join(", ")
                    ),
                );
            }
            if tokens.per_gpu_hour[..i].iter().any(|y| y.sku == x.sku) {
                p.push(
                    format!("{path}.sku"),
                    format!("\"{}\" is given twice", x.sku),
                );
            }
        }
        let mut missing: Vec<&str> = used
            .iter()
            .copied()
            .filter(|sku| {
                catalog.sku(sku).is_some() && tokens_per_gpu_hour(s, catalog, sku).is_none()
            })
            .collect();
        missing.dedup();
        if !missing.is_empty() {
            p.push(
                "pricing.tokens.per_gpu_hour",
                format!(
                    "no tokens per GPU-hour for {}: the catalog has no published figure; give the workload's here",
                    missing.join(", ")
                ),
            );
        }
    }
    for (i, t) in s.fleet.iter().enumerate() {
        if catalog.sku(&t.sku).is_some() && !s.pricing.market.iter().any(|m| m.sku == t.sku) {
            p.push(
                "pricing.market",
                format!("no price for SKU \"{}\" used by fleet[{i}]", t.sku),
            );
        }
    }
    s.pricing
        .reserved_discount_frac
        .check_range("pricing.reserved_discount_frac", 0.0, 0.99, p);
    if s.pricing.price_scale.is_finite()
        && !(s.pricing.price_scale > 0.0 && s.pricing.price_scale <= 100.0)
    {
        p.push(
            "pricing.price_scale",
            format!("{} must be > 0 and at most 100", s.pricing.price_scale),
        );
    }
    s.pricing
        .spot_discount_frac
        .check_range("pricing.spot_discount_frac", 0.0, 0.99, p);
    match &s.pricing.policy {
        PricingPolicy::ListRatio(r) => {
            if r.is_finite() && !(*r > 0.0 && *r <= 10.0) {
                p.push(
                    "pricing.policy.ListRatio",
                    format!("{r} must be > 0 and at most 10"),
                );
            }
        }
        PricingPolicy::Dynamic {
            low_utilization_frac,
            discount_frac,
            high_utilization_frac,
            premium_frac,
        } => {
            let path = "pricing.policy";
            for (name, v, hi) in [
                ("low_utilization_frac", *low_utilization_frac, 1.0),
                ("high_utilization_frac", *high_utilization_frac, 1.0),
                ("discount_frac", *discount_frac, 0.99),
                ("premium_frac", *premium_frac, 10.0),
            ] {
                if v.is_finite() && !(0.0..=hi).contains(&v) {
                    p.push(
                        format!("{path}.{name}"),
                        format!("{v} must be between 0 and {hi}"),
                    );
                }
            }
            if low_utilization_frac > high_utilization_frac {
                p.push(path, format!("low_utilization_frac {low_utilization_frac} is above high_utilization_frac {high_utilization_frac}"));
            }
        }
    }
}
