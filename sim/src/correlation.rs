//! Rank correlations between uncertain inputs, imposed with the Iman-Conover method.
//!
//! A scenario's `correlations` list gives Spearman rank correlations between pairs of uncertain
//! inputs (by field path). Drawing every input independently and then only *rearranging* which
//! replication gets which value leaves each input's marginal distribution exactly as it was:
//! Iman & Conover (1982) pick the rearrangement so that the ranks follow van der Waerden scores
//! `Phi^-1(i/(n+1))` correlated by the Cholesky factor of the target matrix, after removing the
//! chance correlation of the randomly permuted scores themselves (the Cholesky factor of their
//! sample correlation). The rank correlation of the sample then matches the target up to
//! sampling noise of order `1/sqrt(n)`.
//!
//! Iman-Conover needs a whole sample at once. With independent draws ([`SampleMode::Random`]
//! otherwise), replications are taken in fixed blocks of [`BLOCK`] indices (block `b` covers
//! `BLOCK*b .. BLOCK*(b+1)`, whatever the run's length): the values of replication `k` depend only
//! on the master seed and the replication indices of its block, so any shard split, thread count or
//! adaptive stopping point gives the same draws. A Latin hypercube design is known for the whole run
//! in advance, so its strata are rearranged over all its replications at once
//! ([`crate::params::LhsPlan::correlated`]).
//!
//! Modes that draw nothing at random apply no correlations: sensitivity runs (every input at its
//! median, one at a time at its P10 or P90) and the other pinned-quantile modes of
//! [`crate::params::SampleMode`].
//!
//! [`SampleMode::Random`]: crate::params::SampleMode::Random

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rand::Rng;

use crate::dist::{normal_quantile, open_unit};
use crate::plan::Input;
use crate::problems::{Problem, Severity};
use crate::rng::{SimRng, parameter_rng};
use crate::scenario::{Correlation, LoadedScenario};

/// Replications per Iman-Conover block when inputs are drawn independently.
pub const BLOCK: u64 = 256;

/// Tolerance of the positive semi-definiteness test: pivots and residuals this close to zero
/// count as zero (so a correlation of exactly 1 or -1 between two inputs is accepted).
const PSD_TOL: f64 = 1e-9;

/// A target rank-correlation matrix over uncertain inputs named by field path, ready to impose.
#[derive(Clone, Debug, PartialEq)]
pub struct Correlations {
    /// The correlated inputs, in order of first mention in the scenario's list.
    pub paths: Vec<String>,
    /// `(i, j, rank)` of each pair imposed (indices into `paths`).
    pub pairs: Vec<(usize, usize, f64)>,
    /// Lower-triangular factor `L` (row-major, `p*p`) with `L L^T` the target matrix.
    factor: Vec<f64>,
    /// Quantile positions of the blocks computed so far.
    cache: BlockCache,
}

/// The quantile positions of the correlated inputs in each block computed so far, keyed by
/// `(master seed, block)`: `positions[j][k]` for input `j` and the block's `k`-th replication.
/// Workers fill it as they reach a block; the values are a function of the key alone, so which
/// worker computes a block first does not matter.
#[derive(Default)]
struct BlockCache(Mutex<HashMap<(u64, u64), Positions>>);

/// `positions[j][k]`: the quantile position of input `j` for the `k`-th replication of a block.
type Positions = Arc<Vec<Vec<f64>>>;

impl Clone for BlockCache {
    fn clone(&self) -> Self {
        BlockCache::default()
    }
}

impl PartialEq for BlockCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for BlockCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlockCache")
    }
}

impl Correlations {
    /// The correlations of `list` among `inputs` (a plan's uncertain inputs), or `None` when there
    /// are none to impose. A pair naming a path that is not an input (an input a sweep variant or
    /// search candidate fixes) is left out with every other pair of that path, so the matrix
    /// imposed stays a principal block of a valid one; `None` as well if it is not positive
    /// semi-definite (validation refuses such scenarios).
    pub fn new(list: &[Correlation], inputs: &[Input]) -> Option<Correlations> {
        let is_input = |path: &str| inputs.iter().any(|i| i.path == path);
        let mut paths: Vec<String> = Vec::new();
        let index = |path: &str, paths: &mut Vec<String>| match paths.iter().position(|p| p == path)
        {
            Some(i) => i,
            None => {
                paths.push(path.to_string());
                paths.len() - 1
            }
        };
        let mut pairs = Vec::new();
        for c in list {
            if is_input(&c.a) && is_input(&c.b) && c.a != c.b {
                let i = index(&c.a, &mut paths);
                let j = index(&c.b, &mut paths);
                pairs.push((i, j, c.rank));
            }
        }
        if pairs.is_empty() {
            return None;
        }
        let matrix = matrix_of(paths.len(), &pairs);
        let factor = cholesky_psd(&matrix, paths.len()).ok()?;
        Some(Correlations {
            paths,
            pairs,
            factor,
            cache: BlockCache::default(),
        })
    }

    /// Number of correlated inputs.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether no input is correlated (never true of a value [`Correlations::new`] returns).
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The rank each of `n` sample members should take, per correlated input: `ranks[j][k]` is
    /// the rank (0 = smallest) within the sample of the value that member `k` gets for input
    /// `paths[j]`. `rngs[j]` shuffles input `j`'s scores. `None` when the sample is too small to
    /// carry the correlations (`n` not above the number of inputs), in which case the inputs stay
    /// independent.
    pub(crate) fn ranks(&self, n: usize, rngs: &mut [SimRng]) -> Option<Vec<Vec<u32>>> {
        let p = self.len();
        if n <= p || n < 3 {
            return None;
        }
        let scores: Vec<f64> = (0..n)
            .map(|i| normal_quantile((i + 1) as f64 / (n + 1) as f64))
            .collect();
        // Column j of the score matrix: a random permutation of the scores.
        let columns: Vec<Vec<f64>> = rngs
            .iter_mut()
            .map(|rng| {
                let mut col = scores.clone();
                for i in (1..n).rev() {
                    let k = (rng.next_u64() % (i as u64 + 1)) as usize;
                    col.swap(i, k);
                }
                col
            })
            .collect();
        let own = cholesky_psd(&sample_correlation(&columns), p).ok()?;
        if (0..p).any(|i| own[i * p + i] <= PSD_TOL) {
            return None;
        }
        // Target scores, row by row: t = L F^-1 s, with F the factor of the scores' own
        // correlation and L that of the target.
        let mut target = vec![vec![0.0; n]; p];
        let mut y = vec![0.0; p];
        for k in 0..n {
            for i in 0..p {
                let mut v = columns[i][k];
                for t in 0..i {
                    v -= own[i * p + t] * y[t];
                }
                y[i] = v / own[i * p + i];
            }
            for (i, col) in target.iter_mut().enumerate() {
                col[k] = (0..=i).map(|t| self.factor[i * p + t] * y[t]).sum();
            }
        }
        Some(target.iter().map(|col| ranks_of(col)).collect())
    }

    /// The quantile positions of the correlated inputs for replication `replication` under master
    /// seed `seed` with independent draws: `(path, u)` per input, each `u` one of the positions its
    /// own stream draws for the replications of the block, moved to the replication that the
    /// Iman-Conover ranks give it.
    pub(crate) fn block_positions(&self, seed: u64, replication: u64) -> Vec<(String, f64)> {
        let block = replication / BLOCK;
        let k = (replication % BLOCK) as usize;
        let cached = self.lock().get(&(seed, block)).cloned();
        let positions = cached.unwrap_or_else(|| {
            let computed = Arc::new(self.compute_block(seed, block));
            self.lock().insert((seed, block), computed.clone());
            computed
        });
        self.paths
            .iter()
            .zip(positions.iter())
            .map(|(path, u)| (path.clone(), u[k]))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(u64, u64), Positions>> {
        // The map only ever holds finished blocks, so one left by a panicking worker is sound.
        self.cache.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `positions[j][k]`: the quantile position of input `j` for replication `BLOCK*block + k`.
    fn compute_block(&self, seed: u64, block: u64) -> Vec<Vec<f64>> {
        let start = block * BLOCK;
        let own = |path: &str| -> Vec<f64> {
            (start..start + BLOCK)
                .map(|r| open_unit(&mut parameter_rng(seed, r, path)))
                .collect()
        };
        let Some(ranks) = self.ranks(BLOCK as usize, &mut self.score_rngs(seed, block)) else {
            return self.paths.iter().map(|path| own(path)).collect();
        };
        self.paths
            .iter()
            .zip(&ranks)
            .map(|(path, rank)| {
                let mut u = own(path);
                u.sort_by(f64::total_cmp);
                rank.iter().map(|&r| u[r as usize]).collect()
            })
            .collect()
    }

    /// The generators that shuffle each input's scores in block `block` (a whole Latin hypercube
    /// design is block 0), keyed away from every replication's own streams.
    pub(crate) fn score_rngs(&self, seed: u64, block: u64) -> Vec<SimRng> {
        self.paths
            .iter()
            .map(|path| parameter_rng(seed, u64::MAX - 1 - block, path))
            .collect()
    }
}

/// Problems with the field paths of a loaded scenario's `correlations`, and of every variant its
/// sweep makes: each must name an uncertain input drawn once per replication (a field written as a
/// distribution, under the path the results' drawn inputs use; not a per-request or per-repair
/// draw). The list's own consistency is checked with the scenario ([`crate::scenario::validate()`]).
pub fn check(loaded: &LoadedScenario) -> Vec<Problem> {
    if loaded.scenario.correlations.is_empty() {
        return Vec::new();
    }
    let mut out = check_paths(loaded, None);
    if loaded.scenario.sweep.is_some()
        && let Ok(variants) = crate::sweep::expand(loaded)
    {
        for v in &variants {
            for problem in check_paths(&v.loaded, Some(&v.name)) {
                if !out.iter().any(|q| q.path == problem.path) {
                    out.push(problem);
                }
            }
        }
    }
    out
}

fn check_paths(loaded: &LoadedScenario, variant: Option<&str>) -> Vec<Problem> {
    let plan = crate::plan::Plan::new(loaded);
    let inputs = plan.inputs();
    let mut out = Vec::new();
    for (i, c) in loaded.scenario.correlations.iter().enumerate() {
        for (f, path) in [("a", &c.a), ("b", &c.b)] {
            if inputs.iter().any(|input| &input.path == path) {
                continue;
            }
            let why = if plan.process_distributions().contains(path) {
                "is drawn afresh for every request, failure or repair, not once per replication"
                    .to_string()
            } else {
                let mut names: Vec<&str> = inputs.iter().map(|i| i.path.as_str()).collect();
                names.truncate(12);
                let list = if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                };
                format!(
                    "is not an uncertain input (a field written as a distribution); the \
                     scenario's uncertain inputs: {list}{}",
                    if inputs.len() > 12 { ", ..." } else { "" }
                )
            };
            let within = variant.map_or(String::new(), |v| format!(" in variant `{v}`"));
            out.push(Problem {
                path: format!("correlations[{i}].{f}"),
                message: format!("`{path}` {why}{within}"),
                severity: Severity::Error,
            });
        }
    }
    out
}

/// The symmetric `p*p` matrix (row-major) with 1 on the diagonal and `rank` at each pair.
fn matrix_of(p: usize, pairs: &[(usize, usize, f64)]) -> Vec<f64> {
    let mut m = vec![0.0; p * p];
    for i in 0..p {
        m[i * p + i] = 1.0;
    }
    for &(i, j, r) in pairs {
        m[i * p + j] = r;
        m[j * p + i] = r;
    }
    m
}

/// Cholesky factor `L` (lower, row-major) of a positive semi-definite `p*p` matrix, computed row
/// by row; zero pivots are allowed when the rest of their column is zero too. `Err(k)` when the
/// leading `(k+1)*(k+1)` block is not positive semi-definite although the leading `k*k` block is.
fn cholesky_psd(m: &[f64], p: usize) -> Result<Vec<f64>, usize> {
    let mut l = vec![0.0; p * p];
    for k in 0..p {
        for j in 0..k {
            let r = m[k * p + j] - (0..j).map(|t| l[k * p + t] * l[j * p + t]).sum::<f64>();
            let d = l[j * p + j];
            if d > PSD_TOL {
                l[k * p + j] = r / d;
            } else if r.abs() > PSD_TOL.sqrt() {
                return Err(k);
            }
        }
        let d = m[k * p + k] - (0..k).map(|t| l[k * p + t] * l[k * p + t]).sum::<f64>();
        if d.is_nan() || d < -PSD_TOL {
            return Err(k);
        }
        l[k * p + k] = d.max(0.0).sqrt();
    }
    Ok(l)
}

/// Why a list of correlations is not a valid correlation matrix: the pair `(j, k)` (indices in
/// order of first mention) whose inclusion first makes the matrix not positive semi-definite —
/// the inputs before `k` are consistent, and adding `k`'s correlations one at a time, the one with
/// `j` breaks it. `None` if the matrix is positive semi-definite.
pub(crate) fn breaking_pair(p: usize, pairs: &[(usize, usize, f64)]) -> Option<(usize, usize)> {
    let k = cholesky_psd(&matrix_of(p, pairs), p).err()?;
    let within = |i: usize, j: usize, upto: usize| {
        let (lo, hi) = (i.min(j), i.max(j));
        hi < k || (hi == k && lo < upto)
    };
    for j in 0..k {
        let kept: Vec<(usize, usize, f64)> = pairs
            .iter()
            .copied()
            .filter(|&(a, b, _)| within(a, b, j + 1))
            .collect();
        if cholesky_psd(&matrix_of(k + 1, &kept), k + 1).is_err() {
            return Some((j, k));
        }
    }
    Some((k.saturating_sub(1), k))
}

/// Pearson correlation matrix (row-major `p*p`) of equally long columns.
fn sample_correlation(columns: &[Vec<f64>]) -> Vec<f64> {
    let p = columns.len();
    let centred: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| {
            let mean = c.iter().sum::<f64>() / c.len() as f64;
            c.iter().map(|x| x - mean).collect()
        })
        .collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let mut m = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let r = dot(&centred[i], &centred[j])
                / (dot(&centred[i], &centred[i]) * dot(&centred[j], &centred[j])).sqrt();
            m[i * p + j] = r;
            m[j * p + i] = r;
        }
    }
    m
}

/// The rank (0 = smallest) of each value; ties broken by position.
fn ranks_of(values: &[f64]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    let mut rank = vec![0u32; values.len()];
    for (r, &k) in order.iter().enumerate() {
        rank[k] = r as u32;
    }
    rank
}

/// Spearman's rank correlation of two equally long samples (ties broken by position), or `None`
/// with fewer than three values or a constant sample.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 3 {
        return None;
    }
    let to_f64 = |r: Vec<u32>| r.into_iter().map(f64::from).collect::<Vec<_>>();
    let m = sample_correlation(&[to_f64(ranks_of(a)), to_f64(ranks_of(b))]);
    let distinct = |x: &[f64]| x.iter().any(|v| *v != x[0]);
    (distinct(a) && distinct(b) && m[1].is_finite()).then_some(m[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;

    fn input(path: &str) -> Input {
        Input {
            path: path.into(),
            dist: Dist::Uniform(0.0, 1.0),
            bounds: (0.0, 1.0),
            whole: None,
        }
    }

    fn corr(a: &str, b: &str, rank: f64) -> Correlation {
        Correlation {
            a: a.into(),
            b: b.into(),
            rank,
        }
    }

    #[test]
    fn cholesky_accepts_a_perfect_correlation_and_names_the_block_that_breaks() {
        assert!(cholesky_psd(&matrix_of(2, &[(0, 1, 1.0)]), 2).is_ok());
        assert!(cholesky_psd(&matrix_of(2, &[(0, 1, -1.0)]), 2).is_ok());
        // a = b = c is consistent; a = b, b = c, a = -c is not.
        let same = [(0, 1, 1.0), (1, 2, 1.0), (0, 2, 1.0)];
        assert!(cholesky_psd(&matrix_of(3, &same), 3).is_ok());
        let broken = [(0, 1, 1.0), (1, 2, 1.0), (0, 2, -1.0)];
        assert_eq!(cholesky_psd(&matrix_of(3, &broken), 3), Err(2));
        let broken = [(0, 1, 0.9), (1, 2, 0.9), (0, 2, -0.9)];
        assert_eq!(cholesky_psd(&matrix_of(3, &broken), 3), Err(2));
        // a and b alike, b and c alike: a and c opposite is impossible already without b-c.
        assert_eq!(breaking_pair(3, &broken), Some((0, 2)));
        assert_eq!(breaking_pair(3, &[(0, 1, 0.9), (1, 2, 0.3)]), None);
        // a-c left at 0: a-b 0.9 with b-c 0.5 is already impossible.
        assert_eq!(breaking_pair(3, &[(0, 1, 0.9), (1, 2, 0.5)]), Some((1, 2)));
        // a and b independent, both like c: fine with a-c alone, broken once b-c is added.
        let chain = [(0, 1, 0.0), (0, 2, 0.8), (1, 2, 0.8)];
        assert_eq!(breaking_pair(3, &chain), Some((1, 2)));
    }

    #[test]
    fn ranks_are_permutations_whose_rank_correlation_follows_the_target() {
        let list = [corr("a", "b", 0.7), corr("b", "c", -0.4)];
        let c = Correlations::new(&list, &[input("a"), input("b"), input("c")]).unwrap();
        assert_eq!(c.paths, ["a", "b", "c"]);
        let n = 2000;
        let ranks = c.ranks(n, &mut c.score_rngs(3, 0)).unwrap();
        let cols: Vec<Vec<f64>> = ranks
            .iter()
            .map(|r| {
                let mut sorted = r.clone();
                sorted.sort();
                assert_eq!(sorted, (0..n as u32).collect::<Vec<_>>());
                r.iter().map(|&x| x as f64).collect()
            })
            .collect();
        let se = 1.0 / ((n - 1) as f64).sqrt();
        for (i, j, target) in [(0, 1, 0.7), (1, 2, -0.4), (0, 2, 0.0)] {
            let rho = spearman(&cols[i], &cols[j]).unwrap();
            assert!(
                (rho - target).abs() < 4.0 * se,
                "{i}-{j}: {rho} vs {target}"
            );
        }
        // Too small a sample to carry three correlated inputs: left independent.
        assert!(c.ranks(3, &mut c.score_rngs(3, 0)).is_none());
    }

    #[test]
    fn inputs_a_variant_fixes_are_left_out_with_all_their_pairs() {
        let list = [
            corr("a", "b", 0.9),
            corr("b", "c", 0.9),
            corr("a", "c", -0.9),
        ];
        // Without `b` the remaining pair a-c is a valid matrix on its own.
        let c = Correlations::new(&list, &[input("a"), input("c")]).unwrap();
        assert_eq!(c.paths, ["a", "c"]);
        assert_eq!(c.pairs, [(0, 1, -0.9)]);
        assert!(Correlations::new(&list, &[input("a")]).is_none());
        assert!(Correlations::new(&list, &[input("a"), input("b"), input("c")]).is_none());
    }

    #[test]
    fn spearman_of_monotone_samples() {
        let a = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(spearman(&a, &[10.0, 20.0, 30.0, 40.0]), Some(1.0));
        assert_eq!(spearman(&a, &[4.0, 3.0, 2.0, 1.0]), Some(-1.0));
        assert_eq!(spearman(&a, &[1.0, 1.0, 1.0, 1.0]), None);
        assert_eq!(spearman(&a[..2], &a[..2]), None);
    }
}
