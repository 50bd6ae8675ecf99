//! One-at-a-time sensitivity (`dcplan sensitivity`): every uncertain input at its median, then
//! each input in turn at its P10 and at its P90 with the others held at their medians. The
//! stochastic processes (arrivals, failures, weather, market shocks) keep their random draws, and
//! every setting runs the same replication indices under the same master seed (common random
//! numbers), so the swing of an output is the effect of the input alone.

use crate::params::SampleMode;
use crate::plan::Plan;
use crate::replication::ReplicationOptions;
use crate::scenario::LoadedScenario;

/// Quantile of the low setting.
pub const LOW: f64 = 0.1;
/// Quantile of the base setting.
pub const BASE: f64 = 0.5;
/// Quantile of the high setting.
pub const HIGH: f64 = 0.9;

/// An uncertain input and its values at the three settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    /// Field path.
    pub path: String,
    /// Value at P10.
    pub low: f64,
    /// Value at P50.
    pub base: f64,
    /// Value at P90.
    pub high: f64,
}

/// The options of a replication with every input at its median except `pinned` (a path and a
/// quantile).
pub fn options(pinned: Option<(&str, f64)>) -> ReplicationOptions {
    ReplicationOptions {
        sample_mode: SampleMode::QuantileExcept {
            base: BASE,
            pinned: pinned
                .map(|(p, q)| vec![(p.to_string(), q)])
                .unwrap_or_default(),
        },
        trace: false,
    }
}

/// The uncertain inputs of a scenario with their P10, P50 and P90 values, in drawing order.
pub fn inputs(loaded: &LoadedScenario) -> Vec<Input> {
    Plan::new(loaded)
        .inputs()
        .iter()
        .map(|input| Input {
            path: input.path.clone(),
            low: input.at(LOW),
            base: input.at(BASE),
            high: input.at(HIGH),
        })
        .collect()
}
