//! Side-by-side comparison of variants run with common random numbers: the scenarios of
//! `dcplan compare`, or the variants of a sweep. Replication r of every variant sees the same
//! demand, failures, weather and prices, so the difference of a metric between two variants is
//! taken replication by replication (paired), and its confidence interval is much narrower than
//! the spread of either variant.

use anyhow::{Context, Result};
use dcplan_sim::stats::{Summary, Z95, percentile_sorted, summarize};
use polars::prelude::{Column, DataFrame};

use crate::doc::Block;
use crate::format::{by_column, money, percent};
use crate::tables::VariantRuns;

/// A metric compared across variants: a per-replication value.
pub struct Metric {
    /// Column-style name (its suffix sets the unit).
    pub name: &'static str,
    /// Label for tables.
    pub label: &'static str,
    /// Value of one replication.
    pub value: fn(&dcplan_sim::Replication) -> Option<f64>,
}

fn years(r: &dcplan_sim::Replication) -> f64 {
    r.months.len() as f64 / 12.0
}

/// The metrics of a comparison.
pub const METRICS: &[Metric] = &[
    Metric { name: "energy_cost_usd_per_mwh", label: "Energy cost per facility MWh", value: |r| r.kpis.energy_cost_usd_per_mwh },
    Metric { name: "annual_energy_cost_usd", label: "Energy cost per year", value: |r| Some(r.kpis.energy_cost_usd / years(r)) },
    Metric { name: "annual_tco2", label: "Emissions per year (tCO2)", value: |r| Some(r.kpis.tco2 / years(r)) },
    Metric { name: "cfe_frac", label: "Carbon-free energy (hourly matched)", value: |r| r.kpis.cfe_frac },
    Metric { name: "pue", label: "PUE", value: |r| r.kpis.pue },
    Metric { name: "wue_l_per_kwh", label: "Water use (L per IT kWh)", value: |r| r.kpis.wue_l_per_kwh },
    Metric { name: "ebitda_margin_frac", label: "EBITDA margin", value: |r| r.kpis.ebitda_margin_frac },
    Metric { name: "npv_usd", label: "Project NPV", value: |r| Some(r.kpis.npv_usd) },
    Metric { name: "payback_months", label: "Payback (months)", value: |r| r.kpis.payback_months },
    Metric { name: "capex_usd", label: "Capex", value: |r| Some(r.kpis.capex_usd) },
];

/// Values of a metric for every replication of a variant.
pub fn values(v: &VariantRuns, m: &Metric) -> Vec<Option<f64>> {
    v.output.replications.iter().map(|r| (m.value)(r)).collect()
}

/// Paired differences `b - a`, replication by replication (matched by replication index).
pub fn paired(a: &VariantRuns, b: &VariantRuns, m: &Metric) -> Summary {
    let diffs: Vec<Option<f64>> = b
        .output
        .replications
        .iter()
        .map(|rb| {
            let ra = a.output.replications.iter().find(|ra| ra.index == rb.index)?;
            Some((m.value)(rb)? - (m.value)(ra)?)
        })
        .collect();
    summarize(&diffs)
}

/// Yearly energy cost of every full replication-year, for P50 and P95 of annual cost.
pub fn annual_energy_costs(v: &VariantRuns) -> Vec<f64> {
    let mut out: Vec<f64> = v
        .output
        .replications
        .iter()
        .flat_map(|r| r.months.chunks_exact(12).map(|y| y.iter().map(|m| m.energy_cost_usd).sum::<f64>()).collect::<Vec<_>>())
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

/// The side-by-side table (rows: metrics; columns: variants' mean and P50).
pub fn side_by_side(variants: &[VariantRuns]) -> Block {
    let mut header = vec!["metric".to_string()];
    for v in variants {
        header.push(format!("{} mean", v.name));
        header.push(format!("{} P50", v.name));
    }
    let mut rows: Vec<Vec<String>> = METRICS
        .iter()
        .map(|m| {
            let mut row = vec![m.label.to_string()];
            for v in variants {
                let s = summarize(&values(v, m));
                row.push(by_column(m.name, s.mean));
                row.push(by_column(m.name, s.p50));
            }
            row
        })
        .collect();
    let mut p95 = vec!["Energy cost in a P95 year (all replication-years)".to_string()];
    let mut p50 = vec!["Energy cost in a P50 year (all replication-years)".to_string()];
    for v in variants {
        let years = annual_energy_costs(v);
        p50.push(money(percentile_sorted(&years, 0.5)));
        p50.push(String::new());
        p95.push(money(percentile_sorted(&years, 0.95)));
        p95.push(String::new());
    }
    rows.push(p50);
    rows.push(p95);
    Block::Table { header, rows }
}

/// One row per variant with the decision metrics (for comparisons of many variants).
pub fn variant_table(variants: &[VariantRuns]) -> Block {
    let header = [
        "variant",
        "NPV P10",
        "NPV P50",
        "NPV P90",
        "payback P50",
        "P(payback <= 36 mo)",
        "P(payback <= 60 mo)",
        "EBITDA margin P50",
        "capex P50",
        "energy $/MWh",
        "CFE",
    ]
    .map(String::from)
    .to_vec();
    let rows = variants
        .iter()
        .map(|v| {
            let npv = v.summary("npv_usd");
            let paybacks = v.kpi("payback_months");
            vec![
                v.name.clone(),
                money(npv.p10),
                money(npv.p50),
                money(npv.p90),
                crate::format::months(dcplan_sim::stats::percentile_never_last(&paybacks, 0.5)),
                percent(crate::report::prob_payback_within(v, 36.0)),
                percent(crate::report::prob_payback_within(v, 60.0)),
                percent(v.summary("ebitda_margin_frac").p50),
                money(v.summary("capex_usd").p50),
                by_column("energy_cost_usd_per_mwh", v.summary("energy_cost_usd_per_mwh").mean),
                percent(v.summary("cfe_frac").mean),
            ]
        })
        .collect();
    Block::Table { header, rows }
}

/// Metrics shown in the differences table of comparisons of many variants.
const KEY_METRICS: &[&str] = &["npv_usd", "payback_months", "ebitda_margin_frac", "annual_energy_cost_usd"];

/// Paired differences of every variant against the first, with 95 % confidence intervals, and
/// the unpaired interval for contrast.
pub fn differences(variants: &[VariantRuns]) -> Block {
    let header = ["variant - baseline", "metric", "mean difference", "95 % CI (paired)", "95 % CI (unpaired)"].map(String::from).to_vec();
    let mut rows = Vec::new();
    let Some(base) = variants.first() else { return Block::Table { header, rows } };
    let many = variants.len() > 4;
    for v in &variants[1..] {
        for m in METRICS.iter().filter(|m| !many || KEY_METRICS.contains(&m.name)) {
            let d = paired(base, v, m);
            let (a, b) = (summarize(&values(base, m)), summarize(&values(v, m)));
            let unpaired = Z95 * (a.se * a.se + b.se * b.se).sqrt();
            let f = |x: f64| by_column(m.name, x);
            rows.push(vec![
                format!("{} - {}", v.name, base.name),
                m.label.to_string(),
                f(d.mean),
                format!("{} to {}", f(d.ci95_lo), f(d.ci95_hi)),
                format!("{} to {}", f(b.mean - a.mean - unpaired), f(b.mean - a.mean + unpaired)),
            ]);
        }
    }
    Block::Table { header, rows }
}

/// The comparison as a table: one row per (variant, metric) with the statistics and the paired
/// difference against the first variant.
pub fn comparison_frame(variants: &[VariantRuns]) -> Result<DataFrame> {
    let mut variant = Vec::new();
    let mut metric = Vec::new();
    let mut cols: [Vec<Option<f64>>; 8] = Default::default();
    let some = |x: f64| x.is_finite().then_some(x);
    for v in variants {
        for m in METRICS {
            let s = summarize(&values(v, m));
            let d = variants.first().map(|base| paired(base, v, m));
            variant.push(v.name.clone());
            metric.push(m.name.to_string());
            let row = [
                s.mean,
                s.se,
                s.p50,
                s.p95,
                d.as_ref().map_or(f64::NAN, |d| d.mean),
                d.as_ref().map_or(f64::NAN, |d| d.se),
                d.as_ref().map_or(f64::NAN, |d| d.ci95_lo),
                d.as_ref().map_or(f64::NAN, |d| d.ci95_hi),
            ];
            for (c, x) in cols.iter_mut().zip(row) {
                c.push(some(x));
            }
        }
    }
    let height = variant.len();
    let names = ["mean", "se", "p50", "p95", "paired_diff_mean", "paired_diff_se", "paired_diff_ci95_lo", "paired_diff_ci95_hi"];
    let mut columns = vec![Column::new("variant".into(), variant), Column::new("metric".into(), metric)];
    for (name, c) in names.iter().zip(cols) {
        columns.push(Column::new((*name).into(), c));
    }
    DataFrame::new(height, columns).context("building the comparison table")
}

/// One-line answers for each variant.
pub fn headline(v: &VariantRuns) -> String {
    let s = |name: &str| v.summary(name);
    let years = annual_energy_costs(v);
    format!(
        "{}: energy {} per MWh, {} a year (P95 year {}), {:.0} tCO2 a year, CFE {}, EBITDA margin P50 {}, NPV P50 {}.",
        v.name,
        by_column("energy_cost_usd_per_mwh", s("energy_cost_usd_per_mwh").mean),
        money(percentile_sorted(&years, 0.5)),
        money(percentile_sorted(&years, 0.95)),
        summarize(&values(v, &METRICS[2])).mean,
        percent(s("cfe_frac").mean),
        percent(s("ebitda_margin_frac").p50),
        money(s("npv_usd").p50),
    )
}

/// A one-line answer for a variant of a sweep.
pub fn short_headline(v: &VariantRuns) -> String {
    let npv = v.summary("npv_usd");
    format!(
        "{}: NPV P50 {} (P10 {}, P90 {}), payback P50 {}, {} chance of payback within 60 months.",
        v.name,
        money(npv.p50),
        money(npv.p10),
        money(npv.p90),
        crate::format::months(dcplan_sim::stats::percentile_never_last(&v.kpi("payback_months"), 0.5)),
        percent(crate::report::prob_payback_within(v, 60.0)),
    )
}
