//! The `sweep` and `optimize` sections (their variants are checked by [`crate::sweep`] and [`crate::optimize`] when a scenario is loaded for a run),
//! and the `correlations` between uncertain inputs (whose paths are checked against the plan's
//! inputs by [`crate::correlation::check`] when a scenario is loaded).

use serde::{Deserialize, Serialize};

use super::{Problems, Scenario};
use crate::dist::fmt_num;

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

/// A rank (Spearman) correlation imposed between two uncertain inputs across replications, e.g.
/// a price collapse that comes with a demand glut. Both inputs must be written as distributions
/// (drawn once per replication); see [`crate::correlation`] for how it is imposed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Correlation {
    /// Field path of the first input, e.g. `demand.growth.annual_growth_frac`.
    pub a: String,
    /// Field path of the second input.
    pub b: String,
    /// Target rank correlation, from -1 to 1.
    pub rank: f64,
}

/// The position of `path` in `paths`, added at the end if it is not there yet.
fn index<'a>(paths: &mut Vec<&'a str>, path: &'a str) -> usize {
    match paths.iter().position(|q| *q == path) {
        Some(k) => k,
        None => {
            paths.push(path);
            paths.len() - 1
        }
    }
}

/// The `correlations` list: no input paired with itself, no pair twice, and the matrix of the
/// ranks (with 1 on the diagonal) positive semi-definite; when it is not, the problem names the
/// pair whose inclusion breaks it (inputs in order of first mention), with the pairs it
/// contradicts. Ranges of `rank` are checked with every other number.
pub(super) fn check_correlations(s: &Scenario, p: &mut Problems) {
    let list = &s.correlations;
    let mut paths: Vec<&str> = Vec::new();
    let mut pairs = Vec::new();
    let mut entry = Vec::new();
    let mut consistent = true;
    for (i, c) in list.iter().enumerate() {
        let at = |f: &str| format!("correlations[{i}].{f}");
        for (f, path) in [("a", &c.a), ("b", &c.b)] {
            if path.trim().is_empty() {
                p.push(at(f), "must name an uncertain input by its field path");
                consistent = false;
            }
        }
        if c.a == c.b && !c.a.trim().is_empty() {
            p.push(at("b"), format!("`{}` is paired with itself", c.b));
            consistent = false;
        }
        let same = |d: &Correlation| (d.a == c.a && d.b == c.b) || (d.a == c.b && d.b == c.a);
        if let Some(j) = list[..i].iter().position(same) {
            p.push(
                format!("correlations[{i}]"),
                format!("repeats the pair `{}`, `{}` of correlations[{j}]", c.a, c.b),
            );
            consistent = false;
        }
        if !(c.rank.is_finite() && c.rank.abs() <= 1.0) {
            consistent = false;
        }
        let (a, b) = (index(&mut paths, &c.a), index(&mut paths, &c.b));
        pairs.push((a, b, c.rank));
        entry.push(i);
    }
    if !consistent {
        return;
    }
    if let Some((j, k)) = crate::correlation::breaking_pair(paths.len(), &pairs) {
        let is_pair = |&(a, b, _): &(usize, usize, f64)| (a.min(b), a.max(b)) == (j, k);
        let Some(at) = pairs.iter().position(is_pair) else {
            return;
        };
        let others: Vec<String> = pairs
            .iter()
            .enumerate()
            .filter(|&(n, &(a, b, _))| n != at && a.max(b) <= k)
            .map(|(_, &(a, b, r))| format!("`{}`-`{}` {}", paths[a], paths[b], fmt_num(r)))
            .collect();
        let c = &list[entry[at]];
        p.push(
            format!("correlations[{}].rank", entry[at]),
            format!(
                "{} between `{}` and `{}` contradicts {}: no set of inputs has all these rank \
                 correlations (the correlation matrix is not positive semi-definite)",
                fmt_num(c.rank),
                c.a,
                c.b,
                others.join(", ")
            ),
        );
    }
}
