//! Energy integrated event to event equals a brute-force hour-by-hour sum.

use dcplan_sim::engine::{Meter, Rate};
use dcplan_sim::model::finance::Ledger;
use dcplan_sim::replication::{ReplicationOptions, build};
use dcplan_sim::time::{SECONDS_PER_HOUR, SimTime};
use rand::{Rng, SeedableRng};

use super::common::{load_text, one_node_mix, simple_scenario};

/// Energy of hour `h` from constant-power segments, by summing each segment's overlap with the hour.
fn brute_force_hour(segments: &[(SimTime, SimTime, f64)], h: u64) -> f64 {
    let (h0, h1) = (h * SECONDS_PER_HOUR, (h + 1) * SECONDS_PER_HOUR);
    // Segments are contiguous and sorted; find the first that ends after the hour starts.
    let first = segments.partition_point(|(_, to, _)| to.0 <= h0);
    let mut kwh = 0.0;
    for &(from, to, kw) in &segments[first..] {
        if from.0 >= h1 {
            break;
        }
        let overlap = to.0.min(h1) - from.0.max(h0);
        kwh += kw * overlap as f64 / SECONDS_PER_HOUR as f64;
    }
    kwh
}

#[test]
fn meter_hourly_energy_matches_brute_force_for_random_steps() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let hours = 744u64;
    let mut meter = Meter::new();
    meter.enable_trace();
    meter.start_month(SimTime::ZERO, hours as usize);
    let mut t = 0u64;
    while t < hours * SECONDS_PER_HOUR {
        t = (t + rng.next_u64() % 2_000).min(hours * SECONDS_PER_HOUR);
        meter.advance(SimTime(t));
        meter.set(Rate::ItKw, (rng.next_u64() % 100_000) as f64 / 7.0);
    }
    let segments = meter.trace().expect("tracing").to_vec();
    assert!(segments.len() > 2_000);
    for h in 0..hours {
        let exact = meter.hour_it_kwh()[h as usize];
        let brute = brute_force_hour(&segments, h);
        assert!(
            (exact - brute).abs() <= 1e-9 * brute.abs().max(1e-300),
            "hour {h}: {exact} vs {brute}"
        );
    }
}

#[test]
fn replication_energy_matches_brute_force_from_its_power_trace() {
    // Busy system: about 80 arrivals a day on 40 nodes for four months, so power changes often.
    let loaded = load_text(&simple_scenario(40, 80.0, &one_node_mix(12.0), 4));
    let (mut engine, _) = build(&loaded, 77, 0, &ReplicationOptions::default());
    engine.world.resource_mut::<Meter>().enable_trace();
    engine.initialize().expect("schedules build");
    let calendar = loaded.scenario.simulation.start;
    let cal = dcplan_sim::time::Calendar::new(calendar, 4);
    let events = engine.run_until(cal.end());
    assert!(events > 10_000, "{events} events");
    let segments = engine
        .world
        .resource::<Meter>()
        .trace()
        .expect("tracing")
        .to_vec();
    let rows = engine.world.resource::<Ledger>().rows.clone();
    assert_eq!(rows.len(), 4);
    for (m, row) in rows.iter().enumerate() {
        let h0 = cal.month_start(m as u32).hour_index();
        let h1 = cal.month_start(m as u32 + 1).hour_index();
        let it_kwh: f64 = (h0..h1).map(|h| brute_force_hour(&segments, h)).sum();
        let rel = (row.it_mwh * 1000.0 - it_kwh).abs() / it_kwh;
        assert!(
            rel < 1e-9,
            "month {m}: {} MWh vs brute force {} MWh",
            row.it_mwh,
            it_kwh / 1000.0
        );
        // Fixed PUE 1.25 and a flat 0.08 USD/kWh tariff.
        assert!((row.facility_mwh - 1.25 * row.it_mwh).abs() <= 1e-9 * row.facility_mwh);
        assert!(
            (row.energy_cost_usd - 80.0 * row.facility_mwh).abs() <= 1e-9 * row.energy_cost_usd
        );
    }
}

mod supply {
    use dcplan_sim::catalog::Catalog;
    use dcplan_sim::energy::cooling::CoolingPreset;
    use dcplan_sim::energy::dispatch::{
        BatterySpec, DispatchState, EnergySpec, Facility, GasSpec, HourFlows, HourIn, PpaSpec,
        dispatch_month,
    };
    use dcplan_sim::energy::weather::{HourWeather, WeatherGen};
    use dcplan_sim::scenario::{BatteryDispatch, GasMode, Settlement};
    use rand::{Rng, SeedableRng};

    fn spec(facility: Facility) -> EnergySpec {
        EnergySpec {
            facility,
            interconnect_kw: None,
            ppa: None,
            solar_kw: 0.0,
            wind_kw: 0.0,
            battery: None,
            gas: None,
            export: true,
            carbon_usd_per_t: 0.0,
            demand_charge_usd_per_kw_month: 0.0,
            fixed_usd_per_month: 0.0,
            asset_om_usd_per_month: 0.0,
            grid_carbon_free_frac: 0.3,
        }
    }

    /// A month of hours with random load, weather and prices (some negative).
    fn hours(seed: u64) -> Vec<HourIn> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..744)
            .map(|i| {
                let u =
                    |rng: &mut rand_chacha::ChaCha8Rng| (rng.next_u64() % 10_000) as f64 / 10_000.0;
                HourIn {
                    it_kwh: 5_000.0 + 10_000.0 * u(&mut rng),
                    capacity_kw: 20_000.0,
                    revenue_usd: 30_000.0,
                    weather: HourWeather {
                        temperature_c: 10.0 + 20.0 * u(&mut rng),
                        solar_cf: if (6..18).contains(&(i % 24)) {
                            u(&mut rng)
                        } else {
                            0.0
                        },
                        wind_cf: u(&mut rng),
                        grid_gco2_per_kwh: 350.0,
                        wet_bulb_c: f64::NAN,
                        marginal_gco2_per_kwh: f64::NAN,
                    },
                    grid_usd_per_kwh: 0.02 + 0.1 * u(&mut rng)
                        - if i % 50 == 0 { 0.05 } else { 0.0 },
                    market_usd_per_kwh: 0.01 + 0.08 * u(&mut rng),
                }
            })
            .collect()
    }

    #[test]
    fn energy_is_conserved_every_hour_and_the_battery_stays_in_bounds() {
        let air = Catalog::builtin()
            .cooling_preset("air-economizer")
            .expect("preset")
            .clone();
        for (dispatch, gas_mode, settlement) in [
            (
                BatteryDispatch::PriceArbitrage,
                GasMode::GridParallel,
                Settlement::Physical,
            ),
            (
                BatteryDispatch::PeakShaving(0.8),
                GasMode::Islanded,
                Settlement::Virtual,
            ),
        ] {
            let mut s = spec(Facility::Cooling(air.clone()));
            s.solar_kw = 15_000.0;
            s.wind_kw = 5_000.0;
            s.ppa = Some(PpaSpec {
                strike_usd_per_kwh: 0.05,
                profile: 0,
                kw: 10_000.0,
                settlement,
            });
            s.battery = Some(BatterySpec {
                capacity_kwh: 40_000.0,
                power_kw: 10_000.0,
                round_trip: 0.85,
                wear_usd_per_kwh: 0.01,
                life_cycles: 5_000.0,
                replacement_usd: 1e6,
                dispatch: dispatch.clone(),
            });
            s.gas = Some(GasSpec {
                kw: 4_000.0,
                heat_rate_btu_per_kwh: 7_000.0,
                marginal_usd_per_kwh: 0.04,
                mode: gas_mode,
            });
            let mut state = DispatchState::default();
            let mut flows: Vec<HourFlows> = Vec::new();
            let m = dispatch_month(&s, &mut state, &hours(5), Some(&mut flows));
            assert_eq!(flows.len(), 744);
            for (i, f) in flows.iter().enumerate() {
                let supply = f.grid + f.ppa + f.solar + f.wind + f.gas + f.discharge - f.charge;
                assert!(
                    (f.load - supply).abs() <= 1e-9 * f.load,
                    "{dispatch:?} hour {i}: load {} vs supply {supply}",
                    f.load
                );
                assert!(
                    f.soc >= -1e-9 && f.soc <= 40_000.0 + 1e-9,
                    "hour {i}: soc {}",
                    f.soc
                );
                assert!(f.grid >= 0.0 && f.export >= 0.0 && f.charge >= 0.0 && f.discharge >= 0.0);
                assert!(f.pue >= 1.0);
            }
            assert!(
                m.discharge_kwh > 0.0 && m.charge_kwh > 0.0,
                "{dispatch:?}: the battery was used"
            );
        }
    }

    /// A battery under price arbitrage never costs more than no battery: it charges from the
    /// grid only up to the month's peak import without it (no new demand charge), and stores
    /// surplus only where that pays more than exporting it.
    #[test]
    fn arbitrage_never_raises_the_demand_charge_or_stores_at_a_loss() {
        let battery = |round_trip: f64| BatterySpec {
            capacity_kwh: 40_000.0,
            power_kw: 10_000.0,
            round_trip,
            wear_usd_per_kwh: 0.005,
            life_cycles: 5_000.0,
            replacement_usd: 0.0,
            dispatch: BatteryDispatch::PriceArbitrage,
        };
        for seed in 1..6 {
            let h = hours(seed);
            let mut s = spec(Facility::FixedPue(1.2));
            s.solar_kw = 12_000.0;
            s.demand_charge_usd_per_kw_month = 15.0;
            let without = dispatch_month(&s, &mut DispatchState::default(), &h, None);
            s.battery = Some(battery(0.88));
            let with = dispatch_month(&s, &mut DispatchState::default(), &h, None);
            assert!(
                with.peak_grid_kw <= without.peak_grid_kw + 1e-9,
                "seed {seed}: peak {} with the battery, {} without",
                with.peak_grid_kw,
                without.peak_grid_kw
            );
            assert!(with.charge_kwh > 0.0, "seed {seed}: the battery was used");
            // A battery that gives back almost nothing stores no surplus it could export (it
            // still charges from the grid where the price is negative: it is paid to).
            s.battery = Some(battery(1e-9));
            let lossy = dispatch_month(&s, &mut DispatchState::default(), &h, None);
            assert_eq!(
                lossy.export_credit_usd, without.export_credit_usd,
                "seed {seed}"
            );
            assert_eq!(lossy.export_kwh, without.export_kwh, "seed {seed}");
        }
    }

    /// Grid-parallel gas runs in the hours where its kWh, carbon included, costs less than the
    /// grid's: a carbon price moves hours to the cleaner source.
    #[test]
    fn grid_parallel_gas_runs_where_it_is_cheaper_carbon_included() {
        let h = hours(4);
        for carbon in [0.0, 200.0] {
            let mut s = spec(Facility::FixedPue(1.2));
            s.carbon_usd_per_t = carbon;
            s.gas = Some(GasSpec {
                kw: 50_000.0,
                heat_rate_btu_per_kwh: 7_000.0,
                marginal_usd_per_kwh: 0.04,
                mode: GasMode::GridParallel,
            });
            let mut flows: Vec<HourFlows> = Vec::new();
            let m = dispatch_month(&s, &mut DispatchState::default(), &h, Some(&mut flows));
            // 53.06 kg CO2 per MMBtu (US EPA), as the model uses.
            let gas_cost = 0.04 + 7_000.0 / 1e6 * 53.06 / 1000.0 * carbon;
            for (i, (f, x)) in flows.iter().zip(&h).enumerate() {
                let grid_cost = x.grid_usd_per_kwh + 350.0 / 1e6 * carbon;
                assert_eq!(
                    f.gas > 0.0,
                    gas_cost < grid_cost,
                    "carbon {carbon}, hour {i}"
                );
            }
            assert!(
                m.gas_kwh > 0.0 && m.grid_kwh > 0.0,
                "carbon {carbon}: both ran"
            );
        }
    }

    #[test]
    fn the_demand_charge_is_the_monthly_peak_times_the_rate() {
        let mut s = spec(Facility::FixedPue(1.2));
        s.demand_charge_usd_per_kw_month = 15.0;
        let h = hours(9);
        let m = dispatch_month(&s, &mut DispatchState::default(), &h, None);
        let peak = h.iter().map(|x| x.it_kwh * 1.2).fold(0.0, f64::max);
        assert!((m.peak_grid_kw - peak).abs() < 1e-9);
        assert!((m.demand_charge_usd - 15.0 * peak).abs() < 1e-6);
        let energy: f64 = h.iter().map(|x| x.it_kwh * 1.2 * x.grid_usd_per_kwh).sum();
        assert!((m.cost_usd - (energy + 15.0 * peak)).abs() < 1e-6);
    }

    #[test]
    fn a_virtual_ppa_settles_market_minus_strike_times_volume() {
        let mut s = spec(Facility::FixedPue(1.2));
        s.ppa = Some(PpaSpec {
            strike_usd_per_kwh: 0.045,
            profile: 2,
            kw: 8_000.0,
            settlement: Settlement::Virtual,
        });
        let h = hours(3);
        let with = dispatch_month(&s, &mut DispatchState::default(), &h, None);
        let without = dispatch_month(
            &spec(Facility::FixedPue(1.2)),
            &mut DispatchState::default(),
            &h,
            None,
        );
        let settlement: f64 = h
            .iter()
            .map(|x| (x.market_usd_per_kwh - 0.045) * 8_000.0)
            .sum();
        // The buyer receives (market - strike) x volume, so its cost falls by exactly that.
        assert!(
            (without.cost_usd - with.cost_usd - settlement).abs() < 1e-6,
            "{} vs {}",
            without.cost_usd - with.cost_usd,
            settlement
        );
        assert!((with.ppa_usd + settlement).abs() < 1e-6);
        assert_eq!(
            with.grid_kwh, without.grid_kwh,
            "a virtual PPA delivers no energy"
        );
    }

    /// The carbon-free share counts a virtual PPA's certificates on the import they cover and the
    /// grid's carbon-free share only on the rest of the import: a flat PPA below the load gives
    /// exactly the score of the same volume settled physically, `(P + 0.3 (L - P)) / L` each hour.
    #[test]
    fn a_virtual_ppa_s_certificates_are_not_counted_twice_in_the_carbon_free_share() {
        let h = hours(7);
        let with = |settlement: Settlement| {
            let mut s = spec(Facility::FixedPue(1.2));
            s.export = false;
            // A flat profile of 2,000 kW, below every hour's load (at least 6,000 kW).
            s.ppa = Some(PpaSpec {
                strike_usd_per_kwh: 0.045,
                profile: 2,
                kw: 2_000.0,
                settlement,
            });
            dispatch_month(&s, &mut DispatchState::default(), &h, None)
        };
        let expected: f64 = h
            .iter()
            .map(|x| {
                let load = x.it_kwh * 1.2;
                2_000.0 + 0.3 * (load - 2_000.0)
            })
            .sum();
        for settlement in [Settlement::Physical, Settlement::Virtual] {
            let m = with(settlement);
            assert!(
                (m.cfe_kwh - expected).abs() <= 1e-9 * expected,
                "{settlement:?}: {} vs {expected}",
                m.cfe_kwh
            );
        }
    }

    /// Market-based Scope 2, hourly matched: a virtual PPA's energy covers at most the grid
    /// import of its own hour, on-site generation is already netted, and without contracts or
    /// on-site supply it equals the location-based figure.
    #[test]
    fn market_based_emissions_net_contracts_hour_by_hour() {
        let h = hours(3);
        let plain = dispatch_month(
            &spec(Facility::FixedPue(1.2)),
            &mut DispatchState::default(),
            &h,
            None,
        );
        assert_eq!(plain.market_tco2.to_bits(), plain.tco2.to_bits());
        // A virtual solar PPA: certificates only in daylight hours, each capped at the hour's import.
        let mut s = spec(Facility::FixedPue(1.2));
        s.ppa = Some(PpaSpec {
            strike_usd_per_kwh: 0.045,
            profile: 0,
            kw: 30_000.0,
            settlement: Settlement::Virtual,
        });
        let with = dispatch_month(&s, &mut DispatchState::default(), &h, None);
        assert_eq!(with.tco2.to_bits(), plain.tco2.to_bits(), "location-based");
        let expected: f64 = h
            .iter()
            .map(|x| {
                let grid = x.it_kwh * 1.2;
                (grid - (30_000.0 * x.weather.solar_cf).min(grid)) * 350.0 / 1e6
            })
            .sum();
        assert!(
            (with.market_tco2 - expected).abs() < 1e-9 * expected,
            "{} vs {expected}",
            with.market_tco2
        );
        // More certificates than load in some hours: annual netting would go lower.
        let annual = (plain.tco2
            - h.iter().map(|x| 30_000.0 * x.weather.solar_cf).sum::<f64>() * 350.0 / 1e6)
            .max(0.0);
        assert!(with.market_tco2 > annual && with.market_tco2 < plain.tco2);
        // On-site solar and gas: the import falls in both methods; gas counts in both.
        let mut s = spec(Facility::FixedPue(1.2));
        s.solar_kw = 10_000.0;
        s.gas = Some(GasSpec {
            kw: 2_000.0,
            heat_rate_btu_per_kwh: 7_000.0,
            marginal_usd_per_kwh: 0.0,
            mode: GasMode::Islanded,
        });
        let site = dispatch_month(&s, &mut DispatchState::default(), &h, None);
        assert!((site.market_tco2 - site.tco2).abs() < 1e-9 * site.tco2);
        assert!(site.tco2 < plain.tco2);
    }

    #[test]
    fn the_interconnect_caps_facility_power_and_counts_the_loss() {
        let mut s = spec(Facility::FixedPue(1.25));
        s.interconnect_kw = Some(15_000.0);
        let h = hours(4);
        let m = dispatch_month(&s, &mut DispatchState::default(), &h, None);
        let over: Vec<&HourIn> = h.iter().filter(|x| x.it_kwh * 1.25 > 15_000.0).collect();
        assert!(!over.is_empty());
        assert_eq!(m.capped_hours, over.len() as f64);
        let curtailed: f64 = over.iter().map(|x| x.it_kwh - 15_000.0 / 1.25).sum();
        assert!((m.curtailed_it_kwh - curtailed).abs() < 1e-6);
        let lost: f64 = over
            .iter()
            .map(|x| x.revenue_usd * (1.0 - 12_000.0 / x.it_kwh))
            .sum();
        assert!((m.revenue_lost_usd - lost).abs() < 1e-6);
        assert!((m.peak_grid_kw - 15_000.0).abs() < 1e-6);
    }

    /// Annual PUE of a preset in a climate: a year of hourly weather at a steady 70 % IT load.
    fn annual_pue(preset: &CoolingPreset, climate: &str) -> f64 {
        let cat = Catalog::builtin();
        let mut weather = WeatherGen::new(cat.climate(climate).expect("climate").clone(), None);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        let year = weather.hours(0, 8760, &mut rng);
        let (it, fac) = year.iter().fold((0.0, 0.0), |(it, fac), w| {
            (
                it + 700.0,
                fac + preset.facility_kwh(700.0, 1000.0, w.temperature_c),
            )
        });
        fac / it
    }

    #[test]
    fn every_cooling_preset_lands_in_its_published_range_in_every_climate() {
        let cat = Catalog::builtin();
        for preset in &cat.cooling {
            for climate in &cat.climates {
                let pue = annual_pue(preset, &climate.name);
                let (lo, hi) = preset.range_pue;
                assert!(
                    pue >= lo && pue <= hi,
                    "{} in {}: annual PUE {pue:.3} outside {lo}-{hi}",
                    preset.name,
                    climate.name
                );
                assert!(pue >= 1.0);
            }
        }
        // Air cooling in warm climates sits in the 1.3-1.6 band (SPEC section 4.3).
        let air = cat.cooling_preset("air-economizer").expect("air");
        for warm in ["texas", "arizona", "singapore"] {
            let pue = annual_pue(air, warm);
            assert!((1.3..=1.6).contains(&pue), "air in {warm}: {pue:.3}");
        }
    }

    /// Annual water use of a preset in a climate, litres per IT kWh.
    fn annual_wue(preset: &CoolingPreset, climate: &str) -> f64 {
        let cat = Catalog::builtin();
        let mut weather = WeatherGen::new(cat.climate(climate).expect("climate").clone(), None);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        weather
            .hours(0, 8760, &mut rng)
            .iter()
            .map(|w| preset.water_l_per_kwh(w.temperature_c, w.wet_bulb_c))
            .sum::<f64>()
            / 8760.0
    }

    #[test]
    fn water_use_follows_the_heat_and_dry_presets_use_none() {
        let cat = Catalog::builtin();
        for dry in ["direct-liquid", "immersion"] {
            let p = cat.cooling_preset(dry).expect("preset");
            assert!(
                cat.climates.iter().all(|c| annual_wue(p, &c.name) == 0.0),
                "{dry} uses dry coolers"
            );
        }
        let air = cat.cooling_preset("air-economizer").expect("air");
        let w = air.water.as_ref().expect("evaporative assist");
        assert_eq!(
            air.water_l_per_kwh(w.above_c - 5.0, f64::NAN),
            0.0,
            "no evaporation in cool hours"
        );
        assert!(
            (air.water_l_per_kwh(w.above_c + 2.0, f64::NAN) - 2.0 * w.l_per_kwh_per_c).abs()
                < 1e-12
        );
        assert_eq!(
            air.water_l_per_kwh(200.0, f64::NAN),
            w.max_l_per_kwh,
            "capped"
        );
        // Where the weather gives humidity, evaporation follows the wet bulb: the threshold is
        // above_c read at 70 % relative humidity (Stull 2011: 12 C at 70 % is 8.8 C wet bulb).
        assert!(
            (w.above_wet_bulb_c() - 8.83).abs() < 0.01,
            "{}",
            w.above_wet_bulb_c()
        );
        let wb = w.above_wet_bulb_c() + 2.0;
        for dry in [w.above_c - 5.0, w.above_c + 10.0] {
            assert!(
                (air.water_l_per_kwh(dry, wb) - 2.0 * w.l_per_kwh_per_c).abs() < 1e-12,
                "the wet bulb decides, whatever the dry bulb"
            );
        }
        assert_eq!(
            air.water_l_per_kwh(35.0, w.above_wet_bulb_c() - 1.0),
            0.0,
            "dry hot air"
        );
        // Evaporating all the heat takes 1.6 L/kWh; the cap adds blowdown to that, no more than double.
        assert!(
            w.max_l_per_kwh >= dcplan_sim::energy::cooling::EVAPORATION_L_PER_KWH
                && w.max_l_per_kwh <= 2.0 * 1.6
        );
        // Warmer climates use more water; temperate Northern Virginia lands within half of Meta's
        // published fleet WUE of 0.26 L/kWh (2023 sustainability report).
        let by_climate: Vec<f64> = [
            "nordics",
            "northern-virginia",
            "texas",
            "arizona",
            "singapore",
        ]
        .iter()
        .map(|c| annual_wue(air, c))
        .collect();
        assert!(by_climate.windows(2).all(|p| p[0] < p[1]), "{by_climate:?}");
        assert!((0.13..=0.39).contains(&by_climate[1]), "{by_climate:?}");
    }
}

#[test]
fn monthly_water_is_the_sum_of_the_hours_and_a_fixed_pue_reports_none() {
    let loaded = dcplan_sim::load_default().expect("default scenario");
    let r = dcplan_sim::replication::run_replication(&loaded, 5, 0, &ReplicationOptions::default());
    let air = loaded
        .catalog
        .cooling_preset("air-economizer")
        .expect("air");
    assert_eq!(r.hourly.len(), 8760, "replication 0 keeps a year of hours");
    let cal = dcplan_sim::time::Calendar::new(loaded.scenario.simulation.start, 12);
    let mut start = 0;
    for m in 0..12 {
        let n = cal.hours_in_month(m as u32) as usize;
        let month = &r.hourly[start..start + n];
        start += n;
        let litres: f64 = month.iter().map(|h| h.water_l).sum();
        let want = r.months[m].water_m3 * 1000.0;
        assert!(
            (litres - want).abs() <= 1e-9 * want.max(1.0),
            "month {m}: {litres} L hourly vs {want} L monthly"
        );
        for h in month.iter().filter(|h| h.load > 0.0) {
            // Water follows the hour's IT energy (facility / PUE) and outdoor temperature.
            let expect = air.water_l_per_kwh(h.temperature_c, f64::NAN) * h.load / h.pue;
            assert!(
                (h.water_l - expect).abs() <= 1e-9 * expect.max(1e-9),
                "{} vs {expect}",
                h.water_l
            );
        }
    }
    let total: f64 = r.months.iter().map(|m| m.water_m3).sum();
    let it: f64 = r.months.iter().map(|m| m.it_mwh).sum();
    assert!(total > 0.0, "a summer in Northern Virginia uses water");
    assert_eq!(r.kpis.water_m3, Some(total));
    assert!((r.kpis.wue_l_per_kwh.expect("modelled") - total / it).abs() < 1e-12);

    // A fixed PUE says nothing about heat rejection: no water figure rather than a false zero.
    let fixed = load_text(&simple_scenario(4, 2.0, &one_node_mix(12.0), 2));
    let r = dcplan_sim::replication::run_replication(&fixed, 5, 0, &ReplicationOptions::default());
    assert_eq!((r.kpis.water_m3, r.kpis.wue_l_per_kwh), (None, None));
    assert!(r.months.iter().all(|m| m.water_m3.is_nan()));
}

#[test]
fn time_of_use_weekdays_follow_the_calendar_across_leap_days() {
    // No demand: every node idles at a constant power, so each month's energy cost over its
    // energy is the mean price of its hours, which counts the real weekdays of that month.
    let text = super::common::simple_scenario(
        2,
        0.0,
        "[(class: OnDemand, share_frac: 1.0, size_gpus: 8, duration: Hours(1), load_frac: 0.5)]",
        15,
    )
    .replace(
        "tariff: Flat(price_usd_per_kwh: 0.08)",
        "tariff: TimeOfUse(peak_usd_per_kwh: 0.20, off_peak_usd_per_kwh: 0.05, peak_start_hour: 8, peak_end_hour: 20)",
    )
    .replace("start: (year: 2027, month: 1)", "start: (year: 2028, month: 1)");
    let loaded = super::common::load_text(&text);
    let rep = super::common::run(&loaded, 1, 0);
    let days_in = |year: i32, month: u32| match month {
        2 if year % 4 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    for (m, row) in rep.months.iter().enumerate() {
        let (year, month) = (2028 + (m as i32) / 12, (m as u32) % 12 + 1);
        let first = dcplan_sim::energy::prices::first_weekday(year, month);
        // The clock's months have 28 days in February; every other month its calendar length.
        let days = if month == 2 { 28 } else { days_in(year, month) };
        let weekdays = (0..days).filter(|d| (first + d) % 7 < 5).count() as f64;
        let hours = days as f64 * 24.0;
        let mean = (weekdays * 12.0 * 0.20 + (hours - weekdays * 12.0) * 0.05) / hours;
        let price = row.energy_cost_usd / (row.facility_mwh * 1000.0);
        assert!(
            (price - mean).abs() < 1e-9,
            "{year}-{month:02}: mean price {price} against {mean} from the calendar"
        );
    }
}

#[test]
fn embodied_carbon_is_counted_at_delivery_apart_from_operating_emissions() {
    // 32 GPUs delivered in month 2 at 2 tCO2e each: 64 tCO2e in month 2 and over the horizon,
    // and the operating emissions are those of the same build without it.
    let base = simple_scenario(4, 2.0, &one_node_mix(24.0), 6).replace(
        "gpus: 32, price_usd_per_gpu: 30000,",
        "gpus: 32, order_month: 2, price_usd_per_gpu: 30000,",
    );
    assert!(base.contains("order_month: 2"), "{base}");
    let with = base.replace(
        "network_usd_per_node: 40000)",
        "network_usd_per_node: 40000, embodied_tco2_per_gpu: 2.0)",
    );
    assert_ne!(with, base);
    let run = |text: &str| super::common::run(&load_text(text), 3, 0);
    let (a, b) = (run(&with), run(&base));
    for (m, row) in a.months.iter().enumerate() {
        let expected = if m == 2 { 64.0 } else { 0.0 };
        assert_eq!(row.embodied_tco2, expected, "month {m}");
        assert_eq!(row.tco2.to_bits(), b.months[m].tco2.to_bits(), "month {m}");
    }
    assert_eq!(a.kpis.embodied_tco2, 64.0);
    assert_eq!(b.kpis.embodied_tco2, 0.0);
}
