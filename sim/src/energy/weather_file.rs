//! Typical-year weather files: EnergyPlus EPW and NREL TMY3 CSV.
//!
//! Both formats hold 8,760 hourly rows in local standard time, each row stamped with the end of
//! its hour (hour 1 is 00:00-01:00 on January 1), and a header giving the station, its latitude,
//! longitude, time zone (hours from UTC) and elevation. Column layouts: EnergyPlus Auxiliary
//! Programs, "Weather Converter Program", EPW data dictionary (U.S. DOE); Wilcox and Marion,
//! "Users Manual for TMY3 Data Sets", NREL/TP-581-43156 (2008). A leap day (February 29) in an
//! actual-year file is skipped, so that row `i` is hour of year `i` of a 365-day year, as every
//! other hourly input of dcplan.
//!
//! Parsing never panics: a malformed file gives every problem found (up to a limit), each naming
//! the line and the field.

use serde::{Deserialize, Serialize};

// The problems found in a file, every one naming its line and field.
use crate::problems::LineProblems as Problems;

/// Format of a typical-year weather file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum WeatherFormat {
    /// EnergyPlus weather file (`.epw`): a `LOCATION` line, seven more header lines, then
    /// comma-separated hourly rows.
    Epw,
    /// NREL TMY3 CSV: a station line, a column header line, then hourly rows.
    Tmy3,
}

/// The station a weather file describes.
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    /// Station name.
    pub name: String,
    /// Latitude, degrees north.
    pub latitude_deg: f64,
    /// Longitude, degrees east (west is negative).
    pub longitude_deg: f64,
    /// Time zone of the timestamps, hours from UTC (local standard time).
    pub utc_offset_h: f64,
    /// Elevation, metres above sea level.
    pub elevation_m: f64,
}

/// One hour of a weather file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FileHour {
    /// Dry-bulb temperature, C.
    pub dry_bulb_c: f64,
    /// Dew-point temperature, C.
    pub dew_point_c: f64,
    /// Station pressure, hPa.
    pub pressure_hpa: f64,
    /// Global horizontal irradiance, W/m2 (mean over the hour).
    pub ghi_w_m2: f64,
    /// Direct normal irradiance, W/m2.
    pub dni_w_m2: f64,
    /// Diffuse horizontal irradiance, W/m2.
    pub dhi_w_m2: f64,
    /// Wind speed at the anemometer (10 m), m/s.
    pub wind_m_s: f64,
}

/// A parsed typical-year weather file: its station and 8,760 hours.
#[derive(Clone, Debug, PartialEq)]
pub struct WeatherFile {
    /// The format it was read as.
    pub format: WeatherFormat,
    /// The station.
    pub location: Location,
    /// Hour `i` is hour of year `i` (January 1, 00:00-01:00 first), local standard time.
    pub hours: Vec<FileHour>,
}

/// The format a file's header shows: `LOCATION,` first for EPW, a TMY3 column header second.
pub fn detect(text: &str) -> Option<WeatherFormat> {
    let mut lines = text.lines();
    let first = lines.next()?.trim_start_matches('\u{feff}');
    if first.starts_with("LOCATION,") {
        return Some(WeatherFormat::Epw);
    }
    let second = lines.next()?;
    second
        .starts_with("Date (MM/DD/YYYY)")
        .then_some(WeatherFormat::Tmy3)
}

/// Parse a weather file as `format` (or the format its header shows). Errors: every problem
/// found, each naming the line and field.
pub fn parse(text: &str, format: Option<WeatherFormat>) -> Result<WeatherFile, Vec<String>> {
    let Some(format) = format.or_else(|| detect(text)) else {
        return Err(vec![
            "line 1: neither an EPW file (first line `LOCATION,...`) nor a TMY3 CSV (second line \
             `Date (MM/DD/YYYY),Time (HH:MM),...`); give `format` if the header is unusual"
                .into(),
        ]);
    };
    let mut p = Problems::default();
    let parsed = match format {
        WeatherFormat::Epw => parse_epw(text, &mut p),
        WeatherFormat::Tmy3 => parse_tmy3(text, &mut p),
    };
    match parsed {
        Some((location, hours)) if p.is_empty() => Ok(WeatherFile {
            format,
            location,
            hours,
        }),
        _ => {
            if p.is_empty() {
                p.push("line 1: the file is empty".into());
            }
            Err(p.finish())
        }
    }
}

/// Split a CSV line, honouring double quotes (TMY3 station names are quoted).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A token cut short and without control characters, for messages.
fn cut(s: &str) -> String {
    let mut out: String = s
        .trim()
        .chars()
        .take(16)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if s.trim().chars().count() > 16 {
        out.push('…');
    }
    out
}

/// A number in `lo..=hi` from field `name` of line `line`, or a problem.
fn number(
    fields: &[String],
    idx: usize,
    name: &str,
    line: usize,
    (lo, hi): (f64, f64),
    p: &mut Problems,
) -> Option<f64> {
    let Some(raw) = fields.get(idx) else {
        p.push(format!(
            "line {line}, field {name}: missing ({} fields on the line, column {} needed)",
            fields.len(),
            idx + 1
        ));
        return None;
    };
    match raw.trim().parse::<f64>() {
        Ok(v) if v.is_nan() => {
            p.push(format!("line {line}, field {name}: NaN is not a number"));
            None
        }
        Ok(v) if !(lo..=hi).contains(&v) => {
            p.push(format!(
                "line {line}, field {name}: {v} is outside {lo}..{hi} (a missing-value code?)"
            ));
            None
        }
        Ok(v) => Some(v),
        Err(_) => {
            p.push(format!(
                "line {line}, field {name}: \"{}\" is not a number",
                cut(raw)
            ));
            None
        }
    }
}

/// Days in each month of a 365-day year.
const MONTH_DAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// Month (1-12), day (1-31) and hour ending (1-24) of hour of year `i`.
fn expected_stamp(i: usize) -> (u32, u32, u32) {
    let mut day = (i / 24) as u32;
    let mut month = 0;
    while month < 11 && day >= MONTH_DAYS[month] {
        day -= MONTH_DAYS[month];
        month += 1;
    }
    (month as u32 + 1, day + 1, (i % 24) as u32 + 1)
}

/// Plausible ranges of each quantity; a value outside is an error (often a missing-value code).
const DRY_BULB: (f64, f64) = (-70.0, 60.0);
const DEW_POINT: (f64, f64) = (-90.0, 40.0);
const PRESSURE_HPA: (f64, f64) = (300.0, 1_200.0);
/// Irradiance: small negative values (sensor offsets at night) are read as 0.
const IRRADIANCE: (f64, f64) = (-10.0, 1_500.0);
const WIND: (f64, f64) = (0.0, 75.0);
const LATITUDE: (f64, f64) = (-90.0, 90.0);
const LONGITUDE: (f64, f64) = (-180.0, 180.0);
const UTC_OFFSET: (f64, f64) = (-12.0, 14.0);
const ELEVATION: (f64, f64) = (-500.0, 9_000.0);

/// Check the timestamps of row `i` (after leap days are skipped) on line `line`.
fn check_stamp(i: usize, (m, d, h): (u32, u32, u32), line: usize, p: &mut Problems) {
    // Past the year's last hour there is no date to expect: the row is one too many (the count
    // says so too).
    if i >= 8760 {
        return;
    }
    let want = expected_stamp(i);
    if (m, d, h) != want {
        p.push(format!(
            "line {line}, field date and hour: {m:02}/{d:02} hour {h} where row {} of the year is \
             {:02}/{:02} hour {} (rows must be the 8,760 hours in order)",
            i + 1,
            want.0,
            want.1,
            want.2
        ));
    }
}

/// The hour kept for a row with a problem, so that later rows' timestamps are checked in place
/// (the file is rejected anyway).
const PLACEHOLDER: FileHour = FileHour {
    dry_bulb_c: 0.0,
    dew_point_c: 0.0,
    pressure_hpa: 1013.25,
    ghi_w_m2: 0.0,
    dni_w_m2: 0.0,
    dhi_w_m2: 0.0,
    wind_m_s: 0.0,
};

/// Make the hour from checked values.
fn hour(vals: [Option<f64>; 7]) -> Option<FileHour> {
    let [t, td, p, ghi, dni, dhi, wind] = vals;
    Some(FileHour {
        dry_bulb_c: t?,
        dew_point_c: td?,
        pressure_hpa: p?,
        ghi_w_m2: ghi?.max(0.0),
        dni_w_m2: dni?.max(0.0),
        dhi_w_m2: dhi?.max(0.0),
        wind_m_s: wind?,
    })
}

fn check_count(n: usize, last_line: usize, p: &mut Problems) {
    if n != 8760 {
        p.push(format!(
            "line {last_line}: {n} hourly rows; a typical year has 8,760 (a leap day is skipped)"
        ));
    }
}

fn parse_epw(text: &str, p: &mut Problems) -> Option<(Location, Vec<FileHour>)> {
    let mut lines = text.lines().enumerate();
    let (_, first) = lines.next()?;
    let head = split_csv(first.trim_start_matches('\u{feff}'));
    if head.first().map(|s| s.trim()) != Some("LOCATION") {
        p.push("line 1: an EPW file starts with `LOCATION,`".into());
        return None;
    }
    let location = Location {
        name: head.get(1).map(|s| cut(s)).unwrap_or_default(),
        latitude_deg: number(&head, 6, "latitude", 1, LATITUDE, p).unwrap_or(0.0),
        longitude_deg: number(&head, 7, "longitude", 1, LONGITUDE, p).unwrap_or(0.0),
        utc_offset_h: number(&head, 8, "time zone", 1, UTC_OFFSET, p).unwrap_or(0.0),
        elevation_m: number(&head, 9, "elevation", 1, ELEVATION, p).unwrap_or(0.0),
    };
    // Seven more header lines: design conditions ... data periods. A data row among them (it
    // starts with its year) means a header line is missing, which would shift every row.
    let mut hours = Vec::with_capacity(8760);
    let mut last_line = 1;
    for (i, line) in lines {
        let n = i + 1;
        last_line = n;
        if i < 8 {
            if line.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
                p.push(format!(
                    "line {n}: a data row where an EPW file has header line {n} of 8 (LOCATION, DESIGN CONDITIONS, TYPICAL/EXTREME PERIODS, GROUND TEMPERATURES, HOLIDAYS/DAYLIGHT SAVINGS, COMMENTS 1, COMMENTS 2, DATA PERIODS): the file has only {i} header lines"
                ));
                return None;
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv(line);
        if f.len() < 22 {
            p.push(format!(
                "line {n}: {} fields; an EPW data row has 35 (wind speed is field 22)",
                f.len()
            ));
            hours.push(PLACEHOLDER);
            continue;
        }
        let stamp = [1, 2, 3].map(|k| {
            let name = ["", "month", "day", "hour"][k];
            let v = number(&f, k, name, n, (1.0, 31.0), p)?;
            if v.fract() != 0.0 {
                p.push(format!("line {n}, field {name}: {v} is not a whole number"));
                return None;
            }
            Some(v as u32)
        });
        let [Some(month), Some(day), Some(h)] = stamp else {
            hours.push(PLACEHOLDER);
            continue;
        };
        if month == 2 && day == 29 {
            continue;
        }
        check_stamp(hours.len(), (month, day, h), n, p);
        // EPW field numbers (0-based): 6 dry bulb, 7 dew point, 9 pressure (Pa), 13 GHI,
        // 14 DNI, 15 DHI, 21 wind speed.
        let pa = number(
            &f,
            9,
            "atmospheric pressure (Pa)",
            n,
            (PRESSURE_HPA.0 * 100.0, PRESSURE_HPA.1 * 100.0),
            p,
        );
        let vals = [
            number(&f, 6, "dry bulb temperature", n, DRY_BULB, p),
            number(&f, 7, "dew point temperature", n, DEW_POINT, p),
            pa.map(|x| x / 100.0),
            number(&f, 13, "global horizontal radiation", n, IRRADIANCE, p),
            number(&f, 14, "direct normal radiation", n, IRRADIANCE, p),
            number(&f, 15, "diffuse horizontal radiation", n, IRRADIANCE, p),
            number(&f, 21, "wind speed", n, WIND, p),
        ];
        hours.push(hour(vals).unwrap_or(PLACEHOLDER));
    }
    if last_line < 8 {
        p.push(format!(
            "line {last_line}: the file ends inside the eight header lines of an EPW file"
        ));
    }
    check_count(hours.len(), last_line, p);
    Some((location, hours))
}

fn parse_tmy3(text: &str, p: &mut Problems) -> Option<(Location, Vec<FileHour>)> {
    let mut lines = text.lines().enumerate();
    let (_, first) = lines.next()?;
    let head = split_csv(first.trim_start_matches('\u{feff}'));
    let location = Location {
        name: head.get(1).map(|s| cut(s)).unwrap_or_default(),
        utc_offset_h: number(&head, 3, "time zone", 1, UTC_OFFSET, p).unwrap_or(0.0),
        latitude_deg: number(&head, 4, "latitude", 1, LATITUDE, p).unwrap_or(0.0),
        longitude_deg: number(&head, 5, "longitude", 1, LONGITUDE, p).unwrap_or(0.0),
        elevation_m: number(&head, 6, "elevation", 1, ELEVATION, p).unwrap_or(0.0),
    };
    let Some((_, header)) = lines.next() else {
        p.push("line 2: the column header line is missing".into());
        return None;
    };
    let columns = split_csv(header);
    let find = |name: &str, p: &mut Problems| {
        let i = columns.iter().position(|c| c.trim() == name);
        if i.is_none() {
            p.push(format!("line 2: no column \"{name}\""));
        }
        i
    };
    let names = [
        "Date (MM/DD/YYYY)",
        "Time (HH:MM)",
        "Dry-bulb (C)",
        "Dew-point (C)",
        "Pressure (mbar)",
        "GHI (W/m^2)",
        "DNI (W/m^2)",
        "DHI (W/m^2)",
        "Wspd (m/s)",
    ];
    let idx: Vec<Option<usize>> = names.iter().map(|n| find(n, p)).collect();
    let idx: Vec<usize> = idx.into_iter().collect::<Option<_>>()?;
    let ranges = [
        DRY_BULB,
        DEW_POINT,
        PRESSURE_HPA,
        IRRADIANCE,
        IRRADIANCE,
        IRRADIANCE,
        WIND,
    ];
    let mut hours = Vec::with_capacity(8760);
    let mut last_line = 2;
    for (i, line) in lines {
        let n = i + 1;
        last_line = n;
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv(line);
        if f.len() < columns.len() {
            p.push(format!(
                "line {n}: {} fields where the header has {}",
                f.len(),
                columns.len()
            ));
            hours.push(PLACEHOLDER);
            continue;
        }
        let date = f.get(idx[0]).map(|s| s.trim()).unwrap_or("");
        let time = f.get(idx[1]).map(|s| s.trim()).unwrap_or("");
        let md: Vec<Option<u32>> = date.split('/').map(|x| x.parse().ok()).collect();
        let hh: Option<u32> = time.split(':').next().and_then(|x| x.parse().ok());
        let (Some(Some(month)), Some(Some(day)), Some(h)) = (md.first(), md.get(1), hh) else {
            p.push(format!(
                "line {n}, field Date (MM/DD/YYYY) and Time (HH:MM): \"{}\" \"{}\" is not a date and hour",
                cut(date),
                cut(time)
            ));
            hours.push(PLACEHOLDER);
            continue;
        };
        if (*month, *day) == (2, 29) {
            continue;
        }
        check_stamp(hours.len(), (*month, *day, h), n, p);
        let mut vals = [None; 7];
        for (k, v) in vals.iter_mut().enumerate() {
            *v = number(&f, idx[k + 2], names[k + 2], n, ranges[k], p);
        }
        hours.push(hour(vals).unwrap_or(PLACEHOLDER));
    }
    check_count(hours.len(), last_line, p);
    Some((location, hours))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_walk_the_calendar() {
        assert_eq!(expected_stamp(0), (1, 1, 1));
        assert_eq!(expected_stamp(23), (1, 1, 24));
        assert_eq!(expected_stamp(31 * 24), (2, 1, 1));
        assert_eq!(expected_stamp(59 * 24), (3, 1, 1));
        assert_eq!(expected_stamp(8759), (12, 31, 24));
    }

    #[test]
    fn quoted_fields_keep_their_commas() {
        assert_eq!(split_csv("1,\"A, B\",3"), vec!["1", "A, B", "3"]);
    }

    #[test]
    fn neither_format_is_one_problem_on_line_1() {
        let e = parse("a,b\nc,d\n", None).unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("line 1: neither"), "{e:?}");
        assert!(parse("", None).is_err());
    }
}
