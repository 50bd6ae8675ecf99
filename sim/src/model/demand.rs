//! Customer demand: arrivals, admission, contracts, prices and renewals.
//!
//! * Arrivals are a non-homogeneous Poisson process: a base rate that grows (or shrinks) by a
//!   fixed share a year, a yearly seasonal cycle, and the month's market regime as a multiplier.
//!   It is sampled exactly by thinning, month by month.
//! * Each request draws its class (by the mix shares), its size in GPUs (rounded up to whole
//!   nodes of the SKU that serves it), its duration and, if given, the highest price it accepts.
//!   It is placed on the first acceptable SKU with enough free nodes (one hall phase for
//!   single-cluster requests); reserved and on-demand requests preempt spot contracts when that
//!   frees enough nodes. A request that cannot be placed waits for capacity up to its class's
//!   patience, then is lost and counted as unmet demand.
//! * Prices: on-demand pays the current list price (the market price under the pricing policy),
//!   reserved contracts lock the list price less the reserved discount at signing, spot pays the
//!   list price less the spot discount. Running on-demand and spot contracts move to each month's
//!   list price at the month's start (the market price path is monthly). Term contracts are take-or-pay, may prepay a share of
//!   their value at signing, and renew at term end with a probability, at the then-market price.
//! * Contracts signed before the capacity exists (anchors) wait, without a deadline, until their
//!   capacity is commissioned.

use bevy_ecs::prelude::*;
use rand::RngExt;

use super::fleet::{FleetCounters, FleetPlan, Nodes};
pub use super::messages::ArrivalTrace;
use super::messages::{DemandCounters, DemandMonthClosed, GpuState, NodesDelivered, PriceRatioSet};
use crate::dist::{Dist, exp1};
use crate::engine::{
    Agenda, Clock, ContractId, DemandEvent, Engine, EventKind, Meter, NodeId, Rate, SimEvent, Step,
};
use crate::rng::{KeyedRng, KeyedStreams, SimRng};
use crate::scenario::{ContractClass, PricingPolicy, SlaTier};
use crate::time::{Calendar, HOURS_PER_YEAR, SECONDS_PER_HOUR, SimTime, ceil, hours_to_seconds};

/// A running customer contract (one row of [`Contracts`]).
///
/// The fields a contract's end reads come first, so that with the row's first node they fill
/// one cache line (`ContractRow`).
#[derive(Clone, Debug)]
#[repr(C)]
pub struct Contract {
    /// GPUs sold.
    pub gpus: u32,
    /// Nodes.
    pub n_nodes: u32,
    /// Incremented each time the slot carries a new contract, so stale end events are ignored.
    pub generation: u32,
    /// GPUs of the contract on failed nodes right now.
    pub down_gpus: u32,
    /// Request kind (index into the demand mix), or `None` for an anchor contract.
    pub kind: Option<u16>,
    /// SKU index.
    pub sku: u16,
    /// Contract class.
    pub class: ContractClass,
    /// Price locked at signing, USD per GPU-hour.
    pub price_usd_per_gpu_hour: f64,
    /// IT power the contract adds above idle on each of its nodes, kW.
    pub node_load_kw: f64,
    /// Share of the contract value paid in advance.
    pub prepay_frac: f64,
    /// GPU-hours lost to failures in the current month so far.
    pub down_gpu_hours_month: f64,
    /// Chance of renewal at term end.
    pub renewal_frac: f64,
    /// Start time.
    pub start: SimTime,
    /// End time.
    pub end: SimTime,
    /// Identity of the request behind the contract, independent of every decision (its arrival
    /// number, or the anchor's index with the top bit set): the key of its decision stream.
    pub key: u64,
    /// Renewals so far (each renewal decision is its own draw of the contract's stream).
    pub renewals: u32,
    /// Time up to which downtime has been counted.
    pub down_since: SimTime,
}

impl Contract {
    /// A contract slot not in use.
    pub const EMPTY: Contract = Contract {
        class: ContractClass::OnDemand,
        kind: None,
        sku: 0,
        gpus: 0,
        n_nodes: 0,
        price_usd_per_gpu_hour: 0.0,
        node_load_kw: 0.0,
        start: SimTime::ZERO,
        end: SimTime::ZERO,
        generation: 0,
        renewal_frac: 0.0,
        prepay_frac: 0.0,
        key: 0,
        renewals: 0,
        down_gpus: 0,
        down_since: SimTime::ZERO,
        down_gpu_hours_month: 0.0,
    };
}

/// The demand model's contracts in one dense table: a contract needs at least one node, so there
/// are never more contracts than delivered nodes, and one slot per delivered node is added when
/// nodes arrive; slots are reused afterwards (a slot's generation tells one contract from the
/// next). Request handling therefore never allocates, and walks contracts by index.
///
/// Demand owns this table; the failure model changes a contract's billing only through
/// [`Contracts::node_availability`] and [`Contracts::move_node`].
#[derive(Resource, Clone, Debug, Default)]
pub struct Contracts {
    rows: Vec<ContractRow>,
    /// The nodes after the first of each slot's contract (empty for one-node contracts).
    more_nodes: Vec<Vec<NodeId>>,
    /// Slots free for reuse (the most recently freed is used first).
    free: Vec<ContractId>,
}

/// One slot: the first node serving the contract (most contracts run on one node, which then
/// costs no second memory access) and the contract, on whole cache lines.
#[derive(Clone, Debug)]
#[repr(C, align(64))]
struct ContractRow {
    first_node: NodeId,
    contract: Contract,
}

// What a contract's end reads (up to the month's lost GPU-hours) lies in the row's first line.
const _: () = assert!(
    std::mem::offset_of!(ContractRow, contract)
        + std::mem::offset_of!(Contract, down_gpu_hours_month)
        + 8
        <= 64
);

impl Contracts {
    /// The contract in slot `c` (a slot not in use has no GPUs).
    #[inline]
    pub fn get(&self, c: ContractId) -> &Contract {
        &self.rows[c.0 as usize].contract
    }

    /// The nodes serving the contract in slot `c` (none while the slot is not in use).
    #[inline]
    pub fn nodes_of(&self, c: ContractId) -> impl Iterator<Item = NodeId> + '_ {
        let row = &self.rows[c.0 as usize];
        let more: &[NodeId] = if row.contract.n_nodes > 1 {
            &self.more_nodes[c.0 as usize]
        } else {
            &[]
        };
        (row.contract.n_nodes > 0)
            .then_some(row.first_node)
            .into_iter()
            .chain(more.iter().copied())
    }

    /// Every slot with its contract, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (ContractId, &Contract)> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| (ContractId(i as u32), &r.contract))
    }

    /// A failed node of the contract is replaced by a spare.
    pub(crate) fn move_node(&mut self, c: ContractId, from: NodeId, to: NodeId) {
        let row = &mut self.rows[c.0 as usize];
        if row.first_node == from {
            row.first_node = to;
        }
        for n in self.more_nodes[c.0 as usize]
            .iter_mut()
            .filter(|n| **n == from)
        {
            *n = to;
        }
    }

    /// A node of the contract (`gpus` GPUs, `max_kw` maximum power, `tokens` per GPU-hour) failed and is waited for
    /// (`up` false: its GPUs count as down and stop billing), or is back (`up` true: it runs the
    /// contract's load and bills again).
    pub(crate) fn node_availability(
        &mut self,
        c: ContractId,
        now: SimTime,
        (gpus, max_kw, tokens): (u32, f64, f64),
        up: bool,
        meter: &mut Meter,
    ) {
        let contract = &mut self.rows[c.0 as usize].contract;
        accrue_downtime(contract, now);
        if up {
            contract.down_gpus -= gpus;
            meter.add(Rate::ItKw, contract.node_load_kw);
        } else {
            contract.down_gpus += gpus;
        }
        bill_node(
            meter,
            contract,
            (gpus, max_kw, tokens),
            if up { 1.0 } else { -1.0 },
        );
    }
}

/// Stop (sign -1) or restart (sign +1) billing one node's GPUs of a contract.
fn bill_node(
    meter: &mut Meter,
    contract: &Contract,
    (gpus, max_kw, tokens): (u32, f64, f64),
    sign: f64,
) {
    let g = gpus as f64 * sign;
    meter.add(
        revenue_rate(contract.class),
        contract.price_usd_per_gpu_hour * g,
    );
    meter.add(
        Rate::PrepaidRevenueUsdPerHour,
        contract.prepay_frac * contract.price_usd_per_gpu_hour * g,
    );
    meter.add(Rate::SoldGpus, g);
    meter.add(Rate::SoldMaxKw, max_kw * sign);
    meter.add(Rate::SoldTokensPerHour, tokens * g);
}

/// One kind of request, with per-replication inputs resolved.
#[derive(Clone, Debug)]
pub struct ClassModel {
    /// Contract class.
    pub class: ContractClass,
    /// Size in GPUs, drawn per request.
    pub size_gpus: Dist,
    /// Duration, drawn per request, in units of `duration_unit_hours`.
    pub duration: Dist,
    /// Hours per unit of `duration`.
    pub duration_unit_hours: f64,
    /// Acceptable SKUs (indices into the fleet's SKUs), in preference order.
    pub skus: Vec<u16>,
    /// Load between idle (0) and max (1) power while running.
    pub load_frac: f64,
    /// All nodes in one hall phase.
    pub single_cluster: bool,
    /// Highest acceptable price as a ratio to market, drawn per request (None: any price).
    pub max_price_ratio: Option<Dist>,
    /// Chance of renewal at term end.
    pub renewal_frac: f64,
    /// Share of the contract value prepaid.
    pub prepay_frac: f64,
    /// Hours a request waits for capacity (None: it is lost at once).
    pub patience_hours: Option<Dist>,
}

/// A contract signed ahead of capacity (inputs sampled).
#[derive(Clone, Debug)]
pub struct AnchorModel {
    /// SKU index.
    pub sku: u16,
    /// GPUs.
    pub gpus: u32,
    /// Term in hours.
    pub duration_hours: f64,
    /// Price, USD per GPU-hour.
    pub price_usd_per_gpu_hour: f64,
    /// Load between idle and max power.
    pub load_frac: f64,
    /// All nodes in one phase.
    pub single_cluster: bool,
    /// Share prepaid at signing.
    pub prepay_frac: f64,
    /// Chance of renewal.
    pub renewal_frac: f64,
    /// Month of signing.
    pub sign_month: u32,
}

/// The demand process of one replication.
#[derive(Clone, Debug)]
pub struct DemandModel {
    /// Arrivals per hour at time zero (before season and regime).
    pub base_per_hour: f64,
    /// ln(1 + growth per year).
    pub growth_ln_per_year: f64,
    /// Seasonal amplitude.
    pub season_amplitude: f64,
    /// Time of the seasonal peak, in years from the scenario start (modulo 1).
    pub season_peak_years: f64,
    /// Regime multiplier per month.
    pub month_multiplier: Vec<f64>,
    /// Month boundaries.
    pub calendar: Calendar,
    /// Request kinds.
    pub classes: Vec<ClassModel>,
    /// Cumulative shares of the classes (last is 1).
    pub cumulative_share: Vec<f64>,
    /// Anchor contracts.
    pub anchors: Vec<AnchorModel>,
    /// Arrivals per hour in the first months, from a demand history: constant over each month,
    /// with no growth, season or regime applied (empty without a history).
    pub history_per_hour: Vec<f64>,
    /// Per month, its end in hours since the start and an upper bound of its rate (filled by
    /// [`DemandModel::prepare`]).
    pub months: Vec<(f64, f64)>,
    /// Whether the rate is constant within each month (no growth, no season), so that every
    /// candidate arrival is an arrival (filled by [`DemandModel::prepare`]).
    pub constant: bool,
}

impl DemandModel {
    /// Precompute the monthly rate bounds used by thinning.
    pub fn prepare(mut self) -> DemandModel {
        self.months = (0..self.calendar.horizon_months())
            .map(|m| {
                (
                    self.calendar.month_start(m + 1).hours(),
                    self.month_bound(m),
                )
            })
            .collect();
        self.constant = self.piecewise_constant();
        self
    }

    /// Whether the rate is constant within each month (no growth, no seasonality).
    fn piecewise_constant(&self) -> bool {
        self.growth_ln_per_year == 0.0 && self.season_amplitude == 0.0
    }

    fn growth_and_season(&self, hours: f64) -> f64 {
        let years = hours / HOURS_PER_YEAR as f64;
        let season = 1.0
            + self.season_amplitude
                * (2.0 * std::f64::consts::PI * (years - self.season_peak_years)).cos();
        self.base_per_hour * (self.growth_ln_per_year * years).exp() * season
    }

    /// Arrival rate per hour at `hours` after the start, in month `m`.
    pub fn rate_at(&self, hours: f64, m: u32) -> f64 {
        if let Some(&r) = self.history_per_hour.get(m as usize) {
            return r;
        }
        self.growth_and_season(hours) * self.month_multiplier[m as usize]
    }

    /// An upper bound of the rate over month `m`.
    fn month_bound(&self, m: u32) -> f64 {
        if let Some(&r) = self.history_per_hour.get(m as usize) {
            return r;
        }
        let t0 = self.calendar.month_start(m).hours() / HOURS_PER_YEAR as f64;
        let t1 = self.calendar.month_start(m + 1).hours() / HOURS_PER_YEAR as f64;
        let growth = (self.growth_ln_per_year * t0)
            .exp()
            .max((self.growth_ln_per_year * t1).exp());
        self.base_per_hour
            * growth
            * (1.0 + self.season_amplitude.abs())
            * self.month_multiplier[m as usize]
    }

    /// The next arrival after `t_hours` (exact hours since the start, in month `m`), by thinning
    /// month by month: its exact time and month, or None past the horizon.
    ///
    /// Times stay exact floats from one arrival to the next; only the event that fires is rounded
    /// to the engine's whole seconds, so rounding never changes the realised rate.
    #[inline(always)]
    pub fn next_arrival(&self, t_hours: f64, m: u32, rng: &mut SimRng) -> Option<(f64, u32)> {
        let mut m = m;
        let mut t = t_hours;
        loop {
            let &(end, bound) = self.months.get(m as usize)?;
            if bound > 0.0 {
                t += exp1(rng) / bound;
            } else {
                t = end;
            }
            if t >= end {
                // The Poisson process is memoryless: start again at the month boundary.
                t = end;
                m += 1;
                continue;
            }
            // With a rate constant over the month every candidate is an arrival.
            if self.constant
                || (m as usize) < self.history_per_hour.len()
                || rng.random::<f64>() * bound <= self.rate_at(t, m)
            {
                return Some((t, m));
            }
        }
    }
}

/// Rental prices of one replication.
#[derive(Clone, Debug)]
pub struct Prices {
    /// Market price per SKU and month, USD per GPU-hour.
    pub market: Vec<Vec<f64>>,
    /// Reserved discount below the list price.
    pub reserved_discount_frac: f64,
    /// Spot discount below the list price.
    pub spot_discount_frac: f64,
    /// Pricing policy.
    pub policy: PricingPolicy,
}

impl Prices {
    /// Market price of `sku` in month `m`.
    pub fn market(&self, sku: u16, m: u32) -> f64 {
        let path = &self.market[sku as usize];
        path[(m as usize).min(path.len() - 1)]
    }

    /// Whether prices depend on utilization.
    pub fn uses_utilization(&self) -> bool {
        matches!(self.policy, PricingPolicy::Dynamic { .. })
    }

    /// Price of a new contract of `class` on `sku` in month `m`, at utilization `util` of the SKU.
    pub fn price(&self, class: ContractClass, sku: u16, m: u32, util: f64) -> f64 {
        let market = self.market(sku, m);
        let list = match &self.policy {
            PricingPolicy::ListRatio(r) => market * r,
            PricingPolicy::Dynamic {
                low_utilization_frac,
                discount_frac,
                high_utilization_frac,
                premium_frac,
            } => {
                if util < *low_utilization_frac {
                    market * (1.0 - discount_frac)
                } else if util > *high_utilization_frac {
                    market * (1.0 + premium_frac)
                } else {
                    market
                }
            }
        };
        match class {
            ContractClass::Reserved => list * (1.0 - self.reserved_discount_frac),
            ContractClass::OnDemand => list,
            ContractClass::Spot => list * (1.0 - self.spot_discount_frac),
        }
    }
}

/// A request waiting for capacity.
#[derive(Clone, Debug)]
struct Waiting {
    id: u64,
    class: ContractClass,
    /// Request kind, or the anchor index.
    kind: Result<u16, u16>,
    size_gpus: f64,
    duration_s: u64,
    /// The request's decision key (see [`Contract::key`]).
    key: u64,
}

/// Everything the demand systems own in one replication.
#[derive(Resource, Debug)]
pub struct DemandState {
    /// The arrival process and request kinds.
    pub model: DemandModel,
    /// Prices.
    pub prices: Prices,
    /// The demand random stream: arrival times and request attributes, nothing else, so that
    /// every variant sees the same customers.
    pub rng: SimRng,
    /// Keyed streams of customer decisions (renewals), one per request.
    pub decisions: KeyedStreams,
    /// Exact time of the pending arrival, hours since the start, and its month.
    next_arrival: Option<(f64, u32)>,
    /// Requests arrived so far (the arrival number is a request's decision key).
    arrivals_seen: u64,
    /// Exogenous draws, recorded when asked for (see [`crate::results::Trace`]).
    pub trace: Option<Vec<ArrivalTrace>>,
    /// Counts of the current month.
    pub counters: DemandCounters,
    /// Current month.
    pub month: u32,
    /// Start of the current month.
    pub month_start: SimTime,
    /// Hours in the current month (the SLA measurement period).
    pub month_hours: f64,
    /// SLA credit schedule.
    pub sla_tiers: Vec<SlaTier>,
    waiting: Vec<Waiting>,
    next_request_id: u64,
    /// Spot contracts per SKU, oldest first.
    spot: Vec<Vec<ContractId>>,
    /// Busy nodes per SKU.
    busy_nodes: Vec<u32>,
    scratch: Vec<NodeId>,
    /// The last node count worked out, with its SKU and request size: most requests repeat the
    /// size of the one before, and the count then needs no division.
    nodes_memo: (u16, f64, usize),
}

/// Key of anchor `i`'s decision stream (arrival numbers never reach the top bit).
fn anchor_key(i: u16) -> u64 {
    (1 << 63) | i as u64
}

/// Add the demand resources and systems and schedule the first arrival and the anchors.
#[expect(
    clippy::too_many_arguments,
    reason = "the demand model's inputs, each built separately"
)]
pub fn install(
    engine: &mut Engine,
    model: DemandModel,
    prices: Prices,
    sla_tiers: Vec<SlaTier>,
    n_skus: usize,
    mut rng: SimRng,
    decisions: KeyedStreams,
    trace: bool,
) {
    super::messages::register(&mut engine.world);
    let model_month_hours = model.calendar.hours_in_month(0);
    let next_arrival = if model.classes.is_empty() {
        None
    } else {
        model.next_arrival(0.0, 0, &mut rng)
    };
    if let Some((t, _)) = next_arrival {
        engine.schedule(SimTime::from_hours(t), SimEvent::RequestArrival);
    }
    for (i, a) in model.anchors.iter().enumerate() {
        if a.sign_month < model.calendar.horizon_months() {
            engine.schedule(
                model.calendar.month_start(a.sign_month),
                SimEvent::AnchorSigned(i as u16),
            );
        }
    }
    engine.world.insert_resource(Contracts::default());
    engine.world.insert_resource(DemandState {
        model,
        prices,
        rng,
        decisions,
        next_arrival,
        arrivals_seen: 0,
        trace: trace.then(Vec::new),
        counters: DemandCounters::default(),
        month: 0,
        month_start: SimTime::ZERO,
        month_hours: model_month_hours,
        sla_tiers,
        waiting: Vec::new(),
        next_request_id: 0,
        spot: vec![Vec::new(); n_skus],
        busy_nodes: vec![0; n_skus],
        scratch: Vec::new(),
        // A NaN size matches no request.
        nodes_memo: (0, f64::NAN, 0),
    });
    for kind in [
        EventKind::RequestArrival,
        EventKind::ContractEnd,
        EventKind::PatienceExpired,
        EventKind::RetryWaiting,
        EventKind::AnchorSigned,
    ] {
        engine
            .schedule_mut(kind)
            .add_systems(handle_demand_events.in_set(Step::Demand));
    }
    engine
        .schedule_mut(EventKind::TrancheDelivered)
        .add_systems(provision_contract_slots.in_set(Step::Demand));
    engine
        .schedule_mut(EventKind::MonthEnd)
        .add_systems(close_demand_month.in_set(Step::Demand))
        .add_systems(set_price_ratio.in_set(Step::Orders))
        .add_systems(
            (reset_counters, reprice_running)
                .chain()
                .in_set(Step::Record),
        );
}

/// A policy set the list-price ratio: contracts that start from the next month on are priced
/// at it (running reserved contracts keep their price; running on-demand and spot contracts move
/// to it at the start of the next month, as every list price change does).
fn set_price_ratio(mut set: MessageReader<PriceRatioSet>, mut d: ResMut<DemandState>) {
    for r in set.read() {
        d.prices.policy = PricingPolicy::ListRatio(r.0);
    }
}

/// One contract slot per delivered node (see [`Contracts`]).
fn provision_contract_slots(
    mut delivered: MessageReader<NodesDelivered>,
    mut contracts: ResMut<Contracts>,
) {
    for d in delivered.read() {
        for _ in 0..d.n_nodes {
            let c = ContractId(contracts.rows.len() as u32);
            contracts.rows.push(ContractRow {
                contract: Contract::EMPTY,
                first_node: NodeId(u32::MAX),
            });
            contracts.more_nodes.push(Vec::new());
            contracts.free.push(c);
        }
    }
}

/// Utilization of a SKU for dynamic pricing (0 where prices do not depend on it): busy GPUs over
/// GPUs in service or spare.
fn utilization(d: &DemandState, fleet: &FleetCounters, plan: &FleetPlan, sku: u16) -> f64 {
    if !d.prices.uses_utilization() {
        return 0.0;
    }
    let g = &fleet.gpus[sku as usize];
    let available = g[GpuState::InService as usize] + g[GpuState::Spare as usize];
    if available == 0 {
        return 1.0;
    }
    let busy = d.busy_nodes[sku as usize] as f64 * plan.skus[sku as usize].gpus_per_node as f64;
    busy / available as f64
}

/// At the start of a month, running on-demand and spot contracts move to the month's list price
/// (reserved contracts keep the price locked at signing): on-demand pays the current list price
/// and spot the list price less the spot discount, as new contracts of the month do. The
/// revenue rate changes by the price change on the GPUs billed now (GPUs on failed nodes are
/// billed again at the contract's price when they are back).
fn reprice_running(
    plan: Res<FleetPlan>,
    fleet: Res<FleetCounters>,
    demand: Res<DemandState>,
    mut contracts: ResMut<Contracts>,
    mut meter: ResMut<Meter>,
) {
    let d = &*demand;
    let meter = meter.bypass_change_detection();
    // Slot order, so that the float sums have one order.
    for row in &mut contracts.rows {
        let c = &mut row.contract;
        if c.gpus == 0 || c.class == ContractClass::Reserved {
            continue;
        }
        let util = utilization(d, &fleet, &plan, c.sku);
        let price = d.prices.price(c.class, c.sku, d.month, util);
        if price != c.price_usd_per_gpu_hour {
            let billed = (c.gpus - c.down_gpus) as f64;
            meter.add(
                revenue_rate(c.class),
                (price - c.price_usd_per_gpu_hour) * billed,
            );
            c.price_usd_per_gpu_hour = price;
        }
    }
}

/// Everything request handling touches, borrowed for one schedule run.
struct Ctx<'a> {
    plan: &'a FleetPlan,
    fleet: &'a FleetCounters,
    agenda: &'a mut Agenda,
    d: &'a mut DemandState,
    nodes: &'a mut Nodes,
    meter: &'a mut Meter,
    contracts: &'a mut Contracts,
}

/// Handle arrivals, contract ends, patience expiries, retries and anchor signings, and then every
/// following event of those kinds in the same schedule run (see [`Agenda::take_next_demand`]).
fn handle_demand_events(
    plan: Res<FleetPlan>,
    fleet: Res<FleetCounters>,
    mut agenda: ResMut<Agenda>,
    mut demand: ResMut<DemandState>,
    mut nodes: ResMut<Nodes>,
    mut meter: ResMut<Meter>,
    mut contracts: ResMut<Contracts>,
) {
    let mut ctx = Ctx {
        plan: &plan,
        fleet: &fleet,
        agenda: agenda.bypass_change_detection(),
        d: &mut demand,
        nodes: &mut nodes,
        meter: meter.bypass_change_detection(),
        contracts: &mut contracts,
    };
    // The first event is the one the engine took (the meter is already at its time); advancing
    // the meter again to the same time changes nothing.
    while let Some(event) = ctx.agenda.take_next_demand() {
        ctx.meter.advance(ctx.agenda.now());
        match event {
            DemandEvent::RequestArrival => ctx.arrive(),
            DemandEvent::ContractEnd(e, generation) => ctx.end_of_term(e, generation),
            DemandEvent::PatienceExpired(id) => ctx.expire(id),
            DemandEvent::RetryWaiting => ctx.place_waiting(),
            DemandEvent::AnchorSigned(i) => ctx.sign_anchor(i),
        }
    }
}

impl Ctx<'_> {
    fn utilization(&self, sku: u16) -> f64 {
        utilization(self.d, self.fleet, self.plan, sku)
    }

    fn arrive(&mut self) {
        let now = self.agenda.now();
        let d = &mut *self.d;
        let Some((t_hours, m)) = d.next_arrival else {
            unreachable!("an arrival fired with none pending")
        };
        d.next_arrival = d.model.next_arrival(t_hours, m, &mut d.rng);
        if let Some((next, _)) = d.next_arrival {
            self.agenda
                .schedule(SimTime::from_hours(next).max(now), SimEvent::RequestArrival);
        }
        let key = d.arrivals_seen;
        d.arrivals_seen += 1;
        // A single class needs no draw to choose it.
        let ci = if d.model.classes.len() == 1 {
            0
        } else {
            let u = d.rng.random::<f64>();
            d.model
                .cumulative_share
                .iter()
                .position(|&c| u < c)
                .unwrap_or(d.model.classes.len() - 1)
        };
        let class = &d.model.classes[ci];
        let size_gpus = ceil(class.size_gpus.sample(&mut d.rng).max(1.0));
        let duration_h = class.duration.sample(&mut d.rng) * class.duration_unit_hours;
        let duration_s = hours_to_seconds(duration_h).max(1);
        let wtp = class
            .max_price_ratio
            .as_ref()
            .map(|dist| dist.sample(&mut d.rng));
        let patience = class
            .patience_hours
            .as_ref()
            .map(|dist| dist.sample(&mut d.rng));
        let class_kind = class.class;
        let first_sku = class.skus.first().copied();
        d.counters.arrived += 1;
        if let Some(trace) = &mut d.trace {
            trace.push((t_hours, ci as u16, size_gpus, duration_h));
        }
        // The customer compares our list price with the market price of its preferred SKU.
        if let (Some(wtp), Some(sku)) = (wtp, first_sku) {
            let util = self.utilization(sku);
            let d = &mut *self.d;
            let market = d.prices.market(sku, d.month);
            if d.prices.price(class_kind, sku, d.month, util) > wtp * market {
                d.counters.priced_out += 1;
                self.count_unmet(class_kind, ci as u16, size_gpus, duration_s);
                return;
            }
        }
        let id = self.d.next_request_id;
        self.d.next_request_id += 1;
        let req = Waiting {
            id,
            class: class_kind,
            kind: Ok(ci as u16),
            size_gpus,
            duration_s,
            key,
        };
        if self.try_place(&req) {
            return;
        }
        match patience {
            Some(h) if h > 0.0 => {
                let deadline = now.plus(hours_to_seconds(h).max(1));
                self.agenda
                    .schedule(deadline, SimEvent::PatienceExpired(id));
                self.d.waiting.push(req);
            }
            _ => {
                self.d.counters.rejected += 1;
                self.d.counters.rejected_by_class[class_kind.index()] += 1;
                self.count_unmet(class_kind, ci as u16, size_gpus, duration_s);
            }
        }
    }

    /// Count a request that was not served: its GPU-hours, and the revenue it would have
    /// brought at the price it was quoted (its first SKU's price now, at that SKU's utilization).
    fn count_unmet(&mut self, class: ContractClass, kind: u16, size_gpus: f64, duration_s: u64) {
        let sku = self.d.model.classes[kind as usize].skus.first().copied();
        let util = sku.map_or(0.0, |s| self.utilization(s));
        let d = &mut *self.d;
        let gpu_hours = size_gpus * duration_s as f64 / SECONDS_PER_HOUR as f64;
        d.counters.unmet_gpu_hours += gpu_hours;
        if let Some(sku) = sku {
            d.counters.unmet_revenue_usd += gpu_hours * d.prices.price(class, sku, d.month, util);
        }
    }

    fn expire(&mut self, id: u64) {
        let Some(pos) = self.d.waiting.iter().position(|w| w.id == id) else {
            return;
        };
        let w = self.d.waiting.remove(pos);
        self.d.counters.rejected += 1;
        self.d.counters.rejected_by_class[w.class.index()] += 1;
        if let Ok(kind) = w.kind {
            self.count_unmet(w.class, kind, w.size_gpus, w.duration_s);
        }
    }

    fn sign_anchor(&mut self, i: u16) {
        let a = self.d.model.anchors[i as usize].clone();
        // The prepayment is cash at signing; the revenue comes as the service runs.
        self.d.counters.prepayments_usd +=
            a.prepay_frac * a.price_usd_per_gpu_hour * a.gpus as f64 * a.duration_hours;
        let id = self.d.next_request_id;
        self.d.next_request_id += 1;
        self.d.waiting.push(Waiting {
            id,
            class: ContractClass::Reserved,
            kind: Err(i),
            size_gpus: a.gpus as f64,
            duration_s: hours_to_seconds(a.duration_hours).max(1),
            key: anchor_key(i),
        });
        self.place_waiting();
    }

    /// Try to place waiting requests, highest class first, oldest first.
    #[inline(always)]
    fn place_waiting(&mut self) {
        // Mostly nobody waits: that check costs nothing where it is called.
        if !self.d.waiting.is_empty() {
            self.place_waiting_requests();
        }
    }

    fn place_waiting_requests(&mut self) {
        if (0..self.plan.skus.len() as u16)
            .all(|s| self.nodes.pool().free(s) == 0 && self.d.spot[s as usize].is_empty())
        {
            return;
        }
        let mut order: Vec<(ContractClass, u64)> =
            self.d.waiting.iter().map(|w| (w.class, w.id)).collect();
        order.sort();
        for (_, id) in order {
            let Some(pos) = self.d.waiting.iter().position(|w| w.id == id) else {
                continue;
            };
            let w = self.d.waiting[pos].clone();
            if self.try_place(&w) {
                self.d.waiting.remove(pos);
            }
        }
    }

    /// Nodes a request needs on a SKU.
    fn nodes_needed(&mut self, sku: u16, size_gpus: f64) -> usize {
        let (memo_sku, memo_size, memo_n) = self.d.nodes_memo;
        if memo_sku == sku && memo_size == size_gpus {
            return memo_n;
        }
        let n = ceil(size_gpus / self.plan.skus[sku as usize].gpus_per_node as f64) as usize;
        self.d.nodes_memo = (sku, size_gpus, n);
        n
    }

    #[inline(always)]
    fn try_place(&mut self, req: &Waiting) -> bool {
        let (n_skus, single_cluster) = match req.kind {
            Ok(k) => {
                let c = &self.d.model.classes[k as usize];
                (c.skus.len(), c.single_cluster)
            }
            Err(a) => (1, self.d.model.anchors[a as usize].single_cluster),
        };
        for i in 0..n_skus {
            let sku = match req.kind {
                Ok(k) => self.d.model.classes[k as usize].skus[i],
                Err(a) => self.d.model.anchors[a as usize].sku,
            };
            let n = self.nodes_needed(sku, req.size_gpus);
            if self.take_nodes(sku, n, single_cluster, req.class) {
                self.start_contract(req, sku, n);
                return true;
            }
        }
        false
    }

    /// Take `n` nodes of `sku` into the scratch buffer, preempting spot contracts if the class
    /// ranks above spot and that frees enough.
    #[inline(always)]
    fn take_nodes(
        &mut self,
        sku: u16,
        n: usize,
        single_cluster: bool,
        class: ContractClass,
    ) -> bool {
        self.d.scratch.clear();
        let phases = self.nodes.pool().n_phases();
        if single_cluster {
            if let Some(p) = (0..phases).find(|&p| self.nodes.pool().free_in(sku, p) >= n) {
                return self.nodes.take_free_in(sku, p, n, &mut self.d.scratch);
            }
        } else if self.nodes.take_free(sku, n, &mut self.d.scratch) {
            return true;
        }
        if class == ContractClass::Spot || self.d.spot[sku as usize].is_empty() {
            return false;
        }
        // Preemption: spot nodes count as free for higher classes.
        let spot_nodes_in = |ctx: &Self, phase: Option<usize>| -> usize {
            ctx.d.spot[sku as usize]
                .iter()
                .map(|&c| {
                    // Only running nodes come free on preemption; failed ones stay down, and
                    // ones at end of life leave the fleet.
                    ctx.contracts
                        .nodes_of(c)
                        .filter(|&n| ctx.nodes.frees_on_preemption(n, phase))
                        .count()
                })
                .sum()
        };
        let target = if single_cluster {
            (0..phases)
                .find(|&p| self.nodes.pool().free_in(sku, p) + spot_nodes_in(self, Some(p)) >= n)
        } else if self.nodes.pool().free(sku) + spot_nodes_in(self, None) >= n {
            Some(usize::MAX)
        } else {
            return false;
        };
        let Some(phase) = target else { return false };
        let enough = |ctx: &Self| {
            if phase == usize::MAX {
                ctx.nodes.pool().free(sku) >= n
            } else {
                ctx.nodes.pool().free_in(sku, phase) >= n
            }
        };
        // Preempt the newest spot contracts first (they have run the least).
        while !enough(self) {
            let in_phase = (phase != usize::MAX).then_some(phase);
            let victim = self.d.spot[sku as usize].iter().rev().copied().find(|&c| {
                self.contracts
                    .nodes_of(c)
                    .any(|n| self.nodes.frees_on_preemption(n, in_phase))
            });
            // The count above includes only nodes preemption frees, so a victim always exists.
            let Some(victim) = victim else {
                unreachable!("spot nodes were counted that preemption cannot free")
            };
            self.finish(victim);
            self.d.counters.preemptions += 1;
        }
        self.d.scratch.clear();
        if phase == usize::MAX {
            self.nodes.take_free(sku, n, &mut self.d.scratch)
        } else {
            self.nodes.take_free_in(sku, phase, n, &mut self.d.scratch)
        }
    }

    /// Start a contract on the nodes in the scratch buffer.
    #[inline(always)]
    fn start_contract(&mut self, req: &Waiting, sku_idx: u16, n: usize) {
        let now = self.agenda.now();
        let util = self.utilization(sku_idx);
        let sku = &self.plan.skus[sku_idx as usize];
        let d = &mut *self.d;
        let (load_frac, price, renewal_frac, prepay_frac, kind) = match req.kind {
            Ok(k) => {
                let c = &d.model.classes[k as usize];
                (
                    c.load_frac,
                    d.prices.price(req.class, sku_idx, d.month, util),
                    c.renewal_frac,
                    c.prepay_frac,
                    Some(k),
                )
            }
            Err(a) => {
                let a = &d.model.anchors[a as usize];
                (
                    a.load_frac,
                    a.price_usd_per_gpu_hour,
                    a.renewal_frac,
                    a.prepay_frac,
                    None,
                )
            }
        };
        let gpus = n as u32 * sku.gpus_per_node;
        let node_load_kw = (sku.max_kw - sku.idle_kw) * load_frac;
        let id = self
            .contracts
            .free
            .pop()
            .expect("there are never more contracts than nodes");
        let row = &mut self.contracts.rows[id.0 as usize];
        let c = &mut row.contract;
        let generation = c.generation.wrapping_add(1);
        *c = Contract {
            class: req.class,
            kind,
            sku: sku_idx,
            gpus,
            n_nodes: n as u32,
            price_usd_per_gpu_hour: price,
            node_load_kw,
            start: now,
            end: now.plus(req.duration_s),
            generation,
            renewal_frac,
            prepay_frac: if req.class == ContractClass::Reserved {
                prepay_frac
            } else {
                0.0
            },
            key: req.key,
            renewals: 0,
            down_gpus: 0,
            down_since: now,
            down_gpu_hours_month: 0.0,
        };
        row.first_node = d.scratch[0];
        if n > 1 {
            let more = &mut self.contracts.more_nodes[id.0 as usize];
            more.clear();
            more.extend_from_slice(&d.scratch[1..]);
        }
        self.nodes.start_serving(&d.scratch, id);
        // With nothing prepaid (on-demand and spot contracts, and term contracts without a
        // prepayment) both terms are zero, and adding a zero changes neither sum: neither is ever
        // -0, the one value that adding +0 would change.
        if c.prepay_frac != 0.0 {
            // Anchors prepaid at signing; other term contracts prepay when service starts.
            if req.kind.is_ok() {
                let hours = req.duration_s as f64 / SECONDS_PER_HOUR as f64;
                d.counters.prepayments_usd += c.prepay_frac * price * gpus as f64 * hours;
            }
            self.meter.add(
                Rate::PrepaidRevenueUsdPerHour,
                c.prepay_frac * price * gpus as f64,
            );
        }
        self.meter.add(Rate::ItKw, n as f64 * node_load_kw);
        self.meter.add(Rate::SoldGpus, gpus as f64);
        self.meter.add(Rate::SoldMaxKw, n as f64 * sku.max_kw);
        self.meter.add(
            Rate::SoldTokensPerHour,
            sku.tokens_per_gpu_hour * gpus as f64,
        );
        self.meter.add(revenue_rate(req.class), price * gpus as f64);
        d.busy_nodes[sku_idx as usize] += n as u32;
        if req.class == ContractClass::Spot {
            d.spot[sku_idx as usize].push(id);
        }
        self.agenda
            .schedule(c.end, SimEvent::ContractEnd(id, generation));
        d.counters.placed += 1;
    }

    /// A contract's term is over: renew it, or release its nodes.
    fn end_of_term(&mut self, e: ContractId, generation: u32) {
        let now = self.agenda.now();
        let c = self.contracts.get(e);
        // A contract preempted earlier left this event behind.
        if c.gpus == 0 || c.generation != generation {
            return;
        }
        let renewable = c.class == ContractClass::Reserved
            && c.renewal_frac > 0.0
            && !self
                .contracts
                .nodes_of(e)
                .any(|n| self.nodes.get(n).retiring);
        if renewable {
            let (sku_idx, kind, renewal_frac, key, renewals) =
                (c.sku, c.kind, c.renewal_frac, c.key, c.renewals);
            // The decision and the new term come from the contract's own stream, so no
            // variant's renewals shift any other draw.
            let mut decision = self.d.decisions.rng_at(key, renewals as u64);
            if decision.random::<f64>() < renewal_frac {
                self.renew(e, sku_idx, kind, now, &mut decision);
                return;
            }
        }
        if c.class == ContractClass::Reserved {
            self.d.counters.churned += 1;
        }
        self.finish(e);
        self.place_waiting();
    }

    /// Renew a term contract at the then-market reserved price for a new term.
    fn renew(
        &mut self,
        e: ContractId,
        sku_idx: u16,
        kind: Option<u16>,
        now: SimTime,
        decision: &mut KeyedRng,
    ) {
        let util = self.utilization(sku_idx);
        let d = &mut *self.d;
        let term_h = match kind {
            Some(k) => {
                let c = &d.model.classes[k as usize];
                c.duration.sample(decision) * c.duration_unit_hours
            }
            None => {
                let cc = self.contracts.get(e);
                (cc.end.0 - cc.start.0) as f64 / SECONDS_PER_HOUR as f64
            }
        };
        let price = d
            .prices
            .price(ContractClass::Reserved, sku_idx, d.month, util);
        let c = &mut self.contracts.rows[e.0 as usize].contract;
        let settled = settle_contract_sla(c, d.month_start, d.month_hours, now, &d.sla_tiers);
        d.counters.sla_credits_usd += settled.credit_usd;
        d.counters.downtime_unbilled_usd += settled.unbilled_usd;
        // Revenue runs on the GPUs that are up; down ones are billed again at the new price
        // when they are back.
        let billed = (c.gpus - c.down_gpus) as f64;
        let gpus = c.gpus as f64;
        self.meter.add(
            revenue_rate(c.class),
            (price - c.price_usd_per_gpu_hour) * billed,
        );
        self.meter.add(
            Rate::PrepaidRevenueUsdPerHour,
            c.prepay_frac * (price - c.price_usd_per_gpu_hour) * billed,
        );
        d.counters.prepayments_usd += c.prepay_frac * price * gpus * term_h;
        c.price_usd_per_gpu_hour = price;
        c.start = now;
        c.end = now.plus(hours_to_seconds(term_h).max(1));
        c.down_since = now;
        c.renewals += 1;
        let (end, generation) = (c.end, c.generation);
        d.counters.renewals += 1;
        self.agenda
            .schedule(end, SimEvent::ContractEnd(e, generation));
    }

    /// End a contract now (at term end, or cut short by preemption) and release its nodes.
    #[inline(always)]
    fn finish(&mut self, e: ContractId) {
        let d = &mut *self.d;
        let Contracts {
            rows,
            more_nodes,
            free,
        } = &mut *self.contracts;
        let ContractRow {
            contract,
            first_node,
        } = &mut rows[e.0 as usize];
        let more_nodes: &[NodeId] = if contract.n_nodes > 1 {
            &more_nodes[e.0 as usize]
        } else {
            &[]
        };
        // A contract that lost no GPU-hours this month owes nothing (and the slot is reset below).
        if contract.down_gpus > 0 || contract.down_gpu_hours_month > 0.0 {
            let settled = settle_contract_sla(
                contract,
                d.month_start,
                d.month_hours,
                self.agenda.now(),
                &d.sla_tiers,
            );
            d.counters.sla_credits_usd += settled.credit_usd;
            d.counters.downtime_unbilled_usd += settled.unbilled_usd;
        }
        let sku = &self.plan.skus[contract.sku as usize];
        for n in std::iter::once(*first_node).chain(more_nodes.iter().copied()) {
            // A failed node no longer waits for this contract; its repair returns it to the pool.
            if self.nodes.release(n, self.agenda) {
                self.meter.add(Rate::ItKw, -contract.node_load_kw);
            }
        }
        // GPUs on failed nodes stopped billing when they failed.
        let gpus = (contract.gpus - contract.down_gpus) as f64;
        // Mostly no GPU is down, and the count needs no division.
        let up_nodes = if contract.down_gpus == 0 {
            contract.n_nodes
        } else {
            contract.n_nodes - contract.down_gpus / sku.gpus_per_node
        };
        self.meter.add(Rate::SoldGpus, -gpus);
        self.meter
            .add(Rate::SoldTokensPerHour, -sku.tokens_per_gpu_hour * gpus);
        self.meter
            .add(Rate::SoldMaxKw, -(up_nodes as f64) * sku.max_kw);
        self.meter.add(
            revenue_rate(contract.class),
            -contract.price_usd_per_gpu_hour * gpus,
        );
        // Nothing prepaid: a zero term, skipped as where the contract started.
        if contract.prepay_frac != 0.0 {
            self.meter.add(
                Rate::PrepaidRevenueUsdPerHour,
                -contract.prepay_frac * contract.price_usd_per_gpu_hour * gpus,
            );
        }
        d.busy_nodes[contract.sku as usize] -= contract.n_nodes;
        if contract.class == ContractClass::Spot {
            let list = &mut d.spot[contract.sku as usize];
            if let Some(pos) = list.iter().position(|&c| c == e) {
                list.remove(pos);
            }
        }
        // A slot not in use is one with no GPUs and no nodes (every reader checks one or the
        // other); the next contract in the slot writes every field.
        contract.gpus = 0;
        contract.n_nodes = 0;
        contract.down_gpus = 0;
        free.push(e);
    }
}

/// Bring a contract's downtime up to `now`.
pub(crate) fn accrue_downtime(c: &mut Contract, now: SimTime) {
    if c.down_gpus > 0 && now > c.down_since {
        c.down_gpu_hours_month +=
            c.down_gpus as f64 * (now.0 - c.down_since.0) as f64 / SECONDS_PER_HOUR as f64;
    }
    c.down_since = now;
}

/// What a contract's downtime cost in one settlement window.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct SlaSettlement {
    /// SLA credit owed, USD.
    pub credit_usd: f64,
    /// Revenue not billed because GPUs were down, USD.
    pub unbilled_usd: f64,
}

/// Settle a contract's service between `max(month_start, start)` and `now`, given its downtime
/// in that window, against the month's SLA (`month_hours` long); resets the window.
pub(crate) fn settle_contract_sla(
    c: &mut Contract,
    month_start: SimTime,
    month_hours: f64,
    now: SimTime,
    tiers: &[SlaTier],
) -> SlaSettlement {
    accrue_downtime(c, now);
    let from = month_start.max(c.start);
    let hours = now.0.saturating_sub(from.0) as f64 / SECONDS_PER_HOUR as f64;
    let down = std::mem::take(&mut c.down_gpu_hours_month);
    if down <= 0.0 || hours <= 0.0 || c.gpus == 0 {
        return SlaSettlement::default();
    }
    let gpus = c.gpus as f64;
    // Down GPU-hours cannot exceed the window (the accrual is exact; this guards rounding).
    let down = down.min(gpus * hours);
    let availability = 1.0 - down / (gpus * month_hours.max(hours));
    // The lowest threshold the availability falls under decides the credit.
    let credit_frac = tiers
        .iter()
        .filter(|t| availability < t.below_availability_frac)
        .map(|t| t.credit_frac)
        .fold(0.0, f64::max);
    let billed = c.price_usd_per_gpu_hour * (gpus * hours - down);
    SlaSettlement {
        credit_usd: credit_frac * billed,
        unbilled_usd: c.price_usd_per_gpu_hour * down,
    }
}

/// At month end, settle every running contract's SLA for the month and publish the month's
/// summary.
fn close_demand_month(
    agenda: Res<Agenda>,
    mut demand: ResMut<DemandState>,
    mut contracts: ResMut<Contracts>,
    mut closed: MessageWriter<DemandMonthClosed>,
) {
    let now = agenda.now();
    let (month_start, month_hours) = (demand.month_start, demand.month_hours);
    // Settle newest slot first, so that the float sums have one order.
    let sla_tiers = std::mem::take(&mut demand.sla_tiers);
    for c in contracts
        .rows
        .iter_mut()
        .rev()
        .map(|r| &mut r.contract)
        .filter(|c| c.gpus > 0)
    {
        let s = settle_contract_sla(c, month_start, month_hours, now, &sla_tiers);
        demand.counters.sla_credits_usd += s.credit_usd;
        demand.counters.downtime_unbilled_usd += s.unbilled_usd;
    }
    demand.sla_tiers = sla_tiers;
    closed.write(DemandMonthClosed {
        counters: demand.counters.clone(),
        waiting: demand.waiting.len(),
    });
}

fn reset_counters(agenda: Res<Agenda>, clock: Res<Clock>, mut demand: ResMut<DemandState>) {
    demand.counters = DemandCounters::default();
    demand.month_start = agenda.now();
    demand.month = clock.month + 1;
    demand.month_hours = clock
        .calendar
        .hours_in_month((clock.month + 1).min(clock.calendar.horizon_months().saturating_sub(1)));
}

/// The meter rate that carries revenue of a class.
pub(crate) fn revenue_rate(class: ContractClass) -> Rate {
    match class {
        ContractClass::Reserved => Rate::RevenueReservedUsdPerHour,
        ContractClass::OnDemand => Rate::RevenueOnDemandUsdPerHour,
        ContractClass::Spot => Rate::RevenueSpotUsdPerHour,
    }
}
