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

use super::demand::Contracts;
use super::fleet::{
    FailureTrace, FleetCounters, FleetPlan, GpuState, NodeState, Nodes, schedule_failure,
    wants_spare,
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

#[expect(
    clippy::too_many_arguments,
    reason = "a system's parameters are its declared data access"
)]
fn fail_node(
    fired: Res<fired::NodeFailed>,
    plan: Res<FleetPlan>,
    mut agenda: ResMut<Agenda>,
    mut nodes: ResMut<Nodes>,
    mut meter: ResMut<Meter>,
    mut counters: ResMut<FleetCounters>,
    mut trace: ResMut<FailureTrace>,
    mut contracts: ResMut<Contracts>,
) {
    let id = fired.node;
    let now = agenda.now();
    if id.0 as usize >= nodes.len() {
        return;
    }
    let node = *nodes.get(id);
    let before = node.state;
    let sku = &plan.skus[node.sku as usize];
    let contract = match before {
        // A node that is not in service (not yet, or no longer: down, leaving at this instant,
        // gone) has nothing left to fail.
        NodeState::Inventory
        | NodeState::Down { .. }
        | NodeState::Retiring
        | NodeState::Retired => return,
        NodeState::Idle | NodeState::Spare => {
            nodes.leave_pool(id);
            meter.add(Rate::ItKw, -sku.idle_kw);
            None
        }
        NodeState::Busy(c) => Some(c),
    };
    let rng = nodes.stream_mut(id);
    let total = sku.transient_per_hour + sku.permanent_per_hour;
    let permanent = rng.random::<f64>() * total < sku.permanent_per_hour;
    let repair_h = if permanent {
        counters.record_failure(true);
        plan.reliability.permanent_repair_hours.sample(rng)
    } else {
        counters.record_failure(false);
        plan.reliability.transient_repair_hours.sample(rng)
    };
    if let Some(t) = &mut trace.0 {
        t.push((node.key(), now.0, permanent, repair_h));
    }
    let mut waiting_contract = None;
    if let Some(c) = contract {
        let node_load_kw = contracts.get(c).node_load_kw;
        meter.add(Rate::ItKw, -(sku.idle_kw + node_load_kw));
        // Only a hardware failure moves the contract to a spare; a restart is waited for.
        let spare = if permanent {
            nodes.take_spare(node.sku)
        } else {
            None
        };
        match spare {
            Some(spare) => {
                // The contract moves to the spare at once; the spare already draws idle power.
                meter.add(Rate::ItKw, node_load_kw);
                contracts.move_node(c, id, spare);
                nodes.start_serving(&[spare], c);
                counters.transition(
                    &mut meter,
                    node.sku,
                    sku,
                    Some(GpuState::Spare),
                    GpuState::InService,
                );
                counters.record_spare_migration();
            }
            None => {
                contracts.node_availability(
                    c,
                    now,
                    (sku.gpus_per_node, sku.max_kw, sku.tokens_per_gpu_hour),
                    false,
                    &mut meter,
                );
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
    nodes.set_state(id, after);
    agenda.schedule(
        now.plus(hours_to_seconds(repair_h).max(1)),
        SimEvent::NodeRepaired(id),
    );
}

fn repair_node(
    fired: Res<fired::NodeRepaired>,
    plan: Res<FleetPlan>,
    mut agenda: ResMut<Agenda>,
    mut nodes: ResMut<Nodes>,
    mut meter: ResMut<Meter>,
    mut counters: ResMut<FleetCounters>,
    mut contracts: ResMut<Contracts>,
) {
    let id = fired.node;
    let now = agenda.now();
    if id.0 as usize >= nodes.len() {
        return;
    }
    let node = *nodes.get(id);
    // Only a node that is down has anything to repair.
    let NodeState::Down { contract, .. } = node.state else {
        return;
    };
    let sku = &plan.skus[node.sku as usize];
    let before = node.state.category();
    meter.add(Rate::ItKw, sku.idle_kw);
    // A contract waiting for the node gets it back, even at end of life: the node then retires
    // when the contract ends.
    let after = if let Some(c) = contract {
        contracts.node_availability(
            c,
            now,
            (sku.gpus_per_node, sku.max_kw, sku.tokens_per_gpu_hour),
            true,
            &mut meter,
        );
        NodeState::Busy(c)
    } else if node.retiring {
        agenda.schedule(now, SimEvent::NodeRetired(id));
        NodeState::Retiring
    } else if wants_spare(&plan, &counters, nodes.pool(), node.sku) {
        nodes.return_to_pool(id, true);
        NodeState::Spare
    } else {
        nodes.return_to_pool(id, false);
        agenda.schedule(now, SimEvent::RetryWaiting);
        NodeState::Idle
    };
    nodes.set_state(id, after);
    counters.transition(&mut meter, node.sku, sku, Some(before), after.category());
    if after != NodeState::Retiring {
        schedule_failure(&plan, node.sku, id, now, &mut agenda, nodes.stream_mut(id));
    }
}
