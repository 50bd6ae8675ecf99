//! `report.xlsx`: the investor workbook of a single-scenario run. Sheets: a KPI summary with
//! P5-P95, the pro forma statements of the median-NPV replication by year (totals and margins as
//! formulas, with their values cached so any reader shows them), sources and uses, the
//! assumptions with their sources and quality tags, the risk table and the runs table.

use std::path::Path;

use anyhow::{Context, Result};
use dcplan_sim::LoadedScenario;
use dcplan_sim::proforma::{self, Period, Statement, Style};
use dcplan_sim::results::Kpi;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatBorder, Formula, Workbook, Worksheet,
};

use crate::render::charts::money::median_replication;
use crate::render::report::assumptions;
use crate::render::tables::{VariantRuns, risk_rows};

/// Names of the workbook's sheets, in order.
pub(crate) const SHEETS: [&str; 10] = [
    "KPIs",
    "Income statement",
    "Cash flow",
    "Balance sheet",
    "Debt schedule",
    "Sources and uses",
    "Assumptions",
    "Risk",
    "Runs",
    "About",
];

/// How each total of a statement is computed from the lines above it: `(total, [(sign, line)])`.
const TOTALS: &[(&str, &[(f64, &str)])] = &[
    (
        "revenue",
        &[
            (1.0, "revenue_reserved"),
            (1.0, "revenue_on_demand"),
            (1.0, "revenue_spot"),
            (1.0, "sla_credits"),
            (1.0, "revenue_lost_to_cap"),
        ],
    ),
    (
        "opex",
        &[
            (1.0, "energy"),
            (1.0, "staff"),
            (1.0, "maintenance"),
            (1.0, "insurance"),
            (1.0, "software"),
            (1.0, "network_transit"),
            (1.0, "sga"),
            (1.0, "rent"),
            (1.0, "cancellation"),
        ],
    ),
    ("ebitda", &[(1.0, "revenue"), (1.0, "opex")]),
    (
        "ebit",
        &[
            (1.0, "ebitda"),
            (1.0, "depreciation"),
            (1.0, "gain_on_disposal"),
        ],
    ),
    ("ebt", &[(1.0, "ebit"), (1.0, "interest")]),
    ("net_income", &[(1.0, "ebt"), (1.0, "tax")]),
    (
        "cf_operating",
        &[
            (1.0, "cf_net_income"),
            (1.0, "cf_depreciation"),
            (1.0, "cf_loss_on_disposal"),
            (1.0, "cf_deferred_revenue"),
        ],
    ),
    (
        "cf_investing",
        &[
            (1.0, "cf_capex_gpu"),
            (1.0, "cf_capex_network"),
            (1.0, "cf_capex_facility"),
            (1.0, "cf_capex_energy"),
            (1.0, "cf_resale"),
        ],
    ),
    (
        "cf_financing",
        &[
            (1.0, "cf_debt_drawn"),
            (1.0, "cf_debt_repaid"),
            (1.0, "cf_equity"),
        ],
    ),
    (
        "cf_net_change",
        &[
            (1.0, "cf_operating"),
            (1.0, "cf_investing"),
            (1.0, "cf_financing"),
        ],
    ),
    (
        "cf_cash_end",
        &[(1.0, "cf_cash_start"), (1.0, "cf_net_change")],
    ),
    (
        "bs_ppe",
        &[
            (1.0, "bs_ppe_gpu"),
            (1.0, "bs_ppe_network"),
            (1.0, "bs_ppe_facility"),
            (1.0, "bs_ppe_construction"),
            (1.0, "bs_ppe_energy"),
        ],
    ),
    ("bs_assets", &[(1.0, "bs_cash"), (1.0, "bs_ppe")]),
    (
        "bs_liabilities",
        &[(1.0, "bs_deferred_revenue"), (1.0, "bs_debt")],
    ),
    ("bs_equity", &[(1.0, "bs_paid_in"), (1.0, "bs_retained")]),
    (
        "bs_liabilities_equity",
        &[(1.0, "bs_liabilities"), (1.0, "bs_equity")],
    ),
    (
        "debt_closing",
        &[
            (1.0, "debt_opening"),
            (1.0, "debt_drawn"),
            (1.0, "debt_principal"),
        ],
    ),
    (
        "debt_service",
        &[(1.0, "debt_interest"), (-1.0, "debt_principal")],
    ),
];

/// Excel column letters of 0-based column `c`.
fn col_name(c: u16) -> String {
    let mut n = c as u32 + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        s.push(b'A' + r);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// The formats the workbook uses.
struct Formats {
    bold: Format,
    header: Format,
    money: Format,
    money_total: Format,
    ratio: Format,
    percent: Format,
    wrap: Format,
}

impl Formats {
    fn new() -> Formats {
        let money = "#,##0;[Red]-#,##0";
        Formats {
            bold: Format::new().set_bold(),
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xDDE4EE))
                .set_border_bottom(FormatBorder::Thin),
            money: Format::new().set_num_format(money),
            money_total: Format::new()
                .set_num_format(money)
                .set_bold()
                .set_border_top(FormatBorder::Thin),
            ratio: Format::new().set_num_format("0.00"),
            percent: Format::new().set_num_format("0.0%"),
            wrap: Format::new().set_text_wrap(),
        }
    }
}

/// Excel's limit on the length of one cell's text, in UTF-16 code units.
const MAX_CELL_UNITS: usize = 32_767;

/// A text as a cell can hold it: a scenario's text longer than Excel's limit (a very long
/// description or source comment) is cut, with an ellipsis, rather than failing the workbook
/// after the simulation.
fn cell_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.encode_utf16().count() <= MAX_CELL_UNITS {
        return s.into();
    }
    // Keep what fits with the ellipsis (one unit).
    let mut units = 0;
    let cut = s
        .char_indices()
        .find(|(_, c)| {
            units += c.len_utf16();
            units > MAX_CELL_UNITS - 1
        })
        .map_or(s.len(), |(i, _)| i);
    format!("{}…", &s[..cut]).into()
}

/// A number cell, or an empty one where the number does not exist (never a NaN, never a -0).
fn number(ws: &mut Worksheet, r: u32, c: u16, x: f64, f: &Format) -> Result<()> {
    if let Some(x) = crate::render::tables::finite(x) {
        ws.write_number_with_format(r, c, x, f)?;
    }
    Ok(())
}

/// Write `report.xlsx` for the run of `loaded` (one variant) at `path`.
pub(crate) fn write_workbook(loaded: &LoadedScenario, v: &VariantRuns, path: &Path) -> Result<()> {
    let mut wb = Workbook::new();
    // The same inputs give the same bytes: the document's creation date is the scenario's start
    // month (not the time of writing), so a rebuilt folder's workbook is identical.
    let start = loaded.scenario.simulation.start;
    let created = ExcelDateTime::from_ymd(
        start.year.clamp(1900, 9999) as u16,
        start.month.clamp(1, 12) as u8,
        1,
    )?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("dcplan report: {}", loaded.scenario.name))
            .set_comment("Written by dcplan from a simulated run; see the About sheet.")
            .set_creation_datetime(&created),
    );
    let f = Formats::new();
    kpi_sheet(wb.add_worksheet(), v, &f)?;
    if let Some(rep) = median_replication(v) {
        let s = proforma::statements(&rep.months, Period::Year);
        for (sheet, st) in SHEETS[1..5].iter().zip(Statement::ALL) {
            let ws = wb.add_worksheet();
            ws.set_name(*sheet)?;
            statement_sheet(ws, v, &s, st, rep.index, &f)?;
        }
        let ws = wb.add_worksheet();
        ws.set_name(SHEETS[5])?;
        let su = proforma::sources_and_uses(&rep.months);
        ws.write_string_with_format(
            0,
            0,
            format!(
                "Sources and uses to financial close, {} (month {}), median-NPV replication #{} (USD)",
                v.start.plus_months(su.close_month),
                su.close_month,
                rep.index
            ),
            &f.bold,
        )?;
        for (c, h) in ["Sources", "USD", "Uses", "USD"].iter().enumerate() {
            ws.write_string_with_format(2, c as u16, *h, &f.header)?;
        }
        for (i, (l, x)) in su.sources.iter().enumerate() {
            ws.write_string(3 + i as u32, 0, *l)?;
            number(ws, 3 + i as u32, 1, *x, &f.money)?;
        }
        for (i, (l, x)) in su.uses.iter().enumerate() {
            ws.write_string(3 + i as u32, 2, *l)?;
            number(ws, 3 + i as u32, 3, *x, &f.money)?;
        }
        let last = 3 + su.sources.len().max(su.uses.len()) as u32;
        ws.write_string_with_format(last, 0, "Total sources", &f.bold)?;
        ws.write_formula_with_format(
            last,
            1,
            Formula::new(format!("=SUM(B4:B{last})")).set_result(su.total_sources().to_string()),
            &f.money_total,
        )?;
        ws.write_string_with_format(last, 2, "Total uses", &f.bold)?;
        ws.write_formula_with_format(
            last,
            3,
            Formula::new(format!("=SUM(D4:D{last})")).set_result(su.total_uses().to_string()),
            &f.money_total,
        )?;
        ws.set_column_width(0, 40)?;
        ws.set_column_width(2, 32)?;
        ws.set_column_width(1, 16)?;
        ws.set_column_width(3, 16)?;
    }
    // Assumptions.
    let ws = wb.add_worksheet();
    ws.set_name(SHEETS[6])?;
    // The report's assumptions table, column for column.
    for (c, h) in crate::render::report::ASSUMPTION_COLUMNS.iter().enumerate() {
        let mut h = h.to_string();
        h[..1].make_ascii_uppercase();
        ws.write_string_with_format(0, c as u16, &h, &f.header)?;
    }
    for (i, a) in assumptions(loaded).iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_string(r, 0, cell_text(&a.label))?;
        ws.write_string(r, 1, cell_text(&a.value))?;
        ws.write_string(r, 2, cell_text(&a.distribution))?;
        ws.write_string(r, 3, cell_text(&a.unit))?;
        ws.write_string_with_format(r, 4, cell_text(&a.source), &f.wrap)?;
        ws.write_string(r, 5, cell_text(&a.quality))?;
        ws.write_string(r, 6, cell_text(&a.path))?;
    }
    for (c, width) in [(0, 48), (1, 16), (2, 30), (3, 14), (4, 80), (5, 8), (6, 44)] {
        ws.set_column_width(c, width)?;
    }
    // Risk.
    let ws = wb.add_worksheet();
    ws.set_name(SHEETS[7])?;
    for (c, h) in ["Measure", "Value", "Standard error"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &f.header)?;
    }
    for (i, (name, (x, se))) in risk_rows(v).iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_string(r, 0, crate::render::report::risk_label(name))?;
        let fmt = if name.ends_with("_usd") {
            &f.money
        } else {
            &f.percent
        };
        number(ws, r, 1, *x, fmt)?;
        number(ws, r, 2, *se, fmt)?;
    }
    ws.set_column_width(0, 48)?;
    // Runs.
    let ws = wb.add_worksheet();
    ws.set_name(SHEETS[8])?;
    ws.write_string_with_format(0, 0, "replication", &f.header)?;
    for (c, k) in Kpi::ALL.iter().enumerate() {
        ws.write_string_with_format(0, 1 + c as u16, k.name(), &f.header)?;
    }
    for (i, r) in v.output.replications.iter().enumerate() {
        let row = 1 + i as u32;
        ws.write_number(row, 0, r.index as f64)?;
        for (c, k) in Kpi::ALL.iter().enumerate() {
            if let Some(x) = r.kpis.value(*k) {
                number(ws, row, 1 + c as u16, x, &Format::new())?;
            }
        }
    }
    // About.
    let ws = wb.add_worksheet();
    ws.set_name(SHEETS[9])?;
    let s = &loaded.scenario;
    for (i, (k, val)) in [
        ("Scenario", s.name.clone()),
        ("Description", s.description.clone()),
        ("Scenario file", loaded.file.clone()),
        ("Start", s.simulation.start.to_string()),
        ("Horizon, months", s.simulation.horizon_months.to_string()),
        ("Replications", v.output.replications.len().to_string()),
        ("Seed", v.seed.to_string()),
        ("dcplan version", env!("CARGO_PKG_VERSION").to_string()),
        (
            "Statements",
            "One simulated future: the median-NPV replication. Its lines add up and its balance sheet balances; totals are formulas. The KPI sheet gives percentiles across all replications.".to_string(),
        ),
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(i as u32, 0, *k, &f.bold)?;
        ws.write_string_with_format(i as u32, 1, cell_text(val), &f.wrap)?;
    }
    ws.set_column_width(0, 20)?;
    ws.set_column_width(1, 90)?;
    wb.save(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The KPI sheet: each KPI's label, unit, mean, P5, P10, P50, P90 and P95 across replications.
fn kpi_sheet(ws: &mut Worksheet, v: &VariantRuns, f: &Formats) -> Result<()> {
    ws.set_name(SHEETS[0])?;
    let header = [
        "KPI",
        "Unit",
        "Mean",
        "P5",
        "P10",
        "P50",
        "P90",
        "P95",
        "Replications",
        "Column in runs.parquet",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &f.header)?;
    }
    for (i, k) in Kpi::ALL.iter().enumerate() {
        let r = 1 + i as u32;
        let s = v.summary(*k);
        ws.write_string(r, 0, k.column().label.unwrap_or(k.name()))?;
        ws.write_string(r, 1, k.unit())?;
        // Fractions as percentages, as the report shows them; other units as plain numbers.
        let format = Format::new().set_num_format(if k.unit() == "fraction" {
            "0.0%"
        } else {
            "#,##0.00"
        });
        for (c, x) in [s.mean, s.p5, s.p10, s.p50, s.p90, s.p95]
            .iter()
            .enumerate()
        {
            // A rank statistic among the replications where the event never happens reads
            // "never", as in summary.csv and the report; one that does not exist stays empty.
            if *x == f64::INFINITY {
                ws.write_string(r, 2 + c as u16, crate::render::tables::NEVER)?;
            } else {
                number(ws, r, 2 + c as u16, *x, &format)?;
            }
        }
        // Replications with a value (a DSCR needs debt service); for a time that may never come,
        // every replication counts (its percentiles run over them all, never last).
        let n = if k.column().may_not_happen {
            s.n_total
        } else {
            s.n
        };
        ws.write_number(r, 8, n as f64)?;
        ws.write_string(r, 9, k.name())?;
    }
    ws.set_column_width(0, 50)?;
    Ok(())
}

/// One statement by year: labels, then one column per year; totals and margins as formulas.
fn statement_sheet(
    ws: &mut Worksheet,
    v: &VariantRuns,
    s: &proforma::Statements,
    st: Statement,
    replication: u64,
    f: &Formats,
) -> Result<()> {
    ws.write_string_with_format(
        0,
        0,
        format!(
            "{}, median-NPV replication #{replication}, USD by project year",
            st.title()
        ),
        &f.bold,
    )?;
    ws.write_string_with_format(2, 0, "Line", &f.header)?;
    for (t, (first, _)) in s.spans.iter().enumerate() {
        ws.write_string_with_format(
            2,
            1 + t as u16,
            format!("Y{} {}", t + 1, v.start.plus_months(*first)),
            &f.header,
        )?;
    }
    let lines: Vec<&proforma::Line> = s.lines.iter().filter(|l| l.statement == st).collect();
    let row_of = |key: &str| {
        lines
            .iter()
            .position(|l| l.key == key)
            .map(|i| 3 + i as u32)
    };
    for (i, l) in lines.iter().enumerate() {
        let r = 3 + i as u32;
        let total = l.style == Style::Total;
        if total {
            ws.write_string_with_format(r, 0, l.label, &f.bold)?;
        } else {
            ws.write_string(r, 0, l.label)?;
        }
        let terms = TOTALS.iter().find(|(k, _)| *k == l.key).map(|(_, t)| *t);
        for (t, x) in l.values.iter().enumerate() {
            let c = 1 + t as u16;
            let col = col_name(c);
            let formula = terms.and_then(|terms| {
                let mut text = String::from("=");
                for (j, (sign, key)) in terms.iter().enumerate() {
                    let row = row_of(key)? + 1;
                    if j > 0 || *sign < 0.0 {
                        text.push(if *sign < 0.0 { '-' } else { '+' });
                    }
                    text.push_str(&format!("{col}{row}"));
                }
                Some(text)
            });
            match (formula, l.style) {
                (Some(text), _) if x.is_finite() => {
                    ws.write_formula_with_format(
                        r,
                        c,
                        Formula::new(text).set_result(x.to_string()),
                        &f.money_total,
                    )?;
                }
                (_, Style::Ratio) => number(ws, r, c, *x, &f.ratio)?,
                (_, Style::Total) => number(ws, r, c, *x, &f.money_total)?,
                _ => number(ws, r, c, *x, &f.money)?,
            }
        }
    }
    // Margins under the income statement, as formulas.
    if st == Statement::Income {
        let (Some(rev), Some(ebitda), Some(ni)) =
            (row_of("revenue"), row_of("ebitda"), row_of("net_income"))
        else {
            return Ok(());
        };
        let base = 3 + lines.len() as u32 + 1;
        for (k, (label, num)) in [("EBITDA margin", ebitda), ("Net margin", ni)]
            .iter()
            .enumerate()
        {
            let r = base + k as u32;
            ws.write_string_with_format(r, 0, *label, &f.bold)?;
            for t in 0..s.spans.len() {
                let c = 1 + t as u16;
                let col = col_name(c);
                let revenue = lines[(rev - 3) as usize].values[t];
                let value = lines[(num - 3) as usize].values[t];
                let text = format!(
                    "=IF({col}{}=0,\"\",{col}{}/{col}{})",
                    rev + 1,
                    num + 1,
                    rev + 1
                );
                if revenue != 0.0 && revenue.is_finite() && value.is_finite() {
                    ws.write_formula_with_format(
                        r,
                        c,
                        Formula::new(text).set_result((value / revenue).to_string()),
                        &f.percent,
                    )?;
                } else {
                    // No revenue: the formula gives an empty text, and so does the value stored
                    // for programs that read it without recalculating (not 0 %).
                    ws.set_formula_result_default("");
                    ws.write_formula_with_format(r, c, Formula::new(text), &f.percent)?;
                    ws.set_formula_result_default("0");
                }
            }
        }
    }
    ws.set_column_width(0, 60)?;
    for t in 0..s.spans.len() {
        ws.set_column_width(1 + t as u16, 16)?;
    }
    ws.set_freeze_panes(3, 1)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_longer_than_a_cell_holds_is_cut_to_fit() {
        assert_eq!(cell_text("short"), "short");
        let exact = "x".repeat(MAX_CELL_UNITS);
        assert_eq!(cell_text(&exact), exact);
        for long in ["y".repeat(40_000), "😀".repeat(20_000)] {
            let cut = cell_text(&long);
            assert_eq!(cut.encode_utf16().count(), MAX_CELL_UNITS, "{}", cut.len());
            assert!(cut.ends_with('…'));
        }
    }

    #[test]
    fn column_letters_and_quality_tags() {
        assert_eq!(col_name(0), "A");
        assert_eq!(col_name(25), "Z");
        assert_eq!(col_name(26), "AA");
        assert_eq!(col_name(51), "AZ");
        assert_eq!(
            dcplan_sim::labels::quality_tag("E: utility PV fixed O&M"),
            "E"
        );
        assert_eq!(
            dcplan_sim::labels::quality_tag("P/E: optimised air 1.2-1.4"),
            "P/E"
        );
        assert_eq!(
            dcplan_sim::labels::quality_tag("as written in the scenario"),
            ""
        );
        assert_eq!(dcplan_sim::labels::quality_tag("Scenarios: many"), "");
    }

    #[test]
    fn every_total_names_lines_of_its_statement() {
        let rows = vec![dcplan_sim::results::MonthRow::default(); 12];
        let s = proforma::statements(&rows, Period::Year);
        for (total, terms) in TOTALS {
            let t = s.line(total).expect("a line");
            assert_eq!(t.style, Style::Total, "{total}");
            for (_, k) in *terms {
                let l = s.line(k).unwrap_or_else(|| panic!("{k}"));
                assert_eq!(l.statement, t.statement, "{total}: {k}");
            }
        }
        // Every total of the statements has its formula.
        for l in s.lines.iter().filter(|l| l.style == Style::Total) {
            assert!(
                TOTALS.iter().any(|(k, _)| *k == l.key),
                "{} has no formula",
                l.key
            );
        }
        // Every item of the income and cash-flow statements counts in a total: a spreadsheet
        // that recalculates then shows the totals the statements hold. (The balance sheet and
        // the debt schedule hold balances and memo lines that add up to nothing.)
        for l in s.lines.iter().filter(|l| {
            l.style == Style::Item && matches!(l.statement, Statement::Income | Statement::CashFlow)
        }) {
            assert!(
                TOTALS
                    .iter()
                    .any(|(_, terms)| terms.iter().any(|(_, k)| *k == l.key)),
                "{} is in no total",
                l.key
            );
        }
    }
}
