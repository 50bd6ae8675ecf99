//! Sweeps, sharded runs and their merge, resume, sensitivity and search, through the binary.

use dcplan::commands::compare::COMPARE_FILES;
use dcplan::commands::optimize::OPTIMIZE_FILES;
use dcplan::commands::sensitivity::SENSITIVITY_FILES;
use dcplan::render::tables::read_parquet;

use super::common::{
    dcplan, documented, ok, same_files, scenario, sweep_scenario, text, tiny_with,
};

const TABLES: &[&str] = &[
    "runs.parquet",
    "monthly.parquet",
    "fleet.parquet",
    "market.parquet",
    "summary.csv",
    "comparison.csv",
];

#[test]
fn a_sweep_runs_every_variant_and_writes_a_comparison() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = sweep_scenario(tmp.path());
    let o = ok(tmp.path(), &["run", &s, "-r", "6", "--out", "sw"]);
    let (stdout, _) = text(&o);
    assert!(stdout.contains("18 replications (3 variants)"), "{stdout}");
    for f in COMPARE_FILES {
        assert!(tmp.path().join("sw").join(f).exists(), "{f} missing");
    }
    let runs = read_parquet(&tmp.path().join("sw/runs.parquet")).expect("runs");
    assert_eq!(runs.height(), 18);
    let mut variants: Vec<String> = runs
        .column("variant")
        .expect("variant column")
        .str()
        .expect("text")
        .iter()
        .flatten()
        .map(String::from)
        .collect();
    variants.dedup();
    assert_eq!(
        variants,
        ["low", "market", "high"],
        "variant-major, in sweep order"
    );
    let html = std::fs::read_to_string(tmp.path().join("sw/report.html")).expect("report");
    assert!(
        html.contains("Project NPV by variant")
            && html.contains("Pricing: policy = List ratio: 1.2")
    );
    // The settings name the inputs by their labels; the field paths follow for analysts.
    assert!(html.contains("<td>pricing.policy</td>"));
    // The higher list price earns more on the same demand in every replication here (paired).
    let csv = std::fs::read_to_string(tmp.path().join("sw/comparison.csv")).expect("comparison");
    documented(&tmp.path().join("sw"), "comparison");
    let diff = csv
        .lines()
        .find(|l| l.starts_with("high,npv_usd,"))
        .and_then(|l| {
            l.split(',').nth(
                csv.lines()
                    .next()?
                    .split(',')
                    .position(|h| h == "paired_diff_mean")?,
            )
        })
        .and_then(|x| x.parse::<f64>().ok())
        .expect("paired difference of NPV for `high`");
    assert!(diff != 0.0, "the list price changes NPV");
}

#[test]
fn four_merged_shards_equal_a_single_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = sweep_scenario(tmp.path());
    ok(tmp.path(), &["run", &s, "-r", "5", "--out", "single", "-q"]);
    // 15 pairs in 4 uneven shards, each with its own thread count.
    for (i, threads) in ["1", "2", "3", "1"].iter().enumerate() {
        let shard = format!("{i}/4");
        let o = ok(
            tmp.path(),
            &[
                "run",
                &s,
                "-r",
                "5",
                "--shard",
                &shard,
                "--out",
                &format!("parts/p{i}"),
                "-t",
                threads,
            ],
        );
        assert!(text(&o).0.contains(&format!("shard {shard}: pairs")));
    }
    ok(tmp.path(), &["report", "parts", "--out", "merged", "-q"]);
    same_files(
        &tmp.path().join("single"),
        &tmp.path().join("merged"),
        TABLES,
    );
    let a = read_parquet(&tmp.path().join("single/runs.parquet")).expect("single");
    let b = read_parquet(&tmp.path().join("merged/runs.parquet")).expect("merged");
    assert!(a.equals_missing(&b));
    assert_eq!(b.height(), 15);
}

#[test]
fn resume_runs_only_the_missing_or_damaged_shards() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    let tiny = tiny.to_str().expect("utf-8");
    let shard = |i: usize, resume: bool| {
        let mut args = vec!["run", tiny, "-r", "8", "--out"];
        let out = format!("parts/part-{i}");
        let s = format!("{i}/4");
        args.extend([out.as_str(), "--shard", s.as_str()]);
        if resume {
            args.push("--resume");
        }
        let o = dcplan(tmp.path(), &args);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{out}{err}");
        format!("{out}{err}")
    };
    for i in 0..4 {
        shard(i, false);
    }
    let before: Vec<Vec<u8>> = (0..4)
        .map(|i| {
            std::fs::read(tmp.path().join(format!("parts/part-{i}/part.ron"))).expect("part.ron")
        })
        .collect();
    // An interrupted batch: shard 2 never finished, shard 1's data was damaged.
    std::fs::remove_dir_all(tmp.path().join("parts/part-2")).expect("remove");
    let bin = tmp.path().join("parts/part-1/replications.bin");
    let mut bytes = std::fs::read(&bin).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&bin, bytes).expect("damage");
    // Without --resume an existing part is never replaced.
    let o = dcplan(
        tmp.path(),
        &[
            "run",
            tiny,
            "-r",
            "8",
            "--out",
            "parts/part-0",
            "--shard",
            "0/4",
        ],
    );
    assert!(!o.status.success() && text(&o).1.contains("already exists"));
    let logs: Vec<String> = (0..4).map(|i| shard(i, true)).collect();
    assert!(
        logs[0].contains("already complete") && logs[3].contains("already complete"),
        "{logs:?}"
    );
    assert!(
        logs[1].contains("does not match its checksum") && logs[1].contains("pairs 2..4 written"),
        "{}",
        logs[1]
    );
    assert!(logs[2].contains("pairs 4..6 written"), "{}", logs[2]);
    let after: Vec<Vec<u8>> = (0..4)
        .map(|i| {
            std::fs::read(tmp.path().join(format!("parts/part-{i}/part.ron"))).expect("part.ron")
        })
        .collect();
    assert!(
        after[0] == before[0] && after[3] == before[3],
        "complete shards are not rerun"
    );
    ok(tmp.path(), &["report", "parts", "--out", "merged", "-q"]);
    ok(
        tmp.path(),
        &["run", tiny, "-r", "8", "--out", "single", "-q"],
    );
    same_files(
        &tmp.path().join("single"),
        &tmp.path().join("merged"),
        &["runs.parquet", "monthly.parquet", "summary.csv"],
    );
}

#[test]
fn a_merge_names_every_problem_with_the_parts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    let tiny = tiny.to_str().expect("utf-8");
    ok(
        tmp.path(),
        &[
            "run", tiny, "-r", "8", "--shard", "0/4", "--out", "parts/a", "-q",
        ],
    );
    ok(
        tmp.path(),
        &[
            "run", tiny, "-r", "8", "--shard", "1/4", "--out", "parts/b", "-q", "-s", "99",
        ],
    );
    let o = dcplan(tmp.path(), &["report", "parts", "--out", "merged"]);
    assert!(!o.status.success());
    let (_, err) = text(&o);
    for expected in [
        "seed 99 differs",
        "shard 2/4 is missing",
        "shard 3/4 is missing",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in {err}");
    }
    assert!(
        !tmp.path().join("merged").exists(),
        "nothing is written when parts do not fit together"
    );
}

#[test]
fn sensitivity_writes_tornado_charts_and_a_ranked_table() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    let o = ok(
        tmp.path(),
        &[
            "sensitivity",
            tiny.to_str().expect("utf-8"),
            "-r",
            "4",
            "--out",
            "s",
        ],
    );
    assert!(
        text(&o)
            .0
            .contains("With every uncertain input at its median")
    );
    for f in SENSITIVITY_FILES {
        assert!(tmp.path().join("s").join(f).exists(), "{f} missing");
    }
    // tiny.ron never pays back within its 12 months: the payback tornado shows the probability
    // of payback instead, and both tornadoes state their base value with its unit.
    let svg = |f: &str| std::fs::read_to_string(tmp.path().join("s").join(f)).expect("svg");
    let payback = svg("tornado_payback.svg");
    assert!(payback.contains("Sensitivity of the probability of payback within 12 months"));
    assert!(payback.contains("probability of payback at base: 0.0 %"));
    assert!(svg("tornado_npv.svg").contains("P50 NPV at base: $"));
    let loaded = dcplan_sim::load_file(&tiny).expect("tiny");
    let inputs = dcplan_sim::sensitivity::inputs(&loaded);
    let csv = std::fs::read_to_string(tmp.path().join("s/sensitivity.csv")).expect("csv");
    documented(&tmp.path().join("s"), "sensitivity");
    assert_eq!(
        csv.lines().count(),
        inputs.len() + 1,
        "one row per uncertain input"
    );
    // A higher on-demand price raises P50 NPV on the same demand.
    let row = csv
        .lines()
        .find(|l| l.starts_with("pricing.market[0].on_demand_usd_per_gpu_hour,"))
        .expect("price row");
    let cells: Vec<f64> = row
        .split(',')
        .skip(1)
        .take(6)
        .map(|x| x.parse().expect("number"))
        .collect();
    assert!(
        cells[5] > cells[3],
        "NPV at P90 price {} > at P10 {}",
        cells[5],
        cells[3]
    );
    // The swing's paired mean lies in its 95 % interval, which excludes zero for the price (a
    // higher price earns more in every replication); equity IRR and DSCR are reported too.
    let header: Vec<&str> = csv.lines().next().expect("header").split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let all: Vec<&str> = row.split(',').collect();
    let num = |name: &str| all[col(name)].parse::<f64>().unwrap_or(f64::NAN);
    let (mean, lo, hi) = (
        num("npv_swing_paired_mean_usd"),
        num("npv_swing_paired_ci95_lo_usd"),
        num("npv_swing_paired_ci95_hi_usd"),
    );
    assert!(lo <= mean && mean <= hi && lo > 0.0, "{lo} {mean} {hi}");
    assert!(num("equity_irr_p50_frac_at_p90") >= num("equity_irr_p50_frac_at_p10"));
    col("min_dscr_p50_at_p10");
    // The table is ranked: largest NPV swing first.
    let swings: Vec<f64> = csv
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .nth(col("npv_swing_usd"))
                .expect("swing cell")
                .parse()
                .expect("swing")
        })
        .collect();
    assert!(
        swings.windows(2).all(|w| w[0] >= w[1]),
        "ranked by swing: {swings:?}"
    );
    let runs = read_parquet(&tmp.path().join("s/runs.parquet")).expect("runs");
    assert_eq!(runs.height(), 4 * (2 * inputs.len() + 1));
    // The report names the inputs by their labels, values with units, ranked as key assumptions
    // by their swing, and keeps the field paths in the last column of the ranked table.
    let report = std::fs::read_to_string(tmp.path().join("s/report.md")).expect("report");
    let key = &report[report.find("## Key assumptions").expect("key assumptions")..];
    let first = key
        .lines()
        .find(|l| l.starts_with("| Market H100-SXM: on-demand per GPU-hour |"))
        .expect("the price ranked by its swing");
    assert!(
        first.contains("| USD/GPU-hour |") && first.contains("NPV swing $"),
        "{first}"
    );
    let ranked = report
        .lines()
        .find(|l| l.ends_with("| pricing.market[0].on_demand_usd_per_gpu_hour |"))
        .expect("the ranked row with its field path last");
    assert!(
        ranked.starts_with("| Market H100-SXM: on-demand per GPU-hour | $")
            && ranked.contains("/GPU-hour |"),
        "{ranked}"
    );
    assert!(!report.lines().any(|l| l.starts_with("| site.pue |")));
    assert!(report.contains("| Site: PUE |"));
    // `dcplan report` rebuilds runs, not studies, and says so.
    let o = dcplan(tmp.path(), &["report", "s", "--out", "r"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).1.contains("is a sensitivity or search folder"),
        "{}",
        text(&o).1
    );
}

#[test]
fn optimize_never_calls_a_candidate_best_when_none_meets_the_constraint() {
    // Payback within one month is out of reach for every candidate: the chart marks the closest
    // candidate as such, not as the best.
    let tmp = tempfile::tempdir().expect("tempdir");
    let text_ = tiny_with(
        "optimize",
        r#"(variables: [(path: "fleet[0].gpus", min: 32, max: 96, points: 2, multiple_of: 8)],
            constraint: (payback_months: 1, probability: 0.99), replications: 2, refinements: 0)"#,
    );
    std::fs::write(tmp.path().join("opt.ron"), text_).expect("write");
    let o = dcplan(tmp.path(), &["optimize", "opt.ron", "--out", "o"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    let svg = std::fs::read_to_string(tmp.path().join("o/frontier.svg")).expect("frontier.svg");
    assert!(
        svg.contains("closest, none feasible") && !svg.contains("best:"),
        "the frontier chart's highlight label"
    );
}

#[test]
fn optimize_searches_and_writes_the_best_scenario() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text_ = tiny_with(
        "optimize",
        r#"(variables: [(path: "fleet[0].gpus", min: 32, max: 96, points: 3, multiple_of: 8), (path: "pricing.policy.0", min: 0.9, max: 1.2, points: 2)],
            constraint: (payback_months: 12, probability: 0.0001), replications: 4, refinements: 1)"#,
    );
    let text_ = dcplan_sim::scenario::ron_text::set(&text_, "pricing.policy", "ListRatio(1.0)")
        .expect("policy");
    std::fs::write(tmp.path().join("opt.ron"), text_).expect("write");
    let o = dcplan(tmp.path(), &["optimize", "opt.ron", "--out", "o"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("candidates evaluated"), "{out}");
    for f in OPTIMIZE_FILES {
        assert!(tmp.path().join("o").join(f).exists(), "{f} missing");
    }
    let csv = std::fs::read_to_string(tmp.path().join("o/candidates.csv")).expect("csv");
    documented(&tmp.path().join("o"), "candidates");
    assert!(
        csv.lines().count() > 6,
        "the first grid has 6 candidates and refinement adds more:\n{csv}"
    );
    // best.ron is a plain, valid scenario.
    let best = std::fs::read_to_string(tmp.path().join("o/best.ron")).expect("best");
    assert!(best.contains("optimize: None"));
    ok(tmp.path(), &["check", "o/best.ron"]);
    // Each value the search set names the search as its source, not the comment of the value it
    // replaced; the report of best.ron shows that source.
    let before = dcplan_sim::scenario::ron_text::leaves(
        &std::fs::read_to_string(tmp.path().join("opt.ron")).expect("opt.ron"),
    );
    let after = dcplan_sim::scenario::ron_text::leaves(&best);
    let comment = |leaves: &[dcplan_sim::scenario::ron_text::Leaf], path: &str| {
        leaves
            .iter()
            .find(|l| l.path == path)
            .map(|l| l.comment.clone())
            .unwrap_or_else(|| panic!("{path}"))
    };
    assert!(
        !comment(&before, "fleet[0].gpus").is_empty(),
        "tiny.ron comments its fleet line"
    );
    for path in ["fleet[0].gpus", "pricing.policy"] {
        let c = comment(&after, path);
        assert!(
            c.starts_with("set by dcplan optimize: ")
                && c.contains(" candidate")
                && c.contains("P50 NPV"),
            "{path}: {c}"
        );
    }
    assert_eq!(
        comment(&after, "fleet[0].network_usd_per_node"),
        comment(&before, "fleet[0].network_usd_per_node")
    );
    ok(
        tmp.path(),
        &["run", "o/best.ron", "-r", "2", "--out", "b", "-q"],
    );
    let report = std::fs::read_to_string(tmp.path().join("b/report.md")).expect("report");
    let row = report
        .lines()
        .find(|l| l.ends_with("| fleet[0].gpus |"))
        .expect("assumption row");
    assert!(
        row.contains("set by dcplan optimize") && !row.contains(&comment(&before, "fleet[0].gpus")),
        "{row}"
    );
    // A scenario without decision variables is refused with a hint.
    let o = dcplan(
        tmp.path(),
        &[
            "optimize",
            scenario("tiny.ron").to_str().expect("utf-8"),
            "--out",
            "x",
        ],
    );
    assert!(!o.status.success() && text(&o).1.contains("no `optimize` section"));
}
