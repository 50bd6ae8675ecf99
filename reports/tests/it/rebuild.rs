//! `dcplan report RUN_DIR` rebuilds a finished folder from its own data, and `hourly.parquet`
//! holds the hourly flows of the replications a scenario chooses.

use std::path::Path;

use dcplan::render::tables::read_parquet;
use dcplan::store::manifest::Manifest;

use super::common::{dcplan, ok, same_files, scenario, sweep_scenario, text, tiny_with};

/// Every file of folder `a`, by name.
fn files(a: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(a)
        .expect("folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn manifest(dir: &Path) -> Manifest {
    ron::from_str(&std::fs::read_to_string(dir.join("manifest.ron")).expect("manifest"))
        .expect("manifest parses")
}

/// The rebuilt folder holds the same files, byte for byte, apart from the manifest, whose only
/// difference is the wall time.
fn same_folder(a: &Path, b: &Path) {
    let names = files(a);
    assert_eq!(names, files(b), "the same files");
    let data: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|f| *f != "manifest.ron")
        .collect();
    same_files(a, b, &data);
    let (ma, mb) = (manifest(a), manifest(b));
    assert_eq!(
        Manifest {
            wall_time_s: 0.0,
            ..ma
        },
        Manifest {
            wall_time_s: 0.0,
            ..mb
        }
    );
}

#[test]
fn a_rebuilt_run_folder_is_identical_to_the_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    ok(
        tmp.path(),
        &[
            "run",
            tiny.to_str().expect("utf-8"),
            "-r",
            "6",
            "--out",
            "t",
            "-q",
        ],
    );
    let o = ok(tmp.path(), &["report", "t", "--out", "r"]);
    assert!(
        text(&o).0.contains("rebuilt r: 6 replications"),
        "{:?}",
        text(&o)
    );
    same_folder(&tmp.path().join("t"), &tmp.path().join("r"));

    // In place only with --force; without it nothing changes.
    let before = std::fs::read(tmp.path().join("t/manifest.ron")).expect("manifest");
    let o = dcplan(tmp.path(), &["report", "t"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("pass --force"), "{}", text(&o).1);
    assert_eq!(
        std::fs::read(tmp.path().join("t/manifest.ron")).expect("manifest"),
        before
    );
    ok(tmp.path(), &["report", "t", "--force", "-q"]);
    same_folder(&tmp.path().join("r"), &tmp.path().join("t"));
}

#[test]
fn rebuilt_sweep_and_comparison_folders_are_identical() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = sweep_scenario(tmp.path());
    ok(tmp.path(), &["run", &s, "-r", "4", "--out", "sw", "-q"]);
    ok(tmp.path(), &["report", "sw", "--out", "sw2", "-q"]);
    same_folder(&tmp.path().join("sw"), &tmp.path().join("sw2"));
    // Not into a folder inside the one it reads.
    let o = dcplan(tmp.path(), &["report", "sw", "--out", "sw/sub", "-q"]);
    assert!(!o.status.success() && !tmp.path().join("sw/sub").exists());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("which this rebuild reads"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let tiny = scenario("tiny.ron");
    let tiny = tiny.to_str().expect("utf-8");
    std::fs::write(
        tmp.path().join("dear.ron"),
        tiny_with("pricing.policy", "ListRatio(1.2)"),
    )
    .expect("write");
    ok(
        tmp.path(),
        &["compare", tiny, "dear.ron", "-r", "4", "--out", "c", "-q"],
    );
    assert!(
        tmp.path().join("c/compare.ron").exists(),
        "a comparison keeps its scenarios"
    );
    ok(tmp.path(), &["report", "c", "--out", "c2", "-q"]);
    same_folder(&tmp.path().join("c"), &tmp.path().join("c2"));
}

#[test]
fn a_damaged_run_folder_is_refused_with_every_problem() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    ok(
        tmp.path(),
        &[
            "run",
            tiny.to_str().expect("utf-8"),
            "-r",
            "3",
            "--out",
            "t",
            "-q",
        ],
    );
    let monthly = tmp.path().join("t/monthly.parquet");
    let mut bytes = std::fs::read(&monthly).expect("monthly");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&monthly, bytes).expect("write");
    std::fs::remove_file(tmp.path().join("t/fleet.parquet")).expect("remove");
    let o = dcplan(tmp.path(), &["report", "t", "--out", "r"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("monthly.parquet: changed since the run"),
        "{err}"
    );
    assert!(err.contains("fleet.parquet: missing"), "{err}");
    assert!(!tmp.path().join("r").exists(), "nothing is written");

    // A run folder mixed with part folders is a usage error.
    let o = dcplan(tmp.path(), &["report", "t", "t"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("give it alone"), "{}", text(&o).1);
}

#[test]
fn hourly_parquet_holds_the_chosen_replications_and_matches_the_monthly_energy() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = tiny_with("simulation.hourly_replications", "[1, 3]");
    let s = dcplan_sim::scenario::ron_text::set(&s, "simulation.hourly_months", "2")
        .expect("hourly_months");
    std::fs::write(tmp.path().join("h.ron"), s).expect("write");
    ok(tmp.path(), &["run", "h.ron", "-r", "4", "--out", "h", "-q"]);
    let hourly = read_parquet(&tmp.path().join("h/hourly.parquet")).expect("hourly");
    // January and February 2027: 31 + 28 days.
    assert_eq!(hourly.height(), 2 * (31 + 28) * 24);
    // Undefined hours are empty, never NaN: tiny.ron has a fixed PUE, so no water is measured.
    for c in hourly.columns() {
        if let Ok(f) = c.f64() {
            assert!(
                f.iter().flatten().all(|x| !x.is_nan()),
                "{} holds a NaN",
                c.name()
            );
        }
    }
    assert_eq!(
        hourly.column("water_l").expect("water").null_count(),
        hourly.height()
    );
    let reps: Vec<u64> = hourly
        .column("replication")
        .expect("replication")
        .u64()
        .expect("u64")
        .iter()
        .flatten()
        .collect();
    assert_eq!(reps.iter().filter(|r| **r == 1).count(), (31 + 28) * 24);
    assert!(reps.iter().all(|r| *r == 1 || *r == 3));
    let months: Vec<String> = hourly
        .column("year_month")
        .expect("year_month")
        .str()
        .expect("text")
        .iter()
        .flatten()
        .map(String::from)
        .collect();
    assert_eq!(
        months.iter().filter(|m| m.as_str() == "2027-02").count(),
        2 * 28 * 24
    );
    let hour_of_day: Vec<u32> = hourly
        .column("hour_of_day")
        .expect("hour_of_day")
        .u32()
        .expect("u32")
        .iter()
        .flatten()
        .collect();
    assert_eq!(
        (hour_of_day[0], hour_of_day[23], hour_of_day[24]),
        (0, 23, 0)
    );

    // The hours of replication 1's first month add up to its monthly facility energy.
    let facility: Vec<f64> = hourly
        .column("facility_kwh")
        .expect("facility")
        .f64()
        .expect("f64")
        .iter()
        .flatten()
        .collect();
    let january_kwh: f64 = facility
        .iter()
        .zip(&reps)
        .zip(&months)
        .filter(|((_, r), m)| **r == 1 && m.as_str() == "2027-01")
        .map(|((f, _), _)| f)
        .sum();
    let monthly = read_parquet(&tmp.path().join("h/monthly.parquet")).expect("monthly");
    let rep: Vec<u64> = monthly
        .column("replication")
        .expect("replication")
        .u64()
        .expect("u64")
        .iter()
        .flatten()
        .collect();
    let month: Vec<u32> = monthly
        .column("month")
        .expect("month")
        .u32()
        .expect("u32")
        .iter()
        .flatten()
        .collect();
    let mwh: Vec<f64> = monthly
        .column("facility_mwh")
        .expect("facility_mwh")
        .f64()
        .expect("f64")
        .iter()
        .flatten()
        .collect();
    let row = (0..rep.len())
        .find(|&i| rep[i] == 1 && month[i] == 0)
        .expect("replication 1, month 0");
    assert!(january_kwh > 0.0);
    assert!(
        (january_kwh / 1000.0 - mwh[row]).abs() <= 1e-9 * mwh[row],
        "{} MWh hourly vs {} monthly",
        january_kwh / 1000.0,
        mwh[row]
    );
    let html = std::fs::read_to_string(tmp.path().join("h/report.html")).expect("report");
    assert!(html.contains("PUE over the first year (replication 1)"));

    // No replication chosen: no hourly table and no PUE chart, the rest as usual.
    let s = tiny_with("simulation.hourly_replications", "[]");
    std::fs::write(tmp.path().join("n.ron"), s).expect("write");
    ok(tmp.path(), &["run", "n.ron", "-r", "2", "--out", "n", "-q"]);
    assert!(!tmp.path().join("n/hourly.parquet").exists());
    assert!(!tmp.path().join("n/pue_temperature.svg").exists());
    assert!(tmp.path().join("n/energy_cost_breakdown.svg").exists());
    ok(tmp.path(), &["report", "n", "--out", "n2", "-q"]);
    same_folder(&tmp.path().join("n"), &tmp.path().join("n2"));
}

#[test]
fn a_precision_target_stops_at_the_first_batch_that_meets_it_and_the_manifest_says_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    ok(
        tmp.path(),
        &[
            "run",
            tiny.to_str().expect("utf-8"),
            "--target-ci",
            "0.3",
            "-r",
            "2000",
            "--out",
            "t",
            "-q",
        ],
    );
    let runs = read_parquet(&tmp.path().join("t/runs.parquet")).expect("runs");
    let n = runs.height();
    let batch = dcplan::commands::run::STOP_BATCH as usize;
    assert!(n < 2000 && n.is_multiple_of(batch), "{n} replications");
    assert_eq!(
        manifest(&tmp.path().join("t")).replications,
        n as u64,
        "the manifest counts the replications run"
    );
    let npv: Vec<Option<f64>> = runs
        .column("npv_usd")
        .expect("npv")
        .f64()
        .expect("f64")
        .iter()
        .collect();
    let precise = |k: usize| {
        let s = dcplan_sim::stats::summarize(&npv[..k]);
        dcplan_sim::stats::Z95 * s.se <= 0.3 * s.mean.abs()
    };
    assert!(precise(n), "the target is met where the run stopped");
    assert!(
        n == batch || !precise(n - batch),
        "and not one batch earlier"
    );
    ok(tmp.path(), &["report", "t", "--out", "r", "-q"]);
    same_folder(&tmp.path().join("t"), &tmp.path().join("r"));
}

#[test]
fn a_folder_from_a_build_without_the_water_columns_still_rebuilds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    ok(
        tmp.path(),
        &[
            "run",
            tiny.to_str().expect("utf-8"),
            "-r",
            "3",
            "--out",
            "t",
            "-q",
        ],
    );
    ok(
        tmp.path(),
        &[
            "run",
            tiny.to_str().expect("utf-8"),
            "-r",
            "3",
            "--out",
            "old",
            "-q",
        ],
    );
    // Make `old` look like a folder written before water was measured: no water columns, and a
    // manifest whose hashes match the files as they are.
    let old = tmp.path().join("old");
    let mut m = manifest(&old);
    for (table, columns) in [
        ("runs.parquet", &["water_m3", "wue_l_per_kwh"][..]),
        ("monthly.parquet", &["water_m3"][..]),
        ("hourly.parquet", &["water_l"][..]),
    ] {
        let mut df = read_parquet(&old.join(table)).expect("table");
        for c in columns {
            df = df.drop(c).expect("column to drop");
        }
        dcplan::render::tables::write_parquet(&mut df, &old.join(table)).expect("write");
        let hash =
            dcplan::store::manifest::hash_bytes(&std::fs::read(old.join(table)).expect("read"));
        m.files
            .iter_mut()
            .find(|(f, _)| f == table)
            .expect("listed")
            .1 = hash;
    }
    std::fs::write(
        old.join("manifest.ron"),
        ron::ser::to_string_pretty(&m, ron::ser::PrettyConfig::default()).expect("ron"),
    )
    .expect("write");
    ok(tmp.path(), &["report", "old", "--force", "-q"]);
    // tiny.ron has a fixed PUE, so water was never measured: the rebuilt folder equals a fresh run.
    for f in [
        "runs.parquet",
        "monthly.parquet",
        "hourly.parquet",
        "summary.csv",
    ] {
        let (a, b) = (
            std::fs::read(tmp.path().join("t").join(f)).expect("fresh"),
            std::fs::read(old.join(f)).expect("rebuilt"),
        );
        assert!(a == b, "{f} differs");
    }
    // The reports differ only in the reproducibility block (command line and start time).
    let body = |dir: &Path| {
        let text = std::fs::read_to_string(dir.join("report.md")).expect("report");
        text[..text
            .find("# Reproducibility")
            .expect("reproducibility block")]
            .to_string()
    };
    assert_eq!(body(&tmp.path().join("t")), body(&old));
}
