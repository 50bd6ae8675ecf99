//! Scenario formats: catalog files included by a scenario, JSON scenarios and the JSON Schema.

use std::path::PathBuf;

use dcplan_sim::ScenarioError;

use super::common::scenario_path;

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
