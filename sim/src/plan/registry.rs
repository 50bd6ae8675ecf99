//! The registry of uncertain inputs: every number of a scenario that may be written as a
//! distribution, with the field path that names it and keys its random stream.
//! Every field of a scenario, numeric or structured, is set by the same field path with
//! [`super::set_fields`] (sweep variants and search candidates).

use crate::dist::{Dist, Param};
use crate::scenario::Scenario;
use crate::scenario::validate::leaves::{LeafValue, number_leaves};

/// An uncertain input: a parameter written as a distribution, drawn once per replication.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    /// Field path, e.g. `fleet[1].price_usd_per_gpu`; it names the input in results and keys
    /// the random stream it draws from.
    pub path: String,
    /// Its distribution.
    pub dist: Dist,
}

/// A number of the plan: known when the plan is made, or an uncertain input (an index into the
/// registry) known once a replication has drawn it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Num {
    /// A plain number (or a `Fixed` distribution).
    Const(f64),
    /// The uncertain input at this index of the registry.
    Input(usize),
}

/// The values one replication drew for the registry's inputs.
pub(crate) struct Drawn<'a>(pub(crate) &'a [f64]);

impl Drawn<'_> {
    /// The value of `n` in this replication.
    pub(crate) fn get(&self, n: Num) -> f64 {
        match n {
            Num::Const(x) => x,
            Num::Input(i) => self.0[i],
        }
    }
}

/// The registry a plan fills as it resolves a scenario.
#[derive(Clone, Debug, Default)]
pub(crate) struct Registry {
    /// Uncertain inputs, in drawing order.
    pub(crate) inputs: Vec<Input>,
    /// Distributions drawn per request, failure or repair (field paths).
    pub(crate) processes: Vec<String>,
}

impl Registry {
    /// The parameter at `path`: a constant if it is a number or `Fixed`, else a new input.
    pub(crate) fn param(&mut self, path: impl Into<String>, param: &Param) -> Num {
        match param {
            Param::Value(x) => Num::Const(*x),
            Param::Dist(d) if param.is_fixed() => Num::Const(d.quantile(0.5)),
            Param::Dist(d) => {
                self.inputs.push(Input {
                    path: path.into(),
                    dist: d.clone(),
                });
                Num::Input(self.inputs.len() - 1)
            }
        }
    }

    /// The distribution at `path`, drawn afresh for every request, failure or repair.
    pub(crate) fn process(&mut self, path: impl Into<String>, param: &Param) -> Dist {
        self.processes.push(path.into());
        param.dist()
    }
}

/// Field paths of every field of `scenario` written as a distribution, found by walking the
/// schema (in field order; a value inside an enum variant is named by the variant, e.g.
/// `demand.mix[0].duration.Hours`).
pub fn uncertain_fields(scenario: &Scenario) -> Vec<String> {
    number_leaves(scenario)
        .into_iter()
        .filter(|leaf| matches!(&leaf.value, LeafValue::Dist(d) if !matches!(d, Dist::Fixed(_))))
        .map(|leaf| leaf.path)
        .collect()
}
