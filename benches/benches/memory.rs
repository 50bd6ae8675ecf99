//! Peak heap memory of one replication as the horizon grows: it should stay nearly flat, because
//! results are accumulated per month and the hourly energy buffer covers one month.
//!
//! `cargo bench -p dcplan-benches --bench memory` prints one line per horizon.

#![expect(
    unsafe_code,
    reason = "a counting global allocator is the way to measure heap use"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use dcplan_sim::replication::{ReplicationOptions, run_replication};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn main() {
    horizon_at_10k();
    horizon_at_100k();
}

/// One replication on this thread: the replication, its peak heap in bytes above what was
/// allocated before it, and its seconds.
fn measure(loaded: &dcplan_sim::LoadedScenario) -> (dcplan_sim::Replication, usize, f64) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let t = std::time::Instant::now();
    let rep = run_replication(loaded, 1, 0, &ReplicationOptions::default());
    let s = t.elapsed().as_secs_f64();
    (rep, PEAK.load(Ordering::Relaxed) - base, s)
}

fn horizon_at_10k() {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    println!("peak heap of one replication of benches/scenarios/reference-10k.ron by horizon");
    println!(
        "{:>8} {:>12} {:>14} {:>16}",
        "months", "events", "peak heap MB", "of which results"
    );
    for months in [12u32, 24, 48, 96, 192] {
        let loaded =
            dcplan_benches::load_with_horizon("benches/scenarios/reference-10k.ron", months);
        let (rep, peak, _) = measure(&loaded);
        let results = rep.months.len() * std::mem::size_of::<dcplan_sim::MonthRow>();
        println!(
            "{months:>8} {:>12} {:>14.2} {:>16.3}",
            rep.events,
            peak as f64 / 1e6,
            results as f64 / 1e6
        );
    }
}

/// The largest reference fleet, 102,400 GPUs (12,800 nodes, arrivals scaled with it), over
/// growing horizons: peak heap and seconds of one replication on one core.
fn horizon_at_100k() {
    println!();
    println!("one replication of reference-10k scaled to 102,400 GPUs, by horizon");
    println!(
        "{:>8} {:>12} {:>14} {:>10} {:>18}",
        "months", "events", "peak heap MB", "seconds", "us per GPU-year"
    );
    for months in [12u32, 60, 120] {
        let loaded = dcplan_benches::load_scaled("benches/scenarios/reference-10k.ron", months, 10);
        let (rep, peak, s) = measure(&loaded);
        let gpu_years = 102_400.0 * months as f64 / 12.0;
        println!(
            "{months:>8} {:>12} {:>14.2} {s:>10.2} {:>18.2}",
            rep.events,
            peak as f64 / 1e6,
            s / gpu_years * 1e6
        );
    }
}
