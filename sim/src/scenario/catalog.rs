//! The `catalog` section of a scenario: overrides of built-in catalog entries, and new entries,
//! applied to the built-in catalog.

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, SkuOverride, check_sku};
use crate::problems::Problems;

/// Changes to the built-in catalogs made by one scenario.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogOverrides {
    /// GPU SKUs: an entry with a built-in name overrides the given fields; a new name must give every field.
    #[serde(default)]
    pub gpus: Vec<SkuOverride>,
    /// Climate presets: a whole entry replaces the built-in one of the same name, or adds one.
    #[serde(default)]
    pub climates: Vec<crate::energy::weather::Climate>,
    /// Cooling presets: a whole entry replaces the built-in one of the same name, or adds one.
    #[serde(default)]
    pub cooling: Vec<crate::energy::cooling::CoolingPreset>,
    /// Wholesale market presets: a whole entry replaces the built-in one of the same name, or adds one.
    #[serde(default)]
    pub tariffs: Vec<crate::energy::prices::MarketPreset>,
}

impl CatalogOverrides {
    /// True when the scenario changes nothing.
    pub fn is_empty(&self) -> bool {
        self.gpus.is_empty()
            && self.climates.is_empty()
            && self.cooling.is_empty()
            && self.tariffs.is_empty()
    }
}

impl Catalog {
    /// Apply a scenario's overrides; problems are reported with their field paths
    /// (`catalog.gpus[i].field` for the override's `i`).
    pub fn with_overrides(mut self, overrides: &CatalogOverrides) -> (Catalog, Problems) {
        let mut problems = Problems::default();
        for (i, o) in overrides.gpus.iter().enumerate() {
            let path = format!("catalog.gpus[{i}]");
            match self.gpus.iter_mut().find(|s| s.name == o.name) {
                Some(sku) => o.apply(sku),
                None => match o.build() {
                    Ok(sku) => self.gpus.push(sku),
                    Err(missing) => problems.push(
                        path,
                        format!(
                            "\"{}\" is not a built-in SKU ({}), so every field must be given; missing: {}",
                            o.name,
                            self.gpus.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
                            missing.join(", ")
                        ),
                    ),
                },
            }
        }
        for (i, o) in overrides.gpus.iter().enumerate() {
            let path = format!("catalog.gpus[{i}]");
            if overrides.gpus[..i].iter().any(|e| e.name == o.name) {
                problems.push(
                    format!("{path}.name"),
                    format!(
                        "\"{}\" is overridden twice; give each SKU one entry",
                        o.name
                    ),
                );
            } else if let Some(sku) = self.sku(&o.name) {
                check_sku(&path, sku, &mut problems);
            }
        }
        fn replace_or_add<T: Clone>(list: &mut Vec<T>, items: &[T], name: impl Fn(&T) -> &str) {
            for item in items {
                match list.iter_mut().find(|x| name(x) == name(item)) {
                    Some(slot) => *slot = item.clone(),
                    None => list.push(item.clone()),
                }
            }
        }
        replace_or_add(&mut self.climates, &overrides.climates, |c| c.name.as_str());
        replace_or_add(&mut self.cooling, &overrides.cooling, |c| c.name.as_str());
        replace_or_add(&mut self.tariffs, &overrides.tariffs, |c| c.name.as_str());
        for (i, c) in overrides.cooling.iter().enumerate() {
            for problem in c.check() {
                let (field, message) = problem.split_once(": ").unwrap_or(("", problem.as_str()));
                problems.push(format!("catalog.cooling[{i}].{field}"), message.to_string());
            }
            let (low, high) = c.range_pue;
            if low.is_finite() && high.is_finite() && low > high {
                problems.push(
                    format!("catalog.cooling[{i}].range_pue"),
                    format!("({low}, {high}): the low end is above the high end"),
                );
            }
        }
        // Every other number of the overrides (climates, tariffs, the rest of the cooling
        // presets) against its range.
        super::validate::check_numbers_of(overrides, "catalog", &mut problems);
        (self, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::SkuOverride;

    #[test]
    fn builtin_catalog_has_the_required_skus_and_is_valid() {
        let cat = Catalog::builtin();
        for name in [
            "H100-SXM",
            "H200",
            "B200",
            "GB200-NVL72",
            "MI300X",
            "B300",
            "GB300-NVL72",
            "MI355X",
        ] {
            assert!(cat.sku(name).is_some(), "{name} missing");
        }
        // Every entry says how old its figures are.
        for sku in &cat.gpus {
            let date = sku
                .source_date
                .unwrap_or_else(|| panic!("{}: no source_date", sku.name));
            // Figures of a SKU rest on sources no older than its release.
            assert!(
                (date.year, date.month) >= (sku.release.year, sku.release.month),
                "{}",
                sku.name
            );
        }
        let (_, problems) = cat.with_overrides(&CatalogOverrides::default());
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn overrides_change_fields_and_new_skus_need_every_field() {
        let o = CatalogOverrides {
            gpus: vec![
                SkuOverride {
                    name: "H100-SXM".into(),
                    node_max_kw: Some(11.0),
                    ..Default::default()
                },
                SkuOverride {
                    name: "X1".into(),
                    gpu_tdp_w: Some(500.0),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let (cat, problems) = Catalog::builtin().with_overrides(&o);
        assert_eq!(cat.sku("H100-SXM").map(|s| s.node_max_kw), Some(11.0));
        let v: Vec<_> = problems.iter().collect();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].path, "catalog.gpus[1]");
        assert!(
            v[0].message.contains("missing: description, gpus_per_node"),
            "{}",
            v[0].message
        );
    }
}
