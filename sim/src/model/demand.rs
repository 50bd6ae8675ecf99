//! Customer demand: Poisson arrivals of requests, first-fit placement, contracts and their end.
//!
//! Requests arrive as a Poisson process. Each request draws its class (by the mix shares), its size
//! in GPUs and its duration. It is placed on the first acceptable SKU that has enough free nodes
//! (size rounded up to whole nodes; the lowest-numbered free nodes are taken); otherwise it is
//! rejected and counted as unmet demand. When a contract ends its nodes return to the pool.

use bevy_ecs::prelude::*;
use rand::RngExt;

use super::fleet::{FleetCounters, FleetPlan, FreePool, Node, NodeState};
use crate::dist::Dist;
use crate::engine::{Agenda, Engine, Event, EventKind, Meter, Rate, Step};
use crate::rng::SimRng;
use super::reliability::settle_contract_sla;
use crate::scenario::{ContractClass, SlaTier};
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
    /// IT power the contract adds above idle on each of its nodes, kW.
    pub node_load_kw: f64,
    /// Start time.
    pub start: SimTime,
    /// End time.
    pub end: SimTime,
    /// GPUs of the contract on failed nodes right now.
    pub down_gpus: u32,
    /// Time up to which downtime has been counted.
    pub down_since: SimTime,
    /// GPU-hours lost to failures in the current month so far.
    pub down_gpu_hours_month: f64,
}

impl Contract {
    /// A contract entity not in use.
    pub const EMPTY: Contract = Contract {
        class: ContractClass::OnDemand,
        sku: 0,
        gpus: 0,
        price_usd_per_gpu_hour: 0.0,
        node_load_kw: 0.0,
        start: SimTime::ZERO,
        end: SimTime::ZERO,
        down_gpus: 0,
        down_since: SimTime::ZERO,
        down_gpu_hours_month: 0.0,
    };
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
#[derive(Clone, Debug)]
pub struct DemandModel {
    /// Mean arrivals per hour (all classes).
    pub arrivals_per_hour: f64,
    /// Request kinds.
    pub classes: Vec<ClassModel>,
    /// Cumulative shares of the classes (last is 1).
    pub cumulative_share: Vec<f64>,
}

/// Rental prices of one replication.
#[derive(Clone, Debug)]
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

/// Request counts of the current month.
#[derive(Clone, Debug, Default)]
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
    /// SLA credits owed to customers, USD.
    pub sla_credits_usd: f64,
}

/// Everything the demand systems own in one replication: the process, prices, its random
/// stream, this month's counters and the contract entities free for reuse.
#[derive(Resource, Debug)]
pub struct DemandState {
    /// The arrival process and request kinds.
    pub model: DemandModel,
    /// Prices.
    pub prices: Prices,
    /// The demand random stream.
    pub rng: SimRng,
    /// Counts of the current month.
    pub counters: DemandCounters,
    /// Start of the current month.
    pub month_start: SimTime,
    /// SLA credit schedule.
    pub sla_tiers: Vec<SlaTier>,
    /// Contract entities whose contracts have ended, reused for new contracts (a contract entity
    /// is never referenced after its end event, so reuse cannot confuse two contracts).
    free_contracts: Vec<Entity>,
    /// Contract entities spawned so far.
    n_contract_slots: usize,
    /// Scratch buffer for placement, kept to avoid an allocation per request.
    scratch: Vec<Entity>,
}

/// Add the demand resources and systems and schedule the first arrival.
pub fn install(engine: &mut Engine, model: DemandModel, prices: Prices, sla_tiers: Vec<SlaTier>, mut rng: SimRng) {
    if model.arrivals_per_hour > 0.0 && !model.classes.is_empty() {
        let first = next_arrival(SimTime::ZERO, model.arrivals_per_hour, &mut rng);
        engine.schedule(first, Event::RequestArrival);
    }
    engine.world.insert_resource(DemandState {
        model,
        prices,
        rng,
        counters: DemandCounters::default(),
        month_start: SimTime::ZERO,
        sla_tiers,
        free_contracts: Vec::new(),
        n_contract_slots: 0,
        scratch: Vec::new(),
    });
    engine.schedule_mut(EventKind::RequestArrival).add_systems(handle_demand_events.in_set(Step::Demand));
    engine.schedule_mut(EventKind::ContractEnd).add_systems(handle_demand_events.in_set(Step::Demand));
    engine.schedule_mut(EventKind::TrancheDelivered).add_systems(provision_contract_slots.in_set(Step::Demand));
    engine.schedule_mut(EventKind::MonthEnd).add_systems(reset_counters.in_set(Step::Record));
}

fn next_arrival(now: SimTime, per_hour: f64, rng: &mut SimRng) -> SimTime {
    let gap_h = -(1.0 - rng.random::<f64>()).ln() / per_hour;
    now.plus(hours_to_seconds(gap_h))
}

/// A contract needs at least one node, so there are never more contracts than delivered nodes:
/// one contract entity per delivered node is spawned when nodes arrive, and contract entities are
/// reused afterwards. Request handling then never spawns, which lets it run many events in one
/// schedule run.
fn provision_contract_slots(counters: Res<FleetCounters>, mut demand: ResMut<DemandState>, mut commands: Commands) {
    while demand.n_contract_slots < counters.next_node_id as usize {
        let e = commands.spawn((Contract::EMPTY, ContractNodes(Vec::new()))).id();
        demand.free_contracts.push(e);
        demand.n_contract_slots += 1;
    }
}

/// True for the events [`handle_demand_events`] handles.
fn is_demand_event(e: Event) -> bool {
    matches!(e, Event::RequestArrival | Event::ContractEnd(_))
}

/// Handle request arrivals and contract ends, and then every following event of those two kinds
/// in the same schedule run (see [`Agenda::take_next_if`]).
#[expect(clippy::too_many_arguments, reason = "a system's parameters are its declared data access")]
fn handle_demand_events(
    plan: Res<FleetPlan>,
    mut agenda: ResMut<Agenda>,
    mut demand: ResMut<DemandState>,
    mut pool: ResMut<FreePool>,
    mut meter: ResMut<Meter>,
    mut nodes: Query<(&Node, &mut NodeState)>,
    mut contracts: Query<(&mut Contract, &mut ContractNodes)>,
) {
    let agenda = agenda.bypass_change_detection();
    let meter = meter.bypass_change_detection();
    let demand = &mut *demand;
    let mut event = agenda.fired();
    loop {
        match event {
            Event::RequestArrival => admit_request(&plan, agenda, demand, &mut pool, meter, &mut nodes, &mut contracts),
            Event::ContractEnd(e) => {
                let now = agenda.now();
                end_contract(e, now, agenda, demand, &mut pool, meter, &mut nodes, &mut contracts)
            }
            other => unreachable!("demand systems do not handle {other:?}"),
        }
        match agenda.take_next_if(is_demand_event) {
            Some(next) => {
                meter.advance(agenda.now());
                event = next;
            }
            None => break,
        }
    }
}

fn admit_request(
    plan: &FleetPlan,
    agenda: &mut Agenda,
    d: &mut DemandState,
    pool: &mut FreePool,
    meter: &mut Meter,
    nodes: &mut Query<(&Node, &mut NodeState)>,
    contracts: &mut Query<(&mut Contract, &mut ContractNodes)>,
) {
    let now = agenda.now();
    let rng = &mut d.rng;
    agenda.schedule(next_arrival(now, d.model.arrivals_per_hour, rng), Event::RequestArrival);

    let u = rng.random::<f64>();
    let ci = d.model.cumulative_share.iter().position(|&c| u < c).unwrap_or(d.model.classes.len() - 1);
    let class = &d.model.classes[ci];
    let size_gpus = class.size_gpus.sample(rng).max(1.0).ceil();
    let duration_h = class.duration.sample(rng) * class.duration_unit_hours;
    let duration_s = hours_to_seconds(duration_h).max(1);
    d.counters.arrived += 1;

    let taken = &mut d.scratch;
    taken.clear();
    for &sku_idx in &class.skus {
        let sku = &plan.skus[sku_idx as usize];
        let n = (size_gpus / sku.gpus_per_node as f64).ceil();
        if n > pool.free(sku_idx) as f64 {
            continue;
        }
        pool.take(sku_idx, n as usize, taken);
        let gpus = n as u32 * sku.gpus_per_node;
        let price = d.prices.price(class.class, sku_idx);
        let node_load_kw = (sku.max_kw - sku.idle_kw) * class.load_frac;
        let end = now.plus(duration_s);
        let entity = d.free_contracts.pop().expect("there are never more contracts than nodes");
        let (mut c, mut c_nodes) = contracts.get_mut(entity).expect("contract entities stay alive");
        *c = Contract {
            class: class.class,
            sku: sku_idx,
            gpus,
            price_usd_per_gpu_hour: price,
            node_load_kw,
            start: now,
            end,
            down_gpus: 0,
            down_since: now,
            down_gpu_hours_month: 0.0,
        };
        c_nodes.0.clear();
        c_nodes.0.extend_from_slice(taken);
        for &e in taken.iter() {
            *nodes.get_mut(e).expect("pool holds live nodes").1 = NodeState::Busy(entity);
        }
        meter.add(Rate::ItKw, n * node_load_kw);
        meter.add(Rate::SoldGpus, gpus as f64);
        meter.add(revenue_rate(class.class), price * gpus as f64);
        agenda.schedule(end, Event::ContractEnd(entity));
        d.counters.placed += 1;
        return;
    }
    d.counters.rejected += 1;
    let gpu_hours = size_gpus * duration_s as f64 / SECONDS_PER_HOUR as f64;
    d.counters.unmet_gpu_hours += gpu_hours;
    if let Some(&first) = class.skus.first() {
        d.counters.unmet_revenue_usd += gpu_hours * d.prices.price(class.class, first);
    }
}

#[expect(clippy::too_many_arguments, reason = "ending a contract touches the pool, the meter, nodes and the agenda")]
fn end_contract(
    e: Entity,
    now: SimTime,
    agenda: &mut Agenda,
    demand: &mut DemandState,
    pool: &mut FreePool,
    meter: &mut Meter,
    nodes: &mut Query<(&Node, &mut NodeState)>,
    contracts: &mut Query<(&mut Contract, &mut ContractNodes)>,
) {
    let (mut contract, contract_nodes) = contracts.get_mut(e).expect("a contract ends once");
    demand.counters.sla_credits_usd += settle_contract_sla(&mut contract, demand.month_start, now, &demand.sla_tiers);
    for &n in &contract_nodes.0 {
        let (node, mut state) = nodes.get_mut(n).expect("contract nodes are live");
        match *state {
            NodeState::Busy(_) => {
                meter.add(Rate::ItKw, -contract.node_load_kw);
                if node.retiring {
                    *state = NodeState::Retiring;
                    agenda.schedule(now, Event::NodeRetired(n));
                } else {
                    *state = NodeState::Idle;
                    pool.give(node.sku, node.slot);
                }
            }
            // A failed node no longer waits for this contract; its repair returns it to the pool.
            NodeState::Down { permanent, .. } => *state = NodeState::Down { contract: None, permanent },
            other => unreachable!("a contract's node is {other:?}"),
        }
    }
    meter.add(Rate::SoldGpus, -(contract.gpus as f64));
    meter.add(revenue_rate(contract.class), -contract.price_usd_per_gpu_hour * contract.gpus as f64);
    *contract = Contract::EMPTY;
    demand.free_contracts.push(e);
}

fn reset_counters(agenda: Res<Agenda>, mut demand: ResMut<DemandState>) {
    demand.counters = DemandCounters::default();
    demand.month_start = agenda.now();
}

/// The meter rate that carries revenue of a class.
pub fn revenue_rate(class: ContractClass) -> Rate {
    match class {
        ContractClass::Reserved => Rate::RevenueReservedUsdPerHour,
        ContractClass::OnDemand => Rate::RevenueOnDemandUsdPerHour,
    }
}
