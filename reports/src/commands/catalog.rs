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

/// How `dcplan catalog` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CatalogFormat {
    /// A listing: each entry with its fields, values and sources.
    #[default]
    Text,
    /// One row per field: `catalog,entry,field,value,source` (values as written in the file).
    Csv,
    /// The entries as data, in the shape of a scenario's `catalog` section (`gpus`, `climates`,
    /// `cooling`, `tariffs`), as a JSON scenario or an included catalog writes them.
    Json,
}

/// `dcplan catalog`: every built-in catalog, or only `which`, in `format`.
pub fn main(which: Option<CatalogKind>, format: CatalogFormat) -> Result<ExitCode> {
    match format {
        CatalogFormat::Text => {}
        CatalogFormat::Csv => {
            say(&catalog_csv(which));
            return Ok(ExitCode::SUCCESS);
        }
        CatalogFormat::Json => {
            say(&catalog_json(which)?);
            return Ok(ExitCode::SUCCESS);
        }
    }
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

/// The built-in catalogs (or only `which`) as JSON data, in the shape of a `catalog` section.
pub(crate) fn catalog_json(which: Option<CatalogKind>) -> Result<String> {
    let c = dcplan_sim::catalog::Catalog::builtin();
    let wanted = |k: CatalogKind| which.is_none_or(|w| w == k);
    let mut out = serde_json::Map::new();
    if wanted(CatalogKind::Gpus) {
        out.insert("gpus".into(), serde_json::to_value(&c.gpus)?);
    }
    if wanted(CatalogKind::Climates) {
        out.insert("climates".into(), serde_json::to_value(&c.climates)?);
    }
    if wanted(CatalogKind::Cooling) {
        out.insert("cooling".into(), serde_json::to_value(&c.cooling)?);
    }
    if wanted(CatalogKind::Tariffs) {
        out.insert("tariffs".into(), serde_json::to_value(&c.tariffs)?);
    }
    let mut text = serde_json::to_string_pretty(&out)?;
    text.push('\n');
    Ok(text)
}

/// The built-in catalogs (or only `which`) as CSV: one row per field of each entry, with the
/// value as written in the catalog file and its source comment.
pub(crate) fn catalog_csv(which: Option<CatalogKind>) -> String {
    use dcplan_sim::catalog;
    fn cell(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }
    let mut out = String::from("catalog,entry,field,value,source\n");
    for (kind, name, text) in [
        (CatalogKind::Gpus, "gpus", catalog::GPUS_RON),
        (CatalogKind::Climates, "climates", catalog::CLIMATES_RON),
        (CatalogKind::Cooling, "cooling", catalog::COOLING_RON),
        (CatalogKind::Tariffs, "tariffs", catalog::TARIFFS_RON),
    ] {
        if which.is_some_and(|w| w != kind) {
            continue;
        }
        let leaves = ron_text::leaves(text);
        for l in &leaves {
            let Some((entry, field)) = l.path.split_once("].") else {
                continue;
            };
            if field == "name" {
                continue;
            }
            let entry_name = leaves
                .iter()
                .find(|x| x.path == format!("{entry}].name"))
                .map_or("?".into(), |x| x.value.trim_matches('"').to_string());
            let value = if field == "description" {
                l.value.trim_matches('"').to_string()
            } else {
                l.value.clone()
            };
            out.push_str(&format!(
                "{name},{},{},{},{}\n",
                cell(&entry_name),
                cell(field),
                cell(&value),
                cell(&l.comment)
            ));
        }
    }
    out
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

    /// A minimal CSV reader for the test: rows of cells, quotes undone.
    fn read_csv(text: &str) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        let (mut row, mut cell, mut quoted) = (Vec::new(), String::new(), false);
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                ('"', _) => quoted = !quoted,
                (',', false) => row.push(std::mem::take(&mut cell)),
                ('\n', false) => {
                    row.push(std::mem::take(&mut cell));
                    rows.push(std::mem::take(&mut row));
                }
                (c, _) => cell.push(c),
            }
        }
        rows
    }

    #[test]
    fn the_catalog_csv_parses_back_with_every_field_and_source() {
        let csv = catalog_csv(None);
        let rows = read_csv(&csv);
        assert_eq!(rows[0], ["catalog", "entry", "field", "value", "source"]);
        assert!(rows.iter().all(|r| r.len() == 5), "{csv}");
        let cat = dcplan_sim::catalog::Catalog::builtin();
        let find = |entry: &str, field: &str| {
            rows.iter()
                .find(|r| r[0] == "gpus" && r[1] == entry && r[2] == field)
                .unwrap_or_else(|| panic!("{entry}.{field} missing"))
                .clone()
        };
        for sku in &cat.gpus {
            let tdp = find(&sku.name, "gpu_tdp_w");
            assert_eq!(tdp[3].parse::<f64>().ok(), Some(sku.gpu_tdp_w));
            assert!(!tdp[4].is_empty(), "{} has no source", sku.name);
            assert_eq!(find(&sku.name, "description")[3], sku.description);
            let date = sku.source_date.expect("a source date");
            assert_eq!(
                find(&sku.name, "source_date.year")[3],
                date.year.to_string()
            );
            assert_eq!(
                find(&sku.name, "source_date.month")[3],
                date.month.to_string()
            );
        }
        // A value with commas (a distribution) and a source with commas come back whole.
        let price = find("B300", "price_usd_per_gpu");
        assert_eq!(price[3], "Pert(55000, 65000, 78000)");
        assert!(price[4].starts_with("E: estimate"), "{}", price[4]);
        let climates = rows.iter().filter(|r| r[0] == "climates").count();
        assert!(climates > 0);
        assert!(
            catalog_csv(Some(CatalogKind::Gpus))
                .lines()
                .skip(1)
                .all(|l| l.starts_with("gpus,"))
        );
    }

    #[test]
    fn the_catalog_json_parses_back_into_the_catalog() {
        let json = catalog_json(None).expect("json");
        let back: dcplan_sim::scenario::CatalogOverrides =
            serde_json::from_str(&json).expect("parses as a catalog section");
        let cat = dcplan_sim::catalog::Catalog::builtin();
        assert_eq!(back.climates, cat.climates);
        assert_eq!(back.cooling, cat.cooling);
        assert_eq!(back.tariffs, cat.tariffs);
        assert_eq!(back.gpus.len(), cat.gpus.len());
        let (rebuilt, problems) = dcplan_sim::catalog::Catalog {
            gpus: Vec::new(),
            ..cat.clone()
        }
        .with_overrides(&back);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rebuilt, cat);
        let gpus: serde_json::Value =
            serde_json::from_str(&catalog_json(Some(CatalogKind::Gpus)).expect("json"))
                .expect("json");
        assert_eq!(gpus.as_object().map(|o| o.len()), Some(1));
    }

    #[test]
    fn the_catalog_listing_names_every_entry_with_sources() {
        let gpus = catalog_listing("GPU SKUs", "gpus.ron", dcplan_sim::catalog::GPUS_RON);
        for sku in [
            "H100-SXM",
            "H200",
            "B200",
            "GB200-NVL72",
            "MI300X",
            "B300",
            "GB300-NVL72",
            "MI355X",
        ] {
            assert!(
                gpus.contains(&format!("\n  {sku}: ")),
                "{sku} missing:\n{gpus}"
            );
        }
        assert!(gpus.contains("node_max_kw") && gpus.contains("NVIDIA DGX H100/H200 user guide"));
    }
}
