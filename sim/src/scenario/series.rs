//! Hourly series a scenario reads from CSV files (electricity prices, grid carbon intensity,
//! temperatures): the `Series` fields and their reading, with problems on field paths. The file
//! format is described in [`crate::energy::series`].

use serde::{Deserialize, Serialize};

pub use crate::energy::series::{HourlySeries, SeriesKind, SeriesUnit, SeriesYears};

use super::Simulation;
use super::inputs::InputReader;
use crate::energy::series::{SeriesFormat, parse_series_all, parse_zone};
use crate::problems::Problems;

fn is_repeat(y: &SeriesYears) -> bool {
    *y == SeriesYears::Repeat
}

/// An hourly series from a CSV file, e.g.
/// `(path: "data/prices.csv", column: "price", unit: UsdPerMwh, zone: "America/Chicago",
/// years: Resample)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Series {
    /// Path of the CSV file, relative to the scenario's folder (inside it).
    pub path: String,
    /// The value column; needed when the file has more than one column besides the time column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Unit of the values (`UsdPerMwh`, `UsdPerKwh`, `GCo2PerKwh`, `KgCo2PerMwh`,
    /// `LbCo2PerMwh`, `C`, `F`); it must measure what the field is.
    pub unit: SeriesUnit,
    /// The timestamp column; by default a column named `timestamp`, `time`, `datetime` or `date`,
    /// if there is one (without one the file holds one year of values in order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_column: Option<String>,
    /// Zone of naive timestamps and of the simulation's clock: `UTC`, a fixed offset such as
    /// `-06:00`, or a name such as `America/Chicago` (US and European zones with their
    /// daylight-saving rules). By default UTC, and then every timestamp needs an offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Which of the series' years each simulated year uses: `Repeat` (default), `Calendar` or
    /// `Resample`.
    #[serde(default, skip_serializing_if = "is_repeat")]
    pub years: SeriesYears,
}

impl Series {
    /// A series of one column of values in `unit` at `path`, with every other field at its
    /// default (how a bare path such as `site.weather_csv` is read).
    pub fn plain(path: &str, unit: SeriesUnit) -> Series {
        Series {
            path: path.to_string(),
            column: None,
            unit,
            time_column: None,
            zone: None,
            years: SeriesYears::Repeat,
        }
    }
}

/// Read the series `spec` that field `base` names, of kind `kind`, with problems on `base`'s
/// fields; a file's own problems go on `file_field` (its path field) and name the file and line.
pub(super) fn read_series(
    reader: &mut InputReader,
    base: &str,
    file_field: &str,
    spec: &Series,
    kind: SeriesKind,
    sim: &Simulation,
    problems: &mut Problems,
) -> Option<HourlySeries> {
    let mut ok = true;
    if spec.unit.kind() != kind {
        problems.push(
            format!("{base}.unit"),
            format!(
                "{:?} ({}) is a unit of {}, not of {}",
                spec.unit,
                spec.unit.symbol(),
                spec.unit.kind().what(),
                kind.what()
            ),
        );
        ok = false;
    }
    let zone = match spec.zone.as_deref().map(parse_zone) {
        Some(Err(msg)) => {
            problems.push(format!("{base}.zone"), msg);
            ok = false;
            None
        }
        Some(Ok(z)) => Some(z),
        None => None,
    };
    if !ok {
        return None;
    }
    let (shown, text) = reader.read_text(file_field, &spec.path, problems)?;
    let format = SeriesFormat {
        column: spec.column.as_deref(),
        time_column: spec.time_column.as_deref(),
        zone,
        unit: spec.unit,
    };
    let series = match parse_series_all(text, &format) {
        Ok(s) => s,
        Err(messages) => {
            for msg in messages {
                problems.push(file_field, format!("{}: {msg}", shown.display()));
            }
            return None;
        }
    };
    if spec.years == SeriesYears::Calendar {
        let first = sim.start.year;
        let last = sim.start.plus_months(sim.horizon() - 1).year;
        match series.calendar_years() {
            None => {
                problems.push(
                    format!("{base}.years"),
                    format!(
                        "Calendar needs timestamps; {} has no time column",
                        shown.display()
                    ),
                );
                return None;
            }
            Some((a, b)) if a > first || b < last => {
                problems.push(
                    format!("{base}.years"),
                    format!(
                        "Calendar: {} covers {a}-{b}, but the simulation runs through {first}-{last}; use Repeat or Resample, or a longer series",
                        shown.display()
                    ),
                );
                return None;
            }
            Some(_) => {}
        }
    }
    Some(series)
}
