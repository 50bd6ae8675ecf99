//! What every chart shares: size, font, palette, number formats on the axes, the title and
//! legend line, and the x-y and category-row frames.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::e;
use crate::render::format;

/// Width and height of every chart, pixels.
pub(crate) const SIZE: (u32, u32) = (960, 540);
/// Font family name registered for charts.
pub(crate) const FONT: &str = "sans-serif";

/// Series colours (colour-blind-safe palette, Okabe and Ito).
pub(crate) const PALETTE: [RGBColor; 8] = [
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

/// Register the embedded DejaVu Sans with plotters (once per process).
pub(crate) fn register_fonts() {
    FONTS.call_once(|| {
        // The embedded fonts are valid TrueType files; a failure here would be a build defect.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// How the y axis of a chart is labelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum YFormat {
    /// Money in $M (values are USD).
    MillionsUsd,
    /// A fraction shown in percent.
    Percent,
    /// A plain number.
    Plain,
    /// A number of months.
    Months,
}

impl YFormat {
    /// A value (in the data's own unit) as text for a legend: `-$90.6M`, `12.5 %`, `1.27`.
    pub(crate) fn text(self, raw: f64) -> String {
        match self {
            YFormat::MillionsUsd => format::money(raw),
            YFormat::Percent => format::percent(raw),
            YFormat::Plain => format::significant(raw, 3),
            YFormat::Months => format::months(Some(raw.round())),
        }
    }

    /// The factor raw values are multiplied by before drawing (1e-6 for millions, 100 for percent).
    pub(crate) fn scale(self) -> f64 {
        match self {
            YFormat::MillionsUsd => 1e-6,
            YFormat::Percent => 100.0,
            YFormat::Plain | YFormat::Months => 1.0,
        }
    }
}

/// The span of the finite values padded by 5 % for an axis; (0, 1) when there are none.
pub(crate) fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    // A range of one value (every replication alike) gets a span of its own, so that the axis
    // has distinct ticks.
    let magnitude = lo.abs().max(hi.abs());
    let pad = if hi - lo > 1e-9 * magnitude {
        ((hi - lo) * 0.05).max(1e-9)
    } else if magnitude > 0.0 {
        magnitude * 0.05
    } else {
        1.0
    };
    (lo - pad, hi + pad)
}

/// A chart of categories side by side on the x axis (category `i` at x = `i`, `slots` columns
/// from x = -0.5) over a numeric y axis on `area` (from [`title_and_key_line`]), with the mesh
/// drawn; the caller draws the columns.
pub(crate) fn category_columns_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    y_label: &str,
    labels: &[String],
    slots: usize,
    (y0, y1): (f64, f64),
) -> Result<Chart2d<'a, DB>, String> {
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(-0.5f64..(slots as f64 - 0.5), y0..y1)
        .map_err(e)?;
    chart
        .configure_mesh()
        .y_desc(y_label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 17))
        .x_labels(slots)
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
    Ok(chart)
}

/// A lighter or darker shade of a colour (`t` in -1..1; positive is lighter).
pub(crate) fn shade(c: RGBColor, t: f64) -> RGBColor {
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

/// Pixel size of `text` at `size` on `area`.
pub(crate) fn text_size<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    size: u32,
) -> Result<(u32, u32), String> {
    let style: TextStyle = (FONT, size).into_font().into();
    area.estimate_text_size(text, &style).map_err(e)
}

/// Category labels shortened with an ellipsis to at most `max_px` pixels; returns them and the widest width.
pub(crate) fn fit_labels<DB: DrawingBackend>(
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
pub(crate) fn category_font(n: usize) -> u32 {
    match n {
        0..=12 => 14,
        13..=18 => 13,
        _ => 12,
    }
}

/// The pixel corners of a box around text of size `(w, h)` drawn at `offset` with `anchor`, plus a
/// small padding.
pub(crate) fn text_box((dx, dy): (i32, i32), anchor: Pos, (w, h): (u32, u32)) -> [(i32, i32); 2] {
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

/// A legend key drawn by [`title_and_key_line`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Key {
    /// A filled box with an outline.
    Box(RGBAColor, RGBAColor),
    /// A vertical line.
    VLine(RGBColor, u32),
    /// A horizontal line with end caps.
    Whisker(RGBColor),
    /// A filled diamond.
    Diamond(RGBColor),
    /// A horizontal line of the given width.
    Line(RGBColor, u32),
    /// A dashed horizontal line of the given width.
    Dashed(RGBColor, u32),
    /// A filled dot.
    Dot(RGBAColor),
    /// A ring.
    Ring(RGBColor),
}

/// The colour of the frame around the legend keys (tests find the legend by it).
pub(crate) const LEGEND_BORDER: f64 = 0.3;

/// Draw `title` where `ChartBuilder::caption` with margin 16 puts it, and under it the legend
/// keys with their labels in a framed box, in centred rows that wrap at the chart's width;
/// returns the area left for the chart. Keeping the legend out of the plotting area means it
/// never hides data. Without keys only the title is drawn.
pub(crate) fn title_and_key_line<DB: DrawingBackend, S: AsRef<str>>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    keys: &[(Key, S)],
) -> Result<DrawingArea<DB, Shift>, String> {
    const SIZE: u32 = 14;
    const KEY_W: i32 = 18;
    const GAP: i32 = 6;
    const SPACING: i32 = 22;
    const LINE_H: i32 = 22;
    const PAD: i32 = 8;
    let body = draw_title(&root.margin(16, 16, 16, 16), title)?;
    if keys.is_empty() {
        return Ok(body);
    }
    let widths: Vec<i32> = keys
        .iter()
        .map(|(_, label)| text_size(&body, label.as_ref(), SIZE).map(|(w, _)| w as i32))
        .collect::<Result<_, _>>()?;
    let avail = body.dim_in_pixel().0 as i32 - 2 * PAD;
    // Greedy rows: (first key, last key + 1, row width).
    let mut rows: Vec<(usize, usize, i32)> = Vec::new();
    for (i, w) in widths.iter().enumerate() {
        let item = KEY_W + GAP + w;
        match rows.last_mut() {
            Some((_, end, width)) if *width + SPACING + item <= avail => {
                *end = i + 1;
                *width += SPACING + item;
            }
            _ => rows.push((i, i + 1, item)),
        }
    }
    let full = body.dim_in_pixel().0 as i32;
    let widest = rows.iter().map(|r| r.2).max().unwrap_or(0).min(avail);
    let frame_x = ((full - widest) / 2 - PAD).max(0);
    let frame_h = LINE_H * rows.len() as i32;
    body.draw(&Rectangle::new(
        [(frame_x, 0), (full - frame_x, frame_h)],
        WHITE.filled(),
    ))
    .map_err(e)?;
    body.draw(&Rectangle::new(
        [(frame_x, 0), (full - frame_x, frame_h)],
        BLACK.mix(LEGEND_BORDER).stroke_width(1),
    ))
    .map_err(e)?;
    let style = TextStyle::from((FONT, SIZE).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (r, (first, end, width)) in rows.iter().enumerate() {
        let mut x = (full - width).max(0) / 2;
        let y = LINE_H * r as i32 + LINE_H / 2;
        for ((key, label), w) in keys[*first..*end].iter().zip(&widths[*first..*end]) {
            draw_key(&body, *key, x, y)?;
            body.draw_text(label.as_ref(), &style, (x + KEY_W + GAP, y))
                .map_err(e)?;
            x += KEY_W + GAP + w + SPACING;
        }
    }
    Ok(body.margin(frame_h + 8, 0, 0, 0))
}

/// Draw `title` centred at the top of `area` at 24 px, smaller (down to 17 px) when it is wider
/// than the area, and on two lines when even that does not fit; returns the area under it.
pub(crate) fn draw_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    let width = area.dim_in_pixel().0;
    let mut size = 24;
    while size > 17 && text_size(area, title, size)?.0 > width {
        size -= 1;
    }
    let mut lines = vec![title.to_string()];
    if text_size(area, title, size)?.0 > width {
        // Break at the space nearest the middle, then shorten what still does not fit.
        let mid = title.len() / 2;
        let cut = title
            .char_indices()
            .filter(|(_, c)| *c == ' ')
            .map(|(i, _)| i)
            .min_by_key(|i| i.abs_diff(mid));
        if let Some(i) = cut {
            lines = vec![title[..i].to_string(), title[i + 1..].to_string()];
        }
        lines = fit_labels(area, &lines, size, width)?.0;
    }
    let line_h = size as i32 + 6;
    let style = TextStyle::from((FONT, size).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    for (i, line) in lines.iter().enumerate() {
        area.draw_text(line, &style, (width as i32 / 2, i as i32 * line_h))
            .map_err(e)?;
    }
    // As `DrawingArea::titled` leaves it: the text height and a gap.
    Ok(area.margin(line_h * lines.len() as i32 + 4, 0, 0, 0))
}

/// One legend key, 18 px wide, centred on `y`, starting at `x`.
fn draw_key<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    key: Key,
    x: i32,
    y: i32,
) -> Result<(), String> {
    const KEY_W: i32 = 18;
    match key {
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
            for pts in [
                vec![(x, y), (x + KEY_W, y)],
                vec![(x, y - 4), (x, y + 4)],
                vec![(x + KEY_W, y - 4), (x + KEY_W, y + 4)],
            ] {
                body.draw(&PathElement::new(pts, c.stroke_width(1)))
                    .map_err(e)?;
            }
        }
        Key::Diamond(c) => {
            let m = x + KEY_W / 2;
            body.draw(&Polygon::new(
                vec![(m, y - 6), (m + 6, y), (m, y + 6), (m - 6, y)],
                c.filled(),
            ))
            .map_err(e)?;
        }
        Key::Line(c, width) => body
            .draw(&PathElement::new(
                vec![(x, y), (x + KEY_W, y)],
                c.stroke_width(width),
            ))
            .map_err(e)?,
        Key::Dashed(c, width) => {
            for (a, b) in [(0, 6), (9, 15)] {
                body.draw(&PathElement::new(
                    vec![(x + a, y), (x + b, y)],
                    c.stroke_width(width),
                ))
                .map_err(e)?;
            }
        }
        Key::Dot(c) => body
            .draw(&Circle::new((x + KEY_W / 2, y), 4, c.filled()))
            .map_err(e)?,
        Key::Ring(c) => body
            .draw(&Circle::new((x + KEY_W / 2, y), 6, c.stroke_width(2)))
            .map_err(e)?,
    }
    Ok(())
}

/// The numeric frame of an x-y chart on `area` (from [`title_and_key_line`]): axis descriptions
/// and tick labels sized to the axis spans, no minor grid.
pub(crate) fn xy_frame<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x_label: &str,
    y_label: &str,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Result<Chart2d<'a, DB>, String> {
    let mut chart = ChartBuilder::on(area)
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

/// A chart with numeric x and y axes.
pub(crate) type Chart2d<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// A chart with numbers along x and one row per category along y, the first category at the top
/// (row `i` sits at y = `labels.len() - 1 - i`). Draws the mesh; the caller draws the rows.
pub(crate) fn category_rows_chart<'a, DB: DrawingBackend>(
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
pub(crate) fn row_px<DB: DrawingBackend>(chart: &Chart2d<'_, DB>, n: usize) -> f64 {
    chart.plotting_area().dim_in_pixel().1 as f64 / n.max(1) as f64
}
