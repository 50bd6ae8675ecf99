//! Helpers: run the binary, locate repository files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Path of a scenario under `scenarios/`.
pub(crate) fn scenario(name: &str) -> PathBuf {
    repo().join("scenarios").join(name)
}

/// Run `dcplan` with `args` in `cwd`.
pub(crate) fn dcplan(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dcplan"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the dcplan binary runs")
}

/// Standard output and error as text.
pub(crate) fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Run and require success.
pub(crate) fn ok(cwd: &Path, args: &[&str]) -> Output {
    let o = dcplan(cwd, args);
    let (out, err) = text(&o);
    assert!(
        o.status.success(),
        "dcplan {args:?} failed\nstdout:\n{out}\nstderr:\n{err}"
    );
    o
}

/// tiny.ron with the value at `path` replaced (or added).
pub(crate) fn tiny_with(path: &str, value: &str) -> String {
    let text = std::fs::read_to_string(scenario("tiny.ron")).expect("tiny.ron");
    dcplan_sim::scenario::ron_text::set(&text, path, value)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// tiny.ron with a three-variant sweep over the list price, written into `dir`.
pub(crate) fn sweep_scenario(dir: &Path) -> String {
    let text = tiny_with(
        "sweep",
        r#"(axes: [(path: "pricing.policy", values: [ListRatio(0.9), ListRatio(1.0), ListRatio(1.2)], labels: ["low", "market", "high"])])"#,
    );
    let path = dir.join("sweep.ron");
    std::fs::write(&path, text).expect("write sweep.ron");
    path.to_str().expect("utf-8").to_string()
}

/// Require the files to be byte-identical in both folders.
pub(crate) fn same_files(a: &Path, b: &Path, files: &[&str]) {
    for f in files {
        let (x, y) = (
            std::fs::read(a.join(f)).expect("first"),
            std::fs::read(b.join(f)).expect("second"),
        );
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// Every column of `<dir>/<file>.csv` is in the folder's data dictionary (`columns.csv`) under
/// table `<file>`: a sweep axis as `sweep:<field path>`, a decision variable (a field path) as
/// `<field path>`.
pub(crate) fn documented(dir: &Path, file: &str) {
    let dictionary = std::fs::read_to_string(dir.join("columns.csv")).expect("columns.csv");
    let listed: Vec<&str> = dictionary
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{file},")))
        .filter_map(|l| l.split(',').next())
        .collect();
    assert!(!listed.is_empty(), "columns.csv lists no column of {file}");
    let csv = std::fs::read_to_string(dir.join(format!("{file}.csv"))).expect("the table");
    let header = csv.lines().next().expect("a header");
    for column in header.split(',') {
        let column = column.trim_matches('"');
        let key = if column.starts_with("sweep:") {
            "sweep:<field path>"
        } else if column.contains('.') || column.contains('[') {
            "<field path>"
        } else {
            column
        };
        assert!(
            listed.contains(&key),
            "{file}.csv column {column} is not in columns.csv"
        );
    }
}
