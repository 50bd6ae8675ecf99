//! Helpers: run the binary, locate repository files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Path of a scenario under `scenarios/`.
pub fn scenario(name: &str) -> PathBuf {
    repo().join("scenarios").join(name)
}

/// Run `dcplan` with `args` in `cwd`.
pub fn dcplan(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dcplan")).args(args).current_dir(cwd).output().expect("the dcplan binary runs")
}

/// Standard output and error as text.
pub fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// Run and require success.
pub fn ok(cwd: &Path, args: &[&str]) -> Output {
    let o = dcplan(cwd, args);
    let (out, err) = text(&o);
    assert!(o.status.success(), "dcplan {args:?} failed\nstdout:\n{out}\nstderr:\n{err}");
    o
}
