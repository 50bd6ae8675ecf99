//! Side-by-side comparison of variants run with common random numbers: the scenarios of
//! `dcplan compare`, or the variants of a sweep. Replication r of every variant sees the same
//! demand, failures, weather and prices, so the difference of a metric between two variants is
//! taken replication by replication (paired), and its confidence interval is much narrower than
//! the spread of either variant.

use anyhow::{Context, Result};
use dcplan_sim::Kpi;
use dcplan_sim::columns::{self, Column as ColumnMeta};
use dcplan_sim::stats::{Summary, Z95, percentile_sorted, summarize, summarize_column, t95};
use polars_core::prelude::{Column, DataFrame};

use crate::render::doc::Block;
use crate::render::format::{by_format, money, percent};
use crate::render::tables::VariantRuns;

/// What a compared metric measures per replication.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Source {
    /// A KPI.
    Kpi(Kpi),
    /// A KPI over the horizon divided by the horizon in years, described by its own column.
    PerYear(Kpi, &'static ColumnMeta),
}

/// A metric compared across variants: a per-replication value.
pub(crate) struct Metric {
    /// What it measures.
    pub source: Source,
    /// Label for tables: the KPI's label, or an override the comparison tables have always used
    /// (marked where the metric is listed).
    pub label: &'static str,
}

impl Metric {
    /// A KPI under its own label.
    pub(crate) const fn kpi(kpi: Kpi) -> Metric {
        Metric {
            source: Source::Kpi(kpi),
            label: kpi.label(),
        }
    }

    /// Its column: name, unit, format, definition, and whether it may never happen.
    pub(crate) const fn column(&self) -> &'static ColumnMeta {
        match self.source {
            Source::Kpi(k) => k.column(),
            Source::PerYear(_, c) => c,
        }
    }

    /// Column-style name (the `metric` of the comparison table).
    pub(crate) const fn name(&self) -> &'static str {
        self.column().name
    }

    /// Value of one replication.
    pub(crate) fn value(&self, r: &dcplan_sim::Replication) -> Option<f64> {
        match self.source {
            Source::Kpi(k) => r.kpis.value(k),
            Source::PerYear(k, _) => Some(r.kpis.value(k)? / years(r)),
        }
    }
}

fn years(r: &dcplan_sim::Replication) -> f64 {
    r.months.len() as f64 / 12.0
}

/// Emissions per year, a metric of its own in the headline.
const ANNUAL_TCO2: Metric = Metric {
    source: Source::PerYear(Kpi::Tco2, &columns::ANNUAL_TCO2),
    label: "Emissions per year (tCO2)",
};

/// Market-based emissions per year.
const ANNUAL_MARKET_TCO2: Metric = Metric {
    source: Source::PerYear(Kpi::MarketTco2, &columns::ANNUAL_MARKET_TCO2),
    label: "Emissions per year, market-based (tCO2)",
};

/// The metrics of a comparison.
pub(crate) const METRICS: &[Metric] = &[
    Metric::kpi(Kpi::EnergyCostUsdPerMwh),
    Metric::kpi(Kpi::LcoeUsdPerMwh),
    Metric {
        source: Source::PerYear(Kpi::EnergyCostUsd, &columns::ANNUAL_ENERGY_COST),
        label: "Energy cost per year",
    },
    ANNUAL_TCO2,
    ANNUAL_MARKET_TCO2,
    // Label override: the KPI's label is "Carbon-free energy, hourly matched".
    Metric {
        source: Source::Kpi(Kpi::CfeFrac),
        label: "Carbon-free energy (hourly matched)",
    },
    // Label override: the KPI's label is "PUE (facility / IT energy)".
    Metric {
        source: Source::Kpi(Kpi::Pue),
        label: "PUE",
    },
    // Label override: the KPI's label is "Water use (WUE), litres per IT kWh".
    Metric {
        source: Source::Kpi(Kpi::WueLPerKwh),
        label: "Water use (L per IT kWh)",
    },
    Metric::kpi(Kpi::EbitdaMarginFrac),
    // Label override: the KPI's label also says how NPV is taken (unlevered, pre-tax), which the
    // comparison report says once in a paragraph.
    Metric {
        source: Source::Kpi(Kpi::NpvUsd),
        label: "Project NPV",
    },
    // Label override: the KPI's label defines payback; the comparison names only the unit.
    Metric {
        source: Source::Kpi(Kpi::PaybackMonths),
        label: "Payback (months)",
    },
    Metric::kpi(Kpi::CapexUsd),
];

/// Values of a metric for every replication of a variant.
pub(crate) fn values(v: &VariantRuns, m: &Metric) -> Vec<Option<f64>> {
    v.output.replications.iter().map(|r| m.value(r)).collect()
}

/// Summary of a metric across the replications of a variant (a time until an event that may
/// never happen counts "never" as later than any month).
pub(crate) fn summary(v: &VariantRuns, m: &Metric) -> Summary {
    summarize_column(m.column(), &values(v, m))
}

/// Paired differences `b - a`, replication by replication (matched by replication index). For a
/// time until an event that may never happen, a replication where either variant never reaches
/// it has no difference, and the mean difference exists only when there is none such.
pub(crate) fn paired(a: &VariantRuns, b: &VariantRuns, m: &Metric) -> Summary {
    let diffs: Vec<Option<f64>> = b
        .output
        .replications
        .iter()
        .map(|rb| {
            let ra = a
                .output
                .replications
                .iter()
                .find(|ra| ra.index == rb.index)?;
            Some(m.value(rb)? - m.value(ra)?)
        })
        .collect();
    summarize_column(m.column(), &diffs)
}

/// Yearly energy cost of every full replication-year, for P50 and P95 of annual cost.
pub(crate) fn annual_energy_costs(v: &VariantRuns) -> Vec<f64> {
    let mut out: Vec<f64> = v
        .output
        .replications
        .iter()
        .flat_map(|r| {
            r.months
                .chunks_exact(12)
                .map(|y| y.iter().map(|m| m.energy_cost_usd).sum::<f64>())
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

/// The side-by-side table (rows: metrics; columns: variants' mean and P50).
pub(crate) fn side_by_side(variants: &[VariantRuns]) -> Block {
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
                let s = summary(v, m);
                row.push(mean_text(m.column(), &s));
                row.push(by_format(m.column().format, s.p50));
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
pub(crate) fn variant_table(variants: &[VariantRuns]) -> Block {
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
            let npv = v.summary(Kpi::NpvUsd);
            let paybacks = v.kpi(Kpi::PaybackMonths);
            vec![
                v.name.clone(),
                money(npv.p10),
                money(npv.p50),
                money(npv.p90),
                crate::render::format::months(dcplan_sim::stats::percentile_never_last(
                    &paybacks, 0.5,
                )),
                percent(crate::render::report::prob_payback_within(v, 36.0)),
                percent(crate::render::report::prob_payback_within(v, 60.0)),
                percent(v.summary(Kpi::EbitdaMarginFrac).p50),
                money(v.summary(Kpi::CapexUsd).p50),
                by_format(
                    Kpi::EnergyCostUsdPerMwh.format(),
                    v.summary(Kpi::EnergyCostUsdPerMwh).mean,
                ),
                percent(v.summary(Kpi::CfeFrac).mean),
            ]
        })
        .collect();
    Block::Table { header, rows }
}

/// Metrics shown in the differences table of comparisons of many variants.
const KEY_METRICS: &[&str] = &[
    Kpi::NpvUsd.name(),
    Kpi::PaybackMonths.name(),
    Kpi::EbitdaMarginFrac.name(),
    columns::ANNUAL_ENERGY_COST.name,
];

/// Paired differences of every variant against the first, with 95 % confidence intervals, and
/// the unpaired interval for contrast.
pub(crate) fn differences(variants: &[VariantRuns]) -> Block {
    let header = [
        "variant - baseline",
        "metric",
        "mean difference",
        "95 % CI (paired)",
        "95 % CI (unpaired)",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = Vec::new();
    let Some(base) = variants.first() else {
        return Block::Table { header, rows };
    };
    let many = variants.len() > 4;
    for v in &variants[1..] {
        for m in METRICS
            .iter()
            .filter(|m| !many || KEY_METRICS.contains(&m.name()))
        {
            let d = paired(base, v, m);
            let (a, b) = (summary(base, m), summary(v, m));
            let unpaired = unpaired_half_width(&a, &b);
            let f = |x: f64| by_format(m.column().format, x);
            let label = format!("{} - {}", v.name, base.name);
            if d.n_never > 0 {
                let never = format!(
                    "not defined: {} of {} replications never reach it in one of the two",
                    d.n_never, d.n_total
                );
                rows.push(vec![
                    label,
                    m.label.to_string(),
                    never,
                    String::new(),
                    String::new(),
                ]);
                continue;
            }
            rows.push(vec![
                label,
                m.label.to_string(),
                f(d.mean),
                format!("{} to {}", f(d.ci95_lo), f(d.ci95_hi)),
                format!(
                    "{} to {}",
                    f(b.mean - a.mean - unpaired),
                    f(b.mean - a.mean + unpaired)
                ),
            ]);
        }
    }
    Block::Table { header, rows }
}

/// The mean of a metric as table text: for a time until an event that some replications never
/// reach, what share never does instead of a mean over the others.
pub(crate) fn mean_text(column: &ColumnMeta, s: &Summary) -> String {
    if column.may_not_happen && s.n_never > 0 {
        format!("n/a (never in {})", percent(s.share_never()))
    } else {
        by_format(column.format, s.mean)
    }
}

/// The comparison as a table: one row per (variant, metric) with the statistics and the paired
/// difference against the first variant. A time until an event that may never happen (payback)
/// has `share_never` (the share of replications where it never happens within the horizon),
/// `never` where its P50 or P95 falls among those, and no mean, standard error or paired
/// difference unless every replication (of both variants, for the difference) reaches it.
pub(crate) fn comparison_frame(variants: &[VariantRuns]) -> Result<DataFrame> {
    let mut variant = Vec::new();
    let mut metric = Vec::new();
    let mut share_never = Vec::new();
    let mut cols: [Vec<Option<f64>>; 11] = Default::default();
    let mut ranks: [Vec<Option<String>>; 5] = Default::default();
    let some = |x: f64| x.is_finite().then_some(x);
    let nan = f64::NAN;
    for v in variants {
        for m in METRICS {
            let s = summary(v, m);
            let d = variants.first().map(|base| paired(base, v, m));
            variant.push(v.name.clone());
            metric.push(m.name().to_string());
            share_never.push(crate::render::tables::share_never_cell(m.column(), &s));
            let dv = |f: fn(&Summary) -> f64| d.as_ref().map_or(nan, f);
            let row = [
                s.mean,
                s.se,
                dv(|d| d.mean),
                dv(|d| d.se),
                dv(|d| d.ci95_lo),
                dv(|d| d.ci95_hi),
                dv(|d| d.p5),
                dv(|d| d.p10),
                dv(|d| d.p50),
                dv(|d| d.p90),
                dv(|d| d.p95),
            ];
            for (c, x) in cols.iter_mut().zip(row) {
                c.push(some(x));
            }
            for (r, x) in ranks.iter_mut().zip([s.p5, s.p10, s.p50, s.p90, s.p95]) {
                r.push(crate::render::tables::stat_cell(x));
            }
        }
    }
    let height = variant.len();
    let [
        mean,
        se,
        diff_mean,
        diff_se,
        diff_lo,
        diff_hi,
        d5,
        d10,
        d50,
        d90,
        d95,
    ] = cols;
    let [p5, p10, p50, p90, p95] = ranks;
    let mut columns = vec![
        Column::new("variant".into(), variant),
        Column::new("metric".into(), metric),
        Column::new("share_never".into(), share_never),
        Column::new("mean".into(), mean),
        Column::new("se".into(), se),
        Column::new("p5".into(), p5),
        Column::new("p10".into(), p10),
        Column::new("p50".into(), p50),
        Column::new("p90".into(), p90),
        Column::new("p95".into(), p95),
        Column::new("paired_diff_mean".into(), diff_mean),
        Column::new("paired_diff_se".into(), diff_se),
        Column::new("paired_diff_ci95_lo".into(), diff_lo),
        Column::new("paired_diff_ci95_hi".into(), diff_hi),
        Column::new("paired_diff_p5".into(), d5),
        Column::new("paired_diff_p10".into(), d10),
        Column::new("paired_diff_p50".into(), d50),
        Column::new("paired_diff_p90".into(), d90),
        Column::new("paired_diff_p95".into(), d95),
    ];
    // A sweep's axes, one column each after the statistics (so the columns before them keep
    // their places), repeated on each metric's row of a variant.
    columns.extend(crate::render::tables::axis_columns(
        variants,
        variants
            .iter()
            .flat_map(|v| std::iter::repeat_n(v, METRICS.len())),
    ));
    DataFrame::new(height, columns).context("building the comparison table")
}

/// Which variant wins on each measure an energy and investment decision weighs: the lowest
/// levelised cost of energy including the on-site assets' capex, the lowest energy-charge cost
/// per MWh, the lowest location-based and market-based emissions per year (means), and the
/// highest P50 project NPV; each with the runner-up and the paired difference between the two
/// (runner-up minus winner, mean and 95 % interval, replication by replication).
pub(crate) fn winners(variants: &[VariantRuns]) -> Block {
    let header = [
        "measure",
        "best",
        "its value",
        "runner-up",
        "runner-up - best (paired mean, 95 % CI)",
    ]
    .map(String::from)
    .to_vec();
    /// A measure: its label, the metric, whether lower is better, and the statistic ranked.
    type Measure = (&'static str, Metric, bool, fn(&Summary) -> f64);
    let measures: [Measure; 5] = [
        (
            "Lowest levelised cost of energy incl. on-site capex (mean, per MWh)",
            Metric::kpi(Kpi::LcoeUsdPerMwh),
            true,
            |s| s.mean,
        ),
        (
            "Lowest energy-charge cost (mean, per MWh)",
            Metric::kpi(Kpi::EnergyCostUsdPerMwh),
            true,
            |s| s.mean,
        ),
        (
            "Lowest emissions, location-based (mean tCO2 per year)",
            ANNUAL_TCO2,
            true,
            |s| s.mean,
        ),
        (
            "Lowest emissions, market-based, hourly matched (mean tCO2 per year)",
            ANNUAL_MARKET_TCO2,
            true,
            |s| s.mean,
        ),
        (
            "Highest project NPV (P50)",
            Metric::kpi(Kpi::NpvUsd),
            false,
            |s| s.p50,
        ),
    ];
    let mut rows = Vec::new();
    for (label, m, lower, stat) in measures {
        let mut ranked: Vec<(&VariantRuns, f64)> = variants
            .iter()
            .map(|v| (v, stat(&summary(v, &m))))
            .filter(|(_, x)| x.is_finite())
            .collect();
        // Stable: among equals the first listed wins.
        ranked.sort_by(|a, b| {
            if lower {
                a.1.total_cmp(&b.1)
            } else {
                b.1.total_cmp(&a.1)
            }
        });
        // Values equal but for rounding in the last digits (a flat tariff gives every variant
        // the same price per MWh, summed in another order) are tied: the first listed of them
        // wins.
        if let Some(&(_, top)) = ranked.first() {
            let listed = |v: &VariantRuns| variants.iter().position(|w| std::ptr::eq(w, v));
            if let Some(i) = (0..ranked.len())
                .filter(|&i| nearly_equal(ranked[i].1, top))
                .min_by_key(|&i| listed(ranked[i].0))
            {
                let first = ranked.remove(i);
                ranked.insert(0, first);
            }
        }
        let f = |x: f64| by_format(m.column().format, x);
        let Some(&(best, value)) = ranked.first() else {
            rows.push(vec![
                label.to_string(),
                "n/a".into(),
                String::new(),
                String::new(),
                String::new(),
            ]);
            continue;
        };
        let (runner, diff) = match ranked.get(1) {
            Some(&(second, x)) => {
                let d = paired(best, second, &m);
                let diff = if d.n == 0 {
                    String::new()
                } else if nearly_zero(d.mean, value.abs().max(x.abs()))
                    && (d.n == 1 || nearly_zero(d.sd, value.abs().max(x.abs())))
                {
                    "tied in every replication".to_string()
                } else {
                    format!("{} ({} to {})", f(d.mean), f(d.ci95_lo), f(d.ci95_hi))
                };
                (format!("{} ({})", second.name, f(x)), diff)
            }
            None => (String::new(), String::new()),
        };
        rows.push(vec![
            label.to_string(),
            best.name.clone(),
            f(value),
            runner,
            diff,
        ]);
    }
    Block::Table { header, rows }
}

/// Half-width of the 95 % confidence interval of the difference of two means from independent
/// samples (Welch: t with the Welch-Satterthwaite degrees of freedom).
fn unpaired_half_width(a: &Summary, b: &Summary) -> f64 {
    let (va, vb) = (a.se * a.se, b.se * b.se);
    let df = (va + vb).powi(2) / (va * va / (a.n as f64 - 1.0) + vb * vb / (b.n as f64 - 1.0));
    // Both without spread: no uncertainty, and no degrees of freedom to speak of.
    let t = if va + vb == 0.0 { Z95 } else { t95(df) };
    t * (va + vb).sqrt()
}

/// Relative tolerance under which two figures count as equal: far below any figure the reports
/// print, far above the rounding of sums of a few thousand terms.
const TIE_TOLERANCE: f64 = 1e-9;

/// Whether `a` and `b` are equal but for rounding.
fn nearly_equal(a: f64, b: f64) -> bool {
    nearly_zero(a - b, a.abs().max(b.abs()))
}

/// Whether `x` is zero but for rounding, next to figures of size `scale`.
fn nearly_zero(x: f64, scale: f64) -> bool {
    x.abs() <= TIE_TOLERANCE * scale
}

/// One-line answers for each variant.
pub(crate) fn headline(v: &VariantRuns) -> String {
    let s = |kpi: Kpi| v.summary(kpi);
    let years = annual_energy_costs(v);
    format!(
        "{}: energy {} per MWh ({} levelised with on-site capex), {} a year (P95 year {}), {:.0} tCO2 a year location-based ({:.0} market-based), CFE {}, EBITDA margin P50 {}, NPV P50 {}.",
        v.name,
        by_format(
            Kpi::EnergyCostUsdPerMwh.format(),
            s(Kpi::EnergyCostUsdPerMwh).mean
        ),
        by_format(Kpi::LcoeUsdPerMwh.format(), s(Kpi::LcoeUsdPerMwh).mean),
        money(percentile_sorted(&years, 0.5)),
        money(percentile_sorted(&years, 0.95)),
        summarize(&values(v, &ANNUAL_TCO2)).mean,
        summarize(&values(v, &ANNUAL_MARKET_TCO2)).mean,
        percent(s(Kpi::CfeFrac).mean),
        percent(s(Kpi::EbitdaMarginFrac).p50),
        money(s(Kpi::NpvUsd).p50),
    )
}

/// A one-line answer for a variant of a sweep.
pub(crate) fn short_headline(v: &VariantRuns) -> String {
    let npv = v.summary(Kpi::NpvUsd);
    // Within a horizon shorter than 60 months the chance cannot be told; the horizon's own
    // window is stated instead.
    let window = crate::render::report::horizon_months(v).min(60.0);
    format!(
        "{}: NPV P50 {} (P10 {}, P90 {}), payback P50 {}, {} chance of payback within {window:.0} months.",
        v.name,
        money(npv.p50),
        money(npv.p10),
        money(npv.p90),
        crate::render::format::months(dcplan_sim::stats::percentile_never_last(
            &v.kpi(Kpi::PaybackMonths),
            0.5
        )),
        percent(crate::render::report::prob_payback_within(v, window)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tables::tests::{csv_rows, mostly_never, with_paybacks};

    /// Each measure names the variant that is best on it, with the runner-up and the paired
    /// difference; a cheaper energy bill does not win the levelised cost once capex counts.
    #[test]
    fn winners_name_the_best_variant_on_each_measure() {
        let variant = |name: &str, bill: f64, lcoe: f64, tco2: f64, market: f64, npv: f64| {
            let mut v = with_paybacks(name, &[Some(30.0); 8]);
            for r in &mut v.output.replications {
                let x = r.index as f64;
                r.months = vec![dcplan_sim::results::MonthRow::default(); 24];
                r.kpis.energy_cost_usd_per_mwh = Some(bill + x);
                r.kpis.lcoe_usd_per_mwh = Some(lcoe + x);
                r.kpis.tco2 = tco2 + x;
                r.kpis.market_tco2 = market + x;
                r.kpis.npv_usd = npv + x * 1e6;
            }
            v
        };
        let grid = variant("grid", 80.0, 80.0, 2000.0, 2000.0, 10e6);
        let solar = variant("solar", 60.0, 95.0, 1800.0, 800.0, 12e6);
        let Block::Table { rows, .. } = winners(&[grid, solar]) else {
            panic!("a table")
        };
        let best: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(best, ["grid", "solar", "solar", "solar", "solar"]);
        assert_eq!(rows[0][3], "solar ($98.50)", "runner-up with its mean");
        assert_eq!(rows[0][4], "$15.00 ($15.00 to $15.00)", "paired, exact");
        // Per year over a two-year horizon: 1,800 + 3.5 on average, halved.
        assert!(rows[2][2].starts_with("902"), "{:?}", rows[2]);
        let tie = variant("same", 80.0, 80.0, 2000.0, 2000.0, 10e6);
        let Block::Table { rows, .. } =
            winners(&[variant("grid", 80.0, 80.0, 2000.0, 2000.0, 10e6), tie])
        else {
            panic!("a table")
        };
        assert_eq!(rows[0][4], "tied in every replication");
        // Equal but for rounding in the last digits (sums in another order): still tied, and the
        // first listed wins, whichever is smaller by 1e-13.
        let Block::Table { rows, .. } = winners(&[
            variant("grid", 60.0, 60.0, 2000.0, 2000.0, 10e6),
            variant("same", 60.0 - 1e-13, 60.0 - 1e-13, 2000.0, 2000.0, 10e6),
        ]) else {
            panic!("a table")
        };
        assert_eq!(rows[0][1], "grid", "{:?}", rows[0]);
        assert_eq!(rows[0][4], "tied in every replication", "{:?}", rows[0]);
    }

    #[test]
    fn comparison_says_never_where_most_replications_never_pay_back() {
        let base = with_paybacks("base", &mostly_never());
        let all = with_paybacks("all", &[Some(20.0); 10]);
        let (header, rows) = csv_rows(&mut comparison_frame(&[base, all]).expect("comparison"));
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("column {name} in {header:?}"))
        };
        let row = |variant: &str| {
            rows.iter()
                .find(|r| {
                    r[col("variant")] == variant && r[col("metric")] == Kpi::PaybackMonths.name()
                })
                .expect("payback row")
        };
        let b = row("base");
        assert_eq!(
            (
                b[col("p50")].as_str(),
                b[col("p95")].as_str(),
                b[col("share_never")].as_str()
            ),
            ("never", "never", "0.7")
        );
        assert_eq!(
            (b[col("mean")].as_str(), b[col("se")].as_str()),
            ("", ""),
            "no mean over the 3 that pay back"
        );
        let a = row("all");
        assert_eq!(
            (
                a[col("p50")].as_str(),
                a[col("share_never")].as_str(),
                a[col("mean")].as_str()
            ),
            ("20.0", "0.0", "20.0")
        );
        // Against a baseline that mostly never pays back, the paired difference does not exist.
        assert_eq!(
            (
                a[col("paired_diff_mean")].as_str(),
                a[col("paired_diff_ci95_lo")].as_str()
            ),
            ("", "")
        );
        let npv = rows
            .iter()
            .find(|r| r[col("variant")] == "all" && r[col("metric")] == Kpi::NpvUsd.name())
            .expect("npv row");
        assert_eq!(
            (
                npv[col("share_never")].as_str(),
                npv[col("paired_diff_mean")].as_str()
            ),
            ("", "0.0")
        );
    }

    #[test]
    fn report_tables_read_never_for_payback() {
        let v = with_paybacks("base", &mostly_never());
        let Block::Table { rows, .. } = variant_table(std::slice::from_ref(&v)) else {
            panic!("a table")
        };
        assert_eq!(rows[0][4], "never");
        let Block::Table { rows, .. } = side_by_side(std::slice::from_ref(&v)) else {
            panic!("a table")
        };
        let payback = rows
            .iter()
            .find(|r| r[0] == "Payback (months)")
            .expect("payback row");
        assert_eq!(
            payback[1..],
            ["n/a (never in 70.0 %)".to_string(), "never".to_string()]
        );
        let Block::Table { rows, .. } = crate::render::report::key_table(&v) else {
            panic!("a table")
        };
        let payback = rows
            .iter()
            .find(|r| r[0].starts_with("Payback"))
            .expect("payback row");
        assert_eq!(payback[1], "n/a (never in 70.0 %)");
        assert_eq!(payback[5], "never", "P50: {payback:?}");
        assert_eq!(payback[8], "10 (never in 7)");
    }
}
