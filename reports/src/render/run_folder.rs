//! The tables of a finished run or comparison folder read back into the replication records the
//! run produced (for `dcplan report RUN_DIR`), after checking them against the manifest's hashes.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use dcplan_sim::montecarlo::ReplicationFailure;
use dcplan_sim::results::{Kpis, MonthRow};
use dcplan_sim::{Replication, RunOutput};
use polars_core::prelude::DataFrame;

use crate::render::tables::{self, PARAM_PREFIX, VariantRuns};
use crate::store::manifest::{self, Manifest};
use crate::store::output;

/// Whether `dir` is a finished run or comparison folder (not a part folder of a sharded run, not
/// a study).
pub(crate) fn is_run_folder(dir: &Path) -> bool {
    dir.join("manifest.ron").is_file()
        && dir.join("runs.parquet").is_file()
        && dir.join("monthly.parquet").is_file()
        && !dir.join("part.ron").exists()
}

/// Tables a run folder must hold, and whether each is required (`hourly.parquet` exists only when
/// some replication kept hourly flows).
const DATA_FILES: &[(&str, bool)] = &[
    ("runs.parquet", true),
    ("monthly.parquet", true),
    ("fleet.parquet", true),
    ("market.parquet", true),
    ("hourly.parquet", false),
    ("decisions.parquet", false),
];

/// Every data file the manifest lists must still have its recorded hash.
pub(crate) fn check_hashes(dir: &Path, manifest: &Manifest) -> Result<()> {
    let mut problems = Vec::new();
    let recorded: HashMap<&str, &str> = manifest
        .files
        .iter()
        .map(|(f, h)| (f.as_str(), h.as_str()))
        .collect();
    let mut data: Vec<&str> = DATA_FILES.iter().map(|(f, _)| *f).collect();
    data.extend(["scenario.ron", "compare.ron"]);
    for f in data {
        let path = dir.join(f);
        let required = DATA_FILES.iter().any(|(g, r)| *g == f && *r);
        match (recorded.get(f), path.exists()) {
            (Some(h), true) => {
                let bytes = output::read_limited(&path, output::MAX_DATA_BYTES)
                    .with_context(|| format!("reading {}", path.display()))?;
                let got = manifest::hash_bytes(&bytes);
                if got != *h {
                    problems.push(format!(
                        "{}: changed since the run (hash {got}, the manifest records {h})",
                        path.display()
                    ));
                }
            }
            (Some(_), false) => problems.push(format!(
                "{}: missing (the manifest lists it)",
                path.display()
            )),
            (None, true) => {
                problems.push(format!("{}: not listed in the manifest", path.display()))
            }
            (None, false) if required => problems.push(format!("{}: missing", path.display())),
            (None, false) => {}
        }
    }
    // The copies of the scenario's inputs: each listed copy unchanged, nothing else among them.
    let listed = manifest::listed_inputs(&manifest.files);
    for (name, h) in &listed {
        if !manifest::is_listable(name) {
            problems.push(format!(
                "the manifest lists `{}`, which is not a file of a run folder",
                output::clean_for_terminal(name)
            ));
            continue;
        }
        let path = dir.join(name);
        match output::read_limited(&path, output::MAX_DATA_BYTES) {
            Ok(bytes) => {
                let got = manifest::hash_bytes(&bytes);
                if got != *h {
                    problems.push(format!(
                        "{}: changed since the run (hash {got}, the manifest records {h}); the results were made from the file as it was",
                        path.display()
                    ));
                }
            }
            Err(_) if std::fs::symlink_metadata(&path).is_err() => problems.push(format!(
                "{}: missing (the manifest lists it)",
                path.display()
            )),
            Err(e) => problems.push(format!("{}: {e:#}", path.display())),
        }
    }
    for (name, path) in manifest::files_under(dir, manifest::INPUTS_DIR)? {
        if !listed.iter().any(|(f, _)| *f == name) {
            problems.push(format!(
                "{}: not listed in the manifest (the run read no such input)",
                path.display()
            ));
        }
    }
    if !problems.is_empty() {
        bail!(
            "cannot rebuild {}:\n  {}",
            dir.display(),
            problems.join("\n  ")
        );
    }
    Ok(())
}

/// Where each (variant, replication) of `runs.parquet` went.
struct Index {
    variants: HashMap<String, usize>,
    reps: Vec<HashMap<u64, usize>>,
}

impl Index {
    fn get(
        &self,
        variant: &str,
        replication: u64,
        table: &str,
        row: usize,
    ) -> Result<(usize, usize)> {
        let v = *self.variants.get(variant).ok_or_else(|| {
            anyhow!("{table} row {row}: variant `{variant}` is not in runs.parquet")
        })?;
        let r = *self.reps[v].get(&replication).ok_or_else(|| {
            anyhow!(
                "{table} row {row}: replication {replication} of `{variant}` is not in runs.parquet"
            )
        })?;
        Ok((v, r))
    }
}

/// The replications of every variant, read from the folder's tables.
pub(crate) fn read_runs(
    dir: &Path,
    manifest: &Manifest,
    names: &[String],
    starts: &[dcplan_sim::time::YearMonth],
) -> Result<Vec<VariantRuns>> {
    let read = |f: &str| read_table(&dir.join(f));
    let mut out: Vec<VariantRuns> = names
        .iter()
        .zip(starts)
        .map(|(name, start)| VariantRuns {
            name: name.clone(),
            seed: manifest.seed,
            start: *start,
            axes: Vec::new(),
            output: RunOutput {
                replications: Vec::new(),
                failures: Vec::new(),
            },
        })
        .collect();
    let mut index = Index {
        variants: names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect(),
        reps: vec![HashMap::new(); names.len()],
    };

    read_runs_table(&read("runs.parquet")?, names, &mut index, &mut out)?;
    read_monthly(&read("monthly.parquet")?, &index, &mut out)?;
    read_market(&read("market.parquet")?, &index, &mut out)?;
    read_fleet(&read("fleet.parquet")?, &index, &mut out)?;
    if dir.join("hourly.parquet").exists() {
        read_hourly(&read("hourly.parquet")?, &index, &mut out)?;
    }
    if dir.join("decisions.parquet").exists() {
        read_decisions(&read("decisions.parquet")?, &index, &mut out)?;
    }
    read_failures(manifest, names, &mut out)?;
    for v in &out {
        let got = v.output.replications.len() as u64 + v.output.failures.len() as u64;
        if got != manifest.replications {
            bail!(
                "variant `{}`: the folder holds {got} replications, the manifest records {}",
                v.name,
                manifest.replications
            );
        }
    }
    Ok(out)
}

/// runs.parquet: KPIs, sampled inputs and event counts; fills the index.
fn read_runs_table(
    runs: &DataFrame,
    names: &[String],
    index: &mut Index,
    out: &mut [VariantRuns],
) -> Result<()> {
    let variant = strs(runs, "variant", "runs.parquet")?;
    let replication = u64s(runs, "replication", "runs.parquet")?;
    let events = u64s(runs, "events", "runs.parquet")?;
    let kpis: Vec<(&str, Vec<Option<f64>>)> = Kpis::COLUMNS
        .iter()
        .map(|c| Ok((c.name, measure(runs, c.name, "runs.parquet")?)))
        .collect::<Result<_>>()?;
    let params: Vec<(String, Vec<Option<f64>>)> = runs
        .get_column_names()
        .iter()
        .filter_map(|c| {
            c.strip_prefix(PARAM_PREFIX)
                .map(|p| (p.to_string(), c.to_string()))
        })
        .map(|(p, c)| Ok((p, f64s(runs, &c, "runs.parquet")?)))
        .collect::<Result<_>>()?;
    for row in 0..runs.height() {
        let v = *index.variants.get(&variant[row]).ok_or_else(|| {
            anyhow!(
                "runs.parquet row {row}: variant `{}` is not one of the scenario's ({})",
                variant[row],
                names.join(", ")
            )
        })?;
        let mut k = Kpis::default();
        for (name, values) in &kpis {
            k.set(name, values[row]);
        }
        let reps = &mut out[v].output.replications;
        if index.reps[v].insert(replication[row], reps.len()).is_some() {
            bail!(
                "runs.parquet row {row}: replication {} of `{}` appears twice",
                replication[row],
                variant[row]
            );
        }
        reps.push(Replication {
            index: replication[row],
            kpis: k,
            months: Vec::new(),
            params: params
                .iter()
                .filter_map(|(p, values)| values[row].map(|x| (p.clone(), x)))
                .collect(),
            fleet: Vec::new(),
            skus: Vec::new(),
            market_prices: Vec::new(),
            hourly: Vec::new(),
            events: events[row],
            decisions: Vec::new(),
            trace: None,
        });
    }
    Ok(())
}

/// monthly.parquet: one row per month, in month order within a replication.
fn read_monthly(monthly: &DataFrame, index: &Index, out: &mut [VariantRuns]) -> Result<()> {
    let (variant, replication) = (
        strs(monthly, "variant", "monthly.parquet")?,
        u64s(monthly, "replication", "monthly.parquet")?,
    );
    let month = u64s(monthly, "month", "monthly.parquet")?;
    let columns: Vec<(&str, Vec<Option<f64>>)> = MonthRow::COLUMNS
        .iter()
        .filter(|c| c.name != "month")
        .map(|c| Ok((c.name, measure(monthly, c.name, "monthly.parquet")?)))
        .collect::<Result<_>>()?;
    for row in 0..monthly.height() {
        let (v, r) = index.get(&variant[row], replication[row], "monthly.parquet", row)?;
        let mut m = MonthRow {
            month: month[row] as f64,
            ..MonthRow::default()
        };
        for (name, values) in &columns {
            m.set(name, values[row]);
        }
        out[v].output.replications[r].months.push(m);
    }
    Ok(())
}

/// market.parquet: the SKU order of a replication is the order of its price paths.
fn read_market(market: &DataFrame, index: &Index, out: &mut [VariantRuns]) -> Result<()> {
    let (variant, replication) = (
        strs(market, "variant", "market.parquet")?,
        u64s(market, "replication", "market.parquet")?,
    );
    let (month, sku) = (
        u64s(market, "month", "market.parquet")?,
        strs(market, "sku", "market.parquet")?,
    );
    let price = f64s(market, "market_price_usd_per_gpu_hour", "market.parquet")?;
    for row in 0..market.height() {
        let (v, r) = index.get(&variant[row], replication[row], "market.parquet", row)?;
        let rep = &mut out[v].output.replications[r];
        if month[row] == 0 || rep.skus.last() != Some(&sku[row]) {
            rep.skus.push(sku[row].clone());
            rep.market_prices.push(Vec::new());
        }
        rep.market_prices
            .last_mut()
            .expect("pushed above")
            .push(price[row].unwrap_or(f64::NAN));
    }
    Ok(())
}

/// fleet.parquet: GPUs per state, by SKU.
fn read_fleet(fleet: &DataFrame, index: &Index, out: &mut [VariantRuns]) -> Result<()> {
    use dcplan_sim::model::fleet::{GpuState, N_GPU_STATES};
    let (variant, replication) = (
        strs(fleet, "variant", "fleet.parquet")?,
        u64s(fleet, "replication", "fleet.parquet")?,
    );
    let (month, sku) = (
        u64s(fleet, "month", "fleet.parquet")?,
        strs(fleet, "sku", "fleet.parquet")?,
    );
    let states: Vec<Vec<u64>> = GpuState::ALL
        .iter()
        .map(|s| u64s(fleet, &format!("{}_gpus", s.label()), "fleet.parquet"))
        .collect::<Result<_>>()?;
    for row in 0..fleet.height() {
        let (v, r) = index.get(&variant[row], replication[row], "fleet.parquet", row)?;
        let rep = &mut out[v].output.replications[r];
        let k = match rep.skus.iter().position(|s| *s == sku[row]) {
            Some(k) => k,
            None => {
                rep.skus.push(sku[row].clone());
                rep.skus.len() - 1
            }
        };
        let mut gpus = [0u64; N_GPU_STATES];
        for (i, s) in GpuState::ALL.iter().enumerate() {
            gpus[*s as usize] = states[i][row];
        }
        rep.fleet.push((month[row] as u32, k as u16, gpus));
    }
    Ok(())
}

/// decisions.parquet: the firings of expansion policies, in order within a replication.
fn read_decisions(table: &DataFrame, index: &Index, out: &mut [VariantRuns]) -> Result<()> {
    const FILE: &str = "decisions.parquet";
    let (variant, replication) = (
        strs(table, "variant", FILE)?,
        u64s(table, "replication", FILE)?,
    );
    let (month, effective) = (
        u64s(table, "month", FILE)?,
        u64s(table, "effective_month", FILE)?,
    );
    let (rule, action, target) = (
        strs(table, "rule", FILE)?,
        strs(table, "action", FILE)?,
        strs(table, "target", FILE)?,
    );
    let (gpus, capex) = (f64s(table, "gpus", FILE)?, f64s(table, "capex_usd", FILE)?);
    for row in 0..table.height() {
        let (v, r) = index.get(&variant[row], replication[row], FILE, row)?;
        out[v].output.replications[r]
            .decisions
            .push(dcplan_sim::results::Decision {
                month: month[row] as u32,
                rule: rule[row].clone(),
                action: action[row].clone(),
                target: target[row].clone(),
                gpus: gpus[row].unwrap_or(f64::NAN),
                capex_usd: capex[row].unwrap_or(f64::NAN),
                effective_month: effective[row] as u32,
            });
    }
    Ok(())
}

/// hourly.parquet: the replications that kept hourly flows.
fn read_hourly(hourly: &DataFrame, index: &Index, out: &mut [VariantRuns]) -> Result<()> {
    let (variant, replication) = (
        strs(hourly, "variant", "hourly.parquet")?,
        u64s(hourly, "replication", "hourly.parquet")?,
    );
    let flows: Vec<Vec<Option<f64>>> = tables::HOURLY_COLUMNS
        .iter()
        .map(|c| measure(hourly, c.name, "hourly.parquet"))
        .collect::<Result<_>>()?;
    for row in 0..hourly.height() {
        let (v, r) = index.get(&variant[row], replication[row], "hourly.parquet", row)?;
        let values: Vec<f64> = flows.iter().map(|c| c[row].unwrap_or(f64::NAN)).collect();
        out[v].output.replications[r]
            .hourly
            .push(tables::hourly_from_values(&values));
    }
    Ok(())
}

/// Failed replications, from the manifest (prefixed with the variant name when there are several).
fn read_failures(manifest: &Manifest, names: &[String], out: &mut [VariantRuns]) -> Result<()> {
    for (i, message) in &manifest.failures {
        let (v, message) = if out.len() > 1 {
            let v = names
                .iter()
                .position(|n| message.starts_with(&format!("{n}: ")))
                .ok_or_else(|| {
                    anyhow!("manifest.ron: failure of replication {i} names no variant: {message}")
                })?;
            (v, message[names[v].len() + 2..].to_string())
        } else {
            (0, message.clone())
        };
        out[v].output.failures.push(ReplicationFailure {
            index: *i,
            seed: manifest.seed,
            message,
        });
    }
    Ok(())
}

fn column<'a>(
    df: &'a DataFrame,
    name: &str,
    table: &str,
) -> Result<&'a polars_core::prelude::Column> {
    let c = df.column(name).map_err(|_| {
        anyhow!("{table}: no column `{name}` (written by another version of dcplan?)")
    })?;
    if c.len() != df.height() {
        bail!(
            "{table}: column `{name}` has {} rows, the table {} (the file is damaged)",
            c.len(),
            df.height()
        );
    }
    Ok(c)
}

/// Read a table of a run folder: a regular file that polars reads without failing or panicking,
/// whose columns all have the table's height.
fn read_table(path: &Path) -> Result<DataFrame> {
    output::require_regular(path, output::MAX_DATA_BYTES)?;
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let read = std::panic::catch_unwind(|| tables::read_parquet(path));
    std::panic::set_hook(quiet);
    let df = match read {
        Ok(df) => df?,
        Err(_) => bail!(
            "{}: damaged (the parquet reader failed on its bytes)",
            path.display()
        ),
    };
    for c in df.columns() {
        if c.len() != df.height() {
            bail!(
                "{}: column `{}` has {} rows, the table {} (the file is damaged)",
                path.display(),
                c.name(),
                c.len(),
                df.height()
            );
        }
    }
    Ok(df)
}

fn strs(df: &DataFrame, name: &str, table: &str) -> Result<Vec<String>> {
    let c = column(df, name, table)?
        .str()
        .map_err(|e| anyhow!("{table}: column `{name}`: {e}"))?;
    c.iter()
        .enumerate()
        .map(|(row, x)| {
            x.map(str::to_string)
                .ok_or_else(|| anyhow!("{table} row {row}: `{name}` is empty"))
        })
        .collect()
}

fn u64s(df: &DataFrame, name: &str, table: &str) -> Result<Vec<u64>> {
    let c = column(df, name, table)?
        .cast(&polars_core::prelude::DataType::UInt64)
        .map_err(|e| anyhow!("{table}: column `{name}`: {e}"))?;
    let c = c
        .u64()
        .map_err(|e| anyhow!("{table}: column `{name}`: {e}"))?;
    c.iter()
        .enumerate()
        .map(|(row, x)| x.ok_or_else(|| anyhow!("{table} row {row}: `{name}` is empty")))
        .collect()
}

/// A measured quantity: a folder written before this build of dcplan measured it has no such
/// column, and rebuilds with the quantity missing (empty in tables, left out of charts) rather
/// than failing.
fn measure(df: &DataFrame, name: &str, table: &str) -> Result<Vec<Option<f64>>> {
    if df.column(name).is_err() {
        return Ok(vec![None; df.height()]);
    }
    f64s(df, name, table)
}

fn f64s(df: &DataFrame, name: &str, table: &str) -> Result<Vec<Option<f64>>> {
    let c = column(df, name, table)?
        .f64()
        .map_err(|e| anyhow!("{table}: column `{name}`: {e}"))?;
    Ok(c.iter().collect())
}
