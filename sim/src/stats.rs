//! Summary statistics of Monte Carlo results.

use crate::columns::Column;
use crate::results::Kpi;

/// Summary of one quantity across replications.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Replications with a value.
    pub n: usize,
    /// Replications in all (some may have no value, e.g. no payback).
    pub n_total: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation.
    pub sd: f64,
    /// Standard error of the mean.
    pub se: f64,
    /// Lower end of the 95 % confidence interval of the mean (Student's t with `n - 1` degrees of
    /// freedom, [`t95`]).
    pub ci95_lo: f64,
    /// Upper end of the 95 % confidence interval of the mean.
    pub ci95_hi: f64,
    /// Minimum.
    pub min: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 10th percentile.
    pub p10: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Maximum.
    pub max: f64,
    /// Replications where the event never happens within the horizon (quantities summarised with
    /// [`summarize_never_last`]; 0 otherwise).
    pub n_never: usize,
}

impl Summary {
    /// Share of replications where the event never happens within the horizon (0 for a quantity
    /// that always exists; NaN without replications).
    pub fn share_never(&self) -> f64 {
        if self.n_total == 0 {
            f64::NAN
        } else {
            self.n_never as f64 / self.n_total as f64
        }
    }
}

/// z for a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Half-width of a two-sided 95 % confidence interval of a mean, in standard errors, with `df`
/// degrees of freedom: the 97.5 % quantile of Student's t (12.71 at 1, 2.36 at 7, 2.01 at 50,
/// [`Z95`] in the limit). It may be fractional (Welch's degrees of freedom); NaN below 1.
///
/// Found by bisection on the t distribution's tail, `P(|T| > t) = I_{df/(df+t^2)}(df/2, 1/2)`
/// (the regularised incomplete beta function), to about 1e-12; values for whole degrees of
/// freedom are kept once computed.
pub fn t95(df: f64) -> f64 {
    if df.is_nan() || df < 1.0 {
        return f64::NAN;
    }
    if df > 1e7 {
        return Z95;
    }
    thread_local! {
        static KNOWN: std::cell::RefCell<std::collections::HashMap<u64, f64>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    let whole = df.fract() == 0.0;
    if whole && let Some(t) = KNOWN.with(|k| k.borrow().get(&(df as u64)).copied()) {
        return t;
    }
    let tail = |t: f64| crate::dist::beta_cdf(df / (df + t * t), df / 2.0, 0.5);
    // The quantile lies between z (df infinite) and 12.71 (df = 1); the tail falls as t grows.
    let (mut lo, mut hi) = (Z95 - 1e-9, 12.8);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if tail(mid) > 0.05 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let t = 0.5 * (lo + hi);
    if whole {
        KNOWN.with(|k| k.borrow_mut().insert(df as u64, t));
    }
    t
}

/// Percentile `p` in [0, 1] of sorted values, by linear interpolation between order statistics
/// (Hyndman and Fan type 7, the default of R and NumPy).
pub fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// Nearest-rank percentile `p` of values where `None` (an event that never happens, such as a
/// payback beyond the horizon) sorts after every finite value; `None` when the percentile falls
/// among those. Nearest rank (Hyndman and Fan type 1, NumPy's `inverted_cdf`: the smallest value
/// with at least a share `p` of replications at or below it), so that "never" is reported rather
/// than interpolated.
pub fn percentile_never_last(values: &[Option<f64>], p: f64) -> Option<f64> {
    let mut vals: Vec<f64> = values.iter().map(|x| x.unwrap_or(f64::INFINITY)).collect();
    if vals.is_empty() {
        return None;
    }
    vals.sort_by(f64::total_cmp);
    let idx = ((p * vals.len() as f64).ceil() as usize).clamp(1, vals.len()) - 1;
    let x = vals[idx];
    x.is_finite().then_some(x)
}

/// Summarise a KPI by its definition: a time until an event that may never happen (its
/// metadata's flag, [`crate::columns::Column::may_not_happen`]: payback, first profit) with
/// [`summarize_never_last`], any other with [`summarize`].
pub fn summarize_kpi(kpi: Kpi, values: &[Option<f64>]) -> Summary {
    summarize_column(kpi.column(), values)
}

/// Summarise a column's values by its definition (see [`summarize_kpi`]).
pub fn summarize_column(column: &Column, values: &[Option<f64>]) -> Summary {
    if column.may_not_happen {
        summarize_never_last(values)
    } else {
        summarize(values)
    }
}

/// Summarise a time until an event that may never happen; `None` means it never happens within
/// the horizon. Percentiles, minimum and maximum count "never" as later than any month and are
/// nearest-rank ([`percentile_never_last`]); a percentile that falls among the replications that
/// never reach the event is `f64::INFINITY` ("never"). The mean, standard deviation, standard
/// error and confidence interval exist only when every replication reaches the event (NaN
/// otherwise): a mean over only those that do would say nothing about those that do not.
pub fn summarize_never_last(values: &[Option<f64>]) -> Summary {
    let reached = summarize(values);
    let n_never = values
        .iter()
        .filter(|v| !v.is_some_and(f64::is_finite))
        .count();
    let q = |p: f64| {
        if values.is_empty() {
            f64::NAN
        } else {
            percentile_never_last(values, p).unwrap_or(f64::INFINITY)
        }
    };
    let undefined = n_never > 0;
    let moment = |x: f64| if undefined { f64::NAN } else { x };
    Summary {
        n: reached.n,
        n_total: values.len(),
        mean: moment(reached.mean),
        sd: moment(reached.sd),
        se: moment(reached.se),
        ci95_lo: moment(reached.ci95_lo),
        ci95_hi: moment(reached.ci95_hi),
        min: q(0.0),
        p5: q(0.05),
        p10: q(0.10),
        p25: q(0.25),
        p50: q(0.50),
        p75: q(0.75),
        p90: q(0.90),
        p95: q(0.95),
        max: q(1.0),
        n_never,
    }
}

/// Summarise values; `None` entries count in `n_total` only.
pub fn summarize(values: &[Option<f64>]) -> Summary {
    let mut v: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mean = if n > 0 {
        v.iter().sum::<f64>() / n as f64
    } else {
        f64::NAN
    };
    // One value says nothing of the spread: the standard deviation, the standard error and the
    // confidence interval need two.
    let sd = if n > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    let se = sd / (n as f64).sqrt();
    let half = if n > 1 {
        t95((n - 1) as f64) * se
    } else {
        f64::NAN
    };
    let q = |p| percentile_sorted(&v, p);
    Summary {
        n,
        n_total: values.len(),
        mean,
        sd,
        se,
        ci95_lo: mean - half,
        ci95_hi: mean + half,
        min: v.first().copied().unwrap_or(f64::NAN),
        p5: q(0.05),
        p10: q(0.10),
        p25: q(0.25),
        p50: q(0.50),
        p75: q(0.75),
        p90: q(0.90),
        p95: q(0.95),
        max: v.last().copied().unwrap_or(f64::NAN),
        n_never: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Student's t quantiles against published tables (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2,
    /// to the digits given there) and the normal limit.
    #[test]
    fn t95_matches_the_t_table() {
        for (df, t) in [
            (1.0, 12.706_204_736),
            (2.0, 4.302_652_730),
            (3.0, 3.182_446_305),
            (7.0, 2.364_624_252),
            (10.0, 2.228_138_852),
            (30.0, 2.042_272_456),
            (100.0, 1.983_971_519),
            (1000.0, 1.962_339_081),
        ] {
            assert!(
                (t95(df) - t).abs() < 1e-8,
                "df {df}: {} against {t}",
                t95(df)
            );
            // Kept values are the computed ones.
            assert_eq!(t95(df), t95(df));
        }
        assert!((t95(1e12) - Z95).abs() < 1e-12);
        assert!(t95(0.5).is_nan() && t95(f64::NAN).is_nan());
        // Fractional degrees of freedom fall between their neighbours.
        assert!(t95(7.0) > t95(7.5) && t95(7.5) > t95(8.0));
    }

    /// The confidence interval of a mean uses t with n - 1 degrees of freedom: with 8 values the
    /// half-width is 2.3646 standard errors, not 1.96.
    #[test]
    fn the_confidence_interval_of_a_mean_of_few_values_uses_t() {
        let values: Vec<Option<f64>> = (1..=8).map(|i| Some(i as f64)).collect();
        let s = summarize(&values);
        let half = s.ci95_hi - s.mean;
        assert!(
            (half / s.se - 2.364_624_252).abs() < 1e-8,
            "{}",
            half / s.se
        );
        assert!((s.mean - s.ci95_lo - half).abs() < 1e-12);
    }

    #[test]
    fn percentiles_match_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(percentile_sorted(&v, 0.5), 3.0);
        assert!((percentile_sorted(&v, 0.9) - 7.6).abs() < 1e-12);
        assert!((percentile_sorted(&v, 0.1) - 1.4).abs() < 1e-12);
    }

    #[test]
    fn never_last_summary_counts_never_as_later_than_any_month() {
        // 7 of 10 replications never pay back: the median is "never", not the median of the 3.
        let mut v = vec![Some(40.0), Some(63.0), Some(50.0)];
        v.extend([None; 7]);
        let s = summarize_never_last(&v);
        assert_eq!((s.n, s.n_total, s.n_never), (3, 10, 7));
        assert!((s.share_never() - 0.7).abs() < 1e-12);
        assert_eq!(s.p50, f64::INFINITY);
        assert_eq!(s.max, f64::INFINITY);
        // Nearest rank (NumPy `inverted_cdf`): P10 is the 1st of 10, P25 the 3rd, P30 the 3rd.
        assert_eq!((s.min, s.p5, s.p10, s.p25), (40.0, 40.0, 40.0, 63.0));
        assert_eq!(percentile_never_last(&v, 0.3), Some(63.0));
        assert_eq!(percentile_never_last(&v, 0.31), None);
        // No mean over only the replications that pay back.
        assert!(s.mean.is_nan() && s.se.is_nan() && s.sd.is_nan() && s.ci95_lo.is_nan());
        // The plain summary of the same values is what a table printed before: P50 over the three.
        assert_eq!(summarize(&v).p50, 50.0);
        // When every replication reaches the event, the mean exists.
        let all = summarize_never_last(&[Some(10.0), Some(20.0), Some(30.0), Some(40.0)]);
        assert_eq!(
            (all.n_never, all.mean, all.p50, all.max),
            (0, 25.0, 20.0, 40.0)
        );
        assert_eq!(all.share_never(), 0.0);
        // By the KPI's flag: payback and first profit are never-last, NPV is not.
        assert_eq!(summarize_kpi(Kpi::PaybackMonths, &v).p50, f64::INFINITY);
        assert_eq!(summarize_kpi(Kpi::FirstProfitMonths, &v).p50, f64::INFINITY);
        assert_eq!(summarize_kpi(Kpi::NpvUsd, &v).p50, 50.0);
        assert!(summarize_never_last(&[]).p50.is_nan());
    }

    #[test]
    fn summary_counts_missing_values() {
        let s = summarize(&[Some(1.0), None, Some(3.0)]);
        assert_eq!((s.n, s.n_total), (2, 3));
        assert_eq!(s.mean, 2.0);
        assert!((s.sd - 2f64.sqrt()).abs() < 1e-12);
        // One value: a mean and percentiles, but no spread and no interval (not a width of 0).
        let one = summarize(&[Some(7.0)]);
        assert_eq!((one.n, one.mean, one.p50), (1, 7.0, 7.0));
        assert!(one.sd.is_nan() && one.se.is_nan() && one.ci95_lo.is_nan() && one.ci95_hi.is_nan());
        assert!((s.se - 1.0).abs() < 1e-12);
    }
}

/// Share of values at or below `x`, with its binomial standard error; missing values count as
/// above `x` (a payback that never happens is not within any number of months).
pub fn prob_at_most(values: &[Option<f64>], x: f64) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let p = values.iter().filter(|v| v.is_some_and(|v| v <= x)).count() as f64 / n as f64;
    (p, share_se(p, n))
}

/// Standard error of a share `p` of `n` trials; none (NaN) from fewer than 2, as for a mean.
fn share_se(p: f64, n: usize) -> f64 {
    if n < 2 {
        f64::NAN
    } else {
        (p * (1.0 - p) / n as f64).sqrt()
    }
}

/// The 95 % Wilson score interval of a probability estimated as the share `p` of `n` trials:
/// unlike `p` plus or minus 1.96 standard errors, it stays within 0 and 1 and is not empty at
/// a share of 0 or 1.
pub fn wilson_interval(p: f64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let n = n as f64;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // At a share of 0 (or 1) the bound is 0 (or 1) exactly; rounding must not move it.
    let lo = if p <= 0.0 {
        0.0
    } else {
        (center - half).clamp(0.0, p)
    };
    let hi = if p >= 1.0 {
        1.0
    } else {
        (center + half).clamp(p, 1.0)
    };
    (lo, hi)
}

/// Share of values below `x`, with its standard error; missing values are left out.
pub fn prob_below(values: &[Option<f64>], x: f64) -> (f64, f64) {
    let v: Vec<f64> = values.iter().flatten().copied().collect();
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let p = v.iter().filter(|&&y| y < x).count() as f64 / v.len() as f64;
    (p, share_se(p, v.len()))
}

/// Conditional value at risk: the mean of the worst `alpha` share of values (the lowest ones),
/// e.g. `cvar_low(npvs, 0.05)` is the CVaR5 of NPV.
pub fn cvar_low(values: &[Option<f64>], alpha: f64) -> f64 {
    let mut v: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    // The worst `alpha n` values, where `alpha n` need not be whole: the last one counts with
    // the fraction of it that falls in the tail (with fewer than one, the worst value alone).
    let m = (alpha * v.len() as f64).clamp(f64::MIN_POSITIVE, v.len() as f64);
    let whole = (m.floor() as usize).min(v.len());
    let part = m - whole as f64;
    let tail = v[..whole].iter().sum::<f64>() + v.get(whole).map_or(0.0, |x| part * x);
    tail / m
}

#[cfg(test)]
mod risk_tests {
    use super::*;

    #[test]
    fn risk_measures_on_a_known_sample() {
        let v: Vec<Option<f64>> = (1..=100).map(|i| Some(i as f64)).collect();
        assert_eq!(cvar_low(&v, 0.05), 3.0);
        // 30 values: the worst 1.5, the second worst at half weight.
        let w: Vec<Option<f64>> = (1..=30).map(|i| Some(i as f64)).collect();
        assert_eq!(cvar_low(&w, 0.05), (1.0 + 0.5 * 2.0) / 1.5);
        // Fewer than one value in the tail: the worst.
        assert_eq!(cvar_low(&w[..8], 0.05), 1.0);
        assert_eq!(prob_below(&v, 11.0).0, 0.10);
        let paybacks = [Some(20.0), Some(40.0), None, Some(30.0)];
        assert_eq!(prob_at_most(&paybacks, 36.0).0, 0.5);
        assert!((prob_at_most(&paybacks, 36.0).1 - (0.25f64 / 4.0).sqrt()).abs() < 1e-12);
        // One trial tells a share but not its spread.
        assert!(prob_below(&[Some(-1.0)], 0.0).1.is_nan());
        assert!(prob_at_most(&[Some(3.0)], 36.0).1.is_nan());
    }

    #[test]
    fn wilson_interval_stays_in_the_unit_interval_and_matches_a_worked_case() {
        // 3 of 20: the textbook Wilson interval is 0.0524 to 0.3604.
        let (lo, hi) = wilson_interval(0.15, 20);
        assert!(
            (lo - 0.0524).abs() < 5e-4 && (hi - 0.3604).abs() < 5e-4,
            "{lo} {hi}"
        );
        // At 0 and 1 it is one-sided and not empty: 0 of 20 gives 0 to 0.161.
        let (lo, hi) = wilson_interval(0.0, 20);
        assert!(lo == 0.0 && (hi - 0.1611).abs() < 5e-4, "{lo} {hi}");
        let (lo, hi) = wilson_interval(1.0, 20);
        assert!((lo - 0.8389).abs() < 5e-4 && hi == 1.0, "{lo} {hi}");
        for n in [1, 2, 5, 50, 1000] {
            for k in 0..=n {
                let (lo, hi) = wilson_interval(k as f64 / n as f64, n);
                assert!(0.0 <= lo && lo <= k as f64 / n as f64 && k as f64 / n as f64 <= hi);
                assert!(hi <= 1.0);
            }
        }
        assert!(wilson_interval(0.5, 0).0.is_nan());
    }
}
