//! Charts with plotters, rendered both as SVG (inlined in the HTML report) and PNG.
//!
//! Text uses DejaVu Sans, embedded in the binary and registered with plotters' `ab_glyph`
//! renderer, so PNGs render the same on machines without system fonts.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::render::charts;
use crate::render::tables::VariantRuns;
use style::register_fonts;

/// The `name` and `title` methods of a [`Plot`] whose struct has `name` and `title` fields.
macro_rules! plot_name_title {
    () => {
        fn name(&self) -> &str {
            &self.name
        }
        fn title(&self) -> &str {
            &self.title
        }
    };
}

mod area;
pub(crate) mod decisions;
mod distribution;
pub(crate) mod energy;
mod fan;
pub(crate) mod fleet;
mod lines;
pub(crate) mod money;
pub(crate) mod optimize;
pub(crate) mod risk;
pub(crate) mod sensitivity;
mod style;

pub(crate) use area::{StackedArea, StackedBars};
pub(crate) use distribution::{BoxPlot, Histogram};
pub(crate) use fan::{Bands, FanChart, MultiFan, p10_p50_p90};
pub(crate) use lines::{DualAxis, Lines};
pub(crate) use money::Waterfall;
pub(crate) use optimize::Scatter;
pub(crate) use sensitivity::{Tornado, TornadoBar};
pub(crate) use style::{PALETTE, SIZE, YFormat, shade};

/// A labelled, coloured line: `(label, colour, (x, y) points)`.
pub(crate) type Curve = (String, RGBColor, Vec<(f64, f64)>);
/// A labelled, coloured band: `(label, colour, low, middle, high)` per x.
pub(crate) type BandSeries = (String, RGBColor, Vec<f64>, Vec<f64>, Vec<f64>);

/// A chart that can draw itself on any plotters backend.
pub(crate) trait Plot {
    /// File stem, e.g. `cumulative_cash`.
    fn name(&self) -> &str;
    /// Chart title.
    fn title(&self) -> &str;
    /// Draw onto `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// A rendered chart.
#[derive(Clone, Debug)]
pub(crate) struct RenderedChart {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// The SVG document.
    pub svg: String,
}

/// Render a chart to `<dir>/<name>.svg` and `<dir>/<name>.png`.
pub(crate) fn render<P: Plot>(plot: &P, dir: &Path) -> Result<RenderedChart> {
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

/// A drawing error as text.
pub(crate) fn e<E: std::fmt::Display>(err: E) -> String {
    err.to_string()
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
pub(crate) fn run_charts(v: &VariantRuns, dir: &Path) -> Result<Vec<RenderedChart>> {
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
    out.extend(decisions::decision_charts(v, dir)?);
    Ok(out)
}

/// The charts of a comparison of variants.
pub(crate) fn comparison_charts(
    variants: &[VariantRuns],
    dir: &Path,
) -> Result<Vec<RenderedChart>> {
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

/// What the chart tests share: rendering into a temporary folder and reading the SVG.
#[cfg(test)]
pub(crate) mod test_support {
    use super::style::register_fonts;
    use super::*;

    /// A fresh folder under the system temp folder, unique to this process and call.
    pub(crate) fn temp_dir(tag: &str) -> std::path::PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let i = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("dcplan-charts-{}-{i}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Render to SVG and PNG in a temp folder; check both files exist and return the SVG.
    pub(crate) fn render_checked<P: Plot>(plot: &P) -> String {
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
    pub(crate) fn svg_only<P: Plot>(plot: &P) -> String {
        register_fonts();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            plot.draw(&root).unwrap();
            root.present().unwrap();
        }
        svg
    }

    /// How often `tag` occurs in the SVG.
    pub(crate) fn count(svg: &str, tag: &str) -> usize {
        svg.matches(tag).count()
    }

    /// Whether the SVG has a `<text>` element whose content is exactly `text`.
    pub(crate) fn has_text(svg: &str, text: &str) -> bool {
        svg.contains(&format!(">\n{text}\n</text>"))
    }

    /// The y position of the `<text>` element whose content is exactly `text`.
    pub(crate) fn text_y(svg: &str, text: &str) -> f64 {
        let end = svg
            .find(&format!(">\n{text}\n</text>"))
            .unwrap_or_else(|| panic!("no text {text}"));
        let start = svg[..end].rfind("<text").unwrap();
        let tag = &svg[start..end];
        let y = tag.find(" y=\"").unwrap() + 4;
        tag[y..y + tag[y..].find('"').unwrap()].parse().unwrap()
    }
}
