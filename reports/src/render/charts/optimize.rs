//! Search charts: candidates explored, the frontier and the best candidate.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::*;
use super::{Curve, Plot, e, hover};

/// Points per series, with an optional frontier line, one highlighted point and dashed reference
/// lines (e.g. constraint thresholds).
#[derive(Clone, Debug)]
pub(crate) struct Scatter {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// x-axis label (with unit).
    pub x_label: String,
    /// y-axis label (with unit).
    pub y_label: String,
    /// x scaling.
    pub x_format: YFormat,
    /// y scaling.
    pub y_format: YFormat,
    /// `(label, colour, points)`, drawn as filled circles; non-finite points are skipped.
    #[allow(clippy::type_complexity)]
    pub series: Vec<Curve>,
    /// Points joined, in order of x, by a line (legend "frontier"); empty for none.
    pub frontier: Vec<(f64, f64)>,
    /// A point drawn as a large ring with its label next to it.
    pub highlight: Option<(String, (f64, f64))>,
    /// Vertical dashed lines `(label, x)`.
    pub x_marks: Vec<(String, f64)>,
    /// Horizontal dashed lines `(label, y)`.
    pub y_marks: Vec<(String, f64)>,
}

impl Plot for Scatter {
    plot_name_title!();
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let (kx, ky) = (self.x_format.scale(), self.y_format.scale());
        let scale = |(x, y): (f64, f64)| (x * kx, y * ky);
        let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
        let series: Vec<_> = self
            .series
            .iter()
            .map(|(l, c, p)| {
                (
                    l.as_str(),
                    *c,
                    p.iter()
                        .copied()
                        .map(scale)
                        .filter(finite)
                        .collect::<Vec<(f64, f64)>>(),
                )
            })
            .collect();
        let mut frontier: Vec<(f64, f64)> = self
            .frontier
            .iter()
            .copied()
            .map(scale)
            .filter(finite)
            .collect();
        frontier.sort_by(|a, b| a.0.total_cmp(&b.0));
        let highlight = self
            .highlight
            .as_ref()
            .map(|(l, p)| (l.as_str(), scale(*p)))
            .filter(|(_, p)| finite(p));
        let x_marks: Vec<(&str, f64)> = self
            .x_marks
            .iter()
            .map(|(l, x)| (l.as_str(), x * kx))
            .filter(|(_, x)| x.is_finite())
            .collect();
        let y_marks: Vec<(&str, f64)> = self
            .y_marks
            .iter()
            .map(|(l, y)| (l.as_str(), y * ky))
            .filter(|(_, y)| y.is_finite())
            .collect();
        let points: Vec<(f64, f64)> = series
            .iter()
            .flat_map(|(_, _, p)| p.iter().copied())
            .chain(frontier.iter().copied())
            .chain(highlight.map(|(_, p)| p))
            .collect();
        let (x0, x1) = bounds(
            points
                .iter()
                .map(|p| p.0)
                .chain(x_marks.iter().map(|m| m.1)),
        );
        let (y0, y1) = bounds(
            points
                .iter()
                .map(|p| p.1)
                .chain(y_marks.iter().map(|m| m.1)),
        );
        let mut keys: Vec<(Key, &str)> = series
            .iter()
            .map(|(label, c, _)| (Key::Dot(c.mix(0.8)), *label))
            .collect();
        if !frontier.is_empty() {
            keys.push((Key::Line(PALETTE[7], 2), "frontier"));
        }
        if let Some((label, _)) = highlight {
            keys.push((Key::Ring(PALETTE[3]), label));
        }
        let body = title_and_key_line(root, &self.title, &keys)?;
        let mut chart = xy_frame(&body, &self.x_label, &self.y_label, (x0, x1), (y0, y1))?;
        let mark_line = BLACK.mix(0.55).stroke_width(1);
        for (_, x) in &x_marks {
            chart
                .draw_series(DashedLineSeries::new([(*x, y0), (*x, y1)], 6, 4, mark_line))
                .map_err(e)?;
        }
        for (_, y) in &y_marks {
            chart
                .draw_series(DashedLineSeries::new([(x0, *y), (x1, *y)], 6, 4, mark_line))
                .map_err(e)?;
        }
        for (label, c, pts) in &series {
            chart
                .draw_series(pts.iter().map(|p| Circle::new(*p, 4, c.mix(0.8).filled())))
                .map_err(e)?;
            for p in pts {
                hover::point(&chart, *p, || {
                    format!(
                        "{label}: {} {}, {} {}",
                        self.x_label,
                        self.x_format.text(p.0 / kx),
                        self.y_label,
                        self.y_format.text(p.1 / ky)
                    )
                });
            }
        }
        if !frontier.is_empty() {
            let fc = PALETTE[7];
            chart
                .draw_series(LineSeries::new(
                    frontier.iter().copied(),
                    fc.stroke_width(2),
                ))
                .map_err(e)?;
        }
        // Reference-line labels over the points, on a light backdrop.
        draw_mark_labels(root, &mut chart, &x_marks, &y_marks, (x1, y1))?;
        let backdrop = WHITE.mix(0.85).filled();
        if let Some((label, p)) = highlight {
            let hc = PALETTE[3];
            // The label goes towards the middle of the chart, so it stays inside.
            let (dx, h) = if p.0 > (x0 + x1) / 2.0 {
                (-14, HPos::Right)
            } else {
                (14, HPos::Left)
            };
            let (dy, v) = if p.1 > (y0 + y1) / 2.0 {
                (12, VPos::Top)
            } else {
                (-12, VPos::Bottom)
            };
            let pos = Pos::new(h, v);
            let size = text_size(root, label, 15)?;
            let style = TextStyle::from((FONT, 15, FontStyle::Bold).into_font())
                .color(&hc)
                .pos(pos);
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at(p)
                        + Circle::new((0, 0), 10, hc.stroke_width(3))
                        + Rectangle::new(text_box((dx, dy), pos, size), backdrop)
                        + Text::new(label.to_string(), (dx, dy), style),
                ))
                .map_err(e)?;
        }
        Ok(())
    }
}

/// The labels of the reference lines, over the points on a light backdrop: those of the x
/// marks at the top of their lines, those of the y marks at the right end of theirs.
fn draw_mark_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut Chart2d<'_, DB>,
    x_marks: &[(&str, f64)],
    y_marks: &[(&str, f64)],
    (x1, y1): (f64, f64),
) -> Result<(), String> {
    let mark_colour = BLACK.mix(0.8);
    let backdrop = WHITE.mix(0.85).filled();
    for (label, x) in x_marks {
        let (at, pos) = ((5, 5), Pos::new(HPos::Left, VPos::Top));
        let size = text_size(root, label, 13)?;
        let style = TextStyle::from((FONT, 13).into_font())
            .color(&mark_colour)
            .pos(pos);
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((*x, y1))
                    + Rectangle::new(text_box(at, pos, size), backdrop)
                    + Text::new(label.to_string(), at, style),
            ))
            .map_err(e)?;
    }
    for (label, y) in y_marks {
        let (at, pos) = ((-5, -4), Pos::new(HPos::Right, VPos::Bottom));
        let size = text_size(root, label, 13)?;
        let style = TextStyle::from((FONT, 13).into_font())
            .color(&mark_colour)
            .pos(pos);
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((x1, *y))
                    + Rectangle::new(text_box(at, pos, size), backdrop)
                    + Text::new(label.to_string(), at, style),
            ))
            .map_err(e)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::charts::test_support::*;

    fn scatter() -> Scatter {
        let a: Vec<(f64, f64)> = (0..10)
            .map(|i| (i as f64 * 10e6, 0.05 + i as f64 * 0.01))
            .collect();
        let mut b: Vec<(f64, f64)> = (0..5)
            .map(|i| (i as f64 * 15e6 + 5e6, 0.04 + i as f64 * 0.02))
            .collect();
        b.push((f64::NAN, 0.1));
        Scatter {
            name: "test_scatter".into(),
            title: "Risk against return".into(),
            x_label: "P50 NPV ($M)".into(),
            y_label: "P(loss) (%)".into(),
            x_format: YFormat::MillionsUsd,
            y_format: YFormat::Percent,
            series: vec![
                ("solar".into(), PALETTE[1], a),
                ("grid".into(), PALETTE[0], b),
            ],
            frontier: vec![(90e6, 0.14), (0.0, 0.05), (65e6, 0.12)],
            highlight: Some(("chosen plan".into(), (65e6, 0.12))),
            x_marks: vec![("NPV target".into(), 50e6)],
            y_marks: vec![("risk limit 10 %".into(), 0.10)],
        }
    }

    #[test]
    fn scatter_draws_points_frontier_highlight_and_marks() {
        let svg = render_checked(&scatter());
        assert!(svg.contains("Risk against return"));
        for text in [
            "solar",
            "grid",
            "frontier",
            "chosen plan",
            "NPV target",
            "risk limit 10 %",
            "P50 NPV ($M)",
        ] {
            assert!(has_text(&svg, text), "missing {text}");
        }
        // 15 finite points, the highlight ring, and legend markers for 2 series and the highlight.
        assert_eq!(count(&svg, "<circle"), 15 + 1 + 3);
        // The "chosen plan" label appears next to the ring and in the legend.
        assert_eq!(count(&svg, ">\nchosen plan\n</text>"), 2);
    }

    #[test]
    fn scatter_without_data() {
        let mut s = scatter();
        s.series.clear();
        s.frontier.clear();
        s.highlight = None;
        s.x_marks.clear();
        s.y_marks.clear();
        let svg = render_checked(&s);
        assert!(svg.contains("Risk against return"));
        assert_eq!(count(&svg, "<circle"), 0);
        // Background only: no empty legend box.
        assert_eq!(count(&svg, "<rect"), 1);
        s.series = vec![
            ("empty".into(), PALETTE[0], vec![]),
            ("nan".into(), PALETTE[1], vec![(f64::NAN, f64::NAN)]),
        ];
        s.highlight = Some(("nowhere".into(), (f64::NAN, 1.0)));
        let svg = render_checked(&s);
        assert_eq!(count(&svg, "<circle"), 2);
    }
}
