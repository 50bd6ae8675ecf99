//! Provenance: every external file a scenario reads travels with its results (`inputs/`),
//! hashed in the manifest, listed in the report, and read back by rebuilds.

use std::path::Path;

use dcplan::store::manifest::{Manifest, hash_bytes};

use super::common::{dcplan, ok, text, tiny_with};

/// A year of hourly temperatures, `offset_c` above a plain seasonal curve.
fn temperatures(offset_c: f64) -> String {
    let mut out = String::from("temperature_c\n");
    for h in 0..8760 {
        let season = (2.0 * std::f64::consts::PI * (h as f64 / 8760.0 - 0.55)).cos();
        out.push_str(&format!("{:.2}\n", 14.0 + offset_c + 11.0 * season));
    }
    out
}

fn manifest(dir: &Path) -> Manifest {
    ron::from_str(&std::fs::read_to_string(dir.join("manifest.ron")).expect("manifest"))
        .expect("manifest parses")
}

/// Every file under `dir`, by its path in the folder.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, sub: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(root.join(sub)).expect("folder") {
            let e = e.expect("entry");
            let rel = sub.join(e.file_name());
            if e.file_type().expect("type").is_dir() {
                walk(root, &rel, out);
            } else {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, Path::new(""), &mut out);
    out.sort();
    out
}

/// Both folders hold the same files with the same bytes, apart from the manifest's wall time.
fn same_tree(a: &Path, b: &Path) {
    let names = tree(a);
    assert_eq!(names, tree(b), "the same files");
    for f in names.iter().filter(|f| *f != "manifest.ron") {
        assert!(
            std::fs::read(a.join(f)).expect("a") == std::fs::read(b.join(f)).expect("b"),
            "{f} differs"
        );
    }
    assert_eq!(
        Manifest {
            wall_time_s: 0.0,
            ..manifest(a)
        },
        Manifest {
            wall_time_s: 0.0,
            ..manifest(b)
        }
    );
}

#[test]
fn inputs_are_copied_hashed_listed_and_read_back_by_rebuilds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::create_dir(dir.join("data")).expect("mkdir");
    let original = temperatures(0.0);
    std::fs::write(dir.join("data/temps.csv"), &original).expect("write");
    std::fs::write(
        dir.join("w.ron"),
        tiny_with(
            "site.weather_csv",
            "\"data/temps.csv\", // measured at the site, 2025",
        ),
    )
    .expect("write");
    ok(dir, &["run", "w.ron", "-r", "4", "--out", "a", "-q"]);
    let a = dir.join("a");

    // Copied byte for byte, hashed in the manifest, listed in the report with its source.
    assert_eq!(
        std::fs::read(a.join("inputs/data/temps.csv")).expect("the copy"),
        original.as_bytes()
    );
    let hash = hash_bytes(original.as_bytes());
    assert!(
        manifest(&a)
            .files
            .contains(&("inputs/data/temps.csv".to_string(), hash.clone())),
        "{:?}",
        manifest(&a).files
    );
    let report = std::fs::read_to_string(a.join("report.md")).expect("report");
    let row = report
        .lines()
        .find(|l| l.contains("input file site.weather_csv"))
        .expect("the assumptions table lists the file");
    for part in [
        "data/temps.csv",
        hash.as_str(),
        "measured at the site, 2025",
        "inputs/data/temps.csv",
    ] {
        assert!(row.contains(part), "{part} missing from: {row}");
    }

    // A changed original does not reach a rebuild: it reads the copy, and comes out identical.
    std::fs::write(dir.join("data/temps.csv"), temperatures(5.0)).expect("write");
    ok(dir, &["report", "a", "--out", "b", "-q"]);
    same_tree(&a, &dir.join("b"));
    // In place, with --force, the copy is dcplan's and is replaced by the same bytes.
    ok(dir, &["report", "a", "--force", "-q"]);
    same_tree(&a, &dir.join("b"));

    // A changed copy makes the rebuild refuse, naming it; nothing is written.
    std::fs::write(a.join("inputs/data/temps.csv"), temperatures(5.0)).expect("write");
    let o = dcplan(dir, &["report", "a", "--out", "c"]);
    let err = text(&o).1;
    assert!(!o.status.success(), "a changed input was accepted");
    assert!(
        err.contains("inputs/data/temps.csv") && err.contains("changed since the run"),
        "{err}"
    );
    assert!(!dir.join("c").exists());
    std::fs::write(a.join("inputs/data/temps.csv"), &original).expect("restore");

    // A file the run did not read, put among the copies: refused by a rebuild, and never
    // deleted by a forced run into the folder.
    std::fs::write(a.join("inputs/notes.txt"), "mine").expect("write");
    let o = dcplan(dir, &["report", "a", "--out", "d"]);
    assert!(!o.status.success());
    assert!(
        text(&o).1.contains("not listed in the manifest"),
        "{}",
        text(&o).1
    );
    let o = dcplan(
        dir,
        &["run", "w.ron", "-r", "4", "--out", "a", "--force", "-q"],
    );
    assert!(!o.status.success());
    assert!(text(&o).1.contains("inputs/notes.txt"), "{}", text(&o).1);
    assert_eq!(
        std::fs::read_to_string(a.join("inputs/notes.txt")).expect("kept"),
        "mine"
    );
}

#[test]
fn sweep_variants_and_compared_scenarios_carry_their_own_inputs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::create_dir(dir.join("data")).expect("mkdir");
    std::fs::write(dir.join("data/mild.csv"), temperatures(0.0)).expect("write");
    std::fs::write(dir.join("data/hot.csv"), temperatures(8.0)).expect("write");
    let base = tiny_with("site.weather_csv", "\"data/mild.csv\"");
    let sweep = dcplan_sim::scenario::ron_text::set(
        &base,
        "sweep",
        r#"(axes: [(path: "site.weather_csv", values: ["data/mild.csv", "data/hot.csv"], labels: ["mild", "hot"])])"#,
    )
    .expect("sweep");
    std::fs::write(dir.join("sw.ron"), sweep).expect("write");
    ok(dir, &["run", "sw.ron", "-r", "3", "--out", "sw", "-q"]);
    let listed: Vec<String> = manifest(&dir.join("sw"))
        .files
        .into_iter()
        .map(|(f, _)| f)
        .filter(|f| f.starts_with("inputs/"))
        .collect();
    assert_eq!(listed, ["inputs/data/hot.csv", "inputs/data/mild.csv"]);
    std::fs::remove_file(dir.join("data/hot.csv")).expect("remove");
    ok(dir, &["report", "sw", "--out", "sw2", "-q"]);
    same_tree(&dir.join("sw"), &dir.join("sw2"));

    // Scenarios compared may name the same relative path in different folders.
    std::fs::create_dir_all(dir.join("other/data")).expect("mkdir");
    std::fs::write(dir.join("other/data/mild.csv"), temperatures(3.0)).expect("write");
    std::fs::write(dir.join("other/w.ron"), &base).expect("write");
    std::fs::write(dir.join("w.ron"), &base).expect("write");
    ok(
        dir,
        &[
            "compare",
            "w.ron",
            "other/w.ron",
            "-r",
            "3",
            "--out",
            "c",
            "-q",
        ],
    );
    let c = dir.join("c");
    assert_eq!(
        std::fs::read_to_string(c.join("inputs/1/data/mild.csv")).expect("first"),
        temperatures(0.0)
    );
    assert_eq!(
        std::fs::read_to_string(c.join("inputs/2/data/mild.csv")).expect("second"),
        temperatures(3.0)
    );
    ok(dir, &["report", "c", "--out", "c2", "-q"]);
    same_tree(&c, &dir.join("c2"));
}
