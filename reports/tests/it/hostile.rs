//! The binary pointed at anything, as an unattended batch pipeline may: folders it did not write,
//! killed runs, damaged or swapped data, out-of-range values, devices, closed pipes, hostile
//! names and paths. Every case ends with a clear message or a clean success, never a panic, a
//! hang or a deleted file dcplan did not write.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dcplan::store::manifest::{Manifest, hash_bytes};
use dcplan::store::parts::PartManifest;

use super::common::{dcplan, ok, scenario, text, tiny_with};

fn tiny() -> String {
    scenario("tiny.ron")
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

/// Run, require failure, return stderr; no panic message in it.
fn fails(cwd: &Path, args: &[&str]) -> String {
    let o = dcplan(cwd, args);
    let (out, err) = text(&o);
    assert!(
        !o.status.success(),
        "dcplan {args:?} succeeded\nstdout:\n{out}\nstderr:\n{err}"
    );
    assert!(
        !err.contains("panicked") && !out.contains("panicked"),
        "dcplan {args:?} panicked:\n{err}"
    );
    err
}

/// This host's name as dcplan writes it into temporary names.
fn host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("host name");
    name.trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(64)
        .collect()
}

/// A process id no process has (above Linux's largest, 4,194,304).
const DEAD_PID: u32 = 4_999_999;

#[test]
fn force_replaces_only_a_folder_dcplan_wrote_and_keeps_what_the_user_added() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tiny();
    // A user folder, even with a file named manifest.ron, is never replaced.
    std::fs::create_dir(tmp.path().join("mine")).expect("mkdir");
    std::fs::write(tmp.path().join("mine/manifest.ron"), "my own notes").expect("write");
    let err = fails(
        tmp.path(),
        &["run", &t, "--out", "mine", "-r", "2", "--force"],
    );
    assert!(
        err.contains("not an output folder dcplan wrote") && err.contains("left alone"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("mine/manifest.ron")).expect("kept"),
        "my own notes"
    );

    // The current folder (and so its ancestors) is never replaced, even when dcplan wrote it.
    ok(tmp.path(), &["run", &t, "--out", "run", "-r", "2", "-q"]);
    let run = tmp.path().join("run");
    let err = fails(
        &run,
        &[
            "run",
            &t,
            "--out",
            run.to_str().expect("utf-8"),
            "-r",
            "2",
            "--force",
        ],
    );
    assert!(err.contains("current folder"), "{err}");
    let err = fails(&run, &["run", &t, "--out", "..", "-r", "2", "--force"]);
    assert!(
        err.contains("current folder") || err.contains("not an output folder"),
        "{err}"
    );
    assert!(run.join("report.html").exists() && tmp.path().join("mine/manifest.ron").exists());
    // An --out inside a file names the file.
    std::fs::write(tmp.path().join("afile"), "mine").expect("write");
    let err = fails(tmp.path(), &["run", &t, "--out", "afile/x", "-r", "2"]);
    assert!(
        err.contains("afile is a file, not a folder, so afile/x cannot be made inside it"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("afile")).expect("kept"),
        "mine"
    );

    // A dcplan folder is replaced; the files the user added are kept, no hidden folder is left.
    std::fs::write(run.join("notes.txt"), "mine").expect("write");
    std::fs::create_dir(run.join("extra")).expect("mkdir");
    std::fs::write(run.join("extra/a.txt"), "a").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(run.join("extra"), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
    }
    let before = std::fs::read_to_string(run.join("manifest.ron")).expect("manifest");
    let o = ok(
        tmp.path(),
        &["run", &t, "--out", "run", "-r", "3", "--force"],
    );
    let (_, err) = text(&o);
    assert!(
        err.contains("kept 2 item(s)") && err.contains("notes.txt"),
        "{err}"
    );
    assert_ne!(
        std::fs::read_to_string(run.join("manifest.ron")).expect("manifest"),
        before
    );
    assert_eq!(
        std::fs::read_to_string(run.join("notes.txt")).expect("kept"),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(run.join("extra/a.txt")).expect("kept"),
        "a"
    );
    #[cfg(unix)]
    {
        // A kept folder keeps its permissions.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(run.join("extra"))
            .expect("kept")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    }

    // A file dcplan wrote and the user then edited is the user's: the folder is left alone.
    std::fs::write(run.join("report.md"), "my edits").expect("write");
    let err = fails(
        tmp.path(),
        &["run", &t, "--out", "run", "-r", "2", "--force"],
    );
    assert!(
        err.contains("changed since dcplan wrote them (report.md)") && err.contains("left alone"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(run.join("report.md")).expect("kept"),
        "my edits"
    );
    let hidden: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

#[test]
fn resume_replaces_only_a_part_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tiny();
    std::fs::create_dir(tmp.path().join("mine")).expect("mkdir");
    std::fs::write(tmp.path().join("mine/data.csv"), "1,2").expect("write");
    let err = fails(
        tmp.path(),
        &[
            "run", &t, "-r", "4", "--shard", "0/2", "--resume", "--out", "mine",
        ],
    );
    assert!(err.contains("not a part folder"), "{err}");
    assert!(tmp.path().join("mine/data.csv").exists());

    ok(
        tmp.path(),
        &["run", &t, "--out", "finished", "-r", "4", "-q"],
    );
    let err = fails(
        tmp.path(),
        &[
            "run", &t, "-r", "4", "--shard", "0/2", "--resume", "--out", "finished",
        ],
    );
    assert!(err.contains("not a part folder"), "{err}");
    assert!(tmp.path().join("finished/report.html").exists());

    // A damaged part is replaced.
    ok(
        tmp.path(),
        &["run", &t, "-r", "4", "--shard", "0/2", "--out", "p0", "-q"],
    );
    std::fs::write(tmp.path().join("p0/runs.parquet"), "damaged").expect("write");
    ok(
        tmp.path(),
        &[
            "run", &t, "-r", "4", "--shard", "0/2", "--resume", "--out", "p0", "-q",
        ],
    );
    assert!(dcplan::store::parts::verify_part(&tmp.path().join("p0")).is_ok());
}

#[test]
fn a_killed_shard_leaves_nothing_that_counts_as_a_part_and_its_folder_is_cleaned_up() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tiny();
    ok(
        tmp.path(),
        &[
            "run", &t, "-r", "4", "--shard", "0/2", "--out", "parts/p0", "-q",
        ],
    );
    ok(
        tmp.path(),
        &[
            "run", &t, "-r", "4", "--shard", "1/2", "--out", "parts/p1", "-q",
        ],
    );
    // A shard killed just before moving its finished folder into place: its folder still has
    // the mark of an unfinished write.
    let stale = tmp
        .path()
        .join(format!("parts/.p0.tmp-{DEAD_PID}-1-{}", host()));
    std::fs::create_dir(&stale).expect("mkdir");
    for f in [
        "part.ron",
        "scenario.ron",
        "replications.bin",
        "runs.parquet",
    ] {
        std::fs::copy(tmp.path().join("parts/p0").join(f), stale.join(f)).expect("copy");
    }
    std::fs::write(stale.join(dcplan::store::output::PARTIAL_MARKER), "").expect("mark");
    // A folder of the user's that only has such a name is never removed.
    let lookalike = tmp
        .path()
        .join(format!("parts/.p1.tmp-{DEAD_PID}-2-{}", host()));
    std::fs::create_dir(&lookalike).expect("mkdir");
    std::fs::write(lookalike.join("notes.txt"), "mine").expect("write");
    // Another host's temporary folder (a shared file system) is not touched.
    let foreign = tmp
        .path()
        .join(format!("parts/.p1.tmp-{DEAD_PID}-1-{}-elsewhere", host()));
    std::fs::create_dir(&foreign).expect("mkdir");
    ok(tmp.path(), &["report", "parts", "--out", "merged", "-q"]);
    assert!(
        stale.exists(),
        "merging reads the parts and removes nothing"
    );
    // The next shard writing beside it removes the dead process's folder.
    ok(
        tmp.path(),
        &[
            "run", &t, "-r", "4", "--shard", "0/2", "--resume", "--out", "parts/p0", "-q",
        ],
    );
    assert!(!stale.exists());
    assert!(foreign.exists());
    assert!(lookalike.join("notes.txt").exists());
}

#[test]
fn an_interrupted_replacement_is_put_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tiny();
    ok(tmp.path(), &["run", &t, "--out", "run", "-r", "2", "-q"]);
    // A replacement killed after moving the old folder aside, before the new one arrived.
    let aside = tmp.path().join(format!(".run.old-{DEAD_PID}-1-{}", host()));
    std::fs::rename(tmp.path().join("run"), &aside).expect("rename");
    let o = ok(tmp.path(), &["run", &t, "--out", "other", "-r", "2"]);
    let (_, err) = text(&o);
    assert!(err.contains("put back"), "{err}");
    assert!(tmp.path().join("run/report.html").exists() && !aside.exists());
}

fn read_part(dir: &Path) -> PartManifest {
    ron::from_str(&std::fs::read_to_string(dir.join("part.ron")).expect("part.ron"))
        .expect("part manifest")
}

#[test]
fn a_merge_refuses_a_part_holding_another_shards_replications() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tiny();
    ok(
        tmp.path(),
        &[
            "run", &t, "-r", "6", "--shard", "0/2", "--out", "parts/p0", "-q",
        ],
    );
    ok(
        tmp.path(),
        &[
            "run", &t, "-r", "6", "--shard", "1/2", "--out", "parts/p1", "-q",
        ],
    );
    // p1's replications swapped for p0's, its checksum recomputed: replications 0,1,2,0,1,2.
    let bytes = std::fs::read(tmp.path().join("parts/p0/replications.bin")).expect("read");
    std::fs::write(tmp.path().join("parts/p1/replications.bin"), &bytes).expect("write");
    let mut part = read_part(&tmp.path().join("parts/p1"));
    for (f, h) in &mut part.files {
        if f == "replications.bin" {
            *h = hash_bytes(&bytes);
        }
    }
    std::fs::write(
        tmp.path().join("parts/p1/part.ron"),
        ron::to_string(&part).expect("ron"),
    )
    .expect("write");
    let err = fails(tmp.path(), &["report", "parts", "--out", "merged"]);
    assert!(
        err.contains("replication 0 of variant 0") && err.contains("not in shard 1/2"),
        "{err}"
    );
    assert!(!tmp.path().join("merged").exists());
}

fn rehash(dir: &Path, file: &str) {
    let path = dir.join("manifest.ron");
    let mut m: Manifest =
        ron::from_str(&std::fs::read_to_string(&path).expect("manifest")).expect("manifest");
    let bytes = std::fs::read(dir.join(file)).expect("read");
    for (f, h) in &mut m.files {
        if f == file {
            *h = hash_bytes(&bytes);
        }
    }
    std::fs::write(
        &path,
        ron::ser::to_string_pretty(&m, ron::ser::PrettyConfig::default()).expect("ron"),
    )
    .expect("write");
}

#[test]
fn an_in_place_rebuild_keeps_the_users_files_and_a_missing_manifest_is_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    ok(
        tmp.path(),
        &["run", &tiny(), "--out", "run", "-r", "2", "-q"],
    );
    std::fs::write(tmp.path().join("run/notes.txt"), "mine").expect("write");
    ok(tmp.path(), &["report", "run", "--force", "-q"]);
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("run/notes.txt")).expect("kept"),
        "mine"
    );
    assert!(tmp.path().join("run/report.html").exists());

    std::fs::remove_file(tmp.path().join("run/manifest.ron")).expect("rm");
    let err = fails(tmp.path(), &["report", "run", "--force"]);
    assert!(err.contains("manifest") && !err.contains("part"), "{err}");
}

#[test]
fn a_rebuild_of_damaged_tables_with_matching_hashes_reports_the_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    ok(
        tmp.path(),
        &["run", &tiny(), "--out", "run", "-r", "3", "-q"],
    );
    let run = tmp.path().join("run");
    let pristine: Vec<(String, Vec<u8>)> = [
        "runs.parquet",
        "monthly.parquet",
        "fleet.parquet",
        "market.parquet",
        "manifest.ron",
    ]
    .iter()
    .map(|f| (f.to_string(), std::fs::read(run.join(f)).expect("read")))
    .collect();
    let restore = || {
        for (f, b) in &pristine {
            std::fs::write(run.join(f), b).expect("restore");
        }
    };
    let mut tried = 0;
    for (file, bytes) in pristine.iter().filter(|(f, _)| f.ends_with(".parquet")) {
        let n = bytes.len();
        let damaged: Vec<Vec<u8>> = vec![
            bytes[..n / 2].to_vec(),
            b"PAR1 not a table PAR1".to_vec(),
            bytes
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    if i > 8 && i < n - 8 && i % 97 == 0 {
                        b ^ 0x5a
                    } else {
                        *b
                    }
                })
                .collect(),
            bytes
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    if i > n / 3 && i < n / 3 + 64 {
                        0xff
                    } else {
                        *b
                    }
                })
                .collect(),
        ];
        for (k, d) in damaged.iter().enumerate() {
            std::fs::write(run.join(file), d).expect("write");
            rehash(&run, file);
            let out = format!("r-{file}-{k}");
            let o = dcplan(tmp.path(), &["report", "run", "--out", &out, "-q"]);
            let (_, err) = text(&o);
            assert!(!err.contains("panicked"), "{file} damage {k}: {err}");
            if !o.status.success() {
                assert!(
                    err.contains(file.as_str()),
                    "{file} damage {k} is not named: {err}"
                );
            }
            tried += 1;
            restore();
        }
    }
    // Valid tables with damaged contents: rows cut, values out of range, rows reordered.
    use polars_core::prelude::*;
    type Edit = Box<dyn Fn(DataFrame) -> DataFrame>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "monthly.parquet",
            Box::new(|df: DataFrame| df.slice(0, df.height() / 2 + 1)),
        ),
        (
            "market.parquet",
            Box::new(|df: DataFrame| df.slice(1, df.height() - 1)),
        ),
        (
            "fleet.parquet",
            Box::new(|df: DataFrame| df.slice(3, df.height() - 7)),
        ),
        (
            "runs.parquet",
            Box::new(|df: DataFrame| df.slice(1, df.height() - 1)),
        ),
        ("market.parquet", Box::new(|df: DataFrame| df.reverse())),
        ("monthly.parquet", Box::new(|df: DataFrame| df.reverse())),
        (
            "fleet.parquet",
            Box::new(|mut df: DataFrame| {
                let months = Column::new("month".into(), vec![4_000_000_000u32; df.height()]);
                df.with_column(months).expect("column");
                df
            }),
        ),
        (
            "monthly.parquet",
            Box::new(|mut df: DataFrame| {
                let months = Column::new("month".into(), vec![u32::MAX; df.height()]);
                df.with_column(months).expect("column");
                df
            }),
        ),
        (
            "runs.parquet",
            Box::new(|mut df: DataFrame| {
                let reps = Column::new("replication".into(), vec![u64::MAX; df.height()]);
                df.with_column(reps).expect("column");
                df
            }),
        ),
    ];
    for (k, (file, edit)) in edits.iter().enumerate() {
        let df = dcplan::render::tables::read_parquet(&run.join(file)).expect("read");
        dcplan::render::tables::write_parquet(&mut edit(df), &run.join(file)).expect("write");
        rehash(&run, file);
        let out = format!("e-{k}");
        let o = dcplan(tmp.path(), &["report", "run", "--out", &out, "-q"]);
        let (_, err) = text(&o);
        assert!(!err.contains("panicked"), "{file} edit {k}: {err}");
        tried += 1;
        restore();
    }
    // Another table's bytes in place of runs.parquet: a valid file of the wrong shape.
    std::fs::copy(run.join("fleet.parquet"), run.join("runs.parquet")).expect("copy");
    rehash(&run, "runs.parquet");
    let err = fails(tmp.path(), &["report", "run", "--out", "wrong-shape"]);
    assert!(err.contains("runs.parquet"), "{err}");
    assert_eq!(tried, 25);
}

#[test]
fn command_line_values_have_the_scenario_limits() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tiny();
    for (args, expect) in [
        (vec!["-r", "4294967295"], "must be between 1 and 1000000"),
        (vec!["-r", "0"], "0 must be between 1 and 1000000"),
        (vec!["-r=-5"], "must be between 1 and 1000000"),
        (
            vec!["-t", "100000"],
            "must be between 0 (one per core) and 1024",
        ),
        (
            vec!["--target-ci", "NaN"],
            "must be a share above 0 and below 1",
        ),
        (
            vec!["--target-ci=-1"],
            "must be a share above 0 and below 1",
        ),
        (
            vec!["--target-ci", "inf"],
            "must be a share above 0 and below 1",
        ),
        (vec!["--max-memory", "lots"], "is not a size"),
        (vec!["--shard", "0/4294967295"], "shards is more than"),
    ] {
        let mut all = vec!["run", t.as_str(), "--out", "x"];
        all.extend(args.iter().copied());
        let err = fails(tmp.path(), &all);
        assert!(err.contains(expect), "{args:?}: {err}");
    }
    assert!(!tmp.path().join("x").exists());
}

/// Run with a deadline; `None` if it had to be killed.
fn run_within(cwd: &Path, args: &[&str], limit: Duration) -> Option<(bool, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dcplan"))
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
                .expect("read");
            return Some((status.success(), err));
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn devices_pipes_and_oversized_files_are_refused_at_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let fifo = tmp.path().join("fifo.ron");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    std::fs::write(tmp.path().join("huge.ron"), vec![b' '; 17 << 20]).expect("write");
    std::os::unix::fs::symlink("/dev/zero", tmp.path().join("zero.csv")).expect("symlink");
    std::fs::write(
        tmp.path().join("w.ron"),
        tiny_with("site.weather_csv", "\"zero.csv\""),
    )
    .expect("write");
    let fifo = fifo.to_str().expect("utf-8").to_string();
    for (args, expect) in [
        (vec!["check", "/dev/zero"], "not a regular file"),
        (vec!["check", "/dev/urandom"], "not a regular file"),
        (vec!["run", fifo.as_str()], "not a regular file"),
        (vec!["check", "huge.ron"], "16777216 bytes"),
        // A link to a device outside the scenario's folder is refused as leading out of it.
        (vec!["check", "w.ron"], "leads out of the scenario's folder"),
        (vec!["report", "/dev/zero"], "/dev/zero"),
    ] {
        let (success, err) = run_within(tmp.path(), &args, Duration::from_secs(20))
            .unwrap_or_else(|| panic!("{args:?} hung"));
        assert!(
            !success && err.contains(expect) && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn csv_inputs_stay_in_the_scenarios_folder_and_errors_do_not_echo_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("abs.ron"),
        tiny_with("site.weather_csv", "\"/etc/passwd\""),
    )
    .expect("write");
    std::fs::write(
        tmp.path().join("up.ron"),
        tiny_with("site.weather_csv", "\"../../etc/passwd\""),
    )
    .expect("write");
    std::fs::write(
        tmp.path().join("secret.csv"),
        "temperature\nhunter2-is-the-password-of-root\n",
    )
    .expect("write");
    std::fs::write(
        tmp.path().join("s.ron"),
        tiny_with("site.weather_csv", "\"secret.csv\""),
    )
    .expect("write");
    for (file, expect) in [
        ("abs.ron", "relative to the scenario's folder"),
        ("up.ron", "relative to the scenario's folder"),
        ("s.ron", "line 2"),
    ] {
        let err = fails(tmp.path(), &["check", file]);
        assert!(
            err.contains("site.weather_csv") && err.contains(expect),
            "{file}: {err}"
        );
        assert!(
            !err.contains("root:") && !err.contains("password-of-root"),
            "{file} echoes the file: {err}"
        );
    }
}

#[test]
fn runs_too_large_for_the_machine_are_refused_before_they_start() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tiny();
    let write = |name: &str, text: String| {
        std::fs::write(tmp.path().join(name), text).expect("write");
        name.to_string()
    };
    let long = write("long.ron", tiny_with("simulation.horizon_months", "600"));
    let hourly = {
        let s = tiny_with("simulation.horizon_months", "600");
        let list: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let s = dcplan_sim::scenario::ron_text::set(
            &s,
            "simulation.hourly_replications",
            &format!("[{}]", list.join(", ")),
        )
        .expect("set");
        write(
            "hourly.ron",
            dcplan_sim::scenario::ron_text::set(&s, "simulation.hourly_months", "600")
                .expect("set"),
        )
    };
    let busy = write("busy.ron", tiny_with("demand.arrivals_per_day", "5000000"));
    for (args, expect) in [
        (vec!["run", long.as_str(), "-r", "1000000"], "of memory"),
        (vec!["run", hourly.as_str(), "-r", "100"], "hourly rows"),
        (
            vec!["run", busy.as_str(), "-r", "100", "-t", "1"],
            "would take an estimated",
        ),
        (
            vec!["run", t.as_str(), "-r", "2", "--max-memory", "1K"],
            "more than the 1.0 KiB --max-memory allows",
        ),
        (
            vec!["run", long.as_str(), "-r", "1000000", "--shard", "0/2"],
            "of memory",
        ),
        (
            vec!["sensitivity", long.as_str(), "-r", "1000000"],
            "of memory",
        ),
        (
            vec!["compare", long.as_str(), t.as_str(), "-r", "1000000"],
            "of memory",
        ),
    ] {
        let (success, err) = run_within(tmp.path(), &args, Duration::from_secs(30))
            .unwrap_or_else(|| panic!("{args:?} started the run"));
        assert!(
            !success && err.contains(expect) && err.contains("--yes"),
            "{args:?}: {err}"
        );
    }
    // Hourly rows are budgeted per run: each of 40 variants alone keeps 4.4e5 rows, all 40 too many.
    let values: Vec<String> = (0..40)
        .map(|i| format!("ListRatio({:.2})", 0.8 + 0.01 * i as f64))
        .collect();
    let labels: Vec<String> = (0..40).map(|i| format!("\"v{i}\"")).collect();
    let s = tiny_with("simulation.horizon_months", "600");
    let s =
        dcplan_sim::scenario::ron_text::set(&s, "simulation.hourly_months", "600").expect("set");
    let one = write("one.ron", s.clone());
    let axes = format!(
        "(axes: [(path: \"pricing.policy\", values: [{}], labels: [{}])])",
        values.join(", "),
        labels.join(", ")
    );
    let many = write(
        "many.ron",
        dcplan_sim::scenario::ron_text::set(&s, "sweep", &axes).expect("set"),
    );
    let (success, err) = run_within(
        tmp.path(),
        &["run", &many, "-r", "2"],
        Duration::from_secs(30),
    )
    .expect("refused at once");
    assert!(
        !success && err.contains("hourly rows over all its variants"),
        "{err}"
    );
    let o = dcplan(tmp.path(), &["check", &one]);
    assert!(o.status.success(), "{:?}", text(&o));
    // The overrides: a tiny run under a generous limit, and --yes past a small one.
    ok(
        tmp.path(),
        &[
            "run",
            &t,
            "-r",
            "2",
            "--max-memory",
            "64G",
            "--out",
            "a",
            "-q",
        ],
    );
    ok(
        tmp.path(),
        &[
            "run",
            &t,
            "-r",
            "2",
            "--max-memory",
            "1K",
            "--yes",
            "--out",
            "b",
            "-q",
        ],
    );
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    for args in [
        vec!["catalog"],
        vec!["completions", "zsh"],
        vec!["catalog", "gpus"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dcplan"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // The reader goes away before reading anything, as `| head -0` would.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && err.is_empty(),
            "{args:?}: {:?} {err}",
            out.status
        );
    }
}

#[test]
fn control_characters_in_names_never_reach_the_terminal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let evil = "tiny\u{1b}]0;owned\u{7}\u{1b}[2J";
    let s = tiny_with("name", &format!("\"{evil}\""));
    assert!(s.contains('\u{1b}'));
    std::fs::write(tmp.path().join("evil.ron"), &s).expect("write");
    let o = ok(tmp.path(), &["run", "evil.ron", "-r", "2", "--out", "e"]);
    let (out, err) = text(&o);
    assert!(
        out.contains("owned") && !out.contains('\u{1b}') && !out.contains('\u{7}'),
        "{out:?}"
    );
    assert!(!err.contains('\u{1b}'), "{err:?}");
    // A scenario error quoting the name is cleaned too.
    std::fs::write(
        tmp.path().join("bad.ron"),
        s.replace("replications: 8", "replications: 0"),
    )
    .expect("write");
    let err = fails(tmp.path(), &["check", "bad.ron"]);
    assert!(!err.contains('\u{1b}'), "{err:?}");
}
