//! Policies: the scenario's expansion rules resolved (names to tranche, phase, SKU and anchor
//! indices; one tranche or phase slot per possible firing), and the slots the fleet plan holds.

use crate::catalog::Catalog;
use crate::model::fleet;
use crate::model::policy::{
    ActionSpec, NOT_SCHEDULED, PhaseTiming, PolicyModel, RuleSpec, TriggerSpec,
};
use crate::scenario::{
    Action, Scenario, Trigger, order_slots, phase_names, phase_slots, slot_name,
};

/// Ready month given to a phase slot not started (far past any horizon, so it draws nothing).
pub(super) const NOT_STARTED: i64 = NOT_SCHEDULED;

/// The policies of a plan.
#[derive(Clone, Debug, Default)]
pub(super) struct PolicyPlan {
    rules: Vec<RuleSpec>,
    /// Tranche slots, not scheduled.
    pub(super) tranches: Vec<fleet::TranchePlan>,
    /// Phase slots, not started.
    pub(super) phases: Vec<fleet::PhasePlan>,
    /// Construction months of every phase (site phases, then slots: the rule's lead time).
    construction_months: Vec<i64>,
}

impl PolicyPlan {
    /// `sku_index` gives the fleet's index of a SKU the policies use (listed by [`skus`]).
    pub(super) fn new(
        s: &Scenario,
        catalog: &Catalog,
        sku_index: &dyn Fn(&str) -> u16,
    ) -> PolicyPlan {
        let tranche_base = s.fleet.len() + s.lifecycle.refresh.len();
        let phase_base = s.site.phases.len();
        let orders = order_slots(s);
        let phase_slots = phase_slots(s);
        let mut tranches = Vec::new();
        for &(i, k) in &orders {
            if let Action::OrderTranche {
                name,
                sku,
                gpus,
                price_usd_per_gpu,
                network_usd_per_node,
                ..
            } = &s.policies[i].action
            {
                let c = catalog.sku(sku).expect("validated SKU");
                tranches.push(fleet::TranchePlan {
                    name: slot_name(name, k),
                    sku: sku_index(sku),
                    n_nodes: (*gpus).max(0) as u32 / c.gpus_per_node.max(1),
                    delivery_month: None,
                    retire_month: None,
                    price_usd_per_gpu: price_usd_per_gpu
                        .unwrap_or_else(|| c.price_usd_per_gpu.quantile(0.5)),
                    network_usd_per_node: *network_usd_per_node,
                    embodied_tco2_per_gpu: 0.0,
                });
            }
        }
        let mut phases = Vec::new();
        for &(i, k) in &phase_slots {
            if let Action::StartPhase {
                name,
                it_mw,
                capex_usd_per_mw,
                ..
            } = &s.policies[i].action
            {
                phases.push(fleet::PhasePlan {
                    name: slot_name(name, k),
                    it_kw: it_mw * 1000.0,
                    ready_month: None,
                    ready_month_raw: NOT_STARTED,
                    capex_usd: it_mw * capex_usd_per_mw,
                });
            }
        }
        let first_of = |slots: &[(usize, usize)], i: usize, base: usize| {
            (base + slots.iter().position(|&(j, _)| j == i).unwrap_or(0)) as u16
        };
        let phase_names = phase_names(s);
        let phase_index = |name: &str| {
            phase_names
                .iter()
                .position(|n| n == name)
                .expect("validated phase name") as u16
        };
        let all_names: Vec<String> = s
            .fleet
            .iter()
            .map(|t| t.name.clone())
            .chain(s.lifecycle.refresh.iter().map(|r| r.name.clone()))
            .chain(tranches.iter().map(|t| t.name.clone()))
            .collect();
        let rules = s
            .policies
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let max_firings = r.max_firings.max(0) as u32;
                let action = match &r.action {
                    Action::OrderTranche {
                        name,
                        sku,
                        gpus,
                        lead_time_months,
                        price_usd_per_gpu,
                        network_usd_per_node,
                        retire_after_months,
                        ..
                    } => {
                        let c = catalog.sku(sku).expect("validated SKU");
                        let price =
                            price_usd_per_gpu.unwrap_or_else(|| c.price_usd_per_gpu.quantile(0.5));
                        let nodes = (*gpus).max(0) as f64 / c.gpus_per_node.max(1) as f64;
                        ActionSpec::Order {
                            first: first_of(&orders, i, tranche_base),
                            names: (0..max_firings as usize)
                                .map(|k| slot_name(name, k))
                                .collect(),
                            gpus: (*gpus).max(0) as u64,
                            capex_usd: *gpus as f64 * price + nodes * network_usd_per_node,
                            lead: (*lead_time_months).max(0) as u32,
                            retire_after: retire_after_months.map(|a| a.max(0) as u32),
                        }
                    }
                    Action::StartPhase {
                        name,
                        it_mw,
                        capex_usd_per_mw,
                        lead_time_months,
                    } => ActionSpec::Phase {
                        first: first_of(&phase_slots, i, phase_base),
                        names: (0..max_firings as usize)
                            .map(|k| slot_name(name, k))
                            .collect(),
                        capex_usd: it_mw * capex_usd_per_mw,
                        lead: (*lead_time_months).max(0) as u32,
                    },
                    Action::RetireTranche { tranche } => {
                        let t = all_names
                            .iter()
                            .position(|n| n == tranche)
                            .expect("validated tranche name");
                        let gpus = if t < s.fleet.len() {
                            s.fleet[t].gpu_count() as u64
                        } else if t < tranche_base {
                            s.lifecycle.refresh[t - s.fleet.len()].gpus.max(0) as u64
                        } else {
                            let slot = &tranches[t - tranche_base];
                            let per_node = catalog
                                .sku(match &s.policies[orders[t - tranche_base].0].action {
                                    Action::OrderTranche { sku, .. } => sku,
                                    _ => unreachable!("order slots hold orders"),
                                })
                                .map_or(1, |c| c.gpus_per_node);
                            slot.n_nodes as u64 * per_node as u64
                        };
                        ActionSpec::Retire {
                            tranche: t as u16,
                            name: tranche.clone(),
                            gpus,
                        }
                    }
                    Action::DeferPhase { phase, months } => ActionSpec::Defer {
                        phase: phase_index(phase),
                        name: phase.clone(),
                        months: (*months).clamp(0, NOT_SCHEDULED) as u32,
                    },
                    Action::CancelPhase { phase, cost_usd } => ActionSpec::Cancel {
                        phase: phase_index(phase),
                        name: phase.clone(),
                        cost_usd: *cost_usd,
                    },
                    Action::SetPriceRatio { ratio } => ActionSpec::PriceRatio(*ratio),
                };
                RuleSpec {
                    name: r.name.clone(),
                    trigger: trigger(s, &r.trigger, sku_index),
                    action,
                    max_firings,
                    min_gap_months: r.min_gap_months.max(0) as u32,
                    capex_budget_usd: r.capex_budget_usd,
                    min_dscr: r.min_dscr,
                }
            })
            .collect();
        let construction_months = s
            .site
            .phases
            .iter()
            .map(|p| p.construction_months)
            .chain(
                phase_slots
                    .iter()
                    .map(|&(i, _)| match &s.policies[i].action {
                        Action::StartPhase {
                            lead_time_months, ..
                        } => *lead_time_months,
                        _ => 0,
                    }),
            )
            .collect();
        PolicyPlan {
            rules,
            tranches,
            phases,
            construction_months,
        }
    }

    /// Whether the scenario has policies.
    pub(super) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The policies of one replication, given its fleet plan and market prices.
    pub(super) fn model(
        &self,
        fleet: &fleet::FleetPlan,
        market: &[Vec<f64>],
        horizon: u32,
    ) -> PolicyModel {
        PolicyModel {
            rules: self.rules.clone(),
            market: market.to_vec(),
            horizon,
            delivered: fleet.tranches.iter().map(|t| t.delivery_month).collect(),
            retires: fleet.tranches.iter().map(|t| t.retire_month).collect(),
            phases: fleet
                .phases
                .iter()
                .zip(&self.construction_months)
                .map(|(ph, &n)| {
                    // As the finance plan times the draws: from `n` months before the ready
                    // month (month 0 at the earliest), or in the ready month.
                    let ready = ph.ready_month_raw;
                    PhaseTiming {
                        start: if n <= 0 { ready } else { (ready - n).max(0) },
                        ready,
                        capex_usd: ph.capex_usd,
                    }
                })
                .collect(),
        }
    }
}

/// The SKUs the policies name (orders and price triggers), in scenario order.
pub(super) fn skus(s: &Scenario) -> Vec<&str> {
    fn walk<'a>(t: &'a Trigger, out: &mut Vec<&'a str>) {
        match t {
            Trigger::PriceAboveCost { sku, .. } | Trigger::PriceBelowCost { sku, .. } => {
                out.push(sku)
            }
            Trigger::AllOf { triggers } | Trigger::AnyOf { triggers } => {
                triggers.iter().for_each(|t| walk(t, out))
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for r in &s.policies {
        if let Action::OrderTranche { sku, .. } = &r.action {
            out.push(sku.as_str());
        }
        walk(&r.trigger, &mut out);
    }
    out
}

fn trigger(s: &Scenario, t: &Trigger, sku_index: &dyn Fn(&str) -> u16) -> TriggerSpec {
    let n = |m: i64| m.max(1) as u32;
    match t {
        Trigger::UtilizationAbove { level_frac, months } => {
            TriggerSpec::UtilizationAbove(*level_frac, n(*months))
        }
        Trigger::UtilizationBelow { level_frac, months } => {
            TriggerSpec::UtilizationBelow(*level_frac, n(*months))
        }
        Trigger::BacklogAbove {
            level_requests,
            months,
        } => TriggerSpec::BacklogAbove(*level_requests, n(*months)),
        Trigger::AnchorSigned { anchor } => TriggerSpec::FromMonth(
            s.demand
                .anchors
                .iter()
                .find(|a| &a.name == anchor)
                .map(|a| a.sign_month.max(0) as u32),
        ),
        Trigger::PriceAboveCost { sku, ratio, months } => {
            TriggerSpec::PriceAboveCost(sku_index(sku), *ratio, n(*months))
        }
        Trigger::PriceBelowCost { sku, ratio, months } => {
            TriggerSpec::PriceBelowCost(sku_index(sku), *ratio, n(*months))
        }
        Trigger::MonthReached { month } => TriggerSpec::FromMonth(Some((*month).max(0) as u32)),
        Trigger::AllOf { triggers } => {
            TriggerSpec::AllOf(triggers.iter().map(|t| trigger(s, t, sku_index)).collect())
        }
        Trigger::AnyOf { triggers } => {
            TriggerSpec::AnyOf(triggers.iter().map(|t| trigger(s, t, sku_index)).collect())
        }
    }
}
