//! Distribution charts: histograms with percentile markers and box plots by group.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::*;
use super::{Plot, e, hover};
use crate::render::format;

/// A histogram with percentile markers.
#[derive(Clone, Debug)]
pub(crate) struct Histogram {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// x-axis label (with unit).
    pub x_label: String,
    /// Values (e.g. one NPV per replication).
    pub values: Vec<f64>,
    /// x scaling.
    pub x_format: YFormat,
    /// Vertical markers with their labels (e.g. P10, P50, P90).
    pub markers: Vec<(String, f64)>,
}

impl Plot for Histogram {
    plot_name_title!();
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let k = self.x_format.scale();
        let v: Vec<f64> = self
            .values
            .iter()
            .map(|x| x * k)
            .filter(|x| x.is_finite())
            .collect();
        let (lo, hi) = bounds(v.iter().copied());
        let n_bins = ((v.len() as f64).sqrt().ceil() as usize).clamp(5, 40);
        let width = (hi - lo) / n_bins as f64;
        let mut counts = vec![0u32; n_bins];
        for x in &v {
            let i = (((x - lo) / width) as usize).min(n_bins - 1);
            counts[i] += 1;
        }
        let y_max = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.15;
        let c = PALETTE[0];
        let mut keys = vec![(
            Key::Box(c.mix(0.75), c.mix(0.75)),
            "replications per bin".to_string(),
        )];
        for (i, (label, raw)) in self.markers.iter().enumerate() {
            if (raw * k).is_finite() {
                keys.push((
                    Key::Line(PALETTE[(i % 3) + 1], 2),
                    format!("{label} = {}", self.x_format.text(*raw)),
                ));
            }
        }
        let body = title_and_key_line(root, &self.title, &keys)?;
        let mut chart = ChartBuilder::on(&body)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(lo..hi, 0.0..y_max)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc("Replications")
            .y_labels((y_max.floor() as usize + 1).clamp(2, 11))
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .x_label_formatter(&|v| format::tick(*v, hi - lo))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, &n)| {
                let x0 = lo + i as f64 * width;
                Rectangle::new(
                    [(x0 + width * 0.04, 0.0), (x0 + width * 0.96, n as f64)],
                    c.mix(0.75).filled(),
                )
            }))
            .map_err(e)?;
        for (i, &n) in counts.iter().enumerate() {
            let a = lo + i as f64 * width;
            hover::span(&chart, (a, 0.0), (a + width, n as f64), || {
                format!(
                    "{} to {}: {n} replications",
                    self.x_format.text(a / k),
                    self.x_format.text((a + width) / k)
                )
            });
        }
        for (i, (_, raw)) in self.markers.iter().enumerate() {
            let x = raw * k;
            if !x.is_finite() {
                continue;
            }
            let mc = PALETTE[(i % 3) + 1];
            chart
                .draw_series(LineSeries::new([(x, 0.0), (x, y_max)], mc.stroke_width(2)))
                .map_err(e)?;
        }
        Ok(())
    }
}

/// P10, P25, P50, P75, P90 and mean of the finite values of a group, after scaling by `k`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct BoxStats {
    p10: f64,
    p25: f64,
    p50: f64,
    p75: f64,
    p90: f64,
    mean: f64,
}

impl BoxStats {
    /// The statistics of a group; with `never_last`, +infinity is an event that never happens
    /// (payback): percentiles by nearest rank with never after every month (as in summary.csv,
    /// +infinity where they fall among the nevers), and no mean unless every value is finite.
    fn of_group(values: &[f64], k: f64, never_last: bool) -> Option<BoxStats> {
        if !never_last {
            return BoxStats::of(values, k);
        }
        let v: Vec<Option<f64>> = values
            .iter()
            .filter(|x| !x.is_nan())
            .map(|&x| (x != f64::INFINITY).then_some(x * k))
            .collect();
        if v.is_empty() {
            return None;
        }
        let q = |p| dcplan_sim::stats::percentile_never_last(&v, p).unwrap_or(f64::INFINITY);
        let mean = if v.iter().all(Option::is_some) {
            v.iter().flatten().sum::<f64>() / v.len() as f64
        } else {
            f64::NAN
        };
        Some(BoxStats::from_quantiles(q, mean))
    }

    /// The statistics from a quantile function and the mean.
    fn from_quantiles(q: impl Fn(f64) -> f64, mean: f64) -> BoxStats {
        BoxStats {
            p10: q(0.10),
            p25: q(0.25),
            p50: q(0.50),
            p75: q(0.75),
            p90: q(0.90),
            mean,
        }
    }

    /// The same statistics with a never (+infinity) drawn at `at`.
    fn drawn_at(self, at: f64) -> BoxStats {
        let d = |x: f64| if x == f64::INFINITY { at } else { x };
        BoxStats {
            p10: d(self.p10),
            p25: d(self.p25),
            p50: d(self.p50),
            p75: d(self.p75),
            p90: d(self.p90),
            mean: self.mean,
        }
    }

    fn of(values: &[f64], k: f64) -> Option<BoxStats> {
        let mut v: Vec<f64> = values
            .iter()
            .map(|x| x * k)
            .filter(|x| x.is_finite())
            .collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let q = |p| dcplan_sim::stats::percentile_sorted(&v, p);
        Some(BoxStats::from_quantiles(
            q,
            v.iter().sum::<f64>() / v.len() as f64,
        ))
    }
}

/// One horizontal box per group, groups listed top to bottom with their names on the left: the box
/// spans P25-P75, a black line marks the median, whiskers reach P10 and P90, and a diamond marks
/// the mean. A key under the title says so.
#[derive(Clone, Debug)]
pub(crate) struct BoxPlot {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// Value-axis label (with unit); the value axis is horizontal.
    pub y_label: String,
    /// Value scaling.
    pub y_format: YFormat,
    /// `(group name, values)`, drawn top to bottom; NaN values are ignored, and a group without
    /// values keeps its row and label but draws nothing.
    pub groups: Vec<(String, Vec<f64>)>,
    /// Draw a line at zero where zero falls within the data's range (the axis spans the data, not
    /// zero, so differences between groups show).
    pub zero_line: bool,
    /// Where values are times until an event that may never happen: +infinity means never, the
    /// statistics are those of summary.csv (see [`BoxStats::of_group`]), and a statistic that
    /// falls among the nevers is drawn at this value (the horizon) and named "never".
    pub never_at: Option<f64>,
}

impl BoxPlot {
    /// The value axis: the span of every group's P10, P90 and mean (scaled), padded by 5 %.
    fn value_range(&self) -> (f64, f64) {
        let k = self.y_format.scale();
        let never = self.never_at.map(|h| h * k);
        bounds(
            self.groups
                .iter()
                .filter_map(|(_, v)| BoxStats::of_group(v, k, never.is_some()))
                .map(|s| s.drawn_at(never.unwrap_or(f64::NAN)))
                .flat_map(|s| [s.p10, s.p90, s.mean]),
        )
    }
}

impl Plot for BoxPlot {
    plot_name_title!();
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let k = self.y_format.scale();
        let never = self.never_at.map(|h| h * k);
        let exact: Vec<Option<BoxStats>> = self
            .groups
            .iter()
            .map(|(_, v)| BoxStats::of_group(v, k, never.is_some()))
            .collect();
        let stats: Vec<Option<BoxStats>> = exact
            .iter()
            .map(|s| s.map(|s| s.drawn_at(never.unwrap_or(f64::NAN))))
            .collect();
        let (x0, x1) = self.value_range();
        let (c, whisker, mean_c) = (PALETTE[0], BLACK.mix(0.7), PALETTE[3]);
        let keys = [
            (Key::Box(c.mix(0.45), c.to_rgba()), "box: P25–P75"),
            (Key::VLine(BLACK, 3), "median"),
            (Key::Whisker(BLACK), "whiskers: P10–P90"),
            (Key::Diamond(mean_c), "mean"),
        ];
        let body = title_and_key_line(root, &self.title, &keys)?;
        let labels: Vec<String> = self.groups.iter().map(|(l, _)| l.clone()).collect();
        let n = labels.len();
        let mut chart = category_rows_chart(&body, &labels, (x0, x1), &self.y_label)?;
        if self.zero_line && x0 < 0.0 && x1 > 0.0 {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, -0.5), (0.0, n.max(1) as f64 - 0.5)],
                    BLACK.mix(0.6).stroke_width(1),
                ))
                .map_err(e)?;
        }
        let rows: Vec<(f64, BoxStats)> = stats
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|s| ((n - 1 - i) as f64, s)))
            .collect();
        // Box half-height in rows, at most 22 px; whisker caps half that.
        let px = row_px(&chart, n);
        let h = 0.32f64.min(22.0 / px);
        let cap = h / 2.0;
        let d = (px * 0.2).clamp(3.0, 6.0) as i32;
        chart
            .draw_series(rows.iter().flat_map(|&(y, s)| {
                [
                    PathElement::new(vec![(s.p10, y), (s.p25, y)], whisker.stroke_width(1)),
                    PathElement::new(vec![(s.p75, y), (s.p90, y)], whisker.stroke_width(1)),
                    PathElement::new(
                        vec![(s.p10, y - cap), (s.p10, y + cap)],
                        whisker.stroke_width(1),
                    ),
                    PathElement::new(
                        vec![(s.p90, y - cap), (s.p90, y + cap)],
                        whisker.stroke_width(1),
                    ),
                ]
            }))
            .map_err(e)?;
        chart
            .draw_series(rows.iter().map(|(y, s)| {
                Rectangle::new([(s.p25, y - h), (s.p75, y + h)], c.mix(0.45).filled())
            }))
            .map_err(e)?;
        chart
            .draw_series(
                rows.iter().map(|(y, s)| {
                    Rectangle::new([(s.p25, y - h), (s.p75, y + h)], c.stroke_width(1))
                }),
            )
            .map_err(e)?;
        chart
            .draw_series(rows.iter().map(|(y, s)| {
                PathElement::new(vec![(s.p50, y - h), (s.p50, y + h)], BLACK.stroke_width(3))
            }))
            .map_err(e)?;
        let v = |x: f64| {
            if x == f64::INFINITY {
                "never".to_string()
            } else if x.is_finite() {
                self.y_format.text(x / k)
            } else {
                "n/a".to_string()
            }
        };
        for (y, drawn) in &rows {
            let i = n - 1 - *y as usize;
            let name = &self.groups[i].0;
            // The box as drawn; the text with the exact statistics ("never" for a never).
            let Some(s) = exact[i] else { continue };
            hover::span(&chart, (drawn.p10, y - h), (drawn.p90, y + h), || {
                format!(
                    "{name}: P10 {}, P25 {}, median {}, P75 {}, P90 {}, mean {}",
                    v(s.p10),
                    v(s.p25),
                    v(s.p50),
                    v(s.p75),
                    v(s.p90),
                    v(s.mean)
                )
            });
        }
        chart
            .draw_series(
                rows.iter()
                    .filter(|(_, s)| s.mean.is_finite())
                    .map(|(y, s)| {
                        EmptyElement::at((s.mean, *y))
                            + Polygon::new(vec![(0, -d), (d, 0), (0, d), (-d, 0)], mean_c.filled())
                    }),
            )
            .map_err(e)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::charts::test_support::*;

    #[test]
    fn box_stats_ignore_nan_and_scale() {
        let v: Vec<f64> = (1..=11)
            .map(f64::from)
            .chain([f64::NAN, f64::INFINITY])
            .collect();
        let s = BoxStats::of(&v, 2.0).unwrap();
        assert_eq!(
            (s.p10, s.p25, s.p50, s.p75, s.p90, s.mean),
            (4.0, 7.0, 12.0, 17.0, 20.0, 12.0)
        );
        assert_eq!(BoxStats::of(&[f64::NAN], 1.0), None);
        assert_eq!(BoxStats::of(&[], 1.0), None);
    }

    /// Payback with two replications that never pay back: the box's percentiles are summary.csv's
    /// (nearest rank, never after every month), a percentile among the nevers is never, and
    /// there is no mean; drawn, a never sits at the horizon.
    #[test]
    fn box_stats_of_a_time_that_may_never_come_match_the_summary() {
        let inf = f64::INFINITY;
        let v = [43.0, 45.0, 39.0, 37.0, inf, 40.0, inf, 46.0];
        let s = BoxStats::of_group(&v, 1.0, true).unwrap();
        let months: Vec<Option<f64>> = v.iter().map(|&x| x.is_finite().then_some(x)).collect();
        let summary = dcplan_sim::stats::summarize_never_last(&months);
        assert_eq!((s.p10, s.p50, s.p90), (37.0, 43.0, inf));
        assert_eq!(s.p50, summary.p50);
        assert_eq!(s.p90, summary.p90);
        assert!(s.mean.is_nan());
        let d = s.drawn_at(48.0);
        assert_eq!((d.p75, d.p90), (46.0, 48.0));
        let all = BoxStats::of_group(&[10.0, 20.0], 1.0, true).unwrap();
        assert_eq!(all.mean, 15.0);
    }

    fn box_plot(groups: Vec<(String, Vec<f64>)>) -> BoxPlot {
        BoxPlot {
            name: "test_box".into(),
            title: "NPV by variant".into(),
            y_label: "NPV ($M)".into(),
            y_format: YFormat::MillionsUsd,
            groups,
            zero_line: true,
            never_at: None,
        }
    }

    #[test]
    fn box_plot_draws_one_box_per_group_with_values() {
        let spread = |c: f64| {
            (0..200)
                .map(|i| (c + (i as f64 - 100.0) * 0.01 * c.abs()) * 1e6)
                .collect::<Vec<f64>>()
        };
        let mut with_nan = spread(-40.0);
        with_nan.push(f64::NAN);
        let groups = vec![
            (
                "gpus=2048, energy=solar, reserved=0.6".to_string(),
                spread(120.0),
            ),
            ("gpus=1024, energy=grid, reserved=0.4".to_string(), with_nan),
            ("no runs".to_string(), vec![]),
            ("only NaN".to_string(), vec![f64::NAN]),
            (
                "gpus=512, energy=grid, reserved=0.0".to_string(),
                spread(30.0),
            ),
        ];
        let svg = render_checked(&box_plot(groups.clone()));
        assert!(svg.contains("NPV by variant"));
        assert!(svg.contains("P25–P75") && svg.contains("P10–P90"));
        assert!(svg.contains("NPV ($M)"));
        for (label, _) in &groups {
            assert!(has_text(&svg, label), "missing label {label}");
        }
        for key in ["box: P25–P75", "median", "whiskers: P10–P90", "mean"] {
            assert!(has_text(&svg, key), "missing key {key}");
        }
        // Background, the legend frame and its border, the key's box and its outline, then a box
        // and its outline per group with values.
        assert_eq!(count(&svg, "<rect"), 1 + 2 + 2 + 2 * 3);
        // The key's diamond, then one mean diamond per group with values.
        assert_eq!(count(&svg, "<polygon"), 1 + 3);
        // The first group is drawn at the top.
        assert!(text_y(&svg, &groups[0].0) < text_y(&svg, &groups[1].0));
        assert!(text_y(&svg, &groups[1].0) < text_y(&svg, &groups[4].0));
    }

    #[test]
    fn the_value_axis_spans_the_data_not_zero() {
        let around = |c: f64| (0..100).map(|i| (c + i as f64 * 0.1) * 1e6).collect();
        let plot = box_plot(vec![
            ("a".into(), around(100.0)),
            ("b".into(), around(104.0)),
        ]);
        let (lo, hi) = plot.value_range();
        assert!(lo > 95.0 && hi < 120.0, "{lo}..{hi}");
        // Zero inside the data's range keeps its line.
        let plot = box_plot(vec![("a".into(), around(-5.0))]);
        let (lo, hi) = plot.value_range();
        assert!(lo < 0.0 && hi > 0.0);
    }

    #[test]
    fn box_plot_labels_every_group_up_to_24() {
        for n in 1..=24 {
            let groups: Vec<(String, Vec<f64>)> = (0..n)
                .map(|i| {
                    (
                        format!(
                            "gpus={}, energy=solar, reserved=0.{}",
                            256 * (i + 1),
                            i % 10
                        ),
                        vec![i as f64, 2.0 * i as f64 + 1.0],
                    )
                })
                .collect();
            let mut plot = box_plot(groups.clone());
            plot.y_format = YFormat::Plain;
            let svg = svg_only(&plot);
            for (label, _) in &groups {
                assert!(has_text(&svg, label), "n = {n}: missing label {label}");
            }
            assert_eq!(count(&svg, "<polygon"), 1 + n);
        }
    }

    #[test]
    fn box_plot_shortens_very_long_labels() {
        let long = "x".repeat(200);
        let svg = svg_only(&box_plot(vec![(long.clone(), vec![1.0, 2.0])]));
        assert!(!svg.contains(&long));
        assert!(svg.contains("xxx…\n</text>"));
    }

    #[test]
    fn box_plot_without_groups_or_values() {
        let svg = render_checked(&box_plot(vec![]));
        assert!(svg.contains("NPV by variant"));
        assert_eq!(count(&svg, "<polygon"), 1);
        let svg = render_checked(&box_plot(vec![
            ("a".into(), vec![]),
            ("b".into(), vec![f64::NAN]),
        ]));
        assert!(has_text(&svg, "a") && has_text(&svg, "b"));
        assert_eq!(count(&svg, "<rect"), 1 + 2 + 2);
    }
}
