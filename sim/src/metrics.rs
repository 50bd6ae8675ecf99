//! Investment metrics on monthly cash flows: NPV, IRR, payback.
//!
//! Conventions: cash flow `i` happens at the end of month `i` (0-based), so it is discounted by
//! `(1 + r)^((i + 1) / 12)` for an annual rate `r`. IRR is reported as an annual rate.
//!
//! Every metric refuses a flow (or rate) that is not a finite number with [`NonFinite`] rather
//! than turn it into a number: a NaN would otherwise read as payback in 0 months or no funding
//! need.

/// A cash flow (or the rate) that is not a finite number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NonFinite {
    /// Index of the flow (0-based month), or `None` for the rate.
    pub month: Option<usize>,
    /// The value.
    pub value: f64,
}

impl std::fmt::Display for NonFinite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.month {
            Some(m) => write!(f, "cash flow of month {m} is {}", self.value),
            None => write!(f, "the rate is {}", self.value),
        }
    }
}

impl std::error::Error for NonFinite {}

/// Check that every flow is finite.
fn finite(monthly_flows: &[f64]) -> Result<(), NonFinite> {
    match monthly_flows.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(NonFinite {
            month: Some(i),
            value: monthly_flows[i],
        }),
        None => Ok(()),
    }
}

/// Net present value of monthly cash flows at annual rate `annual_rate`.
pub fn npv(annual_rate: f64, monthly_flows: &[f64]) -> Result<f64, NonFinite> {
    if !annual_rate.is_finite() {
        return Err(NonFinite {
            month: None,
            value: annual_rate,
        });
    }
    finite(monthly_flows)?;
    let monthly = monthly_factor(annual_rate);
    let mut discount = 1.0;
    let mut total = 0.0;
    for cf in monthly_flows {
        discount /= monthly;
        total += cf * discount;
    }
    Ok(total)
}

/// `(1 + r)^(1/12)`.
fn monthly_factor(annual_rate: f64) -> f64 {
    (1.0 + annual_rate).powf(1.0 / 12.0)
}

/// NPV as a function of the monthly rate `m` (so that `1 + m` is the monthly growth factor).
fn npv_monthly(m: f64, flows: &[f64]) -> f64 {
    let g = 1.0 + m;
    // Horner from the last flow backwards: sum cf_i / g^(i+1).
    let mut acc = 0.0;
    for cf in flows.iter().rev() {
        acc = (acc + cf) / g;
    }
    acc
}

/// Internal rate of return (annual) of monthly cash flows.
///
/// Returns `Ok(None)` when no rate between -99 % and +100,000 % a year makes NPV zero (for example when
/// every flow has the same sign). When the flows change sign several times and NPV has several
/// roots, the lowest rate at which NPV falls through zero as the rate rises is reported: that is
/// the rate at which the project, viewed as an investment, stops creating value.
pub fn irr(monthly_flows: &[f64]) -> Result<Option<f64>, NonFinite> {
    finite(monthly_flows)?;
    Ok(irr_finite(monthly_flows))
}

fn irr_finite(monthly_flows: &[f64]) -> Option<f64> {
    let has_pos = monthly_flows.iter().any(|&c| c > 0.0);
    let has_neg = monthly_flows.iter().any(|&c| c < 0.0);
    if !(has_pos && has_neg) {
        return None;
    }
    // Scan monthly rates on a grid that is dense near zero, looking for sign changes.
    let mut grid: Vec<f64> = Vec::new();
    let lo_annual: f64 = -0.99;
    let hi_annual: f64 = 1000.0;
    let n = 4000;
    for k in 0..=n {
        // Map k to an annual rate with a sinh-like spacing: fine near 0, coarse far away.
        let x = k as f64 / n as f64;
        let a = lo_annual + (hi_annual - lo_annual) * x.powi(3);
        grid.push((1.0 + a).powf(1.0 / 12.0) - 1.0);
    }
    let mut prev_m = grid[0];
    let mut prev_v = npv_monthly(prev_m, monthly_flows);
    let mut falling: Vec<f64> = Vec::new();
    let mut any_root: Vec<f64> = Vec::new();
    for &m in &grid[1..] {
        let v = npv_monthly(m, monthly_flows);
        if prev_v == 0.0 {
            any_root.push(prev_m);
        } else if prev_v.signum() != v.signum() && v != 0.0 {
            let root = bisect(prev_m, m, monthly_flows);
            if prev_v > 0.0 {
                falling.push(root);
            }
            any_root.push(root);
        }
        prev_m = m;
        prev_v = v;
    }
    let m = falling.first().or(any_root.first())?;
    Some((1.0 + m).powi(12) - 1.0)
}

fn bisect(mut lo: f64, mut hi: f64, flows: &[f64]) -> f64 {
    let mut f_lo = npv_monthly(lo, flows);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        let f_mid = npv_monthly(mid, flows);
        if f_mid == 0.0 {
            return mid;
        }
        if f_mid.signum() == f_lo.signum() {
            lo = mid;
            f_lo = f_mid;
        } else {
            hi = mid;
        }
        if (hi - lo).abs() < 1e-15 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Months until cumulative cash flow recovers: the first month (1-based count of months elapsed)
/// at whose end the cumulative sum is back at or above zero after having been negative.
/// `Some(0)` if it is never negative; `None` if it never recovers.
pub fn payback_months(monthly_flows: &[f64]) -> Result<Option<u32>, NonFinite> {
    finite(monthly_flows)?;
    let mut cum = 0.0;
    let mut was_negative = false;
    for (i, cf) in monthly_flows.iter().enumerate() {
        cum += cf;
        if cum < 0.0 {
            was_negative = true;
        } else if was_negative {
            return Ok(Some(i as u32 + 1));
        }
    }
    Ok(if was_negative { None } else { Some(0) })
}

/// Largest cumulative deficit (a positive number, or zero).
pub fn peak_funding(monthly_flows: &[f64]) -> Result<f64, NonFinite> {
    finite(monthly_flows)?;
    let mut cum = 0.0;
    let mut worst: f64 = 0.0;
    for cf in monthly_flows {
        cum += cf;
        worst = worst.min(cum);
    }
    Ok(-worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npv_of_a_single_flow_after_a_year() {
        let mut flows = vec![0.0; 12];
        flows[11] = 110.0;
        assert!((npv(0.10, &flows).unwrap() - 100.0).abs() < 1e-9);
    }

    #[test]
    fn npv_annuity_matches_closed_form() {
        // 60 monthly payments of 1,000 at an annual rate of 12 %: closed form with the monthly rate.
        let flows = vec![1000.0; 60];
        let m = 1.12f64.powf(1.0 / 12.0) - 1.0;
        let closed = 1000.0 * (1.0 - (1.0 + m).powi(-60)) / m;
        assert!((npv(0.12, &flows).unwrap() - closed).abs() < 1e-6);
    }

    #[test]
    fn irr_of_an_investment_matches_the_closed_form() {
        // -1000 now (end of month 1), +1210 two years later: annual IRR 10 %.
        let mut flows = vec![0.0; 25];
        flows[0] = -1000.0;
        flows[24] = 1210.0;
        let r = irr(&flows).unwrap().expect("has an irr");
        assert!((r - 0.10).abs() < 1e-9, "{r}");
        assert!(npv(r, &flows).unwrap().abs() < 1e-6);
    }

    #[test]
    fn irr_none_when_flows_never_change_sign() {
        assert_eq!(irr(&[-5.0, -1.0, -3.0]), Ok(None));
        assert_eq!(irr(&[5.0, 1.0]), Ok(None));
        // Sign changes but no root: -100, +50, -100 has NPV < 0 at every rate.
        assert_eq!(irr(&[-100.0, 50.0, -100.0]), Ok(None));
    }

    #[test]
    fn irr_with_two_roots_reports_the_falling_one() {
        // Per-month flows -100, +230, -132 have monthly IRRs 10 % and 20 %; NPV rises through zero at
        // 10 % and falls through zero at 20 %.
        let flows = [-100.0, 230.0, -132.0];
        let r = irr(&flows).unwrap().expect("has an irr");
        let monthly = (1.0 + r).powf(1.0 / 12.0) - 1.0;
        assert!((monthly - 0.20).abs() < 1e-9, "{monthly}");
    }

    #[test]
    fn payback_and_peak_funding() {
        let flows = [-100.0, 30.0, 30.0, 30.0, 30.0, 30.0];
        assert_eq!(payback_months(&flows), Ok(Some(5)));
        assert_eq!(peak_funding(&flows), Ok(100.0));
        assert_eq!(payback_months(&[-100.0, 10.0]), Ok(None));
        assert_eq!(payback_months(&[5.0, 10.0]), Ok(Some(0)));
    }

    #[test]
    fn every_metric_refuses_a_flow_that_is_not_a_number() {
        // Without the check a NaN flow reads as payback in 0 months and no funding need.
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let flows = [-100.0, bad, 80.0, 80.0];
            let err = NonFinite {
                month: Some(1),
                value: bad,
            };
            assert_eq!(payback_months(&flows).map_err(|e| e.month), Err(err.month));
            assert_eq!(peak_funding(&flows).map_err(|e| e.month), Err(err.month));
            assert_eq!(npv(0.1, &flows).map_err(|e| e.month), Err(err.month));
            assert_eq!(irr(&flows).map_err(|e| e.month), Err(err.month));
        }
        let nan_first = [f64::NAN, -100.0, 200.0];
        assert!(payback_months(&nan_first).is_err() && peak_funding(&nan_first).is_err());
        assert_eq!(npv(f64::NAN, &[1.0]).map_err(|e| e.month), Err(None));
        assert_eq!(
            npv(0.1, &[-1.0, f64::NAN]).unwrap_err().to_string(),
            "cash flow of month 1 is NaN"
        );
    }
}
