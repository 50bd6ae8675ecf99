//! The GPU fleet: hall phases, deliveries, commissioning, spares, end of life.
//!
//! A tranche becomes rows of the node table ([`Nodes`]) when it is delivered. A delivered node is commissioned only
//! when a ready hall phase has power room for its maximum IT power (node max plus network and
//! storage overhead); otherwise it waits in inventory and is commissioned, in delivery order, as
//! soon as room appears (a phase becomes ready, or nodes retire). A share of each SKU's nodes is
//! held as hot spares. At end of life a tranche's nodes retire: free ones at once, busy ones when
//! their contract ends, failed ones after repair; retired servers may be resold.

use bevy_ecs::prelude::*;
use rand::RngExt;

use super::messages::{
    AssetClass, CapexBooked, FleetMonthClosed, HallPhaseReady, NodeDisposed, NodesDelivered,
    PhaseStarted,
};
pub use super::messages::{GpuState, N_GPU_STATES};
use crate::dist::Dist;
use crate::engine::{
    Agenda, Clock, ContractId, Engine, EventKind, Meter, NodeId, Rate, SimEvent, Step, fired,
};
use crate::rng::{KeyedRng, KeyedStreams};
use crate::time::{HOURS_PER_YEAR, SimTime, hours_to_seconds};

/// A GPU node (an 8-GPU server, or a 72-GPU rack for NVL72 SKUs): one row of [`Nodes`].
///
/// 32 bytes aligned to 32, so that no row straddles two cache lines: a contract's end reads its
/// node's row, mostly a first-level miss, and a row across two lines would cost two.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(align(32))]
pub struct Node {
    /// Index of the SKU in [`FleetPlan::skus`].
    pub sku: u16,
    /// Index of the tranche it came in.
    pub tranche: u16,
    /// Position in its tranche (0-based).
    pub index: u32,
    /// Slot in its SKU's free and spare sets (delivery order within the SKU).
    pub slot: u32,
    /// Hall phase it is commissioned in (`u16::MAX` while in inventory).
    pub phase: u16,
    /// Month of delivery (for its age at resale).
    pub delivered_month: u32,
    /// The node has reached end of life and retires as soon as it is free.
    pub retiring: bool,
    /// What the node is doing.
    pub state: NodeState,
}

// One row, one half of a cache line.
const _: () = assert!(std::mem::size_of::<Node>() == 32);

impl Node {
    /// The node's identity for its random streams: its tranche and position, which do not
    /// depend on anything the simulation decided.
    pub fn key(&self) -> u64 {
        ((self.tranche as u64) << 32) | self.index as u64
    }
}

/// Every failure as drawn, when asked for: `(node key, time in seconds, hardware, repair hours)`.
#[derive(Resource, Clone, Debug, Default)]
pub(crate) struct FailureTrace(pub Option<Vec<(u64, u64, bool, f64)>>);

/// What a node is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeState {
    /// Delivered, waiting for a powered hall phase.
    Inventory,
    /// Commissioned and free to sell.
    Idle,
    /// Commissioned and held as a hot spare.
    Spare,
    /// Running the given contract.
    Busy(ContractId),
    /// Failed; back in service after repair. `contract` is the contract it still belongs to.
    Down {
        /// The contract waiting for this node, if any.
        contract: Option<ContractId>,
        /// Hardware failure (parts replaced) rather than a software or transient interruption
        /// (restart).
        permanent: bool,
    },
    /// End of life reached; leaves service at once (a retire event is pending).
    Retiring,
    /// Out of the fleet.
    Retired,
}

impl NodeState {
    /// The counting category of a node in this state.
    pub fn category(self) -> GpuState {
        match self {
            NodeState::Inventory => GpuState::Inventory,
            NodeState::Idle | NodeState::Busy(_) | NodeState::Retiring => GpuState::InService,
            NodeState::Spare => GpuState::Spare,
            NodeState::Down {
                permanent: false, ..
            } => GpuState::Failed,
            NodeState::Down {
                permanent: true, ..
            } => GpuState::InRepair,
            NodeState::Retired => GpuState::Retired,
        }
    }
}

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
    /// Software and transient interruptions (restart, no part) per node per hour.
    pub transient_per_hour: f64,
    /// Hardware failures (part swap) per node per hour.
    pub permanent_per_hour: f64,
    /// Tokens a sold GPU generates per hour (0 where the scenario counts no tokens).
    pub tokens_per_gpu_hour: f64,
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
    /// Month of end of life, or `None` if it stays to the end of the horizon.
    pub retire_month: Option<u32>,
    /// Price per GPU, USD.
    pub price_usd_per_gpu: f64,
    /// Network cost per node, USD.
    pub network_usd_per_node: f64,
    /// Embodied carbon per GPU, tCO2e.
    pub embodied_tco2_per_gpu: f64,
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
    /// Month it becomes ready, even past the horizon (construction draws are timed from it).
    pub ready_month_raw: i64,
    /// Construction cost, USD.
    pub capex_usd: f64,
}

/// Failure and repair inputs of one replication.
#[derive(Clone, Debug)]
pub struct ReliabilityPlan {
    /// Failures simulated at all.
    pub failures: bool,
    /// Restart time after a software or transient interruption, hours (drawn per failure).
    pub transient_repair_hours: Dist,
    /// Repair time of a hardware failure, hours (drawn per failure).
    pub permanent_repair_hours: Dist,
    /// Share of each SKU's commissioned nodes held as spares.
    pub spares_frac: f64,
    /// Per-node failure streams of the replication.
    pub streams: KeyedStreams,
}

/// The fleet as planned for this replication.
#[derive(Resource, Clone, Debug)]
pub struct FleetPlan {
    /// SKUs used by the fleet.
    pub skus: Vec<SkuSpec>,
    /// Tranches in scenario order, then refresh tranches.
    pub tranches: Vec<TranchePlan>,
    /// Hall phases in scenario order.
    pub phases: Vec<PhasePlan>,
    /// Failures, repairs and spares.
    pub reliability: ReliabilityPlan,
    /// Resale value of retired servers as a share of price by age in years (None: no resale).
    pub resale_by_age_years: Option<Vec<(f64, f64)>>,
    /// Largest commissioned IT capacity (node max power, kW) the interconnect carries on a
    /// design-hot hour, when commissioning waits for power; None: no such limit.
    pub max_it_kw: Option<f64>,
}

impl FleetPlan {
    /// Residual share of the purchase price at `age_years` (linear interpolation, flat outside).
    pub fn residual_frac(&self, age_years: f64) -> f64 {
        let Some(curve) = &self.resale_by_age_years else {
            return 0.0;
        };
        match curve.iter().position(|(a, _)| *a > age_years) {
            None => curve.last().map(|(_, f)| *f).unwrap_or(0.0),
            Some(0) => curve[0].1,
            Some(i) => {
                let (a0, f0) = curve[i - 1];
                let (a1, f1) = curve[i];
                f0 + (f1 - f0) * (age_years - a0) / (a1 - a0)
            }
        }
    }
}

/// Live state of the hall phases.
#[derive(Resource, Clone, Debug, Default)]
pub(crate) struct Phases {
    /// Month each phase becomes ready (none: not within the horizon, not started or cancelled).
    pub ready_at: Vec<Option<u32>>,
    /// Whether each phase is ready.
    pub ready: Vec<bool>,
    /// Maximum IT power of the nodes placed in each phase, kW.
    pub used_kw: Vec<f64>,
}

/// Free and spare commissioned nodes per SKU. Each SKU's nodes have slots in delivery order;
/// placement takes the lowest free slots first (first fit). Slots are kept in two-level bitsets,
/// so taking and returning a node cost a few word operations whatever the fleet size.
#[derive(Clone, Debug, Default)]
pub(crate) struct FreePool {
    skus: Vec<SkuPool>,
}

#[derive(Clone, Debug, Default)]
struct SlotSet {
    words: Vec<u64>,
    summary: Vec<u64>,
    count: usize,
}

impl SlotSet {
    fn grow(&mut self, slots: usize) {
        self.words.resize(slots.div_ceil(64), 0);
        self.summary.resize(slots.div_ceil(4096), 0);
    }

    fn insert(&mut self, slot: usize) {
        let w = slot / 64;
        debug_assert!(
            self.words[w] & (1 << (slot % 64)) == 0,
            "slot {slot} added twice"
        );
        self.words[w] |= 1 << (slot % 64);
        self.summary[w / 64] |= 1 << (w % 64);
        self.count += 1;
    }

    fn remove(&mut self, slot: usize) -> bool {
        let w = slot / 64;
        if self.words[w] & (1 << (slot % 64)) == 0 {
            return false;
        }
        self.words[w] &= !(1 << (slot % 64));
        if self.words[w] == 0 {
            self.summary[w / 64] &= !(1 << (w % 64));
        }
        self.count -= 1;
        true
    }

    #[inline]
    fn take_lowest(&mut self) -> Option<usize> {
        if self.count == 0 {
            return None;
        }
        let s = self.summary.iter().position(|&x| x != 0)?;
        let w = s * 64 + self.summary[s].trailing_zeros() as usize;
        let word = &mut self.words[w];
        let slot = w * 64 + word.trailing_zeros() as usize;
        // Clear the lowest set bit, and the word's summary bit when it empties.
        *word &= *word - 1;
        if *word == 0 {
            self.summary[s] &= !(1 << (w % 64));
        }
        self.count -= 1;
        Some(slot)
    }
}

#[derive(Clone, Debug, Default)]
struct SkuPool {
    nodes: Vec<NodeId>,
    /// Free slots per hall phase.
    free: Vec<SlotSet>,
    spare: SlotSet,
    free_count: usize,
}

impl FreePool {
    /// An empty pool for `n_skus` SKUs in `n_phases` hall phases.
    pub(crate) fn new(n_skus: usize, n_phases: usize) -> FreePool {
        let sku = SkuPool {
            free: vec![SlotSet::default(); n_phases],
            ..SkuPool::default()
        };
        FreePool {
            skus: vec![sku; n_skus],
        }
    }

    /// Register a delivered node (neither free nor spare yet); returns its slot.
    pub(crate) fn register(&mut self, sku: u16, id: NodeId) -> u32 {
        let p = &mut self.skus[sku as usize];
        let slot = p.nodes.len();
        p.nodes.push(id);
        for set in &mut p.free {
            set.grow(slot + 1);
        }
        p.spare.grow(slot + 1);
        slot as u32
    }

    /// Number of free nodes of a SKU.
    #[inline]
    pub(crate) fn free(&self, sku: u16) -> usize {
        self.skus[sku as usize].free_count
    }

    /// Number of free nodes of a SKU in one phase.
    #[inline]
    pub(crate) fn free_in(&self, sku: u16, phase: usize) -> usize {
        self.skus[sku as usize].free[phase].count
    }

    /// Number of hall phases.
    pub(crate) fn n_phases(&self) -> usize {
        self.skus.first().map(|p| p.free.len()).unwrap_or(0)
    }

    /// Number of spare nodes of a SKU.
    pub(crate) fn spares(&self, sku: u16) -> usize {
        self.skus[sku as usize].spare.count
    }

    /// Take `n` free nodes of a SKU, phase by phase in scenario order and lowest slots first
    /// (first fit), or none if fewer are free.
    #[inline(always)]
    pub(crate) fn take(&mut self, sku: u16, n: usize, out: &mut Vec<NodeId>) -> bool {
        let p = &mut self.skus[sku as usize];
        if p.free_count < n {
            return false;
        }
        if n == 1 {
            // One node (most requests): the first phase with a free node gives its lowest slot.
            let set = p
                .free
                .iter_mut()
                .find(|set| set.count > 0)
                .expect("free_count counts the phases' free slots");
            let slot = set.take_lowest().expect("counted");
            out.push(p.nodes[slot]);
            p.free_count -= 1;
            return true;
        }
        let mut left = n;
        for set in &mut p.free {
            while left > 0 {
                let Some(slot) = set.take_lowest() else { break };
                out.push(p.nodes[slot]);
                left -= 1;
            }
        }
        p.free_count -= n;
        true
    }

    /// Take `n` free nodes of a SKU from one phase (one cluster), or none if fewer are free there.
    pub(crate) fn take_in(
        &mut self,
        sku: u16,
        phase: usize,
        n: usize,
        out: &mut Vec<NodeId>,
    ) -> bool {
        let p = &mut self.skus[sku as usize];
        if p.free[phase].count < n {
            return false;
        }
        for _ in 0..n {
            let slot = p.free[phase].take_lowest().expect("count checked");
            out.push(p.nodes[slot]);
        }
        p.free_count -= n;
        true
    }

    /// Take the lowest-slot spare of a SKU.
    pub(crate) fn take_spare(&mut self, sku: u16) -> Option<NodeId> {
        let p = &mut self.skus[sku as usize];
        p.spare.take_lowest().map(|slot| p.nodes[slot])
    }

    /// Mark a node free.
    #[inline]
    pub(crate) fn give(&mut self, node: &Node) {
        let p = &mut self.skus[node.sku as usize];
        p.free[node.phase as usize].insert(node.slot as usize);
        p.free_count += 1;
    }

    /// Mark a node spare.
    pub(crate) fn give_spare(&mut self, node: &Node) {
        self.skus[node.sku as usize]
            .spare
            .insert(node.slot as usize);
    }

    /// Remove a node from the free or spare set (whichever holds it).
    pub(crate) fn remove(&mut self, node: &Node) {
        let p = &mut self.skus[node.sku as usize];
        if p.free[node.phase as usize].remove(node.slot as usize) {
            p.free_count -= 1;
        } else {
            p.spare.remove(node.slot as usize);
        }
    }
}

/// The fleet's nodes in one dense table, in delivery order (a node's [`NodeId`] is its row), with
/// each node's failure stream, the free and spare sets and the inventory queue.
///
/// The fleet owns this table: other models read rows, and change a node only through the
/// transitions below (take free nodes for a contract, release them, fail and repair), so the
/// state machine and the GPU counts stay in one place. Rows are plain data walked by index, which
/// keeps the hot path (placing and ending contracts) free of entity look-ups.
#[derive(Resource, Clone, Debug, Default)]
pub struct Nodes {
    rows: Vec<Node>,
    /// Each node's own failure and repair stream (see [`crate::rng::KeyedStreams`]).
    streams: Vec<KeyedRng>,
    pool: FreePool,
    /// Nodes waiting in inventory, in delivery order.
    inventory: Vec<NodeId>,
}

impl Nodes {
    /// The node with id `id`.
    #[inline]
    pub fn get(&self, id: NodeId) -> &Node {
        &self.rows[id.0 as usize]
    }

    /// Every node with its id, in delivery order.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, &Node)> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, n)| (NodeId(i as u32), n))
    }

    /// Number of nodes delivered so far.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True before the first delivery.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.rows[id.0 as usize]
    }

    /// A node's failure stream.
    pub(crate) fn stream_mut(&mut self, id: NodeId) -> &mut KeyedRng {
        &mut self.streams[id.0 as usize]
    }

    /// The free and spare sets (counts).
    #[inline]
    pub(crate) fn pool(&self) -> &FreePool {
        &self.pool
    }

    /// Take `n` free nodes of a SKU for a contract (see [`FreePool::take`]).
    #[inline]
    pub(crate) fn take_free(&mut self, sku: u16, n: usize, out: &mut Vec<NodeId>) -> bool {
        self.pool.take(sku, n, out)
    }

    /// Take `n` free nodes of a SKU from one phase (see [`FreePool::take_in`]).
    pub(crate) fn take_free_in(
        &mut self,
        sku: u16,
        phase: usize,
        n: usize,
        out: &mut Vec<NodeId>,
    ) -> bool {
        self.pool.take_in(sku, phase, n, out)
    }

    /// A free or spare node leaves the free and spare sets (it failed).
    pub(crate) fn leave_pool(&mut self, id: NodeId) {
        self.pool.remove(&self.rows[id.0 as usize]);
    }

    /// The lowest-slot spare of a SKU, taken out of the spare set.
    pub(crate) fn take_spare(&mut self, sku: u16) -> Option<NodeId> {
        self.pool.take_spare(sku)
    }

    /// A repaired node rejoins the spare set (`spare`) or the free set.
    pub(crate) fn return_to_pool(&mut self, id: NodeId, spare: bool) {
        let node = &self.rows[id.0 as usize];
        if spare {
            self.pool.give_spare(node);
        } else {
            self.pool.give(node);
        }
    }

    /// Set a node's state (the failure model's failures and repairs).
    #[inline]
    pub(crate) fn set_state(&mut self, id: NodeId, state: NodeState) {
        self.rows[id.0 as usize].state = state;
    }

    /// A contract took these free nodes: they run it from now on.
    #[inline]
    pub(crate) fn start_serving(&mut self, ids: &[NodeId], contract: ContractId) {
        for &id in ids {
            self.rows[id.0 as usize].state = NodeState::Busy(contract);
        }
    }

    /// The contract a node served has ended: a running node becomes free (or, at end of life,
    /// leaves: a retire event is scheduled now); a failed one no longer waits for the contract
    /// and returns to the pool after its repair. Returns whether the node was running.
    #[inline(always)]
    pub(crate) fn release(&mut self, id: NodeId, agenda: &mut Agenda) -> bool {
        let node = &mut self.rows[id.0 as usize];
        match node.state {
            NodeState::Busy(_) => {
                if node.retiring {
                    node.state = NodeState::Retiring;
                    let now = agenda.now();
                    agenda.schedule(now, SimEvent::NodeRetired(id));
                } else {
                    node.state = NodeState::Idle;
                    self.pool.give(node);
                }
                true
            }
            NodeState::Down { permanent, .. } => {
                node.state = NodeState::Down {
                    contract: None,
                    permanent,
                };
                false
            }
            other => unreachable!("a contract's node is {other:?}"),
        }
    }

    /// Whether a node would come free if its contract were preempted now: it runs, stays in the
    /// fleet, and sits in `phase` (any phase when `None`).
    #[inline]
    pub(crate) fn frees_on_preemption(&self, id: NodeId, phase: Option<usize>) -> bool {
        let node = &self.rows[id.0 as usize];
        matches!(node.state, NodeState::Busy(_))
            && !node.retiring
            && phase.is_none_or(|p| node.phase as usize == p)
    }
}

/// Events of the current month.
#[derive(Clone, Debug, Default)]
pub struct FleetMonth {
    /// Software and transient interruptions.
    pub failures_transient: u64,
    /// Hardware failures.
    pub failures_permanent: u64,
    /// Contracts moved to a spare when their node failed.
    pub spare_migrations: u64,
    /// GPUs retired.
    pub retired_gpus: u64,
    /// Embodied carbon of the GPUs delivered, tCO2e.
    pub embodied_tco2: f64,
}

/// Fleet totals.
#[derive(Resource, Clone, Debug, Default)]
pub struct FleetCounters {
    /// GPUs per SKU and [`GpuState`].
    pub gpus: Vec<[u64; N_GPU_STATES]>,
    /// Commissioned nodes per SKU (for the spare target).
    pub commissioned_nodes: Vec<u32>,
    /// Built IT capacity of ready phases, kW.
    pub ready_it_kw: f64,
    /// Maximum IT power of the commissioned nodes, kW.
    pub commissioned_max_kw: f64,
    /// Events of the current month.
    pub month: FleetMonth,
}

impl FleetCounters {
    /// Count a failure of the current month (hardware when `permanent`, else a restart).
    pub(crate) fn record_failure(&mut self, permanent: bool) {
        if permanent {
            self.month.failures_permanent += 1;
        } else {
            self.month.failures_transient += 1;
        }
    }

    /// Count a contract moved to a spare this month.
    pub(crate) fn record_spare_migration(&mut self) {
        self.month.spare_migrations += 1;
    }

    /// GPUs in a state, all SKUs together.
    pub fn total(&self, state: GpuState) -> u64 {
        self.gpus.iter().map(|g| g[state as usize]).sum()
    }

    /// Move `gpus` GPUs of a SKU between states, keeping the meter's GPU rates in step.
    pub fn transition(
        &mut self,
        meter: &mut Meter,
        sku_idx: u16,
        sku: &SkuSpec,
        from: Option<GpuState>,
        to: GpuState,
    ) {
        let gpus = sku.gpus_per_node;
        let g = gpus as f64;
        let counts = &mut self.gpus[sku_idx as usize];
        let mut apply = |state: GpuState, sign: f64| {
            meter.add(
                Rate::InstalledGpus,
                sign * g * state.installed() as u8 as f64,
            );
            meter.add(
                Rate::CommissionedGpus,
                sign * g * state.commissioned() as u8 as f64,
            );
            meter.add(
                Rate::AvailableGpus,
                sign * g * state.available() as u8 as f64,
            );
            meter.add(
                Rate::AvailableMaxKw,
                sign * sku.max_kw * state.available() as u8 as f64,
            );
            meter.add(
                Rate::CommissionedMaxKw,
                sign * sku.max_kw * state.commissioned() as u8 as f64,
            );
        };
        if let Some(from) = from {
            counts[from as usize] -= gpus as u64;
            apply(from, -1.0);
        }
        counts[to as usize] += gpus as u64;
        apply(to, 1.0);
    }
}

/// Fleet composition at the end of each month: GPUs per SKU and state.
#[derive(Resource, Clone, Debug, Default)]
pub(crate) struct FleetHistory {
    /// `(month, sku index, GPUs per state)`.
    pub rows: Vec<(u32, u16, [u64; N_GPU_STATES])>,
}

/// Add the fleet's resources and systems, and schedule phases, deliveries and retirements.
pub fn install(engine: &mut Engine, plan: FleetPlan, trace: bool) {
    let calendar = engine.world.resource::<Clock>().calendar.clone();
    for (i, ph) in plan.phases.iter().enumerate() {
        if let Some(m) = ph.ready_month {
            engine.schedule(calendar.month_start(m), SimEvent::PhaseReady(i as u16));
        }
    }
    // Retirements first, so that at a month boundary the old nodes make room before new ones arrive.
    for (i, t) in plan.tranches.iter().enumerate() {
        if let (Some(_), Some(m)) = (t.delivery_month, t.retire_month) {
            engine.schedule(calendar.month_start(m), SimEvent::TrancheRetired(i as u16));
        }
    }
    for (i, t) in plan.tranches.iter().enumerate() {
        if let Some(m) = t.delivery_month {
            engine.schedule(
                calendar.month_start(m),
                SimEvent::TrancheDelivered(i as u16),
            );
        }
    }
    super::messages::register(&mut engine.world);
    let n_phases = plan.phases.len();
    let n_skus = plan.skus.len();
    engine.world.insert_resource(Nodes {
        pool: FreePool::new(n_skus, n_phases),
        ..Nodes::default()
    });
    engine.world.insert_resource(Phases {
        ready_at: plan.phases.iter().map(|ph| ph.ready_month).collect(),
        ready: vec![false; n_phases],
        used_kw: vec![0.0; n_phases],
    });
    engine.world.insert_resource(FleetCounters {
        gpus: vec![[0; N_GPU_STATES]; n_skus],
        commissioned_nodes: vec![0; n_skus],
        ..FleetCounters::default()
    });
    engine
        .world
        .insert_resource(FailureTrace(trace.then(Vec::new)));
    engine.world.insert_resource(FleetHistory::default());
    engine.world.insert_resource(plan);
    engine
        .schedule_mut(EventKind::PhaseReady)
        .add_systems(ready_phase.in_set(Step::Fleet));
    engine
        .schedule_mut(EventKind::MonthEnd)
        .add_systems(reschedule_phases.in_set(Step::Orders));
    engine
        .schedule_mut(EventKind::TrancheDelivered)
        .add_systems(deliver_tranche.in_set(Step::Fleet));
    engine
        .schedule_mut(EventKind::TrancheRetired)
        .add_systems(retire_tranche.in_set(Step::Fleet));
    engine
        .schedule_mut(EventKind::NodeRetired)
        .add_systems(retire_node.in_set(Step::Fleet));
    engine
        .schedule_mut(EventKind::MonthEnd)
        .add_systems(close_fleet_month.in_set(Step::Fleet));
}

/// Find a ready phase with room for `kw` more (and interconnect room, when commissioning waits
/// for power); phases are tried in scenario order.
fn phase_with_room(
    plan: &FleetPlan,
    phases: &Phases,
    counters: &FleetCounters,
    kw: f64,
) -> Option<usize> {
    if plan
        .max_it_kw
        .is_some_and(|max| counters.commissioned_max_kw + kw > max * (1.0 + 1e-12))
    {
        return None;
    }
    (0..plan.phases.len()).find(|&i| {
        phases.ready[i] && phases.used_kw[i] + kw <= plan.phases[i].it_kw * (1.0 + 1e-12)
    })
}

/// Schedule the next failure of a node that has just entered service.
pub(crate) fn schedule_failure(
    plan: &FleetPlan,
    sku: u16,
    id: NodeId,
    now: SimTime,
    agenda: &mut Agenda,
    rng: &mut KeyedRng,
) {
    if !plan.reliability.failures {
        return;
    }
    let s = &plan.skus[sku as usize];
    let rate = s.transient_per_hour + s.permanent_per_hour;
    if rate > 0.0 {
        let gap_h = -(1.0 - rng.random::<f64>()).ln() / rate;
        agenda.schedule(now.plus(hours_to_seconds(gap_h)), SimEvent::NodeFailed(id));
    }
}

/// Whether a SKU is short of spares.
pub(crate) fn wants_spare(
    plan: &FleetPlan,
    counters: &FleetCounters,
    pool: &FreePool,
    sku: u16,
) -> bool {
    let target = (plan.reliability.spares_frac * counters.commissioned_nodes[sku as usize] as f64)
        .floor() as usize;
    pool.spares(sku) < target
}

/// Everything commissioning touches, as one system parameter.
#[derive(bevy_ecs::system::SystemParam)]
struct Commissioning<'w> {
    plan: Res<'w, FleetPlan>,
    phases: ResMut<'w, Phases>,
    nodes: ResMut<'w, Nodes>,
    meter: ResMut<'w, Meter>,
    counters: ResMut<'w, FleetCounters>,
    agenda: ResMut<'w, Agenda>,
}

impl Commissioning<'_> {
    /// Put a node into service in `phase`: it becomes idle or spare.
    fn commission(&mut self, id: NodeId, phase: usize) {
        let nodes = &mut *self.nodes;
        let node = &mut nodes.rows[id.0 as usize];
        let sku = &self.plan.skus[node.sku as usize];
        node.phase = phase as u16;
        self.phases.used_kw[phase] += sku.max_kw;
        self.counters.commissioned_max_kw += sku.max_kw;
        self.meter.add(Rate::ItKw, sku.idle_kw);
        self.counters.commissioned_nodes[node.sku as usize] += 1;
        let state = if wants_spare(&self.plan, &self.counters, &nodes.pool, node.sku) {
            nodes.pool.give_spare(node);
            NodeState::Spare
        } else {
            nodes.pool.give(node);
            NodeState::Idle
        };
        node.state = state;
        self.counters.transition(
            &mut self.meter,
            node.sku,
            sku,
            Some(GpuState::Inventory),
            state.category(),
        );
        let now = self.agenda.now();
        schedule_failure(
            &self.plan,
            node.sku,
            id,
            now,
            &mut self.agenda,
            &mut nodes.streams[id.0 as usize],
        );
    }

    /// Commission waiting nodes, in delivery order, wherever a ready phase has room.
    fn commission_waiting(&mut self) {
        let waiting = std::mem::take(&mut self.nodes.inventory);
        let mut any = false;
        for id in waiting {
            let node = *self.nodes.get(id);
            if node.state != NodeState::Inventory {
                continue;
            }
            match phase_with_room(
                &self.plan,
                &self.phases,
                &self.counters,
                self.plan.skus[node.sku as usize].max_kw,
            ) {
                Some(p) => {
                    self.commission(id, p);
                    any = true;
                }
                None => self.nodes.inventory.push(id),
            }
        }
        if any {
            let now = self.agenda.now();
            self.agenda.schedule(now, SimEvent::RetryWaiting);
        }
    }

    /// Take a node out of the fleet for good: free its phase room, stop its power, sell it.
    fn retire_now(
        &mut self,
        id: NodeId,
        now_month: u32,
        disposed: &mut MessageWriter<NodeDisposed>,
    ) {
        let plan = &*self.plan;
        let node = self.nodes.get_mut(id);
        let sku = &plan.skus[node.sku as usize];
        let from = node.state.category();
        if from.commissioned() {
            self.phases.used_kw[node.phase as usize] -= sku.max_kw;
            self.counters.commissioned_max_kw -= sku.max_kw;
            self.counters.commissioned_nodes[node.sku as usize] -= 1;
            if from.available() {
                self.meter.add(Rate::ItKw, -sku.idle_kw);
            }
        }
        self.counters.transition(
            &mut self.meter,
            node.sku,
            sku,
            Some(from),
            GpuState::Retired,
        );
        node.state = NodeState::Retired;
        let tranche = &plan.tranches[node.tranche as usize];
        let age_years = (now_month - node.delivered_month) as f64 / 12.0;
        let proceeds =
            tranche.price_usd_per_gpu * sku.gpus_per_node as f64 * plan.residual_frac(age_years);
        disposed.write(NodeDisposed {
            tranche: node.tranche,
            proceeds_usd: proceeds,
        });
        self.counters.month.retired_gpus += sku.gpus_per_node as u64;
    }
}

/// A hall phase a policy started, deferred or cancelled: it becomes ready in its new month only.
fn reschedule_phases(mut started: MessageReader<PhaseStarted>, mut phases: ResMut<Phases>) {
    for s in started.read() {
        phases.ready_at[s.phase as usize] = s.ready;
    }
}

fn ready_phase(
    fired: Res<fired::PhaseReady>,
    clock: Res<Clock>,
    mut c: Commissioning,
    mut phase_ready: MessageWriter<HallPhaseReady>,
) {
    let i = fired.phase as usize;
    // A phase a policy deferred or cancelled keeps its old event on the agenda: ignore it.
    let now = c.agenda.now();
    if c.phases.ready_at[i].is_none_or(|r| clock.calendar.month_start(r) != now) {
        return;
    }
    c.phases.ready[i] = true;
    c.counters.ready_it_kw += c.plan.phases[i].it_kw;
    phase_ready.write(HallPhaseReady { phase: fired.phase });
    c.commission_waiting();
}

fn deliver_tranche(
    fired: Res<fired::TrancheDelivered>,
    plan: Res<FleetPlan>,
    clock: Res<Clock>,
    mut c: Commissioning,
    mut capex: MessageWriter<CapexBooked>,
    mut delivered: MessageWriter<NodesDelivered>,
) {
    let t = fired.tranche;
    let tranche = &plan.tranches[t as usize];
    let sku = &plan.skus[tranche.sku as usize];
    let gpus = tranche.n_nodes as u64 * sku.gpus_per_node as u64;
    capex.write(CapexBooked {
        class: AssetClass::GpuServers,
        usd: gpus as f64 * tranche.price_usd_per_gpu,
        units: tranche.n_nodes,
        tranche: Some(t),
        battery: false,
    });
    capex.write(CapexBooked {
        class: AssetClass::Network,
        usd: tranche.n_nodes as f64 * tranche.network_usd_per_node,
        units: tranche.n_nodes,
        tranche: Some(t),
        battery: false,
    });
    delivered.write(NodesDelivered {
        sku: tranche.sku,
        n_nodes: tranche.n_nodes,
    });
    // Counted at delivery (Scope 3: not in the operating emissions nor under a carbon price).
    c.counters.month.embodied_tco2 += gpus as f64 * tranche.embodied_tco2_per_gpu;
    for index in 0..tranche.n_nodes {
        let id = NodeId(c.nodes.rows.len() as u32);
        c.counters
            .transition(&mut c.meter, tranche.sku, sku, None, GpuState::Inventory);
        let node = Node {
            sku: tranche.sku,
            tranche: t,
            index,
            slot: c.nodes.pool.register(tranche.sku, id),
            phase: u16::MAX,
            delivered_month: clock.month,
            retiring: false,
            state: NodeState::Inventory,
        };
        c.nodes
            .streams
            .push(plan.reliability.streams.rng(node.key()));
        c.nodes.rows.push(node);
        // Room only appears when a phase becomes ready or nodes retire, and waiting nodes were
        // offered it then, so a new node that fits takes no place from a waiting one.
        match phase_with_room(&plan, &c.phases, &c.counters, sku.max_kw) {
            Some(p) => c.commission(id, p),
            None => c.nodes.inventory.push(id),
        }
    }
    // Waiting requests (anchors, say) get a chance at the new nodes once they exist.
    let now = c.agenda.now();
    c.agenda.schedule(now, SimEvent::RetryWaiting);
}

fn retire_tranche(
    fired: Res<fired::TrancheRetired>,
    clock: Res<Clock>,
    mut c: Commissioning,
    mut disposed: MessageWriter<NodeDisposed>,
) {
    let t = fired.tranche;
    // Visit the tranche's nodes in delivery order.
    for i in 0..c.nodes.rows.len() {
        let id = NodeId(i as u32);
        let node = c.nodes.get_mut(id);
        if node.tranche != t {
            continue;
        }
        node.retiring = true;
        match node.state {
            NodeState::Idle | NodeState::Spare => {
                let node = *node;
                c.nodes.pool.remove(&node);
                c.retire_now(id, clock.month, &mut disposed);
            }
            NodeState::Inventory => {
                c.nodes.inventory.retain(|x| *x != id);
                c.retire_now(id, clock.month, &mut disposed);
            }
            // Busy nodes retire when their contract ends, failed ones after repair.
            NodeState::Busy(_)
            | NodeState::Down { .. }
            | NodeState::Retiring
            | NodeState::Retired => {}
        }
    }
    c.commission_waiting();
}

fn retire_node(
    fired: Res<fired::NodeRetired>,
    clock: Res<Clock>,
    mut c: Commissioning,
    mut disposed: MessageWriter<NodeDisposed>,
) {
    let id = fired.node;
    // Only a node that is leaving retires here: one that failed at the same instant has already
    // left service and retires after its repair.
    if c.nodes.rows.get(id.0 as usize).map(|n| n.state) != Some(NodeState::Retiring) {
        return;
    }
    c.retire_now(id, clock.month, &mut disposed);
    c.commission_waiting();
}

/// At month end: record the fleet's composition, publish the month's summary, start a new month.
fn close_fleet_month(
    clock: Res<Clock>,
    mut counters: ResMut<FleetCounters>,
    mut history: ResMut<FleetHistory>,
    mut closed: MessageWriter<FleetMonthClosed>,
) {
    for (sku, g) in counters.gpus.iter().enumerate() {
        history.rows.push((clock.month, sku as u16, *g));
    }
    let month = std::mem::take(&mut counters.month);
    closed.write(FleetMonthClosed {
        gpus: GpuState::ALL.map(|state| counters.total(state)),
        ready_it_kw: counters.ready_it_kw,
        retired_gpus: month.retired_gpus,
        embodied_tco2: month.embodied_tco2,
        failures_transient: month.failures_transient,
        failures_permanent: month.failures_permanent,
        spare_migrations: month.spare_migrations,
    });
}

/// Failure rate of a node from per-GPU annual rates: per hour.
pub(crate) fn per_node_per_hour(per_gpu_year: f64, gpus_per_node: u32, multiplier: f64) -> f64 {
    per_gpu_year * gpus_per_node as f64 * multiplier / HOURS_PER_YEAR as f64
}
