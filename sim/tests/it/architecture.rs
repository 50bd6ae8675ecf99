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
