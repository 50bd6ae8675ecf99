//! Energy: the facility (a fixed PUE or a cooling preset), the interconnect, on-site assets,
//! contracts and the tariff, with presets and CSV inputs resolved.

use super::{Drawn, Num, Registry};
use crate::dist::open_unit;
use crate::energy::cooling::CoolingPreset;
use crate::energy::dispatch::{BatterySpec, EnergySpec, Facility, GasSpec, PpaSpec};
use crate::energy::prices::{MarketGen, MarketPreset};
use crate::energy::series::{HourlySeries, SeriesView, SeriesYears};
use crate::energy::weather::{Climate, WeatherGen, WeatherSeries};
use crate::model::{energy, fleet};
use crate::rng::{Stream, series_years_rng, stream_rng};
use crate::scenario::{
    BatteryDispatch, GasMode, LoadedScenario, PowerCap, PpaVolume, Renewable, Settlement,
    Simulation, Tariff,
};

#[derive(Clone, Debug)]
enum FacilityPlan {
    FixedPue(Num),
    Cooling(CoolingPreset),
}

#[derive(Clone, Debug)]
struct RenewablePlan {
    mw: Num,
    capex_usd_per_kw: Num,
    om_usd_per_kw_year: Num,
}

#[derive(Clone, Debug)]
struct BatteryPlan {
    energy_mwh: f64,
    power_mw: f64,
    round_trip_efficiency_frac: f64,
    capex_usd_per_kwh: Num,
    life_cycles: f64,
    dispatch: BatteryDispatch,
}

#[derive(Clone, Debug)]
struct GasPlan {
    mw: f64,
    heat_rate_btu_per_kwh: f64,
    fuel_usd_per_mmbtu: Num,
    om_usd_per_mwh: Num,
    capex_usd_per_kw: Num,
    mode: GasMode,
}

#[derive(Clone, Debug)]
struct PpaPlan {
    strike_usd_per_mwh: Num,
    /// 0 solar, 1 wind, 2 baseload.
    profile: u8,
    mw: f64,
    settlement: Settlement,
}

#[derive(Clone, Debug)]
enum TariffPlan {
    Flat(Num),
    TimeOfUse {
        peak: Num,
        off_peak: Num,
        start: u32,
        end: u32,
        weekdays_only: bool,
    },
    Market {
        preset: MarketPreset,
        price_scale: Num,
        delivery_usd_per_mwh: Num,
    },
    Hourly {
        usd_per_kwh: HourlySeries,
        years: SeriesYears,
        delivery_usd_per_mwh: Num,
    },
}

/// The energy side of a plan.
#[derive(Clone, Debug)]
pub(super) struct EnergyPlan {
    climate: Climate,
    /// Hourly temperatures from a file, and which of its years each simulated year uses.
    temperature: Option<(HourlySeries, SeriesYears)>,
    /// Hourly grid carbon intensity from a file, and which of its years each simulated year uses.
    grid_carbon: Option<(HourlySeries, SeriesYears)>,
    /// Hourly marginal emission rate from a file, and which of its years each simulated year uses.
    marginal_emissions: Option<(HourlySeries, SeriesYears)>,
    /// Temperatures, solar and wind from a weather file.
    weather_file: Option<std::sync::Arc<WeatherSeries>>,
    facility: FacilityPlan,
    interconnect_mw: Option<Num>,
    /// The interconnect limits commissioning.
    wait_for_power: bool,
    /// Outdoor temperature of a design-hot hour, C.
    design_c: f64,
    solar: Option<RenewablePlan>,
    wind: Option<RenewablePlan>,
    battery: Option<BatteryPlan>,
    gas: Option<GasPlan>,
    ppa: Option<PpaPlan>,
    tariff: TariffPlan,
    export: bool,
    carbon_price_usd_per_tco2: Num,
    demand_charge_usd_per_kw_month: Num,
    fixed_usd_per_month: Num,
    simulation: Simulation,
}

impl EnergyPlan {
    pub(super) fn new(loaded: &LoadedScenario, r: &mut Registry) -> EnergyPlan {
        let s = &loaded.scenario;
        let catalog = &loaded.catalog;
        let e = &s.energy;
        let climate = catalog
            .climate(&s.site.climate)
            .expect("validated climate")
            .clone();
        let facility = match (&s.site.pue, &s.site.cooling) {
            (Some(p), _) => FacilityPlan::FixedPue(r.param("site.pue", p)),
            (None, Some(name)) => FacilityPlan::Cooling(
                catalog
                    .cooling_preset(name)
                    .expect("validated preset")
                    .clone(),
            ),
            (None, None) => unreachable!("validation requires a cooling preset or a PUE"),
        };
        let interconnect_mw = s
            .site
            .interconnect_mw
            .as_ref()
            .map(|p| r.param("site.interconnect_mw", p));
        // A design-hot hour: the preset's warmest hour plus two standard deviations of weather.
        let file_temperatures = loaded
            .weather_file
            .as_ref()
            .map(|f| f.temperature_c.as_slice());
        let series_temperatures = loaded.weather_csv.as_ref().map(|v| v.values());
        let design_c = match file_temperatures.or(series_temperatures) {
            Some(v) => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            None => {
                climate.annual_mean_c
                    + climate.seasonal_swing_c
                    + climate.daily_swing_c
                    + 2.0 * climate.noise_sd_c
            }
        };
        let renewable = |name: &str, g: &Option<Renewable>, r: &mut Registry| {
            g.as_ref().map(|g| RenewablePlan {
                mw: r.param(format!("energy.{name}.mw"), &g.mw),
                capex_usd_per_kw: r.param(
                    format!("energy.{name}.capex_usd_per_kw"),
                    &g.capex_usd_per_kw,
                ),
                om_usd_per_kw_year: r.param(
                    format!("energy.{name}.om_usd_per_kw_year"),
                    &g.om_usd_per_kw_year,
                ),
            })
        };
        let solar = renewable("solar", &e.solar, r);
        let wind = renewable("wind", &e.wind, r);
        let battery = e.battery.as_ref().map(|b| BatteryPlan {
            energy_mwh: b.energy_mwh,
            power_mw: b.power_mw,
            round_trip_efficiency_frac: b.round_trip_efficiency_frac,
            capex_usd_per_kwh: r.param("energy.battery.capex_usd_per_kwh", &b.capex_usd_per_kwh),
            life_cycles: b.life_cycles,
            dispatch: b.dispatch.clone(),
        });
        let gas = e.gas.as_ref().map(|g| GasPlan {
            mw: g.mw,
            heat_rate_btu_per_kwh: g.heat_rate_btu_per_kwh,
            fuel_usd_per_mmbtu: r.param("energy.gas.fuel_usd_per_mmbtu", &g.fuel_usd_per_mmbtu),
            om_usd_per_mwh: r.param("energy.gas.om_usd_per_mwh", &g.om_usd_per_mwh),
            capex_usd_per_kw: r.param("energy.gas.capex_usd_per_kw", &g.capex_usd_per_kw),
            mode: g.mode,
        });
        let ppa = e.ppa.as_ref().map(|p| {
            let (profile, mw) = match p.volume {
                PpaVolume::Solar(mw) => (0, mw),
                PpaVolume::Wind(mw) => (1, mw),
                PpaVolume::Baseload(mw) => (2, mw),
            };
            PpaPlan {
                strike_usd_per_mwh: r.param("energy.ppa.strike_usd_per_mwh", &p.strike_usd_per_mwh),
                profile,
                mw,
                settlement: p.settlement,
            }
        });
        let tariff = match &e.tariff {
            Tariff::Flat { price_usd_per_kwh } => {
                TariffPlan::Flat(r.param("energy.tariff.price_usd_per_kwh", price_usd_per_kwh))
            }
            Tariff::TimeOfUse {
                peak_usd_per_kwh,
                off_peak_usd_per_kwh,
                peak_start_hour,
                peak_end_hour,
                weekdays_only,
            } => TariffPlan::TimeOfUse {
                peak: r.param("energy.tariff.peak_usd_per_kwh", peak_usd_per_kwh),
                off_peak: r.param("energy.tariff.off_peak_usd_per_kwh", off_peak_usd_per_kwh),
                start: *peak_start_hour,
                end: *peak_end_hour,
                weekdays_only: *weekdays_only,
            },
            Tariff::Market {
                preset,
                price_scale,
                delivery_usd_per_mwh,
            } => TariffPlan::Market {
                preset: catalog.market(preset).expect("validated preset").clone(),
                price_scale: r.param("energy.tariff.price_scale", price_scale),
                delivery_usd_per_mwh: r
                    .param("energy.tariff.delivery_usd_per_mwh", delivery_usd_per_mwh),
            },
            Tariff::Csv {
                delivery_usd_per_mwh,
                years,
                ..
            } => TariffPlan::Hourly {
                usd_per_kwh: loaded.price_csv.clone().expect("read at load time"),
                years: *years,
                delivery_usd_per_mwh: r
                    .param("energy.tariff.delivery_usd_per_mwh", delivery_usd_per_mwh),
            },
        };
        EnergyPlan {
            climate,
            temperature: loaded.weather_csv.clone().map(|v| {
                let years = s
                    .site
                    .temperature
                    .as_ref()
                    .map_or(SeriesYears::Repeat, |t| t.years);
                (v, years)
            }),
            grid_carbon: loaded
                .grid_carbon
                .clone()
                .zip(e.grid_carbon.as_ref().map(|g| g.years)),
            marginal_emissions: loaded
                .marginal_emissions
                .clone()
                .zip(e.marginal_emissions.as_ref().map(|g| g.years)),
            weather_file: loaded.weather_file.clone().map(std::sync::Arc::new),
            facility,
            interconnect_mw,
            wait_for_power: matches!(s.site.power_cap, PowerCap::WaitCommissioning),
            design_c,
            solar,
            wind,
            battery,
            gas,
            ppa,
            tariff,
            export: e.export,
            carbon_price_usd_per_tco2: r.param(
                "energy.carbon_price_usd_per_tco2",
                &e.carbon_price_usd_per_tco2,
            ),
            demand_charge_usd_per_kw_month: r.param(
                "energy.demand_charge_usd_per_kw_month",
                &e.demand_charge_usd_per_kw_month,
            ),
            fixed_usd_per_month: r.param("energy.fixed_usd_per_month", &e.fixed_usd_per_month),
            simulation: s.simulation.clone(),
        }
    }

    /// The energy model of one replication and the capex of its on-site energy assets other
    /// than the battery (whose capex is its `replacement_usd`). When commissioning waits for
    /// power, also sets the fleet's interconnect limit.
    pub(super) fn model(
        &self,
        v: &Drawn,
        seed: u64,
        replication: u64,
        fleet: &mut fleet::FleetPlan,
    ) -> (energy::EnergyModel, f64) {
        let facility = match &self.facility {
            FacilityPlan::FixedPue(p) => Facility::FixedPue(v.get(*p)),
            FacilityPlan::Cooling(preset) => Facility::Cooling(preset.clone()),
        };
        let interconnect_kw = self.interconnect_mw.map(|p| v.get(p) * 1000.0);
        if let (Some(limit), true) = (interconnect_kw, self.wait_for_power) {
            let (k, fixed_per_kw) = facility.split(1.0, self.design_c);
            fleet.max_it_kw = Some(limit / (k + fixed_per_kw));
        }
        let mut capex = 0.0;
        let mut om_month = 0.0;
        let mut renewable = |g: &Option<RenewablePlan>| -> f64 {
            let Some(g) = g else { return 0.0 };
            let kw = v.get(g.mw) * 1000.0;
            capex += kw * v.get(g.capex_usd_per_kw);
            om_month += kw * v.get(g.om_usd_per_kw_year) / 12.0;
            kw
        };
        let solar_kw = renewable(&self.solar);
        let wind_kw = renewable(&self.wind);
        let battery = self.battery.as_ref().map(|b| {
            let per_kwh = v.get(b.capex_usd_per_kwh);
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
        let gas = self.gas.as_ref().map(|g| {
            let fuel = v.get(g.fuel_usd_per_mmbtu);
            let om = v.get(g.om_usd_per_mwh);
            capex += g.mw * 1000.0 * v.get(g.capex_usd_per_kw);
            GasSpec {
                kw: g.mw * 1000.0,
                heat_rate_btu_per_kwh: g.heat_rate_btu_per_kwh,
                marginal_usd_per_kwh: g.heat_rate_btu_per_kwh / 1e6 * fuel + om / 1000.0,
                mode: g.mode,
            }
        });
        let ppa = self.ppa.as_ref().map(|p| PpaSpec {
            strike_usd_per_kwh: v.get(p.strike_usd_per_mwh) / 1000.0,
            profile: p.profile,
            kw: p.mw * 1000.0,
            settlement: p.settlement,
        });
        let start = self.simulation.start;
        // Which series year each simulated calendar year uses: one uniform draw per simulated
        // year from the replication's own stream for series years, shared by every series, so
        // that series of the same years (prices, carbon, weather) stay together and every
        // variant of a sweep sees the same years.
        let sim_years = (self.simulation.horizon() as usize).div_ceil(12) + 1;
        let resample = [
            self.temperature.as_ref().map(|t| t.1),
            self.grid_carbon.as_ref().map(|t| t.1),
            self.marginal_emissions.as_ref().map(|t| t.1),
            match &self.tariff {
                TariffPlan::Hourly { years, .. } => Some(*years),
                _ => None,
            },
        ]
        .contains(&Some(SeriesYears::Resample));
        let uniforms: Vec<f64> = if resample {
            let mut rng = series_years_rng(seed, replication);
            (0..sim_years).map(|_| open_unit(&mut rng)).collect()
        } else {
            Vec::new()
        };
        let view = |series: &HourlySeries, years: SeriesYears| {
            SeriesView::new(
                series.clone(),
                series.year_plan(years, start.year, sim_years, &uniforms),
            )
        };
        let tariff = match &self.tariff {
            TariffPlan::Flat(p) => energy::TariffModel::Flat(v.get(*p)),
            TariffPlan::TimeOfUse {
                peak,
                off_peak,
                start,
                end,
                weekdays_only,
            } => energy::TariffModel::TimeOfUse {
                peak: v.get(*peak),
                off_peak: v.get(*off_peak),
                start: *start,
                end: *end,
                weekdays_only: *weekdays_only,
            },
            TariffPlan::Market {
                preset,
                price_scale,
                delivery_usd_per_mwh,
            } => energy::TariffModel::Market(
                MarketGen::new(preset.clone(), v.get(*price_scale)),
                v.get(*delivery_usd_per_mwh) / 1000.0,
            ),
            TariffPlan::Hourly {
                usd_per_kwh,
                years,
                delivery_usd_per_mwh,
            } => energy::TariffModel::Hourly(
                view(usd_per_kwh, *years),
                v.get(*delivery_usd_per_mwh) / 1000.0,
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
            export: self.export,
            carbon_usd_per_t: v.get(self.carbon_price_usd_per_tco2),
            demand_charge_usd_per_kw_month: v.get(self.demand_charge_usd_per_kw_month),
            fixed_usd_per_month: v.get(self.fixed_usd_per_month),
            asset_om_usd_per_month: om_month,
            grid_carbon_free_frac: self.climate.grid_carbon_free_frac,
        };
        let model = energy::EnergyModel {
            spec,
            tariff,
            weather: match &self.weather_file {
                Some(f) => WeatherGen::from_file(self.climate.clone(), f.clone()),
                None => WeatherGen::new(self.climate.clone(), None),
            },
            temperature: self.temperature.as_ref().map(|(s, y)| view(s, *y)),
            grid_carbon: self.grid_carbon.as_ref().map(|(s, y)| view(s, *y)),
            marginal_emissions: self.marginal_emissions.as_ref().map(|(s, y)| view(s, *y)),
            weather_rng: stream_rng(seed, replication, Stream::Weather),
            price_rng: stream_rng(seed, replication, Stream::Electricity),
            state: Default::default(),
            capture_months: self.simulation.hourly_capture(replication).unwrap_or(0),
        };
        (model, capex)
    }
}
