//! Expansion policies through the binary: the decisions table and its dictionary entries, the
//! firing chart, a rebuilt folder, and `compare` of a fixed plan against a policy.

use dcplan::render::tables::read_parquet;

use super::common::{ok, same_files, tiny_with};

/// tiny.ron with a second cage and servers bought when utilization stays above half.
fn tiny_policy() -> String {
    tiny_with(
        "policies",
        r#"[
        (name: "cage-2", trigger: UtilizationAbove(level_frac: 0.5, months: 2), action: StartPhase(name: "cage 2", it_mw: 0.1, capex_usd_per_mw: 11.7e6, lead_time_months: 1)),
        (name: "grow", trigger: UtilizationAbove(level_frac: 0.5, months: 2), action: OrderTranche(name: "more", sku: "H100-SXM", gpus: 32, lead_time_months: 1, price_usd_per_gpu: 37500), max_firings: 2, min_gap_months: 3),
    ]"#,
    )
}

fn csv_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .expect("csv")
        .lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn a_policy_run_writes_its_decisions_documents_them_and_rebuilds_the_same() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("policy.ron"), tiny_policy()).expect("write");
    ok(
        tmp.path(),
        &["run", "policy.ron", "-r", "4", "--out", "p", "-q"],
    );
    let dir = tmp.path().join("p");
    let d = read_parquet(&dir.join("decisions.parquet")).expect("decisions.parquet");
    let names: Vec<String> = d.get_column_names().iter().map(|c| c.to_string()).collect();
    let expected: Vec<&str> = dcplan_sim::dictionary::DECISION_COLUMNS
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(names, expected);
    assert!(d.height() >= 4, "every replication fires: {}", d.height());
    let rows = csv_rows(&dir.join("decisions.csv"));
    assert_eq!(rows[0], expected);
    assert!(
        rows.iter()
            .any(|r| r[4] == "cage-2" && r[5] == "start_phase")
    );
    assert!(
        rows.iter()
            .any(|r| r[4] == "grow" && r[5] == "order_tranche")
    );
    // The data dictionary documents every column of the table.
    let columns = csv_rows(&dir.join("columns.csv"));
    let documented: Vec<&str> = columns
        .iter()
        .filter(|r| r[0] == "decisions")
        .map(|r| r[1].as_str())
        .collect();
    assert_eq!(documented, expected);
    // The report shows when the rules fired.
    assert!(dir.join("policy_firings.svg").is_file());
    assert!(dir.join("installed_gpus_fan.png").is_file());
    let report = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    assert!(report.contains("When the expansion policies fired"));
    // A folder rebuilt from its tables is the same, decisions included.
    ok(tmp.path(), &["report", "p", "--out", "r", "-q"]);
    same_files(
        &dir,
        &tmp.path().join("r"),
        &[
            "decisions.parquet",
            "decisions.csv",
            "report.md",
            "summary.csv",
            "policy_firings.svg",
        ],
    );
}

#[test]
fn a_run_without_policies_has_no_decisions_table() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = super::common::scenario("tiny.ron");
    ok(
        tmp.path(),
        &[
            "run",
            tiny.to_str().expect("utf-8"),
            "-r",
            "2",
            "--out",
            "t",
            "-q",
        ],
    );
    assert!(!tmp.path().join("t/decisions.parquet").exists());
    assert!(!tmp.path().join("t/policy_firings.svg").exists());
}

#[test]
fn compare_pairs_a_fixed_plan_with_its_policy_twin() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("policy.ron"),
        tiny_policy().replace("name: \"tiny\",", "name: \"tiny-policy\","),
    )
    .expect("write");
    let fixed = super::common::scenario("tiny.ron");
    ok(
        tmp.path(),
        &[
            "compare",
            fixed.to_str().expect("utf-8"),
            "policy.ron",
            "--out",
            "c",
            "-r",
            "6",
            "-q",
        ],
    );
    let rows = csv_rows(&tmp.path().join("c/comparison.csv"));
    let col = |name: &str| rows[0].iter().position(|h| h == name).expect("column");
    let npv = rows
        .iter()
        .find(|r| r[col("variant")] == "tiny-policy" && r[col("metric")] == "npv_usd")
        .expect("the policy's NPV row");
    let diff: f64 = npv[col("paired_diff_mean")]
        .parse()
        .expect("paired difference");
    assert!(
        diff.is_finite() && diff != 0.0,
        "the policy changes NPV: {diff}"
    );
    let (lo, hi): (f64, f64) = (
        npv[col("paired_diff_ci95_lo")].parse().expect("lo"),
        npv[col("paired_diff_ci95_hi")].parse().expect("hi"),
    );
    assert!(lo <= diff && diff <= hi);
    // The comparison folder carries each variant's decisions.
    let d = read_parquet(&tmp.path().join("c/decisions.parquet")).expect("decisions.parquet");
    let variants = d.column("variant").expect("variant").str().expect("text");
    assert!(d.height() > 0);
    assert!(variants.iter().all(|v| v == Some("tiny-policy")));
}

#[test]
fn the_json_schema_describes_the_policies_section() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = ok(tmp.path(), &["schema"]);
    let schema: serde_json::Value =
        serde_json::from_str(&String::from_utf8_lossy(&o.stdout)).expect("JSON");
    assert!(
        schema["properties"]["policies"].is_object(),
        "{}",
        schema["properties"]
    );
    let text = schema.to_string();
    for name in [
        "UtilizationAbove",
        "AnchorSigned",
        "OrderTranche",
        "StartPhase",
        "capex_budget_usd",
    ] {
        assert!(text.contains(name), "the schema names {name}");
    }
}

#[test]
fn merged_shards_of_a_policy_run_keep_every_decision() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("policy.ron"), tiny_policy()).expect("write");
    ok(
        tmp.path(),
        &["run", "policy.ron", "-r", "4", "--out", "single", "-q"],
    );
    for i in 0..2 {
        ok(
            tmp.path(),
            &[
                "run",
                "policy.ron",
                "-r",
                "4",
                "--shard",
                &format!("{i}/2"),
                "--out",
                &format!("parts/p{i}"),
                "-q",
            ],
        );
    }
    ok(tmp.path(), &["report", "parts", "--out", "merged", "-q"]);
    same_files(
        &tmp.path().join("single"),
        &tmp.path().join("merged"),
        &["decisions.parquet", "decisions.csv", "runs.parquet"],
    );
}
