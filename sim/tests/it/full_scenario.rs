//! A scenario with every optional section and field present, written as struct literals so that
//! a field added to the schema does not compile here until it is given a value (and so reaches
//! the range tests). Enum payloads are covered by the variants of [`variants`].

use dcplan_sim::catalog::SkuOverride;
use dcplan_sim::dist::{Dist, Param};
use dcplan_sim::energy::cooling::{CoolingPreset, Evaporative};
use dcplan_sim::energy::prices::MarketPreset;
use dcplan_sim::energy::weather::Climate;
use dcplan_sim::scenario::*;
use dcplan_sim::time::YearMonth;

fn v(x: f64) -> Param {
    Param::Value(x)
}

/// A valid scenario with every optional section present (cooling by a fixed PUE, no sweep).
pub(crate) fn full() -> Scenario {
    Scenario {
        include: Vec::new(),
        name: "full".into(),
        description: "every section".into(),
        title: Some("Full scenario: every section".into()),
        disclaimer: Some("Test disclaimer.".into()),
        site: Site {
            name: "site".into(),
            climate: "test-climate".into(),
            weather_csv: None,
            weather_file: None,
            temperature: None,
            cooling: None,
            pue: Some(Param::Dist(Dist::Triangular(1.2, 1.3, 1.4))),
            interconnect_mw: Some(v(50.0)),
            power_cap: PowerCap::WaitCommissioning,
            it_overhead_frac: Param::Dist(Dist::Triangular(0.04, 0.05, 0.06)),
            phases: vec![Phase {
                name: "a".into(),
                it_mw: v(2.0),
                ready_month: v(0.0),
                capex_usd_per_mw: v(10e6),
                construction_months: 6,
            }],
            colocation_rent_usd_per_kw_month: v(10.0),
        },
        fleet: vec![Tranche {
            name: "h100".into(),
            sku: "H100-SXM".into(),
            gpus: 64,
            order_month: 0,
            lead_time_months: v(1.0),
            price_usd_per_gpu: Some(v(30_000.0)),
            network_usd_per_node: v(40_000.0),
            financing: Some("gpu-loan".into()),
            retire_after_months: Some(36),
            embodied_tco2_per_gpu: v(1.5),
        }],
        energy: Energy {
            tariff: Tariff::Flat {
                price_usd_per_kwh: v(0.08),
            },
            demand_charge_usd_per_kw_month: v(10.0),
            fixed_usd_per_month: v(1000.0),
            ppa: Some(Ppa {
                strike_usd_per_mwh: v(60.0),
                volume: PpaVolume::Solar(1.0),
                settlement: Settlement::Physical,
            }),
            solar: Some(Renewable {
                mw: v(1.0),
                capex_usd_per_kw: v(1000.0),
                om_usd_per_kw_year: v(20.0),
            }),
            wind: Some(Renewable {
                mw: v(1.0),
                capex_usd_per_kw: v(1500.0),
                om_usd_per_kw_year: v(40.0),
            }),
            battery: Some(Battery {
                energy_mwh: 2.0,
                power_mw: 1.0,
                round_trip_efficiency_frac: 0.85,
                capex_usd_per_kwh: v(300.0),
                life_cycles: 5000.0,
                dispatch: BatteryDispatch::PeakShaving(0.9),
            }),
            gas: Some(Gas {
                mw: 1.0,
                heat_rate_btu_per_kwh: 9000.0,
                fuel_usd_per_mmbtu: v(3.0),
                om_usd_per_mwh: v(5.0),
                capex_usd_per_kw: v(1000.0),
                mode: GasMode::GridParallel,
            }),
            export: true,
            grid_carbon: None,
            marginal_emissions: None,
            carbon_price_usd_per_tco2: v(50.0),
        },
        demand: Demand {
            arrivals_per_day: v(4.0),
            growth_per_year_frac: Param::Dist(Dist::Uniform(0.05, 0.15)),
            seasonality: Some(Seasonality {
                amplitude_frac: 0.1,
                peak_month: 6,
            }),
            regimes: Some(Regimes {
                states: vec![
                    RegimeState {
                        name: "normal".into(),
                        demand_multiplier: 1.0,
                        price_multiplier: 1.0,
                    },
                    RegimeState {
                        name: "glut".into(),
                        demand_multiplier: 0.5,
                        price_multiplier: 0.7,
                    },
                ],
                initial: "normal".into(),
                monthly_transitions: vec![vec![0.9, 0.1], vec![0.2, 0.8]],
                forced: vec![ForcedRegime {
                    from_month: 2,
                    to_month: 4,
                    state: "glut".into(),
                }],
            }),
            mix: vec![
                RequestClass {
                    class: ContractClass::Reserved,
                    share_frac: 0.2,
                    size_gpus: v(16.0),
                    duration: DurationSpec::Months(v(3.0)),
                    skus: vec!["H100-SXM".into()],
                    load_frac: v(0.7),
                    single_cluster: true,
                    max_price_ratio: Some(v(1.2)),
                    renewal_frac: v(0.5),
                    prepay_frac: v(0.1),
                },
                RequestClass {
                    class: ContractClass::OnDemand,
                    share_frac: 0.8,
                    size_gpus: v(8.0),
                    duration: DurationSpec::Hours(Param::Dist(Dist::Exponential(24.0))),
                    skus: vec![],
                    load_frac: v(0.5),
                    single_cluster: false,
                    max_price_ratio: None,
                    renewal_frac: v(0.0),
                    prepay_frac: v(0.0),
                },
            ],
            patience: vec![Patience {
                class: ContractClass::OnDemand,
                hours: v(12.0),
            }],
            anchors: vec![Anchor {
                name: "anchor".into(),
                sku: "H100-SXM".into(),
                gpus: 16,
                sign_month: 0,
                duration: DurationSpec::Months(v(6.0)),
                price_usd_per_gpu_hour: v(2.0),
                load_frac: v(0.8),
                single_cluster: false,
                prepay_frac: v(0.1),
                renewal_frac: v(0.2),
            }],
            // A file input, like `site.weather_csv`: covered by `sim/tests/it/demand.rs`.
            history: None,
        },
        pricing: Pricing {
            market: vec![MarketPrice {
                sku: "H100-SXM".into(),
                on_demand_usd_per_gpu_hour: v(2.5),
                decline_per_year_frac: v(0.2),
                volatility_per_month: 0.05,
                shock_half_life_months: 6.0,
                next_generation: Some(GenerationStep {
                    month: v(6.0),
                    price_drop_frac: v(0.2),
                }),
            }],
            reserved_discount_frac: v(0.2),
            spot_discount_frac: v(0.5),
            policy: PricingPolicy::ListRatio(1.0),
            price_scale: 1.0,
            tokens: Some(Tokens {
                per_gpu_hour: vec![SkuTokens {
                    sku: "H100-SXM".into(),
                    tokens_per_gpu_hour: 5e6,
                }],
            }),
        },
        finance: Finance {
            discount_rate_frac: v(0.1),
            depreciation_years: DepreciationLives {
                gpu_servers: 5.0,
                network: 5.0,
                facility: 20.0,
                energy: 20.0,
            },
            opex: Opex {
                staff_usd_per_mw_year: v(100_000.0),
                staff_usd_per_1000_gpus_year: v(100_000.0),
                maintenance_frac_of_capex_per_year: v(0.02),
                insurance_frac_of_capex_per_year: v(0.01),
                software_usd_per_gpu_month: v(10.0),
                network_transit_usd_per_gpu_month: v(5.0),
                sga_frac_of_revenue: v(0.05),
            },
            terminal_value: TerminalValue::BookValue,
            tax: Tax {
                rate_frac: v(0.21),
                loss_carryforward: true,
                carryforward_cap_frac: 0.8,
            },
            debt: vec![DebtTranche {
                name: "gpu-loan".into(),
                loan_to_cost_frac: v(0.5),
                rate_frac: v(0.08),
                tenor_months: 36,
                grace_months: 3,
                amortization: Amortization::Annuity,
                funds: Funds::FinancedTranches,
            }],
        },
        simulation: Simulation {
            start: YearMonth {
                year: 2027,
                month: 1,
            },
            horizon_months: 12,
            replications: 4,
            seed: 7,
            sampling: Sampling::LatinHypercube,
            hourly_replications: vec![0, 1],
            hourly_months: Some(12),
        },
        catalog: CatalogOverrides {
            gpus: vec![SkuOverride {
                name: "H100-SXM".into(),
                description: Some("H100".into()),
                gpus_per_node: Some(8),
                gpu_tdp_w: Some(700.0),
                node_max_kw: Some(10.2),
                node_idle_kw: Some(2.6),
                price_usd_per_gpu: Some(v(30_000.0)),
                relative_throughput: Some(1.0),
                transient_failures_per_gpu_year: Some(0.13),
                permanent_failures_per_gpu_year: Some(0.04),
                release: Some(YearMonth {
                    year: 2022,
                    month: 10,
                }),
                liquid_cooled_only: Some(false),
                source_date: Some(YearMonth {
                    year: 2024,
                    month: 7,
                }),
                tokens_per_gpu_hour: Some(9.8e6),
            }],
            climates: vec![Climate {
                name: "test-climate".into(),
                description: "a climate".into(),
                annual_mean_c: 12.0,
                seasonal_swing_c: 10.0,
                daily_swing_c: 5.0,
                noise_sd_c: 3.0,
                noise_persistence_per_hour: 0.95,
                warmest_day_of_year: 200.0,
                solar_capacity_factor: 0.2,
                wind_capacity_factor: 0.3,
                grid_gco2_per_kwh: 300.0,
                grid_carbon_free_frac: 0.4,
            }],
            cooling: vec![CoolingPreset {
                name: "test-cooling".into(),
                description: "a cooling preset".into(),
                electrical_loss_frac: 0.06,
                fixed_frac: 0.02,
                free_cooling_below_c: 12.0,
                free_cooling_frac: 0.1,
                mechanical_frac_per_c: 0.02,
                max_cooling_frac: 0.5,
                range_pue: (1.15, 1.6),
                water: Some(Evaporative {
                    above_c: 12.0,
                    l_per_kwh_per_c: 0.05,
                    max_l_per_kwh: 1.8,
                }),
            }],
            tariffs: vec![MarketPreset {
                name: "test-market".into(),
                description: "a market".into(),
                mean_usd_per_mwh: 50.0,
                seasonal_amplitude_frac: 0.2,
                peak_day_of_year: 200.0,
                daily_amplitude_frac: 0.3,
                noise_sd_usd_per_mwh: 10.0,
                noise_persistence_per_hour: 0.9,
                spike_probability_per_hour: 0.01,
                spike_mean_usd_per_mwh: 200.0,
                negative_probability_per_hour: 0.01,
                negative_mean_usd_per_mwh: 10.0,
            }],
        },
        reliability: Reliability {
            failures: true,
            failure_rate_multiplier: v(1.0),
            transient_repair_hours: v(2.0),
            permanent_repair_days: v(4.0),
            spares_frac: 0.05,
            sla: Sla {
                tiers: vec![SlaTier {
                    below_availability_frac: 0.99,
                    credit_frac: 0.1,
                }],
            },
        },
        lifecycle: Lifecycle {
            resale_residual_frac_by_age_years: Some(vec![(0.0, 1.0), (3.0, 0.4)]),
            refresh: vec![Refresh {
                name: "h100-2".into(),
                replaces: "h100".into(),
                at_age_months: 24,
                sku: "H100-SXM".into(),
                gpus: 64,
                price_usd_per_gpu: Some(v(25_000.0)),
                network_usd_per_node: v(30_000.0),
                retire_after_months: Some(36),
            }],
        },
        sweep: None,
        optimize: Some(Optimize {
            variables: vec![DecisionVariable {
                path: "fleet[0].gpus".into(),
                min: 16.0,
                max: 64.0,
                points: 2,
                multiple_of: 8.0,
            }],
            constraint: Some(PaybackConstraint {
                payback_months: 36.0,
                probability: 0.5,
            }),
            replications: 4,
            refinements: 1,
        }),
        correlations: vec![Correlation {
            a: "site.it_overhead_frac".into(),
            b: "demand.growth_per_year_frac".into(),
            rank: -0.5,
        }],
        policies: vec![
            Policy {
                name: "grow".into(),
                trigger: Trigger::AllOf {
                    triggers: vec![
                        Trigger::UtilizationAbove {
                            level_frac: 0.85,
                            months: 3,
                        },
                        Trigger::BacklogAbove {
                            level_requests: 5.0,
                            months: 2,
                        },
                        Trigger::PriceAboveCost {
                            sku: "H100-SXM".into(),
                            ratio: 1.2,
                            months: 2,
                        },
                        Trigger::UtilizationBelow {
                            level_frac: 0.99,
                            months: 1,
                        },
                        Trigger::PriceBelowCost {
                            sku: "H100-SXM".into(),
                            ratio: 3.0,
                            months: 1,
                        },
                        Trigger::MonthReached { month: 2 },
                        Trigger::AnchorSigned {
                            anchor: "anchor".into(),
                        },
                    ],
                },
                action: Action::OrderTranche {
                    name: "grow-h100".into(),
                    sku: "H100-SXM".into(),
                    gpus: 16,
                    lead_time_months: 2,
                    price_usd_per_gpu: Some(25000.0),
                    network_usd_per_node: 30000.0,
                    financing: Some("gpu-loan".into()),
                    retire_after_months: Some(48),
                },
                max_firings: 2,
                min_gap_months: 3,
                capex_budget_usd: Some(2e6),
                min_dscr: Some(1.2),
            },
            Policy {
                name: "hall".into(),
                trigger: Trigger::AnchorSigned {
                    anchor: "anchor".into(),
                },
                action: Action::StartPhase {
                    name: "hall-b".into(),
                    it_mw: 1.0,
                    capex_usd_per_mw: 10e6,
                    lead_time_months: 6,
                },
                max_firings: 1,
                min_gap_months: 0,
                capex_budget_usd: None,
                min_dscr: None,
            },
            Policy {
                name: "sell".into(),
                trigger: Trigger::MonthReached { month: 6 },
                action: Action::RetireTranche {
                    tranche: "h100".into(),
                },
                max_firings: 1,
                min_gap_months: 0,
                capex_budget_usd: None,
                min_dscr: None,
            },
        ],
    }
}

/// The full scenario and copies with the other variants of every enum that carries numbers.
pub(crate) fn variants() -> Vec<Scenario> {
    let base = full();
    let mut out = vec![base.clone()];
    let mut s = base.clone();
    s.energy.tariff = Tariff::TimeOfUse {
        peak_usd_per_kwh: v(0.12),
        off_peak_usd_per_kwh: v(0.06),
        peak_start_hour: 14,
        peak_end_hour: 20,
        weekdays_only: true,
    };
    s.pricing.policy = PricingPolicy::Dynamic {
        low_utilization_frac: 0.5,
        discount_frac: 0.1,
        high_utilization_frac: 0.9,
        premium_frac: 0.1,
    };
    if let Some(p) = &mut s.energy.ppa {
        p.volume = PpaVolume::Wind(1.0);
    }
    if let Some(b) = &mut s.energy.battery {
        b.dispatch = BatteryDispatch::PriceArbitrage;
    }
    s.demand.anchors[0].duration = DurationSpec::Hours(v(4000.0));
    s.policies[0].trigger = Trigger::UtilizationAbove {
        level_frac: 0.9,
        months: 2,
    };
    s.policies[1].trigger = Trigger::BacklogAbove {
        level_requests: 10.0,
        months: 1,
    };
    s.policies[2].trigger = Trigger::AnyOf {
        triggers: vec![Trigger::PriceAboveCost {
            sku: "H100-SXM".into(),
            ratio: 1.5,
            months: 1,
        }],
    };
    out.push(s);
    let mut s = base.clone();
    s.policies[0].trigger = Trigger::PriceBelowCost {
        sku: "H100-SXM".into(),
        ratio: 0.9,
        months: 3,
    };
    out.push(s);
    let mut s = base.clone();
    s.energy.tariff = Tariff::Market {
        preset: "test-market".into(),
        price_scale: v(1.0),
        delivery_usd_per_mwh: v(20.0),
    };
    if let Some(p) = &mut s.energy.ppa {
        p.volume = PpaVolume::Baseload(1.0);
    }
    out.push(s);
    let mut s = base;
    s.energy.tariff = Tariff::Csv {
        path: "prices.csv".into(),
        column: None,
        unit: SeriesUnit::UsdPerMwh,
        time_column: None,
        zone: None,
        years: SeriesYears::Repeat,
        delivery_usd_per_mwh: v(20.0),
    };
    out.push(s);
    out
}

/// RON text of a scenario, as a user could write it (`Some` left out).
pub(crate) fn to_ron(s: &Scenario) -> String {
    let config =
        ron::ser::PrettyConfig::new().extensions(ron::extensions::Extensions::IMPLICIT_SOME);
    let text = ron::ser::to_string_pretty(s, config).expect("a scenario serializes");
    // The parser enables implicit `Some` itself.
    text.lines()
        .filter(|l| !l.starts_with("#!["))
        .collect::<Vec<_>>()
        .join("\n")
}
