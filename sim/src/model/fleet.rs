//! The GPU fleet: hall phases, tranche deliveries, commissioning and the pool of free nodes.
//!
//! A tranche becomes node entities when it is delivered. A delivered node is commissioned only
//! when a ready hall phase has power room for its maximum IT power (node max plus network and
//! storage overhead); otherwise it waits in inventory and is commissioned, in node order, as soon
//! as a phase with room becomes ready.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use bevy_ecs::prelude::*;

use super::finance::{AssetClass, Ledger};
use crate::engine::{Clock, Engine, Event, EventKind, Fired, Meter, Rate, Step};

/// Stable domain id of a node (delivery order), used wherever order matters.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// A GPU node (an 8-GPU server, or a 72-GPU rack for NVL72 SKUs).
#[derive(Component, Clone, Copy, Debug)]
pub struct Node {
    /// Index of the SKU in [`FleetPlan::skus`].
    pub sku: u16,
    /// Index of the tranche it came in.
    pub tranche: u16,
}

/// What a node is doing.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeState {
    /// Delivered, waiting for a powered hall phase.
    Inventory,
    /// Commissioned and free.
    Idle,
    /// Running the given contract.
    Busy(Entity),
}

/// The hall phase a commissioned node sits in.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct InPhase(pub u16);

/// Per-replication data of one SKU in the fleet.
#[derive(Clone, Debug)]
pub struct SkuSpec {
    /// SKU name.
    pub name: String,
    /// GPUs per node.
    pub gpus_per_node: u32,
    /// Idle IT power of a node including overhead, kW.
    pub idle_kw: f64,
    /// Maximum IT power of a node including overhead, kW.
    pub max_kw: f64,
}

/// Per-replication plan of one tranche (inputs already sampled).
#[derive(Clone, Debug)]
pub struct TranchePlan {
    /// Tranche name.
    pub name: String,
    /// Index into [`FleetPlan::skus`].
    pub sku: u16,
    /// Nodes in the tranche.
    pub n_nodes: u32,
    /// Month of delivery, or `None` if it falls after the horizon.
    pub delivery_month: Option<u32>,
    /// Price per GPU, USD.
    pub price_usd_per_gpu: f64,
    /// Network cost per node, USD.
    pub network_usd_per_node: f64,
}

/// Per-replication plan of one hall phase.
#[derive(Clone, Debug)]
pub struct PhasePlan {
    /// Phase name.
    pub name: String,
    /// IT capacity, kW.
    pub it_kw: f64,
    /// Month it becomes ready, or `None` if after the horizon.
    pub ready_month: Option<u32>,
    /// Construction cost, USD.
    pub capex_usd: f64,
}

/// The fleet as planned for this replication.
#[derive(Resource, Clone, Debug)]
pub struct FleetPlan {
    /// SKUs used by the fleet.
    pub skus: Vec<SkuSpec>,
    /// Tranches in scenario order.
    pub tranches: Vec<TranchePlan>,
    /// Hall phases in scenario order.
    pub phases: Vec<PhasePlan>,
}

/// Live state of the hall phases.
#[derive(Resource, Clone, Debug, Default)]
pub struct Phases {
    /// Whether each phase is ready.
    pub ready: Vec<bool>,
    /// Maximum IT power of the nodes placed in each phase, kW.
    pub used_kw: Vec<f64>,
}

/// Free commissioned nodes per SKU; placement takes the lowest node ids first (first fit).
#[derive(Resource, Clone, Debug, Default)]
pub struct FreePool {
    heaps: Vec<BinaryHeap<Reverse<(NodeId, Entity)>>>,
}

impl FreePool {
    /// An empty pool for `n_skus` SKUs.
    pub fn new(n_skus: usize) -> FreePool {
        FreePool { heaps: vec![BinaryHeap::new(); n_skus] }
    }

    /// Number of free nodes of a SKU.
    #[inline]
    pub fn free(&self, sku: u16) -> usize {
        self.heaps[sku as usize].len()
    }

    /// Take the `n` lowest-numbered free nodes of a SKU, or none if fewer are free.
    pub fn take(&mut self, sku: u16, n: usize, out: &mut Vec<Entity>) -> bool {
        let heap = &mut self.heaps[sku as usize];
        if heap.len() < n {
            return false;
        }
        for _ in 0..n {
            let Reverse((_, e)) = heap.pop().expect("length checked");
            out.push(e);
        }
        true
    }

    /// Return a node to the pool.
    #[inline]
    pub fn give(&mut self, sku: u16, id: NodeId, e: Entity) {
        self.heaps[sku as usize].push(Reverse((id, e)));
    }
}

/// Nodes waiting in inventory, in delivery order.
#[derive(Resource, Clone, Debug, Default)]
pub struct Inventory(pub Vec<(NodeId, Entity)>);

/// Fleet totals.
#[derive(Resource, Clone, Debug, Default)]
pub struct FleetCounters {
    /// Next node id to hand out.
    pub next_node_id: u32,
    /// GPUs delivered.
    pub installed_gpus: u64,
    /// GPUs commissioned.
    pub commissioned_gpus: u64,
    /// Built IT capacity of ready phases, kW.
    pub ready_it_kw: f64,
}

/// Add the fleet's resources and systems, and schedule deliveries and phase readiness.
pub fn install(engine: &mut Engine, plan: FleetPlan) {
    let calendar = engine.world.resource::<Clock>().calendar.clone();
    for (i, ph) in plan.phases.iter().enumerate() {
        if let Some(m) = ph.ready_month {
            engine.schedule(calendar.month_start(m), Event::PhaseReady(i as u16));
        }
    }
    for (i, t) in plan.tranches.iter().enumerate() {
        if let Some(m) = t.delivery_month {
            engine.schedule(calendar.month_start(m), Event::TrancheDelivered(i as u16));
        }
    }
    let n_phases = plan.phases.len();
    engine.world.insert_resource(FreePool::new(plan.skus.len()));
    engine.world.insert_resource(Phases { ready: vec![false; n_phases], used_kw: vec![0.0; n_phases] });
    engine.world.insert_resource(Inventory::default());
    engine.world.insert_resource(FleetCounters::default());
    engine.world.insert_resource(plan);
    engine.schedule_mut(EventKind::PhaseReady).add_systems(ready_phase.in_set(Step::Fleet));
    engine.schedule_mut(EventKind::TrancheDelivered).add_systems(deliver_tranche.in_set(Step::Fleet));
}

/// Find a ready phase with room for `kw` more; phases are tried in scenario order.
fn phase_with_room(plan: &FleetPlan, phases: &Phases, kw: f64) -> Option<usize> {
    (0..plan.phases.len()).find(|&i| phases.ready[i] && phases.used_kw[i] + kw <= plan.phases[i].it_kw * (1.0 + 1e-12))
}

/// Put a node into service in phase `phase`.
fn commission(
    sku: &SkuSpec,
    sku_idx: u16,
    phase: usize,
    id: NodeId,
    e: Entity,
    phases: &mut Phases,
    pool: &mut FreePool,
    meter: &mut Meter,
    counters: &mut FleetCounters,
) {
    phases.used_kw[phase] += sku.max_kw;
    pool.give(sku_idx, id, e);
    meter.add(Rate::ItKw, sku.idle_kw);
    meter.add(Rate::CommissionedGpus, sku.gpus_per_node as f64);
    counters.commissioned_gpus += sku.gpus_per_node as u64;
}

#[expect(clippy::too_many_arguments, reason = "a system's parameters are its declared data access")]
fn ready_phase(
    fired: Res<Fired>,
    plan: Res<FleetPlan>,
    mut phases: ResMut<Phases>,
    mut inventory: ResMut<Inventory>,
    mut pool: ResMut<FreePool>,
    mut meter: ResMut<Meter>,
    mut counters: ResMut<FleetCounters>,
    mut ledger: ResMut<Ledger>,
    mut nodes: Query<(&Node, &mut NodeState)>,
    mut commands: Commands,
) {
    let Event::PhaseReady(i) = fired.0 else { unreachable!("ready_phase runs only on PhaseReady") };
    let i = i as usize;
    phases.ready[i] = true;
    counters.ready_it_kw += plan.phases[i].it_kw;
    ledger.book_capex(AssetClass::Facility, plan.phases[i].capex_usd);
    // Commission waiting nodes in delivery order while there is room.
    let waiting = std::mem::take(&mut inventory.0);
    for (id, e) in waiting {
        let (node, mut state) = nodes.get_mut(e).expect("inventory holds live nodes");
        let sku = &plan.skus[node.sku as usize];
        match phase_with_room(&plan, &phases, sku.max_kw) {
            Some(p) => {
                *state = NodeState::Idle;
                commands.entity(e).insert(InPhase(p as u16));
                commission(sku, node.sku, p, id, e, &mut phases, &mut pool, &mut meter, &mut counters);
            }
            None => inventory.0.push((id, e)),
        }
    }
}

#[expect(clippy::too_many_arguments, reason = "a system's parameters are its declared data access")]
fn deliver_tranche(
    fired: Res<Fired>,
    plan: Res<FleetPlan>,
    mut phases: ResMut<Phases>,
    mut inventory: ResMut<Inventory>,
    mut pool: ResMut<FreePool>,
    mut meter: ResMut<Meter>,
    mut counters: ResMut<FleetCounters>,
    mut ledger: ResMut<Ledger>,
    mut commands: Commands,
) {
    let Event::TrancheDelivered(t) = fired.0 else { unreachable!("deliver_tranche runs only on TrancheDelivered") };
    let tranche = &plan.tranches[t as usize];
    let sku = &plan.skus[tranche.sku as usize];
    let gpus = tranche.n_nodes as u64 * sku.gpus_per_node as u64;
    ledger.book_capex(AssetClass::GpuServers, gpus as f64 * tranche.price_usd_per_gpu);
    ledger.book_capex(AssetClass::Network, tranche.n_nodes as f64 * tranche.network_usd_per_node);
    counters.installed_gpus += gpus;
    meter.add(Rate::InstalledGpus, gpus as f64);
    for _ in 0..tranche.n_nodes {
        let id = NodeId(counters.next_node_id);
        counters.next_node_id += 1;
        let node = Node { sku: tranche.sku, tranche: t };
        // Room only appears when a phase becomes ready, and waiting nodes were offered it then,
        // so a new node that fits takes no place from a waiting one.
        match phase_with_room(&plan, &phases, sku.max_kw) {
            Some(p) => {
                let e = commands.spawn((id, node, NodeState::Idle, InPhase(p as u16))).id();
                commission(sku, tranche.sku, p, id, e, &mut phases, &mut pool, &mut meter, &mut counters);
            }
            None => {
                let e = commands.spawn((id, node, NodeState::Inventory)).id();
                inventory.0.push((id, e));
            }
        }
    }
}
