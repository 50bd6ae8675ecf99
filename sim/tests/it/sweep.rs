//! Sweeps, common random numbers across variants, Latin hypercube sampling and search checks.

use dcplan_sim::replication::{ReplicationOptions, run_replication};
use dcplan_sim::scenario::{ScenarioError, ron_text};
use dcplan_sim::stats::summarize;
use dcplan_sim::{RunConfig, sweep};

use crate::common::{load, load_text, scenario_path};

fn tiny_text() -> String {
    std::fs::read_to_string(scenario_path("tiny.ron")).expect("tiny.ron")
}

fn with(text: &str, path: &str, value: &str) -> String {
    ron_text::set(text, path, value).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn errors(text: &str) -> Vec<String> {
    match dcplan_sim::load_str("test.ron", text) {
        Err(ScenarioError::Invalid { problems, .. }) => {
            problems.iter().map(|p| p.to_string()).collect()
        }
        Err(e) => vec![e.to_string()],
        Ok(_) => Vec::new(),
    }
}

#[test]
fn a_two_axis_sweep_expands_to_the_cartesian_product_with_names() {
    let text = with(
        &tiny_text(),
        "sweep",
        r#"(axes: [
            (path: "fleet[0].gpus", values: [32, 64, 128]),
            (path: "energy.tariff", values: [Flat(price_usd_per_kwh: 0.05), Flat(price_usd_per_kwh: 0.12)], labels: ["cheap", "dear"]),
        ])"#,
    );
    let loaded = load_text(&text);
    let variants = sweep::expand(&loaded).expect("expand");
    let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "gpus=32, cheap",
            "gpus=32, dear",
            "gpus=64, cheap",
            "gpus=64, dear",
            "gpus=128, cheap",
            "gpus=128, dear"
        ]
    );
    assert_eq!(variants[4].loaded.scenario.fleet[0].gpus, 128);
    assert!(
        variants.iter().all(|v| v.loaded.scenario.sweep.is_none()),
        "a variant is a plain scenario"
    );
    assert_eq!(
        variants[1].settings[1],
        (
            "energy.tariff".to_string(),
            "Flat(price_usd_per_kwh: 0.12)".to_string()
        )
    );
}

#[test]
fn a_variant_names_the_sweep_as_the_source_of_each_value_it_sets() {
    let text = with(
        &tiny_text(),
        "sweep",
        r#"(axes: [
            (path: "fleet[0].gpus", values: [32, 128]),
            (path: "energy.tariff", values: [Flat(price_usd_per_kwh: 0.05), Flat(price_usd_per_kwh: 0.12)], labels: ["cheap", "dear"]),
        ])"#,
    );
    let base = ron_text::leaves(&text);
    let comment = |leaves: &[ron_text::Leaf], path: &str| {
        leaves
            .iter()
            .find(|l| l.path == path)
            .map(|l| l.comment.clone())
            .unwrap_or_else(|| panic!("{path}"))
    };
    let old_gpus = comment(&base, "fleet[0].gpus");
    let old_price = comment(&base, "energy.tariff.price_usd_per_kwh");
    assert!(
        !old_gpus.is_empty() && !old_price.is_empty(),
        "tiny.ron comments its fleet and tariff"
    );
    let variants = sweep::expand(&load_text(&text)).expect("expand");
    let v = &variants[3];
    assert_eq!(v.name, "gpus=128, dear");
    let leaves = ron_text::leaves(&v.loaded.source_text);
    assert_eq!(
        comment(&leaves, "fleet[0].gpus"),
        "sweep axis fleet[0].gpus (128)"
    );
    assert_eq!(
        comment(&leaves, "energy.tariff.price_usd_per_kwh"),
        "sweep axis energy.tariff (dear)"
    );
    // The fields next to them keep their own sources.
    assert_eq!(
        comment(&leaves, "fleet[0].network_usd_per_node"),
        comment(&base, "fleet[0].network_usd_per_node")
    );
    assert_eq!(
        comment(&leaves, "fleet[0].sku"),
        comment(&base, "fleet[0].sku")
    );
    assert_eq!(v.loaded.scenario.fleet[0].gpus, 128);
}

#[test]
fn an_unknown_sweep_path_is_an_error_naming_the_path() {
    let text = with(
        &tiny_text(),
        "sweep",
        r#"(axes: [(path: "fleet[0].gpuz", values: [32, 64])])"#,
    );
    let errs = errors(&text);
    assert!(
        errs.iter()
            .any(|e| e.contains("fleet[0].gpuz") && e.contains("gpuz")),
        "{errs:?}"
    );
    let text = with(
        &tiny_text(),
        "sweep",
        r#"(axes: [(path: "fleet[3].gpus", values: [32])])"#,
    );
    let errs = errors(&text);
    assert!(
        errs.iter()
            .any(|e| e.contains("sweep.axes[0].path") && e.contains("no [3]")),
        "{errs:?}"
    );
    // A value the field cannot take is reported at its place in the sweep.
    let text = with(
        &tiny_text(),
        "sweep",
        r#"(axes: [(path: "fleet[0].gpus", values: [64, -8])])"#,
    );
    let errs = errors(&text);
    assert!(
        errs.iter()
            .any(|e| e.contains("variant `gpus=-8`") && e.contains("-8")),
        "{errs:?}"
    );
}

/// Every problem of a sweep's variants is reported at once, each once (a bad value shared by
/// several variants names the first and counts the others), and an unknown path on one axis
/// does not hide the bad values of another.
#[test]
fn every_bad_sweep_value_is_reported_at_once() {
    let text = with(
        &tiny_text(),
        "sweep",
        r#"(axes: [(path: "fleet[0].gpus", values: [32, 12, 0]), (path: "site.pue", values: [1.3, 0.5, 2.0])])"#,
    );
    let errs = errors(&text);
    for (value, variant) in [
        ("fleet[0].gpus: 12", "gpus=12, pue=1.3"),
        ("fleet[0].gpus: 0", "gpus=0, pue=1.3"),
        ("site.pue: 0.5", "gpus=32, pue=0.5"),
    ] {
        assert!(
            errs.iter().any(|e| e.contains(value)
                && e.contains(&format!("variant `{variant}`"))
                && e.contains("and 2 more variant(s)")),
            "{value}: {errs:#?}"
        );
    }
    let text = with(
        &tiny_text(),
        "sweep",
        r#"(axes: [(path: "fleet[0].gpus", values: [32, 12]), (path: "nope.field", values: [1])])"#,
    );
    let errs = errors(&text);
    assert!(
        errs.iter().any(|e| e.contains("sweep.axes[1].path")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.contains("fleet[0].gpus: 12")),
        "{errs:?}"
    );
}

#[test]
fn a_sweep_names_each_variant_and_changes_each_field_once() {
    let cases = [
        // Two axes on one field: the second would win silently over the first.
        (
            r#"(axes: [(path: "fleet[0].gpus", values: [128, 256]), (path: "fleet[0].gpus", values: [64])])"#,
            "sweep.axes[1].path: `fleet[0].gpus` is already swept by sweep.axes[0]",
        ),
        (r#"(axes: [])"#, "sweep.axes: needs at least one axis"),
        (
            r#"(axes: [(path: "sweep", values: [()])])"#,
            "sweep.axes[0].path: a sweep cannot change the sweep itself",
        ),
        (
            r#"(axes: [(path: "fleet[0].gpus", values: [64, 128], labels: ["", "big"])])"#,
            "sweep.axes[0].labels[0]: a label must name the value",
        ),
        (
            "(axes: [(path: \"fleet[0].gpus\", values: [64, 128], labels: [\"small\", \"two\\nlines\"])])",
            "sweep.axes[0].labels[1]: a label must name the value",
        ),
        // The run's seed and replication count hold for every variant: an axis on them would
        // label variants that are the same run.
        (
            r#"(axes: [(path: "simulation.seed", values: [1, 2])])"#,
            "sweep.axes[0].path: `simulation.seed` cannot vary",
        ),
        (
            r#"(axes: [(path: "simulation.replications", values: [2, 50])])"#,
            "sweep.axes[0].path: `simulation.replications` cannot vary",
        ),
    ];
    for (sweep, expected) in cases {
        let errs = errors(&with(&tiny_text(), "sweep", sweep));
        assert!(
            errs.iter().any(|e| e.contains(expected)),
            "{sweep}: {errs:?}"
        );
    }
}

#[test]
fn identical_variants_give_identical_replications() {
    let text = with(
        &tiny_text(),
        "sweep",
        r#"(axes: [(path: "fleet[0].gpus", values: [64, 64], labels: ["a", "b"])])"#,
    );
    let variants = sweep::expand(&load_text(&text)).expect("expand");
    for r in 0..4 {
        let a = run_replication(&variants[0].loaded, 7, r, &ReplicationOptions::default());
        let b = run_replication(&variants[1].loaded, 7, r, &ReplicationOptions::default());
        // Compared through their exact printed form, as NaN (an undefined DSCR) is not equal to itself.
        assert!(
            format!("{a:?}") == format!("{b:?}"),
            "replication {r} differs between identical variants"
        );
    }
}

#[test]
fn paired_differences_between_variants_are_tighter_than_unpaired() {
    // Two list prices for the same fleet and demand: the paired difference of NPV removes the
    // shared noise (demand, market path, PUE draw).
    let text = with(
        &tiny_text(),
        "sweep",
        r#"(axes: [(path: "pricing.policy", values: [ListRatio(1.0), ListRatio(1.1)])])"#,
    );
    let variants = sweep::expand(&load_text(&text)).expect("expand");
    let n = 40;
    let run = |i: usize| {
        let config = RunConfig {
            seed: 11,
            replications: 0..n,
            threads: 2,
            options: ReplicationOptions::default(),
        };
        dcplan_sim::run(&variants[i].loaded, &config, &|| {})
            .expect("run")
            .replications
    };
    let (a, b) = (run(0), run(1));
    let npv = |reps: &[dcplan_sim::Replication]| {
        reps.iter()
            .map(|r| Some(r.kpis.npv_usd))
            .collect::<Vec<_>>()
    };
    let diffs: Vec<Option<f64>> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| Some(y.kpis.npv_usd - x.kpis.npv_usd))
        .collect();
    let (sa, sb, sd) = (summarize(&npv(&a)), summarize(&npv(&b)), summarize(&diffs));
    let unpaired_se = (sa.se * sa.se + sb.se * sb.se).sqrt();
    assert!(
        sd.se < 0.5 * unpaired_se,
        "paired se {} vs unpaired {}",
        sd.se,
        unpaired_se
    );
    assert!(sd.mean.abs() > 0.0, "the list price matters");
}

#[test]
fn latin_hypercube_puts_each_input_in_every_stratum() {
    let text = with(&tiny_text(), "simulation.sampling", "LatinHypercube");
    let loaded = load_text(&text);
    let n = 20u64;
    let options = ReplicationOptions::for_run(&loaded, 5, n);
    let reps: Vec<_> = (0..n)
        .map(|r| run_replication(&loaded, 5, r, &options))
        .collect();
    // PUE is Triangular(1.2, 1.3, 1.4) and the on-demand price Uniform(2.4, 3.5).
    let strata = |path: &str, cdf: &dyn Fn(f64) -> f64| {
        let mut s: Vec<u64> = reps
            .iter()
            .map(|r| {
                let x = r
                    .params
                    .iter()
                    .find(|(p, _)| p.as_str() == path)
                    .unwrap_or_else(|| panic!("{path} drawn"))
                    .1;
                (cdf(x) * n as f64).floor() as u64
            })
            .collect();
        s.sort();
        s
    };
    let uniform = |x: f64| (x - 2.4) / 1.1;
    let tri = |x: f64| {
        if x <= 1.3 {
            (x - 1.2).powi(2) / (0.2 * 0.1)
        } else {
            1.0 - (1.4 - x).powi(2) / (0.2 * 0.1)
        }
    };
    let all: Vec<u64> = (0..n).collect();
    assert_eq!(
        strata("pricing.market[0].on_demand_usd_per_gpu_hour", &uniform),
        all
    );
    assert_eq!(strata("site.pue", &tri), all);
    // Independent sampling does not stratify (with 20 draws, some stratum is missed or doubled).
    let random: Vec<_> = (0..n)
        .map(|r| run_replication(&load("tiny.ron"), 5, r, &ReplicationOptions::default()))
        .collect();
    let mut s: Vec<u64> = random
        .iter()
        .map(|r| {
            (uniform(
                r.params
                    .iter()
                    .find(|(p, _)| p.starts_with("pricing.market[0].on_demand"))
                    .expect("drawn")
                    .1,
            ) * n as f64) as u64
        })
        .collect();
    s.sort();
    assert_ne!(s, all);
}

#[test]
fn optimize_sections_are_checked_with_field_paths() {
    let text = with(
        &tiny_text(),
        "optimize",
        r#"(variables: [
            (path: "fleet[0].gpus", min: 64, max: 32),
            (path: "fleet[0].gpuz", min: 8, max: 64, multiple_of: 8),
            (path: "pricing.policy.0", min: 0.8, max: 1.2, points: 1),
            (path: "simulation.seed", min: 1, max: 1000),
        ], constraint: (payback_months: 36, probability: 1.5), replications: 1)"#,
    );
    let errs = errors(&text).join("\n");
    for expected in [
        "optimize.variables[0].max: the range must have min < max",
        "optimize.variables[1].path: `fleet[0].gpuz`",
        "optimize.variables[2].points: 1 grid points",
        "optimize.constraint.probability: 1.5 is not a probability",
        "optimize.replications: needs at least 2",
        "optimize.variables[3].path: `simulation.seed` cannot vary",
    ] {
        assert!(errs.contains(expected), "missing `{expected}` in:\n{errs}");
    }
    let good = with(
        &tiny_text(),
        "optimize",
        r#"(variables: [(path: "fleet[0].gpus", min: 32, max: 128, multiple_of: 8), (path: "pricing.policy.0", min: 0.8, max: 1.2)])"#,
    );
    let good = with(&good, "pricing.policy", "ListRatio(1.0)");
    assert_eq!(errors(&good), Vec::<String>::new());
    // Valid ends but an interior grid point of 36 GPUs, not a whole number of 8-GPU nodes: found
    // by the check, before a search runs.
    let interior = with(
        &tiny_text(),
        "optimize",
        r#"(variables: [(path: "fleet[0].gpus", min: 8, max: 64, points: 3)])"#,
    );
    let errs = errors(&interior).join("\n");
    assert!(
        errs.contains(
            "optimize.variables[0].path: `fleet[0].gpus` = 36 (a point of the first grid)"
        ) && errs.contains("multiple_of"),
        "{errs}"
    );
}

/// The scenario the text route makes: the values put into the text at their paths, the text
/// parsed again.
fn by_text(text: &str, settings: &[(String, String)]) -> dcplan_sim::Scenario {
    let mut text = text.to_string();
    for (path, value) in settings {
        text = with(&text, path, value);
    }
    dcplan_sim::scenario::parse_ron("test.ron", &text).unwrap_or_else(|e| panic!("{e}"))
}

/// Settings of every kind: a numeric leaf, a list element, an enum value (whole and a position
/// in it), a distribution, a whole struct, a field left to its default.
fn settings_of_every_kind(name: &str, text: &str) -> Vec<Vec<(String, String)>> {
    let get = |path: &str| ron_text::get(text, path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let one = |path: &str, value: &str| vec![(path.to_string(), value.to_string())];
    let mut all = vec![
        one("fleet[0].gpus", "2048"),
        one("fleet[0]", &with(&get("fleet[0]"), "gpus", "1024")),
        one("demand.mix[0].duration", "Hours(Triangular(1, 2, 3))"),
        one("energy.tariff", "Flat(price_usd_per_kwh: 0.05)"),
        one("site", &with(&get("site"), "name", "\"elsewhere\"")),
        one("simulation.hourly_months", "6"),
        one("demand.mix[0].load_frac", "Triangular(0.4, 0.5, 0.6)"),
        one("demand.mix[0].share_frac", "0.002"),
    ];
    if name == "default.ron" {
        all.push(one("demand.mix[1]", &get("demand.mix[0]")));
        all.push(one("pricing.policy", "ListRatio(1.25)"));
        all.push(one("pricing.policy.0", "1.1"));
        all.push(one("site.phases[0].capex_usd_per_mw", "12e6"));
        // Paths through a variant, named as messages name them: its one value, and a field of a
        // struct-like variant.
        all.push(one("demand.mix[1].duration.Hours", "LogNormal(20, 150)"));
        all.push(one(
            "demand.mix[0].duration.Months",
            "Discrete([(12, 1), (24, 3)])",
        ));
        all.push(one("energy.tariff.Flat.price_usd_per_kwh", "0.07"));
    } else {
        let energies = ron_text::list(text, "sweep.axes[1].values").expect("energy values");
        all.push(one("energy", &energies[1]));
        all.push(vec![
            ("fleet[0].gpus".into(), "7776".into()),
            ("energy".into(), energies[2].clone()),
            ("demand.anchors[0].gpus".into(), "2592".into()),
        ]);
    }
    all
}

#[test]
fn the_setter_and_the_text_route_give_equal_scenarios() {
    for name in ["default.ron", "portfolio.ron"] {
        let loaded = load(name);
        for settings in settings_of_every_kind(name, &loaded.source_text) {
            let set =
                dcplan_sim::plan::set_fields(&loaded.scenario, &loaded.source_text, &settings)
                    .unwrap_or_else(|| panic!("{name}: the setter takes {settings:?}"));
            let text = by_text(&loaded.source_text, &settings);
            assert_eq!(
                format!("{set:?}"),
                format!("{text:?}"),
                "{name}: {settings:?}"
            );
            assert_ne!(
                format!("{set:?}"),
                format!("{:?}", loaded.scenario),
                "{name}: {settings:?} changes the scenario"
            );
        }
    }
}

#[test]
fn the_setter_declines_what_only_the_parser_can_explain() {
    let loaded = load("default.ron");
    for (path, value) in [
        ("fleet[0].gpus", "\"many\""),
        ("fleet[0].no_such_field", "1"),
        ("fleet[7].gpus", "1"),
        ("energy.tariff", "Flat(price_usd_per_kwh: 0.05"),
        ("fleet[0].gpus", "1, gpus: 2"),
        // An attribute inside a value is a syntax error in the variant's text.
        ("fleet[0].gpus", "#![enable(implicit_some)] 1"),
    ] {
        let settings = vec![(path.to_string(), value.to_string())];
        assert!(
            dcplan_sim::plan::set_fields(&loaded.scenario, &loaded.source_text, &settings)
                .is_none(),
            "{path} = {value}"
        );
    }
}

#[test]
fn each_variant_is_the_scenario_its_text_parses_to() {
    let loaded = load("portfolio.ron");
    let variants = sweep::expand(&loaded).expect("expand");
    assert_eq!(variants.len(), 18);
    for v in &variants {
        let parsed: dcplan_sim::Scenario =
            dcplan_sim::scenario::parse_ron("test.ron", &v.loaded.source_text)
                .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(
            format!("{:?}", v.loaded.scenario),
            format!("{parsed:?}"),
            "{}",
            v.name
        );
        assert!(v.loaded.scenario.sweep.is_none(), "{}", v.name);
    }
}

#[test]
fn a_base_scenario_with_errors_still_has_its_sweep_and_search_checked() {
    // Every problem at once: the PUE below 1 does not hide the sections' own problems.
    let base = with(&tiny_text(), "site.pue", "0.5");
    let text = with(
        &base,
        "optimize",
        r#"(variables: [(path: "fleet[0].gpus", min: 64, max: 32), (path: "simulation.seed", min: 1, max: 9)], replications: 1)"#,
    );
    let errs = errors(&text).join("\n");
    for expected in [
        "site.pue",
        "optimize.variables[0].max: the range must have min < max",
        "optimize.variables[1].path: `simulation.seed` cannot vary",
        "optimize.replications: needs at least 2",
    ] {
        assert!(errs.contains(expected), "missing `{expected}` in:\n{errs}");
    }
    let text = with(
        &base,
        "sweep",
        r#"(axes: [(path: "fleet[0].gpus", values: [64]), (path: "fleet[0].gpus", values: [128])])"#,
    );
    let errs = errors(&text).join("\n");
    for expected in [
        "site.pue",
        "sweep.axes[1].path: `fleet[0].gpus` is already swept by sweep.axes[0]",
    ] {
        assert!(errs.contains(expected), "missing `{expected}` in:\n{errs}");
    }
}

/// A path through a variant other than the one written says which it is and how to change it.
#[test]
fn a_path_through_another_variant_says_which_variant_is_written() {
    let text = tiny_text();
    let err = ron_text::set(&text, "demand.mix[0].duration.Hours", "Exponential(12)")
        .expect_err("mix[0] is in months");
    assert!(
        err.contains("`demand.mix[0].duration` is `Months(...)`, not `Hours`"),
        "{err}"
    );
}

/// A warning only a variant has (on-site solar exported at a retail tariff) is reported with
/// the variant, not dropped, and is never an error.
#[test]
fn a_variant_s_own_warnings_are_reported() {
    let text = with(
        &tiny_text(),
        "sweep",
        r#"(axes: [(path: "energy.solar", values: [None, (mw: 0.05, capex_usd_per_kw: 1000)], labels: ["grid", "solar"])])"#,
    );
    let l = load_text(&text);
    let w: Vec<String> = l.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter()
            .any(|w| w.starts_with("warning: variant `solar`") && w.contains("retail tariff")),
        "{w:#?}"
    );
    assert_eq!(sweep::expand(&l).expect("expands").len(), 2);
}
