//! The cluster deployments in deploy/: the Kubernetes Job is well formed, and the Slurm job array
//! gives the same results as a run on one machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_yaml::Value;

use super::common::{ok, repo, scenario};

/// `doc[path...]`, or a panic naming the missing key.
fn at<'a>(doc: &'a Value, path: &[&str]) -> &'a Value {
    let mut v = doc;
    for (i, key) in path.iter().enumerate() {
        v = match v {
            Value::Sequence(items) => key.parse::<usize>().ok().and_then(|n| items.get(n)),
            _ => v.get(*key),
        }
        .unwrap_or_else(|| panic!("sweep-job.yaml: no `{}`", path[..=i].join(".")));
    }
    v
}

/// The container's command and arguments joined into one line.
fn command_line(job: &Value) -> String {
    let container = at(job, &["spec", "template", "spec", "containers", "0"]);
    let mut words = Vec::new();
    for key in ["command", "args"] {
        if let Some(Value::Sequence(items)) = container.get(key) {
            words.extend(
                items
                    .iter()
                    .map(|w| w.as_str().expect("command words are strings").to_string()),
            );
        }
    }
    words.join(" ")
}

#[test]
fn k8s_job_is_a_valid_indexed_job() {
    let path = repo().join("deploy/k8s/sweep-job.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).expect("sweep-job.yaml is valid YAML"))
        .filter(|v| !v.is_null())
        .collect();
    assert_eq!(docs.len(), 2, "the shard Job and the merge Job");
    for doc in &docs {
        assert_eq!(at(doc, &["apiVersion"]).as_str(), Some("batch/v1"));
        assert_eq!(at(doc, &["kind"]).as_str(), Some("Job"));
        assert!(
            at(doc, &["metadata", "name"])
                .as_str()
                .is_some_and(|n| !n.is_empty())
        );
        let restart = at(doc, &["spec", "template", "spec", "restartPolicy"]).as_str();
        assert!(
            matches!(restart, Some("Never" | "OnFailure")),
            "a Job's pods need restartPolicy Never or OnFailure, not {restart:?}"
        );
        assert!(
            at(doc, &["spec", "backoffLimit"]).as_u64().is_some(),
            "backoffLimit is a number"
        );
        let image = at(
            doc,
            &["spec", "template", "spec", "containers", "0", "image"],
        )
        .as_str();
        assert!(
            image.is_some_and(|i| !i.is_empty()),
            "every container names an image"
        );
    }

    // The shards: an Indexed Job, one pod per shard, the shard count written where it is used.
    let shards = &docs[0];
    assert_eq!(
        at(shards, &["spec", "completionMode"]).as_str(),
        Some("Indexed")
    );
    let completions = at(shards, &["spec", "completions"])
        .as_u64()
        .expect("completions is a number");
    let parallelism = at(shards, &["spec", "parallelism"])
        .as_u64()
        .expect("parallelism is a number");
    assert!(completions >= 1);
    assert_eq!(completions, parallelism, "completions and parallelism");
    let cmd = command_line(shards);
    assert!(
        cmd.contains("dcplan run") && cmd.contains("--resume"),
        "{cmd}"
    );
    assert!(
        cmd.contains("JOB_COMPLETION_INDEX"),
        "the shard index comes from JOB_COMPLETION_INDEX: {cmd}"
    );
    let shard_arg = cmd
        .split("--shard")
        .nth(1)
        .expect("the command has --shard")
        .split_whitespace()
        .next()
        .expect("--shard I/N");
    assert!(
        shard_arg.contains("JOB_COMPLETION_INDEX"),
        "--shard {shard_arg}"
    );
    let n: u64 = shard_arg
        .rsplit('/')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("--shard {shard_arg}: no /N"));
    assert_eq!(
        n, completions,
        "the N in --shard I/N is the number of completions"
    );
    let out_arg = cmd
        .split("--out")
        .nth(1)
        .expect("the command has --out")
        .split_whitespace()
        .next()
        .expect("--out DIR");
    assert!(
        out_arg.contains("JOB_COMPLETION_INDEX"),
        "each shard writes its own part folder: --out {out_arg}"
    );

    // Volumes: the scenarios from a ConfigMap, the work folder on a claim shared by every pod.
    let volumes = at(shards, &["spec", "template", "spec", "volumes"])
        .as_sequence()
        .expect("volumes");
    assert!(
        volumes.iter().any(|v| v.get("configMap").is_some()),
        "a ConfigMap volume for the scenarios"
    );
    assert!(
        volumes
            .iter()
            .any(|v| v.get("persistentVolumeClaim").is_some()),
        "a claim for /work"
    );
    assert!(
        at(
            shards,
            &[
                "spec",
                "template",
                "spec",
                "containers",
                "0",
                "resources",
                "requests"
            ]
        )
        .get("cpu")
        .is_some()
    );

    // The merge reads the parts the shards wrote.
    let merge = command_line(&docs[1]);
    assert!(merge.contains("dcplan report"), "{merge}");
    let parts = out_arg.rsplit_once('/').expect("--out PARTS/part-I").0;
    assert!(merge.contains(parts), "the merge reads {parts}: {merge}");
    assert_ne!(
        at(&docs[1], &["metadata", "name"]),
        at(shards, &["metadata", "name"])
    );
}

// ---------------------------------------------------------------- Slurm

/// Longest wait for the array and then the merge.
const SLURM_TIMEOUT: Duration = Duration::from_secs(300);

fn sh(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A temporary folder under /tmp (slurmd must read it), kept with a diagnosis if the test fails.
struct SlurmWork {
    dir: PathBuf,
    jobs: Vec<String>,
}

impl SlurmWork {
    fn new() -> SlurmWork {
        let dir = tempfile::Builder::new()
            .prefix("dcplan-slurm-test-")
            .tempdir_in("/tmp")
            .expect("tempdir in /tmp")
            .keep();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        SlurmWork {
            dir,
            jobs: Vec::new(),
        }
    }

    /// Everything that helps explain a failure: the job logs, the job states, the queue.
    fn diagnose(&mut self) {
        eprintln!(
            "===== Slurm test failed; its folder is kept: {}",
            self.dir.display()
        );
        if let Ok(merge) = std::fs::read_to_string(self.dir.join("work/merge.jobid")) {
            let merge = merge.trim().to_string();
            if !self.jobs.contains(&merge) {
                self.jobs.push(merge);
            }
        }
        let mut logs: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "out"))
                    .collect()
            })
            .unwrap_or_default();
        logs.sort();
        for log in &logs {
            eprintln!("===== {}", log.display());
            eprintln!(
                "{}",
                std::fs::read_to_string(log).unwrap_or_else(|e| format!("({e})"))
            );
        }
        for id in &self.jobs {
            let o = sh("scontrol", &["show", "job", id]);
            eprintln!(
                "===== scontrol show job {id}\n{}{}",
                stdout(&o),
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let o = sh("squeue", &["-l"]);
        eprintln!(
            "===== squeue -l\n{}{}",
            stdout(&o),
            String::from_utf8_lossy(&o.stderr)
        );
        let slurm_dir =
            std::env::var("DCPLAN_SLURM_DIR").unwrap_or_else(|_| "/tmp/dcplan-slurm".into());
        let jobcomp = Path::new(&slurm_dir).join("log/jobcomp.log");
        let text = std::fs::read_to_string(&jobcomp).unwrap_or_else(|e| format!("({e})"));
        let ours = format!("WorkDir={} ", self.dir.display());
        eprintln!("===== {} (this test's jobs)", jobcomp.display());
        for line in text.lines().filter(|l| l.contains(&ours)) {
            eprintln!("{line}");
        }
        // Leave nothing queued behind (a merge waiting on a failed array, say).
        if !self.jobs.is_empty() {
            let _ = Command::new("scancel").args(&self.jobs).output();
        }
    }
}

impl Drop for SlurmWork {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.diagnose();
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Wait until job `id` (an array's tasks included) has left the queue.
fn wait_gone(id: &str, deadline: Instant) {
    loop {
        let o = sh("squeue", &["-h", "-j", id]);
        let err = String::from_utf8_lossy(&o.stderr);
        // Once a job is purged from the controller squeue rejects its id.
        if (o.status.success() && stdout(&o).trim().is_empty()) || err.contains("Invalid job id") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} still queued after {SLURM_TIMEOUT:?}:\n{}{err}",
            stdout(&o)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The states of job `id` (one per array task).
fn job_states(id: &str) -> Vec<String> {
    let o = sh("scontrol", &["show", "job", id]);
    assert!(
        o.status.success(),
        "scontrol show job {id}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(&o)
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("JobState="))
        .map(str::to_string)
        .collect()
}

#[test]
fn slurm_sweep_matches_a_local_run() {
    if std::env::var("DCPLAN_SLURM_TEST").as_deref() != Ok("1") {
        println!(
            "slurm_sweep_matches_a_local_run: skipped (set DCPLAN_SLURM_TEST=1 with a running cluster: deploy/slurm/local-cluster.sh)"
        );
        return;
    }
    let t0 = Instant::now();
    let mut work = SlurmWork::new();
    let tmp = work.dir.clone();
    let script = repo()
        .join("deploy/slurm/sweep.sbatch")
        .canonicalize()
        .expect("sweep.sbatch");
    let tiny = scenario("tiny.ron").canonicalize().expect("tiny.ron");
    let workdir = tmp.join("work");
    let o = Command::new("sbatch")
        .arg("--parsable")
        .arg("--array=0-3")
        .arg(format!("--chdir={}", tmp.display()))
        .arg(&script)
        .arg(&tiny)
        .arg(&workdir)
        .args(["-r", "12"])
        .env("DCPLAN", env!("CARGO_BIN_EXE_dcplan"))
        .env_remove("DCPLAN_SHARDS")
        .current_dir(&tmp)
        .output()
        .expect("sbatch runs");
    assert!(
        o.status.success(),
        "sbatch failed:\n{}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    let array = stdout(&o)
        .trim()
        .split(';')
        .next()
        .expect("job id")
        .to_string();
    assert!(
        !array.is_empty() && array.chars().all(|c| c.is_ascii_digit()),
        "sbatch --parsable printed {array:?}"
    );
    work.jobs.push(array.clone());

    let deadline = Instant::now() + SLURM_TIMEOUT;
    wait_gone(&array, deadline);
    let states = job_states(&array);
    assert_eq!(states.len(), 4, "four array tasks: {states:?}");
    assert!(
        states.iter().all(|s| s == "COMPLETED"),
        "array job {array}: {states:?}"
    );

    let merge_file = workdir.join("merge.jobid");
    let merge = std::fs::read_to_string(&merge_file)
        .unwrap_or_else(|e| panic!("{}: {e}", merge_file.display()))
        .trim()
        .to_string();
    assert!(
        !merge.is_empty() && merge.chars().all(|c| c.is_ascii_digit()),
        "merge.jobid holds {merge:?}"
    );
    work.jobs.push(merge.clone());
    wait_gone(&merge, deadline);
    assert_eq!(job_states(&merge), ["COMPLETED"], "merge job {merge}");
    let on_slurm = t0.elapsed();

    ok(
        &tmp,
        &[
            "run",
            tiny.to_str().expect("utf-8 path"),
            "-r",
            "12",
            "--out",
            "local",
            "-q",
        ],
    );
    for f in ["runs.parquet", "monthly.parquet"] {
        let merged = std::fs::read(workdir.join("result").join(f))
            .unwrap_or_else(|e| panic!("result/{f}: {e}"));
        let local =
            std::fs::read(tmp.join("local").join(f)).unwrap_or_else(|e| panic!("local/{f}: {e}"));
        assert!(
            merged == local,
            "{f}: the Slurm sweep's differs from the local run's"
        );
    }
    println!(
        "slurm_sweep_matches_a_local_run: array {array} and merge {merge} done in {:.1} s",
        on_slurm.as_secs_f64()
    );
}
