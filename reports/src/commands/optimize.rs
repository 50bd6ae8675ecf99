//! `dcplan optimize`: a search over the scenario's decision variables under a risk constraint.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use dcplan_sim::optimize::{self, Explored, Score};
use dcplan_sim::stats::summarize;
use dcplan_sim::{LoadedScenario, RunConfig};
use polars_core::prelude::{Column, DataFrame};

use crate::commands::job::{Finished, Job, Progress, RunRequest, run_all};
use crate::commands::sensitivity::p50_payback;
use crate::render::charts::{self, YFormat};
use crate::render::doc::{Block, Doc};
use crate::render::format::{money, months, percent};
use crate::render::report;
use crate::render::tables::{self, VariantRuns};
use crate::store::output::safe_name;

/// `dcplan optimize`.
pub fn main(scenario: Option<&PathBuf>, req: RunRequest) -> Result<ExitCode> {
    crate::commands::sensitivity::study(scenario, req, false)
}

/// Files an optimize folder holds.
pub const OPTIMIZE_FILES: &[&str] = &[
    "candidates.csv",
    "columns.csv",
    "best.ron",
    "manifest.ron",
    "scenario.ron",
    "report.md",
    "report.html",
    "frontier.svg",
    "frontier.png",
];

/// One candidate of a search with what it scored.
#[derive(Clone, Debug)]
pub(crate) struct CandidateResult {
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
pub(crate) fn frontier(cands: &[CandidateResult]) -> Vec<usize> {
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
pub(crate) fn run_optimize(loaded: &LoadedScenario, req: &RunRequest) -> Result<Finished> {
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
    if let Some(why) = optimize::constraint_past_horizon(&loaded.scenario) {
        bail!("{}: optimize.constraint.payback_months: {why}", loaded.file);
    }
    let seed = req.seed.unwrap_or(loaded.scenario.simulation.seed);
    let n = req.replications.unwrap_or(opt.replications) as u64;
    let target = req.out.clone().unwrap_or_else(|| {
        crate::store::output::fresh_path(
            &Path::new("out").join(format!("{}-optimize", safe_name(&loaded.scenario.name))),
        )
    });
    let job = Job::create(&target, req.force, req.quiet, 0, "optimize")?;
    let progress = &job.progress;
    let constraint = opt.constraint.clone();
    let mut results: Vec<CandidateResult> = Vec::new();
    let explored = optimize::search(
        &opt,
        |values: &[f64]| -> Result<Score> {
            let c = evaluate(loaded, &opt, values, (seed, n), req, progress)?;
            let score = c.explored.score.clone();
            results.push(c);
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
        &job.path("candidates.csv"),
    )?;
    tables::write_csv(&mut tables::columns_frame()?, &job.path("columns.csv"))?;
    job.write("scenario.ron", &loaded.source_text)?;
    job.write_inputs(crate::store::manifest::INPUTS_DIR, [loaded])?;
    let best_text = best_scenario_text(loaded, &opt, &results[best_i], results.len())?;
    job.write("best.ron", &best_text)?;
    let chart = frontier_chart(&results, &front, best_i, &constraint);
    let rendered = vec![charts::render(&chart, job.dir())?.captioned(
        "Each dot is a candidate plan, placed by its probability of payback and its P50 NPV; the frontier joins the plans that no other plan beats on both at once, the ring marks the plan chosen, and a plan below the frontier gives up return or certainty for nothing.",
    )];

    // Report.
    let manifest = job.scenario_manifest(loaded, seed, n, req);
    let (doc, headlines) = optimize_doc(
        loaded,
        &opt,
        &results,
        best_i,
        &front,
        &rendered,
        &manifest,
        (seed, n),
    );
    job.finish(&doc, manifest, Vec::new(), headlines)
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

/// The candidates table: every candidate with its values and scores.
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
        f(&|r| tables::finite(r.explored.score.objective)),
    ));
    columns.push(Column::new(
        "npv_p10_usd".into(),
        f(&|r| tables::finite(r.npv_p10_p90.0)),
    ));
    columns.push(Column::new(
        "npv_p90_usd".into(),
        f(&|r| tables::finite(r.npv_p10_p90.1)),
    ));
    columns.push(Column::new(
        "constraint_probability".into(),
        f(&|r| tables::finite(r.explored.score.probability)),
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
        f(&|r| tables::finite(r.ebitda_margin_p50)),
    ));
    columns.push(Column::new(
        "capex_p50_usd".into(),
        f(&|r| tables::finite(r.capex_p50)),
    ));
    DataFrame::new(results.len(), columns).context("building the candidates table")
}

/// Run one candidate of the search and score it.
fn evaluate(
    loaded: &LoadedScenario,
    opt: &dcplan_sim::scenario::Optimize,
    values: &[f64],
    (seed, n): (u64, u64),
    req: &RunRequest,
    progress: &Progress,
) -> Result<CandidateResult> {
    let constraint = &opt.constraint;
    let name = optimize::name(opt, values);
    let source = |_: &str| format!("set by dcplan optimize: candidate {name}");
    let candidate =
        dcplan_sim::sweep::apply(loaded, &optimize::settings(opt, values), &name, &source)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    let config = RunConfig {
        seed,
        replications: 0..n,
        threads: req.threads,
        options: dcplan_sim::replication::ReplicationOptions::for_run(&candidate, seed, n),
    };
    let output = run_all(&candidate, &config, progress, &format!("candidate {name}"))?;
    let v = VariantRuns {
        name: name.clone(),
        seed,
        start: candidate.scenario.simulation.start,
        axes: Vec::new(),
        output,
    };
    let npv = v.summary(dcplan_sim::Kpi::NpvUsd);
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
    Ok(CandidateResult {
        explored: Explored {
            values: values.to_vec(),
            round: 0,
            score: score.clone(),
        },
        name,
        npv: per_rep,
        npv_p10_p90: (npv.p10, npv.p90),
        payback_p50: p50_payback(&v),
        ebitda_margin_p50: v.summary(dcplan_sim::Kpi::EbitdaMarginFrac).p50,
        capex_p50: v.summary(dcplan_sim::Kpi::CapexUsd).p50,
    })
}

/// The frontier chart: every candidate by round, the frontier and the best (or closest) one.
fn frontier_chart(
    results: &[CandidateResult],
    front: &[usize],
    best_i: usize,
    constraint: &Option<dcplan_sim::scenario::PaybackConstraint>,
) -> charts::Scatter {
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
    charts::Scatter {
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
    }
}

/// The report of a search and its headlines.
#[allow(clippy::too_many_arguments)]
fn optimize_doc(
    loaded: &LoadedScenario,
    opt: &dcplan_sim::scenario::Optimize,
    results: &[CandidateResult],
    best_i: usize,
    front: &[usize],
    rendered: &[charts::RenderedChart],
    manifest: &crate::store::manifest::Manifest,
    (seed, n): (u64, u64),
) -> (Doc, Vec<String>) {
    let constraint = &opt.constraint;
    let rounds = results.iter().map(|r| r.explored.round).max().unwrap_or(0);
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
    // Rounds that evaluated candidates: the grid, then each refinement that proposed new ones.
    let evaluated_rounds = rounds + 1;
    headlines.push(format!(
        "{} candidates evaluated ({evaluated_rounds} {}), {feasible_count} meet the constraint; {} on the frontier.",
        results.len(),
        if evaluated_rounds == 1 { "round" } else { "rounds" },
        front.len()
    ));
    let mut ranked: Vec<usize> = (0..results.len()).collect();
    ranked.sort_by(|&i, &j| {
        let (a, b) = (&results[i].explored.score, &results[j].explored.score);
        b.feasible
            .cmp(&a.feasible)
            .then(b.objective.total_cmp(&a.objective))
    });
    // Each decision variable in a column of its own, headed by its label.
    let labels = dcplan_sim::labels::Labeller::new(&loaded.scenario);
    let variable_labels: Vec<dcplan_sim::labels::Label> = opt
        .variables
        .iter()
        .map(|v| labels.input(&v.path))
        .collect();
    let mut header = vec!["candidate".to_string()];
    header.extend(variable_labels.iter().map(|l| l.label.clone()));
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
    let table_rows: Vec<Vec<String>> =
        ranked
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
                        money(d.ci95_lo),
                        money(d.ci95_hi)
                    )
                };
                let mut row = vec![c.name.clone()];
                row.extend(opt.variables.iter().zip(&variable_labels).enumerate().map(
                    |(k, (v, l))| report::input_value(&v.path, c.explored.values[k], &l.unit),
                ));
                row.extend([
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
                ]);
                row
            })
            .collect();
    let mut blocks = vec![
        Block::Para(format!(
            "Search of {} over {}: a grid of {} candidates, then {} refinement round(s) on a grid of half the step around the best so far. Every candidate runs the same {n} replications (seed {seed}), so candidates are compared on the same demand, failures, weather and prices. Objective: P50 NPV; constraint: {constraint_text}.",
            loaded.scenario.name,
            opt.variables
                .iter()
                .map(|v| {
                    let l = labels.input(&v.path);
                    format!(
                        "{} from {} to {} ({})",
                        l.label,
                        report::input_value(&v.path, v.min, &l.unit),
                        report::input_value(&v.path, v.max, &l.unit),
                        v.path
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
            optimize::first_grid(opt).len(),
            opt.refinements
        )),
        Block::Heading(1, "Answers".into()),
        Block::Bullets(headlines.clone()),
        Block::Para("The best candidate's scenario is written to best.ron in this folder; `dcplan run best.ron` gives its full report. A paired NPV interval that includes zero means the candidate cannot be told apart from the best with this many replications.".into()),
        Block::Heading(1, "Best candidates".into()),
        Block::Table { header, rows: table_rows },
        Block::Heading(1, "Charts".into()),
    ];
    blocks.extend(charts::blocks(rendered));
    blocks.push(report::scenario_source(loaded));
    blocks.extend(report::reproducibility(
        manifest,
        "replications per candidate",
    ));
    let doc = Doc {
        title: format!("dcplan optimize: {}", loaded.scenario.name),
        blocks,
    };
    (doc, headlines)
}
