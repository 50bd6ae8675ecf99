//! Rank correlations between uncertain inputs: what validation refuses, and that imposing them
//! keeps runs bit-identical for any thread count and shard split.

use dcplan_sim::correlation::{BLOCK, spearman};
use dcplan_sim::params::SampleMode;
use dcplan_sim::replication::{ReplicationOptions, build};
use dcplan_sim::scenario::{ScenarioError, Severity};
use dcplan_sim::{RunConfig, load_str};

use super::common::{load_text, scenario_path};

const PUE: &str = "site.pue";
const PRICE: &str = "pricing.market[0].on_demand_usd_per_gpu_hour";
const GROWTH: &str = "demand.growth_per_year_frac";

/// `scenarios/tiny.ron` (PUE and the H100 price uncertain) with demand growth uncertain too and
/// `correlations` (RON list items) added.
fn tiny_with(correlations: &str) -> String {
    let text = std::fs::read_to_string(scenario_path("tiny.ron")).unwrap();
    let text = text.replace(
        "arrivals_per_day: 8,",
        "arrivals_per_day: 8, growth_per_year_frac: Uniform(0.0, 0.4),",
    );
    let end = text
        .trim_end()
        .strip_suffix(')')
        .expect("a scenario ends with `)`");
    format!("{end}    correlations: [{correlations}],\n)\n")
}

fn pair(a: &str, b: &str, rank: f64) -> String {
    format!("(a: \"{a}\", b: \"{b}\", rank: {rank:?}), ")
}

/// `path: message` of every error loading `text`.
fn errors(text: &str) -> Vec<String> {
    match load_str("test.ron", text) {
        Ok(_) => Vec::new(),
        Err(ScenarioError::Invalid { problems, .. }) => problems
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn an_inconsistent_matrix_is_refused_naming_the_pair_that_breaks_it() {
    // PUE like price, price like growth, but PUE against growth: impossible together.
    let text = tiny_with(
        &[
            pair(PUE, PRICE, 0.9),
            pair(PRICE, GROWTH, 0.9),
            pair(PUE, GROWTH, -0.9),
        ]
        .concat(),
    );
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with(&format!(
            "correlations[2].rank: -0.9 between `{PUE}` and `{GROWTH}` contradicts `{PUE}`-`{PRICE}` 0.9, `{PRICE}`-`{GROWTH}` 0.9"
        )) && e[0].contains("not positive semi-definite"),
        "{e:?}"
    );
    // The same three pairs with a consistent sign load.
    let ok = tiny_with(
        &[
            pair(PUE, PRICE, 0.9),
            pair(PRICE, GROWTH, 0.9),
            pair(PUE, GROWTH, 0.9),
        ]
        .concat(),
    );
    assert_eq!(errors(&ok), Vec::<String>::new());
    // A perfect correlation is a valid (singular) matrix.
    assert_eq!(
        errors(&tiny_with(&pair(PUE, PRICE, -1.0))),
        Vec::<String>::new()
    );
}

#[test]
fn every_problem_of_the_list_is_named_at_once() {
    let text = tiny_with(
        &[
            pair(PUE, PUE, 0.5),
            pair(PUE, PRICE, 1.5),
            pair(PRICE, PUE, 0.2),
            pair("", GROWTH, 0.1),
        ]
        .concat(),
    );
    let e = errors(&text);
    let at = |path: &str| e.iter().any(|m| m.starts_with(&format!("{path}: ")));
    for path in [
        "correlations[0].b",
        "correlations[1].rank",
        "correlations[2]",
        "correlations[3].a",
    ] {
        assert!(at(path), "no problem at {path}: {e:?}");
    }
    assert_eq!(e.len(), 4, "{e:?}");
}

#[test]
fn a_path_that_is_not_an_uncertain_input_is_refused() {
    // A number written as a plain value, a field that does not exist, and a distribution drawn
    // for every request rather than once per replication.
    let text = tiny_with(
        &[
            pair(PUE, "finance.discount_rate_frac", 0.5),
            pair("site.nothing", PRICE, 0.5),
        ]
        .concat(),
    );
    let e = errors(&text);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e[0].starts_with(
            "correlations[0].b: `finance.discount_rate_frac` is not an uncertain input"
        ) && e[0].contains(PUE),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("correlations[1].a: `site.nothing` is not an uncertain input"),
        "{e:?}"
    );
    let text = tiny_with(&pair(PUE, "demand.mix[0].size_gpus", 0.5))
        .replace("size_gpus: 16,", "size_gpus: Uniform(8, 24),");
    let e = errors(&text);
    assert_eq!(
        e,
        [
            "correlations[0].b: `demand.mix[0].size_gpus` is drawn afresh for every request, \
          failure or repair, not once per replication"
        ]
    );
}

/// The values drawn for `paths` in replications `reps` of `text` under `options`.
fn draws(
    text: &str,
    seed: u64,
    reps: std::ops::Range<u64>,
    options: &ReplicationOptions,
    paths: &[&str],
) -> Vec<Vec<f64>> {
    let loaded = load_text(text);
    let rows: Vec<Vec<(String, f64)>> = reps.map(|r| build(&loaded, seed, r, options).1).collect();
    paths
        .iter()
        .map(|p| {
            rows.iter()
                .map(|row| row.iter().find(|(q, _)| q == p).expect("drawn").1)
                .collect()
        })
        .collect()
}

#[test]
fn replications_of_a_scenario_have_the_asked_rank_correlations() {
    let n = 2 * BLOCK;
    let tol = 4.0 / ((n - 1) as f64).sqrt();
    for sampling in ["Random", "LatinHypercube"] {
        let text = tiny_with(&[pair(PRICE, GROWTH, -0.6), pair(PUE, PRICE, 0.3)].concat())
            .replace("seed: 7)", &format!("seed: 7, sampling: {sampling})"));
        let loaded = load_text(&text);
        let options = ReplicationOptions::for_run(&loaded, 7, n);
        let cols = draws(&text, 7, 0..n, &options, &[PUE, PRICE, GROWTH]);
        for (i, j, target) in [(1, 2, -0.6), (0, 1, 0.3), (0, 2, 0.0)] {
            let rho = spearman(&cols[i], &cols[j]).unwrap();
            assert!(
                (rho - target).abs() < tol,
                "{sampling}: {i}-{j} rank correlation {rho:.4}, asked {target}"
            );
        }
    }
}

#[test]
fn a_scenario_without_correlations_samples_as_before() {
    let text = std::fs::read_to_string(scenario_path("tiny.ron")).unwrap();
    let loaded = load_text(&text);
    assert_eq!(
        ReplicationOptions::for_run(&loaded, 7, 40).sample_mode,
        SampleMode::Random
    );
    // An empty list is the same scenario.
    let loaded = load_text(&tiny_with(""));
    assert_eq!(
        ReplicationOptions::for_run(&loaded, 7, 40).sample_mode,
        SampleMode::Random
    );
}

/// Every drawn input and KPI of replications `reps` as raw bits.
fn run_bits(text: &str, threads: usize, reps: std::ops::Range<u64>, n: u64) -> Vec<Vec<u64>> {
    let loaded = load_text(text);
    let config = RunConfig {
        seed: 3,
        replications: reps,
        threads,
        options: ReplicationOptions::for_run(&loaded, 3, n),
    };
    let out = dcplan_sim::run(&loaded, &config, &|| {}).expect("runs");
    assert!(out.failures.is_empty());
    out.replications
        .iter()
        .map(|r| {
            let mut v: Vec<u64> = r.params.iter().map(|(_, x)| x.to_bits()).collect();
            v.extend(
                r.kpis
                    .values()
                    .iter()
                    .map(|x| x.map_or(u64::MAX, f64::to_bits)),
            );
            v
        })
        .collect()
}

#[test]
fn correlated_runs_are_the_same_for_any_thread_count_shard_split_and_run_length() {
    let text = tiny_with(&[pair(PRICE, GROWTH, -0.6), pair(PUE, PRICE, 0.3)].concat());
    let full = run_bits(&text, 1, 250..262, 400);
    assert_eq!(run_bits(&text, 3, 250..262, 400), full);
    let mut parts = run_bits(&text, 2, 250..256, 400);
    parts.extend(run_bits(&text, 1, 256..262, 400));
    assert_eq!(parts, full);
    // An adaptive run that stops early (or a shorter one) draws the same values.
    assert_eq!(run_bits(&text, 2, 250..262, 262), full);
    // The correlations do change the draws.
    let plain = std::fs::read_to_string(scenario_path("tiny.ron"))
        .unwrap()
        .replace(
            "arrivals_per_day: 8,",
            "arrivals_per_day: 8, growth_per_year_frac: Uniform(0.0, 0.4),",
        );
    assert_ne!(run_bits(&plain, 1, 250..262, 400), full);
}
