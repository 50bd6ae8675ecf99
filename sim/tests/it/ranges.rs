//! Every number of the schema has a range, and validation refuses every value outside it with
//! the field's path and accepts the range's own ends.

use std::collections::BTreeSet;

use dcplan_sim::scenario::validate::leaves::{LeafValue, NumberLeaf, number_leaves};
use dcplan_sim::scenario::validate::ranges::{FieldRange, RANGES, pattern_of, range_of};
use dcplan_sim::scenario::{Severity, ron_text};
use dcplan_sim::{ScenarioError, load_str};

use super::full_scenario::{to_ron, variants};

/// `ron_text::set`, also for an item of a list inside a list (`rows[1][0]`).
pub(crate) fn set_path(text: &str, path: &str, value: &str) -> Result<String, String> {
    let Some(split) = path.rfind("][") else {
        return ron_text::set(text, path, value);
    };
    let (outer, inner) = (&path[..split + 1], &path[split + 2..path.len() - 1]);
    let index: usize = inner.parse().map_err(|_| format!("bad index in {path}"))?;
    let items = ron_text::list(text, outer)?;
    if index >= items.len() {
        return Err(format!("{outer} has {} items", items.len()));
    }
    let rebuilt: Vec<&str> = items
        .iter()
        .enumerate()
        .map(|(i, x)| if i == index { value } else { x.as_str() })
        .collect();
    ron_text::set(text, outer, &format!("[{}]", rebuilt.join(", ")))
}

/// Every number leaf of the full scenario and its variants, each path once, with the text of
/// the first variant that has it.
fn all_leaves() -> Vec<(String, NumberLeaf)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for s in variants() {
        let text = to_ron(&s);
        for l in number_leaves(&s) {
            if seen.insert(l.path.clone()) {
                out.push((text.clone(), l));
            }
        }
    }
    out
}

#[test]
fn every_number_in_the_schema_has_a_range_and_every_range_a_field() {
    let leaves = all_leaves();
    assert!(leaves.len() > 150, "only {} numbers found", leaves.len());
    let missing: Vec<&str> = leaves
        .iter()
        .filter(|(_, l)| range_of(&l.path).is_none())
        .map(|(_, l)| l.path.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "numbers without a range in validate::ranges::RANGES: {missing:?}"
    );
    let used: BTreeSet<String> = leaves.iter().map(|(_, l)| pattern_of(&l.path)).collect();
    let stale: Vec<&str> = RANGES
        .iter()
        .map(|r| r.pattern)
        .filter(|p| !used.contains(*p))
        .collect();
    assert!(
        stale.is_empty(),
        "ranges for fields the schema does not have: {stale:?}"
    );
}

/// Error paths of loading `text` (empty when it loads), or None for a syntax error.
fn error_paths(text: &str) -> Option<Vec<String>> {
    match load_str("test.ron", text) {
        Ok(_) => Some(Vec::new()),
        Err(ScenarioError::Invalid { problems, .. }) => Some(
            problems
                .into_iter()
                .filter(|p| p.severity == Severity::Error)
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect(),
        ),
        Err(ScenarioError::Syntax { .. }) => None,
        Err(e) => panic!("{e}"),
    }
}

fn is_int(l: &NumberLeaf) -> bool {
    matches!(l.value, LeafValue::Int(_))
}

fn num_text(x: f64, int: bool) -> String {
    if int {
        format!("{}", x as i128)
    } else {
        format!("{x:?}")
    }
}

/// Values just outside a range, written for the field's type.
fn outside(r: &FieldRange, int: bool) -> Vec<String> {
    let step = if int {
        1.0
    } else {
        (r.hi - r.lo).abs().max(1e-9) * 1e-3
    };
    let mut v = Vec::new();
    v.push(num_text(if r.lo_open { r.lo } else { r.lo - step }, int));
    v.push(num_text(if r.hi_open { r.hi } else { r.hi + step }, int));
    if int {
        if r.hi >= u64::MAX as f64 {
            // Every value of the type is accepted (the seed).
            return Vec::new();
        }
        v.extend(["4294967296", "-4294967296", "9223372036854775807"].map(String::from));
    } else {
        v.extend(["NaN", "inf", "-inf", "1e300", "-1e300"].map(String::from));
        // Distributions, for the fields that are parameters (a syntax error for the others).
        v.push(format!("Uniform({}, NaN)", num_text(r.lo, false)));
        v.push(format!(
            "Normal({}, -1.0)",
            num_text(0.5 * (r.lo + r.hi), false)
        ));
        v.push(format!(
            "LogNormal({}, {})",
            num_text(r.hi.abs().max(1.0), false),
            num_text(r.hi.abs().max(1.0) / 2.0, false)
        ));
        v.push(format!(
            "Uniform({}, {})",
            num_text(r.lo - step - 1.0, false),
            num_text(r.hi, false)
        ));
    }
    v
}

/// Values at the ends of a range (inside it), written for the field's type.
fn inside(r: &FieldRange, int: bool) -> Vec<String> {
    if int && r.hi >= u64::MAX as f64 {
        return vec![num_text(r.lo, int), u64::MAX.to_string()];
    }
    let step = if int { 1.0 } else { (r.hi - r.lo).abs() * 1e-6 };
    vec![
        num_text(if r.lo_open { r.lo + step } else { r.lo }, int),
        num_text(if r.hi_open { r.hi - step } else { r.hi }, int),
    ]
}

/// Fields whose ends depend on another field of the full scenario, so that an end of the
/// range alone is refused at the field's own path (by a check that relates the two).
const LINKED: &[&str] = &[
    "catalog.gpus[*].node_idle_kw",      // at most node_max_kw
    "finance.debt[*].grace_months",      // below the tenor
    "simulation.hourly_months",          // at most the horizon
    "optimize.variables[*].min",         // below max, and the values must be valid fleet sizes
    "optimize.variables[*].max",         // above min, likewise
    "optimize.variables[*].multiple_of", // a multiple must lie between min and max
    "optimize.variables[*].points",      // the grid of points times the other variables
    "reliability.sla.tiers[*].below_availability_frac", // tiers ordered
    "lifecycle.resale_residual_frac_by_age_years[*].0", // ages increasing
    "demand.regimes.forced[*].from_month", // below to_month
    "demand.regimes.forced[*].to_month", // above from_month
    "energy.tariff.peak_start_hour",     // below peak_end_hour
    "energy.tariff.peak_end_hour",       // above peak_start_hour
    "pricing.policy.low_utilization_frac", // at most high_utilization_frac
    "pricing.policy.high_utilization_frac", // at least low_utilization_frac
    "catalog.cooling[*].range_pue.0",    // at most the high end
    "catalog.cooling[*].range_pue.1",    // at least the low end
    "demand.regimes.monthly_transitions[*][*]", // rows sum to 1
    "demand.mix[*].share_frac",          // shares sum to 1
    "fleet[*].gpus",                     // whole nodes of the SKU
    "demand.anchors[*].gpus",            // whole nodes of the SKU
    "lifecycle.refresh[*].gpus",         // whole nodes of the SKU
    "policies[*].action.gpus",           // whole nodes of the SKU
    "demand.arrivals_per_day",           // requests over the horizon are capped
    "simulation.hourly_replications[*]", // each replication once
];

#[test]
fn every_number_outside_its_range_is_refused_at_its_path_and_its_ends_are_accepted() {
    let leaves = all_leaves();
    let mut refused = 0;
    let mut failures = Vec::new();
    for (text, leaf) in &leaves {
        let Some(r) = range_of(&leaf.path) else {
            continue;
        };
        if matches!(leaf.value, LeafValue::Dist(_)) && !leaf.text_path.is_empty() {
            // A distribution-valued field: its parameters are tested through the plain values.
        }
        let int = is_int(leaf);
        for value in outside(r, int) {
            let t = set_path(text, &leaf.text_path, &value)
                .unwrap_or_else(|e| panic!("{}: {e}", leaf.text_path));
            match error_paths(&t) {
                None => refused += 1, // not even the right type: a syntax error with its position
                Some(errors)
                    if errors
                        .iter()
                        .any(|e| e.starts_with(&format!("{}: ", leaf.path))) =>
                {
                    refused += 1
                }
                Some(errors) => failures.push(format!(
                    "{} = {value}: accepted (errors: {errors:?})",
                    leaf.path
                )),
            }
        }
        if LINKED.contains(&pattern_of(&leaf.path).as_str()) {
            continue;
        }
        for value in inside(r, int) {
            let t = set_path(text, &leaf.text_path, &value).expect("set");
            match error_paths(&t) {
                None => failures.push(format!("{} = {value}: syntax error", leaf.path)),
                Some(errors) => {
                    if let Some(e) = errors
                        .iter()
                        .find(|e| e.starts_with(&format!("{}: ", leaf.path)))
                    {
                        failures.push(format!(
                            "{} = {value} (an end of its range) refused: {e}",
                            leaf.path
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(refused > 1000, "only {refused} refusals");
}

#[test]
fn the_full_scenario_and_its_variants_validate() {
    for s in variants().iter().take(3) {
        if let Err(e) = load_str("test.ron", &to_ron(s)) {
            panic!("{e}");
        }
    }
}

#[test]
fn a_per_request_draw_whose_tail_runs_to_absurd_values_is_refused() {
    // The median of each is in range; one draw in a thousand is not.
    let tiny = std::fs::read_to_string(super::common::repo_root().join("scenarios/tiny.ron"))
        .expect("tiny");
    for (path, value, expected) in [
        (
            "demand.mix[0].duration",
            "Months(LogNormal(3, 1e308))",
            "demand.mix[0].duration.Months: LogNormal(3, 1e308): one draw in a thousand is above",
        ),
        (
            "demand.mix[0].duration",
            "Hours(LogNormal(24, 500000))",
            "demand.mix[0].duration.Hours: LogNormal(24, 500000): one draw in a thousand is above",
        ),
    ] {
        let text = set_path(&tiny, path, value).expect("settable");
        let errors = error_paths(&text).expect("parses");
        assert!(
            errors.iter().any(|e| e.starts_with(expected)),
            "{value}: {errors:?}"
        );
    }
    // A heavy but plausible tail is accepted (a 24-hour median, one job in ten over 200 hours).
    let text =
        set_path(&tiny, "demand.mix[0].duration", "Hours(LogNormal(24, 200))").expect("settable");
    assert_eq!(error_paths(&text), Some(Vec::new()));
}

/// Normal and LogNormal inputs, which SPEC §3 offers for any uncertain number, are accepted
/// where one draw in a thousand stays within the field's range, and refused where it does not;
/// a rarer draw beyond the range is taken at the bound, so the model never sees a value the
/// field refuses.
#[test]
fn endless_tails_are_accepted_within_range_and_drawn_at_the_bound_beyond() {
    let tiny = std::fs::read_to_string(crate::common::scenario_path("tiny.ron")).expect("tiny");
    let with_pue =
        |pue: &str| tiny.replace("pue: Triangular(1.2, 1.3, 1.4)", &format!("pue: {pue}"));
    assert!(
        with_pue("x").contains("pue: x"),
        "tiny.ron's PUE line changed"
    );
    // 1.5 - 3.09 x 0.15 = 1.04: accepted; 1.5 - 3.09 x 0.2 = 0.88: refused.
    let loaded = crate::common::load_text(&with_pue("Normal(1.5, 0.15)"));
    let err = dcplan_sim::load_str("t.ron", &with_pue("Normal(1.5, 0.2)"))
        .expect_err("a tail below the minimum is refused")
        .to_string();
    assert!(
        err.contains("site.pue: Normal(1.5, 0.2): one draw in a thousand is below 0.88"),
        "{err}"
    );
    crate::common::load_text(&with_pue("LogNormal(1.3, 1.4)"));
    // At its one-in-a-billion quantile the Normal is below 1: drawn at 1 exactly.
    let options = |q: f64| dcplan_sim::replication::ReplicationOptions {
        sample_mode: dcplan_sim::params::SampleMode::Quantile(q),
        trace: false,
    };
    let pue_at = |q: f64| {
        let r = dcplan_sim::replication::run_replication(&loaded, 1, 0, &options(q));
        r.params
            .iter()
            .find(|(p, _)| p == "site.pue")
            .map(|(_, x)| *x)
            .expect("site.pue drawn")
    };
    assert_eq!(pue_at(1e-9), 1.0);
    assert!((pue_at(0.5) - 1.5).abs() < 1e-12);
    assert!((pue_at(0.001) - (1.5 - 0.15 * 3.090_232_306_167_813)).abs() < 1e-9);
}
