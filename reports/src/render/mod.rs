//! Rendering: result tables (polars), charts (plotters) and reports (Markdown and HTML).

pub(crate) mod charts;
pub(crate) mod comparison;
pub(crate) mod doc;
pub(crate) mod format;
pub(crate) mod report;
pub mod tables;
