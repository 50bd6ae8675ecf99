//! One replication: a scenario's [`Plan`] sampled, every model installed on an [`Engine`], the
//! month ends scheduled ([`build`]); run to the end of the horizon and its results collected
//! ([`run_replication`]).

use bevy_ecs::prelude::*;

use crate::correlation::Correlations;
use crate::engine::{Agenda, Clock, Engine, EventKind, Meter, SimEvent, Step};
use crate::model::{demand, energy, finance, fleet, messages, policy, reliability};
use crate::params::SampleMode;
use crate::plan::Plan;
use crate::results::Replication;
use crate::rng::{KeyedStreams, Stream, stream_rng};
use crate::scenario::LoadedScenario;
use crate::time::{HOURS_PER_YEAR, SimTime};

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
    /// random numbers); with the scenario's `correlations` imposed on either (see
    /// [`crate::correlation`]).
    pub fn for_run(loaded: &LoadedScenario, seed: u64, n: u64) -> ReplicationOptions {
        use crate::params::LhsPlan;
        use crate::scenario::Sampling;
        use std::sync::Arc;
        let correlations = if loaded.scenario.correlations.is_empty() {
            None
        } else {
            Correlations::new(&loaded.scenario.correlations, Plan::new(loaded).inputs())
        };
        let sample_mode =
            match (&loaded.scenario.simulation.sampling, correlations) {
                (Sampling::Random, None) => SampleMode::Random,
                (Sampling::Random, Some(c)) => SampleMode::Correlated(Arc::new(c)),
                (Sampling::LatinHypercube, None) => SampleMode::LatinHypercube(Arc::new(
                    LhsPlan::new(seed, n, &uncertain_inputs(loaded)),
                )),
                (Sampling::LatinHypercube, Some(c)) => SampleMode::LatinHypercube(Arc::new(
                    LhsPlan::correlated(seed, n, &uncertain_inputs(loaded), &c),
                )),
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
    build_plan(&Plan::new(loaded), seed, replication, options)
}

/// Assemble the engine of replication `replication` of a scenario's plan under master seed
/// `seed`: draw the plan's uncertain inputs, install every model and schedule the month ends.
/// Returns the engine and the values drawn for uncertain inputs.
pub(crate) fn build_plan(
    plan: &Plan,
    seed: u64,
    replication: u64,
    options: &ReplicationOptions,
) -> (Engine, Vec<(String, f64)>) {
    let values = plan.sample(seed, replication, &options.sample_mode);
    let models = plan.models(&values, seed, replication);
    let calendar = plan.calendar().clone();
    let mut engine = Engine::new(calendar.clone());
    // Month ends come first in the agenda, so at a month boundary the month is closed before
    // anything else happens at that instant.
    for m in 0..calendar.horizon_months() {
        engine.schedule(calendar.month_start(m + 1), SimEvent::MonthEnd);
    }
    let n_tranches = models.fleet.tranches.len();
    let battery_capex = models
        .energy
        .spec
        .battery
        .as_ref()
        .map_or(0.0, |b| b.replacement_usd);
    fleet::install(&mut engine, models.fleet, options.trace);
    reliability::install(&mut engine);
    demand::install(
        &mut engine,
        models.demand,
        models.prices,
        models.sla_tiers,
        plan.n_skus(),
        stream_rng(seed, replication, Stream::Demand),
        KeyedStreams::new(seed, replication, Stream::Customers),
        options.trace,
    );
    energy::install(&mut engine, models.energy);
    finance::install(&mut engine, models.finance, n_tranches);
    if let Some((model, run)) = models.policy {
        policy::install(&mut engine, model, run);
    }
    // On-site energy assets are bought before the first month.
    for (usd, battery) in [(models.energy_capex, false), (battery_capex, true)] {
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
    (engine, plan.drawn(&values))
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
    try_run_plan(&Plan::new(loaded), seed, replication, options)
}

/// Run replication `replication` of a scenario's plan under master seed `seed`, as
/// [`try_run_replication`] does.
pub(crate) fn try_run_plan(
    plan: &Plan,
    seed: u64,
    replication: u64,
    options: &ReplicationOptions,
) -> Result<Replication, String> {
    let (engine, params) = build_plan(plan, seed, replication, options);
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
    let decisions = engine
        .world
        .get_resource::<policy::PolicyRun>()
        .map(|r| r.decisions.clone())
        .unwrap_or_default();
    Ok(Replication {
        decisions,
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
pub(crate) fn uncertain_inputs(loaded: &LoadedScenario) -> Vec<String> {
    Plan::new(loaded)
        .inputs()
        .iter()
        .map(|input| input.path.clone())
        .collect()
}
