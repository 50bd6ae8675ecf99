//! The run report: headline answers, key risk table, charts, inputs and reproducibility.

use dcplan_sim::Kpi;
use dcplan_sim::LoadedScenario;
use dcplan_sim::columns::Format;
use dcplan_sim::labels::{Labeller, quality_tag, value_text};
use dcplan_sim::stats::Summary;

use crate::render::charts::RenderedChart;
use crate::render::doc::{Block, Doc};
use crate::render::format::{by_format, money, months, percent, price};
use crate::render::tables::VariantRuns;
use crate::store::manifest::Manifest;

/// KPIs that exist only when the scenario models them (water needs a cooling preset, not a
/// fixed PUE); the key table leaves them out otherwise.
pub(crate) const MODELLED_ONLY: &[Kpi] = &[Kpi::WueLPerKwh, Kpi::WaterM3];

/// KPIs shown in the key table, in its order (each row is labelled with the KPI's label).
pub(crate) const KEY_KPIS: &[Kpi] = &[
    Kpi::PaybackMonths,
    Kpi::FirstProfitMonths,
    Kpi::NpvUsd,
    Kpi::IrrFrac,
    Kpi::EquityIrrFrac,
    Kpi::PeakFundingUsd,
    Kpi::PeakEquityUsd,
    Kpi::MinDscr,
    Kpi::MinAnnualDscr,
    Kpi::BreakEvenPriceUsdPerGpuHour,
    Kpi::AllInCostUsdPerGpuHour,
    Kpi::RevenueUsd,
    Kpi::EbitdaUsd,
    Kpi::EbitdaMarginFrac,
    Kpi::OperatingMarginFrac,
    Kpi::NetMarginFrac,
    Kpi::CapexUsd,
    Kpi::UtilizationFrac,
    Kpi::UtilizationAvailableFrac,
    Kpi::UtilizationPowerFrac,
    Kpi::RealizedPriceUsdPerGpuHour,
    Kpi::RevenueReservedFrac,
    Kpi::UnmetRevenueUsd,
    Kpi::AvailabilityFrac,
    Kpi::RejectedFrac,
    Kpi::Failures,
    Kpi::DowntimeUnbilledUsd,
    Kpi::SlaCreditsUsd,
    Kpi::InventoryGpuMonths,
    Kpi::ResaleUsd,
    Kpi::EnergyCostUsd,
    Kpi::EnergyCostUsdPerMwh,
    Kpi::Pue,
    Kpi::WueLPerKwh,
    Kpi::WaterM3,
    Kpi::Tco2,
    Kpi::CfeFrac,
    Kpi::CappedHours,
    Kpi::RevenueLostToCapUsd,
];

/// Share of replications whose payback is at most `months` (a missing payback counts as never);
/// not a number when `months` reaches past the simulated horizon, where a payback not seen yet
/// may still come.
pub(crate) fn prob_payback_within(v: &VariantRuns, months: f64) -> f64 {
    let n = v.output.replications.len();
    if n == 0 || months > horizon_months(v) {
        return f64::NAN;
    }
    count_payback_within(v, months) as f64 / n as f64
}

/// Months simulated (the longest replication's).
pub(crate) fn horizon_months(v: &VariantRuns) -> f64 {
    v.output
        .replications
        .iter()
        .map(|r| r.months.len())
        .max()
        .unwrap_or(0) as f64
}

/// Replications that pay back within `months` (a missing payback counts as never).
pub(crate) fn count_payback_within(v: &VariantRuns, months: f64) -> usize {
    v.kpi(Kpi::PaybackMonths)
        .iter()
        .filter(|p| p.is_some_and(|m| m <= months))
        .count()
}

/// How many replications pay back within 36 and 60 months and within the horizon, as counts
/// with their shares, so that a share of 0 % reads as "0 of 200", not as certainty.
pub(crate) fn payback_counts(v: &VariantRuns) -> String {
    let n = v.output.replications.len();
    let horizon = horizon_months(v);
    let share = |c: usize| percent(c as f64 / n.max(1) as f64);
    let mut marks: Vec<f64> = [36.0, 60.0].into_iter().filter(|m| *m < horizon).collect();
    marks.push(horizon);
    let mut parts = Vec::new();
    for m in marks {
        let c = count_payback_within(v, m);
        let when = if m == horizon {
            format!("within the {}-month horizon", horizon as u64)
        } else {
            format!("within {m} months")
        };
        parts.push(if parts.is_empty() {
            format!("{when} in {c} of {n} replications ({})", share(c))
        } else {
            format!("{when} in {c} ({})", share(c))
        });
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("Payback {}.", parts.join(", "))
    }
}

/// Payback percentile where "never" sorts after every finite value.
pub(crate) fn payback_percentile(v: &VariantRuns, p: f64) -> Option<f64> {
    dcplan_sim::stats::percentile_never_last(&v.kpi(Kpi::PaybackMonths), p)
}

/// Headline sentences for one variant.
pub(crate) fn headlines(v: &VariantRuns, discount_rate: &str) -> Vec<String> {
    let npv = v.summary(Kpi::NpvUsd);
    let funding = v.summary(Kpi::PeakFundingUsd);
    let margin = v.summary(Kpi::EbitdaMarginFrac);
    let util = v.summary(Kpi::UtilizationFrac);
    let p_neg = {
        let vals = v.kpi(Kpi::NpvUsd);
        vals.iter().flatten().filter(|x| **x < 0.0).count() as f64 / vals.len().max(1) as f64
    };
    let mut out = vec![
        format!(
            "P50 payback {}; P10 {}, P90 {}. {}",
            months(payback_percentile(v, 0.5)),
            months(payback_percentile(v, 0.1)),
            months(payback_percentile(v, 0.9)),
            payback_counts(v)
        ),
        format!(
            "Project NPV at {discount_rate} (unlevered and pre-tax): P50 {} (P10 {}, P90 {}); {} chance that NPV is negative.",
            money(npv.p50),
            money(npv.p10),
            money(npv.p90),
            percent(p_neg)
        ),
        format!(
            "Peak funding need: P50 {}, P90 {}.",
            money(funding.p50),
            money(funding.p90)
        ),
        {
            let be = v.summary(Kpi::BreakEvenPriceUsdPerGpuHour);
            let cost = v.summary(Kpi::AllInCostUsdPerGpuHour);
            format!(
                "Break-even price (NPV = 0): P50 {} per sold GPU-hour (P10 {}, P90 {}); all-in cost P50 {}. {BREAK_EVEN_NOTE}",
                price(be.p50),
                price(be.p10),
                price(be.p90),
                price(cost.p50)
            )
        },
        format!(
            "EBITDA margin P50 {} (P10 {}, P90 {}); operating (EBIT) margin P50 {}; net margin P50 {}.",
            percent(margin.p50),
            percent(margin.p10),
            percent(margin.p90),
            percent(v.summary(Kpi::OperatingMarginFrac).p50),
            percent(v.summary(Kpi::NetMarginFrac).p50)
        ),
        format!(
            "Utilization (sold / installed GPU-hours): P50 {} (P10 {}, P90 {}).",
            percent(util.p50),
            percent(util.p10),
            percent(util.p90)
        ),
    ];
    // Financing, where the scenario borrows.
    let dscr = v.kpi(Kpi::MinDscr);
    let with_debt: Vec<f64> = dscr.iter().flatten().copied().collect();
    if !with_debt.is_empty() {
        let equity = v.summary(Kpi::EquityIrrFrac);
        let below = with_debt.iter().filter(|d| **d < 1.0).count() as f64 / with_debt.len() as f64;
        out.push(format!(
            "Financing: equity IRR (after debt service and taxes) P50 {} (P10 {}, P90 {}); the lowest monthly debt service coverage is P50 {:.2} and falls below 1.0 (cash flow short of debt service) in {} of replications.",
            percent(equity.p50),
            percent(equity.p10),
            percent(equity.p90),
            v.summary(Kpi::MinDscr).p50,
            percent(below)
        ));
    }
    out
}

/// What project free cash flow, NPV and IRR and equity IRR are (the conventions of
/// `dcplan_sim::model::finance`).
pub(crate) const FINANCE_NOTE: &str = "Project free cash flow, NPV and IRR are unlevered and pre-tax: free cash flow is EBITDA - capex + resale proceeds + customer prepayments received ahead of the revenue they pay for (less that revenue when it is recognised), before any debt flows and before income tax; NPV discounts it at the scenario's discount rate and adds the remaining book value of the assets at the end of the horizon when the scenario says so; IRR is the rate that makes the same flows' NPV zero. Equity IRR is after debt service and taxes: it is the IRR of equity cash flow (free cash flow + debt drawn - interest and principal paid - income tax paid) plus, at the end, the terminal value less the debt still outstanding.";

/// How a quantity that may never happen is summarised.
pub(crate) const NEVER_NOTE: &str = "Payback and the first month of positive net income count a replication that never reaches them within the horizon as later than any that does: their percentiles are over every replication (nearest rank) and read \"never\" where they fall among those replications; n says in how many replications they never happen (summary.csv: column share_never). Their mean and standard error are given only when every replication reaches them (n/a otherwise), because a mean over only the replications that pay back would flatter the build. Elsewhere, where n is below the number of replications, the statistics are over the replications in which the quantity exists (DSCR: those with debt). The Risk table gives the probabilities.";

/// What the break-even price assumes.
pub(crate) const BREAK_EVEN_NOTE: &str = "The break-even price assumes demand does not react to price: the same GPU-hours are sold at every price level, so it is the price that would be needed, not a price the market would necessarily pay.";

/// Where the energy model simplifies, for the scenarios given: the battery's foresight (when a
/// scenario has a battery) and the hourly demand-charge peak (when one has a demand charge).
pub(crate) fn energy_notes(scenarios: &[&dcplan_sim::Scenario]) -> Vec<String> {
    use dcplan_sim::scenario::BatteryDispatch;
    let mut notes = Vec::new();
    let batteries: Vec<&BatteryDispatch> = scenarios
        .iter()
        .filter_map(|s| s.energy.battery.as_ref().map(|b| &b.dispatch))
        .collect();
    if batteries
        .iter()
        .any(|d| matches!(d, BatteryDispatch::PriceArbitrage))
    {
        notes.push("Battery dispatch knows each day's hourly grid prices in advance: arbitrage charges in the day's cheapest hours and discharges in its dearest with perfect foresight, so its savings are more than the same rule run on forecasts would make (the rule itself is a heuristic, not the best possible schedule, which could save somewhat more). Where a demand charge applies, it also knows the month's peak grid draw without the battery and never charges above it.".into());
    }
    if batteries
        .iter()
        .any(|d| matches!(d, BatteryDispatch::PeakShaving(_)))
    {
        notes.push("Battery dispatch knows the month's load in advance: peak shaving aims at a share of the month's peak grid draw without the battery, known from the start of the month, so the demand charges it saves are an upper bound for a battery run on forecasts.".into());
    }
    let demand_charge = scenarios.iter().any(|s| {
        let d = &s.energy.demand_charge_usd_per_kw_month;
        !(d.is_fixed() && d.quantile(0.5) == 0.0)
    });
    if demand_charge {
        notes.push("Demand charges are billed on the month's highest hourly average grid draw, not on the 15-minute interval peak most tariffs meter, so they are somewhat understated where the load swings within an hour.".into());
    }
    // Without an hourly market price (a flat or time-of-use tariff), the tariff's price is the
    // one exports and a virtual PPA settle at.
    let retail_as_market = scenarios.iter().any(|s| {
        let e = &s.energy;
        matches!(
            e.tariff,
            dcplan_sim::scenario::Tariff::Flat { .. }
                | dcplan_sim::scenario::Tariff::TimeOfUse { .. }
        ) && ((e.export
            && (e.solar.is_some()
                || e.wind.is_some()
                || e.ppa.as_ref().is_some_and(|p| {
                    matches!(p.settlement, dcplan_sim::scenario::Settlement::Physical)
                })))
            || e.ppa
                .as_ref()
                .is_some_and(|p| matches!(p.settlement, dcplan_sim::scenario::Settlement::Virtual)))
    });
    if retail_as_market {
        notes.push("A flat or time-of-use tariff has no hourly market price, so the tariff's own price stands in for it: exported surplus is credited at the retail rate (net metering), and a virtual PPA settles against it. With a wholesale tariff (a market preset or an hourly price file) both use the hour's market price.".into());
    }
    if notes.is_empty() {
        notes.push("Energy cost is the grid energy bought hour by hour at the tariff, plus fixed charges and any on-site supply, with no battery and no demand charge in this scenario.".into());
    }
    notes.push(LCOE_NOTE.into());
    notes.push(SCOPE2_NOTE.into());
    notes
}

/// What the levelised cost of energy includes, beside the energy charges.
pub(crate) const LCOE_NOTE: &str = "Energy cost per MWh is what the site pays for electricity (grid energy and demand charges, PPA, fuel, fixed charges and the on-site assets' fixed O&M) per facility MWh. The levelised cost of energy adds the capital recovery of the on-site solar, wind, battery and gas: each asset's cost as a level monthly annuity, cost x i / (1 - (1 + i)^-n) at the monthly discount rate i over its life of n months (finance.depreciation_years.energy), in the months of its life within the horizon. A site without on-site assets has the two equal.";

/// How the two emission figures count grid electricity (GHG Protocol Scope 2 Guidance, 2015).
pub(crate) const SCOPE2_NOTE: &str = "Emissions follow the GHG Protocol Scope 2 Guidance (2015), both methods with on-site gas (Scope 1) added. Location-based: every grid kWh at the grid's hourly emission factor. Market-based, hourly matched: on-site generation and a physical PPA's delivered energy reduce the grid import of their hour, a virtual PPA's certificates cover at most the grid import of their own hour (no surplus moves to another hour), and the residual import carries the grid's hourly factor in place of a residual mix, which the scenario does not give (a residual mix is higher where others claim the clean energy, so this understates the market-based figure).";

/// The token economics of an inference build, where the scenario counts tokens
/// (`pricing.tokens`): tokens served, revenue and all-in cost per million tokens, and the tokens
/// per GPU-hour each SKU was counted at with where the figure comes from. Nothing otherwise.
pub(crate) fn token_section(loaded: &LoadedScenario, v: &VariantRuns) -> Vec<Block> {
    let s = &loaded.scenario;
    let Some(tokens) = &s.pricing.tokens else {
        return Vec::new();
    };
    let header = ["quantity", "P10", "P50", "P90", "mean"]
        .map(String::from)
        .to_vec();
    let rows = [
        Kpi::ServedTokens,
        Kpi::RevenueUsdPerMtok,
        Kpi::CostUsdPerMtok,
    ]
    .into_iter()
    .map(|k| {
        let x = v.summary(k);
        let f = |y: f64| by_format(k.format(), y);
        vec![
            k.label().to_string(),
            f(x.p10),
            f(x.p50),
            f(x.p90),
            f(x.mean),
        ]
    })
    .collect();
    let mut skus: Vec<&str> = s
        .fleet
        .iter()
        .map(|t| t.sku.as_str())
        .chain(s.lifecycle.refresh.iter().map(|r| r.sku.as_str()))
        .collect();
    skus.dedup();
    let rates: Vec<String> = skus
        .iter()
        .enumerate()
        .filter(|(i, sku)| !skus[..*i].contains(sku))
        .filter_map(|(_, sku)| {
            let t = dcplan_sim::scenario::tokens_per_gpu_hour(s, &loaded.catalog, sku)?;
            let whose = if tokens.per_gpu_hour.iter().any(|x| x.sku == *sku) {
                "the scenario's figure for its workload"
            } else {
                "the catalog's published benchmark: MLPerf Inference, Llama 2 70B, offline"
            };
            Some(format!(
                "{sku}: {} tokens per GPU-hour ({whose})",
                by_format(Format::Number, t)
            ))
        })
        .collect();
    vec![
        Block::Heading(2, "Token economics".into()),
        Block::Table { header, rows },
        Block::Para(format!(
            "Tokens served are the sold GPU-hours of each SKU times its tokens per GPU-hour: {}. Revenue per million tokens is revenue net of SLA credits over them; the all-in cost is opex including energy, depreciation and interest (as the all-in cost per GPU-hour). A benchmark rate is a throughput ceiling at full batch: a service with latency targets or another model generates fewer tokens per GPU-hour, and a GPU-hour sold is counted as generating tokens the whole hour.",
            rates.join("; ")
        )),
    ]
}

/// Energy cost of one variant: the totals over the horizon and per MWh across replications.
pub(crate) fn energy_table(v: &VariantRuns) -> Block {
    let header = ["quantity", "P10", "P50", "P90", "mean"]
        .map(String::from)
        .to_vec();
    let total = |f: fn(&dcplan_sim::results::MonthRow) -> f64| -> Vec<Option<f64>> {
        v.output
            .replications
            .iter()
            .map(|r| Some(r.months.iter().map(f).sum::<f64>()))
            .collect()
    };
    let kpi = |k: Kpi| (k.label(), k.format(), v.summary(k));
    let rows: Vec<(&str, Format, Summary)> = vec![
        // Label override: the KPI's label is "Energy cost"; this table has always said over
        // what.
        (
            "Energy cost over the horizon",
            Kpi::EnergyCostUsd.format(),
            v.summary(Kpi::EnergyCostUsd),
        ),
        kpi(Kpi::EnergyCostUsdPerMwh),
        kpi(Kpi::LcoeUsdPerMwh),
        (
            "Capital recovery of on-site energy assets",
            Format::Money,
            dcplan_sim::stats::summarize(&total(|m| m.energy_capex_annuity_usd)),
        ),
        // Totals over the horizon of the monthly columns grid_energy_usd and demand_charge_usd
        // (money, like every `_usd` column).
        (
            "Grid energy charges",
            Format::Money,
            dcplan_sim::stats::summarize(&total(|m| m.grid_energy_usd)),
        ),
        (
            "Demand charges",
            Format::Money,
            dcplan_sim::stats::summarize(&total(|m| m.demand_charge_usd)),
        ),
        kpi(Kpi::EnergyMwh),
        (
            "Emissions, location-based (grid) and gas, tCO2",
            Kpi::Tco2.format(),
            v.summary(Kpi::Tco2),
        ),
        kpi(Kpi::MarketTco2),
    ];
    let rows = rows
        .into_iter()
        .map(|(label, format, s)| {
            vec![
                label.to_string(),
                by_format(format, s.p10),
                by_format(format, s.p50),
                by_format(format, s.p90),
                by_format(format, s.mean),
            ]
        })
        .collect();
    Block::Table { header, rows }
}

/// The executive summary: the answers a founder or investor asks first, each number once (the
/// key results table carries the detail): the verdict, P50 NPV with its P10-P90 range, payback,
/// peak funding, the main risk and the inputs that move NPV most (`key`, ranked).
pub(crate) fn executive_summary(
    loaded: &LoadedScenario,
    v: &VariantRuns,
    key: &[KeyRow],
) -> String {
    let horizon = loaded.scenario.simulation.horizon_months;
    let n = v.output.replications.len();
    let npv = v.summary(Kpi::NpvUsd);
    let funding = v.summary(Kpi::PeakFundingUsd);
    let p_neg = {
        let vals = v.kpi(Kpi::NpvUsd);
        vals.iter().flatten().filter(|x| **x < 0.0).count() as f64 / vals.len().max(1) as f64
    };
    let verdict = if npv.p50 >= 0.0 && p_neg <= 0.2 {
        "The build creates value in most simulated futures."
    } else if npv.p50 >= 0.0 {
        "The build creates value in the median case, with a material chance of destroying it."
    } else if p_neg <= 0.8 {
        "The build destroys value in the median case; it pays only in the better futures."
    } else {
        "The build destroys value in almost every simulated future; change the plan before committing capital."
    };
    let within = count_payback_within(v, horizon as f64);
    let payback = match payback_percentile(v, 0.5) {
        Some(m) => format!(
            "P50 payback {}; {within} of {n} replications pay back within the {horizon}-month horizon",
            months(Some(m))
        ),
        None => format!(
            "P50 payback beyond the {horizon}-month horizon: {within} of {n} replications pay back within it"
        ),
    };
    let cvar = crate::render::tables::risk_rows(v)
        .into_iter()
        .find(|(name, _)| name == "cvar5_npv_usd")
        .map(|(_, (x, _))| x);
    let mut risk = format!("NPV is negative in {} of replications", percent(p_neg));
    if let Some(c) = cvar.filter(|c| c.is_finite()) {
        risk.push_str(&format!(", and the worst 5 % average {}", money(c)));
    }
    let with_debt: Vec<f64> = v.kpi(Kpi::MinDscr).into_iter().flatten().collect();
    let short = with_debt.iter().filter(|d| **d < 1.0).count();
    if short > 0 {
        risk.push_str(&format!(
            "; cash flow falls short of debt service (DSCR below 1.0) in {} of the replications with debt",
            percent(short as f64 / with_debt.len() as f64)
        ));
    }
    let named: Vec<String> = key
        .iter()
        .filter(|r| r.moves_npv)
        .take(3)
        .map(|r| format!("{} ({})", r.label, r.influence))
        .collect();
    let drivers = match named.len() {
        0 => String::new(),
        1 => format!(" The input that moves NPV most: {}.", named[0]),
        _ => format!(" The inputs that move NPV most: {}.", join_and(&named)),
    };
    format!(
        "{verdict} Project NPV (unlevered, pre-tax, at {}): P50 {}, P10 {} to P90 {}. {payback}. Peak funding need P50 {}. Main risk: {risk}.{drivers}",
        discount_text(&loaded.scenario),
        money(npv.p50),
        money(npv.p10),
        money(npv.p90),
        money(funding.p50),
    )
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// One row of the key-assumptions table: an input that moves NPV, with its measure of influence.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct KeyRow {
    /// Human label.
    pub label: String,
    /// Value or distribution.
    pub value: String,
    /// Unit.
    pub unit: String,
    /// Quality tag of its source (P, S, E, D, `default`).
    pub quality: String,
    /// Influence on NPV, e.g. `rank correlation +0.62` or `NPV swing $12.3M`.
    pub influence: String,
    /// Field path.
    pub path: String,
    /// Whether the run shows the input moving NPV: a measured swing, or a rank correlation
    /// beyond two of its standard errors from 0 (a fixed input, or a correlation the
    /// replications cannot tell from 0, is listed but never named as moving NPV).
    pub moves_npv: bool,
}

/// Rows shown in the key-assumptions table at most.
pub(crate) const KEY_ROWS: usize = 15;

/// Rows the key-assumptions table fills with fixed inputs when fewer uncertain inputs exist.
const KEY_ROWS_MIN: usize = 10;

/// Fixed inputs by the weight they carry directly in the cash flows (what they multiply), in
/// order: `(field path ending, what it weighs on)`.
const DIRECT_WEIGHT: &[(&str, &str)] = &[
    ("price_usd_per_gpu", "GPU capex"),
    ("].gpus", "fleet size"),
    ("on_demand_usd_per_gpu_hour", "revenue per GPU-hour"),
    ("price_usd_per_gpu_hour", "contract revenue"),
    ("price_usd_per_kwh", "energy cost"),
    ("capex_usd_per_mw", "facility capex"),
    ("discount_rate_frac", "discounting"),
    ("arrivals_per_day", "demand"),
    ("growth_per_year_frac", "demand"),
    ("decline_per_year_frac", "price trend"),
    ("reserved_discount_frac", "contract revenue"),
    ("network_usd_per_node", "network capex"),
    ("site.pue", "energy use"),
    ("it_overhead_frac", "energy use"),
    ("rate_frac", "interest"),
    ("staff_usd_per_mw_year", "opex"),
    ("tax.rate_frac", "tax"),
];

/// The assumption row describing the input drawn at `path` (a `param:` column without its
/// prefix): the row of the same path, of the field the path names a variant of, or, for a
/// tranche's GPU price left to the catalog, the catalog entry's row.
pub(crate) fn assumption_for<'a>(
    rows: &'a [Assumption],
    s: &dcplan_sim::Scenario,
    path: &str,
) -> Option<&'a Assumption> {
    rows.iter()
        .find(|a| a.path == path)
        .or_else(|| {
            rows.iter()
                .find(|a| path.starts_with(&format!("{}.", a.path)))
        })
        .or_else(|| {
            let rest = path.strip_prefix("fleet[")?;
            let (i, field) = rest.split_once("].")?;
            let sku = &s.fleet.get(i.parse::<usize>().ok()?)?.sku;
            let catalog = format!("catalog gpus {sku}.{field}");
            rows.iter().find(|a| a.path == catalog)
        })
}

/// A value of the input at `path` with its unit: money and percentages as formatted, prices
/// with their unit's denominator (`$2.95/GPU-hour`), other numbers followed by the unit
/// (`50,000 USD/node`, `3.2 months`).
pub(crate) fn input_value(path: &str, x: f64, unit: &str) -> String {
    // A whole value of an input (a count of GPUs, a month) without decimals it does not have.
    let whole = x.fract() == 0.0 && x.abs() < 1000.0 && Format::for_name(path) == Format::Number;
    let text = if whole {
        format!("{}", x + 0.0)
    } else {
        crate::render::format::by_column(path, x)
    };
    if !x.is_finite() || unit.is_empty() {
        return text;
    }
    match Format::for_name(path) {
        Format::Money | Format::Percent => text,
        Format::Price => match unit.strip_prefix("USD") {
            Some(per) => format!("{text}{per}"),
            None => text,
        },
        _ if unit == "fraction" => percent(x),
        _ if unit == "ratio" => text,
        _ => format!("{text} {unit}"),
    }
}

/// Rank correlation (Spearman) of each uncertain input's drawn values with NPV across the
/// replications, strongest first; inputs that did not vary or too few replications give none.
pub(crate) fn npv_rank_correlations(v: &VariantRuns) -> Vec<(String, f64)> {
    let Some(first) = v.output.replications.first() else {
        return Vec::new();
    };
    let npv = v.kpi(Kpi::NpvUsd);
    let mut out: Vec<(String, f64)> = first
        .params
        .iter()
        .filter_map(|(path, _)| {
            let (xs, ys): (Vec<f64>, Vec<f64>) = v
                .output
                .replications
                .iter()
                .zip(&npv)
                .filter_map(|(r, y)| {
                    let x = r.params.iter().find(|(p, _)| p == path).map(|(_, x)| *x)?;
                    Some((x, (*y)?))
                })
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .unzip();
            let rho = dcplan_sim::correlation::spearman(&xs, &ys)?;
            rho.is_finite().then(|| (path.clone(), rho))
        })
        .collect();
    out.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    out
}

/// The key assumptions of a run: the uncertain inputs ranked by the rank correlation of their
/// draws with NPV, then, when fewer than ten are uncertain, the fixed inputs with the largest
/// direct weight. Returns the rows and the sentence that says how they were ranked.
pub(crate) fn run_key_assumptions(
    loaded: &LoadedScenario,
    v: &VariantRuns,
) -> (Vec<KeyRow>, String) {
    let rows = assumptions(loaded);
    let labels = Labeller::new(&loaded.scenario);
    let n = v.output.replications.len();
    // Two standard errors of a rank correlation of 0 (no correlation can be told from 0 with
    // fewer than three replications).
    let noise = if n >= 3 {
        2.0 / ((n - 1) as f64).sqrt()
    } else {
        f64::INFINITY
    };
    let mut key: Vec<KeyRow> = npv_rank_correlations(v)
        .into_iter()
        .take(KEY_ROWS)
        .map(|(path, rho)| {
            let a = assumption_for(&rows, &loaded.scenario, &path);
            let label = labels.input(&path);
            KeyRow {
                label: label.label,
                value: a.map_or_else(
                    || "drawn per replication".into(),
                    |a| {
                        if a.distribution == "fixed" {
                            a.value.clone()
                        } else {
                            a.distribution.clone()
                        }
                    },
                ),
                unit: a.map_or(label.unit, |a| a.unit.clone()),
                quality: a.map(|a| a.quality.clone()).unwrap_or_default(),
                influence: format!("rank correlation {rho:+.2}"),
                path,
                moves_npv: rho.abs() > noise,
            }
        })
        .collect();
    let uncertain = key.len();
    for (ending, weight) in DIRECT_WEIGHT {
        for a in rows.iter().filter(|a| {
            a.distribution == "fixed"
                && a.path.ends_with(ending)
                && !a.path.starts_with("input file")
        }) {
            if key.len() >= KEY_ROWS_MIN {
                break;
            }
            if key.iter().any(|k| k.path == a.path || k.label == a.label) {
                continue;
            }
            key.push(KeyRow {
                label: a.label.clone(),
                value: a.value.clone(),
                unit: a.unit.clone(),
                quality: a.quality.clone(),
                influence: format!("fixed; weighs directly on {weight}"),
                path: a.path.clone(),
                moves_npv: false,
            });
        }
    }
    let mut method = format!(
        "Uncertain inputs are ranked by the rank correlation (Spearman) of the values drawn for them with NPV across the {n} replications: the sign says whether NPV rises or falls with the input, and near 0 means the input hardly moves NPV{}.",
        match n {
            0..=2 => String::new(),
            // Two standard errors of a correlation of 0 reach 1 and more: no correlation at all
            // can be told from 0.
            3..=5 => format!(
                " (with only {n} replications, no correlation can be told from 0: two standard errors, {:.2}, reach the largest possible, 1)",
                2.0 / ((n - 1) as f64).sqrt()
            ),
            _ => format!(
                " (with {n} replications, a correlation within ±{:.2}, two standard errors, cannot be told from 0)",
                2.0 / ((n - 1) as f64).sqrt()
            ),
        }
    );
    if key.len() > uncertain {
        method.push_str(" Fixed inputs, which cannot correlate, follow in the order of the cash flows they weigh on directly (capex, revenue, energy, discounting, demand).");
    }
    method.push_str(" Every input is listed under Assumptions.");
    (key, method)
}

/// The key-assumptions section: a one-screen table of the inputs that move NPV most, with the
/// sentence that says how they were ranked.
pub(crate) fn key_assumptions_blocks(key: &[KeyRow], method: &str) -> Vec<Block> {
    if key.is_empty() {
        return Vec::new();
    }
    vec![
        Block::Heading(1, "Key assumptions".into()),
        Block::Table {
            header: [
                "input",
                "value or distribution",
                "unit",
                "quality",
                "influence on NPV",
            ]
            .map(String::from)
            .to_vec(),
            rows: key
                .iter()
                .map(|k| {
                    vec![
                        k.label.clone(),
                        k.value.clone(),
                        k.unit.clone(),
                        k.quality.clone(),
                        k.influence.clone(),
                    ]
                })
                .collect(),
        },
        Block::Para(format!(
            "{method} Quality of the source: P primary, S secondary, E estimate, D derived, default for dcplan's defaults."
        )),
    ]
}

/// One row of the assumptions table.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Assumption {
    /// Field path (catalog entries: `catalog gpus H100-SXM.field`).
    pub path: String,
    /// Human label (`dcplan_sim::labels`).
    pub label: String,
    /// Value for readers: the number, name or switch; the median of a distribution.
    pub value: String,
    /// The distribution as written, or `fixed`.
    pub distribution: String,
    /// Unit of the value (empty for names and pure numbers).
    pub unit: String,
    /// Source, from the comment on its line.
    pub source: String,
    /// Quality tag: P primary, S secondary, E estimate, D derived (from the source comment),
    /// `default` for dcplan's defaults, empty when the source gives none.
    pub quality: String,
}

impl Assumption {
    /// A row for the input at `path` written as `raw`, labelled by `labels`.
    fn new(
        labels: &Labeller,
        path: String,
        raw: &str,
        source: String,
        default: bool,
    ) -> Assumption {
        let label = labels.input(&path);
        let mut v = value_text(raw);
        // Calendar years read as written (2027, not 2,027).
        if path.ends_with("year") && raw.trim().parse::<u32>().is_ok() {
            v.value = raw.trim().to_string();
        }
        let quality = if default {
            "default".to_string()
        } else {
            quality_tag(&source).to_string()
        };
        Assumption {
            label: label.label,
            value: v.value,
            distribution: v.distribution,
            unit: v.unit.map_or(label.unit, str::to_string),
            source,
            quality,
            path,
        }
    }
}

/// Every input of a scenario with its value or distribution and its source: the values written
/// in the scenario (source: their comment), the fields left to their defaults, and the catalog
/// entries the scenario uses (source: the catalog file's comments).
pub(crate) fn assumptions(loaded: &LoadedScenario) -> Vec<Assumption> {
    use dcplan_sim::scenario::ron_text;
    let labels = Labeller::new(&loaded.scenario);
    let written = ron_text::leaves(&loaded.source_text);
    let mut rows: Vec<Assumption> = written
        .iter()
        .filter(|l| !l.path.starts_with("sweep") && !l.path.starts_with("optimize"))
        .map(|l| {
            let source = if l.comment.is_empty() {
                "as written in the scenario".into()
            } else {
                l.comment.clone()
            };
            Assumption::new(&labels, l.path.clone(), &l.value, source, false)
        })
        .collect();
    let config =
        ron::ser::PrettyConfig::default().extensions(ron::extensions::Extensions::IMPLICIT_SOME);
    if let Ok(full) = ron::ser::to_string_pretty(&loaded.scenario, config) {
        // A default is covered where the scenario wrote its field or a field that holds it: the
        // path itself or one of its prefixes up to a `.` or a `[` (a set, so that a scenario of
        // thousands of fields takes no longer than a look-up per prefix).
        let written_paths: std::collections::HashSet<&str> =
            written.iter().map(|w| w.path.as_str()).collect();
        for l in ron_text::leaves(&full) {
            let covered = written_paths.contains(l.path.as_str())
                || l.path
                    .match_indices(['.', '['])
                    .any(|(i, _)| written_paths.contains(&l.path[..i]));
            if !covered
                && !l.path.starts_with("sweep")
                && !l.path.starts_with("optimize")
                && l.value != "None"
                && l.value != "[]"
            {
                rows.push(Assumption::new(
                    &labels,
                    l.path,
                    &l.value,
                    "dcplan default (not written in the scenario)".into(),
                    true,
                ));
            }
        }
    }
    // Catalog entries in use.
    let s = &loaded.scenario;
    let mut used: Vec<(&str, &str, String)> = Vec::new(); // (catalog, file text, entry name)
    for t in &s.fleet {
        used.push(("gpus", dcplan_sim::catalog::GPUS_RON, t.sku.clone()));
    }
    used.push((
        "climates",
        dcplan_sim::catalog::CLIMATES_RON,
        s.site.climate.clone(),
    ));
    if let Some(c) = &s.site.cooling {
        used.push(("cooling", dcplan_sim::catalog::COOLING_RON, c.clone()));
    }
    if let dcplan_sim::scenario::Tariff::Market { preset, .. } = &s.energy.tariff {
        used.push(("tariffs", dcplan_sim::catalog::TARIFFS_RON, preset.clone()));
    }
    // Each catalog entry once, in order of first use.
    let mut seen = std::collections::HashSet::new();
    used.retain(|(catalog, _, entry)| seen.insert((*catalog, entry.clone())));
    for (catalog, text, entry) in used {
        let leaves = ron_text::leaves(text);
        let Some(index) = leaves
            .iter()
            .find(|l| l.path.ends_with("].name") && l.value.trim_matches('"') == entry)
            .map(|l| l.path.trim_end_matches(".name").to_string())
        else {
            continue;
        };
        // An entry's `source_date` dates its sources; `dcplan catalog` shows it.
        for l in leaves.iter().filter(|l| {
            l.path.starts_with(&format!("{index}."))
                && !l.path.ends_with(".name")
                && !l.path.contains(".source_date")
        }) {
            let field = &l.path[index.len() + 1..];
            let source = if l.comment.is_empty() {
                format!("scenarios/catalog/{catalog}.ron")
            } else {
                l.comment.clone()
            };
            rows.push(Assumption::new(
                &labels,
                format!("catalog {catalog} {entry}.{field}"),
                &l.value,
                source,
                false,
            ));
        }
    }
    // The external files the scenario read, each with its hash and the copy the folder carries.
    for f in &loaded.inputs {
        let noted = written
            .iter()
            .find(|l| l.value.trim_matches('"') == f.path && !l.comment.is_empty())
            .map(|l| l.comment.clone());
        let header = std::str::from_utf8(&f.bytes)
            .ok()
            .and_then(|t| t.lines().next())
            .filter(|l| l.starts_with('#'))
            .map(|l| {
                l.trim_start_matches('#')
                    .trim()
                    .chars()
                    .take(200)
                    .collect::<String>()
            });
        let copy = crate::store::manifest::input_name(crate::store::manifest::INPUTS_DIR, &f.path);
        let source = [noted, header]
            .into_iter()
            .flatten()
            .chain([format!("copied to {copy}")])
            .collect::<Vec<_>>()
            .join("; ");
        let path = format!("input file {}", f.field);
        let label = labels.input(&path);
        rows.push(Assumption {
            label: label.label,
            value: format!(
                "{} ({} bytes, {})",
                f.path,
                f.bytes.len(),
                crate::store::manifest::hash_bytes(&f.bytes)
            ),
            distribution: "fixed".into(),
            unit: String::new(),
            quality: quality_tag(&source).to_string(),
            source,
            path,
        });
    }
    rows
}

/// Column headers of the assumptions table (the workbook's assumptions sheet has the same).
pub(crate) const ASSUMPTION_COLUMNS: [&str; 7] = [
    "input",
    "value",
    "distribution",
    "unit",
    "source",
    "quality",
    "field path",
];

/// The assumptions as a table: label first, the field path last (for analysts).
pub(crate) fn assumptions_table(loaded: &LoadedScenario) -> Block {
    let rows = assumptions(loaded)
        .into_iter()
        .map(|a| {
            vec![
                a.label,
                a.value,
                a.distribution,
                a.unit,
                a.source,
                a.quality,
                a.path,
            ]
        })
        .collect();
    Block::Table {
        header: ASSUMPTION_COLUMNS.map(String::from).to_vec(),
        rows,
    }
}

/// The rank correlations a scenario asks between uncertain inputs, with the rank correlation of
/// the values the run drew (Spearman's rho across its replications), or nothing without any.
pub(crate) fn correlation_blocks(loaded: &LoadedScenario, v: &VariantRuns) -> Vec<Block> {
    let list = &loaded.scenario.correlations;
    if list.is_empty() {
        return Vec::new();
    }
    let drawn = |path: &str| -> Vec<f64> {
        v.output
            .replications
            .iter()
            .filter_map(|r| r.params.iter().find(|(p, _)| p == path).map(|(_, x)| *x))
            .collect()
    };
    let how = match loaded.scenario.simulation.sampling {
        dcplan_sim::scenario::Sampling::Random => format!(
            "the independent draws are reordered across replications in blocks of {}",
            dcplan_sim::correlation::BLOCK
        ),
        dcplan_sim::scenario::Sampling::LatinHypercube => {
            "the strata of the Latin hypercube design are reordered across all replications".into()
        }
    };
    let labels = Labeller::new(&loaded.scenario);
    let rows = list
        .iter()
        .map(|c| {
            let (a, b) = (drawn(&c.a), drawn(&c.b));
            let sample = dcplan_sim::correlation::spearman(&a, &b)
                .map_or("n/a".to_string(), |rho| format!("{rho:.2}"));
            vec![
                labels.input(&c.a).label,
                labels.input(&c.b).label,
                format!("{:.2}", c.rank),
                sample,
            ]
        })
        .collect();
    vec![
        Block::Heading(2, "Correlated inputs".into()),
        Block::Para(format!(
            "Uncertain inputs are drawn independently except these pairs, given rank correlations by the Iman-Conover method: {how}, so each input keeps its distribution. The sample column is the rank correlation of the values this run drew; it differs from the one asked by sampling noise (n/a: fewer than three replications, or an input that did not vary). Sensitivity runs (one input at a time at its P10 and P90) do not apply them."
        )),
        Block::Table {
            header: vec![
                "input".into(),
                "with input".into(),
                "rank correlation asked".into(),
                "sample".into(),
            ],
            rows,
        },
    ]
}

/// The three margins side by side, named exactly.
pub(crate) fn margin_table(v: &VariantRuns) -> Block {
    let header = ["margin", "what it is", "P10", "P50", "P90", "mean"]
        .map(String::from)
        .to_vec();
    let rows = [
        (
            Kpi::EbitdaMarginFrac.label(),
            "(revenue - operating costs) / revenue",
            Kpi::EbitdaMarginFrac,
        ),
        // Label override: the KPI's label is "Operating (EBIT) margin"; beside its definition
        // here the table names it "Operating margin".
        (
            "Operating margin",
            "EBIT / revenue: also after depreciation and gains on resale",
            Kpi::OperatingMarginFrac,
        ),
        (
            Kpi::NetMarginFrac.label(),
            "net income / revenue: also after interest and tax",
            Kpi::NetMarginFrac,
        ),
    ]
    .iter()
    .map(|&(name, what, kpi)| {
        let s = v.summary(kpi);
        vec![
            name.to_string(),
            what.to_string(),
            percent(s.p10),
            percent(s.p50),
            percent(s.p90),
            percent(s.mean),
        ]
    })
    .collect();
    Block::Table { header, rows }
}

/// Risk statistics of one variant.
pub(crate) fn risk_table(v: &VariantRuns) -> Block {
    let header = ["statistic", "value", "std. error"]
        .map(String::from)
        .to_vec();
    let rows = crate::render::tables::risk_rows(v)
        .into_iter()
        .map(|(name, (x, se))| {
            let label = risk_label(&name);
            let (value, err) = if name.ends_with("_usd") {
                (money(x), String::new())
            } else if !x.is_finite() && name.starts_with("p_payback_within_") {
                (
                    format!("n/a (past the {}-month horizon)", horizon_months(v)),
                    String::new(),
                )
            } else {
                (
                    percent(x),
                    if se.is_finite() {
                        percent(se)
                    } else {
                        String::new()
                    },
                )
            };
            vec![label, value, err]
        })
        .collect();
    Block::Table { header, rows }
}

/// The label of a risk statistic (`crate::render::tables::risk_rows`).
pub(crate) fn risk_label(name: &str) -> String {
    match name {
        "p_npv_negative" => "Probability that NPV < 0".to_string(),
        "cvar5_npv_usd" => "CVaR 5 % of NPV (mean of the worst 5 % of replications)".to_string(),
        other => other
            .strip_prefix("p_payback_within_")
            .and_then(|m| m.strip_suffix("_months"))
            .map(|m| format!("Probability of payback within {m} months"))
            .unwrap_or(other.to_string()),
    }
}

/// The key risk table of one variant: mean +- standard error and percentiles for each key KPI.
pub(crate) fn key_table(v: &VariantRuns) -> Block {
    let header = [
        "KPI",
        "mean",
        "std. error",
        "P5",
        "P10",
        "P50",
        "P90",
        "P95",
        "n",
    ]
    .map(String::from)
    .to_vec();
    let rows = KEY_KPIS
        .iter()
        .filter(|k| !MODELLED_ONLY.contains(k) || v.summary(**k).n > 0)
        .map(|&k| {
            // A time until an event that may never happen is summarised over every replication,
            // "never" later than any month (`never` in a percentile); it has no mean unless every
            // replication reaches it.
            let s: Summary = v.summary(k);
            let f = |x: f64| by_format(k.format(), x);
            let n = if k.may_not_happen() {
                format!("{} (never in {})", s.n_total, s.n_never)
            } else if s.n < s.n_total {
                format!("{} of {}", s.n, s.n_total)
            } else {
                s.n.to_string()
            };
            let (mean, se) = if s.n_never > 0 {
                (
                    crate::render::comparison::mean_text(k.column(), &s),
                    "n/a".to_string(),
                )
            } else {
                (f(s.mean), f(s.se))
            };
            vec![
                k.label().to_string(),
                mean,
                se,
                f(s.p5),
                f(s.p10),
                f(s.p50),
                f(s.p90),
                f(s.p95),
                n,
            ]
        })
        .collect();
    Block::Table { header, rows }
}

fn chart_block(c: &RenderedChart) -> Block {
    Block::Chart {
        title: c.title.clone(),
        caption: c.caption.clone(),
        svg: c.svg.clone(),
        png: format!("{}.png", c.name),
    }
}

/// The discount rate in words: `12.0 %`, or the distribution when it is uncertain.
pub(crate) fn discount_text(s: &dcplan_sim::Scenario) -> String {
    let d = &s.finance.discount_rate_frac;
    if d.is_fixed() {
        percent(d.quantile(0.5))
    } else {
        format!("a discount rate of {}", d.describe())
    }
}

/// The scenario file as run, folded under its name and path.
pub(crate) fn scenario_source(loaded: &LoadedScenario) -> Block {
    Block::Details(
        format!("{} ({})", loaded.scenario.name, loaded.file),
        vec![Block::Code(loaded.source_text.clone())],
    )
}

/// The reproducibility block: what it takes to get the same tables again.
pub(crate) fn reproducibility(manifest: &Manifest, replications: &str) -> Vec<Block> {
    vec![
        Block::Heading(1, "Reproducibility".into()),
        Block::Table {
            header: vec!["item".into(), "value".into()],
            rows: vec![
                vec!["dcplan version".into(), manifest.dcplan_version.clone()],
                vec!["git revision".into(), manifest.git_revision.clone()],
                vec!["scenario".into(), manifest.scenario_file.clone()],
                vec!["scenario hash".into(), manifest.scenario_hash.clone()],
                vec!["seed".into(), manifest.seed.to_string()],
                vec![replications.into(), manifest.replications.to_string()],
                vec!["command line".into(), manifest.command_line.clone()],
                vec!["started".into(), manifest.started_utc.clone()],
            ],
        },
    ]
}

/// The whole report of a single-scenario run.
pub(crate) fn run_report(
    loaded: &LoadedScenario,
    v: &VariantRuns,
    charts: &[RenderedChart],
    manifest: &Manifest,
    precision: Option<&str>,
) -> Doc {
    let s = &loaded.scenario;
    let gpus: u64 = s.fleet.iter().map(|t| t.gpus as u64).sum();
    let (key, method) = run_key_assumptions(loaded, v);
    let mut blocks = title_block(loaded, manifest);
    blocks.extend([
        Block::Para(
            format!(
                "{}. {} GPUs over {} months from {}; {} replications, seed {}.",
                if s.description.is_empty() {
                    s.name.clone()
                } else {
                    s.description.trim_end_matches('.').to_string()
                },
                crate::render::format::thousands(gpus as f64),
                s.simulation.horizon_months,
                s.simulation.start,
                v.output.replications.len(),
                manifest.seed
            ) + &precision
                .map(|p| format!(" {}.", sentence_case(p)))
                .unwrap_or_default(),
        ),
        Block::Heading(1, "Executive summary".into()),
        Block::Para(executive_summary(loaded, v, &key)),
    ]);
    if !v.output.failures.is_empty() {
        blocks.push(Block::Para(format!(
            "{} replication(s) failed and are excluded; the manifest lists their seeds and messages.",
            v.output.failures.len()
        )));
    }
    blocks.push(Block::Heading(1, "Key results".into()));
    blocks.push(Block::Para(format!(
        "Money in US dollars over the whole horizon. {FINANCE_NOTE}"
    )));
    blocks.push(key_table(v));
    blocks.push(Block::Para(format!("{NEVER_NOTE} {BREAK_EVEN_NOTE}")));
    blocks.push(Block::Heading(2, "Margins".into()));
    blocks.push(Block::Para(
        "Published margins differ by which one they mean: CoreWeave's quarterly releases show an adjusted EBITDA margin of 61-65 % (2024-25) beside a GAAP operating margin of 2-4 % (Q2-Q3 2025) and a net margin of -8 % to -24 % (2025). The three margins here are computed from the same ledger.".into(),
    ));
    blocks.push(margin_table(v));
    blocks.push(Block::Heading(2, "Risk".into()));
    blocks.push(risk_table(v));
    blocks.push(Block::Heading(2, "Energy cost".into()));
    blocks.push(energy_table(v));
    blocks.push(Block::Bullets(energy_notes(std::slice::from_ref(
        &&loaded.scenario,
    ))));
    blocks.extend(token_section(loaded, v));
    blocks.extend(key_assumptions_blocks(&key, &method));
    blocks.push(Block::Heading(1, "Charts".into()));
    blocks.extend(charts.iter().map(chart_block));
    blocks.extend(crate::render::proforma::report_blocks(v));
    blocks.push(Block::Heading(1, "Assumptions".into()));
    blocks.push(Block::Para(format!(
        "Every input of {} with its value or distribution, unit and source: the values written in the scenario (sources from their comments, with their quality: P primary, S secondary, E estimate, D derived), the fields left to dcplan's defaults (quality: default), and the catalog entries the scenario uses. The value of an uncertain input is its median. The field path (last column) names the input in the scenario file and in runs.parquet, whose columns param:<field path> hold the values drawn in each replication. Distributions are written Uniform(low, high), Triangular(min, mode, max), Pert(min, mode, max), Normal(mean, sd), LogNormal(median, P90), Exponential(mean), Pareto(minimum, shape) and Discrete([(value, weight), ...]); Hours(...) and Months(...) give a duration's unit.",
        loaded.file
    )));
    blocks.push(assumptions_table(loaded));
    blocks.extend(correlation_blocks(loaded, v));
    blocks.push(Block::Details(
        "Scenario file as run".into(),
        vec![Block::Code(loaded.source_text.clone())],
    ));
    blocks.extend(reproducibility(manifest, "replications"));
    Doc {
        title: s
            .title
            .clone()
            .unwrap_or_else(|| format!("dcplan report: {}", s.name)),
        blocks,
    }
}

/// `text` with its first letter in upper case.
fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The disclaimer printed under the title block when the scenario gives none.
pub(crate) const DEFAULT_DISCLAIMER: &str = "This report presents simulated outcomes of the inputs listed under Assumptions. It is not a forecast, an appraisal or investment advice: the results are only as good as those inputs and the model's simplifications (see the README and ARCHITECTURE.md), and the ranges describe the uncertainty the inputs state, not every risk. Replace this text with the scenario's `disclaimer` field.";

/// The title block: the project, the scenario, when and with which dcplan it was prepared, and
/// the disclaimer.
fn title_block(loaded: &LoadedScenario, manifest: &Manifest) -> Vec<Block> {
    let s = &loaded.scenario;
    let date = manifest.started_utc.get(..10).unwrap_or("").to_string();
    vec![
        Block::Table {
            header: vec![
                "project".into(),
                s.title.clone().unwrap_or_else(|| s.name.clone()),
            ],
            rows: vec![
                vec!["scenario".into(), format!("{} ({})", s.name, loaded.file)],
                vec!["prepared".into(), date],
                vec!["dcplan version".into(), manifest.dcplan_version.clone()],
            ],
        },
        Block::Para(
            s.disclaimer
                .clone()
                .unwrap_or_else(|| DEFAULT_DISCLAIMER.to_string()),
        ),
    ]
}

/// The report of a comparison of variants run with common random numbers (the scenarios of
/// `dcplan compare` or the variants of a sweep). `what` names them ("3 scenarios", "12 variants
/// of portfolio"); `inputs` describes them.
pub(crate) fn compare_report(
    what: &str,
    inputs: Vec<Block>,
    scenarios: &[&dcplan_sim::Scenario],
    variants: &[VariantRuns],
    charts: &[RenderedChart],
    manifest: &Manifest,
) -> Doc {
    let mut blocks = vec![
        Block::Para(format!(
            "{what} compared over the same {} replications (seed {}): replication r of every variant sees the same demand, failures, weather and market prices, so differences come from the variants, not from chance.",
            manifest.replications, manifest.seed
        )),
        Block::Heading(1, "Answers".into()),
        Block::Bullets(
            variants
                .iter()
                .map(if variants.len() > 4 {
                    crate::render::comparison::short_headline
                } else {
                    crate::render::comparison::headline
                })
                .collect(),
        ),
    ];
    if variants.len() > 4 {
        blocks.push(Block::Heading(1, "Variants".into()));
        blocks.push(crate::render::comparison::variant_table(variants));
    } else {
        blocks.push(Block::Heading(1, "Side by side".into()));
        blocks.push(crate::render::comparison::side_by_side(variants));
    }
    blocks.push(Block::Heading(1, "Which wins on what".into()));
    blocks.push(crate::render::comparison::winners(variants));
    blocks.push(Block::Para(format!(
        "Project NPV is unlevered and pre-tax (free cash flow before debt flows and income tax, discounted, plus the terminal value where the scenario counts one). Payback counts a replication that never pays back within the horizon as later than any that does: its percentiles read \"never\" where they fall among those, and it has no mean unless every replication pays back. {}",
        energy_notes(scenarios).join(" ")
    )));
    blocks.push(Block::Heading(
        1,
        format!(
            "Differences against {}",
            variants.first().map_or("the first", |v| v.name.as_str())
        ),
    ));
    blocks.push(Block::Para(
        "Paired differences are taken replication by replication; the unpaired interval, for contrast, is what two independent runs could tell apart.".into(),
    ));
    blocks.push(crate::render::comparison::differences(variants));
    blocks.push(Block::Heading(1, "Charts".into()));
    blocks.extend(charts.iter().map(chart_block));
    blocks.push(Block::Heading(1, "Inputs".into()));
    blocks.extend(inputs);
    blocks.extend(reproducibility(manifest, "replications per variant"));
    let title = if variants.len() > 4 {
        format!("dcplan comparison: {what}")
    } else {
        format!(
            "dcplan comparison: {}",
            variants
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>()
                .join(" vs ")
        )
    };
    Doc { title, blocks }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_with_energy(energy: &str) -> dcplan_sim::Scenario {
        let text = include_str!("../../../scenarios/tiny.ron");
        let text = dcplan_sim::scenario::ron_text::set(text, "energy", energy).expect("energy");
        dcplan_sim::load_str("tiny.ron", &text)
            .expect("a valid scenario")
            .scenario
    }

    /// The token section appears only where the scenario counts tokens, and says each SKU's rate
    /// and whose figure it is.
    #[test]
    fn the_token_section_shows_only_where_tokens_are_counted() {
        let text = include_str!("../../../scenarios/tiny.ron");
        let mut v = crate::render::tables::tests::with_paybacks("base", &[None; 4]);
        let plain = dcplan_sim::load_str("tiny.ron", text).expect("a valid scenario");
        assert!(token_section(&plain, &v).is_empty());
        for (i, r) in v.output.replications.iter_mut().enumerate() {
            r.kpis.served_tokens = Some(1e12 * (i + 1) as f64);
            r.kpis.revenue_usd_per_mtok = Some(0.5);
            r.kpis.cost_usd_per_mtok = Some(0.25);
        }
        let section = |tokens: &str| {
            let text = dcplan_sim::scenario::ron_text::set(text, "pricing.tokens", tokens)
                .expect("tokens");
            let loaded = dcplan_sim::load_str("tiny.ron", &text).expect("a valid scenario");
            crate::render::doc::Doc {
                title: String::new(),
                blocks: token_section(&loaded, &v),
            }
            .to_markdown()
        };
        let catalog = section("()");
        assert!(catalog.contains("Token economics"), "{catalog}");
        assert!(
            catalog.contains("| Revenue per million tokens | $0.50 |"),
            "{catalog}"
        );
        assert!(
            catalog.contains(
                "H100-SXM: 9,812,700 tokens per GPU-hour (the catalog's published benchmark"
            ),
            "{catalog}"
        );
        let own = section("(per_gpu_hour: [(sku: \"H100-SXM\", tokens_per_gpu_hour: 2e6)])");
        assert!(
            own.contains("H100-SXM: 2,000,000 tokens per GPU-hour (the scenario's figure"),
            "{own}"
        );
    }

    #[test]
    fn the_report_lists_the_correlations_asked_and_drawn() {
        let text = include_str!("../../../scenarios/tiny.ron");
        let (pue, price) = ("site.pue", "pricing.market[0].on_demand_usd_per_gpu_hour");
        let plain = dcplan_sim::load_str("tiny.ron", text).expect("a valid scenario");
        let mut v = crate::render::tables::tests::with_paybacks("base", &[None; 5]);
        assert!(correlation_blocks(&plain, &v).is_empty());
        let with = format!(
            "{}    correlations: [(a: \"{pue}\", b: \"{price}\", rank: -0.5)],\n)\n",
            text.trim_end().strip_suffix(')').expect("a scenario")
        );
        let loaded = dcplan_sim::load_str("tiny.ron", &with).expect("a valid scenario");
        // Values drawn in exactly opposite order: a sample rank correlation of -1.
        for (i, r) in v.output.replications.iter_mut().enumerate() {
            let x = i as f64;
            r.params = vec![(pue.into(), 1.2 + 0.01 * x), (price.into(), 3.0 - 0.1 * x)];
        }
        let blocks = correlation_blocks(&loaded, &v);
        let Some(Block::Table { rows, .. }) = blocks.last() else {
            panic!("no table: {blocks:?}");
        };
        // Inputs are named by their labels, never by their field paths.
        assert_eq!(
            rows,
            &[vec![
                "Site: PUE".to_string(),
                "Market H100-SXM: on-demand per GPU-hour".to_string(),
                "-0.50".into(),
                "-1.00".into()
            ]]
        );
        // Too few replications for a rank correlation: said, not a number.
        v.output.replications.truncate(2);
        let Some(Block::Table { rows, .. }) = correlation_blocks(&loaded, &v).pop() else {
            panic!("no table");
        };
        assert_eq!(rows[0][3], "n/a");
    }

    #[test]
    fn assumptions_read_as_labels_with_values_units_and_quality() {
        let loaded = dcplan_sim::load_default().expect("the default scenario");
        let rows = assumptions(&loaded);
        assert!(rows.len() > 100, "{}", rows.len());
        for a in &rows {
            assert!(
                !a.label.is_empty()
                    && !a.label.contains('[')
                    && !a.label.contains("Some(")
                    && a.label != a.path,
                "{a:?}"
            );
            assert!(
                !a.value.contains("Some(") && !a.value.contains("above_c"),
                "a debug rendering: {a:?}"
            );
            assert!(!a.distribution.is_empty(), "{a:?}");
        }
        let row = |path: &str| {
            rows.iter()
                .find(|a| a.path == path)
                .unwrap_or_else(|| panic!("{path}"))
        };
        let lead = row("fleet[0].lead_time_months");
        assert_eq!(lead.label, "Tranche 'h100-2027' (H100-SXM): lead time");
        assert_eq!(
            (
                lead.distribution.as_str(),
                lead.unit.as_str(),
                lead.quality.as_str()
            ),
            ("Triangular(2, 3, 5)", "months", "E")
        );
        let gpus = row("fleet[0].gpus");
        assert_eq!(
            (gpus.value.as_str(), gpus.distribution.as_str()),
            ("4,096", "fixed")
        );
        assert_eq!(row("simulation.start.year").value, "2027");
        assert_eq!(row("energy.fixed_usd_per_month").quality, "default");
        assert_eq!(row("catalog gpus H100-SXM.gpu_tdp_w").quality, "P");
        // A struct inside an option reads as its fields, each with its unit and source.
        let above = row("catalog cooling air-economizer.water.above_c");
        assert!(above.value.starts_with("12"), "{above:?}");
        assert_eq!(above.quality, "E", "{above:?}");
        let most = row("catalog cooling air-economizer.water.max_l_per_kwh");
        assert_eq!(most.quality, "D", "{most:?}");
        // The table shows the label first and the field path last.
        let Block::Table {
            header,
            rows: cells,
        } = assumptions_table(&loaded)
        else {
            panic!("not a table");
        };
        assert_eq!(header, ASSUMPTION_COLUMNS.map(String::from).to_vec());
        assert!(
            cells
                .iter()
                .any(|r| r[0] == lead.label && r[6] == lead.path)
        );
    }

    #[test]
    fn key_assumptions_rank_inputs_by_their_rank_correlation_with_npv() {
        let text = include_str!("../../../scenarios/tiny.ron");
        let loaded = dcplan_sim::load_str("tiny.ron", text).expect("a valid scenario");
        // NPV rises with the replication index; PUE falls with it, exactly; the price is drawn
        // in a scrambled order and the GPU price barely varies with it.
        let mut v = crate::render::tables::tests::with_paybacks("base", &[None; 20]);
        for (i, r) in v.output.replications.iter_mut().enumerate() {
            let x = i as f64;
            r.params = vec![
                ("site.pue".into(), 1.4 - 0.01 * x),
                (
                    "pricing.market[0].on_demand_usd_per_gpu_hour".into(),
                    ((i * 7) % 20) as f64,
                ),
                (
                    "fleet[0].price_usd_per_gpu".into(),
                    ((i * 3) % 20) as f64 + 0.5 * x,
                ),
            ];
        }
        let (key, method) = run_key_assumptions(&loaded, &v);
        assert_eq!(key[0].label, "Site: PUE");
        assert_eq!(key[0].influence, "rank correlation -1.00");
        assert_eq!(key[0].value, "Triangular(1.2, 1.3, 1.4)");
        assert_eq!(
            (key[0].unit.as_str(), key[0].quality.as_str()),
            ("ratio", "E")
        );
        // The GPU price drawn for the tranche is described by its catalog entry.
        assert_eq!(key[1].path, "fleet[0].price_usd_per_gpu");
        assert_eq!(key[1].value, "Pert(33750, 37500, 41250)");
        assert_eq!(key[1].quality, "S/P");
        assert_eq!(key[2].path, "pricing.market[0].on_demand_usd_per_gpu_hour");
        // Three uncertain inputs: fixed inputs by their direct weight fill the table to ten.
        assert_eq!(key.len(), 10);
        assert!(key[3..].iter().all(|k| k.influence.starts_with("fixed")));
        assert_eq!(key[3].path, "fleet[0].gpus");
        assert!(
            method.contains("Spearman") && method.contains("Fixed inputs"),
            "{method}"
        );
        let blocks = key_assumptions_blocks(&key, &method);
        assert!(matches!(&blocks[0], Block::Heading(1, h) if h == "Key assumptions"));
    }

    #[test]
    fn the_executive_summary_says_each_number_once() {
        let text = include_str!("../../../scenarios/tiny.ron");
        let loaded = dcplan_sim::load_str("tiny.ron", text).expect("a valid scenario");
        let mut v = crate::render::tables::tests::with_paybacks("base", &[None; 20]);
        for (i, r) in v.output.replications.iter_mut().enumerate() {
            r.kpis.npv_usd = 1e6 * (i as f64 - 5.0);
            r.kpis.peak_funding_usd = 4e6 + 1e4 * i as f64;
            r.params = vec![("site.pue".into(), 1.4 - 0.01 * i as f64)];
        }
        let (key, _) = run_key_assumptions(&loaded, &v);
        let summary = executive_summary(&loaded, &v, &key);
        let npv = v.summary(Kpi::NpvUsd);
        for number in [money(npv.p50), money(npv.p10), money(npv.p90)] {
            assert_eq!(summary.matches(&number).count(), 1, "{number}: {summary}");
        }
        assert_eq!(
            summary.matches("P50").count(),
            3,
            "NPV, payback, funding: {summary}"
        );
        assert!(
            summary.contains("Site: PUE (rank correlation -1.00)"),
            "{summary}"
        );
        assert!(
            summary.contains("NPV is negative in 25.0 % of replications"),
            "{summary}"
        );
    }

    #[test]
    fn the_executive_summary_names_the_unit_of_a_payback_once() {
        let text = include_str!("../../../scenarios/tiny.ron");
        let loaded = dcplan_sim::load_str("tiny.ron", text).expect("a valid scenario");
        let paybacks: Vec<Option<f64>> = (0..20).map(|i| Some(30.0 + i as f64)).collect();
        let v = crate::render::tables::tests::with_paybacks("base", &paybacks);
        let (key, _) = run_key_assumptions(&loaded, &v);
        let summary = executive_summary(&loaded, &v, &key);
        assert!(summary.contains("P50 payback 39 months;"), "{summary}");
        assert!(!summary.contains("months months"), "{summary}");
    }

    #[test]
    fn a_tariff_without_market_prices_says_what_exports_are_credited_at() {
        let solar = "solar: (mw: 0.05, capex_usd_per_kw: 1000, om_usd_per_kw_year: 20)";
        let note = "the tariff's own price stands in for it";
        let flat = tiny_with_energy(&format!("(tariff: Flat(price_usd_per_kwh: 0.09), {solar})"));
        assert!(energy_notes(&[&flat]).join(" ").contains(note));
        let market = tiny_with_energy(&format!(
            "(tariff: Market(preset: \"ercot-like\"), {solar})"
        ));
        assert!(!energy_notes(&[&market]).join(" ").contains(note));
        // Nothing exported and no PPA: nothing to say.
        let plain = tiny_with_energy("(tariff: Flat(price_usd_per_kwh: 0.09))");
        assert!(!energy_notes(&[&plain]).join(" ").contains(note));
    }

    #[test]
    fn energy_notes_say_where_the_energy_model_simplifies() {
        let battery = |dispatch: &str| {
            format!(
                "(tariff: Flat(price_usd_per_kwh: 0.09), demand_charge_usd_per_kw_month: 6, battery: (energy_mwh: 0.2, power_mw: 0.05, round_trip_efficiency_frac: 0.86, capex_usd_per_kwh: 165, life_cycles: 6000, dispatch: {dispatch}))"
            )
        };
        let arbitrage = tiny_with_energy(&battery("PriceArbitrage"));
        let notes = energy_notes(&[&arbitrage]).join(" ");
        assert!(
            notes.contains("knows each day's hourly grid prices in advance"),
            "{notes}"
        );
        assert!(
            notes.contains("not on the 15-minute interval peak"),
            "{notes}"
        );
        assert!(!notes.contains("month's load in advance"), "{notes}");
        let shaving = tiny_with_energy(&battery("PeakShaving(0.8)"));
        let notes = energy_notes(&[&shaving]).join(" ");
        assert!(
            notes.contains("knows the month's load in advance"),
            "{notes}"
        );
        // Without a battery or a demand charge there is nothing of either to qualify.
        let plain = tiny_with_energy("(tariff: Flat(price_usd_per_kwh: 0.09))");
        let notes = energy_notes(&[&plain]).join(" ");
        assert!(
            !notes.contains("Battery") && !notes.contains("15-minute"),
            "{notes}"
        );
        // Every scenario says what its levelised cost and its two emission figures count.
        assert!(
            notes.contains("capital recovery") && notes.contains("Market-based, hourly matched"),
            "{notes}"
        );
        // A comparison names what any of its scenarios needs.
        let notes = energy_notes(&[&plain, &shaving]).join(" ");
        assert!(
            notes.contains("month's load in advance") && notes.contains("15-minute"),
            "{notes}"
        );
    }

    #[test]
    fn finance_notes_state_the_conventions_of_the_ledger() {
        assert!(
            FINANCE_NOTE.contains("Project free cash flow, NPV and IRR are unlevered and pre-tax")
        );
        assert!(FINANCE_NOTE.contains("Equity IRR is after debt service and taxes"));
        assert!(BREAK_EVEN_NOTE.contains("assumes demand does not react to price"));
    }
}
