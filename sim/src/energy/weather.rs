//! Hourly weather, renewable capacity factors and grid carbon intensity from a climate preset.
//!
//! Temperature `T(h) = mean + seasonal x cos(2 pi (day - warmest day) / 365) + daily x cos(2 pi
//! (hour - 15) / 24) + X(h)`, where `X` is an AR(1) anomaly with stationary standard deviation
//! `noise_sd_c` and hourly persistence `phi`. Solar output follows the sun (a half-sine between
//! 06:00 and 18:00, longer days in summer for the northern hemisphere) times a daily cloudiness
//! draw, scaled to the preset's annual capacity factor. Wind is an AR(1) process around its
//! capacity factor. Grid carbon intensity has a mild evening peak around its annual mean.

use serde::{Deserialize, Serialize};

use crate::dist::{normal_quantile_approx, open_unit};
use crate::rng::SimRng;

/// A climate preset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Climate {
    /// Name scenarios refer to.
    pub name: String,
    /// Where it is.
    pub description: String,
    /// Annual mean dry-bulb temperature, C.
    pub annual_mean_c: f64,
    /// Seasonal half-swing, C.
    pub seasonal_swing_c: f64,
    /// Daily half-swing, C.
    pub daily_swing_c: f64,
    /// Stationary standard deviation of the weather anomaly, C.
    pub noise_sd_c: f64,
    /// Hourly persistence of the anomaly (AR(1) coefficient).
    pub noise_persistence_per_hour: f64,
    /// Day of the year (0-364) of the warmest weather.
    pub warmest_day_of_year: f64,
    /// Annual capacity factor of fixed-tilt solar PV.
    pub solar_capacity_factor: f64,
    /// Annual capacity factor of onshore wind.
    pub wind_capacity_factor: f64,
    /// Annual mean grid carbon intensity, gCO2 per kWh (location-based).
    pub grid_gco2_per_kwh: f64,
    /// Share of grid generation that is carbon-free.
    pub grid_carbon_free_frac: f64,
}

const TWO_PI: f64 = 2.0 * std::f64::consts::PI;

/// Deterministic part of the temperature at hour of year `h` (0..8760).
pub fn mean_temperature(c: &Climate, h: usize) -> f64 {
    let day = (h / 24) as f64;
    let hour = (h % 24) as f64;
    c.annual_mean_c
        + c.seasonal_swing_c * (TWO_PI * (day - c.warmest_day_of_year) / 365.0).cos()
        + c.daily_swing_c * (TWO_PI * (hour - 15.0) / 24.0).cos()
}

/// Unscaled solar shape at hour of year `h`: zero at night, a half-sine by day, longer and
/// stronger days around the June solstice.
fn solar_shape(h: usize) -> f64 {
    let day = (h / 24) as f64;
    let hour = (h % 24) as f64 + 0.5;
    let season = (TWO_PI * (day - 172.0) / 365.0).cos(); // +1 at the June solstice
    let half_day = 6.0 + 2.0 * season; // 4 to 8 hours either side of noon
    let x = (hour - 12.0).abs();
    if x >= half_day {
        0.0
    } else {
        (std::f64::consts::FRAC_PI_2 * (1.0 - x / half_day)).sin() * (1.0 + 0.3 * season)
    }
}

/// Mean of the solar shape over a year, for scaling to a capacity factor.
fn solar_shape_mean() -> f64 {
    (0..8760).map(solar_shape).sum::<f64>() / 8760.0
}

/// Weather of one replication, generated month by month.
#[derive(Clone, Debug)]
pub struct WeatherGen {
    climate: Climate,
    anomaly: f64,
    wind: f64,
    cloud: f64,
    solar_scale: f64,
    /// Hourly temperatures from a CSV (8,760 values), instead of the model.
    csv: Option<Vec<f64>>,
}

/// One hour of weather-driven inputs.
#[derive(Clone, Copy, Debug, Default)]
pub struct HourWeather {
    /// Dry-bulb temperature, C.
    pub temperature_c: f64,
    /// Solar capacity factor this hour.
    pub solar_cf: f64,
    /// Wind capacity factor this hour.
    pub wind_cf: f64,
    /// Grid carbon intensity, gCO2 per kWh.
    pub grid_gco2_per_kwh: f64,
}

impl WeatherGen {
    /// A generator for `climate`; `csv` replaces the temperature model when given.
    pub fn new(climate: Climate, csv: Option<Vec<f64>>) -> WeatherGen {
        let solar_scale = climate.solar_capacity_factor / solar_shape_mean();
        let wind = climate.wind_capacity_factor;
        WeatherGen {
            climate,
            anomaly: 0.0,
            wind,
            cloud: 1.0,
            solar_scale,
            csv,
        }
    }

    /// The climate.
    pub fn climate(&self) -> &Climate {
        &self.climate
    }

    /// Generate `n` consecutive hours starting at hour of year `first_hour_of_year`.
    pub fn hours(
        &mut self,
        first_hour_of_year: usize,
        n: usize,
        rng: &mut SimRng,
    ) -> Vec<HourWeather> {
        let c = &self.climate;
        let phi = c.noise_persistence_per_hour.clamp(0.0, 0.9999);
        let innovation = c.noise_sd_c * (1.0 - phi * phi).sqrt();
        let wind_phi: f64 = 0.97;
        let wind_sd = 0.25 * (1.0 - wind_phi * wind_phi).sqrt();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let h = (first_hour_of_year + i) % 8760;
            // One draw per hour for each process, in a fixed order, whatever the inputs.
            let z_temp = normal_quantile_approx(open_unit(rng));
            let z_wind = normal_quantile_approx(open_unit(rng));
            let u_cloud = open_unit(rng);
            self.anomaly = phi * self.anomaly + innovation * z_temp;
            let temperature_c = match &self.csv {
                Some(values) => values[h],
                None => mean_temperature(c, h) + self.anomaly,
            };
            if h.is_multiple_of(24) {
                // A new day's cloudiness, mean 1.
                self.cloud = 0.5 + u_cloud;
            }
            self.wind =
                wind_phi * self.wind + (1.0 - wind_phi) * c.wind_capacity_factor + wind_sd * z_wind;
            let hour = (h % 24) as f64;
            out.push(HourWeather {
                temperature_c,
                solar_cf: (solar_shape(h) * self.solar_scale * self.cloud).clamp(0.0, 1.0),
                wind_cf: self.wind.clamp(0.0, 1.0),
                grid_gco2_per_kwh: c.grid_gco2_per_kwh
                    * (1.0 + 0.08 * (TWO_PI * (hour - 19.0) / 24.0).cos()),
            });
        }
        out
    }
}

/// Parse a CSV of 8,760 hourly values (one per line; an optional header line; the last column
/// of each line is the value). Errors name the line.
pub fn parse_hourly_csv(text: &str, lo: f64, hi: f64, what: &str) -> Result<Vec<f64>, String> {
    let mut values = Vec::with_capacity(8760);
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let field = line.rsplit(',').next().unwrap_or(line).trim();
        match field.parse::<f64>() {
            Ok(v) if v.is_nan() => return Err(format!("line {}: NaN is not a {what}", i + 1)),
            Ok(v) if !(lo..=hi).contains(&v) => {
                return Err(format!(
                    "line {}: {v} is outside {lo}..{hi}, not a plausible {what}",
                    i + 1
                ));
            }
            Ok(v) => values.push(v),
            Err(_) if i == 0 && values.is_empty() => continue, // header
            Err(_) => {
                // A short cut of the token only: the file may be anything the user can read.
                let mut cut: String = field
                    .chars()
                    .take(12)
                    .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                    .collect();
                if field.chars().count() > 12 {
                    cut.push('…');
                }
                return Err(format!("line {}: \"{cut}\" is not a number", i + 1));
            }
        }
    }
    if values.len() != 8760 {
        return Err(format!(
            "{} values; one per hour of the year (8,760) are needed",
            values.len()
        ));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solar_shape_scales_to_the_capacity_factor() {
        let c = Climate {
            name: "x".into(),
            description: String::new(),
            annual_mean_c: 10.0,
            seasonal_swing_c: 10.0,
            daily_swing_c: 5.0,
            noise_sd_c: 0.0,
            noise_persistence_per_hour: 0.9,
            warmest_day_of_year: 200.0,
            solar_capacity_factor: 0.2,
            wind_capacity_factor: 0.3,
            grid_gco2_per_kwh: 300.0,
            grid_carbon_free_frac: 0.3,
        };
        let mut g = WeatherGen::new(c, None);
        let mut rng = <SimRng as rand::SeedableRng>::seed_from_u64(1);
        let year = g.hours(0, 8760, &mut rng);
        let cf: f64 = year.iter().map(|h| h.solar_cf).sum::<f64>() / 8760.0;
        assert!((cf - 0.2).abs() < 0.01, "{cf}");
        assert!(year.iter().all(|h| (0.0..=1.0).contains(&h.solar_cf)));
        let t: f64 = year.iter().map(|h| h.temperature_c).sum::<f64>() / 8760.0;
        assert!((t - 10.0).abs() < 0.05, "{t}");
    }

    #[test]
    fn csv_errors_name_the_line() {
        let mut good: String = "temperature_c\n".into();
        for _ in 0..8760 {
            good.push_str("12.5\n");
        }
        assert_eq!(
            parse_hourly_csv(&good, -60.0, 60.0, "temperature").map(|v| v.len()),
            Ok(8760)
        );
        let short: String = good.lines().take(8760).collect::<Vec<_>>().join("\n");
        assert!(
            parse_hourly_csv(&short, -60.0, 60.0, "temperature")
                .unwrap_err()
                .contains("8759 values")
        );
        let nan = good.replacen("12.5", "NaN", 1);
        assert_eq!(
            parse_hourly_csv(&nan, -60.0, 60.0, "temperature").unwrap_err(),
            "line 2: NaN is not a temperature"
        );
        let kelvin = good.replacen("12.5", "285.6", 1);
        assert!(
            parse_hourly_csv(&kelvin, -60.0, 60.0, "temperature")
                .unwrap_err()
                .contains("line 2: 285.6 is outside")
        );
    }
}
