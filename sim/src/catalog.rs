//! Built-in catalogs (GPU SKUs), read from `scenarios/catalog/` at build time.
//!
//! Every number in the catalog files carries its source in a comment. A scenario may override any
//! field of a built-in entry, or add a new entry, in its `catalog` section.

use serde::{Deserialize, Serialize};

use crate::dist::Param;
use crate::scenario::{CatalogOverrides, Problems, parse_ron};
use crate::time::YearMonth;

/// The GPU catalog file, embedded.
pub const GPUS_RON: &str = include_str!("../../scenarios/catalog/gpus.ron");

/// One GPU SKU.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sku {
    /// Name scenarios refer to, e.g. "H100-SXM".
    pub name: String,
    /// What it is.
    pub description: String,
    /// GPUs in one node (the unit that is bought, placed and powered).
    pub gpus_per_node: u32,
    /// Thermal design power of one GPU in W.
    pub gpu_tdp_w: f64,
    /// Maximum input power of one node in kW.
    pub node_max_kw: f64,
    /// Idle power of one node in kW.
    pub node_idle_kw: f64,
    /// Price per GPU in USD including the server (parameter).
    pub price_usd_per_gpu: Param,
    /// Throughput relative to an H100 SXM GPU.
    pub relative_throughput: f64,
    /// Transient failures (reboot, hours) per GPU-year.
    pub transient_failures_per_gpu_year: f64,
    /// Permanent failures (parts replaced, days) per GPU-year.
    pub permanent_failures_per_gpu_year: f64,
    /// Month of general availability.
    pub release: YearMonth,
    /// True if the SKU needs liquid cooling.
    pub liquid_cooled_only: bool,
}

macro_rules! sku_override {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// Changes to a catalog SKU, or a new SKU when every field is given.
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct SkuOverride {
            /// Name of the SKU to change or add.
            pub name: String,
            $(
                #[doc = concat!("New value of `", stringify!($field), "`.")]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }

        impl SkuOverride {
            fn apply(&self, sku: &mut Sku) {
                $( if let Some(v) = &self.$field { sku.$field = v.clone(); } )*
            }

            fn build(&self) -> Result<Sku, Vec<&'static str>> {
                let mut missing = Vec::new();
                $( if self.$field.is_none() { missing.push(stringify!($field)); } )*
                if !missing.is_empty() {
                    return Err(missing);
                }
                Ok(Sku { name: self.name.clone(), $( $field: self.$field.clone().expect("checked above"), )* })
            }
        }
    };
}

sku_override! {
    description: String,
    gpus_per_node: u32,
    gpu_tdp_w: f64,
    node_max_kw: f64,
    node_idle_kw: f64,
    price_usd_per_gpu: Param,
    relative_throughput: f64,
    transient_failures_per_gpu_year: f64,
    permanent_failures_per_gpu_year: f64,
    release: YearMonth,
    liquid_cooled_only: bool,
}

/// The catalogs a scenario can refer to.
#[derive(Clone, Debug, PartialEq)]
pub struct Catalog {
    /// GPU SKUs in catalog order.
    pub gpus: Vec<Sku>,
}

impl Catalog {
    /// The built-in catalog.
    pub fn builtin() -> Catalog {
        let gpus: Vec<Sku> = parse_ron("scenarios/catalog/gpus.ron", GPUS_RON)
            .unwrap_or_else(|e| panic!("the built-in GPU catalog is broken: {e}"));
        Catalog { gpus }
    }

    /// Look up a SKU by name.
    pub fn sku(&self, name: &str) -> Option<&Sku> {
        self.gpus.iter().find(|s| s.name == name)
    }

    /// Index of a SKU by name.
    pub fn sku_index(&self, name: &str) -> Option<usize> {
        self.gpus.iter().position(|s| s.name == name)
    }

    /// Apply a scenario's overrides; problems are reported with their field paths.
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
        for (i, sku) in self.gpus.iter().enumerate() {
            check_sku(&format!("catalog.gpus[{i}] ({})", sku.name), sku, &mut problems);
        }
        (self, problems)
    }

    /// Names of all SKUs, comma separated (for messages).
    pub fn sku_names(&self) -> String {
        self.gpus.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

fn check_sku(path: &str, sku: &Sku, problems: &mut Problems) {
    if sku.gpus_per_node == 0 || sku.gpus_per_node > 1024 {
        problems.push(format!("{path}.gpus_per_node"), format!("{} must be between 1 and 1024", sku.gpus_per_node));
    }
    let positive = |name: &str, v: f64, hi: f64, problems: &mut Problems| {
        if !(v.is_finite() && v > 0.0 && v <= hi) {
            problems.push(format!("{path}.{name}"), format!("{v} must be > 0 and at most {hi}"));
        }
    };
    positive("gpu_tdp_w", sku.gpu_tdp_w, 10_000.0, problems);
    positive("node_max_kw", sku.node_max_kw, 10_000.0, problems);
    positive("relative_throughput", sku.relative_throughput, 1_000.0, problems);
    if !(sku.node_idle_kw.is_finite() && sku.node_idle_kw >= 0.0 && sku.node_idle_kw <= sku.node_max_kw) {
        problems.push(
            format!("{path}.node_idle_kw"),
            format!("{} must be between 0 and node_max_kw ({})", sku.node_idle_kw, sku.node_max_kw),
        );
    }
    for (name, v) in [
        ("transient_failures_per_gpu_year", sku.transient_failures_per_gpu_year),
        ("permanent_failures_per_gpu_year", sku.permanent_failures_per_gpu_year),
    ] {
        if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
            problems.push(format!("{path}.{name}"), format!("{v} must be between 0 and 100 per GPU-year"));
        }
    }
    sku.price_usd_per_gpu.check_range(&format!("{path}.price_usd_per_gpu"), 0.0, 1e8, problems);
    if !(1..=12).contains(&sku.release.month) {
        problems.push(format!("{path}.release.month"), format!("{} is not a month (1-12)", sku.release.month));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_has_the_required_skus_and_is_valid() {
        let cat = Catalog::builtin();
        for name in ["H100-SXM", "H200", "B200", "GB200-NVL72", "MI300X"] {
            assert!(cat.sku(name).is_some(), "{name} missing");
        }
        let (_, problems) = cat.with_overrides(&CatalogOverrides::default());
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn every_catalog_number_has_a_source_comment() {
        for (i, line) in GPUS_RON.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.chars().any(|c| c.is_ascii_digit()) && !code.contains("name:") && !code.contains("description:") {
                assert!(line.contains("//"), "line {} has a number without a source: {line}", i + 1);
            }
        }
    }

    #[test]
    fn overrides_change_fields_and_new_skus_need_every_field() {
        let o = CatalogOverrides {
            gpus: vec![
                SkuOverride { name: "H100-SXM".into(), node_max_kw: Some(11.0), ..Default::default() },
                SkuOverride { name: "X1".into(), gpu_tdp_w: Some(500.0), ..Default::default() },
            ],
        };
        let (cat, problems) = Catalog::builtin().with_overrides(&o);
        assert_eq!(cat.sku("H100-SXM").map(|s| s.node_max_kw), Some(11.0));
        let v: Vec<_> = problems.iter().collect();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].path, "catalog.gpus[1]");
        assert!(v[0].message.contains("missing: description, gpus_per_node"), "{}", v[0].message);
    }
}
