//! Headless Chromium for the console tests (`#[path = "support/chromium.rs"] mod chromium;`).

use std::process::Command;

/// Chromium, headless, as `.ci/run` installs it; its absence fails the test.
pub fn chromium(args: &[&str], url: &str) -> String {
    let profile = std::env::temp_dir().join(format!(
        "observe-chromium-{}-{}",
        std::process::id(),
        args.len()
    ));
    let _ = std::fs::remove_dir_all(&profile);
    let output = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium must be installed (Debian package `chromium`; .ci/run installs it)");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
