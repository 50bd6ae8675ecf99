//! The monthly ledger: revenue, operating costs, capex, depreciation and cash.
//!
//! Capex is booked in the month it is paid (GPU servers and network on delivery, a hall phase when
//! it becomes ready) and depreciated straight line over its class's life from that month. Free
//! cash flow is unlevered and pre-tax: EBITDA - capex. KPIs are computed from the ledger at the
//! end of the replication.

use bevy_ecs::prelude::*;

use super::demand::DemandState;
use super::energy::MonthEnergy;
use super::fleet::{FleetCounters, GpuState};
use crate::engine::{Clock, Engine, EventKind, Meter, Rate, Step};
use crate::metrics;
use crate::results::{Kpis, MonthRow};
use crate::scenario::TerminalValue;

/// Asset classes with their own depreciation life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssetClass {
    /// GPU servers.
    GpuServers,
    /// Network equipment.
    Network,
    /// Building, power and cooling.
    Facility,
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
}

/// Finance inputs of one replication.
#[derive(Clone, Debug)]
pub struct FinanceModel {
    /// Annual discount rate.
    pub discount_rate_frac: f64,
    /// Depreciation lives in months per [`AssetClass`].
    pub life_months: [f64; 3],
    /// Operating costs.
    pub opex: OpexModel,
    /// Terminal value rule.
    pub terminal_value: TerminalValue,
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

/// The ledger of one replication.
#[derive(Resource, Clone, Debug)]
pub struct Ledger {
    model: FinanceModel,
    assets: Vec<Asset>,
    pending: Vec<Asset>,
    month_capex: [f64; 3],
    month_resale: f64,
    month_gain_on_sale: f64,
    current_month: u32,
    cumulative_capex: f64,
    cumulative_cash: f64,
    /// One row per closed month.
    pub rows: Vec<MonthRow>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new(model: FinanceModel, horizon_months: u32) -> Ledger {
        Ledger {
            model,
            assets: Vec::new(),
            pending: Vec::new(),
            month_capex: [0.0; 3],
            month_resale: 0.0,
            month_gain_on_sale: 0.0,
            current_month: 0,
            cumulative_capex: 0.0,
            cumulative_cash: 0.0,
            rows: Vec::with_capacity(horizon_months as usize),
        }
    }

    /// Book capex paid in the current month for `units` units (of tranche `tranche`, if any).
    pub fn book_capex(&mut self, class: AssetClass, usd: f64, units: u32, tranche: Option<u16>) {
        if usd != 0.0 && units > 0 {
            self.month_capex[class.index()] += usd;
            let life_months = self.model.life_months[class.index()];
            self.pending.push(Asset { class, tranche, cost: usd, units, units_left: units, first_month: 0, life_months });
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

    fn book_value(&self, m: u32) -> f64 {
        self.assets.iter().map(|a| a.book_value(m)).sum()
    }
}

/// Add the ledger and its month-end systems.
pub fn install(engine: &mut Engine, model: FinanceModel) {
    let horizon = engine.world.resource::<Clock>().calendar.horizon_months();
    engine.world.insert_resource(Ledger::new(model, horizon));
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
    let capex = l.month_capex;
    l.month_capex = [0.0; 3];
    let capex_total: f64 = capex.iter().sum();
    l.cumulative_capex += capex_total;
    let resale = std::mem::take(&mut l.month_resale);
    let gain_on_sale = std::mem::take(&mut l.month_gain_on_sale);
    l.current_month = m + 1;

    let revenue_reserved = meter.month_total(Rate::RevenueReservedUsdPerHour);
    let revenue_on_demand = meter.month_total(Rate::RevenueOnDemandUsdPerHour);
    let revenue_spot = meter.month_total(Rate::RevenueSpotUsdPerHour);
    let gross_revenue = revenue_reserved + revenue_on_demand + revenue_spot;
    let sla_credits = demand.sla_credits_usd;
    let revenue = gross_revenue - sla_credits;
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
    let sga = revenue.max(0.0) * o.sga_frac_of_revenue;
    let opex = energy.cost_usd + staff + maintenance + insurance + software + transit + sga;
    let ebitda = revenue - opex;
    let depreciation: f64 = l.assets.iter().map(|a| a.depreciation(m)).sum();
    let fcf = ebitda - capex_total + resale;
    l.cumulative_cash += fcf;

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
        revenue_reserved_usd: revenue_reserved,
        revenue_on_demand_usd: revenue_on_demand,
        revenue_spot_usd: revenue_spot,
        sla_credits_usd: sla_credits,
        prepayments_usd: demand.prepayments_usd,
        prepaid_revenue_usd: meter.month_total(Rate::PrepaidRevenueUsdPerHour),
        revenue_usd: revenue,
        energy_cost_usd: energy.cost_usd,
        staff_usd: staff,
        maintenance_usd: maintenance,
        insurance_usd: insurance,
        software_usd: software,
        network_transit_usd: transit,
        sga_usd: sga,
        opex_usd: opex,
        ebitda_usd: ebitda,
        depreciation_usd: depreciation,
        gain_on_sale_usd: gain_on_sale,
        ebit_usd: ebitda - depreciation + gain_on_sale,
        capex_gpu_usd: capex[AssetClass::GpuServers.index()],
        capex_network_usd: capex[AssetClass::Network.index()],
        capex_facility_usd: capex[AssetClass::Facility.index()],
        capex_usd: capex_total,
        resale_usd: resale,
        fcf_usd: fcf,
        cumulative_cash_usd: l.cumulative_cash,
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
    let revenue = sum(|r| r.revenue_usd);
    let ebitda = sum(|r| r.ebitda_usd);
    let energy_cost = sum(|r| r.energy_cost_usd);
    let facility_mwh = sum(|r| r.facility_mwh);
    let it_mwh = sum(|r| r.it_mwh);
    let installed_h = sum(|r| r.installed_gpu_hours);
    let arrived = sum(|r| r.requests_arrived);
    let ratio = |a: f64, b: f64| if b > 0.0 { Some(a / b) } else { None };
    Kpis {
        revenue_usd: revenue,
        ebitda_usd: ebitda,
        ebitda_margin_frac: ratio(ebitda, revenue),
        capex_usd: sum(|r| r.capex_usd),
        opex_usd: sum(|r| r.opex_usd),
        energy_cost_usd: energy_cost,
        energy_mwh: facility_mwh,
        energy_cost_usd_per_mwh: ratio(energy_cost, facility_mwh),
        pue: ratio(facility_mwh, it_mwh),
        fcf_usd: flows.iter().sum(),
        payback_months: metrics::payback_months(&flows).map(|m| m as f64),
        peak_funding_usd: metrics::peak_funding(&flows),
        npv_usd: metrics::npv(ledger.model.discount_rate_frac, &npv_flows),
        irr_frac: metrics::irr(&npv_flows),
        utilization_frac: ratio(sum(|r| r.sold_gpu_hours), installed_h),
        utilization_available_frac: ratio(sum(|r| r.sold_gpu_hours), sum(|r| r.available_gpu_hours)),
        utilization_power_frac: {
            let num: f64 = rows.iter().map(|r| r.utilization_power_frac * r.available_gpu_hours).sum();
            ratio(num, sum(|r| r.available_gpu_hours))
        },
        realized_price_usd_per_gpu_hour: ratio(sum(|r| r.revenue_reserved_usd + r.revenue_on_demand_usd + r.revenue_spot_usd), sum(|r| r.sold_gpu_hours)),
        revenue_reserved_frac: ratio(sum(|r| r.revenue_reserved_usd), sum(|r| r.revenue_reserved_usd + r.revenue_on_demand_usd + r.revenue_spot_usd)),
        unmet_revenue_usd: sum(|r| r.unmet_revenue_usd),
        availability_frac: ratio(sum(|r| r.available_gpu_hours), sum(|r| r.commissioned_gpu_hours)),
        inventory_gpu_months: sum(|r| r.inventory_gpu_hours) / crate::scenario::Duration::HOURS_PER_MONTH,
        failures: sum(|r| r.failures_transient + r.failures_permanent),
        sla_credits_usd: sum(|r| r.sla_credits_usd),
        resale_usd: sum(|r| r.resale_usd),
        rejected_frac: ratio(sum(|r| r.requests_rejected + r.requests_priced_out), arrived),
        unmet_gpu_hours: sum(|r| r.unmet_gpu_hours),
        terminal_value_usd: terminal,
    }
}
