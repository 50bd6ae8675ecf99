//! Shared helpers for dcplan's benchmarks.

use std::path::PathBuf;

use dcplan_sim::LoadedScenario;

/// Path of a file relative to the repository root.
pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel)
}

/// Load a scenario by path relative to the repository root, panicking with the full error.
pub fn load(rel: &str) -> LoadedScenario {
    dcplan_sim::load_file(&repo_path(rel)).unwrap_or_else(|e| panic!("{e}"))
}

/// Load scenario text with `horizon_months` replaced (for scaling benchmarks).
pub fn load_with_horizon(rel: &str, horizon_months: u32) -> LoadedScenario {
    let text = std::fs::read_to_string(repo_path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let re_start = text
        .find("horizon_months:")
        .expect("scenario has horizon_months");
    let end = text[re_start..].find(',').expect("field ends with a comma") + re_start;
    let text = format!(
        "{}horizon_months: {horizon_months}{}",
        &text[..re_start],
        &text[end..]
    );
    dcplan_sim::load_str(rel, &text).unwrap_or_else(|e| panic!("{e}"))
}

/// Synthetic engine workloads: the engine with a trivial model, to measure event dispatch.
pub mod synthetic {
    use bevy_ecs::prelude::*;
    use dcplan_sim::engine::{Agenda, Engine, EventKind, Meter, Rate, SimEvent, Step};
    use dcplan_sim::time::{Calendar, SimTime, YearMonth};

    /// State of the trivial model: a counter and a xorshift generator for delays.
    #[derive(Resource)]
    pub struct Toy {
        state: u64,
        /// Events handled.
        pub handled: u64,
    }

    fn next_delay(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        1 + *state % 7_200
    }

    /// One event: change the metered power, schedule one more event a random delay later.
    fn handle_one(mut agenda: ResMut<Agenda>, mut meter: ResMut<Meter>, mut toy: ResMut<Toy>) {
        let now = agenda.now();
        toy.handled += 1;
        let d = next_delay(&mut toy.state);
        meter.set(Rate::ItKw, (d % 100) as f64);
        agenda.schedule(now.plus(d), SimEvent::RequestArrival);
    }

    /// The same work, handling every following due event in the same schedule run.
    fn handle_batch(mut agenda: ResMut<Agenda>, mut meter: ResMut<Meter>, mut toy: ResMut<Toy>) {
        let agenda = agenda.bypass_change_detection();
        let meter = meter.bypass_change_detection();
        loop {
            let now = agenda.now();
            toy.handled += 1;
            let d = next_delay(&mut toy.state);
            meter.set(Rate::ItKw, (d % 100) as f64);
            agenda.schedule(now.plus(d), SimEvent::RequestArrival);
            if agenda
                .take_next_if(|e| e == SimEvent::RequestArrival)
                .is_none()
            {
                break;
            }
            meter.advance(agenda.now());
        }
    }

    /// An engine with `pending` events in flight, a year long; `batched` picks the handler.
    pub fn engine(pending: u64, batched: bool) -> Engine {
        let calendar = Calendar::new(
            YearMonth {
                year: 2027,
                month: 1,
            },
            12,
        );
        let mut engine = Engine::new(calendar);
        engine.world.insert_resource(Toy {
            state: 0x9E37_79B9_7F4A_7C15,
            handled: 0,
        });
        engine
            .world
            .resource_mut::<Meter>()
            .start_month(SimTime::ZERO, 8_760);
        let s = engine.schedule_mut(EventKind::RequestArrival);
        if batched {
            s.add_systems(handle_batch.in_set(Step::Demand));
        } else {
            s.add_systems(handle_one.in_set(Step::Demand));
        }
        engine.initialize().expect("schedule builds");
        for i in 0..pending {
            engine.schedule(SimTime(i), SimEvent::RequestArrival);
        }
        engine
    }

    /// A bare binary-heap event loop doing the same bookkeeping, as the ceiling to compare with.
    pub fn bare_heap(events: u64, pending: u64) -> u64 {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut heap: BinaryHeap<Reverse<(u64, u64)>> =
            (0..pending).map(|i| Reverse((i, i))).collect();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut seq = pending;
        let mut power = 0.0f64;
        let mut energy = 0.0f64;
        let mut last = 0u64;
        for _ in 0..events {
            let Reverse((t, _)) = heap.pop().expect("never empty");
            energy += power * (t - last) as f64;
            last = t;
            let d = next_delay(&mut state);
            power = (d % 100) as f64;
            seq += 1;
            heap.push(Reverse((t + d, seq)));
        }
        std::hint::black_box(energy) as u64
    }
}

/// Load scenario text with the horizon replaced and every tranche's GPU count and the arrival
/// rate multiplied by `scale` (for fleet-size scaling benchmarks).
pub fn load_scaled(rel: &str, horizon_months: u32, scale: u32) -> LoadedScenario {
    let loaded = load_with_horizon(rel, horizon_months);
    let mut text = loaded.source_text.clone();
    for t in &loaded.scenario.fleet {
        text = text.replacen(
            &format!("gpus: {}", t.gpus),
            &format!("gpus: {}", t.gpus * scale as i64),
            1,
        );
    }
    let arrivals = loaded.scenario.demand.arrivals_per_day.quantile(0.5);
    text = text.replacen(
        &format!("arrivals_per_day: {arrivals}"),
        &format!("arrivals_per_day: {}", arrivals * scale as f64),
        1,
    );
    text = text.replacen("it_mw: 15.0", &format!("it_mw: {}", 15.0 * scale as f64), 1);
    dcplan_sim::load_str(rel, &text).unwrap_or_else(|e| panic!("{e}"))
}

/// The floor under any event-by-event simulation of the SimPy peer's model: the model of
/// `../shared/bench/simpy_peer.py` written by hand, with nothing else (no scenario, no months, no
/// ledger, no node identities), on dcplan's own event queue and random stream, with the pending
/// arrival beside the queue as in dcplan's agenda. What the whole dcplan model costs above it is
/// the price of the model; how far it is from SimPy bounds any ratio an event-by-event model can
/// reach.
pub mod floor {
    use dcplan_sim::dist::exp1;
    use dcplan_sim::queue::EventQueue;
    use dcplan_sim::rng::SimRng;
    use rand::SeedableRng;

    /// The model's four events.
    #[derive(Clone, Copy, Debug)]
    enum Ev {
        Arrival,
        JobEnd,
        Failure,
        Repaired,
    }

    /// The state at the end of a replication.
    pub struct State {
        /// Nodes running a job.
        pub busy: u32,
        /// Nodes in repair.
        pub failed: u32,
        /// Requests that arrived.
        pub offered: u64,
        /// Requests turned away (no free node).
        pub rejected: u64,
        /// Facility energy, kWh.
        pub energy_kwh: f64,
        /// Revenue, USD.
        pub revenue: f64,
        last_s: u64,
    }

    // The peer model's constants (`simpy_peer.py`).
    const IDLE_KW: f64 = 2.0;
    const MAX_KW: f64 = 10.2;
    const PUE: f64 = 1.3;
    const PRICE: f64 = 2.5;

    impl State {
        #[inline(always)]
        fn account(&mut self, nodes: u32, now: u64) {
            let dt = (now - self.last_s) as f64 / 3600.0;
            let busy = self.busy as f64;
            let up = (nodes - self.failed) as f64;
            let it_kw = busy * MAX_KW + (up - busy) * IDLE_KW;
            self.energy_kwh += it_kw * PUE * dt;
            self.revenue += busy * 8.0 * PRICE * dt;
            self.last_s = now;
        }
    }

    /// One replication of the peer model: `nodes` nodes, `load` Erlangs offered, jobs of `mean_h`
    /// hours on average, `years` long.
    pub fn replication(seed: u64, nodes: u32, load: f64, mean_h: f64, years: f64) -> State {
        let mut rng = SimRng::seed_from_u64(seed);
        let horizon_s = (years * 8760.0 * 3600.0) as u64;
        let arrival_rate_per_s = load / mean_h / 3600.0;
        // As `simpy_peer.py`: 0.17 failures a GPU-year on 8 GPUs a node, 72-hour repairs.
        let failure_rate_per_s = 0.17 * 8.0 / 8760.0 / 3600.0 * nodes as f64;
        let (mean_s, repair_s) = (mean_h * 3600.0, 72.0 * 3600.0);
        let mut queue = EventQueue::default();
        let mut seq = 0u64;
        let mut key = |t: u64| {
            seq += 1;
            ((t as u128) << 64) | (seq - 1) as u128
        };
        let draw = |rng: &mut SimRng, mean_s: f64| (exp1(rng) * mean_s).round().max(1.0) as u64;
        // The one pending arrival waits beside the queue, as in dcplan's agenda.
        let mut arrival = key(draw(&mut rng, 1.0 / arrival_rate_per_s));
        queue.push(key(draw(&mut rng, 1.0 / failure_rate_per_s)), Ev::Failure);
        let mut s = State {
            busy: 0,
            failed: 0,
            offered: 0,
            rejected: 0,
            energy_kwh: 0.0,
            revenue: 0.0,
            last_s: 0,
        };
        loop {
            let (k, e) = match queue.peek() {
                Some((k, e)) if k < arrival => {
                    queue.pop();
                    (k, e)
                }
                _ => (arrival, Ev::Arrival),
            };
            let now = (k >> 64) as u64;
            if now > horizon_s {
                break;
            }
            match e {
                Ev::Arrival => {
                    arrival = key(now + draw(&mut rng, 1.0 / arrival_rate_per_s));
                    s.offered += 1;
                    if s.busy + s.failed >= nodes {
                        s.rejected += 1;
                    } else {
                        s.account(nodes, now);
                        s.busy += 1;
                        queue.push(key(now + draw(&mut rng, mean_s)), Ev::JobEnd);
                    }
                }
                Ev::JobEnd => {
                    s.account(nodes, now);
                    s.busy -= 1;
                }
                Ev::Failure => {
                    queue.push(
                        key(now + draw(&mut rng, 1.0 / failure_rate_per_s)),
                        Ev::Failure,
                    );
                    if nodes > s.busy + s.failed {
                        s.account(nodes, now);
                        s.failed += 1;
                        queue.push(key(now + draw(&mut rng, repair_s)), Ev::Repaired);
                    }
                }
                Ev::Repaired => {
                    s.account(nodes, now);
                    s.failed -= 1;
                }
            }
        }
        s.account(nodes, horizon_s);
        s
    }
}
