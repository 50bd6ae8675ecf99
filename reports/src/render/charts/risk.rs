//! Risk charts: distributions of NPV and payback across replications and variants.

use crate::render::charts::{self, Histogram, YFormat};
use crate::render::tables::{self, VariantRuns};

/// NPV across replications, with its P10, P50 and P90 marked.
pub(crate) fn npv_histogram(v: &VariantRuns) -> Histogram {
    let npv = v.summary(dcplan_sim::Kpi::NpvUsd);
    Histogram {
        name: "npv_histogram".into(),
        title: "Project NPV across replications".into(),
        x_label: "NPV ($M)".into(),
        values: v
            .kpi(dcplan_sim::Kpi::NpvUsd)
            .into_iter()
            .flatten()
            .collect(),
        x_format: YFormat::MillionsUsd,
        markers: vec![
            ("P10".into(), npv.p10),
            ("P50".into(), npv.p50),
            ("P90".into(), npv.p90),
        ],
    }
}

/// NPV per variant as box plots.
pub(crate) fn npv_boxplot(variants: &[VariantRuns]) -> charts::BoxPlot {
    charts::BoxPlot {
        name: "npv_boxplot".into(),
        title: "Project NPV by variant".into(),
        y_label: "NPV ($M)".into(),
        y_format: YFormat::MillionsUsd,
        groups: variants
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    v.kpi(dcplan_sim::Kpi::NpvUsd)
                        .into_iter()
                        .flatten()
                        .collect(),
                )
            })
            .collect(),
        zero_line: true,
        never_at: None,
    }
}

/// Payback per variant as box plots; a payback beyond the horizon is drawn at the horizon.
pub(crate) fn payback_boxplot(variants: &[VariantRuns]) -> charts::BoxPlot {
    let horizon = variants
        .iter()
        .flat_map(|v| v.output.replications.iter().map(|r| r.months.len()))
        .max()
        .unwrap_or(0) as f64;
    charts::BoxPlot {
        name: "payback_boxplot".into(),
        title: format!(
            "Payback by variant (never within the horizon drawn at {horizon:.0} months; a mean only where every replication pays back)"
        ),
        y_label: "Payback (months)".into(),
        y_format: YFormat::Plain,
        groups: variants
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    v.kpi(dcplan_sim::Kpi::PaybackMonths)
                        .into_iter()
                        .map(|p| p.unwrap_or(f64::INFINITY))
                        .collect(),
                )
            })
            .collect(),
        zero_line: false,
        never_at: Some(horizon),
    }
}

/// Probability of payback within m months, per variant.
pub(crate) fn payback_cdf_chart(variants: &[VariantRuns]) -> charts::Lines {
    let horizon = variants
        .iter()
        .flat_map(|v| v.output.replications.iter().map(|r| r.months.len()))
        .max()
        .unwrap_or(0);
    let series = variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let paybacks = v.kpi(dcplan_sim::Kpi::PaybackMonths);
            let points = (0..=horizon)
                .map(|m| {
                    (
                        m as f64,
                        dcplan_sim::stats::prob_at_most(&paybacks, m as f64).0,
                    )
                })
                .collect();
            let label = if variants.len() == 1 {
                "share of replications paid back".to_string()
            } else {
                v.name.clone()
            };
            (label, charts::PALETTE[i % charts::PALETTE.len()], points)
        })
        .collect();
    charts::Lines {
        name: "payback_cdf".into(),
        title: "Probability of payback within a number of months".into(),
        x_label: "Months from the start".into(),
        y_label: "Probability (%)".into(),
        series,
        x_marks: tables::PAYBACK_MONTHS.iter().map(|m| *m as f64).collect(),
        y_format: YFormat::Percent,
        y_range: Some((0.0, 1.0)),
    }
}

/// Cumulative distribution of NPV per variant.
pub(crate) fn npv_distribution_chart(variants: &[VariantRuns]) -> charts::Lines {
    let series = variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut npv: Vec<f64> = v
                .kpi(dcplan_sim::Kpi::NpvUsd)
                .into_iter()
                .flatten()
                .collect();
            npv.sort_by(f64::total_cmp);
            let n = npv.len().max(1) as f64;
            let points = npv
                .iter()
                .enumerate()
                .map(|(k, x)| (x / 1e6, (k + 1) as f64 / n))
                .collect();
            (
                v.name.clone(),
                charts::PALETTE[i % charts::PALETTE.len()],
                points,
            )
        })
        .collect();
    charts::Lines {
        name: "npv_distribution".into(),
        title: "Project NPV: share of replications at or below each value".into(),
        x_label: "NPV ($M)".into(),
        y_label: "Share of replications (%)".into(),
        series,
        x_marks: vec![0.0],
        y_format: YFormat::Percent,
        y_range: Some((0.0, 1.0)),
    }
}
