//! Demand: arrivals, the request classes with their SKUs resolved, anchors and seasonality.

use super::supply::SupplyPlan;
use super::{Drawn, Num, Registry};
use crate::model::demand;
use crate::scenario::{DemandHistory, Scenario, gpu_hours_per_request};
use crate::time::{Calendar, HOURS_PER_YEAR};

#[derive(Clone, Debug)]
struct Class {
    /// The class with its per-replication inputs still to fill in.
    model: demand::ClassModel,
    load_frac: Num,
    renewal_frac: Num,
    prepay_frac: Num,
}

#[derive(Clone, Debug)]
struct Anchor {
    /// The anchor with its per-replication inputs still to fill in.
    model: demand::AnchorModel,
    duration: Num,
    duration_unit_hours: f64,
    price_usd_per_gpu_hour: Num,
    load_frac: Num,
    prepay_frac: Num,
    renewal_frac: Num,
}

/// The demand side of a plan.
#[derive(Clone, Debug)]
pub(super) struct DemandPlan {
    arrivals_per_day: Num,
    growth_per_year_frac: Num,
    classes: Vec<Class>,
    cumulative_share: Vec<f64>,
    anchors: Vec<Anchor>,
    season_amplitude: f64,
    season_peak_years: f64,
    price_scale: f64,
    history: Option<HistoryPlan>,
}

/// A demand history resolved: arrivals per hour of each history month and where its last month
/// lies.
#[derive(Clone, Debug)]
struct HistoryPlan {
    /// Arrivals per hour per history month, the first `skip` before the start.
    rates_per_hour: Vec<f64>,
    /// History months before the scenario start.
    skip: usize,
    /// Hours from the start to the middle of the last history month.
    last_mid_hours: f64,
}

impl DemandPlan {
    pub(super) fn new(
        s: &Scenario,
        history: Option<&DemandHistory>,
        supply: &SupplyPlan,
        r: &mut Registry,
    ) -> DemandPlan {
        let d = &s.demand;
        let n_skus = supply.skus.len();
        let arrivals_per_day = r.param("demand.arrivals_per_day", &d.arrivals_per_day);
        let growth_per_year_frac = r.param("demand.growth_per_year_frac", &d.growth_per_year_frac);
        let mut cumulative = 0.0;
        let mut cumulative_share = Vec::new();
        let classes = d
            .mix
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cumulative += c.share_frac;
                cumulative_share.push(cumulative);
                let (dur, unit) = c.duration.param_and_unit();
                let skus: Vec<u16> = if c.skus.is_empty() {
                    (0..n_skus as u16).collect()
                } else {
                    c.skus.iter().filter_map(|n| supply.sku_index(n)).collect()
                };
                let path = format!("demand.mix[{i}]");
                let size_gpus = r.process(format!("{path}.size_gpus"), &c.size_gpus);
                let duration = r.process(format!("{path}.duration"), dur);
                let max_price_ratio = c
                    .max_price_ratio
                    .as_ref()
                    .map(|p| r.process(format!("{path}.max_price_ratio"), p));
                let patience_hours = d.patience.iter().position(|p| p.class == c.class).map(|k| {
                    r.process(format!("demand.patience[{k}].hours"), &d.patience[k].hours)
                });
                Class {
                    load_frac: r.param(format!("{path}.load_frac"), &c.load_frac),
                    renewal_frac: r.param(format!("{path}.renewal_frac"), &c.renewal_frac),
                    prepay_frac: r.param(format!("{path}.prepay_frac"), &c.prepay_frac),
                    model: demand::ClassModel {
                        class: c.class,
                        size_gpus,
                        duration,
                        duration_unit_hours: unit,
                        skus,
                        load_frac: 0.0,
                        single_cluster: c.single_cluster,
                        max_price_ratio,
                        renewal_frac: 0.0,
                        prepay_frac: 0.0,
                        patience_hours,
                    },
                }
            })
            .collect();
        if let Some(last) = cumulative_share.last_mut() {
            *last = 1.0;
        }
        // Anchors on a SKU the fleet does not use are left out (and draw nothing).
        let anchors = d
            .anchors
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let sku = supply.sku_index(&a.sku)?;
                let path = format!("demand.anchors[{i}]");
                let (dur, unit) = a.duration.param_and_unit();
                Some(Anchor {
                    duration: r.param(format!("{path}.duration"), dur),
                    duration_unit_hours: unit,
                    price_usd_per_gpu_hour: r.param(
                        format!("{path}.price_usd_per_gpu_hour"),
                        &a.price_usd_per_gpu_hour,
                    ),
                    load_frac: r.param(format!("{path}.load_frac"), &a.load_frac),
                    prepay_frac: r.param(format!("{path}.prepay_frac"), &a.prepay_frac),
                    renewal_frac: r.param(format!("{path}.renewal_frac"), &a.renewal_frac),
                    model: demand::AnchorModel {
                        sku,
                        gpus: a.gpus.max(0) as u32,
                        duration_hours: 0.0,
                        price_usd_per_gpu_hour: 0.0,
                        load_frac: 0.0,
                        single_cluster: a.single_cluster,
                        prepay_frac: 0.0,
                        renewal_frac: 0.0,
                        sign_month: a.sign_month.max(0) as u32,
                    },
                })
            })
            .collect();
        let (season_amplitude, season_peak_years) = match &d.seasonality {
            Some(season) => {
                let offset = (season.peak_month as i64 - s.simulation.start.month as i64)
                    .rem_euclid(12) as f64;
                (season.amplitude_frac, (offset + 0.5) / 12.0)
            }
            None => (0.0, 0.0),
        };
        DemandPlan {
            arrivals_per_day,
            growth_per_year_frac,
            classes,
            cumulative_share,
            anchors,
            season_amplitude,
            season_peak_years,
            price_scale: s.pricing.price_scale,
            history: history.map(|h| {
                let start = s.simulation.start;
                HistoryPlan {
                    rates_per_hour: h.rates_per_hour(start, gpu_hours_per_request(d)),
                    skip: (-h.first_month).max(0) as usize,
                    last_mid_hours: h.last_mid_hours(start),
                }
            }),
        }
    }

    /// The demand process of one replication, under the regime's demand multiplier per month.
    pub(super) fn model(
        &self,
        v: &Drawn,
        month_multiplier: Vec<f64>,
        calendar: Calendar,
    ) -> demand::DemandModel {
        let classes = self
            .classes
            .iter()
            .map(|c| demand::ClassModel {
                load_frac: v.get(c.load_frac),
                renewal_frac: v.get(c.renewal_frac),
                prepay_frac: v.get(c.prepay_frac),
                ..c.model.clone()
            })
            .collect();
        let anchors = self
            .anchors
            .iter()
            .map(|a| demand::AnchorModel {
                duration_hours: v.get(a.duration) * a.duration_unit_hours,
                price_usd_per_gpu_hour: v.get(a.price_usd_per_gpu_hour) * self.price_scale,
                load_frac: v.get(a.load_frac),
                prepay_frac: v.get(a.prepay_frac),
                renewal_frac: v.get(a.renewal_frac),
                ..a.model.clone()
            })
            .collect();
        let growth_ln_per_year = (1.0 + v.get(self.growth_per_year_frac)).max(1e-9).ln();
        let horizon = calendar.horizon_months() as usize;
        let (base_per_hour, history_per_hour) = match &self.history {
            None => (v.get(self.arrivals_per_day) / 24.0, Vec::new()),
            Some(h) => {
                // The growth-and-season curve through the last history month's rate at its middle.
                let years = h.last_mid_hours / HOURS_PER_YEAR as f64;
                let season = 1.0
                    + self.season_amplitude
                        * (2.0 * std::f64::consts::PI * (years - self.season_peak_years)).cos();
                let last = h.rates_per_hour.last().copied().unwrap_or(0.0);
                let base = last / ((growth_ln_per_year * years).exp() * season);
                let covered = h.rates_per_hour.iter().skip(h.skip).take(horizon);
                (base, covered.copied().collect())
            }
        };
        demand::DemandModel {
            base_per_hour,
            growth_ln_per_year,
            season_amplitude: self.season_amplitude,
            season_peak_years: self.season_peak_years,
            month_multiplier,
            calendar,
            classes,
            cumulative_share: self.cumulative_share.clone(),
            anchors,
            history_per_hour,
            months: Vec::new(),
            constant: false,
        }
        .prepare()
    }
}
