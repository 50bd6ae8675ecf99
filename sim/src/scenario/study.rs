//! The `sweep` and `optimize` sections (their variants are checked by [`crate::sweep`] and [`crate::optimize`] when a scenario is loaded for a run).

use serde::{Deserialize, Serialize};

/// Any RON value, kept as text by the sweep machinery (read from the scenario source).
#[derive(Clone, Copy, Debug, Default)]
pub struct RawValue;

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| RawValue)
    }
}

impl Serialize for RawValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

impl schemars::JsonSchema for RawValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RawValue".into()
    }

    /// Any value: what it must be depends on the axis's path.
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A value of the field the axis's path names, written as at that path."
        })
    }
}

/// A sweep: every combination of the axes' values becomes a variant.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// The axes, the first varying slowest.
    pub axes: Vec<SweepAxis>,
}

/// One sweep axis: a field path and the values it takes.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepAxis {
    /// Field path, e.g. `fleet[0].gpus` or `energy.tariff`.
    pub path: String,
    /// Values, written as they would be at the path.
    pub values: Vec<RawValue>,
    /// Short names of the values for variant names (default: the value text, if short).
    #[serde(default)]
    pub labels: Vec<String>,
}

/// What `dcplan optimize` searches and for what.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Optimize {
    /// Decision variables.
    pub variables: Vec<DecisionVariable>,
    /// Keep only candidates whose chance of payback within `payback_months` is at least `probability`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<PaybackConstraint>,
    /// Replications per candidate (default 40).
    #[serde(default = "forty")]
    pub replications: u32,
    /// Refinement rounds around the best candidate after the first grid (default 2).
    #[serde(default = "two")]
    pub refinements: u32,
}

fn forty() -> u32 {
    40
}

fn two() -> u32 {
    2
}

/// A decision variable: a numeric field searched over a range on a grid.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionVariable {
    /// Field path.
    pub path: String,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Grid points on the first pass (at least 2).
    #[serde(default = "three")]
    pub points: u32,
    /// Round values to multiples of this (e.g. 8 for whole 8-GPU nodes); 0 keeps them as they are.
    #[serde(default)]
    pub multiple_of: f64,
}

fn three() -> u32 {
    3
}

/// A risk constraint on payback.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaybackConstraint {
    /// Months.
    pub payback_months: f64,
    /// Minimum probability of payback within that many months.
    pub probability: f64,
}
