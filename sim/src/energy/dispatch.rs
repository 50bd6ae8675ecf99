//! Hourly supply dispatch and energy accounting of one month.
//!
//! For each hour: facility load = cooling model applied to the hour's exact IT energy; if the
//! facility would draw more than the interconnect, IT power is capped (and the hour's revenue
//! with it). Supply then comes, in this order, from on-site solar and wind, a physical PPA, the
//! battery, on-site gas (always, when islanded; when grid-parallel, in the hours it is cheaper than
//! the grid, carbon price included) and the grid. Surplus on-site or PPA energy charges the battery
//! (under price arbitrage only where the day's dearest hour, after round-trip losses and wear, pays
//! more than exporting it), then is exported at the market price (or curtailed). Arbitrage charges
//! from the grid in the day's cheapest hours, but never above the month's peak import without the
//! battery where a demand charge applies. Every hour satisfies
//! `load = grid import + PPA + solar + wind + gas + battery discharge - battery charge`.
//!
//! Emissions are counted twice, as the GHG Protocol Scope 2 Guidance (2015) asks: location-based
//! (every grid kWh at the grid's hourly factor) and market-based, hourly matched (contracted
//! clean energy and on-site generation netted against the grid import of the same hour; the
//! residual import at the grid's hourly factor). On-site gas (Scope 1) is in both.

use super::cooling::CoolingPreset;
use super::weather::HourWeather;
use serde::{Deserialize, Serialize};

/// kgCO2 per MMBtu of natural gas burned (US EPA emission factors for greenhouse gas inventories).
pub const GAS_KG_CO2_PER_MMBTU: f64 = 53.06;

/// PPA settlement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Settlement {
    /// The energy is delivered to the site and paid at the strike; surplus hours are sold at market.
    Physical,
    /// Virtual (financial): the site buys all its energy from the grid, and the PPA pays
    /// (market - strike) x volume each hour (negative when the market is below the strike). The
    /// market price is the wholesale price of a `Market` or `Csv` tariff; under a `Flat` or
    /// `TimeOfUse` tariff, which has none, it is the retail price itself.
    Virtual,
}

/// How the battery is run.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub enum BatteryDispatch {
    /// Each day, charge in the cheapest hours and discharge in the dearest when the spread pays
    /// for the losses and the wear.
    PriceArbitrage,
    /// Keep grid import at or below this share of the month's peak without the battery.
    PeakShaving(f64),
}

/// Gas operating mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum GasMode {
    /// Gas carries the load up to its capacity every hour; the grid covers the rest.
    Islanded,
    /// Gas runs in the hours when its marginal cost is below the grid price.
    GridParallel,
}

/// How facility power relates to IT power.
#[derive(Clone, Debug)]
pub enum Facility {
    /// A fixed PUE.
    FixedPue(f64),
    /// A weather-driven cooling preset.
    Cooling(CoolingPreset),
}

impl Facility {
    /// Facility energy of an hour and the factor `k` with facility = it x k + fixed.
    pub fn split(&self, capacity_kw: f64, t_c: f64) -> (f64, f64) {
        match self {
            Facility::FixedPue(p) => (*p, 0.0),
            Facility::Cooling(c) => (
                1.0 + c.electrical_loss_frac + c.cooling_frac(t_c),
                c.fixed_frac * capacity_kw,
            ),
        }
    }

    /// Water used on site per kWh of IT energy at outdoor dry-bulb temperature `t_c` and wet-bulb
    /// temperature `wet_bulb_c` (NaN where unknown), litres; `None` with a fixed PUE, which says
    /// nothing about how heat is rejected.
    pub fn water_l_per_kwh(&self, t_c: f64, wet_bulb_c: f64) -> Option<f64> {
        match self {
            Facility::FixedPue(_) => None,
            Facility::Cooling(c) => Some(c.water_l_per_kwh(t_c, wet_bulb_c)),
        }
    }
}

/// Physical PPA or virtual contract inputs.
#[derive(Clone, Debug)]
pub struct PpaSpec {
    /// Strike, USD per kWh.
    pub strike_usd_per_kwh: f64,
    /// Profile: 0 solar, 1 wind, 2 baseload.
    pub profile: u8,
    /// Capacity (solar or wind MW, or the baseload block) in kW.
    pub kw: f64,
    /// Settlement.
    pub settlement: Settlement,
}

/// Battery inputs.
#[derive(Clone, Debug)]
pub struct BatterySpec {
    /// Capacity, kWh.
    pub capacity_kwh: f64,
    /// Power, kW.
    pub power_kw: f64,
    /// Round-trip efficiency.
    pub round_trip: f64,
    /// Wear cost per kWh discharged, USD (capex per kWh / life cycles), used to decide arbitrage.
    pub wear_usd_per_kwh: f64,
    /// Full cycles before replacement.
    pub life_cycles: f64,
    /// Replacement cost, USD.
    pub replacement_usd: f64,
    /// Dispatch policy.
    pub dispatch: BatteryDispatch,
}

/// Gas inputs.
#[derive(Clone, Debug)]
pub struct GasSpec {
    /// Capacity, kW.
    pub kw: f64,
    /// Heat rate, Btu per kWh.
    pub heat_rate_btu_per_kwh: f64,
    /// Marginal cost, USD per kWh (fuel and variable O&M).
    pub marginal_usd_per_kwh: f64,
    /// Operating mode.
    pub mode: GasMode,
}

/// Energy inputs of one replication.
#[derive(Clone, Debug)]
pub struct EnergySpec {
    /// Facility power model.
    pub facility: Facility,
    /// Interconnect limit, kW.
    pub interconnect_kw: Option<f64>,
    /// PPA.
    pub ppa: Option<PpaSpec>,
    /// On-site solar, kW.
    pub solar_kw: f64,
    /// On-site wind, kW.
    pub wind_kw: f64,
    /// Battery.
    pub battery: Option<BatterySpec>,
    /// Gas.
    pub gas: Option<GasSpec>,
    /// Surplus is exported (else curtailed).
    pub export: bool,
    /// Carbon price, USD per tCO2.
    pub carbon_usd_per_t: f64,
    /// Demand charge, USD per kW-month.
    pub demand_charge_usd_per_kw_month: f64,
    /// Fixed grid charges, USD per month.
    pub fixed_usd_per_month: f64,
    /// Fixed O&M of on-site assets, USD per month.
    pub asset_om_usd_per_month: f64,
    /// Share of grid energy that is carbon-free.
    pub grid_carbon_free_frac: f64,
}

/// One hour's inputs.
#[derive(Clone, Copy, Debug, Default)]
pub struct HourIn {
    /// IT energy, kWh.
    pub it_kwh: f64,
    /// Commissioned IT capacity, kW (hour average).
    pub capacity_kw: f64,
    /// Revenue earned in the hour, USD.
    pub revenue_usd: f64,
    /// Weather.
    pub weather: HourWeather,
    /// Grid energy price, USD per kWh (including delivery).
    pub grid_usd_per_kwh: f64,
    /// Market price for exports and virtual settlement, USD per kWh.
    pub market_usd_per_kwh: f64,
}

/// One hour's flows, kWh (kept for tests and hourly output).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct HourFlows {
    /// Facility load after any cap.
    pub load: f64,
    /// Grid import.
    pub grid: f64,
    /// PPA energy used on site (physical).
    pub ppa: f64,
    /// Solar used on site.
    pub solar: f64,
    /// Wind used on site.
    pub wind: f64,
    /// Gas generation.
    pub gas: f64,
    /// Battery discharge to the site.
    pub discharge: f64,
    /// Battery charge (from any source).
    pub charge: f64,
    /// Battery state of charge at the end of the hour.
    pub soc: f64,
    /// Exported surplus.
    pub export: f64,
    /// Outdoor temperature, C.
    pub temperature_c: f64,
    /// PUE of the hour.
    pub pue: f64,
    /// Water used on site by cooling, litres (NaN with a fixed PUE).
    pub water_l: f64,
}

/// Totals of one month.
#[derive(Clone, Debug, Default)]
pub struct MonthEnergy {
    /// IT energy consumed (after caps), kWh.
    pub it_kwh: f64,
    /// Facility energy, kWh.
    pub facility_kwh: f64,
    /// Water used on site by cooling, litres; NaN when the site has a fixed PUE (no cooling model).
    pub water_l: f64,
    /// Total energy cost net of export credits, USD.
    pub cost_usd: f64,
    /// Grid energy charges.
    pub grid_energy_usd: f64,
    /// Demand charge.
    pub demand_charge_usd: f64,
    /// Fixed grid charges and on-site asset O&M.
    pub fixed_usd: f64,
    /// PPA payments (physical) and settlements (virtual, positive when paying).
    pub ppa_usd: f64,
    /// Gas fuel and variable O&M.
    pub gas_usd: f64,
    /// Carbon price paid.
    pub carbon_usd: f64,
    /// Export credits (subtracted from cost).
    pub export_credit_usd: f64,
    /// Grid import, kWh.
    pub grid_kwh: f64,
    /// PPA energy used on site, kWh.
    pub ppa_kwh: f64,
    /// Solar used on site, kWh.
    pub solar_kwh: f64,
    /// Wind used on site, kWh.
    pub wind_kwh: f64,
    /// Gas generation, kWh.
    pub gas_kwh: f64,
    /// Battery discharge, kWh.
    pub discharge_kwh: f64,
    /// Battery charge, kWh.
    pub charge_kwh: f64,
    /// Exported, kWh.
    pub export_kwh: f64,
    /// Peak hourly grid import, kW.
    pub peak_grid_kw: f64,
    /// Hours with power capped at the interconnect.
    pub capped_hours: f64,
    /// IT energy not consumed because of caps, kWh.
    pub curtailed_it_kwh: f64,
    /// Revenue lost to caps, USD.
    pub revenue_lost_usd: f64,
    /// Location-based grid emissions plus gas, tCO2.
    pub tco2: f64,
    /// Market-based grid emissions (Scope 2, hourly matched) plus gas, tCO2: see
    /// [`dispatch_month`].
    pub market_tco2: f64,
    /// Marginal emissions of grid imports, tCO2 (NaN without a marginal emission series).
    pub marginal_tco2: f64,
    /// Marginal emissions avoided by exports, tCO2 (NaN without a marginal emission series).
    pub avoided_marginal_tco2: f64,
    /// Energy matched hour by hour with carbon-free supply, kWh.
    pub cfe_kwh: f64,
    /// Sum of hourly temperatures (for the mean).
    pub temperature_sum_c: f64,
    /// Hours in the month.
    pub hours: f64,
    /// Battery replacements paid this month, USD (capex).
    pub battery_replacement_usd: f64,
}

/// State carried from month to month.
#[derive(Clone, Debug, Default)]
pub struct DispatchState {
    /// Battery state of charge, kWh.
    pub soc_kwh: f64,
    /// Full cycles since the last battery replacement.
    pub cycles: f64,
}

/// Dispatch one month. `flows`, if given, receives every hour's flows.
pub fn dispatch_month(
    spec: &EnergySpec,
    state: &mut DispatchState,
    hours: &[HourIn],
    mut flows: Option<&mut Vec<HourFlows>>,
) -> MonthEnergy {
    let mut out = MonthEnergy {
        hours: hours.len() as f64,
        ..MonthEnergy::default()
    };
    // Pass 1: load after caps, and net load before the battery (for peak shaving and arbitrage).
    let mut load = Vec::with_capacity(hours.len());
    for h in hours {
        let (k, fixed) = spec.facility.split(h.capacity_kw, h.weather.temperature_c);
        let mut it = h.it_kwh;
        let mut fac = it * k + fixed;
        if let Some(limit) = spec.interconnect_kw
            && fac > limit
            && it > 0.0
        {
            let it_allowed = ((limit - fixed) / k).clamp(0.0, it);
            let f = 1.0 - it_allowed / it;
            out.capped_hours += 1.0;
            out.curtailed_it_kwh += it - it_allowed;
            out.revenue_lost_usd += h.revenue_usd * f;
            it = it_allowed;
            fac = it * k + fixed;
        }
        out.it_kwh += it;
        out.facility_kwh += fac;
        let water = spec
            .facility
            .water_l_per_kwh(h.weather.temperature_c, h.weather.wet_bulb_c)
            .map_or(f64::NAN, |w| w * it);
        out.water_l += water;
        out.temperature_sum_c += h.weather.temperature_c;
        load.push((fac, it, water));
    }
    let ppa_kwh = |h: &HourIn| -> f64 {
        spec.ppa.as_ref().map_or(0.0, |p| match p.profile {
            0 => p.kw * h.weather.solar_cf,
            1 => p.kw * h.weather.wind_cf,
            _ => p.kw,
        })
    };
    let physical = spec
        .ppa
        .as_ref()
        .is_some_and(|p| p.settlement == Settlement::Physical);
    let net_before: Vec<f64> = hours
        .iter()
        .zip(&load)
        .map(|(h, (fac, _, _))| {
            let on_site = spec.solar_kw * h.weather.solar_cf
                + spec.wind_kw * h.weather.wind_cf
                + if physical { ppa_kwh(h) } else { 0.0 };
            fac - on_site
        })
        .collect();
    // Battery plan: per-hour intent (+1 charge from grid, -1 discharge, 0 idle) and a shaving target.
    let mut intent = vec![0i8; hours.len()];
    let mut shave_target = f64::INFINITY;
    if let Some(b) = &spec.battery {
        match b.dispatch {
            BatteryDispatch::PriceArbitrage => {
                let k = (b.capacity_kwh / b.power_kw.max(1e-9)).ceil().max(1.0) as usize;
                for day in hours.chunks(24).enumerate().map(|(d, c)| (d * 24, c.len())) {
                    let (start, len) = day;
                    let mut idx: Vec<usize> = (start..start + len).collect();
                    idx.sort_by(|&a, &c| {
                        hours[a]
                            .grid_usd_per_kwh
                            .total_cmp(&hours[c].grid_usd_per_kwh)
                            .then(a.cmp(&c))
                    });
                    let k = k.min(len / 2);
                    for j in 0..k {
                        let cheap = idx[j];
                        let dear = idx[len - 1 - j];
                        let gain = hours[dear].grid_usd_per_kwh * b.round_trip
                            - hours[cheap].grid_usd_per_kwh;
                        if gain > b.wear_usd_per_kwh {
                            intent[cheap] = 1;
                            intent[dear] = -1;
                        }
                    }
                }
            }
            BatteryDispatch::PeakShaving(frac) => {
                let peak = net_before.iter().copied().fold(0.0, f64::max);
                shave_target = frac * peak;
            }
        }
    }
    let eta = spec.battery.as_ref().map_or(1.0, |b| b.round_trip.sqrt());
    // Arbitrage charges from the grid only up to the month's peak import without the battery,
    // so that it never sets a new peak for the demand charge (the dispatch knows the month's
    // load, as peak shaving does).
    let arbitrage_grid_cap = if spec.demand_charge_usd_per_kw_month > 0.0 {
        net_before.iter().copied().fold(0.0, f64::max)
    } else {
        f64::INFINITY
    };
    // What a kWh stored today is worth under arbitrage at most: the day's dearest grid price,
    // less the round-trip loss and the wear of cycling it.
    let dearest_of_day: Vec<f64> = hours
        .chunks(24)
        .map(|day| {
            day.iter()
                .map(|h| h.grid_usd_per_kwh)
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    let stored_value = |i: usize| -> f64 {
        spec.battery.as_ref().map_or(0.0, |b| {
            dearest_of_day[i / 24] * b.round_trip - b.wear_usd_per_kwh
        })
    };
    // Pass 2: hour by hour.
    for (i, (h, (fac, it, water))) in hours.iter().zip(&load).enumerate() {
        let mut f = HourFlows {
            load: *fac,
            temperature_c: h.weather.temperature_c,
            pue: if *it > 0.0 { fac / it } else { f64::NAN },
            water_l: *water,
            ..HourFlows::default()
        };
        let solar = spec.solar_kw * h.weather.solar_cf;
        let wind = spec.wind_kw * h.weather.wind_cf;
        let contracted = ppa_kwh(h);
        let ppa_phys = if physical { contracted } else { 0.0 };
        // On-site and physical PPA supply first.
        let mut need = *fac;
        f.solar = solar.min(need);
        need -= f.solar;
        f.wind = wind.min(need);
        need -= f.wind;
        f.ppa = ppa_phys.min(need);
        need -= f.ppa;
        let mut surplus = (solar - f.solar) + (wind - f.wind) + (ppa_phys - f.ppa);
        if let Some(b) = &spec.battery {
            let room = (b.capacity_kwh - state.soc_kwh) / eta;
            // Surplus charges the battery first, where storing it is worth more than what it
            // would earn now: under arbitrage, exported surplus earns the market price, so it is
            // stored only if the day's dearest hour pays more after losses and wear (curtailed
            // surplus earns nothing); peak shaving stores all of it.
            let worth_storing = match b.dispatch {
                BatteryDispatch::PriceArbitrage => {
                    let export_value = if spec.export {
                        h.market_usd_per_kwh
                    } else {
                        0.0
                    };
                    stored_value(i) > export_value
                }
                BatteryDispatch::PeakShaving(_) => true,
            };
            let c = if worth_storing {
                surplus.min(b.power_kw).min(room).max(0.0)
            } else {
                0.0
            };
            if c > 0.0 {
                // Attribute the charge to the surplus sources: the energy was generated, so count it as used.
                let mut left = c;
                for (used, generated) in [
                    (&mut f.solar, solar),
                    (&mut f.wind, wind),
                    (&mut f.ppa, ppa_phys),
                ] {
                    let extra = (generated - *used).min(left);
                    *used += extra;
                    left -= extra;
                }
                f.charge += c;
                state.soc_kwh += c * eta;
                surplus -= c;
            }
            let headroom = b.power_kw - f.charge;
            let want_discharge = match b.dispatch {
                BatteryDispatch::PriceArbitrage => intent[i] < 0,
                BatteryDispatch::PeakShaving(_) => need > shave_target,
            };
            if want_discharge && need > 0.0 {
                let cap = match b.dispatch {
                    BatteryDispatch::PeakShaving(_) => need - shave_target,
                    BatteryDispatch::PriceArbitrage => need,
                };
                let d = cap.min(headroom).min(state.soc_kwh * eta).max(0.0);
                f.discharge = d;
                state.soc_kwh -= d / eta;
                need -= d;
                state.cycles += d / b.capacity_kwh;
            } else {
                let grid_charge = match b.dispatch {
                    BatteryDispatch::PriceArbitrage if intent[i] > 0 => {
                        headroom.min((arbitrage_grid_cap - need).max(0.0))
                    }
                    BatteryDispatch::PeakShaving(_) if shave_target.is_finite() => {
                        (shave_target - need).max(0.0).min(headroom)
                    }
                    _ => 0.0,
                };
                let c = grid_charge
                    .min((b.capacity_kwh - state.soc_kwh) / eta)
                    .max(0.0);
                f.charge += c;
                state.soc_kwh += c * eta;
                need += c; // drawn from the grid below
            }
            state.soc_kwh = state.soc_kwh.clamp(0.0, b.capacity_kwh);
            if state.cycles >= b.life_cycles {
                state.cycles -= b.life_cycles;
                out.battery_replacement_usd += b.replacement_usd;
            }
        }
        if let Some(g) = &spec.gas {
            let run = match g.mode {
                GasMode::Islanded => true,
                // Grid-parallel gas runs when its kWh costs less than the grid's, each with its
                // carbon cost at the scenario's carbon price.
                GasMode::GridParallel => {
                    let gas_tco2_per_kwh =
                        g.heat_rate_btu_per_kwh / 1e6 * GAS_KG_CO2_PER_MMBTU / 1000.0;
                    let gas_cost =
                        g.marginal_usd_per_kwh + gas_tco2_per_kwh * spec.carbon_usd_per_t;
                    let grid_cost = h.grid_usd_per_kwh
                        + h.weather.grid_gco2_per_kwh / 1e6 * spec.carbon_usd_per_t;
                    gas_cost < grid_cost
                }
            };
            if run {
                f.gas = need.min(g.kw).max(0.0);
                need -= f.gas;
                out.gas_usd += f.gas * g.marginal_usd_per_kwh;
                let gas_tco2 =
                    f.gas * g.heat_rate_btu_per_kwh / 1e6 * GAS_KG_CO2_PER_MMBTU / 1000.0;
                out.tco2 += gas_tco2;
                out.market_tco2 += gas_tco2;
            }
        }
        f.grid = need.max(0.0);
        f.soc = state.soc_kwh;
        if spec.export {
            f.export = surplus.max(0.0);
            out.export_credit_usd += f.export * h.market_usd_per_kwh;
        }
        out.grid_energy_usd += f.grid * h.grid_usd_per_kwh;
        // NaN without a series (every hour's rate is NaN then), so the month's figure is NaN.
        out.marginal_tco2 += f.grid * h.weather.marginal_gco2_per_kwh / 1e6;
        out.avoided_marginal_tco2 += f.export * h.weather.marginal_gco2_per_kwh / 1e6;
        out.peak_grid_kw = out.peak_grid_kw.max(f.grid);
        if let Some(p) = &spec.ppa {
            out.ppa_usd += match p.settlement {
                // The whole contracted volume is bought at the strike; surplus is exported above.
                Settlement::Physical => contracted * p.strike_usd_per_kwh,
                // Contract for differences: the buyer pays (strike - market) per contracted kWh.
                Settlement::Virtual => contracted * (p.strike_usd_per_kwh - h.market_usd_per_kwh),
            };
        }
        out.tco2 += f.grid * h.weather.grid_gco2_per_kwh / 1e6;
        // Market-based Scope 2 (GHG Protocol Scope 2 Guidance, 2015, ch. 6-7), hourly matched:
        // on-site generation and a physical PPA's delivered energy already reduce the grid
        // import hour by hour; a virtual PPA's contracted energy (its certificates) covers the
        // same hour's import at most, and no certificate moves to another hour. The residual
        // import carries the grid's hourly factor, which stands in for a residual mix.
        let certificates = if physical { 0.0 } else { contracted };
        out.market_tco2 += (f.grid - certificates.min(f.grid)) * h.weather.grid_gco2_per_kwh / 1e6;
        // Carbon-free energy, hour by hour: on-site generation, a physical PPA's delivered energy
        // and the grid's carbon-free share of the import; a virtual PPA's certificates make the
        // import they cover carbon-free, and only the rest of the import counts at the grid's
        // share (the covered part is not counted twice).
        let covered = certificates.min(f.grid);
        let clean =
            f.solar + f.wind + f.ppa + covered + (f.grid - covered) * spec.grid_carbon_free_frac;
        out.cfe_kwh += clean.min(*fac);
        out.grid_kwh += f.grid;
        out.ppa_kwh += f.ppa;
        out.solar_kwh += f.solar;
        out.wind_kwh += f.wind;
        out.gas_kwh += f.gas;
        out.discharge_kwh += f.discharge;
        out.charge_kwh += f.charge;
        out.export_kwh += f.export;
        if let Some(v) = flows.as_deref_mut() {
            v.push(f);
        }
    }
    out.carbon_usd = out.tco2 * spec.carbon_usd_per_t;
    out.demand_charge_usd = out.peak_grid_kw * spec.demand_charge_usd_per_kw_month;
    out.fixed_usd = spec.fixed_usd_per_month + spec.asset_om_usd_per_month;
    out.cost_usd = out.grid_energy_usd
        + out.demand_charge_usd
        + out.fixed_usd
        + out.ppa_usd
        + out.gas_usd
        + out.carbon_usd
        - out.export_credit_usd;
    out
}
