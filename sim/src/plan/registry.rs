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
    /// The smallest and largest values its field accepts. A distribution with an endless tail
    /// may reach beyond them (at most one draw in a thousand, as validation checks); such a
    /// draw is taken at the bound, so that the model never sees a value the field refuses.
    pub bounds: (f64, f64),
    /// How the model turns a value into a whole number of months, for an input it uses that way
    /// (a hall phase's ready month, a tranche's lead time): values are drawn rounded so, and
    /// reported as the model used them.
    pub whole: Option<WholeMonths>,
}

/// How a month input is made whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WholeMonths {
    /// Rounded down: the month in which the time falls.
    Floor,
    /// Rounded to the nearest (half away from zero).
    Round,
}

impl WholeMonths {
    /// The whole-month input at `path`, if the model makes it whole.
    pub(crate) fn of(path: &str) -> Option<WholeMonths> {
        match crate::scenario::validate::ranges::pattern_of(path).as_str() {
            "site.phases[*].ready_month" => Some(WholeMonths::Floor),
            "fleet[*].lead_time_months" => Some(WholeMonths::Round),
            _ => None,
        }
    }

    fn apply(self, x: f64) -> f64 {
        match self {
            WholeMonths::Floor => x.floor(),
            WholeMonths::Round => x.round(),
        }
    }
}

impl Input {
    /// The input's value at quantile `q` of its distribution, within its field's bounds.
    pub fn at(&self, q: f64) -> f64 {
        self.within(self.dist.quantile(q))
    }

    /// `x` brought within the field's bounds, and made whole where the model makes it whole.
    pub fn within(&self, x: f64) -> f64 {
        let x = x.clamp(self.bounds.0, self.bounds.1);
        match self.whole {
            Some(w) => w.apply(x),
            None => x,
        }
    }
}

/// The accepted values of the field at `path` as a closed interval (an open end is moved to the
/// nearest accepted value); the whole line for a field without a range.
pub(crate) fn field_bounds(path: &str) -> (f64, f64) {
    match crate::scenario::validate::ranges::range_of(path) {
        Some(r) => (
            if r.lo_open { r.lo.next_up() } else { r.lo },
            if r.hi_open { r.hi.next_down() } else { r.hi },
        ),
        None => (f64::NEG_INFINITY, f64::INFINITY),
    }
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
                let path = path.into();
                self.inputs.push(Input {
                    bounds: field_bounds(&path),
                    whole: WholeMonths::of(&path),
                    path,
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
