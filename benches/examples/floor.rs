//! The floor under any event-by-event simulation of the SimPy peer's model
//! ([`dcplan_benches::floor`]): its model written by hand in Rust, with nothing else.
//!
//! `cargo run --release -p dcplan-benches --example floor -- 1280 1088 24 1 30`
//! (nodes, offered load in Erlangs, mean duration in hours, years, replications: the arguments
//! of `simpy_peer.py`). It prints seconds per replication, to set beside `examples/profile` on
//! `benches/scenarios/reference-10k.ron` at 12 months and beside the SimPy model: what the whole
//! dcplan model costs over the bare minimum, and how far the bare minimum itself is from SimPy.

use std::time::Instant;

use dcplan_benches::floor::replication;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: f64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (nodes, load, mean_h, years, reps) = (
        arg(0, 1280.0) as u32,
        arg(1, 1088.0),
        arg(2, 24.0),
        arg(3, 1.0),
        arg(4, 30.0) as u64,
    );
    let t = Instant::now();
    let mut blocking = 0.0;
    let mut check = 0.0;
    for r in 0..reps {
        let s = replication(r, nodes, load, mean_h, years);
        blocking += s.rejected as f64 / s.offered.max(1) as f64;
        check += s.energy_kwh + s.revenue;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "replications={reps} s_per_replication={:.4} mean_blocking={:.5} (check {check:.6e})",
        secs / reps as f64,
        blocking / reps as f64
    );
}
