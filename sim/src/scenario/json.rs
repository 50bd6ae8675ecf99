//! JSON scenarios: a `.json` file holds the same scenario as a RON file, in serde's JSON shape
//! (structs as objects, enum variants as `{"Variant": ...}` or `"Variant"`, numbers or
//! distributions such as `{"Pert": [1, 2, 3]}`). It is read into the same [`Scenario`] and written
//! once as RON text, which the rest of dcplan works on (sweep variants, the output folder's
//! `scenario.ron`, rebuilds); the RON text parses back to exactly the scenario read.
//! Sweep values, kept as text by the schema, are read as the type of the field their path names.

use serde_json::Value;

use super::{Scenario, ron_text};
use crate::problems::{Problem, ScenarioError, Severity, parse_ron, ron_options};

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
    let mut tree: Value = serde_json::from_str(json).map_err(|e| syntax(file, &e))?;
    if !tree.is_object() {
        return Err(invalid(
            file,
            String::new(),
            "a JSON scenario is an object, `{ ... }`, of the scenario's sections".into(),
        ));
    }
    // A whole number written with a point (64.0, as many programs write every number) is the
    // number: the JSON Schema's integers include it.
    whole_numbers_as_integers(&mut tree);
    let mut reader = serde_json::Deserializer::from_str(json);
    let scenario: Scenario = match serde_path_to_error::deserialize(&mut reader) {
        Ok(s) => s,
        Err(e) => match serde_json::from_value::<Scenario>(tree.clone()) {
            Ok(s) => s,
            Err(_) => return Err(every_schema_problem(file, json, &tree, &e)),
        },
    };
    // A key written twice where the schema keeps values as text (a sweep's values) reads
    // without complaint, the last value winning: refused as everywhere else.
    let twice = duplicate_keys(json);
    if !twice.is_empty() {
        return Err(ScenarioError::Invalid {
            file: file.to_string(),
            problems: twice.into_iter().map(duplicate_problem).collect(),
        });
    }
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
    // Every value that is not a value of its field, at once.
    let mut bad: Vec<Problem> = Vec::new();
    let mut converted: Vec<(usize, Vec<String>)> = Vec::new();
    for (i, axis) in axes.iter().enumerate() {
        let path = axis.get("path").and_then(Value::as_str).unwrap_or_default();
        let values = axis
            .get("values")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut texts = Vec::with_capacity(values.len());
        for (j, v) in values.iter().enumerate() {
            match value_text(&tree, path, v) {
                Ok(t) => texts.push(t),
                Err(m) => bad.push(Problem {
                    path: format!("sweep.axes[{i}].values[{j}]"),
                    message: plain_types(&m),
                    severity: Severity::Error,
                }),
            }
        }
        converted.push((i, texts));
    }
    if !bad.is_empty() {
        return Err(ScenarioError::Invalid {
            file: file.to_string(),
            problems: bad,
        });
    }
    for (i, texts) in converted {
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

/// Whether `path` names a field of the scenario format (any list index, variant names as
/// messages write them: `energy.tariff.Flat.price_usd_per_kwh`), by the format's JSON Schema.
pub(crate) fn is_scenario_field(path: &str) -> bool {
    static SCHEMA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let schema = SCHEMA.get_or_init(schema);
    let defs = schema.get("$defs");
    // The schemas a node stands for: itself, what it refers to, and the members of its
    // alternatives (an option is `anyOf` the value and null; an enum `oneOf` its variants).
    fn members<'s>(node: &'s Value, defs: Option<&'s Value>, out: &mut Vec<&'s Value>, depth: u8) {
        if depth > 16 {
            return;
        }
        if let Some(name) = node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
            && let Some(target) = defs.and_then(|d| d.get(name))
        {
            members(target, defs, out, depth + 1);
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            for m in node
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                members(m, defs, out, depth + 1);
            }
        }
        out.push(node);
    }
    let mut current: Vec<&Value> = vec![schema];
    for seg in path.split('.') {
        let (name, indexed) = match seg.split_once('[') {
            Some((n, _)) => (n, true),
            None => (seg, false),
        };
        let mut next = Vec::new();
        for node in &current {
            let mut all = Vec::new();
            members(node, defs, &mut all, 0);
            for m in all {
                if let Some(field) = m.get("properties").and_then(|p| p.get(name)) {
                    next.push(field);
                }
            }
        }
        if indexed {
            let mut items = Vec::new();
            for node in &next {
                let mut all = Vec::new();
                members(node, defs, &mut all, 0);
                items.extend(all.into_iter().filter_map(|m| m.get("items")));
            }
            next = items;
        }
        if next.is_empty() {
            return false;
        }
        current = next;
    }
    true
}

/// Byte offset of each value of the JSON text `text` by its field path (`fleet[0].gpus`; a
/// variant's name is a field as messages write it, `energy.tariff.Flat.price_usd_per_kwh`): the
/// offset of its key in an object, of the value in a list. Empty where the text is not JSON.
fn json_offsets(text: &str) -> Vec<(String, usize)> {
    fn skip_ws(b: &[u8], mut i: usize) -> usize {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    }
    // The end of the string starting at `i` (its opening quote), and its text.
    fn string(b: &[u8], i: usize) -> Option<(usize, String)> {
        let mut j = i + 1;
        while j < b.len() && b[j] != b'"' {
            j += if b[j] == b'\\' { 2 } else { 1 };
        }
        let raw = std::str::from_utf8(b.get(i..=j)?).ok()?;
        let text: String = serde_json::from_str(raw).ok()?;
        Some((j + 1, text))
    }
    fn value(
        b: &[u8],
        i: usize,
        path: &str,
        out: &mut Vec<(String, usize)>,
        depth: u32,
    ) -> Option<usize> {
        if depth > 128 {
            return None;
        }
        let i = skip_ws(b, i);
        match b.get(i)? {
            b'{' => {
                let mut j = skip_ws(b, i + 1);
                if b.get(j) == Some(&b'}') {
                    return Some(j + 1);
                }
                loop {
                    let key_at = j;
                    let (after, key) = string(b, j)?;
                    let p = if path.is_empty() {
                        key
                    } else {
                        format!("{path}.{key}")
                    };
                    out.push((p.clone(), key_at));
                    j = skip_ws(b, after);
                    if b.get(j) != Some(&b':') {
                        return None;
                    }
                    j = skip_ws(b, value(b, j + 1, &p, out, depth + 1)?);
                    match b.get(j)? {
                        b',' => j = skip_ws(b, j + 1),
                        b'}' => return Some(j + 1),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let mut j = skip_ws(b, i + 1);
                if b.get(j) == Some(&b']') {
                    return Some(j + 1);
                }
                let mut k = 0;
                loop {
                    let p = format!("{path}[{k}]");
                    out.push((p.clone(), skip_ws(b, j)));
                    j = skip_ws(b, value(b, j, &p, out, depth + 1)?);
                    k += 1;
                    match b.get(j)? {
                        b',' => j += 1,
                        b']' => return Some(j + 1),
                        _ => return None,
                    }
                }
            }
            b'"' => string(b, i).map(|(end, _)| end),
            _ => {
                let mut j = i;
                while j < b.len()
                    && !matches!(b[j], b',' | b'}' | b']')
                    && !b[j].is_ascii_whitespace()
                {
                    j += 1;
                }
                Some(j)
            }
        }
    }
    let mut out = Vec::new();
    let b = text.as_bytes();
    if b.get(skip_ws(b, 0)) == Some(&b'{') {
        let _ = value(b, 0, "", &mut out, 0);
    }
    out
}

/// 1-based line and column in the JSON text `text` of the value a problem's field path names,
/// or of the nearest written field above it; None where `text` is not a JSON object.
pub fn json_position(text: &str, path: &str) -> Option<(usize, usize)> {
    let offsets = json_offsets(text);
    if offsets.is_empty() {
        return None;
    }
    let mut p = path.split(' ').next().unwrap_or(path).to_string();
    loop {
        if let Some((_, at)) = offsets.iter().find(|(q, _)| *q == p) {
            return Some(super::line_col_of(text, *at));
        }
        match p.rfind(['.', '[']) {
            Some(i) => p.truncate(i),
            None => return None,
        }
    }
}

/// Most schema problems looked for at once.
const MAX_SCHEMA_PROBLEMS: usize = 50;

/// A schema error at its field path: a required field left out is named at its own path.
fn schema_problem(e: &serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let at = e.path().to_string();
    let at = if at == "." { String::new() } else { at };
    let text = e.inner().to_string();
    let suffix = format!(
        " at line {} column {}",
        e.inner().line(),
        e.inner().column()
    );
    let text = plain_types(text.strip_suffix(&suffix).unwrap_or(&text));
    let join = |field: &str| {
        if at.is_empty() {
            field.to_string()
        } else {
            format!("{at}.{field}")
        }
    };
    let (path, message) = match missing_field(&text) {
        Some(field) => (
            join(field),
            format!("the required field `{field}` is missing"),
        ),
        None => (at, text),
    };
    Problem {
        path,
        message,
        severity: Severity::Error,
    }
}

/// Every number of `v` that is a whole number written as a float (`64.0`, `6.4e1`), below 2^53
/// where floats are exact, made an integer.
fn whole_numbers_as_integers(v: &mut Value) {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(x) = n.as_f64()
                && x.fract() == 0.0
                && x.abs() < 9_007_199_254_740_992.0
            {
                *v = Value::from(x as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// A serde message in the words of a scenario's author: Rust's type names read as what they
/// hold.
fn plain_types(message: &str) -> String {
    let mut m = message.to_string();
    for (rust, plain) in [
        ("expected usize", "expected a whole number, 0 or more"),
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected i64", "expected a whole number"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        (
            "expected i32",
            "expected a whole number between -2147483648 and 2147483647",
        ),
        ("expected u16", "expected a whole number from 0 to 65535"),
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected f64", "expected a number"),
    ] {
        if let Some(rest) = m.strip_suffix(rust) {
            m = format!("{rest}{plain}");
        }
    }
    m
}

/// The field serde's "missing field `name`" message names.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

/// The error of a JSON scenario that does not match the schema (`first`, read from the text, so
/// with its line and column), and every other such problem at once: each is reported at its
/// field path and repaired so that the reading goes on (a field the schema does not know is set
/// aside; a required field left out, or a value the field cannot hold, takes the built-in
/// scenario's value at that path, its first list item's where the path is in a list, or, where
/// that scenario has none, is removed). When the repaired scenario reads, the problems of its
/// values come too, except those inside a value put in as a stand-in and those of a section a
/// value was removed from (its absence is the repair's, not the file's). A single problem is
/// reported as `first` is, at its line and column.
fn every_schema_problem(
    file: &str,
    json: &str,
    tree: &Value,
    first: &serde_path_to_error::Error<serde_json::Error>,
) -> ScenarioError {
    // A field written twice shows only in the text: the tree keeps its last value.
    let mut problems: Vec<Problem> = duplicate_keys(json)
        .into_iter()
        .map(duplicate_problem)
        .collect();
    let (found, repaired, replaced, removed_from) = repair(tree);
    problems.extend(found);
    // One problem, the one the text's reading stopped at: reported there, with its line. (The
    // text's first error may be one the tree no longer has, a whole number with a point.)
    let at = schema_problem(first);
    if problems.is_empty() || (problems.len() == 1 && problems[0].path == at.path) {
        let mut err = syntax(file, first.inner());
        if let ScenarioError::Syntax { message, .. } = &mut err {
            *message = at.to_string();
        }
        return err;
    }
    if let Some(fixed) = repaired
        && let Ok(ron) = json_to_ron(file, &fixed.to_string())
        && let Err(ScenarioError::Invalid { problems: more, .. }) =
            crate::load::load_str(file, &ron)
    {
        let inside = |p: &Problem| {
            replaced.iter().any(|f| crate::problems::within(&p.path, f))
                || removed_from.contains(&p.path)
        };
        problems.extend(more.into_iter().filter(|p| !inside(p)));
    }
    ScenarioError::Invalid {
        file: file.to_string(),
        problems,
    }
}

/// The schema problems of `tree`, found by repairing one at a time (see
/// [`every_schema_problem`]): the problems, the repaired tree where it reads as a scenario, the
/// paths given stand-in values, and the paths of objects a value was removed from.
fn repair(tree: &Value) -> (Vec<Problem>, Option<Value>, Vec<String>, Vec<String>) {
    let default: Option<Value> = parse_ron::<Scenario>("", super::DEFAULT_SCENARIO_RON)
        .ok()
        .and_then(|s| serde_json::to_value(s).ok());
    let mut tree = tree.clone();
    let mut problems: Vec<Problem> = Vec::new();
    let mut replaced: Vec<String> = Vec::new();
    let mut removed_from: Vec<String> = Vec::new();
    while problems.len() < MAX_SCHEMA_PROBLEMS {
        let e = match serde_path_to_error::deserialize::<_, Scenario>(&tree) {
            Ok(_) => return (problems, Some(tree), replaced, removed_from),
            Err(e) => e,
        };
        let problem = schema_problem(&e);
        let path = problem.path.clone();
        // The same problem twice: the repair did not take; the search ends.
        if problems
            .iter()
            .any(|p| p.path == path && p.message == problem.message)
        {
            break;
        }
        let unknown = problem.message.starts_with("unknown field");
        problems.push(problem);
        if path.is_empty() {
            break;
        }
        if unknown {
            if !remove_at(&mut tree, &path) {
                break;
            }
            continue;
        }
        let stand_in = default.as_ref().and_then(|d| {
            let mut d = d.clone();
            json_at(&mut d, &super::first_items(&path), false).map(Value::take)
        });
        match stand_in {
            Some(v) if !v.is_null() && !replaced.contains(&path) => {
                let Some(slot) = json_at(&mut tree, &path, true) else {
                    break;
                };
                *slot = v;
                replaced.push(path);
            }
            _ => {
                if !remove_at(&mut tree, &path) {
                    break;
                }
                // What its absence makes of the field's parent is not a problem of the file.
                if let Some((parent, _)) = path.rsplit_once('.') {
                    removed_from.push(parent.to_string());
                }
            }
        }
    }
    (problems, None, replaced, removed_from)
}

/// The problem of a key written twice, at its path.
fn duplicate_problem(path: String) -> Problem {
    let name = path.rsplit('.').next().unwrap_or(&path).to_string();
    Problem {
        path,
        message: format!("duplicate field `{name}`"),
        severity: Severity::Error,
    }
}

/// The paths of keys written twice in one object of the JSON text `json` (a key's second
/// writing; the fields inside it, which come twice with it, are not named again).
fn duplicate_keys(json: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut twice: Vec<String> = Vec::new();
    for (path, _) in json_offsets(json) {
        if !seen.insert(path.clone()) && !twice.iter().any(|t| crate::problems::within(&path, t)) {
            twice.push(path);
        }
    }
    twice
}

/// Remove the field at `path` from its object; false where there is no such field.
fn remove_at(tree: &mut Value, path: &str) -> bool {
    let (parent, name) = match path.rsplit_once('.') {
        Some((p, n)) => (Some(p), n),
        None => (None, path),
    };
    if name.contains('[') {
        return false;
    }
    let holder = match parent {
        Some(p) => json_at(tree, p, false),
        None => Some(tree),
    };
    holder
        .map(into_variant)
        .and_then(Value::as_object_mut)
        .is_some_and(|o| o.remove(name).is_some())
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
    if json_at(&mut variant, path, true).is_none() && is_scenario_field(path) {
        // A section the scenario leaves out: made, empty, on the way to the field.
        make_sections(&mut variant, path);
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

/// Make the objects on the way to `path` that `tree` lacks (plain field and variant names; a
/// list item is never made).
fn make_sections(tree: &mut Value, path: &str) {
    let Some((sections, _)) = path.rsplit_once('.') else {
        return;
    };
    let mut current = tree;
    for seg in sections.split('.') {
        if seg.contains('[') {
            // Into an existing list item only.
            let Some(next) = json_at(current, seg, false) else {
                return;
            };
            current = next;
            continue;
        }
        let Some(fields) = current.as_object_mut() else {
            return;
        };
        current = fields
            .entry(seg.to_string())
            .or_insert_with(|| Value::Object(Default::default()));
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
