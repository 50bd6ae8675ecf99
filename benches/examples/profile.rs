//! Run replications of a scenario on one thread and print events per second, for profiling:
//! `cargo run --release -p dcplan-benches --example profile -- benches/scenarios/reference-10k.ron 3`
//!
//! It also prints a digest of every result of the replications (their full debug text, which
//! writes each float exactly), so that two builds can be told apart or shown to agree bit for bit
//! in seconds, before the slower byte-identity check of every output.

use std::hash::{DefaultHasher, Hasher};
use std::time::Instant;

use dcplan_sim::replication::{ReplicationOptions, run_replication};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "benches/scenarios/reference-10k.ron".into());
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(2);
    let loaded =
        dcplan_sim::load_file(std::path::Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
    let t = Instant::now();
    let mut events = 0;
    let mut results = Vec::new();
    for r in 0..n {
        let rep = run_replication(&loaded, 1, r, &ReplicationOptions::default());
        events += rep.events;
        results.push(rep);
    }
    let s = t.elapsed().as_secs_f64();
    // SipHash with fixed keys: the same text gives the same digest on every run.
    let mut digest = DefaultHasher::new();
    digest.write(format!("{results:?}").as_bytes());
    println!(
        "{n} replications, {events} events in {s:.2} s: {:.2} M events/s, {:.3} s per replication (results {:016x})",
        events as f64 / s / 1e6,
        s / n as f64,
        digest.finish()
    );
}
