//! `dcplan catalog`: the built-in catalogs (GPU SKUs, climates, cooling presets, tariffs) with
//! their sources.

use std::process::ExitCode;

use anyhow::Result;

use crate::commands::console::{outln, say};

/// The built-in catalogs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CatalogKind {
    /// GPU SKUs (scenarios/catalog/gpus.ron).
    Gpus,
    /// Climates (scenarios/catalog/climates.ron).
    Climates,
    /// Cooling presets (scenarios/catalog/cooling.ron).
    Cooling,
    /// Wholesale tariff presets (scenarios/catalog/tariffs.ron).
    Tariffs,
}

/// `dcplan catalog`: every built-in catalog, or only `which`.
pub fn main(which: Option<CatalogKind>) -> Result<ExitCode> {
    use dcplan_sim::catalog;
    let all = [
        (
            CatalogKind::Gpus,
            "GPU SKUs",
            "scenarios/catalog/gpus.ron",
            catalog::GPUS_RON,
        ),
        (
            CatalogKind::Climates,
            "Climates",
            "scenarios/catalog/climates.ron",
            catalog::CLIMATES_RON,
        ),
        (
            CatalogKind::Cooling,
            "Cooling presets",
            "scenarios/catalog/cooling.ron",
            catalog::COOLING_RON,
        ),
        (
            CatalogKind::Tariffs,
            "Wholesale tariff presets (energy.tariff: Market(preset: ...))",
            "scenarios/catalog/tariffs.ron",
            catalog::TARIFFS_RON,
        ),
    ];
    let mut first = true;
    for (kind, title, file, text) in all {
        if which.is_some_and(|w| w != kind) {
            continue;
        }
        if !first {
            outln!();
        }
        first = false;
        say(&crate::commands::init::catalog_listing(title, file, text));
    }
    Ok(ExitCode::SUCCESS)
}
