//! A drawing backend that draws a chart laid out at one size onto a bitmap `SCALE` times larger:
//! every coordinate, line width, radius and font size is multiplied, so the PNG for print has
//! the same layout as the SVG at twice the resolution.

use plotters::prelude::*;
use plotters::style::text_anchor::Pos;
use plotters::style::{FontDesc, FontFamily, FontTransform};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// How many bitmap pixels one layout pixel becomes along each axis.
pub(crate) const SCALE: i32 = 2;

/// `inner` (a bitmap of `SCALE` times the layout size) seen as a backend of the layout size.
pub(crate) struct Scaled<B> {
    /// The larger backend drawn on.
    pub inner: B,
}

/// A line or fill style with its width scaled.
struct Wide {
    color: BackendColor,
    width: u32,
}

impl BackendStyle for Wide {
    fn color(&self) -> BackendColor {
        self.color
    }
    fn stroke_width(&self) -> u32 {
        self.width
    }
}

fn wide<S: BackendStyle>(s: &S) -> Wide {
    Wide {
        color: s.color(),
        width: s.stroke_width() * SCALE as u32,
    }
}

fn up((x, y): BackendCoord) -> BackendCoord {
    (x * SCALE, y * SCALE)
}

impl<B: DrawingBackend> DrawingBackend for Scaled<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        let (w, h) = self.inner.get_size();
        (w / SCALE as u32, h / SCALE as u32)
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let (x, y) = up(point);
        let s = Wide { color, width: 1 };
        self.inner
            .draw_rect((x, y), (x + SCALE - 1, y + SCALE - 1), &s, true)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path([up(from), up(to)], &wide(style))
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let (a, b) = (up(upper_left), up(bottom_right));
        if fill {
            self.inner.draw_rect(a, b, &wide(style), true)
        } else {
            self.inner
                .draw_path([a, (b.0, a.1), b, (a.0, b.1), a], &wide(style))
        }
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner
            .draw_path(path.into_iter().map(up).collect::<Vec<_>>(), &wide(style))
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner
            .draw_circle(up(center), radius * SCALE as u32, &wide(style), fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner
            .fill_polygon(vert.into_iter().map(up).collect::<Vec<_>>(), &wide(style))
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let family = style.family();
        let c = style.color();
        let font = FontDesc::new(
            FontFamily::Name(family.as_str()),
            style.size() * SCALE as f64,
            style.style(),
        )
        .transform(match style.transform() {
            FontTransform::None => FontTransform::None,
            FontTransform::Rotate90 => FontTransform::Rotate90,
            FontTransform::Rotate180 => FontTransform::Rotate180,
            FontTransform::Rotate270 => FontTransform::Rotate270,
        });
        let anchor = style.anchor();
        let colour = RGBAColor(c.rgb.0, c.rgb.1, c.rgb.2, c.alpha);
        let scaled = TextStyle::from(font)
            .color(&colour)
            .pos(Pos::new(anchor.h_pos, anchor.v_pos));
        self.inner.draw_text(text, &scaled, up(pos))
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        // The layout size, as the SVG backend measures it.
        let ((x0, y0), (x1, y1)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        Ok(((x1 - x0) as u32, (y1 - y0) as u32))
    }
}
