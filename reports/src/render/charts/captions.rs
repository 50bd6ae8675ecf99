//! The report's captions: for each chart, one or two sentences on what the reader should see in
//! it, with the figures that matter read from the data (the title is drawn in the chart).

use dcplan_sim::{Kpi, MonthRow};

use super::annotate::Marker;
use super::energy::ENERGY_SOURCES;
use super::{Bands, monthly_samples};
use crate::render::format::{money, percent};
use crate::render::tables::VariantRuns;

/// A monthly quantity.
type Monthly = fn(&MonthRow) -> f64;

/// Mean over replications of a monthly quantity summed over the horizon.
fn mean_total(v: &VariantRuns, f: Monthly) -> f64 {
    let reps = &v.output.replications;
    if reps.is_empty() {
        return f64::NAN;
    }
    reps.iter()
        .map(|r| r.months.iter().map(f).sum::<f64>())
        .sum::<f64>()
        / reps.len() as f64
}

/// Share of a variant's replications with a value below zero.
fn share_negative(v: &VariantRuns, kpi: Kpi) -> f64 {
    let x: Vec<f64> = v.kpi(kpi).into_iter().flatten().collect();
    if x.is_empty() {
        return f64::NAN;
    }
    x.iter().filter(|x| **x < 0.0).count() as f64 / x.len() as f64
}

/// Share of a variant's replications that pay back within the horizon.
fn share_paid_back(v: &VariantRuns) -> f64 {
    let p = v.kpi(Kpi::PaybackMonths);
    if p.is_empty() {
        return f64::NAN;
    }
    p.iter().filter(|p| p.is_some()).count() as f64 / p.len() as f64
}

/// The sentence on a chart's event markers (empty without markers).
fn marked(markers: &[Marker]) -> String {
    if markers.is_empty() {
        return String::new();
    }
    let named: Vec<String> = markers
        .iter()
        .take(4)
        .map(|m| format!("{} (month {:.0})", m.label, m.x))
        .collect();
    let more = if markers.len() > 4 { ", and more" } else { "" };
    format!(
        " The dashed lines mark where the model turns the curve: {}{more}.",
        named.join(", ")
    )
}

/// Cumulative cash: where the median line crosses zero, and the events marked.
///
/// The median line is the middle value month by month, not one replication's path, so its
/// crossing is not the P50 payback (which ranks whole replications and counts those that never
/// pay back as last); the caption says only what the line does.
pub(crate) fn cash(bands: &Bands, markers: &[Marker]) -> String {
    let cross = bands
        .p50
        .windows(2)
        .zip(&bands.x[1..])
        .find(|(w, _)| w[0] < 0.0 && w[1] >= 0.0)
        .map(|(_, x)| *x);
    let line = match cross {
        Some(m) => {
            format!("the median line (the middle value of each month) crosses zero at month {m:.0}")
        }
        None if bands.p50.last().is_some_and(|y| *y >= 0.0) => {
            "the median line stays above zero".to_string()
        }
        None => {
            "the median line (the middle value of each month) stays below zero through the horizon"
                .to_string()
        }
    };
    format!(
        "The shaded bands hold the middle 90 % and 50 % of replications; {line}.{}",
        marked(markers)
    )
}

/// NPV histogram: the share of replications that lose money.
pub(crate) fn npv_histogram(v: &VariantRuns) -> String {
    format!(
        "Each bar counts replications by NPV at the discount rate; {} of them lie left of zero, the probability of losing money. The spread between the P10 and P90 lines is the range an investor should plan for.",
        percent(share_negative(v, Kpi::NpvUsd))
    )
}

/// Utilization: the median level reached.
pub(crate) fn utilization(v: &VariantRuns) -> String {
    let b = Bands::from_samples(
        super::months_axis(v),
        &monthly_samples(v, |m| m.utilization_frac),
    );
    let last = b.p50.last().copied().unwrap_or(f64::NAN);
    format!(
        "Median utilization ends the horizon at {}; the width of the band is how much demand uncertainty moves it, and a dip marks GPUs arriving before demand fills them.",
        percent(last)
    )
}

/// Revenue by class: the reserved share.
pub(crate) fn revenue(v: &VariantRuns) -> String {
    let reserved = mean_total(v, |m| m.revenue_reserved_usd);
    let total = mean_total(v, |m| {
        m.revenue_reserved_usd + m.revenue_on_demand_usd + m.revenue_spot_usd
    });
    if total <= 0.0 {
        return "No revenue over the horizon: nothing was sold.".into();
    }
    format!(
        "Reserved contracts are the contracted floor, {} of revenue over the horizon; on-demand and spot revenue on top of them move with the market price and utilization.",
        percent(reserved / total)
    )
}

/// Revenue and operating costs: the largest cost.
pub(crate) fn revenue_opex(v: &VariantRuns) -> String {
    let costs: [(&str, Monthly); 5] = [
        ("energy", |m| m.energy_cost_usd),
        ("staff", |m| m.staff_usd),
        ("maintenance and insurance", |m| {
            m.maintenance_usd + m.insurance_usd
        }),
        ("software, transit, SG&A and rent", |m| {
            m.software_usd + m.network_transit_usd + m.sga_usd + m.rent_usd
        }),
        ("cancelled hall phases", |m| m.cancellation_usd),
    ];
    let totals: Vec<(&str, f64)> = costs.iter().map(|(l, f)| (*l, mean_total(v, *f))).collect();
    let all: f64 = totals.iter().map(|t| t.1).sum();
    let (largest, amount) = totals
        .iter()
        .copied()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or(("energy", f64::NAN));
    format!(
        "The gap between the revenue line and the top of the stacked costs is EBITDA (the green line). The largest operating cost is {largest}, {} of operating costs.",
        percent(amount / all)
    )
}

/// Market prices, and the events marked.
pub(crate) fn prices(markers: &[Marker]) -> String {
    format!(
        "Each band is the P10-P90 range of a GPU type's market on-demand price; the dashed line is the price actually realised across all contract classes, below the market where reserved discounts apply.{}",
        marked(markers)
    )
}

/// Fleet composition, and the events marked.
pub(crate) fn fleet(markers: &[Marker]) -> String {
    format!(
        "Only the in-service layer earns revenue; spares and GPUs down for repair are the cost of availability.{}",
        marked(markers)
    )
}

/// Waterfall: the largest outflow.
pub(crate) fn waterfall(steps: &[(String, f64, bool)]) -> String {
    let largest = steps
        .iter()
        .filter(|(_, v, total)| !total && *v < 0.0)
        .min_by(|a, b| a.1.total_cmp(&b.1));
    let free = steps.iter().rev().find(|(_, _, total)| *total);
    match (largest, free) {
        (Some((l, v, _)), Some((_, f, _))) => format!(
            "From revenue to free cash flow over the whole horizon for the median-NPV replication: the largest outflow is {} ({}), and free cash flow ends at {}.",
            l.to_lowercase(),
            money(*v),
            money(*f)
        ),
        _ => {
            "From revenue to free cash flow over the whole horizon for the median-NPV replication."
                .into()
        }
    }
}

/// Payback CDF of one variant.
pub(crate) fn payback_cdf(v: &VariantRuns) -> String {
    format!(
        "Read a month on the horizontal axis to get the share of replications paid back by then; the curve's height at the end, {}, is the probability of paying back within the horizon at all.",
        percent(share_paid_back(v))
    )
}

/// Debt service.
pub(crate) fn debt(v: &VariantRuns) -> String {
    let any = v
        .output
        .replications
        .iter()
        .any(|r| r.months.iter().any(|m| m.debt_service_usd > 0.0));
    if any {
        "Interest falls and principal rises as the loan amortises; their sum is the debt service that the cash flow available for it must cover (the DSCR).".into()
    } else {
        "The scenario has no debt, so there is no debt service: the project is financed by equity alone.".into()
    }
}

/// Energy cost by source: the largest source.
pub(crate) fn energy(variants: &[VariantRuns]) -> String {
    let largest = ENERGY_SOURCES
        .iter()
        .map(|(label, f)| {
            (
                *label,
                variants.iter().map(|v| mean_total(v, *f)).sum::<f64>(),
            )
        })
        .filter(|(_, t)| t.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let what = if variants.len() == 1 {
        "year by year"
    } else {
        "variant by variant"
    };
    let exports = variants
        .iter()
        .any(|v| mean_total(v, |m| m.export_credit_usd) > 0.0);
    let credits = if exports {
        "; parts below zero are credits for energy exported"
    } else {
        ""
    };
    match largest {
        Some((label, t)) if t > 0.0 => format!(
            "The largest source of energy cost is {label}; compare the stacks {what}{credits}."
        ),
        _ => format!("Energy cost by source, {what}{credits}."),
    }
}

/// PUE against temperature: what the reader sees depends on whether any PUE line moves (a
/// cooling preset) or every one is flat (a fixed `site.pue`).
pub(crate) fn pue(chart: &super::lines::DualAxis) -> String {
    let moves = chart.right.iter().any(|(_, _, points)| {
        let (lo, hi) = points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, y)| {
                (lo.min(y), hi.max(y))
            });
        hi - lo > 1e-9 * hi.abs()
    });
    if moves {
        "PUE follows the outdoor temperature: cooling works harder on hot days, so the PUE line rises and falls with the temperature line.".into()
    } else {
        "The PUE is fixed (site.pue), so its line stays flat whatever the temperature; a cooling preset (site.cooling) makes it follow the weather.".into()
    }
}

/// NPV box plot of a comparison.
pub(crate) fn npv_boxplot() -> String {
    "The axis spans the variants' NPVs, not zero, so differences show: compare the medians (black lines) for return and the widths of the boxes and whiskers for risk.".into()
}

/// Payback box plot of a comparison.
pub(crate) fn payback_boxplot() -> String {
    "Boxes further left pay back sooner; a box pressed against the horizon holds replications that never pay back.".into()
}

/// Payback CDF of a comparison.
pub(crate) fn payback_cdf_comparison(variants: &[VariantRuns]) -> String {
    let best = variants
        .iter()
        .map(|v| (v.name.as_str(), share_paid_back(v)))
        .filter(|(_, p)| p.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let lead = match best {
        Some((_, 0.0)) => {
            " No variant pays back within the horizon in any replication.".to_string()
        }
        Some((name, p)) => format!(
            " {name} has the highest probability of paying back within the horizon ({}).",
            percent(p)
        ),
        None => String::new(),
    };
    format!("A curve above another pays back sooner with more certainty at every month.{lead}")
}

/// NPV distribution of a comparison.
pub(crate) fn npv_distribution() -> String {
    "A curve entirely to the right of another is better at every level of risk; where curves cross, the choice depends on how much downside the investor accepts. The dashed line is zero NPV.".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cash_caption_names_the_month_the_median_crosses_zero() {
        let b = Bands {
            x: vec![1.0, 2.0, 3.0, 4.0],
            p50: vec![-3.0, -1.0, 0.5, 2.0],
            ..Bands::default()
        };
        assert!(cash(&b, &[]).contains("crosses zero at month 3"));
        let m = [Marker {
            x: 1.0,
            label: "anchor tenant prepays".into(),
        }];
        assert!(
            cash(&b, &m).ends_with("turns the curve: anchor tenant prepays (month 1)."),
            "{}",
            cash(&b, &m)
        );
        let never = Bands {
            x: vec![1.0, 2.0],
            p50: vec![-3.0, -1.0],
            ..Bands::default()
        };
        let text = cash(&never, &[]);
        assert!(
            text.contains("stays below zero through the horizon"),
            "{text}"
        );
        // The line's crossing is not the P50 payback: the caption claims nothing about it.
        assert!(
            !text.contains("payback") && !text.contains("pay back"),
            "{text}"
        );
    }

    #[test]
    fn the_waterfall_caption_names_the_largest_outflow() {
        let steps = vec![
            ("Revenue".to_string(), 100e6, false),
            ("Energy".to_string(), -20e6, false),
            ("Capex".to_string(), -150e6, false),
            ("Free cash flow".to_string(), -70e6, true),
        ];
        let c = waterfall(&steps);
        assert!(c.contains("largest outflow is capex (-$150M)"), "{c}");
        assert!(c.contains("ends at -$70M"), "{c}");
    }
}
