//! Rendering: result tables (polars), charts (plotters) and reports (Markdown and HTML), and
//! the tables of a finished folder read back into replication records.

pub(crate) mod charts;
pub(crate) mod comparison;
pub(crate) mod doc;
pub(crate) mod format;
pub(crate) mod proforma;
pub(crate) mod report;
pub(crate) mod run_folder;
pub mod tables;
pub(crate) mod workbook;
