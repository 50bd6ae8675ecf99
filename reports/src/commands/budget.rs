//! What a run will take (memory, time, hourly rows), checked before anything runs.

use anyhow::Result;
use dcplan_sim::LoadedScenario;

use crate::commands::job::{RunRequest, threads_used};

/// Longest estimated run started without `--yes`, seconds (a day).
pub(crate) const MAX_SECONDS_WITHOUT_YES: f64 = 86_400.0;
/// Estimated runs longer than this print their estimate first, seconds.
pub(crate) const ANNOUNCE_SECONDS: f64 = 60.0;
/// Most hourly rows one run keeps, over every variant: 100 replications for ten years.
pub(crate) const MAX_HOURLY_ROWS_PER_RUN: f64 = 100.0 * 120.0 * 744.0;

/// The memory this process may use: the machine's (`MemTotal` of `/proc/meminfo`), or its
/// control group's limit where that is lower (a batch scheduler's allocation). `None` where
/// neither can be read.
pub(crate) fn memory_limit() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    let cgroup = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .filter_map(|f| std::fs::read_to_string(f).ok())
    .filter_map(|t| t.trim().parse::<u64>().ok())
    .min();
    match (total, cgroup) {
        (Some(t), Some(c)) => Some(t.min(c)),
        (t, c) => t.or(c),
    }
}

fn gib(bytes: f64) -> String {
    let units = [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (unit, shift) in units {
        let k = (1u64 << shift) as f64;
        if bytes >= k {
            return format!("{:.1} {unit}", bytes / k);
        }
    }
    format!("{bytes:.0} bytes")
}

fn duration_text(secs: f64) -> String {
    match secs {
        s if s < 120.0 => format!("{s:.0} s"),
        s if s < 7_200.0 => format!("{:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.1} h", s / 3_600.0),
        s if s < 3.2e9 => format!("{:.0} days", s / 86_400.0),
        _ => "longer than a century".into(),
    }
}

/// Estimate what running `n` replications of each scenario (variants of a sweep, or compared
/// scenarios) will take, and refuse before anything runs what exceeds the memory (`--max-memory`
/// or the machine's), a day of computing or [`MAX_HOURLY_ROWS_PER_RUN`] hourly rows, unless
/// `--yes`; print the estimate of a long run.
pub(crate) fn check_budget(scenarios: &[&LoadedScenario], n: u64, req: &RunRequest) -> Result<()> {
    let est = scenarios
        .iter()
        .map(|l| dcplan_sim::scenario::budget::estimate(&l.scenario, &l.catalog, n))
        .fold(dcplan_sim::scenario::budget::Estimate::default(), |a, b| {
            a.plus(b)
        });
    let threads = threads_used(req.threads);
    let memory = est.memory_bytes(threads);
    let secs = est.seconds(threads);
    let what = format!(
        "{} replication(s) of {} month(s), about {:.1e} events each, {:.1e} hourly rows kept",
        est.replications as u64,
        scenarios
            .iter()
            .map(|l| l.scenario.simulation.horizon())
            .max()
            .unwrap_or(0),
        est.events_per_replication,
        est.hourly_rows,
    );
    let mut problems = Vec::new();
    let (limit, source) = match req.max_memory {
        Some(m) => (Some(m), "--max-memory allows"),
        None => (memory_limit(), "this machine has"),
    };
    if let Some(limit) = limit
        && memory > limit as f64
    {
        problems.push(format!(
            "it needs an estimated {} of memory, more than the {} {source}",
            gib(memory),
            gib(limit as f64)
        ));
    }
    if secs > MAX_SECONDS_WITHOUT_YES {
        problems.push(format!(
            "it would take an estimated {} on {threads} thread(s)",
            duration_text(secs)
        ));
    }
    if est.hourly_rows > MAX_HOURLY_ROWS_PER_RUN {
        problems.push(format!(
            "it keeps {:.1e} hourly rows over all its variants, more than the {MAX_HOURLY_ROWS_PER_RUN:.1e} of one run (fewer `simulation.hourly_replications` or `hourly_months`)",
            est.hourly_rows
        ));
    }
    if !problems.is_empty() && !req.yes {
        anyhow::bail!(
            "the run is too large to start: {} ({what}); use fewer replications, a shorter horizon or fewer hourly rows, or pass --yes (and --max-memory SIZE) to run anyway",
            problems.join("; and ")
        );
    }
    if !req.quiet && (secs > ANNOUNCE_SECONDS || !problems.is_empty()) {
        eprintln!(
            "estimate: about {} and {} of memory ({what})",
            duration_text(secs),
            gib(memory)
        );
    }
    Ok(())
}
