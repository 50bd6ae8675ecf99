//! The special functions of `dist` against statrs and against 40-digit reference values.
//!
//! dcplan keeps its own normal quantile (fast: drawn hundreds of thousands of times per
//! replication), error function, log-gamma and regularised incomplete beta. statrs is the
//! reference they are tested against. Where statrs itself is less accurate than dcplan's function
//! (statrs 0.19's `erfc` is off by up to about 1e-10 relative on [0.5, 1.3], its `ln_gamma` by up
//! to about 2e-14), the tolerance against statrs is statrs's own error, and 40-digit values
//! (mpmath, `mp.dps = 40`) pin dcplan's function much tighter.

// The 40-digit reference values are written with more digits than an f64 holds, as computed.
#![allow(clippy::excessive_precision)]

use dcplan_sim::dist::{
    beta_cdf, erfc, ln_gamma, normal_cdf, normal_quantile, normal_quantile_approx,
};
use statrs::distribution::{ContinuousCDF, Normal};

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

/// Points spread over (0, 1), tails included.
fn probabilities() -> impl Iterator<Item = f64> {
    (1..2000).map(|i| i as f64 / 2000.0).chain([
        1e-12,
        1e-9,
        1e-6,
        1e-4,
        0.0125,
        0.02425,
        0.97575,
        1.0 - 1e-6,
        1.0 - 1e-9,
    ])
}

#[test]
fn normal_quantile_matches_statrs() {
    let n = Normal::standard();
    for p in probabilities() {
        let reference = n.inverse_cdf(p);
        // Both are refined to near machine precision: 1e-12 relative (absolute near the median),
        // plus what the rounding of p itself allows in the upper tail (an ulp of p over the
        // density there).
        let density = (-reference * reference / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let tolerance = 1e-12 * reference.abs().max(1.0) + 4.0 * f64::EPSILON * p / density;
        assert!(
            (normal_quantile(p) - reference).abs() <= tolerance,
            "p = {p}: {} vs statrs {reference}",
            normal_quantile(p)
        );
        // The fast approximation used for hourly noise: Acklam's bound, 1.2e-9 relative.
        assert!(
            (normal_quantile_approx(p) - reference).abs()
                <= 1.2e-9 * reference.abs().max(1e-3) + 1e-12,
            "p = {p}: {} vs statrs {reference}",
            normal_quantile_approx(p)
        );
        // And the quantile inverts the CDF it is refined against.
        let back = normal_cdf(normal_quantile(p));
        assert!(
            (back - p).abs() <= 1e-15 + 1e-14 * p,
            "p = {p}: Phi(q(p)) = {back}"
        );
    }
}

#[test]
fn normal_cdf_and_erfc_match_statrs() {
    let n = Normal::standard();
    for i in -4000..=4000 {
        let x = i as f64 / 500.0;
        let reference = statrs::function::erf::erfc(x);
        // statrs's own error reaches about 1e-10 relative on [0.5, 1.3].
        assert!(
            rel(erfc(x), reference) < 2e-10,
            "erfc({x}): {} vs statrs {reference}",
            erfc(x)
        );
        assert!(rel(normal_cdf(x), n.cdf(x)) < 2e-10, "Phi({x})");
    }
}

#[test]
fn erfc_matches_forty_digit_values() {
    // mpmath, mp.dps = 40; statrs 0.19 misses the first three by 1e-10, 5e-11 and 5e-11.
    for (x, exact) in [
        (0.5004, 0.479_148_679_467_354_593_16),
        (0.75, 0.288_844_366_346_484_868_4),
        (1.3, 0.065_992_055_059_347_563_396),
        (2.5, 0.000_406_952_017_444_958_939_56),
        (4.0, 1.541_725_790_028_001_885_2e-8),
    ] {
        assert!(
            rel(erfc(x), exact) < 1e-15,
            "erfc({x}) = {} vs {exact}",
            erfc(x)
        );
    }
}

#[test]
fn ln_gamma_matches_statrs_and_forty_digit_values() {
    for i in 1..6000 {
        let x = i as f64 / 100.0;
        let reference = statrs::function::gamma::ln_gamma(x);
        assert!(
            (ln_gamma(x) - reference).abs() <= 5e-14 * reference.abs().max(1.0),
            "ln_gamma({x}): {} vs statrs {reference}",
            ln_gamma(x)
        );
    }
    for (x, exact) in [
        (0.3, 1.095_797_994_818_075_521_7),
        (1.7, -0.095_807_697_407_065_864_527),
        (4.4, 2.316_103_491_424_857_273_1),
        (29.9, 70.918_764_820_987_190_402),
    ] {
        assert!(
            (ln_gamma(x) - exact).abs() <= 1e-14 * exact.abs().max(1.0),
            "ln_gamma({x}) = {} vs {exact}",
            ln_gamma(x)
        );
    }
}

#[test]
fn incomplete_beta_matches_statrs_and_forty_digit_values() {
    // The shapes a PERT distribution produces: 1 + 4 (mode - min) / (max - min) in [1, 5].
    for (a, b) in [
        (1.0, 5.0),
        (1.5, 4.5),
        (2.6, 3.4),
        (3.0, 3.0),
        (4.2, 1.8),
        (5.0, 1.0),
    ] {
        for i in 0..=1000 {
            let x = i as f64 / 1000.0;
            let reference = statrs::function::beta::beta_reg(a, b, x);
            assert!(
                (beta_cdf(x, a, b) - reference).abs() < 5e-14,
                "I_{x}({a}, {b}): {} vs statrs {reference}",
                beta_cdf(x, a, b)
            );
        }
    }
    for (x, a, b, exact) in [
        (0.3, 1.5, 3.0, 0.487_815_402_778_038_569_8),
        (0.05, 3.0, 3.0, 0.001_158_125),
        (0.7, 2.6, 4.4, 0.963_849_500_212_740_027_13),
    ] {
        assert!(
            (beta_cdf(x, a, b) - exact).abs() < 5e-15,
            "I_{x}({a}, {b}) = {} vs {exact}",
            beta_cdf(x, a, b)
        );
    }
}
