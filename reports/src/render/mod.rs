//! Rendering: result tables (polars), charts (plotters) and reports (Markdown and HTML).

pub mod charts;
pub mod comparison;
pub mod doc;
pub mod format;
pub mod report;
pub mod tables;
