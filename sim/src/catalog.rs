//! Built-in catalogs (GPU SKUs), read from `scenarios/catalog/` at build time.
//!
//! Every number in the catalog files carries its source in a comment. A scenario may override any
//! field of a built-in entry, or add a new entry, in its `catalog` section.

use serde::{Deserialize, Serialize};

use crate::dist::Param;
use crate::energy::cooling::CoolingPreset;
use crate::energy::prices::MarketPreset;
use crate::energy::weather::Climate;
use crate::problems::{Problems, parse_ron};
use crate::time::YearMonth;

/// The GPU catalog file, embedded.
pub const GPUS_RON: &str = include_str!("../../scenarios/catalog/gpus.ron");
/// The climate catalog file, embedded.
pub const CLIMATES_RON: &str = include_str!("../../scenarios/catalog/climates.ron");
/// The cooling catalog file, embedded.
pub const COOLING_RON: &str = include_str!("../../scenarios/catalog/cooling.ron");
/// The wholesale market catalog file, embedded.
pub const TARIFFS_RON: &str = include_str!("../../scenarios/catalog/tariffs.ron");

/// One GPU SKU.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// Software and transient interruptions per GPU-year: driver resets, hung jobs, host reboots;
    /// the node restarts within hours and no part is replaced.
    pub transient_failures_per_gpu_year: f64,
    /// Hardware failures per GPU-year: a GPU, memory, NIC or board fault that needs a part swap
    /// (repair in days; a contract on the node moves to a spare if one is free).
    pub permanent_failures_per_gpu_year: f64,
    /// Month of general availability.
    pub release: YearMonth,
    /// True if the SKU needs liquid cooling.
    pub liquid_cooled_only: bool,
    /// Month of the newest source the entry's figures rest on, so that stale numbers show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_date: Option<YearMonth>,
    /// Tokens one GPU generates per hour on a published inference benchmark (MLPerf Inference,
    /// Llama 2 70B, offline scenario: tokens per second per GPU x 3,600), where a figure is
    /// published; a scenario that counts tokens (`pricing.tokens`) uses it for a SKU it gives no
    /// figure of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_gpu_hour: Option<f64>,
}

macro_rules! sku_override {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// Changes to a catalog SKU, or a new SKU when every field is given.
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct SkuOverride {
            /// Name of the SKU to change or add.
            pub name: String,
            $(
                #[doc = concat!("New value of `", stringify!($field), "`.")]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            /// New value of `source_date` (optional for a new SKU too).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub source_date: Option<YearMonth>,
            /// New value of `tokens_per_gpu_hour` (optional for a new SKU too).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub tokens_per_gpu_hour: Option<f64>,
        }

        impl SkuOverride {
            pub(crate) fn apply(&self, sku: &mut Sku) {
                $( if let Some(v) = &self.$field { sku.$field = v.clone(); } )*
                if self.source_date.is_some() {
                    sku.source_date = self.source_date;
                }
                if self.tokens_per_gpu_hour.is_some() {
                    sku.tokens_per_gpu_hour = self.tokens_per_gpu_hour;
                }
            }

            pub(crate) fn build(&self) -> Result<Sku, Vec<&'static str>> {
                let mut missing = Vec::new();
                $( if self.$field.is_none() { missing.push(stringify!($field)); } )*
                if !missing.is_empty() {
                    return Err(missing);
                }
                Ok(Sku {
                    name: self.name.clone(),
                    $( $field: self.$field.clone().expect("checked above"), )*
                    source_date: self.source_date,
                    tokens_per_gpu_hour: self.tokens_per_gpu_hour,
                })
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
    /// Climate presets.
    pub climates: Vec<Climate>,
    /// Cooling presets.
    pub cooling: Vec<CoolingPreset>,
    /// Wholesale electricity market presets.
    pub tariffs: Vec<MarketPreset>,
}

impl Catalog {
    /// The built-in catalog.
    pub fn builtin() -> Catalog {
        fn load<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> T {
            parse_ron(file, text)
                .unwrap_or_else(|e| panic!("the built-in catalog {file} is broken: {e}"))
        }
        Catalog {
            gpus: load("scenarios/catalog/gpus.ron", GPUS_RON),
            climates: load("scenarios/catalog/climates.ron", CLIMATES_RON),
            cooling: load("scenarios/catalog/cooling.ron", COOLING_RON),
            tariffs: load("scenarios/catalog/tariffs.ron", TARIFFS_RON),
        }
    }

    /// A climate preset by name.
    pub fn climate(&self, name: &str) -> Option<&Climate> {
        self.climates.iter().find(|c| c.name == name)
    }

    /// A cooling preset by name.
    pub fn cooling_preset(&self, name: &str) -> Option<&CoolingPreset> {
        self.cooling.iter().find(|c| c.name == name)
    }

    /// A market preset by name.
    pub fn market(&self, name: &str) -> Option<&MarketPreset> {
        self.tariffs.iter().find(|c| c.name == name)
    }

    /// Names of a list, comma separated.
    pub fn names<T>(items: &[T], name: impl Fn(&T) -> &str) -> String {
        items.iter().map(name).collect::<Vec<_>>().join(", ")
    }

    /// Look up a SKU by name.
    pub fn sku(&self, name: &str) -> Option<&Sku> {
        self.gpus.iter().find(|s| s.name == name)
    }

    /// Index of a SKU by name.
    pub fn sku_index(&self, name: &str) -> Option<usize> {
        self.gpus.iter().position(|s| s.name == name)
    }

    /// Names of all SKUs, comma separated (for messages).
    pub fn sku_names(&self) -> String {
        self.gpus
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(crate) fn check_sku(path: &str, sku: &Sku, problems: &mut Problems) {
    if sku.gpus_per_node == 0 || sku.gpus_per_node > 1024 {
        problems.push(
            format!("{path}.gpus_per_node"),
            format!("{} must be between 1 and 1024", sku.gpus_per_node),
        );
    }
    let positive = |name: &str, v: f64, hi: f64, problems: &mut Problems| {
        if v.is_finite() && !(v > 0.0 && v <= hi) {
            problems.push(
                format!("{path}.{name}"),
                format!("{v} must be > 0 and at most {hi}"),
            );
        }
    };
    positive("gpu_tdp_w", sku.gpu_tdp_w, 10_000.0, problems);
    positive("node_max_kw", sku.node_max_kw, 10_000.0, problems);
    positive(
        "relative_throughput",
        sku.relative_throughput,
        1_000.0,
        problems,
    );
    if let Some(t) = sku.tokens_per_gpu_hour {
        positive("tokens_per_gpu_hour", t, 1e12, problems);
    }
    if sku.node_idle_kw.is_finite()
        && !(sku.node_idle_kw >= 0.0 && sku.node_idle_kw <= sku.node_max_kw)
    {
        problems.push(
            format!("{path}.node_idle_kw"),
            format!(
                "{} must be between 0 and node_max_kw ({})",
                sku.node_idle_kw, sku.node_max_kw
            ),
        );
    }
    for (name, v) in [
        (
            "transient_failures_per_gpu_year",
            sku.transient_failures_per_gpu_year,
        ),
        (
            "permanent_failures_per_gpu_year",
            sku.permanent_failures_per_gpu_year,
        ),
    ] {
        if v.is_finite() && !(0.0..=100.0).contains(&v) {
            problems.push(
                format!("{path}.{name}"),
                format!("{v} must be between 0 and 100 per GPU-year"),
            );
        }
    }
    sku.price_usd_per_gpu
        .check_range(&format!("{path}.price_usd_per_gpu"), 0.0, 1e8, problems);
    if !(1..=12).contains(&sku.release.month) {
        problems.push(
            format!("{path}.release.month"),
            format!("{} is not a month (1-12)", sku.release.month),
        );
    }
    if let Some(d) = sku.source_date
        && !(1..=12).contains(&d.month)
    {
        problems.push(
            format!("{path}.source_date.month"),
            format!("{} is not a month (1-12)", d.month),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_number_has_a_source_comment() {
        for (file, text) in [
            ("gpus", GPUS_RON),
            ("climates", CLIMATES_RON),
            ("cooling", COOLING_RON),
            ("tariffs", TARIFFS_RON),
        ] {
            for (i, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if code.chars().any(|c| c.is_ascii_digit())
                    && !code.contains("name:")
                    && !code.contains("description:")
                {
                    assert!(
                        line.contains("//"),
                        "{file} line {} has a number without a source: {line}",
                        i + 1
                    );
                }
            }
        }
    }

    #[test]
    fn every_cooling_preset_keeps_pue_at_or_above_one() {
        for c in Catalog::builtin().cooling {
            assert!(c.check().is_empty(), "{}: {:?}", c.name, c.check());
            for t in [-40.0, 0.0, 25.0, 50.0] {
                for load in [0.05, 0.5, 1.0] {
                    assert!(c.pue(t, load) >= 1.0);
                }
            }
        }
    }
}
