//! Finance: operating costs, loans with the tranches they fund resolved, depreciation lives in
//! months, tax and the timing of construction draws.

use super::{Drawn, Num, Registry};
use crate::model::{finance, fleet};
use crate::scenario::{Funds, Scenario, TerminalValue};

#[derive(Clone, Debug)]
struct Opex {
    staff_usd_per_mw_year: Num,
    staff_usd_per_1000_gpus_year: Num,
    maintenance_frac_of_capex_per_year: Num,
    insurance_frac_of_capex_per_year: Num,
    software_usd_per_gpu_month: Num,
    network_transit_usd_per_gpu_month: Num,
    sga_frac_of_revenue: Num,
    rent_usd_per_kw_month: Num,
}

#[derive(Clone, Debug)]
struct Loan {
    /// The loan with its per-replication inputs still to fill in.
    plan: finance::LoanPlan,
    rate_frac: Num,
    loan_to_cost_frac: Num,
}

/// The finance side of a plan.
#[derive(Clone, Debug)]
pub(super) struct FinancePlan {
    opex: Opex,
    loans: Vec<Loan>,
    discount_rate_frac: Num,
    life_months: [f64; 4],
    terminal_value: TerminalValue,
    tax_rate_frac: Num,
    loss_carryforward: bool,
    carryforward_cap_frac: f64,
    /// Months of construction of each hall phase.
    construction_months: Vec<i64>,
    /// The scenario counts tokens (`pricing.tokens`).
    count_tokens: bool,
}

impl FinancePlan {
    pub(super) fn new(s: &Scenario, r: &mut Registry) -> FinancePlan {
        let f = &s.finance;
        let o = &f.opex;
        let opex = Opex {
            staff_usd_per_mw_year: r.param(
                "finance.opex.staff_usd_per_mw_year",
                &o.staff_usd_per_mw_year,
            ),
            staff_usd_per_1000_gpus_year: r.param(
                "finance.opex.staff_usd_per_1000_gpus_year",
                &o.staff_usd_per_1000_gpus_year,
            ),
            maintenance_frac_of_capex_per_year: r.param(
                "finance.opex.maintenance_frac_of_capex_per_year",
                &o.maintenance_frac_of_capex_per_year,
            ),
            insurance_frac_of_capex_per_year: r.param(
                "finance.opex.insurance_frac_of_capex_per_year",
                &o.insurance_frac_of_capex_per_year,
            ),
            software_usd_per_gpu_month: r.param(
                "finance.opex.software_usd_per_gpu_month",
                &o.software_usd_per_gpu_month,
            ),
            network_transit_usd_per_gpu_month: r.param(
                "finance.opex.network_transit_usd_per_gpu_month",
                &o.network_transit_usd_per_gpu_month,
            ),
            sga_frac_of_revenue: r
                .param("finance.opex.sga_frac_of_revenue", &o.sga_frac_of_revenue),
            rent_usd_per_kw_month: r.param(
                "site.colocation_rent_usd_per_kw_month",
                &s.site.colocation_rent_usd_per_kw_month,
            ),
        };
        let loans = f
            .debt
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let path = format!("finance.debt[{i}]");
                let rate_frac = r.param(format!("{path}.rate_frac"), &d.rate_frac);
                let loan_to_cost_frac =
                    r.param(format!("{path}.loan_to_cost_frac"), &d.loan_to_cost_frac);
                Loan {
                    rate_frac,
                    loan_to_cost_frac,
                    plan: finance::LoanPlan {
                        name: d.name.clone(),
                        loan_to_cost_frac: 0.0,
                        rate_monthly: 0.0,
                        tenor_months: d.tenor_months.max(1) as u32,
                        grace_months: d.grace_months.max(0) as u32,
                        amortization: d.amortization,
                        funds: match d.funds {
                            Funds::AllCapex => finance::FundedCapex::All,
                            Funds::Facility => finance::FundedCapex::Facility,
                            Funds::FinancedTranches => finance::FundedCapex::Tranches(
                                s.fleet
                                    .iter()
                                    .enumerate()
                                    .filter(|(_, t)| {
                                        t.financing.as_deref() == Some(d.name.as_str())
                                    })
                                    .map(|(k, _)| k as u16)
                                    .chain(policy_orders_financed_by(s, &d.name))
                                    .collect(),
                            ),
                        },
                    },
                }
            })
            .collect();
        let lives = &f.depreciation_years;
        FinancePlan {
            opex,
            loans,
            discount_rate_frac: r.param("finance.discount_rate_frac", &f.discount_rate_frac),
            life_months: [
                lives.gpu_servers * 12.0,
                lives.network * 12.0,
                lives.facility * 12.0,
                lives.energy * 12.0,
            ],
            terminal_value: f.terminal_value,
            tax_rate_frac: r.param("finance.tax.rate_frac", &f.tax.rate_frac),
            loss_carryforward: f.tax.loss_carryforward,
            carryforward_cap_frac: f.tax.carryforward_cap_frac,
            count_tokens: s.pricing.tokens.is_some(),
            construction_months: s
                .site
                .phases
                .iter()
                .map(|p| p.construction_months)
                .chain(crate::scenario::phase_slots(s).into_iter().map(|(i, _)| {
                    match &s.policies[i].action {
                        crate::scenario::Action::StartPhase {
                            lead_time_months, ..
                        } => *lead_time_months,
                        _ => 0,
                    }
                }))
                .collect(),
        }
    }

    /// The finance model of one replication, with the construction draws of `fleet`'s phases.
    pub(super) fn model(
        &self,
        v: &Drawn,
        horizon: u32,
        fleet: &fleet::FleetPlan,
    ) -> finance::FinanceModel {
        let o = &self.opex;
        let opex = finance::OpexModel {
            staff_usd_per_mw_year: v.get(o.staff_usd_per_mw_year),
            staff_usd_per_1000_gpus_year: v.get(o.staff_usd_per_1000_gpus_year),
            maintenance_frac_of_capex_per_year: v.get(o.maintenance_frac_of_capex_per_year),
            insurance_frac_of_capex_per_year: v.get(o.insurance_frac_of_capex_per_year),
            software_usd_per_gpu_month: v.get(o.software_usd_per_gpu_month),
            network_transit_usd_per_gpu_month: v.get(o.network_transit_usd_per_gpu_month),
            sga_frac_of_revenue: v.get(o.sga_frac_of_revenue),
            rent_usd_per_kw_month: v.get(o.rent_usd_per_kw_month),
        };
        let loans = self
            .loans
            .iter()
            .map(|l| finance::LoanPlan {
                loan_to_cost_frac: v.get(l.loan_to_cost_frac),
                // A nominal annual rate compounded monthly, as banks quote loans.
                rate_monthly: v.get(l.rate_frac) / 12.0,
                ..l.plan.clone()
            })
            .collect();
        let phases = self
            .construction_months
            .iter()
            .zip(&fleet.phases)
            .map(|(&construction_months, pp)| {
                // Equal draws over the construction months before the ready month; draws that
                // would fall before month 0 are paid in month 0; nothing is paid after the horizon.
                let ready = pp.ready_month_raw;
                let n = construction_months.max(0);
                let months: Vec<i64> = if n == 0 {
                    vec![ready]
                } else {
                    (ready - n..ready).collect()
                };
                let per = pp.capex_usd / months.len() as f64;
                let mut draws: Vec<(u32, f64)> = Vec::new();
                for m in months {
                    let m = m.max(0);
                    if m >= horizon as i64 {
                        continue;
                    }
                    match draws.last_mut() {
                        Some((last, usd)) if *last == m as u32 => *usd += per,
                        _ => draws.push((m as u32, per)),
                    }
                }
                finance::PhaseDraws {
                    draws,
                    cost: pp.capex_usd,
                }
            })
            .collect();
        finance::FinanceModel {
            discount_rate_frac: v.get(self.discount_rate_frac),
            life_months: self.life_months,
            opex,
            terminal_value: self.terminal_value,
            tax_rate_frac: v.get(self.tax_rate_frac),
            loss_carryforward: self.loss_carryforward,
            carryforward_cap_frac: self.carryforward_cap_frac,
            count_tokens: self.count_tokens,
            loans,
            phases,
            expenses: Vec::new(),
        }
    }
}

/// Fleet indices of the policy order slots financed by the debt tranche `name`.
fn policy_orders_financed_by<'a>(
    s: &'a crate::scenario::Scenario,
    name: &'a str,
) -> impl Iterator<Item = u16> + 'a {
    let base = s.fleet.len() + s.lifecycle.refresh.len();
    crate::scenario::order_slots(s)
        .into_iter()
        .enumerate()
        .filter(move |(_, (i, _))| {
            matches!(&s.policies[*i].action,
                crate::scenario::Action::OrderTranche { financing: Some(f), .. } if f == name)
        })
        .map(move |(k, _)| (base + k) as u16)
}
