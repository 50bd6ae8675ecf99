//! The models and how one replication is assembled from a scenario.
//!
//! Each model module exposes an `install` function that adds its resources and systems to an
//! [`Engine`] (the plugin shape, without `bevy_app`). [`build`] samples the uncertain inputs of a
//! replication, installs every model and schedules the month ends; [`run_replication`] runs it to
//! the end of the horizon and collects the results.

pub mod demand;
pub mod energy;
pub mod finance;
pub mod fleet;
pub mod market;
pub mod messages;
pub mod reliability;

use bevy_ecs::prelude::*;

use crate::engine::{Agenda, Clock, Engine, EventKind, Meter, SimEvent, Step};
use crate::params::{SampleMode, Sampler};
use crate::results::Replication;
use crate::rng::{KeyedStreams, Stream, stream_rng};
use crate::scenario::LoadedScenario;
use crate::time::{Calendar, HOURS_PER_YEAR, SimTime};

/// Options of one replication.
#[derive(Clone, Debug, Default)]
pub struct ReplicationOptions {
    /// How uncertain inputs are drawn.
    pub sample_mode: SampleMode,
    /// Record the exogenous draws (arrivals, failures) in [`Replication::trace`].
    pub trace: bool,
}

impl ReplicationOptions {
    /// The options of a run of `n` replications of `loaded` under master seed `seed`, as its
    /// `simulation.sampling` asks: independent draws, or a Latin hypercube design over the `n`
    /// replications (the same design for every variant of a sweep, so that variants keep common
    /// random numbers).
    pub fn for_run(loaded: &LoadedScenario, seed: u64, n: u64) -> ReplicationOptions {
        let sample_mode = match loaded.scenario.simulation.sampling {
            crate::scenario::Sampling::Random => SampleMode::Random,
            crate::scenario::Sampling::LatinHypercube => {
                SampleMode::LatinHypercube(std::sync::Arc::new(crate::params::LhsPlan::new(
                    seed,
                    n,
                    &uncertain_inputs(loaded),
                )))
            }
        };
        ReplicationOptions {
            sample_mode,
            trace: false,
        }
    }
}

/// Assemble the engine of replication `replication` of `loaded` under master seed `seed`.
/// Returns the engine and the values drawn for uncertain inputs.
pub fn build(
    loaded: &LoadedScenario,
    seed: u64,
    replication: u64,
    options: &ReplicationOptions,
) -> (Engine, Vec<(String, f64)>) {
    let s = &loaded.scenario;
    let catalog = &loaded.catalog;
    let mut sampler = Sampler::new(seed, replication, options.sample_mode.clone());
    let horizon = s.simulation.horizon();
    let calendar = Calendar::new(s.simulation.start, horizon);
    let mut engine = Engine::new(calendar.clone());

    // Month ends come first in the agenda, so at a month boundary the month is closed before
    // anything else happens at that instant.
    for m in 0..horizon {
        engine.schedule(calendar.month_start(m + 1), SimEvent::MonthEnd);
    }

    // Fleet: SKUs in order of first use by the fleet.
    let overhead = 1.0 + sampler.draw("site.it_overhead_frac", &s.site.it_overhead_frac);
    let mut sku_names: Vec<&str> = Vec::new();
    for name in s
        .fleet
        .iter()
        .map(|t| &t.sku)
        .chain(s.lifecycle.refresh.iter().map(|r| &r.sku))
    {
        if !sku_names.contains(&name.as_str()) {
            sku_names.push(name);
        }
    }
    let sku_index = |name: &str| sku_names.iter().position(|n| *n == name).map(|i| i as u16);
    let rel = &s.reliability;
    let rate_multiplier = sampler.draw(
        "reliability.failure_rate_multiplier",
        &rel.failure_rate_multiplier,
    );
    let skus: Vec<fleet::SkuSpec> = sku_names
        .iter()
        .map(|name| {
            let c = catalog.sku(name).expect("validated SKU");
            fleet::SkuSpec {
                name: c.name.clone(),
                gpus_per_node: c.gpus_per_node,
                idle_kw: c.node_idle_kw * overhead,
                max_kw: c.node_max_kw * overhead,
                transient_per_hour: fleet::per_node_per_hour(
                    c.transient_failures_per_gpu_year,
                    c.gpus_per_node,
                    rate_multiplier,
                ),
                permanent_per_hour: fleet::per_node_per_hour(
                    c.permanent_failures_per_gpu_year,
                    c.gpus_per_node,
                    rate_multiplier,
                ),
            }
        })
        .collect();
    let month_in_horizon = |m: f64| -> Option<u32> {
        let m = m.max(0.0).floor();
        if m < horizon as f64 {
            Some(m as u32)
        } else {
            None
        }
    };
    let phases = s
        .site
        .phases
        .iter()
        .enumerate()
        .map(|(i, ph)| {
            let it_mw = sampler.draw(&format!("site.phases[{i}].it_mw"), &ph.it_mw);
            let ready = sampler.draw(&format!("site.phases[{i}].ready_month"), &ph.ready_month);
            let capex = sampler.draw(
                &format!("site.phases[{i}].capex_usd_per_mw"),
                &ph.capex_usd_per_mw,
            );
            fleet::PhasePlan {
                name: ph.name.clone(),
                it_kw: it_mw * 1000.0,
                ready_month: month_in_horizon(ready),
                ready_month_raw: ready.max(0.0).floor().min(1e6) as i64,
                capex_usd: capex * it_mw,
            }
        })
        .collect();
    let mut tranches: Vec<fleet::TranchePlan> = s
        .fleet
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let sku = catalog.sku(&t.sku).expect("validated SKU");
            let lead = sampler.draw(&format!("fleet[{i}].lead_time_months"), &t.lead_time_months);
            let price_param = t
                .price_usd_per_gpu
                .as_ref()
                .unwrap_or(&sku.price_usd_per_gpu);
            let price = sampler.draw(&format!("fleet[{i}].price_usd_per_gpu"), price_param);
            let network = sampler.draw(
                &format!("fleet[{i}].network_usd_per_node"),
                &t.network_usd_per_node,
            );
            let delivery_month = month_in_horizon(t.order_month as f64 + lead.round());
            fleet::TranchePlan {
                name: t.name.clone(),
                sku: sku_index(&t.sku).expect("listed above"),
                n_nodes: t.gpu_count() / sku.gpus_per_node,
                delivery_month,
                retire_month: t
                    .retire_after_months
                    .zip(delivery_month)
                    .and_then(|(a, d)| month_in_horizon((d as i64 + a) as f64)),
                price_usd_per_gpu: price,
                network_usd_per_node: network,
                embodied_tco2_per_gpu: sampler.draw(
                    &format!("fleet[{i}].embodied_tco2_per_gpu"),
                    &t.embodied_tco2_per_gpu,
                ),
            }
        })
        .collect();
    // Refresh: the replaced tranche retires at the given age and the new one arrives then.
    for (i, r) in s.lifecycle.refresh.iter().enumerate() {
        let sku = catalog.sku(&r.sku).expect("validated SKU");
        let price_param = r
            .price_usd_per_gpu
            .as_ref()
            .unwrap_or(&sku.price_usd_per_gpu);
        let price = sampler.draw(
            &format!("lifecycle.refresh[{i}].price_usd_per_gpu"),
            price_param,
        );
        let network = sampler.draw(
            &format!("lifecycle.refresh[{i}].network_usd_per_node"),
            &r.network_usd_per_node,
        );
        let old = tranches
            .iter()
            .position(|t| t.name == r.replaces)
            .expect("validated reference");
        let swap = tranches[old]
            .delivery_month
            .and_then(|d| month_in_horizon((d as i64 + r.at_age_months) as f64));
        tranches[old].retire_month = swap;
        tranches.push(fleet::TranchePlan {
            name: r.name.clone(),
            sku: sku_index(&r.sku).expect("listed above"),
            n_nodes: (r.gpus.max(0) as u32) / sku.gpus_per_node,
            delivery_month: swap,
            retire_month: r
                .retire_after_months
                .zip(swap)
                .and_then(|(a, d)| month_in_horizon((d as i64 + a) as f64)),
            price_usd_per_gpu: price,
            network_usd_per_node: network,
            embodied_tco2_per_gpu: 0.0,
        });
    }
    let reliability = fleet::ReliabilityPlan {
        failures: rel.failures,
        transient_repair_hours: rel.transient_repair_hours.dist(),
        permanent_repair_hours: scale_dist(rel.permanent_repair_days.dist(), 24.0),
        spares_frac: rel.spares_frac,
        streams: KeyedStreams::new(seed, replication, Stream::Failures),
    };
    let mut plan = fleet::FleetPlan {
        skus,
        tranches,
        phases,
        reliability,
        resale_by_age_years: s.lifecycle.resale_residual_frac_by_age_years.clone(),
        max_it_kw: None,
    };

    // Market regimes and prices.
    let n_skus = plan.skus.len();
    let regime_spec = s.demand.regimes.as_ref().map(|r| {
        let index = |name: &str| {
            r.states
                .iter()
                .position(|st| st.name == name)
                .expect("validated regime name")
        };
        market::RegimeSpec {
            demand_multiplier: r.states.iter().map(|st| st.demand_multiplier).collect(),
            price_multiplier: r.states.iter().map(|st| st.price_multiplier).collect(),
            initial: index(&r.initial),
            transitions: r.monthly_transitions.clone(),
            forced: r
                .forced
                .iter()
                .map(|f| (f.from_month, f.to_month, index(&f.state)))
                .collect(),
        }
    });
    let (_regime, demand_multiplier, price_multiplier) = market::regime_path(
        regime_spec.as_ref(),
        horizon,
        &mut stream_rng(seed, replication, Stream::Market),
    );
    let mut price_rng = stream_rng(seed, replication, Stream::Prices);
    let mut market_paths = vec![vec![0.0; horizon as usize]; n_skus];
    for (i, m) in s.pricing.market.iter().enumerate() {
        let path = format!("pricing.market[{i}]");
        let spec = market::PriceSpec {
            start_usd_per_gpu_hour: sampler.draw(
                &format!("{path}.on_demand_usd_per_gpu_hour"),
                &m.on_demand_usd_per_gpu_hour,
            ),
            decline_per_year_frac: sampler.draw(
                &format!("{path}.decline_per_year_frac"),
                &m.decline_per_year_frac,
            ),
            volatility_per_month: m.volatility_per_month,
            shock_half_life_months: m.shock_half_life_months,
            step: m.next_generation.as_ref().map(|g| {
                (
                    sampler.draw(&format!("{path}.next_generation.month"), &g.month),
                    sampler.draw(
                        &format!("{path}.next_generation.price_drop_frac"),
                        &g.price_drop_frac,
                    ),
                )
            }),
        };
        // Every priced SKU draws its path, in scenario order, so paths do not depend on the fleet.
        let mut prices = market::price_path(&spec, &price_multiplier, &mut price_rng);
        for p in &mut prices {
            *p *= s.pricing.price_scale;
        }
        if let Some(k) = sku_index(&m.sku) {
            market_paths[k as usize] = prices;
        }
    }
    let prices = demand::Prices {
        market: market_paths,
        reserved_discount_frac: sampler.draw(
            "pricing.reserved_discount_frac",
            &s.pricing.reserved_discount_frac,
        ),
        spot_discount_frac: sampler
            .draw("pricing.spot_discount_frac", &s.pricing.spot_discount_frac),
        policy: s.pricing.policy.clone(),
    };

    // Demand.
    let d = &s.demand;
    let arrivals_per_day = sampler.draw("demand.arrivals_per_day", &d.arrivals_per_day);
    let growth = sampler.draw("demand.growth_per_year_frac", &d.growth_per_year_frac);
    let mut cumulative = 0.0;
    let mut cumulative_share = Vec::new();
    let classes = d
        .mix
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cumulative += c.share_frac;
            cumulative_share.push(cumulative);
            let (dur, unit) = c.duration.param_and_unit();
            let skus: Vec<u16> = if c.skus.is_empty() {
                (0..n_skus as u16).collect()
            } else {
                c.skus.iter().filter_map(|n| sku_index(n)).collect()
            };
            demand::ClassModel {
                class: c.class,
                size_gpus: c.size_gpus.dist(),
                duration: dur.dist(),
                duration_unit_hours: unit,
                skus,
                load_frac: sampler.draw(&format!("demand.mix[{i}].load_frac"), &c.load_frac),
                single_cluster: c.single_cluster,
                max_price_ratio: c.max_price_ratio.as_ref().map(|p| p.dist()),
                renewal_frac: sampler
                    .draw(&format!("demand.mix[{i}].renewal_frac"), &c.renewal_frac),
                prepay_frac: sampler.draw(&format!("demand.mix[{i}].prepay_frac"), &c.prepay_frac),
                patience_hours: d
                    .patience
                    .iter()
                    .find(|p| p.class == c.class)
                    .map(|p| p.hours.dist()),
            }
        })
        .collect();
    if let Some(last) = cumulative_share.last_mut() {
        *last = 1.0;
    }
    let anchors = d
        .anchors
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let path = format!("demand.anchors[{i}]");
            let (dur, unit) = a.duration.param_and_unit();
            Some(demand::AnchorModel {
                sku: sku_index(&a.sku)?,
                gpus: a.gpus.max(0) as u32,
                duration_hours: sampler.draw(&format!("{path}.duration"), dur) * unit,
                price_usd_per_gpu_hour: sampler.draw(
                    &format!("{path}.price_usd_per_gpu_hour"),
                    &a.price_usd_per_gpu_hour,
                ) * s.pricing.price_scale,
                load_frac: sampler.draw(&format!("{path}.load_frac"), &a.load_frac),
                single_cluster: a.single_cluster,
                prepay_frac: sampler.draw(&format!("{path}.prepay_frac"), &a.prepay_frac),
                renewal_frac: sampler.draw(&format!("{path}.renewal_frac"), &a.renewal_frac),
                sign_month: a.sign_month.max(0) as u32,
            })
        })
        .collect();
    let (amplitude, peak_years) = match &d.seasonality {
        Some(season) => {
            let offset =
                (season.peak_month as i64 - s.simulation.start.month as i64).rem_euclid(12) as f64;
            (season.amplitude_frac, (offset + 0.5) / 12.0)
        }
        None => (0.0, 0.0),
    };
    let demand_model = demand::DemandModel {
        base_per_hour: arrivals_per_day / 24.0,
        growth_ln_per_year: (1.0 + growth).max(1e-9).ln(),
        season_amplitude: amplitude,
        season_peak_years: peak_years,
        month_multiplier: demand_multiplier,
        calendar: calendar.clone(),
        classes,
        cumulative_share,
        anchors,
        bounds: Vec::new(),
    }
    .prepare();

    // Energy.
    let energy_model = energy_setup(loaded, seed, replication, &mut sampler, &mut plan);
    // Finance.
    let f = &s.finance;
    let o = &f.opex;
    let opex = finance::OpexModel {
        staff_usd_per_mw_year: sampler.draw(
            "finance.opex.staff_usd_per_mw_year",
            &o.staff_usd_per_mw_year,
        ),
        staff_usd_per_1000_gpus_year: sampler.draw(
            "finance.opex.staff_usd_per_1000_gpus_year",
            &o.staff_usd_per_1000_gpus_year,
        ),
        maintenance_frac_of_capex_per_year: sampler.draw(
            "finance.opex.maintenance_frac_of_capex_per_year",
            &o.maintenance_frac_of_capex_per_year,
        ),
        insurance_frac_of_capex_per_year: sampler.draw(
            "finance.opex.insurance_frac_of_capex_per_year",
            &o.insurance_frac_of_capex_per_year,
        ),
        software_usd_per_gpu_month: sampler.draw(
            "finance.opex.software_usd_per_gpu_month",
            &o.software_usd_per_gpu_month,
        ),
        network_transit_usd_per_gpu_month: sampler.draw(
            "finance.opex.network_transit_usd_per_gpu_month",
            &o.network_transit_usd_per_gpu_month,
        ),
        sga_frac_of_revenue: sampler
            .draw("finance.opex.sga_frac_of_revenue", &o.sga_frac_of_revenue),
        rent_usd_per_kw_month: sampler.draw(
            "site.colocation_rent_usd_per_kw_month",
            &s.site.colocation_rent_usd_per_kw_month,
        ),
    };
    let loans = f
        .debt
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let path = format!("finance.debt[{i}]");
            let annual = sampler.draw(&format!("{path}.rate_frac"), &d.rate_frac);
            finance::LoanPlan {
                name: d.name.clone(),
                loan_to_cost_frac: sampler
                    .draw(&format!("{path}.loan_to_cost_frac"), &d.loan_to_cost_frac),
                // A nominal annual rate compounded monthly, as banks quote loans.
                rate_monthly: annual / 12.0,
                tenor_months: d.tenor_months.max(1) as u32,
                grace_months: d.grace_months.max(0) as u32,
                amortization: d.amortization,
                funds: match d.funds {
                    crate::scenario::Funds::AllCapex => finance::FundedCapex::All,
                    crate::scenario::Funds::Facility => finance::FundedCapex::Facility,
                    crate::scenario::Funds::FinancedTranches => finance::FundedCapex::Tranches(
                        s.fleet
                            .iter()
                            .enumerate()
                            .filter(|(_, t)| t.financing.as_deref() == Some(d.name.as_str()))
                            .map(|(k, _)| k as u16)
                            .collect(),
                    ),
                },
            }
        })
        .collect();
    let phase_draws = s
        .site
        .phases
        .iter()
        .zip(&plan.phases)
        .map(|(ph, pp)| {
            // Equal draws over the construction months before the ready month; draws that would
            // fall before month 0 are paid in month 0; nothing is paid after the horizon.
            let ready = pp.ready_month_raw;
            let n = ph.construction_months.max(0);
            let months: Vec<i64> = if n == 0 {
                vec![ready]
            } else {
                (ready - n..ready).collect()
            };
            let per = pp.capex_usd / months.len() as f64;
            let mut draws: Vec<(u32, f64)> = Vec::new();
            for m in months {
                let m = m.max(0);
                if m >= horizon as i64 {
                    continue;
                }
                match draws.last_mut() {
                    Some((last, usd)) if *last == m as u32 => *usd += per,
                    _ => draws.push((m as u32, per)),
                }
            }
            finance::PhaseDraws {
                draws,
                cost: pp.capex_usd,
            }
        })
        .collect();
    let finance_model = finance::FinanceModel {
        discount_rate_frac: sampler.draw("finance.discount_rate_frac", &f.discount_rate_frac),
        life_months: [
            f.depreciation_years.gpu_servers * 12.0,
            f.depreciation_years.network * 12.0,
            f.depreciation_years.facility * 12.0,
            f.depreciation_years.energy * 12.0,
        ],
        opex,
        terminal_value: f.terminal_value,
        tax_rate_frac: sampler.draw("finance.tax.rate_frac", &f.tax.rate_frac),
        loss_carryforward: f.tax.loss_carryforward,
        carryforward_cap_frac: f.tax.carryforward_cap_frac,
        loans,
        phases: phase_draws,
    };
    let n_tranches = plan.tranches.len();

    fleet::install(&mut engine, plan, options.trace);
    reliability::install(&mut engine);
    demand::install(
        &mut engine,
        demand_model,
        prices,
        s.reliability.sla.tiers.clone(),
        n_skus,
        stream_rng(seed, replication, Stream::Demand),
        KeyedStreams::new(seed, replication, Stream::Customers),
        options.trace,
    );
    let energy_capex = energy_model.1;
    let battery_capex = energy_model
        .0
        .spec
        .battery
        .as_ref()
        .map_or(0.0, |b| b.replacement_usd);
    energy::install(&mut engine, energy_model.0);
    finance::install(&mut engine, finance_model, n_tranches);
    // On-site energy assets are bought before the first month.
    for (usd, battery) in [(energy_capex, false), (battery_capex, true)] {
        engine.world.write_message(messages::CapexBooked {
            class: messages::AssetClass::Energy,
            usd,
            units: 1,
            tranche: None,
            battery,
        });
    }
    engine
        .schedule_mut(EventKind::MonthEnd)
        .add_systems(roll_month.in_set(Step::Advance));
    {
        let hours = calendar.hours_in_month(0) as usize;
        engine
            .world
            .resource_mut::<Meter>()
            .start_month(SimTime::ZERO, hours);
    }
    const { assert!(HOURS_PER_YEAR == 8760) };
    (engine, sampler.into_drawn())
}

/// The energy model of a replication and the capex of its on-site energy assets other than the
/// battery (whose capex is its `replacement_usd`). When commissioning waits for power, also sets
/// the fleet's interconnect limit.
fn energy_setup(
    loaded: &LoadedScenario,
    seed: u64,
    replication: u64,
    sampler: &mut Sampler,
    plan: &mut fleet::FleetPlan,
) -> (energy::EnergyModel, f64) {
    use crate::energy::dispatch::{BatterySpec, EnergySpec, Facility, GasSpec, PpaSpec};
    use crate::energy::prices::{MarketGen, first_weekday};
    use crate::energy::weather::WeatherGen;
    use crate::scenario::{PowerCap, PpaVolume};
    let s = &loaded.scenario;
    let catalog = &loaded.catalog;
    let e = &s.energy;
    let climate = catalog
        .climate(&s.site.climate)
        .expect("validated climate")
        .clone();
    let facility = match (&s.site.pue, &s.site.cooling) {
        (Some(p), _) => Facility::FixedPue(sampler.draw("site.pue", p)),
        (None, Some(name)) => Facility::Cooling(
            catalog
                .cooling_preset(name)
                .expect("validated preset")
                .clone(),
        ),
        (None, None) => unreachable!("validation requires a cooling preset or a PUE"),
    };
    let interconnect_kw = s
        .site
        .interconnect_mw
        .as_ref()
        .map(|p| sampler.draw("site.interconnect_mw", p) * 1000.0);
    if let (Some(limit), PowerCap::WaitCommissioning) = (interconnect_kw, s.site.power_cap) {
        // A design-hot hour: the preset's warmest hour plus two standard deviations of weather.
        let design_c = match &loaded.weather_csv {
            Some(v) => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            None => {
                climate.annual_mean_c
                    + climate.seasonal_swing_c
                    + climate.daily_swing_c
                    + 2.0 * climate.noise_sd_c
            }
        };
        let (k, fixed_per_kw) = facility.split(1.0, design_c);
        plan.max_it_kw = Some(limit / (k + fixed_per_kw));
    }
    let mut capex = 0.0;
    let mut om_month = 0.0;
    let mut renewable =
        |name: &str, r: &Option<crate::scenario::Renewable>, sampler: &mut Sampler| -> f64 {
            let Some(r) = r else { return 0.0 };
            let kw = sampler.draw(&format!("energy.{name}.mw"), &r.mw) * 1000.0;
            capex += kw
                * sampler.draw(
                    &format!("energy.{name}.capex_usd_per_kw"),
                    &r.capex_usd_per_kw,
                );
            om_month +=
                kw * sampler.draw(
                    &format!("energy.{name}.om_usd_per_kw_year"),
                    &r.om_usd_per_kw_year,
                ) / 12.0;
            kw
        };
    let solar_kw = renewable("solar", &e.solar, sampler);
    let wind_kw = renewable("wind", &e.wind, sampler);
    let battery = e.battery.as_ref().map(|b| {
        let per_kwh = sampler.draw("energy.battery.capex_usd_per_kwh", &b.capex_usd_per_kwh);
        let capacity_kwh = b.energy_mwh * 1000.0;
        BatterySpec {
            capacity_kwh,
            power_kw: b.power_mw * 1000.0,
            round_trip: b.round_trip_efficiency_frac,
            wear_usd_per_kwh: per_kwh / b.life_cycles,
            life_cycles: b.life_cycles,
            replacement_usd: capacity_kwh * per_kwh,
            dispatch: b.dispatch.clone(),
        }
    });
    let gas = e.gas.as_ref().map(|g| {
        let fuel = sampler.draw("energy.gas.fuel_usd_per_mmbtu", &g.fuel_usd_per_mmbtu);
        let om = sampler.draw("energy.gas.om_usd_per_mwh", &g.om_usd_per_mwh);
        capex += g.mw * 1000.0 * sampler.draw("energy.gas.capex_usd_per_kw", &g.capex_usd_per_kw);
        GasSpec {
            kw: g.mw * 1000.0,
            heat_rate_btu_per_kwh: g.heat_rate_btu_per_kwh,
            marginal_usd_per_kwh: g.heat_rate_btu_per_kwh / 1e6 * fuel + om / 1000.0,
            mode: g.mode,
        }
    });
    let ppa = e.ppa.as_ref().map(|p| {
        let (profile, mw) = match p.volume {
            PpaVolume::Solar(mw) => (0, mw),
            PpaVolume::Wind(mw) => (1, mw),
            PpaVolume::Baseload(mw) => (2, mw),
        };
        PpaSpec {
            strike_usd_per_kwh: sampler
                .draw("energy.ppa.strike_usd_per_mwh", &p.strike_usd_per_mwh)
                / 1000.0,
            profile,
            kw: mw * 1000.0,
            settlement: p.settlement,
        }
    });
    let tariff = match &e.tariff {
        crate::scenario::Tariff::Flat { price_usd_per_kwh } => energy::TariffModel::Flat(
            sampler.draw("energy.tariff.price_usd_per_kwh", price_usd_per_kwh),
        ),
        crate::scenario::Tariff::TimeOfUse {
            peak_usd_per_kwh,
            off_peak_usd_per_kwh,
            peak_start_hour,
            peak_end_hour,
            weekdays_only,
        } => energy::TariffModel::TimeOfUse {
            peak: sampler.draw("energy.tariff.peak_usd_per_kwh", peak_usd_per_kwh),
            off_peak: sampler.draw("energy.tariff.off_peak_usd_per_kwh", off_peak_usd_per_kwh),
            start: *peak_start_hour,
            end: *peak_end_hour,
            weekdays_only: *weekdays_only,
        },
        crate::scenario::Tariff::Market {
            preset,
            price_scale,
            delivery_usd_per_mwh,
        } => energy::TariffModel::Market(
            MarketGen::new(
                catalog.market(preset).expect("validated preset").clone(),
                sampler.draw("energy.tariff.price_scale", price_scale),
            ),
            sampler.draw("energy.tariff.delivery_usd_per_mwh", delivery_usd_per_mwh) / 1000.0,
        ),
        crate::scenario::Tariff::Csv {
            delivery_usd_per_mwh,
            ..
        } => energy::TariffModel::Hourly(
            loaded.price_csv.clone().expect("read at load time"),
            sampler.draw("energy.tariff.delivery_usd_per_mwh", delivery_usd_per_mwh) / 1000.0,
        ),
    };
    let spec = EnergySpec {
        facility,
        interconnect_kw,
        ppa,
        solar_kw,
        wind_kw,
        battery,
        gas,
        export: e.export,
        carbon_usd_per_t: sampler.draw(
            "energy.carbon_price_usd_per_tco2",
            &e.carbon_price_usd_per_tco2,
        ),
        demand_charge_usd_per_kw_month: sampler.draw(
            "energy.demand_charge_usd_per_kw_month",
            &e.demand_charge_usd_per_kw_month,
        ),
        fixed_usd_per_month: sampler.draw("energy.fixed_usd_per_month", &e.fixed_usd_per_month),
        asset_om_usd_per_month: om_month,
        grid_carbon_free_frac: climate.grid_carbon_free_frac,
    };
    let model = energy::EnergyModel {
        spec,
        tariff,
        weather: WeatherGen::new(climate, loaded.weather_csv.clone()),
        weather_rng: stream_rng(seed, replication, Stream::Weather),
        price_rng: stream_rng(seed, replication, Stream::Electricity),
        state: Default::default(),
        first_weekday: first_weekday(s.simulation.start.year, s.simulation.start.month),
        capture_months: s.simulation.hourly_capture(replication).unwrap_or(0),
    };
    (model, capex)
}

/// A distribution scaled by a positive factor (days to hours, say).
fn scale_dist(d: crate::dist::Dist, k: f64) -> crate::dist::Dist {
    use crate::dist::Dist;
    match d {
        Dist::Fixed(x) => Dist::Fixed(x * k),
        Dist::Uniform(a, b) => Dist::Uniform(a * k, b * k),
        Dist::Triangular(a, c, b) => Dist::Triangular(a * k, c * k, b * k),
        Dist::Normal(m, sd) => Dist::Normal(m * k, sd * k),
        Dist::LogNormal(m, p90) => Dist::LogNormal(m * k, p90 * k),
        Dist::Pert(a, c, b) => Dist::Pert(a * k, c * k, b * k),
        Dist::Exponential(m) => Dist::Exponential(m * k),
        Dist::Pareto(m, shape) => Dist::Pareto(m * k, shape),
        Dist::Discrete(items) => {
            Dist::Discrete(items.into_iter().map(|(v, w)| (v * k, w)).collect())
        }
    }
}

/// Start the next month: reset the meter's monthly integrals and advance the month index.
fn roll_month(agenda: Res<Agenda>, mut clock: ResMut<Clock>, mut meter: ResMut<Meter>) {
    clock.month += 1;
    let hours = clock.calendar.hours_in_month(clock.month) as usize;
    meter.start_month(agenda.now(), hours);
}

/// Run replication `replication` of `loaded` under master seed `seed` to the end of its horizon.
///
/// Panics with the message of [`try_run_replication`] if the replication fails.
pub fn run_replication(
    loaded: &LoadedScenario,
    seed: u64,
    replication: u64,
    options: &ReplicationOptions,
) -> Replication {
    try_run_replication(loaded, seed, replication, options).unwrap_or_else(|e| panic!("{e}"))
}

/// Run replication `replication` of `loaded` under master seed `seed` to the end of its horizon,
/// or say why it has no results: a ledger line that was not a finite number (with the month, and
/// the uncertain inputs drawn as non-finite numbers if any), so that no KPI is computed from it.
pub fn try_run_replication(
    loaded: &LoadedScenario,
    seed: u64,
    replication: u64,
    options: &ReplicationOptions,
) -> Result<Replication, String> {
    let (engine, params) = build(loaded, seed, replication, options);
    run_built(engine, params, replication)
}

/// Run an engine made by [`build`] (with the uncertain inputs it drew) to the end of its horizon
/// and collect its results, as [`try_run_replication`] does.
pub fn run_built(
    mut engine: Engine,
    params: Vec<(String, f64)>,
    replication: u64,
) -> Result<Replication, String> {
    if let Err(e) = engine.initialize() {
        panic!("the event schedules are inconsistent: {e}");
    }
    let end = engine.world.resource::<Clock>().calendar.end();
    let events = engine.run_until(end);
    // The exogenous draws, when the options asked for them (both traces are on together).
    let arrivals = engine
        .world
        .resource_mut::<demand::DemandState>()
        .trace
        .take();
    let failures = engine.world.resource_mut::<fleet::FailureTrace>().0.take();
    let trace = arrivals
        .zip(failures)
        .map(|(arrivals, failures)| crate::results::Trace { arrivals, failures });
    let ledger = engine.world.resource::<finance::Ledger>();
    let kpis = finance::kpis(ledger).map_err(|why| {
        let inputs: Vec<String> = params
            .iter()
            .filter(|(_, v)| !v.is_finite())
            .map(|(path, v)| format!("{path} = {v}"))
            .collect();
        if inputs.is_empty() {
            format!("not a number in the results: {why}")
        } else {
            format!(
                "not a number in the results: {why} (inputs drawn as non-finite numbers: {})",
                inputs.join(", ")
            )
        }
    })?;
    let skus = engine
        .world
        .resource::<fleet::FleetPlan>()
        .skus
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let history = engine.world.resource::<fleet::FleetHistory>();
    let market_prices = engine
        .world
        .resource::<demand::DemandState>()
        .prices
        .market
        .clone();
    Ok(Replication {
        index: replication,
        kpis,
        months: ledger.rows.clone(),
        params,
        events,
        fleet: history.rows.clone(),
        skus,
        market_prices,
        hourly: std::mem::take(&mut engine.world.resource_mut::<energy::HourlySample>().0),
        trace,
    })
}

/// Field paths of every uncertain input of a scenario (those a replication draws), in drawing order.
pub fn uncertain_inputs(loaded: &LoadedScenario) -> Vec<String> {
    let (_, drawn) = build(loaded, 0, 0, &ReplicationOptions::default());
    drawn.into_iter().map(|(path, _)| path).collect()
}
