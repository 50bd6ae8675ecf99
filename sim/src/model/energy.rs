//! Power, facility energy and its cost.
//!
//! IT power of a commissioned node is `idle + (max - idle) x load` plus its network and storage
//! overhead; the [`Meter`] integrates it exactly between events and keeps the IT energy of every
//! clock hour of the current month. At month end the facility energy of each hour is
//! `IT energy x PUE` and its cost is the hour's energy times the hour's tariff price, so an hourly
//! tariff applies exactly without stepping the simulation hour by hour.

use bevy_ecs::prelude::*;

use crate::engine::{Engine, EventKind, Meter, Step};

/// The energy model of one replication (inputs already sampled).
#[derive(Resource, Clone, Debug)]
pub struct EnergyModel {
    /// Power usage effectiveness, >= 1.
    pub pue: f64,
    /// Grid energy price, USD per kWh.
    pub price_usd_per_kwh: f64,
}

impl EnergyModel {
    /// Facility power multiplier in simulation hour `hour`.
    #[inline]
    pub fn pue_at(&self, _hour: u64) -> f64 {
        self.pue
    }

    /// Energy price in simulation hour `hour`, USD per kWh.
    #[inline]
    pub fn price_at(&self, _hour: u64) -> f64 {
        self.price_usd_per_kwh
    }
}

/// Energy totals of the month just closed.
#[derive(Resource, Clone, Debug, Default)]
pub struct MonthEnergy {
    /// IT energy, kWh.
    pub it_kwh: f64,
    /// Facility energy, kWh.
    pub facility_kwh: f64,
    /// Energy cost, USD.
    pub cost_usd: f64,
}

/// Add the energy resources and systems.
pub fn install(engine: &mut Engine, model: EnergyModel) {
    engine.world.insert_resource(model);
    engine.world.insert_resource(MonthEnergy::default());
    engine.schedule_mut(EventKind::MonthEnd).add_systems(settle_energy.in_set(Step::Energy));
}

/// Price the month's hourly IT energy.
pub fn settle_month(model: &EnergyModel, first_hour: u64, hour_it_kwh: &[f64]) -> MonthEnergy {
    let mut out = MonthEnergy::default();
    for (i, &it) in hour_it_kwh.iter().enumerate() {
        let h = first_hour + i as u64;
        let facility = it * model.pue_at(h);
        out.it_kwh += it;
        out.facility_kwh += facility;
        out.cost_usd += facility * model.price_at(h);
    }
    out
}

fn settle_energy(meter: Res<Meter>, model: Res<EnergyModel>, mut out: ResMut<MonthEnergy>) {
    *out = settle_month(&model, meter.month_first_hour(), meter.hour_it_kwh());
}
