//! The registry of uncertain inputs is complete: every field of the schema that accepts a
//! distribution, written as one, is drawn by a replication (an uncertain input) or drawn per
//! request, failure or repair (a process distribution), under its field path.

use std::collections::BTreeSet;

use dcplan_sim::catalog::Catalog;
use dcplan_sim::plan::{Plan, uncertain_fields};
use dcplan_sim::scenario::validate::leaves::{LeafValue, number_leaves};
use dcplan_sim::scenario::{HourlySeries, LoadedScenario, Scenario, parse_ron, ron_text};

use super::full_scenario::{to_ron, variants};

/// A loaded scenario without validation (the plan only needs names that resolve).
fn loaded(scenario: Scenario, text: String) -> LoadedScenario {
    let (catalog, _) = Catalog::builtin().with_overrides(&scenario.catalog);
    LoadedScenario {
        file: "full.ron".into(),
        scenario,
        catalog,
        warnings: Vec::new(),
        source_text: text,
        weather_csv: None,
        weather_file: None,
        price_csv: HourlySeries::one_year(vec![0.05; 8760]),
        grid_carbon: None,
        marginal_emissions: None,
        demand_history: None,
        inputs: Vec::new(),
        input_dir: ".".into(),
    }
}

/// A path as the plan names it: a value inside `Hours(..)` or `Months(..)` is named by its field.
fn plan_path(path: &str) -> String {
    path.trim_end_matches(".Hours")
        .trim_end_matches(".Months")
        .to_string()
}

/// The scenario with every number that may be a distribution written as one.
fn all_distributions(s: &Scenario) -> Scenario {
    let mut text = to_ron(s);
    for leaf in number_leaves(s) {
        let x = match leaf.value {
            LeafValue::Float(x) => x,
            LeafValue::Int(i) => i as f64,
            LeafValue::Dist(_) => continue,
        };
        let Ok(changed) = ron_text::set(
            &text,
            &leaf.text_path,
            &format!("Uniform({x:?}, {:?})", x + 1.0),
        ) else {
            continue;
        };
        // Only a field that accepts a distribution parses with one.
        if parse_ron::<Scenario>("full.ron", &changed).is_ok() {
            text = changed;
        }
    }
    parse_ron("full.ron", &text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_field_that_accepts_a_distribution_is_registered() {
    for (k, s) in variants().iter().enumerate() {
        let s = all_distributions(s);
        // Catalog prices are drawn under the path of the tranche that buys at them.
        let schema: BTreeSet<String> = uncertain_fields(&s)
            .iter()
            .filter(|p| !p.starts_with("catalog."))
            .map(|p| plan_path(p))
            .collect();
        assert!(schema.len() > 60, "variant {k}: {} fields", schema.len());
        let plan = Plan::new(&loaded(s.clone(), to_ron(&s)));
        let registered: BTreeSet<String> = plan
            .inputs()
            .iter()
            .map(|i| i.path.clone())
            .chain(plan.process_distributions().iter().cloned())
            .collect();
        let missing: Vec<_> = schema.difference(&registered).collect();
        assert!(
            missing.is_empty(),
            "variant {k}: fields written as distributions that no replication draws: {missing:?}"
        );
        let unknown: Vec<_> = registered.difference(&schema).collect();
        assert!(
            unknown.is_empty(),
            "variant {k}: registered paths that are not distribution fields: {unknown:?}"
        );
        // Every input is registered once.
        assert_eq!(
            plan.inputs().len() + plan.process_distributions().len(),
            registered.len(),
            "variant {k}: a path registered twice"
        );
    }
}

#[test]
fn a_plain_number_or_a_fixed_distribution_is_not_an_uncertain_input() {
    let s = variants().remove(0);
    let plan = Plan::new(&loaded(s.clone(), to_ron(&s)));
    let uncertain: Vec<String> = uncertain_fields(&s)
        .into_iter()
        .map(|p| plan_path(&p))
        .collect();
    for input in plan.inputs() {
        assert!(
            uncertain.contains(&input.path),
            "{} is drawn but written as a number",
            input.path
        );
    }
}
