//! The HTML report in a real browser: headless Chromium loads `report.html` of `tiny.ron`; the
//! title block and the key-assumptions table are there, every chart is drawn in the page and
//! every chart image of the folder loads, and a screenshot is not blank.
//!
//! Runs when a Chromium binary is on PATH (`.ci/run` installs Debian's `chromium` and sets
//! `DCPLAN_BROWSER_TEST=1`, which makes a missing browser a failure rather than a skip).

use std::path::{Path, PathBuf};
use std::process::Command;

use dcplan::commands::run::RUN_FILES;

use super::common::{ok, scenario};

fn browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|p| p.is_file())
}

fn headless(browser: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("the browser starts")
}

#[test]
fn the_report_renders_in_a_headless_browser() {
    let Some(browser) = browser() else {
        assert!(
            std::env::var("DCPLAN_BROWSER_TEST").map_or(true, |v| v != "1"),
            "DCPLAN_BROWSER_TEST=1 but no Chromium on PATH"
        );
        eprintln!("skipped: no Chromium on PATH (install Debian's `chromium` to run this test)");
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    ok(
        tmp.path(),
        &[
            "run",
            scenario("tiny.ron").to_str().expect("utf-8"),
            "-r",
            "6",
            "--out",
            "t",
            "-q",
        ],
    );
    let report = tmp.path().join("t/report.html");
    let url = format!("file://{}", report.display());
    let profile = tmp.path().join("profile");

    // Every chart is in the DOM the browser built.
    let dom = headless(&browser, &profile, &["--dump-dom", &url]);
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let charts = RUN_FILES.iter().filter(|f| f.ends_with(".svg")).count();
    assert_eq!(
        dom_text.matches("<svg").count(),
        charts,
        "one <svg> per chart in the rendered DOM"
    );
    assert!(dom_text.contains("Executive summary") && dom_text.contains("Assumptions"));
    // The title block: the project, when it was prepared, and the disclaimer.
    assert!(
        dom_text.contains(">prepared<")
            && dom_text.contains(">project<")
            && dom_text.contains("not a forecast"),
        "the title block"
    );
    // The key assumptions: a table of labelled inputs (no field paths) with their influence on
    // NPV, before the full list of assumptions.
    let key_at = dom_text
        .find(">Key assumptions<")
        .expect("a key-assumptions heading");
    let key_table = &dom_text[key_at..];
    let key_table = &key_table[..key_table.find("</table>").expect("a key-assumptions table")];
    assert!(key_table.contains(">influence on NPV<"), "{key_table}");
    let rows = key_table.matches("<tr>").count() - 1;
    assert!(
        (3..=16).contains(&rows),
        "{rows} key assumptions: {key_table}"
    );
    assert!(key_table.contains("Site: PUE") && key_table.contains("rank correlation"));
    assert!(!key_table.contains("site.pue") && !key_table.contains("fleet[0]"));
    assert!(
        key_at
            < dom_text
                .find(">Assumptions<")
                .expect("the assumptions appendix"),
        "key assumptions come before the appendix"
    );

    // Every chart is drawn (an inline SVG with a real size on the page) and every chart image of
    // the folder loads in the browser: a copy of the report with a probe that reports both.
    let pngs: Vec<&str> = RUN_FILES
        .iter()
        .copied()
        .filter(|f| f.ends_with(".png"))
        .collect();
    let probe = format!(
        r#"<script>
window.addEventListener('load', () => {{
  const svgs = [...document.querySelectorAll('figure svg')];
  const drawn = svgs.filter(s => {{ const r = s.getBoundingClientRect(); return r.width > 100 && r.height > 50; }}).length;
  const pngs = {pngs:?};
  let loaded = 0, pending = pngs.length;
  const failed = [];
  const done = () => {{
    const d = document.createElement('p');
    d.id = 'chart-check';
    d.textContent = `svg ${{drawn}} of ${{svgs.length}}; png ${{loaded}} of ${{pngs.length}}; failed: ${{failed.join(' ')}}.`;
    document.body.appendChild(d);
  }};
  if (pending === 0) done();
  for (const src of pngs) {{
    const img = new Image();
    const settle = ok => {{ if (ok) loaded++; else failed.push(src); if (--pending === 0) done(); }};
    img.onload = () => settle(img.naturalWidth > 0 && img.naturalHeight > 0);
    img.onerror = () => settle(false);
    img.src = src;
  }}
}});
</script></body>"#
    );
    let html = std::fs::read_to_string(&report).expect("report.html");
    let probed = tmp.path().join("t/probe.html");
    std::fs::write(&probed, html.replace("</body>", &probe)).expect("probe page");
    let checked = headless(
        &browser,
        &profile,
        &[
            "--virtual-time-budget=20000",
            "--allow-file-access-from-files",
            "--dump-dom",
            &format!("file://{}", probed.display()),
        ],
    );
    let checked = String::from_utf8_lossy(&checked.stdout);
    let expected = format!(
        "svg {charts} of {charts}; png {n} of {n}; failed: .",
        n = pngs.len()
    );
    assert!(
        checked.contains(&expected),
        "expected {expected:?}: {}",
        checked
            .find("chart-check")
            .map_or("no probe result", |i| &checked
                [i..(i + 300).min(checked.len())])
    );
    assert!(pngs.len() >= 10, "{pngs:?}");

    // A screenshot of the top of the report (to past the first charts) is not blank: text and chart colours cover part of it.
    let png = tmp.path().join("shot.png");
    let shot = headless(
        &browser,
        &profile,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,12000",
            &url,
        ],
    );
    assert!(
        shot.status.success() && png.exists(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let img = image::open(&png).expect("a PNG").to_rgb8();
    assert_eq!((img.width(), img.height()), (1280, 12000));
    let total = (img.width() * img.height()) as f64;
    let non_white = img
        .pixels()
        .filter(|p| p.0.iter().any(|c| *c < 240))
        .count() as f64;
    let colourful = img
        .pixels()
        .filter(|p| p.0.iter().max().unwrap_or(&0) - p.0.iter().min().unwrap_or(&0) > 60)
        .count() as f64;
    assert!(
        non_white / total > 0.03,
        "only {:.1} % of the screenshot is not white",
        100.0 * non_white / total
    );
    assert!(
        colourful / total > 0.002,
        "no chart colours in the screenshot ({:.2} %)",
        100.0 * colourful / total
    );
}
