//! dcplan reports: turns simulation results into tables (polars), charts (plotters) and reports
//! (Markdown and self-contained HTML), and holds the command-line pipeline behind the `dcplan`
//! binary.

pub mod charts;
pub mod compare;
pub mod doc;
pub mod figures;
pub mod format;
pub mod manifest;
pub mod output;
pub mod pipeline;
pub mod rebuild;
pub mod report;
pub mod shard;
pub mod study;
pub mod tables;
pub mod template;
