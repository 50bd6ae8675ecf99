//! Scenario formats: catalog files included by a scenario, JSON scenarios and the JSON Schema.

use std::path::PathBuf;

use dcplan_sim::ScenarioError;

use super::common::{scenario_path, shipped_scenarios};

/// A fresh folder for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dcplan-formats-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the folder");
    dir
}

fn tiny() -> String {
    std::fs::read_to_string(scenario_path("tiny.ron")).expect("tiny.ron")
}

const ACME: &str = r#"// ACME's own price list.
(
    gpus: [
        (
            name: "ACME-8",
            description: "an 8-GPU server on ACME's price list",
            gpus_per_node: 8,
            gpu_tdp_w: 700,
            node_max_kw: 10.2,
            node_idle_kw: 2.6,
            price_usd_per_gpu: 30000,
            relative_throughput: 1.0,
            transient_failures_per_gpu_year: 0.038,
            permanent_failures_per_gpu_year: 0.135,
            release: (year: 2025, month: 1),
            liquid_cooled_only: false,
        ),
        (name: "H100-SXM", node_max_kw: 11.0),
    ],
)
"#;

/// Problems of a scenario that does not load.
fn problems(e: ScenarioError) -> Vec<dcplan_sim::scenario::Problem> {
    match e {
        ScenarioError::Invalid { problems, .. } => problems,
        other => panic!("{other}"),
    }
}

#[test]
fn an_included_catalog_s_entries_are_usable_and_the_scenario_s_own_catalog_wins() {
    let dir = scratch("include");
    std::fs::create_dir_all(dir.join("catalog")).expect("folder");
    std::fs::write(dir.join("catalog/acme.ron"), ACME).expect("write");
    let text = tiny()
        .replacen(
            "Scenario(",
            "Scenario(\n    include: [\"catalog/acme.ron\"],",
            1,
        )
        .replace("sku: \"H100-SXM\", gpus: 64", "sku: \"ACME-8\", gpus: 64")
        .replace(
            "(sku: \"H100-SXM\", on_demand",
            "(sku: \"ACME-8\", on_demand",
        );
    let path = dir.join("s.ron");
    std::fs::write(&path, &text).expect("write");
    let l = dcplan_sim::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
    let sku = l.catalog.sku("ACME-8").expect("the included SKU");
    assert_eq!(sku.price_usd_per_gpu, 30000.0.into());
    assert_eq!(l.catalog.sku("H100-SXM").map(|s| s.node_max_kw), Some(11.0));
    assert_eq!(l.inputs.len(), 1);
    assert_eq!(
        (l.inputs[0].field.as_str(), l.inputs[0].path.as_str()),
        ("include[0]", "catalog/acme.ron")
    );
    assert_eq!(l.inputs[0].bytes, ACME.as_bytes());
    // It runs.
    let r = super::common::run(&l, 7, 0);
    assert!(r.kpis.npv_usd.is_finite());

    // A byte-order mark before the included file's text is not part of it.
    std::fs::write(dir.join("catalog/acme.ron"), format!("\u{feff}{ACME}")).expect("write");
    let l = dcplan_sim::load_file(&path).unwrap_or_else(|e| panic!("with a BOM: {e}"));
    assert!(l.catalog.sku("ACME-8").is_some());

    // The scenario's own catalog section wins over the included file.
    let own = text.replacen(
        "    simulation:",
        "    catalog: (gpus: [(name: \"H100-SXM\", node_max_kw: 12.0)]),\n    simulation:",
        1,
    );
    std::fs::write(&path, own).expect("write");
    let l = dcplan_sim::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.catalog.sku("H100-SXM").map(|s| s.node_max_kw), Some(12.0));
    assert!(l.catalog.sku("ACME-8").is_some());
}

#[test]
fn problems_in_an_included_catalog_name_the_file_line_and_column() {
    let dir = scratch("include-bad");
    let text = tiny().replacen("Scenario(", "Scenario(\n    include: [\"acme.ron\"],", 1);
    let path = dir.join("s.ron");
    std::fs::write(&path, &text).expect("write");
    let shown = dir.join("acme.ron").display().to_string();

    // A value out of range: line 7 of the included file holds it.
    std::fs::write(
        dir.join("acme.ron"),
        ACME.replace("gpus_per_node: 8", "gpus_per_node: 0"),
    )
    .expect("write");
    let p = problems(dcplan_sim::load_file(&path).unwrap_err());
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].path, "include[0]");
    assert!(
        p[0].message.starts_with(&format!(
            "{shown}:7:28: gpus[0].gpus_per_node: 0 must be between"
        )),
        "{}",
        p[0].message
    );

    // A field the format does not have and a value out of range: both at once.
    std::fs::write(
        dir.join("acme.ron"),
        ACME.replace("gpus_per_node: 8", "gpus_per_node: 0, colour: \"red\""),
    )
    .expect("write");
    let p = problems(dcplan_sim::load_file(&path).unwrap_err());
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].message.contains("colour"), "{p:?}");
    assert!(
        p[1].message
            .contains("gpus[0].gpus_per_node: 0 must be between"),
        "{p:?}"
    );

    // A new climate that leaves required fields out: each named with its path, at once.
    std::fs::write(
        dir.join("acme.ron"),
        "(climates: [(name: \"dry\", description: \"a test\", annual_mean_c: 20)])",
    )
    .expect("write");
    let p = problems(dcplan_sim::load_file(&path).unwrap_err());
    assert!(p.len() >= 9, "{p:#?}");
    assert!(
        p.iter()
            .any(|q| q.message.contains("climates[0].seasonal_swing_c")),
        "{p:#?}"
    );

    // A syntax error.
    std::fs::write(
        dir.join("acme.ron"),
        ACME.replace("gpu_tdp_w: 700,", "gpu_tdp_w: 700 700,"),
    )
    .expect("write");
    let p = problems(dcplan_sim::load_file(&path).unwrap_err());
    assert_eq!(p[0].path, "include[0]");
    assert!(
        p[0].message.starts_with(&format!("{shown}:8:")),
        "{}",
        p[0].message
    );

    // A missing file, and a path outside the scenario's folder.
    std::fs::remove_file(dir.join("acme.ron")).expect("remove");
    let p = problems(dcplan_sim::load_file(&path).unwrap_err());
    assert!(
        p[0].path == "include[0]" && p[0].message.contains("cannot read"),
        "{p:?}"
    );
    std::fs::write(&path, text.replace("\"acme.ron\"", "\"../acme.ron\"")).expect("write");
    let p = problems(dcplan_sim::load_file(&path).unwrap_err());
    assert!(
        p[0].path == "include[0]" && p[0].message.contains("no `..`"),
        "{p:?}"
    );
}

/// The JSON twin of a scenario file, written into `dir`.
fn json_twin(
    ron: &std::path::Path,
    dir: &std::path::Path,
) -> (dcplan_sim::LoadedScenario, PathBuf) {
    let l = dcplan_sim::load_file(ron).unwrap_or_else(|e| panic!("{e}"));
    let json = dcplan_sim::scenario::json::scenario_to_json(&l.scenario, &l.source_text)
        .unwrap_or_else(|e| panic!("{}: {e}", ron.display()));
    let name = ron
        .file_stem()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&json).expect("json")).expect("write");
    (l, path)
}

#[test]
fn every_shipped_scenario_written_as_json_loads_as_its_ron_twin() {
    let dir = scratch("json-twins");
    // The input files the scenarios read, where the twins' own folder has them.
    fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for e in std::fs::read_dir(from).expect("folder") {
            let e = e.expect("entry");
            if e.file_type().expect("type").is_dir() {
                copy_tree(&e.path(), &to.join(e.file_name()));
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
            }
        }
    }
    copy_tree(&scenario_path("data"), &dir.join("data"));
    for ron in shipped_scenarios() {
        let (l, path) = json_twin(&ron, &dir);
        let j = dcplan_sim::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            format!("{:?}", j.scenario),
            format!("{:?}", l.scenario),
            "{}",
            ron.display()
        );
        assert_eq!(j.catalog, l.catalog);
        // The RON text it is kept as gives back the same scenario, and the same variants.
        let back: dcplan_sim::Scenario =
            dcplan_sim::scenario::parse_ron("back.ron", &j.source_text).expect("parses");
        assert_eq!(format!("{back:?}"), format!("{:?}", l.scenario));
        if l.scenario.sweep.is_some() {
            let a = dcplan_sim::sweep::expand(&l).expect("expands");
            let b = dcplan_sim::sweep::expand(&j).expect("expands");
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.name, y.name);
                assert_eq!(
                    format!("{:?}", x.loaded.scenario),
                    format!("{:?}", y.loaded.scenario)
                );
            }
        }
    }
}

#[test]
fn a_json_scenario_gives_the_results_of_its_ron_twin() {
    let dir = scratch("json-results");
    let (l, path) = json_twin(&scenario_path("tiny.ron"), &dir);
    let j = dcplan_sim::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
    for replication in 0..3 {
        let a = super::common::run(&l, 7, replication);
        let b = super::common::run(&j, 7, replication);
        assert_eq!(format!("{:?}", a.kpis), format!("{:?}", b.kpis));
        assert_eq!(format!("{:?}", a.months), format!("{:?}", b.months));
    }
}

#[test]
fn json_errors_give_the_json_file_s_line_and_column_and_problems_their_field() {
    let dir = scratch("json-errors");
    let (_, path) = json_twin(&scenario_path("tiny.ron"), &dir);
    let text = std::fs::read_to_string(&path).expect("read");
    let line_of =
        |needle: &str, t: &str| t.lines().position(|l| l.contains(needle)).expect("found") + 1;
    // A syntax error.
    let broken = text.replacen("\"name\": \"tiny\",", "\"name\": \"tiny\",,", 1);
    std::fs::write(&path, &broken).expect("write");
    match dcplan_sim::load_file(&path).unwrap_err() {
        ScenarioError::Syntax { line, column, .. } => {
            assert_eq!(line, line_of("\"tiny\",,", &broken));
            assert!(column > 1);
        }
        other => panic!("{other}"),
    }
    // An unknown field, with its line.
    let unknown = text.replacen("\"name\": \"tiny\",", "\"name\": \"tiny\", \"nmae\": 1,", 1);
    std::fs::write(&path, &unknown).expect("write");
    match dcplan_sim::load_file(&path).unwrap_err() {
        ScenarioError::Syntax { line, message, .. } => {
            assert_eq!(line, line_of("nmae", &unknown));
            assert!(message.contains("unknown field `nmae`"), "{message}");
        }
        other => panic!("{other}"),
    }
    // A value out of range: the same problem as in the RON file.
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let mut v2 = v.clone();
    v2["fleet"][0]["gpus"] = serde_json::json!(-8);
    std::fs::write(&path, v2.to_string()).expect("write");
    let from_json = problems(dcplan_sim::load_file(&path).unwrap_err());
    let ron = tiny().replace("gpus: 64,", "gpus: -8,");
    let from_ron = problems(dcplan_sim::load_str("tiny.ron", &ron).unwrap_err());
    assert_eq!(from_json, from_ron);
    // A sweep value that is not a value of its field names the value.
    let mut v3 = v.clone();
    v3["sweep"] = serde_json::json!({"axes": [{"path": "fleet[0].gpus", "values": [32, "many"]}]});
    std::fs::write(&path, v3.to_string()).expect("write");
    let p = problems(dcplan_sim::load_file(&path).unwrap_err());
    assert_eq!(p[0].path, "sweep.axes[0].values[1]");
    // Every such value at once, in plain words.
    let mut v3b = v.clone();
    v3b["sweep"] = serde_json::json!({"axes": [
        {"path": "fleet[0].gpus", "values": [32, "many", 64.5]},
        {"path": "site.pue", "values": [1.3, "y"]},
    ]});
    std::fs::write(&path, v3b.to_string()).expect("write");
    let p = problems(dcplan_sim::load_file(&path).unwrap_err());
    let paths: Vec<&str> = p.iter().map(|q| q.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "sweep.axes[0].values[1]",
            "sweep.axes[0].values[2]",
            "sweep.axes[1].values[1]"
        ],
        "{p:#?}"
    );
    assert!(p.iter().all(|q| !q.message.contains("i64")), "{p:#?}");
    // A sweep into a section the scenario leaves out.
    let mut v3c = v.clone();
    v3c.as_object_mut()
        .expect("object")
        .remove("reliability")
        .expect("the twin writes every section");
    v3c["sweep"] = serde_json::json!({"axes": [
        {"path": "reliability.spares_frac", "values": [0.0, 0.1]},
    ]});
    std::fs::write(&path, v3c.to_string()).expect("write");
    let l = dcplan_sim::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
    let variants = dcplan_sim::sweep::expand(&l).expect("expands");
    assert_eq!(variants[1].loaded.scenario.reliability.spares_frac, 0.1);
    // A key written twice inside a sweep value (kept as text by the schema) is refused too.
    let mut v5 = v.clone();
    v5["sweep"] = serde_json::json!({"axes": [{"path": "energy.tariff", "values": [
        {"Flat": {"price_usd_per_kwh": 0.05}}]}]});
    let text = v5.to_string().replacen(
        "{\"price_usd_per_kwh\":0.05}",
        "{\"price_usd_per_kwh\":0.05,\"price_usd_per_kwh\":0.5}",
        1,
    );
    assert!(text.contains("0.5}"), "{text}");
    std::fs::write(&path, text).expect("write");
    let p = problems(dcplan_sim::load_file(&path).unwrap_err());
    assert_eq!(
        p[0].path, "sweep.axes[0].values[0].Flat.price_usd_per_kwh",
        "{p:?}"
    );
    assert!(p[0].message.contains("duplicate field"), "{p:?}");
    // A correct sweep in JSON expands.
    let mut v4 = v;
    v4["sweep"] = serde_json::json!({"axes": [
        {"path": "fleet[0].gpus", "values": [32, 64]},
        {"path": "site.pue", "values": [1.3, {"Pert": [1.1, 1.2, 1.5]}]},
    ]});
    std::fs::write(&path, v4.to_string()).expect("write");
    let l = dcplan_sim::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
    let variants = dcplan_sim::sweep::expand(&l).expect("expands");
    assert_eq!(variants.len(), 4);
    assert_eq!(variants[3].loaded.scenario.fleet[0].gpus, 64);
    assert_eq!(
        variants[3].loaded.scenario.site.pue,
        Some(dcplan_sim::dist::Param::Dist(dcplan_sim::dist::Dist::Pert(
            1.1, 1.2, 1.5
        )))
    );
}

#[test]
fn a_json_scenario_reports_every_schema_problem_at_once_with_its_field_path() {
    let dir = scratch("json-every-problem");
    let (_, path) = json_twin(&scenario_path("tiny.ron"), &dir);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    let mut bad = v.clone();
    // Two unknown fields, two required fields left out, a value of the wrong type and a value
    // out of range: six problems.
    bad["nmae"] = serde_json::json!("x");
    bad["fleet"][0]["colour"] = serde_json::json!("red");
    bad["fleet"][0]
        .as_object_mut()
        .expect("tranche")
        .remove("sku");
    bad["finance"]
        .as_object_mut()
        .expect("finance")
        .remove("discount_rate_frac");
    bad["simulation"]["horizon_months"] = serde_json::json!("many");
    bad["fleet"][0]["network_usd_per_node"] = serde_json::json!(-5.0);
    std::fs::write(&path, bad.to_string()).expect("write");
    let p = problems(dcplan_sim::load_file(&path).unwrap_err());
    let has = |path: &str, text: &str| p.iter().any(|q| q.path == path && q.message.contains(text));
    assert!(has("nmae", "unknown field `nmae`"), "{p:#?}");
    assert!(has("fleet[0].colour", "unknown field `colour`"), "{p:#?}");
    assert!(
        has("fleet[0].sku", "the required field `sku` is missing"),
        "{p:#?}"
    );
    assert!(
        has("finance.discount_rate_frac", "the required field"),
        "{p:#?}"
    );
    assert!(has("simulation.horizon_months", "invalid type"), "{p:#?}");
    assert!(has("fleet[0].network_usd_per_node", ""), "{p:#?}");
    assert_eq!(p.len(), 6, "{p:#?}");
    // Each is found in the JSON text, at its own line where it is written (a missing field at
    // its object's).
    let pretty = serde_json::to_string_pretty(&bad).expect("json");
    let line_of = |needle: &str| {
        pretty
            .lines()
            .position(|l| l.contains(needle))
            .expect("found")
            + 1
    };
    let at = |path: &str| {
        dcplan_sim::scenario::problem_position(&pretty, path)
            .unwrap_or_else(|| panic!("{path} not found"))
            .0
    };
    assert_eq!(at("fleet[0].colour"), line_of("\"colour\""));
    assert_eq!(
        at("simulation.horizon_months"),
        line_of("\"horizon_months\"")
    );
    assert_eq!(at("nmae"), line_of("\"nmae\""));
    assert_eq!(at("finance.discount_rate_frac"), line_of("\"finance\""));
    // A field written twice is reported with the others.
    let text = bad
        .to_string()
        .replacen("\"nmae\":\"x\"", "\"nmae\":\"x\",\"name\":\"again\"", 1);
    std::fs::write(&path, &text).expect("write");
    let p2 = problems(dcplan_sim::load_file(&path).unwrap_err());
    assert!(
        p2.iter()
            .any(|q| q.message.contains("duplicate field `name`")),
        "{p2:#?}"
    );
    assert_eq!(p2.len(), 7, "{p2:#?}");
    // A whole number written with a point is the number (the JSON Schema's integers include
    // it); Rust's type names never reach a message; a JSON value that is not an object says so.
    let mut floats = v.clone();
    floats["fleet"][0]["gpus"] = serde_json::json!(64.0);
    std::fs::write(&path, floats.to_string().replace("64.0", "6.4e1")).expect("write");
    let l = dcplan_sim::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.scenario.fleet[0].gpus, 64);
    floats["fleet"][0]["gpus"] = serde_json::json!(64.5);
    floats["simulation"]["horizon_months"] = serde_json::json!("many");
    std::fs::write(&path, floats.to_string()).expect("write");
    let p3 = problems(dcplan_sim::load_file(&path).unwrap_err());
    assert!(
        p3.iter()
            .all(|q| !q.message.contains("i64") && !q.message.contains("f64")),
        "{p3:#?}"
    );
    assert!(
        p3.iter()
            .any(|q| q.path == "fleet[0].gpus" && q.message.contains("a whole number")),
        "{p3:#?}"
    );
    std::fs::write(&path, "[]").expect("write");
    let p4 = problems(dcplan_sim::load_file(&path).unwrap_err());
    assert!(p4[0].message.contains("is an object"), "{p4:#?}");

    // One problem alone keeps its line and column.
    let mut one = v;
    one["fleet"][0]["colour"] = serde_json::json!("red");
    std::fs::write(&path, serde_json::to_string_pretty(&one).expect("json")).expect("write");
    match dcplan_sim::load_file(&path).unwrap_err() {
        ScenarioError::Syntax { line, message, .. } => {
            assert!(line > 1);
            assert!(
                message.starts_with("fleet[0].colour: unknown field"),
                "{message}"
            );
        }
        other => panic!("{other}"),
    }
}

/// A small JSON Schema check (the keywords the scenario schema uses): the paths of every
/// mismatch of `v` against `s`.
fn check(
    root: &serde_json::Value,
    s: &serde_json::Value,
    v: &serde_json::Value,
    at: &str,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    let s = match s {
        Value::Bool(true) => return,
        Value::Bool(false) => return out.push(format!("{at}: nothing is allowed")),
        s => s,
    };
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let target = root
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("no {r}"));
        check(root, target, v, at, out);
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => panic!("type {t}"),
        };
        let ok = types.iter().any(|t| match *t {
            "null" => v.is_null(),
            "boolean" => v.is_boolean(),
            "string" => v.is_string(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            "number" => v.is_number(),
            "integer" => v.as_f64().is_some_and(|x| x.fract() == 0.0),
            other => panic!("type {other}"),
        });
        if !ok {
            return out.push(format!("{at}: {v} is not {types:?}"));
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        out.push(format!("{at}: {v} not in {e:?}"));
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        out.push(format!("{at}: {v} is not {c}"));
    }
    if let (Some(min), Some(x)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64())
        && x < min
    {
        out.push(format!("{at}: {x} below {min}"));
    }
    if let (Some(max), Some(x)) = (s.get("maximum").and_then(Value::as_f64), v.as_f64())
        && x > max
    {
        out.push(format!("{at}: {x} above {max}"));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = s.get(key).and_then(Value::as_array) {
            let matching = options
                .iter()
                .filter(|o| {
                    let mut errs = Vec::new();
                    check(root, o, v, at, &mut errs);
                    errs.is_empty()
                })
                .count();
            let ok = if key == "oneOf" {
                matching == 1
            } else {
                matching >= 1
            };
            if !ok {
                out.push(format!("{at}: {matching} of the {key} options match {v}"));
            }
        }
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for o in all {
            check(root, o, v, at, out);
        }
    }
    if let Value::Object(fields) = v {
        let props = s.get("properties").and_then(Value::as_object);
        for req in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let req = req.as_str().expect("name");
            if !fields.contains_key(req) {
                out.push(format!("{at}: `{req}` is required"));
            }
        }
        for (k, x) in fields {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => check(root, ps, x, &format!("{at}.{k}"), out),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => out.push(format!("{at}: unknown field `{k}`")),
                    Some(extra) => check(root, extra, x, &format!("{at}.{k}"), out),
                    None => {}
                },
            }
        }
    }
    if let Value::Array(items) = v {
        let prefix = s.get("prefixItems").and_then(Value::as_array);
        for (i, x) in items.iter().enumerate() {
            let item_at = format!("{at}[{i}]");
            match prefix.and_then(|p| p.get(i)) {
                Some(ps) => check(root, ps, x, &item_at, out),
                None => {
                    if let Some(is) = s.get("items") {
                        check(root, is, x, &item_at, out);
                    }
                }
            }
        }
        let n = items.len() as u64;
        if s.get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| n < m)
            || s.get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m)
        {
            out.push(format!("{at}: {n} items, outside minItems/maxItems"));
        }
    }
}

fn schema_problems(v: &serde_json::Value) -> Vec<String> {
    let schema = dcplan_sim::scenario::json::schema();
    let mut out = Vec::new();
    check(&schema, &schema, v, "", &mut out);
    out
}

#[test]
fn the_schema_accepts_every_shipped_scenario_and_a_scenario_with_every_section() {
    let dir = scratch("schema");
    for ron in shipped_scenarios() {
        let (_, path) = json_twin(&ron, &dir);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let p = schema_problems(&v);
        assert!(p.is_empty(), "{}: {p:#?}", ron.display());
    }
    let full = serde_json::to_value(super::full_scenario::full()).expect("json");
    let p = schema_problems(&full);
    assert!(p.is_empty(), "{p:#?}");
}

#[test]
fn the_schema_refuses_unknown_fields_and_wrong_types_and_describes_distributions_as_one_of() {
    let dir = scratch("schema-bad");
    let (_, path) = json_twin(&scenario_path("tiny.ron"), &dir);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    let mut bad = v.clone();
    bad["site"]["nmae"] = serde_json::json!("x");
    bad["fleet"][0]["gpus"] = serde_json::json!("many");
    bad["site"]["pue"] = serde_json::json!({"Pert": [1.1, 1.2]});
    let p = schema_problems(&bad);
    assert!(
        p.iter().any(|m| m.contains(".site: unknown field `nmae`")),
        "{p:#?}"
    );
    assert!(p.iter().any(|m| m.starts_with(".fleet[0].gpus:")), "{p:#?}");
    assert!(p.iter().any(|m| m.starts_with(".site.pue")), "{p:#?}");
    // What the parser refuses, the schema refuses too.
    for (field, value) in [
        ("nmae", serde_json::json!(1)),
        ("name", serde_json::json!(3)),
    ] {
        let mut b = v.clone();
        b[field] = value;
        assert!(serde_json::from_value::<dcplan_sim::Scenario>(b.clone()).is_err());
        assert!(!schema_problems(&b).is_empty(), "{field}");
    }
    // A number or a distribution: oneOf.
    let schema = dcplan_sim::scenario::json::schema();
    let param = schema.pointer("/$defs/Param").expect("Param");
    let one_of = param["oneOf"].as_array().expect("oneOf");
    assert_eq!(one_of[0], serde_json::json!({"type": "number"}));
    assert_eq!(one_of.len(), 2);
    let text = schema.to_string();
    for section in [
        "site",
        "fleet",
        "energy",
        "demand",
        "pricing",
        "finance",
        "simulation",
        "include",
        "sweep",
    ] {
        assert!(schema["properties"].get(section).is_some(), "{section}");
    }
    assert!(text.contains("Triangular"));
}
