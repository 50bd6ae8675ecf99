//! Annotations where a curve turns for a reason the model knows: the anchor prepayment, the end
//! of the anchor's term (it renews or reprices), a new GPU generation's price step, deliveries,
//! retirements and refreshes. The months come from the scenario, and from the median-NPV
//! replication where they depend on the run (deliveries wait for lead times and halls). Each is
//! drawn as a thin dashed line with a short label in rows at the top of the plot.

use dcplan_sim::Scenario;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::e;
use super::style::{Chart2d, FONT, text_box, text_size};
use crate::render::tables::VariantRuns;

/// A vertical marker at `x` (the chart's month axis: month index + 1) with its label.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Marker {
    /// Position on the x axis.
    pub x: f64,
    /// Short label.
    pub label: String,
}

/// What turns the curve, per kind, as month indices (0-based from the start) with labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Events {
    /// Prepayments received at signing.
    pub prepayments: Vec<(i64, String)>,
    /// Anchor terms ending (renewal at the market price, or the capacity back on the market).
    pub term_ends: Vec<(i64, String)>,
    /// Next-generation price steps.
    pub generations: Vec<(i64, String)>,
    /// Deliveries, retirements and refreshes of GPU tranches.
    pub fleet: Vec<(i64, String)>,
}

/// Fleet changes in the replication's record: `(month, SKU index, delivered)` for each month in
/// which a SKU's GPU count (every state, retired included) rises, and `(month, SKU index,
/// retired)` for each month that starts a wave of retirements (the retired count rises after at
/// least three months without rising).
#[allow(clippy::type_complexity)]
fn fleet_steps(r: &dcplan_sim::Replication) -> (Vec<(i64, usize, u64)>, Vec<(i64, usize)>) {
    use dcplan_sim::model::fleet::GpuState;
    let n_skus = r.skus.len();
    let mut by_month: std::collections::BTreeMap<u32, Vec<(u64, u64)>> = Default::default();
    for (m, s, g) in &r.fleet {
        let row = by_month.entry(*m).or_insert_with(|| vec![(0, 0); n_skus]);
        if let Some(t) = row.get_mut(*s as usize) {
            t.0 += g.iter().sum::<u64>();
            t.1 += g[GpuState::Retired as usize];
        }
    }
    let mut prev = vec![(0u64, 0u64); n_skus];
    let mut last_retirement = vec![i64::MIN / 2; n_skus];
    let (mut deliveries, mut retirements) = (Vec::new(), Vec::new());
    for (m, row) in by_month {
        let m = m as i64;
        for (s, (now, before)) in row.iter().zip(prev.iter()).enumerate() {
            if now.0 > before.0 {
                deliveries.push((m, s, now.0 - before.0));
            }
            if now.1 > before.1 {
                if m - last_retirement[s] > 3 {
                    retirements.push((m, s));
                }
                last_retirement[s] = m;
            }
        }
        prev = row;
    }
    (deliveries, retirements)
}

/// The events of a run of `s`, read from the scenario and (for deliveries) the replication `r`.
pub(crate) fn events(s: &Scenario, r: Option<&dcplan_sim::Replication>) -> Events {
    let horizon = s.simulation.horizon_months;
    let mut ev = Events::default();
    let (deliveries, retirements) = r.map(fleet_steps).unwrap_or_default();
    let skus: Vec<String> = r.map(|r| r.skus.clone()).unwrap_or_default();
    for a in &s.demand.anchors {
        if a.prepay_frac.quantile(0.5) > 0.0 {
            ev.prepayments
                .push((a.sign_month, format!("{} prepays", a.name)));
        }
        // Service starts when the anchor's SKU is first delivered on or after signing.
        let start = deliveries
            .iter()
            .find(|(m, si, _)| *m >= a.sign_month && skus.get(*si).is_some_and(|k| *k == a.sku))
            .map(|(m, ..)| *m);
        let (param, unit_hours) = a.duration.param_and_unit();
        let months = (param.quantile(0.5) * unit_hours
            / dcplan_sim::scenario::DurationSpec::HOURS_PER_MONTH)
            .round() as i64;
        if let Some(start) = start {
            ev.term_ends
                .push((start + months, format!("{} term ends", a.name)));
        }
    }
    for m in &s.pricing.market {
        if let Some(g) = &m.next_generation {
            ev.generations.push((
                g.month.quantile(0.5).round() as i64,
                format!("next generation: {} price steps down", m.sku),
            ));
        }
    }
    // A delivery of a refresh's SKU at least its age after the start is that refresh.
    let name = |si: usize| skus.get(si).cloned().unwrap_or_default();
    for (m, si, n) in &deliveries {
        let sku = name(*si);
        let refresh = s
            .lifecycle
            .refresh
            .iter()
            .find(|r| r.sku == sku && *m >= r.at_age_months);
        let label = match refresh {
            Some(r) => format!("refresh: {} replaces {}", sku, r.replaces),
            None => format!(
                "{} {sku} delivered",
                crate::render::format::thousands(*n as f64)
            ),
        };
        ev.fleet.push((*m, label));
    }
    for (m, si) in &retirements {
        ev.fleet.push((*m, format!("{} retirements", name(*si))));
    }
    for list in [
        &mut ev.prepayments,
        &mut ev.term_ends,
        &mut ev.generations,
        &mut ev.fleet,
    ] {
        list.retain(|(m, _)| *m >= 0 && *m < horizon);
    }
    ev
}

/// The events of a run as markers on a month axis (month index + 1), those at the same month
/// joined into one label.
pub(crate) fn markers<'a>(lists: impl IntoIterator<Item = &'a [(i64, String)]>) -> Vec<Marker> {
    let mut all: Vec<(i64, &String)> = lists
        .into_iter()
        .flat_map(|l| l.iter().map(|(m, s)| (*m, s)))
        .collect();
    all.sort_by_key(|(m, _)| *m);
    let mut out: Vec<Marker> = Vec::new();
    for (m, label) in all {
        let x = m as f64 + 1.0;
        match out.last_mut() {
            Some(last) if last.x == x => {
                last.label = format!("{}; {label}", last.label);
            }
            _ => out.push(Marker {
                x,
                label: label.clone(),
            }),
        }
    }
    out
}

/// The markers of the cumulative-cash chart: everything that turns the cash curve.
pub(crate) fn cash_markers(s: &Scenario, v: &VariantRuns) -> Vec<Marker> {
    let ev = events(s, super::money::median_replication(v));
    markers([
        ev.prepayments.as_slice(),
        &ev.term_ends,
        &ev.generations,
        &ev.fleet,
    ])
}

/// The markers of the price chart: generation steps, deliveries and refreshes (a new SKU's price
/// starts to matter), and anchor terms ending (they reprice at the market).
pub(crate) fn price_markers(s: &Scenario, v: &VariantRuns) -> Vec<Marker> {
    let ev = events(s, super::money::median_replication(v));
    markers([ev.generations.as_slice(), &ev.term_ends, &ev.fleet])
}

/// The markers of the fleet chart: deliveries, retirements and refreshes.
pub(crate) fn fleet_markers(s: &Scenario, v: &VariantRuns) -> Vec<Marker> {
    let ev = events(s, super::money::median_replication(v));
    markers([ev.fleet.as_slice()])
}

/// Label size in pixels.
const LABEL_SIZE: u32 = 12;
/// Height of one row of labels in pixels.
const ROW_PX: i32 = 17;

/// Rows of labels: each label's row, the first row where it does not overlap the labels already
/// there (labels are `(left, right)` pixel spans, in order of x).
fn pack(spans: &[(i32, i32)]) -> Vec<usize> {
    let mut ends: Vec<i32> = Vec::new();
    spans
        .iter()
        .map(|(l, r)| {
            let row = ends
                .iter()
                .position(|end| *l > end + 6)
                .unwrap_or(ends.len());
            if row == ends.len() {
                ends.push(*r);
            } else {
                ends[row] = *r;
            }
            row
        })
        .collect()
}

/// The pixel span of each marker's label: to the right of its line, or to the left near the
/// right edge.
fn spans<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    markers: &[Marker],
    px: impl Fn(f64) -> i32,
    right_edge: i32,
) -> Result<Vec<(i32, i32, bool)>, String> {
    markers
        .iter()
        .map(|m| {
            let w = text_size(area, &m.label, LABEL_SIZE)?.0 as i32;
            let x = px(m.x);
            Ok(if x + 4 + w > right_edge {
                (x - 4 - w, x - 4, false)
            } else {
                (x + 4, x + 4 + w, true)
            })
        })
        .collect()
}

/// How far to raise the top of a y axis spanning `y0..y1` so that the label rows of `markers`
/// sit above the data: the rows the labels need, with the plot `plot_px` wide and `height_px`
/// high, laid over an x axis from `x0` to `x1`.
pub(crate) fn headroom<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    markers: &[Marker],
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Result<f64, String> {
    if markers.is_empty() {
        return Ok(y1);
    }
    // The plot area is the chart less its axis label areas, roughly.
    let (w, h) = area.dim_in_pixel();
    let (plot_w, plot_h) = (w as f64 - 72.0, (h as f64 - 140.0).max(100.0));
    let px = |x: f64| ((x - x0) / (x1 - x0) * plot_w) as i32;
    let s = spans(area, markers, px, plot_w as i32)?;
    let rows = pack(&s.iter().map(|(l, r, _)| (*l, *r)).collect::<Vec<_>>())
        .into_iter()
        .max()
        .map_or(0, |r| r + 1);
    let need = (rows as f64 * ROW_PX as f64 + 6.0) / plot_h;
    Ok(y1 + (y1 - y0) * need / (1.0 - need).max(0.3))
}

/// Draw the markers: a thin dashed line each, with its label on a light backdrop in rows at the
/// top of the plot, no two labels overlapping.
pub(crate) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &mut Chart2d<'_, DB>,
    markers: &[Marker],
    (y0, y1): (f64, f64),
) -> Result<(), String> {
    if markers.is_empty() {
        return Ok(());
    }
    let (xs, _) = chart.plotting_area().get_pixel_range();
    let px = |x: f64| chart.backend_coord(&(x, y1)).0;
    let s = spans(area, markers, px, xs.end)?;
    let rows = pack(&s.iter().map(|(l, r, _)| (*l, *r)).collect::<Vec<_>>());
    let line = RGBColor(90, 90, 90).stroke_width(1);
    let backdrop = WHITE.mix(0.85).filled();
    let colour = BLACK.mix(0.85);
    // Every line first, then the labels over them, so no line crosses a label.
    for m in markers {
        chart
            .draw_series(DashedLineSeries::new([(m.x, y0), (m.x, y1)], 3, 3, line))
            .map_err(e)?;
    }
    for ((m, (_, _, right)), row) in markers.iter().zip(&s).zip(&rows) {
        let pos = Pos::new(if *right { HPos::Left } else { HPos::Right }, VPos::Top);
        let at = (if *right { 4 } else { -4 }, 3 + ROW_PX * *row as i32);
        let size = text_size(area, &m.label, LABEL_SIZE)?;
        let style = TextStyle::from((FONT, LABEL_SIZE).into_font())
            .color(&colour)
            .pos(pos);
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((m.x, y1))
                    + Rectangle::new(text_box(at, pos, size), backdrop)
                    + Text::new(m.label.clone(), at, style),
            ))
            .map_err(e)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_pack_into_rows_without_overlap() {
        let rows = pack(&[(0, 100), (50, 120), (110, 200), (130, 180), (300, 400)]);
        assert_eq!(rows, vec![0, 1, 0, 1, 0]);
    }

    #[test]
    fn events_at_the_same_month_share_one_marker() {
        let a = vec![(0, "anchor prepays".to_string())];
        let b = vec![
            (0, "H100-SXM delivered".to_string()),
            (36, "anchor term ends".to_string()),
        ];
        let m = markers([a.as_slice(), b.as_slice()]);
        assert_eq!(
            m,
            vec![
                Marker {
                    x: 1.0,
                    label: "anchor prepays; H100-SXM delivered".into()
                },
                Marker {
                    x: 37.0,
                    label: "anchor term ends".into()
                },
            ]
        );
    }

    #[test]
    fn the_default_scenario_names_its_prepayment_term_end_and_generation_step() {
        let loaded = dcplan_sim::load_str(
            "default.ron",
            include_str!("../../../../scenarios/default.ron"),
        )
        .expect("a valid scenario");
        let s = &loaded.scenario;
        let ev = events(s, None);
        assert_eq!(
            ev.prepayments,
            vec![(0, "anchor tenant prepays".to_string())]
        );
        // The next generation ships at the P50 of Triangular(6, 12, 24).
        assert_eq!(ev.generations.len(), 1);
        let (m, label) = &ev.generations[0];
        assert!((12..=14).contains(m), "{m}");
        assert!(label.contains("H100-SXM"));
        // Without a replication there are no deliveries, so no term start either.
        assert!(ev.term_ends.is_empty() && ev.fleet.is_empty());
    }
}
