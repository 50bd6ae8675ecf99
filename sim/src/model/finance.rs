//! The monthly ledger: revenue, operating costs, capex, depreciation, debt, taxes and cash.
//!
//! Conventions (all per calendar month, closed at month end):
//! * Capex is booked in the month it is paid: GPU servers and network on delivery, a hall phase
//!   in equal draws over its construction months (or in its ready month). Assets depreciate
//!   straight line from the month they join the register: servers and network from their
//!   delivery, also while they wait in inventory for a hall (owned and ageing, as their resale
//!   value by age is), a hall phase from its ready month (under construction it is carried at
//!   cost).
//! * The asset register holds what the project owns and uses: delivered servers and network
//!   until they are sold or retired, hall phases from their ready month, on-site energy assets
//!   until they are replaced (a replaced battery leaves the register and its remaining book value
//!   is written off as a loss on disposal). Maintenance and insurance are charged each month on
//!   the gross cost of the assets in the register, not on cumulative capex.
//! * Prepayments are deferred revenue: cash received before the service is a liability
//!   (`deferred_revenue_usd`) that the service recognised later as revenue runs down.
//! * Free cash flow (`fcf_usd`) is unlevered and pre-tax: EBITDA + prepayments received - revenue
//!   recognised from earlier prepayments - capex + resale proceeds. Project NPV, project IRR,
//!   payback and peak funding use it, so they are pre-tax too (taxes appear only in net income,
//!   equity cash flow, equity IRR and DSCR).
//! * Terminal value (counted in project NPV, project IRR and equity IRR, not in payback): the
//!   book value of the assets under `TerminalValue::BookValue` (nothing under `None`) minus the
//!   deferred revenue left at the horizon, the service customers paid for that the project still
//!   owes them.
//! * Debt: each loan draws its loan-to-cost share of the capex it funds in the month the capex
//!   is paid. `rate_frac` is a nominal annual rate compounded monthly (the usual bank quote):
//!   interest accrues monthly on the opening balance at `rate_frac / 12`. Counting months from
//!   the first draw, payments 1 to G (the grace months) are interest only, payments G + 1 to T
//!   (the tenor) repay principal (annuity: level payments `P r / (1 - (1 + r)^-(T - G))`;
//!   linear: `P / (T - G)` principal each month; bullet: everything in month T), so the balance
//!   reaches zero exactly T months after the first draw.
//! * DSCR = CFADS / debt service with CFADS = EBITDA - tax. The monthly value is in the rows;
//!   the KPIs take it over the repayment period only (months with scheduled principal): the
//!   lowest monthly value and the lowest yearly value ([`dscr_by_year`]).
//! * Taxes are on each tax year's whole taxable income (EBIT - interest; 12-month years counted
//!   from the scenario start), charged as the year goes: each month charges `rate x` the year's
//!   taxable income so far, less earlier years' losses used, less the tax the year has charged
//!   already, so a loss month gives back tax charged earlier in the year and a year with a
//!   taxable loss pays no tax in total. Losses of earlier years offset at most
//!   `carryforward_cap_frac` of the year's taxable income (1.0: no cap; 0.8: the US rule); a
//!   year's loss joins them at its end where losses carry forward.
//! * Cash identity, every month: change in cash = FCF + debt drawn - debt service - taxes paid.
//!   Equity cash flow is the same quantity (negative: equity put in; positive: distributions).
//! * Every ledger line of a closed month must be a finite number (except the lines that are NaN
//!   where they do not exist: DSCR without debt service, water under a fixed PUE, a ratio over a
//!   quantity that is zero that month); the first one
//!   that is not is recorded and the replication fails naming it and its month, so no KPI is
//!   ever computed from a NaN.

use bevy_ecs::message::MessageCursor;
use bevy_ecs::prelude::*;

pub use super::messages::AssetClass;
use super::messages::{
    BatteryReplaced, CapexBooked, DemandMonthClosed, EnergySettled, FleetMonthClosed, GpuState,
    HallPhaseReady, MonthRecorded, NodeDisposed, PhaseStarted,
};
use crate::engine::{Clock, Engine, EventKind, Meter, Rate, Step};
use crate::metrics;
use crate::results::{FinanceMonth, Kpis, MonthRow};
use crate::scenario::{Amortization, TerminalValue};

/// Operating cost inputs of one replication (sampled).
#[derive(Clone, Debug, Default)]
pub struct OpexModel {
    /// USD per MW of ready IT capacity per year.
    pub staff_usd_per_mw_year: f64,
    /// USD per 1,000 installed GPUs per year.
    pub staff_usd_per_1000_gpus_year: f64,
    /// Fraction per year of the gross cost of the assets in service.
    pub maintenance_frac_of_capex_per_year: f64,
    /// Fraction per year of the gross cost of the assets in service.
    pub insurance_frac_of_capex_per_year: f64,
    /// USD per installed GPU per month.
    pub software_usd_per_gpu_month: f64,
    /// USD per installed GPU per month.
    pub network_transit_usd_per_gpu_month: f64,
    /// Fraction of revenue.
    pub sga_frac_of_revenue: f64,
    /// Colocation rent, USD per kW of ready IT capacity per month.
    pub rent_usd_per_kw_month: f64,
}

/// Which capex a loan funds.
#[derive(Clone, Debug, PartialEq)]
pub enum FundedCapex {
    /// Every capex item.
    All,
    /// Hall construction.
    Facility,
    /// GPU servers and network of these tranches.
    Tranches(Vec<u16>),
}

/// One loan's terms (sampled).
#[derive(Clone, Debug)]
pub struct LoanPlan {
    /// Name.
    pub name: String,
    /// Share of funded capex drawn.
    pub loan_to_cost_frac: f64,
    /// Monthly interest rate: the nominal annual rate divided by 12.
    pub rate_monthly: f64,
    /// Months from the first draw to maturity: the number of monthly payments.
    pub tenor_months: u32,
    /// Interest-only payments after the first draw, before principal is repaid.
    pub grace_months: u32,
    /// Repayment profile.
    pub amortization: Amortization,
    /// What it funds.
    pub funds: FundedCapex,
}

/// A hall phase's construction draws.
#[derive(Clone, Debug)]
pub struct PhaseDraws {
    /// Cash paid per month: `(month, usd)`.
    pub draws: Vec<(u32, f64)>,
    /// Total cost.
    pub cost: f64,
}

/// Finance inputs of one replication.
#[derive(Clone, Debug)]
pub struct FinanceModel {
    /// Annual discount rate.
    pub discount_rate_frac: f64,
    /// Depreciation lives in months per [`AssetClass`].
    pub life_months: [f64; 4],
    /// Operating costs.
    pub opex: OpexModel,
    /// Terminal value rule.
    pub terminal_value: TerminalValue,
    /// Tax rate.
    pub tax_rate_frac: f64,
    /// Losses carried forward.
    pub loss_carryforward: bool,
    /// Share of a month's taxable income that losses of earlier tax years may offset.
    pub carryforward_cap_frac: f64,
    /// Loans.
    pub loans: Vec<LoanPlan>,
    /// Construction draws per hall phase.
    pub phases: Vec<PhaseDraws>,
    /// One-off operating expenses `(month, usd)` (a hall phase's cancellation cost), counted in
    /// the month's opex.
    pub expenses: Vec<(u32, f64)>,
    /// Tokens are counted (the scenario's `pricing.tokens`): the month rows hold tokens served
    /// and the KPIs revenue and cost per million tokens.
    pub count_tokens: bool,
}

/// A capex item in the asset register: bought in `first_month`, `units` identical units (nodes of
/// a tranche, or one facility phase), some of which may have been sold or retired since.
#[derive(Clone, Debug)]
struct Asset {
    class: AssetClass,
    tranche: Option<u16>,
    /// A battery, retired from the register when it is replaced.
    battery: bool,
    cost: f64,
    units: u32,
    units_left: u32,
    first_month: u32,
    life_months: f64,
}

impl Asset {
    /// Cost of the units still held.
    fn cost_held(&self) -> f64 {
        self.cost * self.units_left as f64 / self.units as f64
    }

    /// Depreciation charged in month `m` on the units still held.
    fn depreciation(&self, m: u32) -> f64 {
        if m < self.first_month {
            return 0.0;
        }
        let cost = self.cost_held();
        let age = (m - self.first_month) as f64;
        let per_month = cost / self.life_months;
        let charged = (per_month * age).min(cost);
        (cost - charged).min(per_month)
    }

    /// Book value of `units` of the units still held at the start of month `m` (before the
    /// month's depreciation).
    fn book_value_at_start(&self, m: u32, units: u32) -> f64 {
        let per_unit = self.cost / self.units as f64;
        let months_charged = m.saturating_sub(self.first_month) as f64;
        per_unit * (1.0 - months_charged / self.life_months).max(0.0) * units as f64
    }

    /// Capital recovery charged in month `m` on the units still held: their cost times the
    /// annuity factor `i / (1 - (1 + i)^-n)` (the level payment that repays the cost with interest
    /// at the monthly rate `i` over the life of `n` months; `1 / n` at a zero rate), in each month
    /// of the asset's life.
    fn capital_recovery(&self, m: u32, i: f64) -> f64 {
        if m < self.first_month || (m - self.first_month) as f64 >= self.life_months {
            return 0.0;
        }
        let n = self.life_months;
        let factor = if i.abs() > 1e-12 {
            i / (1.0 - (1.0 + i).powf(-n))
        } else {
            1.0 / n
        };
        self.cost_held() * factor
    }

    /// Book value of the units still held at the end of month `m`.
    fn book_value(&self, m: u32) -> f64 {
        if m < self.first_month {
            return 0.0;
        }
        let cost = self.cost_held();
        let age = (m - self.first_month + 1) as f64;
        (cost - cost / self.life_months * age).max(0.0)
    }
}

#[derive(Clone, Debug)]
struct Loan {
    plan: LoanPlan,
    balance: f64,
    first_draw: Option<u32>,
}

/// One month of a loan.
#[derive(Clone, Copy, Debug, Default)]
struct LoanMonth {
    drawn: f64,
    interest: f64,
    principal: f64,
}

impl Loan {
    /// Close month `m` given the capex the loan funds this month.
    ///
    /// Payment `k` falls in month `first draw + k`: payments 1 to G are interest only, payments
    /// G + 1 to T repay principal, and payment T repays whatever is left.
    fn close(&mut self, m: u32, funded_capex: f64) -> LoanMonth {
        let p = &self.plan;
        let opening = self.balance;
        let mut out = LoanMonth::default();
        if opening > 0.0 {
            let first = self.first_draw.expect("a balance means a draw");
            out.interest = opening * p.rate_monthly;
            let k = m - first; // the payment number (the first draw opens no balance in its own month)
            if k >= p.tenor_months {
                out.principal = opening;
            } else if k > p.grace_months {
                // Payments left including this one.
                let remaining = (p.tenor_months - k + 1) as f64;
                out.principal = match p.amortization {
                    Amortization::Bullet => 0.0,
                    Amortization::Linear => opening / remaining,
                    Amortization::Annuity => {
                        let r = p.rate_monthly;
                        if r != 0.0 {
                            let payment = opening * r / (1.0 - (1.0 + r).powf(-remaining));
                            payment - out.interest
                        } else {
                            opening / remaining
                        }
                    }
                };
            }
        }
        // Draws: only before maturity.
        let open_for_draws = match self.first_draw {
            None => true,
            Some(first) => m - first < p.tenor_months,
        };
        if open_for_draws && funded_capex > 0.0 && p.loan_to_cost_frac > 0.0 {
            out.drawn = p.loan_to_cost_frac * funded_capex;
            self.first_draw.get_or_insert(m);
        }
        self.balance = (opening - out.principal + out.drawn).max(0.0);
        if self.balance < 1e-6 {
            self.balance = 0.0;
        }
        out
    }
}

/// The ledger of one replication.
#[derive(Resource, Clone, Debug)]
pub struct Ledger {
    model: FinanceModel,
    assets: Vec<Asset>,
    pending: Vec<Asset>,
    month_capex: [f64; 4],
    month_capex_by_tranche: Vec<f64>,
    month_resale: f64,
    month_gain_on_sale: f64,
    current_month: u32,
    cumulative_cash: f64,
    cash: f64,
    deferred_revenue: f64,
    /// Tax losses of earlier tax years not used yet, as at the start of the current tax year.
    loss_pool: f64,
    /// Taxable income (EBIT less interest) of the current tax year so far.
    taxable_ytd: f64,
    /// Tax charged in the current tax year so far.
    tax_ytd: f64,
    /// The first month with ledger lines that were not finite numbers, and those lines.
    non_finite: Option<(u32, Vec<(&'static str, f64)>)>,
    phase_in_service: Vec<bool>,
    phase_drawn: Vec<f64>,
    loans: Vec<Loan>,
    /// Debt balance per loan at each month end (for tests and reports).
    pub loan_balances: Vec<Vec<f64>>,
    /// One row per closed month.
    pub rows: Vec<MonthRow>,
    /// Price-proportional cash flow per month (revenue net of credits and SG&A, with prepayment
    /// timing), used for the break-even price.
    pub price_linked_usd: Vec<f64>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new(model: FinanceModel, horizon_months: u32, n_tranches: usize) -> Ledger {
        let n_phases = model.phases.len();
        let loans = model
            .loans
            .iter()
            .map(|p| Loan {
                plan: p.clone(),
                balance: 0.0,
                first_draw: None,
            })
            .collect();
        Ledger {
            loan_balances: vec![Vec::with_capacity(horizon_months as usize); model.loans.len()],
            model,
            assets: Vec::new(),
            pending: Vec::new(),
            month_capex: [0.0; 4],
            month_capex_by_tranche: vec![0.0; n_tranches],
            month_resale: 0.0,
            month_gain_on_sale: 0.0,
            current_month: 0,
            cumulative_cash: 0.0,
            cash: 0.0,
            deferred_revenue: 0.0,
            loss_pool: 0.0,
            taxable_ytd: 0.0,
            tax_ytd: 0.0,
            non_finite: None,
            phase_in_service: vec![false; n_phases],
            phase_drawn: vec![0.0; n_phases],
            loans,
            rows: Vec::with_capacity(horizon_months as usize),
            price_linked_usd: Vec::with_capacity(horizon_months as usize),
        }
    }

    /// Book capex paid in the current month for `units` units of tranche `tranche`.
    pub fn book_capex(&mut self, class: AssetClass, usd: f64, units: u32, tranche: u16) {
        if usd != 0.0 && units > 0 {
            self.month_capex[class.index()] += usd;
            self.month_capex_by_tranche[tranche as usize] += usd;
            self.push_pending(class, Some(tranche), false, usd, units);
        }
    }

    /// An asset bought this month: it enters the register at the month's close.
    fn push_pending(
        &mut self,
        class: AssetClass,
        tranche: Option<u16>,
        battery: bool,
        cost: f64,
        units: u32,
    ) {
        let life_months = self.model.life_months[class.index()];
        let first_month = self.current_month;
        self.pending.push(Asset {
            class,
            tranche,
            battery,
            cost,
            units,
            units_left: units,
            first_month,
            life_months,
        });
    }

    /// Book capex for on-site energy assets other than a battery (solar, wind, gas) paid this month.
    fn book_energy_capex(&mut self, usd: f64) {
        if usd > 0.0 {
            self.month_capex[AssetClass::Energy.index()] += usd;
            self.push_pending(AssetClass::Energy, None, false, usd, 1);
        }
    }

    /// Book the capex of a battery bought this month.
    fn book_battery_capex(&mut self, usd: f64) {
        if usd > 0.0 {
            self.month_capex[AssetClass::Energy.index()] += usd;
            self.push_pending(AssetClass::Energy, None, true, usd, 1);
        }
    }

    /// Replace the battery this month for `usd`: the worn-out battery leaves the register (its
    /// remaining book value is written off as a loss on disposal, with no proceeds) and the new
    /// one enters it.
    fn replace_battery(&mut self, usd: f64) {
        if usd <= 0.0 {
            return;
        }
        let m = self.current_month;
        let mut written_off = 0.0;
        for a in self
            .assets
            .iter_mut()
            .chain(self.pending.iter_mut())
            .filter(|a| a.battery && a.units_left > 0)
        {
            written_off += a.book_value_at_start(m, a.units_left);
            a.units_left = 0;
        }
        self.month_gain_on_sale -= written_off;
        self.book_battery_capex(usd);
    }

    /// A hall phase enters service: its cost becomes a depreciating asset (the cash went out as
    /// construction draws).
    fn place_phase_in_service(&mut self, phase: usize) {
        self.phase_in_service[phase] = true;
        let cost = self.model.phases[phase].cost;
        if cost > 0.0 {
            self.push_pending(AssetClass::Facility, None, false, cost, 1);
        }
    }

    /// Sell `units` nodes of a tranche for `proceeds`: their servers and network leave the books;
    /// the difference between proceeds and their book value is a gain (or loss) on sale.
    fn dispose(&mut self, tranche: u16, units: u32, proceeds: f64) {
        self.month_resale += proceeds;
        let m = self.current_month;
        let mut written_off = 0.0;
        for a in self.assets.iter_mut().chain(self.pending.iter_mut()) {
            if a.tranche == Some(tranche)
                && a.class != AssetClass::Facility
                && a.units_left >= units
            {
                // Book value at the start of this month: this month's depreciation is charged at
                // close on the units still held, so sold units carry none for the month.
                written_off += a.book_value_at_start(m, units);
                a.units_left -= units;
            }
        }
        self.month_gain_on_sale += proceeds - written_off;
    }

    /// Book value at the end of month `m`: assets in service plus halls under construction at cost.
    fn book_value(&self, m: u32) -> f64 {
        let assets: f64 = self.assets.iter().map(|a| a.book_value(m)).sum();
        let construction: f64 = self
            .phase_drawn
            .iter()
            .zip(&self.phase_in_service)
            .filter(|(_, s)| !**s)
            .map(|(d, _)| d)
            .sum();
        assets + construction
    }

    /// Book value at the end of month `m` by class: GPU servers, network, hall phases in
    /// service, halls under construction (at cost), on-site energy assets. They add up to
    /// [`Self::book_value`] (summed in another order, so to rounding).
    fn book_value_by_class(&self, m: u32) -> [f64; 5] {
        let mut out = [0.0; 5];
        for a in &self.assets {
            let slot = match a.class {
                AssetClass::GpuServers => 0,
                AssetClass::Network => 1,
                AssetClass::Facility => 2,
                AssetClass::Energy => 4,
            };
            out[slot] += a.book_value(m);
        }
        out[3] = self
            .phase_drawn
            .iter()
            .zip(&self.phase_in_service)
            .filter(|(_, s)| !**s)
            .map(|(d, _)| d)
            .sum();
        out
    }

    /// Capital recovery of the on-site energy assets in month `m` at the annual discount rate
    /// (see [`MonthRow::energy_capex_annuity_usd`]).
    fn energy_capex_annuity(&self, m: u32) -> f64 {
        let i = (1.0 + self.model.discount_rate_frac).powf(1.0 / 12.0) - 1.0;
        self.assets
            .iter()
            .filter(|a| a.class == AssetClass::Energy)
            .map(|a| a.capital_recovery(m, i))
            .sum()
    }

    /// Gross cost of the assets in service: every asset in the register (units sold, retired or
    /// replaced have left it; halls under construction are not in it yet).
    pub fn cost_in_service(&self) -> f64 {
        self.assets.iter().map(Asset::cost_held).sum()
    }

    /// Debt outstanding now.
    pub fn debt_outstanding(&self) -> f64 {
        self.loans.iter().map(|l| l.balance).sum()
    }

    /// Deferred revenue now: prepayments received for service not delivered yet.
    pub fn deferred_revenue(&self) -> f64 {
        self.deferred_revenue
    }

    /// Why the ledger cannot give KPIs: the ledger lines of the first closed month that were not
    /// finite numbers, as `"month M: ledger line LINE is VALUE, ledger line ..."` (in row order,
    /// so lines computed from the bad one, such as totals, come with it).
    pub fn non_finite(&self) -> Option<String> {
        self.non_finite.as_ref().map(|(m, lines)| {
            let lines: Vec<String> = lines
                .iter()
                .map(|(line, v)| format!("ledger line {line} is {v}"))
                .collect();
            format!("month {m}: {}", lines.join(", "))
        })
    }
}

/// Add the ledger, the system that books what the other models report, and the month-end close.
pub fn install(engine: &mut Engine, model: FinanceModel, n_tranches: usize) {
    super::messages::register(&mut engine.world);
    let horizon = engine.world.resource::<Clock>().calendar.horizon_months();
    engine
        .world
        .insert_resource(Ledger::new(model, horizon, n_tranches));
    engine.world.insert_resource(AssetCursors::default());
    // The events whose systems report capex, phases in service and disposals.
    for kind in [
        EventKind::PhaseReady,
        EventKind::TrancheDelivered,
        EventKind::TrancheRetired,
        EventKind::NodeRetired,
    ] {
        engine
            .schedule_mut(kind)
            .add_systems(book_assets.in_set(Step::Finance));
    }
    engine
        .schedule_mut(EventKind::MonthEnd)
        .add_systems((book_assets, close_month).chain().in_set(Step::Finance));
    engine
        .schedule_mut(EventKind::MonthEnd)
        .add_systems(start_phase_draws.in_set(Step::Orders));
}

/// A hall phase a policy started: its construction draws replace the empty ones it was planned with.
fn start_phase_draws(mut started: MessageReader<PhaseStarted>, mut ledger: ResMut<Ledger>) {
    for s in started.read() {
        ledger.model.phases[s.phase as usize].draws = s.draws.clone();
        ledger.model.expenses.extend(s.expense);
    }
}

/// How far finance has read each message it books. The booking system runs in several
/// schedules, and each schedule's copy of a system would keep its own reader; one shared cursor
/// per message type makes every message booked exactly once.
#[derive(Resource, Default)]
struct AssetCursors {
    capex: MessageCursor<CapexBooked>,
    phases: MessageCursor<HallPhaseReady>,
    disposed: MessageCursor<NodeDisposed>,
    battery: MessageCursor<BatteryReplaced>,
}

/// Book what the other models reported in this schedule run, in the order they reported it:
/// capex paid, hall phases in service, nodes disposed of, a battery replaced.
fn book_assets(
    capex: Res<Messages<CapexBooked>>,
    phases: Res<Messages<HallPhaseReady>>,
    disposed: Res<Messages<NodeDisposed>>,
    battery: Res<Messages<BatteryReplaced>>,
    mut cursors: ResMut<AssetCursors>,
    mut ledger: ResMut<Ledger>,
) {
    let c = &mut *cursors;
    debug_assert_eq!(
        c.capex.missed_messages(&capex)
            + c.phases.missed_messages(&phases)
            + c.disposed.missed_messages(&disposed)
            + c.battery.missed_messages(&battery),
        0,
        "messages were dropped before finance booked them"
    );
    for m in c.capex.read(&capex) {
        match m.tranche {
            Some(t) => ledger.book_capex(m.class, m.usd, m.units, t),
            None if m.battery => ledger.book_battery_capex(m.usd),
            None => ledger.book_energy_capex(m.usd),
        }
    }
    for p in c.phases.read(&phases) {
        ledger.place_phase_in_service(p.phase as usize);
    }
    for d in c.disposed.read(&disposed) {
        ledger.dispose(d.tranche, 1, d.proceeds_usd);
    }
    for b in c.battery.read(&battery) {
        ledger.replace_battery(b.usd);
    }
}

fn close_month(
    clock: Res<Clock>,
    meter: Res<Meter>,
    mut energy: MessageReader<EnergySettled>,
    mut demand: MessageReader<DemandMonthClosed>,
    mut fleet: MessageReader<FleetMonthClosed>,
    mut ledger: ResMut<Ledger>,
    mut recorded: MessageWriter<MonthRecorded>,
) {
    let m = clock.month;
    let (Some(energy), Some(demand), Some(fleet)) = (
        energy.read().last(),
        demand.read().last(),
        fleet.read().last(),
    ) else {
        panic!("month {m} closed without the energy, demand and fleet summaries")
    };
    let closed_demand = demand;
    let demand = &demand.counters;
    let months_per_year = 12.0;
    let l = &mut *ledger;
    // Capex of the month becomes assets depreciated from this month on.
    for mut a in std::mem::take(&mut l.pending) {
        a.first_month = m;
        l.assets.push(a);
    }
    // Construction draws of the month.
    let mut facility_draws = 0.0;
    for (i, ph) in l.model.phases.iter().enumerate() {
        for (month, usd) in &ph.draws {
            if *month == m {
                facility_draws += usd;
                l.phase_drawn[i] += usd;
            }
        }
    }
    l.month_capex[AssetClass::Facility.index()] += facility_draws;
    let capex = l.month_capex;
    l.month_capex = [0.0; 4];
    let capex_total: f64 = capex.iter().sum();
    let n_tranches = l.month_capex_by_tranche.len();
    let by_tranche = std::mem::replace(&mut l.month_capex_by_tranche, vec![0.0; n_tranches]);
    let resale = std::mem::take(&mut l.month_resale);
    let gain_on_sale = std::mem::take(&mut l.month_gain_on_sale);
    l.current_month = m + 1;

    let revenue_reserved = meter.month_total(Rate::RevenueReservedUsdPerHour);
    let revenue_on_demand = meter.month_total(Rate::RevenueOnDemandUsdPerHour);
    let revenue_spot = meter.month_total(Rate::RevenueSpotUsdPerHour);
    let gross_revenue = revenue_reserved + revenue_on_demand + revenue_spot;
    let sla_credits = demand.sla_credits_usd;
    let revenue_lost_to_cap = energy.revenue_lost_usd;
    let revenue = gross_revenue - sla_credits - revenue_lost_to_cap;
    let prepaid_revenue = meter.month_total(Rate::PrepaidRevenueUsdPerHour);
    let installed = fleet.total(GpuState::Inventory)
        + fleet.total(GpuState::InService)
        + fleet.total(GpuState::Spare)
        + fleet.total(GpuState::Failed)
        + fleet.total(GpuState::InRepair);
    let installed = installed as f64;
    let o = &l.model.opex;
    let staff = fleet.ready_it_kw / 1000.0 * o.staff_usd_per_mw_year / months_per_year
        + installed / 1000.0 * o.staff_usd_per_1000_gpus_year / months_per_year;
    let cost_in_service = l.cost_in_service();
    let maintenance = cost_in_service * o.maintenance_frac_of_capex_per_year / months_per_year;
    let insurance = cost_in_service * o.insurance_frac_of_capex_per_year / months_per_year;
    let software = installed * o.software_usd_per_gpu_month;
    let transit = installed * o.network_transit_usd_per_gpu_month;
    let sga = revenue * o.sga_frac_of_revenue;
    let rent = fleet.ready_it_kw * o.rent_usd_per_kw_month;
    let opex = energy.cost_usd + staff + maintenance + insurance + software + transit + sga + rent;
    // One-off expenses of the month (only a policy's cancellation books one).
    let opex = l
        .model
        .expenses
        .iter()
        .filter(|(month, _)| *month == m)
        .fold(opex, |acc, (_, usd)| acc + usd);
    let cancellation: f64 = l
        .model
        .expenses
        .iter()
        .filter(|(month, _)| *month == m)
        // A fold from +0.0: the sum of nothing is -0.0.
        .fold(0.0, |acc, (_, usd)| acc + usd);
    let ebitda = revenue - opex;
    let depreciation: f64 = l.assets.iter().map(|a| a.depreciation(m)).sum();
    let ebit = ebitda - depreciation + gain_on_sale;
    let working_capital = demand.prepayments_usd - prepaid_revenue;
    l.deferred_revenue += working_capital;
    let fcf = ebitda + working_capital - capex_total + resale;
    l.cumulative_cash += fcf;
    l.price_linked_usd
        .push(revenue * (1.0 - o.sga_frac_of_revenue) + working_capital);

    // Debt.
    let mut drawn = 0.0;
    let mut interest = 0.0;
    let mut principal = 0.0;
    for (i, loan) in l.loans.iter_mut().enumerate() {
        let funded = match &loan.plan.funds {
            FundedCapex::All => capex_total,
            FundedCapex::Facility => facility_draws,
            FundedCapex::Tranches(ts) => ts.iter().map(|t| by_tranche[*t as usize]).sum(),
        };
        let lm = loan.close(m, funded);
        drawn += lm.drawn;
        interest += lm.interest;
        principal += lm.principal;
        l.loan_balances[i].push(loan.balance);
    }
    // Taxes: a tax year's tax is on its whole taxable income, so each month charges the tax due
    // on the year's income so far less what the year has charged already (a loss month gives
    // back tax charged earlier in the year). Earlier years' losses offset up to the cap's share of
    // the year's income; at the year's end, what they offset leaves the pool and the year's own
    // loss, if any, joins it.
    if m.is_multiple_of(12) && m > 0 {
        l.loss_pool +=
            year_end_pool_change(std::mem::take(&mut l.taxable_ytd), l.loss_pool, &l.model);
        l.tax_ytd = 0.0;
    }
    l.taxable_ytd += ebit - interest;
    let due_ytd = tax_due(l.taxable_ytd, l.loss_pool, &l.model);
    let tax = due_ytd - l.tax_ytd;
    l.tax_ytd = due_ytd;
    let net_income = ebit - interest - tax;
    let debt_service = interest + principal;
    let equity_cf = fcf + drawn - debt_service - tax;
    l.cash += equity_cf;
    let cfads = ebitda - tax;

    let lines = FinanceMonth {
        month: m as f64,
        revenue_reserved_usd: revenue_reserved,
        revenue_on_demand_usd: revenue_on_demand,
        revenue_spot_usd: revenue_spot,
        prepaid_revenue_usd: prepaid_revenue,
        deferred_revenue_usd: l.deferred_revenue,
        revenue_usd: revenue,
        staff_usd: staff,
        maintenance_usd: maintenance,
        insurance_usd: insurance,
        software_usd: software,
        network_transit_usd: transit,
        sga_usd: sga,
        rent_usd: rent,
        cancellation_usd: cancellation,
        opex_usd: opex,
        ebitda_usd: ebitda,
        depreciation_usd: depreciation,
        gain_on_sale_usd: gain_on_sale,
        ebit_usd: ebit,
        interest_usd: interest,
        tax_usd: tax,
        net_income_usd: net_income,
        capex_gpu_usd: capex[AssetClass::GpuServers.index()],
        capex_network_usd: capex[AssetClass::Network.index()],
        capex_facility_usd: capex[AssetClass::Facility.index()],
        capex_energy_usd: capex[AssetClass::Energy.index()],
        capex_usd: capex_total,
        resale_usd: resale,
        fcf_usd: fcf,
        cumulative_cash_usd: l.cumulative_cash,
        debt_drawn_usd: drawn,
        principal_usd: principal,
        debt_service_usd: debt_service,
        debt_outstanding_usd: l.loans.iter().map(|x| x.balance).sum(),
        dscr: if debt_service > 0.0 {
            cfads / debt_service
        } else {
            f64::NAN
        },
        equity_cash_flow_usd: equity_cf,
        cash_usd: l.cash,
        book_value_usd: l.book_value(m),
        energy_capex_annuity_usd: l.energy_capex_annuity(m),
        served_tokens: if l.model.count_tokens {
            meter.month_total(Rate::SoldTokensPerHour)
        } else {
            f64::NAN
        },
        book_value_by_class: l.book_value_by_class(m),
    };
    let row = MonthRow::assemble(&lines, fleet, closed_demand, energy, &meter);
    if l.non_finite.is_none() {
        let bad = non_finite_lines(&row);
        if !bad.is_empty() {
            l.non_finite = Some((m, bad));
        }
    }
    recorded.write(MonthRecorded(row.clone()));
    l.rows.push(row);
}

/// Month-row lines that are NaN where they do not exist: DSCR in a month without debt service,
/// water under a fixed PUE (no cooling model), marginal emissions without a marginal emission
/// series, tokens where the scenario counts none, and the ratios over a quantity that is zero
/// that month (PUE without IT load, utilization without GPUs, the realised price with nothing
/// sold, the carbon-free share without energy).
const NAN_WHEN_MISSING: &[&str] = &[
    "dscr",
    "water_m3",
    "marginal_tco2",
    "avoided_marginal_tco2",
    "served_tokens",
    "pue",
    "utilization_frac",
    "utilization_available_frac",
    "utilization_power_frac",
    "realized_price_usd_per_gpu_hour",
    "cfe_frac",
];

/// The lines of a month row that are not finite numbers (NaN allowed only in the lines of
/// [`NAN_WHEN_MISSING`]).
fn non_finite_lines(row: &MonthRow) -> Vec<(&'static str, f64)> {
    MonthRow::COLUMNS
        .iter()
        .zip(row.values())
        .filter_map(|(c, v)| {
            let v = v?;
            let allowed = v.is_finite() || (v.is_nan() && NAN_WHEN_MISSING.contains(&c.name));
            (!allowed).then_some((c.name, v))
        })
        .collect()
}

/// Debt service coverage per year of the horizon (12-month years from the scenario start; index
/// 0 is months 0-11), over the repayment period only: the year's CFADS (EBITDA - tax) over its
/// debt service, both summed over the year's months with scheduled principal. `None` for a year
/// without principal repayments (before the grace period ends, or after the debt is repaid).
pub fn dscr_by_year(rows: &[MonthRow]) -> Vec<Option<f64>> {
    rows.chunks(12)
        .map(|year| {
            let repaying = || {
                year.iter()
                    .filter(|r| r.principal_usd > 0.0 && r.debt_service_usd > 0.0)
            };
            let service: f64 = repaying().map(|r| r.debt_service_usd).sum();
            let cfads: f64 = repaying().map(|r| r.ebitda_usd - r.tax_usd).sum();
            (service > 0.0).then(|| cfads / service)
        })
        .collect()
}

/// KPIs of a finished replication, or why there are none: a ledger line that was not a finite
/// number (see [`Ledger::non_finite`]), or a KPI's cash flows that were not.
pub fn kpis(ledger: &Ledger) -> Result<Kpis, String> {
    if let Some(why) = ledger.non_finite() {
        return Err(why);
    }
    let rows = &ledger.rows;
    let sum = |f: fn(&MonthRow) -> f64| rows.iter().map(f).sum::<f64>();
    let flows: Vec<f64> = rows.iter().map(|r| r.fcf_usd).collect();
    // The assets' value less the service customers prepaid that is still owed at the horizon.
    let deferred = rows.last().map_or(0.0, |r| r.deferred_revenue_usd);
    let assets = match ledger.model.terminal_value {
        TerminalValue::None => 0.0,
        TerminalValue::BookValue => rows.last().map(|r| r.book_value_usd).unwrap_or(0.0),
    };
    let terminal = assets - deferred;
    let mut npv_flows = flows.clone();
    if let Some(last) = npv_flows.last_mut() {
        *last += terminal;
    }
    // Equity: its cash flows plus what it owns at the end (assets less debt).
    let mut equity_flows: Vec<f64> = rows.iter().map(|r| r.equity_cash_flow_usd).collect();
    if let Some(last) = equity_flows.last_mut() {
        *last += terminal - ledger.debt_outstanding();
    }
    let r = ledger.model.discount_rate_frac;
    let revenue = sum(|r| r.revenue_usd);
    let gross = sum(|r| r.revenue_reserved_usd + r.revenue_on_demand_usd + r.revenue_spot_usd);
    let ebitda = sum(|r| r.ebitda_usd);
    let ebit = sum(|r| r.ebit_usd);
    let net = sum(|r| r.net_income_usd);
    let energy_cost = sum(|r| r.energy_cost_usd);
    let facility_mwh = sum(|r| r.facility_mwh);
    let it_mwh = sum(|r| r.it_mwh);
    let installed_h = sum(|r| r.installed_gpu_hours);
    let sold_h = sum(|r| r.sold_gpu_hours);
    let arrived = sum(|r| r.requests_arrived);
    let ratio = |a: f64, b: f64| if b > 0.0 { Some(a / b) } else { None };
    // Revenue is billings less SLA credits, summed over months in a different order from the
    // credits: where credits take back every dollar billed, what is left is rounding residue of
    // the order of 1e-16 of the billings, not revenue, and a margin over it would be a number
    // of 1e16 %. Anything within a billionth of the billings counts as none.
    let negligible = 1e-9 * gross.abs();
    let margin = |a: f64| {
        if revenue > negligible {
            Some(a / revenue)
        } else {
            None
        }
    };
    let refuse = |what: &str, e: metrics::NonFinite| format!("{what}: {e}");
    let npv = metrics::npv(r, &npv_flows).map_err(|e| refuse("project NPV", e))?;
    // Break-even price: every price-proportional cash flow scales with the price level k, the
    // rest does not, so NPV(k) = k NPV(price-linked) - NPV(the rest) and NPV(k*) = 0 at
    // k* = 1 - NPV / NPV(price-linked). The break-even price is the realised price times k*.
    // The deferred revenue netted out of the terminal value is price-linked too.
    let mut linked = ledger.price_linked_usd.clone();
    if let Some(last) = linked.last_mut() {
        *last -= deferred;
    }
    let npv_linked = metrics::npv(r, &linked).map_err(|e| refuse("price-linked NPV", e))?;
    let realized = ratio(gross, sold_h);
    let break_even = match (realized, npv_linked > negligible) {
        (Some(p), true) => Some(p * (1.0 - npv / npv_linked)),
        _ => None,
    };
    // DSCR over the repayment period only: months with scheduled principal.
    let lowest = |acc: Option<f64>, d: f64| Some(acc.map_or(d, |a: f64| a.min(d)));
    let min_dscr = rows
        .iter()
        .filter(|r| r.principal_usd > 0.0)
        .map(|r| r.dscr)
        .filter(|d| d.is_finite())
        .fold(None, lowest);
    let min_annual_dscr = dscr_by_year(rows)
        .into_iter()
        .flatten()
        .filter(|d| d.is_finite())
        .fold(None, lowest);
    let equity_cash: Vec<f64> = rows.iter().map(|r| r.equity_cash_flow_usd).collect();
    let all_in_cost = sum(|r| r.opex_usd + r.depreciation_usd + r.interest_usd);
    // Millions of tokens served, where the scenario counts tokens.
    let tokens_m = ledger
        .model
        .count_tokens
        .then(|| sum(|r| r.served_tokens) / 1e6);
    let kpis = Kpis {
        revenue_usd: revenue,
        ebitda_usd: ebitda,
        ebitda_margin_frac: margin(ebitda),
        ebit_usd: ebit,
        operating_margin_frac: margin(ebit),
        net_income_usd: net,
        net_margin_frac: margin(net),
        capex_usd: sum(|r| r.capex_usd),
        opex_usd: sum(|r| r.opex_usd),
        energy_cost_usd: energy_cost,
        energy_mwh: facility_mwh,
        energy_cost_usd_per_mwh: ratio(energy_cost, facility_mwh),
        lcoe_usd_per_mwh: ratio(
            energy_cost + sum(|r| r.energy_capex_annuity_usd),
            facility_mwh,
        ),
        pue: ratio(facility_mwh, it_mwh),
        water_m3: Some(sum(|r| r.water_m3)).filter(|w| w.is_finite()),
        wue_l_per_kwh: ratio(sum(|r| r.water_m3), it_mwh).filter(|w| w.is_finite()),
        tco2: sum(|r| r.tco2),
        market_tco2: sum(|r| r.market_tco2),
        embodied_tco2: sum(|r| r.embodied_tco2),
        cfe_frac: ratio(
            rows.iter()
                .filter(|r| r.facility_mwh > 0.0)
                .map(|r| r.cfe_frac * r.facility_mwh)
                .sum(),
            facility_mwh,
        ),
        capped_hours: sum(|r| r.capped_hours),
        revenue_lost_to_cap_usd: sum(|r| r.revenue_lost_to_cap_usd),
        fcf_usd: flows.iter().sum(),
        payback_months: metrics::payback_months(&flows)
            .map_err(|e| refuse("payback", e))?
            .map(|m| m as f64),
        first_profit_months: rows
            .iter()
            .position(|r| r.net_income_usd > 0.0)
            .map(|m| m as f64 + 1.0),
        peak_funding_usd: metrics::peak_funding(&flows).map_err(|e| refuse("peak funding", e))?,
        peak_equity_usd: metrics::peak_funding(&equity_cash)
            .map_err(|e| refuse("peak equity", e))?,
        npv_usd: npv,
        irr_frac: metrics::irr(&npv_flows).map_err(|e| refuse("project IRR", e))?,
        equity_irr_frac: metrics::irr(&equity_flows).map_err(|e| refuse("equity IRR", e))?,
        min_dscr,
        min_annual_dscr,
        interest_usd: sum(|r| r.interest_usd),
        tax_usd: sum(|r| r.tax_usd),
        all_in_cost_usd_per_gpu_hour: ratio(all_in_cost, sold_h),
        break_even_price_usd_per_gpu_hour: break_even,
        served_tokens: ledger.model.count_tokens.then(|| sum(|r| r.served_tokens)),
        revenue_usd_per_mtok: tokens_m.and_then(|t| ratio(revenue, t)),
        cost_usd_per_mtok: tokens_m.and_then(|t| ratio(all_in_cost, t)),
        utilization_frac: ratio(sold_h, installed_h),
        utilization_available_frac: ratio(sold_h, sum(|r| r.available_gpu_hours)),
        utilization_power_frac: {
            let num: f64 = rows
                .iter()
                .filter(|r| r.available_gpu_hours > 0.0)
                .map(|r| r.utilization_power_frac * r.available_gpu_hours)
                .sum();
            ratio(num, sum(|r| r.available_gpu_hours))
        },
        realized_price_usd_per_gpu_hour: realized,
        revenue_reserved_frac: ratio(sum(|r| r.revenue_reserved_usd), gross),
        unmet_revenue_usd: sum(|r| r.unmet_revenue_usd),
        availability_frac: ratio(
            sum(|r| r.available_gpu_hours),
            sum(|r| r.commissioned_gpu_hours),
        ),
        inventory_gpu_months: sum(|r| r.inventory_gpu_hours)
            / crate::scenario::DurationSpec::HOURS_PER_MONTH,
        failures: sum(|r| r.failures_transient + r.failures_permanent),
        sla_credits_usd: sum(|r| r.sla_credits_usd),
        downtime_unbilled_usd: sum(|r| r.downtime_unbilled_usd),
        resale_usd: sum(|r| r.resale_usd),
        rejected_frac: ratio(
            sum(|r| r.requests_rejected + r.requests_priced_out),
            arrived,
        ),
        unmet_gpu_hours: sum(|r| r.unmet_gpu_hours),
        terminal_value_usd: terminal,
    }
    .without_negative_zero();
    // Sums of finite lines are finite unless they overflow; a KPI is never reported as a number
    // it is not.
    match Kpis::COLUMNS
        .iter()
        .zip(kpis.values())
        .find_map(|(c, v)| v.filter(|v| !v.is_finite()).map(|v| (c.name, v)))
    {
        Some((name, v)) => Err(format!("KPI {name} is {v}")),
        None => Ok(kpis),
    }
}

/// Earlier years' losses a tax year's income `taxable` (so far) may use: up to the cap's share of
/// it, none without income.
fn loss_used(taxable: f64, pool: f64, model: &FinanceModel) -> f64 {
    if taxable > 0.0 {
        pool.min(taxable * model.carryforward_cap_frac)
    } else {
        0.0
    }
}

/// Tax due on a tax year's income `taxable` (so far), after earlier years' losses in `pool`.
fn tax_due(taxable: f64, pool: f64, model: &FinanceModel) -> f64 {
    if taxable > 0.0 {
        (taxable - loss_used(taxable, pool, model)) * model.tax_rate_frac
    } else {
        0.0
    }
}

/// How a closed tax year with income `taxable` changes the pool of losses carried forward: less
/// the losses it used, plus its own loss where losses carry forward.
fn year_end_pool_change(taxable: f64, pool: f64, model: &FinanceModel) -> f64 {
    let own_loss = if taxable < 0.0 && model.loss_carryforward {
        -taxable
    } else {
        0.0
    };
    own_loss - loss_used(taxable, pool, model)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The capital recovery of an energy asset is the level monthly payment whose present value
    /// at the discount rate over the asset's life is its cost, and nothing after its life.
    #[test]
    fn capital_recovery_repays_the_cost_at_the_discount_rate_over_the_life() {
        let asset = Asset {
            class: AssetClass::Energy,
            tranche: None,
            battery: false,
            cost: 12e6,
            units: 1,
            units_left: 1,
            first_month: 3,
            life_months: 240.0,
        };
        for annual in [0.0, 0.08, 0.12] {
            let i = (1.0f64 + annual).powf(1.0 / 12.0) - 1.0;
            let payments: Vec<f64> = (3..243).map(|m| asset.capital_recovery(m, i)).collect();
            let pv = metrics::npv(annual, &payments).expect("finite");
            assert!(
                (pv - 12e6).abs() < 1e-3,
                "rate {annual}: present value {pv}"
            );
            assert_eq!(asset.capital_recovery(2, i), 0.0, "before purchase");
            assert_eq!(asset.capital_recovery(243, i), 0.0, "after its life");
        }
        let sold = Asset {
            units_left: 0,
            ..asset
        };
        assert_eq!(sold.capital_recovery(10, 0.01), 0.0, "a replaced battery");
    }

    /// The schedule of a loan of `principal` drawn in month 5: `(interest, principal)` per month
    /// from the month after the draw, until the balance is zero (at most 200 months).
    fn schedule(
        amortization: Amortization,
        rate_annual: f64,
        tenor: u32,
        grace: u32,
        principal: f64,
    ) -> Vec<(f64, f64)> {
        let plan = LoanPlan {
            name: "l".into(),
            loan_to_cost_frac: 1.0,
            rate_monthly: rate_annual / 12.0,
            tenor_months: tenor,
            grace_months: grace,
            amortization,
            funds: FundedCapex::All,
        };
        let mut loan = Loan {
            plan,
            balance: 0.0,
            first_draw: None,
        };
        let draw = loan.close(5, principal);
        assert_eq!(
            (draw.drawn, draw.interest, draw.principal),
            (principal, 0.0, 0.0)
        );
        let mut out = Vec::new();
        for m in 6..206 {
            let lm = loan.close(m, 0.0);
            out.push((lm.interest, lm.principal));
            if loan.balance == 0.0 {
                break;
            }
        }
        out
    }

    const P: f64 = 1.0e6;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn an_annuity_makes_t_payments_the_first_g_interest_only() {
        // 48 payments at 12 % a year (1 % a month), 6 of them interest only: 42 level payments
        // P r / (1 - (1 + r)^-42).
        let r = 0.01;
        let s = schedule(Amortization::Annuity, 0.12, 48, 6, P);
        assert_eq!(s.len(), 48, "48 payments");
        let payment = P * r / (1.0 - (1.0 + r).powi(-42));
        let mut balance = P;
        for (k, (interest, principal)) in s.iter().enumerate() {
            let k = k + 1;
            assert!(
                close(*interest, balance * r),
                "payment {k}: interest {interest} on {balance}"
            );
            if k <= 6 {
                assert_eq!(*principal, 0.0, "payment {k} is interest only");
            } else {
                assert!(
                    close(interest + principal, payment),
                    "payment {k}: {} vs {payment}",
                    interest + principal
                );
            }
            balance -= principal;
        }
        assert!(balance.abs() < 1e-6);
        // Closed form of the balance after the 20th payment (14 level payments made).
        let after_20 = P * (1.0 + r).powi(14) - payment * ((1.0 + r).powi(14) - 1.0) / r;
        let paid_20: f64 = s[..20].iter().map(|x| x.1).sum();
        assert!(close(P - paid_20, after_20));
    }

    #[test]
    fn an_annuity_without_grace_or_interest_is_level_too() {
        let s = schedule(Amortization::Annuity, 0.0, 10, 0, P);
        assert_eq!(s.len(), 10);
        assert!(s.iter().all(|(i, p)| *i == 0.0 && close(*p, P / 10.0)));
    }

    #[test]
    fn a_linear_loan_repays_equal_principal_after_its_grace_months() {
        let r = 0.09 / 12.0;
        let s = schedule(Amortization::Linear, 0.09, 36, 6, P);
        assert_eq!(s.len(), 36);
        for (k, (interest, principal)) in s.iter().enumerate() {
            let k = k + 1;
            let repaid_before = k.saturating_sub(7) as f64 * P / 30.0;
            assert!(
                close(*interest, (P - repaid_before) * r),
                "payment {k}: interest"
            );
            let expected = if k <= 6 { 0.0 } else { P / 30.0 };
            assert!(
                close(*principal, expected),
                "payment {k}: principal {principal} vs {expected}"
            );
        }
    }

    #[test]
    fn a_bullet_loan_pays_interest_then_everything_at_maturity() {
        let r = 0.10 / 12.0;
        let s = schedule(Amortization::Bullet, 0.10, 24, 3, P);
        assert_eq!(s.len(), 24);
        for (k, (interest, principal)) in s.iter().enumerate() {
            assert!(close(*interest, P * r), "payment {}: interest", k + 1);
            assert_eq!(
                *principal,
                if k + 1 == 24 { P } else { 0.0 },
                "payment {}",
                k + 1
            );
        }
    }

    fn row(principal: f64, service: f64, ebitda: f64, tax: f64) -> MonthRow {
        MonthRow {
            principal_usd: principal,
            debt_service_usd: service,
            ebitda_usd: ebitda,
            tax_usd: tax,
            dscr: if service > 0.0 {
                (ebitda - tax) / service
            } else {
                f64::NAN
            },
            ..Default::default()
        }
    }

    #[test]
    fn dscr_by_year_counts_the_repayment_months_only() {
        // Year 0: 6 interest-only months with negative EBITDA, then 6 repayment months.
        // Year 1: repayment. Year 2: no debt.
        let mut rows: Vec<MonthRow> = (0..6).map(|_| row(0.0, 10.0, -50.0, 0.0)).collect();
        rows.extend((0..6).map(|_| row(90.0, 100.0, 150.0, 10.0)));
        rows.extend((0..12).map(|_| row(95.0, 100.0, 130.0, 0.0)));
        rows.extend((0..12).map(|_| row(0.0, 0.0, 130.0, 0.0)));
        let years = dscr_by_year(&rows);
        assert_eq!(years.len(), 3);
        assert!(close(years[0].expect("repaying"), 1.4));
        assert!(close(years[1].expect("repaying"), 1.3));
        assert_eq!(years[2], None);
    }
}
