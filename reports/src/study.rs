//! `dcplan sensitivity` (one-at-a-time low/high runs and tornado charts) and `dcplan optimize`
//! (search over decision variables under a risk constraint).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use dcplan_sim::optimize::{self, Explored, Score};
use dcplan_sim::sensitivity;
use dcplan_sim::stats::{Z95, percentile_never_last, summarize};
use dcplan_sim::{Kpi, LoadedScenario, RunConfig, RunOutput};
use polars::prelude::{Column, DataFrame};

use crate::charts::{self, RenderedChart, YFormat};
use crate::doc::{Block, Doc};
use crate::format::{by_column, money, months, percent};
use crate::manifest::{self, Manifest};
use crate::output::OutputDir;
use crate::pipeline::{self, Finished, Progress, RunRequest};
use crate::report;
use crate::tables::{self, VariantRuns};

/// Replications per setting when neither the command line nor the scenario says otherwise.
pub const SENSITIVITY_REPLICATIONS: u32 = 100;

/// Files a sensitivity folder holds.
pub const SENSITIVITY_FILES: &[&str] = &[
    "sensitivity.csv",
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

/// Files an optimize folder holds.
pub const OPTIMIZE_FILES: &[&str] = &[
    "candidates.csv",
    "best.ron",
    "manifest.ron",
    "scenario.ron",
    "report.md",
    "report.html",
    "frontier.svg",
    "frontier.png",
];

fn manifest_for(
    loaded: &LoadedScenario,
    seed: u64,
    n: u64,
    req: &RunRequest,
    started: String,
) -> Manifest {
    Manifest {
        dcplan_version: manifest::VERSION.to_string(),
        git_revision: manifest::GIT_REVISION.to_string(),
        scenario_file: loaded.file.clone(),
        scenario_name: loaded.scenario.name.clone(),
        scenario_hash: manifest::hash_bytes(loaded.source_text.as_bytes()),
        seed,
        replications: n,
        replication_range: (0, n),
        threads: pipeline::threads_used(req.threads),
        command_line: req.command_line.clone(),
        started_utc: started,
        wall_time_s: 0.0,
        failures: Vec::new(),
        files: Vec::new(),
    }
}

fn chart_blocks(charts: &[RenderedChart]) -> Vec<Block> {
    charts
        .iter()
        .map(|c| Block::Chart {
            title: c.title.clone(),
            svg: c.svg.clone(),
            png: format!("{}.png", c.name),
        })
        .collect()
}

fn run_all(
    loaded: &LoadedScenario,
    config: &RunConfig,
    progress: &Progress,
    what: &str,
) -> Result<RunOutput> {
    let output = dcplan_sim::run(loaded, config, &|| progress.tick())?;
    if output.replications.is_empty() {
        let first = output
            .failures
            .first()
            .map(|f| format!("replication {} (seed {}): {}", f.index, f.seed, f.message))
            .unwrap_or_default();
        bail!(
            "{}: every replication of {what} failed; the first: {first}",
            loaded.file
        );
    }
    Ok(output)
}

/// One row of a sensitivity study.
#[derive(Clone, Debug)]
pub struct SensitivityRow {
    /// The input and its three values.
    pub input: sensitivity::Input,
    /// P50 NPV with the input at P10 and at P90.
    pub npv: (f64, f64),
    /// P50 payback with the input at P10 and at P90 (`None`: beyond the horizon).
    pub payback: (Option<f64>, Option<f64>),
}

fn p50_npv(v: &VariantRuns) -> f64 {
    v.summary(Kpi::NpvUsd).p50
}

fn p50_payback(v: &VariantRuns) -> Option<f64> {
    percentile_never_last(&v.kpi(Kpi::PaybackMonths), 0.5)
}

/// Run a one-at-a-time sensitivity study and write its folder.
pub fn run_sensitivity(loaded: &LoadedScenario, req: &RunRequest) -> Result<Finished> {
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
        crate::output::fresh_path(&Path::new("out").join(format!(
            "{}-sensitivity",
            pipeline::safe_name(&loaded.scenario.name)
        )))
    });
    let out = OutputDir::create(&target, req.force)?;
    let started = manifest::now_utc();
    let t0 = Instant::now();
    let progress = Progress::new(n * (2 * inputs.len() as u64 + 1), req.quiet, "sensitivity");
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
        output: run_all(loaded, &config(None), &progress, "the base setting")?,
    }];
    let mut rows = Vec::new();
    for input in &inputs {
        let low = run_all(
            loaded,
            &config(Some((&input.path, sensitivity::LOW))),
            &progress,
            &format!("{} at P10", input.path),
        )?;
        let high = run_all(
            loaded,
            &config(Some((&input.path, sensitivity::HIGH))),
            &progress,
            &format!("{} at P90", input.path),
        )?;
        let low = VariantRuns {
            name: format!("{} at P10", input.path),
            seed,
            start,
            output: low,
        };
        let high = VariantRuns {
            name: format!("{} at P90", input.path),
            seed,
            start,
            output: high,
        };
        rows.push(SensitivityRow {
            input: input.clone(),
            npv: (p50_npv(&low), p50_npv(&high)),
            payback: (p50_payback(&low), p50_payback(&high)),
        });
        runs.push(low);
        runs.push(high);
    }
    progress.finish();
    let base = &runs[0];
    let (base_npv, base_payback) = (p50_npv(base), p50_payback(base));
    let horizon = loaded.scenario.simulation.horizon_months as f64;

    tables::write_parquet(&mut tables::runs_frame(&runs)?, &out.path("runs.parquet"))?;
    tables::write_csv(
        &mut sensitivity_frame(&rows, base_npv, base_payback)?,
        &out.path("sensitivity.csv"),
    )?;
    std::fs::write(out.path("scenario.ron"), &loaded.source_text)
        .context("writing scenario.ron")?;
    let label = |x: f64, path: &str| by_column(path, x);
    let never = |p: Option<f64>| p.unwrap_or(horizon);
    let tornado = |name: &str,
                   title: String,
                   x_label: &str,
                   x_format: YFormat,
                   base: f64,
                   at: &dyn Fn(&SensitivityRow) -> (f64, f64)| charts::Tornado {
        name: name.into(),
        title,
        x_label: x_label.into(),
        x_format,
        base,
        bars: rows
            .iter()
            .map(|r| charts::TornadoBar {
                label: r.input.path.clone(),
                low_input: label(r.input.low, &r.input.path),
                high_input: label(r.input.high, &r.input.path),
                at_low: at(r).0,
                at_high: at(r).1,
            })
            .collect(),
    };
    let tornado_npv = tornado(
        "tornado_npv",
        "Sensitivity of P50 NPV: each input at its P10 and P90, the others at P50".into(),
        "P50 NPV ($M)",
        YFormat::MillionsUsd,
        base_npv,
        &|r| r.npv,
    );
    let tornado_payback = tornado(
        "tornado_payback",
        format!(
            "Sensitivity of P50 payback (no payback within the horizon drawn at {horizon:.0} months)"
        ),
        "P50 payback (months)",
        YFormat::Plain,
        never(base_payback),
        &|r| (never(r.payback.0), never(r.payback.1)),
    );
    let rendered = vec![
        charts::render(&tornado_npv, out.tmp_dir())?,
        charts::render(&tornado_payback, out.tmp_dir())?,
    ];

    let mut sorted: Vec<&SensitivityRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        (b.npv.1 - b.npv.0)
            .abs()
            .total_cmp(&(a.npv.1 - a.npv.0).abs())
    });
    let manifest = manifest_for(loaded, seed, n, req, started);
    let mut headlines = vec![format!(
        "With every uncertain input at its median: P50 NPV {}, P50 payback {}.",
        money(base_npv),
        months(base_payback)
    )];
    for r in sorted.iter().take(3) {
        headlines.push(format!(
            "{}: from {} to {} moves P50 NPV from {} to {} (swing {}).",
            r.input.path,
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
            inputs.len()
        )),
        Block::Heading(1, "Answers".into()),
        Block::Bullets(headlines.clone()),
        Block::Heading(1, "Charts".into()),
    ];
    blocks.extend(chart_blocks(&rendered));
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
        ]
        .map(String::from)
        .to_vec(),
        rows: sorted
            .iter()
            .map(|r| {
                vec![
                    r.input.path.clone(),
                    label(r.input.low, &r.input.path),
                    label(r.input.base, &r.input.path),
                    label(r.input.high, &r.input.path),
                    money(r.npv.0),
                    money(r.npv.1),
                    money((r.npv.1 - r.npv.0).abs()),
                    months(r.payback.0),
                    months(r.payback.1),
                ]
            })
            .collect(),
    });
    blocks.push(Block::Details(
        format!("{} ({})", loaded.scenario.name, loaded.file),
        vec![Block::Code(loaded.source_text.clone())],
    ));
    blocks.extend(report::reproducibility(
        &manifest,
        "replications per setting",
    ));
    let doc = Doc {
        title: format!("dcplan sensitivity: {}", loaded.scenario.name),
        blocks,
    };
    let dir = pipeline::write_doc_and_manifest(out, &doc, manifest, t0)?;
    Ok(Finished {
        dir,
        variants: runs,
        headlines,
        wall: t0.elapsed(),
    })
}

/// The sensitivity table; a P50 payback that falls among the replications that never pay back
/// within the horizon reads `never`.
fn sensitivity_frame(
    rows: &[SensitivityRow],
    base_npv: f64,
    base_payback: Option<f64>,
) -> Result<DataFrame> {
    let col = |name: &str, f: &dyn Fn(&SensitivityRow) -> Option<f64>| {
        Column::new(
            name.into(),
            rows.iter().map(f).collect::<Vec<Option<f64>>>(),
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
    ];
    DataFrame::new(rows.len(), columns).context("building the sensitivity table")
}

/// One candidate of a search with what it scored.
#[derive(Clone, Debug)]
pub struct CandidateResult {
    /// The candidate.
    pub explored: Explored,
    /// Name, e.g. `gpus=4096, policy.0=1.1`.
    pub name: String,
    /// NPV of every replication (in replication order; NaN where it failed).
    pub npv: Vec<f64>,
    /// P10 and P90 NPV.
    pub npv_p10_p90: (f64, f64),
    /// P50 payback (`None`: beyond the horizon).
    pub payback_p50: Option<f64>,
    /// P50 EBITDA margin.
    pub ebitda_margin_p50: f64,
    /// P50 capex.
    pub capex_p50: f64,
}

/// Candidates on the frontier: none of them is beaten on both P50 NPV and the constraint's
/// probability by another candidate.
pub fn frontier(cands: &[CandidateResult]) -> Vec<usize> {
    (0..cands.len())
        .filter(|&i| {
            let a = &cands[i].explored.score;
            !cands.iter().any(|c| {
                let b = &c.explored.score;
                b.objective >= a.objective
                    && b.probability >= a.probability
                    && (b.objective > a.objective || b.probability > a.probability)
            })
        })
        .collect()
}

/// Search the scenario's decision variables and write the optimize folder.
pub fn run_optimize(loaded: &LoadedScenario, req: &RunRequest) -> Result<Finished> {
    let Some(opt) = loaded.scenario.optimize.clone() else {
        bail!(
            "{}: the scenario has no `optimize` section; add one with decision variables, e.g. optimize: (variables: [(path: \"fleet[0].gpus\", min: 2048, max: 8192, multiple_of: 8)])",
            loaded.file
        );
    };
    if loaded.scenario.sweep.is_some() {
        bail!(
            "{}: optimize searches one scenario; remove the `sweep` section",
            loaded.file
        );
    }
    let seed = req.seed.unwrap_or(loaded.scenario.simulation.seed);
    let n = req.replications.unwrap_or(opt.replications) as u64;
    let target = req.out.clone().unwrap_or_else(|| {
        crate::output::fresh_path(&Path::new("out").join(format!(
            "{}-optimize",
            pipeline::safe_name(&loaded.scenario.name)
        )))
    });
    let out = OutputDir::create(&target, req.force)?;
    let started = manifest::now_utc();
    let t0 = Instant::now();
    let progress = Progress::new(0, req.quiet, "optimize");
    let constraint = opt.constraint.clone();
    let mut results: Vec<CandidateResult> = Vec::new();
    let explored = optimize::search(
        &opt,
        |values: &[f64]| -> Result<Score> {
            let name = optimize::name(&opt, values);
            let source = |_: &str| format!("set by dcplan optimize: candidate {name}");
            let candidate =
                dcplan_sim::sweep::apply(loaded, &optimize::settings(&opt, values), &name, &source)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            let config = RunConfig {
                seed,
                replications: 0..n,
                threads: req.threads,
                options: dcplan_sim::model::ReplicationOptions::for_run(&candidate, seed, n),
            };
            let output = run_all(&candidate, &config, &progress, &format!("candidate {name}"))?;
            let v = VariantRuns {
                name: name.clone(),
                seed,
                start: candidate.scenario.simulation.start,
                output,
            };
            let npv = v.summary(Kpi::NpvUsd);
            let probability = constraint
                .as_ref()
                .map_or(1.0, |c| report::prob_payback_within(&v, c.payback_months));
            let score = Score {
                objective: npv.p50,
                probability,
                feasible: constraint
                    .as_ref()
                    .is_none_or(|c| probability >= c.probability),
            };
            let mut per_rep = vec![f64::NAN; n as usize];
            for r in &v.output.replications {
                per_rep[r.index as usize] = r.kpis.npv_usd;
            }
            results.push(CandidateResult {
                explored: Explored {
                    values: values.to_vec(),
                    round: 0,
                    score: score.clone(),
                },
                name,
                npv: per_rep,
                npv_p10_p90: (npv.p10, npv.p90),
                payback_p50: p50_payback(&v),
                ebitda_margin_p50: v.summary(Kpi::EbitdaMarginFrac).p50,
                capex_p50: v.summary(Kpi::CapexUsd).p50,
            });
            Ok(score)
        },
        |_, new| progress.add_total(new as u64 * n),
    )?;
    progress.finish();
    for (r, e) in results.iter_mut().zip(&explored) {
        r.explored.round = e.round;
    }
    let best = optimize::best(&explored).context("the search evaluated no candidate")?;
    let best_i = explored
        .iter()
        .position(|e| std::ptr::eq(e, best))
        .unwrap_or(0);
    let front = frontier(&results);

    // Files.
    tables::write_csv(
        &mut candidates_frame(&opt, &results, &front)?,
        &out.path("candidates.csv"),
    )?;
    std::fs::write(out.path("scenario.ron"), &loaded.source_text)
        .context("writing scenario.ron")?;
    let best_text = best_scenario_text(loaded, &opt, &results[best_i], results.len())?;
    std::fs::write(out.path("best.ron"), &best_text).context("writing best.ron")?;
    let (x_label, x_mark) = match &constraint {
        Some(c) => (
            format!("P(payback within {:.0} months) (%)", c.payback_months),
            vec![(
                format!("required {}", percent(c.probability)),
                c.probability,
            )],
        ),
        None => (
            "Share of replications (no constraint) (%)".to_string(),
            Vec::new(),
        ),
    };
    let point = |c: &CandidateResult| (c.explored.score.probability, c.explored.score.objective);
    let rounds = results.iter().map(|r| r.explored.round).max().unwrap_or(0);
    let series = (0..=rounds)
        .map(|k| {
            let label = if k == 0 {
                "first grid".to_string()
            } else {
                format!("refinement {k}")
            };
            (
                label,
                charts::PALETTE[k as usize % charts::PALETTE.len()],
                results
                    .iter()
                    .filter(|r| r.explored.round == k)
                    .map(point)
                    .collect(),
            )
        })
        .collect();
    let mut front_points: Vec<(f64, f64)> = front.iter().map(|&i| point(&results[i])).collect();
    front_points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let chart = charts::Scatter {
        name: "frontier".into(),
        title: "Candidates explored: P50 NPV against the risk constraint".into(),
        x_label,
        y_label: "P50 NPV ($M)".into(),
        x_format: YFormat::Percent,
        y_format: YFormat::MillionsUsd,
        series,
        frontier: front_points,
        highlight: Some((
            if results[best_i].explored.score.feasible {
                format!("best: {}", results[best_i].name)
            } else {
                format!("closest, none feasible: {}", results[best_i].name)
            },
            point(&results[best_i]),
        )),
        x_marks: x_mark,
        y_marks: vec![("NPV 0".into(), 0.0)],
    };
    let rendered = vec![charts::render(&chart, out.tmp_dir())?];

    // Report.
    let manifest = manifest_for(loaded, seed, n, req, started);
    let b = &results[best_i];
    let feasible_count = results.iter().filter(|r| r.explored.score.feasible).count();
    let constraint_text = constraint
        .as_ref()
        .map(|c| {
            format!(
                "P(payback within {:.0} months) >= {}",
                c.payback_months,
                percent(c.probability)
            )
        })
        .unwrap_or_else(|| "no risk constraint".into());
    let mut headlines = vec![if b.explored.score.feasible {
        format!(
            "Best candidate meeting {constraint_text}: {} with P50 NPV {} (P10 {}, P90 {}) and P50 payback {}.",
            b.name,
            money(b.explored.score.objective),
            money(b.npv_p10_p90.0),
            money(b.npv_p10_p90.1),
            months(b.payback_p50)
        )
    } else {
        format!(
            "No candidate meets {constraint_text}; the closest is {} with a probability of {} and P50 NPV {}.",
            b.name,
            percent(b.explored.score.probability),
            money(b.explored.score.objective)
        )
    }];
    headlines.push(format!("{} candidates evaluated ({} rounds), {feasible_count} meet the constraint; {} on the frontier.", results.len(), rounds + 1, front.len()));
    let mut ranked: Vec<usize> = (0..results.len()).collect();
    ranked.sort_by(|&i, &j| {
        let (a, b) = (&results[i].explored.score, &results[j].explored.score);
        b.feasible
            .cmp(&a.feasible)
            .then(b.objective.total_cmp(&a.objective))
    });
    let mut header = vec!["candidate".to_string()];
    header.extend(
        [
            "round",
            "P50 NPV",
            "P10 NPV",
            "P90 NPV",
            "mean NPV - best (95 % CI, paired)",
            "P(constraint)",
            "meets",
            "P50 payback",
            "EBITDA margin P50",
            "capex P50",
        ]
        .map(String::from),
    );
    let best_npv = &results[best_i].npv;
    let table_rows: Vec<Vec<String>> = ranked
        .iter()
        .take(10)
        .map(|&i| {
            let c = &results[i];
            let diffs: Vec<Option<f64>> = c
                .npv
                .iter()
                .zip(best_npv)
                .map(|(a, b)| (a.is_finite() && b.is_finite()).then_some(a - b))
                .collect();
            let d = summarize(&diffs);
            let diff_text = if i == best_i {
                "best".into()
            } else {
                format!(
                    "{} ({} to {})",
                    money(d.mean),
                    money(d.mean - Z95 * d.se),
                    money(d.mean + Z95 * d.se)
                )
            };
            vec![
                c.name.clone(),
                c.explored.round.to_string(),
                money(c.explored.score.objective),
                money(c.npv_p10_p90.0),
                money(c.npv_p10_p90.1),
                diff_text,
                percent(c.explored.score.probability),
                if c.explored.score.feasible {
                    "yes".into()
                } else {
                    "no".into()
                },
                months(c.payback_p50),
                percent(c.ebitda_margin_p50),
                money(c.capex_p50),
            ]
        })
        .collect();
    let mut blocks = vec![
        Block::Para(format!(
            "Search of {} over {}: a grid of {} candidates, then {} refinement round(s) on a grid of half the step around the best so far. Every candidate runs the same {n} replications (seed {seed}), so candidates are compared on the same demand, failures, weather and prices. Objective: P50 NPV; constraint: {constraint_text}.",
            loaded.scenario.name,
            opt.variables.iter().map(|v| format!("{} in [{}, {}]", v.path, optimize::number_text(v.min), optimize::number_text(v.max))).collect::<Vec<_>>().join(", "),
            optimize::first_grid(&opt).len(),
            opt.refinements
        )),
        Block::Heading(1, "Answers".into()),
        Block::Bullets(headlines.clone()),
        Block::Para("The best candidate's scenario is written to best.ron in this folder; `dcplan run best.ron` gives its full report. A paired NPV interval that includes zero means the candidate cannot be told apart from the best with this many replications.".into()),
        Block::Heading(1, "Best candidates".into()),
        Block::Table { header, rows: table_rows },
        Block::Heading(1, "Charts".into()),
    ];
    blocks.extend(chart_blocks(&rendered));
    blocks.push(Block::Details(
        format!("{} ({})", loaded.scenario.name, loaded.file),
        vec![Block::Code(loaded.source_text.clone())],
    ));
    blocks.extend(report::reproducibility(
        &manifest,
        "replications per candidate",
    ));
    let doc = Doc {
        title: format!("dcplan optimize: {}", loaded.scenario.name),
        blocks,
    };
    let dir = pipeline::write_doc_and_manifest(out, &doc, manifest, t0)?;
    Ok(Finished {
        dir,
        variants: Vec::new(),
        headlines,
        wall: t0.elapsed(),
    })
}

/// The scenario text of a candidate, without the `optimize` section, headed by a comment. Each
/// value the search set gets a comment saying so (with how the candidate scored) in place of the
/// comment of the value it replaced, so that `dcplan run best.ron` names the search as its source.
fn best_scenario_text(
    loaded: &LoadedScenario,
    opt: &dcplan_sim::scenario::Optimize,
    c: &CandidateResult,
    candidates: usize,
) -> Result<String> {
    let score = &c.explored.score;
    let how = match &opt.constraint {
        None => format!(
            "best candidate of {candidates} (P50 NPV {})",
            money(score.objective)
        ),
        Some(k) => {
            let p = format!(
                "P(payback within {:.0} months) {}, required {}",
                k.payback_months,
                percent(score.probability),
                percent(k.probability)
            );
            if score.feasible {
                format!(
                    "best feasible candidate of {candidates} (P50 NPV {}; {p})",
                    money(score.objective)
                )
            } else {
                format!(
                    "no candidate of {candidates} is feasible; the closest (P50 NPV {}; {p})",
                    money(score.objective)
                )
            }
        }
    };
    let source = format!("set by dcplan optimize: {how}");
    let mut text = loaded.source_text.clone();
    for (path, value) in optimize::settings(opt, &c.explored.values) {
        text = dcplan_sim::scenario::ron_text::set_with_source(&text, &path, &value, &source)
            .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    }
    text = dcplan_sim::scenario::ron_text::set(&text, "optimize", "None")
        .map_err(|e| anyhow::anyhow!("optimize: {e}"))?;
    Ok(format!(
        "// The best candidate found by `dcplan optimize` on {}: {}.\n{text}",
        loaded.file, c.name
    ))
}

fn candidates_frame(
    opt: &dcplan_sim::scenario::Optimize,
    results: &[CandidateResult],
    front: &[usize],
) -> Result<DataFrame> {
    let mut columns = vec![
        Column::new(
            "candidate".into(),
            results.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "round".into(),
            results
                .iter()
                .map(|r| r.explored.round)
                .collect::<Vec<u32>>(),
        ),
    ];
    for (k, v) in opt.variables.iter().enumerate() {
        columns.push(Column::new(
            v.path.as_str().into(),
            results
                .iter()
                .map(|r| r.explored.values[k])
                .collect::<Vec<f64>>(),
        ));
    }
    let f = |g: &dyn Fn(&CandidateResult) -> Option<f64>| {
        results.iter().map(g).collect::<Vec<Option<f64>>>()
    };
    columns.push(Column::new(
        "npv_p50_usd".into(),
        f(&|r| Some(r.explored.score.objective)),
    ));
    columns.push(Column::new(
        "npv_p10_usd".into(),
        f(&|r| Some(r.npv_p10_p90.0)),
    ));
    columns.push(Column::new(
        "npv_p90_usd".into(),
        f(&|r| Some(r.npv_p10_p90.1)),
    ));
    columns.push(Column::new(
        "constraint_probability".into(),
        f(&|r| Some(r.explored.score.probability)),
    ));
    columns.push(Column::new(
        "feasible".into(),
        results
            .iter()
            .map(|r| r.explored.score.feasible)
            .collect::<Vec<bool>>(),
    ));
    columns.push(Column::new(
        "on_frontier".into(),
        (0..results.len())
            .map(|i| front.contains(&i))
            .collect::<Vec<bool>>(),
    ));
    columns.push(Column::new(
        "payback_p50_months".into(),
        results
            .iter()
            .map(|r| tables::months_cell(r.payback_p50))
            .collect::<Vec<Option<String>>>(),
    ));
    columns.push(Column::new(
        "ebitda_margin_p50_frac".into(),
        f(&|r| Some(r.ebitda_margin_p50)),
    ));
    columns.push(Column::new(
        "capex_p50_usd".into(),
        f(&|r| Some(r.capex_p50)),
    ));
    DataFrame::new(results.len(), columns).context("building the candidates table")
}
