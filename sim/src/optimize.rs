//! Search over decision variables (`dcplan optimize`).
//!
//! The method is a grid refined around the best point: a first pass evaluates every point of a
//! grid of `points` values per variable over `[min, max]`; each refinement round then evaluates
//! the 3^k grid centred on the best point so far with half the previous step, within bounds.
//! Candidates are compared on P50 NPV among those meeting the risk constraint (when none meets
//! it yet, the search refines around the candidate closest to meeting it). Every candidate runs
//! the same replication indices under the same master seed (common random numbers), so the
//! ranking of two candidates reflects the decision, not sampling noise. A candidate is evaluated
//! once, however many rounds propose it.

use crate::scenario::{LoadedScenario, Optimize, Problem, Severity};
use crate::sweep;

/// How a candidate scored.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// The objective (P50 NPV, USD); larger is better.
    pub objective: f64,
    /// Estimated probability that the constraint's event happens (e.g. payback within N months,
    /// a replication that never pays back counting as not within); 1 when the search has no
    /// constraint.
    pub probability: f64,
    /// Whether the candidate meets the constraint.
    pub feasible: bool,
}

/// One evaluated candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct Explored {
    /// Value of each decision variable.
    pub values: Vec<f64>,
    /// Search round that first proposed it (0 = the first grid).
    pub round: u32,
    /// Its score.
    pub score: Score,
}

fn round_to(x: f64, multiple: f64) -> f64 {
    if multiple > 0.0 {
        (x / multiple).round() * multiple
    } else {
        x
    }
}

/// Clamp to `[min, max]`, rounding to the variable's multiple while staying in range (without a
/// multiple, to a millionth of the range, so that values print short: 1.1625, not 1.1624999999999999).
fn snap(v: &crate::scenario::DecisionVariable, x: f64) -> f64 {
    let fine = 10f64.powf(((v.max - v.min).abs().max(1e-12)).log10().floor() - 6.0);
    let x = round_to(
        x.clamp(v.min, v.max),
        if v.multiple_of > 0.0 {
            v.multiple_of
        } else {
            fine
        },
    );
    let x = if v.multiple_of > 0.0 {
        x
    } else {
        format!("{x:.12}").parse().unwrap_or(x)
    };
    if x < v.min - 1e-9 {
        x + v.multiple_of
    } else if x > v.max + 1e-9 {
        x - v.multiple_of
    } else {
        x
    }
}

/// Value text for a number: integers without a decimal point (so integer fields accept them).
pub fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// The `(path, value)` settings of a candidate.
pub fn settings(opt: &Optimize, values: &[f64]) -> Vec<(String, String)> {
    opt.variables
        .iter()
        .zip(values)
        .map(|(v, x)| (v.path.clone(), number_text(*x)))
        .collect()
}

/// A short name for a variable: its last field, with the one before it when another variable
/// ends in the same field (`fleet[0].gpus`, `anchors[0].gpus`), and with the field a position
/// belongs to (`policy.0`).
pub fn short_path(opt: &Optimize, path: &str) -> String {
    let tail = |p: &str, k: usize| {
        let parts: Vec<&str> = p.split('.').collect();
        parts[parts.len().saturating_sub(k)..].join(".")
    };
    let last = |p: &str| {
        p.rsplit('.')
            .next()
            .unwrap_or(p)
            .split('[')
            .next()
            .unwrap_or("")
            .to_string()
    };
    let positional = path
        .rsplit('.')
        .next()
        .is_some_and(|l| l.parse::<usize>().is_ok());
    let clash = opt
        .variables
        .iter()
        .filter(|v| last(&v.path) == last(path))
        .count()
        > 1;
    if positional || clash {
        tail(path, 2)
    } else {
        last(path)
    }
}

/// A short name for a candidate, e.g. `gpus=4096, policy.0=1.1`.
pub fn name(opt: &Optimize, values: &[f64]) -> String {
    opt.variables
        .iter()
        .zip(values)
        .map(|(v, x)| format!("{}={}", short_path(opt, &v.path), number_text(*x)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn cartesian(axes: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::new()];
    for axis in axes {
        out = out
            .iter()
            .flat_map(|prefix| {
                axis.iter()
                    .map(move |x| [prefix.as_slice(), &[*x]].concat())
            })
            .collect();
    }
    out
}

fn dedup(mut xs: Vec<f64>) -> Vec<f64> {
    xs.sort_by(f64::total_cmp);
    xs.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    xs
}

/// The first grid.
pub fn first_grid(opt: &Optimize) -> Vec<Vec<f64>> {
    let axes: Vec<Vec<f64>> = opt.variables.iter().map(first_axis).collect();
    cartesian(&axes)
}

/// A variable's values in the first grid: `points` from `min` to `max`, snapped.
fn first_axis(v: &crate::scenario::DecisionVariable) -> Vec<f64> {
    let k = v.points.max(2);
    dedup(
        (0..k)
            .map(|i| snap(v, v.min + (v.max - v.min) * i as f64 / (k - 1) as f64))
            .collect(),
    )
}

/// The grid of refinement round `round` (1, 2, ...) around `centre`.
pub fn refined_grid(opt: &Optimize, centre: &[f64], round: u32) -> Vec<Vec<f64>> {
    let axes: Vec<Vec<f64>> = opt
        .variables
        .iter()
        .zip(centre)
        .map(|(v, &c)| {
            let first_step = (v.max - v.min) / (v.points.max(2) - 1) as f64;
            let step = (first_step / 2f64.powi(round as i32)).max(v.multiple_of);
            dedup(vec![snap(v, c - step), snap(v, c), snap(v, c + step)])
        })
        .collect();
    cartesian(&axes)
}

/// The best candidate: the feasible one with the largest objective; when none is feasible, the
/// one closest to meeting the constraint (largest probability, then objective).
pub fn best(explored: &[Explored]) -> Option<&Explored> {
    let key = |e: &&Explored| {
        (
            e.score.feasible,
            if e.score.feasible {
                0.0
            } else {
                e.score.probability
            },
            e.score.objective,
        )
    };
    explored.iter().max_by(|a, b| {
        let (fa, pa, oa) = key(a);
        let (fb, pb, ob) = key(b);
        fa.cmp(&fb).then(pa.total_cmp(&pb)).then(oa.total_cmp(&ob))
    })
}

/// Run the search, calling `evaluate` once per distinct candidate; returns every candidate in
/// the order evaluated. `on_round` is told each round's number of new candidates before they run.
pub fn search<E>(
    opt: &Optimize,
    mut evaluate: impl FnMut(&[f64]) -> Result<Score, E>,
    mut on_round: impl FnMut(u32, usize),
) -> Result<Vec<Explored>, E> {
    let mut explored: Vec<Explored> = Vec::new();
    let mut round_points = first_grid(opt);
    for round in 0..=opt.refinements {
        if round > 0 {
            let Some(centre) = best(&explored).map(|e| e.values.clone()) else {
                break;
            };
            round_points = refined_grid(opt, &centre, round);
        }
        let new: Vec<Vec<f64>> = round_points
            .into_iter()
            .filter(|p| {
                !explored
                    .iter()
                    .any(|e| e.values.iter().zip(p).all(|(a, b)| (a - b).abs() < 1e-9))
            })
            .collect();
        on_round(round, new.len());
        for values in new {
            let score = evaluate(&values)?;
            explored.push(Explored {
                values,
                round,
                score,
            });
        }
        round_points = Vec::new();
    }
    Ok(explored)
}

/// Why the search's payback constraint cannot be judged, if it lies past the scenario's horizon
/// (and no decision variable sets the horizon).
pub fn constraint_past_horizon(scenario: &crate::scenario::Scenario) -> Option<String> {
    let opt = scenario.optimize.as_ref()?;
    let months = opt.constraint.as_ref()?.payback_months;
    let horizon = scenario.simulation.horizon_months;
    let horizon_varies = opt
        .variables
        .iter()
        .any(|v| v.path == "simulation.horizon_months");
    (months.is_finite() && months > horizon as f64 && !horizon_varies).then(|| {
        format!(
            "{} months is past the {horizon}-month horizon, so no candidate's chance of payback within it can be known; shorten it or lengthen simulation.horizon_months",
            number_text(months)
        )
    })
}

/// Problems of a scenario's `optimize` section: bounds, grid sizes, the constraint, and whether
/// each variable's path takes every value of its first grid.
pub fn check(loaded: &LoadedScenario) -> Vec<Problem> {
    match &loaded.scenario.optimize {
        Some(opt) => check_section(opt, &loaded.scenario, Some(loaded)),
        None => Vec::new(),
    }
}

/// The problems of an `optimize` section that need no valid scenario (all but whether each
/// variable's path takes its bounds): loading reports them with the base scenario's own
/// problems, so that every problem comes at once.
pub(crate) fn section(opt: &Optimize, scenario: &crate::scenario::Scenario) -> Vec<Problem> {
    check_section(opt, scenario, None)
}

/// [`check`], with the check of each variable's bounds on a valid scenario (`loaded`) only.
fn check_section(
    opt: &Optimize,
    scenario: &crate::scenario::Scenario,
    loaded: Option<&LoadedScenario>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut err = |path: String, message: String| {
        problems.push(Problem {
            path,
            message,
            severity: Severity::Error,
        })
    };
    if opt.variables.is_empty() {
        err(
            "optimize.variables".into(),
            "needs at least one decision variable".into(),
        );
    }
    let mut grid = 1u64;
    let settable = loaded.and_then(|l| crate::plan::Settable::new(&l.scenario, &l.source_text));
    for (i, v) in opt.variables.iter().enumerate() {
        let at = format!("optimize.variables[{i}]");
        if !(v.min.is_finite() && v.max.is_finite() && v.min < v.max) {
            err(
                format!("{at}.max"),
                format!(
                    "the range must have min < max (min {}, max {})",
                    v.min, v.max
                ),
            );
        }
        if v.points < 2 || v.points > 50 {
            err(
                format!("{at}.points"),
                format!("{} grid points; use 2 to 50", v.points),
            );
        }
        if !(v.multiple_of >= 0.0 && v.multiple_of.is_finite()) {
            err(
                format!("{at}.multiple_of"),
                "must be 0 or a positive number".into(),
            );
        } else if v.multiple_of > 0.0 && v.min < v.max && round_to(v.max, v.multiple_of) < v.min {
            err(
                format!("{at}.multiple_of"),
                format!(
                    "no multiple of {} lies between {} and {}",
                    v.multiple_of, v.min, v.max
                ),
            );
        }
        if let Some(why) = sweep::run_level(&v.path) {
            err(format!("{at}.path"), why);
        }
        if opt.variables[..i].iter().any(|o| o.path == v.path) {
            err(
                format!("{at}.path"),
                format!("`{}` is already a decision variable", v.path),
            );
        }
        grid = grid.saturating_mul(v.points.max(1) as u64);
        if let Some(loaded) = loaded
            && v.min < v.max
            && v.min.is_finite()
            && v.max.is_finite()
            && (2..=50).contains(&v.points)
        {
            // Every value of the first grid, known before anything runs (one at a time, the
            // other variables as the scenario has them).
            for x in first_axis(v) {
                let name = format!("{}={}", v.path, number_text(x));
                if let Err(e) = sweep::apply_with(
                    loaded,
                    settable.as_ref(),
                    &[(v.path.clone(), number_text(x))],
                    &name,
                    &|_| format!("set by dcplan optimize: grid check {name}"),
                ) {
                    let message = match e {
                        crate::scenario::ScenarioError::Invalid { problems, .. } => problems
                            .iter()
                            .map(|p| p.message.clone())
                            .collect::<Vec<_>>()
                            .join("; "),
                        other => other.to_string(),
                    };
                    let hint = if v.multiple_of > 0.0 {
                        ""
                    } else {
                        " (refinement rounds try values between the grid's too: `multiple_of` keeps every value a multiple of a step, e.g. the GPUs of a node)"
                    };
                    err(
                        format!("{at}.path"),
                        format!(
                            "`{}` = {} (a point of the first grid): {message}{hint}",
                            v.path,
                            number_text(x)
                        ),
                    );
                    break;
                }
            }
        }
    }
    if grid > 2000 {
        err(
            "optimize.variables".into(),
            format!("the first grid has {grid} candidates; at most 2000"),
        );
    }
    if opt.replications < 2 {
        err(
            "optimize.replications".into(),
            "needs at least 2 replications per candidate".into(),
        );
    }
    if opt.refinements > 10 {
        err(
            "optimize.refinements".into(),
            format!("{} rounds; at most 10", opt.refinements),
        );
    }
    if let Some(c) = &opt.constraint {
        if !(c.probability > 0.0 && c.probability <= 1.0) {
            err(
                "optimize.constraint.probability".into(),
                format!("{} is not a probability in (0, 1]", c.probability),
            );
        }
        if !(c.payback_months > 0.0 && c.payback_months.is_finite()) {
            err(
                "optimize.constraint.payback_months".into(),
                "must be a positive number of months".into(),
            );
        } else if let Some(message) = constraint_past_horizon(scenario) {
            // A warning, as the section matters only to `dcplan optimize`, which refuses it: a
            // run of the scenario with a shorter horizon is fine.
            problems.push(Problem {
                path: "optimize.constraint.payback_months".into(),
                message,
                severity: Severity::Warning,
            });
        }
    }
    // Every number of the section in its range (those not reported above).
    let mut numbers = crate::scenario::Problems::default();
    let mut seeded = 0;
    for q in problems.iter().filter(|q| q.severity == Severity::Error) {
        numbers.push(q.path.clone(), q.message.clone());
        seeded += 1;
    }
    crate::scenario::validate::check_numbers_of(opt, "optimize", &mut numbers);
    problems.extend(numbers.into_vec().into_iter().skip(seeded));
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{DecisionVariable, PaybackConstraint};

    fn var(path: &str, min: f64, max: f64, points: u32, multiple_of: f64) -> DecisionVariable {
        DecisionVariable {
            path: path.into(),
            min,
            max,
            points,
            multiple_of,
        }
    }

    fn opt(variables: Vec<DecisionVariable>, refinements: u32) -> Optimize {
        Optimize {
            variables,
            constraint: Some(PaybackConstraint {
                payback_months: 36.0,
                probability: 0.8,
            }),
            replications: 10,
            refinements,
        }
    }

    #[test]
    fn grids_respect_bounds_and_multiples() {
        let o = opt(
            vec![var("a", 1000.0, 9000.0, 3, 8.0), var("b", 0.0, 1.0, 5, 0.0)],
            2,
        );
        let g = first_grid(&o);
        assert_eq!(g.len(), 15);
        assert!(
            g.iter()
                .all(|p| p[0] % 8.0 == 0.0 && (1000.0..=9000.0).contains(&p[0]))
        );
        assert!(g.contains(&vec![5000.0, 0.25]));
        let r = refined_grid(&o, &[1000.0, 1.0], 1);
        // At the corner only two values per axis remain in bounds.
        assert_eq!(r.len(), 4);
        assert!(r.iter().all(|p| p[0] >= 1000.0 && p[1] <= 1.0));
        assert!(r.contains(&vec![3000.0, 0.875]));
    }

    #[test]
    fn refinement_finds_the_peak_of_a_smooth_objective() {
        // Peak at a = 6100 (nearest multiple of 8: 6104), b = 0.3; constraint: a <= 7000.
        let o = opt(
            vec![var("a", 1000.0, 9000.0, 5, 8.0), var("b", 0.0, 1.0, 5, 0.0)],
            4,
        );
        let mut calls = 0;
        let explored = search(
            &o,
            |p: &[f64]| -> Result<Score, ()> {
                calls += 1;
                let objective = -((p[0] - 6100.0) / 1000.0).powi(2) - ((p[1] - 0.3) * 4.0).powi(2);
                Ok(Score {
                    objective,
                    probability: if p[0] <= 7000.0 { 0.9 } else { 0.5 },
                    feasible: p[0] <= 7000.0,
                })
            },
            |_, _| {},
        )
        .expect("search");
        assert_eq!(calls, explored.len(), "each candidate is evaluated once");
        let b = best(&explored).expect("a best candidate");
        assert!(
            (b.values[0] - 6100.0).abs() <= 2000.0 / 16.0,
            "a = {}",
            b.values[0]
        );
        assert!(
            (b.values[1] - 0.3).abs() <= 0.25 / 16.0 + 1e-9,
            "b = {}",
            b.values[1]
        );
        assert!(b.score.feasible);
        // The grid alone would stop at a = 7000, b = 0.25.
        assert!(explored.iter().filter(|e| e.round == 0).count() == 25);
    }

    #[test]
    fn without_a_feasible_candidate_the_search_moves_toward_the_constraint() {
        let o = opt(vec![var("a", 0.0, 100.0, 3, 0.0)], 1);
        let explored = search(
            &o,
            |p: &[f64]| -> Result<Score, ()> {
                Ok(Score {
                    objective: p[0],
                    probability: 1.0 - p[0] / 100.0,
                    feasible: false,
                })
            },
            |_, _| {},
        )
        .expect("search");
        assert_eq!(best(&explored).map(|e| e.values[0]), Some(0.0));
    }

    #[test]
    fn names_tell_variables_apart() {
        let o = opt(
            vec![
                var("fleet[0].gpus", 8.0, 64.0, 2, 8.0),
                var("demand.anchors[0].gpus", 8.0, 64.0, 2, 8.0),
                var("pricing.policy.0", 0.9, 1.3, 5, 0.0),
            ],
            1,
        );
        assert_eq!(
            name(&o, &[16.0, 8.0, 1.1]),
            "fleet[0].gpus=16, anchors[0].gpus=8, policy.0=1.1"
        );
        // Refined values print short.
        let r = refined_grid(&o, &[16.0, 8.0, 1.2], 1);
        assert!(r.iter().any(|p| number_text(p[2]) == "1.25"), "{r:?}");
    }

    #[test]
    fn numbers_are_written_so_integer_fields_accept_them() {
        assert_eq!(number_text(4096.0), "4096");
        assert_eq!(number_text(0.65), "0.65");
        assert_eq!(number_text(-2.0), "-2");
    }
}
