//! Power, facility energy, supply and its cost, settled month by month.
//!
//! IT power of a commissioned node is `idle + (max - idle) x load` plus its network and storage
//! overhead; the [`Meter`] integrates it exactly between events and keeps the IT energy (and the
//! commissioned capacity and revenue) of every clock hour of the current month. At month end the
//! month's hourly weather and prices are drawn and [`dispatch_month`] turns the hourly IT energy
//! into facility energy, supply and cost. Nothing steps the simulation hour by hour, and because
//! facility power is affine in IT power within an hour the result is exact.

use bevy_ecs::prelude::*;

use super::messages::{BatteryReplaced, EnergySettled};
use crate::energy::dispatch::{DispatchState, EnergySpec, HourFlows, HourIn, dispatch_month};
use crate::energy::prices::{MarketGen, first_weekday, weekday};
use crate::energy::series::SeriesView;
use crate::energy::weather::WeatherGen;
use crate::engine::{Clock, Engine, EventKind, Meter, Step};
use crate::rng::SimRng;
use crate::time::{Calendar, SECONDS_PER_HOUR, SimTime};

/// How the grid prices energy in this replication.
#[derive(Clone, Debug)]
pub enum TariffModel {
    /// One price, USD per kWh.
    Flat(f64),
    /// Peak and off-peak prices, USD per kWh.
    TimeOfUse {
        /// Peak price.
        peak: f64,
        /// Off-peak price.
        off_peak: f64,
        /// First peak hour.
        start: u32,
        /// Hour after the last peak hour.
        end: u32,
        /// Weekdays only.
        weekdays_only: bool,
    },
    /// A stochastic wholesale market plus a delivery charge (USD per kWh).
    Market(MarketGen, f64),
    /// Hourly prices from a series (USD per kWh) plus a delivery charge (USD per kWh).
    Hourly(SeriesView, f64),
}

/// The energy model of one replication.
#[derive(Resource, Debug)]
pub struct EnergyModel {
    /// Supply and cost inputs.
    pub spec: EnergySpec,
    /// Tariff.
    pub tariff: TariffModel,
    /// Weather generator.
    pub weather: WeatherGen,
    /// Hourly temperatures from a file, in place of the weather model's (C).
    pub temperature: Option<SeriesView>,
    /// Hourly grid carbon intensity from a file, in place of the climate's (gCO2 per kWh).
    pub grid_carbon: Option<SeriesView>,
    /// Hourly marginal emission rate from a file (gCO2 per kWh).
    pub marginal_emissions: Option<SeriesView>,
    /// Random stream for weather.
    pub weather_rng: SimRng,
    /// Random stream for electricity prices.
    pub price_rng: SimRng,
    /// Battery state carried between months.
    pub state: DispatchState,
    /// Months from the start whose hourly flows are kept (0: none).
    pub capture_months: u32,
}

/// The hourly flows of the first months, when the scenario keeps them for this replication.
#[derive(Resource, Debug, Default)]
pub(crate) struct HourlySample(pub Vec<HourFlows>);

/// Add the energy resources and systems.
pub fn install(engine: &mut Engine, model: EnergyModel) {
    super::messages::register(&mut engine.world);
    engine.world.insert_resource(model);
    engine.world.insert_resource(HourlySample::default());
    engine
        .schedule_mut(EventKind::MonthEnd)
        .add_systems(settle_energy.in_set(Step::Energy));
}

/// Grid and market prices (USD per kWh) of the month's hours.
fn month_prices(
    model: &mut EnergyModel,
    calendar: &Calendar,
    first_hour: u64,
    n: usize,
) -> Vec<(f64, f64)> {
    let first_hoy = calendar.hour_of_year(first_hour);
    match &mut model.tariff {
        TariffModel::Flat(p) => vec![(*p, *p); n],
        TariffModel::TimeOfUse {
            peak,
            off_peak,
            start,
            end,
            weekdays_only,
        } => {
            // Weekdays from the real calendar date of the month's first day: the clock's years
            // have 365 days, so counting days from the start would shift the week by one day
            // after every 29 February.
            let month =
                calendar.year_month(calendar.month_of(SimTime(first_hour * SECONDS_PER_HOUR)));
            let first = first_weekday(month.year, month.month);
            (0..n)
                .map(|i| {
                    let h = first_hour + i as u64;
                    let hour = (h % 24) as u32;
                    let working = !*weekdays_only || weekday(first, i as u64 / 24) < 5;
                    let p = if working && hour >= *start && hour < *end {
                        *peak
                    } else {
                        *off_peak
                    };
                    (p, p)
                })
                .collect()
        }
        TariffModel::Market(market, delivery) => market
            .hours(first_hoy, n, &mut model.price_rng)
            .into_iter()
            .map(|mwh| (mwh / 1000.0 + *delivery, mwh / 1000.0))
            .collect(),
        TariffModel::Hourly(series, delivery) => (0..n)
            .map(|i| {
                let (year, hoy) = calendar.year_and_hour(first_hour + i as u64);
                let p = series.at(year, hoy);
                (p + *delivery, p)
            })
            .collect(),
    }
}

fn settle_energy(
    clock: Res<Clock>,
    meter: Res<Meter>,
    mut model: ResMut<EnergyModel>,
    mut sample: ResMut<HourlySample>,
    mut settled: MessageWriter<EnergySettled>,
    mut battery: MessageWriter<BatteryReplaced>,
) {
    let m = &mut *model;
    let first_hour = meter.month_first_hour();
    let it = meter.hour_channel(0);
    let n = it.len();
    let mut weather = m.weather.hours(
        clock.calendar.hour_of_year(first_hour),
        n,
        &mut m.weather_rng,
    );
    if m.temperature.is_some() || m.grid_carbon.is_some() || m.marginal_emissions.is_some() {
        for (i, w) in weather.iter_mut().enumerate() {
            let (year, hoy) = clock.calendar.year_and_hour(first_hour + i as u64);
            if let Some(t) = &m.temperature {
                w.temperature_c = t.at(year, hoy);
            }
            if let Some(c) = &m.grid_carbon {
                w.grid_gco2_per_kwh = c.at(year, hoy);
            }
            if let Some(c) = &m.marginal_emissions {
                w.marginal_gco2_per_kwh = c.at(year, hoy);
            }
        }
    }
    let prices = month_prices(m, &clock.calendar, first_hour, n);
    let capacity = meter.hour_channel(1);
    let revenue = meter.hour_channel(2);
    let hours: Vec<HourIn> = (0..n)
        .map(|i| HourIn {
            it_kwh: it[i],
            capacity_kw: capacity[i],
            revenue_usd: revenue[i],
            weather: weather[i],
            grid_usd_per_kwh: prices[i].0,
            market_usd_per_kwh: prices[i].1,
        })
        .collect();
    let capture = clock.month < m.capture_months;
    let mut flows = Vec::new();
    let month = dispatch_month(&m.spec, &mut m.state, &hours, capture.then_some(&mut flows));
    if capture {
        sample.0.extend(flows);
    }
    if month.battery_replacement_usd > 0.0 {
        battery.write(BatteryReplaced {
            usd: month.battery_replacement_usd,
        });
    }
    settled.write(EnergySettled(month));
}
