//! End-to-end tests, one binary (Cargo names it `integration`).

mod apply;
mod bad_input;
mod compare;
mod compare_modes;
mod dashboard;
mod fixtures;
mod invariants;
mod live_dashboard;
mod mutations;
mod parallel_build;
#[cfg(feature = "parquet")]
mod parquet;
mod properties;
mod real_exports;
mod reliability;
mod snapshot;
mod validation;

// Sections (SPEC §3-§7, §10): fixtures, properties and shard-merge tests of each.
mod cohorts;
mod customer_picture;
mod customers;
mod lifecycle;
mod marketing;
mod partials;
mod profile;
mod rfm;
mod social;

/// Runs the dashboard example (`cargo run --example dashboard`) with `args`; (exit
/// code, stdout, stderr). The tests that check the binary's own behaviour (arguments,
/// exit status, messages) call it with their data folder and options.
pub(crate) fn run_dashboard<S: AsRef<std::ffi::OsStr>>(
    args: impl IntoIterator<Item = S>,
) -> (Option<i32>, String, String) {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "run",
            "--quiet",
            "--example",
            "dashboard",
            "--manifest-path",
        ])
        .arg(manifest)
        .arg("--")
        .args(args)
        .output()
        .expect("cargo runs the dashboard example");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
