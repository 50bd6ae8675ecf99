//! Money charts: cumulative cash, the cash-flow waterfall, revenue, operating costs, prices and
//! debt service.

use crate::render::charts::{
    self, Bands, FanChart, StackedArea, YFormat, monthly_samples, months_axis,
};
use crate::render::tables::VariantRuns;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::*;
use super::{Plot, e, hover};

/// Cumulative free cash flow across replications (P10 to P90 bands around the median), with the
/// events that turn it marked.
pub(crate) fn cash_chart(v: &VariantRuns, s: &dcplan_sim::Scenario) -> FanChart {
    let reps = &v.output.replications;
    let horizon = reps.iter().map(|r| r.months.len()).max().unwrap_or(0);
    let samples: Vec<Vec<f64>> = (0..horizon)
        .map(|m| {
            reps.iter()
                .filter_map(|r| r.months.get(m).map(|row| row.cumulative_cash_usd))
                .collect()
        })
        .collect();
    FanChart {
        name: "cumulative_cash".into(),
        title: "Cumulative free cash flow".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "Cumulative cash ($M)".into(),
        bands: Bands::from_samples((1..=horizon).map(|m| m as f64).collect(), &samples),
        y_format: YFormat::MillionsUsd,
        zero_line: true,
        markers: charts::annotate::cash_markers(s, v),
    }
}

/// The replication whose NPV is the median (nearest rank), for single-path illustrations.
pub(crate) fn median_replication(v: &VariantRuns) -> Option<&dcplan_sim::Replication> {
    let npvs: Vec<f64> = v
        .output
        .replications
        .iter()
        .map(|r| r.kpis.npv_usd)
        .collect();
    dcplan_sim::proforma::median_index(&npvs).map(|i| &v.output.replications[i])
}

/// Revenue to free cash flow over the horizon, for the median-NPV replication.
pub(crate) fn waterfall_chart(v: &VariantRuns) -> charts::Waterfall {
    let mut steps = Vec::new();
    let mut title = "Cash-flow waterfall over the horizon".to_string();
    if let Some(r) = median_replication(v) {
        let sum = |f: fn(&dcplan_sim::MonthRow) -> f64| r.months.iter().map(f).sum::<f64>();
        title = format!(
            "Revenue to free cash flow, median-NPV replication (#{})",
            r.index
        );
        steps = vec![
            (
                "Revenue".to_string(),
                sum(|m| m.revenue_reserved_usd + m.revenue_on_demand_usd + m.revenue_spot_usd),
                false,
            ),
            ("SLA credits".into(), -sum(|m| m.sla_credits_usd), false),
        ];
        // Steps that most runs do not have are shown only where they happen, so that the steps
        // always add up to EBITDA.
        let lost = sum(|m| m.revenue_lost_to_cap_usd);
        if lost != 0.0 {
            steps.push(("Lost to the power cap".into(), -lost, false));
        }
        steps.extend([
            ("Energy".into(), -sum(|m| m.energy_cost_usd), false),
            ("Staff".into(), -sum(|m| m.staff_usd), false),
            (
                "Other opex".into(),
                -sum(|m| {
                    m.maintenance_usd
                        + m.insurance_usd
                        + m.software_usd
                        + m.network_transit_usd
                        + m.sga_usd
                        + m.rent_usd
                        + m.cancellation_usd
                }),
                false,
            ),
            ("EBITDA".into(), sum(|m| m.ebitda_usd), true),
            (
                "Prepayments".into(),
                sum(|m| m.prepayments_usd - m.prepaid_revenue_usd),
                false,
            ),
            ("Capex".into(), -sum(|m| m.capex_usd), false),
            ("Resale".into(), sum(|m| m.resale_usd), false),
            ("Free cash flow".into(), sum(|m| m.fcf_usd), true),
        ]);
    }
    charts::Waterfall {
        name: "cash_waterfall".into(),
        title,
        y_label: "$M over the horizon".into(),
        steps,
        y_format: YFormat::MillionsUsd,
    }
}

/// Mean monthly revenue by contract class, stacked.
pub(crate) fn revenue_chart(v: &VariantRuns) -> StackedArea {
    let mean = |f: fn(&dcplan_sim::MonthRow) -> f64| -> Vec<f64> {
        monthly_samples(v, f)
            .iter()
            .map(|s| s.iter().sum::<f64>() / s.len().max(1) as f64)
            .collect()
    };
    StackedArea {
        name: "revenue_by_class".into(),
        title: "Monthly revenue by contract class, before SLA credits and power-cap losses (mean across replications)".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "Revenue ($M per month)".into(),
        x: months_axis(v),
        series: vec![
            (
                "reserved".into(),
                charts::PALETTE[0],
                mean(|m| m.revenue_reserved_usd),
            ),
            (
                "on demand".into(),
                charts::PALETTE[1],
                mean(|m| m.revenue_on_demand_usd),
            ),
            (
                "spot".into(),
                charts::PALETTE[2],
                mean(|m| m.revenue_spot_usd),
            ),
        ],
        lines: Vec::new(),
        y_format: YFormat::MillionsUsd,
        markers: Vec::new(),
    }
}

/// Mean monthly operating costs, stacked, with revenue and EBITDA as lines.
pub(crate) fn revenue_opex_chart(v: &VariantRuns) -> StackedArea {
    let mean = |f: &dyn Fn(&dcplan_sim::MonthRow) -> f64| -> Vec<f64> {
        monthly_samples(v, f)
            .iter()
            .map(|s| s.iter().sum::<f64>() / s.len().max(1) as f64)
            .collect()
    };
    StackedArea {
        name: "revenue_opex".into(),
        title: "Monthly revenue and operating costs (mean across replications)".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "$M per month".into(),
        x: months_axis(v),
        series: vec![
            (
                "energy".into(),
                charts::PALETTE[3],
                mean(&|m| m.energy_cost_usd),
            ),
            ("staff".into(), charts::PALETTE[0], mean(&|m| m.staff_usd)),
            (
                "maintenance and insurance".into(),
                charts::PALETTE[4],
                mean(&|m| m.maintenance_usd + m.insurance_usd),
            ),
            (
                "software, transit, SG&A, rent".into(),
                charts::PALETTE[5],
                mean(&|m| m.software_usd + m.network_transit_usd + m.sga_usd + m.rent_usd),
            ),
            (
                "SLA credits".into(),
                charts::PALETTE[6],
                mean(&|m| m.sla_credits_usd),
            ),
        ]
        .into_iter()
        // Revenue lost to a power cap and cancelled hall phases, where they happen: the gap
        // between the revenue line and the stack is then EBITDA in every run.
        .chain(
            [
                (
                    "revenue lost to the power cap",
                    charts::PALETTE[1],
                    mean(&|m| m.revenue_lost_to_cap_usd),
                ),
                (
                    "cancelled hall phases",
                    charts::PALETTE[5],
                    mean(&|m| m.cancellation_usd),
                ),
            ]
            .into_iter()
            .filter(|(_, _, values)| values.iter().any(|x| *x != 0.0))
            .map(|(label, color, values)| (label.to_string(), color, values)),
        )
        .collect(),
        lines: vec![
            (
                "revenue".into(),
                charts::PALETTE[7],
                mean(&|m| m.revenue_reserved_usd + m.revenue_on_demand_usd + m.revenue_spot_usd),
            ),
            ("EBITDA".into(), charts::PALETTE[2], mean(&|m| m.ebitda_usd)),
        ],
        y_format: YFormat::MillionsUsd,
        markers: Vec::new(),
    }
}

/// Market price paths per SKU (P10/P50/P90) against the realised average price, with generation
/// steps, deliveries and the anchor's term end marked.
pub(crate) fn price_chart(v: &VariantRuns, s: &dcplan_sim::Scenario) -> charts::MultiFan {
    let reps = &v.output.replications;
    let skus: Vec<String> = reps.first().map(|r| r.skus.clone()).unwrap_or_default();
    let horizon = reps.iter().map(|r| r.months.len()).max().unwrap_or(0);
    let mut series = Vec::new();
    for (i, sku) in skus.iter().enumerate() {
        let samples: Vec<Vec<f64>> = (0..horizon)
            .map(|m| {
                reps.iter()
                    .filter_map(|r| r.market_prices.get(i).and_then(|p| p.get(m)).copied())
                    .collect()
            })
            .collect();
        let (lo, mid, hi) = charts::p10_p50_p90(&samples);
        series.push((
            format!("{sku} market on-demand price"),
            charts::PALETTE[i % charts::PALETTE.len()],
            lo,
            mid,
            hi,
        ));
    }
    let realized: Vec<Vec<f64>> = monthly_samples(v, |m| {
        if m.sold_gpu_hours > 0.0 {
            m.realized_price_usd_per_gpu_hour
        } else {
            f64::NAN
        }
    });
    let (_, mid, _) = charts::p10_p50_p90(&realized);
    series.push((
        "realised average price, all classes (P50)".into(),
        charts::PALETTE[7],
        Vec::new(),
        mid,
        Vec::new(),
    ));
    charts::MultiFan {
        name: "market_prices".into(),
        title: "GPU rental prices".into(),
        x_label: format!("Month from {}", v.start),
        y_label: "USD per GPU-hour".into(),
        x: months_axis(v),
        series,
        y_format: YFormat::Plain,
        markers: charts::annotate::price_markers(s, v),
    }
}

/// Mean monthly interest and principal.
pub(crate) fn debt_chart(v: &VariantRuns) -> StackedArea {
    let mean = |f: fn(&dcplan_sim::MonthRow) -> f64| -> Vec<f64> {
        monthly_samples(v, f)
            .iter()
            .map(|s| s.iter().sum::<f64>() / s.len().max(1) as f64)
            .collect()
    };
    let any = v
        .output
        .replications
        .iter()
        .any(|r| r.months.iter().any(|m| m.debt_service_usd > 0.0));
    StackedArea {
        name: "debt_service".into(),
        title: if any {
            "Debt service (mean across replications)".into()
        } else {
            "Debt service (the scenario has no debt)".into()
        },
        x_label: format!("Month from {}", v.start),
        y_label: "$M per month".into(),
        x: months_axis(v),
        series: vec![
            (
                "interest".into(),
                charts::PALETTE[3],
                mean(|m| m.interest_usd),
            ),
            (
                "principal".into(),
                charts::PALETTE[0],
                mean(|m| m.principal_usd),
            ),
        ],
        lines: Vec::new(),
        y_format: YFormat::MillionsUsd,
        markers: Vec::new(),
    }
}

/// A cash-flow waterfall: each step adds to (or takes from) a running total; total steps are
/// drawn from zero.
#[derive(Clone, Debug)]
pub(crate) struct Waterfall {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// y-axis label (with unit).
    pub y_label: String,
    /// `(label, value, is_total)`.
    pub steps: Vec<(String, f64, bool)>,
    /// y scaling.
    pub y_format: YFormat,
}

impl Plot for Waterfall {
    plot_name_title!();
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let k = self.y_format.scale();
        let mut running = 0.0;
        let mut bars = Vec::new();
        for (label, value, total) in &self.steps {
            let v = value * k;
            if *total {
                bars.push((label.clone(), 0.0, v, *total));
                running = v;
            } else {
                bars.push((label.clone(), running, running + v, *total));
                running += v;
            }
        }
        let (y0, y1) = bounds(
            bars.iter()
                .flat_map(|(_, a, b, _)| [*a, *b])
                .chain(std::iter::once(0.0)),
        );
        // Room above and below for the values written at the bar ends.
        let pad = (y1 - y0) * 0.08;
        let (y0, y1) = (y0 - pad, y1 + pad);
        let n = bars.len();
        let labels: Vec<String> = bars.iter().map(|(l, ..)| l.clone()).collect();
        let body = title_and_key_line(root, &self.title, &[] as &[(Key, &str)])?;
        let mut chart = category_columns_chart(&body, &self.y_label, &labels, n, (y0, y1))?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, a, b, total))| {
                let colour = if *total {
                    PALETTE[0]
                } else if b >= a {
                    PALETTE[2]
                } else {
                    PALETTE[3]
                };
                let x = i as f64;
                Rectangle::new(
                    [(x - 0.35, a.min(*b)), (x + 0.35, a.max(*b))],
                    colour.filled(),
                )
            }))
            .map_err(e)?;
        for (i, ((label, value, total), (_, a, b, _))) in self.steps.iter().zip(&bars).enumerate() {
            let x = i as f64;
            hover::span(&chart, (x - 0.35, *a), (x + 0.35, *b), || {
                let v = self.y_format.text(*value);
                if *total {
                    format!("{label}: {v}")
                } else {
                    format!("{label}: {v} (running total {})", self.y_format.text(b / k))
                }
            });
        }
        // Each step's value at the end of its bar away from the running total: above a rise or
        // a positive total, below a fall.
        let text_colour = BLACK.mix(0.85);
        chart
            .draw_series(self.steps.iter().zip(&bars).enumerate().map(
                |(i, ((_, value, _), (_, a, b, _)))| {
                    let up = b >= a;
                    let (y, dy, v) = if up {
                        (a.max(*b), -4, VPos::Bottom)
                    } else {
                        (a.min(*b), 4, VPos::Top)
                    };
                    let style = TextStyle::from((FONT, 13).into_font())
                        .color(&text_colour)
                        .pos(Pos::new(HPos::Center, v));
                    EmptyElement::at((i as f64, y))
                        + Text::new(self.y_format.text(*value), (0, dy), style)
                },
            ))
            .map_err(e)?;
        chart
            .draw_series(LineSeries::new(
                [(-0.5, 0.0), (n as f64 - 0.5, 0.0)],
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(e)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::charts::test_support::*;

    #[test]
    fn the_waterfall_writes_each_value_on_its_bar() {
        let w = Waterfall {
            name: "test_waterfall".into(),
            title: "Revenue to free cash flow".into(),
            y_label: "$M".into(),
            steps: vec![
                ("Revenue".into(), 120e6, false),
                ("Energy".into(), -30.5e6, false),
                ("EBITDA".into(), 89.5e6, true),
            ],
            y_format: YFormat::MillionsUsd,
        };
        let svg = render_checked(&w);
        for v in ["$120M", "-$30.5M", "$89.5M"] {
            assert!(has_text(&svg, v), "missing {v}");
        }
        // The rise's value above its bar, the fall's below the running total it falls from.
        assert!(text_y(&svg, "$120M") < text_y(&svg, "-$30.5M"));
    }
}
