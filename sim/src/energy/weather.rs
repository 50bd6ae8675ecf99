//! Hourly weather, renewable capacity factors and grid carbon intensity from a climate preset
//! (or temperatures from an hourly CSV, or temperatures, solar and wind from a weather file).
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
    temperature_from(c, seasonal_cos(c, h / 24), daily_cos(h % 24))
}

/// The seasonal term's cosine on day of year `day` (0-364).
fn seasonal_cos(c: &Climate, day: usize) -> f64 {
    (TWO_PI * (day as f64 - c.warmest_day_of_year) / 365.0).cos()
}

/// The daily term's cosine at hour of day `hour` (0-23).
fn daily_cos(hour: usize) -> f64 {
    (TWO_PI * (hour as f64 - 15.0) / 24.0).cos()
}

/// The deterministic temperature from its two cosines (one expression, so that every caller
/// gets the same bits).
#[inline]
fn temperature_from(c: &Climate, seasonal: f64, daily: f64) -> f64 {
    c.annual_mean_c + c.seasonal_swing_c * seasonal + c.daily_swing_c * daily
}

/// The grid's carbon-intensity profile at hour of day `hour`: a mild evening peak around 1.
fn grid_profile(hour: usize) -> f64 {
    1.0 + 0.08 * (TWO_PI * (hour as f64 - 19.0) / 24.0).cos()
}

/// Everything in a year of hourly weather that depends on the hour alone, computed once per
/// process: the solar shape of each hour of the year with its mean, and the daily cosines of the
/// temperature and of the grid's carbon intensity. The values are those of the functions they
/// come from, bit for bit; a replication then evaluates no trigonometric function per hour.
struct HourTables {
    solar_shape: Vec<f64>,
    solar_shape_mean: f64,
    daily_cos: [f64; 24],
    grid_profile: [f64; 24],
}

fn hour_tables() -> &'static HourTables {
    static TABLES: std::sync::OnceLock<HourTables> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let solar_shape: Vec<f64> = (0..8760).map(solar_shape).collect();
        HourTables {
            solar_shape_mean: solar_shape.iter().sum::<f64>() / 8760.0,
            solar_shape,
            daily_cos: std::array::from_fn(daily_cos),
            grid_profile: std::array::from_fn(grid_profile),
        }
    })
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
    hour_tables().solar_shape_mean
}

/// Hourly weather of a typical year computed from a weather file: 8,760 values of each,
/// January 1 00:00-01:00 first.
#[derive(Clone, Debug, PartialEq)]
pub struct WeatherSeries {
    /// Dry-bulb temperature, C.
    pub temperature_c: Vec<f64>,
    /// Solar output per kW of DC nameplate (PVWatts-style, see [`super::renewables`]).
    pub solar_cf: Vec<f64>,
    /// Wind output per kW of turbine rating (power curve, see [`super::renewables`]).
    pub wind_cf: Vec<f64>,
    /// Wet-bulb temperature, C, from the dry bulb and dew point ([`wet_bulb_c`]).
    pub wet_bulb_c: Vec<f64>,
}

impl WeatherSeries {
    /// The series of a parsed weather file, with the PV array facing `pv` and turbines at
    /// `hub_height_m`.
    pub fn from_file(
        file: &super::weather_file::WeatherFile,
        pv: &super::renewables::PvArray,
        hub_height_m: f64,
    ) -> WeatherSeries {
        WeatherSeries {
            temperature_c: file.hours.iter().map(|h| h.dry_bulb_c).collect(),
            wet_bulb_c: file
                .hours
                .iter()
                .map(|h| wet_bulb_c(h.dry_bulb_c, h.dew_point_c))
                .collect(),
            solar_cf: super::renewables::pv_capacity_factors(file, pv),
            wind_cf: super::renewables::Turbine { hub_height_m }.capacity_factors(file),
        }
    }
}

/// Weather of one replication, generated month by month.
#[derive(Clone, Debug)]
pub struct WeatherGen {
    climate: Climate,
    anomaly: f64,
    wind: f64,
    /// Mean of the hourly wind process before it is clipped to [0, 1] (see [`wind_process_mean`]).
    wind_mean: f64,
    cloud: f64,
    solar_scale: f64,
    /// The seasonal temperature term's cosine for each day of the year (see [`seasonal_cos`]).
    seasonal_cos: Vec<f64>,
    /// Hourly temperatures from a CSV (8,760 values), instead of the model.
    csv: Option<Vec<f64>>,
    /// Temperatures, solar and wind from a weather file, instead of the model.
    file: Option<std::sync::Arc<WeatherSeries>>,
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
    /// Wet-bulb temperature, C, where the weather knows the humidity (a weather file); NaN
    /// otherwise (catalog climates and temperature series model dry bulb only).
    pub wet_bulb_c: f64,
    /// Marginal emission rate of the grid, gCO2 per kWh, from a series file; NaN without one.
    pub marginal_gco2_per_kwh: f64,
}

/// Relative humidity (%) from dry-bulb and dew-point temperatures (C), by the Magnus formula
/// with the coefficients of Alduchov and Eskridge (1996), J. Appl. Meteor. 35:601-609.
pub fn relative_humidity_pct(dry_bulb_c: f64, dew_point_c: f64) -> f64 {
    let e = |t: f64| (17.625 * t / (243.04 + t)).exp();
    100.0 * e(dew_point_c.min(dry_bulb_c)) / e(dry_bulb_c)
}

/// Wet-bulb temperature (C) at sea-level pressure from dry bulb (C) and relative humidity (%),
/// by Stull (2011), "Wet-bulb temperature from relative humidity and air temperature", J. Appl.
/// Meteor. Climatol. 50:2267-2269: within about 1 C of the psychrometric value for relative
/// humidity 5-99 % and dry bulb -20 to 50 C (inputs are held to those ranges).
pub fn stull_wet_bulb_c(dry_bulb_c: f64, rh_pct: f64) -> f64 {
    let t = dry_bulb_c.clamp(-20.0, 50.0);
    let rh = rh_pct.clamp(5.0, 99.0);
    let tw = t * (0.151_977 * (rh + 8.313_659).sqrt()).atan() + (t + rh).atan()
        - (rh - 1.676_331).atan()
        + 0.003_918_38 * rh.powf(1.5) * (0.023_101 * rh).atan()
        - 4.686_035;
    tw.min(dry_bulb_c)
}

/// Wet-bulb temperature (C) from dry-bulb and dew-point temperatures (C).
pub fn wet_bulb_c(dry_bulb_c: f64, dew_point_c: f64) -> f64 {
    stull_wet_bulb_c(dry_bulb_c, relative_humidity_pct(dry_bulb_c, dew_point_c))
}

/// Long-run standard deviation of the hourly wind capacity factor before clipping.
const WIND_SD: f64 = 0.25;

/// The mean `m` of a normal process with standard deviation `sd` whose values, clipped to
/// [0, 1], average the capacity factor `cf`. Clipping the negative values away raises the mean
/// (a mean of `cf` itself would give 0.16 for a 0.10 capacity factor), so the process runs
/// around `m` instead. The clipped mean of N(m, sd) is
/// `m (Phi(b) - Phi(a)) + sd (phi(a) - phi(b)) + 1 - Phi(b)` with `a = -m / sd` and
/// `b = (1 - m) / sd`; it increases with `m`, so bisection finds it.
fn wind_process_mean(cf: f64, sd: f64) -> f64 {
    if cf <= 0.0 || cf >= 1.0 {
        // Clipping cannot bring the mean to 0 or 1 exactly: a process far outside the range
        // gives all zeros or all ones.
        return if cf <= 0.0 { -1e3 } else { 1e3 };
    }
    let pdf = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let cdf = crate::dist::normal_cdf;
    let clipped_mean = |m: f64| {
        let (a, b) = (-m / sd, (1.0 - m) / sd);
        m * (cdf(b) - cdf(a)) + sd * (pdf(a) - pdf(b)) + 1.0 - cdf(b)
    };
    let (mut lo, mut hi) = (-10.0 * sd, 1.0 + 10.0 * sd);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if clipped_mean(mid) < cf {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

impl WeatherGen {
    /// A generator for `climate`; `csv` replaces the temperature model when given.
    pub fn new(climate: Climate, csv: Option<Vec<f64>>) -> WeatherGen {
        let solar_scale = climate.solar_capacity_factor / solar_shape_mean();
        let wind_mean = wind_process_mean(climate.wind_capacity_factor, WIND_SD);
        let seasonal_cos = (0..365).map(|day| seasonal_cos(&climate, day)).collect();
        WeatherGen {
            seasonal_cos,
            climate,
            anomaly: 0.0,
            wind: wind_mean,
            wind_mean,
            cloud: 1.0,
            solar_scale,
            csv,
            file: None,
        }
    }

    /// A generator whose temperatures, solar and wind come from a weather file; `climate`
    /// still gives the grid's carbon intensity. The random draws are those of [`WeatherGen::new`].
    pub fn from_file(climate: Climate, file: std::sync::Arc<WeatherSeries>) -> WeatherGen {
        WeatherGen {
            file: Some(file),
            ..WeatherGen::new(climate, None)
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
        let wind_sd = WIND_SD * (1.0 - wind_phi * wind_phi).sqrt();
        let tables = hour_tables();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let h = (first_hour_of_year + i) % 8760;
            let hour_of_day = h % 24;
            // One draw per hour for each process, in a fixed order, whatever the inputs.
            let z_temp = normal_quantile_approx(open_unit(rng));
            let z_wind = normal_quantile_approx(open_unit(rng));
            let u_cloud = open_unit(rng);
            self.anomaly = phi * self.anomaly + innovation * z_temp;
            let temperature_c = match (&self.file, &self.csv) {
                (Some(f), _) => f.temperature_c[h],
                (None, Some(values)) => values[h],
                (None, None) => {
                    temperature_from(c, self.seasonal_cos[h / 24], tables.daily_cos[hour_of_day])
                        + self.anomaly
                }
            };
            if h.is_multiple_of(24) {
                // A new day's cloudiness, mean 1.
                self.cloud = 0.5 + u_cloud;
            }
            self.wind = wind_phi * self.wind + (1.0 - wind_phi) * self.wind_mean + wind_sd * z_wind;
            let (solar_cf, wind_cf) = match &self.file {
                Some(f) => (f.solar_cf[h], f.wind_cf[h]),
                None => (
                    (tables.solar_shape[h] * self.solar_scale * self.cloud).clamp(0.0, 1.0),
                    self.wind.clamp(0.0, 1.0),
                ),
            };
            out.push(HourWeather {
                temperature_c,
                solar_cf,
                wind_cf,
                grid_gco2_per_kwh: c.grid_gco2_per_kwh * tables.grid_profile[hour_of_day],
                wet_bulb_c: self.file.as_ref().map_or(f64::NAN, |f| f.wet_bulb_c[h]),
                marginal_gco2_per_kwh: f64::NAN,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temperate test climate with weather noise of standard deviation `noise_sd_c`.
    fn test_climate(noise_sd_c: f64) -> Climate {
        Climate {
            name: "x".into(),
            description: String::new(),
            annual_mean_c: 10.0,
            seasonal_swing_c: 10.0,
            daily_swing_c: 5.0,
            noise_sd_c,
            noise_persistence_per_hour: 0.9,
            warmest_day_of_year: 200.0,
            solar_capacity_factor: 0.2,
            wind_capacity_factor: 0.3,
            grid_gco2_per_kwh: 300.0,
            grid_carbon_free_frac: 0.3,
        }
    }

    #[test]
    fn wet_bulb_matches_psychrometric_values() {
        // Stull (2011), Fig. 1 and text: 20 C at 50 % RH gives 13.7 C wet bulb.
        assert!((stull_wet_bulb_c(20.0, 50.0) - 13.7).abs() < 0.05);
        // Saturated air: wet bulb is dry bulb (within the formula's 1 C).
        assert!((wet_bulb_c(25.0, 25.0) - 25.0).abs() < 1.0);
        // ASHRAE psychrometric chart at sea level: 30 C dry bulb, 20 C dew point: 22.6 C wet bulb.
        assert!(
            (wet_bulb_c(30.0, 20.0) - 22.6).abs() < 1.0,
            "{}",
            wet_bulb_c(30.0, 20.0)
        );
        // Magnus: the dew point equal to the dry bulb is 100 % relative humidity.
        assert!((relative_humidity_pct(10.0, 10.0) - 100.0).abs() < 1e-9);
        for (t, td) in [(-30.0, -35.0), (45.0, 5.0), (0.0, -40.0)] {
            let w = wet_bulb_c(t, td);
            assert!(w.is_finite() && w <= t, "{t} {td}: {w}");
        }
    }

    #[test]
    fn wind_averages_its_capacity_factor_after_clipping() {
        // 40 years of hours; the process is AR(1) with persistence 0.97, so a year holds about
        // 8,760 x 0.03 / 1.97 = 133 independent values: the standard error of the mean is at most
        // 0.25 / sqrt(133 x 40) = 0.0034, and the tolerance is four of them. Clipping the
        // process around the capacity factor itself gave 0.16 for 0.10 and 0.316 for 0.30.
        for cf in [0.1, 0.3, 0.45] {
            let mut c = test_climate(0.0);
            c.wind_capacity_factor = cf;
            let mut g = WeatherGen::new(c, None);
            let mut rng = <SimRng as rand::SeedableRng>::seed_from_u64(5);
            let n = 40 * 8760;
            let hours = g.hours(0, n, &mut rng);
            assert!(hours.iter().all(|h| (0.0..=1.0).contains(&h.wind_cf)));
            let mean = hours.iter().map(|h| h.wind_cf).sum::<f64>() / n as f64;
            assert!(
                (mean - cf).abs() < 4.0 * 0.0034,
                "capacity factor {cf}: {mean}"
            );
        }
    }

    #[test]
    fn solar_shape_scales_to_the_capacity_factor() {
        let c = test_climate(0.0);
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
    fn a_weather_file_replaces_temperature_solar_and_wind_but_not_the_draws() {
        let c = test_climate(2.0);
        let series = WeatherSeries {
            temperature_c: (0..8760).map(|h| h as f64 / 1000.0).collect(),
            solar_cf: (0..8760).map(|h| (h % 24) as f64 / 100.0).collect(),
            wind_cf: (0..8760).map(|h| (h % 7) as f64 / 10.0).collect(),
            wet_bulb_c: (0..8760).map(|h| h as f64 / 2000.0).collect(),
        };
        let mut from_file = WeatherGen::from_file(c.clone(), std::sync::Arc::new(series.clone()));
        let mut preset = WeatherGen::new(c, None);
        let mut rng_a = <SimRng as rand::SeedableRng>::seed_from_u64(3);
        let mut rng_b = <SimRng as rand::SeedableRng>::seed_from_u64(3);
        let a = from_file.hours(8750, 20, &mut rng_a);
        let b = preset.hours(8750, 20, &mut rng_b);
        for (i, (a, b)) in a.iter().zip(&b).enumerate() {
            let h = (8750 + i) % 8760;
            assert_eq!(a.temperature_c, series.temperature_c[h]);
            assert_eq!(a.solar_cf, series.solar_cf[h]);
            assert_eq!(a.wind_cf, series.wind_cf[h]);
            assert_eq!(a.wet_bulb_c, series.wet_bulb_c[h]);
            assert!(b.wet_bulb_c.is_nan(), "a preset climate has no humidity");
            assert_eq!(a.grid_gco2_per_kwh, b.grid_gco2_per_kwh);
        }
        // The same number of draws: the streams stay aligned with the preset's.
        assert_eq!(open_unit(&mut rng_a), open_unit(&mut rng_b));
    }
}
