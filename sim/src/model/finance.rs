//! The monthly ledger: revenue, operating costs, capex, depreciation, debt, taxes and cash.
//!
//! Conventions (all per calendar month, closed at month end):
//! * Capex is booked in the month it is paid: GPU servers and network on delivery, a hall phase
//!   in equal draws over its construction months (or in its ready month). Assets depreciate
//!   straight line from the month they enter service; a hall under construction is carried at
//!   cost and depreciates from its ready month.
//! * Free cash flow (`fcf_usd`) is unlevered and pre-tax: EBITDA + prepayments received - revenue
//!   recognised from earlier prepayments - capex + resale proceeds. Project NPV, project IRR,
//!   payback and peak funding use it.
//! * Debt: each loan draws its loan-to-cost share of the capex it funds in the month the capex
//!   is paid; interest accrues monthly on the opening balance at `(1 + r)^(1/12) - 1`; after the
//!   grace months principal is repaid (annuity, linear or bullet) so that the balance reaches zero
//!   at the end of the tenor, counted from the first draw.
//! * Taxes: `rate x (EBIT - interest)` each month, after using losses carried forward.
//! * Cash identity, every month: change in cash = FCF + debt drawn - debt service - taxes paid.
//!   Equity cash flow is the same quantity (negative: equity put in; positive: distributions).

use bevy_ecs::prelude::*;

use super::demand::DemandState;
use super::energy::MonthEnergy;
use super::fleet::{FleetCounters, GpuState};
use crate::engine::{Clock, Engine, EventKind, Meter, Rate, Step};
use crate::metrics;
use crate::results::{Kpis, MonthRow};
use crate::scenario::{Amortization, TerminalValue};

/// Asset classes with their own depreciation life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssetClass {
    /// GPU servers.
    GpuServers,
    /// Network equipment.
    Network,
    /// Building, power and cooling.
    Facility,
    /// On-site energy assets.
    Energy,
}

impl AssetClass {
    fn index(self) -> usize {
        self as usize
    }
}

/// Operating cost inputs of one replication (sampled).
#[derive(Clone, Debug, Default)]
pub struct OpexModel {
    /// USD per MW of ready IT capacity per year.
    pub staff_usd_per_mw_year: f64,
    /// USD per 1,000 installed GPUs per year.
    pub staff_usd_per_1000_gpus_year: f64,
    /// Fraction of cumulative capex per year.
    pub maintenance_frac_of_capex_per_year: f64,
    /// Fraction of cumulative capex per year.
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
    /// Monthly interest rate.
    pub rate_monthly: f64,
    /// Months from first draw to maturity.
    pub tenor_months: u32,
    /// Interest-only months after the first draw.
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
    /// Loans.
    pub loans: Vec<LoanPlan>,
    /// Construction draws per hall phase.
    pub phases: Vec<PhaseDraws>,
}

/// A capex item in the asset register: bought in `first_month`, `units` identical units (nodes of
/// a tranche, or one facility phase), some of which may have been sold since.
#[derive(Clone, Debug)]
struct Asset {
    class: AssetClass,
    tranche: Option<u16>,
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
    fn close(&mut self, m: u32, funded_capex: f64) -> LoanMonth {
        let p = &self.plan;
        let opening = self.balance;
        let mut out = LoanMonth::default();
        if opening > 0.0 {
            let first = self.first_draw.expect("a balance means a draw");
            out.interest = opening * p.rate_monthly;
            let k = m - first; // months since the first draw (0 in the month of the first draw)
            let maturity = p.tenor_months.saturating_sub(1);
            if k >= maturity {
                out.principal = opening;
            } else if k >= p.grace_months {
                let remaining = (maturity - k + 1) as f64;
                out.principal = match p.amortization {
                    Amortization::Bullet => 0.0,
                    Amortization::Linear => opening / remaining,
                    Amortization::Annuity => {
                        let r = p.rate_monthly;
                        if r > 0.0 {
                            let payment = opening * r / (1.0 - (1.0 + r).powf(-remaining));
                            payment - out.interest
                        } else {
                            opening / remaining
                        }
                    }
                };
            }
        }
        // Draws: only until maturity.
        let open_for_draws = match self.first_draw {
            None => true,
            Some(first) => m - first < p.tenor_months.saturating_sub(1),
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
    cumulative_capex: f64,
    cumulative_cash: f64,
    cash: f64,
    loss_pool: f64,
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
        let loans = model.loans.iter().map(|p| Loan { plan: p.clone(), balance: 0.0, first_draw: None }).collect();
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
            cumulative_capex: 0.0,
            cumulative_cash: 0.0,
            cash: 0.0,
            loss_pool: 0.0,
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
            let life_months = self.model.life_months[class.index()];
            self.pending.push(Asset { class, tranche: Some(tranche), cost: usd, units, units_left: units, first_month: 0, life_months });
        }
    }

    /// Book capex for on-site energy assets (or a battery replacement) paid this month.
    pub fn book_energy_capex(&mut self, usd: f64) {
        if usd > 0.0 {
            self.month_capex[AssetClass::Energy.index()] += usd;
            let life_months = self.model.life_months[AssetClass::Energy.index()];
            self.pending.push(Asset { class: AssetClass::Energy, tranche: None, cost: usd, units: 1, units_left: 1, first_month: 0, life_months });
        }
    }

    /// A hall phase enters service: its cost becomes a depreciating asset (the cash went out as
    /// construction draws).
    pub fn place_phase_in_service(&mut self, phase: usize) {
        self.phase_in_service[phase] = true;
        let cost = self.model.phases[phase].cost;
        if cost > 0.0 {
            let life_months = self.model.life_months[AssetClass::Facility.index()];
            self.pending.push(Asset {
                class: AssetClass::Facility,
                tranche: None,
                cost,
                units: 1,
                units_left: 1,
                first_month: 0,
                life_months,
            });
        }
    }

    /// Sell `units` nodes of a tranche for `proceeds`: their servers and network leave the books;
    /// the difference between proceeds and their book value is a gain (or loss) on sale.
    pub fn dispose(&mut self, tranche: u16, units: u32, proceeds: f64) {
        self.month_resale += proceeds;
        let m = self.current_month;
        let mut written_off = 0.0;
        for a in self.assets.iter_mut().chain(self.pending.iter_mut()) {
            if a.tranche == Some(tranche) && a.class != AssetClass::Facility && a.units_left >= units {
                // Book value at the start of this month: this month's depreciation is charged at
                // close on the units still held, so sold units carry none for the month.
                let per_unit = a.cost / a.units as f64;
                let months_charged = m.saturating_sub(a.first_month) as f64;
                written_off += per_unit * (1.0 - months_charged / a.life_months).max(0.0) * units as f64;
                a.units_left -= units;
            }
        }
        self.month_gain_on_sale += proceeds - written_off;
    }

    /// Book value at the end of month `m`: assets in service plus halls under construction at cost.
    fn book_value(&self, m: u32) -> f64 {
        let assets: f64 = self.assets.iter().map(|a| a.book_value(m)).sum();
        let construction: f64 =
            self.phase_drawn.iter().zip(&self.phase_in_service).filter(|(_, s)| !**s).map(|(d, _)| d).sum();
        assets + construction
    }

    /// Debt outstanding now.
    pub fn debt_outstanding(&self) -> f64 {
        self.loans.iter().map(|l| l.balance).sum()
    }
}

/// Add the ledger and its month-end systems.
pub fn install(engine: &mut Engine, model: FinanceModel, n_tranches: usize) {
    let horizon = engine.world.resource::<Clock>().calendar.horizon_months();
    engine.world.insert_resource(Ledger::new(model, horizon, n_tranches));
    engine.schedule_mut(EventKind::MonthEnd).add_systems(close_month.in_set(Step::Finance));
}

fn close_month(
    clock: Res<Clock>,
    meter: Res<Meter>,
    energy: Res<MonthEnergy>,
    demand: Res<DemandState>,
    fleet: Res<FleetCounters>,
    mut ledger: ResMut<Ledger>,
) {
    let m = clock.month;
    let waiting = demand.waiting();
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
    l.cumulative_capex += capex_total;
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
    let inventory = fleet.total(GpuState::Inventory);
    let installed = installed as f64;
    let o = &l.model.opex;
    let staff = fleet.ready_it_kw / 1000.0 * o.staff_usd_per_mw_year / months_per_year
        + installed / 1000.0 * o.staff_usd_per_1000_gpus_year / months_per_year;
    let maintenance = l.cumulative_capex * o.maintenance_frac_of_capex_per_year / months_per_year;
    let insurance = l.cumulative_capex * o.insurance_frac_of_capex_per_year / months_per_year;
    let software = installed * o.software_usd_per_gpu_month;
    let transit = installed * o.network_transit_usd_per_gpu_month;
    let sga = revenue * o.sga_frac_of_revenue;
    let rent = fleet.ready_it_kw * o.rent_usd_per_kw_month;
    let opex = energy.cost_usd + staff + maintenance + insurance + software + transit + sga + rent;
    let ebitda = revenue - opex;
    let depreciation: f64 = l.assets.iter().map(|a| a.depreciation(m)).sum();
    let ebit = ebitda - depreciation + gain_on_sale;
    let working_capital = demand.prepayments_usd - prepaid_revenue;
    let fcf = ebitda + working_capital - capex_total + resale;
    l.cumulative_cash += fcf;
    l.price_linked_usd.push(revenue * (1.0 - o.sga_frac_of_revenue) + working_capital);

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
    // Taxes with losses carried forward.
    let taxable = ebit - interest;
    let tax = if taxable < 0.0 {
        if l.model.loss_carryforward {
            l.loss_pool += -taxable;
        }
        0.0
    } else {
        let used = l.loss_pool.min(taxable);
        l.loss_pool -= used;
        (taxable - used) * l.model.tax_rate_frac
    };
    let net_income = ebit - interest - tax;
    let debt_service = interest + principal;
    let equity_cf = fcf + drawn - debt_service - tax;
    l.cash += equity_cf;
    let cfads = ebitda - tax;

    let installed_h = meter.month_total(Rate::InstalledGpus);
    let commissioned_h = meter.month_total(Rate::CommissionedGpus);
    let available_h = meter.month_total(Rate::AvailableGpus);
    let sold_h = meter.month_total(Rate::SoldGpus);
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let row = MonthRow {
        month: m as f64,
        installed_gpus: installed,
        commissioned_gpus: installed - inventory as f64,
        available_gpus: (fleet.total(GpuState::InService) + fleet.total(GpuState::Spare)) as f64,
        spare_gpus: fleet.total(GpuState::Spare) as f64,
        failed_gpus: fleet.total(GpuState::Failed) as f64,
        in_repair_gpus: fleet.total(GpuState::InRepair) as f64,
        inventory_gpus: inventory as f64,
        retired_gpus: fleet.month.retired_gpus as f64,
        installed_gpu_hours: installed_h,
        commissioned_gpu_hours: commissioned_h,
        available_gpu_hours: available_h,
        sold_gpu_hours: sold_h,
        inventory_gpu_hours: installed_h - commissioned_h,
        utilization_frac: ratio(sold_h, installed_h),
        utilization_available_frac: ratio(sold_h, available_h),
        utilization_power_frac: ratio(meter.month_total(Rate::SoldMaxKw), meter.month_total(Rate::AvailableMaxKw)),
        realized_price_usd_per_gpu_hour: ratio(gross_revenue, sold_h),
        failures_transient: fleet.month.failures_transient as f64,
        failures_permanent: fleet.month.failures_permanent as f64,
        spare_migrations: fleet.month.spare_migrations as f64,
        requests_arrived: demand.arrived as f64,
        requests_placed: demand.placed as f64,
        requests_rejected: demand.rejected as f64,
        requests_rejected_reserved: demand.rejected_by_class[0] as f64,
        requests_rejected_on_demand: demand.rejected_by_class[1] as f64,
        requests_rejected_spot: demand.rejected_by_class[2] as f64,
        requests_priced_out: demand.priced_out as f64,
        requests_waiting: waiting as f64,
        preemptions: demand.preemptions as f64,
        renewals: demand.renewals as f64,
        churned_contracts: demand.churned as f64,
        unmet_gpu_hours: demand.unmet_gpu_hours,
        unmet_revenue_usd: demand.unmet_revenue_usd,
        it_mwh: energy.it_kwh / 1000.0,
        facility_mwh: energy.facility_kwh / 1000.0,
        pue: ratio(energy.facility_kwh, energy.it_kwh),
        water_m3: energy.water_l / 1000.0,
        temperature_c: ratio(energy.temperature_sum_c, energy.hours),
        grid_mwh: energy.grid_kwh / 1000.0,
        ppa_mwh: energy.ppa_kwh / 1000.0,
        solar_mwh: energy.solar_kwh / 1000.0,
        wind_mwh: energy.wind_kwh / 1000.0,
        gas_mwh: energy.gas_kwh / 1000.0,
        battery_charge_mwh: energy.charge_kwh / 1000.0,
        battery_discharge_mwh: energy.discharge_kwh / 1000.0,
        export_mwh: energy.export_kwh / 1000.0,
        peak_grid_kw: energy.peak_grid_kw,
        capped_hours: energy.capped_hours,
        curtailed_it_mwh: energy.curtailed_it_kwh / 1000.0,
        revenue_lost_to_cap_usd: revenue_lost_to_cap,
        tco2: energy.tco2,
        cfe_frac: ratio(energy.cfe_kwh, energy.facility_kwh),
        grid_energy_usd: energy.grid_energy_usd,
        demand_charge_usd: energy.demand_charge_usd,
        energy_fixed_usd: energy.fixed_usd,
        ppa_usd: energy.ppa_usd,
        gas_usd: energy.gas_usd,
        carbon_usd: energy.carbon_usd,
        export_credit_usd: energy.export_credit_usd,
        revenue_reserved_usd: revenue_reserved,
        revenue_on_demand_usd: revenue_on_demand,
        revenue_spot_usd: revenue_spot,
        sla_credits_usd: sla_credits,
        downtime_unbilled_usd: demand.downtime_unbilled_usd,
        prepayments_usd: demand.prepayments_usd,
        prepaid_revenue_usd: prepaid_revenue,
        revenue_usd: revenue,
        energy_cost_usd: energy.cost_usd,
        staff_usd: staff,
        maintenance_usd: maintenance,
        insurance_usd: insurance,
        software_usd: software,
        network_transit_usd: transit,
        sga_usd: sga,
        rent_usd: rent,
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
        dscr: if debt_service > 0.0 { cfads / debt_service } else { f64::NAN },
        equity_cash_flow_usd: equity_cf,
        cash_usd: l.cash,
        book_value_usd: l.book_value(m),
    };
    l.rows.push(row);
}

/// KPIs of a finished replication.
pub fn kpis(ledger: &Ledger) -> Kpis {
    let rows = &ledger.rows;
    let sum = |f: fn(&MonthRow) -> f64| rows.iter().map(f).sum::<f64>();
    let flows: Vec<f64> = rows.iter().map(|r| r.fcf_usd).collect();
    let terminal = match ledger.model.terminal_value {
        TerminalValue::None => 0.0,
        TerminalValue::BookValue => rows.last().map(|r| r.book_value_usd).unwrap_or(0.0),
    };
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
    let npv = metrics::npv(r, &npv_flows);
    // Break-even price: every price-proportional cash flow scales with the price level k, the
    // rest does not, so NPV(k) = k NPV(price-linked) - NPV(the rest) and NPV(k*) = 0 at
    // k* = 1 - NPV / NPV(price-linked). The break-even price is the realised price times k*.
    let npv_linked = metrics::npv(r, &ledger.price_linked_usd);
    let realized = ratio(gross, sold_h);
    let break_even = match (realized, npv_linked > 0.0) {
        (Some(p), true) => Some(p * (1.0 - npv / npv_linked)),
        _ => None,
    };
    let min_dscr = rows.iter().map(|r| r.dscr).filter(|d| d.is_finite()).fold(None, |acc: Option<f64>, d| Some(acc.map_or(d, |a| a.min(d))));
    Kpis {
        revenue_usd: revenue,
        ebitda_usd: ebitda,
        ebitda_margin_frac: ratio(ebitda, revenue),
        ebit_usd: ebit,
        operating_margin_frac: ratio(ebit, revenue),
        net_income_usd: net,
        net_margin_frac: ratio(net, revenue),
        capex_usd: sum(|r| r.capex_usd),
        opex_usd: sum(|r| r.opex_usd),
        energy_cost_usd: energy_cost,
        energy_mwh: facility_mwh,
        energy_cost_usd_per_mwh: ratio(energy_cost, facility_mwh),
        pue: ratio(facility_mwh, it_mwh),
        water_m3: Some(sum(|r| r.water_m3)).filter(|w| w.is_finite()),
        wue_l_per_kwh: ratio(sum(|r| r.water_m3), it_mwh).filter(|w| w.is_finite()),
        tco2: sum(|r| r.tco2),
        cfe_frac: ratio(rows.iter().map(|r| r.cfe_frac * r.facility_mwh).sum(), facility_mwh),
        capped_hours: sum(|r| r.capped_hours),
        revenue_lost_to_cap_usd: sum(|r| r.revenue_lost_to_cap_usd),
        fcf_usd: flows.iter().sum(),
        payback_months: metrics::payback_months(&flows).map(|m| m as f64),
        first_profit_months: rows.iter().position(|r| r.net_income_usd > 0.0).map(|m| m as f64 + 1.0),
        peak_funding_usd: metrics::peak_funding(&flows),
        peak_equity_usd: metrics::peak_funding(&rows.iter().map(|r| r.equity_cash_flow_usd).collect::<Vec<_>>()),
        npv_usd: npv,
        irr_frac: metrics::irr(&npv_flows),
        equity_irr_frac: metrics::irr(&equity_flows),
        min_dscr,
        interest_usd: sum(|r| r.interest_usd),
        tax_usd: sum(|r| r.tax_usd),
        all_in_cost_usd_per_gpu_hour: ratio(sum(|r| r.opex_usd + r.depreciation_usd + r.interest_usd), sold_h),
        break_even_price_usd_per_gpu_hour: break_even,
        utilization_frac: ratio(sold_h, installed_h),
        utilization_available_frac: ratio(sold_h, sum(|r| r.available_gpu_hours)),
        utilization_power_frac: {
            let num: f64 = rows.iter().map(|r| r.utilization_power_frac * r.available_gpu_hours).sum();
            ratio(num, sum(|r| r.available_gpu_hours))
        },
        realized_price_usd_per_gpu_hour: realized,
        revenue_reserved_frac: ratio(sum(|r| r.revenue_reserved_usd), gross),
        unmet_revenue_usd: sum(|r| r.unmet_revenue_usd),
        availability_frac: ratio(sum(|r| r.available_gpu_hours), sum(|r| r.commissioned_gpu_hours)),
        inventory_gpu_months: sum(|r| r.inventory_gpu_hours) / crate::scenario::Duration::HOURS_PER_MONTH,
        failures: sum(|r| r.failures_transient + r.failures_permanent),
        sla_credits_usd: sum(|r| r.sla_credits_usd),
        downtime_unbilled_usd: sum(|r| r.downtime_unbilled_usd),
        resale_usd: sum(|r| r.resale_usd),
        rejected_frac: ratio(sum(|r| r.requests_rejected + r.requests_priced_out), arrived),
        unmet_gpu_hours: sum(|r| r.unmet_gpu_hours),
        terminal_value_usd: terminal,
    }
}
