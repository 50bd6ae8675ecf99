//! Loading a scenario for a run: parse and validate it ([`crate::scenario`]), then check every
//! variant its `sweep` and `optimize` sections make ([`crate::sweep`], [`crate::optimize`]).
//! This sits above all three, so that the scenario layer never calls the layers built on it.

use std::path::Path;

use crate::problems::{Problem, ScenarioError, Severity};
use crate::scenario::{
    self, DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO_RON, LoadedScenario, ron_text,
};

/// The source comment a value set on the command line gets in the scenario text (the output
/// folder's `scenario.ron` and the report's assumptions table show it).
pub const SET_SOURCE: &str = "set on the command line (--set)";

/// Parse and validate scenario text, and check the variants of its sweep and search. `file` names
/// it in messages; files the scenario refers to (CSV inputs) are read relative to its folder.
pub fn load_str(file: &str, text: &str) -> Result<LoadedScenario, ScenarioError> {
    load_str_in(file, text, &scenario::input_dir_of(file))
}

/// [`load_str`], reading the files the scenario refers to from `input_dir` instead of the
/// scenario's folder (a finished run's copies of its inputs, when it is rebuilt).
pub fn load_str_in(
    file: &str,
    text: &str,
    input_dir: &Path,
) -> Result<LoadedScenario, ScenarioError> {
    let mut loaded = match scenario::parse_and_check(file, text, input_dir) {
        Ok(loaded) => loaded,
        // The sweep's and search's own fields are checked too, so that every problem comes at
        // once (their variants are checked once the base is valid).
        Err(ScenarioError::Invalid { file, mut problems }) => {
            if let Ok(s) = crate::problems::parse_ron::<scenario::Scenario>(&file, text) {
                if let Some(sweep) = &s.sweep {
                    problems.extend(crate::sweep::section(sweep, text).0.into_vec());
                }
                if let Some(opt) = &s.optimize {
                    problems.extend(crate::optimize::section(opt, &s));
                }
            }
            return Err(ScenarioError::Invalid { file, problems });
        }
        Err(e) => return Err(e),
    };
    // Sweeps and searches make variants of the scenario; each must be valid too.
    let mut extra = crate::sweep::check(&loaded);
    extra.extend(crate::optimize::check(&loaded));
    extra.extend(crate::correlation::check(&loaded));
    if extra.iter().any(|p| p.severity == Severity::Error) {
        extra.extend(loaded.warnings);
        return Err(ScenarioError::Invalid {
            file: file.to_string(),
            problems: extra,
        });
    }
    loaded.warnings.extend(extra);
    Ok(loaded)
}

/// Read, parse and validate a scenario file, as [`load_str`] does.
pub fn load_file(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    let (file, text) = scenario::read_text(path)?;
    load_str(&file, &text)
}

/// Read a scenario file (`None`: the built-in default scenario), apply `settings` (`(path, value
/// text)` pairs of `--set PATH=VALUE`, in order) to its text, and load it as [`load_str`] does:
/// a value set is read and validated exactly as if it were written in the file, so its problems
/// are the file's (with the field path). A path that does not lead to a field of the text is a
/// problem on that path that names `--set`. The loaded `source_text` holds the values set, each
/// with [`SET_SOURCE`] as its comment.
pub fn load_with_settings(
    path: Option<&Path>,
    settings: &[(String, String)],
) -> Result<LoadedScenario, ScenarioError> {
    let (file, text) = match path {
        Some(p) => scenario::read_text(p)?,
        None => (
            DEFAULT_SCENARIO_NAME.to_string(),
            DEFAULT_SCENARIO_RON.to_string(),
        ),
    };
    let text = apply_settings(&file, &text, settings)?;
    load_str(&file, &text)
}

/// The scenario text with every `(path, value text)` of `settings` set in turn (see
/// [`load_with_settings`]); every path that cannot be set is reported at once.
pub fn apply_settings(
    file: &str,
    text: &str,
    settings: &[(String, String)],
) -> Result<String, ScenarioError> {
    let mut text = text.to_string();
    let mut problems = Vec::new();
    for (path, value) in settings {
        let set = ron_text::set_with_source(&text, path, value, SET_SOURCE).and_then(|t| {
            // The value must be one value: `1, sku: "B200"` would set a second field unseen.
            match ron_text::get(&t, path) {
                Ok(v) if v == *value => Ok(t),
                _ => Err(format!(
                    "`{value}` is not one value (a comma or bracket outside brackets, or a comment)"
                )),
            }
        });
        match set {
            Ok(t) => text = t,
            Err(e) => problems.push(Problem {
                path: path.clone(),
                message: format!("--set {path}: {e}"),
                severity: Severity::Error,
            }),
        }
    }
    if problems.is_empty() {
        Ok(text)
    } else {
        Err(ScenarioError::Invalid {
            file: file.to_string(),
            problems,
        })
    }
}

/// Split a `--set` argument `PATH=VALUE` at its first `=`; the value is written as it would be
/// in the scenario file (a number, a distribution such as `Pert(1, 2, 3)`, a list, a struct).
pub fn parse_setting(arg: &str) -> Result<(String, String), String> {
    let (path, value) = arg
        .split_once('=')
        .ok_or_else(|| format!("`{arg}` is not PATH=VALUE, e.g. fleet[0].gpus=2048"))?;
    let (path, value) = (path.trim(), value.trim());
    let ok_path = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c));
    if !ok_path {
        return Err(format!(
            "`{path}` is not a field path such as fleet[0].gpus or energy.tariff"
        ));
    }
    if value.is_empty() {
        return Err(format!("no value after `{path}=`"));
    }
    Ok((path.to_string(), value.to_string()))
}

/// The built-in default scenario.
pub fn load_default() -> Result<LoadedScenario, ScenarioError> {
    load_str(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO_RON)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::{Dist, Param};

    const TINY: &str = include_str!("../../scenarios/tiny.ron");
    const PORTFOLIO: &str = include_str!("../../scenarios/portfolio.ron");

    #[test]
    fn every_misspelt_field_is_reported_at_once_with_the_other_problems() {
        let text = TINY
            .replacen("pue:", "peu:", 1)
            .replacen("gpus:", "gpuz:", 1)
            .replacen("horizon_months:", "horizon_month:", 1);
        let text = ron_text::set(&text, "site.it_overhead_frac", "-3").expect("set");
        let Err(ScenarioError::Invalid { problems, .. }) = load_str("tiny.ron", &text) else {
            panic!("three misspelt fields and a bad value must be problems")
        };
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        for path in ["site.peu", "fleet[0].gpuz", "simulation.horizon_month"] {
            let p = problems
                .iter()
                .find(|p| p.path == path)
                .unwrap_or_else(|| panic!("{path} missing from {paths:?}"));
            assert!(
                p.message.contains(path.rsplit('.').next().expect("name")),
                "{p}"
            );
            // Each is located in the text as written.
            assert!(ron_text::position(&text, path).is_some(), "{path}");
        }
        // Fields it needs and cannot find are errors of their own; the bad value is found too.
        assert!(paths.contains(&"site.it_overhead_frac"), "{paths:?}");
    }

    fn set(text: &str, settings: &[(&str, &str)]) -> Result<LoadedScenario, ScenarioError> {
        let settings: Vec<(String, String)> = settings
            .iter()
            .map(|(p, v)| (p.to_string(), v.to_string()))
            .collect();
        let text = apply_settings("scenarios/tiny.ron", text, &settings)?;
        load_str("scenarios/tiny.ron", &text)
    }

    /// A new climate in the scenario's catalog that leaves required fields out: each is
    /// reported, with the scenario's other problems, all at once.
    #[test]
    fn a_new_catalog_entry_s_missing_fields_come_all_at_once() {
        let text = ron_text::set(
            TINY,
            "catalog",
            "(climates: [(name: \"dry\", description: \"a test\", annual_mean_c: 20)])",
        )
        .expect("catalog");
        let text = ron_text::set(&text, "site.it_overhead_frac", "-3").expect("set");
        let Err(ScenarioError::Invalid { problems, .. }) = load_str("tiny.ron", &text) else {
            panic!("missing fields must be problems")
        };
        let missing: Vec<&str> = problems
            .iter()
            .filter(|p| p.message.contains("is missing"))
            .map(|p| p.path.as_str())
            .collect();
        assert!(
            missing.contains(&"catalog.climates[0].seasonal_swing_c"),
            "{problems:#?}"
        );
        assert!(
            missing.contains(&"catalog.climates[0].grid_carbon_free_frac"),
            "{problems:#?}"
        );
        assert!(missing.len() >= 9, "{problems:#?}");
        assert!(
            problems.iter().any(|p| p.path == "site.it_overhead_frac"),
            "{problems:#?}"
        );
    }

    /// A fraction where a whole number goes says so (the parser stops at the point).
    #[test]
    fn a_fraction_for_a_count_says_a_whole_number_goes_there() {
        let text = TINY.replacen("gpus: 64,", "gpus: 64.5,", 1);
        match load_str("tiny.ron", &text) {
            Err(ScenarioError::Syntax { message, .. }) => {
                assert!(message.contains("a whole number goes here"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    /// A block comment never closed is reported where it opens.
    #[test]
    fn an_unclosed_comment_is_reported_where_it_opens() {
        let mut lines: Vec<&str> = TINY.lines().collect();
        lines.insert(4, "    /* a note /* nested */ never closed");
        let text = lines.join("\n");
        match load_str("tiny.ron", &text) {
            Err(ScenarioError::Syntax { line, column, .. }) => assert_eq!((line, column), (5, 5)),
            other => panic!("{other:?}"),
        }
    }

    /// A virtual PPA or exports under a retail tariff are flagged: the retail price stands in
    /// for the market price.
    #[test]
    fn a_retail_tariff_under_a_virtual_ppa_or_exports_is_flagged() {
        let flagged = |energy: &str| {
            let text = ron_text::set(TINY, "energy", energy).expect("energy");
            load_str("tiny.ron", &text)
                .unwrap_or_else(|e| panic!("{e}"))
                .warnings
                .iter()
                .any(|w| w.path == "energy.tariff" && w.message.contains("retail tariff"))
        };
        let ppa = "ppa: (strike_usd_per_mwh: 60, volume: Solar(0.05), settlement: Virtual)";
        assert!(flagged(&format!(
            "(tariff: Flat(price_usd_per_kwh: 0.08), {ppa})"
        )));
        assert!(flagged(
            "(tariff: Flat(price_usd_per_kwh: 0.08), solar: (mw: 0.05, capex_usd_per_kw: 1000))"
        ));
        assert!(!flagged(
            "(tariff: Flat(price_usd_per_kwh: 0.08), solar: (mw: 0.05, capex_usd_per_kw: 1000), export: false)"
        ));
        assert!(!flagged(&format!(
            "(tariff: Market(preset: \"ercot-like\"), {ppa})"
        )));
        // A physical PPA's surplus is exported too.
        assert!(flagged(&format!(
            "(tariff: Flat(price_usd_per_kwh: 0.08), {})",
            ppa.replace("Virtual", "Physical")
        )));
    }

    /// A field of a section the scenario leaves to its defaults is set by writing the section
    /// with that field; a misspelt section is still no field at all.
    #[test]
    fn set_reaches_into_sections_left_to_their_defaults() {
        assert!(!TINY.contains("reliability") && !TINY.contains("lifecycle"));
        let l = set(
            TINY,
            &[
                ("reliability.failures", "false"),
                ("reliability.sla.tiers", "[]"),
                ("lifecycle.refresh", "[]"),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!l.scenario.reliability.failures);
        assert!(l.scenario.reliability.sla.tiers.is_empty());
        assert!(l.scenario.lifecycle.refresh.is_empty());
        // Sections the built-in scenario leaves out too; one with a required field says so.
        let l = set(TINY, &[("finance.tax.rate_frac", "0.3")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(l.scenario.finance.tax.rate_frac, Param::Value(0.3));
        let e = set(TINY, &[("demand.seasonality.amplitude_frac", "0.1")])
            .expect_err("the peak month is required");
        assert!(e.to_string().contains("peak_month"), "{e}");
        let Err(ScenarioError::Invalid { problems, .. }) =
            set(TINY, &[("reliabilty.failures", "false")])
        else {
            panic!("a misspelt section must be refused")
        };
        assert!(
            problems[0].message.contains("no field `reliabilty`"),
            "{problems:?}"
        );
        // A misspelt field of a section left out names the field, not the section.
        let Err(ScenarioError::Invalid { problems, .. }) = set(TINY, &[("reliability.bogus", "1")])
        else {
            panic!("a misspelt field must be refused")
        };
        assert!(
            problems[0]
                .message
                .contains("no field `bogus` in `reliability`"),
            "{problems:?}"
        );
    }

    #[test]
    fn set_changes_a_list_element_a_distribution_and_a_sweep() {
        let l = set(
            TINY,
            &[
                ("fleet[0].gpus", "32"),
                ("site.pue", "Pert(1.1, 1.2, 1.5)"),
                ("demand.mix[1].size_gpus", "16"),
            ],
        )
        .expect("loads");
        assert_eq!(l.scenario.fleet[0].gpus, 32);
        assert_eq!(
            l.scenario.site.pue,
            Some(Param::Dist(Dist::Pert(1.1, 1.2, 1.5)))
        );
        assert!(
            l.source_text
                .contains(&format!("gpus: 32, // {SET_SOURCE}")),
            "{}",
            l.source_text
        );

        let base = load_str("portfolio.ron", PORTFOLIO).expect("loads");
        let before = crate::sweep::expand(&base).expect("expands").len();
        let l = set(
            PORTFOLIO,
            &[
                ("sweep.axes[0].values", "[5184, 10368]"),
                ("sweep.axes[0].labels", "[\"72\", \"144\"]"),
            ],
        )
        .expect("loads");
        let variants = crate::sweep::expand(&l).expect("expands");
        assert_eq!(variants.len(), before / 3 * 2);
        assert_eq!(variants[0].loaded.scenario.fleet[0].gpus, 5184);
        assert_eq!(
            variants.last().map(|v| v.loaded.scenario.fleet[0].gpus),
            Some(10368)
        );
    }

    #[test]
    fn an_invalid_value_set_gives_the_error_written_in_the_file_gives() {
        let in_file = TINY.replace("gpus: 64,", "gpus: -8,");
        assert_ne!(in_file, TINY);
        let from_file = load_str("scenarios/tiny.ron", &in_file).unwrap_err();
        let from_set = set(TINY, &[("fleet[0].gpus", "-8")]).unwrap_err();
        let problems = |e: &ScenarioError| match e {
            ScenarioError::Invalid { problems, .. } => problems.clone(),
            other => panic!("{other}"),
        };
        assert!(!problems(&from_file).is_empty());
        assert_eq!(problems(&from_set), problems(&from_file));

        // A syntax error in the value: the same message as in the file, on the same line.
        let in_file = TINY.replace("Triangular(1.2, 1.3, 1.4)", "Triangle(1.2, 1.3)");
        let from_file = load_str("scenarios/tiny.ron", &in_file).unwrap_err();
        let from_set = set(TINY, &[("site.pue", "Triangle(1.2, 1.3)")]).unwrap_err();
        match (&from_file, &from_set) {
            (
                ScenarioError::Syntax {
                    line: a,
                    message: m,
                    ..
                },
                ScenarioError::Syntax {
                    line: b,
                    message: n,
                    ..
                },
            ) => assert_eq!((a, m), (b, n)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_path_that_cannot_be_set_names_the_path_and_set() {
        let e = set(
            TINY,
            &[
                ("fleet[3].gpus", "8"),
                ("site.nope.x", "1"),
                ("fleet[0].gpus", "8, sku: \"B200\""),
            ],
        )
        .unwrap_err();
        let ScenarioError::Invalid { problems, .. } = e else {
            panic!("{e}")
        };
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["fleet[3].gpus", "site.nope.x", "fleet[0].gpus"]);
        assert!(
            problems.iter().all(|p| p.message.starts_with("--set ")),
            "{problems:?}"
        );
        assert!(
            problems[0].message.contains("no [3]"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn settings_parse_path_and_value() {
        assert_eq!(
            parse_setting("fleet[0].gpus = 2048"),
            Ok(("fleet[0].gpus".into(), "2048".into()))
        );
        assert_eq!(
            parse_setting("energy.tariff=Flat(price_usd_per_kwh: 0.1)").map(|s| s.1),
            Ok("Flat(price_usd_per_kwh: 0.1)".into())
        );
        for bad in ["fleet", "=3", "a b=1", "x="] {
            assert!(parse_setting(bad).is_err(), "{bad}");
        }
    }
}
