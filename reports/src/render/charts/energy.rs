//! Energy figures shared by run and comparison reports.

use dcplan_sim::MonthRow;

use crate::render::charts::{self, DualAxis, StackedBars, YFormat};
use crate::render::tables::VariantRuns;

type SourceFn = fn(&MonthRow) -> f64;

/// Energy cost components, in the order they are stacked.
pub(crate) const ENERGY_SOURCES: [(&str, SourceFn); 7] = [
    ("grid energy", |m| m.grid_energy_usd),
    ("demand charge", |m| m.demand_charge_usd),
    ("fixed charges and O&M", |m| m.energy_fixed_usd),
    ("PPA", |m| m.ppa_usd),
    ("gas fuel and O&M", |m| m.gas_usd),
    ("carbon price", |m| m.carbon_usd),
    ("export credit", |m| -m.export_credit_usd),
];

/// Mean (over replications) of a monthly quantity summed over months `from..to`.
fn mean_sum(v: &VariantRuns, from: usize, to: usize, f: SourceFn) -> f64 {
    let reps = &v.output.replications;
    if reps.is_empty() {
        return 0.0;
    }
    reps.iter()
        .map(|r| {
            r.months
                .iter()
                .skip(from)
                .take(to - from)
                .map(f)
                .sum::<f64>()
        })
        .sum::<f64>()
        / reps.len() as f64
}

/// Energy cost by source per calendar year (one variant) or per variant (annual mean).
pub(crate) fn energy_breakdown_chart(variants: &[VariantRuns]) -> StackedBars {
    type Column<'a> = Box<dyn Fn(SourceFn) -> f64 + 'a>;
    let (categories, columns): (Vec<String>, Vec<Column>) = if variants.len() == 1 {
        let v = &variants[0];
        let months = v
            .output
            .replications
            .iter()
            .map(|r| r.months.len())
            .max()
            .unwrap_or(0);
        let years = months.div_ceil(12);
        (
            (0..years).map(|y| format!("year {}", y + 1)).collect(),
            (0..years)
                .map(|y| {
                    Box::new(move |f| mean_sum(v, y * 12, ((y + 1) * 12).min(months), f))
                        as Box<dyn Fn(SourceFn) -> f64>
                })
                .collect(),
        )
    } else {
        (
            variants.iter().map(|v| v.name.clone()).collect(),
            variants
                .iter()
                .map(|v| {
                    let months = v
                        .output
                        .replications
                        .iter()
                        .map(|r| r.months.len())
                        .max()
                        .unwrap_or(0)
                        .max(1);
                    Box::new(move |f| mean_sum(v, 0, months, f) * 12.0 / months as f64)
                        as Box<dyn Fn(SourceFn) -> f64>
                })
                .collect(),
        )
    };
    let series = ENERGY_SOURCES
        .iter()
        .enumerate()
        .map(|(i, (label, f))| {
            (
                label.to_string(),
                charts::PALETTE[i % charts::PALETTE.len()],
                columns.iter().map(|c| c(*f)).collect(),
            )
        })
        .filter(|(_, _, v): &(String, _, Vec<f64>)| v.iter().any(|x| x.abs() > 0.0))
        .collect();
    StackedBars {
        name: "energy_cost_breakdown".into(),
        title: if variants.len() == 1 {
            "Energy cost by source and year (mean)".into()
        } else {
            "Annual energy cost by source (mean)".into()
        },
        y_label: "$M".into(),
        categories,
        series,
        y_format: YFormat::MillionsUsd,
    }
}

/// Daily outdoor temperature and PUE over the first year, from the first replication of each
/// variant that kept its hourly flows; `None` when no replication kept them.
pub(crate) fn pue_temperature_chart(variants: &[VariantRuns]) -> Option<DualAxis> {
    fn kept(v: &VariantRuns) -> Option<&dcplan_sim::Replication> {
        v.output.replications.iter().find(|r| !r.hourly.is_empty())
    }
    let (first_variant, first) = variants.iter().find_map(|v| kept(v).map(|r| (v, r)))?;
    let daily = |v: &VariantRuns,
                 f: fn(&dcplan_sim::energy::dispatch::HourFlows) -> (f64, f64)|
     -> Vec<(f64, f64)> {
        let Some(r) = kept(v) else { return Vec::new() };
        r.hourly
            .chunks(24)
            .take(365)
            .enumerate()
            .map(|(d, hours)| {
                let (num, den) = hours
                    .iter()
                    .map(f)
                    .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
                (d as f64 + 1.0, if den > 0.0 { num / den } else { f64::NAN })
            })
            .filter(|(_, y)| y.is_finite())
            .collect()
    };
    let temperature = daily(first_variant, |h| (h.temperature_c, 1.0));
    let pue = variants
        .iter()
        .enumerate()
        .filter(|(_, v)| kept(v).is_some())
        .map(|(i, v)| {
            let label = if variants.len() == 1 {
                "PUE (daily, right axis)".to_string()
            } else {
                format!("{} PUE (right axis)", v.name)
            };
            // Energy-weighted daily PUE: facility energy / IT energy.
            (
                label,
                charts::PALETTE[(i + 1) % charts::PALETTE.len()],
                daily(v, |h| {
                    if h.pue.is_finite() {
                        (h.load, h.load / h.pue)
                    } else {
                        (0.0, 0.0)
                    }
                }),
            )
        })
        .collect();
    Some(DualAxis {
        name: "pue_temperature".into(),
        title: format!(
            "Outdoor temperature and PUE over the first year (replication {})",
            first.index
        ),
        x_label: "Day of the simulation".into(),
        left_label: "Temperature (C)".into(),
        right_label: "PUE".into(),
        left: vec![(
            "outdoor temperature (daily mean)".into(),
            charts::PALETTE[7],
            temperature,
        )],
        right: pue,
    })
}
