//! JSON scenarios: a `.json` file holds the same scenario as a RON file, in serde's JSON shape
//! (structs as objects, enum variants as `{"Variant": ...}` or `"Variant"`, numbers or
//! distributions such as `{"Pert": [1, 2, 3]}`). It is read into the same [`Scenario`] and written
//! once as RON text, which the rest of dcplan works on (sweep variants, the output folder's
//! `scenario.ron`, rebuilds); the RON text parses back to exactly the scenario read.
//! Sweep values, kept as text by the schema, are read as the type of the field their path names.

use serde_json::Value;

use super::{Scenario, ron_text};
use crate::problems::{ScenarioError, parse_ron, ron_options};

/// Whether `path` names a JSON scenario (by its extension, `.json` in any case).
pub fn is_json_path(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// A serde_json error as a syntax error of `file`, with its line and column.
fn syntax(file: &str, e: &serde_json::Error) -> ScenarioError {
    let message = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    ScenarioError::Syntax {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: message
            .strip_suffix(&suffix)
            .unwrap_or(&message)
            .to_string(),
    }
}

fn invalid(file: &str, path: String, message: String) -> ScenarioError {
    ScenarioError::Invalid {
        file: file.to_string(),
        problems: vec![crate::problems::Problem {
            path,
            message,
            severity: crate::problems::Severity::Error,
        }],
    }
}

/// The RON text of the JSON scenario `json` (`file` names it in messages): syntax and schema
/// errors carry the JSON file's line and column; the text parses back to the scenario read.
pub fn json_to_ron(file: &str, json: &str) -> Result<String, ScenarioError> {
    let tree: Value = serde_json::from_str(json).map_err(|e| syntax(file, &e))?;
    let scenario: Scenario = serde_json::from_str(json).map_err(|e| syntax(file, &e))?;
    let config = ron::ser::PrettyConfig::new().indentor("    ".to_string());
    // Options written without `Some(...)`, as scenario files write them.
    let mut text = ron_options()
        .to_string_pretty(&scenario, config)
        .map_err(|e| {
            invalid(
                file,
                String::new(),
                format!("cannot be written as RON: {e}"),
            )
        })?;
    let axes = tree
        .pointer("/sweep/axes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, axis) in axes.iter().enumerate() {
        let path = axis.get("path").and_then(Value::as_str).unwrap_or_default();
        let values = axis
            .get("values")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut texts = Vec::with_capacity(values.len());
        for (j, v) in values.iter().enumerate() {
            let at = format!("sweep.axes[{i}].values[{j}]");
            texts.push(value_text(&tree, path, v).map_err(|m| invalid(file, at, m))?);
        }
        text = ron_text::set(
            &text,
            &format!("sweep.axes[{i}].values"),
            &format!("[{}]", texts.join(", ")),
        )
        .map_err(|e| invalid(file, format!("sweep.axes[{i}].values"), e))?;
    }
    // The RON text must give back the scenario read, or the tool would run another one.
    let back: Scenario = parse_ron(file, &text)?;
    if format!("{back:?}") != format!("{scenario:?}") {
        return Err(invalid(
            file,
            String::new(),
            "the scenario does not survive its conversion to RON".into(),
        ));
    }
    Ok(text)
}

/// The RON text of the sweep value `v` for the field at `path`: `v` put at the path in the
/// scenario `tree`, the scenario read as its schema says and written as RON, and the value at
/// the path taken from that text.
fn value_text(tree: &Value, path: &str, v: &Value) -> Result<String, String> {
    let mut variant = tree.clone();
    if let Some(sweep) = variant.as_object_mut() {
        sweep.remove("sweep");
        sweep.remove("optimize");
    }
    *json_at(&mut variant, path, true)
        .ok_or_else(|| format!("`{path}` does not lead to a field of the scenario"))? = v.clone();
    let scenario: Scenario = serde_json::from_value(variant)
        .map_err(|e| format!("{} is not a value of `{path}`: {e}", short(v)))?;
    let text = ron_options()
        .to_string(&scenario)
        .map_err(|e| e.to_string())?;
    match ron_text::get(&text, path) {
        Ok(t) => Ok(t),
        // A value equal to a default the schema leaves unwritten: written as it is.
        Err(_) => Ok(plain_ron(v)),
    }
}

/// `v` for messages, cut short.
fn short(v: &Value) -> String {
    super::inputs::short(&v.to_string())
}

/// A JSON value written as RON without the schema: objects as structs, a one-key object whose
/// key starts with a capital as an enum variant, arrays as lists, `null` as `None`.
fn plain_ron(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => Value::String(s.clone()).to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(plain_ron).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(fields) => {
            if let Some((k, inner)) = single_variant(fields) {
                return match inner {
                    Value::Object(f) => format!("{k}{}", plain_ron(&Value::Object(f.clone()))),
                    Value::Array(items) => format!(
                        "{k}({})",
                        items.iter().map(plain_ron).collect::<Vec<_>>().join(", ")
                    ),
                    other => format!("{k}({})", plain_ron(other)),
                };
            }
            format!(
                "({})",
                fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", plain_ron(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

/// The variant name and value of an enum written by serde as `{"Variant": value}`.
fn single_variant(fields: &serde_json::Map<String, Value>) -> Option<(&String, &Value)> {
    let mut it = fields.iter();
    let first = it.next()?;
    (it.next().is_none() && first.0.starts_with(|c: char| c.is_ascii_uppercase())).then_some(first)
}

/// The value at a field path (`fleet[0].gpus`, `energy.tariff`, `pricing.policy.0`) in a JSON
/// scenario tree, looking through enum variants; with `create`, a missing last field is added.
pub(crate) fn json_at<'v>(root: &'v mut Value, path: &str, create: bool) -> Option<&'v mut Value> {
    let segs: Vec<&str> = path.split('.').collect();
    let mut current = root;
    for (n, seg) in segs.iter().enumerate() {
        let (name, index) = match seg.split_once('[') {
            None => (*seg, None),
            Some((name, rest)) => (name, Some(rest.strip_suffix(']')?.parse::<usize>().ok()?)),
        };
        let last = n + 1 == segs.len() && index.is_none();
        if let Ok(pos) = name.parse::<usize>() {
            // A position in a tuple or the value of a tuple-like variant.
            current = into_variant(current);
            current = match current {
                Value::Array(items) => items.get_mut(pos)?,
                other if pos == 0 => other,
                _ => return None,
            };
            continue;
        }
        if !current.as_object().is_some_and(|o| o.contains_key(name)) {
            current = into_variant(current);
        }
        let fields = current.as_object_mut()?;
        if !fields.contains_key(name) {
            if !(last && create) {
                return None;
            }
            fields.insert(name.to_string(), Value::Null);
        }
        current = fields.get_mut(name)?;
        if let Some(i) = index {
            current = current.as_array_mut()?.get_mut(i)?;
        }
    }
    Some(current)
}

/// The value of an enum variant written as `{"Variant": value}`, or `v` itself.
fn into_variant(v: &mut Value) -> &mut Value {
    let is_variant = v.as_object().is_some_and(|o| single_variant(o).is_some());
    if is_variant {
        v.as_object_mut()
            .and_then(|o| o.values_mut().next())
            .expect("one field")
    } else {
        v
    }
}

/// The JSON twin of a RON scenario: `scenario` (parsed from `source_text`) as JSON, its sweep
/// values (text in the RON file) read as the type of their fields.
pub fn scenario_to_json(scenario: &Scenario, source_text: &str) -> Result<Value, String> {
    let mut tree = serde_json::to_value(scenario).map_err(|e| e.to_string())?;
    let Some(sweep) = &scenario.sweep else {
        return Ok(tree);
    };
    let mut base = scenario.clone();
    base.sweep = None;
    base.optimize = None;
    let settable = crate::plan::Settable::new(&base, source_text)
        .ok_or("the scenario cannot have fields set")?;
    for (i, axis) in sweep.axes.iter().enumerate() {
        let texts = ron_text::list(source_text, &format!("sweep.axes[{i}].values"))?;
        let mut values = Vec::with_capacity(texts.len());
        for t in texts {
            let variant = settable
                .set(&[(axis.path.clone(), t.clone())])
                .ok_or_else(|| format!("`{t}` is not a value of `{}`", axis.path))?;
            let mut v = serde_json::to_value(&variant).map_err(|e| e.to_string())?;
            let at = json_at(&mut v, &axis.path, false)
                .ok_or_else(|| format!("`{}` is not in the JSON", axis.path))?;
            values.push(at.take());
        }
        let slot = tree
            .pointer_mut(&format!("/sweep/axes/{i}/values"))
            .ok_or("no sweep values in the JSON")?;
        *slot = Value::Array(values);
    }
    Ok(tree)
}

/// The JSON Schema (draft 2020-12) of the scenario format, derived from the same types that
/// read scenarios: every section, field and variant with its documentation; numbers that may be
/// distributions are `oneOf` a number and a distribution.
pub fn schema() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Scenario)).unwrap_or(Value::Null);
    if let Some(o) = schema.as_object_mut() {
        o.insert("title".into(), Value::String("dcplan scenario".into()));
    }
    schema
}
