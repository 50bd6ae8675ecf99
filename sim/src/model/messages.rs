//! Facts that cross models: the messages one model writes and another reads, and the monthly
//! summaries each model publishes for the monthly record.
//!
//! A model owns its state; when something it did matters to another model, it writes a message
//! (a past-tense fact) here instead of writing the other model's resources. Model modules import
//! each other's internals only where the architecture test allows it (`sim/tests/it/architecture.rs`);
//! this module imports no model.
//!
//! Delivery: every message is read in the schedule run that writes it, by a system of a later
//! [`Step`](crate::engine::Step), so nothing waits for a later event. The engine updates the
//! double-buffered [`Messages`] once a month, at the end of the month-end schedule
//! ([`Step::Messages`](crate::engine::Step::Messages)), which only frees what every reader has
//! already read. A system that reads a message type in several schedules (one copy of the system
//! per schedule) keeps one shared [`MessageCursor`](bevy_ecs::message::MessageCursor) in a
//! resource instead of a `MessageReader` per copy, so it reads each message once. No message is
//! written on the hot path (arrivals and contract ends).

use bevy_ecs::message::MessageRegistry;
use bevy_ecs::prelude::*;

/// Counting categories of GPUs, reported per month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum GpuState {
    /// Delivered, not yet commissioned.
    Inventory,
    /// Commissioned and serving or sellable (idle, busy or about to retire).
    InService,
    /// Hot spare.
    Spare,
    /// Down, restarting after a software or transient interruption.
    Failed,
    /// Down for repair after a hardware failure.
    InRepair,
    /// Retired.
    Retired,
}

/// Number of [`GpuState`]s.
pub const N_GPU_STATES: usize = 6;

impl GpuState {
    /// Every state, in reporting order.
    pub const ALL: [GpuState; N_GPU_STATES] = [
        GpuState::Inventory,
        GpuState::InService,
        GpuState::Spare,
        GpuState::Failed,
        GpuState::InRepair,
        GpuState::Retired,
    ];

    /// Lower-case name used in tables.
    pub fn label(self) -> &'static str {
        match self {
            GpuState::Inventory => "inventory",
            GpuState::InService => "in_service",
            GpuState::Spare => "spare",
            GpuState::Failed => "failed",
            GpuState::InRepair => "in_repair",
            GpuState::Retired => "retired",
        }
    }

    pub(crate) fn installed(self) -> bool {
        self != GpuState::Retired
    }

    pub(crate) fn commissioned(self) -> bool {
        !matches!(self, GpuState::Inventory | GpuState::Retired)
    }

    pub(crate) fn available(self) -> bool {
        matches!(self, GpuState::InService | GpuState::Spare)
    }
}

/// Asset classes with their own depreciation life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssetClass {
    /// GPU servers.
    GpuServers,
    /// Network equipment.
    Network,
    /// Building, power and cooling.
    Facility,
    /// On-site energy assets.
    Energy,
}

impl AssetClass {
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Capex paid in the current month. Written by the fleet (servers and network of a delivered
/// tranche) and when a replication is built (on-site energy assets and the battery); read by
/// finance, which books it and puts the asset in its register at the month's close.
#[derive(Message, Clone, Copy, Debug, PartialEq)]
pub(crate) struct CapexBooked {
    /// Asset class.
    pub class: AssetClass,
    /// Amount paid, USD.
    pub usd: f64,
    /// Identical units bought (the tranche's nodes, or one energy asset).
    pub units: u32,
    /// The tranche bought, for fleet capex (`None` for energy assets).
    pub tranche: Option<u16>,
    /// A battery (it leaves the register when it is replaced).
    pub battery: bool,
}

/// A hall phase became ready (fleet); its construction cost enters finance's asset register.
#[derive(Message, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HallPhaseReady {
    /// Index into the phase list.
    pub phase: u16,
}

/// A node left the fleet at end of life (fleet) and its server was sold for `proceeds_usd` (zero
/// without resale); finance takes its servers and network off the books.
#[derive(Message, Clone, Copy, Debug, PartialEq)]
pub(crate) struct NodeDisposed {
    /// The node's tranche.
    pub tranche: u16,
    /// Resale proceeds, USD.
    pub proceeds_usd: f64,
}

/// Nodes of a tranche were delivered (fleet); demand provisions one contract slot per node.
#[derive(Message, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NodesDelivered {
    /// SKU index.
    pub sku: u16,
    /// Nodes delivered.
    pub n_nodes: u32,
}

/// The battery was replaced at month end (energy); finance books the new one and writes the old
/// one off.
#[derive(Message, Clone, Copy, Debug, PartialEq)]
pub(crate) struct BatteryReplaced {
    /// Price of the new battery, USD.
    pub usd: f64,
}

/// The fleet's monthly summary, written at month end before finance closes the month.
#[derive(Message, Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct FleetMonthClosed {
    /// GPUs per [`GpuState`] at month end, all SKUs together.
    pub gpus: [u64; N_GPU_STATES],
    /// Built IT capacity of ready phases, kW.
    pub ready_it_kw: f64,
    /// GPUs retired in the month.
    pub retired_gpus: u64,
    /// Embodied carbon of the GPUs delivered in the month, tCO2e.
    pub embodied_tco2: f64,
    /// Software and transient interruptions in the month.
    pub failures_transient: u64,
    /// Hardware failures in the month.
    pub failures_permanent: u64,
    /// Contracts moved to a spare when their node failed.
    pub spare_migrations: u64,
}

impl FleetMonthClosed {
    /// GPUs in a state at month end.
    pub(crate) fn total(&self, state: GpuState) -> u64 {
        self.gpus[state as usize]
    }
}

/// Request counts and money of the current month (demand).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DemandCounters {
    /// Requests arrived.
    pub arrived: u64,
    /// Requests placed (at once or after waiting).
    pub placed: u64,
    /// Requests lost for lack of capacity (at once or after waiting).
    pub rejected: u64,
    /// Of which, per class (reserved, on-demand, spot).
    pub rejected_by_class: [u64; 3],
    /// Requests lost because the price was above what they accept.
    pub priced_out: u64,
    /// Spot contracts preempted by higher classes.
    pub preemptions: u64,
    /// Term contracts renewed.
    pub renewals: u64,
    /// Term contracts that ended without renewal.
    pub churned: u64,
    /// GPU-hours of lost requests.
    pub unmet_gpu_hours: f64,
    /// Revenue of lost requests at the prices they would have paid, USD.
    pub unmet_revenue_usd: f64,
    /// SLA credits owed to customers, USD.
    pub sla_credits_usd: f64,
    /// Revenue not billed because contracted GPUs were down, USD.
    pub downtime_unbilled_usd: f64,
    /// Prepayments received, USD.
    pub prepayments_usd: f64,
}

/// Demand's monthly summary, written at month end (after the month's SLA settlement) before
/// finance closes the month.
#[derive(Message, Clone, Debug, Default, PartialEq)]
pub(crate) struct DemandMonthClosed {
    /// The month's counts and money.
    pub counters: DemandCounters,
    /// Requests waiting for capacity at month end.
    pub waiting: usize,
}

/// The energy settlement of the month just closed (energy), written before finance closes the
/// month.
#[derive(Message, Clone, Debug, Default)]
pub(crate) struct EnergySettled(pub crate::energy::dispatch::MonthEnergy);

impl std::ops::Deref for EnergySettled {
    type Target = crate::energy::dispatch::MonthEnergy;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// The month's record as finance closed it (finance), for the expansion policies to judge the
/// month by.
#[derive(Message, Clone, Debug, PartialEq)]
pub(crate) struct MonthRecorded(pub crate::results::MonthRow);

/// A policy started, deferred or cancelled a hall phase (policy); finance draws its cost in
/// these instalments (and books the expense), the fleet readies it in `ready` only.
#[derive(Message, Clone, Debug, PartialEq)]
pub(crate) struct PhaseStarted {
    /// Index into the phase list.
    pub phase: u16,
    /// Cash to pay per month: `(month, usd)`.
    pub draws: Vec<(u32, f64)>,
    /// Month it becomes ready (none: not within the horizon, or cancelled).
    pub ready: Option<u32>,
    /// A one-off operating expense `(month, usd)`: the cost of a cancellation.
    pub expense: Option<(u32, f64)>,
}

/// A policy set the list price to this ratio of the market price for new contracts (policy).
#[derive(Message, Clone, Copy, Debug, PartialEq)]
pub(crate) struct PriceRatioSet(pub f64);

/// One arrival as drawn: exact time in hours, request kind, size in GPUs, duration in hours.
pub type ArrivalTrace = (f64, u16, f64, f64);

/// Register every message type with the world (once; later calls do nothing).
pub(crate) fn register(world: &mut World) {
    if world.contains_resource::<Messages<CapexBooked>>() {
        return;
    }
    MessageRegistry::register_message::<CapexBooked>(world);
    MessageRegistry::register_message::<HallPhaseReady>(world);
    MessageRegistry::register_message::<NodeDisposed>(world);
    MessageRegistry::register_message::<NodesDelivered>(world);
    MessageRegistry::register_message::<BatteryReplaced>(world);
    MessageRegistry::register_message::<FleetMonthClosed>(world);
    MessageRegistry::register_message::<DemandMonthClosed>(world);
    MessageRegistry::register_message::<EnergySettled>(world);
    MessageRegistry::register_message::<MonthRecorded>(world);
    MessageRegistry::register_message::<PhaseStarted>(world);
    MessageRegistry::register_message::<PriceRatioSet>(world);
}
