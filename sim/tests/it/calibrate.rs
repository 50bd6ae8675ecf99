//! Demand from data: a request trace fitted (`calibrate`) and a monthly demand history driving
//! the arrivals.

use dcplan_sim::calibrate::{DurationFit, calibrate, fragment, parse_trace};
use dcplan_sim::dist::{Dist, Z90};
use dcplan_sim::replication::{ReplicationOptions, run_replication};
use dcplan_sim::scenario::{ScenarioError, ron_text};
use dcplan_sim::time::{Calendar, HOURS_PER_YEAR, YearMonth};
use rand::{RngExt, SeedableRng};

use super::common::{load_text, simple_scenario};

/// A trace from known parameters: Poisson arrivals at `per_day` growing by `growth` a year over
/// `years` (by thinning), sizes 8 (3/4) or 32 GPUs (1/4), lognormal durations (mu, sigma of
/// ln hours). Submit times in seconds from 0.
fn synthetic_trace(
    seed: u64,
    per_day: f64,
    growth: f64,
    years: f64,
    mu: f64,
    sigma: f64,
) -> String {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let b = (1.0 + growth).ln();
    let end_h = years * HOURS_PER_YEAR as f64;
    let top = per_day / 24.0 * (b * years).exp();
    let duration = Dist::LogNormal(mu.exp(), (mu + Z90 * sigma).exp());
    let mut text = String::from("submit_time,gpus,duration_hours\n");
    let mut t = 0.0;
    loop {
        t += -(1.0 - rng.random::<f64>()).ln() / top;
        if t >= end_h {
            break;
        }
        let rate = per_day / 24.0 * (b * t / HOURS_PER_YEAR as f64).exp();
        if rng.random::<f64>() * top > rate {
            continue;
        }
        let gpus = if rng.random::<f64>() < 0.75 { 8 } else { 32 };
        let d = duration.sample(&mut rng);
        text.push_str(&format!("{},{gpus},{d}\n", t * 3600.0));
    }
    text
}

#[test]
fn a_fit_recovers_the_parameters_of_a_synthetic_trace() {
    let (per_day, growth, years, mu, sigma) = (30.0, 0.6, 2.0, 20f64.ln(), 1.1);
    let text = synthetic_trace(11, per_day, growth, years, mu, sigma);
    let trace = parse_trace("synthetic.csv", &text).expect("valid trace");
    let fit = calibrate(&trace);
    let r = fit.rate;
    assert_eq!(r.n, trace.requests.len());
    assert!(r.n > 20_000, "{} requests", r.n);
    // The fitted rate at the first submit time against the true rate there.
    let t0 = trace.requests[0].submit_hours / HOURS_PER_YEAR as f64;
    let b = (1.0 + growth).ln();
    let true_ln_start = (per_day * (b * t0).exp()).ln();
    let z = |est: f64, truth: f64, se: f64| (est - truth) / se;
    let z_rate = z(r.start_per_day.ln(), true_ln_start, r.se_ln_start);
    let z_growth = z(r.growth_ln_per_year, b, r.se_growth_ln_per_year);
    assert!(z_rate.abs() < 4.0, "rate z = {z_rate}: {r:?}");
    assert!(z_growth.abs() < 4.0, "growth z = {z_growth}: {r:?}");
    assert!(r.growth_significant());
    // The standard errors are those of the design, not wildly off: a 2-year span with ~30k
    // arrivals gives se(b) near 1/sqrt(n var t) ~ 0.01.
    assert!(r.se_growth_ln_per_year > 0.005 && r.se_growth_ln_per_year < 0.03);
    let DurationFit::LogNormal {
        mu: m,
        sigma: s,
        se_mu,
        se_sigma,
        ks,
    } = fit.chosen_duration()
    else {
        panic!("the lognormal fits lognormal durations better: {fit:?}");
    };
    assert!(z(m, mu, se_mu).abs() < 4.0, "mu {m} vs {mu} (se {se_mu})");
    assert!(
        z(s, sigma, se_sigma).abs() < 4.0,
        "sigma {s} vs {sigma} (se {se_sigma})"
    );
    // KS distance of a correct model is of order 1/sqrt(n); the exponential's is far larger.
    assert!(ks < 1.36 / (r.n as f64).sqrt(), "KS {ks}");
    assert!(fit.exponential.ks() > 5.0 * ks);
    // Sizes: counts of 8 and 32 GPUs, the share of 8 within 4 binomial standard errors of 3/4.
    assert_eq!(fit.sizes.len(), 2);
    assert_eq!(fit.sizes.iter().map(|s| s.1).sum::<u64>(), r.n as u64);
    let share8 = fit.sizes[0].1 as f64 / r.n as f64;
    let se8 = (0.75 * 0.25 / r.n as f64).sqrt();
    assert_eq!(fit.sizes[0].0, 8.0);
    assert!(
        (share8 - 0.75).abs() < 4.0 * se8,
        "share of 8 GPUs {share8}"
    );
}

#[test]
fn a_trace_without_growth_says_the_growth_is_not_significant() {
    let text = synthetic_trace(5, 20.0, 0.0, 1.0, 2.0, 0.5);
    let fit = calibrate(&parse_trace("flat.csv", &text).expect("valid"));
    let r = fit.rate;
    assert!((r.growth_ln_per_year / r.se_growth_ln_per_year).abs() < 4.0);
    let f = fragment(&fit, "flat.csv", 0.7);
    assert_eq!(
        r.growth_significant(),
        !f.contains("not significant"),
        "{f}"
    );
}

/// The value of the `demand: (...)` fragment, for `ron_text::set`.
fn fragment_value(f: &str) -> &str {
    let start = f.find("demand: ").expect("demand field") + "demand: ".len();
    f[start..].trim_end().trim_end_matches(',')
}

#[test]
fn the_written_fragment_validates_in_a_scenario_and_holds_the_fit() {
    let text = synthetic_trace(3, 50.0, 0.3, 1.0, 1.5, 0.8);
    let fit = calibrate(&parse_trace("t.csv", &text).expect("valid"));
    let f = fragment(&fit, "t.csv", 0.7);
    let scenario = std::fs::read_to_string(super::common::scenario_path("tiny.ron")).unwrap();
    let pasted = ron_text::set(&scenario, "demand", fragment_value(&f)).expect("demand section");
    let loaded = load_text(&pasted);
    let d = &loaded.scenario.demand;
    let rel = |a: f64, b: f64| ((a - b) / b).abs();
    assert!(rel(d.arrivals_per_day.mean(), fit.rate.end_per_day) < 1e-5);
    assert!(
        rel(
            d.growth_per_year_frac.mean(),
            fit.rate.growth_per_year_frac()
        ) < 1e-4
    );
    let dist = d.mix[0].duration.param_and_unit().0.dist();
    assert!(matches!(dist, Dist::LogNormal(..)), "{dist:?}");
    assert!(rel(dist.quantile(0.5), fit.lognormal.dist().quantile(0.5)) < 1e-5);
    let sizes = d.mix[0].size_gpus.dist();
    let Dist::Discrete(items) = sizes else {
        panic!("{sizes:?}")
    };
    assert_eq!(items.len(), fit.sizes.len());
    // The statistics are in comments, and no NaN is written.
    assert!(f.contains("standard error") && f.contains("Kolmogorov-Smirnov"));
    assert!(!f.to_lowercase().contains("nan"), "{f}");
}

#[test]
fn bad_trace_lines_are_named_by_file_line_and_column() {
    let text = "# a comment\nsubmit_time,gpus,duration_hours\n0,8,2\n3600,x,2\n7200,8,-1\nsoon,8,1\n9000,8\n2026-01-01T00:00:00,8,1\n";
    let errors = parse_trace("trace.csv", text).unwrap_err();
    let all = errors.join("\n");
    for want in [
        "trace.csv:4:2 (`gpus`): `x` is not a whole number",
        "trace.csv:5:3 (`duration_hours`): `-1` is not a duration",
        "trace.csv:6:1 (`submit_time`): `soon` is neither",
        "trace.csv:7: 2 fields",
        "trace.csv:8:1 (`submit_time`)",
    ] {
        assert!(all.contains(want), "missing `{want}` in:\n{all}");
    }
    let missing = parse_trace("t.csv", "when,gpus\n1,2\n")
        .unwrap_err()
        .join("\n");
    assert!(
        missing.contains("t.csv:1: no submit-time column")
            && missing.contains("submit_time, submit"),
        "{missing}"
    );
    assert!(missing.contains("no duration column"), "{missing}");
    for bad in [
        "",
        "\u{0}\u{1}",
        "gpus,duration,time\n",
        "time,gpus,hours\n5,1,1\n5,2,2\n",
        "time,gpus,hours\n1e400,1,1\n2,1,NaN\n",
    ] {
        assert!(parse_trace("b.csv", bad).is_err(), "{bad:?}");
    }
}

/// A folder under the system's temporary folder holding `files`, for scenarios that read CSVs.
fn folder_with(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dcplan-history-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (f, text) in files {
        std::fs::write(dir.join(f), text).unwrap();
    }
    dir
}

/// A 12-month scenario from 2027-01 with sizes 8 (3/4) or 16 GPUs and exponential durations of
/// 10 hours (100 GPU-hours a request on average), reading `history.csv`.
fn history_scenario(unit: &str, growth: f64) -> String {
    let mix = "[(class: OnDemand, share_frac: 1.0, size_gpus: Discrete([(8, 3), (16, 1)]), duration: Hours(Exponential(10)), load_frac: 0.5)]";
    let text = simple_scenario(4, 1.0, mix, 12);
    let text = ron_text::set(&text, "demand.growth_per_year_frac", &growth.to_string()).unwrap();
    ron_text::set(
        &text,
        "demand.history",
        &format!("Some((path: \"history.csv\", column: \"demand\", unit: {unit}))"),
    )
    .unwrap()
}

#[test]
fn a_demand_history_drives_the_arrivals_and_the_growth_continues_it() {
    // 2026-10 .. 2027-06: three months before the start, six in the horizon.
    let gpu_hours: [f64; 9] = [60e3, 70e3, 80e3, 90e3, 100e3, 120e3, 110e3, 130e3, 150e3];
    let mut csv = String::from("month,demand,note\n");
    for (k, g) in gpu_hours.iter().enumerate() {
        let ym = YearMonth {
            year: 2026,
            month: 10,
        }
        .plus_months(k as u32);
        csv.push_str(&format!("{ym},{g},x\n"));
    }
    let growth: f64 = 0.2;
    let dir = folder_with(
        "drive",
        &[
            ("history.csv", &csv),
            ("s.ron", &history_scenario("GpuHours", growth)),
        ],
    );
    let loaded = dcplan_sim::load_file(&dir.join("s.ron")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        loaded.inputs.len(),
        1,
        "the history is recorded for provenance"
    );
    assert_eq!(loaded.demand_history.as_ref().unwrap().first_month, -3);
    let options = ReplicationOptions {
        trace: true,
        ..ReplicationOptions::default()
    };
    let rep = run_replication(&loaded, 7, 0, &options);
    let arrivals = &rep.trace.as_ref().unwrap().arrivals;
    let cal = Calendar::new(
        YearMonth {
            year: 2027,
            month: 1,
        },
        12,
    );
    let month_of = |h: f64| {
        (0..12u32)
            .find(|&m| h < cal.month_start(m + 1).hours())
            .unwrap() as usize
    };
    let mut demanded = [0.0; 12];
    let mut counts = [0.0; 12];
    for &(t, _, size, hours) in arrivals {
        demanded[month_of(t)] += size * hours;
        counts[month_of(t)] += 1.0;
    }
    // E[size] = 10, E[size^2] = 112; E[d] = 10, E[d^2] = 200: a request is 100 GPU-hours on
    // average, and the month's sum is compound Poisson with variance n E[(s d)^2].
    for m in 0..6 {
        let want = gpu_hours[m + 3];
        let sd = (want / 100.0 * 112.0 * 200.0).sqrt();
        assert!(
            (demanded[m] - want).abs() < 4.0 * sd,
            "month {m}: {} GPU-hours demanded, history {want} (sd {sd})",
            demanded[m]
        );
    }
    // After the history: the last month's rate (150k GPU-hours over June's 720 hours, 1.5k
    // requests) grown at 20 % a year from the middle of June.
    let last_rate = 150e3 / 100.0 / 720.0;
    let mid = cal.month_start(5).hours() + 360.0;
    let b = (1.0 + growth).ln() / HOURS_PER_YEAR as f64;
    for (m, &count) in counts.iter().enumerate().skip(6) {
        let (t0, t1) = (
            cal.month_start(m as u32).hours(),
            cal.month_start(m as u32 + 1).hours(),
        );
        let want = last_rate * ((b * (t1 - mid)).exp() - (b * (t0 - mid)).exp()) / b;
        assert!(
            (count - want).abs() < 4.0 * want.sqrt(),
            "month {m}: {count} arrivals, {want} expected"
        );
    }
}

#[test]
fn a_history_in_requests_sets_the_arrival_counts() {
    let csv = "month,demand\n2027-01,3100\n2027-02,2800\n";
    // A byte-order mark before the header is not part of the first column's name.
    let bom = folder_with(
        "requests-bom",
        &[
            ("history.csv", &format!("\u{feff}{csv}")),
            ("s.ron", &history_scenario("Requests", 0.0)),
        ],
    );
    dcplan_sim::load_file(&bom.join("s.ron")).unwrap_or_else(|e| panic!("with a BOM: {e}"));
    let dir = folder_with(
        "requests",
        &[
            ("history.csv", csv),
            ("s.ron", &history_scenario("Requests", 0.0)),
        ],
    );
    let loaded = dcplan_sim::load_file(&dir.join("s.ron")).unwrap_or_else(|e| panic!("{e}"));
    let options = ReplicationOptions {
        trace: true,
        ..ReplicationOptions::default()
    };
    let rep = run_replication(&loaded, 3, 0, &options);
    let arrivals = &rep.trace.as_ref().unwrap().arrivals;
    let jan = arrivals.iter().filter(|a| a.0 < 744.0).count() as f64;
    let feb = arrivals
        .iter()
        .filter(|a| a.0 >= 744.0 && a.0 < 1416.0)
        .count() as f64;
    let march = arrivals
        .iter()
        .filter(|a| a.0 >= 1416.0 && a.0 < 2160.0)
        .count() as f64;
    assert!((jan - 3100.0).abs() < 4.0 * 3100f64.sqrt(), "{jan}");
    assert!((feb - 2800.0).abs() < 4.0 * 2800f64.sqrt(), "{feb}");
    // No growth: March continues February's rate (100 an hour) over its 744 hours.
    assert!((march - 3100.0).abs() < 4.0 * 3100f64.sqrt(), "{march}");
}

#[test]
fn bad_history_files_are_named_by_line_and_column() {
    let csv = "month,demand\n2027-13,5\n2027-02,abc\n2027-03,5\n2027-05,5\n";
    let dir = folder_with(
        "bad",
        &[
            ("history.csv", csv),
            ("s.ron", &history_scenario("GpuHours", 0.0)),
        ],
    );
    let err = dcplan_sim::load_file(&dir.join("s.ron")).unwrap_err();
    let ScenarioError::Invalid { problems, .. } = &err else {
        panic!("{err}")
    };
    let all = problems
        .iter()
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect::<Vec<_>>()
        .join("\n");
    for want in [
        "history.csv line 2, column 1 (`month`): `2027-13` is not a month",
        "history.csv line 3, column 2 (`demand`): `abc` is not a number",
        "history.csv line 5, column 1 (`month`): 2027-05 does not follow 2027-03 (line 4)",
    ] {
        assert!(all.contains(want), "missing `{want}` in:\n{all}");
    }
    assert!(
        problems.iter().all(|p| p.path == "demand.history.path"),
        "{all}"
    );
    // One bad value is one problem: the month after it still follows its month.
    let one = folder_with(
        "one",
        &[
            (
                "history.csv",
                "month,demand\n2027-01,5\n2027-02,NaN\n2027-03,5\n",
            ),
            ("s.ron", &history_scenario("GpuHours", 0.0)),
        ],
    );
    let err = dcplan_sim::load_file(&one.join("s.ron")).unwrap_err();
    let ScenarioError::Invalid { problems, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(problems.len(), 1, "{err}");
    assert!(problems[0].message.contains("line 3, column 2"), "{err}");
    // A history that begins after the start, and a column that is not there.
    let late = folder_with(
        "late",
        &[
            ("history.csv", "month,demand\n2027-03,5\n"),
            ("s.ron", &history_scenario("GpuHours", 0.0)),
        ],
    );
    let err = dcplan_sim::load_file(&late.join("s.ron"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("begins in 2027-03, after the scenario start 2027-01"),
        "{err}"
    );
    let other = folder_with(
        "column",
        &[
            ("history.csv", "month,gpu_hours\n2027-01,5\n"),
            ("s.ron", &history_scenario("GpuHours", 0.0)),
        ],
    );
    let err = dcplan_sim::load_file(&other.join("s.ron"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("demand.history.column") && err.contains("no column `demand`"),
        "{err}"
    );
}

#[test]
fn a_history_growing_far_faster_than_the_scenario_is_warned_about() {
    let mut csv = String::from("month,demand\n");
    for k in 0..12 {
        let ym = YearMonth {
            year: 2026,
            month: 1,
        }
        .plus_months(k);
        let days = [
            31.0, 28.0, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0,
        ][k as usize];
        csv.push_str(&format!(
            "{ym},{}\n",
            1e5 * days / 30.0 * (k as f64 / 12.0 * 2f64.ln()).exp()
        ));
    }
    let dir = folder_with(
        "fast",
        &[
            ("history.csv", &csv),
            ("s.ron", &history_scenario("GpuHours", 0.0)),
        ],
    );
    let loaded = dcplan_sim::load_file(&dir.join("s.ron")).unwrap_or_else(|e| panic!("{e}"));
    let w = loaded
        .warnings
        .iter()
        .find(|p| p.path == "demand.growth_per_year_frac");
    let pct = w.and_then(|w| {
        w.message
            .strip_prefix("the demand history grows by")?
            .split('%')
            .next()?
            .trim()
            .parse::<f64>()
            .ok()
    });
    assert!(
        pct.is_some_and(|p| (p - 100.0).abs() < 3.0),
        "{:?}",
        loaded.warnings
    );
    // The same history at the scenario's own growth raises no warning.
    let dir = folder_with(
        "same",
        &[
            ("history.csv", &csv),
            ("s.ron", &history_scenario("GpuHours", 1.0)),
        ],
    );
    let loaded = dcplan_sim::load_file(&dir.join("s.ron")).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        loaded
            .warnings
            .iter()
            .all(|p| p.path != "demand.growth_per_year_frac")
    );
}

/// Durations that spread over fifteen orders of magnitude fit a lognormal whose tail no scenario
/// accepts: calibrate says so instead of writing a fragment that `check` then refuses.
#[test]
fn a_duration_fit_no_scenario_accepts_is_a_fit_problem() {
    let text = "submit_time,gpus,duration_hours\n0,8,1000000\n3600,8,1000000\n7200,8,1e-9\n";
    let fit = calibrate(&parse_trace("wide.csv", text).expect("valid"));
    let problems = dcplan_sim::calibrate::fit_problems(&fit);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("the duration fitted cannot go in a scenario")),
        "{problems:?}"
    );
    // An ordinary trace has none.
    let ok = synthetic_trace(5, 20.0, 0.0, 1.0, 2.0, 0.5);
    let fit = calibrate(&parse_trace("ok.csv", &ok).expect("valid"));
    assert!(
        !dcplan_sim::calibrate::fit_problems(&fit)
            .iter()
            .any(|p| p.contains("duration")),
        "{:?}",
        dcplan_sim::calibrate::fit_problems(&fit)
    );
}
