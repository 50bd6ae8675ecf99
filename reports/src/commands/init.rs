//! `dcplan init`: a commented template scenario to start from.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use dcplan_sim::scenario::{DEFAULT_SCENARIO_RON, ron_text};

use crate::commands::console::{errln, outln};

/// `dcplan init`: write the template as NAME.ron (or the path NAME when it ends in `.ron`).
pub fn main(name: &str, force: bool) -> Result<ExitCode> {
    let stem = name.strip_suffix(".ron").unwrap_or(name);
    // The file's own name must name something: not empty, not a folder, not `.` or `..`.
    let last = stem.rsplit(['/', '\\']).next().unwrap_or(stem);
    if last.trim().is_empty() || last == "." || last == ".." {
        errln!(
            "error: `{name}` names no scenario; give a name such as my-build (writes my-build.ron)"
        );
        return Ok(ExitCode::FAILURE);
    }
    let (path, name) = match name.strip_suffix(".ron") {
        Some(stem) => (
            PathBuf::from(name),
            PathBuf::from(stem)
                .file_name()
                .map_or("my-build".into(), |n| n.to_string_lossy().into_owned()),
        ),
        None => (PathBuf::from(format!("{name}.ron")), name.to_string()),
    };
    if let Err(why) = crate::store::output::may_write_named_file(&path, force) {
        errln!("error: {} {why}", path.display());
        return Ok(ExitCode::FAILURE);
    }
    let text = scenario_template(&name);
    // The template must validate as written.
    if let Err(e) = dcplan_sim::load_str(&path.display().to_string(), &text) {
        anyhow::bail!("the template does not validate: {e}");
    }
    crate::store::output::write_atomic(&path, text.as_bytes())?;
    outln!("wrote {}", path.display());
    outln!(
        "next: edit it, then `dcplan check {0}` and `dcplan run {0}`",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// A commented template scenario named `name`: the default scenario (every number with its
/// source), headed by a guide to the format, with a sweep example to uncomment.
pub(crate) fn scenario_template(name: &str) -> String {
    let body = &DEFAULT_SCENARIO_RON[DEFAULT_SCENARIO_RON.find("Scenario(").unwrap_or(0)..];
    let quoted = format!("{name:?}");
    let body = ron_text::set(body, "name", &quoted).unwrap_or_else(|_| body.to_string());
    let body = ron_text::set(
        &body,
        "description",
        "\"Describe the build in a sentence: fleet, site, customers\"",
    )
    .unwrap_or(body);
    let sweep = r#"    // A sweep runs variants of this scenario side by side with common random numbers
    // (`dcplan run` then writes a comparison). Uncomment to compare three fleet sizes:
    // sweep: (
    //     axes: [
    //         (path: "fleet[0].gpus", values: [2048, 3072, 4096]),
    //     ],
    // ),
"#;
    let body = match body.find("    simulation: (") {
        Some(i) => format!("{}{sweep}{}", &body[..i], &body[i..]),
        None => body,
    };
    format!(
        r#"// {name}: a dcplan scenario.
//
// How to edit it:
// - Units are in field names: _mw, _kw, _usd, _usd_per_gpu_hour, _months, _frac (0.2 = 20 %), _c.
// - Any number you are unsure of can be a distribution, drawn once per replication:
//   Fixed(x), Uniform(lo, hi), Triangular(min, mode, max), Normal(mean, sd),
//   LogNormal(median, p90), Pert(min, mode, max).
// - Write the source of every number in a comment on its line; the report's assumptions table
//   shows it. Quality tags: P primary, S secondary, E estimate, D derived.
// - GPU SKUs, climates, cooling presets and tariffs come from the built-in catalogs:
//   `dcplan catalog` lists them with their sources.
// - `dcplan check {name}.ron` lists every problem with its line and column;
//   `dcplan run {name}.ron` writes the report; `dcplan sensitivity` and `dcplan optimize`
//   show which inputs matter and which decisions are best (see the optimize section below).
//
// The values below are those of the built-in default scenario: 4,096 H100 GPUs in a 6 MW hall in
// Northern Virginia. Change them to your build.
{body}"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_validates_and_keeps_the_sources() {
        let text = scenario_template("acme-build");
        let loaded =
            dcplan_sim::load_str("acme-build.ron", &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.scenario.name, "acme-build");
        assert!(text.contains("// sweep: ("));
        assert!(text.contains("Cushman & Wakefield"));
    }
}
