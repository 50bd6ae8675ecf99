//! Replications per second of whole Monte Carlo runs on two threads, and scaling with fleet
//! size and horizon (one replication, one thread).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dcplan_sim::replication::{ReplicationOptions, run_replication};
use dcplan_sim::{LoadedScenario, RunConfig};

fn monte_carlo(loaded: &LoadedScenario, n: u64, threads: usize) {
    let config = RunConfig {
        seed: 1,
        replications: 0..n,
        threads,
        options: ReplicationOptions::default(),
    };
    let out = dcplan_sim::run(loaded, &config, &|| {}).expect("runs");
    assert_eq!(out.replications.len() as u64, n);
}

fn replications(c: &mut Criterion) {
    let mut g = c.benchmark_group("montecarlo_2_threads");
    g.sample_size(10);
    for (name, path, n) in [
        ("default_4096", "scenarios/default.ron", 8u64),
        ("reference_10k", "benches/scenarios/reference-10k.ron", 4u64),
    ] {
        let loaded = dcplan_benches::load(path);
        g.throughput(Throughput::Elements(n));
        g.bench_function(name, |b| b.iter(|| monte_carlo(&loaded, n, 2)));
    }
    g.finish();

    let mut g = c.benchmark_group("scaling_horizon");
    g.sample_size(10);
    for months in [12u32, 24, 48, 96] {
        let loaded =
            dcplan_benches::load_with_horizon("benches/scenarios/reference-10k.ron", months);
        g.throughput(Throughput::Elements(months as u64));
        g.bench_with_input(BenchmarkId::from_parameter(months), &loaded, |b, l| {
            b.iter(|| run_replication(l, 1, 0, &ReplicationOptions::default()))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("scaling_fleet");
    g.sample_size(10);
    // 10,240, 40,960 and 102,400 GPUs for one year: elements are GPU-years, so the throughput's
    // inverse is the cost per GPU-year, which should not grow with the fleet.
    for scale in [1u32, 4, 10] {
        let loaded = dcplan_benches::load_scaled("benches/scenarios/reference-10k.ron", 12, scale);
        g.throughput(Throughput::Elements(scale as u64 * 10_240));
        g.bench_with_input(
            BenchmarkId::from_parameter(scale * 10_240),
            &loaded,
            |b, l| b.iter(|| run_replication(l, 1, 0, &ReplicationOptions::default())),
        );
    }
    g.finish();
}

criterion_group!(benches, replications);
criterion_main!(benches);
