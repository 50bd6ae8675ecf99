//! Demand fitted to data: a request trace (submit time, GPUs, duration) turned into the inputs of
//! the `demand` section, with the statistics of each fit.
//!
//! * Arrivals: a Poisson process with rate `exp(a + b t)`, fitted by maximum likelihood to the
//!   exact submit times (the continuous form of a log-linear regression of monthly counts, with
//!   no binning); standard errors from the Fisher information. `b` is the growth, `ln(1 + g)` a
//!   year.
//! * Request sizes: the empirical distribution (`Discrete([(gpus, count), ...])`).
//! * Durations: lognormal and exponential fitted by maximum likelihood; the one with the smaller
//!   Kolmogorov-Smirnov distance is written.
//!
//! The trace is CSV with a header; columns are found by name (see [`SUBMIT_NAMES`],
//! [`GPU_NAMES`], [`DURATION_NAMES`]); other columns are ignored. Every problem names the file,
//! line and column.

use crate::dist::{Z90, normal_cdf};

/// Accepted names of the submit-time column (case-insensitive): ISO 8601 date-times
/// (`2026-03-01T14:05:00`, `2026-03-01 14:05`, `2026-03-01`, with `Z` or `+hh:mm`), or seconds
/// from any origin, one kind throughout.
pub const SUBMIT_NAMES: [&str; 5] = ["submit_time", "submit", "submitted", "time", "timestamp"];
/// Accepted names of the GPU-count column (case-insensitive): whole numbers of GPUs, at least 1.
pub const GPU_NAMES: [&str; 4] = ["gpus", "num_gpus", "gpu_count", "n_gpus"];
/// Accepted names of the duration column (case-insensitive): hours, above 0.
pub const DURATION_NAMES: [&str; 4] = ["duration_hours", "duration_h", "duration", "hours"];

/// Most problems listed for one file (the count of the rest is given).
const MAX_LISTED: usize = 20;

/// One request of a trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Request {
    /// Submit time in hours from the origin of the trace's clock.
    pub submit_hours: f64,
    /// GPUs requested.
    pub gpus: f64,
    /// Duration in hours.
    pub duration_hours: f64,
}

/// A parsed trace.
#[derive(Clone, Debug)]
pub struct Trace {
    /// The requests, in submit-time order.
    pub requests: Vec<Request>,
    /// Whether submit times were ISO 8601 date-times (origin 1970-01-01 UTC) rather than seconds.
    pub iso_times: bool,
}

/// A CSV line: its 1-based number and its fields.
pub(crate) type CsvRow<'a> = (usize, Vec<&'a str>);

/// Rows of a CSV text after its header: (1-based line number, fields), skipping blank lines and
/// lines starting with `#`; and the header's fields with its line number.
pub(crate) fn csv_rows(text: &str) -> (Option<CsvRow<'_>>, Vec<CsvRow<'_>>) {
    let mut rows = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(n, l)| (n, crate::energy::series::split_fields(l)));
    let header = rows.next();
    (header, rows.collect())
}

/// The index of the header field named by the first of `names` (case-insensitive) the header
/// has: the names are in order of preference, so `submit_time` wins over a plain `time`; or an
/// error where another field has the same name: which of the two was meant is not known.
pub(crate) fn find_column(header: &[&str], names: &[&str]) -> Result<Option<usize>, String> {
    let name = |h: &str| h.trim_matches('"').to_string();
    let Some(i) = names
        .iter()
        .find_map(|n| header.iter().position(|h| name(h).eq_ignore_ascii_case(n)))
    else {
        return Ok(None);
    };
    match (i + 1..header.len()).find(|&j| name(header[j]).eq_ignore_ascii_case(&name(header[i]))) {
        Some(j) => Err(format!(
            "columns {} and {} are both named `{}`; rename or remove one",
            i + 1,
            j + 1,
            shown(&name(header[i]))
        )),
        None => Ok(Some(i)),
    }
}

/// A value from a CSV field, cut for messages.
pub(crate) fn shown(field: &str) -> String {
    crate::scenario::short_text(field)
}

/// Parse a request trace. `file` names it in messages; the error lists every problem (up to
/// twenty, and how many more), each as `file:line:column: message`.
pub fn parse_trace(file: &str, text: &str) -> Result<Trace, Vec<String>> {
    // Spreadsheets save "CSV UTF-8" with a byte-order mark before the header.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (header, rows) = csv_rows(text);
    let Some((hline, header)) = header else {
        return Err(vec![format!(
            "{file}: empty; a trace needs a header line and one line per request"
        )]);
    };
    let mut errors = Vec::new();
    let mut col = |names: &[&str], what: &str| match find_column(&header, names) {
        Ok(None) => {
            errors.push(format!(
                "{file}:{hline}: no {what} column; the header must name one of: {}",
                names.join(", ")
            ));
            None
        }
        Ok(Some(c)) => Some(c),
        Err(twice) => {
            errors.push(format!("{file}:{hline}: {twice}"));
            None
        }
    };
    let (ts, gs, ds) = (
        col(&SUBMIT_NAMES, "submit-time"),
        col(&GPU_NAMES, "GPU-count"),
        col(&DURATION_NAMES, "duration"),
    );
    let (Some(ts), Some(gs), Some(ds)) = (ts, gs, ds) else {
        return Err(errors);
    };
    let mut requests = Vec::with_capacity(rows.len());
    let mut iso: Option<(bool, usize)> = None;
    let mut extra = 0usize;
    let mut push = |errors: &mut Vec<String>, msg: String| {
        if errors.len() < MAX_LISTED {
            errors.push(msg);
        } else {
            extra += 1;
        }
    };
    for (line, fields) in &rows {
        let at = |c: usize| format!("{file}:{line}:{} (`{}`)", c + 1, header[c]);
        let need = ts.max(gs).max(ds) + 1;
        if fields.len() < need {
            push(
                &mut errors,
                format!(
                    "{file}:{line}: {} fields; the header has {} and this line needs at least {need}",
                    fields.len(),
                    header.len()
                ),
            );
            continue;
        }
        let mut ok = true;
        let t_text = fields[ts].trim_matches('"');
        let submit_hours = match parse_time(t_text) {
            Some((h, is_iso)) => {
                match iso {
                    None => iso = Some((is_iso, *line)),
                    Some((first, first_line)) if first != is_iso => {
                        push(
                            &mut errors,
                            format!(
                                "{}: `{}` is {}, but line {first_line} gave {}; use one kind throughout",
                                at(ts),
                                shown(t_text),
                                if is_iso {
                                    "a date-time"
                                } else {
                                    "a number of seconds"
                                },
                                if first { "a date-time" } else { "seconds" }
                            ),
                        );
                        ok = false;
                    }
                    _ => {}
                }
                h
            }
            None => {
                push(
                    &mut errors,
                    format!(
                        "{}: `{}` is neither an ISO 8601 date-time (2026-03-01T14:05:00) nor a finite number of seconds",
                        at(ts),
                        shown(t_text)
                    ),
                );
                ok = false;
                0.0
            }
        };
        let g_text = fields[gs].trim_matches('"');
        let gpus = match g_text.parse::<f64>() {
            Ok(g) if g.is_finite() && g >= 1.0 && g.fract() == 0.0 && g <= 1e7 => g,
            _ => {
                push(
                    &mut errors,
                    format!(
                        "{}: `{}` is not a whole number of GPUs between 1 and 10000000",
                        at(gs),
                        shown(g_text)
                    ),
                );
                ok = false;
                0.0
            }
        };
        let d_text = fields[ds].trim_matches('"');
        let duration_hours = match d_text.parse::<f64>() {
            Ok(d) if d.is_finite() && d > 0.0 && d <= 1e6 => d,
            _ => {
                push(
                    &mut errors,
                    format!(
                        "{}: `{}` is not a duration in hours above 0 and at most 1000000",
                        at(ds),
                        shown(d_text)
                    ),
                );
                ok = false;
                0.0
            }
        };
        if ok {
            requests.push(Request {
                submit_hours,
                gpus,
                duration_hours,
            });
        }
    }
    if extra > 0 {
        errors.push(format!("{file}: {extra} more problems not listed"));
    }
    if errors.is_empty() && requests.len() < 2 {
        errors.push(format!(
            "{file}: {} requests; a fit needs at least 2",
            requests.len()
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    requests.sort_by(|a, b| a.submit_hours.total_cmp(&b.submit_hours));
    let span = requests[requests.len() - 1].submit_hours - requests[0].submit_hours;
    if span.is_nan() || span <= 0.0 {
        return Err(vec![format!(
            "{file}: every request has the same submit time; a rate needs a span of time"
        )]);
    }
    Ok(Trace {
        requests,
        iso_times: iso.is_some_and(|(i, _)| i),
    })
}

/// Hours since 1970-01-01 UTC of an ISO 8601 date-time (`true`), or hours of a number of seconds
/// (`false`).
pub(crate) fn parse_time(s: &str) -> Option<(f64, bool)> {
    if let Ok(x) = s.parse::<f64>() {
        return (x.is_finite() && x.abs() < 1e15).then_some((x / 3600.0, false));
    }
    parse_iso(s).map(|h| (h, true))
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    crate::energy::series::days_from_civil(y, m as i64, d as i64)
}

/// Hours since 1970-01-01 UTC of `YYYY-MM-DD[(T| )HH:MM[:SS[.f]]][Z|(+|-)HH[:MM]]`.
fn parse_iso(s: &str) -> Option<f64> {
    // A timestamp is ASCII; anything else is not one (and byte positions below are characters).
    if !s.is_ascii() {
        return None;
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        (!t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || d < 1 || d > crate::energy::series::days_in_month(y, mo) {
        return None;
    }
    let mut secs = days_from_civil(y, mo as u32, d as u32) as f64 * 86_400.0;
    let mut rest = &s[10..];
    if rest.is_empty() {
        return Some(secs / 3600.0);
    }
    if !(rest.starts_with('T') || rest.starts_with(' ')) {
        return None;
    }
    rest = &rest[1..];
    // Offset: Z, or +hh[:mm] / -hh[:mm] after the time.
    let (clock, offset_s) = if let Some(c) = rest.strip_suffix('Z') {
        (c, 0.0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (c, o) = rest.split_at(i);
        let sign = if o.starts_with('-') { -1.0 } else { 1.0 };
        let o = &o[1..];
        let (oh, om) = match o.split_once(':') {
            Some((h, m)) => (h, m),
            None if o.len() == 4 => (&o[..2], &o[2..]),
            None => (o, "0"),
        };
        let (oh, om): (u32, u32) = (oh.parse().ok()?, om.parse().ok()?);
        if oh > 23 || om > 59 {
            return None;
        }
        (c, sign * (oh as f64 * 3600.0 + om as f64 * 60.0))
    } else {
        (rest, 0.0)
    };
    let mut parts = clock.splitn(3, ':');
    let h: u32 = parts.next()?.parse().ok()?;
    let mi: u32 = parts.next()?.parse().ok()?;
    let sec: f64 = match parts.next() {
        Some(x) if x.bytes().all(|c| c.is_ascii_digit() || c == b'.') && !x.is_empty() => {
            x.parse().ok()?
        }
        Some(_) => return None,
        None => 0.0,
    };
    // 24:00 (end of the day) is a time; 24:01 is not.
    if h > 24 || mi > 59 || !(0.0..61.0).contains(&sec) || (h == 24 && (mi > 0 || sec > 0.0)) {
        return None;
    }
    secs += h as f64 * 3600.0 + mi as f64 * 60.0 + sec - offset_s;
    Some(secs / 3600.0)
}

/// The arrival-rate fit: a Poisson process with rate `exp(a + b t)`, `t` in years from the
/// first submit time, over the span to the last one.
#[derive(Clone, Copy, Debug)]
pub struct RateFit {
    /// Requests.
    pub n: usize,
    /// Span from the first to the last submit time, in hours.
    pub span_hours: f64,
    /// Arrivals per day at the first submit time.
    pub start_per_day: f64,
    /// Arrivals per day at the last submit time.
    pub end_per_day: f64,
    /// Standard error of the log of the rate at the first submit time.
    pub se_ln_start: f64,
    /// Standard error of the log of the rate at the last submit time.
    pub se_ln_end: f64,
    /// Growth `b`: the log of (1 + growth) per year.
    pub growth_ln_per_year: f64,
    /// Standard error of `b`.
    pub se_growth_ln_per_year: f64,
}

impl RateFit {
    /// Growth per year as a fraction, `exp(b) - 1`.
    pub fn growth_per_year_frac(&self) -> f64 {
        self.growth_ln_per_year.exp_m1()
    }

    /// Whether the growth differs from zero by at least two standard errors.
    pub fn growth_significant(&self) -> bool {
        (self.growth_ln_per_year / self.se_growth_ln_per_year).abs() >= 2.0
    }
}

/// Moments of `u` in [0, 1] under the density proportional to `exp(x u)`: mean and variance
/// (Simpson's rule, weights scaled by their largest so that nothing overflows).
fn tilted_moments(x: f64) -> (f64, f64) {
    const N: usize = 4000;
    let shift = x.max(0.0);
    let (mut w0, mut w1, mut w2) = (0.0, 0.0, 0.0);
    for i in 0..=N {
        let u = i as f64 / N as f64;
        let k = if i == 0 || i == N {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        let w = k * (x * u - shift).exp();
        w0 += w;
        w1 += w * u;
        w2 += w * u * u;
    }
    let mean = w1 / w0;
    (mean, (w2 / w0 - mean * mean).max(0.0))
}

/// Fit the arrival rate and its growth to submit times in hours (sorted, at least two, with a
/// span above zero).
pub fn fit_rate(submit_hours: &[f64]) -> RateFit {
    let n = submit_hours.len();
    let t0 = submit_hours[0];
    let span_hours = submit_hours[n - 1] - t0;
    let years = span_hours / crate::time::HOURS_PER_YEAR as f64;
    // The likelihood equation: the mean submit time (as a share of the span) equals the mean of
    // the tilted density; the mean is increasing in x = b T, so bisection finds the root.
    let target = submit_hours
        .iter()
        .map(|t| (t - t0) / span_hours)
        .sum::<f64>()
        / n as f64;
    let (mut lo, mut hi) = (-200.0_f64, 200.0_f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if tilted_moments(mid).0 < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let x = 0.5 * (lo + hi);
    let (mean_u, var_u) = tilted_moments(x);
    // Integral of exp(x u) over [0, 1].
    let integral = if x.abs() < 1e-9 { 1.0 } else { x.exp_m1() / x };
    // exp(a) in arrivals per year at t0: n = exp(a) T integral.
    let start_per_year = n as f64 / (years * integral);
    let b = x / years;
    // Fisher information of (a, b): n [1, E t; E t, E t^2]; its inverse gives the variances.
    let var_t = var_u * years * years;
    let nf = n as f64;
    let mean_t = mean_u * years;
    let se_b = (1.0 / (nf * var_t)).sqrt();
    let se_ln_start = ((var_t + mean_t * mean_t) / (nf * var_t)).sqrt();
    let se_ln_end = ((var_t + (years - mean_t).powi(2)) / (nf * var_t)).sqrt();
    RateFit {
        n,
        span_hours,
        start_per_day: start_per_year / 365.0,
        end_per_day: start_per_year * x.exp() / 365.0,
        se_ln_start,
        se_ln_end,
        growth_ln_per_year: b,
        se_growth_ln_per_year: se_b,
    }
}

/// A duration distribution fitted by maximum likelihood.
#[derive(Clone, Copy, Debug)]
pub enum DurationFit {
    /// Lognormal: `mu`, `sigma` of the log of hours, with their standard errors and the
    /// Kolmogorov-Smirnov distance.
    LogNormal {
        /// Mean of ln(hours).
        mu: f64,
        /// Standard deviation of ln(hours) (maximum likelihood, divided by n).
        sigma: f64,
        /// Standard error of `mu`: sigma / sqrt(n).
        se_mu: f64,
        /// Standard error of `sigma`: sigma / sqrt(2 n).
        se_sigma: f64,
        /// Kolmogorov-Smirnov distance between the data and the fitted distribution.
        ks: f64,
    },
    /// Exponential with its mean in hours, the mean's standard error and the KS distance.
    Exponential {
        /// Mean hours.
        mean: f64,
        /// Standard error of the mean: mean / sqrt(n).
        se_mean: f64,
        /// Kolmogorov-Smirnov distance.
        ks: f64,
    },
}

impl DurationFit {
    /// The Kolmogorov-Smirnov distance.
    pub fn ks(&self) -> f64 {
        match self {
            DurationFit::LogNormal { ks, .. } | DurationFit::Exponential { ks, .. } => *ks,
        }
    }

    /// The distribution as the scenario writes it (hours).
    pub fn dist(&self) -> crate::dist::Dist {
        match *self {
            DurationFit::LogNormal { mu, sigma, .. } => {
                crate::dist::Dist::LogNormal(mu.exp(), (mu + Z90 * sigma).exp())
            }
            DurationFit::Exponential { mean, .. } => crate::dist::Dist::Exponential(mean),
        }
    }
}

/// Kolmogorov-Smirnov distance of sorted data from a CDF.
fn ks_distance(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).max((i + 1) as f64 / n - f)
        })
        .fold(0.0, f64::max)
}

/// Lognormal and exponential fits to durations in hours (all above zero, at least two).
pub fn fit_durations(hours: &[f64]) -> (DurationFit, DurationFit) {
    let mut sorted = hours.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let mu = sorted.iter().map(|x| x.ln()).sum::<f64>() / n;
    let sigma = (sorted.iter().map(|x| (x.ln() - mu).powi(2)).sum::<f64>() / n).sqrt();
    let ks_ln = if sigma > 0.0 {
        ks_distance(&sorted, |x| normal_cdf((x.ln() - mu) / sigma))
    } else {
        ks_distance(&sorted, |x| if x < mu.exp() { 0.0 } else { 1.0 })
    };
    let mean = sorted.iter().sum::<f64>() / n;
    let ks_exp = ks_distance(&sorted, |x| -(-x / mean).exp_m1());
    (
        DurationFit::LogNormal {
            mu,
            sigma,
            se_mu: sigma / n.sqrt(),
            se_sigma: sigma / (2.0 * n).sqrt(),
            ks: ks_ln,
        },
        DurationFit::Exponential {
            mean,
            se_mean: mean / n.sqrt(),
            ks: ks_exp,
        },
    )
}

/// Everything fitted to one trace.
#[derive(Clone, Debug)]
pub struct Calibration {
    /// Arrival rate and growth.
    pub rate: RateFit,
    /// Request sizes: (GPUs, count), by size.
    pub sizes: Vec<(f64, u64)>,
    /// Lognormal fit of the durations.
    pub lognormal: DurationFit,
    /// Exponential fit of the durations.
    pub exponential: DurationFit,
    /// Whether every duration is the same (then written as a plain number).
    pub fixed_duration: Option<f64>,
}

impl Calibration {
    /// The duration fit written: the one with the smaller Kolmogorov-Smirnov distance.
    pub fn chosen_duration(&self) -> DurationFit {
        if self.lognormal.ks() <= self.exponential.ks() {
            self.lognormal
        } else {
            self.exponential
        }
    }
}

/// Why a fit cannot become a scenario's demand: its rate or growth lies outside what a scenario
/// accepts (a growth rate extrapolated to a year from a trace of hours, for instance), one
/// message per field; empty when the fragment's numbers are in range.
pub fn fit_problems(c: &Calibration) -> Vec<String> {
    let r = &c.rate;
    let span_days = r.span_hours / 24.0;
    let mut problems = Vec::new();
    for (path, x, what) in [
        (
            "demand.growth_per_year_frac",
            r.growth_per_year_frac(),
            "the growth fitted",
        ),
        (
            "demand.arrivals_per_day",
            r.end_per_day,
            "the rate fitted at the end of the trace",
        ),
    ] {
        if let Some(range) = crate::scenario::validate::ranges::range_of(path)
            && !range.contains(x)
        {
            problems.push(format!(
                "{what} cannot go in a scenario ({path}: {}); the trace spans {span_days:.1} days, which may be too short to tell a yearly trend from",
                range.message(x),
            ));
        }
    }
    // The duration fitted must pass the check a scenario's durations pass (its tail too).
    if c.fixed_duration.is_none() {
        let path = "demand.mix[0].duration.Hours";
        if let Some(range) = crate::scenario::validate::ranges::range_of(path) {
            let mut found = crate::problems::Problems::default();
            crate::dist::Param::Dist(c.chosen_duration().dist())
                .check_draw(path, range.lo, range.hi, &mut found);
            problems.extend(found.iter().map(|p| {
                format!(
                    "the duration fitted cannot go in a scenario ({}); the trace's durations spread too widely for one distribution",
                    p.message
                )
            }));
        }
    }
    problems
}

/// Fit a parsed trace.
pub fn calibrate(trace: &Trace) -> Calibration {
    let times: Vec<f64> = trace.requests.iter().map(|r| r.submit_hours).collect();
    let rate = fit_rate(&times);
    let mut sizes: Vec<(f64, u64)> = Vec::new();
    let mut gpus: Vec<f64> = trace.requests.iter().map(|r| r.gpus).collect();
    gpus.sort_by(f64::total_cmp);
    for g in gpus {
        match sizes.last_mut() {
            Some((v, c)) if *v == g => *c += 1,
            _ => sizes.push((g, 1)),
        }
    }
    let durations: Vec<f64> = trace.requests.iter().map(|r| r.duration_hours).collect();
    let (lognormal, exponential) = fit_durations(&durations);
    let first = durations[0];
    let fixed_duration = durations.iter().all(|&d| d == first).then_some(first);
    Calibration {
        rate,
        sizes,
        lognormal,
        exponential,
        fixed_duration,
    }
}

/// A number for RON text: six significant digits, always with a decimal point (`NaN` or `inf`
/// for a value that is not finite, which validation then refuses with the field's path).
pub fn ron_number(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let s = if x != 0.0 && (x.abs() >= 1e7 || x.abs() < 1e-4) {
        format!("{x:.5e}")
    } else {
        let digits = (5 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
        let t = format!("{x:.digits$}");
        let t = if t.contains('.') {
            t.trim_end_matches('0').to_string()
        } else {
            t
        };
        if t.ends_with('.') { format!("{t}0") } else { t }
    };
    if s.contains(['.', 'e']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// A statistic for a comment: the number, or "not defined" when it is not finite.
fn stat(x: f64) -> String {
    if x.is_finite() {
        crate::dist::fmt_num(x)
    } else {
        "not defined".into()
    }
}

/// The fitted `demand` section as RON text, with the statistics as comments; `source` names the
/// trace. It pastes in place of a scenario's `demand` section (one request class; the load,
/// SKUs and patience are not in a trace and are to be set).
pub fn fragment(c: &Calibration, source: &str, load_frac: f64) -> String {
    let r = &c.rate;
    let n = r.n;
    let days = r.span_hours / 24.0;
    let mut out = String::new();
    let source = crate::scenario::short_text(source);
    out.push_str(&format!(
        "// Demand fitted by `dcplan calibrate` to {source}: {n} requests over {} days.\n",
        stat(days)
    ));
    out.push_str("// Paste in place of a scenario's `demand` section; set load_frac, skus and patience,\n// which a trace does not hold.\n");
    out.push_str("demand: (\n");
    out.push_str(&format!(
        "    // Poisson rate exp(a + b t) fitted to the submit times by maximum likelihood: {} a day\n    // at the end of the trace (standard error of its log {}), {} at its start (standard error {}).\n",
        stat(r.end_per_day),
        stat(r.se_ln_end),
        stat(r.start_per_day),
        stat(r.se_ln_start),
    ));
    out.push_str(&format!(
        "    arrivals_per_day: {},\n",
        ron_number(r.end_per_day)
    ));
    let monthly = (r.growth_ln_per_year / 12.0).exp_m1();
    out.push_str(&format!(
        "    // b = ln(1 + growth) = {} a year, standard error {} (growth a month: {}); {}.\n",
        stat(r.growth_ln_per_year),
        stat(r.se_growth_ln_per_year),
        stat(monthly),
        if r.growth_significant() {
            "significant (|b| is at least 2 standard errors)"
        } else {
            "not significant (|b| is below 2 standard errors): the trace does not show growth"
        }
    ));
    out.push_str(&format!(
        "    growth_per_year_frac: {},\n",
        ron_number(r.growth_per_year_frac())
    ));
    out.push_str(
        "    mix: [\n        (\n            class: OnDemand,\n            share_frac: 1.0,\n",
    );
    out.push_str(&format!(
        "            // Empirical distribution of the {n} requests' sizes: (GPUs, count).\n"
    ));
    let sizes = c
        .sizes
        .iter()
        .map(|(g, k)| format!("({}, {k}.0)", ron_number(*g)))
        .collect::<Vec<_>>()
        .join(", ");
    out.push_str(&format!("            size_gpus: Discrete([{sizes}]),\n"));
    let crit = 1.358 / (n as f64).sqrt();
    let (ln_ks, exp_ks) = (c.lognormal.ks(), c.exponential.ks());
    match (c.fixed_duration, c.chosen_duration()) {
        (Some(d), _) => {
            out.push_str("            // Every request of the trace has this duration.\n");
            out.push_str(&format!(
                "            duration: Hours({}),\n",
                ron_number(d)
            ));
        }
        (
            None,
            DurationFit::LogNormal {
                mu,
                sigma,
                se_mu,
                se_sigma,
                ..
            },
        ) => {
            out.push_str(&format!(
                "            // Lognormal by maximum likelihood: mu = {} (standard error {}), sigma = {} (standard error {})\n            // of ln(hours); Kolmogorov-Smirnov D = {} (exponential: {}; 1.358/sqrt(n) = {}).\n",
                stat(mu), stat(se_mu), stat(sigma), stat(se_sigma), stat(ln_ks), stat(exp_ks), stat(crit)
            ));
            out.push_str(&format!(
                "            duration: Hours(LogNormal({}, {})),\n",
                ron_number(mu.exp()),
                ron_number((mu + Z90 * sigma).exp())
            ));
        }
        (None, DurationFit::Exponential { mean, se_mean, .. }) => {
            out.push_str(&format!(
                "            // Exponential by maximum likelihood: mean {} hours (standard error {});\n            // Kolmogorov-Smirnov D = {} (lognormal: {}; 1.358/sqrt(n) = {}).\n",
                stat(mean), stat(se_mean), stat(exp_ks), stat(ln_ks), stat(crit)
            ));
            out.push_str(&format!(
                "            duration: Hours(Exponential({})),\n",
                ron_number(mean)
            ));
        }
    }
    out.push_str("            // Not in a trace: the nodes' average load from idle (0) to max power (1); set it.\n");
    out.push_str(&format!(
        "            load_frac: {},\n",
        ron_number(load_frac)
    ));
    out.push_str("        ),\n    ],\n),\n");
    out
}

/// A least-squares line through `(x, ln y)`: slope and its standard error (from the residuals),
/// for `y` all above zero and at least three points; `None` otherwise.
pub(crate) fn loglinear_slope(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    if points.len() < 3 || points.iter().any(|&(_, y)| !(y > 0.0 && y.is_finite())) {
        return None;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1.ln()).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1.ln() - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let rss: f64 = points
        .iter()
        .map(|p| (p.1.ln() - my - slope * (p.0 - mx)).powi(2))
        .sum();
    Some((slope, (rss / (n - 2.0) / sxx).sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_parse_to_hours_since_1970() {
        assert_eq!(parse_iso("1970-01-01"), Some(0.0));
        assert_eq!(parse_iso("1970-01-02T01:00:00Z"), Some(25.0));
        assert_eq!(parse_iso("1970-01-02 01:30"), Some(25.5));
        assert_eq!(parse_iso("1970-01-02T03:00:00+02:00"), Some(25.0));
        assert_eq!(parse_iso("1970-01-01T24:00"), Some(24.0));
        assert_eq!(
            parse_iso("2000-03-01"),
            Some(days_from_civil(2000, 3, 1) as f64 * 24.0)
        );
        assert_eq!(
            days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28),
            2
        );
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "2026-1-01",
            "yesterday",
            "2026-01-01T25:00",
            "2026-01-01T24:59",
            // Not ASCII where a byte position would cut a character: refused, no panic.
            "2026-01-01T00:00+a\u{20ac}",
            "2026-01-01\u{20ac}00:00",
            "2026-01-01T00:00+\u{20ac}",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_column_named_twice_is_refused_not_guessed() {
        let text = "submit_time,gpus,duration_hours,gpus\n0,1,2,400\n";
        let errors = parse_trace("t.csv", text).expect_err("refused");
        assert_eq!(
            errors,
            vec!["t.csv:1: columns 2 and 4 are both named `gpus`; rename or remove one"]
        );
    }

    #[test]
    fn numbers_for_ron_keep_six_digits_and_a_point() {
        assert_eq!(ron_number(1.0), "1.0");
        assert_eq!(ron_number(123.456789), "123.457");
        assert_eq!(ron_number(0.3), "0.3");
        assert_eq!(ron_number(-0.0512345), "-0.0512345");
        assert_eq!(ron_number(2.5e8), "2.50000e8");
        assert_eq!(ron_number(f64::NAN), "NaN");
    }

    #[test]
    fn ks_distance_of_a_perfect_uniform_sample_is_one_over_n() {
        let data: Vec<f64> = (0..10).map(|i| (i as f64 + 0.5) / 10.0).collect();
        let d = ks_distance(&data, |x| x);
        assert!((d - 0.05).abs() < 1e-12, "{d}");
    }

    #[test]
    fn a_growth_no_scenario_accepts_is_refused() {
        // Three requests an hour apart, then a burst ten hours on: over half a day, the rate's
        // growth extrapolates to more than 1e300 a year.
        let mut text = String::from("submit_time,gpus,duration_hours\n0,8,2\n3600,8,2\n7200,8,2\n");
        for i in 0..200 {
            text.push_str(&format!("{},8,2\n", 36_000 + 60 * i));
        }
        let fit = calibrate(&parse_trace("t.csv", &text).expect("parses"));
        let problems = fit_problems(&fit);
        assert!(
            problems
                .iter()
                .any(|p| p.contains("demand.growth_per_year_frac") && p.contains("0.6 days")),
            "{problems:?}"
        );
        // A steady trace over weeks fits in range.
        let steady: String = std::iter::once("submit_time,gpus,duration_hours\n".to_string())
            .chain((0..500).map(|i| format!("{},8,2\n", 3_600 * i)))
            .collect();
        let fit = calibrate(&parse_trace("s.csv", &steady).expect("parses"));
        assert!(fit_problems(&fit).is_empty(), "{:?}", fit_problems(&fit));
    }
}
