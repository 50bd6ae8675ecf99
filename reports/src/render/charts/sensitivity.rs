//! Sensitivity charts: the tornado of one-at-a-time swings.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::*;
use super::{Plot, e, hover};

/// One input's effect in a [`Tornado`] chart: the output with this input at its P10 and at its P90,
/// every other input at its P50.
#[derive(Clone, Debug)]
pub(crate) struct TornadoBar {
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
pub(crate) struct Tornado {
    /// File stem.
    pub name: String,
    /// Title (a suffix is added on the chart when bars are left out).
    pub title: String,
    /// Output-axis label (with unit); the axis is horizontal.
    pub x_label: String,
    /// Output scaling and unit.
    pub x_format: YFormat,
    /// What the output is, for the base-value key: `P50 NPV` reads "P50 NPV at base: -$44.0M".
    pub output: String,
    /// Output with every input at its P50 (unscaled).
    pub base: f64,
    /// Bars in any order; they are sorted by swing when drawn, and only the largest
    /// [`TORNADO_MAX_BARS`] are shown.
    pub bars: Vec<TornadoBar>,
}

/// The most bars a [`Tornado`] chart shows.
pub(crate) const TORNADO_MAX_BARS: usize = 15;

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
    plot_name_title!();
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
        // No input moves the output: an axis a few units wide around it, not one of 1e-9.
        let (lo, hi) = if hi - lo < 1e-6 * lo.abs().max(hi.abs()).max(1.0) {
            let half = match self.x_format {
                YFormat::Percent => 5.0,
                _ => 1.0,
            };
            let mid = (lo + hi) / 2.0;
            (mid - half, mid + half)
        } else {
            (lo, hi)
        };
        // Room for the input values written past the bar ends: the widest text over the width
        // the plot will have (the label column takes at most 40 %).
        let widest_text = bars
            .iter()
            .flat_map(|b| [b.low_input.as_str(), b.high_input.as_str()])
            .map(|t| text_size(root, t, 13).map(|s| s.0))
            .collect::<Result<Vec<u32>, String>>()?
            .into_iter()
            .max()
            .unwrap_or(0);
        let plot_px = root.dim_in_pixel().0 as f64 * 0.5;
        let frac = ((widest_text as f64 + 12.0) / plot_px).clamp(0.06, 0.3);
        let pad = (hi - lo) * frac / (1.0 - 2.0 * frac);
        let (x0, x1) = (lo - pad, hi + pad);
        let (low_c, high_c) = (PALETTE[0], PALETTE[1]);
        let base_label = format!("{} at base: {}", self.output, self.x_format.text(self.base));
        let keys = [
            (Key::Box(low_c.to_rgba(), low_c.to_rgba()), "input at P10"),
            (Key::Box(high_c.to_rgba(), high_c.to_rgba()), "input at P90"),
            (Key::VLine(BLACK, 2), base_label.as_str()),
        ];
        let body = title_and_key_line(root, &title, &keys)?;
        let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
        let mut chart = category_rows_chart(&body, &labels, (x0, x1), &self.x_label)?;
        let full = 0.36f64.min(18.0 / row_px(&chart, n));
        let (low_text, high_text) = (shade(low_c, -0.45), shade(high_c, -0.45));
        let text_style = |anchor: HPos, c: RGBColor| {
            TextStyle::from((FONT, 13).into_font())
                .color(if c == low_c { &low_text } else { &high_text })
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
                    let same_side = j > 0 && first_side == Some(*v >= base);
                    let h = if same_side { full * 0.55 } else { full };
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(base, y - h), (*v, y + h)],
                            c.filled(),
                        )))
                        .map_err(e)?;
                    hover::span(&chart, (base, y - h), (*v, y + h), || {
                        let at = if *c == low_c { "P10" } else { "P90" };
                        let input = if text.is_empty() {
                            String::new()
                        } else {
                            format!(" ({text})")
                        };
                        format!(
                            "{} at {at}{input}: {} {} (base {})",
                            b.label,
                            self.output,
                            self.x_format.text(v / k),
                            self.x_format.text(self.base)
                        )
                    });
                    if text.is_empty() {
                        continue;
                    }
                    // A shorter bar on the same side as the longer one writes its value on the
                    // empty side of the base line, so the two values never overlap.
                    let right = (*v >= base) != same_side;
                    let at = if same_side { base } else { *v };
                    let (dx, anchor) = if right {
                        (5, HPos::Left)
                    } else {
                        (-5, HPos::Right)
                    };
                    chart
                        .draw_series(std::iter::once(
                            EmptyElement::at((at, y))
                                + Text::new(text.to_string(), (dx, 0), text_style(anchor, *c)),
                        ))
                        .map_err(e)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::charts::test_support::*;

    fn tornado(bars: Vec<TornadoBar>) -> Tornado {
        Tornado {
            name: "test_tornado".into(),
            title: "NPV sensitivity".into(),
            x_label: "NPV ($M)".into(),
            x_format: YFormat::MillionsUsd,
            output: "P50 NPV".into(),
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
                && has_text(&svg, "P50 NPV at base: $100M")
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
        // Background, the legend frame and border, two key boxes with outlines, two bars per input.
        assert_eq!(count(&svg, "<rect"), 1 + 2 + 4 + 2 * 15);
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
        // Background, the legend frame and border, two key boxes with outlines, then one bar for
        // input 00, none for 01, two for 02.
        assert_eq!(count(&svg, "<rect"), 1 + 2 + 4 + 3);
    }

    #[test]
    fn tornado_where_no_input_moves_the_output() {
        // Every setting at 0 % probability: a readable axis of whole percentages.
        let mut t = tornado(vec![TornadoBar {
            label: "site.pue".into(),
            low_input: "1.24".into(),
            high_input: "1.36".into(),
            at_low: 0.0,
            at_high: 0.0,
        }]);
        t.base = 0.0;
        t.x_format = YFormat::Percent;
        t.output = "probability of payback".into();
        let svg = render_checked(&t);
        assert!(has_text(&svg, "probability of payback at base: 0.0 %"));
        assert!(!svg.contains("0.000"), "ticks of a degenerate axis");
        assert!(has_text(&svg, "1.24") && has_text(&svg, "1.36"));
    }

    #[test]
    fn tornado_values_on_the_same_side_do_not_overlap() {
        // Both ends above the base: the shorter bar's value goes to the other side of the base.
        let t = tornado(vec![TornadoBar {
            label: "demand".into(),
            low_input: "low value".into(),
            high_input: "high value".into(),
            at_low: 120e6,
            at_high: 121e6,
        }]);
        let svg = svg_only(&t);
        let x = |text: &str| {
            let end = svg.find(&format!(">\n{text}\n</text>")).unwrap();
            let tag = &svg[svg[..end].rfind("<text").unwrap()..end];
            let i = tag.find(" x=\"").unwrap() + 4;
            tag[i..i + tag[i..].find('"').unwrap()]
                .parse::<f64>()
                .unwrap()
        };
        // "low value" sits left of the base line, "high value" right of the bar's end.
        assert!(x("high value") - x("low value") > 100.0);
    }

    #[test]
    fn long_titles_fit_the_chart() {
        let mut t = tornado(vec![bar(1, 1e6)]);
        t.title = "Sensitivity of the probability of payback within 120 months (the base P50 payback is beyond the horizon, and more words to make it long)".into();
        let svg = svg_only(&t);
        // Wrapped on two lines, neither wider than the chart.
        assert!(has_text(
            &svg,
            "Sensitivity of the probability of payback within 120 months (the base"
        ));
        assert!(!has_text(&svg, &t.title));
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
}
