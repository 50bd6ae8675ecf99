//! Sampling uncertain inputs once per replication.

use std::sync::Arc;

use crate::correlation::Correlations;
use crate::dist::{Dist, open_unit};
use crate::rng::parameter_rng;

/// How uncertain inputs are drawn.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum SampleMode {
    /// Independent random draws (plain Monte Carlo).
    #[default]
    Random,
    /// Every uncertain input at one quantile (e.g. 0.5 for all medians).
    Quantile(f64),
    /// Every uncertain input at `base`, except the listed paths, pinned to their quantiles
    /// (one-at-a-time sensitivity).
    QuantileExcept {
        /// Quantile of every input not listed.
        base: f64,
        /// `(path, quantile)` exceptions.
        pinned: Vec<(String, f64)>,
    },
    /// Latin hypercube sampling over the run's replications (with the scenario's correlations,
    /// if any, imposed on its strata: [`LhsPlan::correlated`]).
    LatinHypercube(Arc<LhsPlan>),
    /// Independent random draws, rearranged in blocks of [`crate::correlation::BLOCK`]
    /// replications so that the listed inputs have the scenario's rank correlations (every
    /// other input as in [`SampleMode::Random`]).
    Correlated(Arc<Correlations>),
}

/// A Latin hypercube design: for each uncertain input, a random permutation of the `n` strata;
/// replication `r` draws input `p` uniformly within stratum `perm_p[r]`, so each input covers its
/// whole distribution evenly across the run while inputs stay independent of one another.
#[derive(Clone, Debug, PartialEq)]
pub struct LhsPlan {
    /// Replications in the run (strata per input).
    pub n: u64,
    /// `(path, permutation)` per uncertain input.
    pub perms: Vec<(String, Vec<u32>)>,
}

impl LhsPlan {
    /// A design for `paths` over `n` replications under master seed `seed`.
    pub fn new(seed: u64, n: u64, paths: &[String]) -> LhsPlan {
        let perms = paths
            .iter()
            .map(|path| {
                let mut rng = parameter_rng(seed, u64::MAX, path);
                let mut perm: Vec<u32> = (0..n as u32).collect();
                for i in (1..perm.len()).rev() {
                    let j = (rand::Rng::next_u64(&mut rng) % (i as u64 + 1)) as usize;
                    perm.swap(i, j);
                }
                (path.clone(), perm)
            })
            .collect();
        LhsPlan { n, perms }
    }

    /// A design for `paths` over `n` replications with the rank correlations `correlations`
    /// imposed by rearranging the strata of the correlated inputs (Iman-Conover over the whole
    /// design; each input still has exactly one draw in each stratum). With no more replications
    /// than correlated inputs the design stays independent.
    pub fn correlated(seed: u64, n: u64, paths: &[String], correlations: &Correlations) -> LhsPlan {
        let mut plan = LhsPlan::new(seed, n, paths);
        let ranks = u32::try_from(n)
            .ok()
            .and_then(|n| correlations.ranks(n as usize, &mut correlations.score_rngs(seed, 0)));
        for (path, ranks) in correlations.paths.iter().zip(ranks.into_iter().flatten()) {
            if let Some((_, perm)) = plan.perms.iter_mut().find(|(p, _)| p == path) {
                *perm = ranks;
            }
        }
        plan
    }
}

/// Draws the uncertain inputs of one replication, each from the stream keyed by its field path.
#[derive(Clone, Debug)]
pub(crate) struct Sampler<'a> {
    seed: u64,
    replication: u64,
    mode: &'a SampleMode,
    /// Quantile positions of the correlated inputs in this replication (correlated mode only).
    correlated: Vec<(String, f64)>,
}

impl<'a> Sampler<'a> {
    /// A sampler for replication `replication` of master seed `seed`.
    pub(crate) fn new(seed: u64, replication: u64, mode: &'a SampleMode) -> Sampler<'a> {
        let correlated = match mode {
            SampleMode::Correlated(c) => c.block_positions(seed, replication),
            _ => Vec::new(),
        };
        Sampler {
            seed,
            replication,
            mode,
            correlated,
        }
    }

    /// The value of the input at `path`, distributed as `dist`, in this replication.
    pub(crate) fn draw(&self, path: &str, dist: &Dist) -> f64 {
        let pinned =
            |list: &Vec<(String, f64)>| list.iter().find(|(p, _)| p == path).map(|(_, q)| *q);
        let jitter = || open_unit(&mut parameter_rng(self.seed, self.replication, path));
        let u = match self.mode {
            SampleMode::Random => None,
            SampleMode::Quantile(q) => Some(*q),
            SampleMode::QuantileExcept { base, pinned: list } => {
                Some(pinned(list).unwrap_or(*base))
            }
            SampleMode::LatinHypercube(plan) => plan
                .perms
                .iter()
                .find(|(p, _)| p == path)
                .and_then(|(_, perm)| perm.get(self.replication as usize))
                .map(|stratum| (*stratum as f64 + jitter()) / plan.n as f64),
            SampleMode::Correlated(_) => self
                .correlated
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, u)| *u),
        }
        .unwrap_or_else(jitter);
        dist.quantile(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;

    #[test]
    fn latin_hypercube_puts_one_draw_in_each_stratum() {
        let n = 50;
        let plan = std::sync::Arc::new(LhsPlan::new(9, n, &["a".to_string(), "b".to_string()]));
        let p = Dist::Uniform(0.0, 1.0);
        for path in ["a", "b"] {
            let mut strata: Vec<u64> = (0..n)
                .map(|r| {
                    let mode = SampleMode::LatinHypercube(plan.clone());
                    let s = Sampler::new(9, r, &mode);
                    (s.draw(path, &p) * n as f64).floor() as u64
                })
                .collect();
            strata.sort();
            assert_eq!(
                strata,
                (0..n).collect::<Vec<_>>(),
                "{path}: every stratum exactly once"
            );
        }
    }
}
