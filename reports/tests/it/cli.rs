//! The command line end to end on `scenarios/tiny.ron`.

use dcplan::commands::run::RUN_FILES;
use dcplan::render::tables::read_parquet;
use std::path::Path;

use super::common::{dcplan, ok, repo, scenario, text};

#[test]
fn run_writes_every_output_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    let o = ok(
        tmp.path(),
        &[
            "run",
            tiny.to_str().expect("utf-8 path"),
            "--out",
            "t",
            "--replications",
            "6",
        ],
    );
    let (stdout, _) = text(&o);
    assert!(stdout.contains("P50 payback"), "{stdout}");
    for f in RUN_FILES {
        let p = tmp.path().join("t").join(f);
        let len = std::fs::metadata(&p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .len();
        assert!(len > 0, "{f} is empty");
    }
    // The HTML report is self-contained: charts inline, nothing fetched from elsewhere.
    let html = std::fs::read_to_string(tmp.path().join("t/report.html")).expect("report.html");
    let charts = RUN_FILES.iter().filter(|f| f.ends_with(".svg")).count();
    assert_eq!(html.matches("<svg").count(), charts, "every chart inline");
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    // Tables have one row per replication and per replication-month.
    let runs = read_parquet(&tmp.path().join("t/runs.parquet")).expect("runs");
    assert_eq!(runs.height(), 6);
    let monthly = read_parquet(&tmp.path().join("t/monthly.parquet")).expect("monthly");
    assert_eq!(monthly.height(), 6 * 12);
    let summary = std::fs::read_to_string(tmp.path().join("t/summary.csv")).expect("summary");
    assert!(
        summary
            .lines()
            .next()
            .expect("header")
            .starts_with("variant,kpi,n,n_total,share_never,mean,se,ci95_lo,ci95_hi")
    );
    let manifest = std::fs::read_to_string(tmp.path().join("t/manifest.ron")).expect("manifest");
    assert!(manifest.contains("seed: 7") && manifest.contains("scenario_hash: \"blake3:"));
    // No temporary folders are left beside the output.
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["t"]);
}

#[test]
fn tables_and_report_agree_that_payback_never_happens_and_the_report_says_where_the_model_simplifies()
 {
    // Twelve months never pay back the build: every file must say "never", none a number.
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = super::common::tiny_with(
        "energy",
        "(tariff: Flat(price_usd_per_kwh: 0.09), demand_charge_usd_per_kw_month: 6, battery: (energy_mwh: 0.2, power_mw: 0.05, round_trip_efficiency_frac: 0.86, capex_usd_per_kwh: 165, life_cycles: 6000, dispatch: PriceArbitrage))",
    );
    std::fs::write(tmp.path().join("b.ron"), text).expect("write");
    ok(tmp.path(), &["run", "b.ron", "--out", "t", "-r", "4", "-q"]);
    let summary = std::fs::read_to_string(tmp.path().join("t/summary.csv")).expect("summary");
    let header: Vec<&str> = summary.lines().next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect("column");
    let row: Vec<&str> = summary
        .lines()
        .find(|l| l.contains(",payback_months,"))
        .expect("payback row")
        .split(',')
        .collect();
    assert_eq!(
        (
            row[col("p50")],
            row[col("p10")],
            row[col("share_never")],
            row[col("mean")]
        ),
        ("never", "never", "1.0", ""),
        "{row:?}"
    );
    let report = std::fs::read_to_string(tmp.path().join("t/report.md")).expect("report.md");
    let key = report
        .lines()
        .find(|l| l.starts_with("| Payback (months"))
        .expect("payback row of the key table");
    assert!(
        key.contains("| never |") && key.contains("4 (never in 4)"),
        "{key}"
    );
    assert!(
        report.contains("P50 payback beyond the 12-month horizon"),
        "executive summary"
    );
    for statement in [
        "Battery dispatch knows each day's hourly grid prices in advance",
        "Demand charges are billed on the month's highest hourly average grid draw, not on the 15-minute interval peak",
        "The break-even price assumes demand does not react to price",
        "Project free cash flow, NPV and IRR are unlevered and pre-tax",
        "Equity IRR is after debt service and taxes",
        "Project NPV (unlevered, pre-tax free cash flow + terminal value)",
    ] {
        assert!(report.contains(statement), "the report says: {statement}");
    }
    // The energy notes stand under the energy cost numbers.
    let energy = report.find("## Energy cost").expect("energy cost section");
    let battery = report.find("Battery dispatch knows").expect("battery note");
    assert!(
        battery > energy && report[energy..battery].contains("Demand charges |"),
        "the notes follow the energy table"
    );
}

#[test]
fn an_existing_output_folder_is_never_overwritten_without_force() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    let tiny = tiny.to_str().expect("utf-8 path");
    std::fs::create_dir(tmp.path().join("t")).expect("mkdir");
    std::fs::write(tmp.path().join("t/keep.txt"), "precious").expect("write");
    let o = dcplan(tmp.path(), &["run", tiny, "--out", "t", "-r", "2"]);
    assert!(!o.status.success());
    let (_, err) = text(&o);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("t/keep.txt")).expect("kept"),
        "precious"
    );
    // Nor with it: dcplan did not write the folder.
    let o = dcplan(
        tmp.path(),
        &["run", tiny, "--out", "t", "-r", "2", "--force", "--quiet"],
    );
    assert!(!o.status.success());
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("t/keep.txt")).expect("kept"),
        "precious"
    );
    // A folder dcplan wrote is replaced with --force.
    ok(
        tmp.path(),
        &["run", tiny, "--out", "u", "-r", "2", "--quiet"],
    );
    let before = std::fs::read(tmp.path().join("u/manifest.ron")).expect("manifest");
    ok(
        tmp.path(),
        &["run", tiny, "--out", "u", "-r", "3", "--force", "--quiet"],
    );
    assert_ne!(
        std::fs::read(tmp.path().join("u/manifest.ron")).expect("manifest"),
        before
    );
}

#[test]
fn without_out_a_fresh_folder_is_chosen() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    let tiny = tiny.to_str().expect("utf-8 path");
    ok(tmp.path(), &["run", tiny, "-r", "2", "-q"]);
    ok(tmp.path(), &["run", tiny, "-r", "2", "-q"]);
    assert!(tmp.path().join("out/tiny/report.html").exists());
    assert!(tmp.path().join("out/tiny-2/report.html").exists());
}

#[test]
fn quiet_prints_nothing_on_success() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    let o = ok(
        tmp.path(),
        &[
            "run",
            tiny.to_str().expect("utf-8 path"),
            "--out",
            "q",
            "-r",
            "2",
            "--quiet",
        ],
    );
    assert!(o.stdout.is_empty() && o.stderr.is_empty(), "{:?}", text(&o));
}

#[test]
fn results_do_not_depend_on_threads_and_repeat_with_the_seed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    let tiny = tiny.to_str().expect("utf-8 path");
    ok(
        tmp.path(),
        &[
            "run",
            tiny,
            "--out",
            "a",
            "-r",
            "8",
            "--seed",
            "3",
            "--threads",
            "1",
            "-q",
        ],
    );
    ok(
        tmp.path(),
        &[
            "run",
            tiny,
            "--out",
            "b",
            "-r",
            "8",
            "--seed",
            "3",
            "--threads",
            "2",
            "-q",
        ],
    );
    ok(
        tmp.path(),
        &[
            "run",
            tiny,
            "--out",
            "c",
            "-r",
            "8",
            "--seed",
            "4",
            "--threads",
            "2",
            "-q",
        ],
    );
    for table in ["runs.parquet", "monthly.parquet"] {
        let a = read_parquet(&tmp.path().join("a").join(table)).expect("a");
        let b = read_parquet(&tmp.path().join("b").join(table)).expect("b");
        let c = read_parquet(&tmp.path().join("c").join(table)).expect("c");
        assert!(
            a.equals_missing(&b),
            "{table} differs between --threads 1 and 2"
        );
        assert!(
            !a.equals_missing(&c),
            "{table} is the same for different seeds"
        );
    }
    // Byte-identical too.
    let bytes = |d: &str| std::fs::read(tmp.path().join(d).join("runs.parquet")).expect("read");
    assert_eq!(bytes("a"), bytes("b"));
}

#[test]
fn check_lists_problems_and_fails_on_bad_input() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = repo().join("sim/tests/fixtures/bad/many_problems.ron");
    let o = dcplan(tmp.path(), &["check", bad.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    let (_, err) = text(&o);
    assert!(err.contains("3 error(s)"), "{err}");
    assert!(
        err.contains("site.pue: 0.5 is below 1.0") && err.contains("fleet[0].gpus: 0 must be > 0"),
        "{err}"
    );

    let syntax = repo().join("sim/tests/fixtures/bad/syntax_missing_comma.ron");
    let o = dcplan(tmp.path(), &["check", syntax.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o)
            .1
            .contains("syntax_missing_comma.ron:8:9: expected comma"),
        "{:?}",
        text(&o)
    );

    let good = scenario("tiny.ron");
    let o = ok(tmp.path(), &["check", good.to_str().expect("utf-8 path")]);
    assert!(text(&o).0.contains("tiny.ron: ok"));

    let o = dcplan(tmp.path(), &["check", "does-not-exist.ron"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o)
            .1
            .contains("does-not-exist.ron: cannot read the file"),
        "{:?}",
        text(&o)
    );
}

#[test]
fn a_bad_scenario_stops_run_before_anything_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = repo().join("sim/tests/fixtures/bad/pue_below_one.ron");
    let o = dcplan(
        tmp.path(),
        &["run", bad.to_str().expect("utf-8 path"), "--out", "x"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("site.pue: 0.9 is below 1.0"));
    assert!(!tmp.path().join("x").exists());
}

#[test]
fn comparing_a_scenario_with_itself_gives_exactly_zero_differences() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    let tiny = tiny.to_str().expect("utf-8 path");
    let o = ok(
        tmp.path(),
        &["compare", tiny, tiny, "--out", "c", "-r", "4"],
    );
    assert!(text(&o).0.contains("energy"), "{:?}", text(&o));
    for f in dcplan::commands::compare::COMPARE_FILES {
        assert!(tmp.path().join("c").join(f).exists(), "{f} missing");
    }
    let csv = std::fs::read_to_string(tmp.path().join("c/comparison.csv")).expect("comparison.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect("column");
    let (variant, diff, se) = (
        col("variant"),
        col("paired_diff_mean"),
        col("paired_diff_se"),
    );
    let mut second = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        if cells[variant] == "tiny'" {
            second += 1;
            // Either exactly zero, or empty for a metric no replication has (payback never happens).
            assert!(cells[diff] == "0.0" || cells[diff].is_empty(), "{line}");
            assert!(cells[se] == "0.0" || cells[se].is_empty(), "{line}");
            for q in ["p5", "p10", "p50", "p90", "p95"] {
                let c = cells[col(&format!("paired_diff_{q}"))];
                assert!(c == "0.0" || c.is_empty(), "paired_diff_{q}: {line}");
            }
        }
    }
    assert!(second >= 8, "the second copy is compared: {second} rows");
}

#[test]
fn comparing_different_strategies_gives_a_narrower_paired_interval() {
    // The same load priced two ways: the paired interval of the energy-cost difference is narrower
    // than the unpaired one, because the shared demand and weather cancel out.
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = std::fs::read_to_string(scenario("tiny.ron")).expect("tiny");
    let dearer = tiny
        .replace("name: \"tiny\",", "name: \"tiny-dear\",")
        .replace("price_usd_per_kwh: 0.0892", "price_usd_per_kwh: 0.12");
    std::fs::write(tmp.path().join("dear.ron"), dearer).expect("write");
    let a = scenario("tiny.ron");
    ok(
        tmp.path(),
        &[
            "compare",
            a.to_str().expect("utf-8"),
            "dear.ron",
            "--out",
            "c",
            "-r",
            "8",
        ],
    );
    let csv = std::fs::read_to_string(tmp.path().join("c/comparison.csv")).expect("comparison.csv");
    let header: Vec<String> = csv
        .lines()
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let row = csv
        .lines()
        .map(|l| l.split(',').map(String::from).collect::<Vec<_>>())
        .find(|c| c[col("variant")] == "tiny-dear" && c[col("metric")] == "annual_energy_cost_usd")
        .expect("row");
    let num = |name: &str| row[col(name)].parse::<f64>().expect("number");
    assert!(num("paired_diff_mean") > 0.0);
    // Percentiles, of each variant and of the paired differences, are in order.
    let ordered = |prefix: &str| {
        let q: Vec<f64> = ["p5", "p10", "p50", "p90", "p95"]
            .iter()
            .map(|p| num(&format!("{prefix}{p}")))
            .collect();
        q.windows(2).all(|w| w[0] <= w[1])
    };
    assert!(ordered("") && ordered("paired_diff_"), "{row:?}");
    assert!(
        num("paired_diff_p5") > 0.0,
        "dearer power costs more in every replication"
    );
    let paired_half = num("paired_diff_ci95_hi") - num("paired_diff_mean");
    let base = csv
        .lines()
        .map(|l| l.split(',').map(String::from).collect::<Vec<_>>())
        .find(|c| c[col("variant")] == "tiny" && c[col("metric")] == "annual_energy_cost_usd")
        .expect("row");
    let unpaired_half = 1.959_963_984_540_054
        * (base[col("se")].parse::<f64>().expect("se").powi(2) + num("se").powi(2)).sqrt();
    assert!(
        paired_half < 0.5 * unpaired_half,
        "paired {paired_half} vs unpaired {unpaired_half}"
    );
}

#[test]
fn check_prints_every_fixture_problem_with_its_position() {
    let dir = repo().join("sim/tests/fixtures/bad");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    assert!(files.len() >= 50);
    let tmp = tempfile::tempdir().expect("tempdir");
    for f in files {
        let text = std::fs::read_to_string(&f).expect("fixture");
        let o = dcplan(tmp.path(), &["check", f.to_str().expect("utf-8")]);
        assert!(!o.status.success(), "{} passed check", f.display());
        let (_, err) = super::common::text(&o);
        let file = f.display().to_string();
        for expected in text.lines().filter_map(|l| l.strip_prefix("// expect: ")) {
            // Expectations name the file `test.ron`; here it is the fixture's own path.
            let expected = expected.replace("test.ron", &file);
            assert!(
                err.contains(&expected),
                "{}: expected `{expected}` in:\n{err}",
                f.display()
            );
        }
        // Every problem line starts with the file and, where the field is written, line and column.
        let positioned = err
            .lines()
            .filter(|l| {
                l.trim_start().starts_with(&format!("{file}:"))
                    && l.trim_start()[file.len() + 1..].starts_with(|c: char| c.is_ascii_digit())
            })
            .count();
        assert!(
            positioned > 0,
            "{}: no file:line:column in:\n{err}",
            f.display()
        );
    }
}

#[test]
fn init_writes_a_template_that_validates_and_is_never_overwritten() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = ok(tmp.path(), &["init", "acme"]);
    assert!(text(&o).0.contains("wrote acme.ron"));
    ok(tmp.path(), &["check", "acme.ron"]);
    let written = std::fs::read_to_string(tmp.path().join("acme.ron")).expect("acme.ron");
    assert!(written.contains("name: \"acme\"") && written.contains("// How to edit it:"));
    std::fs::write(tmp.path().join("acme.ron"), "mine").expect("write");
    let o = dcplan(tmp.path(), &["init", "acme"]);
    assert!(!o.status.success() && text(&o).1.contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("acme.ron")).expect("kept"),
        "mine"
    );
    // A name that names nothing is refused as such.
    for empty in ["", ".ron", "sub/", ".", "..", "sub/.", "sub/.ron"] {
        let o = dcplan(tmp.path(), &["init", empty]);
        assert!(
            !o.status.success() && text(&o).1.contains("names no scenario"),
            "{empty:?}: {}",
            text(&o).1
        );
    }
}

#[test]
fn catalog_and_completions_print_what_they_promise() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (out, _) = text(&ok(tmp.path(), &["catalog"]));
    for name in [
        "H100-SXM",
        "GB200-NVL72",
        "northern-virginia",
        "singapore",
        "air-economizer",
        "immersion",
        "ercot-like",
    ] {
        assert!(
            out.contains(&format!("  {name}: ")),
            "{name} missing from the catalog listing"
        );
    }
    assert!(
        out.contains("[P: US build cost") || out.contains("(NVIDIA DGX H100/H200 user guide, P)"),
        "sources are shown"
    );
    let (only, _) = text(&ok(tmp.path(), &["catalog", "tariffs"]));
    assert!(only.contains("ercot-like") && !only.contains("H100-SXM"));
    let (bash, _) = text(&ok(tmp.path(), &["completions", "bash"]));
    assert!(bash.contains("_dcplan") && bash.contains("sensitivity") && bash.contains("--shard"));
}

#[test]
fn set_overrides_a_field_and_the_output_scenario_shows_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    let tiny = tiny.to_str().expect("utf-8 path");
    ok(
        tmp.path(),
        &[
            "run",
            tiny,
            "--out",
            "t",
            "-r",
            "2",
            "-q",
            "--set",
            "fleet[0].gpus=32",
            "--set",
            "site.pue=Pert(1.1, 1.2, 1.5)",
        ],
    );
    let written = std::fs::read_to_string(tmp.path().join("t/scenario.ron")).expect("scenario");
    assert!(
        written.contains("gpus: 32, // set on the command line (--set)"),
        "{written}"
    );
    assert!(written.contains("pue: Pert(1.1, 1.2, 1.5), // set on the command line (--set)"));

    // An invalid value: the file's error, and a note that the field came from --set.
    let o = dcplan(tmp.path(), &["check", tiny, "--set", "fleet[0].gpus=-8"]);
    assert!(!o.status.success());
    let (_, stderr) = text(&o);
    assert!(stderr.contains("fleet[0].gpus"), "{stderr}");
    assert!(
        stderr.contains("note: fleet[0].gpus was set on the command line: --set fleet[0].gpus=-8"),
        "{stderr}"
    );
    // A malformed argument is refused by the command line parser.
    let o = dcplan(tmp.path(), &["check", tiny, "--set", "fleet[0].gpus"]);
    assert!(!o.status.success());
    assert!(text(&o).1.contains("is not PATH=VALUE"));
}

#[test]
fn schema_prints_the_json_schema_and_a_json_scenario_runs_like_its_ron_twin() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = ok(tmp.path(), &["schema"]);
    let (stdout, _) = text(&o);
    let schema: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(schema["title"], "dcplan scenario");
    ok(tmp.path(), &["schema", "--out", "s.json"]);
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("s.json")).expect("written"),
        stdout
    );
    // An existing file is replaced only with --force, and a folder never.
    std::fs::write(tmp.path().join("mine.json"), "mine").expect("write");
    let o = dcplan(tmp.path(), &["schema", "--out", "mine.json"]);
    assert!(!o.status.success() && text(&o).1.contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("mine.json")).expect("kept"),
        "mine"
    );
    ok(tmp.path(), &["schema", "--out", "mine.json", "--force"]);
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("mine.json")).expect("replaced"),
        stdout
    );
    std::fs::create_dir(tmp.path().join("folder.json")).expect("mkdir");
    let o = dcplan(tmp.path(), &["schema", "--out", "folder.json", "--force"]);
    assert!(!o.status.success() && text(&o).1.contains("is a folder"));

    // tiny.ron as JSON: the same tables as the RON file.
    let tiny = scenario("tiny.ron");
    let loaded = dcplan_sim::load_file(&tiny).expect("loads");
    let json = dcplan_sim::scenario::json::scenario_to_json(&loaded.scenario, &loaded.source_text)
        .expect("json");
    std::fs::write(
        tmp.path().join("tiny.json"),
        serde_json::to_string_pretty(&json).expect("json"),
    )
    .expect("write");
    let tiny = tiny.to_str().expect("utf-8 path");
    ok(tmp.path(), &["run", tiny, "--out", "r", "-r", "3", "-q"]);
    ok(
        tmp.path(),
        &["run", "tiny.json", "--out", "j", "-r", "3", "-q"],
    );
    for f in ["summary.csv", "monthly.parquet", "runs.parquet"] {
        assert_eq!(
            std::fs::read(tmp.path().join("r").join(f)).expect("ron run"),
            std::fs::read(tmp.path().join("j").join(f)).expect("json run"),
            "{f}"
        );
    }
    // The JSON scenario's folder holds its RON text.
    let written = std::fs::read_to_string(tmp.path().join("j/scenario.ron")).expect("scenario");
    assert!(written.contains("name: \"tiny\""), "{written}");
}

#[test]
fn the_readme_comparison_on_data_files_reads_its_files() {
    // The README's energy comparison on data inputs, as written there: its scenarios and its
    // `--set` lines, checked from the repository root (the README's commands run there). Every
    // path it names must resolve inside the scenarios' folder.
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let block = readme
        .split("```sh\n")
        .map(|b| b.split("```").next().unwrap_or(""))
        .find(|b| b.contains("--set 'site.weather_file="))
        .expect("the README's comparison on data files");
    let words: Vec<&str> = block
        .split(|c: char| c.is_whitespace() || c == '\\')
        .filter(|w| !w.is_empty())
        .collect();
    let scenarios: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| w.starts_with("scenarios/") && w.ends_with(".ron"))
        .collect();
    assert_eq!(scenarios.len(), 4, "{block}");
    let sets: Vec<&str> = block
        .split("--set '")
        .skip(1)
        .map(|s| s.split('\'').next().unwrap_or(""))
        .collect();
    assert_eq!(sets.len(), 3, "{block}");
    let mut args = vec!["check"];
    args.extend(&scenarios);
    for s in &sets {
        args.extend(["--set", s]);
    }
    let o = ok(&repo(), &args);
    let (out, _) = text(&o);
    assert_eq!(out.matches(": ok").count(), 4, "{out}");
}

#[test]
fn a_sweep_of_one_variant_runs_that_variant() {
    // A sweep with a single value runs the scenario with that value, as its shards do; the
    // results must equal a run with the value set directly.
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = scenario("tiny.ron");
    let tiny = tiny.to_str().expect("utf-8 path");
    let out = |name: &str| tmp.path().join(name).to_str().expect("utf-8").to_string();
    let (swept, direct) = (out("swept"), out("direct"));
    let run = |dir: &str, set: &str| {
        ok(
            tmp.path(),
            &["run", tiny, "-r", "2", "-q", "--out", dir, "--set", set],
        )
    };
    run(
        &swept,
        r#"sweep=(axes: [(path: "fleet[0].gpus", values: [128])])"#,
    );
    run(&direct, "fleet[0].gpus=128");
    // Every statistic of every KPI, less the variant's name in the first column.
    let stats = |dir: &str| -> Vec<String> {
        std::fs::read_to_string(Path::new(dir).join("summary.csv"))
            .expect("summary.csv")
            .lines()
            .skip(1)
            .map(|l| l.split_once(',').expect("variant column").1.to_string())
            .collect()
    };
    assert_eq!(stats(&swept), stats(&direct));
    let md = std::fs::read_to_string(Path::new(&swept).join("report.md")).expect("report.md");
    assert!(md.contains("128 GPUs over 12 months"), "{md}");
}

#[test]
fn compare_refuses_a_scenario_with_a_sweep() {
    // compare runs each scenario once; a sweep's variants would be dropped without a word.
    let tmp = tempfile::tempdir().expect("tempdir");
    let sweep = super::common::sweep_scenario(tmp.path());
    let tiny = scenario("tiny.ron");
    let o = dcplan(
        tmp.path(),
        &[
            "compare",
            tiny.to_str().expect("utf-8 path"),
            &sweep,
            "-r",
            "2",
            "--out",
            "c",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    assert!(
        text(&o).1.contains("remove its `sweep` section"),
        "{:?}",
        text(&o)
    );
    assert!(!tmp.path().join("c").exists());
}

#[test]
fn compare_warns_when_the_scenarios_cover_different_spans() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let short = tmp.path().join("short.ron");
    let long = tmp.path().join("long.ron");
    std::fs::write(
        &short,
        super::common::tiny_with("simulation.horizon_months", "12"),
    )
    .expect("write");
    std::fs::write(
        &long,
        super::common::tiny_with("simulation.horizon_months", "24"),
    )
    .expect("write");
    let o = ok(
        tmp.path(),
        &["compare", "short.ron", "long.ron", "-r", "2", "--out", "c"],
    );
    let (_, err) = text(&o);
    assert!(
        err.contains("warning: the scenarios cover different spans")
            && err.contains("12 months from 2027-01")
            && err.contains("24 months from 2027-01"),
        "{err}"
    );
    // The same span: no warning.
    let o = ok(
        tmp.path(),
        &["compare", "short.ron", "short.ron", "-r", "2", "--out", "d"],
    );
    assert!(!text(&o).1.contains("different spans"), "{:?}", text(&o));
}

#[test]
fn a_replication_kept_hourly_that_the_run_does_not_reach_is_warned_of() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("h.ron");
    std::fs::write(
        &path,
        super::common::tiny_with("simulation.hourly_replications", "[1, 5]"),
    )
    .expect("write");
    // The scenario's 8 replications include both; -r 3 runs only 0 to 2.
    let o = ok(tmp.path(), &["run", "h.ron", "-r", "3", "--out", "o"]);
    let (_, err) = text(&o);
    assert!(
        err.contains(
            "simulation.hourly_replications[1]: replication 5 is not run (3 replications: 0 to 2)"
        ),
        "{err}"
    );
    assert!(!err.contains("hourly_replications[0]"), "{err}");
    // With enough replications, no warning.
    let o = ok(tmp.path(), &["run", "h.ron", "-r", "6", "--out", "p"]);
    assert!(!text(&o).1.contains("is not run"), "{:?}", text(&o));
}
