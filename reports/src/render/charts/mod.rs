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

pub(crate) mod annotate;
mod area;
mod captions;
pub(crate) mod decisions;
mod distribution;
pub(crate) mod energy;
mod fan;
pub(crate) mod fleet;
pub(crate) mod hover;
mod lines;
pub(crate) mod money;
pub(crate) mod optimize;
pub(crate) mod risk;
mod scaled;
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
    /// What the reader should see in the chart (the report's caption); empty when the caller
    /// gives it with [`RenderedChart::captioned`].
    fn caption(&self) -> String {
        String::new()
    }
}

/// A rendered chart.
#[derive(Clone, Debug)]
pub(crate) struct RenderedChart {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// What the reader should see in it, one or two sentences.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
}

impl RenderedChart {
    /// The chart with `caption` as its caption.
    pub(crate) fn captioned(mut self, caption: impl Into<String>) -> RenderedChart {
        self.caption = caption.into();
        self
    }
}

/// Render a chart to `<dir>/<name>.svg` (at [`SIZE`]) and `<dir>/<name>.png` (the same layout
/// at twice the resolution, for print).
pub(crate) fn render<P: Plot>(plot: &P, dir: &Path) -> Result<RenderedChart> {
    register_fonts();
    let mut svg = String::new();
    let (drawn, targets) = hover::collect(|| {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        plot.draw(&root)
            .map_err(|e| anyhow!("drawing {} (svg): {e}", plot.name()))?;
        root.present()
            .map_err(|e| anyhow!("finishing {} (svg): {e}", plot.name()))
    });
    drawn?;
    let svg = hover::insert(&svg, &targets);
    std::fs::write(dir.join(format!("{}.svg", plot.name())), &svg)?;
    let png = dir.join(format!("{}.png", plot.name()));
    {
        let k = scaled::SCALE as u32;
        let root = scaled::Scaled {
            inner: BitMapBackend::new(&png, (SIZE.0 * k, SIZE.1 * k)),
        }
        .into_drawing_area();
        plot.draw(&root)
            .map_err(|e| anyhow!("drawing {} (png): {e}", plot.name()))?;
        root.present()
            .map_err(|e| anyhow!("writing {}: {e}", png.display()))?;
    }
    Ok(RenderedChart {
        name: plot.name().to_string(),
        title: plot.title().to_string(),
        caption: plot.caption(),
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
            caption: c.caption.clone(),
            svg: c.svg.clone(),
            png: format!("{}.png", c.name),
        })
        .collect()
}

/// The charts of a single-variant run, each with its caption.
pub(crate) fn run_charts(
    v: &VariantRuns,
    scenario: &dcplan_sim::Scenario,
    dir: &Path,
) -> Result<Vec<RenderedChart>> {
    let one = std::slice::from_ref(v);
    let cash = money::cash_chart(v, scenario);
    let prices = money::price_chart(v, scenario);
    let fleet = fleet::fleet_chart(v, scenario);
    let waterfall = money::waterfall_chart(v);
    let mut out = vec![
        charts::render(&cash, dir)?.captioned(captions::cash(&cash.bands, &cash.markers)),
        charts::render(&risk::npv_histogram(v), dir)?.captioned(captions::npv_histogram(v)),
        charts::render(&fleet::utilization_chart(v), dir)?.captioned(captions::utilization(v)),
        charts::render(&money::revenue_chart(v), dir)?.captioned(captions::revenue(v)),
        charts::render(&money::revenue_opex_chart(v), dir)?.captioned(captions::revenue_opex(v)),
        charts::render(&prices, dir)?.captioned(captions::prices(&prices.markers)),
        charts::render(&fleet, dir)?.captioned(captions::fleet(&fleet.markers)),
        charts::render(&waterfall, dir)?.captioned(captions::waterfall(&waterfall.steps)),
        charts::render(&risk::payback_cdf_chart(one), dir)?.captioned(captions::payback_cdf(v)),
        charts::render(&money::debt_chart(v), dir)?.captioned(captions::debt(v)),
        charts::render(&energy::energy_breakdown_chart(one), dir)?.captioned(captions::energy(one)),
    ];
    if let Some(c) = energy::pue_temperature_chart(one) {
        let caption = captions::pue(&c);
        out.push(charts::render(&c, dir)?.captioned(caption));
    }
    out.extend(decisions::decision_charts(v, dir)?);
    Ok(out)
}

/// The charts of a comparison of variants, each with its caption.
pub(crate) fn comparison_charts(
    variants: &[VariantRuns],
    dir: &Path,
) -> Result<Vec<RenderedChart>> {
    let mut out = vec![
        charts::render(&risk::npv_boxplot(variants), dir)?.captioned(captions::npv_boxplot()),
        charts::render(&risk::payback_boxplot(variants), dir)?
            .captioned(captions::payback_boxplot()),
        charts::render(&risk::payback_cdf_chart(variants), dir)?
            .captioned(captions::payback_cdf_comparison(variants)),
        charts::render(&risk::npv_distribution_chart(variants), dir)?
            .captioned(captions::npv_distribution()),
        charts::render(&energy::energy_breakdown_chart(variants), dir)?
            .captioned(captions::energy(variants)),
    ];
    if let Some(c) = energy::pue_temperature_chart(variants) {
        let caption = captions::pue(&c);
        out.push(charts::render(&c, dir)?.captioned(caption));
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

    /// How often `tag` occurs in the SVG's drawing (the hover targets left out).
    pub(crate) fn count(svg: &str, tag: &str) -> usize {
        drawing(svg).matches(tag).count()
    }

    /// The SVG up to its hover targets.
    pub(crate) fn drawing(svg: &str) -> &str {
        svg.split("<g class=\"hover\"").next().unwrap_or(svg)
    }

    /// The texts of the hover targets, in order.
    pub(crate) fn hover_texts(svg: &str) -> Vec<String> {
        svg.split("<title>")
            .skip(1)
            .filter_map(|t| t.split_once("</title>").map(|(a, _)| a.to_string()))
            .collect()
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

/// A check that no legend box covers plotted data, from the SVG alone.
#[cfg(test)]
pub(crate) mod legend_check {
    /// `[x0, y0, x1, y1]` in pixels.
    type Box2 = [f64; 4];

    /// The value of attribute `name` in one SVG tag.
    fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
        let key = format!(" {name}=\"");
        let i = tag.find(&key)? + key.len();
        Some(&tag[i..i + tag[i..].find('"')?])
    }

    fn num(tag: &str, name: &str) -> f64 {
        attr(tag, name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }

    fn points(tag: &str) -> Vec<(f64, f64)> {
        attr(tag, "points")
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|p| {
                let (x, y) = p.split_once(',')?;
                Some((x.parse().ok()?, y.parse().ok()?))
            })
            .collect()
    }

    /// Every element tag (`<name ...>`) of the drawing, hover targets left out.
    fn tags(svg: &str) -> Vec<(&str, &str)> {
        let drawing = svg.split("<g class=\"hover\"").next().unwrap_or(svg);
        drawing
            .split('<')
            .skip(1)
            .filter_map(|t| {
                let end = t.find('>')?;
                let tag = &t[..end];
                let name = tag.split_whitespace().next()?;
                Some((name, tag))
            })
            .collect()
    }

    /// The legend boxes: the frames drawn with a 30 % black border and no fill.
    pub(crate) fn legend_boxes(svg: &str) -> Vec<Box2> {
        tags(svg)
            .into_iter()
            .filter(|(n, t)| {
                *n == "rect"
                    && attr(t, "fill") == Some("none")
                    && attr(t, "stroke") == Some("#000000")
                    && attr(t, "opacity") == Some("0.3")
            })
            .map(|(_, t)| {
                let (x, y) = (num(t, "x"), num(t, "y"));
                [x, y, x + num(t, "width"), y + num(t, "height")]
            })
            .collect()
    }

    fn inside(b: &Box2, (x, y): (f64, f64)) -> bool {
        x > b[0] && x < b[2] && y > b[1] && y < b[3]
    }

    /// Whether the segment `a`-`b` passes through the inside of `r` (sampled every half pixel).
    fn crosses(r: &Box2, a: (f64, f64), b: (f64, f64)) -> bool {
        let n = ((b.0 - a.0).abs().max((b.1 - a.1).abs()) * 2.0)
            .ceil()
            .max(1.0) as usize;
        (0..=n).any(|i| {
            let t = i as f64 / n as f64;
            inside(r, (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t))
        })
    }

    /// Even-odd point-in-polygon.
    fn in_polygon(p: &[(f64, f64)], (x, y): (f64, f64)) -> bool {
        let mut c = false;
        for i in 0..p.len() {
            let (a, b) = (p[i], p[(i + 1) % p.len()]);
            if (a.1 > y) != (b.1 > y) && x < (b.0 - a.0) * (y - a.1) / (b.1 - a.1) + a.0 {
                c = !c;
            }
        }
        c
    }

    /// What of the plotted data lies under a legend box: one line per element, empty when none.
    pub(crate) fn overlaps(svg: &str) -> Vec<String> {
        let legends = legend_boxes(svg);
        let (w, h) = (
            num(svg, "width"),
            num(&svg[svg.find("<svg").unwrap_or(0)..], "height"),
        );
        let mut out = Vec::new();
        for (name, tag) in tags(svg) {
            if attr(tag, "opacity") == Some("0")
                || attr(tag, "stroke") == Some("none") && attr(tag, "fill") == Some("none")
            {
                continue;
            }
            let shape: Vec<(f64, f64)> = match name {
                "polyline" | "polygon" => points(tag),
                "rect" => {
                    let (x, y) = (num(tag, "x"), num(tag, "y"));
                    let (rw, rh) = (num(tag, "width"), num(tag, "height"));
                    if x == 0.0 && y == 0.0 && rw == w && rh == h {
                        continue;
                    }
                    vec![(x, y), (x + rw, y), (x + rw, y + rh), (x, y + rh)]
                }
                "circle" => {
                    let (x, y, r) = (num(tag, "cx"), num(tag, "cy"), num(tag, "r"));
                    vec![
                        (x - r, y - r),
                        (x + r, y - r),
                        (x + r, y + r),
                        (x - r, y + r),
                    ]
                }
                _ => continue,
            };
            if shape.is_empty() {
                continue;
            }
            for l in &legends {
                // The legend's own frame and keys lie within it.
                let within = shape
                    .iter()
                    .all(|&(x, y)| x >= l[0] && x <= l[2] && y >= l[1] && y <= l[3]);
                if within {
                    continue;
                }
                let closed = name != "polyline";
                let mut edges: Vec<((f64, f64), (f64, f64))> =
                    shape.windows(2).map(|s| (s[0], s[1])).collect();
                if closed {
                    edges.push((shape[shape.len() - 1], shape[0]));
                }
                let hit = edges.iter().any(|(a, b)| crosses(l, *a, *b))
                    || closed && {
                        // A filled shape covering the legend box without an edge inside it.
                        let filled = name != "rect" || attr(tag, "fill") != Some("none");
                        filled && in_polygon(&shape, ((l[0] + l[2]) / 2.0, (l[1] + l[3]) / 2.0))
                    };
                if hit {
                    out.push(format!("{name} {}", &tag[..tag.len().min(120)]));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod legend_tests {
    use super::legend_check::{legend_boxes, overlaps};
    use super::test_support::*;
    use super::*;

    /// Six replications of a shipped scenario, run here, with the scenario.
    fn runs(file: &str, text: &str, name: &str) -> (VariantRuns, dcplan_sim::Scenario) {
        let loaded = dcplan_sim::load_str(file, text).expect("a valid scenario");
        let config = dcplan_sim::RunConfig {
            seed: 7,
            replications: 0..6,
            threads: 1,
            options: dcplan_sim::replication::ReplicationOptions::for_run(&loaded, 7, 6),
        };
        let v = VariantRuns {
            name: name.into(),
            seed: 7,
            start: loaded.scenario.simulation.start,
            output: dcplan_sim::run(&loaded, &config, &|| ()).expect("runs"),
            axes: Vec::new(),
        };
        (v, loaded.scenario)
    }

    fn check(svg: &str, what: &str) {
        let hits = overlaps(svg);
        assert!(hits.is_empty(), "{what}: legend over data: {hits:#?}");
    }

    fn check_dir(dir: &Path, rendered: &[RenderedChart]) {
        let mut with_legend = 0;
        for c in rendered {
            let svg = std::fs::read_to_string(dir.join(format!("{}.svg", c.name))).unwrap();
            with_legend += usize::from(!legend_boxes(&svg).is_empty());
            check(&svg, &c.name);
            // Every chart has hover values and a caption that is not its title.
            assert!(!hover_texts(&svg).is_empty(), "{}: no hover values", c.name);
            assert!(
                c.caption.len() > 40 && c.caption != c.title,
                "{}: caption {:?}",
                c.name,
                c.caption
            );
        }
        assert!(
            with_legend >= rendered.len() / 2,
            "{with_legend} legends found"
        );
    }

    #[test]
    fn no_legend_covers_data_in_the_run_and_comparison_chart_sets() {
        let (v, scenario) = runs(
            "tiny.ron",
            include_str!("../../../../scenarios/tiny.ron"),
            "tiny",
        );
        let dir = temp_dir("legend-run");
        check_dir(&dir, &run_charts(&v, &scenario, &dir).unwrap());
        // The delivery that turns the cash curve is marked on it.
        let cash = std::fs::read_to_string(dir.join("cumulative_cash.svg")).unwrap();
        assert!(cash.contains("H100-SXM delivered"));
        let mut other = v.clone();
        other.name = "tiny again".into();
        let dir2 = temp_dir("legend-compare");
        check_dir(&dir2, &comparison_charts(&[v, other], &dir2).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&dir2).unwrap();
    }

    #[test]
    fn hover_values_name_the_month_and_the_value_with_its_unit() {
        let x: Vec<f64> = (1..=36).map(f64::from).collect();
        let samples: Vec<Vec<f64>> = x
            .iter()
            .map(|m| (0..20).map(|r| (m - 24.0) * 1e6 + r as f64 * 1e5).collect())
            .collect();
        let fan = FanChart {
            name: "hover_fan".into(),
            title: "Cumulative cash".into(),
            x_label: "Month from 2027-01".into(),
            y_label: "Cumulative cash ($M)".into(),
            bands: Bands::from_samples(x, &samples),
            y_format: YFormat::MillionsUsd,
            zero_line: true,
            markers: Vec::new(),
        };
        let svg = render_checked(&fan);
        let texts = hover_texts(&svg);
        assert_eq!(texts.len(), 36);
        assert!(
            texts[23].starts_with("month 24: P50 $950k (P5 $95k, P25 $475k"),
            "{}",
            texts[23]
        );
        // The same chart renders to the same document.
        assert_eq!(render_checked(&fan), svg);
    }

    #[test]
    fn no_legend_covers_data_where_the_data_fills_every_corner() {
        let x: Vec<f64> = (1..=120).map(f64::from).collect();
        // A payback curve at 0 along the bottom (never pays back) and one rising to 100 % early.
        let cdf = Lines {
            name: "cdf".into(),
            title: "Probability of payback".into(),
            x_label: "Months".into(),
            y_label: "Probability (%)".into(),
            series: vec![
                (
                    "never".into(),
                    PALETTE[0],
                    x.iter().map(|m| (*m, 0.0)).collect(),
                ),
                (
                    "early".into(),
                    PALETTE[1],
                    x.iter().map(|m| (*m, (m / 12.0).min(1.0))).collect(),
                ),
            ],
            x_marks: vec![24.0],
            y_format: YFormat::Percent,
            y_range: Some((0.0, 1.0)),
        };
        check(&svg_only(&cdf), "payback cdf");
        // Prices that step up at a new generation and reach the top right corner.
        let step: Vec<f64> = x
            .iter()
            .map(|m| if *m < 60.0 { 2.0 } else { 4.0 })
            .collect();
        let prices = MultiFan {
            name: "prices".into(),
            title: "Prices".into(),
            x_label: "Month".into(),
            y_label: "USD per GPU-hour".into(),
            x: x.clone(),
            series: vec![
                (
                    "gen 1".into(),
                    PALETTE[0],
                    x.iter().map(|m| 3.5 - m / 60.0).collect(),
                    x.iter().map(|m| 4.0 - m / 60.0).collect(),
                    x.iter().map(|m| 4.5 - m / 60.0).collect(),
                ),
                ("realised".into(), PALETTE[7], Vec::new(), step, Vec::new()),
            ],
            y_format: YFormat::Plain,
            markers: vec![annotate::Marker {
                x: 60.0,
                label: "next generation".into(),
            }],
        };
        check(&svg_only(&prices), "prices");
        // Bars as tall as the axis in every category.
        let bars = StackedBars {
            name: "energy".into(),
            title: "Energy cost".into(),
            y_label: "$M".into(),
            categories: (1..=6).map(|y| format!("year {y}")).collect(),
            series: (0..5)
                .map(|i| (format!("source {i}"), PALETTE[i], vec![1e6; 6]))
                .collect(),
            y_format: YFormat::MillionsUsd,
        };
        check(&svg_only(&bars), "energy bars");
        // Points in every corner.
        let grid: Vec<(f64, f64)> = (0..20)
            .flat_map(|i| (0..20).map(move |j| (i as f64 * 1e6, j as f64 * 0.01)))
            .collect();
        let scatter = Scatter {
            name: "frontier".into(),
            title: "Frontier".into(),
            x_label: "NPV".into(),
            y_label: "P(loss)".into(),
            x_format: YFormat::MillionsUsd,
            y_format: YFormat::Percent,
            series: vec![("candidates".into(), PALETTE[0], grid)],
            frontier: vec![(0.0, 0.0), (19e6, 0.19)],
            highlight: Some(("best".into(), (19e6, 0.0))),
            x_marks: Vec::new(),
            y_marks: Vec::new(),
        };
        check(&svg_only(&scatter), "frontier");
        // A stack as high as the axis everywhere, with a line over it.
        let area = StackedArea {
            name: "area".into(),
            title: "Costs".into(),
            x_label: "Month".into(),
            y_label: "$M".into(),
            x: x.clone(),
            series: vec![("a".into(), PALETTE[0], vec![1e6; 120])],
            lines: vec![("revenue".into(), PALETTE[7], vec![1.2e6; 120])],
            y_format: YFormat::MillionsUsd,
            markers: Vec::new(),
        };
        check(&svg_only(&area), "stacked area");
        // A histogram whose tallest bins are at both ends.
        let hist = Histogram {
            name: "hist".into(),
            title: "NPV".into(),
            x_label: "NPV ($M)".into(),
            values: (0..200)
                .map(|i| if i % 2 == 0 { 0.0 } else { 1e8 } + i as f64)
                .collect(),
            x_format: YFormat::MillionsUsd,
            markers: vec![("P50".into(), 5e7)],
        };
        check(&svg_only(&hist), "histogram");
    }
}
