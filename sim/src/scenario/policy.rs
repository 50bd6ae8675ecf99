//! The `policies` section: expansion rules evaluated at the start of every month while a
//! replication runs, each a trigger, an action and limits on how often and how much it fires.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::*;
use crate::catalog::Catalog;
use crate::dist::fmt_num;
use crate::problems::Problems;

fn one_i64() -> i64 {
    1
}

fn is_one_i64(x: &i64) -> bool {
    *x == 1
}

fn is_zero_i64(x: &i64) -> bool {
    *x == 0
}

fn is_zero_f64(x: &f64) -> bool {
    *x == 0.0
}

/// Most firings one policy may have (each order firing holds a tranche of its own).
pub const MAX_POLICY_FIRINGS: i64 = 100;

/// Deepest nesting of `AllOf` and `AnyOf` accepted: a combination of plain triggers.
pub const MAX_TRIGGER_DEPTH: usize = 1;

/// An expansion policy: when its trigger holds at the start of a month and its limits allow,
/// its action is taken, through the same fleet, finance and debt models as planned purchases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Rule name, unique among the policies; the decisions table names firings by it.
    pub name: String,
    /// When the rule wants to fire.
    pub trigger: Trigger,
    /// What it does when it fires.
    pub action: Action,
    /// Most firings over the horizon (1 to 100; default 1).
    #[serde(default = "one_i64", skip_serializing_if = "is_one_i64")]
    pub max_firings: i64,
    /// Fewest months between two firings (0: no wait).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub min_gap_months: i64,
    /// Most capex, USD, the rule's firings may commit together (the action's capex counted in
    /// full at firing); a firing that would pass it does not happen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capex_budget_usd: Option<f64>,
    /// Debt covenant: the rule does not fire while the lowest monthly DSCR of the last 12
    /// closed months with debt service is below this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_dscr: Option<f64>,
}

/// When a policy wants to fire, judged at the start of a month on the months closed before it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Trigger {
    /// Utilization (sold / available GPU-hours) above `level_frac` in each of the last `months` months.
    UtilizationAbove {
        /// Level, a fraction.
        level_frac: f64,
        /// Consecutive closed months (at least 1).
        months: i64,
    },
    /// Utilization (sold / available GPU-hours) below `level_frac` in each of the last `months` months.
    UtilizationBelow {
        /// Level, a fraction.
        level_frac: f64,
        /// Consecutive closed months (at least 1).
        months: i64,
    },
    /// Backlog: requests rejected for lack of capacity in the month plus requests waiting at its
    /// end above `level_requests`, in each of the last `months` months.
    BacklogAbove {
        /// Level, requests.
        level_requests: f64,
        /// Consecutive closed months (at least 1).
        months: i64,
    },
    /// An anchor contract (by name in `demand.anchors`) has been signed: from its sign month on.
    AnchorSigned {
        /// Anchor name.
        anchor: String,
    },
    /// The SKU's market price above `ratio` times the month's all-in cost per sold GPU-hour
    /// (opex, depreciation and interest over sold GPU-hours) in each of the last `months` months.
    PriceAboveCost {
        /// SKU with a market price in `pricing.market`.
        sku: String,
        /// Ratio of price to cost.
        ratio: f64,
        /// Consecutive closed months (at least 1).
        months: i64,
    },
    /// The SKU's market price below `ratio` times the month's all-in cost per sold GPU-hour in
    /// each of the last `months` months (a month with nothing sold counts as below).
    PriceBelowCost {
        /// SKU with a market price in `pricing.market`.
        sku: String,
        /// Ratio of price to cost.
        ratio: f64,
        /// Consecutive closed months (at least 1).
        months: i64,
    },
    /// The month has been reached (from the scenario start; 0 is the first month).
    MonthReached {
        /// Month.
        month: i64,
    },
    /// Every trigger of the list holds (plain triggers: combinations do not nest).
    AllOf {
        /// Triggers (at least one).
        triggers: Vec<Trigger>,
    },
    /// At least one trigger of the list holds (plain triggers: combinations do not nest).
    AnyOf {
        /// Triggers (at least one).
        triggers: Vec<Trigger>,
    },
}

/// What a policy does when it fires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Action {
    /// Order a GPU tranche, as a planned `fleet` tranche ordered in the firing month: delivered
    /// `lead_time_months` later, paid on delivery, financed and retired like one.
    OrderTranche {
        /// Tranche name, unique among tranches, refreshes and other orders (the n-th firing's
        /// tranche is named `NAME#n` in the fleet from the second firing on).
        name: String,
        /// SKU name from the GPU catalog.
        sku: String,
        /// Number of GPUs; a whole number of nodes of the SKU.
        gpus: i64,
        /// Months from order to delivery.
        #[serde(default, skip_serializing_if = "is_zero_i64")]
        lead_time_months: i64,
        /// Price per GPU in USD including the server; default: the median of the catalog price.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        price_usd_per_gpu: Option<f64>,
        /// Network cost per node in USD.
        #[serde(default, skip_serializing_if = "is_zero_f64")]
        network_usd_per_node: f64,
        /// Debt tranche (funding `FinancedTranches`) that finances the purchase, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        financing: Option<String>,
        /// Retire the tranche this many months after its delivery.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retire_after_months: Option<i64>,
    },
    /// Start building a hall phase: its cost is drawn in equal monthly instalments over the lead
    /// time (or paid in its ready month when the lead time is 0) and it is ready after it.
    StartPhase {
        /// Phase name, unique among the site's phases and other policies' phases.
        name: String,
        /// IT capacity in MW.
        it_mw: f64,
        /// Construction cost per MW of IT capacity in USD.
        capex_usd_per_mw: f64,
        /// Months from the start of construction to the ready month.
        #[serde(default, skip_serializing_if = "is_zero_i64")]
        lead_time_months: i64,
    },
    /// Retire (and sell, at the lifecycle's resale value) a delivered tranche early: its idle
    /// nodes leave at once, busy ones when their contract ends.
    RetireTranche {
        /// Name of a `fleet` tranche or of a policy's order (its first firing).
        tranche: String,
    },
    /// Move a hall phase not yet started (a `site.phases` entry whose construction has not
    /// begun) later: its ready month and its construction draws move by `months`. A firing on
    /// a phase already started, ready or cancelled is skipped (not recorded).
    DeferPhase {
        /// Name of a site phase or of a policy's phase slot.
        phase: String,
        /// Months to move it by (at least 1).
        months: i64,
    },
    /// Cancel a hall phase not yet started (a site phase whose construction has not begun, or a
    /// policy's phase slot not yet started): it draws no more capex and never becomes ready
    /// (nodes waiting for room stay in inventory); `cost_usd` is booked as an operating expense
    /// of the firing month. A firing on a phase already started, ready or cancelled is skipped.
    CancelPhase {
        /// Name of a site phase or of a policy's phase slot.
        phase: String,
        /// Cancellation cost, USD.
        #[serde(default, skip_serializing_if = "is_zero_f64")]
        cost_usd: f64,
    },
    /// Set the list price to `ratio` x market price (the `ListRatio` pricing policy, replacing
    /// the scenario's) from the firing month on: for contracts that start then, and for running
    /// on-demand and spot contracts (they pay each month's list price); running reserved
    /// contracts keep the price they signed at.
    SetPriceRatio {
        /// List price over market price (above 0).
        ratio: f64,
    },
}

impl Action {
    /// Short name of the action kind, as the decisions table writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::OrderTranche { .. } => "order_tranche",
            Action::StartPhase { .. } => "start_phase",
            Action::RetireTranche { .. } => "retire_tranche",
            Action::DeferPhase { .. } => "defer_phase",
            Action::CancelPhase { .. } => "cancel_phase",
            Action::SetPriceRatio { .. } => "set_price_ratio",
        }
    }

    /// Number of slots (tranches or phases) the action holds over `max_firings` firings.
    pub(crate) fn slots(&self, max_firings: i64) -> usize {
        match self {
            Action::OrderTranche { .. } | Action::StartPhase { .. } => {
                max_firings.clamp(0, MAX_POLICY_FIRINGS) as usize
            }
            Action::RetireTranche { .. }
            | Action::DeferPhase { .. }
            | Action::CancelPhase { .. }
            | Action::SetPriceRatio { .. } => 0,
        }
    }
}

/// Name of the `k`-th (0-based) slot of an order or phase named `name`.
pub fn slot_name(name: &str, k: usize) -> String {
    if k == 0 {
        name.to_string()
    } else {
        format!("{name}#{}", k + 1)
    }
}

pub(super) fn check_policies(s: &Scenario, catalog: &Catalog, p: &mut Problems) {
    let horizon = s.simulation.horizon() as i64;
    let mut names = HashSet::new();
    let mut tranche_names: HashSet<&str> = s
        .fleet
        .iter()
        .map(|t| t.name.as_str())
        .chain(s.lifecycle.refresh.iter().map(|r| r.name.as_str()))
        .collect();
    let mut phase_names: HashSet<&str> = s.site.phases.iter().map(|ph| ph.name.as_str()).collect();
    let orders: Vec<&str> = s
        .policies
        .iter()
        .filter_map(|r| match &r.action {
            Action::OrderTranche { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    for (i, rule) in s.policies.iter().enumerate() {
        let path = format!("policies[{i}]");
        if rule.name.trim().is_empty() {
            p.push(format!("{path}.name"), "must not be empty");
        } else if !names.insert(rule.name.as_str()) {
            p.push(
                format!("{path}.name"),
                format!(
                    "\"{}\" is used by an earlier policy; names must be unique",
                    rule.name
                ),
            );
        }
        check_trigger(s, &rule.trigger, &format!("{path}.trigger"), 0, horizon, p);
        let action = format!("{path}.action");
        match &rule.action {
            Action::OrderTranche {
                name,
                sku,
                gpus,
                financing,
                ..
            } => {
                if name.trim().is_empty() {
                    p.push(format!("{action}.name"), "must not be empty");
                } else if !tranche_names.insert(name.as_str()) {
                    p.push(
                        format!("{action}.name"),
                        format!(
                            "\"{name}\" is used by a tranche, a refresh or an earlier order; names must be unique"
                        ),
                    );
                }
                match catalog.sku(sku) {
                    None => p.push(
                        format!("{action}.sku"),
                        format!("unknown SKU \"{sku}\"; known SKUs: {}", catalog.sku_names()),
                    ),
                    Some(c) if *gpus > 0 && c.gpus_per_node > 0 => {
                        let per_node = c.gpus_per_node as i64;
                        if gpus % per_node != 0 {
                            p.push(
                                format!("{action}.gpus"),
                                format!(
                                    "{gpus} is not a whole number of {per_node}-GPU {} nodes {}",
                                    c.name,
                                    super::validate::whole_nodes_hint(*gpus, per_node)
                                ),
                            );
                        }
                    }
                    Some(_) => {}
                }
                if let Some(f) = financing {
                    match s.finance.debt.iter().find(|d| &d.name == f) {
                        None => p.push(
                            format!("{action}.financing"),
                            format!("no debt tranche is named \"{f}\""),
                        ),
                        Some(d) if !matches!(d.funds, Funds::FinancedTranches) => p.push(
                            format!("{action}.financing"),
                            format!(
                                "debt tranche \"{f}\" does not fund FinancedTranches, so it would not fund this order"
                            ),
                        ),
                        Some(_) => {}
                    }
                }
            }
            Action::StartPhase { name, .. } => {
                if name.trim().is_empty() {
                    p.push(format!("{action}.name"), "must not be empty");
                } else if !phase_names.insert(name.as_str()) {
                    p.push(
                        format!("{action}.name"),
                        format!(
                            "\"{name}\" is used by a site phase or an earlier policy's phase; names must be unique"
                        ),
                    );
                }
            }
            Action::RetireTranche { tranche } => {
                let known = s.fleet.iter().any(|t| &t.name == tranche)
                    || orders.contains(&tranche.as_str());
                if !known {
                    p.push(
                        format!("{action}.tranche"),
                        format!("no fleet tranche or policy order is named \"{tranche}\""),
                    );
                }
            }
            Action::DeferPhase { phase, months } => {
                check_phase_target(s, phase, &action, p);
                if *months < 1 {
                    p.push(
                        format!("{action}.months"),
                        format!("{months} must be at least 1"),
                    );
                }
            }
            Action::CancelPhase { phase, cost_usd } => {
                check_phase_target(s, phase, &action, p);
                if !cost_usd.is_finite() || *cost_usd < 0.0 {
                    p.push(
                        format!("{action}.cost_usd"),
                        format!("{} must be a number of at least 0", fmt_num(*cost_usd)),
                    );
                }
            }
            Action::SetPriceRatio { ratio } => {
                if !ratio.is_finite() || *ratio <= 0.0 {
                    p.push(
                        format!("{action}.ratio"),
                        format!("{} must be a number above 0", fmt_num(*ratio)),
                    );
                }
            }
        }
        if let Some(b) = rule.capex_budget_usd
            && b.is_finite()
            && b < 0.0
        {
            p.push(
                format!("{path}.capex_budget_usd"),
                format!("{} must be at least 0", fmt_num(b)),
            );
        }
    }
}

/// The names of every hall phase a phase action may target, in phase index order: the site's
/// phases, then every policy phase slot.
pub(crate) fn phase_names(s: &Scenario) -> Vec<String> {
    s.site
        .phases
        .iter()
        .map(|ph| ph.name.clone())
        .chain(
            phase_slots(s)
                .into_iter()
                .map(|(i, k)| match &s.policies[i].action {
                    Action::StartPhase { name, .. } => slot_name(name, k),
                    _ => String::new(),
                }),
        )
        .collect()
}

fn check_phase_target(s: &Scenario, phase: &str, action: &str, p: &mut Problems) {
    if !phase_names(s).iter().any(|n| n == phase) {
        p.push(
            format!("{action}.phase"),
            format!("no site phase or policy phase is named \"{phase}\""),
        );
    }
}

fn check_trigger(
    s: &Scenario,
    t: &Trigger,
    path: &str,
    depth: usize,
    horizon: i64,
    p: &mut Problems,
) {
    // A window or a month past the horizon is valid; the rule just never fires.
    let months = |m: i64, p: &mut Problems| {
        if m > horizon {
            p.warn(
                format!("{path}.months"),
                format!(
                    "{m} months is longer than the horizon ({horizon}): the trigger never holds"
                ),
            );
        }
    };
    match t {
        Trigger::UtilizationAbove { months: m, .. }
        | Trigger::UtilizationBelow { months: m, .. }
        | Trigger::BacklogAbove { months: m, .. } => months(*m, p),
        Trigger::PriceAboveCost { sku, months: m, .. }
        | Trigger::PriceBelowCost { sku, months: m, .. } => {
            months(*m, p);
            if !s.pricing.market.iter().any(|mp| &mp.sku == sku) {
                p.push(
                    format!("{path}.sku"),
                    format!("\"{sku}\" has no market price in pricing.market"),
                );
            }
        }
        Trigger::AnchorSigned { anchor } => {
            if !s.demand.anchors.iter().any(|a| &a.name == anchor) {
                p.push(
                    format!("{path}.anchor"),
                    format!("no anchor in demand.anchors is named \"{anchor}\""),
                );
            }
        }
        Trigger::MonthReached { month } => {
            if *month >= horizon {
                p.warn(
                    format!("{path}.month"),
                    format!(
                        "month {month} is past the horizon ({horizon} months): the trigger never holds"
                    ),
                );
            }
        }
        Trigger::AllOf { triggers } | Trigger::AnyOf { triggers } => {
            if triggers.is_empty() {
                p.push(format!("{path}.triggers"), "needs at least one trigger");
            } else if depth >= MAX_TRIGGER_DEPTH {
                p.push(
                    format!("{path}.triggers"),
                    "a combination holds plain triggers; combinations do not nest",
                );
            } else {
                for (k, inner) in triggers.iter().enumerate() {
                    check_trigger(
                        s,
                        inner,
                        &format!("{path}.triggers[{k}]"),
                        depth + 1,
                        horizon,
                        p,
                    );
                }
            }
        }
    }
}

/// The tranche slots the scenario's order actions hold, in fleet order after the tranches and
/// refreshes: `(policy index, firing)`.
pub(crate) fn order_slots(s: &Scenario) -> Vec<(usize, usize)> {
    slots_where(s, |a| matches!(a, Action::OrderTranche { .. }))
}

/// The phase slots the scenario's phase actions hold, after the site's phases: `(policy index,
/// firing)`.
pub(crate) fn phase_slots(s: &Scenario) -> Vec<(usize, usize)> {
    slots_where(s, |a| matches!(a, Action::StartPhase { .. }))
}

fn slots_where(s: &Scenario, f: impl Fn(&Action) -> bool) -> Vec<(usize, usize)> {
    s.policies
        .iter()
        .enumerate()
        .filter(|(_, r)| f(&r.action))
        .flat_map(|(i, r)| (0..r.action.slots(r.max_firings)).map(move |k| (i, k)))
        .collect()
}
