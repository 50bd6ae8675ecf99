//! `report.xlsx`: the workbook's numbers are the run's tables, read back with a reader crate.

use calamine::{Data, Reader, Xlsx, open_workbook};
use dcplan::render::tables::read_parquet;

use super::common::{ok, scenario};

fn float(d: Option<&Data>) -> Option<f64> {
    match d {
        Some(Data::Float(x)) => Some(*x),
        Some(Data::Int(i)) => Some(*i as f64),
        _ => None,
    }
}

fn text(d: Option<&Data>) -> String {
    match d {
        Some(Data::String(s)) => s.clone(),
        _ => String::new(),
    }
}

#[test]
fn the_workbook_holds_the_runs_kpis_and_statements_of_the_tables() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    ok(
        tmp.path(),
        &[
            "run",
            tiny.to_str().expect("utf-8"),
            "-r",
            "9",
            "--out",
            "t",
            "-q",
        ],
    );
    let dir = tmp.path().join("t");
    let mut wb: Xlsx<_> = open_workbook(dir.join("report.xlsx")).expect("opens");
    assert_eq!(
        wb.sheet_names(),
        [
            "KPIs",
            "Income statement",
            "Cash flow",
            "Balance sheet",
            "Debt schedule",
            "Sources and uses",
            "Assumptions",
            "Risk",
            "Runs",
            "About"
        ]
    );

    // Runs: every KPI of every replication is the runs table's.
    let runs = read_parquet(&dir.join("runs.parquet")).expect("runs");
    let sheet = wb.worksheet_range("Runs").expect("Runs");
    let header: Vec<String> = (0..sheet.width())
        .map(|c| text(sheet.get((0, c))))
        .collect();
    let n = runs.height();
    assert_eq!(sheet.height(), n + 1, "one row per replication");
    let mut compared = 0;
    for (c, name) in header.iter().enumerate().skip(1) {
        let col = runs
            .column(name)
            .expect("a runs column")
            .f64()
            .expect("f64");
        for i in 0..n {
            let (want, got) = (col.get(i), float(sheet.get((i + 1, c))));
            match want {
                Some(w) if w.is_finite() => {
                    assert_eq!(got, Some(w), "{name} of replication {i}");
                    compared += 1;
                }
                _ => assert_eq!(got, None, "{name}: no number where the table has none"),
            }
        }
    }
    assert!(compared > 20 * n, "{compared}");

    // KPIs: P50 of NPV is the median of the runs table's NPV.
    let kpis = wb.worksheet_range("KPIs").expect("KPIs");
    let row = (1..kpis.height())
        .find(|r| text(kpis.get((*r, 9))) == "npv_usd")
        .expect("an NPV row");
    let npv_col = runs.column("npv_usd").expect("npv").f64().expect("f64");
    let npv: Vec<Option<f64>> = (0..n).map(|i| npv_col.get(i)).collect();
    let s = dcplan_sim::stats::summarize(&npv);
    assert_eq!(float(kpis.get((row, 5))), Some(s.p50));
    assert_eq!(float(kpis.get((row, 2))), Some(s.mean));

    // Income statement: net income of each year is the monthly ledger's of the median-NPV
    // replication, and the balance sheet balances in every year (cached formula values).
    let is = wb.worksheet_range("Income statement").expect("IS");
    let title = text(is.get((0, 0)));
    let rep: u64 = title
        .split('#')
        .nth(1)
        .and_then(|t| t.split(',').next())
        .and_then(|t| t.trim().parse().ok())
        .expect("the replication in the title");
    let monthly = read_parquet(&dir.join("monthly.parquet")).expect("monthly");
    let reps = monthly
        .column("replication")
        .expect("rep")
        .u64()
        .expect("u64");
    let months = monthly.column("month").expect("month").u32().expect("u32");
    let ni = monthly
        .column("net_income_usd")
        .expect("ni")
        .f64()
        .expect("f64");
    let ni_row = (3..is.height())
        .find(|r| text(is.get((*r, 0))) == "Net income")
        .expect("net income");
    let years = is.width() - 1;
    assert!(years >= 1);
    for y in 0..years {
        let want: f64 = (0..monthly.height())
            .filter(|&i| {
                reps.get(i) == Some(rep) && months.get(i).is_some_and(|m| (m as usize) / 12 == y)
            })
            .map(|i| ni.get(i).unwrap_or(f64::NAN))
            .sum();
        let got = float(is.get((ni_row, y + 1))).expect("a number");
        assert!(
            (got - want).abs() <= 1e-6 * want.abs().max(1.0),
            "year {y}: {got} vs {want}"
        );
    }
    let bs = wb.worksheet_range("Balance sheet").expect("BS");
    let find = |label: &str| {
        (3..bs.height())
            .find(|r| text(bs.get((*r, 0))) == label)
            .unwrap_or_else(|| panic!("{label}"))
    };
    let (assets, claims) = (find("Total assets"), find("Total liabilities and equity"));
    for y in 0..years {
        let a = float(bs.get((assets, y + 1))).expect("assets");
        let c = float(bs.get((claims, y + 1))).expect("claims");
        assert!(
            (a - c).abs() <= 1e-6 * a.abs().max(1.0),
            "year {y}: {a} vs {c}"
        );
    }

    // Assumptions carry labels, values, distributions, units, sources and quality tags, with
    // the field path last.
    let a = wb.worksheet_range("Assumptions").expect("assumptions");
    assert!(a.height() > 20);
    let header: Vec<String> = (0..7).map(|c| text(a.get((0, c)))).collect();
    assert_eq!(
        header,
        [
            "Input",
            "Value",
            "Distribution",
            "Unit",
            "Source",
            "Quality",
            "Field path"
        ]
    );
    assert!(
        (1..a.height()).any(|r| matches!(text(a.get((r, 5))).as_str(), "P" | "S" | "E" | "D")),
        "some inputs are tagged"
    );
    assert!(
        (1..a.height()).any(|r| text(a.get((r, 5))) == "default"),
        "defaults are tagged as such"
    );
    for r in 1..a.height() {
        let (label, value, path) = (
            text(a.get((r, 0))),
            text(a.get((r, 1))),
            text(a.get((r, 6))),
        );
        assert!(
            !label.is_empty() && !label.contains('[') && label != path,
            "row {r}: label {label:?} for {path}"
        );
        assert!(!value.contains("Some("), "row {r}: {path} = {value}");
        assert!(!path.is_empty(), "row {r}: no field path");
    }
    // The risk sheet names its statistics as the report does; CVaR is money, not a share.
    let risk = wb.worksheet_range("Risk").expect("risk");
    let cvar = (1..risk.height())
        .find(|&r| text(risk.get((r, 0))).starts_with("CVaR 5 % of NPV"))
        .expect("a CVaR row");
    assert!((1..risk.height()).any(|r| text(risk.get((r, 0))) == "Probability that NPV < 0"));
    let cvar_value = float(risk.get((cvar, 1))).expect("CVaR value");
    assert!(cvar_value.abs() > 1.0, "CVaR in dollars: {cvar_value}");
    let row = (1..a.height())
        .find(|&r| text(a.get((r, 6))) == "fleet[0].gpus")
        .expect("the tranche's GPUs");
    assert!(text(a.get((row, 0))).ends_with(": number of GPUs"));
    assert_eq!(text(a.get((row, 2))), "fixed");
    assert_eq!(text(a.get((row, 3))), "GPUs");
}
