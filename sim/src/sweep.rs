//! Sweeps: a scenario's `sweep` axes, each a field path with a list of values, expanded as a
//! cartesian product into named variants. Each variant is the scenario, parsed once, with the
//! values set at their paths ([`crate::plan::set_fields`]) and validated like any scenario, so an
//! unknown path or an unacceptable value is reported like any other scenario error (a value the
//! setter does not take is reported by parsing the variant's text, as the parser words it). The
//! variant's text, the scenario text with the values put at their paths, is kept as its source.
//! All variants run with the same master seed, so replication r of every variant sees the same
//! demand, failures, weather and prices (common random numbers).

use crate::plan::Settable;
use crate::problems::Problems;
use crate::scenario::{
    LoadedScenario, Problem, ScenarioError, Severity, check_parsed, parse_and_check, ron_text,
};

/// One variant of a sweep.
#[derive(Clone, Debug)]
pub struct Variant {
    /// Name, e.g. `gpus=2048, tariff=grid`.
    pub name: String,
    /// The variant's scenario.
    pub loaded: LoadedScenario,
    /// `(path, value text)` set in this variant.
    pub settings: Vec<(String, String)>,
}

fn invalid(file: &str, path: String, message: String) -> ScenarioError {
    ScenarioError::Invalid {
        file: file.to_string(),
        problems: vec![Problem {
            path,
            message,
            severity: Severity::Error,
        }],
    }
}

/// A short label for a value: its text without quotes when short.
fn label(value: &str, index: usize) -> String {
    let v = value.trim().trim_matches('"');
    if v.len() <= 24 && !v.contains('\n') {
        v.to_string()
    } else {
        format!("#{}", index + 1)
    }
}

/// Put `settings` into the scenario and check the result like any scenario; errors name the
/// settings' paths. The variant is set on the parsed scenario by field path
/// ([`crate::plan::set_fields`]) and validated, without parsing text again; its text (kept as
/// its source, written to its output folder) is the scenario text with the values put at their
/// paths. Each value written gets `source(path)` as its comment, in place of the comment of the
/// value it replaces (which described that value, not this one), so the variant's assumptions
/// table says where the value came from. Where the setter cannot set a value (a value it does
/// not accept, a field the schema lacks), the variant's text is parsed, so that the message is
/// the parser's.
pub fn apply(
    base: &LoadedScenario,
    settings: &[(String, String)],
    name: &str,
    source: &dyn Fn(&str) -> String,
) -> Result<LoadedScenario, ScenarioError> {
    let settable = Settable::new(&base.scenario, &base.source_text);
    apply_with(base, settable.as_ref(), settings, name, source)
}

/// [`apply`] with the base scenario prepared for the setter once for all its variants.
pub(crate) fn apply_with(
    base: &LoadedScenario,
    settable: Option<&Settable>,
    settings: &[(String, String)],
    name: &str,
    source: &dyn Fn(&str) -> String,
) -> Result<LoadedScenario, ScenarioError> {
    let text = variant_text(base, settings, source)?;

    checked_variant(base, settable, settings, text).map_err(|e| {
        let paths = settings
            .iter()
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let message = match &e {
            ScenarioError::Syntax { message, .. } => message.clone(),
            ScenarioError::Invalid { problems, .. } => problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; "),
            ScenarioError::Io { .. } => e.to_string(),
        };
        invalid(&base.file, format!("variant `{name}` ({paths})"), message)
    })
}

/// The text of the variant of `base` with `settings` (see [`apply`]).
fn variant_text(
    base: &LoadedScenario,
    settings: &[(String, String)],
    source: &dyn Fn(&str) -> String,
) -> Result<String, ScenarioError> {
    let mut text = base.source_text.clone();
    for (path, value) in settings {
        text = ron_text::set_with_source(&text, path, value, &source(path))
            .map_err(|e| invalid(&base.file, path.clone(), e))?;
    }
    // A variant is a plain scenario.
    if base.scenario.sweep.is_some() {
        text = ron_text::set(&text, "sweep", "None")
            .map_err(|e| invalid(&base.file, "sweep".into(), e))?;
    }
    if base.scenario.optimize.is_some() {
        text = ron_text::set(&text, "optimize", "None")
            .map_err(|e| invalid(&base.file, "optimize".into(), e))?;
    }
    Ok(text)
}

/// The variant of `base` with `settings`, its text `text`, checked as any scenario; its
/// problems as the scenario's (with the paths of the fields they are about).
fn checked_variant(
    base: &LoadedScenario,
    settable: Option<&Settable>,
    settings: &[(String, String)],
    text: String,
) -> Result<LoadedScenario, ScenarioError> {
    match settable.and_then(|s| s.set(settings)) {
        Some(mut scenario) => {
            scenario.sweep = None;
            scenario.optimize = None;
            check_parsed(&base.file, scenario, &text, &base.input_dir)
        }
        None => parse_and_check(&base.file, &text, &base.input_dir),
    }
}

/// The problems of a sweep section that need no valid scenario (its axes, paths, values and
/// labels, read from the scenario's `text`), and each axis's path with its labelled values.
/// Loading reports them with the base scenario's own problems, so that every problem comes at
/// once.
#[expect(
    clippy::type_complexity,
    reason = "an axis's path and its (label, value) pairs"
)]
pub(crate) fn section(
    sweep: &crate::scenario::Sweep,
    text: &str,
) -> (Problems, Vec<(String, Vec<(String, String)>)>) {
    let mut axes: Vec<(String, Vec<(String, String)>)> = Vec::new(); // (path, [(label, value)])
    let mut problems = Problems::default();
    if sweep.axes.is_empty() {
        problems.push(
            "sweep.axes",
            "needs at least one axis (or leave the sweep out)",
        );
    }
    for (i, axis) in sweep.axes.iter().enumerate() {
        // One field per axis: a second axis on it would silently win over the first.
        if let Some(j) = sweep.axes[..i].iter().position(|a| a.path == axis.path) {
            problems.push(
                format!("sweep.axes[{i}].path"),
                format!("`{}` is already swept by sweep.axes[{j}]", axis.path),
            );
        }
        if axis.path == "sweep"
            || axis.path.starts_with("sweep.")
            || axis.path.starts_with("sweep[")
        {
            problems.push(
                format!("sweep.axes[{i}].path"),
                "a sweep cannot change the sweep itself",
            );
        }
        if let Some(why) = run_level(&axis.path) {
            problems.push(format!("sweep.axes[{i}].path"), why);
        }
        for (j, l) in axis.labels.iter().enumerate() {
            if l.trim().is_empty() || l.chars().any(char::is_control) {
                problems.push(
                    format!("sweep.axes[{i}].labels[{j}]"),
                    "a label must name the value: not empty, on one line",
                );
            }
        }
    }
    for (i, axis) in sweep.axes.iter().enumerate() {
        let values = match ron_text::list(text, &format!("sweep.axes[{i}].values")) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("sweep.axes[{i}].values"), e);
                continue;
            }
        };
        if values.is_empty() {
            problems.push(
                format!("sweep.axes[{i}].values"),
                "needs at least one value",
            );
        }
        if !axis.labels.is_empty() && axis.labels.len() != values.len() {
            problems.push(
                format!("sweep.axes[{i}].labels"),
                format!("{} labels for {} values", axis.labels.len(), values.len()),
            );
        }
        // The path must lead to a field of the scenario (written or not); the parse of each
        // variant then checks that the field exists in the schema.
        if let Err(e) = ron_text::set(text, &axis.path, "0") {
            problems.push(
                format!("sweep.axes[{i}].path"),
                format!("`{}`: {e}", axis.path),
            );
        }
        let named = values
            .iter()
            .enumerate()
            .map(|(j, v)| {
                (
                    axis.labels.get(j).cloned().unwrap_or_else(|| label(v, j)),
                    v.clone(),
                )
            })
            .collect();
        axes.push((axis.path.clone(), named));
    }
    (problems, axes)
}

/// Expand a scenario's sweep into its variants (a scenario without a sweep is one variant, `base`).
pub fn expand(loaded: &LoadedScenario) -> Result<Vec<Variant>, ScenarioError> {
    let Some(sweep) = &loaded.scenario.sweep else {
        return Ok(vec![Variant {
            name: "base".into(),
            loaded: loaded.clone(),
            settings: Vec::new(),
        }]);
    };
    let (problems, axes) = section(sweep, &loaded.source_text);
    // The base scenario, parsed once, is the start of every variant.
    let settable = Settable::new(&loaded.scenario, &loaded.source_text);
    if !problems.is_empty() {
        // The axes whose paths are sound are still tried, so that their bad values come with
        // the problems of the others.
        let sound: Vec<(String, Vec<(String, String)>)> = axes
            .into_iter()
            .filter(|(path, _)| {
                sweep
                    .axes
                    .iter()
                    .position(|a| a.path == *path)
                    .is_none_or(|i| {
                        let at = format!("sweep.axes[{i}].path");
                        !problems.iter().any(|p| p.path == at)
                    })
            })
            .collect();
        let mut all = problems.into_vec();
        if !sound.is_empty()
            && let Err(ScenarioError::Invalid { problems, .. }) =
                variants_of(loaded, settable.as_ref(), sweep, &sound)
        {
            all.extend(problems);
        }
        return Err(ScenarioError::Invalid {
            file: loaded.file.clone(),
            problems: all,
        });
    }
    variants_of(loaded, settable.as_ref(), sweep, &axes)
}

/// Most distinct problems of a sweep's variants listed at once.
const MAX_VARIANT_PROBLEMS: usize = 50;

/// The variants of `axes` (paths with their labelled values), in order, the first axis
/// slowest; or every distinct problem of the variants that fail (each once, with the first
/// variant that has it and how many more do).
fn variants_of(
    loaded: &LoadedScenario,
    settable: Option<&Settable>,
    sweep: &crate::scenario::Sweep,
    axes: &[(String, Vec<(String, String)>)],
) -> Result<Vec<Variant>, ScenarioError> {
    let total: usize = axes.iter().map(|(_, v)| v.len()).product();
    if total > 10_000 {
        return Err(invalid(
            &loaded.file,
            "sweep.axes".into(),
            format!("{total} variants; the limit is 10000"),
        ));
    }
    let mut variants = Vec::with_capacity(total);
    // Distinct problems: (message, first variant's path, how many variants have it).
    let mut failed: Vec<(String, String, usize)> = Vec::new();
    for k in 0..total {
        // Mixed-radix digits, the first axis slowest.
        let mut rest = k;
        let mut picks = vec![0usize; axes.len()];
        for (a, (_, values)) in axes.iter().enumerate().rev() {
            picks[a] = rest % values.len();
            rest /= values.len();
        }
        let settings: Vec<(String, String)> = axes
            .iter()
            .zip(&picks)
            .map(|((path, values), &j)| (path.clone(), values[j].1.clone()))
            .collect();
        let name = axes
            .iter()
            .zip(&picks)
            .map(|((path, values), &j)| {
                // A label names the value on its own; a bare value is prefixed by its field.
                let labelled = sweep
                    .axes
                    .iter()
                    .find(|a| a.path == *path)
                    .is_some_and(|a| !a.labels.is_empty());
                if labelled {
                    return values[j].0.clone();
                }
                let leaf = path.rsplit('.').next().unwrap_or(path);
                let leaf = leaf.split('[').next().unwrap_or(leaf);
                format!("{leaf}={}", values[j].0)
            })
            .collect::<Vec<_>>()
            .join(", ");
        if variants.iter().any(|v: &Variant| v.name == name) {
            return Err(invalid(
                &loaded.file,
                "sweep.axes".into(),
                format!("two variants are both named `{name}`; give each value a distinct label"),
            ));
        }
        let labels: Vec<(&str, &str)> = axes
            .iter()
            .zip(&picks)
            .map(|((path, values), &j)| (path.as_str(), values[j].0.as_str()))
            .collect();
        let source = |path: &str| {
            let label = labels
                .iter()
                .find(|(p, _)| *p == path)
                .map_or("", |(_, l)| l);
            format!("sweep axis {path} ({label})")
        };
        let paths = settings
            .iter()
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let checked = variant_text(loaded, &settings, &source)
            .and_then(|text| checked_variant(loaded, settable, &settings, text));
        match checked {
            Ok(v) => variants.push(Variant {
                name,
                loaded: v,
                settings,
            }),
            Err(e) => {
                // Each problem on its own, so that one bad value shared by many variants is
                // one problem.
                // Its errors: a warning of a variant is not what makes it fail.
                let problems: Vec<String> = match e {
                    ScenarioError::Invalid { problems, .. } => problems
                        .iter()
                        .filter(|p| p.severity == Severity::Error)
                        .map(|p| p.to_string())
                        .collect(),
                    ScenarioError::Syntax { message, .. } => vec![message],
                    other => vec![other.to_string()],
                };
                for message in problems {
                    if let Some(seen) = failed.iter_mut().find(|(m, _, _)| *m == message) {
                        seen.2 += 1;
                    } else if failed.len() < MAX_VARIANT_PROBLEMS {
                        failed.push((message, format!("variant `{name}` ({paths})"), 1));
                    }
                }
            }
        }
    }
    if failed.is_empty() {
        return Ok(variants);
    }
    Err(ScenarioError::Invalid {
        file: loaded.file.clone(),
        problems: failed
            .into_iter()
            .map(|(message, path, n)| Problem {
                path: if n > 1 {
                    format!("{path} and {} more variant(s)", n - 1)
                } else {
                    path
                },
                message,
                severity: Severity::Error,
            })
            .collect(),
    })
}

/// Why a field cannot vary between the variants of one run, if it cannot: the run's seed and
/// replication count hold for every variant (the same seeds in each, so that variants differ
/// only by their inputs).
pub(crate) fn run_level(path: &str) -> Option<String> {
    let field = path.trim();
    let why = match field {
        "simulation.seed" => {
            "every variant of a run uses the run's seeds, so that variants differ only by their inputs (give the seed with --seed)"
        }
        "simulation.replications" => {
            "every variant of a run has the run's replication count (give it with -r)"
        }
        "simulation" => {
            "the simulation settings hold for the whole run (seed and replications: --seed and -r)"
        }
        _ => return None,
    };
    Some(format!("`{field}` cannot vary: {why}"))
}

/// Problems of a scenario's `sweep` section (every variant must be a valid scenario).
pub fn check(loaded: &LoadedScenario) -> Vec<Problem> {
    if loaded.scenario.sweep.is_none() {
        return Vec::new();
    }
    match expand(loaded) {
        // The warnings a variant has and the base has not, each once, with the first variant
        // that has it and how many more do.
        Ok(variants) => {
            let mut seen: Vec<(String, String, usize)> = Vec::new();
            for v in &variants {
                for w in &v.loaded.warnings {
                    if loaded.warnings.contains(w) {
                        continue;
                    }
                    let text = w.to_string();
                    if let Some(s) = seen.iter_mut().find(|(t, _, _)| *t == text) {
                        s.2 += 1;
                    } else if seen.len() < MAX_VARIANT_PROBLEMS {
                        seen.push((text, v.name.clone(), 1));
                    }
                }
            }
            seen.into_iter()
                .map(|(text, name, n)| Problem {
                    path: if n > 1 {
                        format!("variant `{name}` and {} more", n - 1)
                    } else {
                        format!("variant `{name}`")
                    },
                    message: text.strip_prefix("warning: ").unwrap_or(&text).to_string(),
                    severity: Severity::Warning,
                })
                .collect()
        }
        Err(ScenarioError::Invalid { problems, .. }) => problems,
        Err(e) => vec![Problem {
            path: "sweep".into(),
            message: e.to_string(),
            severity: Severity::Error,
        }],
    }
}
