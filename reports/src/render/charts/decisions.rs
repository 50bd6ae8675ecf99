//! Expansion policies: when each rule fired (a histogram of firing months per rule, by quarter),
//! and the installed fleet under the policies (a fan of installed GPUs).

use std::path::Path;

use anyhow::Result;

use crate::render::charts::{self, Bands, FanChart, RenderedChart, StackedBars, YFormat};
use crate::render::tables::VariantRuns;

/// Rule names in the order they first fired (replication order), each once.
fn rules(v: &VariantRuns) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in v.output.replications.iter().flat_map(|r| &r.decisions) {
        if !out.contains(&d.rule) {
            out.push(d.rule.clone());
        }
    }
    out
}

/// Firings per replication of each rule in each quarter of the horizon: a histogram of firing
/// months, stacked by rule (a bar of 0.5 means half the replications fired that rule then).
pub(crate) fn firing_chart(v: &VariantRuns) -> StackedBars {
    let reps = &v.output.replications;
    let horizon = reps.iter().map(|r| r.months.len()).max().unwrap_or(0);
    let quarters = horizon.div_ceil(3).max(1);
    let n = reps.len().max(1) as f64;
    let series = rules(v)
        .into_iter()
        .enumerate()
        .map(|(i, rule)| {
            let mut values = vec![0.0; quarters];
            for d in reps.iter().flat_map(|r| &r.decisions) {
                if d.rule == rule {
                    let q = (d.month as usize / 3).min(quarters - 1);
                    values[q] += 1.0 / n;
                }
            }
            (rule, charts::PALETTE[i % charts::PALETTE.len()], values)
        })
        .collect();
    StackedBars {
        name: "policy_firings".into(),
        title: format!(
            "When the expansion policies fired (firings per replication, by quarter from {})",
            v.start
        ),
        y_label: "Firings per replication".into(),
        categories: (1..=quarters).map(|q| format!("Q{q}")).collect(),
        series,
        y_format: YFormat::Plain,
    }
}

/// Installed GPUs by month across replications (P5-P95 bands): the fleet the policies grew.
pub(crate) fn installed_fan_chart(v: &VariantRuns) -> FanChart {
    FanChart {
        name: "installed_gpus_fan".into(),
        title: "Installed GPUs under the expansion policies".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "Installed GPUs".into(),
        bands: Bands::from_samples(
            charts::months_axis(v),
            &charts::monthly_samples(v, |row| row.installed_gpus),
        ),
        y_format: YFormat::Plain,
        zero_line: false,
        markers: Vec::new(),
    }
}

/// The policy charts of a run, when any policy fired in it.
pub(crate) fn decision_charts(v: &VariantRuns, dir: &Path) -> Result<Vec<RenderedChart>> {
    if v.output.replications.iter().all(|r| r.decisions.is_empty()) {
        return Ok(Vec::new());
    }
    let firings = firing_chart(v);
    let fan = installed_fan_chart(v);
    Ok(vec![
        charts::render(&firings, dir)?.captioned(firing_caption(&firings)),
        charts::render(&fan, dir)?.captioned(fan_caption(&fan)),
    ])
}

/// What to see in the firing histogram: for each rule, how often it fired and its busiest quarter.
fn firing_caption(c: &StackedBars) -> String {
    let rules: Vec<String> =
        c.series
            .iter()
            .map(|(rule, _, values)| {
                let total: f64 = values.iter().sum();
                let busiest = values.iter().enumerate().fold((0, f64::MIN), |b, (i, x)| {
                    if *x > b.1 { (i, *x) } else { b }
                });
                format!(
                    "'{rule}' fired {total:.2} times per replication, most often in {}",
                    c.categories.get(busiest.0).map_or("?", |s| s.as_str())
                )
            })
            .collect();
    format!(
        "Each bar is the number of firings per replication in a quarter, stacked by rule; a wide spread over quarters means the rule waits for conditions that arrive at different times in different futures. {}.",
        rules.join("; ")
    )
}

/// What to see in the installed-GPU fan: the median fleet at the start and the end, and the
/// spread the policies leave at the end.
fn fan_caption(c: &FanChart) -> String {
    let b = &c.bands;
    let last = b.x.len().saturating_sub(1);
    let at = |v: &Vec<f64>, i: usize| v.get(i).copied().unwrap_or(0.0);
    format!(
        "The line is the median installed fleet and the bands the middle 90 % and 50 % of replications: the fleet grows from {} to {} GPUs in the median replication, and ends between {} and {} (P5 to P95) because the rules fire at different months in different futures.",
        crate::render::format::thousands(at(&b.p50, 0)),
        crate::render::format::thousands(at(&b.p50, last)),
        crate::render::format::thousands(at(&b.p5, last)),
        crate::render::format::thousands(at(&b.p95, last)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tables::tests::with_paybacks;
    use dcplan_sim::results::Decision;

    fn decision(rule: &str, month: u32) -> Decision {
        Decision {
            month,
            rule: rule.into(),
            action: "order_tranche".into(),
            target: "t".into(),
            gpus: 8.0,
            capex_usd: 1.0,
            effective_month: month + 2,
        }
    }

    #[test]
    fn the_histogram_counts_firings_per_replication_by_quarter_and_rule() {
        let mut v = with_paybacks("base", &[Some(30.0), None]);
        for r in &mut v.output.replications {
            r.months = vec![dcplan_sim::MonthRow::default(); 12];
        }
        v.output.replications[0].decisions = vec![decision("grow", 1), decision("hall", 4)];
        v.output.replications[1].decisions = vec![decision("grow", 2)];
        let c = firing_chart(&v);
        assert_eq!(c.categories, ["Q1", "Q2", "Q3", "Q4"]);
        let names: Vec<&str> = c.series.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(names, ["grow", "hall"]);
        assert_eq!(c.series[0].2, [1.0, 0.0, 0.0, 0.0]);
        assert_eq!(c.series[1].2, [0.0, 0.5, 0.0, 0.0]);
        let dir = crate::render::charts::test_support::temp_dir("decisions");
        assert_eq!(decision_charts(&v, &dir).expect("charts").len(), 2);
        v.output
            .replications
            .iter_mut()
            .for_each(|r| r.decisions.clear());
        assert!(decision_charts(&v, &dir).expect("charts").is_empty());
    }
}
