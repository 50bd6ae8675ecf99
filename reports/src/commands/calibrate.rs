//! `dcplan calibrate`: a request trace fitted into a `demand` section (arrival rate, growth,
//! request sizes, durations), written as a RON fragment with the fit's statistics as comments.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use dcplan_sim::calibrate::{calibrate, fragment, parse_trace};
use dcplan_sim::scenario::read_regular_file;

use crate::commands::console::{errln, outln, say};

/// Largest trace dcplan reads.
const MAX_TRACE_BYTES: u64 = 1 << 30;

/// Load factor written into the fragment (a trace does not hold it): the scenario template's
/// on-demand load, to be replaced by a measured value.
const LOAD_FRAC: f64 = 0.7;

/// `dcplan calibrate TRACE [--out FILE]`: fit the trace and write the fragment to `out` (an
/// existing file only with `force`), or to standard output; a summary goes to standard error.
pub fn main(trace: &Path, out: Option<&Path>, force: bool) -> Result<ExitCode> {
    let file = trace.display().to_string();
    // Refused before any work, so a mistyped `--out` costs nothing.
    if let Some(path) = out
        && crate::store::output::overlaps(path, trace)
    {
        errln!(
            "error: {} is the trace being read; choose another --out",
            path.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    if let Some(path) = out
        && let Err(why) = crate::store::output::may_write_named_file(path, force)
    {
        errln!("error: {} {why}", path.display());
        return Ok(ExitCode::FAILURE);
    }
    let bytes = match read_regular_file(trace, MAX_TRACE_BYTES) {
        Ok(b) => b,
        Err(e) => {
            errln!("error: cannot read {file}: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        errln!("error: {file}: not UTF-8 text");
        return Ok(ExitCode::FAILURE);
    };
    let parsed = match parse_trace(&file, &text) {
        Ok(t) => t,
        Err(problems) => {
            for p in problems {
                errln!("error: {p}");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let fit = calibrate(&parsed);
    let problems = dcplan_sim::calibrate::fit_problems(&fit);
    if !problems.is_empty() {
        for p in problems {
            errln!("error: {file}: {p}");
        }
        return Ok(ExitCode::FAILURE);
    }
    let name = trace
        .file_name()
        .map_or(file.clone(), |n| n.to_string_lossy().into_owned());
    let text = fragment(&fit, &name, LOAD_FRAC);
    let r = &fit.rate;
    errln!(
        "{} requests over {:.1} days: {:.4} a day at the end (growth {:.1} % a year{}), durations {}",
        r.n,
        r.span_hours / 24.0,
        r.end_per_day,
        r.growth_per_year_frac() * 100.0,
        if r.growth_significant() {
            ""
        } else {
            ", not significant"
        },
        fit.chosen_duration().dist().describe()
    );
    match out {
        Some(path) => {
            crate::store::output::write_atomic(path, text.as_bytes())?;
            outln!("wrote {}", path.display());
        }
        None => say(&text),
    }
    Ok(ExitCode::SUCCESS)
}
