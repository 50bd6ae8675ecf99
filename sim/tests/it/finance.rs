//! The ledger on hand-checkable cases.

use dcplan_sim::metrics::{irr, npv, payback_months};

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
