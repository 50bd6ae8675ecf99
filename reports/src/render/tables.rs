//! Results as polars tables: `runs` (one row per variant and replication), `monthly` (one row per
//! variant, replication and month), `fleet`, `market`, `hourly` (the kept replications' hourly
//! energy flows) and `summary` (statistics per variant and KPI).

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};
use dcplan_sim::columns::Column as ColumnMeta;
use dcplan_sim::results::{Kpi, MonthRow};
use dcplan_sim::stats::{Summary, summarize_kpi};
use dcplan_sim::time::YearMonth;
use dcplan_sim::{Replication, RunOutput};
use polars_core::prelude::{Column, DataFrame, DataType, IntoColumn, StringChunked};
use polars_io::prelude::{
    CsvWriter, ParquetCompression, ParquetReader, ParquetWriter, SerReader, SerWriter,
};

/// The runs of one variant of a scenario.
#[derive(Clone, Debug)]
pub(crate) struct VariantRuns {
    /// Variant name ("base" for a scenario without a sweep).
    pub name: String,
    /// Master seed.
    pub seed: u64,
    /// Calendar month of month index 0.
    pub start: YearMonth,
    /// The values of a sweep's axes in this variant: `(field path, value text)`, one per axis
    /// (empty outside a sweep).
    pub axes: Vec<(String, String)>,
    /// Results.
    pub output: RunOutput,
}

impl VariantRuns {
    /// Values of one KPI across replications.
    pub(crate) fn kpi(&self, kpi: Kpi) -> Vec<Option<f64>> {
        self.output
            .replications
            .iter()
            .map(|r| r.kpis.value(kpi))
            .collect()
    }

    /// Summary statistics of one KPI; a quantity that may never happen (payback) counts "never"
    /// as later than any month ([`summarize_kpi`]).
    pub(crate) fn summary(&self, kpi: Kpi) -> Summary {
        summarize_kpi(kpi, &self.kpi(kpi))
    }
}

/// Prefix of the columns that hold sampled uncertain inputs in `runs`.
pub use dcplan_sim::columns::PARAM_PREFIX;

/// Every item (`items` of each replication) of every variant, with its variant and replication,
/// in variant, replication and item order.
fn rows_per_replication<'a, T>(
    variants: &'a [VariantRuns],
    items: impl Fn(&'a Replication) -> &'a [T] + Copy,
) -> Vec<(&'a VariantRuns, &'a Replication, &'a T)> {
    variants
        .iter()
        .flat_map(|v| {
            v.output
                .replications
                .iter()
                .flat_map(move |r| items(r).iter().map(move |x| (v, r, x)))
        })
        .collect()
}

/// The `variant` (name) and `replication` (index) key columns of rows that each belong to one
/// replication of a variant.
fn key_columns<'a>(
    rows: impl Iterator<Item = (&'a VariantRuns, &'a Replication)> + Clone,
) -> [Column; 2] {
    [
        Column::new(
            "variant".into(),
            rows.clone()
                .map(|(v, _)| v.name.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "replication".into(),
            rows.map(|(_, r)| r.index).collect::<Vec<u64>>(),
        ),
    ]
}

/// Prefix of the columns that hold a sweep axis's value (`sweep:<field path>`).
pub use dcplan_sim::columns::AXIS_PREFIX;

/// One column per sweep axis of `variants` (`sweep:<field path>`, axes in the order the variants
/// give them) holding the axis's value in the variant of each of `rows`: a number where every
/// value of the axis is one, else the value's text. None outside a sweep.
pub(crate) fn axis_columns<'a>(
    variants: &'a [VariantRuns],
    rows: impl Iterator<Item = &'a VariantRuns> + Clone,
) -> Vec<Column> {
    let mut paths: Vec<&str> = Vec::new();
    for v in variants {
        for (p, _) in &v.axes {
            if !paths.contains(&p.as_str()) {
                paths.push(p);
            }
        }
    }
    paths
        .into_iter()
        .map(|p| {
            let text: Vec<Option<&str>> = rows
                .clone()
                .map(|v| v.axes.iter().find(|(q, _)| q == p).map(|(_, x)| x.trim()))
                .collect();
            let numbers: Option<Vec<Option<f64>>> = text
                .iter()
                .map(|t| match t {
                    Some(t) => t.replace('_', "").parse::<f64>().ok().map(Some),
                    None => Some(None),
                })
                .collect();
            let name = format!("{AXIS_PREFIX}{p}");
            match numbers {
                Some(numbers) => Column::new(name.into(), numbers),
                None => Column::new(name.into(), text),
            }
        })
        .collect()
}

/// One row per (variant, replication) with every KPI and the sampled inputs.
pub(crate) fn runs_frame(variants: &[VariantRuns]) -> Result<DataFrame> {
    let reps: Vec<(&VariantRuns, &Replication)> = variants
        .iter()
        .flat_map(|v| v.output.replications.iter().map(move |r| (v, r)))
        .collect();
    let [variant, replication] = key_columns(reps.iter().copied());
    let mut cols: Vec<Column> = vec![variant];
    cols.extend(axis_columns(variants, reps.iter().map(|(v, _)| *v)));
    cols.extend([
        replication,
        Column::new(
            "seed".into(),
            reps.iter().map(|(v, _)| v.seed).collect::<Vec<u64>>(),
        ),
        Column::new(
            "events".into(),
            reps.iter().map(|(_, r)| r.events).collect::<Vec<u64>>(),
        ),
    ]);
    for &k in Kpi::ALL {
        let values: Vec<Option<f64>> = reps.iter().map(|(_, r)| r.kpis.value(k)).collect();
        cols.push(Column::new(k.name().into(), values));
    }
    // Sampled inputs: the union of paths, in first-seen order.
    let mut paths: Vec<&str> = Vec::new();
    for (_, r) in &reps {
        for (p, _) in &r.params {
            if !paths.contains(&p.as_str()) {
                paths.push(p);
            }
        }
    }
    for p in paths {
        let values: Vec<Option<f64>> = reps
            .iter()
            .map(|(_, r)| r.params.iter().find(|(q, _)| q == p).map(|(_, v)| *v))
            .collect();
        cols.push(Column::new(format!("{PARAM_PREFIX}{p}").into(), values));
    }
    DataFrame::new(reps.len(), cols).context("building the runs table")
}

/// One row per (variant, replication, month).
pub(crate) fn monthly_frame(variants: &[VariantRuns]) -> Result<DataFrame> {
    let rows: Vec<(&VariantRuns, &Replication, &MonthRow)> =
        rows_per_replication(variants, |r| &r.months);
    let [variant, replication] = key_columns(rows.iter().map(|(v, r, _)| (*v, *r)));
    let mut cols: Vec<Column> = vec![variant];
    cols.extend(axis_columns(variants, rows.iter().map(|(v, _, _)| *v)));
    cols.extend([
        replication,
        Column::new(
            "month".into(),
            rows.iter()
                .map(|(_, _, m)| m.month as u32)
                .collect::<Vec<u32>>(),
        ),
        Column::new(
            "year_month".into(),
            rows.iter()
                .map(|(v, _, m)| v.start.plus_months(m.month as u32).to_string())
                .collect::<Vec<String>>(),
        ),
        month_start(
            rows.iter()
                .map(|(v, _, m)| v.start.plus_months(m.month as u32)),
        )?,
    ]);
    for c in MonthRow::COLUMNS.iter().filter(|c| c.name != "month") {
        // Undefined values (a ratio over nothing, water at a fixed PUE) are empty, never NaN.
        let values: Vec<Option<f64>> = rows
            .iter()
            .map(|(_, _, m)| m.get(c.name).and_then(finite))
            .collect();
        cols.push(Column::new(c.name.into(), values));
    }
    DataFrame::new(rows.len(), cols).context("building the monthly table")
}

/// The `month_start` column: the first day of each row's calendar month, as a date.
pub(crate) fn month_start(months: impl Iterator<Item = YearMonth>) -> Result<Column> {
    use polars_core::prelude::{DataType, Int32Chunked, IntoColumn};
    let days: Vec<i32> = months
        .map(|ym| days_since_epoch(ym.year, ym.month))
        .collect();
    Int32Chunked::from_vec("month_start".into(), days)
        .into_column()
        .cast(&DataType::Date)
        .context("building the month_start column")
}

/// Days from 1970-01-01 to the first day of `month` (1-12) of `year` (proleptic Gregorian).
/// A date beyond what an `i32` of days holds (a damaged month index read back) is clamped.
pub(crate) fn days_since_epoch(year: i32, month: u32) -> i32 {
    // Days from civil (Howard Hinnant's algorithm), for day 1 of the month.
    let year = i64::from(year);
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month.clamp(1, 12));
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Fleet composition: one row per (variant, replication, month, SKU) with GPUs per state.
pub(crate) fn fleet_frame(variants: &[VariantRuns]) -> Result<DataFrame> {
    use dcplan_sim::model::fleet::GpuState;
    type FleetRow = (u32, u16, [u64; dcplan_sim::model::fleet::N_GPU_STATES]);
    let rows: Vec<(&VariantRuns, &Replication, &FleetRow)> =
        rows_per_replication(variants, |r| &r.fleet);
    let [variant, replication] = key_columns(rows.iter().map(|(v, r, _)| (*v, *r)));
    let mut cols: Vec<Column> = vec![
        variant,
        replication,
        Column::new(
            "month".into(),
            rows.iter().map(|(_, _, f)| f.0).collect::<Vec<u32>>(),
        ),
        month_start(rows.iter().map(|(v, _, f)| v.start.plus_months(f.0)))?,
        Column::new(
            "sku".into(),
            rows.iter()
                .map(|(_, r, f)| r.skus[f.1 as usize].as_str())
                .collect::<Vec<_>>(),
        ),
    ];
    for s in GpuState::ALL {
        cols.push(Column::new(
            format!("{}_gpus", s.label()).into(),
            rows.iter()
                .map(|(_, _, f)| f.2[s as usize])
                .collect::<Vec<u64>>(),
        ));
    }
    DataFrame::new(rows.len(), cols).context("building the fleet table")
}

/// Market prices: one row per (variant, replication, month, SKU).
pub(crate) fn market_frame(variants: &[VariantRuns]) -> Result<DataFrame> {
    let mut variant = Vec::new();
    let mut replication = Vec::new();
    let mut month = Vec::new();
    let mut start = Vec::new();
    let mut sku = Vec::new();
    let mut price = Vec::new();
    for v in variants {
        for r in &v.output.replications {
            for (i, path) in r.market_prices.iter().enumerate() {
                for (m, p) in path.iter().enumerate() {
                    variant.push(v.name.clone());
                    replication.push(r.index);
                    month.push(m as u32);
                    start.push(v.start.plus_months(m as u32));
                    sku.push(r.skus[i].clone());
                    price.push(*p);
                }
            }
        }
    }
    let height = variant.len();
    let cols = vec![
        Column::new("variant".into(), variant),
        Column::new("replication".into(), replication),
        Column::new("month".into(), month),
        month_start(start.into_iter())?,
        Column::new("sku".into(), sku),
        Column::new("market_price_usd_per_gpu_hour".into(), price),
    ];
    DataFrame::new(height, cols).context("building the market table")
}

/// Firings of expansion policies: one row per (variant, replication, firing), in firing order.
pub(crate) fn decisions_frame(variants: &[VariantRuns]) -> Result<DataFrame> {
    let rows: Vec<(&VariantRuns, &Replication, &dcplan_sim::results::Decision)> =
        rows_per_replication(variants, |r| &r.decisions);
    let [variant, replication] = key_columns(rows.iter().map(|(v, r, _)| (*v, *r)));
    let text = |name: &str, f: &dyn Fn(&dcplan_sim::results::Decision) -> String| {
        Column::new(
            name.into(),
            rows.iter().map(|(_, _, d)| f(d)).collect::<Vec<String>>(),
        )
    };
    let cols: Vec<Column> = vec![
        variant,
        replication,
        Column::new(
            "month".into(),
            rows.iter().map(|(_, _, d)| d.month).collect::<Vec<u32>>(),
        ),
        Column::new(
            "year_month".into(),
            rows.iter()
                .map(|(v, _, d)| v.start.plus_months(d.month).to_string())
                .collect::<Vec<String>>(),
        ),
        text("rule", &|d| d.rule.clone()),
        text("action", &|d| d.action.clone()),
        text("target", &|d| d.target.clone()),
        Column::new(
            "gpus".into(),
            rows.iter().map(|(_, _, d)| d.gpus).collect::<Vec<f64>>(),
        ),
        Column::new(
            "capex_usd".into(),
            rows.iter()
                .map(|(_, _, d)| d.capex_usd)
                .collect::<Vec<f64>>(),
        ),
        Column::new(
            "effective_month".into(),
            rows.iter()
                .map(|(_, _, d)| d.effective_month)
                .collect::<Vec<u32>>(),
        ),
    ];
    DataFrame::new(rows.len(), cols).context("building the decisions table")
}

/// Flow columns of `hourly.parquet` (their metadata: name, unit, definition).
pub use dcplan_sim::columns::HOURLY as HOURLY_COLUMNS;
pub use dcplan_sim::columns::{hourly_from_values, hourly_values};

/// Hourly energy flows of the replications the scenario keeps (`simulation.hourly_replications`):
/// one row per (variant, replication, hour).
pub(crate) fn hourly_frame(variants: &[VariantRuns]) -> Result<DataFrame> {
    let mut variant = Vec::new();
    let mut replication = Vec::new();
    let mut hour = Vec::new();
    let mut year_month = Vec::new();
    let mut day = Vec::new();
    let mut hour_of_day = Vec::new();
    let mut flows: Vec<Vec<f64>> = vec![Vec::new(); HOURLY_COLUMNS.len()];
    for v in variants {
        for r in v
            .output
            .replications
            .iter()
            .filter(|r| !r.hourly.is_empty())
        {
            let months = r.months.len().max(1) as u32;
            let calendar = dcplan_sim::time::Calendar::new(v.start, months);
            let mut m = 0u32;
            for (h, f) in r.hourly.iter().enumerate() {
                let h = h as u64;
                while m + 1 < months && calendar.month_start(m + 1).hour_index() <= h {
                    m += 1;
                }
                let in_month = h - calendar.month_start(m).hour_index();
                variant.push(v.name.clone());
                replication.push(r.index);
                hour.push(h);
                year_month.push(v.start.plus_months(m).to_string());
                day.push((in_month / 24 + 1) as u32);
                hour_of_day.push((in_month % 24) as u32);
                for (col, x) in flows.iter_mut().zip(hourly_values(f)) {
                    col.push(x);
                }
            }
        }
    }
    let height = variant.len();
    let mut cols = vec![
        Column::new("variant".into(), variant),
        Column::new("replication".into(), replication),
        Column::new("hour".into(), hour),
        Column::new("year_month".into(), year_month),
        Column::new("day".into(), day),
        Column::new("hour_of_day".into(), hour_of_day),
    ];
    // An undefined hour (water without evaporative cooling, PUE without load) is empty, never
    // NaN: a NaN is never written as a number.
    for (c, values) in HOURLY_COLUMNS.iter().zip(flows) {
        let values: Vec<Option<f64>> = values.into_iter().map(finite).collect();
        cols.push(Column::new(c.name.into(), values));
    }
    DataFrame::new(height, cols).context("building the hourly table")
}

/// Statistics per variant and KPI: `n`, `n_total`, `share_never`, the moments
/// ([`MOMENT_STATS`]) and the rank statistics ([`RANK_STATS`]), then the risk rows.
///
/// For a quantity that may never happen (its metadata's `may_not_happen`: payback, first
/// profitable month), `share_never` is the share of replications where it never happens within
/// the horizon, a rank statistic that falls among them reads `never`, and the moments are empty
/// unless every replication reaches it. Elsewhere `share_never` is empty and the statistics are
/// over the `n` replications where the quantity exists.
pub(crate) fn summary_frame(variants: &[VariantRuns]) -> Result<DataFrame> {
    let mut variant = Vec::new();
    let mut kpi = Vec::new();
    let mut moments: Vec<Vec<Option<f64>>> = vec![Vec::new(); MOMENT_STATS.len()];
    let mut ranks: Vec<Vec<Option<String>>> = vec![Vec::new(); RANK_STATS.len()];
    let mut n = Vec::new();
    let mut n_total = Vec::new();
    let mut share_never = Vec::new();
    for v in variants {
        for &k in Kpi::ALL {
            let mut s = v.summary(k);
            // The mean of a share lies between 0 and 1, whatever the normal approximation says.
            // (A NaN, where there is no interval, stays NaN: `max` would make it a bound.)
            if k.is_share() && s.ci95_lo.is_finite() && s.ci95_hi.is_finite() {
                s.ci95_lo = s.ci95_lo.max(0.0);
                s.ci95_hi = s.ci95_hi.min(1.0);
            }
            variant.push(v.name.clone());
            kpi.push(k.name().to_string());
            n.push(s.n as u64);
            n_total.push(s.n_total as u64);
            share_never.push(share_never_cell(k.column(), &s));
            for (col, (_, f)) in moments.iter_mut().zip(MOMENT_STATS) {
                col.push(finite(f(&s)));
            }
            for (col, (_, f)) in ranks.iter_mut().zip(RANK_STATS) {
                col.push(stat_cell(f(&s)));
            }
        }
    }
    let height = variant.len();
    let mut cols = vec![
        Column::new("variant".into(), variant),
        Column::new("kpi".into(), kpi),
        Column::new("n".into(), n),
        Column::new("n_total".into(), n_total),
        Column::new("share_never".into(), share_never),
    ];
    for ((name, _), values) in MOMENT_STATS.iter().zip(moments) {
        cols.push(Column::new((*name).into(), values));
    }
    for ((name, _), values) in RANK_STATS.iter().zip(ranks) {
        cols.push(Column::new((*name).into(), values));
    }
    let mut df = DataFrame::new(height, cols).context("building the summary table")?;
    df.vstack_mut(&risk_frame(variants)?)
        .context("adding the risk rows")?;
    Ok(df)
}

/// The `share_never` cell of a quantity: the share of replications where it never happens,
/// for a quantity that may never happen; empty for any other.
pub(crate) fn share_never_cell(column: &ColumnMeta, s: &Summary) -> Option<f64> {
    let share = s.share_never();
    (column.may_not_happen && share.is_finite()).then_some(share)
}

/// A rank statistic as a table cell: the number as polars writes a float, `never` where the
/// statistic falls among the replications where the event never happens (infinity), empty
/// where it does not exist.
pub(crate) fn stat_cell(x: f64) -> Option<String> {
    if x == f64::INFINITY {
        Some(NEVER.into())
    } else if x.is_finite() {
        Some(zmij::Buffer::new().format(x).to_string())
    } else {
        None
    }
}

/// A number, or nothing where it does not exist (never a NaN in a table).
pub(crate) fn finite(x: f64) -> Option<f64> {
    // Adding +0 turns a -0 (a negated zero) into 0 and changes no other number.
    x.is_finite().then_some(x + 0.0)
}

/// A time until an event as a table cell: the number, or `never` (`None`: the event never
/// happens within the horizon).
pub(crate) fn months_cell(x: Option<f64>) -> Option<String> {
    stat_cell(x.unwrap_or(f64::INFINITY))
}

/// What a cell says where an event never happens within the horizon.
pub(crate) const NEVER: &str = "never";

/// Risk statistics as rows shaped like the summary (`mean` holds the probability or CVaR, `se`
/// its standard error where one exists).
pub(crate) fn risk_frame(variants: &[VariantRuns]) -> Result<DataFrame> {
    let mut variant = Vec::new();
    let mut kpi = Vec::new();
    let mut n = Vec::new();
    let mut n_total = Vec::new();
    let mut mean = Vec::new();
    let mut se = Vec::new();
    let (mut lo, mut hi) = (Vec::new(), Vec::new());
    for v in variants {
        let reps = v.output.replications.len() as u64;
        for (name, (p, e)) in risk_rows(v) {
            // A probability's interval (Wilson score) stays within 0 and 1; CVaR has none.
            let interval = (name.starts_with("p_") && p.is_finite())
                .then(|| dcplan_sim::stats::wilson_interval(p, reps));
            variant.push(v.name.clone());
            kpi.push(name);
            // A window past the horizon has no answer from any replication.
            n.push(if p.is_finite() { reps } else { 0 });
            n_total.push(reps);
            mean.push(p.is_finite().then_some(p));
            se.push(e.is_finite().then_some(e));
            lo.push(interval.map(|i| i.0));
            hi.push(interval.map(|i| i.1));
        }
    }
    let height = variant.len();
    let mut cols = vec![
        Column::new("variant".into(), variant),
        Column::new("kpi".into(), kpi),
        Column::new("n".into(), n),
        Column::new("n_total".into(), n_total),
        Column::new("share_never".into(), vec![None::<f64>; height]),
        Column::new("mean".into(), mean.clone()),
        Column::new("se".into(), se.clone()),
    ];
    cols.push(Column::new("ci95_lo".into(), lo));
    cols.push(Column::new("ci95_hi".into(), hi));
    for (name, _) in MOMENT_STATS.iter().skip(4) {
        cols.push(Column::new((*name).into(), vec![None::<f64>; height]));
    }
    for (name, _) in RANK_STATS {
        cols.push(Column::new((*name).into(), vec![None::<String>; height]));
    }
    DataFrame::new(height, cols).context("building the risk table")
}

/// Months for which the probability of payback is reported.
pub(crate) const PAYBACK_MONTHS: [u32; 4] = [18, 24, 36, 60];

/// `(name, (value, standard error))` of each risk statistic of a variant.
pub(crate) fn risk_rows(v: &VariantRuns) -> Vec<(String, (f64, f64))> {
    use dcplan_sim::stats::{cvar_low, prob_at_most, prob_below};
    let payback = v.kpi(Kpi::PaybackMonths);
    let npv = v.kpi(Kpi::NpvUsd);
    // A window past the horizon has no answer: a payback not seen yet may still come.
    let horizon = crate::render::report::horizon_months(v);
    let mut rows: Vec<(String, (f64, f64))> = PAYBACK_MONTHS
        .iter()
        .map(|&m| {
            (
                format!("p_payback_within_{m}_months"),
                if f64::from(m) <= horizon {
                    prob_at_most(&payback, f64::from(m))
                } else {
                    (f64::NAN, f64::NAN)
                },
            )
        })
        .collect();
    rows.push(("p_npv_negative".into(), prob_below(&npv, 0.0)));
    rows.push(("cvar5_npv_usd".into(), (cvar_low(&npv, 0.05), f64::NAN)));
    rows
}

type StatFn = fn(&Summary) -> f64;

/// Moment columns of the summary table (numbers; empty where they do not exist, and for a
/// quantity that may never happen unless every replication reaches it).
pub(crate) const MOMENT_STATS: &[(&str, StatFn)] = &[
    ("mean", |s| s.mean),
    ("se", |s| s.se),
    ("ci95_lo", |s| s.ci95_lo),
    ("ci95_hi", |s| s.ci95_hi),
    ("sd", |s| s.sd),
];

/// Rank statistic columns of the summary table (a number, or `never`).
pub(crate) const RANK_STATS: &[(&str, StatFn)] = &[
    ("min", |s| s.min),
    ("p5", |s| s.p5),
    ("p10", |s| s.p10),
    ("p25", |s| s.p25),
    ("p50", |s| s.p50),
    ("p75", |s| s.p75),
    ("p90", |s| s.p90),
    ("p95", |s| s.p95),
    ("max", |s| s.max),
];

/// Write a frame as Parquet (zstd-compressed).
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(df)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Write a frame as CSV with a header.
///
/// A text cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return: a scenario or variant named `=HYPERLINK(...)`) is written with a
/// leading `'`, which spreadsheets show as text (OWASP's advice on CSV injection). Numbers are
/// numbers, not text, and are written as they are.
pub(crate) fn write_csv(df: &mut DataFrame, path: &Path) -> Result<()> {
    let mut safe = text_as_text(df)?;
    let mut file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    CsvWriter::new(&mut file)
        .include_header(true)
        .finish(&mut safe)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Whether a text cell would start a formula in a spreadsheet: a number written as text (the
/// statistics columns hold `-53393291.8` as text, beside empty cells) is a number, not one.
fn reads_as_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.trim().parse::<f64>().is_err()
}

/// `df` with every text cell that would read as a formula quoted by a leading `'`.
fn text_as_text(df: &DataFrame) -> Result<DataFrame> {
    let mut out = df.clone();
    for column in df.columns() {
        if column.dtype() != &DataType::String {
            continue;
        }
        let cells = column.str()?;
        if !cells.iter().flatten().any(reads_as_formula) {
            continue;
        }
        let quoted: StringChunked = cells
            .iter()
            .map(|cell| {
                cell.map(|c| {
                    if reads_as_formula(c) {
                        format!("'{c}")
                    } else {
                        c.to_string()
                    }
                })
            })
            .collect();
        out.with_column(quoted.with_name(column.name().clone()).into_column())?;
    }
    Ok(out)
}

/// `columns.csv`: the data dictionary (table, column, unit, definition) of every table a run
/// folder holds, from the same metadata as the report's labels.
pub(crate) fn columns_frame() -> Result<DataFrame> {
    let d = dcplan_sim::dictionary::dictionary();
    let col = |name: &str, f: &dyn Fn(&dcplan_sim::dictionary::Entry) -> String| {
        Column::new(name.into(), d.iter().map(f).collect::<Vec<String>>())
    };
    DataFrame::new(
        d.len(),
        vec![
            col("table", &|e| e.table.to_string()),
            col("column", &|e| e.column.clone()),
            col("unit", &|e| e.unit.to_string()),
            col("definition", &|e| e.definition.clone()),
        ],
    )
    .context("building the data dictionary")
}

/// Read a Parquet file.
pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    ParquetReader::new(file)
        .finish()
        .with_context(|| format!("reading {}", path.display()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use dcplan_sim::Kpis;

    /// A variant whose replications have the given paybacks (`None`: never within the horizon).
    pub(crate) fn with_paybacks(name: &str, paybacks: &[Option<f64>]) -> VariantRuns {
        let replications = paybacks
            .iter()
            .enumerate()
            .map(|(i, p)| Replication {
                index: i as u64,
                kpis: Kpis {
                    payback_months: *p,
                    npv_usd: i as f64,
                    ..Kpis::default()
                },
                // A 72-month horizon: every payback window of the risk table lies within it.
                months: vec![Default::default(); 72],
                params: Vec::new(),
                fleet: Vec::new(),
                skus: Vec::new(),
                market_prices: Vec::new(),
                hourly: Vec::new(),
                events: 0,
                decisions: Vec::new(),
                trace: None,
            })
            .collect();
        VariantRuns {
            name: name.into(),
            seed: 1,
            start: YearMonth {
                year: 2027,
                month: 1,
            },
            axes: Vec::new(),
            output: RunOutput {
                replications,
                failures: Vec::new(),
            },
        }
    }

    /// A share's interval stays between 0 and 1; others keep theirs as computed.
    #[test]
    fn the_interval_of_a_share_is_clipped_to_zero_and_one() {
        let mut v = with_paybacks("base", &[None; 3]);
        for (r, u) in v.output.replications.iter_mut().zip([0.99, 1.0, 0.97]) {
            r.kpis.utilization_frac = Some(u);
        }
        let mut df = summary_frame(&[v]).expect("summary");
        let (header, rows) = csv_rows(&mut df);
        let col = |name: &str| header.iter().position(|h| h == name).expect("column");
        let row = |kpi: Kpi| {
            rows.iter()
                .find(|r| r[col("kpi")] == kpi.name())
                .expect("row")
                .clone()
        };
        let u = row(Kpi::UtilizationFrac);
        // Mean 0.98, t(2) x se = 4.303 x 0.00882 = 0.038: 1.018 unclipped.
        assert_eq!(u[col("ci95_hi")], "1.0");
        assert!(u[col("ci95_lo")].parse::<f64>().expect("lo") < 0.98);
        let npv = row(Kpi::NpvUsd);
        // NPVs 0, 1, 2: mean 1, t(2) x se = 4.303 x 0.577 = 2.48 either side.
        assert!(npv[col("ci95_lo")].parse::<f64>().expect("lo") < -1.0);
    }

    #[test]
    fn a_text_cell_that_reads_as_a_formula_is_written_as_text() {
        let mut df = DataFrame::new(
            2,
            vec![
                Column::new("name".into(), ["=HYPERLINK(\"x\")", "plain"]),
                Column::new("value".into(), [-1.5, 2.0]),
                Column::new("as_text".into(), ["-53393291.8", "-1+cmd"]),
            ],
        )
        .expect("frame");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.csv");
        write_csv(&mut df, &path).expect("written");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("'=HYPERLINK"), "{text}");
        assert!(
            text.contains(",-53393291.8\n"),
            "a number as text is a number: {text}"
        );
        assert!(text.contains(",'-1+cmd"), "{text}");
        assert!(text.contains(",-1.5"), "numbers stay numbers: {text}");
    }

    /// The CSV text of a frame, as a header and rows of cells.
    pub(crate) fn csv_rows(df: &mut DataFrame) -> (Vec<String>, Vec<Vec<String>>) {
        let mut buf = Vec::new();
        CsvWriter::new(&mut buf)
            .include_header(true)
            .finish(df)
            .expect("csv");
        let text = String::from_utf8(buf).expect("utf-8");
        let mut lines = text
            .lines()
            .map(|l| l.split(',').map(String::from).collect::<Vec<_>>());
        (lines.next().expect("header"), lines.collect())
    }

    /// 7 of 10 replications never pay back, the 3 that do at 40, 50 and 63 months.
    pub(crate) fn mostly_never() -> Vec<Option<f64>> {
        let mut p = vec![Some(63.0), None, Some(40.0), None, None, Some(50.0), None];
        p.extend([None; 3]);
        p
    }

    #[test]
    fn summary_says_never_where_most_replications_never_pay_back() {
        let (header, rows) = csv_rows(
            &mut summary_frame(&[with_paybacks("base", &mostly_never())]).expect("summary"),
        );
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("column {name} in {header:?}"))
        };
        let row = rows
            .iter()
            .find(|r| r[col("kpi")] == Kpi::PaybackMonths.name())
            .expect("payback row");
        assert_eq!(row[col("p50")], "never", "{row:?}");
        assert_eq!(row[col("share_never")], "0.7");
        assert_eq!(
            (row[col("n")].as_str(), row[col("n_total")].as_str()),
            ("3", "10")
        );
        // Nearest rank with never last: P10 is the first of ten, P25 the third, P95 and max never.
        assert_eq!(
            (
                row[col("min")].as_str(),
                row[col("p10")].as_str(),
                row[col("p25")].as_str()
            ),
            ("40.0", "40.0", "63.0")
        );
        assert_eq!(
            (
                row[col("p75")].as_str(),
                row[col("p95")].as_str(),
                row[col("max")].as_str()
            ),
            ("never", "never", "never")
        );
        // No mean over only the replications that pay back.
        for stat in ["mean", "se", "ci95_lo", "ci95_hi", "sd"] {
            assert_eq!(row[col(stat)], "", "{stat}: {row:?}");
        }
        // Quantities that always exist have no share_never and plain numbers.
        let npv = rows
            .iter()
            .find(|r| r[col("kpi")] == Kpi::NpvUsd.name())
            .expect("npv row");
        assert_eq!(
            (
                npv[col("share_never")].as_str(),
                npv[col("p50")].as_str(),
                npv[col("mean")].as_str()
            ),
            ("", "4.5", "4.5")
        );
        let risk = rows
            .iter()
            .find(|r| r[col("kpi")] == "p_payback_within_60_months")
            .expect("risk row");
        assert_eq!(
            (risk[col("mean")].as_str(), risk[col("p50")].as_str()),
            ("0.2", ""),
            "40 and 50 months are within 60, 63 is not"
        );
    }

    #[test]
    fn payback_windows_past_the_horizon_have_no_probability_and_intervals_stay_in_0_1() {
        let mut v = with_paybacks("v", &[Some(20.0), None, None, None, None, None]);
        for r in &mut v.output.replications {
            r.months.truncate(30);
        }
        let (header, rows) = csv_rows(&mut summary_frame(&[v]).expect("summary"));
        let col = |name: &str| header.iter().position(|h| h == name).expect(name);
        let risk = |kpi: &str| {
            rows.iter()
                .find(|r| r[col("kpi")] == kpi)
                .unwrap_or_else(|| panic!("{kpi}"))
                .clone()
        };
        // 1 of 6 within 18 and 24 months: a Wilson interval, above 0.
        let r = risk("p_payback_within_24_months");
        let (lo, hi): (f64, f64) = (
            r[col("ci95_lo")].parse().expect("lo"),
            r[col("ci95_hi")].parse().expect("hi"),
        );
        assert!(
            0.0 < lo && lo < 1.0 / 6.0 && 1.0 / 6.0 < hi && hi < 1.0,
            "{lo} {hi}"
        );
        // 36 and 60 months lie past the 30-month horizon: no answer, not a lower bound.
        for kpi in ["p_payback_within_36_months", "p_payback_within_60_months"] {
            let r = risk(kpi);
            for stat in ["mean", "se", "ci95_lo", "ci95_hi"] {
                assert_eq!(r[col(stat)], "", "{kpi} {stat}");
            }
        }
    }

    #[test]
    fn summary_of_a_payback_every_replication_reaches_has_its_mean() {
        let (header, rows) = csv_rows(
            &mut summary_frame(&[with_paybacks(
                "base",
                &[Some(30.0), Some(40.0), Some(50.0), Some(60.0)],
            )])
            .expect("summary"),
        );
        let col = |name: &str| header.iter().position(|h| h == name).expect("column");
        let row = rows
            .iter()
            .find(|r| r[col("kpi")] == Kpi::PaybackMonths.name())
            .expect("payback row");
        assert_eq!(
            (
                row[col("share_never")].as_str(),
                row[col("mean")].as_str(),
                row[col("p50")].as_str()
            ),
            ("0.0", "45.0", "40.0")
        );
    }

    /// Column names of a frame.
    fn names(df: &DataFrame) -> Vec<String> {
        df.get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect()
    }

    #[test]
    fn month_start_is_the_first_day_of_the_month_as_a_date() {
        for (y, m, days) in [
            (1970, 1, 0),
            (2000, 3, 11_017),
            (2027, 1, 20_819),
            (2024, 2, 19_754),
            (1969, 12, -31),
            (i32::MAX, 12, i32::MAX),
        ] {
            assert_eq!(days_since_epoch(y, m), days, "{y}-{m}");
        }
        let mut v = with_paybacks("base", &[Some(3.0)]);
        v.output.replications[0].months = (0..14)
            .map(|m| MonthRow {
                month: m as f64,
                ..MonthRow::default()
            })
            .collect();
        let mut df = monthly_frame(&[v]).expect("monthly");
        // Through Parquet and back, as a date.
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("monthly.parquet");
        write_parquet(&mut df, &path).expect("written");
        let back = read_parquet(&path).expect("read");
        let c = back.column("month_start").expect("month_start");
        assert_eq!(c.dtype(), &polars_core::prelude::DataType::Date);
        let days = c
            .cast(&polars_core::prelude::DataType::Int32)
            .expect("days");
        let days: Vec<Option<i32>> = days.i32().expect("i32").iter().collect();
        assert_eq!(days[0], Some(20_819), "2027-01-01");
        assert_eq!(days[13], Some(days_since_epoch(2028, 2)), "2028-02-01");
    }

    #[test]
    fn sweep_axes_are_columns_of_their_own() {
        let variant = |name: &str, gpus: &str, tariff: &str| {
            let mut v = with_paybacks(name, &[Some(3.0), None]);
            v.axes = vec![
                ("fleet[0].gpus".into(), gpus.into()),
                ("energy.tariff".into(), tariff.into()),
            ];
            for r in &mut v.output.replications {
                r.months = vec![MonthRow::default(); 2];
            }
            v
        };
        let vs = [
            variant("a", "1_024", "Flat(price_usd_per_kwh: 0.05)"),
            variant("b", "2048", " Flat(price_usd_per_kwh: 0.08)"),
        ];
        let mut runs = runs_frame(&vs).expect("runs");
        assert_eq!(
            names(&runs)[..4],
            [
                "variant",
                "sweep:fleet[0].gpus",
                "sweep:energy.tariff",
                "replication"
            ]
        );
        let gpus = runs.column("sweep:fleet[0].gpus").expect("axis");
        assert_eq!(gpus.dtype(), &polars_core::prelude::DataType::Float64);
        let (_, rows) = csv_rows(&mut runs);
        assert_eq!(rows[0][1..3], ["1024.0", "Flat(price_usd_per_kwh: 0.05)"]);
        assert_eq!(rows[3][1..3], ["2048.0", "Flat(price_usd_per_kwh: 0.08)"]);
        let monthly = monthly_frame(&vs).expect("monthly");
        assert_eq!(monthly.height(), 8);
        assert_eq!(names(&monthly)[1], "sweep:fleet[0].gpus");
        let mut comparison = crate::render::comparison::comparison_frame(&vs).expect("comparison");
        let (header, rows) = csv_rows(&mut comparison);
        let n = header.len();
        assert_eq!(header[..2], ["variant", "metric"]);
        assert_eq!(
            header[n - 2..],
            ["sweep:fleet[0].gpus", "sweep:energy.tariff"]
        );
        assert!(rows.iter().all(|r| (r[0] == "a") == (r[n - 2] == "1024.0")));
        // Outside a sweep there are none.
        let plain = runs_frame(&[with_paybacks("base", &[None])]).expect("runs");
        assert!(!names(&plain).iter().any(|n| n.starts_with(AXIS_PREFIX)));
    }

    #[test]
    fn every_column_of_every_table_has_a_dictionary_entry() {
        let mut v = with_paybacks("base", &[Some(30.0), None]);
        for r in &mut v.output.replications {
            r.params = vec![("demand.price_usd_per_gpu_hour".into(), 2.0)];
        }
        v.axes = vec![("fleet[0].gpus".into(), "2048".into())];
        let v = [v];
        let dictionary = dcplan_sim::dictionary::dictionary();
        let tables = [
            ("runs", runs_frame(&v).expect("runs")),
            ("monthly", monthly_frame(&v).expect("monthly")),
            ("fleet", fleet_frame(&v).expect("fleet")),
            ("market", market_frame(&v).expect("market")),
            ("hourly", hourly_frame(&v).expect("hourly")),
            ("decisions", decisions_frame(&v).expect("decisions")),
            ("summary", summary_frame(&v).expect("summary")),
            (
                "proforma",
                crate::render::proforma::proforma_frame(&v).expect("proforma"),
            ),
            ("columns", columns_frame().expect("columns")),
            (
                "comparison",
                crate::render::comparison::comparison_frame(&v).expect("comparison"),
            ),
        ];
        for (table, df) in &tables {
            // Every column written, in order, is the dictionary's list for its table.
            let written: Vec<String> = names(df)
                .into_iter()
                .map(|c| {
                    if c.starts_with(PARAM_PREFIX) {
                        dcplan_sim::columns::PARAM.name.to_string()
                    } else if c.starts_with(AXIS_PREFIX) {
                        dcplan_sim::columns::AXIS.name.to_string()
                    } else {
                        c
                    }
                })
                .collect();
            let listed: Vec<String> = dictionary
                .iter()
                .filter(|e| e.table == *table)
                .map(|e| e.column.clone())
                .collect();
            assert_eq!(written, listed, "{table}");
        }
        // The sensitivity and search tables are built by their commands; the CLI tests check
        // their columns against the folder's columns.csv (`tests/it/scale.rs`).
        assert!(
            dictionary.iter().all(|e| {
                tables.iter().any(|(t, _)| *t == e.table)
                    || ["sensitivity", "candidates"].contains(&e.table)
            }),
            "the dictionary lists only tables dcplan writes"
        );
    }
}
