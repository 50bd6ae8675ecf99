//! Fleet charts: utilization and the composition of the fleet by SKU and state.

use crate::render::charts::{
    self, Bands, FanChart, StackedArea, YFormat, monthly_samples, months_axis,
};
use crate::render::tables::VariantRuns;

/// Utilization over time: sold / installed GPU-hours (fan) and sold / available (median).
pub(crate) fn utilization_chart(v: &VariantRuns) -> charts::FanChart {
    FanChart {
        name: "utilization".into(),
        title: "Utilization (sold / installed GPU-hours)".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "Utilization (%)".into(),
        bands: Bands::from_samples(months_axis(v), &monthly_samples(v, |m| m.utilization_frac)),
        y_format: YFormat::Percent,
        zero_line: false,
        markers: Vec::new(),
    }
}

/// Mean GPUs per SKU and state over time, stacked, with deliveries, retirements and refreshes
/// marked.
pub(crate) fn fleet_chart(v: &VariantRuns, s: &dcplan_sim::Scenario) -> StackedArea {
    use dcplan_sim::model::fleet::GpuState;
    let reps = &v.output.replications;
    let horizon = reps.iter().map(|r| r.months.len()).max().unwrap_or(0);
    let skus: Vec<String> = reps.first().map(|r| r.skus.clone()).unwrap_or_default();
    let n = reps.len().max(1) as f64;
    // (state group label, states in it, shade)
    let groups: [(&str, &[GpuState], f64); 4] = [
        ("in service", &[GpuState::InService], 0.0),
        ("spare", &[GpuState::Spare], 0.35),
        ("down", &[GpuState::Failed, GpuState::InRepair], -0.45),
        ("inventory", &[GpuState::Inventory], 0.7),
    ];
    let mut series = Vec::new();
    for (si, sku) in skus.iter().enumerate() {
        for (label, states, t) in groups {
            let mut values = vec![0.0; horizon];
            for r in reps {
                for (m, s, g) in r.fleet.iter().filter(|(_, s, _)| *s as usize == si) {
                    let _ = s;
                    if (*m as usize) < horizon {
                        values[*m as usize] +=
                            states.iter().map(|st| g[*st as usize] as f64).sum::<f64>() / n;
                    }
                }
            }
            if values.iter().any(|x| *x > 0.0) {
                series.push((
                    format!("{sku} {label}"),
                    charts::shade(charts::PALETTE[si % charts::PALETTE.len()], t),
                    values,
                ));
            }
        }
    }
    StackedArea {
        name: "fleet_composition".into(),
        title: "Fleet composition (mean across replications)".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "GPUs".into(),
        x: (1..=horizon).map(|m| m as f64).collect(),
        series,
        lines: Vec::new(),
        y_format: YFormat::Plain,
        markers: charts::annotate::fleet_markers(s, v),
    }
}
