//! Snapshots of `scenarios/tiny.ron` at a fixed seed (insta): the Markdown report, and a digest of
//! every table. Any change to the numbers, tables or wording fails them; lines that name the
//! build, the time or the command line are masked.
//!
//! After a change of results made on purpose, review and accept the new snapshots:
//! `INSTA_UPDATE=always cargo test -p dcplan --test it snapshot` (or `cargo insta review`), then
//! commit the `.snap` files with the change that explains them.

use std::path::{Path, PathBuf};

use polars_core::prelude::DataType;
use polars_io::prelude::{CsvWriter, ParquetReader, SerReader, SerWriter};

use super::common::{ok, repo};

/// Run tiny.ron with 8 replications, seed 7, into a temporary folder.
fn tiny_run(tmp: &Path) -> PathBuf {
    let out = tmp.join("t");
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
    out
}

fn masked(report: &str) -> String {
    report
        .lines()
        .map(|l| {
            for key in [
                "dcplan version",
                "git revision",
                "command line",
                "started",
                "prepared",
            ] {
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
    let out = tiny_run(tmp.path());
    let report = masked(&std::fs::read_to_string(out.join("report.md")).expect("report.md"));
    insta::assert_snapshot!("tiny-report", report);
}

/// The pinned results digest: for each table of the run, its shape and the BLAKE3 hash of its
/// content written as CSV (so that a new parquet writer version does not change it, but any
/// changed number, row or column does).
#[test]
fn the_tiny_tables_match_their_digest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tiny_run(tmp.path());
    let mut digest = String::new();
    for table in ["runs", "monthly", "fleet", "market", "hourly"] {
        let file = std::fs::File::open(out.join(format!("{table}.parquet"))).expect(table);
        let mut frame = ParquetReader::new(file).finish().expect(table);
        // Dates as their day numbers (the CSV writer here writes no dates).
        let dates: Vec<String> = frame
            .columns()
            .iter()
            .filter(|c| c.dtype() == &DataType::Date)
            .map(|c| c.name().to_string())
            .collect();
        for name in dates {
            let days = frame
                .column(&name)
                .expect(table)
                .cast(&DataType::Int32)
                .expect(table);
            frame.with_column(days).expect(table);
        }
        let mut csv = Vec::new();
        CsvWriter::new(&mut csv).finish(&mut frame).expect(table);
        // No table holds a negative zero (a sum of nothing is -0.0 in Rust).
        let text = String::from_utf8_lossy(&csv);
        assert!(
            !text.split(['\n', ',']).any(|cell| cell == "-0.0"),
            "{table} holds -0.0"
        );
        digest += &format!(
            "{table}.parquet: {} rows x {} columns, blake3 {}\n",
            frame.height(),
            frame.width(),
            blake3::hash(&csv)
        );
    }
    let summary = std::fs::read(out.join("summary.csv")).expect("summary.csv");
    digest += &format!(
        "summary.csv: {} lines, blake3 {}\n",
        summary.iter().filter(|&&b| b == b'\n').count(),
        blake3::hash(&summary)
    );
    insta::assert_snapshot!("tiny-tables-digest", digest);
    // A zero line of the statements reads 0.0, not -0.0.
    let proforma = std::fs::read_to_string(out.join("proforma.csv")).expect("proforma.csv");
    assert!(
        !proforma.split(['\n', ',']).any(|cell| cell == "-0.0"),
        "a signed zero in proforma.csv"
    );
}
