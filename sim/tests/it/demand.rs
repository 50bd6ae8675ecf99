//! Demand, contracts and pricing: the arrival process, Little's law, admission limits,
//! spot preemption and price locking.

use super::common::{load_text, mean_se, run, simple_scenario};

/// A one-class scenario on `nodes` nodes with extra demand fields spliced in.
fn scenario(
    nodes: u32,
    arrivals_per_day: f64,
    mix: &str,
    horizon: u32,
    demand_extra: &str,
) -> String {
    simple_scenario(nodes, arrivals_per_day, mix, horizon).replace(
        &format!("demand: (arrivals_per_day: {arrivals_per_day},"),
        &format!("demand: (arrivals_per_day: {arrivals_per_day}, {demand_extra}"),
    )
}

const ONE_NODE_DAY: &str = "[(class: OnDemand, share_frac: 1.0, size_gpus: 8, duration: Hours(Exponential(24)), load_frac: 0.5)]";

/// Expected arrivals: the integral of the rate, by the midpoint rule on 1-minute steps.
fn expected_arrivals(loaded: &dcplan_sim::LoadedScenario, months: u32) -> f64 {
    let (mut engine, _) = dcplan_sim::replication::build(loaded, 1, 0, &Default::default());
    let d = engine
        .world
        .resource_mut::<dcplan_sim::model::demand::DemandState>();
    let cal = &d.model.calendar;
    let mut total = 0.0;
    for m in 0..months {
        let (a, b) = (cal.month_start(m).hours(), cal.month_start(m + 1).hours());
        let steps = ((b - a) * 60.0) as usize;
        let h = (b - a) / steps as f64;
        total += (0..steps)
            .map(|i| d.model.rate_at(a + (i as f64 + 0.5) * h, m))
            .sum::<f64>()
            * h;
    }
    total
}

fn check_arrivals(extra: &str) {
    let loaded = load_text(&scenario(4, 50.0, ONE_NODE_DAY, 24, extra));
    let expected = expected_arrivals(&loaded, 24);
    let observed: f64 = (0..6)
        .map(|r| {
            run(&loaded, 11, r)
                .months
                .iter()
                .map(|m| m.requests_arrived)
                .sum::<f64>()
        })
        .sum::<f64>()
        / 6.0;
    // Each replication's count is Poisson with mean `expected`; the mean of 6 has variance expected / 6.
    let se = (expected / 6.0).sqrt();
    assert!(
        (observed - expected).abs() < 4.0 * se,
        "{extra}: observed {observed}, expected {expected} +- {se}"
    );
}

#[test]
fn arrivals_match_the_integral_of_a_growing_rate() {
    check_arrivals("growth_per_year_frac: 0.8,");
}

#[test]
fn arrivals_match_the_integral_of_a_seasonal_rate() {
    check_arrivals("seasonality: (amplitude_frac: 0.6, peak_month: 7),");
}

#[test]
fn arrivals_follow_regimes() {
    // A glut halves demand in months 6-18.
    let regimes = r#"regimes: (
        states: [(name: "normal", demand_multiplier: 1.0, price_multiplier: 1.0), (name: "glut", demand_multiplier: 0.5, price_multiplier: 0.7)],
        initial: "normal",
        monthly_transitions: [[1.0, 0.0], [0.0, 1.0]],
        forced: [(from_month: 6, to_month: 18, state: "glut")],
    ),"#;
    let text = scenario(4, 50.0, ONE_NODE_DAY, 24, regimes).replace("forced: [(from_month: 6, to_month: 18, state: \"glut\")]", "forced: [(from_month: 6, to_month: 18, state: \"glut\"), (from_month: 18, to_month: 24, state: \"normal\")]");
    let loaded = load_text(&text);
    let rep = run(&loaded, 3, 0);
    let cal = dcplan_sim::time::Calendar::new(loaded.scenario.simulation.start, 24);
    // Arrivals per day over a set of months: the count is Poisson with mean rate x days, so the
    // standard error of the daily rate is sqrt(rate / days).
    let daily = |months: &[usize], rate: f64| {
        let count: f64 = months.iter().map(|&m| rep.months[m].requests_arrived).sum();
        let days: f64 = months
            .iter()
            .map(|&m| cal.hours_in_month(m as u32) / 24.0)
            .sum();
        (count / days, (rate / days).sqrt())
    };
    let normal_months: Vec<usize> = (0..6).chain(18..24).collect();
    let glut_months: Vec<usize> = (6..18).collect();
    let (normal, se_n) = daily(&normal_months, 50.0);
    let (glut, se_g) = daily(&glut_months, 25.0);
    assert!((normal - 50.0).abs() < 4.0 * se_n, "{normal} +- {se_n}");
    assert!((glut - 25.0).abs() < 4.0 * se_g, "{glut} +- {se_g}");
    // Prices follow the regime too.
    assert!((rep.market_prices[0][10] - 0.7 * rep.market_prices[0][0]).abs() < 1e-9);
}

#[test]
fn littles_law_holds_for_on_demand_work() {
    // Enough capacity that nothing is rejected: average GPUs in use = arrival rate x mean size x mean
    // duration = 20 a day x 16 GPUs (Discrete 8 or 24) x 30 hours / 24 = 400 GPUs.
    let mix = "[(class: OnDemand, share_frac: 1.0, size_gpus: Discrete([(8, 1), (24, 1)]), duration: Hours(Exponential(30)), load_frac: 0.5)]";
    let loaded = load_text(&scenario(200, 20.0, mix, 14, ""));
    let expected = 20.0 / 24.0 * 16.0 * 30.0;
    let in_use: Vec<f64> = (0..12)
        .map(|r| {
            let rep = run(&loaded, 5, r);
            assert_eq!(
                rep.months.iter().map(|m| m.requests_rejected).sum::<f64>(),
                0.0
            );
            let sold: f64 = rep.months[2..].iter().map(|m| m.sold_gpu_hours).sum();
            let hours: f64 = rep.months[2..]
                .iter()
                .map(|m| m.installed_gpu_hours / 1600.0)
                .sum();
            sold / hours
        })
        .collect();
    let (mean, se) = mean_se(&in_use);
    assert!(
        (mean - expected).abs() < 4.0 * se,
        "GPUs in use {mean} +- {se}, Little's law {expected}"
    );
}

#[test]
fn no_capacity_limit_rejects_nothing_and_no_capacity_rejects_everything() {
    let big = run(&load_text(&scenario(500, 30.0, ONE_NODE_DAY, 6, "")), 1, 0);
    assert!(big.months.iter().map(|m| m.requests_arrived).sum::<f64>() > 1000.0);
    assert_eq!(
        big.months.iter().map(|m| m.requests_rejected).sum::<f64>(),
        0.0
    );
    // The only hall is never ready: no node is ever commissioned.
    let none = scenario(10, 30.0, ONE_NODE_DAY, 6, "")
        .replace("it_mw: 1000.0,", "it_mw: 1000.0, ready_month: 100,");
    let none = run(&load_text(&none), 1, 0);
    let arrived: f64 = none.months.iter().map(|m| m.requests_arrived).sum();
    assert!(arrived > 1000.0);
    assert_eq!(
        none.months.iter().map(|m| m.requests_rejected).sum::<f64>(),
        arrived
    );
    assert_eq!(none.kpis.revenue_usd, 0.0);
}

#[test]
fn spot_is_preempted_before_higher_classes_are_rejected() {
    // 10 nodes; spot requests would keep every node busy, on-demand needs about two nodes.
    let mix = "[(class: Spot, share_frac: 0.8, size_gpus: 8, duration: Hours(Exponential(200)), load_frac: 0.5),
                (class: OnDemand, share_frac: 0.2, size_gpus: 8, duration: Hours(Exponential(24)), load_frac: 0.5)]";
    let loaded = load_text(&scenario(10, 10.0, mix, 12, ""));
    for r in 0..4 {
        let rep = run(&loaded, 7, r);
        let sum = |f: fn(&dcplan_sim::MonthRow) -> f64| rep.months.iter().map(f).sum::<f64>();
        assert!(sum(|m| m.preemptions) > 10.0, "spot was preempted");
        assert!(
            sum(|m| m.requests_rejected_spot) > 100.0,
            "spot fills the fleet"
        );
        // On-demand alone offers about 2 nodes of load on 10: Erlang-B blocking is about 4e-6,
        // so with preemption no on-demand request is lost.
        assert_eq!(sum(|m| m.requests_rejected_on_demand), 0.0);
        assert!(sum(|m| m.revenue_spot_usd) > 0.0);
    }
}

#[test]
fn a_reserved_price_stays_at_signing_while_the_market_falls() {
    // The market falls 50 % a year with shocks; one reserved contract on both nodes for 2 years.
    let mix =
        "[(class: Reserved, share_frac: 1.0, size_gpus: 16, duration: Months(24), load_frac: 0.8)]";
    let text = scenario(2, 20.0, mix, 18, "").replace(
        "(sku: \"H100-SXM\", on_demand_usd_per_gpu_hour: 2.0)",
        "(sku: \"H100-SXM\", on_demand_usd_per_gpu_hour: 2.0, decline_per_year_frac: 0.5, volatility_per_month: 0.1)",
    );
    let rep = run(&load_text(&text), 9, 0);
    let signed = 2.0 * (1.0 - 0.25);
    for m in &rep.months[1..] {
        assert!(
            (m.realized_price_usd_per_gpu_hour - signed).abs() < 1e-9,
            "month {}: {}",
            m.month,
            m.realized_price_usd_per_gpu_hour
        );
    }
    let market = &rep.market_prices[0];
    assert!(
        market[17] < 0.6 * market[0],
        "the market moved: {} -> {}",
        market[0],
        market[17]
    );
}

#[test]
fn on_demand_and_spot_pay_each_months_list_price_while_the_market_moves() {
    // Long jobs (100-hour mean) run across month boundaries while the market falls with shocks
    // and steps down for the next generation: every month bills exactly that month's list price
    // (spot: less its discount), not the price of the month a job started.
    for (class, ratio) in [("OnDemand", 1.0), ("Spot", 0.6)] {
        let mix = format!(
            "[(class: {class}, share_frac: 1.0, size_gpus: 8, duration: Hours(Exponential(100)), load_frac: 0.5)]"
        );
        let text = scenario(4, 6.0, &mix, 12, "").replace(
            "(sku: \"H100-SXM\", on_demand_usd_per_gpu_hour: 2.0)], reserved_discount_frac: 0.25",
            "(sku: \"H100-SXM\", on_demand_usd_per_gpu_hour: 2.0, decline_per_year_frac: 0.3, volatility_per_month: 0.1, next_generation: (month: 6, price_drop_frac: 0.2))], reserved_discount_frac: 0.25, spot_discount_frac: 0.4",
        );
        assert!(text.contains("spot_discount_frac: 0.4"), "{text}");
        let rep = run(&load_text(&text), 5, 0);
        let market = &rep.market_prices[0];
        let mut months_checked = 0;
        for (m, month) in rep.months.iter().enumerate() {
            let Some(realized) =
                Some(month.realized_price_usd_per_gpu_hour).filter(|x| x.is_finite())
            else {
                continue;
            };
            let list = market[m] * ratio;
            assert!(
                (realized - list).abs() < 1e-9 * list,
                "{class}, month {m}: billed {realized} per GPU-hour, list price {list}"
            );
            months_checked += 1;
        }
        assert!(
            months_checked >= 10,
            "{class}: {months_checked} months with sales"
        );
        assert!(market[11] < 0.8 * market[0], "the market moved: {market:?}");
    }
}

#[test]
fn term_contracts_renew_at_the_then_market_price() {
    // Every 3-month contract renews; the market falls 40 % a year without shocks.
    let mix = "[(class: Reserved, share_frac: 1.0, size_gpus: 16, duration: Months(3), load_frac: 0.8, renewal_frac: 1.0)]";
    let text = scenario(2, 20.0, mix, 12, "").replace(
        "(sku: \"H100-SXM\", on_demand_usd_per_gpu_hour: 2.0)",
        "(sku: \"H100-SXM\", on_demand_usd_per_gpu_hour: 2.0, decline_per_year_frac: 0.4)",
    );
    let rep = run(&load_text(&text), 9, 0);
    let renewals: f64 = rep.months.iter().map(|m| m.renewals).sum();
    assert!(renewals >= 3.0, "{renewals}");
    assert_eq!(
        rep.months.iter().map(|m| m.churned_contracts).sum::<f64>(),
        0.0
    );
    // Later months bill less per GPU-hour than the first: each renewal re-prices to the market.
    assert!(
        rep.months[11].realized_price_usd_per_gpu_hour
            < 0.8 * rep.months[1].realized_price_usd_per_gpu_hour
    );
}

#[test]
fn anchors_wait_for_capacity_and_prepay_at_signing() {
    // A 12-month anchor for both nodes signed at month 0; the hall is ready at month 2.
    let anchor = r#"anchors: [(name: "lab", sku: "H100-SXM", gpus: 16, duration: Months(12), price_usd_per_gpu_hour: 1.8, load_frac: 0.9, prepay_frac: 0.25)],"#;
    let text = scenario(2, 0.0, ONE_NODE_DAY, 12, anchor)
        .replace("it_mw: 1000.0,", "it_mw: 1000.0, ready_month: 2,");
    let rep = run(&load_text(&text), 1, 0);
    let value = 1.8 * 16.0 * 12.0 * 730.0;
    assert!((rep.months[0].prepayments_usd - 0.25 * value).abs() < 1e-6);
    assert_eq!(rep.months[1].sold_gpu_hours, 0.0);
    assert!(rep.months[2].sold_gpu_hours > 0.0);
    assert!((rep.months[3].revenue_reserved_usd - 1.8 * rep.months[3].sold_gpu_hours).abs() < 1e-6);
    assert!(
        (rep.months[3].prepaid_revenue_usd - 0.25 * rep.months[3].revenue_reserved_usd).abs()
            < 1e-6
    );
}

#[test]
fn arrivals_keep_their_rate_at_high_rates() {
    // 2,000 requests an hour for one month through the engine: events fire at whole seconds, but
    // each next arrival is drawn from the exact time of the last, so the realised count is
    // Poisson with the asked mean (drawing from rounded times ran about 1.5 % fast here, 18
    // standard errors; at 200,000 a day, 24 %).
    let loaded = load_text(&scenario(1, 48_000.0, ONE_NODE_DAY, 1, ""));
    let expected = expected_arrivals(&loaded, 1);
    let observed: f64 = run(&loaded, 3, 0)
        .months
        .iter()
        .map(|m| m.requests_arrived)
        .sum();
    let se = expected.sqrt();
    assert!(
        (observed - expected).abs() < 4.0 * se,
        "observed {observed}, expected {expected} +- {se}"
    );
}

#[test]
fn the_arrival_process_is_exact_at_the_highest_rate_validation_allows() {
    // At the 10 million a day validation allows, the gap between arrivals (8.6 ms) is far below
    // the engine's one-second resolution. The chain of exact times the engine follows gives the
    // n-th arrival at a Gamma(n, rate) time: mean n / rate, standard error sqrt(n) / rate.
    let loaded = load_text(&scenario(1, 1e7, ONE_NODE_DAY, 1, ""));
    let (mut engine, _) = dcplan_sim::replication::build(&loaded, 1, 0, &Default::default());
    let d = engine
        .world
        .resource_mut::<dcplan_sim::model::demand::DemandState>();
    let rate_per_hour = 1e7 / 24.0;
    let mut rng = dcplan_sim::rng::stream_rng(1, 0, dcplan_sim::rng::Stream::Demand);
    let n = 1_000_000;
    let mut at = (0.0, 0);
    for _ in 0..n {
        at = d
            .model
            .next_arrival(at.0, at.1, &mut rng)
            .expect("within the month");
    }
    let (mean, se) = (n as f64 / rate_per_hour, (n as f64).sqrt() / rate_per_hour);
    assert!(
        (at.0 - mean).abs() < 4.0 * se,
        "arrival {n} at {} h, expected {mean} +- {se}",
        at.0
    );
}

/// Demand turned away is valued at the price it was quoted. Under dynamic pricing on 4 nodes,
/// customers accept at most 0.9 x $2 = $1.80: only the discounted price at an idle fleet ($1.60),
/// so at most one node is busy, and every request priced out was quoted the list price at 25 %
/// utilization, $2.00 (it was valued at the premium, $2.60, before).
#[test]
fn unmet_demand_is_valued_at_the_price_quoted() {
    let mix = "[(class: OnDemand, share_frac: 1.0, size_gpus: 8, duration: Hours(Exponential(24)), load_frac: 0.5, max_price_ratio: Fixed(0.9))]";
    let text = simple_scenario(4, 6.0, mix, 12).replace(
        "reserved_discount_frac: 0.25)",
        "reserved_discount_frac: 0.25, policy: Dynamic(low_utilization_frac: 0.2, discount_frac: 0.2, high_utilization_frac: 0.6, premium_frac: 0.3))",
    );
    let r = run(&load_text(&text), 1, 0);
    let priced_out: f64 = r.months.iter().map(|m| m.requests_priced_out).sum();
    let rejected: f64 = r.months.iter().map(|m| m.requests_rejected).sum();
    assert!(
        priced_out > 100.0 && rejected == 0.0,
        "{priced_out} {rejected}"
    );
    let gpu_hours: f64 = r.months.iter().map(|m| m.unmet_gpu_hours).sum();
    let usd: f64 = r.months.iter().map(|m| m.unmet_revenue_usd).sum();
    assert!(
        (usd / gpu_hours - 2.0).abs() < 1e-12,
        "{} USD per unmet GPU-hour",
        usd / gpu_hours
    );
}
