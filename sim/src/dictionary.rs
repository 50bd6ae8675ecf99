//! The data dictionary: every column of every table a run writes, with its unit and definition,
//! generated from the column descriptions (`crate::columns`) and the records that carry them
//! (`crate::results`).

use crate::columns::{AXIS, Column, HOURLY, MARKET_PRICE, PARAM, SUMMARY, key};
use crate::results::{Kpis, MonthRow};

/// One row of the data dictionary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Table (file name without extension: `runs`, `monthly`, ...).
    pub table: &'static str,
    /// Column name.
    pub column: String,
    /// Unit.
    pub unit: &'static str,
    /// What the column holds.
    pub definition: String,
}

/// The data dictionary: every column of the tables a run writes (`runs`, `monthly`, `fleet`,
/// `market`, `hourly`, `summary`, `proforma`, and the study tables `comparison`, `sensitivity`,
/// `candidates`), in table order, with its unit and definition.
pub fn dictionary() -> Vec<Entry> {
    use crate::model::fleet::GpuState;
    let entry = |table: &'static str, c: &Column| Entry {
        table,
        column: c.name.to_string(),
        unit: c.unit,
        definition: c.definition.to_string(),
    };
    let mut out = Vec::new();
    for c in [key::VARIANT, AXIS, key::REPLICATION, key::SEED, key::EVENTS]
        .iter()
        .chain(Kpis::COLUMNS)
        .chain([PARAM].iter())
    {
        out.push(entry("runs", c));
    }
    let month = &MonthRow::COLUMNS[0];
    for c in [
        key::VARIANT,
        AXIS,
        key::REPLICATION,
        *month,
        key::YEAR_MONTH,
        key::MONTH_START,
    ]
    .iter()
    .chain(MonthRow::COLUMNS.iter().filter(|c| c.name != month.name))
    {
        out.push(entry("monthly", c));
    }
    for c in [
        key::VARIANT,
        key::REPLICATION,
        key::MONTH,
        key::MONTH_START,
        key::SKU,
    ]
    .iter()
    {
        out.push(entry("fleet", c));
    }
    for s in GpuState::ALL {
        out.push(Entry {
            table: "fleet",
            column: format!("{}_gpus", s.label()),
            unit: "GPUs",
            definition: format!("GPUs of the SKU at month end {}.", gpu_state_definition(s)),
        });
    }
    for c in [
        key::VARIANT,
        key::REPLICATION,
        key::MONTH,
        key::MONTH_START,
        key::SKU,
        MARKET_PRICE,
    ]
    .iter()
    {
        out.push(entry("market", c));
    }
    for c in [
        key::VARIANT,
        key::REPLICATION,
        key::HOUR,
        key::YEAR_MONTH,
        key::DAY,
        key::HOUR_OF_DAY,
    ]
    .iter()
    .chain(HOURLY)
    {
        out.push(entry("hourly", c));
    }
    for c in [key::VARIANT, key::KPI].iter().chain(SUMMARY) {
        out.push(entry("summary", c));
    }
    let plain = |table: &'static str, column: &str, unit: &'static str, definition: &str| Entry {
        table,
        column: column.to_string(),
        unit,
        definition: definition.to_string(),
    };
    for (column, unit, definition) in PROFORMA_COLUMNS {
        out.push(plain("proforma", column, unit, definition));
    }
    for (column, unit, definition) in DECISION_COLUMNS {
        out.push(plain("decisions", column, unit, definition));
    }
    for (table, columns) in [
        ("comparison", COMPARISON_COLUMNS),
        ("sensitivity", SENSITIVITY_COLUMNS),
        ("candidates", CANDIDATES_COLUMNS),
    ] {
        for (column, unit, definition) in columns {
            out.push(plain(table, column, unit, definition));
        }
    }
    for (column, definition) in [
        ("table", "Table (file name without extension)."),
        ("column", "Column name."),
        (
            "unit",
            "Unit of the column's values (`text` for names and labels).",
        ),
        ("definition", "What the column holds."),
    ] {
        out.push(plain("columns", column, "text", definition));
    }
    out
}

/// The columns of `comparison.csv` (a comparison or sweep folder), with unit and definition.
/// Statistics are in the metric's own unit (its `metric` row names it).
pub const COMPARISON_COLUMNS: &[(&str, &str, &str)] = &[
    (
        "variant",
        "text",
        "Variant (compared scenario or sweep point); the first is the baseline of the paired differences.",
    ),
    (
        "metric",
        "text",
        "The measure compared (a KPI name as in runs.parquet, or an annualised figure such as `annual_market_tco2`); its unit is the KPI's.",
    ),
    (
        "share_never",
        "fraction",
        "For a time until an event that may not happen within the horizon (payback): the share of replications where it never does; empty for other metrics.",
    ),
    (
        "mean",
        "metric's unit",
        "Mean across replications (empty for a time some replications never reach).",
    ),
    ("se", "metric's unit", "Standard error of the mean."),
    (
        "p5",
        "metric's unit",
        "5th percentile across replications (nearest rank; `never` for a time beyond the horizon).",
    ),
    (
        "p10",
        "metric's unit",
        "10th percentile across replications.",
    ),
    ("p50", "metric's unit", "Median across replications."),
    (
        "p90",
        "metric's unit",
        "90th percentile across replications.",
    ),
    (
        "p95",
        "metric's unit",
        "95th percentile across replications.",
    ),
    (
        "paired_diff_mean",
        "metric's unit",
        "Mean of the replication-by-replication difference, this variant minus the first (common random numbers: same seeds).",
    ),
    (
        "paired_diff_se",
        "metric's unit",
        "Standard error of the paired difference.",
    ),
    (
        "paired_diff_ci95_lo",
        "metric's unit",
        "Lower end of the 95 % confidence interval of the mean paired difference.",
    ),
    (
        "paired_diff_ci95_hi",
        "metric's unit",
        "Upper end of the 95 % confidence interval of the mean paired difference.",
    ),
    (
        "paired_diff_p5",
        "metric's unit",
        "5th percentile of the paired differences.",
    ),
    (
        "paired_diff_p10",
        "metric's unit",
        "10th percentile of the paired differences.",
    ),
    (
        "paired_diff_p50",
        "metric's unit",
        "Median of the paired differences.",
    ),
    (
        "paired_diff_p90",
        "metric's unit",
        "90th percentile of the paired differences.",
    ),
    (
        "paired_diff_p95",
        "metric's unit",
        "95th percentile of the paired differences.",
    ),
    (
        "sweep:<field path>",
        "field's unit",
        "In a sweep: one column per axis, the value of that scenario field in this variant (a number, or the value as written).",
    ),
];

/// The columns of `sensitivity.csv` (a `dcplan sensitivity` folder), with unit and definition.
pub const SENSITIVITY_COLUMNS: &[(&str, &str, &str)] = &[
    (
        "input",
        "text",
        "Field path of the uncertain input (its label is in the report).",
    ),
    (
        "value_p10",
        "input's unit",
        "The input's P10, the low setting.",
    ),
    (
        "value_p50",
        "input's unit",
        "The input's median, the base setting.",
    ),
    (
        "value_p90",
        "input's unit",
        "The input's P90, the high setting.",
    ),
    (
        "npv_p50_usd_at_p10",
        "USD",
        "P50 project NPV with this input at its P10 and the others at their medians.",
    ),
    (
        "npv_p50_usd_base",
        "USD",
        "P50 project NPV with every input at its median.",
    ),
    (
        "npv_p50_usd_at_p90",
        "USD",
        "P50 project NPV with this input at its P90.",
    ),
    (
        "npv_swing_usd",
        "USD",
        "Absolute difference of the two P50 NPVs: the tornado bar's length.",
    ),
    (
        "payback_p50_months_at_p10",
        "months",
        "P50 payback with this input at its P10 (`never` beyond the horizon).",
    ),
    (
        "payback_p50_months_base",
        "months",
        "P50 payback with every input at its median.",
    ),
    (
        "payback_p50_months_at_p90",
        "months",
        "P50 payback with this input at its P90.",
    ),
    (
        "npv_swing_paired_mean_usd",
        "USD",
        "Mean over replications of NPV at P90 minus NPV at P10, replication by replication (same seeds).",
    ),
    (
        "npv_swing_paired_ci95_lo_usd",
        "USD",
        "Lower end of the 95 % confidence interval of that mean.",
    ),
    (
        "npv_swing_paired_ci95_hi_usd",
        "USD",
        "Upper end of the 95 % confidence interval of that mean.",
    ),
    (
        "equity_irr_p50_frac_at_p10",
        "fraction",
        "P50 equity IRR with this input at its P10 (empty where it does not exist).",
    ),
    (
        "equity_irr_p50_frac_at_p90",
        "fraction",
        "P50 equity IRR with this input at its P90.",
    ),
    (
        "min_dscr_p50_at_p10",
        "ratio",
        "P50 of the lowest yearly DSCR with this input at its P10 (empty without debt).",
    ),
    (
        "min_dscr_p50_at_p90",
        "ratio",
        "P50 of the lowest yearly DSCR with this input at its P90.",
    ),
];

/// The columns of `candidates.csv` (a `dcplan optimize` folder), with unit and definition.
pub const CANDIDATES_COLUMNS: &[(&str, &str, &str)] = &[
    (
        "candidate",
        "text",
        "The candidate: its decision variables and values.",
    ),
    (
        "round",
        "index",
        "Search round that explored it (0: the grid, then each refinement).",
    ),
    (
        "<field path>",
        "field's unit",
        "One column per decision variable: its value in this candidate.",
    ),
    ("npv_p50_usd", "USD", "P50 project NPV, the objective."),
    ("npv_p10_usd", "USD", "P10 project NPV."),
    ("npv_p90_usd", "USD", "P90 project NPV."),
    (
        "constraint_probability",
        "fraction",
        "Probability of the risk constraint's event (e.g. payback within the stated months) across replications.",
    ),
    (
        "feasible",
        "bool",
        "Whether the candidate meets the risk constraint.",
    ),
    (
        "on_frontier",
        "bool",
        "Whether the candidate is on the frontier of P50 NPV against the constraint's probability.",
    ),
    (
        "payback_p50_months",
        "months",
        "P50 payback (`never` beyond the horizon).",
    ),
    ("ebitda_margin_p50_frac", "fraction", "P50 EBITDA margin."),
    ("capex_p50_usd", "USD", "P50 capex over the horizon."),
];

/// The columns of `proforma.csv` (see `crate::proforma`), with unit and definition.
/// Columns of `decisions.parquet` (one row per firing of an expansion policy): name, unit,
/// definition.
pub const DECISION_COLUMNS: &[(&str, &str, &str)] = &[
    (
        "variant",
        "text",
        "Variant name (`base` for a scenario without a sweep).",
    ),
    ("replication", "index", "Replication index (0-based)."),
    (
        "month",
        "month",
        "Month index (0-based) at whose start the policy fired, judged on the months closed before it.",
    ),
    ("year_month", "YYYY-MM", "Calendar month of the firing."),
    ("rule", "text", "Policy name (`policies[].name`)."),
    (
        "action",
        "text",
        "Action kind: `order_tranche`, `start_phase`, `retire_tranche`, `defer_phase`, `cancel_phase` or `set_price_ratio`.",
    ),
    (
        "target",
        "text",
        "Tranche or phase the action concerns (the n-th order of a rule is named `NAME#n` from the second on); `list_price` for a price change.",
    ),
    (
        "gpus",
        "GPUs",
        "GPUs ordered, or GPUs of the tranche retired; 0 for a hall phase.",
    ),
    (
        "capex_usd",
        "USD",
        "Capex the firing committed: GPUs x price + nodes x network for an order, IT MW x cost per MW for a phase, 0 for a retirement, deferral, cancellation or price change (paid when delivered or as construction draws, like planned capex; a cancellation's cost is an operating expense of its month).",
    ),
    (
        "effective_month",
        "month",
        "Month the order is delivered or the phase is ready (the firing month plus the lead time; past the horizon when it does not happen within it); the deferred phase's new ready month; the firing month for a retirement, cancellation or price change.",
    ),
];

const PROFORMA_COLUMNS: &[(&str, &str, &str)] = &[
    (
        "variant",
        "text",
        "Variant name (`base` for a scenario without a sweep).",
    ),
    (
        "basis",
        "text",
        "Which numbers: `median_npv_replication` (one simulated future whose lines add up: the replication with the median NPV), or `p10`, `p50`, `p90` (each line's percentile across replications, line by line, so they do not add up).",
    ),
    (
        "replication",
        "index",
        "Replication index of a `median_npv_replication` row; empty for percentiles.",
    ),
    (
        "period_kind",
        "text",
        "`year` (12 months from the scenario start), `quarter` (3 months; the median-NPV replication only) or `close` (sources and uses from the start to financial close).",
    ),
    ("period", "index", "Period number, from 1."),
    (
        "first_month",
        "month",
        "First month index of the period (0-based).",
    ),
    (
        "last_month",
        "month",
        "Last month index of the period (0-based, inclusive).",
    ),
    (
        "period_start",
        "YYYY-MM",
        "Calendar month the period starts.",
    ),
    (
        "statement",
        "text",
        "Income statement, Cash-flow statement, Balance sheet, Debt schedule, or Sources and uses.",
    ),
    (
        "line",
        "text",
        "Line key (stable across versions), e.g. `revenue`, `bs_cash`, `debt_dscr`, `source:debt_drawn`.",
    ),
    ("label", "text", "Line label as the report shows it."),
    (
        "value",
        "USD (DSCR: ratio)",
        "Value: flows summed over the period, balances at its last month end, DSCR as a ratio (empty where there is no debt service).",
    ),
];

/// What a fleet state column counts (the states of `model::fleet::GpuState`).
fn gpu_state_definition(s: crate::model::fleet::GpuState) -> &'static str {
    use crate::model::fleet::GpuState;
    match s {
        GpuState::Inventory => "delivered and not yet commissioned (waiting for hall power)",
        GpuState::InService => "commissioned and serving or sellable",
        GpuState::Spare => "held as hot spares",
        GpuState::Failed => "down, restarting after a software or transient interruption",
        GpuState::InRepair => "down for repair after a hardware failure",
        GpuState::Retired => "retired",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::{Format, unit_for_name};
    use crate::results::Kpi;

    #[test]
    fn every_kpi_has_a_label_unit_and_definition() {
        assert_eq!(Kpi::ALL.len(), Kpis::COLUMNS.len());
        for (i, &k) in Kpi::ALL.iter().enumerate() {
            let c = k.column();
            assert_eq!(c, &Kpis::COLUMNS[i], "{k:?} is column {i}");
            assert_eq!(Kpi::from_name(c.name), Some(k));
            assert!(c.label.is_some_and(|l| !l.is_empty()), "{}: label", c.name);
            assert!(!c.unit.is_empty(), "{}: unit", c.name);
            assert!(c.definition.len() > 10, "{}: definition", c.name);
        }
        assert_eq!(Kpi::from_name("npv"), None);
        let never: Vec<&str> = Kpi::ALL
            .iter()
            .filter(|k| k.may_not_happen())
            .map(|k| k.name())
            .collect();
        assert_eq!(never, ["payback_months", "first_profit_months"]);
    }

    #[test]
    fn units_and_formats_follow_the_names() {
        assert_eq!(Kpi::NpvUsd.format(), Format::Money);
        assert_eq!(Kpi::NpvUsd.unit(), "USD");
        assert_eq!(Kpi::BreakEvenPriceUsdPerGpuHour.format(), Format::Price);
        assert_eq!(Kpi::EnergyCostUsdPerMwh.unit(), "USD/MWh");
        assert_eq!(Kpi::PaybackMonths.format(), Format::Months);
        assert_eq!(Kpi::InventoryGpuMonths.unit(), "GPU-months");
        assert_eq!(Kpi::Pue.format(), Format::Ratio);
        // DSCR is written as a plain number (three significant digits), as the key table always has.
        assert_eq!(Kpi::MinDscr.format(), Format::Number);
        assert_eq!(Kpi::WueLPerKwh.unit(), "L/kWh");
        assert_eq!(Format::for_name("fleet[0].gpus"), Format::Number);
        assert_eq!(unit_for_name("no_such_thing"), "");
    }

    #[test]
    fn every_column_of_the_dictionary_has_a_unit_and_definition() {
        let d = dictionary();
        for e in &d {
            assert!(!e.unit.is_empty(), "{}.{}: unit", e.table, e.column);
            assert!(!e.definition.is_empty(), "{}.{}", e.table, e.column);
        }
        for table in [
            "runs",
            "monthly",
            "fleet",
            "market",
            "hourly",
            "summary",
            "proforma",
            "columns",
            "comparison",
            "sensitivity",
            "candidates",
            "decisions",
        ] {
            let names: Vec<&str> = d
                .iter()
                .filter(|e| e.table == table)
                .map(|e| e.column.as_str())
                .collect();
            let mut unique = names.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), names.len(), "{table}: a column listed twice");
        }
        let runs = d.iter().filter(|e| e.table == "runs").count();
        assert_eq!(runs, 5 + Kpis::COLUMNS.len() + 1);
        assert!(
            d.iter()
                .any(|e| e.table == "fleet" && e.column == "in_repair_gpus")
        );
    }
}
