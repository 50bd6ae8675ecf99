//! Fan charts: percentile bands of one or several quantities over time.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::annotate::{self, Marker};
use super::style::*;
use super::{BandSeries, Plot, e, hover};

/// Percentile bands of a quantity over time.
#[derive(Clone, Debug, Default)]
pub(crate) struct Bands {
    /// x values (e.g. month index).
    pub x: Vec<f64>,
    /// 5th percentile per x.
    pub p5: Vec<f64>,
    /// 25th percentile.
    pub p25: Vec<f64>,
    /// Median.
    pub p50: Vec<f64>,
    /// 75th percentile.
    pub p75: Vec<f64>,
    /// 95th percentile.
    pub p95: Vec<f64>,
}

impl Bands {
    /// Percentile bands from per-x samples (`samples[i]` holds every replication's value at `x[i]`).
    pub(crate) fn from_samples(x: Vec<f64>, samples: &[Vec<f64>]) -> Bands {
        let mut b = Bands {
            x,
            ..Bands::default()
        };
        for s in samples {
            let mut v: Vec<f64> = s.iter().copied().filter(|x| x.is_finite()).collect();
            v.sort_by(f64::total_cmp);
            let q = |p| dcplan_sim::stats::percentile_sorted(&v, p);
            b.p5.push(q(0.05));
            b.p25.push(q(0.25));
            b.p50.push(q(0.50));
            b.p75.push(q(0.75));
            b.p95.push(q(0.95));
        }
        b
    }
}

/// A fan chart: P5-P95 and P25-P75 bands with the median line.
#[derive(Clone, Debug)]
pub(crate) struct FanChart {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label (with unit).
    pub y_label: String,
    /// Data.
    pub bands: Bands,
    /// y scaling.
    pub y_format: YFormat,
    /// Draw a horizontal line at zero.
    pub zero_line: bool,
    /// Events marked on the x axis.
    pub markers: Vec<Marker>,
}

impl Plot for FanChart {
    plot_name_title!();
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let k = self.y_format.scale();
        let b = &self.bands;
        let (x0, x1) = bounds(b.x.iter().copied());
        let mut all: Vec<f64> = b.p5.iter().chain(b.p95.iter()).map(|v| v * k).collect();
        if self.zero_line {
            all.push(0.0);
        }
        let (y0, y1) = bounds(all.into_iter());
        let c = PALETTE[0];
        let keys = [
            (Key::Box(c.mix(0.18), c.mix(0.18)), "P5-P95"),
            (Key::Box(c.mix(0.40), c.mix(0.40)), "P25-P75"),
            (Key::Line(c, 3), "P50 (median)"),
        ];
        let body = title_and_key_line(root, &self.title, &keys)?;
        let y1 = annotate::headroom(&body, &self.markers, (x0, x1), (y0, y1))?;
        let mut chart = xy_frame(&body, &self.x_label, &self.y_label, (x0, x1), (y0, y1))?;
        // Months without a value (utilization before the first GPU) are gaps: each run of months
        // with values is drawn on its own.
        let defined = |i: usize| {
            [&b.p5, &b.p25, &b.p50, &b.p75, &b.p95]
                .iter()
                .all(|s| s.get(i).is_some_and(|y| y.is_finite()))
        };
        let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
        for i in (0..b.x.len()).filter(|&i| defined(i)) {
            match runs.last_mut() {
                Some(r) if r.end == i => r.end = i + 1,
                _ => runs.push(i..i + 1),
            }
        }
        for r in runs {
            let x = &b.x[r.clone()];
            let band = |lo: &[f64], hi: &[f64]| -> Vec<(f64, f64)> {
                x.iter()
                    .zip(&hi[r.clone()])
                    .map(|(x, y)| (*x, y * k))
                    .chain(x.iter().zip(&lo[r.clone()]).rev().map(|(x, y)| (*x, y * k)))
                    .collect()
            };
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band(&b.p5, &b.p95),
                    c.mix(0.18).filled(),
                )))
                .map_err(e)?;
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band(&b.p25, &b.p75),
                    c.mix(0.40).filled(),
                )))
                .map_err(e)?;
            chart
                .draw_series(LineSeries::new(
                    x.iter().zip(&b.p50[r.clone()]).map(|(x, y)| (*x, y * k)),
                    c.stroke_width(3),
                ))
                .map_err(e)?;
        }
        if self.zero_line && y0 < 0.0 && y1 > 0.0 {
            chart
                .draw_series(LineSeries::new(
                    [(x0, 0.0), (x1, 0.0)],
                    BLACK.mix(0.6).stroke_width(1),
                ))
                .map_err(e)?;
        }
        annotate::draw(&body, &mut chart, &self.markers, (y0, y1))?;
        let v = |raw: f64| hover::value(self.y_format, raw, &self.y_label);
        hover::columns(&chart, &b.x, |i| {
            format!(
                "{}: P50 {} (P5 {}, P25 {}, P75 {}, P95 {})",
                hover::x_name(&self.x_label, b.x[i]),
                v(b.p50[i]),
                v(b.p5[i]),
                v(b.p25[i]),
                v(b.p75[i]),
                v(b.p95[i])
            )
        });
        Ok(())
    }
}

/// Several quantities over time, each as a P10-P90 band with its median line.
#[derive(Clone, Debug)]
pub(crate) struct MultiFan {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label (with unit).
    pub y_label: String,
    /// x values.
    pub x: Vec<f64>,
    /// `(label, colour, p10, p50, p90)` per series; a series with empty p10/p90 is drawn as a dashed line.
    pub series: Vec<BandSeries>,
    /// y scaling.
    pub y_format: YFormat,
    /// Events marked on the x axis.
    pub markers: Vec<Marker>,
}

impl Plot for MultiFan {
    plot_name_title!();
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let k = self.y_format.scale();
        let (x0, x1) = bounds(self.x.iter().copied());
        let all = self
            .series
            .iter()
            .flat_map(|(_, _, lo, mid, hi)| lo.iter().chain(mid).chain(hi))
            .map(|v| v * k);
        let (y0, y1) = bounds(all.chain(std::iter::once(0.0)));
        let keys: Vec<(Key, String)> = self
            .series
            .iter()
            .map(|(label, c, lo, _, hi)| {
                if !lo.is_empty() && !hi.is_empty() {
                    (Key::Line(*c, 3), format!("{label} (P50, band P10-P90)"))
                } else {
                    (Key::Dashed(*c, 2), label.clone())
                }
            })
            .collect();
        let body = title_and_key_line(root, &self.title, &keys)?;
        let y1 = annotate::headroom(&body, &self.markers, (x0, x1), (y0, y1))?;
        let mut chart = xy_frame(&body, &self.x_label, &self.y_label, (x0, x1), (y0, y1))?;
        for (_, colour, lo, mid, hi) in &self.series {
            let c = *colour;
            if !lo.is_empty() && !hi.is_empty() {
                let pts: Vec<(f64, f64)> = self
                    .x
                    .iter()
                    .zip(hi)
                    .map(|(x, y)| (*x, y * k))
                    .chain(self.x.iter().zip(lo).rev().map(|(x, y)| (*x, y * k)))
                    .collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(pts, c.mix(0.18).filled())))
                    .map_err(e)?;
                chart
                    .draw_series(LineSeries::new(
                        self.x
                            .iter()
                            .zip(mid)
                            .filter(|(_, y)| y.is_finite())
                            .map(|(x, y)| (*x, y * k)),
                        c.stroke_width(3),
                    ))
                    .map_err(e)?;
            } else {
                // Months without a value (nothing sold yet) are left out, not drawn at the floor.
                let pts: Vec<(f64, f64)> = self
                    .x
                    .iter()
                    .zip(mid)
                    .filter(|(_, y)| y.is_finite())
                    .map(|(x, y)| (*x, y * k))
                    .collect();
                chart
                    .draw_series(DashedLineSeries::new(pts, 8, 5, c.stroke_width(2)))
                    .map_err(e)?;
            }
        }
        annotate::draw(&body, &mut chart, &self.markers, (y0, y1))?;
        let v = |raw: f64| hover::value(self.y_format, raw, &self.y_label);
        hover::columns(&chart, &self.x, |i| {
            let parts: Vec<String> = self
                .series
                .iter()
                .filter_map(|(label, _, lo, mid, hi)| {
                    let m = *mid.get(i)?;
                    if !m.is_finite() {
                        return None;
                    }
                    Some(match (lo.get(i), hi.get(i)) {
                        (Some(l), Some(h)) => {
                            format!("{label} P50 {} (P10 {}, P90 {})", v(m), v(*l), v(*h))
                        }
                        _ => format!("{label} {}", v(m)),
                    })
                })
                .collect();
            format!(
                "{}: {}",
                hover::x_name(&self.x_label, self.x[i]),
                parts.join("; ")
            )
        });
        Ok(())
    }
}

/// P10, P50 and P90 of per-x samples.
pub(crate) fn p10_p50_p90(samples: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for s in samples {
        let mut v: Vec<f64> = s.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        out.0.push(dcplan_sim::stats::percentile_sorted(&v, 0.1));
        out.1.push(dcplan_sim::stats::percentile_sorted(&v, 0.5));
        out.2.push(dcplan_sim::stats::percentile_sorted(&v, 0.9));
    }
    out
}
