//! Timestamped hourly series from CSV files: electricity prices, grid carbon intensity and
//! temperatures.
//!
//! A file is comma-separated text: lines starting with `#` are comments, the first other line
//! is a header naming the columns (optional only for a file of one column of values). The value
//! column is the one the scenario names (`column`), or the only column besides the time column.
//! The time column (`time_column`, or a column named `timestamp`, `time`, `datetime` or `date`)
//! holds ISO 8601 hour-beginning timestamps, `2024-03-10T02:00:00-06:00`, `2024-03-10 08:00Z`
//! or naive `2024-03-10 02:00` read in the declared zone. Rows are in time order, one per hour,
//! with no gap; the series covers whole calendar years (January 1 00:00 to December 31 23:00 in
//! the alignment zone below).
//!
//! Zones: `UTC`, a fixed offset `-06:00`, or a name from a small built-in table (US zones with
//! the US daylight-saving rules of 1987-2006 and since 2007, European zones with the EU rules
//! since 1996). A naive local series has 23 rows on the spring daylight-saving day and 25 on
//! the autumn one, where the repeated hour is read first as daylight time and then as standard
//! time; the series then maps onto consecutive UTC hours without a hole or a duplicate.
//!
//! Alignment: the simulation's calendar has 365-day years and no daylight saving. Its hours are
//! the declared zone's standard-time hours (UTC when no zone is declared): hour 0 of a scenario
//! starting in March 2027 is March 1 00:00 standard time. A leap year's February 29 is left out
//! (the simulated year has no such day), so a leap year of 8,784 rows gives 8,760 values.
//!
//! A file without a time column holds one year of values in order from January 1 00:00:
//! 8,760 values, or 8,784 for a leap year (February 29 is left out).

use std::sync::Arc;

use crate::problems::LineProblems;

/// Hours in a simulated year.
const YEAR_H: usize = 8_760;
/// Hour of a leap year at which February 29 begins.
const LEAP_DAY_H: usize = 59 * 24;

/// What a series measures: it fixes the units it may be given in and the plausible range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeriesKind {
    /// Electricity price (kept in USD per kWh).
    Price,
    /// Grid carbon intensity (kept in gCO2 per kWh).
    Carbon,
    /// Dry-bulb temperature (kept in C).
    Temperature,
}

impl SeriesKind {
    /// What it is, for messages.
    pub fn what(self) -> &'static str {
        match self {
            SeriesKind::Price => "price",
            SeriesKind::Carbon => "carbon intensity",
            SeriesKind::Temperature => "temperature",
        }
    }
}

/// Unit of the values of a series.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub enum SeriesUnit {
    /// Price, USD per MWh.
    UsdPerMwh,
    /// Price, USD per kWh.
    UsdPerKwh,
    /// Carbon intensity, grams of CO2 per kWh.
    GCo2PerKwh,
    /// Carbon intensity, kilograms of CO2 per MWh (the same number as gCO2 per kWh).
    KgCo2PerMwh,
    /// Carbon intensity, pounds of CO2 per MWh (as in US EPA eGRID).
    LbCo2PerMwh,
    /// Temperature, degrees Celsius.
    C,
    /// Temperature, degrees Fahrenheit.
    F,
}

impl SeriesUnit {
    /// What the unit measures.
    pub fn kind(self) -> SeriesKind {
        match self {
            SeriesUnit::UsdPerMwh | SeriesUnit::UsdPerKwh => SeriesKind::Price,
            SeriesUnit::GCo2PerKwh | SeriesUnit::KgCo2PerMwh | SeriesUnit::LbCo2PerMwh => {
                SeriesKind::Carbon
            }
            SeriesUnit::C | SeriesUnit::F => SeriesKind::Temperature,
        }
    }

    /// The unit as people write it.
    pub fn symbol(self) -> &'static str {
        match self {
            SeriesUnit::UsdPerMwh => "$/MWh",
            SeriesUnit::UsdPerKwh => "$/kWh",
            SeriesUnit::GCo2PerKwh => "gCO2/kWh",
            SeriesUnit::KgCo2PerMwh => "kgCO2/MWh",
            SeriesUnit::LbCo2PerMwh => "lbCO2/MWh",
            SeriesUnit::C => "C",
            SeriesUnit::F => "F",
        }
    }

    /// Plausible values in this unit (outside: an error naming the line).
    fn range(self) -> (f64, f64) {
        match self {
            SeriesUnit::UsdPerMwh => (-10_000.0, 100_000.0),
            SeriesUnit::UsdPerKwh => (-10.0, 100.0),
            // Lignite plants emit about 1,100 gCO2/kWh; no grid averages more.
            SeriesUnit::GCo2PerKwh | SeriesUnit::KgCo2PerMwh => (0.0, 2_000.0),
            SeriesUnit::LbCo2PerMwh => (0.0, 4_400.0),
            SeriesUnit::C => (-60.0, 60.0),
            SeriesUnit::F => (-76.0, 140.0),
        }
    }

    /// The value in the kind's kept unit (USD per kWh, gCO2 per kWh, C).
    fn convert(self, x: f64) -> f64 {
        match self {
            SeriesUnit::UsdPerMwh => x * 1e-3,
            SeriesUnit::UsdPerKwh | SeriesUnit::GCo2PerKwh | SeriesUnit::KgCo2PerMwh => x,
            SeriesUnit::LbCo2PerMwh => x * 0.453_592_37, // 1 lb = 0.45359237 kg (exact)
            SeriesUnit::C => x,
            SeriesUnit::F => (x - 32.0) * 5.0 / 9.0,
        }
    }

    /// The unit of `kind` a column header names, if it names one (`price_usd_per_mwh`,
    /// `LMP ($/MWh)`, `co2_lb_per_mwh`, `temp_f`).
    fn in_header(tokens: &[String], kind: SeriesKind) -> Option<SeriesUnit> {
        let has = |names: &[&str]| tokens.iter().any(|t| names.contains(&t.as_str()));
        match kind {
            SeriesKind::Price if has(&["mwh", "usdmwh", "usdpermwh"]) => {
                Some(SeriesUnit::UsdPerMwh)
            }
            SeriesKind::Price if has(&["kwh", "usdkwh", "usdperkwh"]) => {
                Some(SeriesUnit::UsdPerKwh)
            }
            SeriesKind::Carbon if has(&["lb", "lbs", "lbco2", "lbsco2"]) => {
                Some(SeriesUnit::LbCo2PerMwh)
            }
            SeriesKind::Carbon if has(&["kg", "kgco2", "kgco2e"]) => Some(SeriesUnit::KgCo2PerMwh),
            SeriesKind::Carbon if has(&["g", "gco2", "gco2e", "gco2kwh"]) => {
                Some(SeriesUnit::GCo2PerKwh)
            }
            SeriesKind::Temperature if has(&["f", "degf", "fahrenheit"]) => Some(SeriesUnit::F),
            SeriesKind::Temperature if has(&["c", "degc", "celsius"]) => Some(SeriesUnit::C),
            _ => None,
        }
    }
}

/// The lower-case alphanumeric words of a column header.
fn header_tokens(header: &str) -> Vec<String> {
    header
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// What a column header says the column measures, by words that name one quantity only.
fn header_kinds(tokens: &[String]) -> Vec<SeriesKind> {
    let has = |names: &[&str]| tokens.iter().any(|t| names.contains(&t.as_str()));
    let mut kinds = Vec::new();
    if has(&["usd", "eur", "price", "prices", "lmp", "spp", "cost"]) {
        kinds.push(SeriesKind::Price);
    }
    if has(&[
        "co2",
        "co2e",
        "gco2",
        "kgco2",
        "lbco2",
        "carbon",
        "emissions",
        "intensity",
    ]) {
        kinds.push(SeriesKind::Carbon);
    }
    if has(&[
        "temperature",
        "temp",
        "drybulb",
        "celsius",
        "fahrenheit",
        "degc",
        "degf",
    ]) {
        kinds.push(SeriesKind::Temperature);
    }
    kinds
}

/// Which of a series' years each simulated year uses.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub enum SeriesYears {
    /// The series' years in order from the simulation's first calendar year, then again from
    /// its first year (a one-year series repeats every year).
    #[default]
    Repeat,
    /// Simulated year Y uses the series' year Y; the series must cover every simulated year.
    Calendar,
    /// Each simulated year of a replication uses one of the series' years drawn at random from
    /// the replication's own stream for this series: variants of a sweep see the same years.
    Resample,
}

/// A time zone: its standard offset and daylight-saving rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Zone {
    /// Standard-time offset from UTC, minutes.
    std_offset_min: i64,
    rule: DstRule,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DstRule {
    None,
    Us,
    Eu,
}

/// The named zones dcplan knows, with their standard offsets in hours and rules.
const ZONES: &[(&str, i64, DstRule)] = &[
    ("UTC", 0, DstRule::None),
    ("America/New_York", -5, DstRule::Us),
    ("America/Chicago", -6, DstRule::Us),
    ("America/Denver", -7, DstRule::Us),
    ("America/Phoenix", -7, DstRule::None),
    ("America/Los_Angeles", -8, DstRule::Us),
    ("Europe/London", 0, DstRule::Eu),
    ("Europe/Dublin", 0, DstRule::Eu),
    ("Europe/Lisbon", 0, DstRule::Eu),
    ("Europe/Amsterdam", 1, DstRule::Eu),
    ("Europe/Berlin", 1, DstRule::Eu),
    ("Europe/Brussels", 1, DstRule::Eu),
    ("Europe/Copenhagen", 1, DstRule::Eu),
    ("Europe/Madrid", 1, DstRule::Eu),
    ("Europe/Oslo", 1, DstRule::Eu),
    ("Europe/Paris", 1, DstRule::Eu),
    ("Europe/Prague", 1, DstRule::Eu),
    ("Europe/Rome", 1, DstRule::Eu),
    ("Europe/Stockholm", 1, DstRule::Eu),
    ("Europe/Vienna", 1, DstRule::Eu),
    ("Europe/Warsaw", 1, DstRule::Eu),
    ("Europe/Zurich", 1, DstRule::Eu),
    ("Europe/Athens", 2, DstRule::Eu),
    ("Europe/Helsinki", 2, DstRule::Eu),
];

/// Parse a zone: a name from [`ZONES`] or a fixed offset `+HH:MM` / `-HH:MM`.
pub(crate) fn parse_zone(s: &str) -> Result<Zone, String> {
    if let Some(&(_, h, rule)) = ZONES.iter().find(|(n, _, _)| *n == s) {
        return Ok(Zone {
            std_offset_min: h * 60,
            rule,
        });
    }
    if let Some(off) = parse_offset(s) {
        return Ok(Zone {
            std_offset_min: off,
            rule: DstRule::None,
        });
    }
    Err(format!(
        "unknown zone \"{}\"; give a fixed offset such as \"-06:00\" or one of {}",
        crate::scenario::short_text(s),
        ZONES.iter().map(|z| z.0).collect::<Vec<_>>().join(", ")
    ))
}

/// `+HH:MM`, `-HH:MM`, `+HHMM`, `+HH` or `Z`, in minutes east of UTC.
fn parse_offset(s: &str) -> Option<i64> {
    if s == "Z" {
        return Some(0);
    }
    if !s.is_ascii() {
        return None;
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &s[1..];
    let (h, m) = match body.len() {
        2 => (body, "00"),
        4 => (&body[0..2], &body[2..4]),
        5 if &body[2..3] == ":" => (&body[0..2], &body[3..5]),
        _ => return None,
    };
    if !(h.bytes().all(|c| c.is_ascii_digit()) && m.bytes().all(|c| c.is_ascii_digit())) {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Whether `y` is a leap year (proleptic Gregorian).
pub(crate) fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `m` (1-12) of year `y`.
pub(crate) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Day (1-31) of the `n`-th (1-based) Sunday of a month, or of its last Sunday for `n = 0`.
fn sunday(y: i64, m: i64, n: i64) -> i64 {
    let first = days_from_civil(y, m, 1);
    // 1970-01-01 was a Thursday; Sunday is 3 days later.
    let first_sunday = 1 + (3 - first).rem_euclid(7);
    if n > 0 {
        first_sunday + 7 * (n - 1)
    } else {
        let mut d = first_sunday;
        while d + 7 <= days_in_month(y, m) {
            d += 7;
        }
        d
    }
}

impl Zone {
    /// UTC minutes (since 1970) at which daylight time begins and ends in year `y`.
    fn dst_window(&self, y: i64) -> Result<Option<(i64, i64)>, String> {
        let at = |m: i64, d: i64, local_std_min: i64| {
            days_from_civil(y, m, d) * 1440 + local_std_min - self.std_offset_min
        };
        match self.rule {
            DstRule::None => Ok(None),
            // Second Sunday of March 02:00 to first Sunday of November 02:00 daylight (01:00
            // standard), since 2007; first Sunday of April to last Sunday of October before.
            DstRule::Us if y >= 2007 => Ok(Some((
                at(3, sunday(y, 3, 2), 120),
                at(11, sunday(y, 11, 1), 60),
            ))),
            DstRule::Us if y >= 1987 => Ok(Some((
                at(4, sunday(y, 4, 1), 120),
                at(10, sunday(y, 10, 0), 60),
            ))),
            // Last Sunday of March to last Sunday of October, 01:00 UTC, since 1996.
            DstRule::Eu if y >= 1996 => Ok(Some((
                days_from_civil(y, 3, sunday(y, 3, 0)) * 1440 + 60,
                days_from_civil(y, 10, sunday(y, 10, 0)) * 1440 + 60,
            ))),
            _ => Err(format!(
                "dcplan knows this zone's daylight-saving rules only from {}; give timestamps with their offsets",
                if self.rule == DstRule::Us { 1987 } else { 1996 }
            )),
        }
    }

    /// Whether daylight time is in force at UTC minute `t`.
    fn dst_at(&self, t: i64) -> Result<bool, String> {
        let (y, _, _) = civil_from_days((t + self.std_offset_min).div_euclid(1440));
        Ok(match self.dst_window(y)? {
            Some((a, b)) => a <= t && t < b,
            None => false,
        })
    }

    /// UTC minute of a naive local time `local` (minutes since 1970 on the local clock): the
    /// earliest reading later than `after` when the time occurs twice (the autumn change).
    fn to_utc(&self, local: i64, after: Option<i64>) -> Result<i64, String> {
        let std = local - self.std_offset_min;
        let dst = std - 60;
        let std_ok = !self.dst_at(std)?;
        let dst_ok = self.rule != DstRule::None && self.dst_at(dst)?;
        match (dst_ok, std_ok) {
            (true, true) => Ok(if after.is_some_and(|a| dst <= a) {
                std
            } else {
                dst
            }),
            (true, false) => Ok(dst),
            (false, true) => Ok(std),
            (false, false) => Err(
                "this local time does not exist (the clocks skip it when daylight time begins)"
                    .into(),
            ),
        }
    }
}

/// A timestamp: minutes since 1970 on its own clock and its offset, if it has one.
fn parse_timestamp(s: &str) -> Result<(i64, Option<i64>), String> {
    let bad = || {
        format!(
            "\"{}\" is not a timestamp (YYYY-MM-DD HH:MM, with :SS and an offset such as -06:00 or Z optional)",
            crate::scenario::short_text(s)
        )
    };
    let b = s.as_bytes();
    if b.len() < 16 || !s.is_ascii() {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let t = &s[r];
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') || b[13] != b':' {
        return Err(bad());
    }
    let (y, mo, d, h, mi) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
    );
    let mut rest = &s[16..];
    let mut sec = 0;
    if let Some(r) = rest.strip_prefix(':') {
        if r.len() < 2 {
            return Err(bad());
        }
        sec = num(17..19)?;
        rest = &r[2..];
    }
    let offset = if rest.is_empty() {
        None
    } else {
        Some(parse_offset(rest.trim_start()).ok_or_else(bad)?)
    };
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59
    {
        return Err(format!(
            "\"{}\" is not a valid date and time",
            crate::scenario::short_text(s)
        ));
    }
    if mi != 0 || sec != 0 {
        return Err(format!(
            "\"{}\" is not on the hour; series are hourly, one row per hour beginning at the timestamp",
            crate::scenario::short_text(s)
        ));
    }
    Ok((days_from_civil(y, mo, d) * 1440 + h * 60, offset))
}

/// `YYYY-MM-DD HH:00` of a minute count.
fn show(minutes: i64) -> String {
    let (y, m, d) = civil_from_days(minutes.div_euclid(1440));
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:00",
        minutes.rem_euclid(1440) / 60
    )
}

/// How to read one series file.
#[derive(Clone, Debug)]
pub(crate) struct SeriesFormat<'a> {
    /// The value column, if named.
    pub column: Option<&'a str>,
    /// The time column, if named.
    pub time_column: Option<&'a str>,
    /// The zone of naive timestamps and of the alignment, if declared.
    pub zone: Option<Zone>,
    /// Unit of the values.
    pub unit: SeriesUnit,
}

/// An hourly series as read: whole simulated years of 8,760 values in the kind's kept unit.
#[derive(Clone, Debug, PartialEq)]
pub struct HourlySeries {
    /// Calendar year of the first year, when the file has timestamps.
    first_year: Option<i32>,
    /// Number of years.
    years: usize,
    /// `years x 8,760` values.
    values: Arc<[f64]>,
}

impl HourlySeries {
    /// One year of 8,760 hourly values, January 1 00:00 first; `None` for another length.
    pub fn one_year(values: Vec<f64>) -> Option<HourlySeries> {
        (values.len() == YEAR_H).then(|| HourlySeries {
            first_year: None,
            years: 1,
            values: values.into(),
        })
    }

    /// Calendar years covered, when the file has timestamps.
    pub fn calendar_years(&self) -> Option<(i32, i32)> {
        self.first_year.map(|y| (y, y + self.years as i32 - 1))
    }

    /// Number of years.
    pub fn years(&self) -> usize {
        self.years
    }

    /// All values, year after year.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Which series year each of `n` simulated calendar years uses (the first being
    /// `start_year`), under `years`; `Resample` picks year `floor(u x years)` for the simulated
    /// year's uniform draw `u` in `uniforms` (one per simulated year).
    pub(crate) fn year_plan(
        &self,
        years: SeriesYears,
        start_year: i32,
        n: usize,
        uniforms: &[f64],
    ) -> Vec<u32> {
        (0..n)
            .map(|k| match years {
                SeriesYears::Repeat => (k % self.years) as u32,
                SeriesYears::Calendar => {
                    let first = self.first_year.unwrap_or(start_year);
                    (i64::from(start_year) + k as i64 - i64::from(first))
                        .clamp(0, self.years as i64 - 1) as u32
                }
                SeriesYears::Resample => {
                    let u = uniforms.get(k).copied().unwrap_or(0.0);
                    ((u * self.years as f64) as usize).min(self.years - 1) as u32
                }
            })
            .collect()
    }
}

/// A series as one replication sees it: the series and the series year of each simulated year.
#[derive(Clone, Debug)]
pub struct SeriesView {
    series: HourlySeries,
    plan: Vec<u32>,
}

impl SeriesView {
    /// The view of `series` through `plan` (from [`HourlySeries::year_plan`]).
    pub(crate) fn new(series: HourlySeries, plan: Vec<u32>) -> SeriesView {
        SeriesView { series, plan }
    }

    /// The value at hour `hour_of_year` (0..8760) of simulated calendar year `year` (0 being
    /// the start's year).
    pub(crate) fn at(&self, year: usize, hour_of_year: usize) -> f64 {
        let y = self
            .plan
            .get(year)
            .or(self.plan.last())
            .copied()
            .unwrap_or(0) as usize;
        self.series.values[y * YEAR_H + hour_of_year % YEAR_H]
    }
}

/// One CSV field, trimmed and unquoted.
fn field(s: &str) -> &str {
    let t = s.trim();
    t.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(t)
        .trim()
}

/// The fields of a CSV line, trimmed and unquoted: a comma inside double quotes (`"1,5"`) is
/// part of its field, not a separator.
pub(crate) fn split_fields(line: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                fields.push(field(&line[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    fields.push(field(&line[start..]));
    fields
}

/// The fields of line `no`, which must have as many as the header.
fn split_line(no: usize, line: &str, columns: usize) -> Result<Vec<&str>, String> {
    let fields = split_fields(line);
    if fields.len() != columns {
        return Err(format!(
            "line {no}: {} fields; the header has {columns}",
            fields.len()
        ));
    }
    Ok(fields)
}

/// Names of the columns, quoted, for messages.
fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{}\"", crate::scenario::short_text(n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error of a read that stopped because rows had problems (which are the message).
const ROWS_BAD: &str = "rows with problems";

/// Read a series (see [`parse_series_all`]); its problems in one message.
#[cfg(test)]
pub(crate) fn parse_series(text: &str, f: &SeriesFormat) -> Result<HourlySeries, String> {
    parse_series_all(text, f).map_err(|problems| problems.join("; "))
}

/// Read a series. Problems name the line (1-based) where there is one; the problems of every
/// row are reported (up to [`LineProblems::MAX`], then their number), not only the first.
pub(crate) fn parse_series_all(text: &str, f: &SeriesFormat) -> Result<HourlySeries, Vec<String>> {
    let mut rows_problems = LineProblems::default();
    let read = parse_rows(text, f, &mut rows_problems);
    let rows_problems = Some(rows_problems.finish()).filter(|p| !p.is_empty());
    match (read, rows_problems) {
        (Ok(series), None) => Ok(series),
        (Ok(_), Some(problems)) => Err(problems),
        (Err(e), None) => Err(vec![e]),
        (Err(e), Some(mut problems)) => {
            if e != ROWS_BAD {
                problems.push(e);
            }
            Err(problems)
        }
    }
}

/// Read the rows of a series; problems of single rows go to `bad` and reading goes on, a
/// problem of the whole file is the error.
fn parse_rows(
    text: &str,
    f: &SeriesFormat,
    bad: &mut LineProblems,
) -> Result<HourlySeries, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .peekable();
    let Some(&(first_no, first)) = lines.peek() else {
        return Err("the file holds no values".into());
    };
    let first_fields = split_fields(first);
    let header = first_fields.iter().any(|t| t.parse::<f64>().is_err());
    let names: Vec<&str> = if header && parse_timestamp(first_fields[0]).is_ok() {
        return Err(format!(
            "line {first_no}: the first line holds data; give the file a header line naming the columns"
        ));
    } else if header {
        lines.next();
        first_fields
    } else if first_fields.len() == 1 && f.column.is_none() && f.time_column.is_none() {
        vec![""]
    } else {
        return Err(format!(
            "line {first_no}: {} columns and no header line naming them; give the file a header line and name the value column with `column`",
            first_fields.len()
        ));
    };
    let find = |name: &str, role: &str| -> Result<usize, String> {
        let found: Vec<usize> = (0..names.len()).filter(|&i| names[i] == name).collect();
        match found[..] {
            [one] => Ok(one),
            [] => Err(format!(
                "line {first_no}: no {role} \"{}\"; the columns are {}",
                crate::scenario::short_text(name),
                list(&names)
            )),
            // Which of the two was meant is not known.
            [a, b, ..] => Err(format!(
                "line {first_no}: columns {} and {} are both named \"{}\"; rename or remove one",
                a + 1,
                b + 1,
                crate::scenario::short_text(name)
            )),
        }
    };
    let time = match f.time_column {
        Some(t) => Some(find(t, "time column")?),
        None => names.iter().position(|n| {
            ["timestamp", "time", "datetime", "date"].contains(&n.to_lowercase().as_str())
        }),
    };
    let value = match f.column {
        Some(c) => find(c, "column")?,
        None => {
            let others: Vec<usize> = (0..names.len()).filter(|&i| Some(i) != time).collect();
            match others[..] {
                [one] => one,
                [] => {
                    return Err(format!(
                        "line {first_no}: no value column besides the time column"
                    ));
                }
                _ => {
                    return Err(format!(
                        "line {first_no}: {} value columns ({}); name the one to read with `column`",
                        others.len(),
                        list(&others.iter().map(|&i| names[i]).collect::<Vec<_>>())
                    ));
                }
            }
        }
    };
    if Some(value) == time {
        return Err(format!(
            "line {first_no}: column \"{}\" is the time column",
            crate::scenario::short_text(names[value])
        ));
    }
    let tokens = header_tokens(names[value]);
    let kinds = header_kinds(&tokens);
    if !kinds.is_empty() && !kinds.contains(&f.unit.kind()) {
        return Err(format!(
            "line {first_no}: column \"{}\" is a {} by its name, but the scenario declares {} ({:?}), a unit of {}",
            crate::scenario::short_text(names[value]),
            kinds[0].what(),
            f.unit.symbol(),
            f.unit,
            f.unit.kind().what()
        ));
    }
    if let Some(named) = SeriesUnit::in_header(&tokens, f.unit.kind())
        && named.convert(1.0) != f.unit.convert(1.0)
    {
        return Err(format!(
            "line {first_no}: column \"{}\" is in {} by its name, but the scenario declares {} ({:?})",
            crate::scenario::short_text(names[value]),
            named.symbol(),
            f.unit.symbol(),
            f.unit
        ));
    }
    let what = f.unit.kind().what();
    let (lo, hi) = f.unit.range();
    let read_value = |no: usize, fields: &[&str]| -> Result<f64, String> {
        let t = fields[value];
        match t.parse::<f64>() {
            Ok(v) if v.is_nan() => Err(format!(
                "line {no}: NaN is not a {what} in {}",
                f.unit.symbol()
            )),
            Ok(v) if !(lo..=hi).contains(&v) => Err(format!(
                "line {no}: {} is outside {}..{}, not a plausible {what} in {}",
                crate::dist::fmt_num(v),
                crate::dist::fmt_num(lo),
                crate::dist::fmt_num(hi),
                f.unit.symbol()
            )),
            Ok(v) => Ok(f.unit.convert(v)),
            Err(_) if t.is_empty() => Err(format!("line {no}: no value (an empty field)")),
            Err(_) => {
                let mut cut: String = t
                    .chars()
                    .take(12)
                    .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                    .collect();
                if t.chars().count() > 12 {
                    cut.push('…');
                }
                Err(format!("line {no}: \"{cut}\" is not a number"))
            }
        }
    };
    let columns = names.len();
    let split = |no: usize, line| split_line(no, line, columns);
    let Some(time) = time else {
        let mut values = Vec::with_capacity(YEAR_H);
        for (no, line) in lines {
            match split(no, line).and_then(|fields| read_value(no, &fields)) {
                Ok(v) => values.push(v),
                Err(e) => {
                    bad.push(e);
                    values.push(f64::NAN);
                }
            }
            if values.len() > YEAR_H + 24 {
                return Err(format!(
                    "line {no}: more than 8,784 values; a file without a time column holds one year (8,760 values, or 8,784 in a leap year)"
                ));
            }
        }
        match values.len() {
            YEAR_H => {}
            n if n == YEAR_H + 24 => {
                values.drain(LEAP_DAY_H..LEAP_DAY_H + 24);
            }
            n => {
                return Err(format!(
                    "{n} values; one per hour of the year (8,760, or 8,784 in a leap year) are needed, or a time column"
                ));
            }
        }
        if !bad.is_empty() {
            return Err(ROWS_BAD.to_string());
        }
        return Ok(HourlySeries {
            first_year: None,
            years: 1,
            values: values.into(),
        });
    };
    // Timestamped: each row's UTC minute, then its hour on the alignment clock.
    let zone = f.zone.clone();
    let align = zone.as_ref().map_or(0, |z| z.std_offset_min);
    let mut rows: Vec<(usize, i64, f64)> = Vec::new(); // line, UTC minute, value
    // After a row whose time could not be read, the next row's distance to the row before is
    // no gap of its own.
    let mut after_unread = false;
    for (no, line) in lines {
        // A row's problem is noted and the next row read, so that every bad row is named.
        let fields = match split(no, line) {
            Ok(fields) => fields,
            Err(e) => {
                bad.push(e);
                after_unread = true;
                continue;
            }
        };
        let (clock, offset) = match parse_timestamp(fields[time]) {
            Ok(t) => t,
            Err(e) => {
                bad.push(format!("line {no}: {e}"));
                after_unread = true;
                continue;
            }
        };
        let prev = rows.last().map(|r| r.1);
        let utc = match (offset, &zone) {
            (Some(o), _) => clock - o,
            (None, Some(z)) => match z.to_utc(clock, prev) {
                Ok(t) => t,
                Err(e) => {
                    bad.push(format!("line {no}: {}: {e}", fields[time]));
                    after_unread = true;
                    continue;
                }
            },
            (None, None) => {
                return Err(format!(
                    "line {no}: \"{}\" has no offset; declare the zone of the file's clock with `zone`",
                    crate::scenario::short_text(fields[time])
                ));
            }
        };
        if (utc + align).rem_euclid(60) != 0 {
            bad.push(format!(
                "line {no}: {} does not fall on an hour of the zone's standard time",
                fields[time]
            ));
            after_unread = true;
            continue;
        }
        if let Some(&(pno, p, _)) = rows.last() {
            if utc <= p {
                bad.push(format!(
                    "line {no}: {} (UTC {}) is not after line {pno} (UTC {}); rows must be in time order, one per hour",
                    crate::scenario::short_text(fields[time]),
                    show(utc),
                    show(p)
                ));
                continue;
            }
            if utc > p + 60 && !after_unread {
                let missing = (utc - p) / 60 - 1;
                bad.push(format!(
                    "line {no}: a gap of {missing} hour{} between line {pno} (UTC {}) and line {no} (UTC {})",
                    if missing == 1 { "" } else { "s" },
                    show(p),
                    show(utc)
                ));
            }
        }
        let value = read_value(no, &fields).unwrap_or_else(|e| {
            bad.push(e);
            f64::NAN
        });
        rows.push((no, utc, value));
        after_unread = false;
        if rows.len() > 200 * YEAR_H {
            return Err(format!("line {no}: more than 200 years of hours"));
        }
    }
    if !bad.is_empty() {
        return Err(ROWS_BAD.to_string());
    }
    let (Some(&(first_no, first_t, _)), Some(&(last_no, last_t, _))) = (rows.first(), rows.last())
    else {
        return Err("the file holds no values".into());
    };
    let clock = |t: i64| t + align;
    let zone_name = if align == 0 {
        "UTC".to_string()
    } else {
        format!(
            "standard time UTC{:+03}:{:02}",
            align / 60,
            (align % 60).abs()
        )
    };
    // The years covered: those of the first and last rows, up to 23 hours off a year boundary
    // (a UTC file on a local clock): hours before the first year are left out, and the first
    // year's missing first hours take the values of the same hours a day later (the last
    // year's missing last hours, a day earlier).
    let year_of = |t: i64| civil_from_days(t.div_euclid(1440)).0;
    let (first_y, last_y) = (
        year_of(clock(first_t) + 23 * 60),
        year_of(clock(last_t) - 23 * 60),
    );
    let year_start = |y: i64| days_from_civil(y, 1, 1) * 1440;
    let lead = (clock(first_t) - year_start(first_y)) / 60;
    if lead > 23 {
        return Err(format!(
            "line {first_no}: the series begins at {} ({zone_name}); it must cover whole years, from January 1 00:00 (or up to 23 hours off)",
            show(clock(first_t))
        ));
    }
    let trail = (year_start(last_y + 1) - 60 - clock(last_t)) / 60;
    if last_y < first_y || trail > 23 {
        return Err(format!(
            "line {last_no}: the series ends at {} ({zone_name}); it must cover whole years, to December 31 23:00 (or up to 23 hours off)",
            show(clock(last_t))
        ));
    }
    let years = (last_y - first_y + 1) as usize;
    let mut values = vec![f64::NAN; years * YEAR_H];
    let mut filled = (usize::MAX, 0);
    for &(_, t, v) in &rows {
        let c = clock(t);
        let (y, m, d) = civil_from_days(c.div_euclid(1440));
        if !(first_y..=last_y).contains(&y) || (m, d) == (2, 29) {
            continue;
        }
        let leap_shift = if is_leap(y) && m > 2 { 24 } else { 0 };
        let hour = ((c - year_start(y)) / 60) as usize - leap_shift;
        let i = (y - first_y) as usize * YEAR_H + hour;
        values[i] = v;
        filled = (filled.0.min(i), filled.1.max(i));
    }
    for i in (0..filled.0).rev() {
        values[i] = values[i + 24];
    }
    for i in filled.1 + 1..values.len() {
        values[i] = values[i - 24];
    }
    if values.iter().any(|v| v.is_nan()) {
        return Err("the series does not cover whole years".into());
    }
    let first_year =
        i32::try_from(first_y).map_err(|_| "the years are out of range".to_string())?;
    Ok(HourlySeries {
        first_year: Some(first_year),
        years,
        values: values.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_arithmetic() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(sunday(2024, 3, 2), 10, "US DST began on 10 March 2024");
        assert_eq!(sunday(2024, 11, 1), 3, "and ended on 3 November 2024");
        assert_eq!(
            sunday(2024, 3, 0),
            31,
            "EU summer time began on 31 March 2024"
        );
        assert_eq!(sunday(2024, 10, 0), 27, "and ended on 27 October 2024");
    }

    #[test]
    fn a_comma_inside_quotes_belongs_to_its_field() {
        assert_eq!(
            split_fields(r#"2024-01-01 00:00, "1,5" ,"x",3"#),
            ["2024-01-01 00:00", "1,5", "x", "3"]
        );
        assert_eq!(split_fields("a,,b"), ["a", "", "b"]);
        // The value is then refused as a number, not miscounted as an extra column.
        assert_eq!(
            split_line(4, r#"2024-01-01 00:00,"1,5""#, 2).map(|f| f.len()),
            Ok(2)
        );
    }

    #[test]
    fn zones_and_timestamps() {
        let chicago = parse_zone("America/Chicago").expect("known");
        let (local, off) = parse_timestamp("2024-07-01 12:00").expect("valid");
        assert_eq!(off, None);
        // CDT is UTC-5 in July.
        assert_eq!(
            chicago.to_utc(local, None).map(show),
            Ok("2024-07-01 17:00".into())
        );
        let (t, off) = parse_timestamp("2024-03-10T02:00:00-06:00").expect("valid");
        assert_eq!(show(t - off.expect("offset")), "2024-03-10 08:00");
        assert!(
            chicago
                .to_utc(parse_timestamp("2024-03-10 02:00").expect("ok").0, None)
                .is_err()
        );
        assert!(parse_timestamp("2024-02-30 01:00").is_err());
        assert!(
            parse_timestamp("2024-01-01 01:15")
                .unwrap_err()
                .contains("not on the hour")
        );
        assert!(
            parse_zone("Mars/Olympus")
                .unwrap_err()
                .contains("America/Chicago")
        );
        assert_eq!(parse_zone("+05:30").map(|z| z.std_offset_min), Ok(330));
    }

    fn fmt(unit: SeriesUnit) -> SeriesFormat<'static> {
        SeriesFormat {
            column: None,
            time_column: None,
            zone: None,
            unit,
        }
    }

    /// `YYYY-MM-DD HH:00` of hour `h` after midnight of January 1 of `year`.
    fn stamp(year: i64, h: i64) -> String {
        show(days_from_civil(year, 1, 1) * 1440 + h * 60)
    }

    /// A timestamped file of `year` in UTC (suffix `Z`), one row per hour, value `f(hour)`.
    fn utc_year(year: i64, header: &str, f: impl Fn(i64) -> String) -> String {
        let hours = if is_leap(year) { 8_784 } else { 8_760 };
        let mut t = format!("{header}\n");
        for h in 0..hours {
            t.push_str(&format!("{}Z,{}\n", stamp(year, h), f(h)));
        }
        t
    }

    #[test]
    fn every_bad_row_is_named_at_once() {
        // Line numbers count the header: hour h is on line h + 2.
        let text = utc_year(2023, "timestamp,price_usd_per_mwh", |h| match h {
            1 => "NaN".to_string(),
            3 => "inf".to_string(),
            5 => "abc".to_string(),
            _ => "40".to_string(),
        });
        let text = text.replacen(&stamp(2023, 7), "2023-13-01 07:00", 1);
        let problems = parse_series_all(&text, &fmt(SeriesUnit::UsdPerMwh)).unwrap_err();
        for line in ["line 3:", "line 5:", "line 7:", "line 9:"] {
            assert!(
                problems.iter().filter(|p| p.starts_with(line)).count() == 1,
                "{line} in {problems:?}"
            );
        }
        assert_eq!(problems.len(), 4, "{problems:?}");
        // Past the limit the rest are counted.
        let text = utc_year(2023, "timestamp,price_usd_per_mwh", |h| {
            if h < 30 { "x".into() } else { "40".into() }
        });
        let problems = parse_series_all(&text, &fmt(SeriesUnit::UsdPerMwh)).unwrap_err();
        assert_eq!(problems.len(), LineProblems::MAX + 1);
        assert_eq!(
            problems[LineProblems::MAX],
            "and 10 more problems like these"
        );
    }

    #[test]
    fn a_named_column_is_read_and_an_unnamed_one_among_several_is_an_error() {
        // A PJM-style export: the last column is the loss component, not the price.
        let text = utc_year(2023, "timestamp,total_lmp,energy,congestion,loss", |_| {
            "52.80,38.00,2.00,12.80".into()
        });
        let f = SeriesFormat {
            column: Some("total_lmp"),
            ..fmt(SeriesUnit::UsdPerMwh)
        };
        let s = parse_series(&text, &f).expect("valid");
        assert_eq!(s.years(), 1);
        assert_eq!(s.calendar_years(), Some((2023, 2023)));
        assert!(s.values().iter().all(|&v| v == 52.80 * 1e-3));
        let err = parse_series(&text, &fmt(SeriesUnit::UsdPerMwh)).unwrap_err();
        assert!(
            err.contains("line 1: 4 value columns")
                && err.contains("\"total_lmp\", \"energy\", \"congestion\", \"loss\"")
                && err.contains("`column`"),
            "{err}"
        );
        let f = SeriesFormat {
            column: Some("lmp"),
            ..fmt(SeriesUnit::UsdPerMwh)
        };
        let err = parse_series(&text, &f).unwrap_err();
        assert!(
            err.contains("no column \"lmp\"") && err.contains("\"loss\""),
            "{err}"
        );
        // Without a header, several columns cannot be told apart.
        let err = parse_series("1,2\n3,4\n", &fmt(SeriesUnit::C)).unwrap_err();
        assert!(err.contains("line 1: 2 columns and no header"), "{err}");
        let err = parse_series("2024-01-01 00:00Z,5\n", &fmt(SeriesUnit::C)).unwrap_err();
        assert!(err.contains("line 1: the first line holds data"), "{err}");
    }

    #[test]
    fn a_leap_year_is_accepted_without_its_february_29() {
        // Timestamped: 8,784 rows of 2028; the value is the row's hour of the year.
        let text = utc_year(2028, "timestamp,temperature_c", |h| format!("{}", h % 50));
        let s = parse_series(&text, &fmt(SeriesUnit::C)).expect("valid");
        assert_eq!(s.values().len(), 8_760);
        // February 28 23:00 is hour 1,415 in both calendars; March 1 00:00 is hour 1,416 of
        // the simulated year and 1,440 of the leap year.
        assert_eq!(s.values()[1_415], (1_415 % 50) as f64);
        assert_eq!(s.values()[1_416], (1_440 % 50) as f64);
        assert_eq!(s.values()[8_759], (8_783 % 50) as f64);
        // Untimed: 8,784 values in order, and 8,760.
        let mut untimed = String::from("temperature_c\n");
        for h in 0..8_784 {
            untimed.push_str(&format!("{}\n", h % 50));
        }
        let s = parse_series(&untimed, &fmt(SeriesUnit::C)).expect("leap year");
        assert_eq!(s.values()[1_416], (1_440 % 50) as f64);
        let short: String = untimed.lines().take(8_761).collect::<Vec<_>>().join("\n");
        assert_eq!(
            parse_series(&short, &fmt(SeriesUnit::C)).map(|s| s.values()[1_416]),
            Ok((1_416 % 50) as f64)
        );
        let err = parse_series(&untimed.replacen("0\n", "", 1), &fmt(SeriesUnit::C)).unwrap_err();
        assert!(err.starts_with("8783 values"), "{err}");
    }

    /// 2024 in America/Chicago as a naive local clock, one row per real hour, value = the
    /// hour's count on the standard-time clock (CST, UTC-6). Daylight time ran from March 10
    /// 02:00 CST to November 3 01:00 CST in 2024 (hours 1,658 and 7,393 of CST).
    fn chicago_2024() -> (Vec<String>, Vec<f64>) {
        let (dst_from, dst_to) = (69 * 24 + 2, 307 * 24 + 1);
        let mut rows = vec!["time,price_usd_per_mwh".to_string()];
        let mut expected = Vec::new();
        for k in 0..8_784 {
            let local = if (dst_from..dst_to).contains(&k) {
                k + 1
            } else {
                k
            };
            rows.push(format!("{},{k}", stamp(2024, local)));
            // February 29 (hours 1,416..1,440) is not in the simulated year.
            if !(1_416..1_440).contains(&k) {
                expected.push(k as f64 * 1e-3);
            }
        }
        (rows, expected)
    }

    #[test]
    fn daylight_saving_days_map_to_consecutive_hours() {
        let (rows, expected) = chicago_2024();
        // The spring day has 23 rows (no 02:00) and the autumn day 25 (01:00 twice).
        assert!(!rows.iter().any(|r| r.starts_with("2024-03-10 02:00")));
        assert_eq!(
            rows.iter()
                .filter(|r| r.starts_with("2024-11-03 01:00"))
                .count(),
            2
        );
        let f = SeriesFormat {
            zone: Some(parse_zone("America/Chicago").expect("known")),
            ..fmt(SeriesUnit::UsdPerMwh)
        };
        let s = parse_series(&rows.join("\n"), &f).expect("valid");
        assert_eq!(s.values(), &expected[..]);
        // A UTC file of whole UTC years read on the Chicago clock: six hours of the previous
        // year are left out, and the last six hours of the last year repeat the day before's.
        let utc = utc_year(2024, "timestamp,price_usd_per_mwh", |h| format!("{h}"));
        let s = parse_series(&utc, &f).expect("valid");
        assert_eq!(s.calendar_years(), Some((2024, 2024)));
        assert_eq!(s.values()[0], 6e-3, "January 1 00:00 CST is 06:00 UTC");
        assert_eq!(s.values()[8_759], s.values()[8_759 - 24]);
        assert_eq!(s.values()[8_753], 8_783e-3);
        // The same hours with their offsets need no zone (and align to UTC then).
        let utc = utc_year(2024, "timestamp,price_usd_per_mwh", |h| format!("{h}"));
        let s = parse_series(&utc, &fmt(SeriesUnit::UsdPerMwh)).expect("valid");
        assert_eq!(s.values()[2_000], 2_024.0 * 1e-3);
        // An autumn day with the repeated hour given once leaves a gap, named by its line.
        let line = rows
            .iter()
            .position(|r| r.starts_with("2024-11-03 01:00"))
            .expect("row");
        let mut once = rows.clone();
        once.remove(line + 1);
        let err = parse_series(&once.join("\n"), &f).unwrap_err();
        assert!(
            err.starts_with(&format!("line {}: a gap of 1 hour", line + 2)),
            "{err}"
        );
        // A time the clocks skip is an error.
        let mut skipped = rows.clone();
        let spring = rows
            .iter()
            .position(|r| r.starts_with("2024-03-10 03:00"))
            .expect("row");
        skipped[spring] = skipped[spring].replace("03:00", "02:00");
        let err = parse_series(&skipped.join("\n"), &f).unwrap_err();
        assert!(
            err.contains(&format!("line {}", spring + 1)) && err.contains("does not exist"),
            "{err}"
        );
        // Naive timestamps without a zone are an error.
        let err = parse_series(&rows.join("\n"), &fmt(SeriesUnit::UsdPerMwh)).unwrap_err();
        assert!(
            err.starts_with("line 2:") && err.contains("`zone`"),
            "{err}"
        );
    }

    #[test]
    fn gaps_disorder_and_partial_years_name_the_line() {
        let text = utc_year(2023, "timestamp,value", |h| format!("{}", h % 30));
        let mut rows: Vec<&str> = text.lines().collect();
        rows.remove(101); // the row of hour 100, on line 102
        let err = parse_series(&rows.join("\n"), &fmt(SeriesUnit::C)).unwrap_err();
        assert_eq!(
            err,
            "line 102: a gap of 1 hour between line 101 (UTC 2023-01-05 03:00) and line 102 (UTC 2023-01-05 05:00)"
        );
        let mut rows: Vec<&str> = text.lines().collect();
        rows.insert(6, rows[5]); // line 6 twice
        let err = parse_series(&rows.join("\n"), &fmt(SeriesUnit::C)).unwrap_err();
        assert!(
            err.starts_with("line 7:") && err.contains("not after line 6"),
            "{err}"
        );
        let rows: Vec<&str> = text.lines().take(5_000).collect();
        let err = parse_series(&rows.join("\n"), &fmt(SeriesUnit::C)).unwrap_err();
        assert!(
            err.starts_with("line 5000: the series ends at 2023-07-28"),
            "{err}"
        );
        let err = parse_series(&text.replacen("0\n", "NaN\n", 1), &fmt(SeriesUnit::C)).unwrap_err();
        assert_eq!(err, "line 2: NaN is not a temperature in C");
        let err = parse_series(&text.replacen(",1\n", ",\n", 1), &fmt(SeriesUnit::C)).unwrap_err();
        assert_eq!(err, "line 3: no value (an empty field)");
        let err =
            parse_series(&text.replacen("00:00Z", "00:30Z", 1), &fmt(SeriesUnit::C)).unwrap_err();
        assert!(
            err.starts_with("line 2:") && err.contains("not on the hour"),
            "{err}"
        );
    }

    #[test]
    fn a_column_named_twice_is_refused_not_guessed() {
        let text = utc_year(2023, "timestamp,price,price", |_| "1,400".into());
        let named = SeriesFormat {
            column: Some("price"),
            ..fmt(SeriesUnit::UsdPerMwh)
        };
        assert_eq!(
            parse_series(&text, &named).map(|s| s.values()[0]),
            Err("line 1: columns 2 and 3 are both named \"price\"; rename or remove one".into())
        );
    }

    #[test]
    fn units_convert_and_a_header_naming_another_unit_is_an_error() {
        let one = |header: &str, value: &str, unit| {
            let text = utc_year(2023, &format!("timestamp,{header}"), |_| value.into());
            parse_series(&text, &fmt(unit)).map(|s| s.values()[0])
        };
        assert_eq!(one("co2", "1000", SeriesUnit::LbCo2PerMwh), Ok(453.59237));
        assert_eq!(
            one("co2_kg_per_mwh", "400", SeriesUnit::GCo2PerKwh),
            Ok(400.0)
        );
        assert_eq!(
            one("temp", "104", SeriesUnit::F).map(|v| v.round()),
            Ok(40.0)
        );
        let err = one("price_usd_per_kwh", "52", SeriesUnit::UsdPerMwh).unwrap_err();
        assert!(
            err.contains("is in $/kWh by its name") && err.contains("declares $/MWh"),
            "{err}"
        );
        let err = one("LMP ($/MWh)", "0.05", SeriesUnit::UsdPerKwh).unwrap_err();
        assert!(err.contains("is in $/MWh by its name"), "{err}");
        let err = one("temp_f", "80", SeriesUnit::C).unwrap_err();
        assert!(err.contains("is in F by its name"), "{err}");
        let err = one("carbon_lb_per_mwh", "900", SeriesUnit::GCo2PerKwh).unwrap_err();
        assert!(err.contains("lbCO2/MWh"), "{err}");
        // Per MWh in a carbon column's name is not a price.
        assert_eq!(one("co2_per_mwh", "400", SeriesUnit::GCo2PerKwh), Ok(400.0));
        let err = one("co2_intensity", "400", SeriesUnit::UsdPerMwh).unwrap_err();
        assert!(err.contains("is a carbon intensity by its name"), "{err}");
        let err = one("co2", "-5", SeriesUnit::GCo2PerKwh).unwrap_err();
        assert!(err.contains("line 2: -5 is outside"), "{err}");
    }

    #[test]
    fn hostile_text_is_an_error_not_a_panic() {
        for text in [
            "",
            "\u{feff}",
            "# only a comment\n",
            "timestamp,v\n",
            "timestamp,v\n2024-01-01 00:00é,1\n",
            "timestamp,v\né€€€€€€€€€€€€€€€€€€,1\n",
            "timestamp,v\n2024-01-01 00:00:,1\n",
            "timestamp,v\n2024-01-01 00:00+9,1\n",
            "timestamp,v\n2024-01-01 00:00+99:99,1\n",
            "timestamp,v\n-024-01-01 00:00Z,1\n",
            "timestamp,v\n9999-12-31 23:00Z,1\n",
            "timestamp,v\n2024-01-01 00:00Z\n",
            "timestamp,v\n2024-01-01 00:00Z,inf\n",
            "a,b,timestamp\n1,2\n",
            ",,,\n,,,\n",
            "\"\n",
        ] {
            for zone in [
                None,
                Some("America/New_York"),
                Some("Europe/Paris"),
                Some("-03:30"),
            ] {
                let f = SeriesFormat {
                    zone: zone.map(|z| parse_zone(z).expect("known")),
                    ..fmt(SeriesUnit::C)
                };
                assert!(parse_series(text, &f).is_err(), "{text:?} in {zone:?}");
            }
        }
        // Years before the rules dcplan knows.
        let f = SeriesFormat {
            zone: Some(parse_zone("America/Denver").expect("known")),
            ..fmt(SeriesUnit::C)
        };
        let err = parse_series("time,t\n1970-01-01 00:00,1\n", &f).unwrap_err();
        assert!(err.contains("from 1987"), "{err}");
    }

    #[test]
    fn year_plans_repeat_follow_the_calendar_or_resample() {
        let text = format!(
            "{}{}",
            utc_year(2021, "timestamp,t", |_| "1".into()),
            utc_year(2022, "", |_| "2".into()).trim_start()
        );
        let s = parse_series(&text, &fmt(SeriesUnit::C)).expect("valid");
        assert_eq!(s.calendar_years(), Some((2021, 2022)));
        assert_eq!(
            s.year_plan(SeriesYears::Repeat, 2027, 3, &[]),
            vec![0, 1, 0]
        );
        assert_eq!(s.year_plan(SeriesYears::Calendar, 2022, 1, &[]), vec![1]);
        assert_eq!(
            s.year_plan(SeriesYears::Resample, 2027, 3, &[0.9, 0.1, 0.5]),
            vec![1, 0, 1]
        );
        let v = SeriesView::new(s.clone(), vec![1, 0]);
        assert_eq!((v.at(0, 5), v.at(1, 5)), (2.0, 1.0));
    }
}
