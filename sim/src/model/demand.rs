//! Customer demand: Poisson arrivals of requests, first-fit placement, contracts and their end.
//!
//! Requests arrive as a Poisson process. Each request draws its class (by the mix shares), its size
//! in GPUs and its duration. It is placed on the first acceptable SKU that has enough free nodes
//! (size rounded up to whole nodes; the lowest-numbered free nodes are taken); otherwise it is
//! rejected and counted as unmet demand. When a contract ends its nodes return to the pool.

use bevy_ecs::prelude::*;
use rand::RngExt;

use super::fleet::{FleetPlan, FreePool, NodeState};
use crate::dist::Dist;
use crate::engine::{Agenda, Clock, Engine, Event, EventKind, Fired, Meter, Rate, Step};
use crate::rng::SimRng;
use crate::scenario::ContractClass;
use crate::time::{SECONDS_PER_HOUR, SimTime, hours_to_seconds};

/// A running customer contract.
#[derive(Component, Clone, Debug)]
pub struct Contract {
    /// Contract class.
    pub class: ContractClass,
    /// SKU index.
    pub sku: u16,
    /// GPUs sold.
    pub gpus: u32,
    /// Price locked at signing, USD per GPU-hour.
    pub price_usd_per_gpu_hour: f64,
    /// IT power the contract adds above idle, kW.
    pub it_kw: f64,
    /// Start time.
    pub start: SimTime,
    /// End time.
    pub end: SimTime,
}

/// Nodes serving a contract.
#[derive(Component, Clone, Debug)]
pub struct ContractNodes(pub Vec<Entity>);

/// One kind of request, with per-replication inputs resolved.
#[derive(Clone, Debug)]
pub struct ClassModel {
    /// Contract class.
    pub class: ContractClass,
    /// Size in GPUs, drawn per request.
    pub size_gpus: Dist,
    /// Duration in hours, drawn per request (already scaled to hours).
    pub duration: Dist,
    /// Hours per unit of `duration`.
    pub duration_unit_hours: f64,
    /// Acceptable SKUs (indices into the fleet's SKUs), in preference order.
    pub skus: Vec<u16>,
    /// Load between idle (0) and max (1) power while running.
    pub load_frac: f64,
}

/// The demand process of one replication.
#[derive(Resource, Clone, Debug)]
pub struct DemandModel {
    /// Mean arrivals per hour (all classes).
    pub arrivals_per_hour: f64,
    /// Request kinds.
    pub classes: Vec<ClassModel>,
    /// Cumulative shares of the classes (last is 1).
    pub cumulative_share: Vec<f64>,
}

/// Rental prices of one replication.
#[derive(Resource, Clone, Debug)]
pub struct Prices {
    /// On-demand price per SKU, USD per GPU-hour.
    pub on_demand_usd_per_gpu_hour: Vec<f64>,
    /// Reserved discount below on-demand.
    pub reserved_discount_frac: f64,
}

impl Prices {
    /// Price of a new contract of `class` on `sku`.
    pub fn price(&self, class: ContractClass, sku: u16) -> f64 {
        let p = self.on_demand_usd_per_gpu_hour[sku as usize];
        match class {
            ContractClass::Reserved => p * (1.0 - self.reserved_discount_frac),
            ContractClass::OnDemand => p,
        }
    }
}

/// The demand subsystem's random stream.
#[derive(Resource, Debug)]
pub struct DemandRng(pub SimRng);

/// Request counts of the current month.
#[derive(Resource, Clone, Debug, Default)]
pub struct DemandCounters {
    /// Requests arrived.
    pub arrived: u64,
    /// Requests placed.
    pub placed: u64,
    /// Requests rejected.
    pub rejected: u64,
    /// GPU-hours of rejected requests.
    pub unmet_gpu_hours: f64,
    /// Revenue of rejected requests at the prices they would have paid, USD.
    pub unmet_revenue_usd: f64,
}

/// Scratch buffer for placement, kept to avoid an allocation per request.
#[derive(Resource, Default)]
struct Scratch(Vec<Entity>);

/// Add the demand resources and systems and schedule the first arrival.
pub fn install(engine: &mut Engine, model: DemandModel, prices: Prices, mut rng: SimRng) {
    if model.arrivals_per_hour > 0.0 && !model.classes.is_empty() {
        let first = next_arrival(SimTime::ZERO, model.arrivals_per_hour, &mut rng);
        engine.schedule(first, Event::RequestArrival);
    }
    engine.world.insert_resource(model);
    engine.world.insert_resource(prices);
    engine.world.insert_resource(DemandRng(rng));
    engine.world.insert_resource(DemandCounters::default());
    engine.world.insert_resource(Scratch::default());
    engine.schedule_mut(EventKind::RequestArrival).add_systems(admit_request.in_set(Step::Demand));
    engine.schedule_mut(EventKind::ContractEnd).add_systems(end_contract.in_set(Step::Demand));
    engine.schedule_mut(EventKind::MonthEnd).add_systems(reset_counters.in_set(Step::Record));
}

fn next_arrival(now: SimTime, per_hour: f64, rng: &mut SimRng) -> SimTime {
    let gap_h = -(1.0 - rng.random::<f64>()).ln() / per_hour;
    now.plus(hours_to_seconds(gap_h))
}

#[expect(clippy::too_many_arguments, reason = "a system's parameters are its declared data access")]
fn admit_request(
    clock: Res<Clock>,
    model: Res<DemandModel>,
    plan: Res<FleetPlan>,
    prices: Res<Prices>,
    mut agenda: ResMut<Agenda>,
    mut rng: ResMut<DemandRng>,
    mut pool: ResMut<FreePool>,
    mut meter: ResMut<Meter>,
    mut counters: ResMut<DemandCounters>,
    mut scratch: ResMut<Scratch>,
    mut nodes: Query<&mut NodeState>,
    mut commands: Commands,
) {
    let now = clock.now;
    let rng = &mut rng.0;
    agenda.schedule(next_arrival(now, model.arrivals_per_hour, rng), Event::RequestArrival);

    let u = rng.random::<f64>();
    let ci = model.cumulative_share.iter().position(|&c| u < c).unwrap_or(model.classes.len() - 1);
    let class = &model.classes[ci];
    let size_gpus = class.size_gpus.sample(rng).max(1.0).ceil();
    let duration_h = class.duration.sample(rng) * class.duration_unit_hours;
    let duration_s = hours_to_seconds(duration_h).max(1);
    counters.arrived += 1;

    let nodes_buf = &mut scratch.0;
    nodes_buf.clear();
    for &sku_idx in &class.skus {
        let sku = &plan.skus[sku_idx as usize];
        let n = (size_gpus / sku.gpus_per_node as f64).ceil();
        if n > pool.free(sku_idx) as f64 {
            continue;
        }
        pool.take(sku_idx, n as usize, nodes_buf);
        let gpus = n as u32 * sku.gpus_per_node;
        let price = prices.price(class.class, sku_idx);
        let it_kw = n * (sku.max_kw - sku.idle_kw) * class.load_frac;
        let end = now.plus(duration_s);
        let contract = commands
            .spawn(Contract { class: class.class, sku: sku_idx, gpus, price_usd_per_gpu_hour: price, it_kw, start: now, end })
            .id();
        for &e in nodes_buf.iter() {
            *nodes.get_mut(e).expect("pool holds live nodes") = NodeState::Busy(contract);
        }
        commands.entity(contract).insert(ContractNodes(nodes_buf.clone()));
        meter.add(Rate::ItKw, it_kw);
        meter.add(Rate::SoldGpus, gpus as f64);
        meter.add(revenue_rate(class.class), price * gpus as f64);
        agenda.schedule(end, Event::ContractEnd(contract));
        counters.placed += 1;
        return;
    }
    counters.rejected += 1;
    let gpu_hours = size_gpus * duration_s as f64 / SECONDS_PER_HOUR as f64;
    counters.unmet_gpu_hours += gpu_hours;
    if let Some(&first) = class.skus.first() {
        counters.unmet_revenue_usd += gpu_hours * prices.price(class.class, first);
    }
}

/// The meter rate that carries revenue of a class.
pub fn revenue_rate(class: ContractClass) -> Rate {
    match class {
        ContractClass::Reserved => Rate::RevenueReservedUsdPerHour,
        ContractClass::OnDemand => Rate::RevenueOnDemandUsdPerHour,
    }
}

fn end_contract(
    fired: Res<Fired>,
    mut pool: ResMut<FreePool>,
    mut meter: ResMut<Meter>,
    contracts: Query<(&Contract, &ContractNodes)>,
    mut nodes: Query<(&super::fleet::NodeId, &mut NodeState)>,
    mut commands: Commands,
) {
    let Event::ContractEnd(e) = fired.0 else { unreachable!("end_contract runs only on ContractEnd") };
    let (contract, contract_nodes) = contracts.get(e).expect("a contract ends once");
    for &n in &contract_nodes.0 {
        let (id, mut state) = nodes.get_mut(n).expect("contract nodes are live");
        *state = NodeState::Idle;
        pool.give(contract.sku, *id, n);
    }
    meter.add(Rate::ItKw, -contract.it_kw);
    meter.add(Rate::SoldGpus, -(contract.gpus as f64));
    meter.add(revenue_rate(contract.class), -contract.price_usd_per_gpu_hour * contract.gpus as f64);
    commands.entity(e).despawn();
}

fn reset_counters(mut counters: ResMut<DemandCounters>) {
    *counters = DemandCounters::default();
}
