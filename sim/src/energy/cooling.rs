//! Cooling technology and PUE as a function of outdoor temperature and IT load.
//!
//! Facility power = IT x (1 + electrical_loss_frac + cooling(T)) + fixed_frac x commissioned IT
//! capacity, with cooling(T) = free_cooling_frac up to `free_cooling_below_c` and rising by
//! `mechanical_frac_per_c` per degree above it, capped at `max_cooling_frac`. Every term is
//! non-negative, so PUE >= 1 whatever the weather or load. The formula is affine in IT power
//! within an hour, so applying it to an hour's exact IT energy is exact.

use serde::{Deserialize, Serialize};

/// A cooling preset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

impl CoolingPreset {
    /// Cooling power per unit IT power at outdoor temperature `t_c`.
    pub fn cooling_frac(&self, t_c: f64) -> f64 {
        let mechanical = (t_c - self.free_cooling_below_c).max(0.0) * self.mechanical_frac_per_c;
        (self.free_cooling_frac + mechanical).min(self.max_cooling_frac.max(self.free_cooling_frac))
    }

    /// Facility energy of an hour with `it_kwh` of IT energy, `capacity_kw` of commissioned IT
    /// capacity and outdoor temperature `t_c`.
    pub fn facility_kwh(&self, it_kwh: f64, capacity_kw: f64, t_c: f64) -> f64 {
        it_kwh * (1.0 + self.electrical_loss_frac + self.cooling_frac(t_c)) + self.fixed_frac * capacity_kw
    }

    /// PUE at a temperature and an IT load fraction (IT power / capacity).
    pub fn pue(&self, t_c: f64, load_frac: f64) -> f64 {
        if load_frac <= 0.0 {
            return f64::INFINITY;
        }
        1.0 + self.electrical_loss_frac + self.cooling_frac(t_c) + self.fixed_frac / load_frac
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
            if !x.is_finite() || x < 0.0 {
                v.push(format!("{name}: {x} is negative, which could make PUE fall below 1"));
            } else if x > hi {
                v.push(format!("{name}: {x} is above {hi}"));
            }
        }
        if !(-50.0..=60.0).contains(&self.free_cooling_below_c) {
            v.push(format!("free_cooling_below_c: {} is outside -50..60 C", self.free_cooling_below_c));
        }
        v
    }
}
