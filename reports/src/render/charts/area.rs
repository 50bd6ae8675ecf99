//! Stacked charts: areas over time and bars by category.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::annotate::{self, Marker};
use super::style::*;
use super::{Plot, e, hover};

/// A stacked area chart: each series is stacked on the ones before it.
#[derive(Clone, Debug)]
pub(crate) struct StackedArea {
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
    /// `(label, colour, values per x)`, bottom first.
    pub series: Vec<(String, RGBColor, Vec<f64>)>,
    /// `(label, colour, values per x)` drawn as lines over the stack (e.g. revenue over costs).
    pub lines: Vec<(String, RGBColor, Vec<f64>)>,
    /// y scaling.
    pub y_format: YFormat,
    /// Events marked on the x axis.
    pub markers: Vec<Marker>,
}

impl Plot for StackedArea {
    plot_name_title!();
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let k = self.y_format.scale();
        let n = self.x.len();
        let mut base = vec![0.0; n];
        let mut layers = Vec::new();
        for (label, colour, values) in &self.series {
            let top: Vec<f64> = base.iter().zip(values).map(|(b, v)| b + v * k).collect();
            layers.push((label.clone(), *colour, base.clone(), top.clone()));
            base = top;
        }
        let (x0, x1) = bounds(self.x.iter().copied());
        let line_max = self
            .lines
            .iter()
            .flat_map(|(_, _, v)| v.iter().map(|y| y * k))
            .filter(|y| y.is_finite())
            .fold(0.0, f64::max);
        let y1 = base
            .iter()
            .copied()
            .fold(0.0, f64::max)
            .max(line_max)
            .max(1e-9)
            * 1.05;
        let mut keys: Vec<(Key, &str)> = layers
            .iter()
            .filter(|(_, _, lo, hi)| hi.iter().zip(lo).any(|(h, l)| (h - l).abs() >= 1e-12))
            .map(|(label, c, ..)| (Key::Box(c.to_rgba(), c.to_rgba()), label.as_str()))
            .collect();
        keys.extend(
            self.lines
                .iter()
                .map(|(label, c, _)| (Key::Line(*c, 3), label.as_str())),
        );
        let body = title_and_key_line(root, &self.title, &keys)?;
        let y1 = annotate::headroom(&body, &self.markers, (x0, x1), (0.0, y1))?;
        let mut chart = xy_frame(&body, &self.x_label, &self.y_label, (x0, x1), (0.0, y1))?;
        for (_, colour, lo, hi) in &layers {
            if hi.iter().zip(lo.iter()).all(|(h, l)| (h - l).abs() < 1e-12) {
                continue;
            }
            let pts: Vec<(f64, f64)> = self
                .x
                .iter()
                .zip(hi)
                .map(|(x, y)| (*x, *y))
                .chain(self.x.iter().zip(lo).rev().map(|(x, y)| (*x, *y)))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(pts, colour.filled())))
                .map_err(e)?;
        }
        for (_, colour, values) in &self.lines {
            let colour = *colour;
            let pts: Vec<(f64, f64)> = self
                .x
                .iter()
                .zip(values)
                .filter(|(_, y)| y.is_finite())
                .map(|(x, y)| (*x, y * k))
                .collect();
            chart
                .draw_series(LineSeries::new(pts, colour.stroke_width(3)))
                .map_err(e)?;
        }
        annotate::draw(&body, &mut chart, &self.markers, (0.0, y1))?;
        hover::columns(&chart, &self.x, |i| {
            let parts: Vec<String> = self
                .series
                .iter()
                .chain(&self.lines)
                .filter_map(|(label, _, values)| {
                    let v = *values.get(i)?;
                    v.is_finite().then(|| {
                        format!("{label} {}", hover::value(self.y_format, v, &self.y_label))
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

/// Stacked bars by category; positive values stack up from zero, negative values down.
#[derive(Clone, Debug)]
pub(crate) struct StackedBars {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// y-axis label (with unit).
    pub y_label: String,
    /// Category labels (x axis).
    pub categories: Vec<String>,
    /// `(label, colour, value per category)`.
    pub series: Vec<(String, RGBColor, Vec<f64>)>,
    /// y scaling.
    pub y_format: YFormat,
}

impl Plot for StackedBars {
    plot_name_title!();
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let k = self.y_format.scale();
        let n = self.categories.len();
        let mut up = vec![0.0; n];
        let mut down = vec![0.0; n];
        let mut rects = Vec::new();
        for (si, (_, colour, values)) in self.series.iter().enumerate() {
            for (i, v) in values.iter().enumerate() {
                let v = v * k;
                if !v.is_finite() || v == 0.0 {
                    continue;
                }
                let (a, b) = if v > 0.0 {
                    up[i] += v;
                    (up[i] - v, up[i])
                } else {
                    down[i] += v;
                    (down[i] - v, down[i])
                };
                rects.push((si, i, a, b, *colour));
            }
        }
        let (y0, y1) = bounds(
            up.iter()
                .chain(down.iter())
                .copied()
                .chain(std::iter::once(0.0)),
        );
        let keys: Vec<(Key, &str)> = self
            .series
            .iter()
            .enumerate()
            .filter(|(si, _)| rects.iter().any(|r| r.0 == *si))
            .map(|(_, (label, c, _))| (Key::Box(c.to_rgba(), c.to_rgba()), label.as_str()))
            .collect();
        let body = title_and_key_line(root, &self.title, &keys)?;
        let mut chart =
            category_columns_chart(&body, &self.y_label, &self.categories, n.max(1), (y0, y1))?;
        for (si, i, a, b, _) in &rects {
            let (label, _, values) = &self.series[*si];
            hover::span(
                &chart,
                (*i as f64 - 0.35, *a),
                (*i as f64 + 0.35, *b),
                || {
                    format!(
                        "{} {label}: {}",
                        self.categories[*i],
                        hover::value(self.y_format, values[*i], &self.y_label)
                    )
                },
            );
        }
        for si in 0..self.series.len() {
            let mine: Vec<_> = rects.iter().filter(|r| r.0 == si).collect();
            if mine.is_empty() {
                continue;
            }
            chart
                .draw_series(mine.iter().map(|(_, i, a, b, c)| {
                    let x = *i as f64;
                    Rectangle::new([(x - 0.35, *a), (x + 0.35, *b)], c.filled())
                }))
                .map_err(e)?;
        }
        chart
            .draw_series(LineSeries::new(
                [(-0.5, 0.0), (n as f64 - 0.5, 0.0)],
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(e)?;
        Ok(())
    }
}
