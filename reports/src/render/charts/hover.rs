//! Hover values in the SVG charts: transparent boxes over the data, each with a native SVG
//! `<title>` (the browser shows it as a tooltip; no script). Charts add targets while they draw;
//! only the SVG rendering collects them, and they are written, in drawing order, as one group at
//! the end of the document.

use std::cell::RefCell;
use std::fmt::Write;

use plotters::prelude::*;

use super::style::{Chart2d, YFormat};

/// A box in pixels with its text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Target {
    /// Left, top, right, bottom.
    pub rect: [i32; 4],
    /// What the tooltip says.
    pub text: String,
}

thread_local! {
    static TARGETS: RefCell<Option<Vec<Target>>> = const { RefCell::new(None) };
}

/// Run `f` collecting the targets charts add; returns its result and the targets.
pub(crate) fn collect<R>(f: impl FnOnce() -> R) -> (R, Vec<Target>) {
    TARGETS.with(|t| *t.borrow_mut() = Some(Vec::new()));
    let out = f();
    let targets = TARGETS.with(|t| t.borrow_mut().take()).unwrap_or_default();
    (out, targets)
}

fn push(rect: [i32; 4], text: String) {
    TARGETS.with(|t| {
        if let Some(v) = t.borrow_mut().as_mut() {
            let [x0, y0, x1, y1] = rect;
            v.push(Target {
                rect: [x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)],
                text,
            });
        }
    });
}

/// Whether targets are being collected (only then is it worth building their texts).
pub(crate) fn active() -> bool {
    TARGETS.with(|t| t.borrow().is_some())
}

/// A box between two data points (e.g. a bar's corners), at least 4 px each way.
pub(crate) fn span<DB: DrawingBackend>(
    chart: &Chart2d<'_, DB>,
    a: (f64, f64),
    b: (f64, f64),
    text: impl FnOnce() -> String,
) {
    if !active() || ![a.0, a.1, b.0, b.1].iter().all(|v| v.is_finite()) {
        return;
    }
    let (p, q) = (chart.backend_coord(&a), chart.backend_coord(&b));
    let (mut x0, mut x1) = (p.0.min(q.0), p.0.max(q.0));
    let (mut y0, mut y1) = (p.1.min(q.1), p.1.max(q.1));
    if x1 - x0 < 4 {
        x0 -= 2;
        x1 += 2;
    }
    if y1 - y0 < 4 {
        y0 -= 2;
        y1 += 2;
    }
    push([x0, y0, x1, y1], text());
}

/// A 10 px box around one data point.
pub(crate) fn point<DB: DrawingBackend>(
    chart: &Chart2d<'_, DB>,
    at: (f64, f64),
    text: impl FnOnce() -> String,
) {
    if !(active() && at.0.is_finite() && at.1.is_finite()) {
        return;
    }
    let (x, y) = chart.backend_coord(&at);
    push([x - 5, y - 5, x + 5, y + 5], text());
}

/// One full-height column of the plot per x value (from half-way to the previous x to half-way
/// to the next), with `text(i)` for the `i`-th x.
pub(crate) fn columns<DB: DrawingBackend>(
    chart: &Chart2d<'_, DB>,
    x: &[f64],
    text: impl Fn(usize) -> String,
) {
    if !active() {
        return;
    }
    let (_, ys) = chart.plotting_area().get_pixel_range();
    let px: Vec<i32> = x
        .iter()
        .map(|v| chart.backend_coord(&(*v, 0.0)).0)
        .collect();
    for (i, p) in px.iter().enumerate() {
        if !x[i].is_finite() {
            continue;
        }
        let left = if i > 0 { (px[i - 1] + p) / 2 } else { p - 4 };
        let right = if i + 1 < px.len() {
            (p + px[i + 1]) / 2
        } else {
            p + 4
        };
        push([left, ys.start, right, ys.end], text(i));
    }
}

/// A value with its unit for a tooltip: money and percentages as the axes write them, a plain
/// number followed by the axis unit in brackets.
pub(crate) fn value(format: YFormat, raw: f64, unit: &str) -> String {
    match format {
        YFormat::Plain if !unit.is_empty() => {
            let unit = bare_unit(unit);
            match unit.strip_prefix("USD per ") {
                Some(per) => format!("${} per {per}", format.text(raw)),
                None => format!("{} {unit}", format.text(raw)),
            }
        }
        _ => format.text(raw),
    }
}

/// The unit of an axis label: `USD per GPU-hour` from itself, `GPUs` from `GPUs`, `C` from
/// `Temperature (C)`.
fn bare_unit(label: &str) -> &str {
    match (label.rfind('('), label.rfind(')')) {
        (Some(a), Some(b)) if b > a => &label[a + 1..b],
        _ => label,
    }
}

/// How a tooltip names an x value: `month 24` on a month axis, `day 40` on a day axis.
pub(crate) fn x_name(x_label: &str, x: f64) -> String {
    let lower = x_label.to_lowercase();
    if lower.starts_with("month") {
        format!("month {x:.0}")
    } else if lower.starts_with("day") {
        format!("day {x:.0}")
    } else {
        format!("{x_label} {}", crate::render::format::significant(x, 3))
    }
}

/// `svg` with the targets as transparent boxes carrying `<title>`s, in one group before the
/// closing tag.
pub(crate) fn insert(svg: &str, targets: &[Target]) -> String {
    if targets.is_empty() {
        return svg.to_string();
    }
    let Some(end) = svg.rfind("</svg>") else {
        return svg.to_string();
    };
    let mut g = String::from("<g class=\"hover\" fill=\"#000000\" fill-opacity=\"0\">\n");
    for t in targets {
        let [x0, y0, x1, y1] = t.rect;
        let _ = writeln!(
            g,
            "<rect x=\"{x0}\" y=\"{y0}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
            x1 - x0,
            y1 - y0,
            escape(&t.text)
        );
    }
    g.push_str("</g>\n");
    format!("{}{g}{}", &svg[..end], &svg[end..])
}

fn escape(s: &str) -> String {
    crate::render::doc::esc(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_written_as_titled_transparent_boxes() {
        let svg = "<svg width=\"10\" height=\"10\">\n<rect/>\n</svg>\n";
        let targets = vec![Target {
            rect: [1, 2, 5, 8],
            text: "month 3: P50 <$1.2M> & more".into(),
        }];
        let out = insert(svg, &targets);
        assert!(out.contains(
            "<rect x=\"1\" y=\"2\" width=\"4\" height=\"6\"><title>month 3: P50 &lt;$1.2M&gt; &amp; more</title></rect>"
        ));
        assert!(out.ends_with("</g>\n</svg>\n"));
        assert_eq!(insert(svg, &[]), svg);
        // Nothing is collected outside `collect`.
        push([0, 0, 1, 1], "lost".into());
        let ((), got) = collect(|| push([0, 0, 1, 1], "kept".into()));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].text, "kept");
        assert!(!active());
    }

    #[test]
    fn units_and_x_names() {
        assert_eq!(
            value(YFormat::Plain, 2.5, "USD per GPU-hour"),
            "$2.50 per GPU-hour"
        );
        assert_eq!(value(YFormat::Plain, 21.0, "Temperature (C)"), "21.0 C");
        assert_eq!(value(YFormat::MillionsUsd, -3.1e6, "$M"), "-$3.1M");
        assert_eq!(x_name("Month from 2027-01", 24.0), "month 24");
        assert_eq!(x_name("Day of the simulation", 40.0), "day 40");
    }
}
