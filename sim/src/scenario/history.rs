//! Demand history: a monthly series of demanded GPU-hours (or of requests) that replaces the
//! arrival rate and its growth for the months it covers, the model's growth continuing it.
//!
//! Design:
//! * The CSV has a header with a `month` column (`YYYY-MM`) and the column the scenario names;
//!   other columns are ignored; months are consecutive and increasing. The history begins at or
//!   before the scenario start (it says what happened; months before the start only set the
//!   level).
//! * A month of the horizon the history covers has a constant arrival rate: the month's requests
//!   divided by its hours, or, for GPU-hours, the rate that makes the expected GPU-hours demanded
//!   by the requests arriving in the month (size as drawn, in whole GPUs, times duration) equal the
//!   history's, given the mix's shares, mean request sizes and mean durations. Seasonality and
//!   market regimes do not apply to those months: the history already holds them.
//! * After the history, the scenario's growth, seasonality and regimes continue from the level of
//!   the last history month: the base rate is set so that the growth-and-season curve at the
//!   middle of that month equals its rate. A history that ends before the start is thus grown to
//!   the start by the scenario's growth. `arrivals_per_day` is not used.
//! * A history of six months or more whose log-linear growth differs from the scenario's by more
//!   than three standard errors (and by more than 5 points a year) is warned about.

use serde::{Deserialize, Serialize};

use super::{Demand, Scenario};
use crate::calibrate::{csv_rows, find_column, loglinear_slope, shown};
use crate::problems::Problems;
use crate::time::{DAYS_IN_MONTH, HOURS_PER_YEAR, YearMonth};

/// Where the demand history lies and what its column counts.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandHistorySpec {
    /// CSV file relative to the scenario's folder, with a `month` column (`YYYY-MM`).
    pub path: String,
    /// Name of the column holding the monthly values.
    pub column: String,
    /// What the column counts.
    pub unit: HistoryUnit,
}

/// What a demand history counts per month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum HistoryUnit {
    /// GPU-hours demanded by the requests that arrived in the month (GPUs x hours).
    GpuHours,
    /// Requests that arrived in the month.
    Requests,
}

/// A demand history as read: consecutive months and their values.
#[derive(Clone, Debug, PartialEq)]
pub struct DemandHistory {
    /// Month of the first value, in months from the scenario start (0 or negative).
    pub first_month: i64,
    /// One value per month.
    pub values: Vec<f64>,
    /// What the values count.
    pub unit: HistoryUnit,
}

/// Days in the calendar month `m` months from `start` (negative: before it); 365-day years, as
/// the simulation calendar has.
pub(crate) fn hours_in_month(start: YearMonth, m: i64) -> f64 {
    let idx = (start.month as i64 - 1 + m).rem_euclid(12) as usize;
    (DAYS_IN_MONTH[idx] * 24) as f64
}

/// Hours from the scenario start to the start of month `m` (negative before the start).
pub(crate) fn month_start_hours(start: YearMonth, m: i64) -> f64 {
    if m >= 0 {
        (0..m).map(|k| hours_in_month(start, k)).sum()
    } else {
        -(m..0).map(|k| hours_in_month(start, k)).sum::<f64>()
    }
}

/// The expected GPU-hours one request demands: over the mix, share x E[size as drawn] x
/// E[duration in hours]. Sizes are drawn as `max(1, ceil(x))`, so the mean is the
/// distribution's plus the expected rounding, found by quadrature.
pub fn gpu_hours_per_request(d: &Demand) -> f64 {
    d.mix
        .iter()
        .map(|c| {
            let (dur, unit) = c.duration.param_and_unit();
            c.share_frac * drawn_size_mean(&c.size_gpus.dist()) * dur.mean() * unit
        })
        .sum()
}

fn drawn_size_mean(d: &crate::dist::Dist) -> f64 {
    use crate::dist::Dist;
    let drawn = |x: f64| x.max(1.0).ceil();
    match d {
        Dist::Fixed(x) => drawn(*x),
        Dist::Discrete(items) => {
            let total: f64 = items.iter().map(|(_, w)| w).sum();
            items.iter().map(|(v, w)| drawn(*v) * w).sum::<f64>() / total
        }
        _ => {
            const N: usize = 20_000;
            let rounding = (0..N)
                .map(|i| {
                    let x = d.quantile((i as f64 + 0.5) / N as f64);
                    drawn(x) - x
                })
                .sum::<f64>()
                / N as f64;
            d.mean() + rounding
        }
    }
}

/// Parse a demand history CSV. `shown_path` names the file in messages; each problem is pushed
/// on the field `demand.history.path` with the line and column.
pub(crate) fn parse_history(
    text: &str,
    shown_path: &str,
    spec: &DemandHistorySpec,
    start: YearMonth,
    problems: &mut Problems,
) -> Option<DemandHistory> {
    const FIELD: &str = "demand.history.path";
    let before = problems.len();
    let (header, rows) = csv_rows(text);
    let Some((hline, header)) = header else {
        problems.push(
            FIELD,
            format!(
                "{shown_path}: empty; a header line with `month` and `{}` is needed",
                shown(&spec.column)
            ),
        );
        return None;
    };
    let mut column = |names: &[&str], field: &str| {
        find_column(&header, names).unwrap_or_else(|twice| {
            problems.push(field, format!("{shown_path} line {hline}: {twice}"));
            None
        })
    };
    let month_col = column(&["month"], FIELD);
    let value_col = column(&[spec.column.as_str()], "demand.history.column");
    if problems.len() > before {
        return None;
    }
    if month_col.is_none() {
        problems.push(
            FIELD,
            format!("{shown_path} line {hline}: no `month` column in the header"),
        );
    }
    if value_col.is_none() {
        problems.push(
            "demand.history.column",
            format!(
                "{shown_path} line {hline}: no column `{}` in the header ({})",
                shown(&spec.column),
                shown(&header.join(", "))
            ),
        );
    }
    let (Some(mc), Some(vc)) = (month_col, value_col) else {
        return None;
    };
    let mut months: Vec<(usize, YearMonth)> = Vec::new();
    let mut values = Vec::new();
    let mut last_month: Option<(usize, YearMonth)> = None;
    for (line, fields) in &rows {
        let at = |c: usize| {
            format!(
                "{shown_path} line {line}, column {} (`{}`)",
                c + 1,
                shown(header[c])
            )
        };
        if fields.len() <= mc.max(vc) {
            problems.push(
                FIELD,
                format!(
                    "{shown_path} line {line}: {} fields, fewer than the header's {}",
                    fields.len(),
                    header.len()
                ),
            );
            continue;
        }
        let m_text = fields[mc].trim_matches('"');
        let month = parse_month(m_text);
        if month.is_none() {
            problems.push(
                FIELD,
                format!("{}: `{}` is not a month (YYYY-MM)", at(mc), shown(m_text)),
            );
        }
        let v_text = fields[vc].trim_matches('"');
        let value = v_text
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0 && *v <= 1e15);
        if value.is_none() {
            problems.push(
                FIELD,
                format!(
                    "{}: `{}` is not a number between 0 and 1e15",
                    at(vc),
                    shown(v_text)
                ),
            );
        }
        // A row with a good month keeps the sequence even when its value is bad, so that one
        // bad value is one problem, not also a gap reported at the next row.
        if let Some(month) = month {
            if let Some((prev_line, prev)) = last_month
                && month != prev.plus_months(1)
            {
                problems.push(
                    FIELD,
                    format!(
                        "{}: {month} does not follow {prev} (line {prev_line}); months must be consecutive and increasing",
                        at(mc)
                    ),
                );
            }
            last_month = Some((*line, month));
            if let Some(value) = value {
                months.push((*line, month));
                values.push(value);
            }
        }
    }
    if problems.len() > before {
        return None;
    }
    let Some(&(first_line, first)) = months.first() else {
        problems.push(FIELD, format!("{shown_path}: no months after the header"));
        return None;
    };
    let first_month =
        (first.year as i64 - start.year as i64) * 12 + first.month as i64 - start.month as i64;
    if first_month > 0 {
        problems.push(
            FIELD,
            format!(
                "{shown_path} line {first_line}: the history begins in {first}, after the scenario start {start}; it must begin at or before the start"
            ),
        );
        return None;
    }
    Some(DemandHistory {
        first_month,
        values,
        unit: spec.unit,
    })
}

/// `YYYY-MM` (or `YYYY-MM-01`, a month's first day).
fn parse_month(s: &str) -> Option<YearMonth> {
    let s = s.strip_suffix("-01").filter(|t| t.len() == 7).unwrap_or(s);
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (year, month): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    ((1..=12).contains(&month) && (1900..=3000).contains(&year))
        .then_some(YearMonth { year, month })
}

impl DemandHistory {
    /// Arrivals per hour in each history month, given the expected GPU-hours per request.
    pub fn rates_per_hour(&self, start: YearMonth, gpu_hours_per_request: f64) -> Vec<f64> {
        self.values
            .iter()
            .enumerate()
            .map(|(k, v)| {
                let hours = hours_in_month(start, self.first_month + k as i64);
                match self.unit {
                    HistoryUnit::Requests => v / hours,
                    HistoryUnit::GpuHours => v / (hours * gpu_hours_per_request),
                }
            })
            .collect()
    }

    /// Month (from the start) of the last value.
    pub fn last_month(&self) -> i64 {
        self.first_month + self.values.len() as i64 - 1
    }

    /// Hours from the start to the middle of the last month.
    pub fn last_mid_hours(&self, start: YearMonth) -> f64 {
        let m = self.last_month();
        month_start_hours(start, m) + 0.5 * hours_in_month(start, m)
    }
}

/// Read and check the scenario's demand history, if it names one: problems on its fields, the
/// growth warning, and the file recorded by `reader`.
pub(crate) fn read_history(
    s: &Scenario,
    reader: &mut super::inputs::InputReader<'_>,
    problems: &mut Problems,
) -> Option<DemandHistory> {
    let spec = s.demand.history.as_ref()?;
    let (path, text) = reader.read_text("demand.history.path", &spec.path, problems)?;
    let shown_path = path.display().to_string();
    let h = parse_history(text, &shown_path, spec, s.simulation.start, problems)?;
    if h.unit == HistoryUnit::GpuHours {
        let e = gpu_hours_per_request(&s.demand);
        if !(e.is_finite() && e > 0.0) {
            problems.push(
                "demand.history.unit",
                "GPU-hours convert to arrivals through the mean GPU-hours of a request, which the mix's sizes and durations leave undefined (an infinite or zero mean); give the history in Requests",
            );
            return None;
        }
    }
    let start = s.simulation.start;
    // As for `arrivals_per_day`: the requests of the horizon at the highest history rate, grown.
    let e = gpu_hours_per_request(&s.demand);
    let peak_per_day = h.rates_per_hour(start, e).into_iter().fold(0.0, f64::max) * 24.0;
    let days = s.simulation.horizon() as f64 * 365.0 / 12.0;
    let growth = (1.0 + s.demand.growth_per_year_frac.quantile(0.99).max(0.0)).powf(days / 365.0);
    let requests = peak_per_day * days * growth.min(1e6);
    if requests.is_finite() && requests > super::validate::MAX_REQUESTS {
        problems.push(
            "demand.history.path",
            format!(
                "{shown_path}: about {requests:.2e} requests over the horizon at the history's highest rate is more than the {:.0e} dcplan simulates in one replication",
                super::validate::MAX_REQUESTS
            ),
        );
        return None;
    }
    let points: Vec<(f64, f64)> = h
        .rates_per_hour(start, 1.0)
        .into_iter()
        .enumerate()
        .map(|(k, r)| {
            let m = h.first_month + k as i64;
            let mid = month_start_hours(start, m) + 0.5 * hours_in_month(start, m);
            (mid / HOURS_PER_YEAR as f64, r)
        })
        .collect();
    let scenario_ln = (1.0 + s.demand.growth_per_year_frac.mean()).max(1e-9).ln();
    if points.len() >= 6
        && let Some((slope, se)) = loglinear_slope(&points)
        && (slope - scenario_ln).abs() > 3.0 * se
        && (slope.exp_m1() - scenario_ln.exp_m1()).abs() > 0.05
    {
        problems.warn(
            "demand.growth_per_year_frac",
            format!(
                "the demand history grows by {:.1} % a year (log-linear fit over its {} months, standard error of ln(1 + growth) {:.3}); the scenario continues it at {:.1} % a year",
                slope.exp_m1() * 100.0,
                points.len(),
                se,
                scenario_ln.exp_m1() * 100.0
            ),
        );
    }
    Some(h)
}
