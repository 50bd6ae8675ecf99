//! Energy integrated event to event equals a brute-force hour-by-hour sum.

use dcplan_sim::engine::{Meter, Rate};
use dcplan_sim::model::{ReplicationOptions, build, finance::Ledger};
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
        assert!((exact - brute).abs() <= 1e-9 * brute.abs().max(1e-300), "hour {h}: {exact} vs {brute}");
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
    let segments = engine.world.resource::<Meter>().trace().expect("tracing").to_vec();
    let rows = engine.world.resource::<Ledger>().rows.clone();
    assert_eq!(rows.len(), 4);
    for (m, row) in rows.iter().enumerate() {
        let h0 = cal.month_start(m as u32).hour_index();
        let h1 = cal.month_start(m as u32 + 1).hour_index();
        let it_kwh: f64 = (h0..h1).map(|h| brute_force_hour(&segments, h)).sum();
        let rel = (row.it_mwh * 1000.0 - it_kwh).abs() / it_kwh;
        assert!(rel < 1e-9, "month {m}: {} MWh vs brute force {} MWh", row.it_mwh, it_kwh / 1000.0);
        // Fixed PUE 1.25 and a flat 0.08 USD/kWh tariff.
        assert!((row.facility_mwh - 1.25 * row.it_mwh).abs() <= 1e-9 * row.facility_mwh);
        assert!((row.energy_cost_usd - 80.0 * row.facility_mwh).abs() <= 1e-9 * row.energy_cost_usd);
    }
}
