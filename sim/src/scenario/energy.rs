//! The `energy` section: the tariff, contracts and on-site assets.

use serde::{Deserialize, Serialize};

use super::*;
use crate::catalog::Catalog;
use crate::dist::{Param, fmt_num};
use crate::problems::Problems;

// The operating choices are the dispatch model's own types; the schema names them.
pub use crate::energy::dispatch::{BatteryDispatch, GasMode, Settlement};

/// Energy supply: tariff, contracts and on-site assets.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Energy {
    /// Grid energy price.
    pub tariff: Tariff,
    /// Demand charge on the month's peak grid import, USD per kW-month (parameter).
    #[serde(default = "zero")]
    pub demand_charge_usd_per_kw_month: Param,
    /// Fixed grid charges, USD per month (parameter).
    #[serde(default = "zero")]
    pub fixed_usd_per_month: Param,
    /// Power purchase agreement (the data center buys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppa: Option<Ppa>,
    /// On-site solar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solar: Option<Renewable>,
    /// On-site wind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wind: Option<Renewable>,
    /// On-site battery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery: Option<Battery>,
    /// On-site gas generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas: Option<Gas>,
    /// Surplus on-site energy is sold to the grid at the hour's market price (true) or curtailed.
    /// The market price is the wholesale price of a `Market` or `Csv` tariff (without delivery);
    /// under a `Flat` or `TimeOfUse` tariff, which has none, it is the retail price itself.
    #[serde(default = "yes")]
    pub export: bool,
    /// Hourly grid carbon intensity (location-based) from a CSV file, in `GCo2PerKwh`,
    /// `KgCo2PerMwh` or `LbCo2PerMwh`, instead of the climate preset's evening-peaked profile
    /// (the carbon-free share of grid energy, for hourly matching, stays the climate's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_carbon: Option<Series>,
    /// Hourly marginal emission rate of the grid (the emissions a kWh more or less of load causes
    /// or avoids, as WattTime or REsurety publish) from a CSV file, in `GCo2PerKwh`, `KgCo2PerMwh`
    /// or `LbCo2PerMwh`: gives the month's marginal emissions of grid imports and those avoided by
    /// exports (`marginal_tco2`, `avoided_marginal_tco2`), beside the location-based figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marginal_emissions: Option<Series>,
    /// Price on emitted CO2, USD per tonne (parameter).
    #[serde(default = "zero")]
    pub carbon_price_usd_per_tco2: Param,
}

/// How grid electricity is priced.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum Tariff {
    /// One price for every kWh.
    Flat {
        /// Energy price in USD per kWh (parameter).
        price_usd_per_kwh: Param,
    },
    /// A peak price in the peak hours of weekdays, an off-peak price otherwise.
    TimeOfUse {
        /// Peak price, USD per kWh (parameter).
        peak_usd_per_kwh: Param,
        /// Off-peak price, USD per kWh (parameter).
        off_peak_usd_per_kwh: Param,
        /// First peak hour of the day (0-23).
        peak_start_hour: u32,
        /// Hour after the last peak hour (1-24).
        peak_end_hour: u32,
        /// Peak hours apply Monday to Friday only.
        #[serde(default = "yes")]
        weekdays_only: bool,
    },
    /// Hourly wholesale price from a stochastic model (a preset from `scenarios/catalog/tariffs.ron`).
    Market {
        /// Preset name, e.g. "ercot-like".
        preset: String,
        /// Multiplier on the preset's mean price (parameter).
        #[serde(default = "one")]
        price_scale: Param,
        /// Delivery (transmission and distribution) charge added to every MWh, USD (parameter).
        #[serde(default = "zero")]
        delivery_usd_per_mwh: Param,
    },
    /// Hourly prices from a CSV file: one year of 8,760 values (January 1 00:00 first), or a
    /// timestamped series of whole years (see [`Series`] for the fields shared with every series).
    Csv {
        /// Path, relative to the scenario file.
        path: String,
        /// The value column; needed when the file has more than one besides the time column.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        column: Option<String>,
        /// Unit of the values: `UsdPerMwh` or `UsdPerKwh`.
        unit: SeriesUnit,
        /// The timestamp column (by default one named `timestamp`, `time`, `datetime` or `date`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time_column: Option<String>,
        /// Zone of naive timestamps and of the simulation's clock (by default UTC).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        zone: Option<String>,
        /// Which of the series' years each simulated year uses (`Repeat` by default).
        #[serde(default)]
        years: SeriesYears,
        /// Delivery charge added to every MWh, USD (parameter).
        #[serde(default = "zero")]
        delivery_usd_per_mwh: Param,
    },
}

impl Tariff {
    /// The series of a `Csv` tariff.
    pub fn series(&self) -> Option<Series> {
        match self {
            Tariff::Csv {
                path,
                column,
                unit,
                time_column,
                zone,
                years,
                ..
            } => Some(Series {
                path: path.clone(),
                column: column.clone(),
                unit: *unit,
                time_column: time_column.clone(),
                zone: zone.clone(),
                years: *years,
            }),
            _ => None,
        }
    }
}

/// A power purchase agreement.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ppa {
    /// Strike price, USD per MWh (parameter).
    pub strike_usd_per_mwh: Param,
    /// Contracted volume profile.
    pub volume: PpaVolume,
    /// Physical delivery or a financial contract for differences.
    pub settlement: Settlement,
}

/// PPA volume.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub enum PpaVolume {
    /// The output of this many MW of solar at the site's solar profile.
    Solar(f64),
    /// The output of this many MW of wind at the site's wind profile.
    Wind(f64),
    /// A flat block of this many MW every hour.
    Baseload(f64),
}

/// On-site solar or wind.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Renewable {
    /// Nameplate capacity, MW (parameter).
    pub mw: Param,
    /// Capex, USD per kW (parameter), paid at the start.
    pub capex_usd_per_kw: Param,
    /// Operations and maintenance, USD per kW-year (parameter).
    #[serde(default = "zero")]
    pub om_usd_per_kw_year: Param,
}

/// On-site battery.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Battery {
    /// Energy capacity, MWh.
    pub energy_mwh: f64,
    /// Power rating, MW.
    pub power_mw: f64,
    /// Round-trip efficiency (0..1).
    pub round_trip_efficiency_frac: f64,
    /// Capex, USD per kWh of capacity (parameter), paid at the start and at each replacement.
    pub capex_usd_per_kwh: Param,
    /// Full cycles before replacement.
    pub life_cycles: f64,
    /// Dispatch policy.
    pub dispatch: BatteryDispatch,
}

/// On-site gas generation.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gas {
    /// Capacity, MW.
    pub mw: f64,
    /// Heat rate, Btu per kWh.
    pub heat_rate_btu_per_kwh: f64,
    /// Fuel price, USD per MMBtu (parameter).
    pub fuel_usd_per_mmbtu: Param,
    /// Variable operations and maintenance, USD per MWh (parameter).
    #[serde(default = "zero")]
    pub om_usd_per_mwh: Param,
    /// Capex, USD per kW (parameter), paid at the start.
    pub capex_usd_per_kw: Param,
    /// Islanded (gas carries the load) or grid-parallel (gas runs when cheaper than the grid).
    pub mode: GasMode,
}

pub(super) fn check_energy(s: &Scenario, catalog: &Catalog, p: &mut Problems) {
    let e = &s.energy;
    // A retail tariff has no wholesale price: the hour's market price is the tariff itself.
    if matches!(e.tariff, Tariff::Flat { .. } | Tariff::TimeOfUse { .. }) {
        let virtual_ppa = e
            .ppa
            .as_ref()
            .is_some_and(|ppa| ppa.settlement == Settlement::Virtual);
        // Surplus to export: on-site generation, or a physical PPA's energy beyond the load.
        let physical_ppa = e
            .ppa
            .as_ref()
            .is_some_and(|ppa| ppa.settlement == Settlement::Physical);
        let exports = e.export && (e.solar.is_some() || e.wind.is_some() || physical_ppa);
        if virtual_ppa || exports {
            let what = match (virtual_ppa, exports) {
                (true, true) => "the virtual PPA settles against, and exports are credited at,",
                (true, false) => "the virtual PPA settles against",
                _ => "exports are credited at",
            };
            p.warn(
                "energy.tariff",
                format!(
                    "a retail tariff has no wholesale price: {what} the retail price itself, delivery included (as under net metering); a Market or Csv tariff gives the wholesale price with delivery on top"
                ),
            );
        }
    }
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
        if let super::BatteryDispatch::PeakShaving(f) = b.dispatch
            && f.is_finite()
            && !(0.0..=1.0).contains(&f)
        {
            p.push(
                "energy.battery.dispatch.PeakShaving",
                format!("{f} must be between 0 and 1"),
            );
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
