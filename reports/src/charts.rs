//! Charts with plotters, rendered both as SVG (inlined in the HTML report) and PNG.
//!
//! Text uses DejaVu Sans, embedded in the binary and registered with plotters' `ab_glyph`
//! renderer, so PNGs render the same on machines without system fonts.

use std::path::Path;
use std::sync::Once;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::format;

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
        plot.draw(&root).map_err(|e| anyhow!("drawing {} (svg): {e}", plot.name()))?;
        root.present().map_err(|e| anyhow!("finishing {} (svg): {e}", plot.name()))?;
    }
    std::fs::write(dir.join(format!("{}.svg", plot.name())), &svg)?;
    let png = dir.join(format!("{}.png", plot.name()));
    {
        let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
        plot.draw(&root).map_err(|e| anyhow!("drawing {} (png): {e}", plot.name()))?;
        root.present().map_err(|e| anyhow!("writing {}: {e}", png.display()))?;
    }
    Ok(RenderedChart { name: plot.name().to_string(), title: plot.title().to_string(), svg })
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
        let mut b = Bands { x, ..Bands::default() };
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
    let (lo, hi) = values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo).abs() * 0.05).max(1e-9);
    (lo - pad, hi + pad)
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
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 24).into_font())
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .x_label_formatter(&|v| format::tick(*v, x1 - x0))
            .y_label_formatter(&|v| format::tick(*v, y1 - y0))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        let c = PALETTE[0];
        let band = |lo: &[f64], hi: &[f64]| -> Vec<(f64, f64)> {
            b.x.iter().zip(hi).map(|(x, y)| (*x, y * k)).chain(b.x.iter().zip(lo).rev().map(|(x, y)| (*x, y * k))).collect()
        };
        chart
            .draw_series(std::iter::once(Polygon::new(band(&b.p5, &b.p95), c.mix(0.18).filled())))
            .map_err(e)?
            .label("P5-P95")
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], c.mix(0.18).filled()));
        chart
            .draw_series(std::iter::once(Polygon::new(band(&b.p25, &b.p75), c.mix(0.40).filled())))
            .map_err(e)?
            .label("P25-P75")
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], c.mix(0.40).filled()));
        chart
            .draw_series(LineSeries::new(b.x.iter().zip(&b.p50).map(|(x, y)| (*x, y * k)), c.stroke_width(3)))
            .map_err(e)?
            .label("P50 (median)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
        if self.zero_line && y0 < 0.0 && y1 > 0.0 {
            chart.draw_series(LineSeries::new([(x0, 0.0), (x1, 0.0)], BLACK.mix(0.6).stroke_width(1))).map_err(e)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(e)?;
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
        let v: Vec<f64> = self.values.iter().map(|x| x * k).filter(|x| x.is_finite()).collect();
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
                Rectangle::new([(x0 + width * 0.04, 0.0), (x0 + width * 0.96, n as f64)], c.mix(0.75).filled())
            }))
            .map_err(e)?
            .label("replications per bin")
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], c.mix(0.75).filled()));
        for (i, (label, x)) in self.markers.iter().enumerate() {
            let x = x * k;
            if !x.is_finite() {
                continue;
            }
            let mc = PALETTE[(i % 3) + 1];
            chart
                .draw_series(LineSeries::new([(x, 0.0), (x, y_max)], mc.stroke_width(2)))
                .map_err(e)?
                .label(format!("{label} = {}", format::tick(x, hi - lo)))
                .legend(move |(px, py)| PathElement::new(vec![(px, py), (px + 18, py)], mc.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, 15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(e)?;
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
        let y1 = base.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.08;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 24).into_font())
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, 0.0..y1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .x_label_formatter(&|v| format::tick(*v, x1 - x0))
            .y_label_formatter(&|v| format::tick(*v, y1))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        for (label, colour, lo, hi) in layers {
            if hi.iter().zip(&lo).all(|(h, l)| (h - l).abs() < 1e-12) {
                continue;
            }
            let pts: Vec<(f64, f64)> =
                self.x.iter().zip(&hi).map(|(x, y)| (*x, *y)).chain(self.x.iter().zip(&lo).rev().map(|(x, y)| (*x, *y))).collect();
            chart
                .draw_series(std::iter::once(Polygon::new(pts, colour.filled())))
                .map_err(e)?
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], colour.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(e)?;
        Ok(())
    }
}

/// A lighter or darker shade of a colour (`t` in -1..1; positive is lighter).
pub fn shade(c: RGBColor, t: f64) -> RGBColor {
    let f = |v: u8| -> u8 {
        let v = v as f64;
        let out = if t >= 0.0 { v + (255.0 - v) * t } else { v * (1.0 + t) };
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
    pub series: Vec<(String, RGBColor, Vec<f64>, Vec<f64>, Vec<f64>)>,
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
        let all = self.series.iter().flat_map(|(_, _, lo, mid, hi)| lo.iter().chain(mid).chain(hi)).map(|v| v * k);
        let (y0, y1) = bounds(all.chain(std::iter::once(0.0)));
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 24).into_font())
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .x_label_formatter(&|v| format::tick(*v, x1 - x0))
            .y_label_formatter(&|v| format::tick(*v, y1 - y0))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
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
                chart.draw_series(std::iter::once(Polygon::new(pts, c.mix(0.18).filled()))).map_err(e)?;
                chart
                    .draw_series(LineSeries::new(self.x.iter().zip(mid).map(|(x, y)| (*x, y * k)), c.stroke_width(3)))
                    .map_err(e)?
                    .label(format!("{label} (P50, band P10-P90)"))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
            } else {
                let pts: Vec<(f64, f64)> = self.x.iter().zip(mid).map(|(x, y)| (*x, y * k)).collect();
                chart
                    .draw_series(DashedLineSeries::new(pts, 8, 5, c.stroke_width(2)))
                    .map_err(e)?
                    .label(label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(e)?;
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
        let (y0, y1) = bounds(bars.iter().flat_map(|(_, a, b, _)| [*a, *b]).chain(std::iter::once(0.0)));
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
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() { labels[i as usize].clone() } else { String::new() }
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
                Rectangle::new([(x - 0.35, a.min(*b)), (x + 0.35, a.max(*b))], colour.filled())
            }))
            .map_err(e)?;
        chart.draw_series(LineSeries::new([(-0.5, 0.0), (n as f64 - 0.5, 0.0)], BLACK.mix(0.6).stroke_width(1))).map_err(e)?;
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
    pub series: Vec<(String, RGBColor, Vec<(f64, f64)>)>,
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
        let (x0, x1) = bounds(self.series.iter().flat_map(|(_, _, p)| p.iter().map(|(x, _)| *x)));
        let (y0, y1) = match self.y_range {
            Some((a, b)) => (a * k, b * k),
            None => bounds(self.series.iter().flat_map(|(_, _, p)| p.iter().map(|(_, y)| y * k))),
        };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 24).into_font())
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .x_label_formatter(&|v| format::tick(*v, x1 - x0))
            .y_label_formatter(&|v| format::tick(*v, y1 - y0))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        for x in &self.x_marks {
            chart.draw_series(DashedLineSeries::new([(*x, y0), (*x, y1)], 4, 4, BLACK.mix(0.4).stroke_width(1))).map_err(e)?;
        }
        for (label, colour, points) in &self.series {
            let c = *colour;
            chart
                .draw_series(LineSeries::new(points.iter().map(|(x, y)| (*x, y * k)), c.stroke_width(3)))
                .map_err(e)?
                .label(label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(e)?;
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
        let (y0, y1) = bounds(up.iter().chain(down.iter()).copied().chain(std::iter::once(0.0)));
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
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() { labels[i as usize].clone() } else { String::new() }
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
        chart.draw_series(LineSeries::new([(-0.5, 0.0), (n as f64 - 0.5, 0.0)], BLACK.mix(0.6).stroke_width(1))).map_err(e)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(e)?;
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
    pub left: Vec<(String, RGBColor, Vec<(f64, f64)>)>,
    /// `(label, colour, points)` on the right axis.
    pub right: Vec<(String, RGBColor, Vec<(f64, f64)>)>,
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
        let all = |s: &Vec<(String, RGBColor, Vec<(f64, f64)>)>| s.iter().flat_map(|(_, _, p)| p.clone()).collect::<Vec<_>>();
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
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        }
        for (label, colour, points) in &self.right {
            let c = *colour;
            chart
                .draw_secondary_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
                .map_err(e)?
                .label(label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(e)?;
        Ok(())
    }
}
