//! Market regimes and GPU rental price paths, drawn once per replication.
//!
//! Regimes (boom, normal, glut...) follow a monthly Markov chain, with optional months where a
//! regime is imposed (the chain goes on from the imposed state afterwards). Each SKU's market price follows
//! `ln P(m) = ln P0 + m/12 ln(1 - decline) + [m >= step] ln(1 - drop) + X(m) + ln(regime price multiplier)`,
//! where `X` is an AR(1) shock, `X(m+1) = phi X(m) + sigma e`, `phi = 0.5^(1 / half-life)`, so
//! price paths fan out across replications and revert to the trend. Reserved contracts lock the
//! price at signing; on-demand and spot pay the current list price.

use rand::RngExt;

use crate::dist::{normal_quantile, open_unit};
use crate::rng::SimRng;

/// One SKU's price inputs for this replication (parameters already sampled).
#[derive(Clone, Debug)]
pub struct PriceSpec {
    /// Price at month 0, USD per GPU-hour.
    pub start_usd_per_gpu_hour: f64,
    /// Decline per year.
    pub decline_per_year_frac: f64,
    /// Monthly log-price shock standard deviation.
    pub volatility_per_month: f64,
    /// Shock half-life in months.
    pub shock_half_life_months: f64,
    /// Month of the next-generation step and the drop, if any.
    pub step: Option<(f64, f64)>,
}

/// Regime inputs.
#[derive(Clone, Debug)]
pub struct RegimeSpec {
    /// Demand multiplier per state.
    pub demand_multiplier: Vec<f64>,
    /// Price multiplier per state.
    pub price_multiplier: Vec<f64>,
    /// Initial state.
    pub initial: usize,
    /// Monthly transition matrix.
    pub transitions: Vec<Vec<f64>>,
    /// Imposed states: `(from_month, to_month, state)`.
    pub forced: Vec<(i64, i64, usize)>,
}

/// Draw the regime path: a Markov chain, overridden in forced months.
pub fn regime_path(
    spec: Option<&RegimeSpec>,
    months: u32,
    rng: &mut SimRng,
) -> (Vec<u8>, Vec<f64>, Vec<f64>) {
    let Some(spec) = spec else {
        return (
            vec![0; months as usize],
            vec![1.0; months as usize],
            vec![1.0; months as usize],
        );
    };
    let mut state = spec.initial;
    let mut regime = Vec::with_capacity(months as usize);
    for m in 0..months as i64 {
        if m > 0 {
            let u: f64 = rng.random();
            let row = &spec.transitions[state];
            let mut acc = 0.0;
            let mut next = row.len() - 1;
            for (j, p) in row.iter().enumerate() {
                acc += p;
                if u < acc {
                    next = j;
                    break;
                }
            }
            state = next;
        }
        if let Some((_, _, s)) = spec.forced.iter().find(|(a, b, _)| m >= *a && m < *b) {
            state = *s;
        }
        regime.push(state as u8);
    }
    let demand = regime
        .iter()
        .map(|s| spec.demand_multiplier[*s as usize])
        .collect();
    let price = regime
        .iter()
        .map(|s| spec.price_multiplier[*s as usize])
        .collect();
    (regime, demand, price)
}

/// Draw one SKU's monthly price path.
pub fn price_path(spec: &PriceSpec, price_multiplier: &[f64], rng: &mut SimRng) -> Vec<f64> {
    let phi = if spec.shock_half_life_months > 0.0 {
        0.5f64.powf(1.0 / spec.shock_half_life_months)
    } else {
        0.0
    };
    let trend = (1.0 - spec.decline_per_year_frac).max(1e-9).ln() / 12.0;
    let mut x = 0.0;
    let mut out = Vec::with_capacity(price_multiplier.len());
    for (m, mult) in price_multiplier.iter().enumerate() {
        if m > 0 {
            x = phi * x + spec.volatility_per_month * normal_quantile(open_unit(rng));
        }
        let mut log_p =
            spec.start_usd_per_gpu_hour.max(1e-12).ln() + trend * m as f64 + x + mult.ln();
        if let Some((at, drop)) = spec.step
            && m as f64 >= at.floor()
        {
            log_p += (1.0 - drop).max(1e-9).ln();
        }
        out.push(log_p.exp());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_flat_market_stays_at_its_start_price() {
        let mut rng = SimRng::seed_from_u64(1);
        let spec = PriceSpec {
            start_usd_per_gpu_hour: 2.5,
            decline_per_year_frac: 0.0,
            volatility_per_month: 0.0,
            shock_half_life_months: 6.0,
            step: None,
        };
        assert!(
            price_path(&spec, &[1.0; 24], &mut rng)
                .iter()
                .all(|p| (p - 2.5).abs() < 1e-12)
        );
    }

    #[test]
    fn trend_and_step_compound() {
        let mut rng = SimRng::seed_from_u64(1);
        let spec = PriceSpec {
            start_usd_per_gpu_hour: 4.0,
            decline_per_year_frac: 0.2,
            volatility_per_month: 0.0,
            shock_half_life_months: 6.0,
            step: Some((12.0, 0.25)),
        };
        let p = price_path(&spec, &[1.0; 25], &mut rng);
        assert!((p[12] - 4.0 * 0.8 * 0.75).abs() < 1e-9);
        assert!((p[11] - 4.0 * 0.8f64.powf(11.0 / 12.0)).abs() < 1e-9);
        assert!((p[24] - 4.0 * 0.64 * 0.75).abs() < 1e-9);
    }

    #[test]
    fn forced_regimes_override_the_chain() {
        let mut rng = SimRng::seed_from_u64(3);
        let spec = RegimeSpec {
            demand_multiplier: vec![1.0, 0.5],
            price_multiplier: vec![1.0, 0.7],
            initial: 0,
            transitions: vec![vec![1.0, 0.0], vec![0.0, 1.0]],
            forced: vec![(12, 24, 1)],
        };
        let (regime, demand, price) = regime_path(Some(&spec), 36, &mut rng);
        assert!(regime[..12].iter().all(|s| *s == 0));
        assert!(regime[12..24].iter().all(|s| *s == 1));
        // After the imposed months the chain goes on from the imposed state.
        assert!(regime[24..].iter().all(|s| *s == 1));
        assert_eq!((demand[12], price[12]), (0.5, 0.7));
    }
}
