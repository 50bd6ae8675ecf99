//! Fleet lifecycle and reliability: failure counts, availability, commissioning, depreciation
//! and resale, refresh.

use dcplan_sim::Replication;
use dcplan_sim::time::Calendar;

use super::common::{load_text, mean_se, one_node_mix, run, simple_scenario};

/// A scenario of `nodes` H100 nodes with no demand, the given reliability section and catalog overrides.
fn idle_fleet(nodes: u32, horizon: u32, reliability: &str, catalog: &str) -> String {
    simple_scenario(nodes, 0.0, &one_node_mix(24.0), horizon).replace(
        "reliability: (failures: false),",
        &format!("reliability: {reliability},\n    catalog: (gpus: [{catalog}]),"),
    )
}

fn total(rep: &Replication, f: impl Fn(&dcplan_sim::MonthRow) -> f64) -> f64 {
    rep.months.iter().map(f).sum()
}

#[test]
fn failure_counts_match_the_configured_rates() {
    // 2,000 idle nodes for two years at the catalog's H100 rates: software and transient
    // interruptions and hardware failures per GPU-year. A node only fails while it is up, so the
    // expected count is (node-hours up) x (rate per node-hour); counts are Poisson, so the
    // standard error is the square root of the expected count.
    let loaded = load_text(&idle_fleet(2000, 24, "()", ""));
    let sku = loaded.catalog.sku("H100-SXM").expect("catalog SKU");
    let (software, hardware) = (
        sku.transient_failures_per_gpu_year,
        sku.permanent_failures_per_gpu_year,
    );
    // All unexpected interruptions: about 0.173 per GPU-year (Llama 3); of these, permanent
    // replacements (a part swapped) about 2.5-6 % per GPU-year (REFERENCE.md, Reliability).
    assert!(
        (0.025..=0.06).contains(&hardware) && (software + hardware - 0.173).abs() < 0.001,
        "{software} + {hardware}"
    );
    let rep = run(&loaded, 5, 0);
    let node_hours_up = total(&rep, |m| m.available_gpu_hours) / 8.0;
    for (observed, per_gpu_year) in [
        (total(&rep, |m| m.failures_transient), software),
        (total(&rep, |m| m.failures_permanent), hardware),
    ] {
        let expected = node_hours_up * per_gpu_year * 8.0 / 8760.0;
        let se = expected.sqrt();
        assert!(expected > 1000.0, "{expected}");
        assert!(
            (observed - expected).abs() < 4.0 * se,
            "observed {observed}, expected {expected} +- {se}"
        );
    }
}

#[test]
fn availability_matches_the_alternating_renewal_formula() {
    // One failure kind (transient) at 1.0 per GPU-year (8 per node-year) with exponential repairs
    // of mean 500 hours: r m = 8 / 8760 x 500, and the long-run share of nodes down is
    // r m / (1 + r m) = 0.3135.
    let reliability = "(transient_repair_hours: Exponential(500))";
    let catalog = r#"(name: "H100-SXM", transient_failures_per_gpu_year: 1.0, permanent_failures_per_gpu_year: 0.0)"#;
    let loaded = load_text(&idle_fleet(200, 36, reliability, catalog));
    let rm = 8.0 / 8760.0 * 500.0;
    let expected = rm / (1.0 + rm);
    // Independent replications; skip the first six months (the fleet starts with every node up).
    let shares: Vec<f64> = (0..16)
        .map(|r| {
            let rep = run(&loaded, 9, r);
            let commissioned: f64 = rep.months[6..]
                .iter()
                .map(|m| m.commissioned_gpu_hours)
                .sum();
            let available: f64 = rep.months[6..].iter().map(|m| m.available_gpu_hours).sum();
            1.0 - available / commissioned
        })
        .collect();
    let (mean, se) = mean_se(&shares);
    assert!(
        (mean - expected).abs() < 4.0 * se,
        "down share {mean} +- {se}, expected {expected}"
    );
    assert!(se < 0.02 * expected, "standard error {se} too large");
}

#[test]
fn a_late_phase_keeps_delivered_nodes_in_inventory() {
    // 8 nodes delivered at month 0; the only phase is ready at month 3, so 64 GPUs wait in
    // inventory for January, February and March: (31 + 28 + 31) x 24 hours.
    let text = simple_scenario(8, 0.0, &one_node_mix(24.0), 12).replace(
        "phases: [(name: \"p\", it_mw: 1000.0, capex_usd_per_mw: 10e6)]",
        "phases: [(name: \"p\", it_mw: 1.0, ready_month: 3, capex_usd_per_mw: 10e6)]",
    );
    let rep = run(&load_text(&text), 1, 0);
    let inventory_hours = 64.0 * (31.0 + 28.0 + 31.0) * 24.0;
    assert!((total(&rep, |m| m.inventory_gpu_hours) - inventory_hours).abs() < 1e-6);
    assert!((rep.kpis.inventory_gpu_months - inventory_hours / 730.0).abs() < 1e-9);
    assert_eq!(rep.months[2].inventory_gpus, 64.0);
    assert_eq!(rep.months[3].inventory_gpus, 0.0);
    assert_eq!(rep.months[3].commissioned_gpus, 64.0);
}

#[test]
fn nodes_never_exceed_a_phases_power_room() {
    // Phase 1 (ready at once) holds three 11.016 kW nodes (max 10.2 kW + 8 % overhead); phase 2
    // (ready at month 4) holds the rest. 10 nodes delivered at month 0: 3 in service, 7 in inventory
    // until month 4.
    let text = simple_scenario(10, 0.0, &one_node_mix(24.0), 8)
        .replace(
            "phases: [(name: \"p\", it_mw: 1000.0, capex_usd_per_mw: 10e6)]",
            "it_overhead_frac: 0.08, phases: [(name: \"a\", it_mw: 0.035, capex_usd_per_mw: 10e6), (name: \"b\", it_mw: 0.1, ready_month: 4, capex_usd_per_mw: 10e6)]",
        );
    let rep = run(&load_text(&text), 1, 0);
    for m in &rep.months[..4] {
        assert_eq!(m.commissioned_gpus, 24.0, "month {}", m.month);
        assert_eq!(m.inventory_gpus, 56.0);
    }
    assert_eq!(rep.months[4].commissioned_gpus, 80.0);
    let cal = Calendar::new(
        dcplan_sim::time::YearMonth {
            year: 2027,
            month: 1,
        },
        8,
    );
    let hours_0_to_4: f64 = (0..4).map(|m| cal.hours_in_month(m)).sum();
    assert!((total(&rep, |m| m.inventory_gpu_hours) - 56.0 * hours_0_to_4).abs() < 1e-6);
}

#[test]
fn book_value_falls_straight_line_and_resale_lands_in_the_month_of_sale() {
    // 2 nodes at $30k per GPU and $40k network per node, retired at 24 months, resold at the
    // residual curve (0 years: 100 %, 4 years: 20 %), i.e. 60 % at 2 years.
    let text = simple_scenario(2, 0.0, &one_node_mix(24.0), 36)
        .replace("it_mw: 1000.0", "it_mw: 0.05")
        .replace("network_usd_per_node: 40000)]", "network_usd_per_node: 40000, retire_after_months: 24)]")
        .replace("reliability: (failures: false),", "reliability: (failures: false),\n    lifecycle: (resale_residual_frac_by_age_years: [(0, 1.0), (4, 0.2)]),");
    let rep = run(&load_text(&text), 1, 0);
    let servers = 16.0 * 30_000.0;
    let network = 2.0 * 40_000.0;
    let facility = 0.05 * 10e6;
    // Before the sale: straight line over 60, 48 and 240 months.
    for m in [0usize, 11, 23] {
        let age = (m + 1) as f64;
        let book = servers * (1.0 - age / 60.0)
            + network * (1.0 - age / 48.0)
            + facility * (1.0 - age / 240.0);
        assert!(
            (rep.months[m].book_value_usd - book).abs() < 1e-6,
            "month {m}"
        );
    }
    // The sale in month 24: proceeds 60 % of the server price; servers and network leave the books.
    let proceeds = servers * 0.6;
    for (m, row) in rep.months.iter().enumerate() {
        let expected = if m == 24 { proceeds } else { 0.0 };
        assert!(
            (row.resale_usd - expected).abs() < 1e-6,
            "month {m}: {}",
            row.resale_usd
        );
    }
    let sold = &rep.months[24];
    assert_eq!(sold.retired_gpus, 16.0);
    let book_at_sale = servers * (1.0 - 24.0 / 60.0) + network * (1.0 - 24.0 / 48.0);
    assert!((sold.gain_on_sale_usd - (proceeds - book_at_sale)).abs() < 1e-6);
    assert!((sold.book_value_usd - facility * (1.0 - 25.0 / 240.0)).abs() < 1e-6);
    assert!((sold.depreciation_usd - facility / 240.0).abs() < 1e-6);
    assert!((sold.fcf_usd - (sold.ebitda_usd + proceeds)).abs() < 1e-6);
    assert_eq!(rep.months[30].installed_gpus, 0.0);
}

#[test]
fn a_refresh_replaces_a_tranche_at_its_age() {
    // 4 H100 nodes replaced at 12 months by 2 B200 nodes; the hall has room for both fleets.
    let text = super::common::with_b200_refresh(&simple_scenario(4, 0.0, &one_node_mix(24.0), 24));
    let rep = run(&load_text(&text), 1, 0);
    assert_eq!(rep.months[11].installed_gpus, 32.0);
    assert_eq!(rep.months[12].installed_gpus, 16.0);
    assert_eq!(rep.months[12].retired_gpus, 32.0);
    assert_eq!(rep.months[12].capex_gpu_usd, 16.0 * 50_000.0);
    let b200 = rep
        .skus
        .iter()
        .position(|s| s == "B200")
        .expect("B200 in the fleet") as u16;
    let in_service = |month: u32| {
        rep.fleet
            .iter()
            .find(|(m, s, _)| *m == month && *s == b200)
            .map(|(_, _, g)| g[1])
            .unwrap_or(0)
    };
    assert_eq!(in_service(11), 0);
    assert_eq!(in_service(12), 16);
}

#[test]
fn spares_take_over_failed_contracts_and_reduce_sla_credits() {
    // Busy one-node reserved contracts on 40 nodes, frequent permanent failures; with 20 % spares
    // most failures move the contract to a spare, without spares each failure costs SLA credits.
    let mix =
        "[(class: Reserved, share_frac: 1.0, size_gpus: 8, duration: Months(12), load_frac: 0.8)]";
    let catalog = r#"(name: "H100-SXM", transient_failures_per_gpu_year: 0.0, permanent_failures_per_gpu_year: 0.5)"#;
    let with = |spares: f64| {
        simple_scenario(40, 20.0, mix, 12).replace(
            "reliability: (failures: false),",
            &format!("reliability: (spares_frac: {spares}),\n    catalog: (gpus: [{catalog}]),"),
        )
    };
    let (mut credits_without, mut credits_with, mut migrations) = (0.0, 0.0, 0.0);
    for r in 0..4 {
        let none = run(&load_text(&with(0.0)), 3, r);
        let some = run(&load_text(&with(0.2)), 3, r);
        credits_without += none.kpis.sla_credits_usd;
        credits_with += some.kpis.sla_credits_usd;
        migrations += total(&some, |m| m.spare_migrations);
        assert_eq!(total(&none, |m| m.spare_migrations), 0.0);
        assert!(
            some.months
                .iter()
                .all(|m| m.spare_gpus <= 0.2 * m.commissioned_gpus + 1e-9)
        );
    }
    assert!(credits_without > 0.0);
    assert!(migrations > 10.0, "{migrations}");
    assert!(
        credits_with < 0.5 * credits_without,
        "{credits_with} vs {credits_without}"
    );
}

/// Busy one-node reserved contracts on `nodes` nodes (demand far above capacity), with the given
/// reliability section and catalog failure rates.
fn busy_fleet(nodes: u32, horizon: u32, reliability: &str, catalog: &str) -> String {
    let mix =
        "[(class: Reserved, share_frac: 1.0, size_gpus: 8, duration: Months(12), load_frac: 0.8)]";
    simple_scenario(nodes, 50.0, mix, horizon).replace(
        "reliability: (failures: false),",
        &format!("reliability: {reliability},\n    catalog: (gpus: [{catalog}]),"),
    )
}

#[test]
fn gpus_on_failed_nodes_are_not_billed() {
    // Frequent hardware failures, no spares, no SLA credits: a contract whose node is down pays
    // nothing for that node until it is back, and its GPUs do not count as sold.
    let catalog = r#"(name: "H100-SXM", transient_failures_per_gpu_year: 0.5, permanent_failures_per_gpu_year: 2.0)"#;
    let loaded = load_text(&busy_fleet(
        20,
        12,
        "(sla: (tiers: []), permanent_repair_days: Fixed(5))",
        catalog,
    ));
    for r in 0..3 {
        let rep = run(&loaded, 4, r);
        for m in &rep.months {
            assert!(
                m.sold_gpu_hours <= m.available_gpu_hours + 1e-6,
                "month {}: sold {} > available {}",
                m.month,
                m.sold_gpu_hours,
                m.available_gpu_hours
            );
            assert!(m.utilization_available_frac <= 1.0 + 1e-12);
            assert_eq!(m.sla_credits_usd, 0.0);
            // Reserved contracts here pay the market price less the discount: 2.0 x 0.75.
            assert!(
                (m.revenue_reserved_usd - 1.5 * m.sold_gpu_hours).abs()
                    < 1e-6 * m.revenue_reserved_usd.max(1.0)
            );
        }
        let unbilled = total(&rep, |m| m.downtime_unbilled_usd);
        // Every GPU-hour down while sold is unbilled; with every node sold, that is the down share.
        let down_gpu_hours = total(&rep, |m| m.commissioned_gpu_hours - m.available_gpu_hours);
        assert!(unbilled > 0.0);
        assert!(
            unbilled <= 1.5 * down_gpu_hours + 1e-6,
            "{unbilled} vs {}",
            1.5 * down_gpu_hours
        );
        assert!(
            unbilled > 0.8 * 1.5 * down_gpu_hours,
            "{unbilled} vs {}",
            1.5 * down_gpu_hours
        );
        assert_eq!(rep.kpis.downtime_unbilled_usd, unbilled);
    }
}

#[test]
fn a_short_restart_costs_a_short_job_the_credit_of_a_month_not_the_whole_job() {
    // One node always busy with day-long on-demand jobs; software interruptions (about 13 a
    // month) restart in half an hour. The SLA is measured over the month: about 7 hours down out
    // of a 730-hour month is 99.9 % available for the job that met it, which earns at most the
    // 10 % tier on what was billed. Measured over a day-long job instead, half an hour down is
    // 97.9 % and every interrupted job would get the 100 % tier (about 40 % of all revenue here).
    let mix =
        "[(class: OnDemand, share_frac: 1.0, size_gpus: 8, duration: Hours(24), load_frac: 0.5)]";
    let catalog = r#"(name: "H100-SXM", transient_failures_per_gpu_year: 20.0, permanent_failures_per_gpu_year: 0.0)"#;
    let sla = "(transient_repair_hours: Fixed(0.5), sla: (tiers: [(below_availability_frac: 0.999, credit_frac: 0.1), (below_availability_frac: 0.98, credit_frac: 1.0)]))";
    let text = simple_scenario(1, 200.0, mix, 24).replace(
        "reliability: (failures: false),",
        &format!("reliability: {sla},\n    catalog: (gpus: [{catalog}]),"),
    );
    let rep = run(&load_text(&text), 2, 0);
    let credits = total(&rep, |m| m.sla_credits_usd);
    let billed = total(&rep, |m| m.revenue_on_demand_usd);
    let failures = total(&rep, |m| m.failures_transient);
    assert!(failures > 200.0, "{failures}");
    assert!(
        credits <= 0.1 * billed + 1e-6,
        "credits {credits} on {billed} billed"
    );
}

#[test]
fn software_interruptions_do_not_use_spares() {
    // Only a hardware failure moves a contract to a spare; a restart is waited for.
    let catalog = r#"(name: "H100-SXM", transient_failures_per_gpu_year: 2.0, permanent_failures_per_gpu_year: 0.0)"#;
    let rep = run(
        &load_text(&busy_fleet(40, 12, "(spares_frac: 0.2)", catalog)),
        3,
        0,
    );
    assert!(total(&rep, |m| m.failures_transient) > 50.0);
    assert_eq!(total(&rep, |m| m.spare_migrations), 0.0);
}
