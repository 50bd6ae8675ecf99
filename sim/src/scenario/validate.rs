//! Semantic validation: every problem at once, each with its field path.

use std::collections::HashSet;

pub mod leaves;
pub mod ranges;

use super::{ContractClass, DurationSpec, PricingPolicy, Problems, Scenario, Tariff};
use crate::catalog::{Catalog, Sku};
use crate::dist::{Param, fmt_num};
use leaves::LeafValue;

/// Largest horizon accepted, in months (50 years).
pub const MAX_HORIZON_MONTHS: u32 = 600;
/// Largest number of replications accepted in one run.
pub const MAX_REPLICATIONS: u32 = 1_000_000;
/// Most replications that may keep hourly flows (each holds up to 744 rows per month).
pub const MAX_HOURLY_REPLICATIONS: usize = 100;
/// Largest number of requests one replication may simulate.
pub const MAX_REQUESTS: f64 = 2e9;
/// Largest fleet accepted, in GPUs.
pub const MAX_GPUS: u64 = 10_000_000;

/// Validate a scenario against a catalog; returns every problem found.
pub fn validate(scenario: &Scenario, catalog: &Catalog) -> Problems {
    let mut problems = Problems::default();
    validate_into(scenario, catalog, &mut problems);
    problems
}

/// Validate into an existing list of problems.
pub fn validate_into(s: &Scenario, catalog: &Catalog, p: &mut Problems) {
    if s.name.trim().is_empty() {
        p.push("name", "must not be empty");
    }
    let horizon = s.simulation.horizon();
    check_simulation(s, p);
    check_site(s, catalog, p);
    check_fleet(s, catalog, horizon, p);
    check_energy(s, catalog, p);
    check_demand(s, catalog, p);
    check_pricing(s, catalog, p);
    check_finance(s, p);
    check_reliability(s, p);
    check_lifecycle(s, catalog, p);
    check_numbers(s, p);
}

/// Every number of the scenario against its range in [`ranges::RANGES`], except those a check
/// above has already reported (errors at the same path): so no number reaches the model non-finite or out of range, a
/// field added to the schema included.
fn check_numbers(s: &Scenario, p: &mut Problems) {
    // The search section is checked by `optimize::check` (with its own messages first).
    let mut s = s.clone();
    s.optimize = None;
    check_numbers_of(&s, "", p);
}

/// [`check_numbers`] for a part of a scenario found at `prefix` (e.g. `catalog`).
pub fn check_numbers_of<T: serde::Serialize + ?Sized>(value: &T, prefix: &str, p: &mut Problems) {
    for mut leaf in leaves::number_leaves(value) {
        if !prefix.is_empty() {
            let sep = if leaf.path.starts_with('[') { "" } else { "." };
            leaf.path = format!("{prefix}{sep}{}", leaf.path);
        }
        if p.iter()
            .any(|q| q.severity == super::Severity::Error && q.path == leaf.path)
        {
            continue;
        }
        let range = ranges::range_of(&leaf.path);
        match (&leaf.value, range) {
            (LeafValue::Float(x), Some(r)) if !r.contains(*x) => p.push(leaf.path, r.message(*x)),
            (LeafValue::Int(i), Some(r)) if !r.contains(*i as f64) => {
                p.push(leaf.path, r.message(*i as f64))
            }
            (LeafValue::Dist(d), Some(r)) => {
                let param = Param::Dist(d.clone());
                if r.draw {
                    param.check_draw(&leaf.path, r.lo, r.hi, p);
                } else {
                    param.check_range(&leaf.path, r.lo, r.hi, p);
                }
            }
            (LeafValue::Float(x), None) if !x.is_finite() => {
                p.push(leaf.path, format!("{} is not a finite number", fmt_num(*x)))
            }
            (LeafValue::Dist(d), None) => {
                Param::Dist(d.clone()).check_range(&leaf.path, f64::NEG_INFINITY, f64::INFINITY, p)
            }
            _ => {}
        }
    }
}

/// GPUs per node of a SKU, or None when the catalog entry's count is invalid (reported with
/// the catalog), so that no check divides by it.
fn per_node(sku: &Sku) -> Option<i64> {
    (1..=1024)
        .contains(&sku.gpus_per_node)
        .then_some(sku.gpus_per_node as i64)
}

/// Total of GPU counts (negative ones count 0), saturating so that absurd counts cannot overflow.
fn total_gpus<'a>(counts: impl Iterator<Item = &'a i64>) -> u64 {
    counts.fold(0u64, |sum, &g| sum.saturating_add(g.max(0) as u64))
}

fn check_reliability(s: &Scenario, p: &mut Problems) {
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

fn check_lifecycle(s: &Scenario, catalog: &Catalog, p: &mut Problems) {
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

fn check_retire(path: &str, months: Option<i64>, p: &mut Problems) {
    if let Some(m) = months {
        if m < 1 || m > MAX_HORIZON_MONTHS as i64 {
            p.push(
                path,
                format!("{m} must be between 1 and {MAX_HORIZON_MONTHS} months"),
            );
        }
    }
}

fn check_simulation(s: &Scenario, p: &mut Problems) {
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

fn check_site(s: &Scenario, catalog: &Catalog, p: &mut Problems) {
    let site = &s.site;
    match (&site.pue, &site.cooling) {
        (Some(Param::Value(x)), None) if x.is_finite() && *x < 1.0 => p.push(
            "site.pue",
            format!("{x} is below 1.0: facility power cannot be less than IT power"),
        ),
        (Some(other), None) => other.check_range("site.pue", 1.0, 5.0, p),
        (None, Some(name)) => {
            if catalog.cooling_preset(name).is_none() {
                p.push(
                    "site.cooling",
                    format!(
                        "unknown cooling preset \"{name}\"; known: {}",
                        Catalog::names(&catalog.cooling, |c| c.name.as_str())
                    ),
                );
            }
        }
        (Some(_), Some(_)) => p.push(
            "site",
            "give either a cooling preset (`cooling`) or a fixed `pue`, not both",
        ),
        (None, None) => p.push(
            "site",
            "give a cooling preset (e.g. `cooling: \"air-economizer\"`) or a fixed `pue`",
        ),
    }
    if catalog.climate(&site.climate).is_none() {
        p.push(
            "site.climate",
            format!(
                "unknown climate \"{}\"; known: {}",
                site.climate,
                Catalog::names(&catalog.climates, |c| c.name.as_str())
            ),
        );
    }
    if let Some(ic) = &site.interconnect_mw {
        ic.check_range("site.interconnect_mw", 0.001, 100_000.0, p);
    }
    site.it_overhead_frac
        .check_range("site.it_overhead_frac", 0.0, 1.0, p);
    site.colocation_rent_usd_per_kw_month.check_range(
        "site.colocation_rent_usd_per_kw_month",
        0.0,
        10_000.0,
        p,
    );
    if site.phases.is_empty() {
        p.push(
            "site.phases",
            "at least one hall phase is needed to house GPUs",
        );
    }
    let mut names = HashSet::new();
    for (i, ph) in site.phases.iter().enumerate() {
        let path = format!("site.phases[{i}]");
        if !names.insert(ph.name.as_str()) {
            p.push(
                format!("{path}.name"),
                format!(
                    "\"{}\" is used by an earlier phase; names must be unique",
                    ph.name
                ),
            );
        }
        ph.it_mw
            .check_range(&format!("{path}.it_mw"), 0.0, 10_000.0, p);
        ph.ready_month.check_range(
            &format!("{path}.ready_month"),
            0.0,
            MAX_HORIZON_MONTHS as f64,
            p,
        );
        ph.capex_usd_per_mw
            .check_range(&format!("{path}.capex_usd_per_mw"), 0.0, 1e9, p);
        if !(0..=120).contains(&ph.construction_months) {
            p.push(
                format!("{path}.construction_months"),
                format!("{} must be between 0 and 120", ph.construction_months),
            );
        }
    }
}

fn check_fleet(s: &Scenario, catalog: &Catalog, horizon: u32, p: &mut Problems) {
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
                let n = t.gpus / per_node;
                p.push(
                    format!("{path}.gpus"),
                    format!(
                        "{} is not a whole number of {}-GPU {} nodes (try {} or {})",
                        t.gpus,
                        sku.gpus_per_node,
                        sku.name,
                        n * per_node,
                        (n + 1) * per_node
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
                "the fleet needs up to {:.1} MW of IT power but the hall phases provide {:.1} MW (median): some nodes will wait in inventory",
                max_it_kw / 1000.0,
                phase_kw / 1000.0
            ),
        );
    }
}

fn check_energy(s: &Scenario, catalog: &Catalog, p: &mut Problems) {
    let e = &s.energy;
    match &e.tariff {
        Tariff::Flat { price_usd_per_kwh } => {
            price_usd_per_kwh.check_range("energy.tariff.price_usd_per_kwh", 0.0, 10.0, p)
        }
        Tariff::TimeOfUse {
            peak_usd_per_kwh,
            off_peak_usd_per_kwh,
            peak_start_hour,
            peak_end_hour,
            ..
        } => {
            peak_usd_per_kwh.check_range("energy.tariff.peak_usd_per_kwh", 0.0, 10.0, p);
            off_peak_usd_per_kwh.check_range("energy.tariff.off_peak_usd_per_kwh", 0.0, 10.0, p);
            if !(*peak_start_hour < 24 && *peak_end_hour <= 24 && peak_start_hour < peak_end_hour) {
                p.push("energy.tariff", format!("peak hours {peak_start_hour}..{peak_end_hour} must satisfy 0 <= start < end <= 24"));
            }
        }
        Tariff::Market {
            preset,
            price_scale,
            delivery_usd_per_mwh,
        } => {
            if catalog.market(preset).is_none() {
                p.push(
                    "energy.tariff.preset",
                    format!(
                        "unknown market preset \"{preset}\"; known: {}",
                        Catalog::names(&catalog.tariffs, |c| c.name.as_str())
                    ),
                );
            }
            price_scale.check_range("energy.tariff.price_scale", 0.0, 100.0, p);
            delivery_usd_per_mwh.check_range("energy.tariff.delivery_usd_per_mwh", 0.0, 1_000.0, p);
        }
        Tariff::Csv {
            delivery_usd_per_mwh,
            ..
        } => {
            delivery_usd_per_mwh.check_range("energy.tariff.delivery_usd_per_mwh", 0.0, 1_000.0, p);
        }
    }
    e.demand_charge_usd_per_kw_month.check_range(
        "energy.demand_charge_usd_per_kw_month",
        0.0,
        1_000.0,
        p,
    );
    e.fixed_usd_per_month
        .check_range("energy.fixed_usd_per_month", 0.0, 1e9, p);
    e.carbon_price_usd_per_tco2
        .check_range("energy.carbon_price_usd_per_tco2", 0.0, 10_000.0, p);
    if let Some(ppa) = &e.ppa {
        ppa.strike_usd_per_mwh
            .check_range("energy.ppa.strike_usd_per_mwh", 0.0, 10_000.0, p);
        let (kind, mw) = match ppa.volume {
            super::PpaVolume::Solar(x) => ("Solar", x),
            super::PpaVolume::Wind(x) => ("Wind", x),
            super::PpaVolume::Baseload(x) => ("Baseload", x),
        };
        if !mw.is_finite() {
            p.push(
                format!("energy.ppa.volume.{kind}"),
                format!("{} MW is not a finite number", fmt_num(mw)),
            );
        } else if !(mw > 0.0 && mw <= 100_000.0) {
            p.push(
                format!("energy.ppa.volume.{kind}"),
                format!("{mw} MW must be > 0 and at most 100000"),
            );
        }
    }
    for (name, r) in [("solar", &e.solar), ("wind", &e.wind)] {
        if let Some(r) = r {
            r.mw.check_range(&format!("energy.{name}.mw"), 0.0, 100_000.0, p);
            r.capex_usd_per_kw
                .check_range(&format!("energy.{name}.capex_usd_per_kw"), 0.0, 1e5, p);
            r.om_usd_per_kw_year.check_range(
                &format!("energy.{name}.om_usd_per_kw_year"),
                0.0,
                1e4,
                p,
            );
        }
    }
    if let Some(b) = &e.battery {
        for (name, v, hi) in [
            ("energy_mwh", b.energy_mwh, 1e6),
            ("power_mw", b.power_mw, 1e5),
            ("life_cycles", b.life_cycles, 1e6),
        ] {
            if v.is_finite() && !(v > 0.0 && v <= hi) {
                p.push(
                    format!("energy.battery.{name}"),
                    format!("{v} must be > 0 and at most {hi}"),
                );
            }
        }
        if b.round_trip_efficiency_frac.is_finite()
            && !(b.round_trip_efficiency_frac > 0.0 && b.round_trip_efficiency_frac <= 1.0)
        {
            p.push(
                "energy.battery.round_trip_efficiency_frac",
                format!(
                    "{} must be > 0 and at most 1 (a battery cannot return more than it takes)",
                    b.round_trip_efficiency_frac
                ),
            );
        }
        b.capex_usd_per_kwh
            .check_range("energy.battery.capex_usd_per_kwh", 0.0, 1e4, p);
        if let super::BatteryDispatch::PeakShaving(f) = b.dispatch {
            if f.is_finite() && !(0.0..=1.0).contains(&f) {
                p.push(
                    "energy.battery.dispatch.PeakShaving",
                    format!("{f} must be between 0 and 1"),
                );
            }
        }
    }
    if let Some(g) = &e.gas {
        if g.mw.is_finite() && !(g.mw > 0.0 && g.mw <= 100_000.0) {
            p.push(
                "energy.gas.mw",
                format!("{} must be > 0 and at most 100000", g.mw),
            );
        }
        if g.heat_rate_btu_per_kwh.is_finite()
            && !(3_412.0..=20_000.0).contains(&g.heat_rate_btu_per_kwh)
        {
            p.push(
                "energy.gas.heat_rate_btu_per_kwh",
                format!(
                    "{} must be between 3412 (100 % efficient) and 20000",
                    g.heat_rate_btu_per_kwh
                ),
            );
        }
        g.fuel_usd_per_mmbtu
            .check_range("energy.gas.fuel_usd_per_mmbtu", 0.0, 1_000.0, p);
        g.om_usd_per_mwh
            .check_range("energy.gas.om_usd_per_mwh", 0.0, 1_000.0, p);
        g.capex_usd_per_kw
            .check_range("energy.gas.capex_usd_per_kw", 0.0, 1e5, p);
    }
    // Cooling presets need no check here: the built-in ones are tested valid and a scenario's own
    // (`catalog.cooling`) are checked, with their index, when they are merged into the catalog.
    for (i, t) in s.fleet.iter().enumerate() {
        t.embodied_tco2_per_gpu.check_range(
            &format!("fleet[{i}].embodied_tco2_per_gpu"),
            0.0,
            1_000.0,
            p,
        );
    }
}

fn check_demand(s: &Scenario, catalog: &Catalog, p: &mut Problems) {
    let d = &s.demand;
    d.arrivals_per_day
        .check_range("demand.arrivals_per_day", 0.0, 1e7, p);
    d.growth_per_year_frac
        .check_range("demand.growth_per_year_frac", -0.9, 10.0, p);
    let days = s.simulation.horizon() as f64 * 365.0 / 12.0;
    let growth = (1.0 + d.growth_per_year_frac.quantile(0.99).max(0.0)).powf(days / 365.0);
    let peak_regime = d
        .regimes
        .as_ref()
        .map(|r| {
            r.states
                .iter()
                .map(|st| st.demand_multiplier)
                .fold(1.0, f64::max)
        })
        .unwrap_or(1.0);
    let requests =
        d.arrivals_per_day.quantile(0.99) * days * growth.min(1e6) * peak_regime.clamp(1.0, 1e3);
    if requests.is_finite() && requests > MAX_REQUESTS {
        p.push(
            "demand.arrivals_per_day",
            format!("about {:.2e} requests over the horizon is more than the {MAX_REQUESTS:.0e} dcplan simulates in one replication", requests),
        );
    }
    if let Some(season) = &d.seasonality {
        if season.amplitude_frac.is_finite() && !(0.0..1.0).contains(&season.amplitude_frac) {
            p.push(
                "demand.seasonality.amplitude_frac",
                format!("{} must be at least 0 and below 1", season.amplitude_frac),
            );
        }
        if !(1..=12).contains(&season.peak_month) {
            p.push(
                "demand.seasonality.peak_month",
                format!("{} is not a month (1-12)", season.peak_month),
            );
        }
    }
    if let Some(r) = &d.regimes {
        check_regimes(r, p);
    }
    if d.mix.is_empty() {
        p.push("demand.mix", "at least one request class is needed");
    }
    let sum: f64 = d.mix.iter().map(|c| c.share_frac).sum();
    if !d.mix.is_empty() && (sum - 1.0).abs() > 1e-6 {
        p.push(
            "demand.mix",
            format!(
                "fractions sum to {} (share_frac must sum to 1)",
                round6(sum)
            ),
        );
    }
    let fleet_gpus = total_gpus(s.fleet.iter().map(|t| &t.gpus));
    let fleet_skus: HashSet<&str> = s
        .fleet
        .iter()
        .map(|t| t.sku.as_str())
        .chain(s.lifecycle.refresh.iter().map(|r| r.sku.as_str()))
        .collect();
    for (i, c) in d.mix.iter().enumerate() {
        let path = format!("demand.mix[{i}]");
        if c.share_frac.is_finite() && !(0.0..=1.0).contains(&c.share_frac) {
            p.push(
                format!("{path}.share_frac"),
                format!("{} must be between 0 and 1", c.share_frac),
            );
        }
        c.size_gpus
            .check_draw(&format!("{path}.size_gpus"), 1.0, MAX_GPUS as f64, p);
        if fleet_gpus > 0 {
            let (lo, _) = c.size_gpus.dist().support();
            if lo > fleet_gpus as f64 {
                p.warn(
                    format!("{path}.size_gpus"),
                    format!("every request ({} GPUs or more) is larger than the whole fleet ({fleet_gpus} GPUs) and will be rejected", lo),
                );
            }
        }
        check_duration(&format!("{path}.duration"), &c.duration, p);
        c.load_frac
            .check_range(&format!("{path}.load_frac"), 0.0, 1.0, p);
        if let Some(w) = &c.max_price_ratio {
            w.check_draw(&format!("{path}.max_price_ratio"), 0.0, 100.0, p);
        }
        c.renewal_frac
            .check_range(&format!("{path}.renewal_frac"), 0.0, 1.0, p);
        c.prepay_frac
            .check_range(&format!("{path}.prepay_frac"), 0.0, 1.0, p);
        if c.class != ContractClass::Reserved {
            for (name, v) in [
                ("renewal_frac", &c.renewal_frac),
                ("prepay_frac", &c.prepay_frac),
            ] {
                if v.quantile(0.99) > 0.0 {
                    p.warn(
                        format!("{path}.{name}"),
                        format!(
                            "only term contracts (Reserved) renew or prepay; ignored for {:?}",
                            c.class
                        ),
                    );
                }
            }
        }
        for (j, sku) in c.skus.iter().enumerate() {
            if catalog.sku(sku).is_none() {
                p.push(
                    format!("{path}.skus[{j}]"),
                    format!("unknown SKU \"{sku}\"; known SKUs: {}", catalog.sku_names()),
                );
            } else if !fleet_skus.contains(sku.as_str()) {
                p.warn(
                    format!("{path}.skus[{j}]"),
                    format!("no tranche in the fleet is of SKU \"{sku}\""),
                );
            }
        }
    }
    let mut seen = HashSet::new();
    for (i, pat) in d.patience.iter().enumerate() {
        let path = format!("demand.patience[{i}]");
        if !d.mix.iter().any(|c| c.class == pat.class) {
            p.push(
                format!("{path}.class"),
                format!(
                    "no request class {:?} in demand.mix, so this patience applies to nothing",
                    pat.class
                ),
            );
        }
        if !seen.insert(pat.class) {
            p.push(
                format!("{path}.class"),
                format!("{:?} has a patience already", pat.class),
            );
        }
        pat.hours.check_draw(&format!("{path}.hours"), 0.0, 1e5, p);
    }
    let mut names = HashSet::new();
    for (i, a) in d.anchors.iter().enumerate() {
        let path = format!("demand.anchors[{i}]");
        if !names.insert(a.name.as_str()) {
            p.push(
                format!("{path}.name"),
                format!(
                    "\"{}\" is used by an earlier anchor; names must be unique",
                    a.name
                ),
            );
        }
        match catalog.sku(&a.sku) {
            None => p.push(
                format!("{path}.sku"),
                format!(
                    "unknown SKU \"{}\"; known SKUs: {}",
                    a.sku,
                    catalog.sku_names()
                ),
            ),
            Some(sku) => {
                if !fleet_skus.contains(a.sku.as_str()) {
                    p.push(format!("{path}.sku"), format!("no tranche in the fleet is of SKU \"{}\", so the contract could never start", a.sku));
                }
                if a.gpus <= 0 || a.gpus > MAX_GPUS as i64 {
                    p.push(
                        format!("{path}.gpus"),
                        format!("{} must be between 1 and {MAX_GPUS}", a.gpus),
                    );
                } else if per_node(sku).is_some_and(|n| a.gpus % n != 0) {
                    p.push(
                        format!("{path}.gpus"),
                        format!(
                            "{} is not a whole number of {}-GPU {} nodes",
                            a.gpus, sku.gpus_per_node, sku.name
                        ),
                    );
                }
            }
        }
        if a.sign_month < 0 {
            p.push(
                format!("{path}.sign_month"),
                format!("{} must be >= 0", a.sign_month),
            );
        } else if a.sign_month > MAX_HORIZON_MONTHS as i64 {
            p.push(
                format!("{path}.sign_month"),
                format!(
                    "{} must be between 0 and {MAX_HORIZON_MONTHS}",
                    a.sign_month
                ),
            );
        } else if a.sign_month >= s.simulation.horizon() as i64 {
            p.warn(
                format!("{path}.sign_month"),
                format!(
                    "{} is at or after the end of the horizon: the contract never starts",
                    a.sign_month
                ),
            );
        }
        let (dur, unit) = a.duration.param_and_unit();
        dur.check_range(
            &format!("{path}.duration"),
            1.0 / 3600.0 / unit,
            1e6 / unit,
            p,
        );
        a.price_usd_per_gpu_hour.check_range(
            &format!("{path}.price_usd_per_gpu_hour"),
            0.0,
            1_000.0,
            p,
        );
        if a.price_usd_per_gpu_hour.quantile(0.99) == 0.0 {
            p.warn(
                format!("{path}.price_usd_per_gpu_hour"),
                "a price of 0: the contract earns nothing for the capacity it holds",
            );
        }
        a.load_frac
            .check_range(&format!("{path}.load_frac"), 0.0, 1.0, p);
        a.prepay_frac
            .check_range(&format!("{path}.prepay_frac"), 0.0, 1.0, p);
        a.renewal_frac
            .check_range(&format!("{path}.renewal_frac"), 0.0, 1.0, p);
    }
}

fn check_duration(path: &str, duration: &DurationSpec, p: &mut Problems) {
    let (dur, unit) = duration.param_and_unit();
    let dur_path = match duration {
        DurationSpec::Hours(_) => format!("{path}.Hours"),
        DurationSpec::Months(_) => format!("{path}.Months"),
    };
    dur.check_draw(&dur_path, 0.0, 1e6 / unit, p);
    if dur.is_fixed() && dur.quantile(0.5) <= 0.0 && p.iter().all(|x| x.path != dur_path) {
        p.push(dur_path, "must be > 0");
    }
}

fn check_regimes(r: &super::Regimes, p: &mut Problems) {
    let n = r.states.len();
    if n == 0 {
        p.push("demand.regimes.states", "at least one regime is needed");
        return;
    }
    let mut names = HashSet::new();
    for (i, st) in r.states.iter().enumerate() {
        let path = format!("demand.regimes.states[{i}]");
        if !names.insert(st.name.as_str()) {
            p.push(
                format!("{path}.name"),
                format!("\"{}\" is used by an earlier regime", st.name),
            );
        }
        for (name, v) in [
            ("demand_multiplier", st.demand_multiplier),
            ("price_multiplier", st.price_multiplier),
        ] {
            if v.is_finite() && !(v > 0.0 && v <= 100.0) {
                p.push(
                    format!("{path}.{name}"),
                    format!("{v} must be > 0 and at most 100"),
                );
            }
        }
    }
    let known = |name: &str| r.states.iter().any(|st| st.name == name);
    let list = r
        .states
        .iter()
        .map(|st| st.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if !known(&r.initial) {
        p.push(
            "demand.regimes.initial",
            format!("no regime named \"{}\" (regimes: {list})", r.initial),
        );
    }
    if r.monthly_transitions.len() != n {
        p.push(
            "demand.regimes.monthly_transitions",
            format!(
                "needs one row per regime: {} rows for {n} regimes",
                r.monthly_transitions.len()
            ),
        );
    }
    for (i, row) in r.monthly_transitions.iter().enumerate() {
        let path = format!("demand.regimes.monthly_transitions[{i}]");
        if row.len() != n {
            p.push(
                path.clone(),
                format!(
                    "needs {n} probabilities, one per regime; found {}",
                    row.len()
                ),
            );
        }
        let mut bad = false;
        for (j, x) in row.iter().enumerate() {
            if !x.is_finite() {
                p.push(
                    format!("{path}[{j}]"),
                    format!("{} is not a finite number", fmt_num(*x)),
                );
            } else if !(0.0..=1.0).contains(x) {
                p.push(
                    format!("{path}[{j}]"),
                    format!("{x} must be a probability between 0 and 1"),
                );
            } else {
                continue;
            }
            bad = true;
        }
        let sum: f64 = row.iter().sum();
        if !bad && (sum - 1.0).abs() > 1e-6 {
            p.push(
                path,
                format!(
                    "probabilities sum to {} (each row must sum to 1)",
                    round6(sum)
                ),
            );
        }
    }
    for (i, f) in r.forced.iter().enumerate() {
        let path = format!("demand.regimes.forced[{i}]");
        if !known(&f.state) {
            p.push(
                format!("{path}.state"),
                format!("no regime named \"{}\" (regimes: {list})", f.state),
            );
        }
        if f.from_month < 0 || f.to_month <= f.from_month || f.to_month > MAX_HORIZON_MONTHS as i64
        {
            p.push(
                path,
                format!(
                    "months {}..{} must satisfy 0 <= from_month < to_month <= {MAX_HORIZON_MONTHS}",
                    f.from_month, f.to_month
                ),
            );
        }
    }
}

fn check_pricing(s: &Scenario, catalog: &Catalog, p: &mut Problems) {
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

fn check_finance(s: &Scenario, p: &mut Problems) {
    let f = &s.finance;
    let before = p.len();
    f.discount_rate_frac
        .check_range("finance.discount_rate_frac", -0.1, 1.0, p);
    if p.len() == before && f.discount_rate_frac.quantile(0.01) < 0.0 {
        let verb = if f.discount_rate_frac.is_fixed() {
            "is"
        } else {
            "can be"
        };
        p.warn(
            "finance.discount_rate_frac",
            format!(
                "{} {verb} negative: later cash would count for more than cash today",
                f.discount_rate_frac.describe()
            ),
        );
    }
    for (name, v) in [
        ("gpu_servers", f.depreciation_years.gpu_servers),
        ("network", f.depreciation_years.network),
        ("facility", f.depreciation_years.facility),
        ("energy", f.depreciation_years.energy),
    ] {
        if !v.is_finite() {
            p.push(
                format!("finance.depreciation_years.{name}"),
                format!("{} is not a finite number", fmt_num(v)),
            );
        } else if !(v > 0.0 && v <= 100.0) {
            p.push(
                format!("finance.depreciation_years.{name}"),
                format!("{v} must be > 0 and at most 100"),
            );
        }
    }
    f.tax
        .rate_frac
        .check_range("finance.tax.rate_frac", 0.0, 1.0, p);
    let cap = f.tax.carryforward_cap_frac;
    if !(cap.is_finite() && (0.0..=1.0).contains(&cap)) {
        p.push(
            "finance.tax.carryforward_cap_frac",
            format!("{cap} must be between 0 and 1 (0.8: the US cap)"),
        );
    }
    let mut names = HashSet::new();
    for (i, d) in f.debt.iter().enumerate() {
        let path = format!("finance.debt[{i}]");
        if !names.insert(d.name.as_str()) {
            p.push(
                format!("{path}.name"),
                format!(
                    "\"{}\" is used by an earlier loan; names must be unique",
                    d.name
                ),
            );
        }
        d.loan_to_cost_frac
            .check_range(&format!("{path}.loan_to_cost_frac"), 0.0, 1.0, p);
        d.rate_frac
            .check_range(&format!("{path}.rate_frac"), -0.05, 1.0, p);
        if d.tenor_months < 1 || d.tenor_months > MAX_HORIZON_MONTHS as i64 {
            p.push(
                format!("{path}.tenor_months"),
                format!(
                    "{} must be between 1 and {MAX_HORIZON_MONTHS}",
                    d.tenor_months
                ),
            );
        } else if d.grace_months < 0 || d.grace_months >= d.tenor_months {
            p.push(
                format!("{path}.grace_months"),
                format!(
                    "{} must be at least 0 and below the tenor ({} months)",
                    d.grace_months, d.tenor_months
                ),
            );
        }
        if matches!(d.funds, crate::scenario::Funds::FinancedTranches)
            && !s
                .fleet
                .iter()
                .any(|t| t.financing.as_deref() == Some(d.name.as_str()))
        {
            p.warn(
                format!("{path}.funds"),
                format!(
                    "no tranche names \"{}\" in its `financing`, so the loan funds nothing",
                    d.name
                ),
            );
        }
    }
    for (i, t) in s.fleet.iter().enumerate() {
        if let Some(name) = &t.financing {
            match f.debt.iter().find(|d| &d.name == name) {
                None if !name.trim().is_empty() => p.push(
                    format!("fleet[{i}].financing"),
                    format!("no debt tranche named \"{name}\" in finance.debt ({})", f.debt.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")),
                ),
                Some(d) if !matches!(d.funds, crate::scenario::Funds::FinancedTranches) => p.warn(
                    format!("fleet[{i}].financing"),
                    format!("loan \"{name}\" funds {:?}, not the tranches that name it; the reference changes nothing", d.funds),
                ),
                _ => {}
            }
        }
    }
    let o = &f.opex;
    o.staff_usd_per_mw_year
        .check_range("finance.opex.staff_usd_per_mw_year", 0.0, 1e9, p);
    o.staff_usd_per_1000_gpus_year.check_range(
        "finance.opex.staff_usd_per_1000_gpus_year",
        0.0,
        1e9,
        p,
    );
    o.maintenance_frac_of_capex_per_year.check_range(
        "finance.opex.maintenance_frac_of_capex_per_year",
        0.0,
        1.0,
        p,
    );
    o.insurance_frac_of_capex_per_year.check_range(
        "finance.opex.insurance_frac_of_capex_per_year",
        0.0,
        1.0,
        p,
    );
    o.software_usd_per_gpu_month.check_range(
        "finance.opex.software_usd_per_gpu_month",
        0.0,
        1e6,
        p,
    );
    o.network_transit_usd_per_gpu_month.check_range(
        "finance.opex.network_transit_usd_per_gpu_month",
        0.0,
        1e6,
        p,
    );
    o.sga_frac_of_revenue
        .check_range("finance.opex.sga_frac_of_revenue", 0.0, 1.0, p);
}

/// A warning for GPUs that cost nothing (owned already, or donated, but more often a typo).
fn warn_free_gpus(path: &str, price: &Param, p: &mut Problems) {
    if price.quantile(0.99) == 0.0 && p.iter().all(|q| q.path != path) {
        p.warn(
            path,
            "a price of 0 per GPU: the servers add no capex and no depreciation",
        );
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
