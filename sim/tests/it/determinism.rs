//! Same binary + scenario + seed gives bit-identical results, whatever the thread count.

use dcplan_sim::replication::ReplicationOptions;
use dcplan_sim::{Replication, RunConfig};

use super::common::load;

/// Every number of a replication as raw bits, so that equality means bit-identical.
fn bits(r: &Replication) -> Vec<u64> {
    let mut v: Vec<u64> = vec![r.index, r.events];
    v.extend(
        r.kpis
            .values()
            .iter()
            .map(|x| x.map_or(u64::MAX, f64::to_bits)),
    );
    for m in &r.months {
        v.extend(m.values().iter().map(|x| x.map_or(u64::MAX, f64::to_bits)));
    }
    v.extend(r.params.iter().map(|(_, x)| x.to_bits()));
    v
}

fn run_with(threads: usize, seed: u64, reps: std::ops::Range<u64>) -> Vec<Vec<u64>> {
    let loaded = load("tiny.ron");
    let config = RunConfig {
        seed,
        replications: reps,
        threads,
        options: ReplicationOptions::default(),
    };
    let out = dcplan_sim::run(&loaded, &config, &|| {}).expect("runs");
    assert!(out.failures.is_empty());
    out.replications.iter().map(bits).collect()
}

#[test]
fn thread_count_does_not_change_results() {
    let one = run_with(1, 11, 0..12);
    let two = run_with(2, 11, 0..12);
    let four = run_with(4, 11, 0..12);
    assert_eq!(one, two);
    assert_eq!(one, four);
}

#[test]
fn same_seed_same_results_and_other_seed_other_results() {
    assert_eq!(run_with(2, 5, 0..4), run_with(2, 5, 0..4));
    assert_ne!(run_with(2, 5, 0..4), run_with(2, 6, 0..4));
}

#[test]
fn a_slice_of_replications_equals_the_same_slice_of_a_full_run() {
    let full = run_with(2, 9, 0..10);
    let mut parts = run_with(1, 9, 0..3);
    parts.extend(run_with(2, 9, 3..7));
    parts.extend(run_with(1, 9, 7..10));
    assert_eq!(full, parts);
}
