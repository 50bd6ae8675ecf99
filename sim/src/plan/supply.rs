//! Supply: the SKUs the fleet uses, hall phases, tranches and refreshes, reliability, and the
//! market regimes and price paths.

use super::policy::PolicyPlan;
use super::{Drawn, Num, Registry, month_in_horizon, scale_dist};
use crate::catalog::Catalog;
use crate::dist::Dist;
use crate::model::{demand, fleet, market};
use crate::rng::{KeyedStreams, SimRng};
use crate::scenario::{PricingPolicy, Scenario};

/// A SKU the fleet uses, with its catalog figures.
#[derive(Clone, Debug)]
pub(super) struct Sku {
    name: String,
    gpus_per_node: u32,
    node_idle_kw: f64,
    node_max_kw: f64,
    transient_failures_per_gpu_year: f64,
    permanent_failures_per_gpu_year: f64,
    /// Tokens per GPU-hour (0 when the scenario counts no tokens).
    tokens_per_gpu_hour: f64,
}

#[derive(Clone, Debug)]
struct Phase {
    name: String,
    it_mw: Num,
    ready_month: Num,
    capex_usd_per_mw: Num,
}

#[derive(Clone, Debug)]
struct Tranche {
    name: String,
    sku: u16,
    n_nodes: u32,
    order_month: i64,
    lead_time_months: Num,
    price_usd_per_gpu: Num,
    network_usd_per_node: Num,
    embodied_tco2_per_gpu: Num,
    retire_after_months: Option<i64>,
}

#[derive(Clone, Debug)]
struct Refresh {
    name: String,
    sku: u16,
    n_nodes: u32,
    /// Index of the tranche it replaces (among the tranches and the refreshes before it).
    replaces: usize,
    at_age_months: i64,
    retire_after_months: Option<i64>,
    price_usd_per_gpu: Num,
    network_usd_per_node: Num,
}

#[derive(Clone, Debug)]
struct MarketPrice {
    /// Index of the SKU in the fleet, if the fleet uses it.
    sku: Option<u16>,
    on_demand_usd_per_gpu_hour: Num,
    decline_per_year_frac: Num,
    volatility_per_month: f64,
    shock_half_life_months: f64,
    next_generation: Option<(Num, Num)>,
}

/// The supply side of a plan.
#[derive(Clone, Debug)]
pub(super) struct SupplyPlan {
    it_overhead_frac: Num,
    failure_rate_multiplier: Num,
    /// SKUs in order of first use by the fleet (tranches, then refreshes).
    pub(super) skus: Vec<Sku>,
    phases: Vec<Phase>,
    tranches: Vec<Tranche>,
    refresh: Vec<Refresh>,
    failures: bool,
    transient_repair_hours: Dist,
    permanent_repair_hours: Dist,
    spares_frac: f64,
    resale_by_age_years: Option<Vec<(f64, f64)>>,
    /// Market regimes, if any.
    pub(super) regimes: Option<market::RegimeSpec>,
    market: Vec<MarketPrice>,
    price_scale: f64,
    reserved_discount_frac: Num,
    spot_discount_frac: Num,
    policy: PricingPolicy,
    /// Expansion policies, with the tranche and phase slots they hold.
    pub(super) policies: PolicyPlan,
}

impl SupplyPlan {
    pub(super) fn new(s: &Scenario, catalog: &Catalog, r: &mut Registry) -> SupplyPlan {
        let it_overhead_frac = r.param("site.it_overhead_frac", &s.site.it_overhead_frac);
        let mut sku_names: Vec<&str> = Vec::new();
        for name in s
            .fleet
            .iter()
            .map(|t| &t.sku)
            .chain(s.lifecycle.refresh.iter().map(|r| &r.sku))
        {
            if !sku_names.contains(&name.as_str()) {
                sku_names.push(name);
            }
        }
        // The SKUs only policies name come last, so the fleet's indices stay as they are.
        for name in super::policy::skus(s) {
            if !sku_names.contains(&name) {
                sku_names.push(name);
            }
        }
        let rel = &s.reliability;
        let failure_rate_multiplier = r.param(
            "reliability.failure_rate_multiplier",
            &rel.failure_rate_multiplier,
        );
        let skus: Vec<Sku> = sku_names
            .iter()
            .map(|name| {
                let c = catalog.sku(name).expect("validated SKU");
                Sku {
                    name: c.name.clone(),
                    gpus_per_node: c.gpus_per_node,
                    node_idle_kw: c.node_idle_kw,
                    node_max_kw: c.node_max_kw,
                    transient_failures_per_gpu_year: c.transient_failures_per_gpu_year,
                    permanent_failures_per_gpu_year: c.permanent_failures_per_gpu_year,
                    tokens_per_gpu_hour: crate::scenario::tokens_per_gpu_hour(s, catalog, name)
                        .unwrap_or(0.0),
                }
            })
            .collect();
        let phases = s
            .site
            .phases
            .iter()
            .enumerate()
            .map(|(i, ph)| Phase {
                name: ph.name.clone(),
                it_mw: r.param(format!("site.phases[{i}].it_mw"), &ph.it_mw),
                ready_month: r.param(format!("site.phases[{i}].ready_month"), &ph.ready_month),
                capex_usd_per_mw: r.param(
                    format!("site.phases[{i}].capex_usd_per_mw"),
                    &ph.capex_usd_per_mw,
                ),
            })
            .collect();
        let sku_index = |name: &str| sku_names.iter().position(|n| *n == name).map(|i| i as u16);
        let tranches: Vec<Tranche> = s
            .fleet
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let sku = catalog.sku(&t.sku).expect("validated SKU");
                let price = t
                    .price_usd_per_gpu
                    .as_ref()
                    .unwrap_or(&sku.price_usd_per_gpu);
                Tranche {
                    name: t.name.clone(),
                    sku: sku_index(&t.sku).expect("listed above"),
                    n_nodes: t.gpu_count() / sku.gpus_per_node,
                    order_month: t.order_month,
                    lead_time_months: r
                        .param(format!("fleet[{i}].lead_time_months"), &t.lead_time_months),
                    price_usd_per_gpu: r.param(format!("fleet[{i}].price_usd_per_gpu"), price),
                    network_usd_per_node: r.param(
                        format!("fleet[{i}].network_usd_per_node"),
                        &t.network_usd_per_node,
                    ),
                    embodied_tco2_per_gpu: r.param(
                        format!("fleet[{i}].embodied_tco2_per_gpu"),
                        &t.embodied_tco2_per_gpu,
                    ),
                    retire_after_months: t.retire_after_months,
                }
            })
            .collect();
        let mut names: Vec<&str> = s.fleet.iter().map(|t| t.name.as_str()).collect();
        let mut refresh = Vec::new();
        for (i, f) in s.lifecycle.refresh.iter().enumerate() {
            let sku = catalog.sku(&f.sku).expect("validated SKU");
            let price = f
                .price_usd_per_gpu
                .as_ref()
                .unwrap_or(&sku.price_usd_per_gpu);
            refresh.push(Refresh {
                name: f.name.clone(),
                sku: sku_index(&f.sku).expect("listed above"),
                n_nodes: (f.gpus.max(0) as u32) / sku.gpus_per_node,
                replaces: names
                    .iter()
                    .position(|n| *n == f.replaces)
                    .expect("validated reference"),
                at_age_months: f.at_age_months,
                retire_after_months: f.retire_after_months,
                price_usd_per_gpu: r
                    .param(format!("lifecycle.refresh[{i}].price_usd_per_gpu"), price),
                network_usd_per_node: r.param(
                    format!("lifecycle.refresh[{i}].network_usd_per_node"),
                    &f.network_usd_per_node,
                ),
            });
            names.push(&f.name);
        }
        let regimes = s.demand.regimes.as_ref().map(|g| {
            let index = |name: &str| {
                g.states
                    .iter()
                    .position(|st| st.name == name)
                    .expect("validated regime name")
            };
            market::RegimeSpec {
                demand_multiplier: g.states.iter().map(|st| st.demand_multiplier).collect(),
                price_multiplier: g.states.iter().map(|st| st.price_multiplier).collect(),
                initial: index(&g.initial),
                transitions: g.monthly_transitions.clone(),
                forced: g
                    .forced
                    .iter()
                    .map(|f| (f.from_month, f.to_month, index(&f.state)))
                    .collect(),
            }
        });
        let market = s
            .pricing
            .market
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let path = format!("pricing.market[{i}]");
                MarketPrice {
                    sku: sku_index(&m.sku),
                    on_demand_usd_per_gpu_hour: r.param(
                        format!("{path}.on_demand_usd_per_gpu_hour"),
                        &m.on_demand_usd_per_gpu_hour,
                    ),
                    decline_per_year_frac: r.param(
                        format!("{path}.decline_per_year_frac"),
                        &m.decline_per_year_frac,
                    ),
                    volatility_per_month: m.volatility_per_month,
                    shock_half_life_months: m.shock_half_life_months,
                    next_generation: m.next_generation.as_ref().map(|g| {
                        (
                            r.param(format!("{path}.next_generation.month"), &g.month),
                            r.param(
                                format!("{path}.next_generation.price_drop_frac"),
                                &g.price_drop_frac,
                            ),
                        )
                    }),
                }
            })
            .collect();
        let policies = PolicyPlan::new(s, catalog, &|name| {
            sku_index(name).expect("policy SKUs are listed")
        });
        let reserved_discount_frac = r.param(
            "pricing.reserved_discount_frac",
            &s.pricing.reserved_discount_frac,
        );
        let spot_discount_frac =
            r.param("pricing.spot_discount_frac", &s.pricing.spot_discount_frac);
        SupplyPlan {
            it_overhead_frac,
            failure_rate_multiplier,
            skus,
            phases,
            tranches,
            refresh,
            failures: rel.failures,
            transient_repair_hours: r.process(
                "reliability.transient_repair_hours",
                &rel.transient_repair_hours,
            ),
            permanent_repair_hours: scale_dist(
                r.process(
                    "reliability.permanent_repair_days",
                    &rel.permanent_repair_days,
                ),
                24.0,
            ),
            spares_frac: rel.spares_frac,
            resale_by_age_years: s.lifecycle.resale_residual_frac_by_age_years.clone(),
            regimes,
            market,
            price_scale: s.pricing.price_scale,
            reserved_discount_frac,
            spot_discount_frac,
            policy: s.pricing.policy.clone(),
            policies,
        }
    }

    /// Index of a SKU in the fleet's list, if the fleet uses it.
    pub(super) fn sku_index(&self, name: &str) -> Option<u16> {
        self.skus
            .iter()
            .position(|s| s.name == name)
            .map(|i| i as u16)
    }

    /// The fleet of one replication (without the interconnect limit, which the energy plan sets).
    pub(super) fn fleet(&self, v: &Drawn, horizon: u32, streams: KeyedStreams) -> fleet::FleetPlan {
        let overhead = 1.0 + v.get(self.it_overhead_frac);
        let rate_multiplier = v.get(self.failure_rate_multiplier);
        let skus = self
            .skus
            .iter()
            .map(|c| fleet::SkuSpec {
                name: c.name.clone(),
                gpus_per_node: c.gpus_per_node,
                idle_kw: c.node_idle_kw * overhead,
                max_kw: c.node_max_kw * overhead,
                tokens_per_gpu_hour: c.tokens_per_gpu_hour,
                transient_per_hour: fleet::per_node_per_hour(
                    c.transient_failures_per_gpu_year,
                    c.gpus_per_node,
                    rate_multiplier,
                ),
                permanent_per_hour: fleet::per_node_per_hour(
                    c.permanent_failures_per_gpu_year,
                    c.gpus_per_node,
                    rate_multiplier,
                ),
            })
            .collect();
        let in_horizon = |m: f64| month_in_horizon(m, horizon);
        let phases = self
            .phases
            .iter()
            .map(|ph| {
                let it_mw = v.get(ph.it_mw);
                let ready = v.get(ph.ready_month);
                let capex = v.get(ph.capex_usd_per_mw);
                fleet::PhasePlan {
                    name: ph.name.clone(),
                    it_kw: it_mw * 1000.0,
                    ready_month: in_horizon(ready),
                    ready_month_raw: ready.max(0.0).floor().min(1e6) as i64,
                    capex_usd: capex * it_mw,
                }
            })
            .collect();
        let mut tranches: Vec<fleet::TranchePlan> = self
            .tranches
            .iter()
            .map(|t| {
                let lead = v.get(t.lead_time_months);
                let delivery_month = in_horizon(t.order_month as f64 + lead.round());
                fleet::TranchePlan {
                    name: t.name.clone(),
                    sku: t.sku,
                    n_nodes: t.n_nodes,
                    delivery_month,
                    retire_month: t
                        .retire_after_months
                        .zip(delivery_month)
                        .and_then(|(a, d)| in_horizon((d as i64 + a) as f64)),
                    price_usd_per_gpu: v.get(t.price_usd_per_gpu),
                    network_usd_per_node: v.get(t.network_usd_per_node),
                    embodied_tco2_per_gpu: v.get(t.embodied_tco2_per_gpu),
                }
            })
            .collect();
        // Refresh: the replaced tranche retires at the given age and the new one arrives then.
        for r in &self.refresh {
            let swap = tranches[r.replaces]
                .delivery_month
                .and_then(|d| in_horizon((d as i64 + r.at_age_months) as f64));
            tranches[r.replaces].retire_month = swap;
            tranches.push(fleet::TranchePlan {
                name: r.name.clone(),
                sku: r.sku,
                n_nodes: r.n_nodes,
                delivery_month: swap,
                retire_month: r
                    .retire_after_months
                    .zip(swap)
                    .and_then(|(a, d)| in_horizon((d as i64 + a) as f64)),
                price_usd_per_gpu: v.get(r.price_usd_per_gpu),
                network_usd_per_node: v.get(r.network_usd_per_node),
                embodied_tco2_per_gpu: 0.0,
            });
        }
        // Policy slots come after everything planned, unscheduled until a policy fires.
        tranches.extend(self.policies.tranches.iter().cloned());
        let mut phases: Vec<fleet::PhasePlan> = phases;
        phases.extend(self.policies.phases.iter().cloned());
        fleet::FleetPlan {
            skus,
            tranches,
            phases,
            reliability: fleet::ReliabilityPlan {
                failures: self.failures,
                transient_repair_hours: self.transient_repair_hours.clone(),
                permanent_repair_hours: self.permanent_repair_hours.clone(),
                spares_frac: self.spares_frac,
                streams,
            },
            resale_by_age_years: self.resale_by_age_years.clone(),
            max_it_kw: None,
        }
    }

    /// The market prices of one replication: every priced SKU draws its path from `rng`, in
    /// scenario order, so that paths do not depend on the fleet.
    pub(super) fn prices(
        &self,
        v: &Drawn,
        horizon: u32,
        price_multiplier: &[f64],
        rng: &mut SimRng,
    ) -> demand::Prices {
        let mut market_paths = vec![vec![0.0; horizon as usize]; self.skus.len()];
        for m in &self.market {
            let spec = market::PriceSpec {
                start_usd_per_gpu_hour: v.get(m.on_demand_usd_per_gpu_hour),
                decline_per_year_frac: v.get(m.decline_per_year_frac),
                volatility_per_month: m.volatility_per_month,
                shock_half_life_months: m.shock_half_life_months,
                step: m
                    .next_generation
                    .map(|(month, drop)| (v.get(month), v.get(drop))),
            };
            let mut prices = market::price_path(&spec, price_multiplier, rng);
            for p in &mut prices {
                *p *= self.price_scale;
            }
            if let Some(k) = m.sku {
                market_paths[k as usize] = prices;
            }
        }
        demand::Prices {
            market: market_paths,
            reserved_discount_frac: v.get(self.reserved_discount_frac),
            spot_discount_frac: v.get(self.spot_discount_frac),
            policy: self.policy.clone(),
        }
    }
}
