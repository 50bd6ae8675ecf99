//! The plan of a scenario: what a replication needs, resolved once from a validated scenario and
//! its catalog. Names are resolved to indices (SKUs, phases, regimes, presets), units and defaults
//! are applied, and every number a replication may draw is an entry of the plan's registry of
//! uncertain inputs ([`Input`]), in the order replications draw them. A replication only samples
//! the registry ([`Plan::sample`]) and turns the plan and the values into the models' inputs
//! ([`Plan::models`]), which [`crate::replication::build`] installs.
//!
//! The sections of the plan follow the models: [`supply`] (fleet, phases, reliability and market
//! prices), [`demand`], [`energy`] and [`finance`].

mod demand;
mod energy;
mod finance;
mod policy;
mod registry;
mod setter;
mod supply;

pub(crate) use registry::{Drawn, Num, Registry};
pub use registry::{Input, WholeMonths, uncertain_fields};
pub(crate) use setter::Settable;
pub use setter::set_fields;

use crate::dist::Dist;
use crate::model::policy::{Effect, PolicyModel, PolicyRun};
use crate::model::{demand as demand_model, energy as energy_model, finance as finance_model};
use crate::model::{fleet, market};
use crate::params::{SampleMode, Sampler};
use crate::rng::{KeyedStreams, Stream, stream_rng};
use crate::scenario::{LoadedScenario, PricingPolicy, SlaTier};
use crate::time::Calendar;

/// A scenario resolved for its replications.
#[derive(Clone, Debug)]
pub struct Plan {
    registry: Registry,
    horizon: u32,
    calendar: Calendar,
    sla_tiers: Vec<SlaTier>,
    supply: supply::SupplyPlan,
    demand: demand::DemandPlan,
    energy: energy::EnergyPlan,
    finance: finance::FinancePlan,
}

/// The inputs of every model of one replication, ready to install.
pub(crate) struct Models {
    pub(crate) fleet: fleet::FleetPlan,
    pub(crate) demand: demand_model::DemandModel,
    pub(crate) prices: demand_model::Prices,
    pub(crate) sla_tiers: Vec<SlaTier>,
    pub(crate) energy: energy_model::EnergyModel,
    /// Capex of the on-site energy assets other than the battery.
    pub(crate) energy_capex: f64,
    pub(crate) finance: finance_model::FinanceModel,
    /// The expansion policies and their firings of month 0 (none without policies).
    pub(crate) policy: Option<(PolicyModel, PolicyRun)>,
}

impl Plan {
    /// The plan of a loaded (validated) scenario.
    pub fn new(loaded: &LoadedScenario) -> Plan {
        let s = &loaded.scenario;
        let mut registry = Registry::default();
        let horizon = s.simulation.horizon();
        let calendar = Calendar::new(s.simulation.start, horizon);
        // The order of these calls is the order replications draw their inputs.
        let supply = supply::SupplyPlan::new(s, &loaded.catalog, &mut registry);
        let demand =
            demand::DemandPlan::new(s, loaded.demand_history.as_ref(), &supply, &mut registry);
        let energy = energy::EnergyPlan::new(loaded, &mut registry);
        let finance = finance::FinancePlan::new(s, &mut registry);
        Plan {
            registry,
            horizon,
            calendar,
            sla_tiers: s.reliability.sla.tiers.clone(),
            supply,
            demand,
            energy,
            finance,
        }
    }

    /// The uncertain inputs a replication draws, in drawing order.
    pub fn inputs(&self) -> &[Input] {
        &self.registry.inputs
    }

    /// Field paths of the distributions drawn afresh for every request, failure or repair.
    pub fn process_distributions(&self) -> &[String] {
        &self.registry.processes
    }

    /// The calendar of the horizon.
    pub(crate) fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The values of the uncertain inputs in replication `replication` of master seed `seed`,
    /// in the order of [`Plan::inputs`].
    pub(crate) fn sample(&self, seed: u64, replication: u64, mode: &SampleMode) -> Vec<f64> {
        let sampler = Sampler::new(seed, replication, mode);
        self.registry
            .inputs
            .iter()
            .map(|input| input.within(sampler.draw(&input.path, &input.dist)))
            .collect()
    }

    /// `(path, value)` of every uncertain input, given the values [`Plan::sample`] drew.
    pub(crate) fn drawn(&self, values: &[f64]) -> Vec<(String, f64)> {
        self.registry
            .inputs
            .iter()
            .zip(values)
            .map(|(input, x)| (input.path.clone(), *x))
            .collect()
    }

    /// The inputs of every model of replication `replication` of master seed `seed`, with the
    /// uncertain inputs at `values`.
    pub(crate) fn models(&self, values: &[f64], seed: u64, replication: u64) -> Models {
        let v = Drawn(values);
        let horizon = self.horizon;
        let failures = KeyedStreams::new(seed, replication, Stream::Failures);
        let mut fleet = self.supply.fleet(&v, horizon, failures);
        let (_regime, demand_multiplier, price_multiplier) = market::regime_path(
            self.supply.regimes.as_ref(),
            horizon,
            &mut stream_rng(seed, replication, Stream::Market),
        );
        let prices = self.supply.prices(
            &v,
            horizon,
            &price_multiplier,
            &mut stream_rng(seed, replication, Stream::Prices),
        );
        // Policies firing in month 0 enter the fleet plan as planned purchases do.
        // Phases a month-0 firing deferred or cancelled (their draws) and one-off expenses.
        let mut moved: Vec<(u16, Vec<(u32, f64)>)> = Vec::new();
        let mut expenses = Vec::new();
        let mut prices = prices;
        let policy = (!self.supply.policies.is_empty()).then(|| {
            let mut model = self.supply.policies.model(&fleet, &prices.market, horizon);
            let mut run = PolicyRun::new(&model);
            let effects = run.decide(&model, 0);
            PolicyRun::note_delivery(&mut model, &effects);
            for e in effects {
                match e {
                    Effect::Deliver {
                        tranche,
                        month,
                        retire,
                    } => {
                        let t = &mut fleet.tranches[tranche as usize];
                        t.delivery_month = month;
                        t.retire_month = retire;
                    }
                    Effect::Build { phase, month, .. } => {
                        let ph = &mut fleet.phases[phase as usize];
                        ph.ready_month = month;
                        ph.ready_month_raw = month.map_or(policy::NOT_STARTED, i64::from);
                    }
                    Effect::Defer {
                        phase,
                        month,
                        draws,
                    } => {
                        fleet.phases[phase as usize].ready_month = month;
                        moved.push((phase, draws));
                    }
                    Effect::Cancel {
                        phase,
                        month,
                        cost_usd,
                    } => {
                        let ph = &mut fleet.phases[phase as usize];
                        ph.ready_month = None;
                        ph.ready_month_raw = policy::NOT_STARTED;
                        moved.push((phase, Vec::new()));
                        expenses.push((month, cost_usd));
                    }
                    Effect::PriceRatio(r) => prices.policy = PricingPolicy::ListRatio(r),
                    Effect::Retire(_) => unreachable!("nothing is delivered before month 0"),
                }
            }
            (model, run)
        });
        let demand = self
            .demand
            .model(&v, demand_multiplier, self.calendar.clone());
        let (energy, energy_capex) = self.energy.model(&v, seed, replication, &mut fleet);
        let mut finance = self.finance.model(&v, horizon, &fleet);
        for (phase, draws) in moved {
            finance.phases[phase as usize].draws = draws;
        }
        finance.expenses = expenses;
        Models {
            fleet,
            demand,
            prices,
            sla_tiers: self.sla_tiers.clone(),
            energy,
            energy_capex,
            finance,
            policy,
        }
    }

    /// Number of SKUs the fleet uses.
    pub(crate) fn n_skus(&self) -> usize {
        self.supply.skus.len()
    }
}

/// A distribution scaled by a positive factor (days to hours, say).
fn scale_dist(d: Dist, k: f64) -> Dist {
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

/// The month of the horizon that `m` (in months from the start) falls in, or `None` after it.
fn month_in_horizon(m: f64, horizon: u32) -> Option<u32> {
    let m = m.max(0.0).floor();
    if m < horizon as f64 {
        Some(m as u32)
    } else {
        None
    }
}
