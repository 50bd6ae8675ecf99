//! The `finance` section: discounting, depreciation, operating costs, tax and debt.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::validate::*;
use super::*;
use crate::dist::{Param, fmt_num};
use crate::problems::Problems;

/// Finance inputs.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finance {
    /// Annual discount rate for NPV (parameter), e.g. 0.10.
    pub discount_rate_frac: Param,
    /// Straight-line depreciation lives in years per asset class.
    pub depreciation_years: DepreciationLives,
    /// Operating costs other than energy.
    pub opex: Opex,
    /// What the assets are worth at the end of the horizon, counted in NPV (not in payback); the
    /// deferred revenue left at the horizon (service prepaid but not delivered) is deducted from
    /// it under either rule.
    #[serde(default)]
    pub terminal_value: TerminalValue,
    /// Income tax.
    #[serde(default)]
    pub tax: Tax,
    /// Debt tranches; the rest of the funding is equity.
    #[serde(default)]
    pub debt: Vec<DebtTranche>,
}

/// Income tax on EBIT - interest, with losses carried forward. Tax is computed monthly; tax
/// years are the 12-month years from the scenario start. Only net income, equity cash flow,
/// equity IRR and DSCR are after tax: project FCF, NPV and IRR are pre-tax.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tax {
    /// Tax rate on each tax year's taxable income (parameter), e.g. 0.21. Tax years are 12-month
    /// years from the scenario start; each month charges the tax due on the year so far.
    #[serde(default = "zero")]
    pub rate_frac: Param,
    /// A tax year's loss reduces the taxable income of later tax years.
    #[serde(default = "yes")]
    pub loss_carryforward: bool,
    /// Share of a tax year's taxable income that losses carried forward from earlier tax years
    /// may offset, 0..1. 1.0 (the default): no cap; 0.8:
    /// the US rule for losses arising after 2017 (26 U.S.C. 172(a)(2), Tax Cuts and Jobs Act).
    #[serde(default = "one_f64")]
    pub carryforward_cap_frac: f64,
}

impl Default for Tax {
    fn default() -> Self {
        Tax {
            rate_frac: zero(),
            loss_carryforward: true,
            carryforward_cap_frac: 1.0,
        }
    }
}

/// A loan that funds a share of some capex.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DebtTranche {
    /// Name, referred to by tranches' `financing`.
    pub name: String,
    /// Share of the funded capex that the loan pays (0..1).
    pub loan_to_cost_frac: Param,
    /// Annual interest rate (parameter), a nominal rate compounded monthly as banks quote loans:
    /// the monthly rate is `rate_frac / 12` (0.12 is 1 % a month, 12.68 % effective a year).
    pub rate_frac: Param,
    /// Months from the first draw to final repayment: the loan makes this many monthly payments,
    /// the first in the month after the first draw and the last `tenor_months` months after it.
    pub tenor_months: i64,
    /// The first payments that are interest only; principal is repaid over the remaining
    /// `tenor_months - grace_months` payments.
    #[serde(default)]
    pub grace_months: i64,
    /// How principal is repaid after the grace period.
    #[serde(default)]
    pub amortization: Amortization,
    /// What the loan funds.
    pub funds: Funds,
}

/// Principal repayment profile.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum Amortization {
    /// Level payments of interest plus principal (mortgage style).
    #[default]
    Annuity,
    /// Equal principal each month.
    Linear,
    /// All principal at maturity.
    Bullet,
}

/// The capex a loan funds.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Funds {
    /// Every capex item.
    AllCapex,
    /// The hall phases' construction.
    Facility,
    /// The GPU tranches whose `financing` names this loan (a GPU-backed loan).
    FinancedTranches,
}

/// Straight-line depreciation lives in years.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepreciationLives {
    /// GPU servers.
    pub gpu_servers: f64,
    /// Network equipment.
    pub network: f64,
    /// Building, power and cooling.
    pub facility: f64,
    /// On-site energy assets (solar, wind, battery, gas).
    #[serde(default = "twenty")]
    pub energy: f64,
}

fn twenty() -> f64 {
    // E: typical accounting life of solar, wind and gas plant; batteries are replaced by cycles.
    20.0
}

/// Operating costs other than energy.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Opex {
    /// Site staff in USD per MW of built IT capacity per year (parameter).
    pub staff_usd_per_mw_year: Param,
    /// Operations staff in USD per 1,000 installed GPUs per year (parameter).
    pub staff_usd_per_1000_gpus_year: Param,
    /// Maintenance per year as a fraction of the gross cost of the assets in service (parameter):
    /// servers and network until sold or retired, halls from their ready month, energy assets
    /// until replaced.
    pub maintenance_frac_of_capex_per_year: Param,
    /// Insurance per year as a fraction of the gross cost of the assets in service (parameter).
    #[serde(default = "zero")]
    pub insurance_frac_of_capex_per_year: Param,
    /// Software licences and tools in USD per installed GPU per month (parameter).
    #[serde(default = "zero")]
    pub software_usd_per_gpu_month: Param,
    /// Internet transit in USD per installed GPU per month (parameter).
    #[serde(default = "zero")]
    pub network_transit_usd_per_gpu_month: Param,
    /// Sales, general and administrative cost as a fraction of revenue (parameter).
    #[serde(default = "zero")]
    pub sga_frac_of_revenue: Param,
}

/// Value of the assets at the end of the horizon.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum TerminalValue {
    /// Nothing: the project is worth only the cash it produced within the horizon (less the
    /// deferred revenue still owed at the horizon).
    None,
    /// The remaining straight-line book value of every asset (less the deferred revenue still
    /// owed at the horizon).
    #[default]
    BookValue,
}

pub(super) fn check_finance(s: &Scenario, p: &mut Problems) {
    let f = &s.finance;
    let before = p.len();
    f.discount_rate_frac
        .check_range("finance.discount_rate_frac", -0.1, 1.0, p);
    if p.len() == before && f.discount_rate_frac.quantile(0.01) < 0.0 {
        let verb = if f.discount_rate_frac.is_fixed() {
            "is"
        } else {
            "can be"
        };
        p.warn(
            "finance.discount_rate_frac",
            format!(
                "{} {verb} negative: later cash would count for more than cash today",
                f.discount_rate_frac.describe()
            ),
        );
    }
    for (name, v) in [
        ("gpu_servers", f.depreciation_years.gpu_servers),
        ("network", f.depreciation_years.network),
        ("facility", f.depreciation_years.facility),
        ("energy", f.depreciation_years.energy),
    ] {
        if !v.is_finite() {
            p.push(
                format!("finance.depreciation_years.{name}"),
                format!("{} is not a finite number", fmt_num(v)),
            );
        } else if !(v > 0.0 && v <= 100.0) {
            p.push(
                format!("finance.depreciation_years.{name}"),
                format!("{v} must be > 0 and at most 100"),
            );
        }
    }
    f.tax
        .rate_frac
        .check_range("finance.tax.rate_frac", 0.0, 1.0, p);
    let cap = f.tax.carryforward_cap_frac;
    if !(cap.is_finite() && (0.0..=1.0).contains(&cap)) {
        p.push(
            "finance.tax.carryforward_cap_frac",
            format!("{cap} must be between 0 and 1 (0.8: the US cap)"),
        );
    }
    let mut names = HashSet::new();
    for (i, d) in f.debt.iter().enumerate() {
        let path = format!("finance.debt[{i}]");
        if !names.insert(d.name.as_str()) {
            p.push(
                format!("{path}.name"),
                format!(
                    "\"{}\" is used by an earlier loan; names must be unique",
                    d.name
                ),
            );
        }
        d.loan_to_cost_frac
            .check_range(&format!("{path}.loan_to_cost_frac"), 0.0, 1.0, p);
        d.rate_frac
            .check_range(&format!("{path}.rate_frac"), -0.05, 1.0, p);
        if d.tenor_months < 1 || d.tenor_months > MAX_HORIZON_MONTHS as i64 {
            p.push(
                format!("{path}.tenor_months"),
                format!(
                    "{} must be between 1 and {MAX_HORIZON_MONTHS}",
                    d.tenor_months
                ),
            );
        } else if d.grace_months < 0 || d.grace_months >= d.tenor_months {
            p.push(
                format!("{path}.grace_months"),
                format!(
                    "{} must be at least 0 and below the tenor ({} months)",
                    d.grace_months, d.tenor_months
                ),
            );
        }
        if matches!(d.funds, crate::scenario::Funds::FinancedTranches)
            && !s
                .fleet
                .iter()
                .any(|t| t.financing.as_deref() == Some(d.name.as_str()))
        {
            p.warn(
                format!("{path}.funds"),
                format!(
                    "no tranche names \"{}\" in its `financing`, so the loan funds nothing",
                    d.name
                ),
            );
        }
    }
    for (i, t) in s.fleet.iter().enumerate() {
        if let Some(name) = &t.financing {
            match f.debt.iter().find(|d| &d.name == name) {
                None if !name.trim().is_empty() => p.push(
                    format!("fleet[{i}].financing"),
                    format!("no debt tranche named \"{name}\" in finance.debt ({})", f.debt.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")),
                ),
                Some(d) if !matches!(d.funds, crate::scenario::Funds::FinancedTranches) => p.warn(
                    format!("fleet[{i}].financing"),
                    format!("loan \"{name}\" funds {:?}, not the tranches that name it; the reference changes nothing", d.funds),
                ),
                _ => {}
            }
        }
    }
    let o = &f.opex;
    o.staff_usd_per_mw_year
        .check_range("finance.opex.staff_usd_per_mw_year", 0.0, 1e9, p);
    o.staff_usd_per_1000_gpus_year.check_range(
        "finance.opex.staff_usd_per_1000_gpus_year",
        0.0,
        1e9,
        p,
    );
    o.maintenance_frac_of_capex_per_year.check_range(
        "finance.opex.maintenance_frac_of_capex_per_year",
        0.0,
        1.0,
        p,
    );
    o.insurance_frac_of_capex_per_year.check_range(
        "finance.opex.insurance_frac_of_capex_per_year",
        0.0,
        1.0,
        p,
    );
    o.software_usd_per_gpu_month.check_range(
        "finance.opex.software_usd_per_gpu_month",
        0.0,
        1e6,
        p,
    );
    o.network_transit_usd_per_gpu_month.check_range(
        "finance.opex.network_transit_usd_per_gpu_month",
        0.0,
        1e6,
        p,
    );
    o.sga_frac_of_revenue
        .check_range("finance.opex.sga_frac_of_revenue", 0.0, 1.0, p);
}

/// A warning for GPUs that cost nothing (owned already, or donated, but more often a typo).
pub(super) fn warn_free_gpus(path: &str, price: &Param, p: &mut Problems) {
    if price.quantile(0.99) == 0.0 && p.iter().all(|q| q.path != path) {
        p.warn(
            path,
            "a price of 0 per GPU: the servers add no capex and no depreciation",
        );
    }
}
