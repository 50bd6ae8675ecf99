//! Expansion policies: rules judged at the start of every month on the months closed before it,
//! which order tranches, start, defer or cancel hall phases, retire tranches or change the
//! list-price ratio while a replication runs.
//!
//! The plan holds a slot for every firing a rule may have: a tranche of the fleet plan, or a hall
//! phase, not scheduled. A firing at the start of month `m` schedules the slot's delivery (or
//! phase readiness) `lead` months later on the agenda, exactly as a planned tranche ordered in
//! month `m` is scheduled, so the fleet delivers it, finance books and finances it, and
//! reliability draws its failures from the node streams of its tranche index, through the same
//! code as a planned purchase. Firings in month 0 are decided when the replication is built
//! ([`PolicyRun::decide`] on an empty history) and enter the plans directly. No decision draws a
//! random number, so every exogenous stream is the same with and without policies.

use bevy_ecs::prelude::*;

use super::messages::{MonthRecorded, PhaseStarted, PriceRatioSet};
use crate::engine::{Agenda, Clock, Engine, EventKind, SimEvent, Step};
use crate::results::{Decision, MonthRow};

/// A trigger with its names resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum TriggerSpec {
    /// Utilization (sold / available) above the level in each of the last `n` months.
    UtilizationAbove(f64, u32),
    /// Utilization below the level in each of the last `n` months.
    UtilizationBelow(f64, u32),
    /// Rejected plus waiting requests above the level in each of the last `n` months.
    BacklogAbove(f64, u32),
    /// From this month on (none: the anchor never signs within the horizon).
    FromMonth(Option<u32>),
    /// Market price of the SKU (index) above `ratio` x all-in cost in each of the last `n` months.
    PriceAboveCost(u16, f64, u32),
    /// Market price below `ratio` x all-in cost in each of the last `n` months.
    PriceBelowCost(u16, f64, u32),
    /// Every trigger holds.
    AllOf(Vec<TriggerSpec>),
    /// Some trigger holds.
    AnyOf(Vec<TriggerSpec>),
}

/// An action with its slots resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum ActionSpec {
    /// Order the next free tranche slot: tranche indices `first..first + slots`.
    Order {
        /// Index of the first slot in the fleet plan's tranches.
        first: u16,
        /// Slot names, one per firing.
        names: Vec<String>,
        /// GPUs.
        gpus: u64,
        /// Capex of one firing, USD.
        capex_usd: f64,
        /// Months from order to delivery.
        lead: u32,
        /// Months from delivery to retirement.
        retire_after: Option<u32>,
    },
    /// Start the next free phase slot: phase indices `first..first + slots`.
    Phase {
        /// Index of the first slot in the fleet plan's phases.
        first: u16,
        /// Slot names, one per firing.
        names: Vec<String>,
        /// Capex of one firing, USD.
        capex_usd: f64,
        /// Months from the start of construction to readiness.
        lead: u32,
    },
    /// Retire a tranche (index into the fleet plan's tranches).
    Retire {
        /// The tranche.
        tranche: u16,
        /// Its name.
        name: String,
        /// Its GPUs.
        gpus: u64,
    },
    /// Move a hall phase not yet started later (index into the fleet plan's phases).
    Defer {
        /// The phase.
        phase: u16,
        /// Its name.
        name: String,
        /// Months to move it by.
        months: u32,
    },
    /// Cancel a hall phase not yet started.
    Cancel {
        /// The phase.
        phase: u16,
        /// Its name.
        name: String,
        /// Cancellation cost, USD (an operating expense of the firing month).
        cost_usd: f64,
    },
    /// Set the list price to this ratio of the market price for new contracts.
    PriceRatio(f64),
}

/// When a hall phase draws its first construction instalment and when it is ready.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhaseTiming {
    /// Month of the first construction draw (the ready month when built without draws before it).
    pub start: i64,
    /// Ready month (possibly past the horizon).
    pub ready: i64,
    /// Construction cost, USD.
    pub capex_usd: f64,
}

/// One rule of one replication.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleSpec {
    /// Name.
    pub name: String,
    /// Trigger.
    pub trigger: TriggerSpec,
    /// Action.
    pub action: ActionSpec,
    /// Most firings.
    pub max_firings: u32,
    /// Fewest months between firings.
    pub min_gap_months: u32,
    /// Capex budget of the rule, USD.
    pub capex_budget_usd: Option<f64>,
    /// Lowest DSCR of the last 12 months that lets the rule fire.
    pub min_dscr: Option<f64>,
}

/// The policies of one replication and what they need to know of the plan.
#[derive(Resource, Clone, Debug, Default)]
pub struct PolicyModel {
    /// Rules, in scenario order (the order they are judged each month).
    pub rules: Vec<RuleSpec>,
    /// Market price per SKU and month, USD per GPU-hour.
    pub market: Vec<Vec<f64>>,
    /// Months in the horizon.
    pub horizon: u32,
    /// Delivery month of every tranche of the fleet plan (policy slots: once ordered).
    pub delivered: Vec<Option<u32>>,
    /// Planned retirement month of every tranche.
    pub retires: Vec<Option<u32>>,
    /// Timing of every hall phase of the fleet plan (policy slots not started: far past any
    /// horizon).
    pub phases: Vec<PhaseTiming>,
}

/// What a month showed the policies.
#[derive(Clone, Copy, Debug)]
struct Observed {
    utilization: f64,
    backlog: f64,
    cost_usd_per_gpu_hour: f64,
    dscr: f64,
}

impl Observed {
    fn of(row: &MonthRow) -> Observed {
        Observed {
            // No GPU available (none yet, or every one down): triggers read 0 % utilization.
            utilization: if row.utilization_available_frac.is_finite() {
                row.utilization_available_frac
            } else {
                0.0
            },
            backlog: row.requests_rejected + row.requests_waiting,
            cost_usd_per_gpu_hour: if row.sold_gpu_hours > 0.0 {
                (row.opex_usd + row.depreciation_usd + row.interest_usd) / row.sold_gpu_hours
            } else {
                f64::INFINITY
            },
            dscr: row.dscr,
        }
    }
}

/// The running state of the policies: the months seen, the firings so far.
#[derive(Resource, Clone, Debug, Default)]
pub struct PolicyRun {
    seen: Vec<Observed>,
    fired: Vec<u32>,
    last: Vec<Option<u32>>,
    spent_usd: Vec<f64>,
    retired: Vec<bool>,
    phases: Vec<PhaseTiming>,
    cancelled: Vec<bool>,
    /// Every firing, in order.
    pub decisions: Vec<Decision>,
}

/// A firing, to be put into effect.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Deliver tranche `tranche` in `month`, retire it in `retire` (if in the horizon).
    Deliver {
        /// Tranche index.
        tranche: u16,
        /// Delivery month (none: after the horizon).
        month: Option<u32>,
        /// Retirement month.
        retire: Option<u32>,
    },
    /// Phase `phase` is ready in `month`, its cost drawn as `draws`.
    Build {
        /// Phase index.
        phase: u16,
        /// Ready month (none: after the horizon).
        month: Option<u32>,
        /// Construction draws, `(month, usd)`.
        draws: Vec<(u32, f64)>,
    },
    /// Retire tranche `tranche` now.
    Retire(u16),
    /// Phase `phase`, not started, moves: ready in `month`, its cost drawn as `draws`.
    Defer {
        /// Phase index.
        phase: u16,
        /// Ready month (none: after the horizon).
        month: Option<u32>,
        /// Construction draws, `(month, usd)`.
        draws: Vec<(u32, f64)>,
    },
    /// Phase `phase` is cancelled: no draws, never ready; `cost_usd` is an expense of `month`.
    Cancel {
        /// Phase index.
        phase: u16,
        /// Month the cost is booked in.
        month: u32,
        /// Cancellation cost, USD.
        cost_usd: f64,
    },
    /// New contracts are priced at this ratio of the market price.
    PriceRatio(f64),
}

impl PolicyRun {
    /// The state before the first month.
    pub fn new(model: &PolicyModel) -> PolicyRun {
        let n = model.rules.len();
        PolicyRun {
            seen: Vec::new(),
            fired: vec![0; n],
            last: vec![None; n],
            spent_usd: vec![0.0; n],
            retired: vec![false; model.delivered.len()],
            phases: model.phases.clone(),
            cancelled: vec![false; model.phases.len()],
            decisions: Vec::new(),
        }
    }

    fn holds(&self, model: &PolicyModel, t: &TriggerSpec, m: u32) -> bool {
        let last_n = |n: u32, f: &dyn Fn(usize, &Observed) -> bool| {
            let n = n as usize;
            self.seen.len() >= n.max(1)
                && self.seen[self.seen.len() - n..]
                    .iter()
                    .enumerate()
                    .all(|(k, o)| f(self.seen.len() - n + k, o))
        };
        let price = |sku: u16, month: usize| {
            let path = &model.market[sku as usize];
            path.get(month.min(path.len().saturating_sub(1)))
                .copied()
                .unwrap_or(f64::NAN)
        };
        match t {
            TriggerSpec::UtilizationAbove(level, n) => last_n(*n, &|_, o| o.utilization > *level),
            TriggerSpec::UtilizationBelow(level, n) => last_n(*n, &|_, o| o.utilization < *level),
            TriggerSpec::BacklogAbove(level, n) => last_n(*n, &|_, o| o.backlog > *level),
            TriggerSpec::FromMonth(from) => from.is_some_and(|f| m >= f),
            TriggerSpec::PriceAboveCost(sku, ratio, n) => {
                last_n(*n, &|j, o| price(*sku, j) > ratio * o.cost_usd_per_gpu_hour)
            }
            TriggerSpec::PriceBelowCost(sku, ratio, n) => {
                last_n(*n, &|j, o| price(*sku, j) < ratio * o.cost_usd_per_gpu_hour)
            }
            TriggerSpec::AllOf(ts) => ts.iter().all(|t| self.holds(model, t, m)),
            TriggerSpec::AnyOf(ts) => ts.iter().any(|t| self.holds(model, t, m)),
        }
    }

    /// Whether the covenant lets a rule fire: no month of the last 12 with debt service has a
    /// DSCR below `min`.
    fn covenant_holds(&self, min: f64) -> bool {
        let from = self.seen.len().saturating_sub(12);
        self.seen[from..]
            .iter()
            .all(|o| o.dscr.is_nan() || o.dscr >= min)
    }

    /// Judge every rule at the start of month `m` (the months before it seen) and record the
    /// firings; returns what they put into effect.
    pub fn decide(&mut self, model: &PolicyModel, m: u32) -> Vec<Effect> {
        let mut effects = Vec::new();
        if m >= model.horizon {
            return effects;
        }
        let in_horizon = |x: u64| (x < model.horizon as u64).then_some(x as u32);
        for (i, rule) in model.rules.iter().enumerate() {
            if self.fired[i] >= rule.max_firings
                || self.last[i].is_some_and(|l| m - l < rule.min_gap_months)
                || !self.holds(model, &rule.trigger, m)
                || rule.min_dscr.is_some_and(|min| !self.covenant_holds(min))
            {
                continue;
            }
            let capex = match &rule.action {
                ActionSpec::Order { capex_usd, .. } | ActionSpec::Phase { capex_usd, .. } => {
                    *capex_usd
                }
                ActionSpec::Retire { .. }
                | ActionSpec::Defer { .. }
                | ActionSpec::Cancel { .. }
                | ActionSpec::PriceRatio(_) => 0.0,
            };
            if rule
                .capex_budget_usd
                .is_some_and(|b| self.spent_usd[i] + capex > b * (1.0 + 1e-12))
            {
                continue;
            }
            let k = self.fired[i] as usize;
            let (target, gpus, effective, effect) = match &rule.action {
                ActionSpec::Order {
                    first,
                    names,
                    gpus,
                    lead,
                    retire_after,
                    ..
                } => {
                    let tranche = first + k as u16;
                    let month = in_horizon(m as u64 + *lead as u64);
                    let retire = retire_after
                        .zip(month)
                        .and_then(|(a, d)| in_horizon(d as u64 + a as u64));
                    (
                        names[k].clone(),
                        *gpus as f64,
                        m + lead,
                        Effect::Deliver {
                            tranche,
                            month,
                            retire,
                        },
                    )
                }
                ActionSpec::Phase {
                    first,
                    names,
                    capex_usd,
                    lead,
                } => {
                    let phase = first + k as u16;
                    if self.cancelled[phase as usize] {
                        continue;
                    }
                    let ready = m + lead;
                    self.phases[phase as usize].start = m as i64;
                    self.phases[phase as usize].ready = ready as i64;
                    let months: Vec<u32> = if *lead == 0 {
                        vec![ready]
                    } else {
                        (m..ready).collect()
                    };
                    let per = capex_usd / months.len() as f64;
                    let draws = months
                        .into_iter()
                        .filter(|&x| x < model.horizon)
                        .map(|x| (x, per))
                        .collect();
                    (
                        names[k].clone(),
                        0.0,
                        ready,
                        Effect::Build {
                            phase,
                            month: in_horizon(ready as u64),
                            draws,
                        },
                    )
                }
                ActionSpec::Defer {
                    phase,
                    name,
                    months,
                } => {
                    let i = *phase as usize;
                    let t = self.phases[i];
                    if self.cancelled[i] || t.start <= m as i64 || t.ready >= NOT_SCHEDULED {
                        continue;
                    }
                    let start = t.start + *months as i64;
                    let ready = t.ready + *months as i64;
                    self.phases[i].start = start;
                    self.phases[i].ready = ready;
                    (
                        name.clone(),
                        0.0,
                        ready.min(u32::MAX as i64) as u32,
                        Effect::Defer {
                            phase: *phase,
                            month: in_horizon(ready as u64),
                            draws: draws(start, ready, t.capex_usd, model.horizon),
                        },
                    )
                }
                ActionSpec::Cancel {
                    phase,
                    name,
                    cost_usd,
                } => {
                    let i = *phase as usize;
                    if self.cancelled[i] || self.phases[i].start <= m as i64 {
                        continue;
                    }
                    self.cancelled[i] = true;
                    (
                        name.clone(),
                        0.0,
                        m,
                        Effect::Cancel {
                            phase: *phase,
                            month: m,
                            cost_usd: *cost_usd,
                        },
                    )
                }
                ActionSpec::PriceRatio(r) => {
                    ("list_price".to_string(), 0.0, m, Effect::PriceRatio(*r))
                }
                ActionSpec::Retire {
                    tranche,
                    name,
                    gpus,
                } => {
                    let t = *tranche as usize;
                    let delivered = model.delivered[t].is_some_and(|d| d < m);
                    let gone = self.retired[t] || model.retires[t].is_some_and(|r| r <= m);
                    if !delivered || gone {
                        continue;
                    }
                    self.retired[t] = true;
                    (name.clone(), *gpus as f64, m, Effect::Retire(*tranche))
                }
            };
            self.fired[i] += 1;
            self.last[i] = Some(m);
            self.spent_usd[i] += capex;
            self.decisions.push(Decision {
                month: m,
                rule: rule.name.clone(),
                action: match rule.action {
                    ActionSpec::Order { .. } => "order_tranche",
                    ActionSpec::Phase { .. } => "start_phase",
                    ActionSpec::Retire { .. } => "retire_tranche",
                    ActionSpec::Defer { .. } => "defer_phase",
                    ActionSpec::Cancel { .. } => "cancel_phase",
                    ActionSpec::PriceRatio(_) => "set_price_ratio",
                }
                .to_string(),
                target,
                gpus,
                capex_usd: capex,
                effective_month: effective,
            });
            effects.push(effect);
        }
        effects
    }

    /// Note a delivery month decided for a tranche slot (a retirement rule may then retire it).
    pub fn note_delivery(model: &mut PolicyModel, effects: &[Effect]) {
        for e in effects {
            if let Effect::Deliver {
                tranche,
                month,
                retire,
            } = e
            {
                model.delivered[*tranche as usize] = *month;
                model.retires[*tranche as usize] = *retire;
            }
        }
    }
}

/// A ready month at or past this is a phase slot no policy has started.
pub const NOT_SCHEDULED: i64 = 1_000_000;

/// Equal construction draws from `start` to the month before `ready` (all in `ready` when it is
/// `start`), those in the horizon, as the plan times a site phase's draws.
fn draws(start: i64, ready: i64, capex_usd: f64, horizon: u32) -> Vec<(u32, f64)> {
    let months: Vec<i64> = if ready <= start {
        vec![ready]
    } else {
        (start..ready).collect()
    };
    let per = capex_usd / months.len() as f64;
    months
        .into_iter()
        .filter(|&x| (0..horizon as i64).contains(&x))
        .map(|x| (x as u32, per))
        .collect()
}

/// Add the policies' resources and their month-end system; `run` holds the firings of month 0,
/// already in the plans.
pub fn install(engine: &mut Engine, model: PolicyModel, run: PolicyRun) {
    super::messages::register(&mut engine.world);
    engine.world.insert_resource(model);
    engine.world.insert_resource(run);
    engine
        .schedule_mut(EventKind::MonthEnd)
        .add_systems(decide_month.in_set(Step::Policy));
}

/// At month end: see the month just closed, judge the rules for the next month and schedule
/// what they decided.
fn decide_month(
    clock: Res<Clock>,
    mut recorded: MessageReader<MonthRecorded>,
    mut model: ResMut<PolicyModel>,
    mut run: ResMut<PolicyRun>,
    mut agenda: ResMut<Agenda>,
    mut started: MessageWriter<PhaseStarted>,
    mut priced: MessageWriter<PriceRatioSet>,
) {
    for row in recorded.read() {
        run.seen.push(Observed::of(&row.0));
    }
    let m = clock.month + 1;
    let effects = run.decide(&model, m);
    PolicyRun::note_delivery(&mut model, &effects);
    let calendar = &clock.calendar;
    for e in effects {
        match e {
            Effect::Deliver {
                tranche,
                month,
                retire,
            } => {
                // Retirement first, as the fleet schedules planned tranches.
                if let (Some(_), Some(r)) = (month, retire) {
                    agenda.schedule(calendar.month_start(r), SimEvent::TrancheRetired(tranche));
                }
                if let Some(d) = month {
                    agenda.schedule(calendar.month_start(d), SimEvent::TrancheDelivered(tranche));
                }
            }
            Effect::Build {
                phase,
                month,
                draws,
            }
            | Effect::Defer {
                phase,
                month,
                draws,
            } => {
                if let Some(r) = month {
                    agenda.schedule(calendar.month_start(r), SimEvent::PhaseReady(phase));
                }
                started.write(PhaseStarted {
                    phase,
                    draws,
                    ready: month,
                    expense: None,
                });
            }
            Effect::Cancel {
                phase,
                month,
                cost_usd,
            } => {
                started.write(PhaseStarted {
                    phase,
                    draws: Vec::new(),
                    ready: None,
                    expense: Some((month, cost_usd)),
                });
            }
            Effect::PriceRatio(r) => {
                priced.write(PriceRatioSet(r));
            }
            Effect::Retire(tranche) => {
                let now = agenda.now();
                agenda.schedule(now, SimEvent::TrancheRetired(tranche));
            }
        }
    }
}
