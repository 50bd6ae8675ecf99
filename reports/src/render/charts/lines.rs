//! Line charts: lines over a numeric axis, and two quantities on two y axes.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::*;
use super::{Curve, Plot, e, hover};
use crate::render::format;

/// Lines over a numeric axis, with optional vertical reference lines.
#[derive(Clone, Debug)]
pub(crate) struct Lines {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// `(label, colour, points)`.
    pub series: Vec<Curve>,
    /// Vertical reference lines at these x values.
    pub x_marks: Vec<f64>,
    /// y scaling.
    pub y_format: YFormat,
    /// Fixed y range (before scaling), if any.
    pub y_range: Option<(f64, f64)>,
}

impl Plot for Lines {
    plot_name_title!();
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let k = self.y_format.scale();
        let (x0, x1) = bounds(
            self.series
                .iter()
                .flat_map(|(_, _, p)| p.iter().map(|(x, _)| *x)),
        );
        let (y0, y1) = match self.y_range {
            Some((a, b)) => (a * k, b * k),
            None => bounds(
                self.series
                    .iter()
                    .flat_map(|(_, _, p)| p.iter().map(|(_, y)| y * k)),
            ),
        };
        let keys: Vec<(Key, &str)> = self
            .series
            .iter()
            .map(|(label, c, _)| (Key::Line(*c, 3), label.as_str()))
            .collect();
        let body = title_and_key_line(root, &self.title, &keys)?;
        let mut chart = xy_frame(&body, &self.x_label, &self.y_label, (x0, x1), (y0, y1))?;
        for x in &self.x_marks {
            chart
                .draw_series(DashedLineSeries::new(
                    [(*x, y0), (*x, y1)],
                    4,
                    4,
                    BLACK.mix(0.4).stroke_width(1),
                ))
                .map_err(e)?;
        }
        for (label, colour, points) in &self.series {
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|(x, y)| (*x, y * k)),
                    colour.stroke_width(3),
                ))
                .map_err(e)?;
            for (x, y) in points {
                hover::point(&chart, (*x, y * k), || {
                    format!(
                        "{label}: {} at {}",
                        hover::value(self.y_format, *y, &self.y_label),
                        hover::x_name(&self.x_label, *x)
                    )
                });
            }
        }
        Ok(())
    }
}

/// Two quantities over the same x axis with separate y axes (left and right).
#[derive(Clone, Debug)]
pub(crate) struct DualAxis {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// Left y-axis label.
    pub left_label: String,
    /// Right y-axis label.
    pub right_label: String,
    /// `(label, colour, points)` on the left axis.
    pub left: Vec<Curve>,
    /// `(label, colour, points)` on the right axis.
    pub right: Vec<Curve>,
}

impl Plot for DualAxis {
    plot_name_title!();
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let all = |s: &Vec<Curve>| s.iter().flat_map(|(_, _, p)| p.clone()).collect::<Vec<_>>();
        let (l, r) = (all(&self.left), all(&self.right));
        let (x0, x1) = bounds(l.iter().chain(&r).map(|p| p.0));
        let (ly0, ly1) = bounds(l.iter().map(|p| p.1));
        let (ry0, ry1) = bounds(r.iter().map(|p| p.1));
        let keys: Vec<(Key, &str)> = self
            .left
            .iter()
            .chain(&self.right)
            .map(|(label, c, _)| (Key::Line(*c, 2), label.as_str()))
            .collect();
        let body = title_and_key_line(root, &self.title, &keys)?;
        let mut chart = ChartBuilder::on(&body)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .right_y_label_area_size(64)
            .build_cartesian_2d(x0..x1, ly0..ly1)
            .map_err(e)?
            .set_secondary_coord(x0..x1, ry0..ry1);
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.left_label)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .x_label_formatter(&|v| format::tick(*v, x1 - x0))
            .y_label_formatter(&|v| format::tick(*v, ly1 - ly0))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        chart
            .configure_secondary_axes()
            .y_desc(&self.right_label)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .draw()
            .map_err(e)?;
        for (_, colour, points) in &self.left {
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(e)?;
        }
        for (_, colour, points) in &self.right {
            chart
                .draw_secondary_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(e)?;
        }
        if let Some((_, _, first)) = self.left.first() {
            let x: Vec<f64> = first.iter().map(|p| p.0).collect();
            let at = |points: &[(f64, f64)], x: f64| {
                points
                    .iter()
                    .find(|p| p.0 == x)
                    .map(|p| p.1)
                    .unwrap_or(f64::NAN)
            };
            hover::columns(&chart, &x, |i| {
                let parts: Vec<String> = self
                    .left
                    .iter()
                    .map(|(l, _, p)| (l, at(p, x[i]), &self.left_label))
                    .chain(
                        self.right
                            .iter()
                            .map(|(l, _, p)| (l, at(p, x[i]), &self.right_label)),
                    )
                    .filter(|(_, y, _)| y.is_finite())
                    .map(|(l, y, unit)| format!("{l} {}", hover::value(YFormat::Plain, y, unit)))
                    .collect();
                format!(
                    "{}: {}",
                    hover::x_name(&self.x_label, x[i]),
                    parts.join("; ")
                )
            });
        }
        Ok(())
    }
}
