//! Pro forma financial statements from the monthly ledger: income statement, cash-flow
//! statement, balance sheet and debt schedule by project year (or quarter), and sources and uses
//! of funds to financial close.
//!
//! Conventions (on top of the ledger's, see [`crate::model::finance`]):
//! * Periods are 12-month project years (or 3-month quarters) counted from the scenario start,
//!   the years the tax losses are counted in; a last period shorter than the others is kept.
//! * Flows (income statement, cash flow, debt schedule) are summed over the period's months;
//!   balances (balance sheet, debt outstanding) are taken at the period's last month end.
//! * Interest paid is an operating cash flow (US GAAP); the cash-flow statement starts from net
//!   income and adds back depreciation and the loss on disposal, then the increase in deferred
//!   revenue (prepayments received less prepaid revenue recognised).
//! * Equity funds every shortfall when it arises and nothing is distributed: the sponsor puts in
//!   exactly what keeps cash from going below zero (`paid-in equity` is then the peak funding
//!   need so far), and the cash the project makes stays in it. Under this rule the balance sheet
//!   holds the ledger's cash identity: cash on the balance sheet = the ledger's cumulative equity
//!   cash flow + paid-in equity.
//! * Net PP&E is the ledger's book value: assets in service at cost less depreciation, plus halls
//!   under construction at cost; the balance sheet shows it by asset class ([`PPE_CLASSES`]:
//!   GPU servers, network, halls in service, halls under construction, on-site energy assets).
//! * Financial close is the month the project's paid-in equity reaches its peak (the last
//!   month of new equity); sources and uses cover the months up to it.

use crate::results::MonthRow;

/// Length of a statement period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// 12-month project years from the scenario start.
    Year,
    /// 3-month quarters from the scenario start.
    Quarter,
}

impl Period {
    /// Months per period.
    pub fn months(self) -> usize {
        match self {
            Period::Year => 12,
            Period::Quarter => 3,
        }
    }
}

/// Which statement a line belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statement {
    /// Income statement (flows).
    Income,
    /// Cash-flow statement (flows).
    CashFlow,
    /// Balance sheet (balances at period end).
    BalanceSheet,
    /// Debt schedule (flows, and balances at period end).
    Debt,
}

impl Statement {
    /// Heading of the statement.
    pub fn title(self) -> &'static str {
        match self {
            Statement::Income => "Income statement",
            Statement::CashFlow => "Cash-flow statement",
            Statement::BalanceSheet => "Balance sheet",
            Statement::Debt => "Debt schedule",
        }
    }

    /// Every statement, in the order a report shows them.
    pub const ALL: [Statement; 4] = [
        Statement::Income,
        Statement::CashFlow,
        Statement::BalanceSheet,
        Statement::Debt,
    ];
}

/// How a line is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// An item.
    Item,
    /// A subtotal or total (shown in bold, with a rule above).
    Total,
    /// A ratio (DSCR), not money.
    Ratio,
}

/// One line of a statement: its values per period, in USD (or a ratio).
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Statement.
    pub statement: Statement,
    /// Stable key, e.g. `revenue_reserved` (a column-safe name).
    pub key: &'static str,
    /// Label, e.g. "Reserved revenue".
    pub label: &'static str,
    /// Item, total or ratio.
    pub style: Style,
    /// One value per period; NaN where the line does not exist in a period (DSCR without debt
    /// service).
    pub values: Vec<f64>,
}

/// The statements of one replication.
#[derive(Clone, Debug, PartialEq)]
pub struct Statements {
    /// Period length.
    pub period: Period,
    /// First and last month index (0-based, inclusive) of each period.
    pub spans: Vec<(u32, u32)>,
    /// Every line of every statement, statements in [`Statement::ALL`] order.
    pub lines: Vec<Line>,
}

impl Statements {
    /// The line with `key`.
    pub fn line(&self, key: &str) -> Option<&Line> {
        self.lines.iter().find(|l| l.key == key)
    }

    /// The values of the line with `key` (empty when there is none).
    pub fn values(&self, key: &str) -> &[f64] {
        self.line(key).map_or(&[], |l| &l.values)
    }
}

/// A class of net PP&E: line key, label, and its book value at a month end.
pub type PpeClass = (&'static str, &'static str, fn(&MonthRow) -> f64);

/// The balance sheet's net PP&E by asset class: line key, label, and the ledger's book value of
/// the class at a month end. The classes add up to net PP&E (`bs_ppe`, the ledger's
/// `book_value_usd`) to rounding.
pub const PPE_CLASSES: [PpeClass; 5] = [
    ("bs_ppe_gpu", "GPU servers", |r| r.book_value_gpu_usd),
    ("bs_ppe_network", "Network equipment", |r| {
        r.book_value_network_usd
    }),
    (
        "bs_ppe_facility",
        "Halls in service (building, power, cooling)",
        |r| r.book_value_facility_usd,
    ),
    ("bs_ppe_construction", "Halls under construction", |r| {
        r.construction_in_progress_usd
    }),
    ("bs_ppe_energy", "On-site energy assets", |r| {
        r.book_value_energy_usd
    }),
];

/// Sources and uses of funds from the scenario start to financial close.
#[derive(Clone, Debug, PartialEq)]
pub struct SourcesUses {
    /// Month index of financial close (the last month of new equity; the last month when the
    /// project never needs equity).
    pub close_month: u32,
    /// `(label, USD)` sources: debt drawn, equity paid in, customer prepayments, operating cash.
    pub sources: Vec<(&'static str, f64)>,
    /// `(label, USD)` uses: capex by class, interest and taxes paid, cash at close.
    pub uses: Vec<(&'static str, f64)>,
}

impl SourcesUses {
    /// Total of the sources.
    pub fn total_sources(&self) -> f64 {
        self.sources.iter().map(|(_, v)| v).sum()
    }

    /// Total of the uses.
    pub fn total_uses(&self) -> f64 {
        self.uses.iter().map(|(_, v)| v).sum()
    }
}

/// Paid-in equity at each month end: the sponsor puts in what keeps cash at or above zero.
pub fn paid_in_equity(rows: &[MonthRow]) -> Vec<f64> {
    let mut peak = 0.0_f64;
    rows.iter()
        .map(|r| {
            peak = peak.max(-r.cash_usd);
            peak
        })
        .collect()
}

/// The statements of one replication's months, by `period`.
pub fn statements(rows: &[MonthRow], period: Period) -> Statements {
    let n = period.months();
    let chunks: Vec<&[MonthRow]> = rows.chunks(n).collect();
    let spans = chunks
        .iter()
        .map(|c| (c[0].month as u32, c[c.len() - 1].month as u32))
        .collect();
    let equity = paid_in_equity(rows);
    let equity_at: Vec<f64> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| equity[i * n + c.len() - 1])
        .collect();
    let equity_before: Vec<f64> = (0..chunks.len())
        .map(|i| if i == 0 { 0.0 } else { equity_at[i - 1] })
        .collect();
    let sum = |f: &dyn Fn(&MonthRow) -> f64| -> Vec<f64> {
        chunks.iter().map(|c| c.iter().map(f).sum()).collect()
    };
    let end = |f: &dyn Fn(&MonthRow) -> f64| -> Vec<f64> {
        chunks.iter().map(|c| f(&c[c.len() - 1])).collect()
    };
    let neg = |v: Vec<f64>| -> Vec<f64> { v.into_iter().map(|x| -x).collect() };
    let add = |a: &[f64], b: &[f64]| -> Vec<f64> { a.iter().zip(b).map(|(x, y)| x + y).collect() };

    let mut lines = Vec::new();
    let mut push = |statement, key, label, style, values: Vec<f64>| {
        lines.push(Line {
            statement,
            key,
            label,
            style,
            values,
        })
    };
    use Statement::*;
    use Style::*;

    // Income statement.
    push(
        Income,
        "revenue_reserved",
        "Reserved revenue",
        Item,
        sum(&|r| r.revenue_reserved_usd),
    );
    push(
        Income,
        "revenue_on_demand",
        "On-demand revenue",
        Item,
        sum(&|r| r.revenue_on_demand_usd),
    );
    push(
        Income,
        "revenue_spot",
        "Spot revenue",
        Item,
        sum(&|r| r.revenue_spot_usd),
    );
    push(
        Income,
        "sla_credits",
        "SLA credits",
        Item,
        neg(sum(&|r| r.sla_credits_usd)),
    );
    push(
        Income,
        "revenue_lost_to_cap",
        "Revenue lost to the power cap",
        Item,
        neg(sum(&|r| r.revenue_lost_to_cap_usd)),
    );
    push(Income, "revenue", "Revenue", Total, sum(&|r| r.revenue_usd));
    push(
        Income,
        "energy",
        "Energy",
        Item,
        neg(sum(&|r| r.energy_cost_usd)),
    );
    push(Income, "staff", "Staff", Item, neg(sum(&|r| r.staff_usd)));
    push(
        Income,
        "maintenance",
        "Maintenance",
        Item,
        neg(sum(&|r| r.maintenance_usd)),
    );
    push(
        Income,
        "insurance",
        "Insurance",
        Item,
        neg(sum(&|r| r.insurance_usd)),
    );
    push(
        Income,
        "software",
        "Software and licences",
        Item,
        neg(sum(&|r| r.software_usd)),
    );
    push(
        Income,
        "network_transit",
        "Network transit",
        Item,
        neg(sum(&|r| r.network_transit_usd)),
    );
    push(
        Income,
        "sga",
        "Selling, general and administrative",
        Item,
        neg(sum(&|r| r.sga_usd)),
    );
    push(
        Income,
        "rent",
        "Colocation rent",
        Item,
        neg(sum(&|r| r.rent_usd)),
    );
    push(
        Income,
        "cancellation",
        "Cancelled hall phases",
        Item,
        neg(sum(&|r| r.cancellation_usd)),
    );
    push(
        Income,
        "opex",
        "Operating costs",
        Total,
        neg(sum(&|r| r.opex_usd)),
    );
    push(Income, "ebitda", "EBITDA", Total, sum(&|r| r.ebitda_usd));
    push(
        Income,
        "depreciation",
        "Depreciation",
        Item,
        neg(sum(&|r| r.depreciation_usd)),
    );
    push(
        Income,
        "gain_on_disposal",
        "Gain (loss) on disposal",
        Item,
        sum(&|r| r.gain_on_sale_usd),
    );
    push(Income, "ebit", "EBIT", Total, sum(&|r| r.ebit_usd));
    push(
        Income,
        "interest",
        "Interest",
        Item,
        neg(sum(&|r| r.interest_usd)),
    );
    push(
        Income,
        "ebt",
        "Earnings before tax",
        Total,
        sum(&|r| r.ebit_usd - r.interest_usd),
    );
    push(Income, "tax", "Income tax", Item, neg(sum(&|r| r.tax_usd)));
    push(
        Income,
        "net_income",
        "Net income",
        Total,
        sum(&|r| r.net_income_usd),
    );

    // Cash-flow statement.
    let net_income = sum(&|r| r.net_income_usd);
    let depreciation = sum(&|r| r.depreciation_usd);
    let loss_on_disposal = neg(sum(&|r| r.gain_on_sale_usd));
    let deferred = sum(&|r| r.prepayments_usd - r.prepaid_revenue_usd);
    let operating: Vec<f64> = (0..chunks.len())
        .map(|i| net_income[i] + depreciation[i] + loss_on_disposal[i] + deferred[i])
        .collect();
    let capex_gpu = neg(sum(&|r| r.capex_gpu_usd));
    let capex_network = neg(sum(&|r| r.capex_network_usd));
    let capex_facility = neg(sum(&|r| r.capex_facility_usd));
    let capex_energy = neg(sum(&|r| r.capex_energy_usd));
    let resale = sum(&|r| r.resale_usd);
    let investing: Vec<f64> = (0..chunks.len())
        .map(|i| capex_gpu[i] + capex_network[i] + capex_facility[i] + capex_energy[i] + resale[i])
        .collect();
    let drawn = sum(&|r| r.debt_drawn_usd);
    let repaid = neg(sum(&|r| r.principal_usd));
    let equity_in: Vec<f64> = equity_at
        .iter()
        .zip(&equity_before)
        .map(|(a, b)| a - b)
        .collect();
    let financing: Vec<f64> = (0..chunks.len())
        .map(|i| drawn[i] + repaid[i] + equity_in[i])
        .collect();
    let cash_end: Vec<f64> = end(&|r| r.cash_usd)
        .iter()
        .zip(&equity_at)
        .map(|(c, e)| c + e)
        .collect();
    let cash_start: Vec<f64> = (0..chunks.len())
        .map(|i| if i == 0 { 0.0 } else { cash_end[i - 1] })
        .collect();
    push(CashFlow, "cf_net_income", "Net income", Item, net_income);
    push(
        CashFlow,
        "cf_depreciation",
        "Depreciation",
        Item,
        depreciation,
    );
    push(
        CashFlow,
        "cf_loss_on_disposal",
        "Loss (gain) on disposal",
        Item,
        loss_on_disposal,
    );
    push(
        CashFlow,
        "cf_deferred_revenue",
        "Increase in deferred revenue (prepayments less revenue recognised)",
        Item,
        deferred,
    );
    push(
        CashFlow,
        "cf_operating",
        "Cash from operations",
        Total,
        operating.clone(),
    );
    push(CashFlow, "cf_capex_gpu", "GPU servers", Item, capex_gpu);
    push(CashFlow, "cf_capex_network", "Network", Item, capex_network);
    push(
        CashFlow,
        "cf_capex_facility",
        "Facility",
        Item,
        capex_facility,
    );
    push(
        CashFlow,
        "cf_capex_energy",
        "On-site energy",
        Item,
        capex_energy,
    );
    push(
        CashFlow,
        "cf_resale",
        "Proceeds from sales of equipment",
        Item,
        resale,
    );
    push(
        CashFlow,
        "cf_investing",
        "Cash from investing",
        Total,
        investing.clone(),
    );
    push(CashFlow, "cf_debt_drawn", "Debt drawn", Item, drawn.clone());
    push(
        CashFlow,
        "cf_debt_repaid",
        "Debt repaid",
        Item,
        repaid.clone(),
    );
    push(CashFlow, "cf_equity", "Equity paid in", Item, equity_in);
    push(
        CashFlow,
        "cf_financing",
        "Cash from financing",
        Total,
        financing.clone(),
    );
    let change = add(&add(&operating, &investing), &financing);
    push(
        CashFlow,
        "cf_net_change",
        "Net change in cash",
        Total,
        change,
    );
    push(
        CashFlow,
        "cf_cash_start",
        "Cash at start of period",
        Item,
        cash_start,
    );
    push(
        CashFlow,
        "cf_cash_end",
        "Cash at end of period",
        Total,
        cash_end.clone(),
    );

    // Balance sheet.
    let ppe = end(&|r| r.book_value_usd);
    let deferred_revenue = end(&|r| r.deferred_revenue_usd);
    let debt = end(&|r| r.debt_outstanding_usd);
    let retained: Vec<f64> = {
        let mut acc = 0.0;
        sum(&|r| r.net_income_usd)
            .into_iter()
            .map(|x| {
                acc += x;
                acc
            })
            .collect()
    };
    push(BalanceSheet, "bs_cash", "Cash", Item, cash_end.clone());
    for (key, label, value) in PPE_CLASSES {
        push(BalanceSheet, key, label, Item, end(&|r| value(r)));
    }
    push(
        BalanceSheet,
        "bs_ppe",
        "Net property, plant and equipment",
        Total,
        ppe.clone(),
    );
    push(
        BalanceSheet,
        "bs_assets",
        "Total assets",
        Total,
        add(&cash_end, &ppe),
    );
    push(
        BalanceSheet,
        "bs_deferred_revenue",
        "Deferred revenue",
        Item,
        deferred_revenue.clone(),
    );
    push(BalanceSheet, "bs_debt", "Debt", Item, debt.clone());
    push(
        BalanceSheet,
        "bs_liabilities",
        "Total liabilities",
        Total,
        add(&deferred_revenue, &debt),
    );
    push(
        BalanceSheet,
        "bs_paid_in",
        "Paid-in equity",
        Item,
        equity_at.clone(),
    );
    push(
        BalanceSheet,
        "bs_retained",
        "Retained earnings",
        Item,
        retained.clone(),
    );
    push(
        BalanceSheet,
        "bs_equity",
        "Total equity",
        Total,
        add(&equity_at, &retained),
    );
    push(
        BalanceSheet,
        "bs_liabilities_equity",
        "Total liabilities and equity",
        Total,
        add(&add(&deferred_revenue, &debt), &add(&equity_at, &retained)),
    );

    // Debt schedule.
    let interest = sum(&|r| r.interest_usd);
    let principal = sum(&|r| r.principal_usd);
    let service = sum(&|r| r.debt_service_usd);
    let cfads = sum(&|r| r.ebitda_usd - r.tax_usd);
    let opening: Vec<f64> = (0..chunks.len())
        .map(|i| if i == 0 { 0.0 } else { debt[i - 1] })
        .collect();
    let dscr: Vec<f64> = cfads
        .iter()
        .zip(&service)
        .map(|(c, s)| if *s > 0.0 { c / s } else { f64::NAN })
        .collect();
    push(Debt, "debt_opening", "Opening balance", Item, opening);
    push(Debt, "debt_drawn", "Draws", Item, drawn);
    push(
        Debt,
        "debt_principal",
        "Principal repaid",
        Item,
        neg(principal),
    );
    push(Debt, "debt_closing", "Closing balance", Total, debt);
    push(Debt, "debt_interest", "Interest", Item, interest);
    push(Debt, "debt_service", "Debt service", Total, service);
    push(
        Debt,
        "debt_cfads",
        "Cash flow available for debt service",
        Item,
        cfads,
    );
    push(Debt, "debt_dscr", "DSCR", Ratio, dscr);

    Statements {
        period,
        spans,
        lines,
    }
}

/// Sources and uses of funds from the scenario start to financial close.
pub fn sources_and_uses(rows: &[MonthRow]) -> SourcesUses {
    let equity = paid_in_equity(rows);
    let peak = equity.last().copied().unwrap_or(0.0);
    let close = if peak > 0.0 {
        equity.iter().position(|e| *e >= peak).unwrap_or(0)
    } else {
        rows.len().saturating_sub(1)
    };
    let upto = &rows[..(close + 1).min(rows.len())];
    let sum = |f: &dyn Fn(&MonthRow) -> f64| -> f64 { upto.iter().map(f).sum() };
    let prepayments = sum(&|r| r.prepayments_usd);
    // Operating cash before prepayments: EBITDA less the revenue recognised from prepayments
    // (its cash came in as a prepayment), plus equipment sold.
    let operating = sum(&|r| r.ebitda_usd - r.prepaid_revenue_usd + r.resale_usd);
    let cash_at_close = upto.last().map_or(0.0, |r| r.cash_usd) + peak;
    let mut sources = vec![
        ("Debt drawn", sum(&|r| r.debt_drawn_usd)),
        ("Equity paid in", peak),
        ("Customer prepayments", prepayments),
    ];
    let mut uses = vec![
        ("GPU servers", sum(&|r| r.capex_gpu_usd)),
        ("Network", sum(&|r| r.capex_network_usd)),
        ("Facility", sum(&|r| r.capex_facility_usd)),
        ("On-site energy", sum(&|r| r.capex_energy_usd)),
        ("Interest paid", sum(&|r| r.interest_usd)),
        ("Debt repaid", sum(&|r| r.principal_usd)),
        ("Income tax paid", sum(&|r| r.tax_usd)),
    ];
    // Operating cash before close is a source when positive, a use (start-up losses) otherwise.
    if operating >= 0.0 {
        sources.push(("Operating cash flow and equipment sales", operating));
    } else {
        uses.push(("Operating losses before close", -operating));
    }
    uses.push(("Cash at close", cash_at_close));
    SourcesUses {
        close_month: close as u32,
        sources,
        uses,
    }
}

/// The replication whose NPV is the median of `npvs` (the lower middle one of an even count),
/// by index into `npvs`; `None` when empty or when any NPV is not a number.
pub fn median_index(npvs: &[f64]) -> Option<usize> {
    if npvs.is_empty() || npvs.iter().any(|x| x.is_nan()) {
        return None;
    }
    let mut order: Vec<usize> = (0..npvs.len()).collect();
    order.sort_by(|a, b| npvs[*a].total_cmp(&npvs[*b]).then(a.cmp(b)));
    Some(order[(npvs.len() - 1) / 2])
}
