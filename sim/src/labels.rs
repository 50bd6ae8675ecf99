//! Human labels of inputs and KPIs: one source for every name a reader sees.
//!
//! A KPI's label, unit and definition are its column description (`Kpis::COLUMNS`). An input's
//! label, unit and definition are derived from its field path and the scenario's JSON Schema
//! (`scenario::json::schema`, generated from the same types that read scenarios, so every
//! field's doc comment is its definition): `fleet[0].price_usd_per_gpu` reads "Tranche
//! 'h100-a' (H100-SXM): price per GPU" in USD/GPU. Paths of every form dcplan writes are
//! understood: scenario fields (indexed or not, with enum variants such as
//! `demand.mix[0].duration.Hours`), `param:` columns of `runs.parquet`, catalog entries
//! (`catalog gpus H100-SXM.tdp_w`), input files (`input file energy.prices_file`) and sweep and
//! optimize variables. Values written in a scenario are rendered for readers by [`value_text`].

use std::sync::OnceLock;

use serde_json::Value;

use crate::Scenario;
use crate::dist::Param;
use crate::results::Kpis;

/// What a reader is told about an input or a KPI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Human label, e.g. "Tranche 'h100-a' (H100-SXM): price per GPU".
    pub label: String,
    /// Unit, e.g. "USD/GPU" (empty for names, switches and pure numbers).
    pub unit: String,
    /// What it is: the doc comment of its field (KPIs: of its column).
    pub definition: String,
}

/// The label of a KPI column (`npv_usd`), or `None` for a name that is not a KPI.
pub fn kpi(name: &str) -> Option<Label> {
    Kpis::COLUMNS
        .iter()
        .find(|c| c.name == name)
        .map(|c| Label {
            label: c.label.unwrap_or(c.name).to_string(),
            unit: c.unit.to_string(),
            definition: c.definition.to_string(),
        })
}

/// The label of `name`: a KPI column's, or else an input's ([`input`]).
pub fn of(scenario: Option<&Scenario>, name: &str) -> Label {
    kpi(name).unwrap_or_else(|| input(scenario, name))
}

/// The label of the input at `path` (any of the forms the module documentation lists). With the
/// scenario, list items are named by what they hold (a tranche by its name and SKU, a demand
/// class by its class); without it, by their position from 1.
pub fn input(scenario: Option<&Scenario>, path: &str) -> Label {
    let tree = scenario.and_then(|s| serde_json::to_value(s).ok());
    input_in(tree.as_ref(), path)
}

/// Labels of many paths of one scenario (the scenario is converted once).
pub fn inputs<'a>(
    scenario: Option<&Scenario>,
    paths: impl IntoIterator<Item = &'a str>,
) -> Vec<Label> {
    let tree = scenario.and_then(|s| serde_json::to_value(s).ok());
    paths
        .into_iter()
        .map(|p| input_in(tree.as_ref(), p))
        .collect()
}

/// The quality tag of a source comment: the leading `P: ...` (primary), `S:` (secondary), `E:`
/// (estimate), `D:` (derived), or a combination such as `P/E:`; or the tag that ends a catalog
/// source, `(NVIDIA specification, P)`. Empty when the comment has none.
pub fn quality_tag(source: &str) -> &str {
    let s = source.trim();
    let is_tag = |t: &str| {
        !t.is_empty() && t.len() <= 7 && t.split('/').all(|t| matches!(t, "P" | "S" | "E" | "D"))
    };
    if let Some((head, _)) = s.split_once(':')
        && is_tag(head.trim())
    {
        return head.trim();
    }
    if let Some(body) = s.strip_suffix(')') {
        let tail = body.rsplit(['(', ',']).next().unwrap_or("").trim();
        if is_tag(tail) {
            return tail;
        }
    }
    ""
}

/// Labels of the inputs of one scenario (list items named by what they hold), converting the
/// scenario once.
#[derive(Clone, Debug, Default)]
pub struct Labeller {
    tree: Option<Value>,
}

impl Labeller {
    /// A labeller for `scenario`.
    pub fn new(scenario: &Scenario) -> Labeller {
        Labeller {
            tree: serde_json::to_value(scenario).ok(),
        }
    }

    /// The label of the input at `path` ([`input`]).
    pub fn input(&self, path: &str) -> Label {
        input_in(self.tree.as_ref(), path)
    }

    /// The label of `name`: a KPI column's, or else an input's ([`of`]).
    pub fn of(&self, name: &str) -> Label {
        kpi(name).unwrap_or_else(|| self.input(name))
    }
}

/// A value as written in a scenario, for readers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueText {
    /// The value: a number, a name, `yes`/`no`, `none`; the median of a distribution.
    pub value: String,
    /// The distribution as written (`Triangular(1.2, 1.3, 1.4)`), or `fixed`.
    pub distribution: String,
    /// A unit the value carries itself (`hours` for `Hours(...)`), if any.
    pub unit: Option<&'static str>,
}

/// The value written as `raw` (one RON value on one line) for readers: numbers with thousands
/// separators, names without quotes, `Some(x)` as x, `None` as `none`, structs as
/// "label value, ..." and distributions by their median beside the distribution itself.
pub fn value_text(raw: &str) -> ValueText {
    let raw = raw.trim();
    let fixed = |value: String| ValueText {
        value,
        distribution: "fixed".into(),
        unit: None,
    };
    if let Some(inner) = raw.strip_prefix("Some(").and_then(|r| r.strip_suffix(')')) {
        return value_text(inner);
    }
    for (variant, unit) in [("Hours", "hours"), ("Months", "months")] {
        if let Some(inner) = raw
            .strip_prefix(variant)
            .and_then(|r| r.strip_prefix('('))
            .and_then(|r| r.strip_suffix(')'))
        {
            return ValueText {
                unit: Some(unit),
                ..value_text(inner)
            };
        }
    }
    // A whole number is shown with every digit written, before it is read as a parameter (a
    // double): a seed may have more digits than a double holds.
    if is_whole_number(raw) {
        return fixed(plain(raw));
    }
    if let Ok(p) = ron::from_str::<Param>(raw) {
        return match p {
            Param::Dist(d) if !matches!(d, crate::dist::Dist::Fixed(_)) => ValueText {
                value: number(d.quantile(0.5)),
                distribution: d.describe(),
                unit: None,
            },
            p => fixed(number(p.quantile(0.5))),
        };
    }
    fixed(plain(raw))
}

/// A plain value (not a number or distribution) for readers.
fn plain(raw: &str) -> String {
    let raw = raw.trim();
    match raw {
        "None" => return "none".into(),
        "true" => return "yes".into(),
        "false" => return "no".into(),
        "[]" => return "none".into(),
        _ => {}
    }
    if let Some(inner) = raw.strip_prefix("Some(").and_then(|r| r.strip_suffix(')')) {
        return plain(inner);
    }
    if raw.starts_with('"') && raw.ends_with('"') && raw.len() >= 2 {
        return raw[1..raw.len() - 1].to_string();
    }
    // Whole numbers as written (a seed may have more digits than a double holds).
    if is_whole_number(raw) {
        let digits = raw.trim_start_matches('-');
        let significant = digits.trim_start_matches('0');
        let grouped = group_digits(if significant.is_empty() {
            "0"
        } else {
            significant
        });
        return if raw.starts_with('-') && grouped != "0" {
            format!("-{grouped}")
        } else {
            grouped
        };
    }
    if let Ok(x) = raw.parse::<f64>() {
        return number(x);
    }
    if let Some(inner) = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let sep = if inner.trim_start().starts_with('[') {
            "; "
        } else {
            ", "
        };
        return split_top(inner)
            .iter()
            .map(|item| value_text(item).describe())
            .collect::<Vec<_>>()
            .join(sep);
    }
    // `Name(...)` or `(...)`: an enum variant with values, or a struct.
    let (name, body) = match raw.find('(') {
        Some(i) if raw.ends_with(')') => (&raw[..i], &raw[i + 1..raw.len() - 1]),
        _ => return words_of_ident(raw),
    };
    let parts: Vec<String> = split_top(body)
        .iter()
        .map(|item| match field_split(item) {
            Some((field, value)) => {
                let (words, unit) = leaf_words(field);
                let v = value_text(value);
                let unit = v.unit.map(str::to_string).unwrap_or(unit);
                let value = v.describe();
                match (words.is_empty(), unit.is_empty()) {
                    (true, true) => value,
                    (true, false) => format!("{value} {unit}"),
                    (false, true) => format!("{words} {value}"),
                    (false, false) => format!("{words} {value} {unit}"),
                }
            }
            None => value_text(item).describe(),
        })
        .collect();
    let body = parts.join(", ");
    if name.is_empty() {
        body
    } else if body.is_empty() {
        words_of_ident(name)
    } else {
        format!("{}: {body}", words_of_ident(name))
    }
}

impl ValueText {
    /// The value and distribution in one phrase: `1.3`, or `Triangular(1.2, 1.3, 1.4)`.
    pub fn describe(&self) -> String {
        let v = if self.distribution == "fixed" {
            self.value.clone()
        } else {
            self.distribution.clone()
        };
        match self.unit {
            Some(u) => format!("{v} {u}"),
            None => v,
        }
    }
}

/// `name: value` of a struct field (a field name is snake case).
fn field_split(item: &str) -> Option<(&str, &str)> {
    let (field, value) = item.split_once(':')?;
    let field = field.trim();
    (!field.is_empty()
        && field
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
    .then_some((field, value.trim()))
}

/// Splits `a, (b, c), "d, e"` at its top-level commas.
fn split_top(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut quoted, mut start) = (Vec::new(), 0i32, false, 0);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' | '[' if !quoted => depth += 1,
            ')' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out.retain(|x| !x.is_empty());
    out
}

/// A number for readers: whole numbers with thousands separators, others to 4 significant
/// digits.
/// True for an optional minus sign followed by decimal digits only.
fn is_whole_number(raw: &str) -> bool {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Decimal digits grouped by thousands with commas.
fn group_digits(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn number(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x.abs() >= 1000.0 || x == x.trunc() {
        // Whole numbers, and large numbers rounded to whole ones: every digit, grouped.
        let out = group_digits(&format!("{:.0}", x.abs().round()));
        return if x < 0.0 && out != "0" {
            format!("-{out}")
        } else {
            out
        };
    }
    let s = format!(
        "{:.*}",
        (3 - x.abs().log10().floor() as i32).max(0) as usize,
        x
    );
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

/// The schema of the scenario format, computed once.
fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(crate::scenario::json::schema)
}

/// The schema of a GPU catalog entry (its fields' doc comments define them), computed once.
fn sku_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::to_value(schemars::schema_for!(crate::catalog::Sku)).unwrap_or(Value::Null)
    })
}

/// One segment of a field path.
#[derive(Debug, PartialEq)]
enum Seg<'a> {
    Field(&'a str),
    Index(usize),
}

/// `a.b[2].c` as segments (`None` for a malformed path).
fn segments(path: &str) -> Option<Vec<Seg<'_>>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            out.push(Seg::Field(name));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            out.push(Seg::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `node` with its `$ref`s followed.
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..8 {
        let Some(r) = node.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(n) = r
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
        else {
            break;
        };
        node = n;
    }
    node
}

/// The alternatives of a schema node (`anyOf`, `oneOf`, `allOf`).
fn alternatives(node: &Value) -> impl Iterator<Item = &Value> {
    ["anyOf", "oneOf", "allOf"]
        .into_iter()
        .filter_map(|k| node.get(k).and_then(Value::as_array))
        .flatten()
}

/// The schema of property `name` of `node`, looking through references and alternatives (an
/// `Option`, an enum's variants).
fn property<'a>(root: &'a Value, node: &'a Value, name: &str, depth: u32) -> Option<&'a Value> {
    let n = resolve(root, node);
    if let Some(p) = n.get("properties").and_then(|p| p.get(name)) {
        return Some(p);
    }
    if depth == 0 {
        return None;
    }
    alternatives(n).find_map(|alt| {
        property(root, alt, name, depth - 1).or_else(|| {
            // An enum variant with fields: `{"Flat": {"price_usd_per_kwh": ...}}`.
            let props = resolve(root, alt).get("properties")?.as_object()?;
            let (variant, inner) = props.iter().next().filter(|_| props.len() == 1)?;
            variant
                .starts_with(|c: char| c.is_ascii_uppercase())
                .then(|| property(root, inner, name, depth - 1))
                .flatten()
        })
    })
}

/// The schema of the items of list `node`.
fn items<'a>(root: &'a Value, node: &'a Value, depth: u32) -> Option<&'a Value> {
    let n = resolve(root, node);
    if let Some(i) = n.get("items").filter(|i| i.is_object()) {
        return Some(i);
    }
    if depth == 0 {
        return None;
    }
    alternatives(n).find_map(|alt| items(root, alt, depth - 1))
}

/// The description of a schema node: its own, or its type's.
fn description(root: &Value, node: &Value) -> Option<String> {
    let own = |n: &Value| {
        n.get("description")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    own(node)
        .or_else(|| own(resolve(root, node)))
        .or_else(|| alternatives(node).find_map(|alt| own(resolve(root, alt))))
}

/// Word for an item of the list field `name`.
fn item_word(list: &str) -> String {
    match list {
        "fleet" => "Tranche".into(),
        "phases" => "Phase".into(),
        "mix" => "Demand class".into(),
        "contracts" => "Contract".into(),
        "market" => "Market".into(),
        "debt" => "Loan".into(),
        "states" => "Regime".into(),
        "gpus" => "GPU".into(),
        "climates" => "Climate".into(),
        "cooling" => "Cooling preset".into(),
        "tariffs" => "Market tariff".into(),
        "axes" => "Sweep axis".into(),
        "variables" => "Decision variable".into(),
        "correlations" => "Correlation".into(),
        "tiers" => "SLA tier".into(),
        "patience" => "Patience for".into(),
        "policies" => "Policy".into(),
        other => {
            // The singular of a plural: `ies` to `y`, else a final `s` dropped.
            let w = words(other);
            let w = match w.strip_suffix("ies") {
                Some(stem) => format!("{stem}y"),
                None => w.strip_suffix('s').unwrap_or(&w).to_string(),
            };
            capitalize(&w)
        }
    }
}

/// How list item `item` (number `k` from 0) is named: by its name, SKU or class.
fn item_name(word: &str, item: Option<&Value>, k: usize) -> String {
    let text = |key: &str| item.and_then(|i| i.get(key)).and_then(Value::as_str);
    match (text("name"), text("sku"), text("class")) {
        (Some(n), Some(s), _) => format!("{word} '{n}' ({s})"),
        (Some(n), None, _) => format!("{word} '{n}'"),
        (None, Some(s), _) => format!("{word} {s}"),
        (None, None, Some(c)) => format!(
            "{word} {}",
            words_of_ident(c)
                .to_lowercase()
                .replace("on demand", "on-demand")
        ),
        _ => format!("{word} {}", k + 1),
    }
}

/// The label of `path` in the scenario `tree` (its JSON form), if any.
fn input_in(tree: Option<&Value>, path: &str) -> Label {
    let path = path.strip_prefix("param:").unwrap_or(path).trim();
    if let Some(field) = path.strip_prefix("input file ") {
        let l = input_in(tree, field);
        return Label {
            label: format!("Input file for {}", lower_first(&l.label)),
            unit: "file".into(),
            definition: l.definition,
        };
    }
    // Catalog entries: `catalog gpus H100-SXM.tdp_w`.
    if let Some(rest) = path.strip_prefix("catalog ")
        && let Some((kind, entry_field)) = rest.split_once(' ')
        && let Some((entry, field)) = entry_field.split_once('.')
    {
        let context = format!("{} {entry} (catalog)", item_word(kind));
        if kind == "gpus"
            && let Some(l) = walk(sku_schema(), None, field, Some(context.clone()))
        {
            return l;
        }
        return walk(
            schema(),
            None,
            &format!("catalog.{kind}[0].{field}"),
            Some(context),
        )
        .unwrap_or_else(|| fallback(path));
    }
    let mut l = walk(schema(), tree, path, None).unwrap_or_else(|| fallback(path));
    // A GPU override's field is defined as the catalog entry's field it replaces.
    if let Some(field) = path
        .strip_prefix("catalog.gpus[")
        .and_then(|r| r.split_once("]."))
        .map(|(_, f)| f)
        && l.definition.starts_with("New value of")
        && let Some(entry) = walk(sku_schema(), None, field, None)
        && !entry.definition.is_empty()
    {
        l.definition = entry.definition;
    }
    l
}

/// The label of a path the schema does not know (never a raw path).
fn fallback(path: &str) -> Label {
    let last = path
        .rsplit(['.', ' '])
        .next()
        .unwrap_or(path)
        .split('[')
        .next()
        .unwrap_or("");
    let (w, unit) = leaf_words(last);
    Label {
        label: capitalize(if w.is_empty() { "input" } else { &w }),
        unit,
        definition: String::new(),
    }
}

/// Walks `path` through the schema (and the scenario `tree`), building the label.
fn walk(root: &Value, tree: Option<&Value>, path: &str, context: Option<String>) -> Option<Label> {
    let segs = segments(path)?;
    // The leaf is the last field that is not an enum variant (`duration` in `duration.Hours`).
    let is_variant = |s: &Seg| matches!(s, Seg::Field(f) if f.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit()));
    // A value of a sweep axis is labelled as the field the axis sets.
    if let [
        Seg::Field("sweep"),
        Seg::Field("axes"),
        Seg::Index(a),
        Seg::Field("values"),
        Seg::Index(v),
        ..,
    ] = segs[..]
    {
        let axis = tree
            .and_then(|t| t.pointer(&format!("/sweep/axes/{a}/path")))
            .and_then(Value::as_str)?;
        let rest = path
            .split_once(&format!("values[{v}]"))
            .map_or("", |(_, rest)| rest);
        let mut l = walk(root, tree, &format!("{axis}{rest}"), context)?;
        l.label = format!("{} (sweep value {})", l.label, v + 1);
        return Some(l);
    }
    let leaf_at = segs
        .iter()
        .rposition(|s| matches!(s, Seg::Field(_)) && !is_variant(s))?;
    let variant_unit = segs[leaf_at + 1..].iter().find_map(|s| match s {
        Seg::Field("Hours") => Some("hours"),
        Seg::Field("Months") => Some("months"),
        _ => None,
    });
    let mut node = root;
    let mut json = tree;
    // A context given by the caller (a catalog entry) names the first list item itself.
    let mut keep_context = context.is_some();
    let mut context = context;
    let mut prefix: Vec<String> = Vec::new();
    let mut last_field = "";
    let mut definition = None;
    let mut trailing_index = Vec::new();
    let mut enclosing_unit = None;
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Seg::Field(name) if name.starts_with(|c: char| c.is_ascii_digit()) => {
                // A positional value of an enum variant (`pricing.policy.0`).
                trailing_index.push(name.parse::<usize>().ok()? + 1);
            }
            Seg::Field(name) => {
                node = property(root, node, name, 6)?;
                json = json.and_then(|j| j.get(*name));
                if i <= leaf_at
                    && let Some(d) = description(root, node)
                {
                    definition = Some(d);
                }
                if i < leaf_at && !is_variant(seg) {
                    // `depreciation_years.gpu_servers`: the enclosing field carries the unit.
                    let (w, unit) = leaf_words(name);
                    prefix.push(w);
                    if !unit.is_empty() {
                        enclosing_unit = Some(unit);
                    }
                }
                if i <= leaf_at {
                    last_field = name;
                }
            }
            Seg::Index(k) => {
                node = items(root, node, 6)?;
                // The fields of a list item do not take the list's unit (`catalog.gpus[0]`).
                enclosing_unit = None;
                json = json.and_then(|j| j.get(*k));
                if keep_context {
                    keep_context = false;
                    prefix.clear();
                } else if i < leaf_at {
                    context = Some(item_name(&item_word(last_field), json, *k));
                    prefix.clear();
                } else {
                    trailing_index.push(k + 1);
                }
            }
        }
    }
    let Seg::Field(leaf) = segs[leaf_at] else {
        return None;
    };
    let (mut leaf_words, mut unit) = leaf_words(leaf);
    if let Some(u) = variant_unit {
        unit = u.to_string();
    }
    if unit.is_empty()
        && let Some(u) = enclosing_unit
    {
        unit = u;
    }
    if !trailing_index.is_empty() {
        let at = trailing_index
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        leaf_words = format!("{leaf_words}, value {at}");
    }
    let mut head: Vec<String> = context.into_iter().collect();
    head.extend(prefix);
    let label = if head.is_empty() {
        capitalize(&leaf_words)
    } else {
        format!("{}: {leaf_words}", capitalize(&head.join(" ")))
    };
    let _ = last_field;
    Some(Label {
        label,
        unit,
        definition: definition.map(|d| first_paragraph(&d)).unwrap_or_default(),
    })
}

/// The first paragraph of a doc comment, on one line.
fn first_paragraph(doc: &str) -> String {
    doc.split("\n\n")
        .next()
        .unwrap_or(doc)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Unit suffixes of field names: `(suffix, words that replace it, unit)`, longest first.
const SUFFIXES: &[(&str, &str, &str)] = &[
    ("_usd_per_gpu_hour", " per GPU-hour", "USD/GPU-hour"),
    ("_usd_per_gpu_month", " per GPU-month", "USD/GPU-month"),
    ("_usd_per_kw_month", " per kW-month", "USD/kW-month"),
    ("_usd_per_kw_year", " per kW-year", "USD/kW-year"),
    ("_usd_per_mw_year", " per MW-year", "USD/MW-year"),
    ("_per_year_frac", " per year", "fraction per year"),
    ("_per_month_frac", " per month", "fraction per month"),
    (
        "_frac_of_capex_per_year",
        " share of capex per year",
        "fraction per year",
    ),
    ("_frac_of_revenue", " share of revenue", "fraction"),
    ("_kg_per_mwh", "", "kg/MWh"),
    ("_btu_per_kwh", "", "Btu/kWh"),
    ("_t_per_mwh", "", "t/MWh"),
    ("_l_per_kwh", "", "L/kWh"),
    ("_per_gpu_hour", " per GPU-hour", "per GPU-hour"),
    ("_per_day", " per day", "per day"),
    ("_per_month", " per month", "per month"),
    ("_per_year", " per year", "per year"),
    ("_usd", "", "USD"),
    ("_frac", "", "fraction"),
    ("_ratio", "", "ratio"),
    ("_months", "", "months"),
    ("_month", " month", "month"),
    ("_hours", "", "hours"),
    ("_days", "", "days"),
    ("_years", "", "years"),
    ("_mwh", "", "MWh"),
    ("_kwh", "", "kWh"),
    ("_mw", "", "MW"),
    ("_kw", "", "kW"),
    ("_w", "", "W"),
    ("_gb", "", "GB"),
    ("_tb", "", "TB"),
    ("_c", "", "°C"),
    ("_m3", "", "m³"),
    ("_tco2", "", "tCO2"),
    ("_gpus", "", "GPUs"),
    ("_nodes", "", "nodes"),
    ("_cycles", "", "cycles"),
    ("_pct", "", "%"),
];

/// A field name as label words and unit: `price_usd_per_gpu` -> ("price per GPU", "USD/GPU").
fn leaf_words(name: &str) -> (String, String) {
    match name {
        "pue" => return ("PUE".into(), "ratio".into()),
        "gpus" => return ("number of GPUs".into(), "GPUs".into()),
        "seed" => return ("random seed".into(), String::new()),
        "mw" => return ("capacity".into(), "MW".into()),
        "it_mw" => return ("IT capacity".into(), "MW".into()),
        "hours" | "days" | "months" | "years" => return (name.into(), name.into()),
        "month" => return ("month".into(), "month".into()),
        "l_per_kwh_per_c" => return ("water use per °C".into(), "L/kWh per °C".into()),
        "max_l_per_kwh" => return ("maximum water use".into(), "L/kWh".into()),
        "mwh" => return ("energy".into(), "MWh".into()),
        _ => {}
    }
    if let Some(i) = name.find("_usd_per_") {
        let per = &name[i + "_usd_per_".len()..];
        let per_words = unit_words(per);
        return (
            format!("{} per {per_words}", words(&name[..i])),
            format!("USD/{per_words}"),
        );
    }
    for (suffix, replace, unit) in SUFFIXES.iter().filter(|s| s.0.contains("_frac")) {
        if let Some(stem) = name.strip_suffix(suffix) {
            return (format!("{}{replace}", words(stem)), unit.to_string());
        }
    }
    // `gpus_per_node`, `permanent_failures_per_gpu_year`, `grid_gco2_per_kwh`.
    if let Some(i) = name.rfind("_per_") {
        let (stem, per) = (&name[..i], &name[i + "_per_".len()..]);
        let known = |t: &str| {
            matches!(
                t,
                "gpu"
                    | "node"
                    | "year"
                    | "month"
                    | "day"
                    | "hour"
                    | "kwh"
                    | "mwh"
                    | "mw"
                    | "kw"
                    | "c"
            )
        };
        if per.split('_').all(known) {
            let per_words = unit_words(per);
            let measure = stem.rsplit('_').next().and_then(|t| match t {
                "gco2" => Some("gCO2"),
                "kg" => Some("kg"),
                "gpus" => Some("GPUs"),
                "w" => Some("W"),
                "frac" => Some("fraction"),
                "l" => Some("L"),
                _ => None,
            });
            let unit = match measure {
                Some(m) => format!("{m}/{per_words}"),
                None => format!("per {per_words}"),
            };
            return (format!("{} per {per_words}", words(stem)), unit);
        }
    }
    for (suffix, replace, unit) in SUFFIXES {
        if let Some(stem) = name.strip_suffix(suffix)
            && !stem.is_empty()
        {
            return (format!("{}{replace}", words(stem)), unit.to_string());
        }
    }
    (words(name), String::new())
}

/// The words of a unit in a name: `gpu_hour` -> `GPU-hour`.
fn unit_words(s: &str) -> String {
    s.split('_')
        .map(|t| {
            if t == "c" {
                "°C"
            } else {
                acronym(t).unwrap_or(t)
            }
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Acronyms and units written in their usual case.
fn acronym(token: &str) -> Option<&'static str> {
    Some(match token {
        "gpu" => "GPU",
        "gpus" => "GPUs",
        "pue" => "PUE",
        "wue" => "WUE",
        "it" => "IT",
        "sku" => "SKU",
        "skus" => "SKUs",
        "sla" => "SLA",
        "ppa" => "PPA",
        "mw" => "MW",
        "kw" => "kW",
        "kwh" => "kWh",
        "mwh" => "MWh",
        "tdp" => "TDP",
        "hbm" => "HBM",
        "irr" => "IRR",
        "npv" => "NPV",
        "dscr" => "DSCR",
        "co2" => "CO2",
        "tco2" => "tCO2",
        "cfe" => "CFE",
        "ebitda" => "EBITDA",
        "usd" => "USD",
        "ups" => "UPS",
        "ac" => "AC",
        "dc" => "DC",
        "hvac" => "HVAC",
        "lhs" => "LHS",
        "ltv" => "LTV",
        "om" => "O&M",
        "sofr" => "SOFR",
        "mmbtu" => "MMBtu",
        "sga" => "SG&A",
        "gco2" => "gCO2",
        "ercot" => "ERCOT",
        "pjm" => "PJM",
        "caiso" => "CAISO",
        _ => return None,
    })
}

/// `on_demand_price` -> `on-demand price`, with acronyms.
fn words(name: &str) -> String {
    let s = name
        .split('_')
        .filter(|t| !t.is_empty())
        .map(|t| match t {
            "frac" => "share".to_string(),
            t => acronym(t).unwrap_or(t).to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ");
    s.replace("on demand", "on-demand")
}

/// `PriceArbitrage` -> `price arbitrage` (an enum variant or a name).
fn words_of_ident(ident: &str) -> String {
    if !ident.starts_with(|c: char| c.is_ascii_uppercase())
        || !ident.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return ident.to_string();
    }
    let mut out = String::new();
    for (i, c) in ident.chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            out.push(' ');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Lower-cases the first letter unless the first word is an acronym or a name.
fn lower_first(s: &str) -> String {
    let first = s.split([' ', ':']).next().unwrap_or("");
    if first.chars().skip(1).any(|c| c.is_ascii_uppercase()) || first.contains('\'') {
        return s.to_string();
    }
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_read_as_labels_with_units() {
        let s = crate::load_default().expect("default").scenario;
        let l = input(Some(&s), "fleet[0].network_usd_per_node");
        assert_eq!(
            l.label, "Tranche 'h100-2027' (H100-SXM): network per node",
            "{l:?}"
        );
        assert_eq!(l.unit, "USD/node");
        assert!(!l.definition.is_empty());
        let l = input(Some(&s), "param:demand.mix[1].duration.Hours");
        assert_eq!(l.label, "Demand class on-demand: duration");
        assert_eq!(l.unit, "hours");
        let l = input(None, "fleet[0].gpus");
        assert_eq!(l.label, "Tranche 1: number of GPUs");
        assert_eq!(l.unit, "GPUs");
        let l = input(None, "finance.depreciation_years.gpu_servers");
        assert_eq!(l.label, "Finance depreciation: GPU servers");
        assert_eq!(l.unit, "years");
        let l = input(None, "finance.discount_rate_frac");
        assert_eq!(l.label, "Finance: discount rate");
        assert_eq!(l.unit, "fraction");
        let l = input(None, "catalog gpus H100-SXM.gpu_tdp_w");
        assert_eq!(l.label, "GPU H100-SXM (catalog): GPU TDP");
        assert_eq!(l.unit, "W");
        assert!(
            !l.definition.is_empty() && !l.definition.starts_with("New value"),
            "{l:?}"
        );
        let l = input(None, "catalog.gpus[0].relative_throughput");
        assert_eq!(
            (l.label.as_str(), l.unit.as_str()),
            ("GPU 1: relative throughput", "")
        );
        assert!(!l.definition.starts_with("New value"), "{l:?}");
        let l = input(None, "policies[0].min_gap_months");
        assert!(l.label.starts_with("Policy 1"), "{l:?}");
        let l = of(None, "npv_usd");
        assert_eq!(l.unit, "USD");
        assert!(l.label.contains("NPV"), "{l:?}");
    }

    /// Every path dcplan names for a scenario: the values written in it, every field of the
    /// scenario with its defaults filled in, its uncertain inputs (`param:` columns), its sweep
    /// and optimize variables, and the catalog entries it uses.
    fn every_path(loaded: crate::LoadedScenario) -> (Scenario, Vec<String>) {
        use crate::scenario::ron_text;
        let text = &loaded.source_text;
        let s = loaded.scenario;
        let mut paths: Vec<String> = ron_text::leaves(text).into_iter().map(|l| l.path).collect();
        let config = ron::ser::PrettyConfig::default()
            .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
        let full = ron::ser::to_string_pretty(&s, config).expect("serializes");
        paths.extend(ron_text::leaves(&full).into_iter().map(|l| l.path));
        paths.extend(
            crate::plan::uncertain_fields(&s)
                .into_iter()
                .map(|p| format!("param:{p}")),
        );
        if let Some(sweep) = &s.sweep {
            paths.extend(sweep.axes.iter().map(|a| a.path.clone()));
        }
        if let Some(o) = &s.optimize {
            paths.extend(o.variables.iter().map(|v| v.path.clone()));
        }
        for (kind, text, used) in [
            (
                "gpus",
                crate::catalog::GPUS_RON,
                s.fleet.iter().map(|t| t.sku.clone()).collect::<Vec<_>>(),
            ),
            (
                "climates",
                crate::catalog::CLIMATES_RON,
                vec![s.site.climate.clone()],
            ),
        ] {
            let leaves = ron_text::leaves(text);
            for entry in used {
                let Some(index) = leaves
                    .iter()
                    .find(|l| l.path.ends_with("].name") && l.value.trim_matches('"') == entry)
                    .map(|l| l.path.trim_end_matches(".name").to_string())
                else {
                    continue;
                };
                for l in leaves
                    .iter()
                    .filter(|l| l.path.starts_with(&format!("{index}.")))
                {
                    paths.push(format!(
                        "catalog {kind} {entry}.{}",
                        &l.path[index.len() + 1..]
                    ));
                }
            }
        }
        paths.sort();
        paths.dedup();
        (s, paths)
    }

    #[test]
    fn every_input_of_every_shipped_scenario_has_a_label_unit_and_definition() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("scenarios")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "ron"))
            .collect();
        files.sort();
        assert!(files.len() >= 10, "{files:?}");
        let mut checked = 0;
        let mut bad = Vec::new();
        for file in files {
            let name = file.to_string_lossy().to_string();
            let Ok(loaded) = crate::load_file(&file) else {
                panic!("{name} does not load");
            };
            let (s, paths) = every_path(loaded);
            for (path, l) in paths
                .iter()
                .zip(inputs(Some(&s), paths.iter().map(String::as_str)))
            {
                checked += 1;
                let leaf = path.rsplit(['.', ' ', ':']).next().unwrap_or(path);
                let raw =
                    leaf.contains('_') && l.label.contains(leaf.split('[').next().unwrap_or(leaf));
                if l.label.is_empty()
                    || l.label.contains('[')
                    || l.label.contains("Some(")
                    || l.label.contains(path.as_str())
                    || raw
                    || l.definition.is_empty()
                {
                    bad.push(format!("{name}: {path} -> {l:?}"));
                }
            }
        }
        assert!(
            bad.is_empty(),
            "{} of {checked}:\n{}",
            bad.len(),
            bad.join("\n")
        );
        assert!(checked > 1000, "{checked}");
    }

    #[test]
    fn values_read_as_numbers_names_and_distributions() {
        let v = value_text("Triangular(1.2, 1.3, 1.4)");
        assert_eq!(v.distribution, "Triangular(1.2, 1.3, 1.4)");
        assert_eq!(v.value, "1.3");
        let v = value_text("9.3e6");
        assert_eq!(
            (v.value.as_str(), v.distribution.as_str()),
            ("9,300,000", "fixed")
        );
        assert_eq!(value_text("\"H100-SXM\"").value, "H100-SXM");
        assert_eq!(value_text("None").value, "none");
        assert_eq!(value_text("true").value, "yes");
        let v = value_text("Some((above_c: 12, derate_frac: 0.1))");
        assert_eq!(v.value, "above 12 °C, derate 0.1 fraction");
        let v = value_text("Hours(LogNormal(24, 168))");
        assert_eq!(v.distribution, "LogNormal(24, 168)");
        assert_eq!(v.unit, Some("hours"));
        assert_eq!(value_text("PeakShaving(0.8)").value, "Peak shaving: 0.8");
        assert_eq!(value_text("[0.95, 0.05, 0.0]").value, "0.95, 0.05, 0");
        // Whole numbers of any size, exactly as written (a seed may exceed what a double holds).
        assert_eq!(
            value_text("18446744073709551615").value,
            "18,446,744,073,709,551,615"
        );
        assert_eq!(
            value_text("1000000000000000").value,
            "1,000,000,000,000,000"
        );
        assert_eq!(value_text("-0").value, "0");
        assert_eq!(value_text("007").value, "7");
        assert_eq!(value_text("2.5e15").value, "2,500,000,000,000,000");
        assert_eq!(value_text("1e300").value.len(), 301 + 100);
        assert_eq!(value_text("-1234.6").value, "-1,235");
        assert_eq!(quality_tag("P: EIA 2024"), "P");
        assert_eq!(quality_tag("Pareto tail"), "");
        assert_eq!(
            quality_tag("up to 700 W (NVIDIA launch material 2023, S)"),
            "S"
        );
        assert_eq!(quality_tag("NVIDIA H100 SXM specification (P)"), "P");
        assert_eq!(quality_tag("P/E: list price, discounted"), "P/E");
        assert_eq!(quality_tag("Ashburn (scenarios/catalog/climates.ron)"), "");
    }
}
