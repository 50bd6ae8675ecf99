//! Annual PUE and water use (WUE, litres per IT kWh) of every cooling preset in every climate
//! preset, at a steady 70 % IT load, from a year of hourly weather:
//! `cargo run --release -p dcplan-benches --example pue_table`.

use dcplan_sim::catalog::Catalog;
use dcplan_sim::energy::weather::WeatherGen;
use rand::SeedableRng;

fn main() {
    let cat = Catalog::builtin();
    for (what, wue) in [("annual PUE", false), ("annual WUE, L per IT kWh", true)] {
        println!("{what}");
        print!("{:<16}", "preset");
        for c in &cat.climates {
            print!("{:>20}", c.name);
        }
        println!("{:>16}", if wue { "" } else { "published" });
        for preset in &cat.cooling {
            print!("{:<16}", preset.name);
            for c in &cat.climates {
                let mut weather = WeatherGen::new(c.clone(), None);
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
                let year = weather.hours(0, 8760, &mut rng);
                let value: f64 = if wue {
                    year.iter()
                        .map(|w| preset.water_l_per_kwh(w.temperature_c, w.wet_bulb_c))
                        .sum::<f64>()
                        / 8760.0
                } else {
                    year.iter()
                        .map(|w| preset.facility_kwh(700.0, 1000.0, w.temperature_c))
                        .sum::<f64>()
                        / (700.0 * 8760.0)
                };
                print!("{:>20.3}", value);
            }
            if wue {
                println!();
            } else {
                println!("{:>9.2}-{:.2}", preset.range_pue.0, preset.range_pue.1);
            }
        }
        println!();
    }
}
