//! The HTML report in a real browser: headless Chromium loads `report.html` of `tiny.ron`,
//! every chart is in the rendered page, and a screenshot is not blank.
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

    // A screenshot of the top of the report is not blank: text and chart colours cover part of it.
    let png = tmp.path().join("shot.png");
    let shot = headless(
        &browser,
        &profile,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,4000",
            &url,
        ],
    );
    assert!(
        shot.status.success() && png.exists(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let img = image::open(&png).expect("a PNG").to_rgb8();
    assert_eq!((img.width(), img.height()), (1280, 4000));
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
