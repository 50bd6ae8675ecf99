//! Summary statistics of Monte Carlo results.

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
    /// Lower end of the 95 % confidence interval of the mean (normal approximation).
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
}

/// z for a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

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
/// among those. Nearest rank, so that "never" is reported rather than interpolated.
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

/// Summarise values; `None` entries count in `n_total` only.
pub fn summarize(values: &[Option<f64>]) -> Summary {
    let mut v: Vec<f64> = values.iter().flatten().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mean = if n > 0 { v.iter().sum::<f64>() / n as f64 } else { f64::NAN };
    let sd = if n > 1 { (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
    let se = if n > 0 { sd / (n as f64).sqrt() } else { f64::NAN };
    let q = |p| percentile_sorted(&v, p);
    Summary {
        n,
        n_total: values.len(),
        mean,
        sd,
        se,
        ci95_lo: mean - Z95 * se,
        ci95_hi: mean + Z95 * se,
        min: v.first().copied().unwrap_or(f64::NAN),
        p5: q(0.05),
        p10: q(0.10),
        p25: q(0.25),
        p50: q(0.50),
        p75: q(0.75),
        p90: q(0.90),
        p95: q(0.95),
        max: v.last().copied().unwrap_or(f64::NAN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(percentile_sorted(&v, 0.5), 3.0);
        assert!((percentile_sorted(&v, 0.9) - 7.6).abs() < 1e-12);
        assert!((percentile_sorted(&v, 0.1) - 1.4).abs() < 1e-12);
    }

    #[test]
    fn summary_counts_missing_values() {
        let s = summarize(&[Some(1.0), None, Some(3.0)]);
        assert_eq!((s.n, s.n_total), (2, 3));
        assert_eq!(s.mean, 2.0);
        assert!((s.sd - 2f64.sqrt()).abs() < 1e-12);
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
    (p, (p * (1.0 - p) / n as f64).sqrt())
}

/// Share of values below `x`, with its standard error; missing values are left out.
pub fn prob_below(values: &[Option<f64>], x: f64) -> (f64, f64) {
    let v: Vec<f64> = values.iter().flatten().copied().collect();
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let p = v.iter().filter(|&&y| y < x).count() as f64 / v.len() as f64;
    (p, (p * (1.0 - p) / v.len() as f64).sqrt())
}

/// Conditional value at risk: the mean of the worst `alpha` share of values (the lowest ones),
/// e.g. `cvar_low(npvs, 0.05)` is the CVaR5 of NPV.
pub fn cvar_low(values: &[Option<f64>], alpha: f64) -> f64 {
    let mut v: Vec<f64> = values.iter().flatten().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let k = ((alpha * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[..k].iter().sum::<f64>() / k as f64
}

#[cfg(test)]
mod risk_tests {
    use super::*;

    #[test]
    fn risk_measures_on_a_known_sample() {
        let v: Vec<Option<f64>> = (1..=100).map(|i| Some(i as f64)).collect();
        assert_eq!(cvar_low(&v, 0.05), 3.0);
        assert_eq!(prob_below(&v, 11.0).0, 0.10);
        let paybacks = [Some(20.0), Some(40.0), None, Some(30.0)];
        assert_eq!(prob_at_most(&paybacks, 36.0).0, 0.5);
        assert!((prob_at_most(&paybacks, 36.0).1 - (0.25f64 / 4.0).sqrt()).abs() < 1e-12);
    }
}
