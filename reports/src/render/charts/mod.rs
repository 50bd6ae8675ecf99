//! Charts with plotters, rendered both as SVG (inlined in the HTML report) and PNG.
//!
//! Text uses DejaVu Sans, embedded in the binary and registered with plotters' `ab_glyph`
//! renderer, so PNGs render the same on machines without system fonts.

use std::path::Path;
use std::sync::Once;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::render::charts;
use crate::render::format;
use crate::render::tables::VariantRuns;

pub mod energy;
pub mod fleet;
pub mod money;
pub mod risk;

/// A labelled, coloured line: `(label, colour, (x, y) points)`.
pub type Curve = (String, RGBColor, Vec<(f64, f64)>);
/// A labelled, coloured band: `(label, colour, low, middle, high)` per x.
pub type BandSeries = (String, RGBColor, Vec<f64>, Vec<f64>, Vec<f64>);

/// Width and height of every chart, pixels.
pub const SIZE: (u32, u32) = (960, 540);
/// Font family name registered for charts.
pub const FONT: &str = "sans-serif";

/// Series colours (colour-blind-safe palette, Okabe and Ito).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(86, 180, 233),
    RGBColor(204, 121, 167),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

static FONTS: Once = Once::new();

fn register_fonts() {
    FONTS.call_once(|| {
        // The embedded fonts are valid TrueType files; a failure here would be a build defect.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// A chart that can draw itself on any plotters backend.
pub trait Plot {
    /// File stem, e.g. `cumulative_cash`.
    fn name(&self) -> &str;
    /// Chart title.
    fn title(&self) -> &str;
    /// Draw onto `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// A rendered chart.
#[derive(Clone, Debug)]
pub struct RenderedChart {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// The SVG document.
    pub svg: String,
}

/// Render a chart to `<dir>/<name>.svg` and `<dir>/<name>.png`.
pub fn render<P: Plot>(plot: &P, dir: &Path) -> Result<RenderedChart> {
    register_fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        plot.draw(&root)
            .map_err(|e| anyhow!("drawing {} (svg): {e}", plot.name()))?;
        root.present()
            .map_err(|e| anyhow!("finishing {} (svg): {e}", plot.name()))?;
    }
    std::fs::write(dir.join(format!("{}.svg", plot.name())), &svg)?;
    let png = dir.join(format!("{}.png", plot.name()));
    {
        let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
        plot.draw(&root)
            .map_err(|e| anyhow!("drawing {} (png): {e}", plot.name()))?;
        root.present()
            .map_err(|e| anyhow!("writing {}: {e}", png.display()))?;
    }
    Ok(RenderedChart {
        name: plot.name().to_string(),
        title: plot.title().to_string(),
        svg,
    })
}

fn e<E: std::fmt::Display>(err: E) -> String {
    err.to_string()
}

/// Percentile bands of a quantity over time.
#[derive(Clone, Debug, Default)]
pub struct Bands {
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
    pub fn from_samples(x: Vec<f64>, samples: &[Vec<f64>]) -> Bands {
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

/// How the y axis of a chart is labelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YFormat {
    /// Money in $M (values are USD).
    MillionsUsd,
    /// A fraction shown in percent.
    Percent,
    /// A plain number.
    Plain,
}

impl YFormat {
    /// A value (in the data's own unit) as text for a legend: `-$90.6M`, `12.5 %`, `1.27`.
    fn text(self, raw: f64) -> String {
        match self {
            YFormat::MillionsUsd => format::money(raw),
            YFormat::Percent => format::percent(raw),
            YFormat::Plain => format::significant(raw, 3),
        }
    }

    fn scale(self) -> f64 {
        match self {
            YFormat::MillionsUsd => 1e-6,
            YFormat::Percent => 100.0,
            YFormat::Plain => 1.0,
        }
    }
}

/// A fan chart: P5-P95 and P25-P75 bands with the median line.
#[derive(Clone, Debug)]
pub struct FanChart {
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
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo).abs() * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

/// An x-y chart in the house style: title, margins, axis descriptions and tick labels sized to
/// the axis spans, no minor grid.
fn xy_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 24).into_font())
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .x_label_formatter(&|v| format::tick(*v, x1 - x0))
        .y_label_formatter(&|v| format::tick(*v, y1 - y0))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(e)?;
    Ok(chart)
}

/// The legend of the series drawn so far, on a translucent white box at `position`.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    font_size: u32,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, font_size))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(e)
}

impl Plot for FanChart {
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
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
        let mut chart = xy_chart(
            root,
            &self.title,
            &self.x_label,
            &self.y_label,
            (x0, x1),
            (y0, y1),
        )?;
        let c = PALETTE[0];
        let band = |lo: &[f64], hi: &[f64]| -> Vec<(f64, f64)> {
            b.x.iter()
                .zip(hi)
                .map(|(x, y)| (*x, y * k))
                .chain(b.x.iter().zip(lo).rev().map(|(x, y)| (*x, y * k)))
                .collect()
        };
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(&b.p5, &b.p95),
                c.mix(0.18).filled(),
            )))
            .map_err(e)?
            .label("P5-P95")
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 18, y + 6)], c.mix(0.18).filled())
            });
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(&b.p25, &b.p75),
                c.mix(0.40).filled(),
            )))
            .map_err(e)?
            .label("P25-P75")
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 18, y + 6)], c.mix(0.40).filled())
            });
        chart
            .draw_series(LineSeries::new(
                b.x.iter().zip(&b.p50).map(|(x, y)| (*x, y * k)),
                c.stroke_width(3),
            ))
            .map_err(e)?
            .label("P50 (median)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
        if self.zero_line && y0 < 0.0 && y1 > 0.0 {
            chart
                .draw_series(LineSeries::new(
                    [(x0, 0.0), (x1, 0.0)],
                    BLACK.mix(0.6).stroke_width(1),
                ))
                .map_err(e)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 15)?;
        Ok(())
    }
}

/// A histogram with percentile markers.
#[derive(Clone, Debug)]
pub struct Histogram {
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
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
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
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 24).into_font())
            .margin(16)
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
        let c = PALETTE[0];
        chart
            .draw_series(counts.iter().enumerate().map(|(i, &n)| {
                let x0 = lo + i as f64 * width;
                Rectangle::new(
                    [(x0 + width * 0.04, 0.0), (x0 + width * 0.96, n as f64)],
                    c.mix(0.75).filled(),
                )
            }))
            .map_err(e)?
            .label("replications per bin")
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 18, y + 6)], c.mix(0.75).filled())
            });
        for (i, (label, raw)) in self.markers.iter().enumerate() {
            let x = raw * k;
            if !x.is_finite() {
                continue;
            }
            let mc = PALETTE[(i % 3) + 1];
            chart
                .draw_series(LineSeries::new([(x, 0.0), (x, y_max)], mc.stroke_width(2)))
                .map_err(e)?
                .label(format!("{label} = {}", self.x_format.text(*raw)))
                .legend(move |(px, py)| {
                    PathElement::new(vec![(px, py), (px + 18, py)], mc.stroke_width(2))
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 15)?;
        Ok(())
    }
}

/// A stacked area chart: each series is stacked on the ones before it.
#[derive(Clone, Debug)]
pub struct StackedArea {
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
}

impl Plot for StackedArea {
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
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
        // Headroom above the data for the legend, one row per entry, so it covers no data.
        let entries = (layers.len() + self.lines.len()) as f64;
        let y1 = base
            .iter()
            .copied()
            .fold(0.0, f64::max)
            .max(line_max)
            .max(1e-9)
            * (1.08 + 0.055 * entries).min(1.6);
        let mut chart = xy_chart(
            root,
            &self.title,
            &self.x_label,
            &self.y_label,
            (x0, x1),
            (0.0, y1),
        )?;
        for (label, colour, lo, hi) in layers {
            if hi.iter().zip(&lo).all(|(h, l)| (h - l).abs() < 1e-12) {
                continue;
            }
            let pts: Vec<(f64, f64)> = self
                .x
                .iter()
                .zip(&hi)
                .map(|(x, y)| (*x, *y))
                .chain(self.x.iter().zip(&lo).rev().map(|(x, y)| (*x, *y)))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(pts, colour.filled())))
                .map_err(e)?
                .label(label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 18, y + 6)], colour.filled())
                });
        }
        for (label, colour, values) in &self.lines {
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
                .map_err(e)?
                .label(label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 14)?;
        Ok(())
    }
}

/// A lighter or darker shade of a colour (`t` in -1..1; positive is lighter).
pub fn shade(c: RGBColor, t: f64) -> RGBColor {
    let f = |v: u8| -> u8 {
        let v = v as f64;
        let out = if t >= 0.0 {
            v + (255.0 - v) * t
        } else {
            v * (1.0 + t)
        };
        out.round().clamp(0.0, 255.0) as u8
    };
    RGBColor(f(c.0), f(c.1), f(c.2))
}

/// Several quantities over time, each as a P10-P90 band with its median line.
#[derive(Clone, Debug)]
pub struct MultiFan {
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
}

impl Plot for MultiFan {
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
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
        let mut chart = xy_chart(
            root,
            &self.title,
            &self.x_label,
            &self.y_label,
            (x0, x1),
            (y0, y1),
        )?;
        for (label, colour, lo, mid, hi) in &self.series {
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
                    .map_err(e)?
                    .label(format!("{label} (P50, band P10-P90)"))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3))
                    });
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
                    .map_err(e)?
                    .label(label.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                    });
            }
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 14)?;
        Ok(())
    }
}

/// P10, P50 and P90 of per-x samples.
pub fn p10_p50_p90(samples: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
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

/// A cash-flow waterfall: each step adds to (or takes from) a running total; total steps are
/// drawn from zero.
#[derive(Clone, Debug)]
pub struct Waterfall {
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
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
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
        let n = bars.len();
        let labels: Vec<String> = bars.iter().map(|(l, ..)| l.clone()).collect();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 24).into_font())
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), y0..y1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .y_desc(&self.y_label)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 17))
            .x_labels(n)
            .x_label_formatter(&|v| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                    labels[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| format::tick(*v, y1 - y0))
            .disable_x_mesh()
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
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
        chart
            .draw_series(LineSeries::new(
                [(-0.5, 0.0), (n as f64 - 0.5, 0.0)],
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(e)?;
        Ok(())
    }
}

/// Lines over a numeric axis, with optional vertical reference lines.
#[derive(Clone, Debug)]
pub struct Lines {
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
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
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
        let mut chart = xy_chart(
            root,
            &self.title,
            &self.x_label,
            &self.y_label,
            (x0, x1),
            (y0, y1),
        )?;
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
            let c = *colour;
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|(x, y)| (*x, y * k)),
                    c.stroke_width(3),
                ))
                .map_err(e)?
                .label(label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3))
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight, 14)?;
        Ok(())
    }
}

/// Stacked bars by category; positive values stack up from zero, negative values down.
#[derive(Clone, Debug)]
pub struct StackedBars {
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
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
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
        let labels = self.categories.clone();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 24).into_font())
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(-0.5f64..(n.max(1) as f64 - 0.5), y0..y1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .y_desc(&self.y_label)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 17))
            .x_labels(n.max(1))
            .x_label_formatter(&|v| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                    labels[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| format::tick(*v, y1 - y0))
            .disable_x_mesh()
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        for (si, (label, colour, _)) in self.series.iter().enumerate() {
            let c = *colour;
            let mine: Vec<_> = rects.iter().filter(|r| r.0 == si).collect();
            if mine.is_empty() {
                continue;
            }
            chart
                .draw_series(mine.iter().map(|(_, i, a, b, c)| {
                    let x = *i as f64;
                    Rectangle::new([(x - 0.35, *a), (x + 0.35, *b)], c.filled())
                }))
                .map_err(e)?
                .label(label.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], c.filled()));
        }
        chart
            .draw_series(LineSeries::new(
                [(-0.5, 0.0), (n as f64 - 0.5, 0.0)],
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(e)?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;
        Ok(())
    }
}

/// Two quantities over the same x axis with separate y axes (left and right).
#[derive(Clone, Debug)]
pub struct DualAxis {
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
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let all = |s: &Vec<Curve>| s.iter().flat_map(|(_, _, p)| p.clone()).collect::<Vec<_>>();
        let (l, r) = (all(&self.left), all(&self.right));
        let (x0, x1) = bounds(l.iter().chain(&r).map(|p| p.0));
        let (ly0, ly1) = bounds(l.iter().map(|p| p.1));
        let (ry0, ry1) = bounds(r.iter().map(|p| p.1));
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 24).into_font())
            .margin(16)
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
        for (label, colour, points) in &self.left {
            let c = *colour;
            chart
                .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
                .map_err(e)?
                .label(label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
        }
        for (label, colour, points) in &self.right {
            let c = *colour;
            chart
                .draw_secondary_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
                .map_err(e)?
                .label(label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 14)?;
        Ok(())
    }
}

/// Pixel size of `text` at `size` on `area`.
fn text_size<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    size: u32,
) -> Result<(u32, u32), String> {
    let style: TextStyle = (FONT, size).into_font().into();
    area.estimate_text_size(text, &style).map_err(e)
}

/// Category labels shortened with an ellipsis to at most `max_px` pixels; returns them and the widest width.
fn fit_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[String],
    size: u32,
    max_px: u32,
) -> Result<(Vec<String>, u32), String> {
    let mut out = Vec::with_capacity(labels.len());
    let mut widest = 0;
    for label in labels {
        let mut s = label.clone();
        let mut w = text_size(area, &s, size)?.0;
        let chars: Vec<char> = label.chars().collect();
        let mut keep = chars.len();
        while w > max_px && keep > 1 {
            keep -= 1;
            s = format!("{}…", chars[..keep].iter().collect::<String>().trim_end());
            w = text_size(area, &s, size)?.0;
        }
        widest = widest.max(w);
        out.push(s);
    }
    Ok((out, widest))
}

/// Font size for `n` category labels stacked on the left axis.
fn category_font(n: usize) -> u32 {
    match n {
        0..=12 => 14,
        13..=18 => 13,
        _ => 12,
    }
}

/// The pixel corners of a box around text of size `(w, h)` drawn at `offset` with `anchor`, plus a
/// small padding.
fn text_box((dx, dy): (i32, i32), anchor: Pos, (w, h): (u32, u32)) -> [(i32, i32); 2] {
    let (w, h, p) = (w as i32, h as i32, 3);
    let x = match anchor.h_pos {
        HPos::Left => dx,
        HPos::Right => dx - w,
        HPos::Center => dx - w / 2,
    };
    let y = match anchor.v_pos {
        VPos::Top => dy,
        VPos::Bottom => dy - h,
        VPos::Center => dy - h / 2,
    };
    [(x - p, y - p), (x + w + p, y + h + p)]
}

/// A legend key drawn in a [`key_line`].
#[derive(Clone, Copy, Debug)]
enum Key {
    /// A filled box with an outline.
    Box(RGBAColor, RGBColor),
    /// A vertical line.
    VLine(RGBColor, u32),
    /// A horizontal line with end caps.
    Whisker(RGBColor),
    /// A filled diamond.
    Diamond(RGBColor),
}

/// Draw `title` where `ChartBuilder::caption` with margin 16 puts it, and under it one centred line
/// of legend keys with their labels; returns the area left for the chart. Keeping the legend out of
/// the plotting area means it never hides data.
fn title_and_key_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    keys: &[(Key, &str)],
) -> Result<DrawingArea<DB, Shift>, String> {
    const SIZE: u32 = 14;
    const KEY_W: i32 = 18;
    const GAP: i32 = 6;
    const SPACING: i32 = 26;
    const LINE_H: i32 = 22;
    let body = root
        .margin(16, 16, 16, 16)
        .titled(title, (FONT, 24).into_font())
        .map_err(e)?;
    let widths: Vec<i32> = keys
        .iter()
        .map(|(_, label)| text_size(&body, label, SIZE).map(|(w, _)| w as i32))
        .collect::<Result<_, _>>()?;
    let total: i32 = widths.iter().map(|w| KEY_W + GAP + w).sum::<i32>()
        + SPACING * (keys.len() as i32 - 1).max(0);
    let mut x = (body.dim_in_pixel().0 as i32 - total).max(0) / 2;
    let y = LINE_H / 2 - 2;
    let style = TextStyle::from((FONT, SIZE).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for ((key, label), w) in keys.iter().zip(&widths) {
        match *key {
            Key::Box(fill, line) => {
                body.draw(&Rectangle::new(
                    [(x, y - 6), (x + KEY_W, y + 6)],
                    fill.filled(),
                ))
                .map_err(e)?;
                body.draw(&Rectangle::new(
                    [(x, y - 6), (x + KEY_W, y + 6)],
                    line.stroke_width(1),
                ))
                .map_err(e)?;
            }
            Key::VLine(c, width) => body
                .draw(&PathElement::new(
                    vec![(x + KEY_W / 2, y - 7), (x + KEY_W / 2, y + 7)],
                    c.stroke_width(width),
                ))
                .map_err(e)?,
            Key::Whisker(c) => {
                body.draw(&PathElement::new(
                    vec![(x, y), (x + KEY_W, y)],
                    c.stroke_width(1),
                ))
                .map_err(e)?;
                body.draw(&PathElement::new(
                    vec![(x, y - 4), (x, y + 4)],
                    c.stroke_width(1),
                ))
                .map_err(e)?;
                body.draw(&PathElement::new(
                    vec![(x + KEY_W, y - 4), (x + KEY_W, y + 4)],
                    c.stroke_width(1),
                ))
                .map_err(e)?;
            }
            Key::Diamond(c) => {
                let m = x + KEY_W / 2;
                body.draw(&Polygon::new(
                    vec![(m, y - 6), (m + 6, y), (m, y + 6), (m - 6, y)],
                    c.filled(),
                ))
                .map_err(e)?;
            }
        }
        body.draw_text(label, &style, (x + KEY_W + GAP, y))
            .map_err(e)?;
        x += KEY_W + GAP + w + SPACING;
    }
    Ok(body.margin(LINE_H + 4, 0, 0, 0))
}

type Chart2d<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// A chart with numbers along x and one row per category along y, the first category at the top
/// (row `i` sits at y = `labels.len() - 1 - i`). Draws the mesh; the caller draws the rows.
fn category_rows_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    labels: &[String],
    (x0, x1): (f64, f64),
    x_desc: &str,
) -> Result<Chart2d<'a, DB>, String> {
    let n = labels.len();
    let size = category_font(n);
    let max_px = (area.dim_in_pixel().0 as f64 * 0.4) as u32;
    let (labels, widest) = fit_labels(area, labels, size, max_px)?;
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(48)
        .y_label_area_size((widest + 20).max(72))
        .build_cartesian_2d(x0..x1, -0.5f64..(n.max(1) as f64 - 0.5))
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .x_label_style((FONT, 15))
        .y_label_style((FONT, size))
        .axis_desc_style((FONT, 17))
        .y_labels(n.max(1))
        .x_label_formatter(&|v| format::tick(*v, x1 - x0))
        .y_label_formatter(&|v| {
            let r = v.round();
            if (v - r).abs() > 1e-6 || r < 0.0 || r as usize >= n {
                return String::new();
            }
            labels[n - 1 - r as usize].clone()
        })
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(e)?;
    Ok(chart)
}

/// Pixel height of one row of a [`category_rows_chart`] with `n` rows.
fn row_px<DB: DrawingBackend>(chart: &Chart2d<'_, DB>, n: usize) -> f64 {
    chart.plotting_area().dim_in_pixel().1 as f64 / n.max(1) as f64
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
        Some(BoxStats {
            p10: q(0.10),
            p25: q(0.25),
            p50: q(0.50),
            p75: q(0.75),
            p90: q(0.90),
            mean: v.iter().sum::<f64>() / v.len() as f64,
        })
    }
}

/// One horizontal box per group, groups listed top to bottom with their names on the left: the box
/// spans P25-P75, a black line marks the median, whiskers reach P10 and P90, and a diamond marks
/// the mean. A key under the title says so.
#[derive(Clone, Debug)]
pub struct BoxPlot {
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
    /// Draw a line at zero.
    pub zero_line: bool,
}

impl Plot for BoxPlot {
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let k = self.y_format.scale();
        let stats: Vec<Option<BoxStats>> = self
            .groups
            .iter()
            .map(|(_, v)| BoxStats::of(v, k))
            .collect();
        let mut all: Vec<f64> = stats
            .iter()
            .flatten()
            .flat_map(|s| [s.p10, s.p90, s.mean])
            .collect();
        if self.zero_line {
            all.push(0.0);
        }
        let (x0, x1) = bounds(all.into_iter());
        let (c, whisker, mean_c) = (PALETTE[0], BLACK.mix(0.7), PALETTE[3]);
        let keys = [
            (Key::Box(c.mix(0.45), c), "box: P25–P75"),
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
        chart
            .draw_series(rows.iter().map(|(y, s)| {
                EmptyElement::at((s.mean, *y))
                    + Polygon::new(vec![(0, -d), (d, 0), (0, d), (-d, 0)], mean_c.filled())
            }))
            .map_err(e)?;
        Ok(())
    }
}

/// One input's effect in a [`Tornado`] chart: the output with this input at its P10 and at its P90,
/// every other input at its P50.
#[derive(Clone, Debug)]
pub struct TornadoBar {
    /// Input name.
    pub label: String,
    /// The input's low value as text, e.g. `$1.80`, written at the end of its bar (may be empty).
    pub low_input: String,
    /// The input's high value as text.
    pub high_input: String,
    /// Output with the input at its P10 (unscaled).
    pub at_low: f64,
    /// Output with the input at its P90 (unscaled).
    pub at_high: f64,
}

impl TornadoBar {
    /// `|at_high - at_low|`, or the distance of the one finite end from `base`; 0 if neither is finite.
    fn swing(&self, base: f64) -> f64 {
        match (self.at_low.is_finite(), self.at_high.is_finite()) {
            (true, true) => (self.at_high - self.at_low).abs(),
            (true, false) if base.is_finite() => (self.at_low - base).abs(),
            (false, true) if base.is_finite() => (self.at_high - base).abs(),
            _ => 0.0,
        }
    }
}

/// A tornado chart: one horizontal row per input, largest swing at the top, with bars from the base
/// output to the output at the input's P10 and at its P90.
#[derive(Clone, Debug)]
pub struct Tornado {
    /// File stem.
    pub name: String,
    /// Title (a suffix is added on the chart when bars are left out).
    pub title: String,
    /// Output-axis label (with unit); the axis is horizontal.
    pub x_label: String,
    /// Output scaling.
    pub x_format: YFormat,
    /// Output with every input at its P50 (unscaled).
    pub base: f64,
    /// Bars in any order; they are sorted by swing when drawn, and only the largest
    /// [`TORNADO_MAX_BARS`] are shown.
    pub bars: Vec<TornadoBar>,
}

/// The most bars a [`Tornado`] chart shows.
pub const TORNADO_MAX_BARS: usize = 15;

impl Tornado {
    /// The bars drawn, largest swing first, and the title with a suffix if some were left out.
    fn shown(&self) -> (Vec<&TornadoBar>, String) {
        let mut bars: Vec<&TornadoBar> = self.bars.iter().collect();
        bars.sort_by(|a, b| b.swing(self.base).total_cmp(&a.swing(self.base)));
        let n = bars.len();
        bars.truncate(TORNADO_MAX_BARS);
        let title = if n > TORNADO_MAX_BARS {
            format!("{} ({TORNADO_MAX_BARS} largest of {n})", self.title)
        } else {
            self.title.clone()
        };
        (bars, title)
    }
}

impl Plot for Tornado {
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let k = self.x_format.scale();
        let base = self.base * k;
        let (bars, title) = self.shown();
        let n = bars.len();
        let (lo, hi) = bounds(
            bars.iter()
                .flat_map(|b| [b.at_low * k, b.at_high * k])
                .chain(std::iter::once(base)),
        );
        // Room for the input values written past the bar ends.
        let pad = (hi - lo) * 0.12;
        let (x0, x1) = (lo - pad, hi + pad);
        let (low_c, high_c) = (PALETTE[0], PALETTE[1]);
        let base_label = if base.is_finite() {
            format!("base (all inputs at P50) = {}", format::tick(base, x1 - x0))
        } else {
            "base (all inputs at P50) = n/a".to_string()
        };
        let keys = [
            (Key::Box(low_c.to_rgba(), low_c), "input at P10"),
            (Key::Box(high_c.to_rgba(), high_c), "input at P90"),
            (Key::VLine(BLACK, 2), base_label.as_str()),
        ];
        let body = title_and_key_line(root, &title, &keys)?;
        let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
        let mut chart = category_rows_chart(&body, &labels, (x0, x1), &self.x_label)?;
        let full = 0.36f64.min(18.0 / row_px(&chart, n));
        let text_colour = BLACK.mix(0.85);
        let text_style = |anchor: HPos| {
            TextStyle::from((FONT, 13).into_font())
                .color(&text_colour)
                .pos(Pos::new(anchor, VPos::Center))
        };
        if base.is_finite() {
            for (i, b) in bars.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let mut ends: Vec<(f64, RGBColor, &str)> = [
                    (b.at_low * k, low_c, b.low_input.as_str()),
                    (b.at_high * k, high_c, b.high_input.as_str()),
                ]
                .into_iter()
                .filter(|(v, ..)| v.is_finite())
                .collect();
                // The longer bar first, so a shorter one on the same side stays visible on top of it.
                ends.sort_by(|a, b| (b.0 - base).abs().total_cmp(&(a.0 - base).abs()));
                let first_side = ends.first().map(|(v, ..)| *v >= base);
                for (j, (v, c, text)) in ends.iter().enumerate() {
                    let h = if j > 0 && first_side == Some(*v >= base) {
                        full * 0.55
                    } else {
                        full
                    };
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(base, y - h), (*v, y + h)],
                            c.filled(),
                        )))
                        .map_err(e)?;
                    if !text.is_empty() {
                        let (dx, anchor) = if *v >= base {
                            (5, HPos::Left)
                        } else {
                            (-5, HPos::Right)
                        };
                        chart
                            .draw_series(std::iter::once(
                                EmptyElement::at((*v, y))
                                    + Text::new(text.to_string(), (dx, 0), text_style(anchor)),
                            ))
                            .map_err(e)?;
                    }
                }
            }
            chart
                .draw_series(LineSeries::new(
                    [(base, -0.5), (base, n.max(1) as f64 - 0.5)],
                    BLACK.stroke_width(2),
                ))
                .map_err(e)?;
        }
        Ok(())
    }
}

/// Points per series, with an optional frontier line, one highlighted point and dashed reference
/// lines (e.g. constraint thresholds).
#[derive(Clone, Debug)]
pub struct Scatter {
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

/// The legend corner of a chart spanning `x` by `y` with the fewest of `points` near it.
fn emptiest_corner(
    points: &[(f64, f64)],
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> SeriesLabelPosition {
    let (fx, fy) = ((x1 - x0) * 0.4, (y1 - y0) * 0.35);
    let count = |left: bool, top: bool| {
        points
            .iter()
            .filter(|(x, y)| {
                (if left { *x <= x0 + fx } else { *x >= x1 - fx })
                    && (if top { *y >= y1 - fy } else { *y <= y0 + fy })
            })
            .count()
    };
    let corners = [
        (count(true, true), SeriesLabelPosition::UpperLeft),
        (count(false, true), SeriesLabelPosition::UpperRight),
        (count(false, false), SeriesLabelPosition::LowerRight),
        (count(true, false), SeriesLabelPosition::LowerLeft),
    ];
    corners
        .into_iter()
        .min_by_key(|(n, _)| *n)
        .map(|(_, p)| p)
        .unwrap_or(SeriesLabelPosition::UpperRight)
}

impl Plot for Scatter {
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
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
        let mut chart = xy_chart(
            root,
            &self.title,
            &self.x_label,
            &self.y_label,
            (x0, x1),
            (y0, y1),
        )?;
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
        let mut legend = false;
        for (label, c, pts) in &series {
            let c = *c;
            chart
                .draw_series(pts.iter().map(|p| Circle::new(*p, 4, c.mix(0.8).filled())))
                .map_err(e)?
                .label(label.to_string())
                .legend(move |(x, y)| Circle::new((x + 9, y), 4, c.mix(0.8).filled()));
            legend = true;
        }
        if !frontier.is_empty() {
            let fc = PALETTE[7];
            chart
                .draw_series(LineSeries::new(
                    frontier.iter().copied(),
                    fc.stroke_width(2),
                ))
                .map_err(e)?
                .label("frontier")
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], fc.stroke_width(2))
                });
            legend = true;
        }
        // Reference-line labels over the points, on a light backdrop.
        let mark_colour = BLACK.mix(0.8);
        let backdrop = WHITE.mix(0.85).filled();
        for (label, x) in &x_marks {
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
        for (label, y) in &y_marks {
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
                .map_err(e)?
                .label(label.to_string())
                .legend(move |(x, y)| Circle::new((x + 9, y), 6, hc.stroke_width(2)));
            legend = true;
        }
        if legend {
            draw_legend(&mut chart, emptiest_corner(&points, (x0, x1), (y0, y1)), 14)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system temp folder, unique to this process and call.
    fn temp_dir(tag: &str) -> std::path::PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let i = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("dcplan-charts-{}-{i}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Render to SVG and PNG in a temp folder; check both files exist and return the SVG.
    fn render_checked<P: Plot>(plot: &P) -> String {
        let dir = temp_dir(plot.name());
        let chart = render(plot, &dir).unwrap();
        let svg = std::fs::read_to_string(dir.join(format!("{}.svg", plot.name()))).unwrap();
        assert_eq!(svg, chart.svg);
        assert!(
            std::fs::metadata(dir.join(format!("{}.png", plot.name())))
                .unwrap()
                .len()
                > 1000
        );
        std::fs::remove_dir_all(&dir).unwrap();
        svg
    }

    /// SVG only, for many quick renders.
    fn svg_only<P: Plot>(plot: &P) -> String {
        register_fonts();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            plot.draw(&root).unwrap();
            root.present().unwrap();
        }
        svg
    }

    fn count(svg: &str, tag: &str) -> usize {
        svg.matches(tag).count()
    }

    /// Whether the SVG has a `<text>` element whose content is exactly `text`.
    fn has_text(svg: &str, text: &str) -> bool {
        svg.contains(&format!(">\n{text}\n</text>"))
    }

    /// The y position of the `<text>` element whose content is exactly `text`.
    fn text_y(svg: &str, text: &str) -> f64 {
        let end = svg
            .find(&format!(">\n{text}\n</text>"))
            .unwrap_or_else(|| panic!("no text {text}"));
        let start = svg[..end].rfind("<text").unwrap();
        let tag = &svg[start..end];
        let y = tag.find(" y=\"").unwrap() + 4;
        tag[y..y + tag[y..].find('"').unwrap()].parse().unwrap()
    }

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

    fn box_plot(groups: Vec<(String, Vec<f64>)>) -> BoxPlot {
        BoxPlot {
            name: "test_box".into(),
            title: "NPV by variant".into(),
            y_label: "NPV ($M)".into(),
            y_format: YFormat::MillionsUsd,
            groups,
            zero_line: true,
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
        // Background, the key's box and its outline, then a box and its outline per group with values.
        assert_eq!(count(&svg, "<rect"), 1 + 2 + 2 * 3);
        // The key's diamond, then one mean diamond per group with values.
        assert_eq!(count(&svg, "<polygon"), 1 + 3);
        // The first group is drawn at the top.
        assert!(text_y(&svg, &groups[0].0) < text_y(&svg, &groups[1].0));
        assert!(text_y(&svg, &groups[1].0) < text_y(&svg, &groups[4].0));
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
        assert_eq!(count(&svg, "<rect"), 1 + 2);
    }

    fn tornado(bars: Vec<TornadoBar>) -> Tornado {
        Tornado {
            name: "test_tornado".into(),
            title: "NPV sensitivity".into(),
            x_label: "NPV ($M)".into(),
            x_format: YFormat::MillionsUsd,
            base: 100e6,
            bars,
        }
    }

    fn bar(i: usize, swing: f64) -> TornadoBar {
        TornadoBar {
            label: format!("input {i:02}"),
            low_input: format!("${:.2}", 1.0 + i as f64 * 0.1),
            high_input: format!("${:.2}", 3.0 + i as f64 * 0.1),
            at_low: 100e6 - swing * 0.6,
            at_high: 100e6 + swing * 0.4,
        }
    }

    #[test]
    fn tornado_sorts_by_swing_and_keeps_the_15_largest() {
        // Swings 1..=20 $M in a shuffled order.
        let order = [
            7, 19, 3, 12, 0, 15, 9, 1, 18, 5, 11, 2, 14, 8, 17, 4, 10, 13, 6, 16,
        ];
        let t = tornado(
            order
                .iter()
                .map(|&i| bar(i, (i + 1) as f64 * 1e6))
                .collect(),
        );
        let (shown, title) = t.shown();
        assert_eq!(title, "NPV sensitivity (15 largest of 20)");
        let labels: Vec<&str> = shown.iter().map(|b| b.label.as_str()).collect();
        let expected: Vec<String> = (5..20).rev().map(|i| format!("input {i:02}")).collect();
        assert_eq!(labels, expected);

        let svg = render_checked(&t);
        assert!(svg.contains("NPV sensitivity (15 largest of 20)"));
        assert!(
            svg.contains("input at P10")
                && svg.contains("input at P90")
                && svg.contains("base (all inputs at P50)")
        );
        for i in 5..20 {
            assert!(has_text(&svg, &format!("input {i:02}")));
            assert!(has_text(&svg, &format!("${:.2}", 1.0 + i as f64 * 0.1)));
        }
        for i in 0..5 {
            assert!(!has_text(&svg, &format!("input {i:02}")));
        }
        // Largest swing on top.
        assert!(text_y(&svg, "input 19") < text_y(&svg, "input 18"));
        assert!(text_y(&svg, "input 06") < text_y(&svg, "input 05"));
        // Background, two key boxes with outlines, two bars per input.
        assert_eq!(count(&svg, "<rect"), 1 + 4 + 2 * 15);
    }

    #[test]
    fn tornado_skips_non_finite_ends() {
        let mut a = bar(0, 5e6);
        a.at_high = f64::NAN;
        let mut b = bar(1, 1e6);
        b.at_low = f64::INFINITY;
        b.at_high = f64::NAN;
        let c = bar(2, 2e6);
        let t = tornado(vec![b, c, a]);
        let (shown, title) = t.shown();
        assert_eq!(title, "NPV sensitivity");
        assert_eq!(
            shown.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(),
            ["input 00", "input 02", "input 01"]
        );
        let svg = render_checked(&t);
        assert!(has_text(&svg, "input 01"));
        // Background, two key boxes with outlines, then one bar for input 00, none for 01, two for 02.
        assert_eq!(count(&svg, "<rect"), 1 + 4 + 3);
    }

    #[test]
    fn tornado_without_bars() {
        let svg = render_checked(&tornado(vec![]));
        assert!(svg.contains("NPV sensitivity"));
        let mut t = tornado(vec![bar(0, 1e6)]);
        t.base = f64::NAN;
        let svg = render_checked(&t);
        assert!(has_text(&svg, "input 00"));
    }

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

    #[test]
    fn legend_goes_to_the_emptiest_corner() {
        let pts: Vec<(f64, f64)> = (0..10)
            .map(|i| (9.0 + i as f64 * 0.1, 9.0 + i as f64 * 0.1))
            .chain([(0.5, 0.5), (9.5, 0.5)])
            .collect();
        assert!(matches!(
            emptiest_corner(&pts, (0.0, 10.0), (0.0, 10.0)),
            SeriesLabelPosition::UpperLeft
        ));
        assert!(matches!(
            emptiest_corner(&[], (0.0, 1.0), (0.0, 1.0)),
            SeriesLabelPosition::UpperLeft
        ));
    }
}

// The chart sets of the folders.

/// Report blocks of rendered charts (the SVG inline, the PNG beside it).
pub(crate) fn blocks(charts: &[RenderedChart]) -> Vec<crate::render::doc::Block> {
    charts
        .iter()
        .map(|c| crate::render::doc::Block::Chart {
            title: c.title.clone(),
            svg: c.svg.clone(),
            png: format!("{}.png", c.name),
        })
        .collect()
}

/// The charts of a single-variant run.
pub fn run_charts(v: &VariantRuns, dir: &Path) -> Result<Vec<RenderedChart>> {
    let mut out = vec![
        charts::render(&money::cash_chart(v), dir)?,
        charts::render(&risk::npv_histogram(v), dir)?,
        charts::render(&fleet::utilization_chart(v), dir)?,
        charts::render(&money::revenue_chart(v), dir)?,
        charts::render(&money::revenue_opex_chart(v), dir)?,
        charts::render(&money::price_chart(v), dir)?,
        charts::render(&fleet::fleet_chart(v), dir)?,
        charts::render(&money::waterfall_chart(v), dir)?,
        charts::render(&risk::payback_cdf_chart(std::slice::from_ref(v)), dir)?,
        charts::render(&money::debt_chart(v), dir)?,
        charts::render(
            &energy::energy_breakdown_chart(std::slice::from_ref(v)),
            dir,
        )?,
    ];
    if let Some(c) = energy::pue_temperature_chart(std::slice::from_ref(v)) {
        out.push(charts::render(&c, dir)?);
    }
    Ok(out)
}

/// The charts of a comparison of variants.
pub fn comparison_charts(variants: &[VariantRuns], dir: &Path) -> Result<Vec<RenderedChart>> {
    let mut out = vec![
        charts::render(&risk::npv_boxplot(variants), dir)?,
        charts::render(&risk::payback_boxplot(variants), dir)?,
        charts::render(&risk::payback_cdf_chart(variants), dir)?,
        charts::render(&risk::npv_distribution_chart(variants), dir)?,
        charts::render(&energy::energy_breakdown_chart(variants), dir)?,
    ];
    if let Some(c) = energy::pue_temperature_chart(variants) {
        out.push(charts::render(&c, dir)?);
    }
    Ok(out)
}

/// Per-month samples (one value per replication) of a monthly column.
pub(crate) fn monthly_samples(
    v: &VariantRuns,
    f: impl Fn(&dcplan_sim::MonthRow) -> f64,
) -> Vec<Vec<f64>> {
    let reps = &v.output.replications;
    let horizon = reps.iter().map(|r| r.months.len()).max().unwrap_or(0);
    (0..horizon)
        .map(|m| {
            reps.iter()
                .filter_map(|r| r.months.get(m).map(&f))
                .collect()
        })
        .collect()
}

/// Month numbers 1..=horizon, the x axis of monthly charts.
pub(crate) fn months_axis(v: &VariantRuns) -> Vec<f64> {
    let horizon = v
        .output
        .replications
        .iter()
        .map(|r| r.months.len())
        .max()
        .unwrap_or(0);
    (1..=horizon).map(|m| m as f64).collect()
}
