//! What every number dcplan reports is: one description per KPI and per table column (name,
//! label, unit, format, definition, and whether it may never happen), and the data dictionary
//! generated from them.
//!
//! The KPIs and the monthly rows describe themselves (`Kpis::COLUMNS`, `MonthRow::COLUMNS` and
//! the `Kpi` enum, generated with the structs in `crate::results` from the types here); this
//! module holds the description type, the rules units and formats follow, and the columns of the
//! other tables (keys, fleet, market, hourly flows, summary statistics). `crate::dictionary`
//! lists them all table by table.
//! Tables, the report, comparisons and studies read these descriptions instead of keeping their
//! own lists, so a KPI's name, label, unit, format and definition are written once.

use crate::energy::dispatch::HourFlows;

/// How a number is written in reports (the rules of `dcplan::format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Dollars with cents: `$2.95` (prices per unit).
    Price,
    /// Money with a scale suffix: `$412M`, `-$3.4M`.
    Money,
    /// A fraction as a percentage: `78.3 %`.
    Percent,
    /// A number of months: `48`, `61.9` (whole numbers above 1,000 with separators); `never`
    /// where the event never happens within the horizon.
    Months,
    /// A ratio with two decimals: `1.18`.
    Ratio,
    /// Thousands separators from 1,000 up, three significant digits below.
    Number,
}

impl Format {
    /// The format the naming convention gives a column (its unit suffix): `_usd_per_mwh`,
    /// `_usd_per_gpu_hour` and `_usd_per_mtok` are prices, `_usd` money, `_frac` a percentage, `_months` months, `pue`
    /// and `_ratio` ratios, anything else a plain number. Also used for names that are not
    /// columns, such as a scenario's field paths.
    pub const fn for_name(name: &str) -> Format {
        if ends_with(name, "_usd_per_mwh")
            || ends_with(name, "_usd_per_gpu_hour")
            || ends_with(name, "_usd_per_mtok")
        {
            Format::Price
        } else if ends_with(name, "_usd") {
            Format::Money
        } else if ends_with(name, "_frac") {
            Format::Percent
        } else if ends_with(name, "_months") {
            Format::Months
        } else if eq(name, "pue") || ends_with(name, "_ratio") {
            Format::Ratio
        } else {
            Format::Number
        }
    }
}

/// The unit of a column, from its name: the unit suffix, or for the few names without one, the
/// kind of number (a ratio, a count). Empty for a name the rules do not know (a test keeps every
/// reported column known).
pub const fn unit_for_name(name: &str) -> &'static str {
    const EXACT: &[(&str, &str)] = &[
        ("pue", "ratio"),
        ("dscr", "ratio"),
        ("min_dscr", "ratio"),
        ("min_annual_dscr", "ratio"),
        ("tco2", "tCO2"),
        ("annual_tco2", "tCO2 per year"),
        ("annual_market_tco2", "tCO2 per year"),
        ("annual_energy_cost_usd", "USD per year"),
        ("month", "month index"),
        ("failures", "count"),
        ("preemptions", "count"),
        ("renewals", "count"),
        ("churned_contracts", "count"),
        ("spare_migrations", "count"),
    ];
    const SUFFIX: &[(&str, &str)] = &[
        ("_usd_per_mwh", "USD/MWh"),
        ("_usd_per_gpu_hour", "USD/GPU-hour"),
        ("_usd_per_mtok", "USD per million tokens"),
        ("_tokens", "tokens"),
        ("_l_per_kwh", "L/kWh"),
        ("_usd", "USD"),
        ("_frac", "fraction"),
        ("_gpu_months", "GPU-months"),
        ("_months", "months"),
        ("_gpu_hours", "GPU-hours"),
        ("_hours", "hours"),
        ("_mwh", "MWh"),
        ("_kwh", "kWh"),
        ("_kw", "kW"),
        ("_tco2", "tCO2"),
        ("_m3", "m3"),
        ("_l", "L"),
        ("_c", "C"),
        ("_gpus", "GPUs"),
    ];
    let mut i = 0;
    while i < EXACT.len() {
        if eq(name, EXACT[i].0) {
            return EXACT[i].1;
        }
        i += 1;
    }
    if starts_with(name, "requests_") || starts_with(name, "failures_") {
        return "count";
    }
    let mut i = 0;
    while i < SUFFIX.len() {
        if ends_with(name, SUFFIX[i].0) {
            return SUFFIX[i].1;
        }
        i += 1;
    }
    ""
}

/// Describes one column of a table (or one KPI).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// Column name (snake case, unit suffix).
    pub name: &'static str,
    /// Label for reports (KPIs; `None` for a column no report labels).
    pub label: Option<&'static str>,
    /// Unit ([`unit_for_name`]).
    pub unit: &'static str,
    /// How reports write it ([`Format::for_name`]).
    pub format: Format,
    /// What the number is (the doc comment of its field).
    pub definition: &'static str,
    /// A time until an event that may never happen within the horizon (payback, first profit):
    /// its percentiles count "never" as later than any month (`stats::summarize_never_last`).
    pub may_not_happen: bool,
}

impl Column {
    /// A column whose unit and format follow from its name, without a label.
    pub const fn new(name: &'static str, definition: &'static str) -> Column {
        Column {
            name,
            label: None,
            unit: unit_for_name(name),
            format: Format::for_name(name),
            definition,
            may_not_happen: false,
        }
    }

    /// The same column with a label.
    pub const fn labelled(self, label: &'static str) -> Column {
        Column {
            label: Some(label),
            ..self
        }
    }

    /// The same column with an explicit unit (for a key column whose name has no unit suffix).
    pub const fn with_unit(self, unit: &'static str) -> Column {
        Column { unit, ..self }
    }
}

/// Key columns: what a row of a table is about.
pub mod key {
    use super::Column;

    /// `variant`.
    pub const VARIANT: Column = Column::new(
        "variant",
        "Variant name (\"base\" for a scenario without a sweep).",
    )
    .with_unit("text");
    /// `replication`.
    pub const REPLICATION: Column =
        Column::new("replication", "Replication index (0-based).").with_unit("index");
    /// `seed`.
    pub const SEED: Column = Column::new("seed", "Master seed of the run.").with_unit("seed");
    /// `events`.
    pub const EVENTS: Column =
        Column::new("events", "Events the engine handled in the replication.").with_unit("count");
    /// `month` (fleet and market tables).
    pub const MONTH: Column =
        Column::new("month", "Month index from the scenario start (0-based).");
    /// `month_start` (monthly, fleet and market tables).
    pub const MONTH_START: Column = Column::new(
        "month_start",
        "First day of the row's calendar month (a date, beside the month index).",
    )
    .with_unit("date");
    /// `year_month`.
    pub const YEAR_MONTH: Column =
        Column::new("year_month", "Calendar month of the row.").with_unit("YYYY-MM");
    /// `sku`.
    pub const SKU: Column = Column::new("sku", "GPU server type (catalog name).").with_unit("text");
    /// `hour`.
    pub const HOUR: Column = Column::new("hour", "Hour index from the scenario start (0-based).")
        .with_unit("hour index");
    /// `day`.
    pub const DAY: Column =
        Column::new("day", "Day of the month (1-based).").with_unit("day of month");
    /// `hour_of_day`.
    pub const HOUR_OF_DAY: Column =
        Column::new("hour_of_day", "Hour of the day (0-23).").with_unit("hour of day");
    /// `kpi` (summary table).
    pub const KPI: Column = Column::new(
        "kpi",
        "The KPI summarised (a column of the runs table), or a risk statistic: \
         p_payback_within_N_months, p_npv_negative, cvar5_npv_usd.",
    )
    .with_unit("text");
    /// `metric` (comparison table).
    pub const METRIC: Column = Column::new(
        "metric",
        "The metric compared: a KPI, or a KPI per year (annual_energy_cost_usd, annual_tco2, \
         annual_market_tco2).",
    )
    .with_unit("text");
}

/// The prefix of the columns that hold a sweep axis's value in the row's variant.
pub const AXIS_PREFIX: &str = "sweep:";

/// The `sweep:<field path>` columns of `runs` and `monthly` (one per sweep axis, in a sweep's
/// folder only).
pub const AXIS: Column = Column::new(
    "sweep:<field path>",
    "Value of the sweep axis at the field path in the row's variant: a number where every value \
     of the axis is one, else the value as written (RON). One column per axis; only in a sweep.",
)
.with_unit("the field's unit");

/// The prefix of the `runs` columns that hold the values drawn for uncertain inputs.
pub const PARAM_PREFIX: &str = "param:";

/// The `param:<field path>` columns of `runs` (one per uncertain input).
pub const PARAM: Column = Column::new(
    "param:<field path>",
    "Value drawn in the replication for the uncertain input at the field path.",
)
.with_unit("the input's unit");

macro_rules! hourly_columns {
    ($($field:ident => $name:literal: $doc:literal,)*) => {
        /// Flow columns of the hourly table, with what they hold.
        pub const HOURLY: &[Column] = &[$(Column::new($name, $doc),)*];

        /// An hour's flows in [`HOURLY`] order.
        pub fn hourly_values(h: &HourFlows) -> Vec<f64> {
            vec![$(h.$field,)*]
        }

        /// The hour whose flows are `values` in [`HOURLY`] order (missing ones are 0).
        pub fn hourly_from_values(values: &[f64]) -> HourFlows {
            let mut it = values.iter().copied();
            HourFlows { $($field: it.next().unwrap_or(0.0),)* }
        }
    };
}

hourly_columns! {
    load => "facility_kwh": "facility energy in the hour, after any power cap",
    grid => "grid_import_kwh": "energy imported from the grid",
    ppa => "ppa_kwh": "PPA energy used on site",
    solar => "solar_kwh": "on-site solar used on site",
    wind => "wind_kwh": "on-site wind used on site",
    gas => "gas_kwh": "on-site gas generation",
    discharge => "battery_discharge_kwh": "battery discharge to the site",
    charge => "battery_charge_kwh": "battery charge, from any source",
    soc => "battery_soc_kwh": "battery state of charge at the end of the hour",
    export => "export_kwh": "surplus exported to the grid",
    temperature_c => "temperature_c": "outdoor dry-bulb temperature, C",
    pue => "pue": "PUE of the hour (facility / IT energy)",
    water_l => "water_l": "water used on site by cooling, litres",
}

/// The market table's price column.
pub const MARKET_PRICE: Column = Column::new(
    "market_price_usd_per_gpu_hour",
    "Market price of the SKU in the month, USD per GPU-hour.",
);

/// Columns of the summary table after `variant` and `kpi`: counts, moments and rank statistics
/// (in the KPI's unit; the risk rows hold a probability or CVaR in `mean`).
pub const SUMMARY: &[Column] = &[
    Column::new("n", "Replications where the quantity exists.").with_unit("count"),
    Column::new("n_total", "Replications in all.").with_unit("count"),
    Column::new(
        "share_never",
        "For a quantity that may never happen (payback, first profit): the share of replications \
         where it never happens within the horizon; empty for any other.",
    )
    .with_unit("fraction"),
    Column::new(
        "mean",
        "Mean (empty for a quantity some replications never reach; a risk row's probability or CVaR).",
    )
    .with_unit("as the KPI"),
    Column::new(
        "se",
        "Standard error of the mean (empty with fewer than two replications).",
    )
    .with_unit("as the KPI"),
    Column::new(
        "ci95_lo",
        "Lower end of the 95 % confidence interval of the mean (for a risk row's probability, \
         its Wilson score interval, within 0 and 1).",
    )
    .with_unit("as the KPI"),
    Column::new(
        "ci95_hi",
        "Upper end of the 95 % confidence interval of the mean (for a risk row's probability, \
         its Wilson score interval).",
    )
    .with_unit("as the KPI"),
    Column::new(
        "sd",
        "Sample standard deviation (empty with fewer than two replications).",
    )
    .with_unit("as the KPI"),
    Column::new("min", "Minimum (\"never\" where no replication reaches it).")
        .with_unit("as the KPI"),
    Column::new("p5", "5th percentile (\"never\" where it falls among the replications that never reach it).")
        .with_unit("as the KPI"),
    Column::new("p10", "10th percentile.").with_unit("as the KPI"),
    Column::new("p25", "25th percentile.").with_unit("as the KPI"),
    Column::new("p50", "Median.").with_unit("as the KPI"),
    Column::new("p75", "75th percentile.").with_unit("as the KPI"),
    Column::new("p90", "90th percentile.").with_unit("as the KPI"),
    Column::new("p95", "95th percentile.").with_unit("as the KPI"),
    Column::new("max", "Maximum.").with_unit("as the KPI"),
];

/// Energy cost per year of the horizon (a comparison metric): the KPI `energy_cost_usd` over the
/// horizon in years.
pub const ANNUAL_ENERGY_COST: Column = Column::new(
    "annual_energy_cost_usd",
    "Electricity cost per year: energy_cost_usd over the horizon in years.",
);

/// Emissions per year of the horizon (a comparison metric).
pub const ANNUAL_TCO2: Column = Column::new(
    "annual_tco2",
    "Emissions per year: tco2 over the horizon in years.",
);

/// Market-based emissions per year of the horizon (a comparison metric).
pub const ANNUAL_MARKET_TCO2: Column = Column::new(
    "annual_market_tco2",
    "Emissions per year, grid electricity market-based (GHG Protocol Scope 2, hourly matched): \
     market_tco2 over the horizon in years.",
);

/// Whether two strings are equal (in a `const fn`).
const fn eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && ends_with(a, b)
}

/// Whether `s` ends with `suffix` (in a `const fn`).
const fn ends_with(s: &str, suffix: &str) -> bool {
    let (s, x) = (s.as_bytes(), suffix.as_bytes());
    if x.len() > s.len() {
        return false;
    }
    let offset = s.len() - x.len();
    let mut i = 0;
    while i < x.len() {
        if s[offset + i] != x[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `s` starts with `prefix` (in a `const fn`).
const fn starts_with(s: &str, prefix: &str) -> bool {
    let (s, x) = (s.as_bytes(), prefix.as_bytes());
    if x.len() > s.len() {
        return false;
    }
    let mut i = 0;
    while i < x.len() {
        if s[i] != x[i] {
            return false;
        }
        i += 1;
    }
    true
}
