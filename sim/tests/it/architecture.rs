//! Architecture invariants that a text scan can check.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source tree") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn sim_does_not_depend_on_reporting_or_cli_crates() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .expect("manifest");
    for banned in ["polars", "plotters", "clap"] {
        assert!(
            !manifest.lines().any(|l| l.trim_start().starts_with(banned)),
            "sim/Cargo.toml depends on {banned}"
        );
    }
}

#[test]
fn sim_sources_neither_use_reporting_crates_nor_write_files() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 10);
    let banned = [
        "use polars",
        "polars::",
        "use plotters",
        "plotters::",
        "use clap",
        "clap::",
        "fs::write",
        "File::create",
        "create_dir",
        "OpenOptions",
        "fs::rename",
        "remove_file",
    ];
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable source");
        for (i, line) in text.lines().enumerate() {
            for b in banned {
                assert!(
                    !line.contains(b),
                    "{}:{}: `{b}` is not allowed in sim: {line}",
                    f.display(),
                    i + 1
                );
            }
        }
    }
}

/// The model modules another model module may name (besides itself): the shared messages, and
/// the node table (fleet) and the contract table (demand), which the other models change only
/// through their owners' methods.
const MODEL_IMPORTS: &[(&str, &[&str])] = &[
    ("fleet", &["messages"]),
    ("demand", &["messages", "fleet"]),
    ("reliability", &["messages", "fleet", "demand"]),
    ("finance", &["messages"]),
    ("energy", &["messages"]),
    ("policy", &["messages"]),
    ("market", &[]),
    ("messages", &[]),
];

/// The model modules a source text names, as `super::NAME`, `super::{NAME, ..}` or
/// `crate::model::NAME`.
fn models_named(text: &str) -> Vec<String> {
    let models: Vec<&str> = MODEL_IMPORTS.iter().map(|(m, _)| *m).collect();
    let mut out = Vec::new();
    let mut push = |name: &str| {
        let name = name.trim();
        if models.contains(&name) && !out.iter().any(|n: &String| n == name) {
            out.push(name.to_string());
        }
    };
    for prefix in ["super::", "crate::model::"] {
        for (i, _) in text.match_indices(prefix) {
            let rest = &text[i + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',') {
                    push(item.split("::").next().unwrap_or(""));
                }
            } else {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                push(&rest[..end]);
            }
        }
    }
    out
}

#[test]
fn models_import_only_the_models_they_are_allowed_to() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/model");
    let mut seen = 0;
    for (model, allowed) in MODEL_IMPORTS {
        let text = std::fs::read_to_string(dir.join(format!("{model}.rs"))).expect("model source");
        seen += 1;
        for named in models_named(&text) {
            assert!(
                named == *model || allowed.contains(&named.as_str()),
                "model `{model}` uses model `{named}`: tell it with a message in model/messages.rs"
            );
        }
    }
    // Every model file is in the table.
    let files = std::fs::read_dir(&dir)
        .expect("model folder")
        .filter(|e| {
            let name = e.as_ref().expect("entry").file_name();
            let name = name.to_string_lossy();
            name.ends_with(".rs") && name != "mod.rs"
        })
        .count();
    assert_eq!(files, seen, "a model file is missing from MODEL_IMPORTS");
}

#[test]
fn the_import_scan_sees_every_form_of_use() {
    let text = "use super::fleet::Node;\nuse super::{demand, energy::X};\nlet x = crate::model::finance::kpis;";
    assert_eq!(models_named(text), ["fleet", "demand", "energy", "finance"]);
}

#[test]
fn results_use_no_model_internals() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/results.rs"))
            .expect("results source");
    for named in models_named(&text) {
        assert_eq!(
            named, "messages",
            "results.rs names model `{named}`; the monthly record is built from the models' summaries"
        );
    }
}
