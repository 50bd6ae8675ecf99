//! The discrete-event engine.
//!
//! # Ordering and determinism contract
//!
//! * Time is [`SimTime`]: whole seconds since the scenario start, never a float.
//! * The [`Agenda`] holds future events ordered by `(time, sequence)`. The sequence number is
//!   assigned when an event is scheduled, so events at the same time run in the order they were
//!   scheduled (first in, first out). Nothing else (memory addresses, hash order, archetype order,
//!   thread timing) can change the order in which events run.
//! * Each replication owns one `bevy_ecs::World` and runs on one thread. Every event kind has its
//!   own single-threaded [`Schedule`] ([`OnEvent`]) whose systems are grouped in the chained sets of
//!   [`Step`]; schedules are built with ambiguity detection set to *error*, so two systems that
//!   touch the same data always run in a defined order.
//! * Before it runs an event's schedule, the engine writes the event's payload into the resource
//!   of its kind ([`fired`]), so a system reads exactly the payload type of its schedule. Messages
//!   between models are read in the schedule run that writes them; the month-end schedule updates
//!   the message buffers last ([`Step::Messages`]).
//! * The engine advances from event to event, never by a fixed tick. Quantities that accrue over
//!   time (IT power, GPUs sold, revenue) are piecewise constant between events and are integrated
//!   exactly by the [`Meter`] before each event runs: the meter is advanced to the event's time
//!   first, then the event's systems change the rates. Hourly-resolved IT energy is kept for the
//!   current month only, so memory does not grow with the horizon.
//! * All randomness comes from the replication's named streams ([`crate::rng`]); float reductions
//!   happen in a fixed order on one thread.
//!
//! Together these give: same binary + same scenario + same seed = bit-identical results, whatever
//! the number of threads running other replications.

use bevy_ecs::message::message_update_system;
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{
    LogLevel, ScheduleBuildSettings, ScheduleLabel, SingleThreadedExecutor, SystemSet,
};

use crate::queue::EventQueue;
use crate::time::{Calendar, SECONDS_PER_HOUR, SimTime};

/// A node's place in the fleet's node table: its delivery order, stable for the whole replication
/// (see [`crate::model::fleet::Nodes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// A slot in the demand model's contract table (see [`crate::model::demand::Contracts`]); a slot
/// carries one contract after another, told apart by their generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContractId(pub u32);

/// Something that happens at a point in simulated time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimEvent {
    /// The current calendar month ends: settle energy, close the ledger.
    MonthEnd,
    /// A hall phase becomes ready for GPUs (index into the phase list).
    PhaseReady(u16),
    /// A tranche of GPUs is delivered (index into the fleet list).
    TrancheDelivered(u16),
    /// The next customer request arrives.
    RequestArrival,
    /// A contract's term is over (the contract's slot and its generation, so that an end left
    /// behind by a contract cut short is recognised); it renews or its nodes return to the pool.
    ContractEnd(ContractId, u32),
    /// A waiting request runs out of patience (request id).
    PatienceExpired(u64),
    /// Capacity appeared: try to place waiting requests.
    RetryWaiting,
    /// An anchor contract is signed (index into the anchors).
    AnchorSigned(u16),
    /// A node fails.
    NodeFailed(NodeId),
    /// A failed node is back in service.
    NodeRepaired(NodeId),
    /// A tranche reaches end of life (index into the fleet plan).
    TrancheRetired(u16),
    /// A node at end of life leaves the fleet.
    NodeRetired(NodeId),
}

/// Event kinds; each has its own schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EventKind {
    /// See [`SimEvent::MonthEnd`].
    MonthEnd,
    /// See [`SimEvent::PhaseReady`].
    PhaseReady,
    /// See [`SimEvent::TrancheDelivered`].
    TrancheDelivered,
    /// See [`SimEvent::RequestArrival`].
    RequestArrival,
    /// See [`SimEvent::ContractEnd`].
    ContractEnd,
    /// See [`SimEvent::PatienceExpired`].
    PatienceExpired,
    /// See [`SimEvent::RetryWaiting`].
    RetryWaiting,
    /// See [`SimEvent::AnchorSigned`].
    AnchorSigned,
    /// See [`SimEvent::NodeFailed`].
    NodeFailed,
    /// See [`SimEvent::NodeRepaired`].
    NodeRepaired,
    /// See [`SimEvent::TrancheRetired`].
    TrancheRetired,
    /// See [`SimEvent::NodeRetired`].
    NodeRetired,
}

impl EventKind {
    /// Every kind, in schedule-index order.
    pub const ALL: [EventKind; 12] = [
        EventKind::MonthEnd,
        EventKind::PhaseReady,
        EventKind::TrancheDelivered,
        EventKind::RequestArrival,
        EventKind::ContractEnd,
        EventKind::PatienceExpired,
        EventKind::RetryWaiting,
        EventKind::AnchorSigned,
        EventKind::NodeFailed,
        EventKind::NodeRepaired,
        EventKind::TrancheRetired,
        EventKind::NodeRetired,
    ];
}

impl SimEvent {
    /// The kind of this event.
    pub fn kind(&self) -> EventKind {
        match self {
            SimEvent::MonthEnd => EventKind::MonthEnd,
            SimEvent::PhaseReady(_) => EventKind::PhaseReady,
            SimEvent::TrancheDelivered(_) => EventKind::TrancheDelivered,
            SimEvent::RequestArrival => EventKind::RequestArrival,
            SimEvent::ContractEnd(..) => EventKind::ContractEnd,
            SimEvent::PatienceExpired(_) => EventKind::PatienceExpired,
            SimEvent::RetryWaiting => EventKind::RetryWaiting,
            SimEvent::AnchorSigned(_) => EventKind::AnchorSigned,
            SimEvent::NodeFailed(_) => EventKind::NodeFailed,
            SimEvent::NodeRepaired(_) => EventKind::NodeRepaired,
            SimEvent::TrancheRetired(_) => EventKind::TrancheRetired,
            SimEvent::NodeRetired(_) => EventKind::NodeRetired,
        }
    }
}

/// An event the demand systems handle: they take a run of consecutive ones in one schedule run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemandEvent {
    /// See [`SimEvent::RequestArrival`].
    RequestArrival,
    /// See [`SimEvent::ContractEnd`].
    ContractEnd(ContractId, u32),
    /// See [`SimEvent::PatienceExpired`].
    PatienceExpired(u64),
    /// See [`SimEvent::RetryWaiting`].
    RetryWaiting,
    /// See [`SimEvent::AnchorSigned`].
    AnchorSigned(u16),
}

impl SimEvent {
    /// The event as one the demand systems handle, if it is one.
    #[inline]
    pub fn as_demand(self) -> Option<DemandEvent> {
        match self {
            SimEvent::RequestArrival => Some(DemandEvent::RequestArrival),
            SimEvent::ContractEnd(e, generation) => Some(DemandEvent::ContractEnd(e, generation)),
            SimEvent::PatienceExpired(id) => Some(DemandEvent::PatienceExpired(id)),
            SimEvent::RetryWaiting => Some(DemandEvent::RetryWaiting),
            SimEvent::AnchorSigned(i) => Some(DemandEvent::AnchorSigned(i)),
            _ => None,
        }
    }
}

/// The payload of the event being handled, one resource type per event kind that has one.
///
/// Before it runs the schedule of an event, the engine writes the event's payload into the
/// resource of its kind, so each system reads exactly the payload type of the schedule it runs in.
/// Demand events (the hot path) need no resource write: the demand schedule takes them, typed,
/// from the agenda ([`super::Agenda::take_next_demand`]).
pub mod fired {
    use bevy_ecs::prelude::*;

    use super::NodeId;

    /// A hall phase became ready.
    #[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PhaseReady {
        /// Index into the phase list.
        pub phase: u16,
    }

    /// A tranche was delivered.
    #[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
    pub struct TrancheDelivered {
        /// Index into the fleet list.
        pub tranche: u16,
    }

    /// A tranche reached end of life.
    #[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
    pub struct TrancheRetired {
        /// Index into the fleet plan.
        pub tranche: u16,
    }

    /// A node failed.
    #[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
    pub struct NodeFailed {
        /// The node.
        pub node: NodeId,
    }

    /// A failed node is back in service.
    #[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
    pub struct NodeRepaired {
        /// The node.
        pub node: NodeId,
    }

    /// A node at end of life leaves the fleet.
    #[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
    pub struct NodeRetired {
        /// The node.
        pub node: NodeId,
    }

    /// Insert every payload resource, with placeholder values until an event fires.
    pub(crate) fn insert_all(world: &mut World) {
        world.insert_resource(PhaseReady { phase: 0 });
        world.insert_resource(TrancheDelivered { tranche: 0 });
        world.insert_resource(TrancheRetired { tranche: 0 });
        world.insert_resource(NodeFailed {
            node: NodeId(u32::MAX),
        });
        world.insert_resource(NodeRepaired {
            node: NodeId(u32::MAX),
        });
        world.insert_resource(NodeRetired {
            node: NodeId(u32::MAX),
        });
    }
}

/// Label of the schedule that runs when an event of the given kind fires.
#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
pub struct OnEvent(pub EventKind);

/// Ordered steps inside every event schedule.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Hall phases, deliveries, commissioning.
    Fleet,
    /// Requests, placement, contracts.
    Demand,
    /// Power, energy and its cost.
    Energy,
    /// Ledger and cash.
    Finance,
    /// Expansion policies: the decisions of the month about to start.
    Policy,
    /// What the policies decided, taken up by the models it concerns.
    Orders,
    /// Monthly records.
    Record,
    /// Moving on to the next month.
    Advance,
    /// Updating the message buffers (runs last; only the month-end schedule has a system here).
    Messages,
}

/// Agenda key: time in the high 64 bits, insertion sequence in the low 64 bits.
#[inline]
fn key(time: SimTime, seq: u64) -> u128 {
    ((time.0 as u128) << 64) | seq as u128
}

#[inline]
fn key_time(key: u128) -> SimTime {
    SimTime((key >> 64) as u64)
}

/// Future events, ordered by `(time, sequence)`, and the time of the event being handled now.
#[derive(Resource, Debug)]
pub struct Agenda {
    heap: EventQueue<SimEvent>,
    /// The pending request arrival, kept beside the queue with its key: there is at most one at
    /// a time (each arrival schedules the next), and it is mostly due within seconds, so keeping
    /// it out of the queue saves a sorted insert and a removal per request. It is taken in key
    /// order with the queue's events, so the order of events is the same as with one queue.
    arrival: Option<u128>,
    next_seq: u64,
    now: SimTime,
    until: SimTime,
    handled: u64,
    /// The demand event the engine just took, for the demand schedule to take first.
    first_demand: Option<DemandEvent>,
}

impl Default for Agenda {
    fn default() -> Self {
        Agenda {
            heap: EventQueue::default(),
            arrival: None,
            next_seq: 0,
            now: SimTime::ZERO,
            until: SimTime::ZERO,
            handled: 0,
            first_demand: None,
        }
    }
}

impl Agenda {
    /// Time of the event being handled.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedule `event` at `time`. Events at equal times run in scheduling order.
    #[inline(always)]
    pub fn schedule(&mut self, time: SimTime, event: SimEvent) {
        debug_assert!(time >= self.now, "an event was scheduled in the past");
        let seq = self.next_seq;
        self.next_seq += 1;
        if event == SimEvent::RequestArrival && self.arrival.is_none() {
            self.arrival = Some(key(time, seq));
        } else {
            self.heap.push(key(time, seq), event);
        }
    }

    /// Make the next event the one being handled, if it is due within the engine's current run
    /// and `accept` takes it; returns it.
    ///
    /// This lets a schedule handle a run of consecutive events of its own kinds in one schedule
    /// run, which saves the fixed cost of running a schedule per event on the hot path. The order
    /// of events is unchanged. The caller must advance the [`Meter`] to [`Agenda::now`] before
    /// acting on the event, exactly as the engine does, and must not rely on deferred commands
    /// from earlier events of the run (they are applied when the schedule ends).
    #[inline]
    pub fn take_next_if(&mut self, accept: impl Fn(SimEvent) -> bool) -> Option<SimEvent> {
        self.take_next_map(|e| accept(e).then_some(e))
    }

    /// The demand events of a demand schedule run, typed: first the one the engine took to start
    /// the run, then, as [`Agenda::take_next_if`] does, the next event if it is due within the
    /// current run and is one the demand systems handle.
    #[inline]
    pub fn take_next_demand(&mut self) -> Option<DemandEvent> {
        self.first_demand
            .take()
            .or_else(|| self.take_next_map(SimEvent::as_demand))
    }

    #[inline]
    fn take_next_map<T>(&mut self, accept: impl Fn(SimEvent) -> Option<T>) -> Option<T> {
        let (k, event, from_queue) = self.peek()?;
        let time = key_time(k);
        if time > self.until {
            return None;
        }
        let taken = accept(event)?;
        self.remove_peeked(from_queue);
        self.now = time;
        self.handled += 1;
        Some(taken)
    }

    /// The earliest pending event with its key, and whether it is in the queue (rather than the
    /// arrival beside it).
    #[inline]
    fn peek(&mut self) -> Option<(u128, SimEvent, bool)> {
        match self.arrival {
            // Only a queued event before the arrival is of interest; looking no further keeps
            // the queue's current bucket at or before the arrival's.
            Some(a) => Some(match self.heap.peek_below(a) {
                Some((k, e)) => (k, e, true),
                None => (a, SimEvent::RequestArrival, false),
            }),
            None => self.heap.peek().map(|(k, e)| (k, e, true)),
        }
    }

    /// Remove the event [`Agenda::peek`] has just returned.
    #[inline]
    fn remove_peeked(&mut self, from_queue: bool) {
        if from_queue {
            self.heap.pop_peeked();
        } else {
            self.arrival = None;
        }
    }

    /// Remove and return the earliest event.
    #[cfg(test)]
    fn pop(&mut self) -> Option<(SimTime, SimEvent)> {
        let (k, event, from_queue) = self.peek()?;
        self.remove_peeked(from_queue);
        Some((key_time(k), event))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() + usize::from(self.arrival.is_some())
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.arrival.is_none()
    }
}

/// The calendar and the current month (the current time is [`Agenda::now`]).
#[derive(Resource, Debug, Clone)]
pub struct Clock {
    /// Index of the current month.
    pub month: u32,
    /// Month boundaries.
    pub calendar: Calendar,
}

/// Quantities integrated over time by the [`Meter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Rate {
    /// IT power in kW (integrates to kWh); also kept per hour.
    ItKw,
    /// GPUs delivered to the site (in inventory or commissioned).
    InstalledGpus,
    /// GPUs commissioned in a powered hall phase.
    CommissionedGpus,
    /// Commissioned GPUs that are not down (in service or spare).
    AvailableGpus,
    /// GPUs sold to customers.
    SoldGpus,
    /// Revenue from reserved contracts in USD per hour.
    RevenueReservedUsdPerHour,
    /// Revenue from on-demand use in USD per hour.
    RevenueOnDemandUsdPerHour,
    /// Revenue from spot use in USD per hour.
    RevenueSpotUsdPerHour,
    /// Revenue that was paid in advance (recognised now, received earlier) in USD per hour.
    PrepaidRevenueUsdPerHour,
    /// Maximum power of the nodes sold to customers, kW (for power-weighted utilization).
    SoldMaxKw,
    /// Maximum power of the available nodes, kW.
    AvailableMaxKw,
    /// Maximum power of the commissioned nodes, kW (the IT capacity the cooling plant serves).
    CommissionedMaxKw,
    /// Tokens the sold GPUs generate per hour (zero where the scenario counts no tokens).
    SoldTokensPerHour,
}

/// Number of [`Rate`]s.
pub const N_RATES: usize = 13;

/// Hourly channels the meter keeps for the current month: IT power (kW, integrates to kWh),
/// commissioned capacity (kW) and revenue (USD per hour, integrates to USD).
pub(crate) const N_HOUR_CHANNELS: usize = 3;

/// Integrator of piecewise-constant rates.
///
/// The integral of a rate `R` over `[a, b]` is `R(b)·(b - a) - Σ Δᵢ·(tᵢ - a)`, where `Δᵢ` are the
/// changes of `R` at times `tᵢ` in between. So a change costs one multiply-add where it happens,
/// and moving the clock costs nothing until a clock hour ends: the month's integrals (in
/// rate-hours: kW becomes kWh, GPUs become GPU-hours) are formed when read, and each hourly
/// channel (IT energy, commissioned capacity, revenue) when an hour closes, as the month's
/// integral at its end less that at its start. The hourly channels let hourly prices and weather
/// apply exactly.
#[derive(Resource, Debug, Clone)]
pub struct Meter {
    last: SimTime,
    rates: [f64; N_RATES],
    /// Each rate's changes this month, times the seconds from the month's start to the change.
    month_jumps: [f64; N_RATES],
    /// Start of the current month, in seconds.
    month_start: u64,
    /// Seconds from the month's start to `last`.
    since_month_s: f64,
    /// Start of the open clock hour, in seconds.
    hour_start: u64,
    /// Each hourly channel's integral over the month up to the open hour's start, in
    /// rate-seconds.
    at_hour_start: [f64; N_HOUR_CHANNELS],
    month_first_hour: u64,
    hours: [Vec<f64>; N_HOUR_CHANNELS],
    trace: Option<Vec<(SimTime, SimTime, f64)>>,
}

impl Meter {
    /// A meter starting at time zero with every rate at zero.
    pub fn new() -> Meter {
        Meter {
            last: SimTime::ZERO,
            rates: [0.0; N_RATES],
            month_jumps: [0.0; N_RATES],
            month_start: 0,
            since_month_s: 0.0,
            hour_start: 0,
            at_hour_start: [0.0; N_HOUR_CHANNELS],
            month_first_hour: 0,
            hours: Default::default(),
            trace: None,
        }
    }

    /// Record every constant-power segment of IT power from now on (for verification; grows
    /// with the number of events).
    pub fn enable_trace(&mut self) {
        self.trace = Some(Vec::new());
    }

    /// The recorded IT power segments `(from, to, kW)`, if tracing is on.
    pub fn trace(&self) -> Option<&[(SimTime, SimTime, f64)]> {
        self.trace.as_deref()
    }

    /// Move the clock to `t` (earlier times are ignored), closing every clock hour that ends by
    /// then.
    #[inline]
    pub fn advance(&mut self, t: SimTime) {
        if t <= self.last {
            return;
        }
        if let Some(trace) = &mut self.trace {
            trace.push((self.last, t, self.rates[Rate::ItKw as usize]));
        }
        if t.0 >= self.hour_start + SECONDS_PER_HOUR {
            self.close_hours(t.0);
        }
        self.last = t;
        // It fits an i64, whose conversion is one instruction.
        self.since_month_s = (t.0 - self.month_start) as i64 as f64;
    }

    /// Each hourly channel's integral over the month up to `t` (not before `last`), in
    /// rate-seconds.
    #[inline]
    fn channels_at(&self, t: u64) -> [f64; N_HOUR_CHANNELS] {
        let s = (t as i64 - self.month_start as i64) as f64;
        let f = |r: Rate| self.rates[r as usize] * s - self.month_jumps[r as usize];
        [
            f(Rate::ItKw),
            f(Rate::CommissionedMaxKw),
            f(Rate::RevenueReservedUsdPerHour)
                + f(Rate::RevenueOnDemandUsdPerHour)
                + f(Rate::RevenueSpotUsdPerHour),
        ]
    }

    /// Write the open hour and every whole hour after it that ends by `t` into the hourly
    /// channels, and open the hour holding `t`.
    #[inline(never)]
    fn close_hours(&mut self, t: u64) {
        let r = &self.rates;
        // The rates through the whole hours after the open one: none changed after `last`.
        let steady = [
            r[Rate::ItKw as usize],
            r[Rate::CommissionedMaxKw as usize],
            r[Rate::RevenueReservedUsdPerHour as usize]
                + r[Rate::RevenueOnDemandUsdPerHour as usize]
                + r[Rate::RevenueSpotUsdPerHour as usize],
        ];
        let open = self.hour_start / SECONDS_PER_HOUR;
        let next = t / SECONDS_PER_HOUR;
        for hour in open..next {
            // Hours before the month's first (none, where months start on whole hours) are
            // not kept.
            let Some(idx) = hour.checked_sub(self.month_first_hour) else {
                continue;
            };
            let idx = idx as usize;
            // The channels have one length (a whole month, set by `start_month`).
            if idx >= self.hours[0].len() {
                for bucket in &mut self.hours {
                    bucket.resize(idx + 1, 0.0);
                }
            }
            let values = if hour == open {
                let at_end = self.channels_at((open + 1) * SECONDS_PER_HOUR);
                std::array::from_fn(|ch| {
                    (at_end[ch] - self.at_hour_start[ch]) / SECONDS_PER_HOUR as f64
                })
            } else {
                steady
            };
            for (bucket, v) in self.hours.iter_mut().zip(values) {
                bucket[idx] += v;
            }
        }
        self.hour_start = next * SECONDS_PER_HOUR;
        self.at_hour_start = self.channels_at(self.hour_start);
    }

    /// Current value of a rate.
    #[inline]
    pub fn rate(&self, r: Rate) -> f64 {
        self.rates[r as usize]
    }

    /// Add `delta` to a rate (from now on).
    #[inline]
    pub fn add(&mut self, r: Rate, delta: f64) {
        self.rates[r as usize] += delta;
        self.month_jumps[r as usize] += delta * self.since_month_s;
    }

    /// Set a rate (from now on).
    #[inline]
    pub fn set(&mut self, r: Rate, value: f64) {
        let delta = value - self.rates[r as usize];
        self.add(r, delta);
        self.rates[r as usize] = value;
    }

    /// Integral of a rate over the current month so far, in rate-hours.
    pub fn month_total(&self, r: Rate) -> f64 {
        (self.rates[r as usize] * self.since_month_s - self.month_jumps[r as usize])
            / SECONDS_PER_HOUR as f64
    }

    /// IT energy per clock hour of the current month, in kWh, starting at `month_first_hour()`:
    /// every hour that ended by the meter's time.
    pub fn hour_it_kwh(&self) -> &[f64] {
        &self.hours[0]
    }

    /// One hourly channel of the current month (see [`N_HOUR_CHANNELS`]): every hour that ended
    /// by the meter's time.
    pub fn hour_channel(&self, channel: usize) -> &[f64] {
        &self.hours[channel]
    }

    /// Index (hours since the scenario start) of the first hour of the current month.
    pub fn month_first_hour(&self) -> u64 {
        self.month_first_hour
    }

    /// Start a new month at `t`, a whole hour (the meter moves there first).
    pub fn start_month(&mut self, t: SimTime, hours_in_month: usize) {
        self.advance(t);
        debug_assert_eq!(t.0 % SECONDS_PER_HOUR, 0, "months start on whole hours");
        self.month_jumps = [0.0; N_RATES];
        self.month_start = t.0;
        self.since_month_s = 0.0;
        self.at_hour_start = [0.0; N_HOUR_CHANNELS];
        self.month_first_hour = t.0 / SECONDS_PER_HOUR;
        for bucket in &mut self.hours {
            bucket.clear();
            bucket.resize(hours_in_month, 0.0);
        }
    }
}

impl Default for Meter {
    fn default() -> Self {
        Meter::new()
    }
}

/// One replication's world and its event schedules.
pub struct Engine {
    /// The ECS world holding every entity and resource of the replication.
    pub world: World,
    schedules: Vec<Schedule>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("events_handled", &self.events_handled())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// A new engine with an empty agenda, a meter, and one schedule per event kind.
    pub fn new(calendar: Calendar) -> Engine {
        let mut world = World::new();
        world.insert_resource(Agenda::default());
        world.insert_resource(Meter::new());
        world.insert_resource(Clock { month: 0, calendar });
        fired::insert_all(&mut world);
        let schedules = EventKind::ALL
            .iter()
            .map(|&k| {
                let mut s = Schedule::new(OnEvent(k));
                s.set_executor(SingleThreadedExecutor::new());
                s.set_build_settings(ScheduleBuildSettings {
                    ambiguity_detection: LogLevel::Error,
                    ..ScheduleBuildSettings::default()
                });
                s.configure_sets(
                    (
                        Step::Fleet,
                        Step::Demand,
                        Step::Energy,
                        Step::Finance,
                        Step::Policy,
                        Step::Orders,
                        Step::Record,
                        Step::Advance,
                        Step::Messages,
                    )
                        .chain(),
                );
                if k == EventKind::MonthEnd {
                    // Every message is read in the schedule run that writes it, so updating the
                    // double buffers once a month only frees messages already read.
                    s.add_systems(message_update_system.in_set(Step::Messages));
                }
                s
            })
            .collect();
        Engine { world, schedules }
    }

    /// The schedule that runs for events of kind `kind`.
    pub fn schedule_mut(&mut self, kind: EventKind) -> &mut Schedule {
        &mut self.schedules[kind as usize]
    }

    /// Build every schedule; fails if two systems could run in an undefined order.
    pub fn initialize(&mut self) -> Result<(), String> {
        for s in &mut self.schedules {
            s.initialize(&mut self.world)
                .map_err(|e| e.to_string(s.graph(), &self.world))?;
        }
        Ok(())
    }

    /// Schedule an event.
    pub fn schedule(&mut self, time: SimTime, event: SimEvent) {
        self.world.resource_mut::<Agenda>().schedule(time, event);
    }

    /// Run events until the agenda is empty or the next event is later than `until`.
    /// Returns the number of events handled.
    pub fn run_until(&mut self, until: SimTime) -> u64 {
        let start = self.events_handled();
        self.world.resource_mut::<Agenda>().until = until;
        while self.step() {}
        self.events_handled() - start
    }

    /// Handle the earliest event if it is due within the current run: integrate the meter up
    /// to its time, hand its payload to its kind's resource (see [`fired`]), then run its
    /// schedule. Returns false when no event is due.
    #[inline]
    fn step(&mut self) -> bool {
        let (time, event) = {
            let mut agenda = self.world.resource_mut::<Agenda>();
            let agenda = agenda.bypass_change_detection();
            let Some(event) = agenda.take_next_if(|_| true) else {
                return false;
            };
            agenda.first_demand = event.as_demand();
            (agenda.now, event)
        };
        self.world
            .resource_mut::<Meter>()
            .bypass_change_detection()
            .advance(time);
        self.publish(event);
        self.schedules[event.kind() as usize].run(&mut self.world);
        self.world.clear_trackers();
        true
    }

    /// Write the payload of `event` into the resource of its kind (demand events are handed
    /// over by the agenda instead).
    #[inline]
    fn publish(&mut self, event: SimEvent) {
        match event {
            SimEvent::MonthEnd
            | SimEvent::RequestArrival
            | SimEvent::ContractEnd(..)
            | SimEvent::PatienceExpired(_)
            | SimEvent::RetryWaiting
            | SimEvent::AnchorSigned(_) => {}
            SimEvent::PhaseReady(phase) => self.set(fired::PhaseReady { phase }),
            SimEvent::TrancheDelivered(tranche) => self.set(fired::TrancheDelivered { tranche }),
            SimEvent::TrancheRetired(tranche) => self.set(fired::TrancheRetired { tranche }),
            SimEvent::NodeFailed(node) => self.set(fired::NodeFailed { node }),
            SimEvent::NodeRepaired(node) => self.set(fired::NodeRepaired { node }),
            SimEvent::NodeRetired(node) => self.set(fired::NodeRetired { node }),
        }
    }

    #[inline]
    fn set<R: Resource + Component<Mutability = bevy_ecs::component::Mutable>>(
        &mut self,
        payload: R,
    ) {
        *self.world.resource_mut::<R>().bypass_change_detection() = payload;
    }

    /// Events handled so far.
    pub fn events_handled(&self) -> u64 {
        self.world.resource::<Agenda>().handled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::YearMonth;

    #[test]
    fn agenda_orders_by_time_then_insertion() {
        let mut a = Agenda::default();
        a.schedule(SimTime(10), SimEvent::PhaseReady(1));
        a.schedule(SimTime(5), SimEvent::PhaseReady(2));
        a.schedule(SimTime(10), SimEvent::PhaseReady(3));
        a.schedule(SimTime(5), SimEvent::PhaseReady(4));
        let order: Vec<_> = std::iter::from_fn(|| a.pop()).collect();
        assert_eq!(
            order,
            [
                (SimTime(5), SimEvent::PhaseReady(2)),
                (SimTime(5), SimEvent::PhaseReady(4)),
                (SimTime(10), SimEvent::PhaseReady(1)),
                (SimTime(10), SimEvent::PhaseReady(3)),
            ]
        );
    }

    #[test]
    fn agenda_with_its_arrival_beside_the_queue_orders_as_one_heap() {
        use rand::{RngExt, SeedableRng};
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let mut a = Agenda {
            until: SimTime(u64::MAX),
            ..Agenda::default()
        };
        // The reference: one binary heap on (time, sequence), and the events by sequence.
        let mut reference = BinaryHeap::new();
        let mut events = Vec::new();
        let schedule = |a: &mut Agenda,
                        heap: &mut BinaryHeap<_>,
                        events: &mut Vec<SimEvent>,
                        t: u64,
                        e: SimEvent| {
            a.schedule(SimTime(t), e);
            heap.push(Reverse((t, events.len())));
            events.push(e);
        };
        // Far events first (a month end, long contracts), then an arrival process with contract
        // ends from seconds to weeks ahead, ties included; now and then a second arrival.
        schedule(
            &mut a,
            &mut reference,
            &mut events,
            2_678_400,
            SimEvent::MonthEnd,
        );
        schedule(
            &mut a,
            &mut reference,
            &mut events,
            9_000_000,
            SimEvent::RetryWaiting,
        );
        schedule(
            &mut a,
            &mut reference,
            &mut events,
            3,
            SimEvent::RequestArrival,
        );
        let mut n = 0u32;
        while let Some(event) = a.take_next_if(|_| true) {
            let Reverse((t, seq)) = reference.pop().expect("as many events");
            assert_eq!((a.now(), event), (SimTime(t), events[seq]), "event {n}");
            if event == SimEvent::RequestArrival && n < 20_000 {
                let gap = [0, 1, rng.random_range(0..200), rng.random_range(0..5_000)]
                    [rng.random_range(0..4)];
                schedule(
                    &mut a,
                    &mut reference,
                    &mut events,
                    t + gap,
                    SimEvent::RequestArrival,
                );
                let scale = [1, 100, 3_000, 100_000, 5_000_000][rng.random_range(0..5)];
                let end = t + rng.random_range(0..scale);
                schedule(
                    &mut a,
                    &mut reference,
                    &mut events,
                    end,
                    SimEvent::ContractEnd(ContractId(n), 0),
                );
                if rng.random_range(0..50) == 0 {
                    schedule(
                        &mut a,
                        &mut reference,
                        &mut events,
                        end,
                        SimEvent::RequestArrival,
                    );
                }
            }
            n += 1;
        }
        assert!(reference.is_empty() && a.is_empty());
        assert!(n > 20_000, "{n} events");
    }

    #[test]
    fn meter_splits_energy_at_hour_boundaries() {
        let mut m = Meter::new();
        m.start_month(SimTime(0), 3);
        m.set(Rate::ItKw, 100.0);
        m.advance(SimTime(1800));
        m.set(Rate::ItKw, 200.0);
        m.advance(SimTime(3 * 3600));
        assert_eq!(m.hour_it_kwh(), &[150.0, 200.0, 200.0]);
        assert!((m.month_total(Rate::ItKw) - 550.0).abs() < 1e-12);
    }

    #[test]
    fn meter_integrals_equal_the_sum_over_constant_segments() {
        // Random changes of every rate at random times over two months; the month totals and the
        // hourly channels against the integrals summed segment by segment.
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut m = Meter::new();
        let month_hours = [744usize, 672];
        let mut start = 0u64;
        for hours in month_hours {
            m.start_month(SimTime(start), hours);
            let end = start + hours as u64 * SECONDS_PER_HOUR;
            let mut rates = [0.0; N_RATES];
            for (i, r) in rates.iter_mut().enumerate() {
                *r = m.rates[i];
            }
            let mut month = [0.0; N_RATES];
            let mut hourly = vec![[0.0; N_HOUR_CHANNELS]; hours];
            let mut t = start;
            while t < end {
                // Mostly a few minutes apart, sometimes hours (whole hours with no event).
                let gap = if rng.random::<f64>() < 0.02 {
                    rng.random_range(3600..20_000)
                } else {
                    rng.random_range(1..400)
                };
                let next = (t + gap).min(end);
                let mut from = t;
                while from < next {
                    let to = next.min((from / SECONDS_PER_HOUR + 1) * SECONDS_PER_HOUR);
                    let dt = (to - from) as f64 / SECONDS_PER_HOUR as f64;
                    for (acc, r) in month.iter_mut().zip(rates) {
                        *acc += r * dt;
                    }
                    let h = ((from - start) / SECONDS_PER_HOUR) as usize;
                    hourly[h][0] += rates[Rate::ItKw as usize] * dt;
                    hourly[h][1] += rates[Rate::CommissionedMaxKw as usize] * dt;
                    hourly[h][2] += (rates[Rate::RevenueReservedUsdPerHour as usize]
                        + rates[Rate::RevenueOnDemandUsdPerHour as usize]
                        + rates[Rate::RevenueSpotUsdPerHour as usize])
                        * dt;
                    from = to;
                }
                t = next;
                m.advance(SimTime(t));
                for _ in 0..rng.random_range(0..4) {
                    let i = rng.random_range(0..N_RATES);
                    let r = ALL_RATES[i];
                    let delta: f64 = rng.random_range(-50.0..100.0);
                    if rng.random::<f64>() < 0.1 {
                        m.set(r, delta.abs());
                        rates[i] = delta.abs();
                    } else {
                        m.add(r, delta);
                        rates[i] += delta;
                    }
                }
            }
            for (i, r) in ALL_RATES.iter().enumerate() {
                let (got, want) = (m.month_total(*r), month[i]);
                assert!(
                    (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                    "{r:?}: {got} vs {want}"
                );
            }
            for ch in 0..N_HOUR_CHANNELS {
                let got = m.hour_channel(ch);
                assert_eq!(got.len(), hours);
                for (h, (g, w)) in got.iter().zip(&hourly).enumerate() {
                    assert!(
                        (g - w[ch]).abs() <= 1e-9 * w[ch].abs().max(1.0),
                        "channel {ch} hour {h}: {g} vs {}",
                        w[ch]
                    );
                }
            }
            start = end;
        }
    }

    const ALL_RATES: [Rate; N_RATES] = [
        Rate::ItKw,
        Rate::InstalledGpus,
        Rate::CommissionedGpus,
        Rate::AvailableGpus,
        Rate::SoldGpus,
        Rate::RevenueReservedUsdPerHour,
        Rate::RevenueOnDemandUsdPerHour,
        Rate::RevenueSpotUsdPerHour,
        Rate::PrepaidRevenueUsdPerHour,
        Rate::SoldMaxKw,
        Rate::AvailableMaxKw,
        Rate::CommissionedMaxKw,
        Rate::SoldTokensPerHour,
    ];

    #[derive(Resource, Default)]
    struct Count(u32);

    fn touch_a(mut c: ResMut<Count>) {
        c.0 += 1;
    }
    fn touch_b(mut c: ResMut<Count>) {
        c.0 *= 2;
    }

    #[test]
    fn ambiguous_systems_are_an_error() {
        let mut e = Engine::new(Calendar::new(
            YearMonth {
                year: 2027,
                month: 1,
            },
            1,
        ));
        e.world.insert_resource(Count::default());
        e.schedule_mut(EventKind::RequestArrival)
            .add_systems((touch_a, touch_b).in_set(Step::Demand));
        assert!(e.initialize().is_err());

        let mut e = Engine::new(Calendar::new(
            YearMonth {
                year: 2027,
                month: 1,
            },
            1,
        ));
        e.world.insert_resource(Count::default());
        e.schedule_mut(EventKind::RequestArrival)
            .add_systems((touch_a.in_set(Step::Fleet), touch_b.in_set(Step::Demand)));
        e.initialize().expect("ordered by step");
        e.schedule(SimTime(1), SimEvent::RequestArrival);
        e.schedule(SimTime(2), SimEvent::RequestArrival);
        assert_eq!(e.run_until(SimTime(10)), 2);
        assert_eq!(e.world.resource::<Count>().0, 6);
    }
}
