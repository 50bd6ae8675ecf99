//! The ledger on hand-checkable cases.

use dcplan_sim::metrics::{irr, npv, payback_months};
use dcplan_sim::model::build;
use dcplan_sim::model::finance::Ledger;

use super::common::{load_text, run, simple_scenario};

#[test]
fn capex_depreciation_and_cash_without_demand() {
    // 2 nodes of 8 GPUs at $30k per GPU and $40k network per node; a 1,000 MW hall at $10M/MW
    // would dwarf everything, so use the ledger's own numbers: no demand, no opex inputs.
    let text = simple_scenario(2, 0.0, "[(class: OnDemand, share_frac: 1.0, size_gpus: 8, duration: Hours(1), load_frac: 0.5)]", 24)
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
        assert!((m.depreciation_usd - dep).abs() < 1e-6, "month {}: {}", m.month, m.depreciation_usd);
        assert_eq!(m.revenue_usd, 0.0);
    }
    // Book value after 24 months.
    let book = gpu_capex * (1.0 - 24.0 / 60.0) + network_capex * (1.0 - 24.0 / 48.0) + facility_capex * (1.0 - 24.0 / 240.0);
    let last = rep.months.last().expect("24 months");
    assert!((last.book_value_usd - book).abs() < 1e-6);
    // Cash is capex plus energy of idle nodes; NPV adds the book value as terminal value.
    let flows: Vec<f64> = rep.months.iter().map(|m| m.fcf_usd).collect();
    assert!((rep.kpis.terminal_value_usd - book).abs() < 1e-6);
    let mut with_tv = flows.clone();
    *with_tv.last_mut().expect("24 months") += book;
    assert!((rep.kpis.npv_usd - npv(0.1, &with_tv)).abs() < 1e-6);
    assert_eq!(rep.kpis.payback_months, None);
    assert_eq!(payback_months(&flows), None);
    assert!((rep.kpis.peak_funding_usd + last.cumulative_cash_usd).abs() < 1e-6);
}

#[test]
fn revenue_of_a_reserved_contract_is_price_times_gpu_hours() {
    // One reserved contract of 2 nodes for 3 months arrives almost surely in the first hours.
    let mix = "[(class: Reserved, share_frac: 1.0, size_gpus: 16, duration: Months(3), load_frac: 1.0)]";
    let loaded = load_text(&simple_scenario(2, 50.0, mix, 2));
    let rep = run(&loaded, 3, 0);
    let m0 = &rep.months[0];
    // Reserved price is 2.0 x (1 - 0.25) = 1.5 per GPU-hour; 16 GPUs sold for every hour after placement.
    assert!((m0.revenue_reserved_usd - 1.5 * m0.sold_gpu_hours).abs() < 1e-6);
    assert!(m0.sold_gpu_hours > 16.0 * (744.0 - 2.0), "{}", m0.sold_gpu_hours);
    assert!((rep.months[1].sold_gpu_hours - 16.0 * 672.0).abs() < 1e-6);
    assert_eq!(m0.revenue_on_demand_usd, 0.0);
}

#[test]
fn irr_of_the_ledger_is_consistent_with_its_npv() {
    let loaded = super::common::load("tiny.ron");
    let rep = run(&loaded, 7, 0);
    let mut flows: Vec<f64> = rep.months.iter().map(|m| m.fcf_usd).collect();
    *flows.last_mut().expect("months") += rep.kpis.terminal_value_usd;
    let r = irr(&flows).expect("tiny has an irr");
    assert_eq!(rep.kpis.irr_frac, Some(r));
    assert!(npv(r, &flows).abs() < 1e-3 * rep.kpis.capex_usd.abs() * 1e-3);
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
        let fcf = r.ebitda_usd + r.prepayments_usd - r.prepaid_revenue_usd - r.capex_usd + r.resale_usd;
        assert!((r.fcf_usd - fcf).abs() < tol(fcf), "month {}: fcf", r.month);
        let change = r.fcf_usd + r.debt_drawn_usd - r.debt_service_usd - r.tax_usd;
        assert!((r.cash_usd - (cash + change)).abs() < tol(r.cash_usd), "month {}: cash", r.month);
        cash = r.cash_usd;
        assert!((r.debt_service_usd - (r.interest_usd + r.principal_usd)).abs() < tol(r.debt_service_usd));
        assert!((r.debt_outstanding_usd - (debt + r.debt_drawn_usd - r.principal_usd)).abs() < tol(r.debt_outstanding_usd), "month {}: debt", r.month);
        debt = r.debt_outstanding_usd;
        assert!((r.net_income_usd - (r.ebit_usd - r.interest_usd - r.tax_usd)).abs() < tol(r.net_income_usd));
        assert!((r.ebit_usd - (r.ebitda_usd - r.depreciation_usd + r.gain_on_sale_usd)).abs() < tol(r.ebit_usd));
        assert!((r.ebitda_usd - (r.revenue_usd - r.opex_usd)).abs() < tol(r.ebitda_usd));
    }
    // Both loans were used and the facility was paid in six construction draws.
    assert!(rep.months.iter().filter(|r| r.capex_facility_usd > 0.0).count() == 6);
    assert!(rep.months.iter().map(|r| r.debt_drawn_usd).sum::<f64>() > 0.0);
    let k = &rep.kpis;
    assert!(k.min_dscr.is_some() && k.equity_irr_frac.is_some());
    assert!(k.ebitda_margin_frac > k.operating_margin_frac && k.operating_margin_frac > k.net_margin_frac);
}

#[test]
fn each_loan_is_repaid_exactly_at_its_tenor() {
    let loaded = load_text(&financed_scenario(1.0));
    let (mut engine, _) = build(&loaded, 4, 0, &Default::default());
    engine.initialize().expect("schedules build");
    engine.run_until(dcplan_sim::time::Calendar::new(loaded.scenario.simulation.start, 48).end());
    let ledger = engine.world.resource::<Ledger>();
    for (loan, tenor) in ledger.loan_balances.iter().zip([30usize, 40]) {
        let first = loan.iter().position(|b| *b > 0.0).expect("the loan was drawn");
        let maturity = first + tenor - 1;
        assert!(loan[maturity - 1] > 0.0, "still owed the month before maturity");
        assert_eq!(loan[maturity], 0.0, "repaid at maturity");
        assert!(loan[maturity..].iter().all(|b| *b == 0.0));
    }
}

#[test]
fn an_annuity_pays_level_instalments_after_its_grace_period() {
    use dcplan_sim::scenario::Amortization;
    // Drive the loan arithmetic directly through a one-draw ledger run: 16 GPUs bought at month
    // 0 with a 70 % loan at 12 %/yr over 24 months, 4 of them interest only.
    let text = financed_scenario(1.0)
        .replace("tenor_months: 30, grace_months: 3", "tenor_months: 24, grace_months: 4")
        .replace("rate_frac: 0.1,", "rate_frac: 0.12,")
        .replace("retire_after_months: 36", "retire_after_months: 60")
        .replace("gpus: 160", "gpus: 16");
    let rep = run(&load_text(&text), 4, 0);
    let _ = Amortization::Annuity;
    let r = 1.12f64.powf(1.0 / 12.0) - 1.0;
    let principal = 0.7 * (16.0 * 30_000.0 + 2.0 * 40_000.0);
    let payment = principal * r / (1.0 - (1.0 + r).powi(-20));
    // The hall loan is linear; isolate the GPU loan by subtracting the hall loan's service.
    let hall_only = run(&load_text(&text.replace("financing: \"gpu-loan\",", "")), 4, 0);
    let gpu_service: Vec<f64> = rep.months.iter().zip(&hall_only.months).map(|(a, b)| a.debt_service_usd - b.debt_service_usd).collect();
    let first = rep.months.iter().position(|m| m.debt_drawn_usd - hall_only.months[m.month as usize].debt_drawn_usd > 0.0).expect("drawn");
    for k in 1..4 {
        assert!((gpu_service[first + k] - principal * r).abs() < 1e-6, "month {k}: interest only");
    }
    for k in 4..24 {
        assert!((gpu_service[first + k] - payment).abs() < 1e-6, "month {k}: level payment {} vs {payment}", gpu_service[first + k]);
    }
    assert!(gpu_service[first + 24].abs() < 1e-9);
}

#[test]
fn losses_are_carried_forward_against_later_profits() {
    // At 1.5 times the base prices the build turns profitable and uses up its early losses.
    let rep = run(&load_text(&financed_scenario(1.5)), 4, 0);
    let mut pool = 0.0;
    let mut used_pool = false;
    for r in &rep.months {
        let taxable = r.ebit_usd - r.interest_usd;
        let expected = if taxable < 0.0 {
            pool -= taxable;
            0.0
        } else {
            let used = pool.min(taxable);
            pool -= used;
            used_pool |= used > 0.0;
            0.25 * (taxable - used)
        };
        assert!((r.tax_usd - expected).abs() < 1e-6, "month {}: tax {} vs {expected}", r.month, r.tax_usd);
    }
    assert!(used_pool, "the scenario must have a loss followed by a profit");
    assert!(rep.kpis.tax_usd > 0.0);
}

#[test]
fn running_at_the_break_even_price_gives_zero_npv() {
    let base = run(&load_text(&financed_scenario(1.0)), 4, 0);
    let break_even = base.kpis.break_even_price_usd_per_gpu_hour.expect("has a break-even price");
    let realized = base.kpis.realized_price_usd_per_gpu_hour.expect("sold something");
    let scale = break_even / realized;
    assert!((scale - 1.0).abs() > 0.05, "the test needs NPV away from zero at the base price: scale {scale}");
    let at = run(&load_text(&financed_scenario(scale)), 4, 0);
    assert!(at.kpis.npv_usd.abs() < 1e-6 * base.kpis.capex_usd, "NPV at the break-even price: {}", at.kpis.npv_usd);
    assert!((at.kpis.realized_price_usd_per_gpu_hour.expect("sold") - break_even).abs() < 1e-9 * break_even);
}
