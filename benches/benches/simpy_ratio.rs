//! dcplan side by side with a hand-built SimPy model of the same fleet
//! (`../shared/bench/simpy_peer.py`, or the file named by `DCPLAN_SIMPY_PEER`).
//!
//! Both run the reference model on one core: 1,280 nodes of 8 GPUs, one-node on-demand requests at
//! 85 % offered load (1,088 a day), exponential durations with a 24-hour mean, one year.
//! dcplan runs `benches/scenarios/reference-10k.ron` with a 12-month horizon. The two are run in
//! turn, three rounds, and the medians are compared; the ratio is SimPy's seconds per replication
//! over dcplan's. Each round also times the floor ([`dcplan_benches::floor`]: the peer's model
//! written by hand in Rust on dcplan's queue and random stream, nothing else), which bounds the
//! ratio any event-by-event model of this fleet can reach. Where Python or SimPy is missing it prints why and measures nothing
//! (`pip install simpy` installs SimPy).
//!
//! `cargo bench -p dcplan-benches --bench simpy_ratio`

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use dcplan_sim::replication::{ReplicationOptions, run_replication};

/// SimPy's arguments: nodes, offered load in Erlangs, mean hours, years, replications.
const PEER_ARGS: [&str; 5] = ["1280", "1088", "24", "1", "1"];
/// dcplan replications per round (one more runs first to warm the caches).
const DCPLAN_REPS: u64 = 10;
const ROUNDS: usize = 3;

fn peer_script() -> PathBuf {
    std::env::var_os("DCPLAN_SIMPY_PEER")
        .map(PathBuf::from)
        .unwrap_or_else(|| dcplan_benches::repo_path("../shared/bench/simpy_peer.py"))
}

/// Seconds per SimPy replication, from the `wall_s=` the script prints.
fn run_peer(script: &PathBuf) -> Result<f64, String> {
    let out = Command::new("python3")
        .arg(script)
        .args(PEER_ARGS)
        .output()
        .map_err(|e| format!("python3 could not run: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "the SimPy model failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let wall = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix("wall_s="))
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or_else(|| format!("no wall_s= in the SimPy output: {text}"))?;
    let reps: f64 = PEER_ARGS[4].parse().expect("a number");
    Ok(wall / reps)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this in test mode: nothing to do.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let script = peer_script();
    if !script.is_file() {
        println!(
            "skipped: the SimPy model {} is not there (set DCPLAN_SIMPY_PEER)",
            script.display()
        );
        return;
    }
    let simpy = Command::new("python3")
        .args(["-c", "import simpy"])
        .output();
    if !simpy.is_ok_and(|o| o.status.success()) {
        println!("skipped: SimPy is not installed (pip install simpy)");
        return;
    }
    let loaded = dcplan_benches::load_with_horizon("benches/scenarios/reference-10k.ron", 12);
    let options = ReplicationOptions::default();
    let events = run_replication(&loaded, 1, 0, &options).events;
    let (mut peer, mut ours, mut floor) = (Vec::new(), Vec::new(), Vec::new());
    let floor_args: Vec<f64> = PEER_ARGS
        .iter()
        .map(|a| a.parse().expect("a number"))
        .collect();
    for round in 0..ROUNDS {
        let p = match run_peer(&script) {
            Ok(p) => p,
            Err(why) => {
                println!("skipped: {why}");
                return;
            }
        };
        let t = Instant::now();
        for r in 0..DCPLAN_REPS {
            std::hint::black_box(run_replication(&loaded, 1, r, &options));
        }
        let d = t.elapsed().as_secs_f64() / DCPLAN_REPS as f64;
        let t = Instant::now();
        for r in 0..DCPLAN_REPS {
            std::hint::black_box(dcplan_benches::floor::replication(
                r,
                floor_args[0] as u32,
                floor_args[1],
                floor_args[2],
                floor_args[3],
            ));
        }
        let f = t.elapsed().as_secs_f64() / DCPLAN_REPS as f64;
        println!(
            "round {}: SimPy {p:.3} s, dcplan {:.4} s per replication ({:.1} M events/s): {:.0}x; \
             floor {f:.4} s: {:.0}x",
            round + 1,
            d,
            events as f64 / d / 1e6,
            p / d,
            p / f
        );
        peer.push(p);
        ours.push(d);
        floor.push(f);
    }
    let (p, d, f) = (median(peer), median(ours), median(floor));
    println!(
        "median: SimPy {p:.3} s, dcplan {d:.4} s per replication of 10,240 GPUs for one year: \
         dcplan is {:.0}x faster; the floor (the peer's model by hand in Rust) {f:.4} s, {:.0}x \
         faster than SimPy; dcplan's whole model costs {:.2}x the floor",
        p / d,
        p / f,
        d / f
    );
}
