//! Scenario schema. Every struct denies unknown fields; units are in field names.

use serde::{Deserialize, Serialize};

use crate::catalog::SkuOverride;
use crate::dist::Param;
use crate::time::YearMonth;

fn zero() -> Param {
    Param::Value(0.0)
}

fn is_zero(p: &Param) -> bool {
    *p == Param::Value(0.0)
}

/// A complete scenario.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name, used in reports.
    pub name: String,
    /// One or two sentences on what the scenario represents.
    #[serde(default)]
    pub description: String,
    /// The building: hall phases, cooling, power.
    pub site: Site,
    /// GPU purchase orders.
    pub fleet: Vec<Tranche>,
    /// Where electricity comes from and what it costs.
    pub energy: Energy,
    /// Customer requests.
    pub demand: Demand,
    /// Rental prices.
    pub pricing: Pricing,
    /// Costs, depreciation and the discount rate.
    pub finance: Finance,
    /// Horizon, replications and seed.
    pub simulation: Simulation,
    /// Overrides of built-in catalog entries, or new entries.
    #[serde(default, skip_serializing_if = "CatalogOverrides::is_empty")]
    pub catalog: CatalogOverrides,
    /// Failures, repairs, spares and SLA credits.
    #[serde(default)]
    pub reliability: Reliability,
    /// End of life, resale and refresh of the fleet.
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// Variants: axes over field paths, expanded as a cartesian product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<Sweep>,
    /// Decision variables and the goal of `dcplan optimize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimize: Option<Optimize>,
}

/// Any RON value, kept as text by the sweep machinery (read from the scenario source).
#[derive(Clone, Copy, Debug, Default)]
pub struct RawValue;

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| RawValue)
    }
}

impl Serialize for RawValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

/// A sweep: every combination of the axes' values becomes a variant.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// The axes, the first varying slowest.
    pub axes: Vec<SweepAxis>,
}

/// One sweep axis: a field path and the values it takes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepAxis {
    /// Field path, e.g. `fleet[0].gpus` or `energy.tariff`.
    pub path: String,
    /// Values, written as they would be at the path.
    pub values: Vec<RawValue>,
    /// Short names of the values for variant names (default: the value text, if short).
    #[serde(default)]
    pub labels: Vec<String>,
}

/// What `dcplan optimize` searches and for what.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Optimize {
    /// Decision variables.
    pub variables: Vec<DecisionVariable>,
    /// Keep only candidates whose chance of payback within `payback_months` is at least `probability`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<PaybackConstraint>,
    /// Replications per candidate (default 40).
    #[serde(default = "forty")]
    pub replications: u32,
    /// Refinement rounds around the best candidate after the first grid (default 2).
    #[serde(default = "two")]
    pub refinements: u32,
}

fn forty() -> u32 {
    40
}

fn two() -> u32 {
    2
}

/// A decision variable: a numeric field searched over a range on a grid.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionVariable {
    /// Field path.
    pub path: String,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Grid points on the first pass (at least 2).
    #[serde(default = "three")]
    pub points: u32,
    /// Round values to multiples of this (e.g. 8 for whole 8-GPU nodes); 0 keeps them as they are.
    #[serde(default)]
    pub multiple_of: f64,
}

fn three() -> u32 {
    3
}

/// A risk constraint on payback.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaybackConstraint {
    /// Months.
    pub payback_months: f64,
    /// Minimum probability of payback within that many months.
    pub probability: f64,
}

fn yes() -> bool {
    true
}

fn default_climate() -> String {
    "northern-virginia".into()
}

fn default_transient_repair() -> Param {
    // E: a reboot or driver reset with health checks: median 2 hours, one in ten over 8 hours.
    Param::Dist(crate::dist::Dist::LogNormal(2.0, 8.0))
}

fn default_permanent_repair() -> Param {
    // E: physical replacement 3-5 days (papers and operator blogs, 2025): median 4, P90 7.
    Param::Dist(crate::dist::Dist::LogNormal(4.0, 7.0))
}

fn one() -> Param {
    Param::Value(1.0)
}

/// Node failures, repairs, spares and SLA credits.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reliability {
    /// Simulate failures at the catalog's per-GPU annual rates.
    #[serde(default = "yes")]
    pub failures: bool,
    /// Multiplier on the catalog failure rates (parameter), e.g. `Uniform(0.7, 1.5)`.
    #[serde(default = "one")]
    pub failure_rate_multiplier: Param,
    /// Time to restart after a software or transient interruption (the catalog's
    /// `transient_failures_per_gpu_year`), in hours (drawn per failure).
    #[serde(default = "default_transient_repair")]
    pub transient_repair_hours: Param,
    /// Time to repair a hardware failure (the catalog's `permanent_failures_per_gpu_year`; a part
    /// is swapped), in days (drawn per failure).
    #[serde(default = "default_permanent_repair")]
    pub permanent_repair_days: Param,
    /// Share of each SKU's commissioned nodes held as hot spares; a contract whose node has a
    /// hardware failure moves to a spare at once.
    #[serde(default)]
    pub spares_frac: f64,
    /// Credits owed to customers for the GPU time a failure takes from them.
    #[serde(default)]
    pub sla: Sla,
}

impl Default for Reliability {
    fn default() -> Self {
        Reliability {
            failures: true,
            failure_rate_multiplier: one(),
            transient_repair_hours: default_transient_repair(),
            permanent_repair_days: default_permanent_repair(),
            spares_frac: 0.0,
            sla: Sla::default(),
        }
    }
}

/// SLA credit schedule: a contract's monthly availability below a tier's threshold earns the
/// credit of the lowest tier it falls under, as a share of that contract's revenue of the month.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// Tiers `(below_availability_frac, credit_frac)`.
    pub tiers: Vec<SlaTier>,
}

impl Default for Sla {
    fn default() -> Self {
        // S: the tiers of the AWS EC2 instance-level SLA: 10 % credit below 99.5 % monthly
        // availability, 30 % below 99.0 %, 100 % below 95.0 %.
        Sla {
            tiers: vec![
                SlaTier {
                    below_availability_frac: 0.995,
                    credit_frac: 0.10,
                },
                SlaTier {
                    below_availability_frac: 0.99,
                    credit_frac: 0.30,
                },
                SlaTier {
                    below_availability_frac: 0.95,
                    credit_frac: 1.0,
                },
            ],
        }
    }
}

/// One SLA tier.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTier {
    /// Monthly availability below which the tier applies.
    pub below_availability_frac: f64,
    /// Credit as a share of the contract's revenue of the month.
    pub credit_frac: f64,
}

/// End of life, resale and refresh.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Resale of retired GPU servers: residual value as a share of the purchase price by age in
    /// years, interpolated linearly (e.g. `[(0, 1.0), (3, 0.4), (6, 0.1)]`). None: retired
    /// servers are scrapped at no value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resale_residual_frac_by_age_years: Option<Vec<(f64, f64)>>,
    /// Refresh rules: replace a tranche with a new one when it reaches an age.
    #[serde(default)]
    pub refresh: Vec<Refresh>,
}

/// Replace a tranche at an age: the old nodes retire then and a new purchase arrives then.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    /// Name of the new tranche.
    pub name: String,
    /// Name of the tranche being replaced.
    pub replaces: String,
    /// Age of the replaced tranche, in months after its delivery, at which the swap happens.
    pub at_age_months: i64,
    /// SKU of the new tranche.
    pub sku: String,
    /// GPUs of the new tranche.
    pub gpus: i64,
    /// Price per GPU in USD (parameter); default: the catalog price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_usd_per_gpu: Option<Param>,
    /// Network cost per node in USD (parameter).
    #[serde(default = "zero")]
    pub network_usd_per_node: Param,
    /// Retire the new tranche this many months after its delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retire_after_months: Option<i64>,
}

/// Changes to the built-in catalogs made by one scenario.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
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

/// The data-center site.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Site name, e.g. "Ashburn hall A".
    pub name: String,
    /// Climate preset from `scenarios/catalog/climates.ron`, e.g. "northern-virginia".
    #[serde(default = "default_climate")]
    pub climate: String,
    /// Hourly dry-bulb temperatures in C from a CSV of 8,760 values (path relative to the
    /// scenario file), instead of the climate preset's weather model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weather_csv: Option<String>,
    /// Cooling preset from `scenarios/catalog/cooling.ron`; facility power then follows the
    /// weather. Give either `cooling` or a fixed `pue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooling: Option<String>,
    /// A fixed power usage effectiveness (facility / IT power), a parameter >= 1, instead of a
    /// cooling preset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pue: Option<Param>,
    /// Grid interconnect limit in MW (parameter); none means unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interconnect_mw: Option<Param>,
    /// What happens when facility power would exceed the interconnect.
    #[serde(default)]
    pub power_cap: PowerCap,
    /// Network, storage and management IT power as a fraction of each node's power (parameter),
    /// e.g. 0.08: a node drawing 10 kW adds 0.8 kW of fabric and storage load.
    #[serde(default = "zero", skip_serializing_if = "is_zero")]
    pub it_overhead_frac: Param,
    /// Hall phases: blocks of IT capacity that become ready over time.
    pub phases: Vec<Phase>,
    /// Colocation rent in USD per kW of ready IT capacity per month (parameter), when the halls
    /// are leased rather than built (set the phases' capex to what the tenant pays for fit-out).
    #[serde(default = "zero", skip_serializing_if = "is_zero")]
    pub colocation_rent_usd_per_kw_month: Param,
}

/// A hall phase: a block of powered, cooled IT capacity.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// Phase name.
    pub name: String,
    /// IT capacity in MW (parameter).
    pub it_mw: Param,
    /// Month (from the scenario start) in which the phase is ready for GPUs (parameter, rounded down).
    #[serde(default = "zero")]
    pub ready_month: Param,
    /// Construction cost per MW of IT capacity in USD (parameter).
    pub capex_usd_per_mw: Param,
    /// Months of construction before the ready month over which the cost is drawn in equal
    /// monthly instalments (0: paid in the ready month). Draws that would fall before month 0
    /// are paid in month 0.
    #[serde(default)]
    pub construction_months: i64,
}

/// A GPU purchase order.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tranche {
    /// Tranche name, unique in the scenario.
    pub name: String,
    /// SKU name from the GPU catalog, e.g. "H100-SXM".
    pub sku: String,
    /// Number of GPUs; a whole number of nodes of the SKU.
    pub gpus: i64,
    /// Month of the order, counted from the scenario start.
    #[serde(default)]
    pub order_month: i64,
    /// Months from order to delivery (parameter, rounded to whole months).
    #[serde(default = "zero")]
    pub lead_time_months: Param,
    /// Price per GPU in USD including the server (parameter); default: the catalog price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_usd_per_gpu: Option<Param>,
    /// Network (fabric, switches, cables) cost per node in USD (parameter).
    #[serde(default = "zero")]
    pub network_usd_per_node: Param,
    /// Name of the debt tranche that finances this purchase (see `finance`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financing: Option<String>,
    /// End of life: the nodes leave service this many months after delivery (busy nodes when
    /// their contract ends, failed ones after repair). None keeps them to the end of the horizon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retire_after_months: Option<i64>,
    /// Embodied carbon of each GPU with its share of the server, tCO2e (parameter), counted at delivery.
    #[serde(default = "zero", skip_serializing_if = "is_zero")]
    pub embodied_tco2_per_gpu: Param,
}

impl Tranche {
    /// The GPU count (validated to be between 1 and the fleet limit).
    pub fn gpu_count(&self) -> u32 {
        self.gpus.clamp(0, u32::MAX as i64) as u32
    }
}

/// Months of hourly flows kept by default: one year, enough for the seasonal PUE and temperature
/// chart (8,760 rows per replication).
pub const DEFAULT_HOURLY_MONTHS: i64 = 12;

impl Simulation {
    /// The horizon in months (validated to be between 1 and 600).
    pub fn horizon(&self) -> u32 {
        self.horizon_months
            .clamp(1, super::validate::MAX_HORIZON_MONTHS as i64) as u32
    }

    /// Replications (validated to be between 1 and the limit).
    pub fn replication_count(&self) -> u32 {
        self.replications
            .clamp(1, super::validate::MAX_REPLICATIONS as i64) as u32
    }

    /// Whether replication `index` keeps its hourly flows, and for how many months.
    pub fn hourly_capture(&self, index: u64) -> Option<u32> {
        self.hourly_replications
            .iter()
            .any(|&r| r >= 0 && r as u64 == index)
            .then(|| {
                self.hourly_months
                    .unwrap_or(DEFAULT_HOURLY_MONTHS)
                    .clamp(1, self.horizon() as i64) as u32
            })
    }
}

/// Energy supply: tariff, contracts and on-site assets.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Energy {
    /// Grid energy price.
    pub tariff: Tariff,
    /// Demand charge on the month's peak grid import, USD per kW-month (parameter).
    #[serde(default = "zero")]
    pub demand_charge_usd_per_kw_month: Param,
    /// Fixed grid charges, USD per month (parameter).
    #[serde(default = "zero")]
    pub fixed_usd_per_month: Param,
    /// Power purchase agreement (the data center buys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppa: Option<Ppa>,
    /// On-site solar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solar: Option<Renewable>,
    /// On-site wind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wind: Option<Renewable>,
    /// On-site battery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery: Option<Battery>,
    /// On-site gas generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas: Option<Gas>,
    /// Surplus on-site energy is sold to the grid at the hour's market price (true) or curtailed.
    #[serde(default = "yes")]
    pub export: bool,
    /// Price on emitted CO2, USD per tonne (parameter).
    #[serde(default = "zero")]
    pub carbon_price_usd_per_tco2: Param,
}

/// How grid electricity is priced.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Tariff {
    /// One price for every kWh.
    Flat {
        /// Energy price in USD per kWh (parameter).
        price_usd_per_kwh: Param,
    },
    /// A peak price in the peak hours of weekdays, an off-peak price otherwise.
    TimeOfUse {
        /// Peak price, USD per kWh (parameter).
        peak_usd_per_kwh: Param,
        /// Off-peak price, USD per kWh (parameter).
        off_peak_usd_per_kwh: Param,
        /// First peak hour of the day (0-23).
        peak_start_hour: u32,
        /// Hour after the last peak hour (1-24).
        peak_end_hour: u32,
        /// Peak hours apply Monday to Friday only.
        #[serde(default = "yes")]
        weekdays_only: bool,
    },
    /// Hourly wholesale price from a stochastic model (a preset from `scenarios/catalog/tariffs.ron`).
    Market {
        /// Preset name, e.g. "ercot-like".
        preset: String,
        /// Multiplier on the preset's mean price (parameter).
        #[serde(default = "one")]
        price_scale: Param,
        /// Delivery (transmission and distribution) charge added to every MWh, USD (parameter).
        #[serde(default = "zero")]
        delivery_usd_per_mwh: Param,
    },
    /// Hourly prices from a CSV file of 8,760 values (one per hour of the year, January 1 00:00 first).
    Csv {
        /// Path, relative to the scenario file.
        path: String,
        /// Unit of the values.
        unit: PriceUnit,
        /// Delivery charge added to every MWh, USD (parameter).
        #[serde(default = "zero")]
        delivery_usd_per_mwh: Param,
    },
}

/// Unit of prices in a CSV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PriceUnit {
    /// USD per MWh.
    UsdPerMwh,
    /// USD per kWh.
    UsdPerKwh,
}

/// A power purchase agreement.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ppa {
    /// Strike price, USD per MWh (parameter).
    pub strike_usd_per_mwh: Param,
    /// Contracted volume profile.
    pub volume: PpaVolume,
    /// Physical delivery or a financial contract for differences.
    pub settlement: Settlement,
}

/// PPA volume.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum PpaVolume {
    /// The output of this many MW of solar at the site's solar profile.
    Solar(f64),
    /// The output of this many MW of wind at the site's wind profile.
    Wind(f64),
    /// A flat block of this many MW every hour.
    Baseload(f64),
}

/// PPA settlement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Settlement {
    /// The energy is delivered to the site and paid at the strike; surplus hours are sold at market.
    Physical,
    /// Virtual (financial): the site buys all its energy from the grid, and the PPA pays
    /// (market - strike) x volume each hour (negative when the market is below the strike).
    Virtual,
}

/// On-site solar or wind.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Renewable {
    /// Nameplate capacity, MW (parameter).
    pub mw: Param,
    /// Capex, USD per kW (parameter), paid at the start.
    pub capex_usd_per_kw: Param,
    /// Operations and maintenance, USD per kW-year (parameter).
    #[serde(default = "zero")]
    pub om_usd_per_kw_year: Param,
}

/// On-site battery.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Battery {
    /// Energy capacity, MWh.
    pub energy_mwh: f64,
    /// Power rating, MW.
    pub power_mw: f64,
    /// Round-trip efficiency (0..1).
    pub round_trip_efficiency_frac: f64,
    /// Capex, USD per kWh of capacity (parameter), paid at the start and at each replacement.
    pub capex_usd_per_kwh: Param,
    /// Full cycles before replacement.
    pub life_cycles: f64,
    /// Dispatch policy.
    pub dispatch: BatteryDispatch,
}

/// How the battery is run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum BatteryDispatch {
    /// Each day, charge in the cheapest hours and discharge in the dearest when the spread pays
    /// for the losses and the wear.
    PriceArbitrage,
    /// Keep grid import at or below this share of the month's peak without the battery.
    PeakShaving(f64),
}

/// On-site gas generation.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gas {
    /// Capacity, MW.
    pub mw: f64,
    /// Heat rate, Btu per kWh.
    pub heat_rate_btu_per_kwh: f64,
    /// Fuel price, USD per MMBtu (parameter).
    pub fuel_usd_per_mmbtu: Param,
    /// Variable operations and maintenance, USD per MWh (parameter).
    #[serde(default = "zero")]
    pub om_usd_per_mwh: Param,
    /// Capex, USD per kW (parameter), paid at the start.
    pub capex_usd_per_kw: Param,
    /// Islanded (gas carries the load) or grid-parallel (gas runs when cheaper than the grid).
    pub mode: GasMode,
}

/// Gas operating mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GasMode {
    /// Gas carries the load up to its capacity every hour; the grid covers the rest.
    Islanded,
    /// Gas runs in the hours when its marginal cost is below the grid price.
    GridParallel,
}

/// What to do when facility power would exceed the grid interconnect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PowerCap {
    /// Commission a node only if the interconnect can carry it at full load on a design-hot hour.
    #[default]
    WaitCommissioning,
    /// Commission every node the halls can hold, and cap power (and throughput) in the hours
    /// when the facility would draw more than the interconnect.
    CapNodes,
}

/// Customer demand.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    /// Mean number of customer requests per day at the start, all classes together (parameter).
    pub arrivals_per_day: Param,
    /// Growth of the arrival rate per year (parameter), e.g. 0.3 for +30 % a year; negative shrinks.
    #[serde(default = "zero")]
    pub growth_per_year_frac: Param,
    /// Seasonal swing of the arrival rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seasonality: Option<Seasonality>,
    /// Market regimes (boom, normal, glut...) that switch from month to month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regimes: Option<Regimes>,
    /// The kinds of requests and their shares of arrivals.
    pub mix: Vec<RequestClass>,
    /// How long requests of a class wait for capacity before they are lost (default: not at all).
    #[serde(default)]
    pub patience: Vec<Patience>,
    /// Contracts signed before the capacity exists (pre-sales, anchor tenants); each is placed as
    /// soon as enough capacity of its SKU is commissioned.
    #[serde(default)]
    pub anchors: Vec<Anchor>,
}

/// A yearly cycle of the arrival rate: `1 + amplitude x cos(2 pi (t - peak) / 1 year)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seasonality {
    /// Relative amplitude, 0..1.
    pub amplitude_frac: f64,
    /// Calendar month of the peak, 1..12.
    pub peak_month: u32,
}

/// A Markov chain of market regimes, one state per month.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regimes {
    /// The regimes.
    pub states: Vec<RegimeState>,
    /// Name of the regime in the first month.
    pub initial: String,
    /// Monthly transition probabilities: row i gives the chances of moving from state i to each state.
    pub monthly_transitions: Vec<Vec<f64>>,
    /// Months in which a regime is imposed (scenario narratives, e.g. a glut in year 2).
    #[serde(default)]
    pub forced: Vec<ForcedRegime>,
}

/// One market regime.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeState {
    /// Name, e.g. "glut".
    pub name: String,
    /// Multiplier on the arrival rate.
    pub demand_multiplier: f64,
    /// Multiplier on market prices.
    pub price_multiplier: f64,
}

/// A regime imposed on the months `from_month..to_month`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForcedRegime {
    /// First month (from the scenario start).
    pub from_month: i64,
    /// Month after the last.
    pub to_month: i64,
    /// Regime name.
    pub state: String,
}

/// Contract classes, from highest to lowest priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ContractClass {
    /// A term contract at a price locked at signing, take-or-pay.
    Reserved,
    /// Pay-as-you-go capacity billed per GPU-hour used.
    OnDemand,
    /// Idle capacity sold cheaply; preempted when a higher class needs the nodes.
    Spot,
}

impl ContractClass {
    /// Every class, in priority order.
    pub const ALL: [ContractClass; 3] = [
        ContractClass::Reserved,
        ContractClass::OnDemand,
        ContractClass::Spot,
    ];

    /// Lower-case name used in tables.
    pub fn label(self) -> &'static str {
        match self {
            ContractClass::Reserved => "reserved",
            ContractClass::OnDemand => "on_demand",
            ContractClass::Spot => "spot",
        }
    }

    /// Index into per-class arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A kind of customer request.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestClass {
    /// Contract class.
    pub class: ContractClass,
    /// Share of all arrivals that are of this kind; the shares of the mix sum to 1.
    pub share_frac: f64,
    /// Size in GPUs (drawn per request), rounded up to whole nodes of the SKU that serves it.
    pub size_gpus: Param,
    /// How long the capacity is used (drawn per request); for term contracts, the term.
    pub duration: DurationSpec,
    /// SKUs the customer accepts, tried in this order; empty means any SKU in the fleet.
    #[serde(default)]
    pub skus: Vec<String>,
    /// Average IT load of the nodes while in use, as a fraction of the way from idle to max power (parameter).
    pub load_frac: Param,
    /// The request needs all its nodes in one hall phase (one cluster), as large training jobs do.
    #[serde(default)]
    pub single_cluster: bool,
    /// Highest price the customer accepts, as a ratio to the market price (drawn per request);
    /// leave out for customers who take the list price whatever it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_price_ratio: Option<Param>,
    /// Chance that a term contract renews at term end, at the then-market price (parameter).
    #[serde(default = "zero")]
    pub renewal_frac: Param,
    /// Share of a term contract's value paid in advance at signing (parameter).
    #[serde(default = "zero")]
    pub prepay_frac: Param,
}

/// Duration of a request, drawn per request (written `Hours(..)` or `Months(..)`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum DurationSpec {
    /// In hours, e.g. `Hours(Exponential(24))`.
    Hours(Param),
    /// In 730-hour months (a twelfth of a 365-day year), e.g. `Months(36)`.
    Months(Param),
}

impl DurationSpec {
    /// Hours in one `Months` unit: a twelfth of the 8,760-hour year.
    pub const HOURS_PER_MONTH: f64 = 730.0;

    /// The distribution and the number of hours per unit.
    pub fn param_and_unit(&self) -> (&Param, f64) {
        match self {
            DurationSpec::Hours(p) => (p, 1.0),
            DurationSpec::Months(p) => (p, Self::HOURS_PER_MONTH),
        }
    }
}

/// How long requests of a class wait for capacity.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patience {
    /// The class.
    pub class: ContractClass,
    /// Hours a request waits before it is lost (drawn per request).
    pub hours: Param,
}

/// A contract signed before its capacity exists.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    /// Name, e.g. the customer.
    pub name: String,
    /// SKU it runs on.
    pub sku: String,
    /// GPUs, a whole number of nodes.
    pub gpus: i64,
    /// Month of signing; the contract starts when its capacity is commissioned.
    #[serde(default)]
    pub sign_month: i64,
    /// Term, from the start of service.
    pub duration: DurationSpec,
    /// Contract price in USD per GPU-hour (parameter), locked at signing.
    pub price_usd_per_gpu_hour: Param,
    /// Average load between idle (0) and max (1) power (parameter).
    pub load_frac: Param,
    /// The contract needs all its nodes in one hall phase.
    #[serde(default)]
    pub single_cluster: bool,
    /// Share of the contract's value paid at signing (parameter).
    #[serde(default = "zero")]
    pub prepay_frac: Param,
    /// Chance of renewal at term end (parameter).
    #[serde(default = "zero")]
    pub renewal_frac: Param,
}

/// Rental prices.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    /// The market price path of each SKU.
    pub market: Vec<MarketPrice>,
    /// Discount of reserved contracts below the list price (parameter, 0..1).
    pub reserved_discount_frac: Param,
    /// Discount of spot capacity below the list price (parameter, 0..1).
    #[serde(default = "zero")]
    pub spot_discount_frac: Param,
    /// How list prices follow the market.
    #[serde(default)]
    pub policy: PricingPolicy,
    /// Multiplier on every price (market paths and anchor contracts), for break-even and
    /// sensitivity runs; 1 leaves prices as given.
    #[serde(default = "one_f64")]
    pub price_scale: f64,
}

fn one_f64() -> f64 {
    1.0
}

/// How list prices are set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum PricingPolicy {
    /// List price = ratio x market price.
    ListRatio(f64),
    /// List price = market price, discounted when the SKU's utilization is low and raised when high.
    Dynamic {
        /// Below this utilization (sold / available GPUs of the SKU) the discount applies.
        low_utilization_frac: f64,
        /// Discount when utilization is low.
        discount_frac: f64,
        /// Above this utilization the premium applies.
        high_utilization_frac: f64,
        /// Premium when utilization is high.
        premium_frac: f64,
    },
}

impl Default for PricingPolicy {
    fn default() -> Self {
        PricingPolicy::ListRatio(1.0)
    }
}

/// The market price path of one SKU: a trend, a step when the next generation ships, and
/// mean-reverting shocks in log price (an AR(1) process month to month).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketPrice {
    /// SKU name.
    pub sku: String,
    /// On-demand market price at the start in USD per GPU-hour (parameter).
    pub on_demand_usd_per_gpu_hour: Param,
    /// Trend: price decline per year (parameter), e.g. 0.2 for -20 % a year.
    #[serde(default = "zero")]
    pub decline_per_year_frac: Param,
    /// Monthly standard deviation of log-price shocks, e.g. 0.05.
    #[serde(default)]
    pub volatility_per_month: f64,
    /// Half-life of a price shock in months.
    #[serde(default = "six")]
    pub shock_half_life_months: f64,
    /// The price drops when the next GPU generation ships.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_generation: Option<GenerationStep>,
}

fn six() -> f64 {
    6.0
}

/// A step down in price when the next generation ships.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerationStep {
    /// Month (from the scenario start) in which the next generation ships (parameter).
    pub month: Param,
    /// Fractional price drop at that month (parameter).
    pub price_drop_frac: Param,
}

/// Finance inputs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finance {
    /// Annual discount rate for NPV (parameter), e.g. 0.10.
    pub discount_rate_frac: Param,
    /// Straight-line depreciation lives in years per asset class.
    pub depreciation_years: DepreciationLives,
    /// Operating costs other than energy.
    pub opex: Opex,
    /// What the assets are worth at the end of the horizon, counted in NPV (not in payback); the
    /// deferred revenue left at the horizon (service prepaid but not delivered) is deducted from
    /// it under either rule.
    #[serde(default)]
    pub terminal_value: TerminalValue,
    /// Income tax.
    #[serde(default)]
    pub tax: Tax,
    /// Debt tranches; the rest of the funding is equity.
    #[serde(default)]
    pub debt: Vec<DebtTranche>,
}

/// Income tax on EBIT - interest, with losses carried forward. Tax is computed monthly; tax
/// years are the 12-month years from the scenario start. Only net income, equity cash flow,
/// equity IRR and DSCR are after tax: project FCF, NPV and IRR are pre-tax.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tax {
    /// Tax rate on taxable income (parameter), e.g. 0.21.
    #[serde(default = "zero")]
    pub rate_frac: Param,
    /// Losses reduce the taxable income of later months.
    #[serde(default = "yes")]
    pub loss_carryforward: bool,
    /// Share of a month's taxable income (after the current tax year's own losses) that losses
    /// carried forward from earlier tax years may offset, 0..1. 1.0 (the default): no cap; 0.8:
    /// the US rule for losses arising after 2017 (26 U.S.C. 172(a)(2), Tax Cuts and Jobs Act).
    #[serde(default = "one_f64")]
    pub carryforward_cap_frac: f64,
}

impl Default for Tax {
    fn default() -> Self {
        Tax {
            rate_frac: zero(),
            loss_carryforward: true,
            carryforward_cap_frac: 1.0,
        }
    }
}

/// A loan that funds a share of some capex.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DebtTranche {
    /// Name, referred to by tranches' `financing`.
    pub name: String,
    /// Share of the funded capex that the loan pays (0..1).
    pub loan_to_cost_frac: Param,
    /// Annual interest rate (parameter), a nominal rate compounded monthly as banks quote loans:
    /// the monthly rate is `rate_frac / 12` (0.12 is 1 % a month, 12.68 % effective a year).
    pub rate_frac: Param,
    /// Months from the first draw to final repayment: the loan makes this many monthly payments,
    /// the first in the month after the first draw and the last `tenor_months` months after it.
    pub tenor_months: i64,
    /// The first payments that are interest only; principal is repaid over the remaining
    /// `tenor_months - grace_months` payments.
    #[serde(default)]
    pub grace_months: i64,
    /// How principal is repaid after the grace period.
    #[serde(default)]
    pub amortization: Amortization,
    /// What the loan funds.
    pub funds: Funds,
}

/// Principal repayment profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Amortization {
    /// Level payments of interest plus principal (mortgage style).
    #[default]
    Annuity,
    /// Equal principal each month.
    Linear,
    /// All principal at maturity.
    Bullet,
}

/// The capex a loan funds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Funds {
    /// Every capex item.
    AllCapex,
    /// The hall phases' construction.
    Facility,
    /// The GPU tranches whose `financing` names this loan (a GPU-backed loan).
    FinancedTranches,
}

/// Straight-line depreciation lives in years.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepreciationLives {
    /// GPU servers.
    pub gpu_servers: f64,
    /// Network equipment.
    pub network: f64,
    /// Building, power and cooling.
    pub facility: f64,
    /// On-site energy assets (solar, wind, battery, gas).
    #[serde(default = "twenty")]
    pub energy: f64,
}

fn twenty() -> f64 {
    // E: typical accounting life of solar, wind and gas plant; batteries are replaced by cycles.
    20.0
}

/// Operating costs other than energy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opex {
    /// Site staff in USD per MW of built IT capacity per year (parameter).
    pub staff_usd_per_mw_year: Param,
    /// Operations staff in USD per 1,000 installed GPUs per year (parameter).
    pub staff_usd_per_1000_gpus_year: Param,
    /// Maintenance per year as a fraction of the gross cost of the assets in service (parameter):
    /// servers and network until sold or retired, halls from their ready month, energy assets
    /// until replaced.
    pub maintenance_frac_of_capex_per_year: Param,
    /// Insurance per year as a fraction of the gross cost of the assets in service (parameter).
    #[serde(default = "zero")]
    pub insurance_frac_of_capex_per_year: Param,
    /// Software licences and tools in USD per installed GPU per month (parameter).
    #[serde(default = "zero")]
    pub software_usd_per_gpu_month: Param,
    /// Internet transit in USD per installed GPU per month (parameter).
    #[serde(default = "zero")]
    pub network_transit_usd_per_gpu_month: Param,
    /// Sales, general and administrative cost as a fraction of revenue (parameter).
    #[serde(default = "zero")]
    pub sga_frac_of_revenue: Param,
}

/// Value of the assets at the end of the horizon.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TerminalValue {
    /// Nothing: the project is worth only the cash it produced within the horizon (less the
    /// deferred revenue still owed at the horizon).
    None,
    /// The remaining straight-line book value of every asset (less the deferred revenue still
    /// owed at the horizon).
    #[default]
    BookValue,
}

/// Simulation settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    /// Calendar month of the scenario start.
    pub start: YearMonth,
    /// Months simulated.
    pub horizon_months: i64,
    /// Monte Carlo replications (the command line may override).
    pub replications: i64,
    /// Master seed (the command line may override).
    pub seed: u64,
    /// How uncertain inputs are drawn across replications.
    #[serde(default, skip_serializing_if = "Sampling::is_random")]
    pub sampling: Sampling,
    /// Replications whose hourly energy flows (load, sources, battery, temperature, PUE) are
    /// kept and written to `hourly.parquet`; the first of them also draws the PUE and
    /// temperature chart. Empty: no hourly output and no such chart.
    #[serde(
        default = "default_hourly_replications",
        skip_serializing_if = "is_default_hourly_replications"
    )]
    pub hourly_replications: Vec<i64>,
    /// Months of hourly flows kept for those replications, from the start (at most the horizon;
    /// default: one year, or the horizon if shorter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly_months: Option<i64>,
}

fn default_hourly_replications() -> Vec<i64> {
    vec![0]
}

fn is_default_hourly_replications(v: &[i64]) -> bool {
    v == [0]
}

/// How the distribution-valued inputs are drawn across replications.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sampling {
    /// Independent draws in every replication (plain Monte Carlo).
    #[default]
    Random,
    /// Latin hypercube: each input's range is cut into as many equally likely strata as there
    /// are replications and every stratum is drawn exactly once, so fewer replications cover
    /// the inputs evenly.
    LatinHypercube,
}

impl Sampling {
    fn is_random(&self) -> bool {
        *self == Sampling::Random
    }
}
