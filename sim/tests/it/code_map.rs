//! ARCHITECTURE.md's code map is true: every source file and folder of the crates is named in it,
//! and everything it names exists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Files (`NAME.rs`) and folders (`NAME/`) under `dir`, as paths relative to `dir`.
fn entries(dir: &Path, rel: &str, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("readable source tree") {
        let path = entry.expect("directory entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 file name");
        if path.is_dir() {
            let sub = format!("{rel}{name}/");
            out.insert(sub.clone());
            entries(&path, &sub, out);
        } else if name.ends_with(".rs") {
            out.insert(format!("{rel}{name}"));
        }
    }
}

/// The text of the "Code map" section.
fn code_map() -> String {
    let text = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let start = text.find("## Code map").expect("a Code map section");
    let rest = &text[start + 3..];
    let end = rest.find("\n## ").map_or(rest.len(), |e| e + 1);
    rest[..end].to_string()
}

/// Every `backticked` token of the code map that names a source file or folder.
fn named(map: &str) -> BTreeSet<String> {
    map.split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| {
            !t.contains(' ') && (t.ends_with(".rs") || (t.ends_with('/') && !t.contains("://")))
        })
        .map(str::to_string)
        .collect()
}

/// Source files and folders of the `sim` and `reports` crates, relative to their `src/`.
fn sources() -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for krate in ["sim", "reports"] {
        entries(&repo().join(krate).join("src"), "", &mut all);
    }
    all
}

#[test]
fn every_source_file_and_folder_is_in_the_code_map() {
    let map = code_map();
    let named = named(&map);
    let missing: Vec<String> = sources()
        .into_iter()
        .filter(|path| {
            let name = path
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .expect("a name");
            if ["lib.rs", "main.rs", "mod.rs"].contains(&name) {
                return false;
            }
            // Named by its path relative to `src/`, by its path under its parent folder, or by
            // its own name.
            let short = if path.ends_with('/') {
                format!("{name}/")
            } else {
                name.to_string()
            };
            let suffix_named = named.iter().any(|n| path.ends_with(n.as_str()));
            !(suffix_named || named.contains(&short))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map does not mention {missing:?}"
    );
}

#[test]
fn everything_the_code_map_names_exists() {
    let sources = sources();
    let top: BTreeSet<String> = std::fs::read_dir(repo())
        .expect("repository")
        .map(|e| {
            let e = e.expect("entry");
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() {
                format!("{name}/")
            } else {
                name
            }
        })
        .collect();
    let stale: Vec<String> = named(&code_map())
        .into_iter()
        .filter(|n| {
            !top.contains(n)
                && !repo().join(n).exists()
                && !sources
                    .iter()
                    .any(|s| s == n || s.ends_with(&format!("/{n}")))
                && !n.starts_with("slurm/")
                && !n.starts_with("k8s/")
        })
        .collect();
    assert!(
        stale.is_empty(),
        "ARCHITECTURE.md's code map names files or folders that do not exist: {stale:?}"
    );
}
