//! Pro forma statements: the balance sheet balances in every period, the cash-flow statement
//! reconciles to the ledger's cash, and the statements' totals equal the monthly ledger, for every
//! shipped scenario.

use dcplan_sim::proforma::{self, Period, Statements};
use dcplan_sim::results::MonthRow;

use super::common::{load, run, shipped_scenarios};

/// Every shipped scenario, by its name under `scenarios/`.
fn shipped() -> Vec<String> {
    shipped_scenarios()
        .iter()
        .map(|p| p.file_name().expect("file").to_string_lossy().into_owned())
        .collect()
}

/// Agreement to rounding: `a` and `b` within 1e-9 of the larger of `scale` and 1 USD.
fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-9 * scale.max(1.0)
}

/// The largest magnitude among the ledger's money balances and cumulative flows, for tolerances.
fn scale(rows: &[MonthRow]) -> f64 {
    rows.iter()
        .map(|r| {
            r.book_value_usd.abs()
                + r.debt_outstanding_usd.abs()
                + r.cash_usd.abs()
                + r.deferred_revenue_usd.abs()
                + r.cumulative_cash_usd.abs()
        })
        .fold(0.0, f64::max)
        + rows
            .iter()
            .map(|r| r.capex_usd.abs() + r.revenue_usd.abs())
            .sum::<f64>()
}

fn check(name: &str, rows: &[MonthRow], s: &Statements) {
    let tol = scale(rows);
    let v = |k: &str| s.values(k).to_vec();
    for (i, (first, last)) in s.spans.iter().enumerate() {
        let at = format!("{name}, months {first}..={last}");
        // The balance sheet balances.
        let assets = v("bs_cash")[i] + v("bs_ppe")[i];
        // Net PP&E by asset class adds up to net PP&E.
        let classes: f64 = dcplan_sim::proforma::PPE_CLASSES
            .iter()
            .map(|(key, _, _)| v(key)[i])
            .sum();
        assert!(close(classes, v("bs_ppe")[i], tol), "{at}: PP&E classes");
        assert_eq!(
            v("bs_ppe")[i].to_bits(),
            rows[*last as usize].book_value_usd.to_bits(),
            "{at}: net PP&E is the ledger's book value"
        );
        assert!(close(assets, v("bs_assets")[i], tol), "{at}: total assets");
        let claims = v("bs_deferred_revenue")[i]
            + v("bs_debt")[i]
            + v("bs_paid_in")[i]
            + v("bs_retained")[i];
        assert!(
            close(assets, claims, tol) && close(assets, v("bs_liabilities_equity")[i], tol),
            "{at}: assets {assets} vs liabilities and equity {claims}"
        );
        // The cash-flow statement reconciles to the balance sheet's cash and the ledger's.
        let start = v("cf_cash_start")[i];
        let end = v("cf_cash_end")[i];
        assert!(
            close(start + v("cf_net_change")[i], end, tol),
            "{at}: cash roll-forward"
        );
        assert!(
            close(end, v("bs_cash")[i], tol),
            "{at}: cash on both statements"
        );
        let ledger_cash = rows[*last as usize].cash_usd;
        assert!(
            close(end - v("bs_paid_in")[i], ledger_cash, tol),
            "{at}: cash less paid-in equity is the ledger's cumulative equity cash flow"
        );
        assert!(
            end >= -1e-9 * tol.max(1.0),
            "{at}: equity keeps cash from going below zero"
        );
        // Operating + investing + debt = the ledger's equity cash flow over the period.
        let equity_cf: f64 = rows[*first as usize..=*last as usize]
            .iter()
            .map(|r| r.equity_cash_flow_usd)
            .sum();
        let unlevered = v("cf_operating")[i]
            + v("cf_investing")[i]
            + v("cf_debt_drawn")[i]
            + v("cf_debt_repaid")[i];
        assert!(
            close(unlevered, equity_cf, tol),
            "{at}: cash flows before equity"
        );
        // The debt schedule rolls forward.
        assert!(
            close(
                v("debt_opening")[i] + v("debt_drawn")[i] + v("debt_principal")[i],
                v("debt_closing")[i],
                tol
            ),
            "{at}: debt roll-forward"
        );
        // The income statement adds up.
        let revenue = v("revenue_reserved")[i]
            + v("revenue_on_demand")[i]
            + v("revenue_spot")[i]
            + v("sla_credits")[i]
            + v("revenue_lost_to_cap")[i];
        assert!(close(revenue, v("revenue")[i], tol), "{at}: revenue lines");
        let opex: f64 = [
            "energy",
            "staff",
            "maintenance",
            "insurance",
            "software",
            "network_transit",
            "sga",
            "rent",
        ]
        .iter()
        .map(|k| v(k)[i])
        .sum();
        assert!(close(opex, v("opex")[i], tol), "{at}: operating cost lines");
        assert!(
            close(v("revenue")[i] + v("opex")[i], v("ebitda")[i], tol),
            "{at}: EBITDA"
        );
        assert!(
            close(
                v("ebitda")[i] + v("depreciation")[i] + v("gain_on_disposal")[i],
                v("ebit")[i],
                tol
            ),
            "{at}: EBIT"
        );
        assert!(
            close(
                v("ebit")[i] + v("interest")[i] + v("tax")[i],
                v("net_income")[i],
                tol
            ),
            "{at}: net income"
        );
    }
    // Totals over the horizon equal the monthly ledger's.
    let total = |k: &str| s.values(k).iter().sum::<f64>();
    let ledger = |f: fn(&MonthRow) -> f64| rows.iter().map(f).sum::<f64>();
    for (k, sign, f) in [
        (
            "revenue",
            1.0,
            (|r: &MonthRow| r.revenue_usd) as fn(&MonthRow) -> f64,
        ),
        ("opex", -1.0, |r| r.opex_usd),
        ("ebitda", 1.0, |r| r.ebitda_usd),
        ("depreciation", -1.0, |r| r.depreciation_usd),
        ("interest", -1.0, |r| r.interest_usd),
        ("tax", -1.0, |r| r.tax_usd),
        ("net_income", 1.0, |r| r.net_income_usd),
        ("cf_debt_drawn", 1.0, |r| r.debt_drawn_usd),
        ("debt_service", 1.0, |r| r.debt_service_usd),
    ] {
        assert!(
            close(total(k), sign * ledger(f), tol),
            "{name}: {k} over the horizon"
        );
    }
    let capex = -(total("cf_capex_gpu")
        + total("cf_capex_network")
        + total("cf_capex_facility")
        + total("cf_capex_energy"));
    assert!(
        close(capex, ledger(|r| r.capex_usd), tol),
        "{name}: capex over the horizon"
    );
}

#[test]
fn statements_balance_reconcile_and_add_up_for_every_shipped_scenario() {
    let names = shipped();
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        let loaded = load(name);
        let r = run(&loaded, loaded.scenario.simulation.seed, 0);
        for period in [Period::Year, Period::Quarter] {
            let s = proforma::statements(&r.months, period);
            assert_eq!(
                s.spans.len(),
                r.months.len().div_ceil(period.months()),
                "{name}: one column per period"
            );
            check(name, &r.months, &s);
        }
        // Quarters add up to years.
        let (y, q) = (
            proforma::statements(&r.months, Period::Year),
            proforma::statements(&r.months, Period::Quarter),
        );
        let tol = scale(&r.months);
        for k in ["revenue", "net_income", "cf_operating", "cf_investing"] {
            for (i, year) in y.values(k).iter().enumerate() {
                let quarters: f64 = q.values(k).iter().skip(4 * i).take(4).sum();
                assert!(close(*year, quarters, tol), "{name}: {k} year {i}");
            }
        }
        // Sources equal uses at financial close.
        let su = proforma::sources_and_uses(&r.months);
        assert!(
            close(su.total_sources(), su.total_uses(), tol),
            "{name}: sources {} vs uses {}",
            su.total_sources(),
            su.total_uses()
        );
        assert!(
            su.sources
                .iter()
                .chain(&su.uses)
                .all(|(_, v)| v.is_finite())
        );
    }
}

#[test]
fn the_median_npv_replication_is_the_middle_one() {
    assert_eq!(proforma::median_index(&[5.0, -1.0, 3.0]), Some(2));
    assert_eq!(proforma::median_index(&[4.0, 1.0, 3.0, 2.0]), Some(3));
    assert_eq!(proforma::median_index(&[]), None);
    assert_eq!(proforma::median_index(&[1.0, f64::NAN]), None);
}
