//! The GPU fleet: hall phases, tranche deliveries, commissioning and the pool of free nodes.
//!
//! A tranche becomes node entities when it is delivered. A delivered node is commissioned only
//! when a ready hall phase has power room for its maximum IT power (node max plus network and
//! storage overhead); otherwise it waits in inventory and is commissioned, in node order, as soon
//! as a phase with room becomes ready.

use bevy_ecs::prelude::*;

use super::finance::{AssetClass, Ledger};
use crate::engine::{Agenda, Clock, Engine, Event, EventKind, Meter, Rate, Step};

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
    /// Slot in its SKU's [`FreePool`] (delivery order within the SKU).
    pub slot: u32,
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

/// Free commissioned nodes per SKU. Each SKU's nodes have slots in delivery order; placement takes
/// the lowest free slots first (first fit). Free slots are kept in a two-level bitset, so taking
/// and returning a node cost a few word operations whatever the fleet size.
#[derive(Resource, Clone, Debug, Default)]
pub struct FreePool {
    skus: Vec<SkuPool>,
}

#[derive(Clone, Debug, Default)]
struct SkuPool {
    entities: Vec<Entity>,
    words: Vec<u64>,
    summary: Vec<u64>,
    free: usize,
}

impl SkuPool {
    fn set(&mut self, slot: usize) {
        let w = slot / 64;
        debug_assert!(self.words[w] & (1 << (slot % 64)) == 0, "slot {slot} returned twice");
        self.words[w] |= 1 << (slot % 64);
        self.summary[w / 64] |= 1 << (w % 64);
        self.free += 1;
    }

    fn take_lowest(&mut self) -> usize {
        let s = self.summary.iter().position(|&x| x != 0).expect("a free slot exists");
        let w = s * 64 + self.summary[s].trailing_zeros() as usize;
        let bit = self.words[w].trailing_zeros() as usize;
        self.words[w] &= self.words[w] - 1;
        if self.words[w] == 0 {
            self.summary[s] &= !(1 << (w % 64));
        }
        self.free -= 1;
        w * 64 + bit
    }
}

impl FreePool {
    /// An empty pool for `n_skus` SKUs.
    pub fn new(n_skus: usize) -> FreePool {
        FreePool { skus: vec![SkuPool::default(); n_skus] }
    }

    /// Register a delivered node (not yet free); returns its slot.
    pub fn register(&mut self, sku: u16, e: Entity) -> u32 {
        let p = &mut self.skus[sku as usize];
        let slot = p.entities.len();
        p.entities.push(e);
        if slot / 64 >= p.words.len() {
            p.words.push(0);
        }
        if slot / 4096 >= p.summary.len() {
            p.summary.push(0);
        }
        slot as u32
    }

    /// Number of free nodes of a SKU.
    #[inline]
    pub fn free(&self, sku: u16) -> usize {
        self.skus[sku as usize].free
    }

    /// Take the `n` lowest-slot free nodes of a SKU, or none if fewer are free.
    pub fn take(&mut self, sku: u16, n: usize, out: &mut Vec<Entity>) -> bool {
        let p = &mut self.skus[sku as usize];
        if p.free < n {
            return false;
        }
        for _ in 0..n {
            let slot = p.take_lowest();
            out.push(p.entities[slot]);
        }
        true
    }

    /// Mark a node free.
    #[inline]
    pub fn give(&mut self, sku: u16, slot: u32) {
        self.skus[sku as usize].set(slot as usize);
    }
}

/// Nodes waiting in inventory, in delivery order.
#[derive(Resource, Clone, Debug, Default)]
pub struct Inventory(pub Vec<Entity>);

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
    node: Node,
    phase: usize,
    phases: &mut Phases,
    pool: &mut FreePool,
    meter: &mut Meter,
    counters: &mut FleetCounters,
) {
    phases.used_kw[phase] += sku.max_kw;
    pool.give(node.sku, node.slot);
    meter.add(Rate::ItKw, sku.idle_kw);
    meter.add(Rate::CommissionedGpus, sku.gpus_per_node as f64);
    counters.commissioned_gpus += sku.gpus_per_node as u64;
}

#[expect(clippy::too_many_arguments, reason = "a system's parameters are its declared data access")]
fn ready_phase(
    agenda: Res<Agenda>,
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
    let Event::PhaseReady(i) = agenda.fired() else { unreachable!("ready_phase runs only on PhaseReady") };
    let i = i as usize;
    phases.ready[i] = true;
    counters.ready_it_kw += plan.phases[i].it_kw;
    ledger.book_capex(AssetClass::Facility, plan.phases[i].capex_usd);
    // Commission waiting nodes in delivery order while there is room.
    let waiting = std::mem::take(&mut inventory.0);
    for e in waiting {
        let (node, mut state) = nodes.get_mut(e).expect("inventory holds live nodes");
        let sku = &plan.skus[node.sku as usize];
        match phase_with_room(&plan, &phases, sku.max_kw) {
            Some(p) => {
                *state = NodeState::Idle;
                commands.entity(e).insert(InPhase(p as u16));
                commission(sku, *node, p, &mut phases, &mut pool, &mut meter, &mut counters);
            }
            None => inventory.0.push(e),
        }
    }
}

#[expect(clippy::too_many_arguments, reason = "a system's parameters are its declared data access")]
fn deliver_tranche(
    agenda: Res<Agenda>,
    plan: Res<FleetPlan>,
    mut phases: ResMut<Phases>,
    mut inventory: ResMut<Inventory>,
    mut pool: ResMut<FreePool>,
    mut meter: ResMut<Meter>,
    mut counters: ResMut<FleetCounters>,
    mut ledger: ResMut<Ledger>,
    mut commands: Commands,
) {
    let Event::TrancheDelivered(t) = agenda.fired() else { unreachable!("deliver_tranche runs only on TrancheDelivered") };
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
        let e = commands.spawn((id, NodeState::Inventory)).id();
        let node = Node { sku: tranche.sku, tranche: t, slot: pool.register(tranche.sku, e) };
        // Room only appears when a phase becomes ready, and waiting nodes were offered it then,
        // so a new node that fits takes no place from a waiting one.
        match phase_with_room(&plan, &phases, sku.max_kw) {
            Some(p) => {
                commands.entity(e).insert((node, NodeState::Idle, InPhase(p as u16)));
                commission(sku, node, p, &mut phases, &mut pool, &mut meter, &mut counters);
            }
            None => {
                commands.entity(e).insert(node);
                inventory.0.push(e);
            }
        }
    }
}
