//! What a run will cost before it starts: events, memory and time, estimated from the scenario.
//!
//! The figures are deliberately simple and on the high side, so that a command line can refuse a
//! run that would exhaust the machine, and tell before a long one how long it will take:
//! - events per replication: the expected requests (arrival rate times the mean growth factor over
//!   the horizon, times days) plus node failures and the hourly energy steps;
//! - memory: the results kept per replication (monthly rows, fleet and price rows, hourly rows of
//!   the replications that keep them) times about three (the tables built from them when the
//!   folder is written), plus the live state of one replication per thread (nodes);
//! - time: events times a cost per event, over the threads.

use super::Scenario;
use crate::catalog::Catalog;

/// Bytes the results of one replication-month take (a monthly row, fleet rows and prices, with
/// vector overheads), measured on `scenarios/default.ron`'s structures.
const MONTH_BYTES: f64 = (std::mem::size_of::<crate::results::MonthRow>() + 256) as f64;
/// Bytes one kept hour of energy flows takes.
const HOUR_BYTES: f64 = std::mem::size_of::<crate::energy::dispatch::HourFlows>() as f64;
/// Bytes of live state per node (entity, components, queues, indices) while a replication runs.
const NODE_BYTES: f64 = 512.0;
/// Bytes of live state per request in flight.
const REQUEST_BYTES: f64 = 256.0;
/// Tables built when the output folder is written, relative to the results they hold.
const TABLE_FACTOR: f64 = 2.0;
/// CPU time per event, seconds (a conservative figure from runs of the shipped scenarios).
const SECONDS_PER_EVENT: f64 = 1e-6;
/// Hours in a month (365.25 * 24 / 12).
const HOURS_PER_MONTH: f64 = 730.5;
/// GPUs per node assumed for a SKU the catalog does not know (validation reports it).
const DEFAULT_GPUS_PER_NODE: f64 = 8.0;

/// What one run of a scenario will take.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimate {
    /// Replications.
    pub replications: f64,
    /// Events of one replication.
    pub events_per_replication: f64,
    /// Bytes of the results kept for all replications (hourly rows included).
    pub result_bytes: f64,
    /// Hourly rows kept in all.
    pub hourly_rows: f64,
    /// Bytes of live state of one replication while it runs.
    pub live_bytes: f64,
}

impl Estimate {
    /// The sum of two estimates (variants of one run).
    pub fn plus(self, o: Estimate) -> Estimate {
        Estimate {
            replications: self.replications + o.replications,
            events_per_replication: self.events_per_replication.max(o.events_per_replication),
            result_bytes: self.result_bytes + o.result_bytes,
            hourly_rows: self.hourly_rows + o.hourly_rows,
            live_bytes: self.live_bytes.max(o.live_bytes),
        }
    }

    /// Peak memory with `threads` replications running at once, bytes.
    pub fn memory_bytes(&self, threads: usize) -> f64 {
        self.result_bytes * (1.0 + TABLE_FACTOR) + self.live_bytes * threads.max(1) as f64
    }

    /// Events over every replication.
    pub fn events(&self) -> f64 {
        self.events_per_replication * self.replications
    }

    /// Wall time with `threads` threads, seconds.
    pub fn seconds(&self, threads: usize) -> f64 {
        self.events() * SECONDS_PER_EVENT / threads.max(1) as f64
    }
}

/// Estimate a run of `replications` replications of a (validated) scenario.
pub fn estimate(s: &Scenario, catalog: &Catalog, replications: u64) -> Estimate {
    let months = s.simulation.horizon() as f64;
    let days = months * 365.25 / 12.0;
    let years = months / 12.0;
    // Mean growth factor over the horizon: (G^T - 1) / (T ln G), 1 without growth.
    let g = s.demand.growth_per_year_frac.mean().clamp(-0.99, 100.0);
    let ln = (1.0 + g).ln();
    let growth = if ln.abs() * years < 1e-9 {
        1.0
    } else {
        ((ln * years).min(700.0).exp() - 1.0) / (ln * years)
    };
    let requests = (s.demand.arrivals_per_day.mean().max(0.0) * days * growth).min(1e15);
    let nodes: f64 = s
        .fleet
        .iter()
        .map(|t| {
            t.gpus.max(0) as f64
                / catalog
                    .sku(&t.sku)
                    .map_or(DEFAULT_GPUS_PER_NODE, |k| k.gpus_per_node.max(1) as f64)
        })
        .sum();
    // Failures and repairs: a few per node-year at most; the hourly energy step runs every hour.
    let events_per_replication = requests * 2.0 + nodes * years * 4.0 + months * HOURS_PER_MONTH;
    let hourly_months = s
        .simulation
        .hourly_months
        .unwrap_or(12)
        .clamp(1, s.simulation.horizon() as i64) as f64;
    let hourly_reps = s
        .simulation
        .hourly_replications
        .iter()
        .filter(|&&r| r >= 0 && (r as u64) < replications)
        .count() as f64;
    let hourly_rows = hourly_reps * hourly_months * HOURS_PER_MONTH;
    let skus = s.fleet.len().max(1) as f64;
    let result_bytes =
        replications as f64 * months * MONTH_BYTES * skus.sqrt() + hourly_rows * HOUR_BYTES;
    // Requests in flight: those that arrive within a typical job's length (a month, generously).
    let in_flight = (s.demand.arrivals_per_day.mean().max(0.0) * 30.0 * growth.max(1.0)).min(1e12);
    let live_bytes =
        nodes * NODE_BYTES + in_flight * REQUEST_BYTES + months * MONTH_BYTES * skus.sqrt();
    Estimate {
        replications: replications as f64,
        events_per_replication,
        result_bytes,
        hourly_rows,
        live_bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The estimate is on the high side of the events a replication really handles, but not
    /// wildly so (which would refuse reasonable runs).
    #[test]
    fn events_are_estimated_from_above_within_a_factor() {
        for text in [
            crate::scenario::DEFAULT_SCENARIO_RON,
            include_str!("../../../scenarios/tiny.ron"),
        ] {
            let l = crate::load::load_str("s.ron", text).expect("loads");
            let config = crate::RunConfig {
                seed: 1,
                replications: 0..2,
                threads: 1,
                options: crate::replication::ReplicationOptions::for_run(&l, 1, 2),
            };
            let out = crate::run(&l, &config, &|| ()).expect("runs");
            let events = out
                .replications
                .iter()
                .map(|r| r.events)
                .max()
                .expect("ran") as f64;
            let e = estimate(&l.scenario, &l.catalog, 2);
            eprintln!(
                "{}: {events} events, estimated {:.0}",
                l.scenario.name, e.events_per_replication
            );
            assert!(
                e.events_per_replication >= events && e.events_per_replication <= 20.0 * events,
                "{events} vs {e:?}"
            );
        }
    }

    #[test]
    fn the_default_scenario_is_modest_and_bigger_inputs_cost_more() {
        let l = crate::load::load_default().expect("default");
        let e = estimate(&l.scenario, &l.catalog, 100);
        assert!(e.memory_bytes(4) < 2e9, "{e:?}");
        assert!(e.seconds(4) < 600.0, "{e:?}");
        let mut big = l.scenario.clone();
        big.simulation.horizon_months = 600;
        let b = estimate(&big, &l.catalog, 1_000_000);
        assert!(b.memory_bytes(4) > 100.0 * e.memory_bytes(4), "{b:?}");
        big.demand.arrivals_per_day = 5e6.into();
        assert!(estimate(&big, &l.catalog, 1).events_per_replication > 1e9);
    }
}
