//! `dcplan calibrate`: the shipped example trace fitted into a fragment that validates, and bad
//! traces named by line and column.

use dcplan_sim::scenario::ron_text;

use super::common::{dcplan, ok, repo, scenario, text, tiny_with};

#[test]
fn the_example_trace_fits_into_a_fragment_that_validates_and_matches_the_shipped_scenario() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let trace = repo().join("scenarios/data/request-trace.csv");
    ok(
        tmp.path(),
        &[
            "calibrate",
            trace.to_str().expect("utf-8"),
            "--out",
            "demand.ron",
        ],
    );
    let fragment = std::fs::read_to_string(tmp.path().join("demand.ron")).expect("written");
    // The file is not replaced without --force (the user's scenario may be at that path).
    let args = [
        "calibrate",
        trace.to_str().expect("utf-8"),
        "--out",
        "demand.ron",
    ];
    std::fs::write(tmp.path().join("demand.ron"), "mine").expect("write");
    let o = dcplan(tmp.path(), &args);
    assert!(!o.status.success() && text(&o).1.contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("demand.ron")).expect("kept"),
        "mine"
    );
    ok(tmp.path(), &[&args[..], &["--force"]].concat());
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("demand.ron")).expect("replaced"),
        fragment
    );
    let value = fragment[fragment.find("demand: ").expect("demand") + 8..]
        .trim_end()
        .trim_end_matches(',');
    let pasted = tiny_with("demand", value);
    std::fs::write(tmp.path().join("fitted.ron"), &pasted).expect("write");
    ok(tmp.path(), &["check", "fitted.ron"]);
    // The shipped scenario's demand section is this fit (history aside).
    let shipped = std::fs::read_to_string(scenario("demand-history.ron")).expect("shipped");
    for path in [
        "demand.arrivals_per_day",
        "demand.growth_per_year_frac",
        "demand.mix[0].size_gpus",
        "demand.mix[0].duration",
    ] {
        assert_eq!(
            ron_text::get(&shipped, path).expect("shipped field"),
            ron_text::get(&pasted, path).expect("fitted field"),
            "{path}"
        );
    }
    // The recovered growth is near the 40 % a year the example was generated with.
    let growth: f64 = ron_text::get(&pasted, "demand.growth_per_year_frac")
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.1..0.9).contains(&growth), "{growth}");
}

#[test]
fn a_trace_saved_with_a_byte_order_mark_fits_and_is_never_its_own_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let trace =
        std::fs::read_to_string(repo().join("scenarios/data/request-trace.csv")).expect("trace");
    std::fs::write(tmp.path().join("bom.csv"), format!("\u{feff}{trace}")).expect("write");
    ok(tmp.path(), &["calibrate", "bom.csv", "--out", "demand.ron"]);
    assert!(tmp.path().join("demand.ron").exists());
    // Even with --force, the output is never the trace it reads.
    let o = dcplan(
        tmp.path(),
        &["calibrate", "bom.csv", "--out", "./bom.csv", "--force"],
    );
    assert!(!o.status.success(), "{:?}", text(&o));
    assert!(
        text(&o).1.contains("is the trace being read"),
        "{:?}",
        text(&o)
    );
    assert!(
        std::fs::read_to_string(tmp.path().join("bom.csv"))
            .expect("kept")
            .ends_with(&trace)
    );
}

#[test]
fn a_bad_trace_is_refused_with_file_line_and_column() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("bad.csv"),
        "time,gpus,hours\n2026-01-01T00:00:00Z,8,1\n2026-01-02T00:00:00Z,eight,1\n",
    )
    .expect("write");
    let o = dcplan(tmp.path(), &["calibrate", "bad.csv"]);
    let (stdout, stderr) = text(&o);
    assert!(!o.status.success());
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("bad.csv:3:2 (`gpus`): `eight` is not a whole number of GPUs"),
        "{stderr}"
    );
}
