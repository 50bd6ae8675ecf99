//! The ledger on hand-checkable cases.

use dcplan_sim::metrics::{irr, npv, payback_months};
use dcplan_sim::model::finance::Ledger;
use dcplan_sim::replication::build;

use super::common::{load_text, run, simple_scenario};

#[test]
fn capex_depreciation_and_cash_without_demand() {
    // 2 nodes of 8 GPUs at $30k per GPU and $40k network per node; a 1,000 MW hall at $10M/MW
    // would dwarf everything, so use the ledger's own numbers: no demand, no opex inputs.
    let text = simple_scenario(
        2,
        0.0,
        "[(class: OnDemand, share_frac: 1.0, size_gpus: 8, duration: Hours(1), load_frac: 0.5)]",
        24,
    )
    .replace("it_mw: 1000.0", "it_mw: 0.5");
    let loaded = load_text(&text);
    let rep = run(&loaded, 1, 0);
    let gpu_capex = 16.0 * 30_000.0;
    let network_capex = 2.0 * 40_000.0;
    let facility_capex = 0.5 * 10e6;
    let m0 = &rep.months[0];
    assert_eq!(m0.capex_gpu_usd, gpu_capex);
    assert_eq!(m0.capex_network_usd, network_capex);
    assert_eq!(m0.capex_facility_usd, facility_capex);
    // Straight line: servers over 60 months, network over 48, facility over 240.
    let dep = gpu_capex / 60.0 + network_capex / 48.0 + facility_capex / 240.0;
    for m in &rep.months {
        assert!(
            (m.depreciation_usd - dep).abs() < 1e-6,
            "month {}: {}",
            m.month,
            m.depreciation_usd
        );
        assert_eq!(m.revenue_usd, 0.0);
    }
    // Book value after 24 months.
    let book = gpu_capex * (1.0 - 24.0 / 60.0)
        + network_capex * (1.0 - 24.0 / 48.0)
        + facility_capex * (1.0 - 24.0 / 240.0);
    let last = rep.months.last().expect("24 months");
    assert!((last.book_value_usd - book).abs() < 1e-6);
    // Cash is capex plus energy of idle nodes; NPV adds the book value as terminal value.
    let flows: Vec<f64> = rep.months.iter().map(|m| m.fcf_usd).collect();
    assert!((rep.kpis.terminal_value_usd - book).abs() < 1e-6);
    let mut with_tv = flows.clone();
    *with_tv.last_mut().expect("24 months") += book;
    assert!((rep.kpis.npv_usd - npv(0.1, &with_tv).expect("finite")).abs() < 1e-6);
    assert_eq!(rep.kpis.payback_months, None);
    assert_eq!(payback_months(&flows), Ok(None));
    assert!((rep.kpis.peak_funding_usd + last.cumulative_cash_usd).abs() < 1e-6);
}

#[test]
fn revenue_of_a_reserved_contract_is_price_times_gpu_hours() {
    // One reserved contract of 2 nodes for 3 months arrives almost surely in the first hours.
    let mix =
        "[(class: Reserved, share_frac: 1.0, size_gpus: 16, duration: Months(3), load_frac: 1.0)]";
    let loaded = load_text(&simple_scenario(2, 50.0, mix, 2));
    let rep = run(&loaded, 3, 0);
    let m0 = &rep.months[0];
    // Reserved price is 2.0 x (1 - 0.25) = 1.5 per GPU-hour; 16 GPUs sold for every hour after placement.
    assert!((m0.revenue_reserved_usd - 1.5 * m0.sold_gpu_hours).abs() < 1e-6);
    assert!(
        m0.sold_gpu_hours > 16.0 * (744.0 - 2.0),
        "{}",
        m0.sold_gpu_hours
    );
    assert!((rep.months[1].sold_gpu_hours - 16.0 * 672.0).abs() < 1e-6);
    assert_eq!(m0.revenue_on_demand_usd, 0.0);
}

#[test]
fn irr_of_the_ledger_is_consistent_with_its_npv() {
    let loaded = super::common::load("tiny.ron");
    let rep = run(&loaded, 7, 0);
    let mut flows: Vec<f64> = rep.months.iter().map(|m| m.fcf_usd).collect();
    *flows.last_mut().expect("months") += rep.kpis.terminal_value_usd;
    let r = irr(&flows).expect("finite").expect("tiny has an irr");
    assert_eq!(rep.kpis.irr_frac, Some(r));
    assert!(npv(r, &flows).expect("finite").abs() < 1e-3 * rep.kpis.capex_usd.abs() * 1e-3);
}

/// A small build with a GPU-backed loan, a facility loan, tax, prepaid term contracts and resale.
fn financed_scenario(price_scale: f64) -> String {
    let mix = "[(class: Reserved, share_frac: 0.3, size_gpus: 16, duration: Months(Discrete([(6, 1), (12, 1)])), load_frac: 0.8, renewal_frac: 0.5, prepay_frac: 0.2),
                (class: OnDemand, share_frac: 0.7, size_gpus: 8, duration: Hours(Exponential(24)), load_frac: 0.5)]";
    simple_scenario(20, 12.0, mix, 48)
        .replace("it_mw: 1000.0, capex_usd_per_mw: 10e6", "it_mw: 0.3, capex_usd_per_mw: 10e6, ready_month: 8, construction_months: 6")
        .replace("network_usd_per_node: 40000)]", "network_usd_per_node: 40000, financing: \"gpu-loan\", retire_after_months: 36)]")
        .replace(
            "opex: (staff_usd_per_mw_year: 0, staff_usd_per_1000_gpus_year: 0, maintenance_frac_of_capex_per_year: 0),",
            "opex: (staff_usd_per_mw_year: 100000, staff_usd_per_1000_gpus_year: 300000, maintenance_frac_of_capex_per_year: 0.02, sga_frac_of_revenue: 0.05),
        tax: (rate_frac: 0.25),
        debt: [
            (name: \"gpu-loan\", loan_to_cost_frac: 0.7, rate_frac: 0.1, tenor_months: 30, grace_months: 3, funds: FinancedTranches),
            (name: \"hall-loan\", loan_to_cost_frac: 0.5, rate_frac: 0.08, tenor_months: 40, amortization: Linear, funds: Facility),
        ],",
        )
        .replace("reserved_discount_frac: 0.25)", &format!("reserved_discount_frac: 0.25, price_scale: {price_scale})"))
        .replace("reliability: (failures: false),", "reliability: (failures: false),\n    lifecycle: (resale_residual_frac_by_age_years: [(0, 1.0), (4, 0.2)]),")
}

#[test]
fn the_ledger_identities_hold_every_month() {
    let rep = run(&load_text(&financed_scenario(1.0)), 4, 0);
    let tol = |x: f64| 1e-6 * x.abs().max(1.0);
    let mut cash = 0.0;
    let mut debt = 0.0;
    for r in &rep.months {
        let fcf =
            r.ebitda_usd + r.prepayments_usd - r.prepaid_revenue_usd - r.capex_usd + r.resale_usd;
        assert!((r.fcf_usd - fcf).abs() < tol(fcf), "month {}: fcf", r.month);
        let change = r.fcf_usd + r.debt_drawn_usd - r.debt_service_usd - r.tax_usd;
        assert!(
            (r.cash_usd - (cash + change)).abs() < tol(r.cash_usd),
            "month {}: cash",
            r.month
        );
        cash = r.cash_usd;
        assert!(
            (r.debt_service_usd - (r.interest_usd + r.principal_usd)).abs()
                < tol(r.debt_service_usd)
        );
        assert!(
            (r.debt_outstanding_usd - (debt + r.debt_drawn_usd - r.principal_usd)).abs()
                < tol(r.debt_outstanding_usd),
            "month {}: debt",
            r.month
        );
        debt = r.debt_outstanding_usd;
        assert!(
            (r.net_income_usd - (r.ebit_usd - r.interest_usd - r.tax_usd)).abs()
                < tol(r.net_income_usd)
        );
        assert!(
            (r.ebit_usd - (r.ebitda_usd - r.depreciation_usd + r.gain_on_sale_usd)).abs()
                < tol(r.ebit_usd)
        );
        assert!((r.ebitda_usd - (r.revenue_usd - r.opex_usd)).abs() < tol(r.ebitda_usd));
    }
    // Both loans were used and the facility was paid in six construction draws.
    assert!(
        rep.months
            .iter()
            .filter(|r| r.capex_facility_usd > 0.0)
            .count()
            == 6
    );
    assert!(rep.months.iter().map(|r| r.debt_drawn_usd).sum::<f64>() > 0.0);
    let k = &rep.kpis;
    assert!(k.min_dscr.is_some() && k.equity_irr_frac.is_some());
    assert!(
        k.ebitda_margin_frac > k.operating_margin_frac
            && k.operating_margin_frac > k.net_margin_frac
    );
}

#[test]
fn each_loan_is_repaid_exactly_at_its_tenor() {
    let loaded = load_text(&financed_scenario(1.0));
    let (mut engine, _) = build(&loaded, 4, 0, &Default::default());
    engine.initialize().expect("schedules build");
    engine.run_until(dcplan_sim::time::Calendar::new(loaded.scenario.simulation.start, 48).end());
    let ledger = engine.world.resource::<Ledger>();
    for (loan, tenor) in ledger.loan_balances.iter().zip([30usize, 40]) {
        // T monthly payments after the month of the first draw: the last one T months after it.
        let first = loan
            .iter()
            .position(|b| *b > 0.0)
            .expect("the loan was drawn");
        let maturity = first + tenor;
        assert!(
            loan[maturity - 1] > 0.0,
            "still owed the month before maturity"
        );
        assert_eq!(loan[maturity], 0.0, "repaid at maturity");
        assert!(loan[maturity..].iter().all(|b| *b == 0.0));
    }
}

#[test]
fn an_annuity_pays_level_instalments_after_its_grace_period() {
    use dcplan_sim::scenario::Amortization;
    // Drive the loan arithmetic directly through a one-draw ledger run: 16 GPUs bought at month
    // 0 with a 70 % loan at 12 %/yr (nominal, compounded monthly: 1 % a month) over 24 monthly
    // payments, the first 4 of them interest only, the other 20 level.
    let text = financed_scenario(1.0)
        .replace(
            "tenor_months: 30, grace_months: 3",
            "tenor_months: 24, grace_months: 4",
        )
        .replace("rate_frac: 0.1,", "rate_frac: 0.12,")
        .replace("retire_after_months: 36", "retire_after_months: 60")
        .replace("gpus: 160", "gpus: 16");
    let rep = run(&load_text(&text), 4, 0);
    let _ = Amortization::Annuity;
    let r: f64 = 0.12 / 12.0;
    let principal = 0.7 * (16.0 * 30_000.0 + 2.0 * 40_000.0);
    let payment = principal * r / (1.0 - (1.0 + r).powi(-20));
    // The hall loan is linear; isolate the GPU loan by subtracting the hall loan's service.
    let hall_only = run(
        &load_text(&text.replace("financing: \"gpu-loan\",", "")),
        4,
        0,
    );
    let gpu_service: Vec<f64> = rep
        .months
        .iter()
        .zip(&hall_only.months)
        .map(|(a, b)| a.debt_service_usd - b.debt_service_usd)
        .collect();
    let first = rep
        .months
        .iter()
        .position(|m| m.debt_drawn_usd - hall_only.months[m.month as usize].debt_drawn_usd > 0.0)
        .expect("drawn");
    assert!(
        gpu_service[first].abs() < 1e-9,
        "nothing is owed in the month of the draw"
    );
    for k in 1..=4 {
        assert!(
            (gpu_service[first + k] - principal * r).abs() < 1e-6,
            "payment {k}: interest only, {}",
            gpu_service[first + k]
        );
    }
    for k in 5..=24 {
        assert!(
            (gpu_service[first + k] - payment).abs() < 1e-6,
            "payment {k}: level payment {} vs {payment}",
            gpu_service[first + k]
        );
    }
    assert!(
        gpu_service[first + 25].abs() < 1e-9,
        "repaid after 24 payments"
    );
}

/// Each tax year's tax as the ledger should charge it: on the year's whole taxable income (EBIT
/// less interest), after earlier years' losses up to `cap` of that income; with the years' taxable
/// incomes and whether earlier losses offset some income.
fn yearly_tax(rep: &dcplan_sim::Replication, cap: f64) -> Vec<(f64, f64, f64, bool)> {
    let mut years = Vec::new();
    let mut pool = 0.0;
    for year in rep.months.chunks(12) {
        let taxable: f64 = year.iter().map(|r| r.ebit_usd - r.interest_usd).sum();
        let charged: f64 = year.iter().map(|r| r.tax_usd).sum();
        let used = if taxable > 0.0 {
            f64::min(pool, cap * taxable)
        } else {
            0.0
        };
        let expected = 0.25 * (taxable.max(0.0) - used);
        pool += (-taxable).max(0.0) - used;
        years.push((taxable, charged, expected, used > 0.0));
    }
    years
}

#[test]
fn losses_are_carried_forward_against_later_profits() {
    // At 1.5 times the base prices the build turns profitable and uses up its early losses.
    let rep = run(&load_text(&financed_scenario(1.5)), 4, 0);
    let years = yearly_tax(&rep, 1.0);
    for (y, &(taxable, charged, expected, _)) in years.iter().enumerate() {
        assert!(
            (charged - expected).abs() < 1e-6 * expected.abs().max(1.0),
            "year {y}: taxable {taxable}, tax charged {charged}, expected {expected}"
        );
    }
    assert!(
        years.iter().any(|y| y.3),
        "the scenario must have a loss followed by a profit"
    );
    assert!(
        years.iter().any(|y| y.0 < 0.0),
        "the scenario must have a year with a loss"
    );
    // Within a year, the tax charged so far is the tax on the income so far: never negative in
    // total, even where a month's own charge is (a loss month gives back tax charged earlier).
    for year in rep.months.chunks(12) {
        let mut so_far = 0.0;
        for r in year {
            so_far += r.tax_usd;
            assert!(so_far >= -1e-6, "month {}: {so_far}", r.month);
        }
    }
    assert!(rep.kpis.tax_usd > 0.0);
}

#[test]
fn each_year_pays_the_tax_of_its_whole_income_whatever_its_months_earned() {
    // The servers retire after 28 months: the third tax year starts with taxed profits and,
    // with no revenue after the retirement, ends with a loss for the year.
    let text = financed_scenario(1.5).replace("retire_after_months: 36", "retire_after_months: 28");
    let rep = run(&load_text(&text), 4, 0);
    // A profitable year with losing months after taxed ones (the retirement's) pays the tax of
    // its whole income, not of its profitable months alone.
    for (y, &(taxable, charged, expected, _)) in yearly_tax(&rep, 1.0).iter().enumerate() {
        assert!(
            (charged - expected).abs() < 1e-6 * expected.abs().max(1.0),
            "year {y}: taxable {taxable}, tax charged {charged}, expected {expected}"
        );
    }
    let mut loss_year_with_profitable_months = false;
    for (y, year) in rep.months.chunks(12).enumerate() {
        let taxable: f64 = year.iter().map(|r| r.ebit_usd - r.interest_usd).sum();
        let charged: f64 = year.iter().map(|r| r.tax_usd).sum();
        if taxable <= 0.0 {
            assert!(
                charged.abs() < 1e-6,
                "year {y}: loss {taxable}, tax {charged}"
            );
            loss_year_with_profitable_months |= year.iter().any(|r| r.tax_usd > 0.0);
        }
    }
    assert!(
        loss_year_with_profitable_months,
        "the scenario must have a losing year with taxed months"
    );
}

#[test]
fn running_at_the_break_even_price_gives_zero_npv() {
    let base = run(&load_text(&financed_scenario(1.0)), 4, 0);
    let break_even = base
        .kpis
        .break_even_price_usd_per_gpu_hour
        .expect("has a break-even price");
    let realized = base
        .kpis
        .realized_price_usd_per_gpu_hour
        .expect("sold something");
    let scale = break_even / realized;
    assert!(
        (scale - 1.0).abs() > 0.05,
        "the test needs NPV away from zero at the base price: scale {scale}"
    );
    let at = run(&load_text(&financed_scenario(scale)), 4, 0);
    assert!(
        at.kpis.npv_usd.abs() < 1e-6 * base.kpis.capex_usd,
        "NPV at the break-even price: {}",
        at.kpis.npv_usd
    );
    assert!(
        (at.kpis.realized_price_usd_per_gpu_hour.expect("sold") - break_even).abs()
            < 1e-9 * break_even
    );
}

/// `simple_scenario` with maintenance at 12 % and insurance at 6 % of the assets' cost a year
/// (1 % and 0.5 % a month) and a 0.5 MW hall ($5M).
fn with_maintenance(text: String) -> String {
    text.replace("it_mw: 1000.0", "it_mw: 0.5").replace(
        "maintenance_frac_of_capex_per_year: 0)",
        "maintenance_frac_of_capex_per_year: 0.12, insurance_frac_of_capex_per_year: 0.06)",
    )
}

#[test]
fn maintenance_and_insurance_follow_the_assets_in_service_through_a_refresh() {
    // 4 H100 nodes replaced at 12 months by 2 B200 nodes: from month 12 the H100s are gone and
    // cost neither maintenance nor insurance.
    let text = super::common::with_b200_refresh(&with_maintenance(simple_scenario(
        4,
        0.0,
        &super::common::one_node_mix(24.0),
        24,
    )));
    let rep = run(&load_text(&text), 1, 0);
    let hall = 0.5 * 10e6;
    let h100 = 32.0 * 30_000.0 + 4.0 * 40_000.0;
    let b200 = rep.months[12].capex_gpu_usd + rep.months[12].capex_network_usd;
    assert_eq!(
        rep.months[12].retired_gpus, 32.0,
        "the refresh happens in month 12"
    );
    assert!(b200 >= 16.0 * 50_000.0);
    for m in &rep.months {
        let in_service = if m.month < 12.0 {
            hall + h100
        } else {
            hall + b200
        };
        assert!(
            (m.maintenance_usd - 0.01 * in_service).abs() < 1e-6,
            "month {}: maintenance {} vs {}",
            m.month,
            m.maintenance_usd,
            0.01 * in_service
        );
        assert!(
            (m.insurance_usd - 0.005 * in_service).abs() < 1e-6,
            "month {}: insurance",
            m.month
        );
    }
    // Cumulative capex would still include the H100s.
    let cumulative: f64 = rep.months.iter().map(|m| m.capex_usd).sum();
    assert!(cumulative > hall + b200 + 0.5 * h100);
}

#[test]
fn a_replaced_battery_leaves_the_asset_register() {
    // A small battery cycled daily on a time-of-use tariff wears out after 40 cycles, so it is
    // replaced every month or two: the old one is written off, only the new one depreciates
    // and costs maintenance. (Wear of $20/kWh over 40 cycles is $0.50/kWh, below the spread.)
    let battery_kwh = 200.0;
    let per_kwh = 20.0;
    let text = with_maintenance(simple_scenario(20, 0.0, &super::common::one_node_mix(24.0), 24))
        .replace(
            "energy: (tariff: Flat(price_usd_per_kwh: 0.08)),",
            "energy: (
        tariff: TimeOfUse(peak_usd_per_kwh: 1.0, off_peak_usd_per_kwh: 0.02, peak_start_hour: 16, peak_end_hour: 21, weekdays_only: false),
        battery: (energy_mwh: 0.2, power_mw: 0.1, round_trip_efficiency_frac: 0.9, capex_usd_per_kwh: 20, life_cycles: 40, dispatch: PriceArbitrage),
    ),",
        );
    let rep = run(&load_text(&text), 1, 0);
    let battery = battery_kwh * per_kwh;
    let replaced: Vec<usize> = rep
        .months
        .iter()
        .enumerate()
        .filter(|(i, m)| *i > 0 && m.capex_energy_usd > 0.0)
        .map(|(i, _)| i)
        .collect();
    assert!(
        replaced.len() >= 3,
        "the battery must wear out several times: {replaced:?}"
    );
    let life = 20.0 * 12.0;
    let servers = 160.0 * 30_000.0 + 20.0 * 40_000.0;
    let hall = 0.5 * 10e6;
    let mut bought = 0;
    for (i, m) in rep.months.iter().enumerate() {
        if replaced.contains(&i) {
            assert!(
                (m.capex_energy_usd - battery).abs() < 1e-6,
                "month {i}: one battery bought"
            );
            // The old battery's book value at the start of the month is written off.
            let book = battery * (1.0 - (i - bought) as f64 / life);
            assert!(
                (m.gain_on_sale_usd + book).abs() < 1e-6,
                "month {i}: write-off {} vs {book}",
                m.gain_on_sale_usd
            );
            bought = i;
        } else {
            assert_eq!(m.gain_on_sale_usd, 0.0, "month {i}");
        }
        // One battery in the register at any time.
        let expected_dep =
            160.0 * 30_000.0 / 60.0 + 20.0 * 40_000.0 / 48.0 + hall / 240.0 + battery / life;
        assert!(
            (m.depreciation_usd - expected_dep).abs() < 1e-6,
            "month {i}: depreciation {} vs {expected_dep}",
            m.depreciation_usd
        );
        assert!(
            (m.maintenance_usd - 0.01 * (servers + hall + battery)).abs() < 1e-6,
            "month {i}: maintenance"
        );
    }
    let last = rep.months.last().expect("months");
    let n = rep.months.len() - 1;
    let book = 160.0 * 30_000.0 * (1.0 - 24.0 / 60.0)
        + 20.0 * 40_000.0 * (1.0 - 24.0 / 48.0)
        + hall * (1.0 - 24.0 / 240.0)
        + battery * (1.0 - (n + 1 - bought) as f64 / life);
    assert!(
        (last.book_value_usd - book).abs() < 1e-6,
        "book value {} vs {book}",
        last.book_value_usd
    );
}

#[test]
fn prepaid_service_beyond_the_horizon_is_deferred_revenue_not_free_value() {
    // One reserved contract of both nodes for 24 months, fully prepaid, in a 12-month horizon:
    // half the prepayment is service still owed at the horizon.
    let mix = |prepay: f64| {
        format!(
            "[(class: Reserved, share_frac: 1.0, size_gpus: 16, duration: Months(24), load_frac: 1.0, prepay_frac: {prepay})]"
        )
    };
    let prepaid = run(&load_text(&simple_scenario(2, 50.0, &mix(1.0), 12)), 3, 0);
    let monthly = run(&load_text(&simple_scenario(2, 50.0, &mix(0.0), 12)), 3, 0);
    let received: f64 = prepaid.months.iter().map(|m| m.prepayments_usd).sum();
    let recognised: f64 = prepaid.months.iter().map(|m| m.prepaid_revenue_usd).sum();
    let last = prepaid.months.last().expect("months");
    // The ledger carries the liability month by month.
    let mut deferred = 0.0;
    for m in &prepaid.months {
        deferred += m.prepayments_usd - m.prepaid_revenue_usd;
        assert!(
            (m.deferred_revenue_usd - deferred).abs() < 1e-6 * received,
            "month {}",
            m.month
        );
    }
    assert!((last.deferred_revenue_usd - (received - recognised)).abs() < 1e-6 * received);
    assert!(
        last.deferred_revenue_usd > 0.45 * received && last.deferred_revenue_usd < 0.55 * received,
        "half is owed: {} of {received}",
        last.deferred_revenue_usd
    );
    // The terminal value nets it out, and NPV uses that terminal value.
    assert!(
        (prepaid.kpis.terminal_value_usd - (last.book_value_usd - last.deferred_revenue_usd)).abs()
            < 1e-6 * received
    );
    let mut flows: Vec<f64> = prepaid.months.iter().map(|m| m.fcf_usd).collect();
    *flows.last_mut().expect("months") += prepaid.kpis.terminal_value_usd;
    assert!((prepaid.kpis.npv_usd - npv(0.1, &flows).expect("finite")).abs() < 1e-6 * received);
    // Prepaying gains only the time value of holding the cash (at most a year at 10 % on the
    // whole prepayment), not the undelivered half of the prepayment.
    let gain = prepaid.kpis.npv_usd - monthly.kpis.npv_usd;
    assert!(
        gain > 0.0 && gain < 0.1 * received,
        "NPV gain from prepaying {gain} of a prepayment of {received}"
    );
}

#[test]
fn minimum_dscr_is_taken_over_the_repayment_period() {
    use dcplan_sim::model::finance::dscr_by_year;
    let rep = run(&load_text(&financed_scenario(1.0)), 4, 0);
    let repaying: Vec<f64> = rep
        .months
        .iter()
        .filter(|m| m.principal_usd > 0.0)
        .map(|m| m.dscr)
        .collect();
    let all: Vec<f64> = rep
        .months
        .iter()
        .map(|m| m.dscr)
        .filter(|d| d.is_finite())
        .collect();
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(!repaying.is_empty());
    assert_eq!(rep.kpis.min_dscr, Some(min(&repaying)));
    // Grace months during the ramp-up are lower (negative cash flow) and do not count.
    assert!(
        min(&all) < min(&repaying),
        "the test needs a grace period below the repayment months: {} vs {}",
        min(&all),
        min(&repaying)
    );
    let years = dscr_by_year(&rep.months);
    assert_eq!(years.len(), 4);
    let lowest = years
        .iter()
        .flatten()
        .copied()
        .fold(f64::INFINITY, f64::min);
    assert_eq!(rep.kpis.min_annual_dscr, Some(lowest));
    // Each year's value is its repayment months' CFADS over their debt service.
    for (y, value) in years.iter().enumerate() {
        let months: Vec<_> = rep.months[y * 12..(y + 1) * 12]
            .iter()
            .filter(|m| m.principal_usd > 0.0)
            .collect();
        let service: f64 = months.iter().map(|m| m.debt_service_usd).sum();
        let cfads: f64 = months.iter().map(|m| m.ebitda_usd - m.tax_usd).sum();
        match value {
            Some(v) => assert!(
                (v - cfads / service).abs() < 1e-12 * v.abs().max(1.0),
                "year {y}"
            ),
            None => assert!(months.is_empty(), "year {y}"),
        }
    }
}

#[test]
fn losses_from_earlier_years_offset_at_most_the_capped_share_of_taxable_income() {
    // The US rule: losses carried into a later tax year offset at most 80 % of taxable income;
    // losses of the same year offset in full.
    let text = financed_scenario(1.5).replace(
        "tax: (rate_frac: 0.25),",
        "tax: (rate_frac: 0.25, carryforward_cap_frac: 0.8),",
    );
    let capped = run(&load_text(&text), 4, 0);
    let free = run(&load_text(&financed_scenario(1.5)), 4, 0);
    let mut cap_bound = false;
    let mut pool = 0.0;
    for (y, &(taxable, charged, expected, _)) in yearly_tax(&capped, 0.8).iter().enumerate() {
        assert!(
            (charged - expected).abs() < 1e-6 * expected.abs().max(1.0),
            "year {y}: taxable {taxable}, tax charged {charged}, expected {expected}"
        );
        cap_bound |= taxable > 0.0 && pool > 0.8 * taxable;
        pool += (-taxable).max(0.0)
            - if taxable > 0.0 {
                f64::min(pool, 0.8 * taxable)
            } else {
                0.0
            };
    }
    assert!(
        cap_bound,
        "the scenario must have earlier losses larger than the cap allows"
    );
    // The cap brings tax forward: never less paid so far, and more at some month end.
    let (mut paid_capped, mut paid_free, mut earlier_tax) = (0.0, 0.0, false);
    for (c, f) in capped.months.iter().zip(&free.months) {
        paid_capped += c.tax_usd;
        paid_free += f.tax_usd;
        assert!(paid_capped >= paid_free - 1e-6, "month {}", c.month);
        earlier_tax |= paid_capped > paid_free + 1.0;
    }
    assert!(earlier_tax);
    // Pre-tax project metrics do not depend on tax; after-tax ones do.
    assert_eq!(capped.kpis.npv_usd, free.kpis.npv_usd);
    let equity_irr =
        |r: &dcplan_sim::Replication| r.kpis.equity_irr_frac.expect("equity has an IRR");
    assert!(
        equity_irr(&capped) < equity_irr(&free),
        "tax paid earlier lowers the equity IRR"
    );
}

#[test]
fn a_ledger_line_that_is_not_a_number_fails_the_replication_naming_it() {
    use dcplan_sim::model::finance::{AssetClass, kpis};
    use dcplan_sim::replication::run_built;
    let loaded = load_text(&financed_scenario(1.0));
    let (mut engine, params) = build(&loaded, 4, 0, &Default::default());
    // A server purchase whose price is not a number, booked in month 0.
    engine
        .world
        .resource_mut::<Ledger>()
        .book_capex(AssetClass::GpuServers, f64::NAN, 1, 0);
    let err = run_built(engine, params, 0).expect_err("no results from a NaN");
    assert!(
        err.starts_with("not a number in the results: month 0: "),
        "{err}"
    );
    assert!(err.contains("ledger line capex_gpu_usd is NaN"), "{err}");
    // Without that check the KPIs would have been numbers; the ledger refuses them too.
    let (mut engine, _) = build(&loaded, 4, 0, &Default::default());
    engine
        .world
        .resource_mut::<Ledger>()
        .book_capex(AssetClass::Network, f64::INFINITY, 1, 0);
    engine.initialize().expect("schedules build");
    engine.run_until(dcplan_sim::time::Calendar::new(loaded.scenario.simulation.start, 48).end());
    let ledger = engine.world.resource::<Ledger>();
    let why = ledger.non_finite().expect("a line is not finite");
    assert!(
        why.starts_with("month 0: ") && why.contains("ledger line capex_network_usd is inf"),
        "{why}"
    );
    assert!(kpis(ledger).is_err());
}

/// `tiny.ron` with `pricing.tokens` set to `tokens` (RON).
fn tiny_with_tokens(tokens: &str) -> String {
    let text = std::fs::read_to_string(super::common::scenario_path("tiny.ron")).expect("tiny.ron");
    let at = "        reserved_discount_frac: 0.2,";
    assert!(text.contains(at));
    text.replacen(at, &format!("        tokens: {tokens},\n{at}"), 1)
}

#[test]
fn tokens_are_sold_gpu_hours_times_tokens_per_gpu_hour_and_change_nothing_else() {
    let plain = run(&super::common::load("tiny.ron"), 3, 1);
    let own = run(
        &load_text(&tiny_with_tokens(
            "(per_gpu_hour: [(sku: \"H100-SXM\", tokens_per_gpu_hour: 5e6)])",
        )),
        3,
        1,
    );
    let catalog = run(&load_text(&tiny_with_tokens("()")), 3, 1);
    use dcplan_sim::results::Kpi;
    let token_kpis = [
        Kpi::ServedTokens,
        Kpi::RevenueUsdPerMtok,
        Kpi::CostUsdPerMtok,
    ];
    for (with, per_hour) in [(&own, 5e6), (&catalog, 9_812_700.0)] {
        for (m, p) in with.months.iter().zip(&plain.months) {
            assert!(
                p.served_tokens.is_nan(),
                "no tokens counted without pricing.tokens"
            );
            let expected = m.sold_gpu_hours * per_hour;
            assert!(
                (m.served_tokens - expected).abs() <= 1e-9 * expected.max(1.0),
                "month {}: {} vs {expected}",
                m.month,
                m.served_tokens
            );
            // Counting tokens changes no other number.
            for c in dcplan_sim::MonthRow::COLUMNS
                .iter()
                .filter(|c| c.name != "served_tokens")
            {
                assert_eq!(
                    m.get(c.name).map(f64::to_bits),
                    p.get(c.name).map(f64::to_bits),
                    "{}",
                    c.name
                );
            }
        }
        for &k in Kpi::ALL.iter().filter(|k| !token_kpis.contains(k)) {
            assert_eq!(
                with.kpis.value(k).map(f64::to_bits),
                plain.kpis.value(k).map(f64::to_bits),
                "{k:?}"
            );
        }
        let k = &with.kpis;
        let tokens: f64 = with.months.iter().map(|m| m.served_tokens).sum();
        assert!(tokens > 0.0);
        assert_eq!(k.served_tokens, Some(tokens));
        let all_in: f64 = with
            .months
            .iter()
            .map(|m| m.opex_usd + m.depreciation_usd + m.interest_usd)
            .sum();
        let close = |a: Option<f64>, b: f64| (a.expect("a value") - b).abs() <= 1e-9 * b.abs();
        assert!(close(k.revenue_usd_per_mtok, k.revenue_usd / tokens * 1e6));
        assert!(close(k.cost_usd_per_mtok, all_in / tokens * 1e6));
    }
    for k in token_kpis {
        assert_eq!(plain.kpis.value(k), None, "{k:?}");
    }
}

#[test]
fn counting_tokens_needs_a_figure_for_every_sku_the_fleet_uses() {
    let problems = |text: &str| -> Vec<String> {
        match dcplan_sim::load_str("test.ron", text) {
            Ok(_) => Vec::new(),
            Err(dcplan_sim::scenario::ScenarioError::Invalid { problems, .. }) => {
                problems.into_iter().map(|p| p.path).collect()
            }
            Err(e) => panic!("{e}"),
        }
    };
    let other = tiny_with_tokens("(per_gpu_hour: [(sku: \"B200\", tokens_per_gpu_hour: 4e7)])");
    assert!(
        problems(&other).contains(&"pricing.tokens.per_gpu_hour[0].sku".to_string()),
        "{:?}",
        problems(&other)
    );
    // The catalog has no published figure for this SKU.
    let rack = tiny_with_tokens("()").replace("H100-SXM", "GB300-NVL72");
    assert!(
        problems(&rack).contains(&"pricing.tokens.per_gpu_hour".to_string()),
        "{:?}",
        problems(&rack)
    );
    let given =
        tiny_with_tokens("(per_gpu_hour: [(sku: \"GB300-NVL72\", tokens_per_gpu_hour: 4e7)])")
            .replace("H100-SXM", "GB300-NVL72");
    assert!(
        !problems(&given).contains(&"pricing.tokens.per_gpu_hour".to_string()),
        "{:?}",
        problems(&given)
    );
}

#[test]
fn credits_that_take_back_all_revenue_leave_no_margin_and_no_break_even_price() {
    // One anchor on the whole fleet, with failures so frequent that availability stays near 73 %
    // (8 GPUs x 60 x 0.173 = 83 failures per node-year, repairs of 0.26 x 120 + 0.74 x 10 = 38.6
    // hours on average: 83 x 38.6 / 8760 = 0.37 down per up, 27 % down), and below 95 % in every
    // month even without a hardware failure (the restarts alone take 7 %): the top SLA tier
    // (below 95 %) credits every dollar billed. Revenue is then
    // billings less equal credits, zero up to rounding, and a margin over it means nothing.
    let text = r#"Scenario(
    name: "all-credited",
    site: (
        name: "cage",
        pue: 1.25,
        it_overhead_frac: 0.0,
        phases: [(name: "cage", it_mw: 0.1, ready_month: 0, capex_usd_per_mw: 10e6)],
    ),
    fleet: [(name: "h100", sku: "H100-SXM", gpus: 64, price_usd_per_gpu: 30000, network_usd_per_node: 40000, lead_time_months: 0)],
    energy: (tariff: Flat(price_usd_per_kwh: 0.10)),
    reliability: (failures: true, failure_rate_multiplier: 60, transient_repair_hours: 10, permanent_repair_days: 5),
    demand: (
        arrivals_per_day: 0,
        mix: [(class: OnDemand, share_frac: 1.0, size_gpus: 8, duration: Hours(24), load_frac: 0.5)],
        anchors: [(name: "a", sku: "H100-SXM", gpus: 64, duration: Months(120), price_usd_per_gpu_hour: 2.0, load_frac: 1.0)],
    ),
    pricing: (market: [(sku: "H100-SXM", on_demand_usd_per_gpu_hour: 3.0)], reserved_discount_frac: 0.2),
    finance: (
        discount_rate_frac: 0.12,
        depreciation_years: (gpu_servers: 5.0, network: 5.0, facility: 20.0),
        opex: (staff_usd_per_mw_year: 0, staff_usd_per_1000_gpus_year: 0, maintenance_frac_of_capex_per_year: 0),
    ),
    simulation: (start: (year: 2027, month: 1), horizon_months: 24, replications: 2, seed: 7),
)"#;
    let loaded = load_text(text);
    for r in 0..4 {
        let rep = run(&loaded, 7, r);
        let billed: f64 = rep
            .months
            .iter()
            .map(|m| m.revenue_reserved_usd + m.revenue_on_demand_usd + m.revenue_spot_usd)
            .sum();
        assert!(billed > 1e5, "the anchor bills: {billed}");
        assert!(
            rep.kpis.revenue_usd.abs() < 1e-6 * billed,
            "everything is credited back: revenue {}",
            rep.kpis.revenue_usd
        );
        assert_eq!(rep.kpis.ebitda_margin_frac, None, "replication {r}");
        assert_eq!(rep.kpis.operating_margin_frac, None);
        assert_eq!(rep.kpis.net_margin_frac, None);
        assert_eq!(rep.kpis.break_even_price_usd_per_gpu_hour, None);
    }
}
