//! Mutation test of the scenario loader: seeded random edits of the shipped scenarios (numbers
//! replaced by boundary values, NaN, infinities, huge and negative numbers; tokens deleted and
//! duplicated; fields renamed). No input may panic or hang; every edit that puts a value outside
//! its field's range must be refused (or warned about) at that field's path; every input that
//! loads must build a replication's engine and run its first month without panicking.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use dcplan_sim::dist::Dist;
use dcplan_sim::replication::{ReplicationOptions, build};
use dcplan_sim::scenario::validate::leaves::{LeafValue, number_leaves};
use dcplan_sim::scenario::validate::ranges::range_of;
use dcplan_sim::scenario::{LoadedScenario, ron_text};
use dcplan_sim::{ScenarioError, load_str};
use rand::{Rng, SeedableRng};

use super::common::shipped_scenarios;
use super::ranges::set_path;

/// Values put in place of a number.
const BOUNDARY: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.5",
    "-2.5",
    "1e-300",
    "1e300",
    "-1e300",
    "NaN",
    "inf",
    "-inf",
    "4294967296",
    "-4294967296",
    "9223372036854775807",
    "18446744073709551616",
    "1e15",
    "12",
    "600",
    "601",
];

/// A place in a shipped scenario where a number is written: its text path, the field path
/// validation reports, and whether it is one parameter of a distribution (and of a draw field).
struct Site {
    text_path: String,
    path: String,
    dist_param: bool,
}

struct Source {
    file: String,
    text: String,
    sites: Vec<Site>,
}

fn sources() -> Vec<Source> {
    shipped_scenarios()
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).expect("scenario");
            let loaded = dcplan_sim::load_file(&f).unwrap_or_else(|e| panic!("{e}"));
            let mut sites = Vec::new();
            for leaf in number_leaves(&loaded.scenario) {
                if ron_text::get(&text, &leaf.text_path).is_err() && !leaf.text_path.contains("][")
                {
                    continue; // a default, not written in the file
                }
                match &leaf.value {
                    LeafValue::Dist(d) => {
                        let n = match d {
                            Dist::Fixed(_) | Dist::Exponential(_) => 1,
                            Dist::Uniform(..)
                            | Dist::Normal(..)
                            | Dist::LogNormal(..)
                            | Dist::Pareto(..) => 2,
                            Dist::Triangular(..) | Dist::Pert(..) => 3,
                            Dist::Discrete(_) => 0,
                        };
                        for i in 0..n {
                            sites.push(Site {
                                text_path: format!("{}.{i}", leaf.text_path),
                                path: leaf.path.clone(),
                                dist_param: true,
                            });
                        }
                    }
                    _ => sites.push(Site {
                        text_path: leaf.text_path.clone(),
                        path: leaf.path.clone(),
                        dist_param: false,
                    }),
                }
            }
            Source {
                file: f.display().to_string(),
                text,
                sites,
            }
        })
        .collect()
}

/// The text split into tokens: identifiers and numbers, strings, comments, punctuation, space.
fn tokens(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-' || c == b'+' {
            while i < b.len()
                && (b[i].is_ascii_alphanumeric()
                    || b[i] == b'_'
                    || b[i] == b'.'
                    || ((b[i] == b'-' || b[i] == b'+') && (i == start || b[i - 1] == b'e')))
            {
                i += 1;
            }
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
        } else if text[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c.is_ascii_whitespace() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
        out.push(&text[start..i.max(start + 1).min(b.len())]);
        i = i.max(start + 1);
    }
    out
}

fn is_code(t: &str) -> bool {
    !t.starts_with("//") && !t.trim().is_empty()
}

/// What one mutated input did.
#[derive(Default, Debug)]
struct Tally {
    inputs: usize,
    syntax_errors: usize,
    invalid_with_paths: usize,
    loaded: usize,
    loaded_with_warnings: usize,
    out_of_range_injected: usize,
    out_of_range_reported: usize,
    engines_run: usize,
    panics: Vec<String>,
    hangs: Vec<String>,
    absurd_accepted: Vec<String>,
    unclean_errors: Vec<String>,
}

/// Whether `value` lies outside the range of the field at `path` (a value that does not parse as
/// a number is not counted).
fn outside_range(path: &str, value: &str, dist_param: bool) -> bool {
    let Some(r) = range_of(path) else {
        return false;
    };
    let Ok(x) = value.parse::<f64>() else {
        return false;
    };
    if !x.is_finite() {
        return true;
    }
    if dist_param {
        // One parameter of a distribution: its support or shape leaves the range only for
        // bounded fields (a draw may have a long tail; a mean or median may sit anywhere).
        return !r.draw && (x < r.lo || x > r.hi);
    }
    !r.contains(x)
}

fn run_first_month(loaded: &LoadedScenario) {
    let (mut engine, _) = build(loaded, 1, 0, &ReplicationOptions::default());
    engine.initialize().expect("consistent schedules");
    let month = engine
        .world
        .resource::<dcplan_sim::engine::Clock>()
        .calendar
        .month_start(1);
    engine.run_until(month);
}

#[test]
fn mutated_shipped_scenarios_never_panic_and_every_out_of_range_value_is_reported() {
    let sources = sources();
    assert!(sources.len() >= 12, "{} scenarios", sources.len());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5CE7_A210);
    let mut tally = Tally::default();
    let started = Instant::now();
    let cases = 1500;
    for case in 0..cases {
        let src = &sources[rng.next_u32() as usize % sources.len()];
        let kind = rng.next_u32() % 10;
        // (text, the field path and value when a written number was replaced)
        let (text, target): (String, Option<(String, String, bool)>) = match kind {
            0..=3 => {
                let site = &src.sites[rng.next_u32() as usize % src.sites.len()];
                let value = BOUNDARY[rng.next_u32() as usize % BOUNDARY.len()];
                let t = set_path(&src.text, &site.text_path, value)
                    .unwrap_or_else(|e| panic!("{}: {}: {e}", src.file, site.text_path));
                (
                    t,
                    Some((site.path.clone(), value.to_string(), site.dist_param)),
                )
            }
            _ => {
                let toks = tokens(&src.text);
                let code: Vec<usize> = (0..toks.len()).filter(|&i| is_code(toks[i])).collect();
                let k = code[rng.next_u32() as usize % code.len()];
                let mut out: Vec<String> = toks.iter().map(|t| t.to_string()).collect();
                match kind {
                    4 | 5 => {
                        // Any number token (also in lists and distributions) replaced.
                        let nums: Vec<usize> = code
                            .iter()
                            .copied()
                            .filter(|&i| {
                                toks[i].starts_with(|c: char| c.is_ascii_digit() || c == '-')
                            })
                            .collect();
                        let i = nums[rng.next_u32() as usize % nums.len()];
                        out[i] = BOUNDARY[rng.next_u32() as usize % BOUNDARY.len()].to_string();
                    }
                    6 => out[k].clear(),
                    7 => out[k] = format!("{} {}", toks[k], toks[k]),
                    _ => {
                        // Rename a field: a typo, another field's name, or a new case.
                        let fields: Vec<usize> = code
                            .iter()
                            .copied()
                            .filter(|&i| {
                                toks[i].starts_with(|c: char| c.is_ascii_lowercase())
                                    && toks.get(i + 1) == Some(&":")
                            })
                            .collect();
                        let i = fields[rng.next_u32() as usize % fields.len()];
                        let other = toks[fields[rng.next_u32() as usize % fields.len()]];
                        out[i] = match rng.next_u32() % 3 {
                            0 => format!("{}_x", toks[i]),
                            1 => other.to_string(),
                            _ => toks[i].to_uppercase(),
                        };
                    }
                }
                (out.concat(), None)
            }
        };
        tally.inputs += 1;
        let t0 = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| load_str(&src.file, &text)));
        let took = t0.elapsed();
        if took > Duration::from_secs(5) {
            tally
                .hangs
                .push(format!("case {case}: loading took {took:?}"));
        }
        let result = match result {
            Ok(r) => r,
            Err(_) => {
                tally
                    .panics
                    .push(format!("case {case}: the loader panicked on:\n{text}"));
                continue;
            }
        };
        let outside = target
            .as_ref()
            .filter(|(path, value, dist)| outside_range(path, value, *dist));
        if outside.is_some() {
            tally.out_of_range_injected += 1;
        }
        match result {
            Err(ScenarioError::Syntax { line, column, .. }) => {
                tally.syntax_errors += 1;
                if line == 0 || column == 0 {
                    tally
                        .unclean_errors
                        .push(format!("case {case}: a syntax error without a position"));
                }
                if outside.is_some() {
                    tally.out_of_range_reported += 1; // not of the field's type
                }
            }
            Err(ScenarioError::Invalid { problems, .. }) => {
                tally.invalid_with_paths += 1;
                if let Some(p) = problems
                    .iter()
                    .find(|p| p.path.is_empty() || p.message.is_empty())
                {
                    tally.unclean_errors.push(format!(
                        "case {case}: a problem without a path or message: {p:?}"
                    ));
                }
                if let Some((path, value, _)) = outside {
                    if problems.iter().any(|p| &p.path == path) {
                        tally.out_of_range_reported += 1;
                    } else {
                        tally.absurd_accepted.push(format!(
                            "case {case}: {path} = {value} not reported in {problems:?}"
                        ));
                    }
                }
            }
            Err(e) => tally.unclean_errors.push(format!("case {case}: {e}")),
            Ok(loaded) => {
                tally.loaded += 1;
                if !loaded.warnings.is_empty() {
                    tally.loaded_with_warnings += 1;
                }
                if let Some((path, value, _)) = outside {
                    if loaded.warnings.iter().any(|w| &w.path == path) {
                        tally.out_of_range_reported += 1;
                    } else {
                        tally.absurd_accepted.push(format!(
                            "case {case}: {path} = {value} accepted without a word"
                        ));
                    }
                }
                let t0 = Instant::now();
                if catch_unwind(AssertUnwindSafe(|| run_first_month(&loaded))).is_err() {
                    tally
                        .panics
                        .push(format!("case {case}: the first month panicked on:\n{text}"));
                }
                tally.engines_run += 1;
                let took = t0.elapsed();
                if took > Duration::from_secs(20) {
                    tally
                        .hangs
                        .push(format!("case {case}: the first month took {took:?}"));
                }
            }
        }
    }
    println!("{tally:#?}\nin {:?}", started.elapsed());
    assert!(
        tally.panics.is_empty(),
        "{} panics:\n{}",
        tally.panics.len(),
        tally.panics.join("\n\n")
    );
    assert!(tally.hangs.is_empty(), "{:?}", tally.hangs);
    assert!(
        tally.absurd_accepted.is_empty(),
        "{} out-of-range values not reported:\n{}",
        tally.absurd_accepted.len(),
        tally.absurd_accepted.join("\n")
    );
    assert!(
        tally.unclean_errors.is_empty(),
        "{:?}",
        tally.unclean_errors
    );
    assert_eq!(tally.inputs, cases);
    // The edits must reach validation and the model, not only the parser.
    assert!(
        tally.invalid_with_paths > 300 && tally.loaded > 120 && tally.out_of_range_injected > 300,
        "{tally:#?}"
    );
}
