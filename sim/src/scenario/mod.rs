//! The scenario file: schema, parsing and validation.
//!
//! A scenario is a RON file with the sections `site`, `fleet`, `energy`, `demand`, `pricing`,
//! `finance` and `simulation` (SPEC section 3), or the same in JSON ([`json`]). Units are in field
//! names. Unknown fields are errors. `include` names catalog files applied before the scenario's own
//! `catalog` section.
//! Parsing reports the file, line and column of a syntax error; validation ([`validate`]) reports
//! every semantic problem at once with its field path.

pub mod budget;
mod catalog;
mod demand;
mod energy;
mod finance;
mod fleet;
mod history;
mod inputs;
pub mod json;
mod policy;
mod pricing;
pub mod ron_text;
mod schema;
mod series;
pub mod simulation;
mod site;
mod study;
pub mod validate;

pub use catalog::*;
pub use demand::*;
pub use energy::*;
pub use finance::*;
pub use fleet::*;
pub use history::{DemandHistory, DemandHistorySpec, HistoryUnit, gpu_hours_per_request};
pub use inputs::InputFile;
pub(crate) use inputs::short as short_text;
pub use policy::*;
pub use pricing::*;
pub use schema::*;
pub use series::*;
pub use simulation::*;
pub use site::*;
pub use study::*;
pub use validate::validate;

pub use crate::problems::{Problem, Problems, ScenarioError, Severity, parse_ron};

use crate::catalog::Catalog;

/// The default scenario: a 4,096-GPU H100 build (see `scenarios/default.ron`).
pub const DEFAULT_SCENARIO_RON: &str = include_str!("../../../scenarios/default.ron");
/// Name shown for the built-in default scenario in messages.
pub const DEFAULT_SCENARIO_NAME: &str = "scenarios/default.ron (built in)";

/// A parsed and validated scenario together with the catalog it refers to.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    /// Where it came from (a path, or the name of a built-in scenario).
    pub file: String,
    /// The scenario as written.
    pub scenario: Scenario,
    /// The GPU catalog after the scenario's overrides.
    pub catalog: Catalog,
    /// Warnings found by validation (errors stop loading).
    pub warnings: Vec<Problem>,
    /// The exact text that was parsed (for hashing and the manifest).
    pub source_text: String,
    /// Hourly temperatures in C from `site.weather_csv` or `site.temperature`, if given.
    pub weather_csv: Option<HourlySeries>,
    /// Hourly prices in USD per kWh from a CSV tariff, if given.
    pub price_csv: Option<HourlySeries>,
    /// Hourly grid carbon intensity in gCO2 per kWh from `energy.grid_carbon`, if given.
    pub grid_carbon: Option<HourlySeries>,
    /// Hourly marginal emission rate in gCO2 per kWh from `energy.marginal_emissions`, if given.
    pub marginal_emissions: Option<HourlySeries>,
    /// Hourly temperatures, solar and wind output from `site.weather_file`, if given.
    pub weather_file: Option<crate::energy::weather::WeatherSeries>,
    /// The monthly demand history from `demand.history`, if given.
    pub demand_history: Option<DemandHistory>,
    /// Every external file the scenario read, in the order read (for provenance).
    pub inputs: Vec<InputFile>,
    /// The folder its external files are read from (its own folder, or the `inputs/` copy of a
    /// finished run being rebuilt); the variants of its sweep read theirs from the same folder.
    pub input_dir: std::path::PathBuf,
}

/// Largest scenario file dcplan reads.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;
/// Largest CSV input (hourly series of several years) dcplan reads.
pub(crate) const MAX_CSV_BYTES: u64 = 16 << 20;

/// Read a regular file of at most `limit` bytes: never a device, pipe or folder (which could
/// block or never end), never more than the limit (which the message names).
pub fn read_regular_file(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "not a regular file (a folder, device or pipe); dcplan reads only regular files",
        ));
    }
    let too_big = || {
        Error::new(
            ErrorKind::InvalidData,
            format!("larger than the {limit} bytes dcplan reads from such a file"),
        )
    };
    if meta.len() > limit {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
}

/// The hourly series a scenario reads from files.
#[derive(Clone, Debug, Default)]
pub(crate) struct InputSeries {
    weather: Option<HourlySeries>,
    prices: Option<HourlySeries>,
    grid_carbon: Option<HourlySeries>,
    marginal_emissions: Option<HourlySeries>,
    weather_file: Option<crate::energy::weather::WeatherSeries>,
    demand_history: Option<DemandHistory>,
}

/// Read the external inputs a scenario names, relative to `base`; problems name the field.
/// Returns the hourly series and every file read.
fn read_inputs(
    s: &Scenario,
    mut reader: inputs::InputReader<'_>,
    problems: &mut Problems,
) -> (InputSeries, Vec<InputFile>) {
    let sim = &s.simulation;
    let mut out = InputSeries::default();
    if let Some(rel) = s.site.weather_csv.as_deref() {
        let spec = Series::plain(rel, SeriesUnit::C);
        out.weather = series::read_series(
            &mut reader,
            "site.weather_csv",
            "site.weather_csv",
            &spec,
            SeriesKind::Temperature,
            sim,
            problems,
        );
    }
    if let Some(spec) = &s.site.temperature {
        out.weather = series::read_series(
            &mut reader,
            "site.temperature",
            "site.temperature.path",
            spec,
            SeriesKind::Temperature,
            sim,
            problems,
        );
    }
    if let Some(spec) = s.energy.tariff.series() {
        out.prices = series::read_series(
            &mut reader,
            "energy.tariff",
            "energy.tariff.path",
            &spec,
            SeriesKind::Price,
            sim,
            problems,
        );
    }
    if let Some(spec) = &s.energy.grid_carbon {
        out.grid_carbon = series::read_series(
            &mut reader,
            "energy.grid_carbon",
            "energy.grid_carbon.path",
            spec,
            SeriesKind::Carbon,
            sim,
            problems,
        );
    }
    if let Some(spec) = &s.energy.marginal_emissions {
        out.marginal_emissions = series::read_series(
            &mut reader,
            "energy.marginal_emissions",
            "energy.marginal_emissions.path",
            spec,
            SeriesKind::Carbon,
            sim,
            problems,
        );
    }
    out.weather_file = s
        .site
        .weather_file
        .as_ref()
        .and_then(|w| weather_file(w, &mut reader, problems));
    out.demand_history = history::read_history(s, &mut reader, problems);
    (out, reader.into_files())
}

/// Read `site.weather_file` and compute its hourly series; every problem in the file is a
/// problem on `site.weather_file.path` naming the file, line and field.
fn weather_file(
    w: &WeatherFileRef,
    reader: &mut inputs::InputReader,
    problems: &mut Problems,
) -> Option<crate::energy::weather::WeatherSeries> {
    use crate::energy::{renewables::PvArray, weather::WeatherSeries, weather_file};
    let field = "site.weather_file.path";
    let (path, text) = reader.read_text(field, &w.path, problems)?;
    match weather_file::parse(text, w.format) {
        Ok(file) => {
            let default = PvArray::facing_equator(&file.location);
            let pv = PvArray {
                tilt_deg: w.pv_tilt_deg.unwrap_or(default.tilt_deg),
                azimuth_deg: w.pv_azimuth_deg.unwrap_or(default.azimuth_deg),
            };
            Some(WeatherSeries::from_file(&file, &pv, w.wind_hub_height_m))
        }
        Err(list) => {
            for msg in list {
                problems.push(field, format!("{}: {msg}", path.display()));
            }
            None
        }
    }
}

/// The folder the external files of the scenario `file` are read from: the file's own folder.
pub fn input_dir_of(file: &str) -> std::path::PathBuf {
    std::path::Path::new(file)
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .to_path_buf()
}

/// Parse and validate scenario text. `file` names it in messages; files the scenario refers to
/// (CSV inputs) are read relative to `input_dir`. The variants its `sweep` and `optimize`
/// sections make are not checked here (see [`crate::load::load_str`]).
pub(crate) fn parse_and_check(
    file: &str,
    text: &str,
    input_dir: &std::path::Path,
) -> Result<LoadedScenario, ScenarioError> {
    let scenario: Scenario = match parse_ron(file, text) {
        Ok(s) => s,
        Err(first) => return Err(with_every_unknown_field(file, text, input_dir, first)),
    };
    check_parsed(file, scenario, text, input_dir)
}

/// Most misspelt field names looked for at once.
const MAX_UNKNOWN_FIELDS: usize = 50;

/// The error of a scenario that does not parse (`first`), and where that is a field name that
/// does not exist, every such field at once: each is set aside (blanked, so that lines and
/// columns stay) and the text parsed again; when it then parses, the problems of the rest of
/// the scenario come too. A different syntax error ends the search.
fn with_every_unknown_field(
    file: &str,
    text: &str,
    input_dir: &std::path::Path,
    first: ScenarioError,
) -> ScenarioError {
    let mut blanked = text.to_string();
    let mut unknown = Vec::new();
    // Required fields left out, filled from the built-in scenario so that the parser reads on.
    let mut filled: Vec<String> = Vec::new();
    while unknown.len() < MAX_UNKNOWN_FIELDS {
        let err = match crate::problems::ron_options().from_str::<Scenario>(&blanked) {
            Ok(scenario) if !unknown.is_empty() => {
                let mut all = unknown;
                if let Err(ScenarioError::Invalid { problems, .. }) =
                    check_parsed(file, scenario, &blanked, input_dir)
                {
                    // Problems inside a filled field are the stand-in's, not the scenario's.
                    let inside =
                        |p: &Problem| filled.iter().any(|f| crate::problems::within(&p.path, f));
                    all.extend(problems.into_iter().filter(|p| !inside(p)));
                }
                // One misspelt field and nothing else: the parser's own message, at the name.
                if all.len() == 1 {
                    return first;
                }
                return ScenarioError::Invalid {
                    file: file.to_string(),
                    problems: all,
                };
            }
            Ok(_) => break,
            Err(e) => e,
        };
        let ron::Error::NoSuchStructField {
            expected, found, ..
        } = &err.code
        else {
            // A required field left out is reported at its path, and filled with the built-in
            // scenario's value of that field (its first list item where the path is in a list)
            // so that the parser reads on to the rest; where that scenario has no such field,
            // the search ends there.
            // A field written twice is reported at the second, which is set aside as an unknown
            // field is.
            if matches!(err.code, ron::Error::DuplicateStructField { .. })
                && let Some((path, span)) = ron_text::field_at(
                    &blanked,
                    byte_offset(&blanked, err.span.start.line, err.span.start.col),
                )
            {
                unknown.push(Problem {
                    path,
                    message: crate::problems::describe_ron_error(&err.code),
                    severity: Severity::Error,
                });
                blank_field(&mut blanked, span);
                continue;
            }
            if matches!(err.code, ron::Error::MissingStructField { .. }) {
                let path = crate::problems::missing_field_path(&blanked, &err).unwrap_or_default();
                unknown.push(Problem {
                    path: path.clone(),
                    message: crate::problems::describe_ron_error(&err.code),
                    severity: Severity::Error,
                });
                if let Some(value) = stand_in(&path)
                    && let Ok(text) = ron_text::set(&blanked, &path, &value)
                    && !filled.contains(&path)
                {
                    blanked = text;
                    filled.push(path);
                    continue;
                }
                if unknown.len() == 1 {
                    break;
                }
                return ScenarioError::Invalid {
                    file: file.to_string(),
                    problems: unknown,
                };
            }
            break;
        };
        let at = byte_offset(&blanked, err.span.start.line, err.span.start.col);
        let Some((path, span)) = ron_text::field_at(&blanked, at) else {
            break;
        };
        let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
        unknown.push(Problem {
            path: path.clone(),
            message: crate::problems::describe_ron_error(&err.code),
            severity: Severity::Error,
        });
        // A misspelling of a field the struct does not have yet reads on as that field (so a
        // required field misspelt does not stop the search); any other unknown field becomes
        // blanks, with the comma after it (line breaks stay).
        let absent = |name: &&&str| {
            let full = if parent.is_empty() {
                name.to_string()
            } else {
                format!("{parent}.{name}")
            };
            ron_text::get(&blanked, &full).is_err()
        };
        if let Some(name) = expected
            .iter()
            .filter(absent)
            .map(|name| (edit_distance(name, found), *name))
            .filter(|&(d, name)| d <= 2.max(name.len() / 3))
            .min()
            .map(|(_, name)| name)
        {
            let key_end = span.start + found.len();
            if blanked.get(span.start..key_end) == Some(found.as_str()) {
                blanked.replace_range(span.start..key_end, name);
                continue;
            }
        }
        blank_field(&mut blanked, span);
    }
    if unknown.len() <= 1 {
        first
    } else {
        ScenarioError::Invalid {
            file: file.to_string(),
            problems: unknown,
        }
    }
}

/// Blank a field (`name: value` at `span`) with the comma after it, keeping line breaks, so that
/// lines and columns of the rest stay.
fn blank_field(text: &mut String, span: ron_text::Span) {
    let rest = &text[span.end..];
    let after_ws = rest.len() - rest.trim_start().len();
    let end = span.end + after_ws + usize::from(rest.trim_start().starts_with(','));
    let blank: String = text[span.start..end]
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    text.replace_range(span.start..end, &blank);
}

/// A value for the required field at `path` that a scenario left out, so that reading goes on:
/// the built-in scenario's value at that path (its first list item's where the path is in a
/// list), or, for an entry of the scenario's own catalog, the first built-in entry's.
fn stand_in(path: &str) -> Option<String> {
    let like = first_items(path);
    if let Ok(value) = ron_text::get(DEFAULT_SCENARIO_RON, &like) {
        return Some(value);
    }
    catalog_stand_in(like.strip_prefix("catalog.")?)
}

/// The first built-in catalog entry's value at `path` (`climates[0].annual_mean_c`), for an
/// entry of a catalog list that leaves a required field out.
fn catalog_stand_in(path: &str) -> Option<String> {
    let like = first_items(path);
    [
        ("climates", crate::catalog::CLIMATES_RON),
        ("cooling", crate::catalog::COOLING_RON),
        ("tariffs", crate::catalog::TARIFFS_RON),
    ]
    .into_iter()
    .find_map(|(list, text)| {
        let rest = like.strip_prefix(list)?;
        ron_text::get(&format!("(list: {text})"), &format!("list{rest}")).ok()
    })
}

/// `path` with every list index 0 (`fleet[2].sku` is `fleet[0].sku`).
pub(crate) fn first_items(path: &str) -> String {
    validate::ranges::with_every_index(path, "[0]")
}

/// Levenshtein distance of two short names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// Byte offset of the 1-based `line` and `column` (in characters) of `text`.
pub(crate) fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let in_line = text[start..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len() - start, |(i, _)| i);
    start + in_line
}

/// Validate a scenario parsed from (or set to match) `text`, as [`parse_and_check`] does after
/// parsing: the same problems, in the same order.
pub(crate) fn check_parsed(
    file: &str,
    scenario: Scenario,
    text: &str,
    input_dir: &std::path::Path,
) -> Result<LoadedScenario, ScenarioError> {
    let mut reader = inputs::InputReader::new(input_dir);
    let mut problems = Problems::default();
    let mut catalog = Catalog::builtin();
    for (i, rel) in scenario.include.iter().enumerate() {
        catalog = include_catalog(
            catalog,
            &format!("include[{i}]"),
            rel,
            &mut reader,
            &mut problems,
        );
    }
    let (catalog, own) = catalog.with_overrides(&scenario.catalog);
    problems.extend(own);
    validate::validate_into(&scenario, &catalog, &mut problems);
    let (series, inputs) = read_inputs(&scenario, reader, &mut problems);
    let (errors, warnings): (Vec<Problem>, Vec<Problem>) = problems
        .into_vec()
        .into_iter()
        .partition(|p| p.severity == Severity::Error);
    if !errors.is_empty() {
        let mut all = errors;
        all.extend(warnings);
        return Err(ScenarioError::Invalid {
            file: file.to_string(),
            problems: all,
        });
    }
    Ok(LoadedScenario {
        file: file.to_string(),
        scenario,
        catalog,
        warnings,
        source_text: text.to_string(),
        weather_csv: series.weather,
        price_csv: series.prices,
        grid_carbon: series.grid_carbon,
        marginal_emissions: series.marginal_emissions,
        weather_file: series.weather_file,
        demand_history: series.demand_history,
        inputs,
        input_dir: input_dir.to_path_buf(),
    })
}

/// `catalog` with the entries of the included catalog file `rel` (named by the scenario field
/// `field`) applied; every problem is on `field` and names the included file, line and column.
fn include_catalog(
    catalog: Catalog,
    field: &str,
    rel: &str,
    reader: &mut inputs::InputReader<'_>,
    problems: &mut Problems,
) -> Catalog {
    let Some((path, text)) = reader.read_text(field, rel, problems) else {
        return catalog;
    };
    let shown = path.display().to_string();
    // A field the catalog format does not have is set aside (blanked, so that lines and columns
    // stay) and the text read again, so that every such field comes at once, and then the
    // problems of the values.
    let mut blanked = text.to_string();
    let mut unknown = 0;
    let overrides: CatalogOverrides = loop {
        let err = match crate::problems::ron_options().from_str::<CatalogOverrides>(&blanked) {
            Ok(o) => break o,
            Err(e) => e,
        };
        let what = crate::problems::describe_ron_error(&err.code);
        let message = ScenarioError::Syntax {
            file: shown.clone(),
            line: err.span.start.line,
            column: err.span.start.col,
            message: match crate::problems::missing_field_path(&blanked, &err) {
                Some(path) => format!("{path}: {what}"),
                None => what,
            },
        }
        .to_string();
        problems.push(field, message);
        // A required field left out of a new entry: filled from the first built-in entry, so
        // that reading goes on.
        if matches!(err.code, ron::Error::MissingStructField { .. })
            && unknown < MAX_UNKNOWN_FIELDS
            && let Some(path) = crate::problems::missing_field_path(&blanked, &err)
            && let Some(value) = catalog_stand_in(&path)
            && let Ok(filled) = ron_text::set(&blanked, &path, &value)
        {
            unknown += 1;
            blanked = filled;
            continue;
        }
        let known = matches!(
            err.code,
            ron::Error::NoSuchStructField { .. } | ron::Error::DuplicateStructField { .. }
        );
        let span = ron_text::field_at(
            &blanked,
            byte_offset(&blanked, err.span.start.line, err.span.start.col),
        );
        match span {
            Some((_, span)) if known && unknown < MAX_UNKNOWN_FIELDS => {
                unknown += 1;
                blank_field(&mut blanked, span);
            }
            _ => return catalog,
        }
    };
    let (with_file, found) = catalog.clone().with_overrides(&overrides);
    for p in found.into_vec() {
        let inner = p.path.strip_prefix("catalog.").unwrap_or(&p.path);
        let at = match problem_position(text, inner) {
            Some((line, column)) => format!("{shown}:{line}:{column}"),
            None => shown.clone(),
        };
        problems.add(Problem {
            path: field.to_string(),
            message: format!("{at}: {inner}: {}", p.message),
            severity: p.severity,
        });
    }
    // With fields set aside the file was not read whole: its values are checked, but not used.
    if unknown > 0 {
        return catalog;
    }
    with_file
}

/// Read a scenario file as text: its name for messages and its contents, as RON (a JSON scenario,
/// named `*.json`, is converted by [`json::json_to_ron`]).
pub(crate) fn read_text(path: &std::path::Path) -> Result<(String, String), ScenarioError> {
    let (file, text) = read_file_text(path)?;
    if json::is_json_path(path) {
        let ron = json::json_to_ron(&file, &text)?;
        return Ok((file, ron));
    }
    Ok((file, text))
}

/// Read a file as UTF-8 text: its name for messages and its contents.
fn read_file_text(path: &std::path::Path) -> Result<(String, String), ScenarioError> {
    let file = path.display().to_string();
    let bytes =
        read_regular_file(path, MAX_SCENARIO_BYTES).map_err(|source| ScenarioError::Io {
            file: file.clone(),
            source,
        })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_col(
            &String::from_utf8_lossy(e.as_bytes()),
            e.utf8_error().valid_up_to(),
        );
        ScenarioError::Syntax {
            file: file.clone(),
            line,
            column,
            message: "the file is not valid UTF-8 text".into(),
        }
    })?;
    // A byte-order mark (some editors on Windows write one) is not part of the text.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    Ok((file, text))
}

/// 1-based line and column in `text` of the value a problem's field path names: the path
/// itself, or the nearest written field above it (for paths into enum variants or of fields
/// left to their defaults).
pub fn problem_position(text: &str, path: &str) -> Option<(usize, usize)> {
    if text.trim_start().starts_with('{') {
        return json::json_position(text, path);
    }
    let mut p = path.split(' ').next().unwrap_or(path).to_string();
    loop {
        if p.is_empty() {
            return None;
        }
        if let Some(pos) = ron_text::position(text, &p) {
            return Some(pos);
        }
        match p.rfind(['.', '[']) {
            Some(i) => p.truncate(i),
            None => return None,
        }
    }
}

/// 1-based line and column (in characters) of the byte offset `at` of `text`.
pub(crate) fn line_col_of(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}
