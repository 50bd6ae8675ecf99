//! Engine throughput: events per second.
//!
//! * `bare_heap`: a binary-heap event loop with the same bookkeeping, the ceiling.
//! * `schedule_per_event`: the engine running one bevy schedule per event (trivial model).
//! * `batched`: the engine with a handler that takes following events in the same schedule run,
//!   as the demand model does.
//! * `reference_10k_replication`: one whole replication of the reference scenario (every model).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dcplan_benches::synthetic;
use dcplan_sim::replication::{ReplicationOptions, run_replication};
use dcplan_sim::time::SimTime;

const EVENTS: u64 = 1_000_000;
const PENDING: u64 = 1_000;

fn engine(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(EVENTS));
    g.sample_size(10);
    g.bench_function("bare_heap", |b| {
        b.iter(|| synthetic::bare_heap(EVENTS, PENDING))
    });
    for (name, batched) in [("schedule_per_event", false), ("batched", true)] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || synthetic::engine(PENDING, batched),
                |mut e| {
                    // Run until EVENTS have been handled: the toy keeps PENDING events in flight
                    // with a mean delay of one hour, so time advances about EVENTS / PENDING hours.
                    let mut t = 0;
                    while e.events_handled() < EVENTS {
                        t += 600;
                        e.run_until(SimTime(t));
                    }
                    e
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    g.finish();

    let loaded = dcplan_benches::load("benches/scenarios/reference-10k.ron");
    let events = run_replication(&loaded, 1, 0, &ReplicationOptions::default()).events;
    let mut g = c.benchmark_group("replication");
    g.throughput(Throughput::Elements(events));
    g.sample_size(10);
    g.bench_function("reference_10k_events", |b| {
        b.iter(|| run_replication(&loaded, 1, 0, &ReplicationOptions::default()))
    });
    g.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
