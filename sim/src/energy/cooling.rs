//! Cooling technology and PUE as a function of outdoor temperature and IT load.
//!
//! Facility power = IT x (1 + electrical_loss_frac + cooling(T)) + fixed_frac x commissioned IT
//! capacity, with cooling(T) = free_cooling_frac up to `free_cooling_below_c` and rising by
//! `mechanical_frac_per_c` per degree above it, capped at `max_cooling_frac`. Every term is
//! non-negative, so PUE >= 1 whatever the weather or load. The formula is affine in IT power
//! within an hour, so applying it to an hour's exact IT energy is exact.
//!
//! Water (WUE, litres per IT kWh): a preset with evaporative heat rejection uses none up to
//! `water.above_c` outdoors and `water.l_per_kwh_per_c` more per degree above it, capped at
//! `water.max_l_per_kwh` (evaporating all the heat takes 3,600 / 2,257 = 1.6 L/kWh, plus
//! blowdown). Dry presets use no water on site. Where the weather knows the humidity (a weather
//! file), evaporation follows the wet bulb instead, above `above_c` read as a wet-bulb
//! threshold at 70 % relative humidity ([`Evaporative::above_wet_bulb_c`]).

use serde::{Deserialize, Serialize};

/// A cooling preset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoolingPreset {
    /// Name scenarios refer to.
    pub name: String,
    /// What it is.
    pub description: String,
    /// UPS and distribution losses as a share of IT power.
    pub electrical_loss_frac: f64,
    /// Fixed overhead as a share of commissioned IT capacity.
    pub fixed_frac: f64,
    /// Outdoor temperature (C) below which cooling is free (economizer, dry coolers).
    pub free_cooling_below_c: f64,
    /// Cooling power per unit IT power when cooling is free.
    pub free_cooling_frac: f64,
    /// Extra cooling power per unit IT power per degree above the free-cooling limit.
    pub mechanical_frac_per_c: f64,
    /// Largest cooling power per unit IT power.
    pub max_cooling_frac: f64,
    /// Published range of annual PUE for this technology `(low, high)`.
    pub range_pue: (f64, f64),
    /// Evaporative heat rejection (cooling towers, adiabatic assist) and the water it uses;
    /// absent for dry systems (dry coolers, air-cooled chillers), which use no water on site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub water: Option<Evaporative>,
}

/// Water use of evaporative cooling: litres per kWh of IT energy, 0 up to `above_c` outdoors,
/// rising by `l_per_kwh_per_c` per degree above it, capped at `max_l_per_kwh`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evaporative {
    /// Outdoor dry-bulb temperature (C) above which evaporation runs.
    pub above_c: f64,
    /// Extra water per IT kWh per degree above `above_c`, litres.
    pub l_per_kwh_per_c: f64,
    /// Largest water use per IT kWh, litres (all heat rejected by evaporation, plus blowdown).
    pub max_l_per_kwh: f64,
}

/// Relative humidity (%) at which a preset's dry-bulb threshold is read as a wet-bulb one: the
/// annual mean relative humidity of temperate US sites is 60-80 % (NOAA, Comparative Climatic
/// Data for the United States, relative humidity table); E: the presets were set on dry bulb.
pub const THRESHOLD_RH_PCT: f64 = 70.0;

impl Evaporative {
    /// Wet-bulb temperature (C) above which evaporation runs, when the weather gives humidity:
    /// `above_c` dry bulb at [`THRESHOLD_RH_PCT`] relative humidity, by Stull (2011).
    pub fn above_wet_bulb_c(&self) -> f64 {
        super::weather::stull_wet_bulb_c(self.above_c, THRESHOLD_RH_PCT)
    }
}

/// Litres of water evaporated by rejecting one kWh of heat: 3,600 kJ / 2,257 kJ/kg latent heat
/// of vaporisation of water (engineering identity); with cooling-tower blowdown the total per kWh
/// is higher, which a preset's `max_l_per_kwh` states.
pub const EVAPORATION_L_PER_KWH: f64 = 3600.0 / 2257.0;

impl CoolingPreset {
    /// Cooling power per unit IT power at outdoor temperature `t_c`.
    pub fn cooling_frac(&self, t_c: f64) -> f64 {
        let mechanical = (t_c - self.free_cooling_below_c).max(0.0) * self.mechanical_frac_per_c;
        (self.free_cooling_frac + mechanical).min(self.max_cooling_frac.max(self.free_cooling_frac))
    }

    /// Facility energy of an hour with `it_kwh` of IT energy, `capacity_kw` of commissioned IT
    /// capacity and outdoor temperature `t_c`.
    pub fn facility_kwh(&self, it_kwh: f64, capacity_kw: f64, t_c: f64) -> f64 {
        it_kwh * (1.0 + self.electrical_loss_frac + self.cooling_frac(t_c))
            + self.fixed_frac * capacity_kw
    }

    /// PUE at a temperature and an IT load fraction (IT power / capacity).
    pub fn pue(&self, t_c: f64, load_frac: f64) -> f64 {
        if load_frac <= 0.0 {
            return f64::INFINITY;
        }
        1.0 + self.electrical_loss_frac + self.cooling_frac(t_c) + self.fixed_frac / load_frac
    }

    /// Water used on site per kWh of IT energy at outdoor dry-bulb temperature `t_c`, litres
    /// (0 for a dry system). Where the weather knows the humidity (`wet_bulb_c` finite: a weather
    /// file), evaporation follows the wet bulb instead, above [`Evaporative::above_wet_bulb_c`]:
    /// how much heat evaporation must carry depends on how close the air is to saturation.
    pub fn water_l_per_kwh(&self, t_c: f64, wet_bulb_c: f64) -> f64 {
        self.water.as_ref().map_or(0.0, |w| {
            let above = if wet_bulb_c.is_finite() {
                wet_bulb_c - w.above_wet_bulb_c()
            } else {
                t_c - w.above_c
            };
            (above.max(0.0) * w.l_per_kwh_per_c).min(w.max_l_per_kwh)
        })
    }

    /// Problems with the parameters (any that could make PUE fall below 1 or run away).
    pub fn check(&self) -> Vec<String> {
        let mut v = Vec::new();
        for (name, x, hi) in [
            ("electrical_loss_frac", self.electrical_loss_frac, 1.0),
            ("fixed_frac", self.fixed_frac, 1.0),
            ("free_cooling_frac", self.free_cooling_frac, 2.0),
            ("mechanical_frac_per_c", self.mechanical_frac_per_c, 1.0),
            ("max_cooling_frac", self.max_cooling_frac, 5.0),
        ] {
            if !x.is_finite() {
                v.push(format!("{name}: {x} is not a finite number"));
            } else if x < 0.0 {
                v.push(format!(
                    "{name}: {x} is negative, which could make PUE fall below 1"
                ));
            } else if x > hi {
                v.push(format!("{name}: {x} is above {hi}"));
            }
        }
        if !self.free_cooling_below_c.is_finite() {
            v.push(format!(
                "free_cooling_below_c: {} is not a finite number",
                self.free_cooling_below_c
            ));
        } else if !(-50.0..=60.0).contains(&self.free_cooling_below_c) {
            v.push(format!(
                "free_cooling_below_c: {} is outside -50..60 C",
                self.free_cooling_below_c
            ));
        }
        if let Some(w) = &self.water {
            if !w.above_c.is_finite() {
                v.push(format!(
                    "water.above_c: {} is not a finite number",
                    w.above_c
                ));
            } else if !(-50.0..=60.0).contains(&w.above_c) {
                v.push(format!("water.above_c: {} is outside -50..60 C", w.above_c));
            }
            for (name, x) in [
                ("water.l_per_kwh_per_c", w.l_per_kwh_per_c),
                ("water.max_l_per_kwh", w.max_l_per_kwh),
            ] {
                if !x.is_finite() {
                    v.push(format!("{name}: {x} is not a finite number"));
                } else if x < 0.0 {
                    v.push(format!("{name}: {x} is negative; water use cannot be"));
                }
            }
            // Evaporating all the heat takes about 1.6 L/kWh; blowdown adds a share of that.
            let most = 2.0 * EVAPORATION_L_PER_KWH;
            if w.max_l_per_kwh > most {
                v.push(format!("water.max_l_per_kwh: {} is above {most:.2}, twice the water that evaporating all the heat takes", w.max_l_per_kwh));
            }
        }
        v
    }
}
