//! Solar and wind output from a weather file: a PVWatts-style photovoltaic model and a wind
//! turbine power curve, each giving an hourly capacity factor.
//!
//! Solar, per kW of DC nameplate, hour by hour (sun position at the middle of the hour):
//! 1. Sun position: NOAA Global Monitoring Laboratory, "General Solar Position Calculations"
//!    (declination and equation of time from the fractional year), with the atmospheric
//!    refraction of the NREL Solar Position Algorithm (Reda and Andreas, NREL/TP-560-34302, 2008).
//! 2. Plane-of-array irradiance: beam `DNI cos(AOI)`, sky diffuse by the Perez 1990 model
//!    (Perez et al., Solar Energy 44(5), 1990; all-sites composite coefficients), ground
//!    reflection `GHI x albedo x (1 - cos tilt) / 2` with albedo 0.2 (PVWatts v5 default);
//!    extraterrestrial irradiance by Spencer (1971) with a solar constant of 1,366.1 W/m2 and
//!    relative air mass by Kasten and Young (1989), as the Perez model was fitted.
//! 3. Reflection loss of the cover glass on the beam: the physical incidence-angle modifier
//!    (De Soto et al., Solar Energy 80, 2006) with refractive index 1.526, glazing extinction
//!    4 /m and thickness 2 mm (the values PVWatts v5 uses; Dobos, NREL/TP-6A20-62641, 2014).
//! 4. Cell temperature: the Sandia array model (King et al., SAND2004-3535) for an open-rack
//!    glass/polymer module (a = -3.56, b = -0.075, dT = 3 C).
//! 5. DC power `E_eff / 1000 x (1 + gamma (T_cell - 25))` with gamma = -0.47 %/C (PVWatts v5
//!    standard module), less 14 % system losses (PVWatts v5 default: soiling, shading,
//!    mismatch, wiring, connections, light-induced degradation, nameplate, availability).
//! 6. Inverter: the PVWatts v5 part-load efficiency curve with nominal efficiency 0.96 and
//!    reference 0.9637, AC output clipped at the AC rating, DC/AC ratio 1.2 (PVWatts v5 defaults).
//!
//! Wind, per kW of turbine rating: the file's 10 m wind speed extrapolated to hub height by the
//! power law with exponent 1/7 (Peterson and Hennessey, J. Appl. Meteor. 17, 1978), then a power
//! curve: zero below cut-in 3 m/s and above cut-out 25 m/s, rated output from 11.4 m/s, and a
//! cubic rise in between (the NREL 5-MW reference turbine's speeds; Jonkman et al.,
//! NREL/TP-500-38060, 2009). Air density is taken as standard.

use super::weather_file::{FileHour, Location, WeatherFile};

const DEG: f64 = std::f64::consts::PI / 180.0;

/// A fixed-tilt PV array and the PVWatts v5 defaults of its losses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PvArray {
    /// Tilt from horizontal, degrees.
    pub tilt_deg: f64,
    /// Azimuth the array faces, degrees clockwise from north (180 = south).
    pub azimuth_deg: f64,
}

impl PvArray {
    /// The PVWatts default orientation at a location: tilted at the latitude, facing the
    /// equator.
    pub fn facing_equator(loc: &Location) -> PvArray {
        PvArray {
            tilt_deg: loc.latitude_deg.abs(),
            azimuth_deg: if loc.latitude_deg >= 0.0 { 180.0 } else { 0.0 },
        }
    }
}

/// Ground reflectance (PVWatts v5 default).
const ALBEDO: f64 = 0.2;
/// Temperature coefficient of power, per C (PVWatts v5 standard module).
const GAMMA_PER_C: f64 = -0.0047;
/// System losses (PVWatts v5 default, Dobos 2014).
const SYSTEM_LOSSES_FRAC: f64 = 0.14;
/// DC/AC ratio (PVWatts v5 default).
const DC_AC_RATIO: f64 = 1.2;
/// Nominal and reference inverter efficiencies (PVWatts v5).
const INVERTER_NOMINAL: f64 = 0.96;
const INVERTER_REFERENCE: f64 = 0.9637;
/// Sandia open-rack glass/polymer module: a, b (s/m) and conduction difference dT (C).
const SAPM_A: f64 = -3.56;
const SAPM_B: f64 = -0.075;
const SAPM_DT: f64 = 3.0;

/// Sun position: zenith and azimuth (degrees, clockwise from north) at `hour_of_year` hours
/// (fractional, local standard time, from January 1 00:00) at `loc`; the zenith includes
/// atmospheric refraction at the hour's pressure and temperature.
pub fn sun_position(
    loc: &Location,
    hour_of_year: f64,
    pressure_hpa: f64,
    temp_c: f64,
) -> (f64, f64) {
    let day = (hour_of_year / 24.0).floor(); // 0-based day of year
    let hour = hour_of_year - day * 24.0;
    let g = 2.0 * std::f64::consts::PI / 365.0 * (day + (hour - 12.0) / 24.0);
    let eqtime_min = 229.18
        * (0.000075 + 0.001868 * g.cos()
            - 0.032077 * g.sin()
            - 0.014615 * (2.0 * g).cos()
            - 0.040849 * (2.0 * g).sin());
    let decl = 0.006918 - 0.399912 * g.cos() + 0.070257 * g.sin() - 0.006758 * (2.0 * g).cos()
        + 0.000907 * (2.0 * g).sin()
        - 0.002697 * (3.0 * g).cos()
        + 0.00148 * (3.0 * g).sin();
    let offset_min = eqtime_min + 4.0 * loc.longitude_deg - 60.0 * loc.utc_offset_h;
    let true_solar_min = hour * 60.0 + offset_min;
    let ha = (true_solar_min / 4.0 - 180.0) * DEG;
    let lat = loc.latitude_deg * DEG;
    let cos_z = (lat.sin() * decl.sin() + lat.cos() * decl.cos() * ha.cos()).clamp(-1.0, 1.0);
    let zenith = cos_z.acos() / DEG;
    let azimuth = (180.0 + (ha.sin()).atan2(ha.cos() * lat.sin() - decl.tan() * lat.cos()) / DEG)
        .rem_euclid(360.0);
    // Refraction (NREL SPA, eq. 42), applied while the sun is above -0.83 degrees.
    let elevation = 90.0 - zenith;
    let refraction = if elevation >= -0.8333 {
        pressure_hpa / 1010.0 * 283.0 / (273.0 + temp_c) * 1.02
            / (60.0 * ((elevation + 10.3 / (elevation + 5.11)) * DEG).tan())
    } else {
        0.0
    };
    (zenith - refraction, azimuth)
}

/// Perez 1990 all-sites composite coefficients: F11, F12, F13, F21, F22, F23 by sky clearness bin.
const PEREZ: [[f64; 6]; 8] = [
    [-0.0080, 0.5880, -0.0620, -0.0600, 0.0720, -0.0220],
    [0.1300, 0.6830, -0.1510, -0.0190, 0.0660, -0.0290],
    [0.3300, 0.4870, -0.2210, 0.0550, -0.0640, -0.0260],
    [0.5680, 0.1870, -0.2950, 0.1090, -0.1520, -0.0140],
    [0.8730, -0.3920, -0.3620, 0.2260, -0.4620, 0.0010],
    [1.1320, -1.2370, -0.4120, 0.2880, -0.8230, 0.0560],
    [1.0600, -1.6000, -0.3590, 0.2640, -1.1270, 0.1310],
    [0.6780, -0.3270, -0.2500, 0.1560, -1.3770, 0.2510],
];
/// Upper clearness of each Perez bin but the last.
const PEREZ_BINS: [f64; 7] = [1.065, 1.23, 1.5, 1.95, 2.8, 4.5, 6.2];

/// Sky diffuse irradiance on the plane (Perez 1990), W/m2.
fn perez_sky_diffuse(
    dhi: f64,
    dni: f64,
    dni_extra: f64,
    zenith_deg: f64,
    cos_aoi: f64,
    tilt_deg: f64,
) -> f64 {
    if dhi <= 0.0 || zenith_deg >= 90.0 {
        return 0.0;
    }
    let z = zenith_deg * DEG;
    let airmass = 1.0 / (z.cos() + 0.50572 * (6.07995 + (90.0 - zenith_deg)).powf(-1.6364));
    let delta = dhi * airmass / dni_extra;
    let kz3 = 1.041 * z.powi(3);
    let eps = ((dhi + dni) / dhi + kz3) / (1.0 + kz3);
    let bin = PEREZ_BINS.iter().take_while(|&&b| eps >= b).count();
    let c = PEREZ[bin];
    let f1 = (c[0] + c[1] * delta + c[2] * z).max(0.0);
    let f2 = c[3] + c[4] * delta + c[5] * z;
    let a = cos_aoi.max(0.0);
    let b = z.cos().max((85.0 * DEG).cos());
    let tilt = tilt_deg * DEG;
    (dhi * (0.5 * (1.0 - f1) * (1.0 + tilt.cos()) + f1 * a / b + f2 * tilt.sin())).max(0.0)
}

/// Transmittance of the cover glass at incidence `theta` (radians), De Soto et al. 2006.
fn glass_tau(theta: f64) -> f64 {
    const N: f64 = 1.526;
    const KL: f64 = 4.0 * 0.002;
    if theta < 1e-6 {
        let r = ((1.0 - N) / (1.0 + N)).powi(2);
        return (-KL).exp() * (1.0 - r);
    }
    let tr = (theta.sin() / N).asin();
    let s = ((tr - theta).sin() / (tr + theta).sin()).powi(2);
    let t = ((tr - theta).tan() / (tr + theta).tan()).powi(2);
    (-KL / tr.cos()).exp() * (1.0 - 0.5 * (s + t))
}

/// Incidence-angle modifier of the beam at `aoi_deg` (0 at or beyond 90 degrees).
fn iam(aoi_deg: f64) -> f64 {
    if aoi_deg >= 90.0 {
        0.0
    } else {
        (glass_tau(aoi_deg * DEG) / glass_tau(0.0)).clamp(0.0, 1.0)
    }
}

/// PVWatts inverter: AC output per kW of array DC for `pdc` kW of DC input per kW of array.
fn inverter(pdc: f64) -> f64 {
    if pdc <= 0.0 {
        return 0.0;
    }
    let pac0 = 1.0 / DC_AC_RATIO;
    let pdc0 = pac0 / INVERTER_NOMINAL;
    let zeta = pdc / pdc0;
    let eta = INVERTER_NOMINAL / INVERTER_REFERENCE * (-0.0162 * zeta - 0.0059 / zeta + 0.9858);
    (eta * pdc).clamp(0.0, pac0)
}

/// The irradiance of one hour on the array: plane-of-array total and what reaches the cells
/// after reflection, W/m2.
fn plane_of_array(loc: &Location, array: &PvArray, i: usize, h: &FileHour) -> (f64, f64) {
    let (zenith, azimuth) = sun_position(loc, i as f64 + 0.5, h.pressure_hpa, h.dry_bulb_c);
    let day = (i / 24) as f64;
    let b = 2.0 * std::f64::consts::PI * day / 365.0;
    let dni_extra = 1366.1
        * (1.00011
            + 0.034221 * b.cos()
            + 0.00128 * b.sin()
            + 0.000719 * (2.0 * b).cos()
            + 0.000077 * (2.0 * b).sin());
    let (z, t) = (zenith * DEG, array.tilt_deg * DEG);
    let cos_aoi = (z.cos() * t.cos()
        + z.sin() * t.sin() * ((azimuth - array.azimuth_deg) * DEG).cos())
    .clamp(-1.0, 1.0);
    let aoi = cos_aoi.acos() / DEG;
    let beam = (h.dni_w_m2 * cos_aoi).max(0.0);
    let sky = perez_sky_diffuse(
        h.dhi_w_m2,
        h.dni_w_m2,
        dni_extra,
        zenith,
        cos_aoi,
        array.tilt_deg,
    );
    let ground = h.ghi_w_m2 * ALBEDO * (1.0 - t.cos()) / 2.0;
    (beam + sky + ground, beam * iam(aoi) + sky + ground)
}

/// Hourly plane-of-array irradiance of `array`, W/m2 (for checks and reports).
pub fn poa_irradiance(file: &WeatherFile, array: &PvArray) -> Vec<f64> {
    file.hours
        .iter()
        .enumerate()
        .map(|(i, h)| plane_of_array(&file.location, array, i, h).0)
        .collect()
}

/// Hourly AC output of `array` per kW of DC nameplate (a capacity factor, 0..1/1.2).
pub fn pv_capacity_factors(file: &WeatherFile, array: &PvArray) -> Vec<f64> {
    file.hours
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let (poa, effective) = plane_of_array(&file.location, array, i, h);
            let module_c = poa * (SAPM_A + SAPM_B * h.wind_m_s).exp() + h.dry_bulb_c;
            let cell_c = module_c + poa / 1000.0 * SAPM_DT;
            let dc = effective / 1000.0 * (1.0 + GAMMA_PER_C * (cell_c - 25.0));
            inverter(dc * (1.0 - SYSTEM_LOSSES_FRAC))
        })
        .collect()
}

/// A wind turbine's power curve and hub height.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Turbine {
    /// Hub height, m.
    pub hub_height_m: f64,
}

/// Height of the weather file's anemometer, m (TMY3 and EPW: 10 m, the WMO standard).
const ANEMOMETER_M: f64 = 10.0;
/// Power-law wind shear exponent (Peterson and Hennessey 1978).
const SHEAR_EXPONENT: f64 = 1.0 / 7.0;
/// Cut-in, rated and cut-out wind speeds, m/s (NREL 5-MW reference turbine, Jonkman et al. 2009).
const CUT_IN_M_S: f64 = 3.0;
const RATED_M_S: f64 = 11.4;
const CUT_OUT_M_S: f64 = 25.0;

impl Turbine {
    /// Output per kW of rating at hub-height wind speed `v` m/s.
    pub fn power_curve(v: f64) -> f64 {
        if !(CUT_IN_M_S..CUT_OUT_M_S).contains(&v) {
            0.0
        } else if v >= RATED_M_S {
            1.0
        } else {
            (v.powi(3) - CUT_IN_M_S.powi(3)) / (RATED_M_S.powi(3) - CUT_IN_M_S.powi(3))
        }
    }

    /// Hourly capacity factors from the file's 10 m wind speeds.
    pub fn capacity_factors(&self, file: &WeatherFile) -> Vec<f64> {
        let shear = (self.hub_height_m / ANEMOMETER_M).powf(SHEAR_EXPONENT);
        file.hours
            .iter()
            .map(|h| Turbine::power_curve(h.wind_m_s * shear))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_power_curve_is_zero_rises_and_cuts_out() {
        assert_eq!(Turbine::power_curve(2.9), 0.0);
        assert_eq!(Turbine::power_curve(3.0), 0.0);
        let mid = Turbine::power_curve(8.0);
        assert!(mid > 0.2 && mid < 0.5, "{mid}");
        assert_eq!(Turbine::power_curve(11.4), 1.0);
        assert_eq!(Turbine::power_curve(24.9), 1.0);
        assert_eq!(Turbine::power_curve(25.0), 0.0);
    }

    #[test]
    fn the_inverter_clips_at_its_ac_rating_and_loses_a_few_percent() {
        assert_eq!(inverter(0.0), 0.0);
        assert!((inverter(2.0) - 1.0 / 1.2).abs() < 1e-12);
        let half = inverter(0.4);
        assert!(half / 0.4 > 0.95 && half / 0.4 < 0.97, "{half}");
    }

    #[test]
    fn normal_incidence_loses_nothing_to_the_modifier() {
        assert!((iam(0.0) - 1.0).abs() < 1e-12);
        assert!(iam(60.0) < 1.0 && iam(60.0) > 0.9);
        assert_eq!(iam(90.0), 0.0);
    }

    #[test]
    fn the_sun_is_high_at_solar_noon_in_june_and_south_of_greensboro() {
        let loc = Location {
            name: "Greensboro".into(),
            latitude_deg: 36.1,
            longitude_deg: -79.95,
            utc_offset_h: -5.0,
            elevation_m: 273.0,
        };
        // June 21 (day 171), 12:30 EST; pvlib's NREL SPA gives 12.79 and 188.8 degrees.
        let (z, az) = sun_position(&loc, 171.0 * 24.0 + 12.5, 980.0, 25.0);
        assert!((z - 12.79).abs() < 0.3, "{z}");
        assert!((az - 188.8).abs() < 1.5, "{az}");
        // Midnight: below the horizon.
        assert!(sun_position(&loc, 0.5, 1000.0, 0.0).0 > 90.0);
    }
}
