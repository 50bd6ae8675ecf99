//! Node failures, repairs, spares and SLA credits.
//!
//! Every commissioned node fails as a Poisson process at its SKU's per-GPU annual rates times its
//! GPUs. Two kinds are told apart, in proportion to their rates:
//! * a *hardware* failure (the catalog's `permanent_failures_per_gpu_year`: a GPU, HBM, NIC or
//!   board fault) needs a part swap and takes days to repair; a contract on the node moves to a
//!   hot spare of the same SKU at once when one is free;
//! * a *software or transient* interruption (`transient_failures_per_gpu_year`: a driver reset,
//!   a hung job, a host reboot) needs no part: the node restarts within hours and its contract
//!   waits for it; spares are not used.
//!
//! GPUs of a contract on a node that is down are not billed: the contract's revenue, sold
//! GPU-hours and prepaid revenue recognised stop for that node until it is back. On top, the
//! contract's SLA is measured per calendar month (the usual measurement period of cloud SLAs):
//! availability is `1 - down GPU-hours / (contract GPUs x hours in the month)`, and the credit is
//! the scenario's share of what the contract was billed in that month. The two effects are
//! reported separately (`downtime_unbilled_usd` and `sla_credits_usd`). Downtime is accrued on the
//! contract here; the settlement against the SLA belongs to the contract, in [`super::demand`].
//!
//! Each node draws its failures and repair times from its own keyed stream
//! ([`crate::rng::KeyedStreams`], keyed by its tranche and position), so a node's failure history
//! is the same in every variant in which it is in service at the same time, whatever the other
//! nodes, the customers or the prices do.
//!
//! The node state machine is total: every event is well defined in every state (a failure of a
//! node that is not in service, or the repair or retirement of a node already gone, does
//! nothing), whatever order events at the same instant come in.

use bevy_ecs::prelude::*;
use rand::RngExt;

use super::demand::{Contract, ContractNodes, accrue_downtime, revenue_rate};
use super::fleet::{
    FailureStream, FailureTrace, FleetCounters, FleetPlan, FreePool, GpuState, Node, NodeState,
    schedule_failure, wants_spare,
};
use crate::engine::{Agenda, Engine, EventKind, Meter, Rate, SimEvent, Step, fired};
use crate::time::hours_to_seconds;

/// Add the failure and repair systems.
pub fn install(engine: &mut Engine) {
    engine
        .schedule_mut(EventKind::NodeFailed)
        .add_systems(fail_node.in_set(Step::Fleet));
    engine
        .schedule_mut(EventKind::NodeRepaired)
        .add_systems(repair_node.in_set(Step::Fleet));
}

/// Stop (sign -1) or restart (sign +1) billing one node's GPUs of a contract.
fn bill_node(meter: &mut Meter, contract: &Contract, gpus: u32, max_kw: f64, sign: f64) {
    let g = gpus as f64 * sign;
    meter.add(
        revenue_rate(contract.class),
        contract.price_usd_per_gpu_hour * g,
    );
    meter.add(
        Rate::PrepaidRevenueUsdPerHour,
        contract.prepay_frac * contract.price_usd_per_gpu_hour * g,
    );
    meter.add(Rate::SoldGpus, g);
    meter.add(Rate::SoldMaxKw, max_kw * sign);
}

#[expect(
    clippy::too_many_arguments,
    reason = "a system's parameters are its declared data access"
)]
fn fail_node(
    fired: Res<fired::NodeFailed>,
    plan: Res<FleetPlan>,
    mut agenda: ResMut<Agenda>,
    mut pool: ResMut<FreePool>,
    mut meter: ResMut<Meter>,
    mut counters: ResMut<FleetCounters>,
    mut trace: ResMut<FailureTrace>,
    mut nodes: Query<(&Node, &mut NodeState, &mut FailureStream)>,
    mut contracts: Query<(&mut Contract, &mut ContractNodes)>,
) {
    let e = fired.node;
    let now = agenda.now();
    let Ok((node, state, _)) = nodes.get(e) else {
        return;
    };
    let node = *node;
    let before = *state;
    let sku = &plan.skus[node.sku as usize];
    let contract = match before {
        // A node that is not in service (not yet, or no longer: down, leaving at this instant,
        // gone) has nothing left to fail.
        NodeState::Inventory
        | NodeState::Down { .. }
        | NodeState::Retiring
        | NodeState::Retired => return,
        NodeState::Idle | NodeState::Spare => {
            pool.remove(&node);
            meter.add(Rate::ItKw, -sku.idle_kw);
            None
        }
        NodeState::Busy(c) => Some(c),
    };
    let rng = &mut nodes.get_mut(e).expect("checked above").2.0;
    let total = sku.transient_per_hour + sku.permanent_per_hour;
    let permanent = rng.random::<f64>() * total < sku.permanent_per_hour;
    let repair_h = if permanent {
        counters.month.failures_permanent += 1;
        plan.reliability.permanent_repair_hours.sample(rng)
    } else {
        counters.month.failures_transient += 1;
        plan.reliability.transient_repair_hours.sample(rng)
    };
    if let Some(t) = &mut trace.0 {
        t.push((node.key(), now.0, permanent, repair_h));
    }
    let mut waiting_contract = None;
    if let Some(c) = contract {
        let (mut contract, mut c_nodes) = contracts
            .get_mut(c)
            .expect("busy nodes name live contracts");
        meter.add(Rate::ItKw, -(sku.idle_kw + contract.node_load_kw));
        // Only a hardware failure moves the contract to a spare; a restart is waited for.
        let spare = if permanent {
            pool.take_spare(node.sku)
        } else {
            None
        };
        match spare {
            Some(spare) => {
                // The contract moves to the spare at once; the spare already draws idle power.
                meter.add(Rate::ItKw, contract.node_load_kw);
                for n in c_nodes.0.iter_mut().filter(|n| **n == e) {
                    *n = spare;
                }
                *nodes.get_mut(spare).expect("spares are live").1 = NodeState::Busy(c);
                counters.transition(
                    &mut meter,
                    node.sku,
                    sku,
                    Some(GpuState::Spare),
                    GpuState::InService,
                );
                counters.month.spare_migrations += 1;
            }
            None => {
                accrue_downtime(&mut contract, now);
                contract.down_gpus += sku.gpus_per_node;
                bill_node(&mut meter, &contract, sku.gpus_per_node, sku.max_kw, -1.0);
                waiting_contract = Some(c);
            }
        }
    }
    let after = NodeState::Down {
        contract: waiting_contract,
        permanent,
    };
    counters.transition(
        &mut meter,
        node.sku,
        sku,
        Some(before.category()),
        after.category(),
    );
    *nodes.get_mut(e).expect("live").1 = after;
    agenda.schedule(
        now.plus(hours_to_seconds(repair_h).max(1)),
        SimEvent::NodeRepaired(e),
    );
}

#[expect(
    clippy::too_many_arguments,
    reason = "a system's parameters are its declared data access"
)]
fn repair_node(
    fired: Res<fired::NodeRepaired>,
    plan: Res<FleetPlan>,
    mut agenda: ResMut<Agenda>,
    mut pool: ResMut<FreePool>,
    mut meter: ResMut<Meter>,
    mut counters: ResMut<FleetCounters>,
    mut nodes: Query<(&Node, &mut NodeState, &mut FailureStream)>,
    mut contracts: Query<&mut Contract>,
) {
    let e = fired.node;
    let now = agenda.now();
    let Ok((node, mut state, mut stream)) = nodes.get_mut(e) else {
        return;
    };
    let node = *node;
    // Only a node that is down has anything to repair.
    let NodeState::Down { contract, .. } = *state else {
        return;
    };
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
        bill_node(&mut meter, &contract, sku.gpus_per_node, sku.max_kw, 1.0);
        NodeState::Busy(c)
    } else if node.retiring {
        agenda.schedule(now, SimEvent::NodeRetired(e));
        NodeState::Retiring
    } else if wants_spare(&plan, &counters, &pool, node.sku) {
        pool.give_spare(&node);
        NodeState::Spare
    } else {
        pool.give(&node);
        agenda.schedule(now, SimEvent::RetryWaiting);
        NodeState::Idle
    };
    *state = after;
    counters.transition(&mut meter, node.sku, sku, Some(before), after.category());
    if after != NodeState::Retiring {
        schedule_failure(&plan, node.sku, e, now, &mut agenda, &mut stream.0);
    }
}
