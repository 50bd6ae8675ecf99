//! Common random numbers: every exogenous random process (arrivals and their attributes,
//! failures, market prices, weather) is the same in every variant of a scenario, whatever the
//! variant changes (capacity, prices, energy strategy). Decisions that depend on the state
//! (renewals) draw from their own keyed streams and never shift those processes.

use dcplan_sim::Replication;
use dcplan_sim::replication::{ReplicationOptions, run_replication};
use dcplan_sim::scenario::LoadedScenario;

use super::common::{load_text, repo_root};

fn text(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("scenarios").join(name)).expect("shipped scenario")
}

/// `text` with `from` replaced by `to`, checking that `from` is there.
fn with(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "`{from}` not in the scenario");
    text.replacen(from, to, 1)
}

fn traced(loaded: &LoadedScenario, seed: u64, replication: u64) -> Replication {
    run_replication(
        loaded,
        seed,
        replication,
        &ReplicationOptions {
            trace: true,
            ..ReplicationOptions::default()
        },
    )
}

/// Failures of the nodes both runs have, in time order.
fn failures_of(
    rep: &Replication,
    keys: &std::collections::BTreeSet<u64>,
) -> Vec<(u64, u64, bool, f64)> {
    rep.trace
        .as_ref()
        .expect("traced")
        .failures
        .iter()
        .copied()
        .filter(|f| keys.contains(&f.0))
        .collect()
}

/// Assert two sequences are equal, naming the first difference (not the whole sequences).
fn assert_same<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T], what: &str) {
    if let Some(i) = (0..a.len().min(b.len())).find(|&i| a[i] != b[i]) {
        panic!("{what}: first difference at {i}: {:?} vs {:?}", a[i], b[i]);
    }
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
}

fn assert_same_exogenous(a: &Replication, b: &Replication, what: &str) {
    let (ta, tb) = (
        a.trace.as_ref().expect("traced"),
        b.trace.as_ref().expect("traced"),
    );
    assert!(
        ta.arrivals.len() > 100,
        "{what}: too few arrivals to compare ({})",
        ta.arrivals.len()
    );
    assert_same(
        &ta.arrivals,
        &tb.arrivals,
        &format!("{what}: arrivals in replication {}", a.index),
    );
    for (ma, mb) in a.months.iter().zip(&b.months) {
        assert_eq!(
            ma.requests_arrived, mb.requests_arrived,
            "{what}: arrivals of month {} differ",
            ma.month
        );
    }
    assert_eq!(
        a.market_prices, b.market_prices,
        "{what}: market prices differ"
    );
    // Failures of the nodes that exist in both (a variant with more GPUs has more nodes).
    let keys_a: std::collections::BTreeSet<u64> = ta.failures.iter().map(|f| f.0).collect();
    let keys_b: std::collections::BTreeSet<u64> = tb.failures.iter().map(|f| f.0).collect();
    let common: std::collections::BTreeSet<u64> = keys_a.intersection(&keys_b).copied().collect();
    let fa = failures_of(a, &common);
    assert!(
        fa.len() > 50,
        "{what}: too few failures to compare ({})",
        fa.len()
    );
    assert_same(
        &fa,
        &failures_of(b, &common),
        &format!("{what}: failures in replication {}", a.index),
    );
    // Weather, hour by hour, where both kept hourly flows.
    let temps = |r: &Replication| r.hourly.iter().map(|h| h.temperature_c).collect::<Vec<_>>();
    assert_same(&temps(a), &temps(b), &format!("{what}: hourly temperature"));
}

#[test]
fn variants_see_the_same_customers_failures_and_prices() {
    // The default scenario (with a shorter horizon) against variants that change the fleet size,
    // the price policy and the anchor: each places requests differently, so renewals and
    // rejections differ, yet the exogenous processes must not.
    let base = with(
        &text("default.ron"),
        "horizon_months: 72",
        "horizon_months: 36",
    );
    let variants = [
        ("fleet size", with(&base, "gpus: 4096,", "gpus: 2048,")),
        (
            "list price",
            with(&base, "policy: ListRatio(1.0)", "policy: ListRatio(1.3)"),
        ),
        ("anchor size", with(&base, "gpus: 1536,", "gpus: 512,")),
    ];
    let base = load_text(&base);
    for r in 0..2 {
        let a = traced(&base, 11, r);
        for (what, v) in &variants {
            let b = traced(&load_text(v), 11, r);
            // The variants must really behave differently, or the test proves nothing.
            let placed = |x: &Replication| x.months.iter().map(|m| m.requests_placed).sum::<f64>();
            let renewals = |x: &Replication| x.months.iter().map(|m| m.renewals).sum::<f64>();
            assert!(
                placed(&a) != placed(&b) || renewals(&a) != renewals(&b),
                "{what}: the variant changed nothing"
            );
            assert_same_exogenous(&a, &b, what);
        }
    }
}

#[test]
fn energy_strategies_see_the_same_customers_failures_prices_and_weather() {
    let names = [
        "energy-grid-only.ron",
        "energy-solar-ppa.ron",
        "energy-solar-battery.ron",
        "energy-onsite-gas.ron",
    ];
    // Failures are off in the shipped comparison (it isolates energy); on here, to compare them.
    let loaded: Vec<LoadedScenario> = names
        .iter()
        .map(|n| {
            let t = with(&text(n), "horizon_months: 60", "horizon_months: 24");
            load_text(&with(
                &t,
                "reliability: (failures: false)",
                "reliability: ()",
            ))
        })
        .collect();
    for r in 0..2 {
        let a = traced(&loaded[0], 5, r);
        for (name, l) in names.iter().zip(&loaded).skip(1) {
            assert_same_exogenous(&a, &traced(l, 5, r), name);
        }
    }
}

#[test]
fn a_fixed_plan_and_an_expansion_policy_see_the_same_customers_failures_and_prices() {
    let base = with(
        &text("default.ron"),
        "horizon_months: 72",
        "horizon_months: 36",
    );
    let policy = with(
        &base,
        "    reliability: (",
        r#"    policies: [(name: "grow", trigger: UtilizationAbove(level_frac: 0.3, months: 2), action: OrderTranche(name: "more", sku: "H100-SXM", gpus: 512, lead_time_months: 2, price_usd_per_gpu: 25000), max_firings: 2, min_gap_months: 6)],
    reliability: ("#,
    );
    let (fixed, policy) = (load_text(&base), load_text(&policy));
    for r in 0..2 {
        let a = traced(&fixed, 11, r);
        let b = traced(&policy, 11, r);
        assert!(
            !b.decisions.is_empty(),
            "the policy must fire to prove anything"
        );
        assert!(a.fleet != b.fleet, "the policy changed the fleet");
        assert_same_exogenous(&a, &b, "expansion policy");
    }
}
