//! Results of a replication as plain Rust structs: a row per month and the KPIs.
//!
//! Each record type lists its columns with units and meaning (`COLUMNS`), so the reports crate can
//! turn them into tables generically.

pub use crate::columns::Column;
use crate::engine::{Meter, Rate};
use crate::model::messages::{DemandMonthClosed, EnergySettled, FleetMonthClosed, GpuState};

macro_rules! record {
    (@value $e:expr, f64) => { Some($e) };
    (@value $e:expr, Opt) => { $e };
    (@from $e:expr, f64) => { $e.unwrap_or(f64::NAN) };
    (@from $e:expr, Opt) => { $e };
    (@flag) => { false };
    (@flag never) => { true };
    (
        @record $(#[$meta:meta])* $name:ident
        { $( $(#[doc = $doc:literal])+ $field:ident : $ty:ident, )* }
        [ $($column:expr,)* ]
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $( $(#[doc = $doc])+ pub $field: $ty, )*
        }

        impl $name {
            /// The record's columns in order, with unit, format and definition (the field's doc
            /// comment).
            pub const COLUMNS: &'static [Column] = &[ $($column,)* ];

            /// Values in column order; `None` where a value does not exist (e.g. no payback).
            pub fn values(&self) -> Vec<Option<f64>> {
                vec![ $( record!(@value self.$field, $ty), )* ]
            }

            /// Value of a column by name (for tables read back by column name).
            pub fn get(&self, column: &str) -> Option<f64> {
                match column {
                    $( stringify!($field) => record!(@value self.$field, $ty), )*
                    _ => None,
                }
            }

            /// Set a column by name (the inverse of [`Self::get`]: `None` is NaN in a plain
            /// number); false for an unknown column.
            pub fn set(&mut self, column: &str, value: Option<f64>) -> bool {
                match column {
                    $( stringify!($field) => { self.$field = record!(@from value, $ty); true } )*
                    _ => false,
                }
            }

            /// The record with every -0.0 made 0.0 (a sum of nothing is -0.0 in Rust, and no
            /// table, report or workbook shows a negative zero); every other value as it is.
            pub fn without_negative_zero(mut self) -> Self {
                $( self.$field = record!(@from record!(@value self.$field, $ty).map(|x| x + 0.0), $ty); )*
                self
            }
        }
    };
    // A record whose fields each carry `#[kpi(Variant, "label")]` (and `never` for a time until
    // an event that may never happen): also an enum naming its columns, for typed access.
    (
        $(#[$meta:meta])*
        pub struct $name:ident;
        $(#[$emeta:meta])*
        pub enum $enum:ident {
            $(
                $(#[doc = $doc:literal])+
                #[kpi($variant:ident, $label:literal $(, $never:ident)?)]
                $field:ident : $ty:ident,
            )*
        }
    ) => {
        record!(@record $(#[$meta])* $name
            { $( $(#[doc = $doc])+ $field : $ty, )* }
            [ $(
                Column {
                    may_not_happen: record!(@flag $($never)?),
                    ..Column::new(stringify!($field), concat!($($doc),+).trim_ascii()).labelled($label)
                },
            )* ]
        );

        $(#[$emeta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $enum {
            $( $(#[doc = $doc])+ $variant, )*
        }

        impl $enum {
            /// Every one, in column order.
            pub const ALL: &'static [$enum] = &[ $($enum::$variant,)* ];

            /// Its column: name, label, unit, format, definition.
            pub const fn column(self) -> &'static Column {
                &$name::COLUMNS[self as usize]
            }

            /// Column name (snake case, unit suffix).
            pub const fn name(self) -> &'static str {
                self.column().name
            }

            /// Label for reports.
            pub const fn label(self) -> &'static str {
                match self.column().label {
                    Some(label) => label,
                    None => self.column().name,
                }
            }

            /// Unit.
            pub const fn unit(self) -> &'static str {
                self.column().unit
            }

            /// How reports write it.
            pub const fn format(self) -> crate::columns::Format {
                self.column().format
            }

            /// What it is.
            pub const fn definition(self) -> &'static str {
                self.column().definition
            }

            /// Whether it is a time until an event that may never happen within the horizon
            /// (its percentiles count "never" as later than any month).
            pub const fn may_not_happen(self) -> bool {
                self.column().may_not_happen
            }

            /// The one with this column name.
            pub fn from_name(name: &str) -> Option<$enum> {
                $enum::ALL.iter().copied().find(|k| k.name() == name)
            }
        }

        impl $name {
            /// The value of one of its columns; `None` where it does not exist (e.g. no payback).
            pub fn value(&self, which: $enum) -> Option<f64> {
                match which {
                    $( $enum::$variant => record!(@value self.$field, $ty), )*
                }
            }
        }
    };
    // A plain record: its columns' units and formats follow from their names.
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[doc = $doc:literal])+ $field:ident : $ty:ident, )*
        }
    ) => {
        record!(@record $(#[$meta])* $name
            { $( $(#[doc = $doc])+ $field : $ty, )* }
            [ $( Column::new(stringify!($field), concat!($($doc),+).trim_ascii()), )* ]
        );
    };
}

/// An optional number (a KPI that may not exist, such as payback that never happens).
pub type Opt = Option<f64>;

record! {
    /// One simulated month of one replication. Money in USD, energy in MWh, GPU counts at month end.
    pub struct MonthRow {
        /// Month index from the scenario start (0-based).
        month: f64,
        /// GPUs delivered to the site at month end (in inventory or commissioned).
        installed_gpus: f64,
        /// GPUs commissioned in a powered hall phase at month end.
        commissioned_gpus: f64,
        /// Commissioned GPUs not down at month end (in service or spare).
        available_gpus: f64,
        /// GPUs held as hot spares at month end.
        spare_gpus: f64,
        /// GPUs down, restarting after a software or transient interruption, at month end.
        failed_gpus: f64,
        /// GPUs in repair after a hardware failure at month end.
        in_repair_gpus: f64,
        /// GPUs waiting in inventory for hall power at month end.
        inventory_gpus: f64,
        /// GPUs retired during the month.
        retired_gpus: f64,
        /// Installed GPU-hours in the month.
        installed_gpu_hours: f64,
        /// Commissioned GPU-hours in the month.
        commissioned_gpu_hours: f64,
        /// Available (commissioned, not down) GPU-hours in the month.
        available_gpu_hours: f64,
        /// GPU-hours sold to customers in the month.
        sold_gpu_hours: f64,
        /// Tokens the sold GPU-hours generated: sold GPU-hours of each SKU times its tokens per
        /// GPU-hour (`pricing.tokens`); empty where the scenario counts no tokens.
        served_tokens: f64,
        /// GPU-hours idle in inventory waiting for hall power.
        inventory_gpu_hours: f64,
        /// Sold GPU-hours / installed GPU-hours.
        utilization_frac: f64,
        /// Sold GPU-hours / available GPU-hours.
        utilization_available_frac: f64,
        /// Power-weighted utilization: sold nodes' max power-hours / available nodes' max power-hours.
        utilization_power_frac: f64,
        /// Average price realised: gross revenue / sold GPU-hours, USD per GPU-hour.
        realized_price_usd_per_gpu_hour: f64,
        /// Software and transient interruptions (restart, no part) in the month.
        failures_transient: f64,
        /// Hardware failures (part swap, repair in days) in the month.
        failures_permanent: f64,
        /// Contracts moved to a spare when their node failed.
        spare_migrations: f64,
        /// Customer requests that arrived.
        requests_arrived: f64,
        /// Requests placed on capacity.
        requests_placed: f64,
        /// Requests lost for lack of capacity (at once or after waiting).
        requests_rejected: f64,
        /// Reserved requests lost for lack of capacity.
        requests_rejected_reserved: f64,
        /// On-demand requests lost for lack of capacity.
        requests_rejected_on_demand: f64,
        /// Spot requests lost for lack of capacity.
        requests_rejected_spot: f64,
        /// Requests lost because the price was above what they accept.
        requests_priced_out: f64,
        /// Requests waiting for capacity at month end.
        requests_waiting: f64,
        /// Spot contracts preempted by higher classes.
        preemptions: f64,
        /// Term contracts renewed at term end.
        renewals: f64,
        /// Term contracts that ended without renewal.
        churned_contracts: f64,
        /// GPU-hours of rejected requests (unmet demand).
        unmet_gpu_hours: f64,
        /// Revenue the requests turned away (for capacity or price) would have brought at the price
        /// they were quoted, in USD.
        unmet_revenue_usd: f64,
        /// IT energy in MWh.
        it_mwh: f64,
        /// Facility energy (IT x PUE) in MWh.
        facility_mwh: f64,
        /// Average PUE (facility / IT energy).
        pue: f64,
        /// Water used on site by cooling, m3 (NaN when the site has a fixed PUE).
        water_m3: f64,
        /// Mean outdoor temperature, C.
        temperature_c: f64,
        /// Grid import, MWh.
        grid_mwh: f64,
        /// PPA energy used on site, MWh.
        ppa_mwh: f64,
        /// On-site solar used, MWh.
        solar_mwh: f64,
        /// On-site wind used, MWh.
        wind_mwh: f64,
        /// On-site gas generation, MWh.
        gas_mwh: f64,
        /// Battery charge, MWh.
        battery_charge_mwh: f64,
        /// Battery discharge, MWh.
        battery_discharge_mwh: f64,
        /// Surplus exported, MWh.
        export_mwh: f64,
        /// Peak hourly grid import, kW.
        peak_grid_kw: f64,
        /// Hours with power capped at the interconnect.
        capped_hours: f64,
        /// IT energy lost to power caps, MWh.
        curtailed_it_mwh: f64,
        /// Revenue lost to power caps.
        revenue_lost_to_cap_usd: f64,
        /// Emissions: location-based grid plus on-site gas, tCO2.
        tco2: f64,
        /// Emissions: market-based grid (Scope 2, hourly matched: on-site generation and PPA
        /// energy netted against the same hour's grid import, the residual import at the grid's
        /// hourly factor) plus on-site gas, tCO2.
        market_tco2: f64,
        /// Marginal emissions of the month's grid imports (hourly imports times the grid's hourly
        /// marginal emission rate), tCO2; empty without `energy.marginal_emissions`.
        marginal_tco2: f64,
        /// Marginal emissions avoided by the month's exports, tCO2; empty without
        /// `energy.marginal_emissions`.
        avoided_marginal_tco2: f64,
        /// Embodied carbon of the GPUs delivered in the month (each GPU with its share of the
        /// server, `fleet[*].embodied_tco2_per_gpu`; refresh tranches and policy orders carry
        /// none), tCO2e; Scope 3, so not in `tco2` or `market_tco2` and not under the carbon
        /// price.
        embodied_tco2: f64,
        /// Share of facility energy matched hour by hour with carbon-free supply.
        cfe_frac: f64,
        /// Grid energy charges.
        grid_energy_usd: f64,
        /// Demand charge.
        demand_charge_usd: f64,
        /// Fixed grid charges and on-site asset O&M.
        energy_fixed_usd: f64,
        /// PPA payments and settlements.
        ppa_usd: f64,
        /// Gas fuel and variable O&M.
        gas_usd: f64,
        /// Carbon price paid.
        carbon_usd: f64,
        /// Export credits.
        export_credit_usd: f64,
        /// Revenue from reserved contracts.
        revenue_reserved_usd: f64,
        /// Revenue from on-demand use.
        revenue_on_demand_usd: f64,
        /// Revenue from spot capacity.
        revenue_spot_usd: f64,
        /// SLA credits owed to customers for downtime (a share of what the affected contracts were
        /// billed in the month, by the SLA's availability tiers).
        sla_credits_usd: f64,
        /// Revenue not billed because contracted GPUs were down (not in the revenue lines).
        downtime_unbilled_usd: f64,
        /// Prepayments received (cash in advance of service).
        prepayments_usd: f64,
        /// Revenue recognised this month that was paid in advance.
        prepaid_revenue_usd: f64,
        /// Deferred revenue at month end: prepayments received for service not delivered yet (a
        /// liability; what is left at the horizon is netted out of the terminal value).
        deferred_revenue_usd: f64,
        /// Total revenue net of SLA credits and of revenue lost to a power cap.
        revenue_usd: f64,
        /// Electricity cost: grid energy and demand charges, PPA, fuel, carbon and fixed charges and
        /// the on-site assets' fixed O&M, less export credits.
        energy_cost_usd: f64,
        /// Capital recovery of the on-site energy assets held (solar, wind, battery, gas): each
        /// asset's cost times the annuity factor i / (1 - (1 + i)^-n), i the monthly discount
        /// rate, n its life in months (`finance.depreciation_years.energy`), in the months of its
        /// life (not in the cash flow; for the levelised cost of energy).
        energy_capex_annuity_usd: f64,
        /// Staff cost.
        staff_usd: f64,
        /// Maintenance cost (a share of the gross cost of the assets in service).
        maintenance_usd: f64,
        /// Insurance cost (a share of the gross cost of the assets in service).
        insurance_usd: f64,
        /// Software licences.
        software_usd: f64,
        /// Internet transit.
        network_transit_usd: f64,
        /// Sales, general and administrative cost.
        sga_usd: f64,
        /// Colocation rent.
        rent_usd: f64,
        /// One-off cost of a hall phase a policy cancelled, in its firing month (in opex).
        cancellation_usd: f64,
        /// All operating costs including energy (and, in its firing month, the cost of a hall
        /// phase a policy cancelled).
        opex_usd: f64,
        /// Revenue - opex.
        ebitda_usd: f64,
        /// Straight-line depreciation.
        depreciation_usd: f64,
        /// Resale proceeds minus the book value of what was sold (a replaced battery is written
        /// off at its book value with no proceeds).
        gain_on_sale_usd: f64,
        /// EBITDA - depreciation + gain on sale (operating income).
        ebit_usd: f64,
        /// Interest on debt.
        interest_usd: f64,
        /// Income tax paid.
        tax_usd: f64,
        /// EBIT - interest - tax.
        net_income_usd: f64,
        /// Capex on GPU servers.
        capex_gpu_usd: f64,
        /// Capex on network equipment.
        capex_network_usd: f64,
        /// Capex on the facility (hall phases).
        capex_facility_usd: f64,
        /// Capex on on-site energy assets.
        capex_energy_usd: f64,
        /// All capex.
        capex_usd: f64,
        /// Proceeds from selling retired servers.
        resale_usd: f64,
        /// Unlevered pre-tax free cash flow: EBITDA + prepayments received - prepaid revenue
        /// recognised - capex + resale proceeds.
        fcf_usd: f64,
        /// Cumulative free cash flow since the start.
        cumulative_cash_usd: f64,
        /// Debt drawn this month.
        debt_drawn_usd: f64,
        /// Principal repaid this month.
        principal_usd: f64,
        /// Interest plus principal.
        debt_service_usd: f64,
        /// Debt outstanding at month end.
        debt_outstanding_usd: f64,
        /// Debt service coverage: CFADS (EBITDA - tax) / debt service (NaN without debt service).
        dscr: f64,
        /// Equity cash flow: FCF + debt drawn - debt service - tax (negative: equity in).
        equity_cash_flow_usd: f64,
        /// Cumulative equity cash flow (the cash position if equity covers every shortfall).
        cash_usd: f64,
        /// Remaining book value of all assets at month end.
        book_value_usd: f64,
        /// Book value of the GPU servers at month end.
        book_value_gpu_usd: f64,
        /// Book value of the network equipment at month end.
        book_value_network_usd: f64,
        /// Book value of the hall phases in service (building, power and cooling) at month end.
        book_value_facility_usd: f64,
        /// Hall phases under construction at cost (construction draws paid) at month end.
        construction_in_progress_usd: f64,
        /// Book value of the on-site energy assets (solar, wind, battery, gas) at month end.
        book_value_energy_usd: f64,
    }
}

/// The lines of a month that finance closes (money, its own), in [`MonthRow`]'s units.
#[derive(Clone, Debug, Default)]
pub(crate) struct FinanceMonth {
    /// See [`MonthRow::month`].
    pub(crate) month: f64,
    /// See [`MonthRow::revenue_reserved_usd`].
    pub(crate) revenue_reserved_usd: f64,
    /// See [`MonthRow::revenue_on_demand_usd`].
    pub(crate) revenue_on_demand_usd: f64,
    /// See [`MonthRow::revenue_spot_usd`].
    pub(crate) revenue_spot_usd: f64,
    /// See [`MonthRow::prepaid_revenue_usd`].
    pub(crate) prepaid_revenue_usd: f64,
    /// See [`MonthRow::deferred_revenue_usd`].
    pub(crate) deferred_revenue_usd: f64,
    /// See [`MonthRow::revenue_usd`].
    pub(crate) revenue_usd: f64,
    /// See [`MonthRow::staff_usd`].
    pub(crate) staff_usd: f64,
    /// See [`MonthRow::maintenance_usd`].
    pub(crate) maintenance_usd: f64,
    /// See [`MonthRow::insurance_usd`].
    pub(crate) insurance_usd: f64,
    /// See [`MonthRow::software_usd`].
    pub(crate) software_usd: f64,
    /// See [`MonthRow::network_transit_usd`].
    pub(crate) network_transit_usd: f64,
    /// See [`MonthRow::sga_usd`].
    pub(crate) sga_usd: f64,
    /// See [`MonthRow::rent_usd`].
    pub(crate) rent_usd: f64,
    /// See [`MonthRow::cancellation_usd`].
    pub(crate) cancellation_usd: f64,
    /// See [`MonthRow::opex_usd`].
    pub(crate) opex_usd: f64,
    /// See [`MonthRow::ebitda_usd`].
    pub(crate) ebitda_usd: f64,
    /// See [`MonthRow::depreciation_usd`].
    pub(crate) depreciation_usd: f64,
    /// See [`MonthRow::gain_on_sale_usd`].
    pub(crate) gain_on_sale_usd: f64,
    /// See [`MonthRow::ebit_usd`].
    pub(crate) ebit_usd: f64,
    /// See [`MonthRow::interest_usd`].
    pub(crate) interest_usd: f64,
    /// See [`MonthRow::tax_usd`].
    pub(crate) tax_usd: f64,
    /// See [`MonthRow::net_income_usd`].
    pub(crate) net_income_usd: f64,
    /// See [`MonthRow::capex_gpu_usd`].
    pub(crate) capex_gpu_usd: f64,
    /// See [`MonthRow::capex_network_usd`].
    pub(crate) capex_network_usd: f64,
    /// See [`MonthRow::capex_facility_usd`].
    pub(crate) capex_facility_usd: f64,
    /// See [`MonthRow::capex_energy_usd`].
    pub(crate) capex_energy_usd: f64,
    /// See [`MonthRow::capex_usd`].
    pub(crate) capex_usd: f64,
    /// See [`MonthRow::resale_usd`].
    pub(crate) resale_usd: f64,
    /// See [`MonthRow::fcf_usd`].
    pub(crate) fcf_usd: f64,
    /// See [`MonthRow::cumulative_cash_usd`].
    pub(crate) cumulative_cash_usd: f64,
    /// See [`MonthRow::debt_drawn_usd`].
    pub(crate) debt_drawn_usd: f64,
    /// See [`MonthRow::principal_usd`].
    pub(crate) principal_usd: f64,
    /// See [`MonthRow::debt_service_usd`].
    pub(crate) debt_service_usd: f64,
    /// See [`MonthRow::debt_outstanding_usd`].
    pub(crate) debt_outstanding_usd: f64,
    /// See [`MonthRow::dscr`].
    pub(crate) dscr: f64,
    /// See [`MonthRow::equity_cash_flow_usd`].
    pub(crate) equity_cash_flow_usd: f64,
    /// See [`MonthRow::cash_usd`].
    pub(crate) cash_usd: f64,
    /// See [`MonthRow::book_value_usd`].
    pub(crate) book_value_usd: f64,
    /// See [`MonthRow::energy_capex_annuity_usd`].
    pub(crate) energy_capex_annuity_usd: f64,
    /// See [`MonthRow::served_tokens`].
    pub(crate) served_tokens: f64,
    /// [`MonthRow::book_value_gpu_usd`], [`MonthRow::book_value_network_usd`],
    /// [`MonthRow::book_value_facility_usd`], [`MonthRow::construction_in_progress_usd`],
    /// [`MonthRow::book_value_energy_usd`].
    pub(crate) book_value_by_class: [f64; 5],
}

impl MonthRow {
    /// The month's row, from each model's own monthly summary: finance's lines, the fleet's and
    /// demand's summaries, the energy settlement, and the meter's integrals of the month.
    pub(crate) fn assemble(
        f: &FinanceMonth,
        fleet: &FleetMonthClosed,
        closed_demand: &DemandMonthClosed,
        energy: &EnergySettled,
        meter: &Meter,
    ) -> MonthRow {
        let demand = &closed_demand.counters;
        let waiting = closed_demand.waiting;
        let installed = (fleet.total(GpuState::Inventory)
            + fleet.total(GpuState::InService)
            + fleet.total(GpuState::Spare)
            + fleet.total(GpuState::Failed)
            + fleet.total(GpuState::InRepair)) as f64;
        let inventory = fleet.total(GpuState::Inventory);
        let installed_h = meter.month_total(Rate::InstalledGpus);
        let commissioned_h = meter.month_total(Rate::CommissionedGpus);
        let available_h = meter.month_total(Rate::AvailableGpus);
        let sold_h = meter.month_total(Rate::SoldGpus);
        // A ratio over nothing (PUE in a month without load, utilization before the first GPU) is
        // undefined: NaN here, empty in every table, a gap in every chart; never 0.
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        MonthRow {
            month: f.month,
            installed_gpus: installed,
            commissioned_gpus: installed - inventory as f64,
            available_gpus: (fleet.total(GpuState::InService) + fleet.total(GpuState::Spare))
                as f64,
            spare_gpus: fleet.total(GpuState::Spare) as f64,
            failed_gpus: fleet.total(GpuState::Failed) as f64,
            in_repair_gpus: fleet.total(GpuState::InRepair) as f64,
            inventory_gpus: inventory as f64,
            retired_gpus: fleet.retired_gpus as f64,
            installed_gpu_hours: installed_h,
            commissioned_gpu_hours: commissioned_h,
            available_gpu_hours: available_h,
            sold_gpu_hours: sold_h,
            served_tokens: f.served_tokens,
            inventory_gpu_hours: installed_h - commissioned_h,
            utilization_frac: ratio(sold_h, installed_h),
            utilization_available_frac: ratio(sold_h, available_h),
            utilization_power_frac: ratio(
                meter.month_total(Rate::SoldMaxKw),
                meter.month_total(Rate::AvailableMaxKw),
            ),
            realized_price_usd_per_gpu_hour: ratio(
                f.revenue_reserved_usd + f.revenue_on_demand_usd + f.revenue_spot_usd,
                sold_h,
            ),
            failures_transient: fleet.failures_transient as f64,
            failures_permanent: fleet.failures_permanent as f64,
            spare_migrations: fleet.spare_migrations as f64,
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
            revenue_lost_to_cap_usd: energy.revenue_lost_usd,
            tco2: energy.tco2,
            market_tco2: energy.market_tco2,
            marginal_tco2: energy.marginal_tco2,
            avoided_marginal_tco2: energy.avoided_marginal_tco2,
            embodied_tco2: fleet.embodied_tco2,
            cfe_frac: ratio(energy.cfe_kwh, energy.facility_kwh),
            grid_energy_usd: energy.grid_energy_usd,
            demand_charge_usd: energy.demand_charge_usd,
            energy_fixed_usd: energy.fixed_usd,
            ppa_usd: energy.ppa_usd,
            gas_usd: energy.gas_usd,
            carbon_usd: energy.carbon_usd,
            export_credit_usd: energy.export_credit_usd,
            revenue_reserved_usd: f.revenue_reserved_usd,
            revenue_on_demand_usd: f.revenue_on_demand_usd,
            revenue_spot_usd: f.revenue_spot_usd,
            sla_credits_usd: demand.sla_credits_usd,
            downtime_unbilled_usd: demand.downtime_unbilled_usd,
            prepayments_usd: demand.prepayments_usd,
            prepaid_revenue_usd: f.prepaid_revenue_usd,
            deferred_revenue_usd: f.deferred_revenue_usd,
            revenue_usd: f.revenue_usd,
            energy_cost_usd: energy.cost_usd,
            energy_capex_annuity_usd: f.energy_capex_annuity_usd,
            staff_usd: f.staff_usd,
            maintenance_usd: f.maintenance_usd,
            insurance_usd: f.insurance_usd,
            software_usd: f.software_usd,
            network_transit_usd: f.network_transit_usd,
            sga_usd: f.sga_usd,
            rent_usd: f.rent_usd,
            cancellation_usd: f.cancellation_usd,
            opex_usd: f.opex_usd,
            ebitda_usd: f.ebitda_usd,
            depreciation_usd: f.depreciation_usd,
            gain_on_sale_usd: f.gain_on_sale_usd,
            ebit_usd: f.ebit_usd,
            interest_usd: f.interest_usd,
            tax_usd: f.tax_usd,
            net_income_usd: f.net_income_usd,
            capex_gpu_usd: f.capex_gpu_usd,
            capex_network_usd: f.capex_network_usd,
            capex_facility_usd: f.capex_facility_usd,
            capex_energy_usd: f.capex_energy_usd,
            capex_usd: f.capex_usd,
            resale_usd: f.resale_usd,
            fcf_usd: f.fcf_usd,
            cumulative_cash_usd: f.cumulative_cash_usd,
            debt_drawn_usd: f.debt_drawn_usd,
            principal_usd: f.principal_usd,
            debt_service_usd: f.debt_service_usd,
            debt_outstanding_usd: f.debt_outstanding_usd,
            dscr: f.dscr,
            equity_cash_flow_usd: f.equity_cash_flow_usd,
            cash_usd: f.cash_usd,
            book_value_usd: f.book_value_usd,
            book_value_gpu_usd: f.book_value_by_class[0],
            book_value_network_usd: f.book_value_by_class[1],
            book_value_facility_usd: f.book_value_by_class[2],
            construction_in_progress_usd: f.book_value_by_class[3],
            book_value_energy_usd: f.book_value_by_class[4],
        }
        .without_negative_zero()
    }
}

record! {
    /// Key results of one replication.
    pub struct Kpis;
    /// A KPI: names one of the [`Kpis`] (typed, so that a misspelt KPI does not compile).
    pub enum Kpi {
        /// Total revenue over the horizon, USD.
        #[kpi(RevenueUsd, "Revenue over the horizon")]
        revenue_usd: f64,
        /// Total EBITDA, USD.
        #[kpi(EbitdaUsd, "EBITDA over the horizon")]
        ebitda_usd: f64,
        /// EBITDA / revenue (EBITDA margin, not operating or net margin).
        #[kpi(EbitdaMarginFrac, "EBITDA margin")]
        ebitda_margin_frac: Opt,
        /// Total EBIT (operating income), USD.
        #[kpi(EbitUsd, "EBIT (operating income) over the horizon")]
        ebit_usd: f64,
        /// EBIT / revenue (operating margin).
        #[kpi(OperatingMarginFrac, "Operating (EBIT) margin")]
        operating_margin_frac: Opt,
        /// Total net income, USD.
        #[kpi(NetIncomeUsd, "Net income over the horizon")]
        net_income_usd: f64,
        /// Net income / revenue (net margin).
        #[kpi(NetMarginFrac, "Net margin")]
        net_margin_frac: Opt,
        /// Total capex, USD.
        #[kpi(CapexUsd, "Capex")]
        capex_usd: f64,
        /// Total operating cost including energy, USD.
        #[kpi(OpexUsd, "Operating cost including energy")]
        opex_usd: f64,
        /// Total electricity cost, USD: grid energy and demand charges, PPA, fuel, carbon and fixed
        /// charges and the on-site assets' fixed O&M, less export credits.
        #[kpi(EnergyCostUsd, "Energy cost")]
        energy_cost_usd: f64,
        /// Facility energy, MWh.
        #[kpi(EnergyMwh, "Facility energy, MWh")]
        energy_mwh: f64,
        /// Electricity cost (net of export credits) per facility MWh, USD.
        #[kpi(EnergyCostUsdPerMwh, "Energy cost per facility MWh")]
        energy_cost_usd_per_mwh: Opt,
        /// Levelised cost of energy including the on-site assets' capex: electricity cost (energy
        /// charges, PPA, fuel, fixed charges and the assets' fixed O&M, less export credits) plus
        /// the capital recovery of the on-site solar, wind, battery and gas (each asset's cost as
        /// an annuity at the discount rate over its life, `finance.depreciation_years.energy`),
        /// per facility MWh, USD.
        #[kpi(LcoeUsdPerMwh, "Levelised cost of energy incl. on-site asset capex, per facility MWh")]
        lcoe_usd_per_mwh: Opt,
        /// Average PUE over the horizon.
        #[kpi(Pue, "PUE (facility / IT energy)")]
        pue: Opt,
        /// Water used on site by cooling over the horizon, m3 (none with a fixed PUE).
        #[kpi(WaterM3, "Water used on site by cooling, m³")]
        water_m3: Opt,
        /// Water usage effectiveness: litres of site water per kWh of IT energy (none with a fixed PUE).
        #[kpi(WueLPerKwh, "Water use (WUE), litres per IT kWh")]
        wue_l_per_kwh: Opt,
        /// Emissions over the horizon (grid, location-based, and gas), tCO2.
        #[kpi(Tco2, "Emissions (grid location-based and gas), tCO2")]
        tco2: f64,
        /// Emissions over the horizon with grid electricity counted market-based (GHG Protocol
        /// Scope 2, hourly matched: on-site generation and PPA energy netted against the same
        /// hour's grid import, the residual import at the grid's hourly factor) plus on-site gas,
        /// tCO2.
        #[kpi(MarketTco2, "Emissions (grid market-based, hourly matched, and gas), tCO2")]
        market_tco2: f64,
        /// Embodied carbon of the GPUs delivered over the horizon (Scope 3, counted at
        /// delivery; not in the emissions above), tCO2e: the fleet's tranches at their
        /// `embodied_tco2_per_gpu`; refresh tranches and policy orders carry none.
        #[kpi(EmbodiedTco2, "Embodied carbon of the GPUs delivered, tCO2e")]
        embodied_tco2: f64,
        /// Share of facility energy matched hour by hour with carbon-free supply.
        #[kpi(CfeFrac, "Carbon-free energy, hourly matched")]
        cfe_frac: Opt,
        /// Hours with power capped at the interconnect.
        #[kpi(CappedHours, "Hours with power capped at the interconnect")]
        capped_hours: f64,
        /// Revenue lost to power caps, USD.
        #[kpi(RevenueLostToCapUsd, "Revenue lost to power caps")]
        revenue_lost_to_cap_usd: f64,
        /// Sum of free cash flows (unlevered, pre-tax), USD.
        #[kpi(FcfUsd, "Free cash flow over the horizon (unlevered, pre-tax)")]
        fcf_usd: f64,
        /// Months until cumulative free cash flow is back at or above zero (none if never).
        #[kpi(PaybackMonths, "Payback (months until cumulative free cash flow >= 0)", never)]
        payback_months: Opt,
        /// Months until the first month with a positive net income (accounting profit; none if never).
        #[kpi(FirstProfitMonths, "Months to the first month of positive net income (accounting profit)", never)]
        first_profit_months: Opt,
        /// Largest cumulative deficit of free cash flow, USD (the funding the project needs, debt and equity).
        #[kpi(PeakFundingUsd, "Peak funding need (debt and equity)")]
        peak_funding_usd: f64,
        /// Largest cumulative deficit of equity cash flow, USD (the equity the project needs).
        #[kpi(PeakEquityUsd, "Peak equity need")]
        peak_equity_usd: f64,
        /// Net present value of free cash flows (unlevered, pre-tax) plus terminal value, USD.
        #[kpi(NpvUsd, "Project NPV (unlevered, pre-tax free cash flow + terminal value)")]
        npv_usd: f64,
        /// Internal rate of return of the same flows (pre-tax), annual (none if no rate makes NPV zero).
        #[kpi(IrrFrac, "Project IRR (unlevered, pre-tax; annual)")]
        irr_frac: Opt,
        /// IRR of equity cash flows (after tax and debt service) plus equity's terminal value
        /// (terminal value less debt), annual.
        #[kpi(EquityIrrFrac, "Equity IRR (after debt service and taxes; annual)")]
        equity_irr_frac: Opt,
        /// Lowest monthly debt service coverage ratio over the repayment period (months with
        /// scheduled principal; none without).
        #[kpi(MinDscr, "Lowest monthly debt service coverage (over the repayment period)")]
        min_dscr: Opt,
        /// Lowest yearly debt service coverage ratio over the repayment period: per 12-month year
        /// from the start, CFADS / debt service over its months with scheduled principal (none
        /// without; `finance::dscr_by_year` gives every year's value from the monthly rows).
        #[kpi(MinAnnualDscr, "Lowest yearly debt service coverage (over the repayment period)")]
        min_annual_dscr: Opt,
        /// Total interest paid, USD.
        #[kpi(InterestUsd, "Interest paid")]
        interest_usd: f64,
        /// Total income tax, USD.
        #[kpi(TaxUsd, "Income tax paid")]
        tax_usd: f64,
        /// (Opex + depreciation + interest) / sold GPU-hours, USD.
        #[kpi(AllInCostUsdPerGpuHour, "All-in cost per sold GPU-hour (opex + depreciation + interest)")]
        all_in_cost_usd_per_gpu_hour: Opt,
        /// The average price per sold GPU-hour at which project NPV is zero, USD.
        #[kpi(BreakEvenPriceUsdPerGpuHour, "Break-even price per sold GPU-hour (NPV = 0; demand assumed not to react to price)")]
        break_even_price_usd_per_gpu_hour: Opt,
        /// Tokens served over the horizon: sold GPU-hours of each SKU times its tokens per
        /// GPU-hour (`pricing.tokens`; none where the scenario counts no tokens).
        #[kpi(ServedTokens, "Tokens served over the horizon")]
        served_tokens: Opt,
        /// Revenue (net of SLA credits) per million tokens served, USD.
        #[kpi(RevenueUsdPerMtok, "Revenue per million tokens")]
        revenue_usd_per_mtok: Opt,
        /// All-in cost per million tokens served: opex including energy, depreciation and
        /// interest over the horizon (as the all-in cost per GPU-hour) per million tokens, USD.
        #[kpi(CostUsdPerMtok, "All-in cost per million tokens (opex + depreciation + interest)")]
        cost_usd_per_mtok: Opt,
        /// Sold GPU-hours / installed GPU-hours.
        #[kpi(UtilizationFrac, "Utilization (sold / installed GPU-hours)")]
        utilization_frac: Opt,
        /// Sold GPU-hours / available GPU-hours (excluding failed and not yet commissioned).
        #[kpi(UtilizationAvailableFrac, "Utilization (sold / available GPU-hours)")]
        utilization_available_frac: Opt,
        /// Power-weighted utilization (sold / available node max power-hours).
        #[kpi(UtilizationPowerFrac, "Utilization, power-weighted (sold / available node max power-hours)")]
        utilization_power_frac: Opt,
        /// Average realised price, USD per sold GPU-hour.
        #[kpi(RealizedPriceUsdPerGpuHour, "Average realised price per sold GPU-hour")]
        realized_price_usd_per_gpu_hour: Opt,
        /// Share of gross revenue from reserved contracts.
        #[kpi(RevenueReservedFrac, "Share of revenue from term contracts")]
        revenue_reserved_frac: Opt,
        /// Revenue of requests lost for capacity or price, USD.
        #[kpi(UnmetRevenueUsd, "Revenue of demand turned away (capacity or price)")]
        unmet_revenue_usd: f64,
        /// Available GPU-hours / commissioned GPU-hours.
        #[kpi(AvailabilityFrac, "Availability (available / commissioned GPU-hours)")]
        availability_frac: Opt,
        /// GPU-months idle in inventory waiting for hall power (GPU-hours / 730, the average month).
        #[kpi(InventoryGpuMonths, "GPU-months idle in inventory")]
        inventory_gpu_months: f64,
        /// Node failures (hardware failures and software or transient interruptions).
        #[kpi(Failures, "Node failures over the horizon (hardware and software)")]
        failures: f64,
        /// SLA credits owed to customers, USD.
        #[kpi(SlaCreditsUsd, "SLA credits paid (on top, by monthly availability)")]
        sla_credits_usd: f64,
        /// Revenue not billed because contracted GPUs were down, USD.
        #[kpi(DowntimeUnbilledUsd, "Revenue not billed while sold GPUs were down")]
        downtime_unbilled_usd: f64,
        /// Proceeds from selling retired servers, USD.
        #[kpi(ResaleUsd, "Resale proceeds of retired servers")]
        resale_usd: f64,
        /// Share of requests lost (for capacity or price).
        #[kpi(RejectedFrac, "Requests lost to capacity or price")]
        rejected_frac: Opt,
        /// GPU-hours of unmet demand.
        #[kpi(UnmetGpuHours, "GPU-hours of demand turned away")]
        unmet_gpu_hours: f64,
        /// Terminal value counted in NPV, USD: book value of the assets (under the book-value
        /// rule) less the deferred revenue left at the horizon.
        #[kpi(TerminalValueUsd, "Terminal value counted in NPV")]
        terminal_value_usd: f64,
    }
}

impl Kpi {
    /// Whether the KPI is a share of a whole, between 0 and 1 by definition (utilization,
    /// availability, the carbon-free share, the share of requests lost or of revenue from term
    /// contracts): an interval around its mean is clipped to that range.
    pub fn is_share(self) -> bool {
        matches!(
            self,
            Kpi::CfeFrac
                | Kpi::UtilizationFrac
                | Kpi::UtilizationAvailableFrac
                | Kpi::UtilizationPowerFrac
                | Kpi::RevenueReservedFrac
                | Kpi::AvailabilityFrac
                | Kpi::RejectedFrac
        )
    }
}

/// Everything one replication produced.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Replication {
    /// Replication index (0-based).
    pub index: u64,
    /// KPIs.
    pub kpis: Kpis,
    /// One row per simulated month.
    pub months: Vec<MonthRow>,
    /// Values drawn for uncertain inputs, by field path, in a fixed order.
    pub params: Vec<(String, f64)>,
    /// Fleet composition at each month end: `(month, SKU name index, GPUs per state)`.
    pub fleet: Vec<(u32, u16, [u64; crate::model::messages::N_GPU_STATES])>,
    /// SKU names, indexed by the fleet rows' SKU index.
    pub skus: Vec<String>,
    /// Market price per SKU (outer) and month (inner), USD per GPU-hour.
    pub market_prices: Vec<Vec<f64>>,
    /// Hourly energy flows of the first `simulation.hourly_months` months, for the replications
    /// `simulation.hourly_replications` lists (empty otherwise).
    pub hourly: Vec<crate::energy::dispatch::HourFlows>,
    /// Events the engine handled.
    pub events: u64,
    /// Firings of the scenario's expansion policies, in order (empty without policies).
    pub decisions: Vec<Decision>,
    /// The exogenous draws, when [`crate::replication::ReplicationOptions::trace`] asked for them (not
    /// stored in output folders).
    #[serde(skip)]
    pub trace: Option<Trace>,
}

/// One firing of an expansion policy.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    /// Month at whose start the policy fired (0 is the first month).
    pub month: u32,
    /// Policy name.
    pub rule: String,
    /// Action kind: `order_tranche`, `start_phase`, `retire_tranche`, `defer_phase`,
    /// `cancel_phase` or `set_price_ratio`.
    pub action: String,
    /// The tranche or phase the action concerns (`list_price` for a price change).
    pub target: String,
    /// GPUs ordered (or retired, counting the tranche's delivered GPUs); 0 for the other actions.
    pub gpus: f64,
    /// Capex committed by the firing, USD (0 for a retirement, deferral, cancellation or price
    /// change).
    pub capex_usd: f64,
    /// Month the ordered GPUs arrive or the phase is ready (a deferred phase's new ready month;
    /// the firing month for a retirement, cancellation or price change).
    pub effective_month: u32,
}

/// The exogenous random draws of a replication: what every variant of a scenario must see alike.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    /// Every arrival: exact time in hours, request kind, size in GPUs, duration in hours.
    pub arrivals: Vec<crate::model::messages::ArrivalTrace>,
    /// Every failure: node key (tranche and position), time in seconds, hardware, repair hours.
    pub failures: Vec<(u64, u64, bool, f64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_inverts_get_for_every_column() {
        let mut k = Kpis::default();
        for (i, c) in Kpis::COLUMNS.iter().enumerate() {
            let v = if i % 3 == 0 {
                None
            } else {
                Some(i as f64 + 0.25)
            };
            assert!(k.set(c.name, v), "{}", c.name);
        }
        let mut again = Kpis::default();
        for c in Kpis::COLUMNS {
            again.set(c.name, k.get(c.name));
        }
        // Bit patterns, so that a plain number set from `None` (NaN) compares equal to itself.
        let bits = |k: &Kpis| {
            k.values()
                .iter()
                .map(|v| v.map(f64::to_bits))
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&k), bits(&again));
        assert!(
            k.revenue_usd.is_nan() && k.ebitda_usd == 1.25,
            "column 0 was set from None, column 1 from 1.25"
        );
        let payback = Kpi::PaybackMonths as usize;
        assert_eq!(
            k.payback_months,
            if payback.is_multiple_of(3) {
                None
            } else {
                Some(payback as f64 + 0.25)
            }
        );
        let mut m = MonthRow::default();
        for (i, c) in MonthRow::COLUMNS.iter().enumerate() {
            assert!(m.set(c.name, Some(i as f64 * 1.5)));
            assert_eq!(m.get(c.name), Some(i as f64 * 1.5));
        }
        assert!(!m.set("no_such_column", Some(1.0)));
    }

    #[test]
    fn typed_access_reads_the_same_value_as_the_column_name() {
        let k = Kpis {
            npv_usd: 5.0,
            payback_months: Some(40.0),
            first_profit_months: None,
            ..Kpis::default()
        };
        for &kpi in Kpi::ALL {
            assert_eq!(k.value(kpi), k.get(kpi.name()), "{kpi:?}");
        }
        assert_eq!(k.value(Kpi::NpvUsd), Some(5.0));
        assert_eq!(k.value(Kpi::PaybackMonths), Some(40.0));
        assert_eq!(k.value(Kpi::FirstProfitMonths), None);
        assert_eq!(Kpi::NpvUsd.name(), "npv_usd");
        assert_eq!(
            Kpi::NpvUsd.definition(),
            "Net present value of free cash flows (unlevered, pre-tax) plus terminal value, USD."
        );
    }
}
