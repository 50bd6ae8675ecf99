//! The node state machine is total: every event is well defined in every state, whatever order
//! events at the same instant come in. A property test drives replications with random events
//! injected at random (and equal) times and checks the fleet's books afterwards.

use rand::{RngExt, SeedableRng};

use dcplan_sim::engine::{Agenda, Clock, Engine, NodeId, SimEvent};
use dcplan_sim::model::demand::Contracts;
use dcplan_sim::model::fleet::{FleetCounters, N_GPU_STATES, NodeState, Nodes};
use dcplan_sim::replication::{ReplicationOptions, build};
use dcplan_sim::rng::SimRng;
use dcplan_sim::time::SimTime;

use super::common::{load_text, simple_scenario};

/// Two tranches of H100 nodes (the first retires at month 2), frequent failures of both kinds
/// with short repairs, spares, and reserved, on-demand and spot demand above capacity.
fn scenario() -> String {
    let mix = "[(class: Reserved, share_frac: 0.2, size_gpus: 16, duration: Hours(300), load_frac: 0.8), \
               (class: OnDemand, share_frac: 0.5, size_gpus: 8, duration: Hours(Exponential(20)), load_frac: 0.6), \
               (class: Spot, share_frac: 0.3, size_gpus: 8, duration: Hours(Exponential(10)), load_frac: 0.5)]";
    let catalog = r#"(name: "H100-SXM", transient_failures_per_gpu_year: 30.0, permanent_failures_per_gpu_year: 10.0)"#;
    simple_scenario(12, 60.0, mix, 6)
        .replace(
            "network_usd_per_node: 40000)]",
            "network_usd_per_node: 40000, retire_after_months: 2), (name: \"u\", sku: \"H100-SXM\", gpus: 64, price_usd_per_gpu: 30000, network_usd_per_node: 40000)]",
        )
        .replace(
            "reliability: (failures: false),",
            &format!("reliability: (spares_frac: 0.1, transient_repair_hours: Fixed(1), permanent_repair_days: Fixed(0.25)),\n    catalog: (gpus: [{catalog}]),"),
        )
}

fn nodes(engine: &mut Engine) -> Vec<NodeId> {
    engine
        .world
        .resource::<Nodes>()
        .iter()
        .map(|(id, _)| id)
        .collect()
}

/// The fleet's GPU counts per SKU and state agree with the states of its nodes.
fn check_books(engine: &mut Engine) {
    let mut counted = vec![[0u64; N_GPU_STATES]; 1];
    for (_, node) in engine.world.resource::<Nodes>().iter() {
        counted[node.sku as usize][node.state.category() as usize] += 8;
    }
    let counters = engine.world.resource::<FleetCounters>();
    assert_eq!(
        counters.gpus, counted,
        "GPU counts by state drifted from the nodes' states"
    );
    // A contract's GPUs on failed nodes never exceed its GPUs.
    for (_, contract) in engine.world.resource::<Contracts>().iter() {
        assert!(contract.down_gpus <= contract.gpus);
    }
}

#[test]
fn a_node_failing_as_it_starts_retiring_retires_after_its_repair() {
    // The first tranche retires at month 2 while its nodes are busy: each retires when its
    // contract ends. A failure at the very second a contract ends (handled after the end, before
    // the node leaves) must leave the node down, then retire it after repair.
    let loaded = load_text(&scenario());
    let options = ReplicationOptions::default();
    let (mut engine, _) = build(&loaded, 1, 0, &options);
    engine.initialize().expect("consistent schedules");
    let month2 = engine.world.resource::<Clock>().calendar.month_start(2);
    engine.run_until(month2);
    // Every busy retiring node: fail it at the second its contract ends.
    let mut injected = 0;
    for e in nodes(&mut engine) {
        let node = *engine.world.resource::<Nodes>().get(e);
        if let (true, NodeState::Busy(c)) = (node.retiring, node.state) {
            let end = engine.world.resource::<Contracts>().get(c).end;
            engine.schedule(end, SimEvent::NodeFailed(e));
            injected += 1;
        }
    }
    assert!(injected > 0, "no busy retiring node to test with");
    let end = engine.world.resource::<Clock>().calendar.end();
    engine.run_until(end);
    check_books(&mut engine);
    // The first tranche is gone by the end.
    assert!(
        engine
            .world
            .resource::<Nodes>()
            .iter()
            .filter(|(_, n)| n.tranche == 0)
            .all(|(_, n)| n.state == NodeState::Retired)
    );
}

#[test]
fn every_event_in_every_state_keeps_the_books() {
    // 40 replications, each with 300 events injected for random nodes at random times, ten at
    // each instant: failures, repairs and retirements the node does not expect, and tranche
    // retirements out of turn, all in random order among themselves and the model's own events.
    let loaded = load_text(&scenario());
    for case in 0..40u64 {
        let mut rng = SimRng::seed_from_u64(case);
        let (mut engine, _) = build(&loaded, case, case, &ReplicationOptions::default());
        engine.initialize().expect("consistent schedules");
        let end = engine.world.resource::<Clock>().calendar.end();
        // Deliveries at time zero create the nodes.
        engine.run_until(SimTime::ZERO);
        let list = nodes(&mut engine);
        assert!(!list.is_empty());
        // Inject at or after the current time, so that nothing lands in the past.
        let first = engine.world.resource::<Agenda>().now();
        let mut instants: Vec<SimTime> = (0..30)
            .map(|_| SimTime(first.0 + rng.random_range(0..end.0 - first.0)))
            .collect();
        instants.sort();
        for &at in &instants {
            for _ in 0..10 {
                let e = list[rng.random_range(0..list.len())];
                let event = match rng.random_range(0..5) {
                    0 | 1 => SimEvent::NodeFailed(e),
                    2 => SimEvent::NodeRepaired(e),
                    3 => SimEvent::NodeRetired(e),
                    _ => SimEvent::TrancheRetired(rng.random_range(0..2)),
                };
                engine.schedule(at, event);
            }
        }
        for &at in &instants {
            engine.run_until(at);
            check_books(&mut engine);
        }
        engine.run_until(end);
        check_books(&mut engine);
    }
}
