//! `dcplan catalog`: the built-in catalogs (GPU SKUs, climates, cooling presets, tariffs) with
//! their sources.

use std::process::ExitCode;

use anyhow::Result;
use dcplan_sim::scenario::ron_text;

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
        say(&catalog_listing(title, file, text));
    }
    Ok(ExitCode::SUCCESS)
}

/// A catalog file as a listing: each entry with its fields, values and sources.
pub(crate) fn catalog_listing(title: &str, file: &str, text: &str) -> String {
    let leaves = ron_text::leaves(text);
    let mut out = format!("{title} ({file})\n");
    let mut current = String::new();
    for l in &leaves {
        let Some((entry, field)) = l.path.split_once("].") else {
            continue;
        };
        if entry != current {
            current = entry.to_string();
            let name = leaves
                .iter()
                .find(|x| x.path == format!("{entry}].name"))
                .map_or("?".into(), |x| x.value.trim_matches('"').to_string());
            let description = leaves
                .iter()
                .find(|x| x.path == format!("{entry}].description"))
                .map_or(String::new(), |x| x.value.trim_matches('"').to_string());
            out.push_str(&format!("\n  {name}: {description}\n"));
        }
        if field == "name" || field == "description" {
            continue;
        }
        let source = if l.comment.is_empty() {
            String::new()
        } else {
            format!("  [{}]", l.comment)
        };
        out.push_str(&format!("    {field:<34} {:<26}{source}\n", l.value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_listing_names_every_entry_with_sources() {
        let gpus = catalog_listing("GPU SKUs", "gpus.ron", dcplan_sim::catalog::GPUS_RON);
        for sku in ["H100-SXM", "H200", "B200", "GB200-NVL72", "MI300X"] {
            assert!(
                gpus.contains(&format!("\n  {sku}: ")),
                "{sku} missing:\n{gpus}"
            );
        }
        assert!(gpus.contains("node_max_kw") && gpus.contains("NVIDIA DGX H100/H200 user guide"));
    }
}
