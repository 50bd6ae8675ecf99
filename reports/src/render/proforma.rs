//! Pro forma statements in the output: `proforma.csv` (every line of every statement by year and
//! quarter for the median-NPV replication, and P10/P50/P90 of each line by year across
//! replications, plus sources and uses) and the report's pro forma section.

use anyhow::{Context, Result};
use dcplan_sim::proforma::{self, Line, Period, Statement, Statements, Style};
use dcplan_sim::stats::percentile_sorted;
use polars_core::prelude::{Column, DataFrame};

use crate::render::charts::money::median_replication;
use crate::render::doc::Block;
use crate::render::format::{money, thousands};
use crate::render::tables::VariantRuns;

/// The basis of the median-NPV replication's rows in `proforma.csv`.
const MEDIAN_BASIS: &str = "median_npv_replication";
/// The percentiles of the ranges across replications, with their basis names.
const BANDS: [(f64, &str); 3] = [(0.1, "p10"), (0.5, "p50"), (0.9, "p90")];

/// One row of `proforma.csv`.
struct Row {
    variant: String,
    basis: &'static str,
    replication: Option<u64>,
    period_kind: &'static str,
    period: u32,
    first_month: u32,
    last_month: u32,
    period_start: String,
    statement: &'static str,
    line: String,
    label: String,
    value: Option<f64>,
}

/// Statements of one period length: the median-NPV replication's, and each line's percentiles
/// across the replications (each percentile taken line by line, so they do not add up).
pub(crate) struct Bands {
    /// The median-NPV replication's statements.
    pub median: Statements,
    /// Index of the median-NPV replication.
    pub replication: u64,
    /// P10, P50 and P90 of each line (same lines and periods as `median`).
    pub bands: [Statements; 3],
}

/// The statements of variant `v` by `period`, or `None` without replications.
pub(crate) fn bands(v: &VariantRuns, period: Period) -> Option<Bands> {
    let median_rep = median_replication(v)?;
    let median = proforma::statements(&median_rep.months, period);
    let all: Vec<Statements> = v
        .output
        .replications
        .iter()
        .map(|r| proforma::statements(&r.months, period))
        .collect();
    let band = |p: f64| Statements {
        lines: median
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| Line {
                values: (0..line.values.len())
                    .map(|t| {
                        // Replications with a line missing in a period (DSCR without debt
                        // service) are left out of its percentiles.
                        let mut xs: Vec<f64> = all
                            .iter()
                            .filter_map(|s| s.lines.get(i).and_then(|l| l.values.get(t)).copied())
                            .filter(|x| x.is_finite())
                            .collect();
                        xs.sort_by(f64::total_cmp);
                        percentile_sorted(&xs, p)
                    })
                    .collect(),
                ..line.clone()
            })
            .collect(),
        ..median.clone()
    };
    let bands = BANDS.map(|(p, _)| band(p));
    Some(Bands {
        replication: median_rep.index,
        median,
        bands,
    })
}

/// `proforma.csv`: every line of every statement, by year and by quarter, for each variant's
/// median-NPV replication; P10/P50/P90 of each line by year across replications; and the sources
/// and uses to financial close of the median-NPV replication.
pub(crate) fn proforma_frame(variants: &[VariantRuns]) -> Result<DataFrame> {
    let mut rows: Vec<Row> = Vec::new();
    for v in variants {
        let Some(years) = bands(v, Period::Year) else {
            continue;
        };
        let quarters = proforma::statements(
            &v.output
                .replications
                .iter()
                .find(|r| r.index == years.replication)
                .map(|r| r.months.clone())
                .unwrap_or_default(),
            Period::Quarter,
        );
        let mut push = |basis: &'static str, replication: Option<u64>, s: &Statements| {
            let kind = match s.period {
                Period::Year => "year",
                Period::Quarter => "quarter",
            };
            for line in &s.lines {
                for (t, (first, last)) in s.spans.iter().enumerate() {
                    let value = line.values[t];
                    rows.push(Row {
                        variant: v.name.clone(),
                        basis,
                        replication,
                        period_kind: kind,
                        period: t as u32 + 1,
                        first_month: *first,
                        last_month: *last,
                        period_start: v.start.plus_months(*first).to_string(),
                        statement: line.statement.title(),
                        line: line.key.to_string(),
                        label: line.label.to_string(),
                        value: value.is_finite().then_some(value),
                    });
                }
            }
        };
        push(MEDIAN_BASIS, Some(years.replication), &years.median);
        push(MEDIAN_BASIS, Some(years.replication), &quarters);
        for (i, (_, basis)) in BANDS.iter().enumerate() {
            push(basis, None, &years.bands[i]);
        }
        if let Some(r) = v
            .output
            .replications
            .iter()
            .find(|r| r.index == years.replication)
        {
            let su = proforma::sources_and_uses(&r.months);
            for (side, items) in [("source", &su.sources), ("use", &su.uses)] {
                for (label, usd) in items.iter() {
                    rows.push(Row {
                        variant: v.name.clone(),
                        basis: MEDIAN_BASIS,
                        replication: Some(r.index),
                        period_kind: "close",
                        period: 1,
                        first_month: 0,
                        last_month: su.close_month,
                        period_start: v.start.to_string(),
                        statement: "Sources and uses",
                        line: format!("{side}:{}", slug(label)),
                        label: label.to_string(),
                        value: usd.is_finite().then_some(*usd),
                    });
                }
            }
        }
    }
    let col = |name: &str, f: &dyn Fn(&Row) -> String| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<String>>())
    };
    let df = DataFrame::new(
        rows.len(),
        vec![
            col("variant", &|r| r.variant.clone()),
            col("basis", &|r| r.basis.to_string()),
            Column::new(
                "replication".into(),
                rows.iter().map(|r| r.replication).collect::<Vec<_>>(),
            ),
            col("period_kind", &|r| r.period_kind.to_string()),
            Column::new(
                "period".into(),
                rows.iter().map(|r| r.period).collect::<Vec<u32>>(),
            ),
            Column::new(
                "first_month".into(),
                rows.iter().map(|r| r.first_month).collect::<Vec<u32>>(),
            ),
            Column::new(
                "last_month".into(),
                rows.iter().map(|r| r.last_month).collect::<Vec<u32>>(),
            ),
            col("period_start", &|r| r.period_start.clone()),
            col("statement", &|r| r.statement.to_string()),
            col("line", &|r| r.line.clone()),
            col("label", &|r| r.label.clone()),
            Column::new(
                "value".into(),
                // A zero line reads 0.0, never -0.0 (a negated zero cost): adding +0 turns -0
                // into +0 and changes no other value.
                rows.iter()
                    .map(|r| r.value.map(|x| x + 0.0))
                    .collect::<Vec<Option<f64>>>(),
            ),
        ],
    )
    .context("building the pro forma table")?;
    Ok(df)
}

/// A label as a column-safe key: `Debt drawn` -> `debt_drawn`.
fn slug(label: &str) -> String {
    let mut out = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// A statement value in thousands of USD (a ratio as itself).
fn cell(style: Style, x: f64) -> String {
    match style {
        _ if !x.is_finite() => "n/a".into(),
        Style::Ratio => format!("{x:.2}"),
        _ => thousands(x / 1e3),
    }
}

/// Column titles of a statement table: the line, then one per period (`Y1 2027-01`).
fn header(s: &Statements, start: dcplan_sim::time::YearMonth) -> Vec<String> {
    let mut h = vec!["USD thousands".to_string()];
    for (t, (first, _)) in s.spans.iter().enumerate() {
        h.push(format!("Y{} {}", t + 1, start.plus_months(*first)));
    }
    h
}

/// The report's pro forma section for variant `v`: the median-NPV replication's statements by
/// year, its sources and uses, and the ranges of the key lines across replications.
pub(crate) fn report_blocks(v: &VariantRuns) -> Vec<Block> {
    let Some(b) = bands(v, Period::Year) else {
        return Vec::new();
    };
    let Some(rep) = v
        .output
        .replications
        .iter()
        .find(|r| r.index == b.replication)
    else {
        return Vec::new();
    };
    let mut blocks = vec![
        Block::Heading(1, "Pro forma statements".into()),
        Block::Para(format!(
            "By project year (12 months from the scenario start), in thousands of US dollars, for one simulated future: the median-NPV replication (#{}, NPV {} of {} replications). Its lines add up and its balance sheet balances in every year. The ranges table below gives P10, P50 and P90 of key lines across all replications, each line on its own, so those do not add up. Equity funds every shortfall as it arises and nothing is distributed, so paid-in equity is the peak funding need so far; interest paid is an operating cash flow; net PP&E is shown by asset class (GPU servers, network equipment, halls in service, halls under construction at cost, on-site energy assets) above its total. proforma.csv has every line by year and by quarter, and the P10/P50/P90 of every line by year.",
            rep.index,
            money(rep.kpis.npv_usd),
            v.output.replications.len()
        )),
    ];
    for st in Statement::ALL {
        blocks.push(Block::Heading(2, st.title().into()));
        let rows = b
            .median
            .lines
            .iter()
            .filter(|l| l.statement == st)
            .map(|l| {
                let mut row = vec![match l.style {
                    Style::Total => format!("= {}", l.label),
                    _ => l.label.to_string(),
                }];
                row.extend(l.values.iter().map(|x| cell(l.style, *x)));
                row
            })
            .collect();
        blocks.push(Block::Table {
            header: header(&b.median, v.start),
            rows,
        });
    }
    let su = proforma::sources_and_uses(&rep.months);
    blocks.push(Block::Heading(2, "Sources and uses".into()));
    blocks.push(Block::Para(format!(
        "From the scenario start to financial close, {} (month {}), the last month the sponsor puts in new equity; USD thousands.",
        v.start.plus_months(su.close_month),
        su.close_month
    )));
    let n = su.sources.len().max(su.uses.len());
    let mut rows: Vec<Vec<String>> = (0..n)
        .map(|i| {
            let side = |items: &[(&str, f64)]| {
                items
                    .get(i)
                    .map_or([String::new(), String::new()], |(l, x)| {
                        [l.to_string(), cell(Style::Item, *x)]
                    })
            };
            let [a, b] = side(&su.sources);
            let [c, d] = side(&su.uses);
            vec![a, b, c, d]
        })
        .collect();
    rows.push(vec![
        "= Total sources".into(),
        cell(Style::Total, su.total_sources()),
        "= Total uses".into(),
        cell(Style::Total, su.total_uses()),
    ]);
    blocks.push(Block::Table {
        header: vec![
            "Sources".into(),
            "USD thousands".into(),
            "Uses".into(),
            "USD thousands".into(),
        ],
        rows,
    });
    blocks.push(Block::Heading(2, "Ranges across replications".into()));
    blocks.push(Block::Para(format!(
        "P50 with P10 to P90 in brackets, USD thousands, across {} replications; each line's percentiles on their own (a DSCR counts only the replications with debt service that year).",
        v.output.replications.len()
    )));
    let keys = [
        "revenue",
        "ebitda",
        "net_income",
        "cf_operating",
        "bs_cash",
        "bs_ppe",
        "bs_debt",
        "bs_equity",
        "debt_dscr",
    ];
    let rows = keys
        .iter()
        .filter_map(|k| {
            let i = b.median.lines.iter().position(|l| l.key == *k)?;
            let line = &b.median.lines[i];
            let mut row = vec![line.label.to_string()];
            for t in 0..line.values.len() {
                let [p10, p50, p90] = [0, 1, 2].map(|j| b.bands[j].lines[i].values[t]);
                row.push(if p50.is_finite() {
                    format!(
                        "{} ({} to {})",
                        cell(line.style, p50),
                        cell(line.style, p10),
                        cell(line.style, p90)
                    )
                } else {
                    "n/a".into()
                });
            }
            Some(row)
        })
        .collect();
    blocks.push(Block::Table {
        header: header(&b.median, v.start),
        rows,
    });
    blocks
}
