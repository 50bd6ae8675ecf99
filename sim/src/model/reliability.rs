//! Node failures, repairs, spares and SLA credits.
//!
//! Every commissioned node fails as a Poisson process at its SKU's per-GPU annual rates times its
//! GPUs (transient and permanent failures together; the kind is drawn in proportion to the two
//! rates). A transient failure (reboot, driver reset) takes hours to recover, a permanent one
//! (parts replaced) days. When a node running a contract fails and a spare of the same SKU is
//! free, the contract moves to the spare at once; otherwise the contract's GPUs on that node are
//! down until the repair, and the downtime counts against the contract's monthly availability,
//! which earns SLA credits by the scenario's schedule. A repaired node goes back to its contract
//! if it still waits for it, else refills the spares, else returns to the free pool.

use bevy_ecs::prelude::*;
use rand::RngExt;

use super::demand::{Contract, ContractNodes, DemandState};
use super::fleet::{FailureRng, FleetCounters, FleetPlan, FreePool, Node, NodeState, schedule_failure, wants_spare};
use crate::engine::{Agenda, Engine, Event, EventKind, Meter, Rate, Step};
use crate::scenario::SlaTier;
use crate::time::{SECONDS_PER_HOUR, SimTime, hours_to_seconds};

/// Add the failure and repair systems.
pub fn install(engine: &mut Engine) {
    engine.schedule_mut(EventKind::NodeFailed).add_systems(fail_node.in_set(Step::Fleet));
    engine.schedule_mut(EventKind::NodeRepaired).add_systems(repair_node.in_set(Step::Fleet));
    engine.schedule_mut(EventKind::MonthEnd).add_systems(settle_sla.in_set(Step::Demand));
}

/// Bring a contract's downtime up to `now`.
pub fn accrue_downtime(c: &mut Contract, now: SimTime) {
    if c.down_gpus > 0 && now > c.down_since {
        c.down_gpu_hours_month += c.down_gpus as f64 * (now.0 - c.down_since.0) as f64 / SECONDS_PER_HOUR as f64;
    }
    c.down_since = now;
}

/// Credit owed for a contract's service between `max(month_start, start)` and `now`, given its
/// downtime in that window; resets the window.
pub fn settle_contract_sla(c: &mut Contract, month_start: SimTime, now: SimTime, tiers: &[SlaTier]) -> f64 {
    accrue_downtime(c, now);
    let from = month_start.max(c.start);
    let hours = now.0.saturating_sub(from.0) as f64 / SECONDS_PER_HOUR as f64;
    let down = std::mem::take(&mut c.down_gpu_hours_month);
    if down <= 0.0 || hours <= 0.0 {
        return 0.0;
    }
    let contracted = c.gpus as f64 * hours;
    let availability = 1.0 - down / contracted;
    // The lowest threshold the availability falls under decides the credit.
    let credit_frac = tiers
        .iter()
        .filter(|t| availability < t.below_availability_frac)
        .map(|t| t.credit_frac)
        .fold(0.0, f64::max);
    credit_frac * c.price_usd_per_gpu_hour * contracted
}

#[expect(clippy::too_many_arguments, reason = "a system's parameters are its declared data access")]
fn fail_node(
    plan: Res<FleetPlan>,
    mut agenda: ResMut<Agenda>,
    mut pool: ResMut<FreePool>,
    mut meter: ResMut<Meter>,
    mut counters: ResMut<FleetCounters>,
    mut rng: ResMut<FailureRng>,
    mut nodes: Query<(&Node, &mut NodeState)>,
    mut contracts: Query<(&mut Contract, &mut ContractNodes)>,
) {
    let Event::NodeFailed(e) = agenda.fired() else { unreachable!("fail_node runs only on NodeFailed") };
    let now = agenda.now();
    let (node, state) = nodes.get(e).expect("failure events name live nodes");
    let node = *node;
    let before = *state;
    let sku = &plan.skus[node.sku as usize];
    let rng = &mut rng.0;
    let contract = match before {
        // A node that left service meanwhile has nothing left to fail.
        NodeState::Inventory | NodeState::Down { .. } | NodeState::Retired => return,
        NodeState::Idle | NodeState::Spare => {
            pool.remove(&node);
            meter.add(Rate::ItKw, -sku.idle_kw);
            None
        }
        NodeState::Retiring => {
            meter.add(Rate::ItKw, -sku.idle_kw);
            None
        }
        NodeState::Busy(c) => Some(c),
    };
    let total = sku.transient_per_hour + sku.permanent_per_hour;
    let permanent = rng.random::<f64>() * total < sku.permanent_per_hour;
    let repair_h = if permanent {
        counters.month.failures_permanent += 1;
        plan.reliability.permanent_repair_hours.sample(rng)
    } else {
        counters.month.failures_transient += 1;
        plan.reliability.transient_repair_hours.sample(rng)
    };
    let mut waiting_contract = None;
    if let Some(c) = contract {
        let (mut contract, mut c_nodes) = contracts.get_mut(c).expect("busy nodes name live contracts");
        meter.add(Rate::ItKw, -(sku.idle_kw + contract.node_load_kw));
        match pool.take_spare(node.sku) {
            Some(spare) => {
                // The contract moves to the spare at once; the spare already draws idle power.
                meter.add(Rate::ItKw, contract.node_load_kw);
                for n in c_nodes.0.iter_mut().filter(|n| **n == e) {
                    *n = spare;
                }
                *nodes.get_mut(spare).expect("spares are live").1 = NodeState::Busy(c);
                counters.transition(&mut meter, node.sku, sku, Some(super::fleet::GpuState::Spare), super::fleet::GpuState::InService);
                counters.month.spare_migrations += 1;
            }
            None => {
                accrue_downtime(&mut contract, now);
                contract.down_gpus += sku.gpus_per_node;
                waiting_contract = Some(c);
            }
        }
    }
    let after = NodeState::Down { contract: waiting_contract, permanent };
    counters.transition(&mut meter, node.sku, sku, Some(before.category()), after.category());
    *nodes.get_mut(e).expect("live").1 = after;
    agenda.schedule(now.plus(hours_to_seconds(repair_h).max(1)), Event::NodeRepaired(e));
}

#[expect(clippy::too_many_arguments, reason = "a system's parameters are its declared data access")]
fn repair_node(
    plan: Res<FleetPlan>,
    mut agenda: ResMut<Agenda>,
    mut pool: ResMut<FreePool>,
    mut meter: ResMut<Meter>,
    mut counters: ResMut<FleetCounters>,
    mut rng: ResMut<FailureRng>,
    mut nodes: Query<(&Node, &mut NodeState)>,
    mut contracts: Query<&mut Contract>,
) {
    let Event::NodeRepaired(e) = agenda.fired() else { unreachable!("repair_node runs only on NodeRepaired") };
    let now = agenda.now();
    let (node, mut state) = nodes.get_mut(e).expect("repair events name live nodes");
    let node = *node;
    let NodeState::Down { contract, .. } = *state else { unreachable!("only failed nodes are repaired") };
    let sku = &plan.skus[node.sku as usize];
    let before = state.category();
    meter.add(Rate::ItKw, sku.idle_kw);
    // A contract waiting for the node gets it back, even at end of life: the node then retires
    // when the contract ends.
    let after = if let Some(c) = contract {
        let mut contract = contracts.get_mut(c).expect("a waiting contract is live");
        accrue_downtime(&mut contract, now);
        contract.down_gpus -= sku.gpus_per_node;
        meter.add(Rate::ItKw, contract.node_load_kw);
        NodeState::Busy(c)
    } else if node.retiring {
        agenda.schedule(now, Event::NodeRetired(e));
        NodeState::Retiring
    } else if wants_spare(&plan, &counters, &pool, node.sku) {
        pool.give_spare(&node);
        NodeState::Spare
    } else {
        pool.give(&node);
        agenda.schedule(now, Event::RetryWaiting);
        NodeState::Idle
    };
    *state = after;
    counters.transition(&mut meter, node.sku, sku, Some(before), after.category());
    if after != NodeState::Retiring {
        schedule_failure(&plan, node.sku, e, now, &mut agenda, &mut rng.0);
    }
}

/// At month end, settle every running contract's SLA for the month.
fn settle_sla(agenda: Res<Agenda>, mut demand: ResMut<DemandState>, mut contracts: Query<(Entity, &mut Contract)>) {
    let now = agenda.now();
    let month_start = demand.month_start;
    // Sum in entity order so that the float result does not depend on query order.
    let mut credits: Vec<(Entity, f64)> = contracts
        .iter_mut()
        .filter(|(_, c)| c.gpus > 0)
        .map(|(e, mut c)| (e, settle_contract_sla(&mut c, month_start, now, &demand.sla_tiers)))
        .collect();
    credits.sort_by_key(|(e, _)| *e);
    demand.counters.sla_credits_usd += credits.iter().map(|(_, x)| x).sum::<f64>();
}
