//! Scenario files: every shipped scenario validates, every bad-input fixture fails with its
//! expected message, and no input makes the loader (or a short run) panic.

use std::path::{Path, PathBuf};

use dcplan_sim::scenario::Severity;
use dcplan_sim::{ScenarioError, load_str};
use rand::{Rng, SeedableRng};

use super::common::{repo_root, run};

fn ron_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_shipped_scenario_validates() {
    let mut files = ron_files(&repo_root().join("scenarios"));
    files.extend(ron_files(&repo_root().join("benches/scenarios")));
    assert!(files.len() >= 3, "{files:?}");
    for f in files {
        if let Err(e) = dcplan_sim::load_file(&f) {
            panic!("{e}");
        }
    }
}

#[test]
fn the_builtin_default_scenario_is_the_file_in_scenarios() {
    let builtin = dcplan_sim::load_default().unwrap_or_else(|e| panic!("{e}"));
    let file =
        std::fs::read_to_string(repo_root().join("scenarios/default.ron")).expect("default.ron");
    assert_eq!(builtin.source_text, file);
    let gpus: i64 = builtin.scenario.fleet.iter().map(|t| t.gpus).sum();
    assert_eq!(gpus, 4096);
}

fn fixtures() -> Vec<PathBuf> {
    ron_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad"))
}

/// The `// expect: ...` lines of a fixture.
pub(crate) fn expectations(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("// expect: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_bad_fixture_fails_with_its_expected_messages() {
    let files = fixtures();
    assert!(files.len() >= 50, "only {} fixtures", files.len());
    for f in files {
        let text = std::fs::read_to_string(&f).expect("fixture");
        let expected = expectations(&text);
        assert!(
            !expected.is_empty(),
            "{} has no `// expect:` line",
            f.display()
        );
        // Named as a file in the fixture folder, so that CSV inputs resolve beside the fixture.
        let name = f.with_file_name("test.ron").display().to_string();
        let err = match load_str(&name, &text) {
            Ok(_) => panic!("{} loaded but should fail", f.display()),
            Err(e) => e,
        };
        let message = err.to_string();
        for e in &expected {
            assert!(
                message.contains(e.as_str()),
                "{}: expected `{e}` in:\n{message}",
                f.display()
            );
        }
        let name = f.file_name().expect("name").to_string_lossy().into_owned();
        match &err {
            ScenarioError::Syntax { line, column, .. } => {
                assert!(
                    name.starts_with("syntax_"),
                    "{name}: unexpected syntax error: {message}"
                );
                assert!(*line > 0 && *column > 0);
            }
            ScenarioError::Invalid { problems, .. } => {
                assert!(
                    !name.starts_with("syntax_"),
                    "{name}: expected a syntax error: {message}"
                );
                assert!(problems.iter().any(|p| p.severity == Severity::Error));
            }
            ScenarioError::Io { .. } => panic!("{name}: {message}"),
        }
    }
}

#[test]
fn syntax_errors_point_at_the_line_and_column() {
    let text = "Scenario(\n    name: \"x\",\n    site: (name: \"s\" pue: 1.2),\n)";
    match load_str("x.ron", text) {
        Err(ScenarioError::Syntax {
            file, line, column, ..
        }) => {
            assert_eq!(file, "x.ron");
            assert_eq!((line, column), (3, 22), "points at `pue`");
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad/many_problems.ron"),
    )
    .expect("fixture");
    match load_str("test.ron", &text) {
        Err(ScenarioError::Invalid { problems, .. }) => {
            assert!(problems.len() >= 3, "{problems:?}")
        }
        other => panic!("expected validation problems, got {other:?}"),
    }
}

#[test]
fn questionable_inputs_give_warnings_not_errors() {
    let tiny = std::fs::read_to_string(repo_root().join("scenarios/tiny.ron")).expect("tiny");
    let cases = [
        (
            "gpus: 64, network",
            "gpus: 64, order_month: 40, network",
            "fleet[0].order_month: 40 is at or after the end of the horizon",
        ),
        (
            "size_gpus: 16",
            "size_gpus: 128",
            "demand.mix[0].size_gpus: every request (128 GPUs or more) is larger than the whole fleet (64 GPUs)",
        ),
        (
            "it_mw: 0.1",
            "it_mw: 0.05",
            "fleet: the fleet needs up to 0.0816 MW of IT power but the hall phases provide 0.05 MW",
        ),
        (
            "gpus: 64, network",
            "gpus: 64, price_usd_per_gpu: 0, network",
            "fleet[0].price_usd_per_gpu: a price of 0 per GPU: the servers add no capex",
        ),
        (
            "discount_rate_frac: 0.12",
            "discount_rate_frac: -0.02",
            "finance.discount_rate_frac: -0.02 is negative: later cash would count for more",
        ),
        (
            "discount_rate_frac: 0.12",
            "discount_rate_frac: Uniform(-0.05, 0.1)",
            "finance.discount_rate_frac: Uniform(-0.05, 0.1) can be negative",
        ),
        (
            "replications: 8, seed: 7",
            "replications: 8, seed: 7, hourly_replications: [0, 10]",
            "simulation.hourly_replications[1]: replication 10 is not run (8 replications: 0 to 7)",
        ),
    ];
    for (from, to, expected) in cases {
        let text = tiny.replacen(from, to, 1);
        let loaded = load_str("test.ron", &text).unwrap_or_else(|e| panic!("{e}"));
        let warnings: Vec<String> = loaded.warnings.iter().map(|w| w.to_string()).collect();
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("warning: ")
                    && w.contains(&expected[..expected.len().min(60)])),
            "expected `{expected}` in {warnings:?}"
        );
        // A warned scenario still runs.
        let rep = run(&loaded, 1, 0);
        assert_eq!(rep.months.len(), 12);
    }
}

#[test]
fn an_anchor_larger_than_the_fleet_ever_is_an_error() {
    // It could never start: its prepayment would be cash for service never given.
    let tiny = std::fs::read_to_string(repo_root().join("scenarios/tiny.ron")).expect("tiny");
    let text = tiny.replacen(
        "        mix: [",
        "        anchors: [(name: \"big\", sku: \"H100-SXM\", gpus: 72, duration: Months(6), price_usd_per_gpu_hour: 2.0, load_frac: 1.0, prepay_frac: 0.5)],\n        mix: [",
        1,
    );
    assert_ne!(text, tiny);
    match load_str("test.ron", &text) {
        Err(ScenarioError::Invalid { problems, .. }) => {
            let all: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            assert!(
                all.iter().any(|p| p.contains(
                    "demand.anchors[0].gpus: 72 GPUs is more than the fleet ever has of H100-SXM (64 GPUs): the contract can never start"
                )),
                "{all:?}"
            );
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn a_required_field_left_out_is_named_by_its_path_with_the_other_problems() {
    let tiny = std::fs::read_to_string(repo_root().join("scenarios/tiny.ron")).expect("tiny");
    let without = tiny.replacen("reserved_discount_frac: 0.2,", "", 1);
    assert_ne!(without, tiny);
    // Alone: a syntax error at the struct's end, with the field's path.
    match load_str("test.ron", &without) {
        Err(ScenarioError::Syntax {
            message,
            line,
            column,
            ..
        }) => assert!(
            message.starts_with(
                "pricing.reserved_discount_frac: the required field `reserved_discount_frac`"
            ),
            "{line}:{column}: {message}"
        ),
        other => panic!("expected a syntax error, got {other:?}"),
    }
    // With misspelt fields before it: every problem at once.
    let both = without.replacen("gpus: 64,", "gpus: 64, bogus: 1,", 1);
    assert_ne!(both, without);
    match load_str("test.ron", &both) {
        Err(ScenarioError::Invalid { problems, .. }) => {
            let all: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            assert!(all.iter().any(|p| p.contains("fleet[0].bogus")), "{all:?}");
            assert!(
                all.iter()
                    .any(|p| p.contains("pricing.reserved_discount_frac: the required field")),
                "{all:?}"
            );
        }
        other => panic!("expected every problem, got {other:?}"),
    }
}

/// Random edits of a valid scenario: the loader never panics, and a scenario that still
/// validates runs a replication without panicking.
#[test]
fn mutated_scenarios_never_panic() {
    let texts = [
        std::fs::read_to_string(repo_root().join("scenarios/tiny.ron")).expect("tiny"),
        std::fs::read_to_string(repo_root().join("scenarios/default.ron")).expect("default"),
    ];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let replacements = [
        "0",
        "-1",
        "1e308",
        "-1e308",
        "NaN",
        "inf",
        "4294967296",
        "18446744073709551616",
        "0.5",
        "\"\"",
        "()",
        "[]",
        "Uniform(5, 1)",
        "Discrete([])",
        "Pareto(1, 0.1)",
        "LogNormal(1, 1)",
        "Exponential(1e-9)",
    ];
    let mut loaded_ok = 0;
    for i in 0..1000 {
        let base = &texts[i % texts.len()];
        let mut t: Vec<char> = base.chars().collect();
        match rng.next_u32() % 4 {
            0 => {
                // Replace a number with an odd value.
                let starts: Vec<usize> = (1..t.len())
                    .filter(|&k| {
                        t[k].is_ascii_digit()
                            && !t[k - 1].is_ascii_alphanumeric()
                            && t[k - 1] != '.'
                    })
                    .collect();
                let k = starts[rng.next_u32() as usize % starts.len()];
                let mut end = k;
                while end < t.len() && (t[end].is_ascii_alphanumeric() || t[end] == '.') {
                    end += 1;
                }
                let r = replacements[rng.next_u32() as usize % replacements.len()];
                t.splice(k..end, r.chars());
            }
            1 => {
                let k = rng.next_u32() as usize % t.len();
                t.remove(k);
            }
            2 => {
                let k = rng.next_u32() as usize % t.len();
                let c = b"(),:[]\"0-.x\n "[rng.next_u32() as usize % 13] as char;
                t.insert(k, c);
            }
            _ => {
                let k = rng.next_u32() as usize % t.len();
                t.truncate(k);
            }
        }
        let text: String = t.into_iter().collect();
        let result = std::panic::catch_unwind(|| load_str("fuzz.ron", &text));
        let loaded = match result {
            Ok(Ok(l)) => l,
            Ok(Err(_)) => continue,
            Err(_) => panic!("the loader panicked on:\n{text}"),
        };
        loaded_ok += 1;
        // Run only cheap scenarios (the limits in validation bound the expensive ones).
        let s = &loaded.scenario;
        let requests =
            s.demand.arrivals_per_day.quantile(0.99) * s.simulation.horizon_months as f64 * 30.5;
        let gpus: i64 = s.fleet.iter().map(|t| t.gpus).sum();
        if requests < 20_000.0 && gpus < 20_000 && s.simulation.horizon_months <= 24 {
            let ran = std::panic::catch_unwind(|| run(&loaded, 1, 0));
            assert!(ran.is_ok(), "a replication panicked on:\n{text}");
        }
    }
    assert!(
        loaded_ok > 100,
        "only {loaded_ok} mutated scenarios loaded; the fuzz test lost its power"
    );
}

#[test]
fn a_bad_cooling_preset_is_reported_once_under_its_own_path() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad/cooling_below_one.ron"),
    )
    .expect("fixture");
    match load_str("test.ron", &text) {
        Err(ScenarioError::Invalid { problems, .. }) => {
            let about: Vec<&str> = problems
                .iter()
                .filter(|p| p.message.contains("-0.1 is negative"))
                .map(|p| p.path.as_str())
                .collect();
            assert_eq!(
                about,
                ["catalog.cooling[0].electrical_loss_frac"],
                "{problems:?}"
            );
        }
        other => panic!("expected validation problems, got {other:?}"),
    }
}

#[test]
fn parser_errors_speak_to_the_scenario_author() {
    // The parser's advice to programmers (raise a recursion limit, use a raw identifier) is
    // replaced by what the author can do about it.
    let tiny = std::fs::read_to_string(repo_root().join("scenarios/tiny.ron")).expect("tiny");
    let values = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let deep = dcplan_sim::scenario::ron_text::set(
        &tiny,
        "sweep",
        &format!(r#"(axes: [(path: "fleet[0].gpus", values: [{values}])])"#),
    )
    .expect("set");
    let e = load_str("deep.ron", &deep)
        .expect_err("too deep")
        .to_string();
    assert!(
        e.contains("deep.ron:") && e.contains("nested too deeply") && !e.contains("serde_stacker"),
        "{e}"
    );
}
