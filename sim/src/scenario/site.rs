//! The `site` section: the building, its climate and cooling, the interconnect and the hall phases.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::validate::*;
use super::*;
use crate::catalog::Catalog;
use crate::dist::{Param, fmt_num};
pub use crate::energy::weather_file::WeatherFormat;
use crate::problems::Problems;

fn default_climate() -> String {
    "northern-virginia".into()
}

/// The data-center site.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Site name, e.g. "Ashburn hall A".
    pub name: String,
    /// Climate preset from `scenarios/catalog/climates.ron`, e.g. "northern-virginia".
    #[serde(default = "default_climate")]
    pub climate: String,
    /// Hourly dry-bulb temperatures in C from a CSV of one column of values (path relative to
    /// the scenario file; 8,760 values, or 8,784 in a leap year, or a timestamped series of
    /// whole years), instead of the climate preset's weather model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weather_csv: Option<String>,
    /// A typical-year weather file (EPW or TMY3) instead of the climate preset's weather:
    /// temperatures, and solar and wind output computed from its irradiance and wind. The
    /// climate preset still gives the grid's carbon intensity. Not with `weather_csv` or
    /// `temperature`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weather_file: Option<WeatherFileRef>,
    /// Hourly dry-bulb temperatures from a CSV file with every [`Series`] field (unit `C` or
    /// `F`), instead of the climate preset's weather model; give it or `weather_csv`, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<Series>,
    /// Cooling preset from `scenarios/catalog/cooling.ron`; facility power then follows the
    /// weather. Give either `cooling` or a fixed `pue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooling: Option<String>,
    /// A fixed power usage effectiveness (facility / IT power), a parameter >= 1, instead of a
    /// cooling preset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pue: Option<Param>,
    /// Grid interconnect limit in MW (parameter); none means unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interconnect_mw: Option<Param>,
    /// What happens when facility power would exceed the interconnect.
    #[serde(default)]
    pub power_cap: PowerCap,
    /// Network, storage and management IT power as a fraction of each node's power (parameter),
    /// e.g. 0.08: a node drawing 10 kW adds 0.8 kW of fabric and storage load.
    #[serde(default = "zero", skip_serializing_if = "is_zero")]
    pub it_overhead_frac: Param,
    /// Hall phases: blocks of IT capacity that become ready over time.
    pub phases: Vec<Phase>,
    /// Colocation rent in USD per kW of ready IT capacity per month (parameter), when the halls
    /// are leased rather than built (set the phases' capex to what the tenant pays for fit-out).
    #[serde(default = "zero", skip_serializing_if = "is_zero")]
    pub colocation_rent_usd_per_kw_month: Param,
}

fn default_hub_height_m() -> f64 {
    // S: average hub height of US land-based turbines installed in 2022, about 98 m (LBNL,
    // Land-Based Wind Market Report 2023 edition), rounded.
    100.0
}

/// A typical-year weather file and how the site's solar and wind use it.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeatherFileRef {
    /// Path of the file, relative to the scenario file: an EnergyPlus EPW or an NREL TMY3 CSV
    /// of 8,760 hours, repeated every year of the horizon.
    pub path: String,
    /// The file's format; by default the one its header shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<WeatherFormat>,
    /// Tilt of the fixed PV array from horizontal, degrees; by default the site's latitude
    /// (the PVWatts default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pv_tilt_deg: Option<f64>,
    /// Azimuth the PV array faces, degrees clockwise from north; by default the equator
    /// (180 in the northern hemisphere, 0 in the southern).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pv_azimuth_deg: Option<f64>,
    /// Hub height of the wind turbines, m (the file's wind is at 10 m).
    #[serde(default = "default_hub_height_m")]
    pub wind_hub_height_m: f64,
}

/// A hall phase: a block of powered, cooled IT capacity.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// Phase name.
    pub name: String,
    /// IT capacity in MW (parameter).
    pub it_mw: Param,
    /// Month (from the scenario start) in which the phase is ready for GPUs (parameter, rounded down).
    #[serde(default = "zero")]
    pub ready_month: Param,
    /// Construction cost per MW of IT capacity in USD (parameter).
    pub capex_usd_per_mw: Param,
    /// Months of construction before the ready month over which the cost is drawn in equal
    /// monthly instalments (0: paid in the ready month). Draws that would fall before month 0
    /// are paid in month 0.
    #[serde(default)]
    pub construction_months: i64,
}

/// What to do when facility power would exceed the grid interconnect.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum PowerCap {
    /// Commission a node only if the interconnect can carry it at full load on a design-hot hour.
    #[default]
    WaitCommissioning,
    /// Commission every node the halls can hold, and cap power (and throughput) in the hours
    /// when the facility would draw more than the interconnect.
    CapNodes,
}

pub(super) fn check_site(s: &Scenario, catalog: &Catalog, p: &mut Problems) {
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
    if site.weather_csv.is_some() && site.temperature.is_some() {
        p.push(
            "site",
            "give hourly temperatures either as `weather_csv` or as `temperature`, not both",
        );
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
    if let Some(w) = &site.weather_file {
        if site.weather_csv.is_some() || site.temperature.is_some() {
            p.push(
                "site.weather_file",
                "give either hourly temperatures (`weather_csv` or `temperature`) or a `weather_file`, not both",
            );
        }
        let checks = [
            ("pv_tilt_deg", w.pv_tilt_deg, 0.0, 90.0),
            ("pv_azimuth_deg", w.pv_azimuth_deg, 0.0, 360.0),
            ("wind_hub_height_m", Some(w.wind_hub_height_m), 10.0, 250.0),
        ];
        for (name, v, lo, hi) in checks {
            if let Some(v) = v
                && !(v.is_finite() && (lo..=hi).contains(&v))
            {
                p.push(
                    format!("site.weather_file.{name}"),
                    format!("{} must be between {lo} and {hi}", fmt_num(v)),
                );
            }
        }
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
