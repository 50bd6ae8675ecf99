//! Snapshot of the Markdown report of `scenarios/tiny.ron` with a fixed seed: any change to the
//! numbers, tables or wording shows up as a diff. Lines that name the build, the time or the
//! command line are masked. After an intended change, rewrite the snapshot with
//! `DCPLAN_UPDATE_SNAPSHOTS=1 cargo test -p dcplan --test it snapshot` and review the diff.

use super::common::{ok, repo};

const SNAPSHOT: &str = "reports/tests/snapshots/tiny-report.md";

fn masked(report: &str) -> String {
    report
        .lines()
        .map(|l| {
            for key in ["dcplan version", "git revision", "command line", "started"] {
                if l.starts_with(&format!("| {key} |")) {
                    return format!("| {key} | (masked) |");
                }
            }
            l.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn the_tiny_report_matches_its_snapshot() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("t");
    ok(
        &repo(),
        &[
            "run",
            "scenarios/tiny.ron",
            "-r",
            "8",
            "-s",
            "7",
            "-t",
            "2",
            "--out",
            out.to_str().expect("utf-8"),
            "-q",
        ],
    );
    let got = masked(&std::fs::read_to_string(out.join("report.md")).expect("report.md"));
    let path = repo().join(SNAPSHOT);
    if std::env::var("DCPLAN_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &got).expect("write snapshot");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with DCPLAN_UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    if got != want {
        let first = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(got.lines().count().min(want.lines().count()));
        let line = |t: &str| t.lines().nth(first).unwrap_or("(end of file)").to_string();
        panic!(
            "report.md differs from {SNAPSHOT} from line {}:\n  got:  {}\n  want: {}\n(rewrite with DCPLAN_UPDATE_SNAPSHOTS=1 after an intended change)",
            first + 1,
            line(&got),
            line(&want)
        );
    }
}
