//! Sampling uncertain inputs once per replication.

use crate::dist::{Param, open_unit};
use crate::rng::parameter_rng;

/// How uncertain inputs are drawn.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum SampleMode {
    /// Independent random draws (plain Monte Carlo).
    #[default]
    Random,
    /// Every uncertain input at one quantile (e.g. 0.5 for all medians).
    Quantile(f64),
    /// Random, except the listed field paths, which are pinned to the given quantiles.
    Pinned(Vec<(String, f64)>),
    /// Every uncertain input at the given quantile per field path; paths not listed draw at random.
    /// Used by Latin hypercube sampling, which precomputes one stratified quantile per input.
    Quantiles(Vec<(String, f64)>),
}

/// Draws uncertain inputs for one replication and records what it drew.
#[derive(Clone, Debug)]
pub struct Sampler {
    seed: u64,
    replication: u64,
    mode: SampleMode,
    drawn: Vec<(String, f64)>,
}

impl Sampler {
    /// A sampler for replication `replication` of master seed `seed`.
    pub fn new(seed: u64, replication: u64, mode: SampleMode) -> Sampler {
        Sampler { seed, replication, mode, drawn: Vec::new() }
    }

    /// The value of input `path` in this replication.
    pub fn draw(&mut self, path: &str, param: &Param) -> f64 {
        let Param::Dist(dist) = param else {
            return param.quantile(0.5);
        };
        if param.is_fixed() {
            return dist.quantile(0.5);
        }
        let pinned = |list: &Vec<(String, f64)>| list.iter().find(|(p, _)| p == path).map(|(_, q)| *q);
        let u = match &self.mode {
            SampleMode::Random => None,
            SampleMode::Quantile(q) => Some(*q),
            SampleMode::Pinned(list) | SampleMode::Quantiles(list) => pinned(list),
        }
        .unwrap_or_else(|| open_unit(&mut parameter_rng(self.seed, self.replication, path)));
        let x = dist.quantile(u);
        self.drawn.push((path.to_string(), x));
        x
    }

    /// The values drawn so far, in drawing order.
    pub fn into_drawn(self) -> Vec<(String, f64)> {
        self.drawn
    }
}
