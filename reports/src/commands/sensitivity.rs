//! `dcplan sensitivity`: one-at-a-time low/high runs of every uncertain input, with tornado
//! charts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use dcplan_sim::sensitivity;
use dcplan_sim::stats::percentile_never_last;
use dcplan_sim::{LoadedScenario, RunConfig};
use polars_core::prelude::{Column, DataFrame};

use crate::commands::check::load_or_print;
use crate::commands::console::outln;
use crate::commands::job::{Finished, Job, RunRequest, run_all};
use crate::render::charts::{self, RenderedChart, YFormat};
use crate::render::doc::{Block, Doc};
use crate::render::format::{money, months};
use crate::render::report;
use crate::render::tables::{self, VariantRuns, finite};
use crate::store::manifest::Manifest;
use crate::store::output::safe_name;

/// `dcplan sensitivity`.
pub fn main(scenario: Option<&PathBuf>, req: RunRequest) -> Result<ExitCode> {
    study(scenario, req, true)
}

/// `dcplan sensitivity` (`sensitivity`) or `dcplan optimize`: load, check the budget, run the
/// study, print its headlines.
pub(crate) fn study(
    scenario: Option<&PathBuf>,
    req: RunRequest,
    sensitivity: bool,
) -> Result<ExitCode> {
    let Some(loaded) = load_or_print(scenario, &req.settings) else {
        return Ok(ExitCode::FAILURE);
    };
    // `--replications` of a study is its count per setting, not the scenario's.
    let loaded = crate::commands::check::with_run_options(loaded, req.seed, None);
    let quiet = req.quiet;
    // A study runs the scenario many times over; one run of it must fit at least.
    let full = loaded.scenario.simulation.replication_count();
    let n = req.replications.unwrap_or(if sensitivity {
        full.min(SENSITIVITY_REPLICATIONS)
    } else {
        full
    }) as u64;
    crate::commands::budget::check_budget(&[&loaded], n, &req)?;
    let result = if sensitivity {
        run_sensitivity(&loaded, &req).context("running the sensitivity study")?
    } else {
        crate::commands::optimize::run_optimize(&loaded, &req).context("running the search")?
    };
    if !quiet {
        outln!(
            "{}: done in {:.1} s",
            loaded.scenario.name,
            result.wall.as_secs_f64()
        );
        for h in &result.headlines {
            outln!("  {h}");
        }
        outln!("report: {}", result.dir.join("report.html").display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Replications per setting when neither the command line nor the scenario says otherwise.
pub(crate) const SENSITIVITY_REPLICATIONS: u32 = 100;

/// Files a sensitivity folder holds.
pub const SENSITIVITY_FILES: &[&str] = &[
    "sensitivity.csv",
    "columns.csv",
    "runs.parquet",
    "manifest.ron",
    "scenario.ron",
    "report.md",
    "report.html",
    "tornado_npv.svg",
    "tornado_npv.png",
    "tornado_payback.svg",
    "tornado_payback.png",
];

/// One row of a sensitivity study.
#[derive(Clone, Debug)]
pub(crate) struct SensitivityRow {
    /// The input and its three values.
    pub input: sensitivity::Input,
    /// P50 NPV with the input at P10 and at P90.
    pub npv: (f64, f64),
    /// P50 payback with the input at P10 and at P90 (`None`: beyond the horizon).
    pub payback: (Option<f64>, Option<f64>),
    /// Share of replications that pay back within the horizon, with the input at P10 and at P90.
    pub payback_within: (f64, f64),
    /// The NPV swing replication by replication (NPV at P90 less NPV at P10, on the same
    /// replications): its mean and the 95 % confidence interval of the mean.
    pub swing: (f64, f64, f64),
    /// P50 equity IRR with the input at P10 and at P90.
    pub equity_irr: (f64, f64),
    /// P50 lowest yearly DSCR (the covenant figure) with the input at P10 and at P90 (NaN without debt service).
    pub min_dscr: (f64, f64),
}

/// The NPV swing between two settings replication by replication (`high - low`, matched by
/// replication index): mean and 95 % confidence interval of the mean.
fn paired_swing(low: &VariantRuns, high: &VariantRuns) -> (f64, f64, f64) {
    use crate::render::comparison::{Metric, paired};
    let s = paired(low, high, &Metric::kpi(dcplan_sim::Kpi::NpvUsd));
    (s.mean, s.ci95_lo, s.ci95_hi)
}
/// P50 NPV of a setting.
fn p50_npv(v: &VariantRuns) -> f64 {
    v.summary(dcplan_sim::Kpi::NpvUsd).p50
}

/// P50 payback of a setting (`None`: beyond the horizon).
pub(crate) fn p50_payback(v: &VariantRuns) -> Option<f64> {
    percentile_never_last(&v.kpi(dcplan_sim::Kpi::PaybackMonths), 0.5)
}

/// Share of a setting's replications that pay back within the horizon.
fn payback_within(v: &VariantRuns) -> f64 {
    let paybacks = v.kpi(dcplan_sim::Kpi::PaybackMonths);
    let n = paybacks.len();
    if n == 0 {
        return f64::NAN;
    }
    paybacks.iter().filter(|p| p.is_some()).count() as f64 / n as f64
}

/// Run a one-at-a-time sensitivity study and write its folder.
pub(crate) fn run_sensitivity(loaded: &LoadedScenario, req: &RunRequest) -> Result<Finished> {
    if loaded.scenario.sweep.is_some() {
        bail!(
            "{}: sensitivity runs one scenario; remove the `sweep` section or run a variant",
            loaded.file
        );
    }
    let seed = req.seed.unwrap_or(loaded.scenario.simulation.seed);
    let n = req.replications.unwrap_or_else(|| {
        loaded
            .scenario
            .simulation
            .replication_count()
            .min(SENSITIVITY_REPLICATIONS)
    }) as u64;
    let inputs = sensitivity::inputs(loaded);
    if inputs.is_empty() {
        bail!(
            "{}: no input is uncertain (every number is fixed), so there is nothing to vary",
            loaded.file
        );
    }
    let target = req.out.clone().unwrap_or_else(|| {
        crate::store::output::fresh_path(
            &Path::new("out").join(format!("{}-sensitivity", safe_name(&loaded.scenario.name))),
        )
    });
    let job = Job::create(
        &target,
        req.force,
        req.quiet,
        n * (2 * inputs.len() as u64 + 1),
        "sensitivity",
    )?;
    let progress = &job.progress;
    let config = |pinned: Option<(&str, f64)>| RunConfig {
        seed,
        replications: 0..n,
        threads: req.threads,
        options: sensitivity::options(pinned),
    };
    let start = loaded.scenario.simulation.start;
    let mut runs = vec![VariantRuns {
        name: "base (all inputs at P50)".into(),
        seed,
        start,
        axes: Vec::new(),
        output: run_all(loaded, &config(None), progress, "the base setting")?,
    }];
    let mut rows = Vec::new();
    for input in &inputs {
        let low = run_all(
            loaded,
            &config(Some((&input.path, sensitivity::LOW))),
            progress,
            &format!("{} at P10", input.path),
        )?;
        let high = run_all(
            loaded,
            &config(Some((&input.path, sensitivity::HIGH))),
            progress,
            &format!("{} at P90", input.path),
        )?;
        let low = VariantRuns {
            name: format!("{} at P10", input.path),
            seed,
            start,
            axes: Vec::new(),
            output: low,
        };
        let high = VariantRuns {
            name: format!("{} at P90", input.path),
            seed,
            start,
            axes: Vec::new(),
            output: high,
        };
        let p50 = |v: &VariantRuns, k: dcplan_sim::Kpi| v.summary(k).p50;
        rows.push(SensitivityRow {
            input: input.clone(),
            npv: (p50_npv(&low), p50_npv(&high)),
            payback: (p50_payback(&low), p50_payback(&high)),
            payback_within: (payback_within(&low), payback_within(&high)),
            swing: paired_swing(&low, &high),
            equity_irr: (
                p50(&low, dcplan_sim::Kpi::EquityIrrFrac),
                p50(&high, dcplan_sim::Kpi::EquityIrrFrac),
            ),
            min_dscr: (
                p50(&low, dcplan_sim::Kpi::MinAnnualDscr),
                p50(&high, dcplan_sim::Kpi::MinAnnualDscr),
            ),
        });
        runs.push(low);
        runs.push(high);
    }
    progress.finish();
    let base = &runs[0];
    let (base_npv, base_payback) = (p50_npv(base), p50_payback(base));
    let horizon = loaded.scenario.simulation.horizon_months as f64;

    tables::write_parquet(&mut tables::runs_frame(&runs)?, &job.path("runs.parquet"))?;
    tables::write_csv(
        &mut sensitivity_frame(&ranked(&rows), base_npv, base_payback)?,
        &job.path("sensitivity.csv"),
    )?;
    tables::write_csv(&mut tables::columns_frame()?, &job.path("columns.csv"))?;
    job.write("scenario.ron", &loaded.source_text)?;
    job.write_inputs(crate::store::manifest::INPUTS_DIR, [loaded])?;
    let labels = dcplan_sim::labels::Labeller::new(&loaded.scenario);
    let rendered = tornado_charts(
        &rows,
        &labels,
        (base_npv, base_payback, payback_within(base)),
        horizon,
        job.dir(),
    )?;
    let manifest = job.scenario_manifest(loaded, seed, n, req);
    let (doc, headlines) = sensitivity_doc(
        loaded,
        &rows,
        (base_npv, base_payback),
        &rendered,
        &manifest,
        (seed, n),
    );
    job.finish(&doc, manifest, runs, headlines)
}

/// The rows ranked by their NPV swing, largest first (ties in the order of the inputs).
fn ranked(rows: &[SensitivityRow]) -> Vec<&SensitivityRow> {
    let mut sorted: Vec<&SensitivityRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        (b.npv.1 - b.npv.0)
            .abs()
            .total_cmp(&(a.npv.1 - a.npv.0).abs())
    });
    sorted
}

/// The sensitivity table, ranked as [`ranked`] does; a P50 payback that falls among the
/// replications that never pay back within the horizon reads `never`.
fn sensitivity_frame(
    rows: &[&SensitivityRow],
    base_npv: f64,
    base_payback: Option<f64>,
) -> Result<DataFrame> {
    let col = |name: &str, f: &dyn Fn(&SensitivityRow) -> Option<f64>| {
        Column::new(
            name.into(),
            rows.iter().map(|r| f(r)).collect::<Vec<Option<f64>>>(),
        )
    };
    let months = |name: &str, f: &dyn Fn(&SensitivityRow) -> Option<f64>| {
        Column::new(
            name.into(),
            rows.iter()
                .map(|r| tables::months_cell(f(r)))
                .collect::<Vec<Option<String>>>(),
        )
    };
    let columns = vec![
        Column::new(
            "input".into(),
            rows.iter()
                .map(|r| r.input.path.clone())
                .collect::<Vec<_>>(),
        ),
        col("value_p10", &|r| Some(r.input.low)),
        col("value_p50", &|r| Some(r.input.base)),
        col("value_p90", &|r| Some(r.input.high)),
        col("npv_p50_usd_at_p10", &|r| Some(r.npv.0)),
        col("npv_p50_usd_base", &|_| Some(base_npv)),
        col("npv_p50_usd_at_p90", &|r| Some(r.npv.1)),
        col("npv_swing_usd", &|r| Some((r.npv.1 - r.npv.0).abs())),
        months("payback_p50_months_at_p10", &|r| r.payback.0),
        months("payback_p50_months_base", &|_| base_payback),
        months("payback_p50_months_at_p90", &|r| r.payback.1),
        col("npv_swing_paired_mean_usd", &|r| finite(r.swing.0)),
        col("npv_swing_paired_ci95_lo_usd", &|r| finite(r.swing.1)),
        col("npv_swing_paired_ci95_hi_usd", &|r| finite(r.swing.2)),
        col("equity_irr_p50_frac_at_p10", &|r| finite(r.equity_irr.0)),
        col("equity_irr_p50_frac_at_p90", &|r| finite(r.equity_irr.1)),
        col("min_dscr_p50_at_p10", &|r| finite(r.min_dscr.0)),
        col("min_dscr_p50_at_p90", &|r| finite(r.min_dscr.1)),
    ];
    DataFrame::new(rows.len(), columns).context("building the sensitivity table")
}

/// Whether the payback tornado shows the probability of payback within the horizon instead of
/// the P50 payback: when the base P50 payback is beyond the horizon, or when at least half of the
/// inputs move it beyond the horizon at one end (a P50 swing to "never" has no length).
fn payback_as_probability(rows: &[SensitivityRow], base_payback: Option<f64>) -> bool {
    let to_never = rows
        .iter()
        .filter(|r| r.payback.0.is_none() || r.payback.1.is_none())
        .count();
    base_payback.is_none() || (!rows.is_empty() && 2 * to_never >= rows.len())
}

/// The two tornado charts (P50 NPV, and P50 payback or the probability of payback within the
/// horizon), rendered into `dir`.
fn tornado_charts(
    rows: &[SensitivityRow],
    labels: &dcplan_sim::labels::Labeller,
    (base_npv, base_payback, base_within): (f64, Option<f64>, f64),
    horizon: f64,
    dir: &Path,
) -> Result<Vec<RenderedChart>> {
    // Bars are named by the inputs' labels and their values carry units.
    let named: Vec<dcplan_sim::labels::Label> =
        rows.iter().map(|r| labels.input(&r.input.path)).collect();
    let never = |p: Option<f64>| p.unwrap_or(horizon);
    let tornado = |name: &str,
                   title: String,
                   x_label: String,
                   (x_format, output): (YFormat, &str),
                   base: f64,
                   at: &dyn Fn(&SensitivityRow) -> (f64, f64)| charts::Tornado {
        name: name.into(),
        title,
        x_label,
        x_format,
        output: output.into(),
        base,
        bars: rows
            .iter()
            .zip(&named)
            .map(|(r, l)| charts::TornadoBar {
                label: l.label.clone(),
                low_input: report::input_value(&r.input.path, r.input.low, &l.unit),
                high_input: report::input_value(&r.input.path, r.input.high, &l.unit),
                at_low: at(r).0,
                at_high: at(r).1,
            })
            .collect(),
    };
    let tornado_npv = tornado(
        "tornado_npv",
        "Sensitivity of P50 NPV: each input at its P10 and P90, the others at P50".into(),
        "P50 NPV ($M)".into(),
        (YFormat::MillionsUsd, "P50 NPV"),
        base_npv,
        &|r| r.npv,
    );
    let probability = payback_as_probability(rows, base_payback);
    let tornado_payback = if probability {
        let why = if base_payback.is_none() {
            "the base P50 payback is beyond the horizon"
        } else {
            "most inputs move the P50 payback beyond the horizon"
        };
        tornado(
            "tornado_payback",
            format!("Sensitivity of the probability of payback within {horizon:.0} months ({why})"),
            format!(
                "Probability of payback within {horizon:.0} months (%; swings in percentage points)"
            ),
            (YFormat::Percent, "probability of payback"),
            base_within,
            &|r| r.payback_within,
        )
    } else {
        tornado(
            "tornado_payback",
            format!("Sensitivity of P50 payback (beyond the horizon drawn at {horizon:.0} months)"),
            "P50 payback (months)".into(),
            (YFormat::Months, "P50 payback"),
            never(base_payback),
            &|r| (never(r.payback.0), never(r.payback.1)),
        )
    };
    let payback_caption = if probability {
        "A P50 payback beyond the horizon has no length to compare, so this chart ranks the inputs by how many percentage points they move the probability of paying back within the horizon; the top bars are the inputs that could make the project pay back."
    } else {
        "Inputs are ranked by how many months they move the P50 payback between their P10 and P90; a bar reaching the right edge means that setting does not pay back within the horizon."
    };
    Ok(vec![
        charts::render(&tornado_npv, dir)?.captioned(
            "Inputs are ranked by how far they move P50 NPV between their P10 and P90 values (written at the bar ends); the top bars are the assumptions to verify first, and a bar on the left of the base line at P90 means more of that input lowers NPV.",
        ),
        charts::render(&tornado_payback, dir)?.captioned(payback_caption),
    ])
}

/// The report of a sensitivity study and its headlines.
fn sensitivity_doc(
    loaded: &LoadedScenario,
    rows: &[SensitivityRow],
    (base_npv, base_payback): (f64, Option<f64>),
    rendered: &[RenderedChart],
    manifest: &Manifest,
    (seed, n): (u64, u64),
) -> (Doc, Vec<String>) {
    let labels = dcplan_sim::labels::Labeller::new(&loaded.scenario);
    let named = |path: &str| labels.input(path);
    let label = |x: f64, path: &str| report::input_value(path, x, &named(path).unit);
    let sorted = ranked(rows);
    let mut headlines = vec![format!(
        "With every uncertain input at its median: P50 NPV {}, P50 payback {}.",
        money(base_npv),
        months(base_payback)
    )];
    for r in sorted.iter().take(3) {
        headlines.push(format!(
            "{}: from {} to {} moves P50 NPV from {} to {} (swing {}).",
            named(&r.input.path).label,
            label(r.input.low, &r.input.path),
            label(r.input.high, &r.input.path),
            money(r.npv.0),
            money(r.npv.1),
            money((r.npv.1 - r.npv.0).abs())
        ));
    }
    let mut blocks = vec![
        Block::Para(format!(
            "One-at-a-time sensitivity of {}: every uncertain input at its median, then each of the {} uncertain inputs in turn at its P10 and at its P90 with the others at their medians. Each setting runs the same {n} replications (seed {seed}), so demand, failures, weather and market shocks are the same in every setting and a swing is the effect of the input alone.",
            loaded.scenario.name,
            rows.len()
        )),
        Block::Heading(1, "Answers".into()),
        Block::Bullets(headlines.clone()),
    ];
    // The key assumptions, ranked by this study's NPV swing.
    let assumptions = report::assumptions(loaded);
    let key: Vec<report::KeyRow> = sorted
        .iter()
        .take(report::KEY_ROWS)
        .map(|r| {
            let path = &r.input.path;
            let l = named(path);
            let a = report::assumption_for(&assumptions, &loaded.scenario, path);
            report::KeyRow {
                label: l.label,
                value: a.map_or_else(
                    || {
                        format!(
                            "{} to {}",
                            label(r.input.low, path),
                            label(r.input.high, path)
                        )
                    },
                    |a| a.distribution.clone(),
                ),
                unit: a.map_or(l.unit, |a| a.unit.clone()),
                quality: a.map(|a| a.quality.clone()).unwrap_or_default(),
                influence: format!("NPV swing {}", money((r.npv.1 - r.npv.0).abs())),
                path: path.clone(),
                moves_npv: r.npv.1 != r.npv.0,
            }
        })
        .collect();
    blocks.extend(report::key_assumptions_blocks(
        &key,
        "Ranked by the swing of P50 NPV between the input at its P10 and at its P90, every other uncertain input at its median (one at a time, on the same replications).",
    ));
    blocks.push(Block::Heading(1, "Charts".into()));
    blocks.extend(charts::blocks(rendered));
    blocks.push(Block::Heading(1, "Inputs ranked by NPV swing".into()));
    blocks.push(Block::Table {
        header: [
            "input",
            "P10 value",
            "P50 value",
            "P90 value",
            "P50 NPV at P10",
            "P50 NPV at P90",
            "NPV swing",
            "P50 payback at P10",
            "P50 payback at P90",
            "field path",
        ]
        .map(String::from)
        .to_vec(),
        rows: sorted
            .iter()
            .map(|r| {
                vec![
                    named(&r.input.path).label,
                    label(r.input.low, &r.input.path),
                    label(r.input.base, &r.input.path),
                    label(r.input.high, &r.input.path),
                    money(r.npv.0),
                    money(r.npv.1),
                    money((r.npv.1 - r.npv.0).abs()),
                    months(r.payback.0),
                    months(r.payback.1),
                    r.input.path.clone(),
                ]
            })
            .collect(),
    });
    blocks.push(report::scenario_source(loaded));
    blocks.extend(report::reproducibility(
        manifest,
        "replications per setting",
    ));
    let doc = Doc {
        title: format!("dcplan sensitivity: {}", loaded.scenario.name),
        blocks,
    };
    (doc, headlines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(payback: (Option<f64>, Option<f64>)) -> SensitivityRow {
        SensitivityRow {
            input: sensitivity::Input {
                path: "site.pue".into(),
                low: 1.2,
                base: 1.3,
                high: 1.4,
            },
            npv: (0.0, 0.0),
            payback,
            payback_within: (0.4, 0.6),
            swing: (0.0, 0.0, 0.0),
            equity_irr: (0.1, 0.1),
            min_dscr: (f64::NAN, f64::NAN),
        }
    }

    #[test]
    fn the_payback_tornado_turns_to_probability_when_payback_is_never() {
        let paid = row((Some(30.0), Some(40.0)));
        let half_never = row((Some(30.0), None));
        assert!(!payback_as_probability(
            std::slice::from_ref(&paid),
            Some(35.0)
        ));
        assert!(payback_as_probability(std::slice::from_ref(&paid), None));
        assert!(payback_as_probability(
            &[paid.clone(), half_never.clone()],
            Some(35.0)
        ));
        assert!(!payback_as_probability(
            &[paid.clone(), paid, half_never],
            Some(35.0)
        ));
        assert!(!payback_as_probability(&[], Some(35.0)));
    }
}
