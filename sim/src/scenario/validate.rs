//! Semantic validation: every problem at once, each with its field path.

pub mod leaves;
pub mod ranges;

use super::{Problems, Scenario};
use super::{demand, energy, finance, fleet, policy, pricing, simulation, site};
use crate::catalog::{Catalog, Sku};
use crate::dist::{Param, fmt_num};
use leaves::LeafValue;

/// Largest horizon accepted, in months (50 years).
pub const MAX_HORIZON_MONTHS: u32 = 600;

/// Largest number of replications accepted in one run.
pub const MAX_REPLICATIONS: u32 = 1_000_000;

/// Most replications that may keep hourly flows (each holds up to 744 rows per month).
pub const MAX_HOURLY_REPLICATIONS: usize = 100;

/// Largest number of requests one replication may simulate.
pub const MAX_REQUESTS: f64 = 2e9;

/// Largest fleet accepted, in GPUs.
pub const MAX_GPUS: u64 = 10_000_000;

/// Validate a scenario against a catalog; returns every problem found.
pub fn validate(scenario: &Scenario, catalog: &Catalog) -> Problems {
    let mut problems = Problems::default();
    validate_into(scenario, catalog, &mut problems);
    problems
}

/// Validate into an existing list of problems.
pub fn validate_into(s: &Scenario, catalog: &Catalog, p: &mut Problems) {
    if s.name.trim().is_empty() {
        p.push("name", "must not be empty");
    }
    let horizon = s.simulation.horizon();
    simulation::check_simulation(s, p);
    site::check_site(s, catalog, p);
    fleet::check_fleet(s, catalog, horizon, p);
    energy::check_energy(s, catalog, p);
    demand::check_demand(s, catalog, p);
    pricing::check_pricing(s, catalog, p);
    finance::check_finance(s, p);
    fleet::check_reliability(s, p);
    fleet::check_lifecycle(s, catalog, p);
    policy::check_policies(s, catalog, p);
    super::study::check_correlations(s, p);
    check_numbers(s, p);
}

/// Every number of the scenario against its range in [`ranges::RANGES`], except those a check
/// above has already reported (errors at the same path): so no number reaches the model non-finite or out of range, a
/// field added to the schema included.
fn check_numbers(s: &Scenario, p: &mut Problems) {
    // The search section is checked by `optimize::check` (with its own messages first).
    let mut s = s.clone();
    s.optimize = None;
    check_numbers_of(&s, "", p);
}

/// [`check_numbers`] for a part of a scenario found at `prefix` (e.g. `catalog`).
pub(crate) fn check_numbers_of<T: serde::Serialize + ?Sized>(
    value: &T,
    prefix: &str,
    p: &mut Problems,
) {
    for mut leaf in leaves::number_leaves(value) {
        if !prefix.is_empty() {
            let sep = if leaf.path.starts_with('[') { "" } else { "." };
            leaf.path = format!("{prefix}{sep}{}", leaf.path);
        }
        if p.iter()
            .any(|q| q.severity == super::Severity::Error && q.path == leaf.path)
        {
            continue;
        }
        let range = ranges::range_of(&leaf.path);
        match (&leaf.value, range) {
            (LeafValue::Float(x), Some(r)) if !r.contains(*x) => p.push(leaf.path, r.message(*x)),
            (LeafValue::Int(i), Some(r)) if !r.contains(*i as f64) => {
                p.push(leaf.path, r.message(*i as f64))
            }
            (LeafValue::Dist(d), Some(r)) => {
                let param = Param::Dist(d.clone());
                if r.draw {
                    param.check_draw(&leaf.path, r.lo, r.hi, p);
                } else {
                    param.check_range(&leaf.path, r.lo, r.hi, p);
                }
            }
            (LeafValue::Float(x), None) if !x.is_finite() => {
                p.push(leaf.path, format!("{} is not a finite number", fmt_num(*x)))
            }
            (LeafValue::Dist(d), None) => {
                Param::Dist(d.clone()).check_range(&leaf.path, f64::NEG_INFINITY, f64::INFINITY, p)
            }
            _ => {}
        }
    }
}

/// GPUs per node of a SKU, or None when the catalog entry's count is invalid (reported with
/// the catalog), so that no check divides by it.
pub(super) fn per_node(sku: &Sku) -> Option<i64> {
    (1..=1024)
        .contains(&sku.gpus_per_node)
        .then_some(sku.gpus_per_node as i64)
}

/// Total of GPU counts (negative ones count 0), saturating so that absurd counts cannot overflow.
pub(super) fn total_gpus<'a>(counts: impl Iterator<Item = &'a i64>) -> u64 {
    counts.fold(0u64, |sum, &g| sum.saturating_add(g.max(0) as u64))
}

/// The whole numbers of nodes' GPUs nearest a count of `gpus` that is not one, for a message:
/// `(try 8 or 16)`, or `(try 8)` below one node.
pub(super) fn whole_nodes_hint(gpus: i64, per_node: i64) -> String {
    let n = gpus / per_node;
    if n <= 0 {
        format!("(try {per_node})")
    } else {
        format!(
            "(try {} or {})",
            n.saturating_mul(per_node),
            n.saturating_add(1).saturating_mul(per_node)
        )
    }
}

pub(super) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::whole_nodes_hint;

    #[test]
    fn the_hint_names_whole_node_counts_and_never_zero() {
        assert_eq!(whole_nodes_hint(60, 8), "(try 56 or 64)");
        assert_eq!(whole_nodes_hint(1, 8), "(try 8)");
        assert_eq!(whole_nodes_hint(7, 8), "(try 8)");
        assert!(whole_nodes_hint(i64::MAX - 1, 8).starts_with("(try "));
    }
}
