//! Monte Carlo: many replications in parallel with rayon.
//!
//! Parallelism is across replications only; each replication is a self-contained world on one
//! thread, seeded from `(master seed, replication index)`. Results are collected in replication
//! order, so the output does not depend on the number of threads.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::plan::Plan;
use crate::replication::{ReplicationOptions, try_run_plan};
use crate::results::Replication;
use crate::scenario::LoadedScenario;

/// What to run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Master seed.
    pub seed: u64,
    /// Replication indices to run (a whole run is `0..n`; a shard is a slice of it).
    pub replications: std::ops::Range<u64>,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Per-replication options.
    pub options: ReplicationOptions,
}

/// A replication that broke an internal invariant or produced a ledger line that is not a number;
/// the batch goes on without it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicationFailure {
    /// Replication index.
    pub index: u64,
    /// Master seed (with the index, enough to reproduce it).
    pub seed: u64,
    /// Why: the panic message, or the ledger line (and month) that was not a finite number.
    pub message: String,
}

/// Results of a Monte Carlo run, in replication order.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// Finished replications.
    pub replications: Vec<Replication>,
    /// Replications that failed.
    pub failures: Vec<ReplicationFailure>,
}

/// Errors starting a run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The thread pool could not be created.
    #[error("cannot start {threads} worker threads: {message}")]
    ThreadPool {
        /// Requested threads.
        threads: usize,
        /// Why.
        message: String,
    },
}

/// Run the replications of `config` on a pool of `config.threads` threads.
/// `progress` is called once per finished replication (from worker threads).
pub fn run(
    loaded: &LoadedScenario,
    config: &RunConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<RunOutput, RunError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .thread_name(|i| format!("dcplan-worker-{i}"))
        .build()
        .map_err(|e| RunError::ThreadPool {
            threads: config.threads,
            message: e.to_string(),
        })?;
    let plan = Plan::new(loaded);
    let done = AtomicU64::new(0);
    let results: Vec<Result<Replication, ReplicationFailure>> = pool.install(|| {
        config
            .replications
            .clone()
            .into_par_iter()
            .map(|r| {
                let failure = |message| ReplicationFailure {
                    index: r,
                    seed: config.seed,
                    message,
                };
                let out = catch_unwind(AssertUnwindSafe(|| {
                    try_run_plan(&plan, config.seed, r, &config.options)
                }))
                .map_err(|payload| failure(panic_message(&payload)))
                .and_then(|result| result.map_err(failure));
                done.fetch_add(1, Ordering::Relaxed);
                progress();
                out
            })
            .collect()
    });
    let mut output = RunOutput {
        replications: Vec::with_capacity(results.len()),
        failures: Vec::new(),
    };
    for r in results {
        match r {
            Ok(rep) => output.replications.push(rep),
            Err(f) => output.failures.push(f),
        }
    }
    Ok(output)
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}
