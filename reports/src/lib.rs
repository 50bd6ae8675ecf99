//! dcplan reports: turns simulation results into tables (polars), charts (plotters) and reports
//! (Markdown and self-contained HTML), and holds the command-line pipeline behind the `dcplan`
//! binary.
//!
//! Three rooms: [`commands`] (what each subcommand does, over one job envelope), [`render`]
//! (tables, charts, reports) and [`store`] (atomic output folders, manifests, part folders).

pub mod commands;
pub mod render;
pub mod store;
