//! The `demand` section: arrivals, request classes, regimes, patience and anchor contracts.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::validate::*;
use super::*;
use crate::catalog::Catalog;
use crate::dist::{Param, fmt_num};
use crate::problems::Problems;

/// Customer demand.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    /// Mean number of customer requests per day at the start, all classes together (parameter);
    /// not used when a `history` sets the level.
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
    /// A monthly demand history (CSV) that sets the arrival rate of the months it covers, the
    /// growth continuing from its last month (see `scenario/history.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<super::DemandHistorySpec>,
}

/// A yearly cycle of the arrival rate: `1 + amplitude x cos(2 pi (t - peak) / 1 year)`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Seasonality {
    /// Relative amplitude, 0..1.
    pub amplitude_frac: f64,
    /// Calendar month of the peak, 1..12.
    pub peak_month: u32,
}

/// A Markov chain of market regimes, one state per month.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
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
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Patience {
    /// The class.
    pub class: ContractClass,
    /// Hours a request waits before it is lost (drawn per request).
    pub hours: Param,
}

/// A contract signed before its capacity exists.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
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

pub(super) fn check_demand(s: &Scenario, catalog: &Catalog, p: &mut Problems) {
    let d = &s.demand;
    d.arrivals_per_day
        .check_range("demand.arrivals_per_day", 0.0, 1e7, p);
    d.growth_per_year_frac
        .check_range("demand.growth_per_year_frac", -0.9, 10.0, p);
    let days = s.simulation.horizon() as f64 * 365.0 / 12.0;
    let growth = (1.0 + d.growth_per_year_frac.quantile(0.99).max(0.0)).powf(days / 365.0);
    let peak_regime = d
        .regimes
        .as_ref()
        .map(|r| {
            r.states
                .iter()
                .map(|st| st.demand_multiplier)
                .fold(1.0, f64::max)
        })
        .unwrap_or(1.0);
    let requests =
        d.arrivals_per_day.quantile(0.99) * days * growth.min(1e6) * peak_regime.clamp(1.0, 1e3);
    if requests.is_finite() && requests > MAX_REQUESTS {
        p.push(
            "demand.arrivals_per_day",
            format!("about {:.2e} requests over the horizon is more than the {MAX_REQUESTS:.0e} dcplan simulates in one replication", requests),
        );
    }
    if let Some(season) = &d.seasonality {
        if season.amplitude_frac.is_finite() && !(0.0..1.0).contains(&season.amplitude_frac) {
            p.push(
                "demand.seasonality.amplitude_frac",
                format!("{} must be at least 0 and below 1", season.amplitude_frac),
            );
        }
        if !(1..=12).contains(&season.peak_month) {
            p.push(
                "demand.seasonality.peak_month",
                format!("{} is not a month (1-12)", season.peak_month),
            );
        }
    }
    if let Some(r) = &d.regimes {
        check_regimes(r, p);
    }
    if d.mix.is_empty() {
        p.push("demand.mix", "at least one request class is needed");
    }
    let sum: f64 = d.mix.iter().map(|c| c.share_frac).sum();
    if !d.mix.is_empty() && (sum - 1.0).abs() > 1e-6 {
        p.push(
            "demand.mix",
            format!(
                "fractions sum to {} (share_frac must sum to 1)",
                round6(sum)
            ),
        );
    }
    let fleet_gpus = total_gpus(s.fleet.iter().map(|t| &t.gpus));
    let fleet_skus: HashSet<&str> = s
        .fleet
        .iter()
        .map(|t| t.sku.as_str())
        .chain(s.lifecycle.refresh.iter().map(|r| r.sku.as_str()))
        .collect();
    for (i, c) in d.mix.iter().enumerate() {
        let path = format!("demand.mix[{i}]");
        if c.share_frac.is_finite() && !(0.0..=1.0).contains(&c.share_frac) {
            p.push(
                format!("{path}.share_frac"),
                format!("{} must be between 0 and 1", c.share_frac),
            );
        }
        c.size_gpus
            .check_draw(&format!("{path}.size_gpus"), 1.0, MAX_GPUS as f64, p);
        if fleet_gpus > 0 {
            let (lo, _) = c.size_gpus.dist().support();
            if lo.is_finite() && lo > fleet_gpus as f64 {
                p.warn(
                    format!("{path}.size_gpus"),
                    format!("every request ({} GPUs or more) is larger than the whole fleet ({fleet_gpus} GPUs) and will be rejected", lo),
                );
            }
        }
        check_duration(&format!("{path}.duration"), &c.duration, p);
        c.load_frac
            .check_range(&format!("{path}.load_frac"), 0.0, 1.0, p);
        if let Some(w) = &c.max_price_ratio {
            w.check_draw(&format!("{path}.max_price_ratio"), 0.0, 100.0, p);
        }
        c.renewal_frac
            .check_range(&format!("{path}.renewal_frac"), 0.0, 1.0, p);
        c.prepay_frac
            .check_range(&format!("{path}.prepay_frac"), 0.0, 1.0, p);
        if c.class != ContractClass::Reserved {
            for (name, v) in [
                ("renewal_frac", &c.renewal_frac),
                ("prepay_frac", &c.prepay_frac),
            ] {
                if v.quantile(0.99) > 0.0 {
                    p.warn(
                        format!("{path}.{name}"),
                        format!(
                            "only term contracts (Reserved) renew or prepay; ignored for {:?}",
                            c.class
                        ),
                    );
                }
            }
        }
        for (j, sku) in c.skus.iter().enumerate() {
            if catalog.sku(sku).is_none() {
                p.push(
                    format!("{path}.skus[{j}]"),
                    format!("unknown SKU \"{sku}\"; known SKUs: {}", catalog.sku_names()),
                );
            } else if !fleet_skus.contains(sku.as_str()) {
                p.warn(
                    format!("{path}.skus[{j}]"),
                    format!("no tranche in the fleet is of SKU \"{sku}\""),
                );
            }
        }
    }
    let mut seen = HashSet::new();
    for (i, pat) in d.patience.iter().enumerate() {
        let path = format!("demand.patience[{i}]");
        if !d.mix.iter().any(|c| c.class == pat.class) {
            p.push(
                format!("{path}.class"),
                format!(
                    "no request class {:?} in demand.mix, so this patience applies to nothing",
                    pat.class
                ),
            );
        }
        if !seen.insert(pat.class) {
            p.push(
                format!("{path}.class"),
                format!("{:?} has a patience already", pat.class),
            );
        }
        pat.hours.check_draw(&format!("{path}.hours"), 0.0, 1e5, p);
    }
    let mut names = HashSet::new();
    for (i, a) in d.anchors.iter().enumerate() {
        let path = format!("demand.anchors[{i}]");
        if !names.insert(a.name.as_str()) {
            p.push(
                format!("{path}.name"),
                format!(
                    "\"{}\" is used by an earlier anchor; names must be unique",
                    a.name
                ),
            );
        }
        match catalog.sku(&a.sku) {
            None => p.push(
                format!("{path}.sku"),
                format!(
                    "unknown SKU \"{}\"; known SKUs: {}",
                    a.sku,
                    catalog.sku_names()
                ),
            ),
            Some(sku) => {
                if !fleet_skus.contains(a.sku.as_str()) {
                    p.push(format!("{path}.sku"), format!("no tranche in the fleet is of SKU \"{}\", so the contract could never start", a.sku));
                }
                if a.gpus <= 0 || a.gpus > MAX_GPUS as i64 {
                    p.push(
                        format!("{path}.gpus"),
                        format!("{} must be between 1 and {MAX_GPUS}", a.gpus),
                    );
                } else if per_node(sku).is_some_and(|n| a.gpus % n != 0) {
                    p.push(
                        format!("{path}.gpus"),
                        format!(
                            "{} is not a whole number of {}-GPU {} nodes",
                            a.gpus, sku.gpus_per_node, sku.name
                        ),
                    );
                } else {
                    // Every GPU of the SKU the fleet ever has, refreshes included (an upper bound
                    // on what can be free at once).
                    let of_sku = total_gpus(
                        s.fleet
                            .iter()
                            .filter(|t| t.sku == a.sku)
                            .map(|t| &t.gpus)
                            .chain(
                                s.lifecycle
                                    .refresh
                                    .iter()
                                    .filter(|r| r.sku == a.sku)
                                    .map(|r| &r.gpus),
                            ),
                    );
                    // An error, not a warning: the contract would wait unserved through the
                    // whole horizon while its prepayment counted as cash received for service the
                    // fleet can never give.
                    if of_sku > 0 && a.gpus as u64 > of_sku {
                        p.push(
                            format!("{path}.gpus"),
                            format!(
                                "{} GPUs is more than the fleet ever has of {} ({of_sku} GPUs): the contract can never start",
                                a.gpus, a.sku
                            ),
                        );
                    }
                }
            }
        }
        if a.sign_month < 0 {
            p.push(
                format!("{path}.sign_month"),
                format!("{} must be >= 0", a.sign_month),
            );
        } else if a.sign_month > MAX_HORIZON_MONTHS as i64 {
            p.push(
                format!("{path}.sign_month"),
                format!(
                    "{} must be between 0 and {MAX_HORIZON_MONTHS}",
                    a.sign_month
                ),
            );
        } else if a.sign_month >= s.simulation.horizon() as i64 {
            p.warn(
                format!("{path}.sign_month"),
                format!(
                    "{} is at or after the end of the horizon: the contract never starts",
                    a.sign_month
                ),
            );
        }
        // At least one second. The path names the variant, as the range table's does, so
        // that the number is reported once.
        let (dur, unit) = a.duration.param_and_unit();
        let dur_path = match a.duration {
            DurationSpec::Hours(_) => format!("{path}.duration.Hours"),
            DurationSpec::Months(_) => format!("{path}.duration.Months"),
        };
        dur.check_range(&dur_path, 1.0 / 3600.0 / unit, 1e6 / unit, p);
        a.price_usd_per_gpu_hour.check_range(
            &format!("{path}.price_usd_per_gpu_hour"),
            0.0,
            1_000.0,
            p,
        );
        if a.price_usd_per_gpu_hour.quantile(0.99) == 0.0 {
            p.warn(
                format!("{path}.price_usd_per_gpu_hour"),
                "a price of 0: the contract earns nothing for the capacity it holds",
            );
        }
        a.load_frac
            .check_range(&format!("{path}.load_frac"), 0.0, 1.0, p);
        a.prepay_frac
            .check_range(&format!("{path}.prepay_frac"), 0.0, 1.0, p);
        a.renewal_frac
            .check_range(&format!("{path}.renewal_frac"), 0.0, 1.0, p);
    }
}

pub(super) fn check_duration(path: &str, duration: &DurationSpec, p: &mut Problems) {
    let (dur, unit) = duration.param_and_unit();
    let dur_path = match duration {
        DurationSpec::Hours(_) => format!("{path}.Hours"),
        DurationSpec::Months(_) => format!("{path}.Months"),
    };
    dur.check_draw(&dur_path, 0.0, 1e6 / unit, p);
    if dur.is_fixed() && dur.quantile(0.5) <= 0.0 && p.iter().all(|x| x.path != dur_path) {
        p.push(dur_path, "must be > 0");
    }
}

pub(super) fn check_regimes(r: &super::Regimes, p: &mut Problems) {
    let n = r.states.len();
    if n == 0 {
        p.push("demand.regimes.states", "at least one regime is needed");
        return;
    }
    let mut names = HashSet::new();
    for (i, st) in r.states.iter().enumerate() {
        let path = format!("demand.regimes.states[{i}]");
        if !names.insert(st.name.as_str()) {
            p.push(
                format!("{path}.name"),
                format!("\"{}\" is used by an earlier regime", st.name),
            );
        }
        for (name, v) in [
            ("demand_multiplier", st.demand_multiplier),
            ("price_multiplier", st.price_multiplier),
        ] {
            if v.is_finite() && !(v > 0.0 && v <= 100.0) {
                p.push(
                    format!("{path}.{name}"),
                    format!("{v} must be > 0 and at most 100"),
                );
            }
        }
    }
    let known = |name: &str| r.states.iter().any(|st| st.name == name);
    let list = r
        .states
        .iter()
        .map(|st| st.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if !known(&r.initial) {
        p.push(
            "demand.regimes.initial",
            format!("no regime named \"{}\" (regimes: {list})", r.initial),
        );
    }
    if r.monthly_transitions.len() != n {
        p.push(
            "demand.regimes.monthly_transitions",
            format!(
                "needs one row per regime: {} rows for {n} regimes",
                r.monthly_transitions.len()
            ),
        );
    }
    for (i, row) in r.monthly_transitions.iter().enumerate() {
        let path = format!("demand.regimes.monthly_transitions[{i}]");
        if row.len() != n {
            p.push(
                path.clone(),
                format!(
                    "needs {n} probabilities, one per regime; found {}",
                    row.len()
                ),
            );
        }
        let mut bad = false;
        for (j, x) in row.iter().enumerate() {
            if !x.is_finite() {
                p.push(
                    format!("{path}[{j}]"),
                    format!("{} is not a finite number", fmt_num(*x)),
                );
            } else if !(0.0..=1.0).contains(x) {
                p.push(
                    format!("{path}[{j}]"),
                    format!("{x} must be a probability between 0 and 1"),
                );
            } else {
                continue;
            }
            bad = true;
        }
        let sum: f64 = row.iter().sum();
        if !bad && (sum - 1.0).abs() > 1e-6 {
            p.push(
                path,
                format!(
                    "probabilities sum to {} (each row must sum to 1)",
                    round6(sum)
                ),
            );
        }
    }
    for (i, f) in r.forced.iter().enumerate() {
        let path = format!("demand.regimes.forced[{i}]");
        if !known(&f.state) {
            p.push(
                format!("{path}.state"),
                format!("no regime named \"{}\" (regimes: {list})", f.state),
            );
        }
        if f.from_month < 0 || f.to_month <= f.from_month || f.to_month > MAX_HORIZON_MONTHS as i64
        {
            p.push(
                path,
                format!(
                    "months {}..{} must satisfy 0 <= from_month < to_month <= {MAX_HORIZON_MONTHS}",
                    f.from_month, f.to_month
                ),
            );
        } else if let Some((j, e)) = r.forced[..i]
            .iter()
            .enumerate()
            .find(|(_, e)| e.from_month < f.to_month && f.from_month < e.to_month)
        {
            // One imposed regime a month: with two, one would silently win.
            p.push(
                path,
                format!(
                    "months {}..{} overlap demand.regimes.forced[{j}] (months {}..{}): a month can have one imposed regime",
                    f.from_month, f.to_month, e.from_month, e.to_month
                ),
            );
        }
    }
}
