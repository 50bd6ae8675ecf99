//! Expansion policies: when rules fire, what their orders do, the limits that stop them, and the
//! value of waiting.

use dcplan_sim::Replication;
use dcplan_sim::scenario::{ScenarioError, Severity};

use super::common::{load_text, mean_se, one_node_mix, repo_root, run, simple_scenario};

/// A simple scenario (4 H100 nodes, saturated by long one-node requests) with `extra` added
/// after the reliability line (policies, debt).
fn saturated(extra: &str) -> String {
    simple_scenario(4, 50.0, &one_node_mix(2000.0), 24).replace(
        "reliability: (failures: false),",
        &format!("reliability: (failures: false),\n    {extra}"),
    )
}

/// The field paths of the errors a scenario text is refused with.
fn error_paths(text: &str) -> Vec<String> {
    let problems = match dcplan_sim::load_str("test.ron", text) {
        Err(ScenarioError::Invalid { problems, .. }) => problems,
        other => panic!("expected problems, got {other:?}"),
    };
    problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.path.clone())
        .collect()
}

fn order(trigger: &str, limits: &str) -> String {
    format!(
        r#"policies: [(name: "grow", trigger: {trigger}, action: OrderTranche(name: "more", sku: "H100-SXM", gpus: 16, lead_time_months: 3, price_usd_per_gpu: 30000){limits})],"#
    )
}

/// Panic naming the first field that differs between two replications.
fn assert_same_results(x: &Replication, y: &Replication, what: &str) {
    for (a, b) in x.months.iter().zip(&y.months) {
        if format!("{a:?}") != format!("{b:?}") {
            let (da, db) = (format!("{a:?}"), format!("{b:?}"));
            let diff: Vec<String> = da
                .split(", ")
                .zip(db.split(", "))
                .filter(|(p, q)| p != q)
                .take(4)
                .map(|(p, q)| format!("{p} vs {q}"))
                .collect();
            panic!("{what}: month {}: {}", a.month, diff.join("; "));
        }
    }
    assert_eq!(x.months.len(), y.months.len(), "{what}: months");
    assert_eq!(
        format!("{:?}", x.kpis),
        format!("{:?}", y.kpis),
        "{what}: KPIs"
    );
    assert!(x.fleet == y.fleet, "{what}: fleet rows differ");
    assert_eq!(x.events, y.events, "{what}: events");
}

fn firing_months(r: &Replication) -> Vec<u32> {
    r.decisions.iter().map(|d| d.month).collect()
}

#[test]
fn a_utilization_trigger_fires_after_its_months_and_the_order_arrives_after_its_lead_time() {
    let rep = run(
        &load_text(&saturated(&order(
            "UtilizationAbove(level_frac: 0.5, months: 2)",
            "",
        ))),
        1,
        0,
    );
    // Months 0 and 1 are saturated, so the rule fires at the start of month 2.
    assert_eq!(firing_months(&rep), [2]);
    let d = &rep.decisions[0];
    assert_eq!(
        (d.rule.as_str(), d.action.as_str(), d.target.as_str()),
        ("grow", "order_tranche", "more")
    );
    assert_eq!(
        (d.gpus, d.capex_usd, d.effective_month),
        (16.0, 480_000.0, 5)
    );
    let installed: Vec<f64> = rep.months.iter().map(|m| m.installed_gpus).collect();
    assert_eq!(installed[4], 32.0, "nothing arrives before month 5");
    assert_eq!(installed[5], 48.0, "the order arrives in month 5");
    assert_eq!(rep.months[5].capex_gpu_usd, 480_000.0);
    assert!(
        rep.months[..5]
            .iter()
            .skip(1)
            .all(|m| m.capex_gpu_usd == 0.0)
    );
}

#[test]
fn a_policy_that_never_fires_changes_nothing() {
    let base = std::fs::read_to_string(repo_root().join("scenarios/default.ron"))
        .expect("default scenario")
        .replace("horizon_months: 72", "horizon_months: 36");
    let never = base.replacen(
        "    reliability: (",
        r#"    policies: [(name: "never", trigger: UtilizationAbove(level_frac: 1.0, months: 1), action: OrderTranche(name: "more", sku: "H100-SXM", gpus: 512, lead_time_months: 3, price_usd_per_gpu: 25000, financing: "gpu-loan"), max_firings: 3)],
    reliability: ("#,
        1,
    );
    assert_ne!(base, never);
    let (a, b) = (load_text(&base), load_text(&never));
    for r in 0..3 {
        let (x, y) = (run(&a, 7, r), run(&b, 7, r));
        assert!(y.decisions.is_empty());
        assert_same_results(&x, &y, &format!("replication {r}"));
        // Everything else too (NaN is not equal to itself, so compare the printed values).
        assert!(
            format!("{x:?}") == format!("{y:?}"),
            "replication {r}: results differ"
        );
    }
}

#[test]
fn a_policy_firing_in_month_zero_equals_buying_up_front() {
    let base = std::fs::read_to_string(repo_root().join("scenarios/default.ron"))
        .expect("default scenario")
        .replace("horizon_months: 72", "horizon_months: 36");
    let extra = r#"name: "h100-extra", sku: "H100-SXM", gpus: 512, lead_time_months: 3, price_usd_per_gpu: 25000, financing: "gpu-loan""#;
    let upfront = base.replacen(
        "            financing: \"gpu-loan\", // the GPU-backed loan in finance.debt\n        ),\n",
        &format!(
            "            financing: \"gpu-loan\", // the GPU-backed loan in finance.debt\n        ),\n        ({extra}),\n"
        ),
        1,
    );
    assert_ne!(upfront, base);
    let policy = base.replacen(
        "    reliability: (",
        &format!(
            "    policies: [(name: \"now\", trigger: MonthReached(month: 0), action: OrderTranche({extra}))],\n    reliability: ("
        ),
        1,
    );
    let (a, b) = (load_text(&upfront), load_text(&policy));
    for r in 0..3 {
        let (x, mut y) = (run(&a, 3, r), run(&b, 3, r));
        assert_eq!(firing_months(&y), [0]);
        assert_eq!(y.decisions[0].capex_usd, 512.0 * 25000.0);
        y.decisions.clear();
        assert_same_results(&x, &y, &format!("replication {r}"));
    }
}

#[test]
fn max_firings_min_gap_and_the_budget_each_stop_firings() {
    let every_month = "UtilizationAbove(level_frac: 0.5, months: 1)";
    let months = |limits: &str| {
        firing_months(&run(
            &load_text(&saturated(&order(every_month, limits))),
            1,
            0,
        ))
    };
    // Unlimited by anything but the number of firings: every month from month 1.
    assert_eq!(months(", max_firings: 4"), [1, 2, 3, 4]);
    assert_eq!(months(", max_firings: 2"), [1, 2]);
    assert_eq!(months(", max_firings: 3, min_gap_months: 4"), [1, 5, 9]);
    // Each firing commits $480k: a budget of $1.2M allows two.
    assert_eq!(
        months(", max_firings: 4, capex_budget_usd: 1200000"),
        [1, 2]
    );
}

#[test]
fn the_debt_covenant_stops_a_firing() {
    let debt = |min_dscr: &str| {
        saturated(&format!(
            "{}\n    ",
            order(
                "AllOf(triggers: [UtilizationAbove(level_frac: 0.5, months: 1), MonthReached(month: 3)])",
                min_dscr
            )
        ))
        .replace(
            "opex: (staff_usd_per_mw_year: 0,",
            "debt: [(name: \"loan\", loan_to_cost_frac: 0.8, rate_frac: 0.1, tenor_months: 24, funds: AllCapex)],\n        opex: (staff_usd_per_mw_year: 0,",
        )
    };
    let without = run(&load_text(&debt("")), 1, 0);
    assert_eq!(firing_months(&without), [3]);
    let dscrs: Vec<f64> = without.months[..3]
        .iter()
        .map(|m| m.dscr)
        .filter(|d| d.is_finite())
        .collect();
    assert!(
        !dscrs.is_empty() && dscrs.iter().all(|d| *d > 0.0),
        "months 0-2 have debt service: {dscrs:?}"
    );
    let low = dscrs.iter().copied().fold(f64::INFINITY, f64::min);
    let high = dscrs.iter().copied().fold(0.0, f64::max);
    // A covenant below the month's DSCR lets it fire; one above stops every firing.
    let loose = run(
        &load_text(&debt(&format!(", min_dscr: {}", low * 0.5))),
        1,
        0,
    );
    assert_eq!(firing_months(&loose), [3]);
    let tight = run(
        &load_text(&debt(&format!(", min_dscr: {}", high * 2.0))),
        1,
        0,
    );
    assert!(tight.decisions.is_empty(), "{:?}", tight.decisions);
}

#[test]
fn an_anchor_trigger_fires_in_the_anchor_sign_month_and_a_phase_is_built_on_its_lead_time() {
    let text = saturated(
        r#"policies: [
        (name: "hall", trigger: AnchorSigned(anchor: "a"), action: StartPhase(name: "hall B", it_mw: 1.0, capex_usd_per_mw: 12e6, lead_time_months: 4)),
    ],"#,
    )
    .replace(
        "mix: [",
        r#"anchors: [(name: "a", sku: "H100-SXM", gpus: 8, sign_month: 3, duration: Months(12), price_usd_per_gpu_hour: 2.0, load_frac: 0.5)], mix: ["#,
    );
    let rep = run(&load_text(&text), 1, 0);
    assert_eq!(firing_months(&rep), [3]);
    assert_eq!(rep.decisions[0].effective_month, 7);
    // Construction is drawn in four equal instalments, months 3 to 6.
    let facility: Vec<f64> = rep.months.iter().map(|m| m.capex_facility_usd).collect();
    for (m, x) in facility.iter().enumerate().take(7).skip(3) {
        assert_eq!(*x, 3e6, "month {m}");
    }
    assert_eq!(facility[7], 0.0);
    // The hall is in service from month 7: its $12M depreciate over 20 years.
    let step = rep.months[7].depreciation_usd - rep.months[6].depreciation_usd;
    assert!((step - 12e6 / 240.0).abs() < 1e-6, "{step}");
}

#[test]
fn a_retirement_rule_sells_a_delivered_tranche() {
    let text = saturated(
        r#"policies: [(name: "sell", trigger: MonthReached(month: 6), action: RetireTranche(tranche: "t"))],
    lifecycle: (resale_residual_frac_by_age_years: [(0, 1.0), (5, 0.2)]),"#,
    );
    let rep = run(&load_text(&text), 1, 0);
    assert_eq!(firing_months(&rep), [6]);
    assert_eq!(rep.decisions[0].gpus, 32.0);
    let last = rep.months.last().expect("months");
    assert_eq!(
        last.installed_gpus, 0.0,
        "every node retires once its contract ends"
    );
    assert!(rep.months.iter().map(|m| m.resale_usd).sum::<f64>() > 0.0);
}

#[test]
fn waiting_pays_when_demand_may_never_come() {
    // Demand is zero in about half the replications. Buying 16 nodes up front wastes them then;
    // the policy buys them only when the first 4 nodes are busy.
    let text = |policy: bool| {
        let s = simple_scenario(4, 1.0, &one_node_mix(2000.0), 36).replace(
            "arrivals_per_day: 1",
            "arrivals_per_day: Discrete([(0, 1), (30, 1)])",
        );
        if policy {
            s.replace(
                "reliability: (failures: false),",
                &format!(
                    "reliability: (failures: false),\n    {}",
                    r#"policies: [(name: "grow", trigger: UtilizationAbove(level_frac: 0.8, months: 1), action: OrderTranche(name: "more", sku: "H100-SXM", gpus: 128, lead_time_months: 1, price_usd_per_gpu: 30000, network_usd_per_node: 40000))],"#
                ),
            )
        } else {
            s.replace(
                "network_usd_per_node: 40000)]",
                "network_usd_per_node: 40000), (name: \"more\", sku: \"H100-SXM\", gpus: 128, price_usd_per_gpu: 30000, network_usd_per_node: 40000)]",
            )
        }
    };
    let (fixed, policy) = (load_text(&text(false)), load_text(&text(true)));
    let diffs: Vec<f64> = (0..40)
        .map(|r| run(&policy, 5, r).kpis.npv_usd - run(&fixed, 5, r).kpis.npv_usd)
        .collect();
    let (mean, se) = mean_se(&diffs);
    assert!(
        mean - 1.96 * se > 0.0,
        "paired NPV advantage {mean:.0} +- {:.0}",
        1.96 * se
    );
}

#[test]
fn every_policy_problem_is_reported_with_its_path() {
    let text = saturated(
        r#"policies: [
        (name: "a", trigger: AnyOf(triggers: []), action: OrderTranche(name: "x", sku: "H999", gpus: -8)),
        (name: "a", trigger: AnchorSigned(anchor: "nobody"), action: OrderTranche(name: "t", sku: "H100-SXM", gpus: 12, financing: "none")),
        (name: "c", trigger: AllOf(triggers: [UtilizationAbove(level_frac: 1.5, months: 0), PriceAboveCost(sku: "B200", ratio: 1.0, months: 1)]), action: RetireTranche(tranche: "gone"), max_firings: 0),
        (name: "d", trigger: AnyOf(triggers: [AllOf(triggers: [MonthReached(month: 1)])]), action: RetireTranche(tranche: "t")),
    ],"#,
    );
    let paths = error_paths(&text);
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    for want in [
        "policies[0].trigger.triggers",
        "policies[0].action.sku",
        "policies[0].action.gpus",
        "policies[1].name",
        "policies[1].trigger.anchor",
        "policies[1].action.name",
        "policies[1].action.gpus",
        "policies[1].action.financing",
        "policies[2].trigger.triggers[0].level_frac",
        "policies[2].trigger.triggers[0].months",
        "policies[2].trigger.triggers[1].sku",
        "policies[2].action.tranche",
        "policies[2].max_firings",
        "policies[3].trigger.triggers[0].triggers",
    ] {
        assert!(paths.contains(&want), "no problem at {want}: {paths:?}");
    }
}

#[test]
fn search_variables_set_policy_parameters_by_path() {
    let text = saturated(&order(
        "AllOf(triggers: [UtilizationAbove(level_frac: 0.5, months: 2)])",
        ", max_firings: 2",
    ));
    let base = load_text(&text);
    let settings = [
        (
            "policies[0].trigger.triggers[0].months".to_string(),
            "4".to_string(),
        ),
        ("policies[0].action.gpus".to_string(), "32".to_string()),
        ("policies[0].min_gap_months".to_string(), "5".to_string()),
    ];
    let set = dcplan_sim::plan::set_fields(&base.scenario, &base.source_text, &settings)
        .expect("policy paths are settable");
    let mut loaded = base.clone();
    loaded.scenario = set;
    let rep = run(&loaded, 1, 0);
    // Four saturated months before the first order, five between orders, 32 GPUs each.
    assert_eq!(firing_months(&rep), [4, 9]);
    assert!(rep.decisions.iter().all(|d| d.gpus == 32.0));
    // The shipped staged-growth scenario searches policy parameters: every bound is accepted.
    let staged = dcplan_sim::load_file(&repo_root().join("scenarios/staged-growth.ron"))
        .unwrap_or_else(|e| panic!("{e}"));
    let opt = staged
        .scenario
        .optimize
        .as_ref()
        .expect("an optimize section");
    assert!(
        opt.variables
            .iter()
            .all(|v| v.path.starts_with("policies["))
    );
    assert!(dcplan_sim::optimize::check(&staged).is_empty());
}

/// [`saturated`] with a second hall "B" (1 MW at $12M per MW, ready in month 10 after 4 months
/// of construction) and `policies`.
fn with_hall_b(policies: &str) -> String {
    saturated(policies).replace(
        "phases: [(name: \"p\", it_mw: 1000.0, capex_usd_per_mw: 10e6)]",
        "phases: [(name: \"p\", it_mw: 1000.0, capex_usd_per_mw: 10e6), (name: \"B\", it_mw: 1.0, capex_usd_per_mw: 12e6, ready_month: 10, construction_months: 4)]",
    )
}

fn facility_capex(r: &Replication) -> Vec<f64> {
    r.months.iter().map(|m| m.capex_facility_usd).collect()
}

#[test]
fn a_deferral_moves_a_phase_not_started_and_skips_phases_started_or_ready() {
    let planned = run(&load_text(&with_hall_b("")), 1, 0);
    // Planned: $3M drawn in months 6 to 9, in service from month 10.
    let f = facility_capex(&planned);
    assert_eq!(&f[6..10], &[3e6; 4]);
    let rep = run(
        &load_text(&with_hall_b(
            r#"policies: [
        (name: "ready", trigger: MonthReached(month: 1), action: DeferPhase(phase: "p", months: 3)),
        (name: "wait", trigger: MonthReached(month: 2), action: DeferPhase(phase: "B", months: 5)),
        (name: "started", trigger: MonthReached(month: 12), action: DeferPhase(phase: "B", months: 5)),
    ],"#,
        )),
        1,
        0,
    );
    // Only the deferral of the phase not started happens; "p" is ready and "B" has started
    // construction (month 11) by month 12.
    assert_eq!(firing_months(&rep), [2]);
    let d = &rep.decisions[0];
    assert_eq!(
        (d.rule.as_str(), d.action.as_str(), d.target.as_str()),
        ("wait", "defer_phase", "B")
    );
    assert_eq!((d.capex_usd, d.effective_month), (0.0, 15));
    let f = facility_capex(&rep);
    for (m, usd) in f.iter().enumerate().skip(1) {
        let want = if (11..15).contains(&m) { 3e6 } else { 0.0 };
        assert_eq!(*usd, want, "month {m}");
    }
    // The hall enters service (and depreciates) from month 15, not 10.
    let dep =
        |r: &Replication, m: usize| r.months[m].depreciation_usd - r.months[m - 1].depreciation_usd;
    assert!((dep(&planned, 10) - 12e6 / 240.0).abs() < 1e-6);
    assert!(dep(&rep, 10).abs() < 1e-6);
    assert!((dep(&rep, 15) - 12e6 / 240.0).abs() < 1e-6);
}

#[test]
fn a_deferral_in_month_zero_equals_planning_the_phase_later() {
    let later = with_hall_b("").replace("ready_month: 10,", "ready_month: 15,");
    let deferred = with_hall_b(
        r#"policies: [(name: "wait", trigger: MonthReached(month: 0), action: DeferPhase(phase: "B", months: 5))],"#,
    );
    let (x, mut y) = (
        run(&load_text(&later), 4, 0),
        run(&load_text(&deferred), 4, 0),
    );
    assert_eq!(firing_months(&y), [0]);
    assert_eq!(y.decisions[0].effective_month, 15);
    y.decisions.clear();
    assert_same_results(&x, &y, "month-0 deferral");
}

#[test]
fn a_cancellation_removes_a_phase_and_books_its_cost_once() {
    let cancel = |month: u32| {
        with_hall_b(&format!(
            r#"policies: [
        (name: "ready", trigger: MonthReached(month: 1), action: CancelPhase(phase: "p", cost_usd: 1e6)),
        (name: "stop", trigger: MonthReached(month: {month}), action: CancelPhase(phase: "B", cost_usd: 250000)),
    ],"#
        ))
    };
    let planned = run(&load_text(&with_hall_b("")), 1, 0);
    let rep = run(&load_text(&cancel(3)), 1, 0);
    // "p" is ready, so only "B" is cancelled.
    assert_eq!(firing_months(&rep), [3]);
    let d = &rep.decisions[0];
    assert_eq!(
        (d.action.as_str(), d.target.as_str(), d.effective_month),
        ("cancel_phase", "B", 3)
    );
    assert!(facility_capex(&rep)[1..].iter().all(|&x| x == 0.0));
    // The cost is an operating expense of month 3 only.
    for (m, (a, b)) in rep.months.iter().zip(&planned.months).enumerate() {
        let want = if m == 3 { 250000.0 } else { 0.0 };
        assert!(
            (a.opex_usd - b.opex_usd - want).abs() < 1e-6,
            "month {m}: {} vs {}",
            a.opex_usd,
            b.opex_usd
        );
    }
    // It has its own line in the monthly table and the income statement, whose operating cost
    // items add up to the total.
    assert_eq!(rep.months[3].cancellation_usd, 250000.0);
    assert!(rep.months.iter().map(|r| r.cancellation_usd).sum::<f64>() == 250000.0);
    let is = dcplan_sim::proforma::statements(&rep.months, dcplan_sim::proforma::Period::Year);
    let items = [
        "energy",
        "staff",
        "maintenance",
        "insurance",
        "software",
        "network_transit",
        "sga",
        "rent",
        "cancellation",
    ];
    for (y, total) in is.values("opex").iter().enumerate() {
        let sum: f64 = items.iter().map(|k| is.values(k)[y]).sum();
        assert!(
            (sum - total).abs() < 1e-6,
            "year {y}: items {sum} vs total {total}"
        );
    }
    // The hall never enters service.
    assert!(
        rep.months
            .windows(2)
            .all(|w| (w[1].depreciation_usd - w[0].depreciation_usd).abs() < 1e-6)
    );
    // Once construction has begun (month 6), a cancellation is skipped.
    let late = run(&load_text(&cancel(7)), 1, 0);
    assert!(late.decisions.is_empty(), "{:?}", late.decisions);
    assert_same_results(&planned, &late, "a cancellation after the start");
}

#[test]
fn nodes_waiting_for_a_cancelled_phase_stay_in_inventory() {
    let text = saturated(
        r#"policies: [(name: "stop", trigger: MonthReached(month: 0), action: CancelPhase(phase: "p"))],"#,
    )
    .replace(
        "capex_usd_per_mw: 10e6)]",
        "capex_usd_per_mw: 10e6, ready_month: 6)]",
    );
    let rep = run(&load_text(&text), 1, 0);
    assert_eq!(firing_months(&rep), [0]);
    for m in &rep.months {
        assert_eq!(m.inventory_gpus, 32.0, "month {}", m.month);
        assert_eq!(m.sold_gpu_hours, 0.0);
        assert_eq!(m.capex_facility_usd, 0.0);
    }
}

#[test]
fn a_price_ratio_prices_new_contracts_from_its_month_on() {
    // Short requests (one hour on average), so nearly every contract of a month starts in it.
    let text = simple_scenario(4, 50.0, &one_node_mix(1.0), 12).replace(
        "reliability: (failures: false),",
        r#"reliability: (failures: false),
    policies: [(name: "raise", trigger: MonthReached(month: 6), action: SetPriceRatio(ratio: 1.5))],"#,
    );
    let rep = run(&load_text(&text), 1, 0);
    assert_eq!(firing_months(&rep), [6]);
    assert_eq!(rep.decisions[0].action, "set_price_ratio");
    let per_hour: Vec<f64> = rep
        .months
        .iter()
        .map(|m| m.revenue_on_demand_usd / m.sold_gpu_hours)
        .collect();
    for (m, p) in per_hour.iter().enumerate() {
        let want = if m < 6 { 2.0 } else { 3.0 };
        // Month 6 still bills the last hours of contracts started in month 5.
        let tol = if m == 6 { 1e-2 } else { 1e-9 };
        assert!((p - want).abs() < tol * want, "month {m}: {p}");
    }
}

#[test]
fn phase_and_price_rules_that_never_fire_change_nothing() {
    let base = with_hall_b("");
    let never = with_hall_b(
        r#"policies: [
        (name: "d", trigger: MonthReached(month: 100), action: DeferPhase(phase: "B", months: 2)),
        (name: "c", trigger: UtilizationBelow(level_frac: 0.0, months: 1), action: CancelPhase(phase: "B", cost_usd: 1e6)),
        (name: "p", trigger: MonthReached(month: 100), action: SetPriceRatio(ratio: 2.0)),
    ],"#,
    );
    let (x, y) = (run(&load_text(&base), 2, 0), run(&load_text(&never), 2, 0));
    assert!(y.decisions.is_empty());
    assert_same_results(&x, &y, "never firing");
    assert!(format!("{x:?}") == format!("{y:?}"), "results differ");
}

#[test]
fn phase_and_price_action_problems_are_reported_with_their_paths() {
    let text = with_hall_b(
        r#"policies: [
        (name: "a", trigger: MonthReached(month: 1), action: DeferPhase(phase: "nowhere", months: 0)),
        (name: "b", trigger: MonthReached(month: 1), action: CancelPhase(phase: "Z", cost_usd: -5)),
        (name: "c", trigger: MonthReached(month: 1), action: SetPriceRatio(ratio: 0)),
    ],"#,
    );
    let paths = error_paths(&text);
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    for want in [
        "policies[0].action.phase",
        "policies[0].action.months",
        "policies[1].action.phase",
        "policies[1].action.cost_usd",
        "policies[2].action.ratio",
    ] {
        assert!(paths.contains(&want), "no problem at {want}: {paths:?}");
    }
    // A policy phase is a valid target.
    let ok = with_hall_b(
        r#"policies: [
        (name: "s", trigger: MonthReached(month: 9), action: StartPhase(name: "C", it_mw: 1.0, capex_usd_per_mw: 1e6)),
        (name: "c", trigger: MonthReached(month: 2), action: CancelPhase(phase: "C")),
    ],"#,
    );
    let rep = run(&load_text(&ok), 1, 0);
    // The cancelled slot is never started.
    assert_eq!(firing_months(&rep), [2]);
}
