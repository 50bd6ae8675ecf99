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

    use crate::correlation::{BLOCK, Correlations, spearman};
    use crate::plan::Input;
    use crate::scenario::Correlation;

    const PATHS: [&str; 4] = ["demand.growth", "pricing.h100", "site.pue", "free"];

    fn inputs() -> Vec<Input> {
        PATHS
            .iter()
            .map(|p| Input {
                path: p.to_string(),
                dist: Dist::Uniform(0.0, 1.0),
                bounds: (0.0, 1.0),
                whole: None,
            })
            .collect()
    }

    /// Demand growth and price move together, PUE against both (within what is consistent).
    fn correlations() -> Correlations {
        let c = |a: &str, b: &str, rank| Correlation {
            a: a.into(),
            b: b.into(),
            rank,
        };
        let list = [
            c("demand.growth", "pricing.h100", 0.6),
            c("pricing.h100", "site.pue", -0.3),
            c("demand.growth", "site.pue", 0.2),
        ];
        Correlations::new(&list, &inputs()).unwrap()
    }

    /// Values of every input for replications `reps` under `mode`, one column per input.
    fn sample(mode: &SampleMode, reps: std::ops::Range<u64>) -> Vec<Vec<f64>> {
        let dist = Dist::LogNormal(10.0, 20.0);
        let rows: Vec<Vec<f64>> = reps
            .map(|r| {
                let s = Sampler::new(4, r, mode);
                PATHS.iter().map(|p| s.draw(p, &dist)).collect()
            })
            .collect();
        (0..PATHS.len())
            .map(|j| rows.iter().map(|row| row[j]).collect())
            .collect()
    }

    fn assert_rank_correlations(cols: &[Vec<f64>], what: &str) {
        let n = cols[0].len();
        // Standard error of Spearman's rho of independent samples, an upper bound for the
        // others; 4 of them.
        let tol = 4.0 / ((n - 1) as f64).sqrt();
        for (i, j, target) in [
            (0, 1, 0.6),
            (1, 2, -0.3),
            (0, 2, 0.2),
            (0, 3, 0.0),
            (1, 3, 0.0),
        ] {
            let rho = spearman(&cols[i], &cols[j]).unwrap();
            assert!(
                (rho - target).abs() < tol,
                "{what}: {}-{}: rank correlation {rho:.4}, asked {target} (tolerance {tol:.4})",
                PATHS[i],
                PATHS[j]
            );
        }
    }

    #[test]
    fn correlated_draws_have_the_asked_rank_correlations_and_the_same_values() {
        let n = 8 * BLOCK;
        let mode = SampleMode::Correlated(Arc::new(correlations()));
        let cols = sample(&mode, 0..n);
        assert_rank_correlations(&cols, "random");
        // Without the rearrangement the inputs are independent: the test can tell them apart.
        let independent = sample(&SampleMode::Random, 0..n);
        let rho = spearman(&independent[0], &independent[1]).unwrap();
        assert!(rho.abs() < 4.0 / ((n - 1) as f64).sqrt(), "{rho}");
        // Each block holds exactly the values independent draws give, only reordered; the input
        // that no correlation names is drawn exactly as before.
        for b in 0..n / BLOCK {
            let block = (b * BLOCK) as usize..((b + 1) * BLOCK) as usize;
            for j in 0..PATHS.len() {
                let sorted = |c: &[f64]| {
                    let mut v: Vec<u64> = c.iter().map(|x| x.to_bits()).collect();
                    v.sort();
                    v
                };
                assert_eq!(
                    sorted(&cols[j][block.clone()]),
                    sorted(&independent[j][block.clone()]),
                    "block {b}, {}",
                    PATHS[j]
                );
            }
            assert_eq!(cols[3][block.clone()], independent[3][block]);
        }
    }

    #[test]
    fn a_replication_draws_the_same_values_whatever_else_runs() {
        let mode = SampleMode::Correlated(Arc::new(correlations()));
        let all = sample(&mode, 0..3 * BLOCK);
        // A shard, an adaptive stop or a worker that starts at any index sees the same values
        // (with a sampling plan of its own, so nothing computed for the whole run is reused).
        for (lo, hi) in [
            (5, 9),
            (BLOCK - 1, BLOCK + 3),
            (2 * BLOCK + 100, 2 * BLOCK + 101),
        ] {
            let fresh = SampleMode::Correlated(Arc::new(correlations()));
            let part = sample(&fresh, lo..hi);
            for j in 0..PATHS.len() {
                assert_eq!(part[j], all[j][lo as usize..hi as usize], "{lo}..{hi}");
            }
        }
        // Another seed, other values.
        let other = Sampler::new(5, 7, &mode).draw(PATHS[0], &Dist::Uniform(0.0, 1.0));
        let this = Sampler::new(4, 7, &mode).draw(PATHS[0], &Dist::Uniform(0.0, 1.0));
        assert_ne!(other, this);
    }

    #[test]
    fn a_correlated_latin_hypercube_keeps_one_draw_per_stratum() {
        let n = 1000;
        let paths: Vec<String> = PATHS.iter().map(|p| p.to_string()).collect();
        let plan = LhsPlan::correlated(4, n, &paths, &correlations());
        for (path, perm) in &plan.perms {
            let mut sorted = perm.clone();
            sorted.sort();
            assert_eq!(sorted, (0..n as u32).collect::<Vec<_>>(), "{path}");
        }
        // The input no correlation names keeps its independent design.
        assert_eq!(plan.perms[3], LhsPlan::new(4, n, &paths).perms[3]);
        let cols = sample(&SampleMode::LatinHypercube(Arc::new(plan)), 0..n);
        assert_rank_correlations(&cols, "latin hypercube");
        // Too few replications to carry three correlated inputs: the plain design.
        assert_eq!(
            LhsPlan::correlated(4, 3, &paths, &correlations()),
            LhsPlan::new(4, 3, &paths)
        );
    }
}
