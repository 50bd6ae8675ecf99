//! The range of every number a scenario holds, keyed by field path pattern (`[*]` for any list
//! index). Validation checks every number of a scenario against this table (after the checks
//! with more specific messages), so no float is accepted that is not finite and in its range;
//! a test walks a scenario with every field present and fails for a number without an entry.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{MAX_GPUS, MAX_HORIZON_MONTHS, MAX_REPLICATIONS};
use crate::dist::fmt_num;
use crate::energy::cooling::EVAPORATION_L_PER_KWH;

/// The accepted range of one field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FieldRange {
    /// Field path with `[*]` for list indices, e.g. `fleet[*].price_usd_per_gpu`.
    pub pattern: &'static str,
    /// Smallest accepted value.
    pub lo: f64,
    /// Largest accepted value.
    pub hi: f64,
    /// `lo` itself is not accepted (a plain number must be above it).
    pub lo_open: bool,
    /// `hi` itself is not accepted.
    pub hi_open: bool,
    /// A per-event draw: a distribution's median must be in range, and its upper tail may go
    /// beyond `hi` (e.g. repair times, request sizes).
    pub draw: bool,
}

impl FieldRange {
    /// Whether a plain number is accepted.
    pub fn contains(&self, x: f64) -> bool {
        x.is_finite()
            && if self.lo_open {
                x > self.lo
            } else {
                x >= self.lo
            }
            && if self.hi_open {
                x < self.hi
            } else {
                x <= self.hi
            }
    }

    /// Why `x` is not accepted, in the words of a problem message.
    pub fn message(&self, x: f64) -> String {
        let (v, lo, hi) = (fmt_num(x), fmt_num(self.lo), fmt_num(self.hi));
        if !x.is_finite() {
            return format!("{v} is not a finite number");
        }
        match (self.lo_open, self.hi_open) {
            (false, false) => format!("{v} must be between {lo} and {hi}"),
            (true, false) => format!("{v} must be > {lo} and at most {hi}"),
            (false, true) => format!("{v} must be at least {lo} and below {hi}"),
            (true, true) => format!("{v} must be > {lo} and below {hi}"),
        }
    }
}

const fn closed(pattern: &'static str, lo: f64, hi: f64) -> FieldRange {
    FieldRange {
        pattern,
        lo,
        hi,
        lo_open: false,
        hi_open: false,
        draw: false,
    }
}

/// Above `lo` (which is not accepted), at most `hi`.
const fn positive(pattern: &'static str, lo: f64, hi: f64) -> FieldRange {
    FieldRange {
        pattern,
        lo,
        hi,
        lo_open: true,
        hi_open: false,
        draw: false,
    }
}

/// At least `lo`, below `hi` (which is not accepted).
const fn below(pattern: &'static str, lo: f64, hi: f64) -> FieldRange {
    FieldRange {
        pattern,
        lo,
        hi,
        lo_open: false,
        hi_open: true,
        draw: false,
    }
}

/// A per-event draw (see [`FieldRange::draw`]).
const fn draw(pattern: &'static str, lo: f64, hi: f64, lo_open: bool) -> FieldRange {
    FieldRange {
        pattern,
        lo,
        hi,
        lo_open,
        hi_open: false,
        draw: true,
    }
}

const H: f64 = MAX_HORIZON_MONTHS as f64;
const GPUS: f64 = MAX_GPUS as f64;
const HOURS_PER_MONTH: f64 = 730.0;
/// Largest decision-variable bound or grid step.
const OPT: f64 = 1e12;

/// Every numeric field of the schema and its range.
pub const RANGES: &[FieldRange] = &[
    // site
    closed("site.pue", 1.0, 5.0),
    closed("site.interconnect_mw", 0.001, 100_000.0),
    closed("site.it_overhead_frac", 0.0, 1.0),
    positive("site.phases[*].it_mw", 0.0, 10_000.0),
    closed("site.phases[*].ready_month", 0.0, H),
    closed("site.phases[*].capex_usd_per_mw", 0.0, 1e9),
    closed("site.phases[*].construction_months", 0.0, 120.0),
    closed("site.colocation_rent_usd_per_kw_month", 0.0, 10_000.0),
    // fleet
    closed("fleet[*].gpus", 1.0, GPUS),
    closed("fleet[*].order_month", 0.0, H),
    closed("fleet[*].lead_time_months", 0.0, 120.0),
    closed("fleet[*].price_usd_per_gpu", 0.0, 1e7),
    closed("fleet[*].network_usd_per_node", 0.0, 1e8),
    closed("fleet[*].retire_after_months", 1.0, H),
    closed("fleet[*].embodied_tco2_per_gpu", 0.0, 1_000.0),
    // energy
    closed("energy.tariff.price_usd_per_kwh", 0.0, 10.0),
    closed("energy.tariff.peak_usd_per_kwh", 0.0, 10.0),
    closed("energy.tariff.off_peak_usd_per_kwh", 0.0, 10.0),
    closed("energy.tariff.peak_start_hour", 0.0, 23.0),
    closed("energy.tariff.peak_end_hour", 1.0, 24.0),
    closed("energy.tariff.price_scale", 0.0, 100.0),
    closed("energy.tariff.delivery_usd_per_mwh", 0.0, 1_000.0),
    closed("energy.demand_charge_usd_per_kw_month", 0.0, 1_000.0),
    closed("energy.fixed_usd_per_month", 0.0, 1e9),
    closed("energy.carbon_price_usd_per_tco2", 0.0, 10_000.0),
    closed("energy.ppa.strike_usd_per_mwh", 0.0, 10_000.0),
    positive("energy.ppa.volume.Solar", 0.0, 100_000.0),
    positive("energy.ppa.volume.Wind", 0.0, 100_000.0),
    positive("energy.ppa.volume.Baseload", 0.0, 100_000.0),
    closed("energy.solar.mw", 0.0, 100_000.0),
    closed("energy.solar.capex_usd_per_kw", 0.0, 1e5),
    closed("energy.solar.om_usd_per_kw_year", 0.0, 1e4),
    closed("energy.wind.mw", 0.0, 100_000.0),
    closed("energy.wind.capex_usd_per_kw", 0.0, 1e5),
    closed("energy.wind.om_usd_per_kw_year", 0.0, 1e4),
    positive("energy.battery.energy_mwh", 0.0, 1e6),
    positive("energy.battery.power_mw", 0.0, 1e5),
    positive("energy.battery.round_trip_efficiency_frac", 0.0, 1.0),
    closed("energy.battery.capex_usd_per_kwh", 0.0, 1e4),
    positive("energy.battery.life_cycles", 0.0, 1e6),
    closed("energy.battery.dispatch.PeakShaving", 0.0, 1.0),
    positive("energy.gas.mw", 0.0, 100_000.0),
    closed("energy.gas.heat_rate_btu_per_kwh", 3_412.0, 20_000.0),
    closed("energy.gas.fuel_usd_per_mmbtu", 0.0, 1_000.0),
    closed("energy.gas.om_usd_per_mwh", 0.0, 1_000.0),
    closed("energy.gas.capex_usd_per_kw", 0.0, 1e5),
    // demand
    closed("demand.arrivals_per_day", 0.0, 1e7),
    closed("demand.growth_per_year_frac", -0.9, 10.0),
    below("demand.seasonality.amplitude_frac", 0.0, 1.0),
    closed("demand.seasonality.peak_month", 1.0, 12.0),
    positive("demand.regimes.states[*].demand_multiplier", 0.0, 100.0),
    positive("demand.regimes.states[*].price_multiplier", 0.0, 100.0),
    closed("demand.regimes.monthly_transitions[*][*]", 0.0, 1.0),
    below("demand.regimes.forced[*].from_month", 0.0, H),
    closed("demand.regimes.forced[*].to_month", 1.0, H),
    closed("demand.mix[*].share_frac", 0.0, 1.0),
    draw("demand.mix[*].size_gpus", 1.0, GPUS, false),
    draw("demand.mix[*].duration.Hours", 0.0, 1e6, true),
    draw(
        "demand.mix[*].duration.Months",
        0.0,
        1e6 / HOURS_PER_MONTH,
        true,
    ),
    closed("demand.mix[*].load_frac", 0.0, 1.0),
    draw("demand.mix[*].max_price_ratio", 0.0, 100.0, false),
    closed("demand.mix[*].renewal_frac", 0.0, 1.0),
    closed("demand.mix[*].prepay_frac", 0.0, 1.0),
    draw("demand.patience[*].hours", 0.0, 1e5, false),
    closed("demand.anchors[*].gpus", 1.0, GPUS),
    closed("demand.anchors[*].sign_month", 0.0, H),
    closed("demand.anchors[*].duration.Hours", 1.0 / 3600.0, 1e6),
    closed(
        "demand.anchors[*].duration.Months",
        1.0 / 3600.0 / HOURS_PER_MONTH,
        1e6 / HOURS_PER_MONTH,
    ),
    closed("demand.anchors[*].price_usd_per_gpu_hour", 0.0, 1_000.0),
    closed("demand.anchors[*].load_frac", 0.0, 1.0),
    closed("demand.anchors[*].prepay_frac", 0.0, 1.0),
    closed("demand.anchors[*].renewal_frac", 0.0, 1.0),
    // pricing
    positive("pricing.market[*].on_demand_usd_per_gpu_hour", 0.0, 1_000.0),
    closed("pricing.market[*].decline_per_year_frac", -1.0, 0.95),
    closed("pricing.market[*].volatility_per_month", 0.0, 2.0),
    positive("pricing.market[*].shock_half_life_months", 0.0, 1_200.0),
    closed("pricing.market[*].next_generation.month", 0.0, H),
    closed(
        "pricing.market[*].next_generation.price_drop_frac",
        0.0,
        0.95,
    ),
    closed("pricing.reserved_discount_frac", 0.0, 0.99),
    closed("pricing.spot_discount_frac", 0.0, 0.99),
    positive("pricing.policy.ListRatio", 0.0, 10.0),
    closed("pricing.policy.low_utilization_frac", 0.0, 1.0),
    closed("pricing.policy.high_utilization_frac", 0.0, 1.0),
    closed("pricing.policy.discount_frac", 0.0, 0.99),
    closed("pricing.policy.premium_frac", 0.0, 10.0),
    positive("pricing.price_scale", 0.0, 100.0),
    // finance
    closed("finance.discount_rate_frac", -0.1, 1.0),
    positive("finance.depreciation_years.gpu_servers", 0.0, 100.0),
    positive("finance.depreciation_years.network", 0.0, 100.0),
    positive("finance.depreciation_years.facility", 0.0, 100.0),
    positive("finance.depreciation_years.energy", 0.0, 100.0),
    closed("finance.opex.staff_usd_per_mw_year", 0.0, 1e9),
    closed("finance.opex.staff_usd_per_1000_gpus_year", 0.0, 1e9),
    closed("finance.opex.maintenance_frac_of_capex_per_year", 0.0, 1.0),
    closed("finance.opex.insurance_frac_of_capex_per_year", 0.0, 1.0),
    closed("finance.opex.software_usd_per_gpu_month", 0.0, 1e6),
    closed("finance.opex.network_transit_usd_per_gpu_month", 0.0, 1e6),
    closed("finance.opex.sga_frac_of_revenue", 0.0, 1.0),
    closed("finance.tax.rate_frac", 0.0, 1.0),
    closed("finance.tax.carryforward_cap_frac", 0.0, 1.0),
    closed("finance.debt[*].loan_to_cost_frac", 0.0, 1.0),
    closed("finance.debt[*].rate_frac", -0.05, 1.0),
    closed("finance.debt[*].tenor_months", 1.0, H),
    below("finance.debt[*].grace_months", 0.0, H),
    // simulation
    closed("simulation.start.year", 1900.0, 3000.0),
    closed("simulation.start.month", 1.0, 12.0),
    closed("simulation.horizon_months", 1.0, H),
    closed("simulation.replications", 1.0, MAX_REPLICATIONS as f64),
    closed("simulation.seed", 0.0, u64::MAX as f64),
    below(
        "simulation.hourly_replications[*]",
        0.0,
        MAX_REPLICATIONS as f64,
    ),
    closed("simulation.hourly_months", 1.0, H),
    // catalog overrides
    closed("catalog.gpus[*].gpus_per_node", 1.0, 1024.0),
    positive("catalog.gpus[*].gpu_tdp_w", 0.0, 10_000.0),
    positive("catalog.gpus[*].node_max_kw", 0.0, 10_000.0),
    closed("catalog.gpus[*].node_idle_kw", 0.0, 10_000.0),
    closed("catalog.gpus[*].price_usd_per_gpu", 0.0, 1e8),
    positive("catalog.gpus[*].relative_throughput", 0.0, 1_000.0),
    positive("catalog.gpus[*].tokens_per_gpu_hour", 0.0, 1e12),
    positive(
        "pricing.tokens.per_gpu_hour[*].tokens_per_gpu_hour",
        0.0,
        1e12,
    ),
    closed(
        "catalog.gpus[*].transient_failures_per_gpu_year",
        0.0,
        100.0,
    ),
    closed(
        "catalog.gpus[*].permanent_failures_per_gpu_year",
        0.0,
        100.0,
    ),
    closed("catalog.gpus[*].release.year", 1900.0, 3000.0),
    closed("catalog.gpus[*].release.month", 1.0, 12.0),
    closed("catalog.gpus[*].source_date.year", 1900.0, 3000.0),
    closed("catalog.gpus[*].source_date.month", 1.0, 12.0),
    closed("catalog.climates[*].annual_mean_c", -50.0, 50.0),
    closed("catalog.climates[*].seasonal_swing_c", 0.0, 40.0),
    closed("catalog.climates[*].daily_swing_c", 0.0, 30.0),
    closed("catalog.climates[*].noise_sd_c", 0.0, 20.0),
    closed(
        "catalog.climates[*].noise_persistence_per_hour",
        0.0,
        0.9999,
    ),
    below("catalog.climates[*].warmest_day_of_year", 0.0, 365.0),
    closed("catalog.climates[*].solar_capacity_factor", 0.0, 0.6),
    closed("catalog.climates[*].wind_capacity_factor", 0.0, 0.8),
    closed("catalog.climates[*].grid_gco2_per_kwh", 0.0, 2_000.0),
    closed("catalog.climates[*].grid_carbon_free_frac", 0.0, 1.0),
    closed("catalog.cooling[*].electrical_loss_frac", 0.0, 1.0),
    closed("catalog.cooling[*].fixed_frac", 0.0, 1.0),
    closed("catalog.cooling[*].free_cooling_below_c", -50.0, 60.0),
    closed("catalog.cooling[*].free_cooling_frac", 0.0, 2.0),
    closed("catalog.cooling[*].mechanical_frac_per_c", 0.0, 1.0),
    closed("catalog.cooling[*].max_cooling_frac", 0.0, 5.0),
    closed("catalog.cooling[*].range_pue.0", 1.0, 5.0),
    closed("catalog.cooling[*].range_pue.1", 1.0, 5.0),
    closed("catalog.cooling[*].water.above_c", -50.0, 60.0),
    closed("catalog.cooling[*].water.l_per_kwh_per_c", 0.0, 10.0),
    closed(
        "catalog.cooling[*].water.max_l_per_kwh",
        0.0,
        2.0 * EVAPORATION_L_PER_KWH,
    ),
    closed("catalog.tariffs[*].mean_usd_per_mwh", 0.0, 10_000.0),
    closed("catalog.tariffs[*].seasonal_amplitude_frac", 0.0, 1.0),
    below("catalog.tariffs[*].peak_day_of_year", 0.0, 365.0),
    closed("catalog.tariffs[*].daily_amplitude_frac", 0.0, 1.0),
    closed("catalog.tariffs[*].noise_sd_usd_per_mwh", 0.0, 10_000.0),
    closed("catalog.tariffs[*].noise_persistence_per_hour", 0.0, 0.9999),
    closed("catalog.tariffs[*].spike_probability_per_hour", 0.0, 1.0),
    closed("catalog.tariffs[*].spike_mean_usd_per_mwh", 0.0, 100_000.0),
    closed("catalog.tariffs[*].negative_probability_per_hour", 0.0, 0.4),
    closed(
        "catalog.tariffs[*].negative_mean_usd_per_mwh",
        0.0,
        10_000.0,
    ),
    // reliability
    closed("reliability.failure_rate_multiplier", 0.0, 100.0),
    draw("reliability.transient_repair_hours", 0.0, 1e4, false),
    draw("reliability.permanent_repair_days", 0.0, 1e3, false),
    closed("reliability.spares_frac", 0.0, 0.5),
    positive("reliability.sla.tiers[*].below_availability_frac", 0.0, 1.0),
    closed("reliability.sla.tiers[*].credit_frac", 0.0, 1.0),
    // lifecycle
    closed(
        "lifecycle.resale_residual_frac_by_age_years[*].0",
        0.0,
        100.0,
    ),
    closed("lifecycle.resale_residual_frac_by_age_years[*].1", 0.0, 1.0),
    closed("lifecycle.refresh[*].at_age_months", 1.0, H),
    closed("lifecycle.refresh[*].gpus", 1.0, GPUS),
    closed("lifecycle.refresh[*].price_usd_per_gpu", 0.0, 1e7),
    closed("lifecycle.refresh[*].network_usd_per_node", 0.0, 1e8),
    closed("lifecycle.refresh[*].retire_after_months", 1.0, H),
    // optimize
    closed("optimize.variables[*].min", -OPT, OPT),
    closed("optimize.variables[*].max", -OPT, OPT),
    closed("optimize.variables[*].points", 2.0, 50.0),
    closed("optimize.variables[*].multiple_of", 0.0, OPT),
    positive("optimize.constraint.payback_months", 0.0, H),
    positive("optimize.constraint.probability", 0.0, 1.0),
    closed("optimize.replications", 2.0, MAX_REPLICATIONS as f64),
    closed("optimize.refinements", 0.0, 10.0),
    // policies
    closed("policies[*].trigger.level_frac", 0.0, 1.0),
    closed("policies[*].trigger.months", 1.0, H),
    closed("policies[*].trigger.level_requests", 0.0, 1e9),
    positive("policies[*].trigger.ratio", 0.0, 100.0),
    below("policies[*].trigger.month", 0.0, H),
    closed("policies[*].trigger.triggers[*].level_frac", 0.0, 1.0),
    closed("policies[*].trigger.triggers[*].months", 1.0, H),
    closed("policies[*].trigger.triggers[*].level_requests", 0.0, 1e9),
    positive("policies[*].trigger.triggers[*].ratio", 0.0, 100.0),
    below("policies[*].trigger.triggers[*].month", 0.0, H),
    closed("policies[*].max_firings", 1.0, 100.0),
    closed("policies[*].min_gap_months", 0.0, H),
    closed("policies[*].capex_budget_usd", 0.0, 1e13),
    positive("policies[*].min_dscr", 0.0, 100.0),
    closed("policies[*].action.gpus", 1.0, GPUS),
    closed("policies[*].action.lead_time_months", 0.0, 120.0),
    closed("policies[*].action.price_usd_per_gpu", 0.0, 1e7),
    closed("policies[*].action.network_usd_per_node", 0.0, 1e8),
    closed("policies[*].action.retire_after_months", 1.0, H),
    positive("policies[*].action.it_mw", 0.0, 10_000.0),
    closed("policies[*].action.capex_usd_per_mw", 0.0, 1e9),
    // correlations
    closed("correlations[*].rank", -1.0, 1.0),
];

/// `path` with every list index replaced by `[*]`.
pub fn pattern_of(path: &str) -> String {
    with_every_index(path, "[*]")
}

/// `path` with every list index (`[2]`) replaced by `index` (`[*]`, `[0]`).
pub fn with_every_index(path: &str, index: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str(index);
            }
            ']' if in_index => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// The range of the field at a concrete path such as `fleet[2].gpus`.
pub fn range_of(path: &str) -> Option<&'static FieldRange> {
    static TABLE: OnceLock<HashMap<&'static str, &'static FieldRange>> = OnceLock::new();
    TABLE
        .get_or_init(|| RANGES.iter().map(|r| (r.pattern, r)).collect())
        .get(pattern_of(path).as_str())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_replace_indices_and_find_their_ranges() {
        assert_eq!(
            pattern_of("demand.regimes.monthly_transitions[1][12]"),
            "demand.regimes.monthly_transitions[*][*]"
        );
        assert_eq!(
            range_of("fleet[3].gpus").map(|r| r.hi),
            Some(MAX_GPUS as f64)
        );
        assert!(range_of("fleet[3].nothing").is_none());
        let mut patterns: Vec<&str> = RANGES.iter().map(|r| r.pattern).collect();
        patterns.sort();
        let n = patterns.len();
        patterns.dedup();
        assert_eq!(patterns.len(), n, "a pattern is listed twice");
        for r in RANGES {
            assert!(r.lo < r.hi && r.lo.is_finite() && r.hi.is_finite(), "{r:?}");
        }
    }

    #[test]
    fn messages_never_show_nan_as_a_number_in_range_terms() {
        let r = closed("x", 0.0, 1.0);
        assert_eq!(r.message(f64::NAN), "NaN is not a finite number");
        assert_eq!(r.message(-1.0), "-1 must be between 0 and 1");
        assert_eq!(r.message(1e308), "1e308 must be between 0 and 1");
        assert_eq!(
            positive("x", 0.0, 5.0).message(0.0),
            "0 must be > 0 and at most 5"
        );
        assert!(!positive("x", 0.0, 5.0).contains(0.0) && positive("x", 0.0, 5.0).contains(5.0));
        assert!(!below("x", 0.0, 365.0).contains(365.0));
    }
}
