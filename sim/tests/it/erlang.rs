//! Validation against Erlang-B: a pure loss system of c nodes with Poisson arrivals of one-node
//! requests and exponential holding times rejects a share B(c, A) of requests, A = offered load.

use super::common::{load_text, mean_se, one_node_mix, run, simple_scenario};

/// Erlang-B blocking probability by the stable recursion B(k) = A B(k-1) / (k + A B(k-1)).
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (k as f64 + a * b))
}

#[test]
fn erlang_b_recursion_matches_table_values() {
    // Classic table values: B(1, 1) = 0.5, B(2, 1) = 0.2, B(8, 5) = 0.0700.
    assert!((erlang_b(1, 1.0) - 0.5).abs() < 1e-12);
    assert!((erlang_b(2, 1.0) - 0.2).abs() < 1e-12);
    assert!((erlang_b(8, 5.0) - 0.070_04).abs() < 1e-4);
}

fn check_blocking(nodes: u32, offered_load: f64, replications: u64) {
    let mean_hours = 24.0;
    // Offered load A = arrival rate x mean holding time; arrivals per day = A / mean days.
    let arrivals_per_day = offered_load * 24.0 / mean_hours;
    let loaded = load_text(&simple_scenario(
        nodes,
        arrivals_per_day,
        &one_node_mix(mean_hours),
        13,
    ));
    // One blocking fraction per replication, skipping the first month (the system starts empty),
    // so the replications are independent and the standard error is honest despite correlation
    // between requests inside a replication.
    let fractions: Vec<f64> = (0..replications)
        .map(|r| {
            let rep = run(&loaded, 2024, r);
            let arrived: f64 = rep.months[1..].iter().map(|m| m.requests_arrived).sum();
            let rejected: f64 = rep.months[1..].iter().map(|m| m.requests_rejected).sum();
            assert!(arrived > 100.0);
            rejected / arrived
        })
        .collect();
    let (mean, se) = mean_se(&fractions);
    let expected = erlang_b(nodes, offered_load);
    assert!(
        (mean - expected).abs() < 4.0 * se,
        "c = {nodes}, A = {offered_load}: simulated blocking {mean:.5} +- {se:.5}, Erlang-B {expected:.5}"
    );
    // The test has power: the standard error is small relative to the blocking itself.
    assert!(
        se < 0.1 * expected,
        "standard error {se} too large to test anything"
    );
}

#[test]
fn blocking_matches_erlang_b_at_moderate_load() {
    check_blocking(8, 5.0, 24);
}

#[test]
fn blocking_matches_erlang_b_at_high_load() {
    check_blocking(8, 8.0, 24);
}

#[test]
fn blocking_matches_erlang_b_with_more_servers() {
    check_blocking(20, 18.0, 16);
}
