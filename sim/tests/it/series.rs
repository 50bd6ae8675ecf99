//! Hourly series from files, through the scenario: the named column prices the energy, grid
//! carbon sets the emissions, errors name the file, line and field, and resampled years keep
//! common random numbers between variants.

use std::path::{Path, PathBuf};

use dcplan_sim::Replication;
use dcplan_sim::replication::{ReplicationOptions, run_replication};
use dcplan_sim::scenario::LoadedScenario;

use super::common::simple_scenario;

/// A fresh folder for one test's files.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dcplan-series-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp folder");
    dir
}

/// Rows `YYYY-MM-DDTHH:00Z,<f(year index, hour)>` of whole UTC years from `first`.
fn utc_years(first: i32, years: i32, header: &str, f: impl Fn(i32, u32) -> String) -> String {
    let mut t = format!("{header}\n");
    for y in first..first + years {
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        let mut h = 0;
        for (m, &n) in days.iter().enumerate() {
            for d in 1..=n {
                for hour in 0..24 {
                    t.push_str(&format!(
                        "{y:04}-{:02}-{d:02}T{hour:02}:00Z,{}\n",
                        m + 1,
                        f(y - first, h)
                    ));
                    h += 1;
                }
            }
        }
    }
    t
}

fn load(dir: &Path, text: &str) -> Result<LoadedScenario, String> {
    let path = dir.join("s.ron");
    std::fs::write(&path, text).expect("write");
    dcplan_sim::load_file(&path).map_err(|e| e.to_string())
}

fn scenario(nodes: u32, horizon_months: u32) -> String {
    simple_scenario(
        nodes,
        4.0,
        "[(class: OnDemand, share_frac: 1.0, size_gpus: 8, duration: Hours(Exponential(48)), load_frac: 0.8)]",
        horizon_months,
    )
}

fn with(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "`{from}` not in the scenario");
    text.replacen(from, to, 1)
}

fn run(loaded: &LoadedScenario, replication: u64) -> Replication {
    run_replication(loaded, 3, replication, &ReplicationOptions::default())
}

#[test]
fn the_named_column_prices_the_energy_not_the_last_one() {
    // A PJM-style export: the total price, its components, and the loss component last.
    let dir = folder("column");
    std::fs::write(
        dir.join("lmp.csv"),
        utc_years(
            2023,
            1,
            "timestamp,total_lmp,energy,congestion,loss",
            |_, _| "52.80,38.00,2.00,12.80".into(),
        ),
    )
    .expect("write");
    let base = scenario(4, 3);
    let csv = load(
        &dir,
        &with(
            &base,
            "tariff: Flat(price_usd_per_kwh: 0.08)",
            "tariff: Csv(path: \"lmp.csv\", column: \"total_lmp\", unit: UsdPerMwh)",
        ),
    )
    .expect("valid");
    let flat = load(
        &dir,
        &with(
            &base,
            "price_usd_per_kwh: 0.08",
            "price_usd_per_kwh: 0.0528",
        ),
    )
    .expect("valid");
    let (a, b) = (run(&csv, 0), run(&flat, 0));
    let cost = |r: &Replication| {
        r.months
            .iter()
            .map(|m| m.grid_energy_usd)
            .collect::<Vec<_>>()
    };
    assert!(cost(&a).iter().sum::<f64>() > 0.0);
    assert_eq!(
        cost(&a),
        cost(&b),
        "the hourly price is $52.80/MWh every hour"
    );
    // Without `column`, the file's columns are listed.
    let err = load(
        &dir,
        &with(
            &base,
            "tariff: Flat(price_usd_per_kwh: 0.08)",
            "tariff: Csv(path: \"lmp.csv\", unit: UsdPerMwh)",
        ),
    )
    .unwrap_err();
    assert!(
        err.contains("energy.tariff.path")
            && err.contains("lmp.csv: line 1: 4 value columns")
            && err.contains("\"loss\""),
        "{err}"
    );
}

#[test]
fn grid_carbon_from_a_file_sets_the_emissions() {
    let dir = folder("carbon");
    // 500 gCO2/kWh written as 1,102.3 lb/MWh (500 / 0.45359237).
    std::fs::write(
        dir.join("co2.csv"),
        utc_years(2026, 2, "time,co2_lb_per_mwh", |_, _| {
            format!("{}", 500.0 / 0.453_592_37)
        }),
    )
    .expect("write");
    let text = with(
        &scenario(4, 3),
        "tariff: Flat(price_usd_per_kwh: 0.08)",
        "tariff: Flat(price_usd_per_kwh: 0.08), grid_carbon: (path: \"co2.csv\", unit: LbCo2PerMwh)",
    );
    let r = run(&load(&dir, &text).expect("valid"), 0);
    for m in &r.months {
        assert!(m.grid_mwh > 0.0);
        assert!(
            (m.tco2 - 0.5 * m.grid_mwh).abs() <= 1e-9 * m.tco2,
            "month {}: {} tCO2 for {} MWh",
            m.month,
            m.tco2,
            m.grid_mwh
        );
    }
}

#[test]
fn a_marginal_emission_series_prices_imports_beside_the_location_based_figure() {
    let dir = folder("marginal");
    // 400 gCO2/kWh marginal at night, 700 by day (gas on the margin).
    std::fs::write(
        dir.join("moer.csv"),
        utc_years(2026, 2, "timestamp,moer_g_per_kwh", |_, h| {
            if (8..20).contains(&(h % 24)) {
                "700"
            } else {
                "400"
            }
            .to_string()
        }),
    )
    .expect("write");
    let base = scenario(4, 3);
    let text = with(
        &base,
        "tariff: Flat(price_usd_per_kwh: 0.08)",
        "tariff: Flat(price_usd_per_kwh: 0.08), marginal_emissions: (path: \"moer.csv\", unit: GCo2PerKwh)",
    );
    let with_series = run(&load(&dir, &text).expect("valid"), 0);
    let without = run(&load(&dir, &base).expect("valid"), 0);
    for (a, b) in with_series.months.iter().zip(&without.months) {
        assert!(a.grid_mwh > 0.0);
        let (lo, hi) = (0.4 * a.grid_mwh, 0.7 * a.grid_mwh);
        assert!(
            a.marginal_tco2 > lo && a.marginal_tco2 < hi,
            "month {}: {} tCO2 for {} MWh",
            a.month,
            a.marginal_tco2,
            a.grid_mwh
        );
        assert_eq!(
            a.avoided_marginal_tco2, 0.0,
            "a grid-only site exports nothing"
        );
        // The location-based figure and everything else are untouched by the series.
        assert_eq!(a.tco2, b.tco2);
        assert_eq!(a.grid_mwh, b.grid_mwh);
        assert!(b.marginal_tco2.is_nan() && b.avoided_marginal_tco2.is_nan());
    }
    // A constant rate gives exactly rate x imports.
    std::fs::write(
        dir.join("flat.csv"),
        utc_years(2026, 2, "timestamp,moer_g_per_kwh", |_, _| "500".into()),
    )
    .expect("write");
    let flat = run(
        &load(&dir, &text.replace("moer.csv", "flat.csv")).expect("valid"),
        0,
    );
    for m in &flat.months {
        assert!((m.marginal_tco2 - 0.5 * m.grid_mwh).abs() <= 1e-9 * m.marginal_tco2);
    }
    // A price file is not an emission rate.
    let err = load(&dir, &text.replace("unit: GCo2PerKwh", "unit: UsdPerMwh")).unwrap_err();
    assert!(err.contains("energy.marginal_emissions.unit"), "{err}");
}

#[test]
fn bad_series_are_reported_with_file_line_and_field_all_at_once() {
    let dir = folder("errors");
    let good = utc_years(2023, 1, "timestamp,price_usd_per_mwh", |_, h| {
        format!("{}", h % 90)
    });
    let mut gap: Vec<&str> = good.lines().collect();
    gap.remove(101); // hour 100, line 102
    std::fs::write(dir.join("gap.csv"), gap.join("\n")).expect("write");
    std::fs::write(dir.join("good.csv"), &good).expect("write");
    let text = with(
        &with(
            &scenario(4, 24),
            "tariff: Flat(price_usd_per_kwh: 0.08)",
            "tariff: Csv(path: \"gap.csv\", unit: UsdPerMwh), \
             grid_carbon: (path: \"good.csv\", unit: UsdPerMwh)",
        ),
        "pue: 1.25,",
        "pue: 1.25, weather_csv: \"good.csv\", \
         temperature: (path: \"good.csv\", unit: C, zone: \"Mars/Olympus\", years: Calendar),",
    );
    let err = load(&dir, &text).unwrap_err();
    for expect in [
        "energy.tariff.path: ",
        "gap.csv: line 102: a gap of 1 hour between line 101",
        "energy.grid_carbon.unit: UsdPerMwh ($/MWh) is a unit of price, not of carbon intensity",
        "site: give hourly temperatures either as `weather_csv` or as `temperature`, not both",
        "site.temperature.zone: unknown zone \"Mars/Olympus\"",
        // The price header names $/MWh; read as temperatures it is a unit mismatch.
        "good.csv: line 1: column \"price_usd_per_mwh\" is a price by its name, but the scenario declares C (C), a unit of temperature",
    ] {
        assert!(err.contains(expect), "missing `{expect}` in:\n{err}");
    }
    // A series that does not cover the horizon cannot be read by calendar year.
    let text = with(
        &scenario(4, 24),
        "tariff: Flat(price_usd_per_kwh: 0.08)",
        "tariff: Csv(path: \"good.csv\", unit: UsdPerMwh, years: Calendar)",
    );
    let err = load(&dir, &text).unwrap_err();
    assert!(
        err.contains("energy.tariff.years: Calendar: ")
            && err.contains("covers 2023-2023, but the simulation runs through 2027-2028"),
        "{err}"
    );
    // The short form of earlier versions still reads a one-column year of values.
    let mut plain = String::from("price\n");
    for h in 0..8_760 {
        plain.push_str(&format!("{}\n", 20 + h % 7));
    }
    std::fs::write(dir.join("plain.csv"), plain).expect("write");
    let text = with(
        &scenario(4, 3),
        "tariff: Flat(price_usd_per_kwh: 0.08)",
        "tariff: Csv(path: \"plain.csv\", unit: UsdPerMwh)",
    );
    let loaded = load(&dir, &text).expect("valid");
    let p = loaded.price_csv.expect("read");
    assert_eq!((p.values()[0], p.values()[6]), (20.0 * 1e-3, 26.0 * 1e-3));
}

#[cfg(unix)]
#[test]
fn links_out_of_the_scenario_folder_are_refused_and_links_within_it_read() {
    let root = folder("links");
    let (scen, outside) = (root.join("scenario"), root.join("outside"));
    std::fs::create_dir_all(scen.join("data")).expect("mkdir");
    std::fs::create_dir_all(&outside).expect("mkdir");
    let year = utc_years(2023, 1, "timestamp,price_usd_per_mwh", |_, h| {
        format!("{}", h % 90)
    });
    std::fs::write(outside.join("secret.csv"), &year).expect("write");
    std::fs::write(scen.join("data/inside.csv"), &year).expect("write");
    let link = |target: &Path, name: &str| {
        std::os::unix::fs::symlink(target, scen.join(name)).expect("symlink")
    };
    link(&outside.join("secret.csv"), "data/file-link.csv");
    link(&outside, "data/dir-link");
    link(&scen.join("data/inside.csv"), "data/inner-link.csv");
    let tariff = |path: &str| {
        with(
            &scenario(4, 3),
            "tariff: Flat(price_usd_per_kwh: 0.08)",
            &format!("tariff: Csv(path: \"{path}\", unit: UsdPerMwh)"),
        )
    };
    for path in ["data/file-link.csv", "data/dir-link/secret.csv"] {
        let err = load(&scen, &tariff(path)).unwrap_err();
        assert!(
            err.contains("energy.tariff.path")
                && err.contains("leads out of the scenario's folder"),
            "{path}: {err}"
        );
    }
    for path in ["data/inner-link.csv", "data/inside.csv"] {
        load(&scen, &tariff(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn resampled_years_keep_common_random_numbers_across_variants() {
    let dir = folder("resample");
    // Three years, each at its own temperature: 10, 20 and 30 C.
    std::fs::write(
        dir.join("t.csv"),
        utc_years(2021, 3, "timestamp,temperature_c", |y, _| {
            format!("{}", 10 * (y + 1))
        }),
    )
    .expect("write");
    let months = 36;
    let text = |nodes: u32, years: &str| {
        with(
            &with(
                &scenario(nodes, months),
                "pue: 1.25,",
                &format!("pue: 1.25, temperature: (path: \"t.csv\", unit: C, years: {years}),"),
            ),
            "replications: 1,",
            &format!(
                "replications: 8, hourly_replications: [0, 1, 2, 3, 4, 5, 6, 7], hourly_months: {months},"
            ),
        )
    };
    let a = load(&dir, &text(4, "Resample")).expect("valid");
    let b = load(&dir, &text(6, "Resample")).expect("valid");
    let repeat = load(&dir, &text(4, "Repeat")).expect("valid");
    // The temperature of each simulated year (2027, 2028, 2029), hour by hour.
    let years = |r: &Replication| -> Vec<f64> {
        assert_eq!(r.hourly.len(), 3 * 8_760);
        (0..3)
            .map(|y| {
                let t = r.hourly[y * 8_760].temperature_c;
                assert!(
                    r.hourly[y * 8_760..(y + 1) * 8_760]
                        .iter()
                        .all(|h| h.temperature_c == t)
                );
                t
            })
            .collect()
    };
    let mut seen = std::collections::BTreeSet::new();
    for rep in 0..8 {
        let (ra, rb, rr) = (run(&a, rep), run(&b, rep), run(&repeat, rep));
        // The variants differ, yet see the same historical years.
        assert_ne!(ra.months[0].installed_gpus, rb.months[0].installed_gpus);
        assert_eq!(years(&ra), years(&rb), "replication {rep}");
        // Repeat takes the years in order; resampling moves no other draw.
        assert_eq!(years(&rr), vec![10.0, 20.0, 30.0]);
        let arrivals = |r: &Replication| {
            r.months
                .iter()
                .map(|m| m.requests_arrived)
                .collect::<Vec<_>>()
        };
        assert_eq!(arrivals(&ra), arrivals(&rr));
        seen.insert(years(&ra).iter().map(|t| *t as i64).collect::<Vec<_>>());
    }
    // Eight replications of three draws from three years: not all the same sequence (the chance
    // that they are is 27^-7).
    assert!(seen.len() > 1, "{seen:?}");
}
