//! Hourly electricity prices: flat, time-of-use, a stochastic wholesale market, or a CSV.
//!
//! The market model: `price(h) = mean x (1 + seasonal x cos(2 pi (day - peak day) / 365) +
//! daily x shape(hour)) + X(h) + spikes - negative hours`, with `X` an AR(1) deviation, spikes of
//! exponential size arriving with a small hourly probability, and negative-price hours (most
//! likely around midday, when solar floods the grid) with their own probability.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::dist::{normal_quantile_approx, open_unit};
use crate::rng::SimRng;

/// A wholesale market preset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketPreset {
    /// Name scenarios refer to.
    pub name: String,
    /// What it is.
    pub description: String,
    /// Price level of ordinary hours, USD per MWh: the seasonal and daily shapes swing around
    /// it; spikes raise the long-run average above it and negative hours lower it.
    pub mean_usd_per_mwh: f64,
    /// Seasonal relative amplitude.
    pub seasonal_amplitude_frac: f64,
    /// Day of the year of the seasonal peak.
    pub peak_day_of_year: f64,
    /// Daily relative amplitude (evening peak, midday trough).
    pub daily_amplitude_frac: f64,
    /// Standard deviation of the AR(1) deviation, USD per MWh.
    pub noise_sd_usd_per_mwh: f64,
    /// Hourly persistence of the deviation.
    pub noise_persistence_per_hour: f64,
    /// Chance of a price spike in an hour.
    pub spike_probability_per_hour: f64,
    /// Mean spike size, USD per MWh.
    pub spike_mean_usd_per_mwh: f64,
    /// Chance of a negative price in an hour (scaled up at midday).
    pub negative_probability_per_hour: f64,
    /// Mean size of a negative price, USD per MWh.
    pub negative_mean_usd_per_mwh: f64,
}

const TWO_PI: f64 = 2.0 * std::f64::consts::PI;

/// Daily shape: an evening peak and a midday trough, mean about zero.
fn daily_shape(hour: usize) -> f64 {
    let h = hour as f64;
    0.7 * (TWO_PI * (h - 18.0) / 24.0).cos() + 0.3 * (2.0 * TWO_PI * (h - 8.0) / 24.0).cos()
}

/// Stateful generator of hourly market prices for one replication.
#[derive(Clone, Debug)]
pub struct MarketGen {
    preset: MarketPreset,
    scale: f64,
    deviation: f64,
}

impl MarketGen {
    /// A generator; `scale` multiplies the preset's price level.
    pub fn new(preset: MarketPreset, scale: f64) -> MarketGen {
        MarketGen {
            preset,
            scale,
            deviation: 0.0,
        }
    }

    /// `n` hourly prices (USD per MWh) from hour of year `first_hour_of_year`.
    pub fn hours(&mut self, first_hour_of_year: usize, n: usize, rng: &mut SimRng) -> Vec<f64> {
        let p = &self.preset;
        let phi = p.noise_persistence_per_hour.clamp(0.0, 0.9999);
        let innovation = p.noise_sd_usd_per_mwh * (1.0 - phi * phi).sqrt();
        (0..n)
            .map(|i| {
                let h = (first_hour_of_year + i) % 8760;
                let day = (h / 24) as f64;
                let hour = h % 24;
                // Fixed number of draws per hour.
                let z = normal_quantile_approx(open_unit(rng));
                let u_spike: f64 = rng.random();
                let u_neg: f64 = rng.random();
                let size = -(1.0 - rng.random::<f64>()).ln();
                self.deviation = phi * self.deviation + innovation * z;
                let base = p.mean_usd_per_mwh
                    * (1.0
                        + p.seasonal_amplitude_frac
                            * (TWO_PI * (day - p.peak_day_of_year) / 365.0).cos()
                        + p.daily_amplitude_frac * daily_shape(hour));
                let midday = if (9..16).contains(&hour) { 2.5 } else { 0.4 };
                let price = if u_neg < p.negative_probability_per_hour * midday {
                    -p.negative_mean_usd_per_mwh * size
                } else if u_spike < p.spike_probability_per_hour {
                    base + self.deviation + p.spike_mean_usd_per_mwh * size
                } else {
                    (base + self.deviation).max(0.0)
                };
                price * self.scale
            })
            .collect()
    }
}

/// Day of the week (0 = Monday) of day `d` after the scenario start, for a start on `first_weekday`.
pub fn weekday(first_weekday: u32, day: u64) -> u32 {
    ((first_weekday as u64 + day) % 7) as u32
}

/// Day of the week (0 = Monday) of the first day of a calendar month (Gregorian; Sakamoto's method).
pub fn first_weekday(year: i32, month: u32) -> u32 {
    const T: [i32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if month < 3 { year - 1 } else { year };
    let dow_sunday0 = (y + y / 4 - y / 100 + y / 400 + T[(month - 1) as usize] + 1).rem_euclid(7);
    ((dow_sunday0 + 6) % 7) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ercot_like_averages_its_sources_mean() {
        // ERCOT North day-ahead averages: $55.50/MWh (2023) and $27.33 (2024) (E3 ERCOT
        // snapshot); their mean is $41.4. Over 100 years of hours the mean's standard error is
        // about 0.1: spikes (a share 0.004 of hours, exponential of mean 800: variance about
        // 0.004 x 2 x 800^2 per hour, so 0.077 over 876,000 hours) and the AR(1) deviation (sd 12,
        // persistence 0.9: 12 x sqrt(19 / 876,000) = 0.056).
        use rand::SeedableRng;
        let catalog = crate::catalog::Catalog::builtin();
        let preset = catalog.market("ercot-like").expect("preset").clone();
        let mut rng = SimRng::seed_from_u64(11);
        let mut g = MarketGen::new(preset, 1.0);
        let years = 100;
        let sum: f64 = (0..years)
            .map(|_| g.hours(0, 8760, &mut rng).iter().sum::<f64>())
            .sum();
        let mean = sum / (years * 8760) as f64;
        let source = (55.50 + 27.33) / 2.0;
        assert!((mean - source).abs() < 4.0 * 0.1, "{mean} vs {source}");
    }

    #[test]
    fn weekdays_of_known_dates() {
        assert_eq!(first_weekday(2027, 1), 4, "1 January 2027 is a Friday");
        assert_eq!(first_weekday(2026, 11), 6, "1 November 2026 is a Sunday");
        assert_eq!(weekday(4, 3), 0, "three days after a Friday is a Monday");
    }
}
