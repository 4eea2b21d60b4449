//! Throttled reconcile benchmark (not a timed test): how close `plan` and `apply` come to a
//! service quota's speed. The emulator answers with `--rate-limit R`: a token bucket per
//! operation holding R tokens (the burst) and refilled at R per second, everything over it
//! refused with a 429 ThrottlingException.
//!
//! For N bound cases it runs `plan` of the in-sync repository, then `apply` after a tenth of
//! the manifests changed their title, and reports wall time against the lower bound: N calls
//! of one operation need at least `(N - R) / R` seconds (the burst is free). Discovery's
//! GetCase and ListTagsForResource run side by side, so a plan's bound is `(N - R) / R`, and
//! an apply adds its N / 10 UpdateCase calls, which follow discovery. Buckets are full when
//! each run starts. Throttled calls are the 429s the emulator answered.
//!
//! Run with `cargo bench --bench throttled`; `THROTTLED_SIZES=300` and `THROTTLED_RATES=10`
//! (comma-separated) pick rows; `SIROPS_BIN` measures another build of sirops.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sirops::emulator::{Emulator, EmulatorConfig, RateLimits, RunningEmulator, StatsSnapshot};

mod support;

const SIZES: [usize; 2] = [300, 1_000];
const RATES: [f64; 3] = [5.0, 10.0, 25.0];
const PARALLELISM: usize = 16;

fn sirops_binary() -> PathBuf {
    std::env::var_os("SIROPS_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_sirops")),
        PathBuf::from,
    )
}

/// Runs `sirops ARGS` in `dir`; returns the wall time, or `None` with its stderr printed when
/// it failed.
fn sirops(dir: &Path, endpoint: &str, args: &[&str]) -> (Duration, i32) {
    let started = Instant::now();
    let output = support::sirops_command(&sirops_binary(), dir, endpoint, args)
        .output()
        .expect("run sirops");
    let wall = started.elapsed();
    let code = output.status.code().unwrap_or(-1);
    if code != 0 {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
        eprintln!(
            "sirops {args:?} exited {code}; last lines:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    (wall, code)
}

/// Successful and throttled calls per operation between two snapshots.
fn calls_between(
    before: &StatsSnapshot,
    after: &StatsSnapshot,
) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    let throttled: BTreeMap<String, u64> = after
        .throttled
        .iter()
        .map(|(operation, count)| {
            let earlier = before.throttled.get(operation).copied().unwrap_or(0);
            (operation.clone(), count - earlier)
        })
        .filter(|(_, count)| *count > 0)
        .collect();
    let succeeded = after
        .operations_since(before)
        .into_iter()
        .map(|(operation, count)| {
            let refused = throttled.get(&operation).copied().unwrap_or(0);
            (operation, count - refused)
        })
        .collect();
    (succeeded, throttled)
}

/// What a perfect client needs for `calls` calls of one operation whose bucket starts full.
fn seconds_for(calls: usize, rate: f64) -> f64 {
    (calls as f64 - rate).max(0.0) / rate
}

struct Run<'a> {
    label: &'a str,
    cases: usize,
    rate: f64,
    /// The lower bound in seconds: from the work the run must do, not from the calls it made,
    /// so that a run that gave up early does not look fast.
    bound: f64,
}

fn measure(run: Run, emulator: &RunningEmulator, dir: &Path, args: &[&str]) {
    // Every bucket full again, as if the run were the first of the hour.
    std::thread::sleep(Duration::from_secs_f64(1.0 + 1.0 / run.rate));
    let before = emulator.stats();
    let (wall, code) = sirops(dir, &emulator.endpoint_url(), args);
    let (succeeded, throttled) = calls_between(&before, &emulator.stats());
    let bound = run.bound;
    let successes: u64 = succeeded.values().sum();
    let refused: u64 = throttled.values().sum();
    let by_operation: Vec<String> = succeeded
        .iter()
        .map(|(operation, count)| {
            let refused = throttled.get(operation).copied().unwrap_or(0);
            format!("{operation} {count}+{refused}")
        })
        .collect();
    println!(
        "| {} | {} | {} | {:.1} | {:.1} | {:.2} | {} | {} | {:.1}% | {} | {} |",
        run.label,
        run.cases,
        run.rate,
        wall.as_secs_f64(),
        bound,
        wall.as_secs_f64() / bound.max(f64::EPSILON),
        successes,
        refused,
        100.0 * refused as f64 / successes.max(1) as f64,
        if code == 0 {
            "0".to_string()
        } else {
            code.to_string()
        },
        by_operation.join(", "),
    );
}

async fn scenario(cases: usize, rate: f64) {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("emulator-state.json");
    let cases_dir = support::write_manifests(dir.path(), cases);
    let unlimited = Emulator::start(EmulatorConfig {
        state_file: Some(state_file.clone()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let path = dir.path().to_path_buf();
    let endpoint = unlimited.endpoint_url();
    let (_, code) =
        tokio::task::block_in_place(|| sirops(&path, &endpoint, &support::CREATE_AND_BIND));
    assert_eq!(code, 0, "setup apply failed");
    unlimited.shutdown().await;

    let rate_limits = RateLimits {
        every_operation: Some(rate),
        ..RateLimits::default()
    };
    let emulator = Emulator::start(EmulatorConfig {
        state_file: Some(state_file),
        rate_limits,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let parallelism = PARALLELISM.to_string();
    tokio::task::block_in_place(|| {
        measure(
            Run {
                label: "plan (in sync)",
                cases,
                rate,
                bound: seconds_for(cases, rate),
            },
            &emulator,
            &path,
            &["plan", "--parallelism", &parallelism],
        );
    });
    support::retitle_a_tenth(&cases_dir, cases);
    tokio::task::block_in_place(|| {
        measure(
            Run {
                label: "apply (10% change)",
                cases,
                rate,
                bound: seconds_for(cases, rate) + seconds_for(cases.div_ceil(10), rate),
            },
            &emulator,
            &path,
            &["apply", "--auto-approve", "--parallelism", &parallelism],
        );
    });
    emulator.shutdown().await;
}

fn list<T: std::str::FromStr + Clone>(variable: &str, default: &[T]) -> Vec<T> {
    std::env::var(variable).ok().map_or_else(
        || default.to_vec(),
        |value| {
            value
                .split(',')
                .filter_map(|item| item.trim().parse().ok())
                .collect()
        },
    )
}

fn main() {
    println!(
        "sirops throttled benchmark: {} cores, parallelism {PARALLELISM}, binary {}",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        sirops_binary().display()
    );
    println!(
        "| run | cases | rate/s | wall s | bound s | wall / bound | successful calls | throttled calls | throttled / successful | exit | calls by operation (ok+throttled) |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for cases in list("THROTTLED_SIZES", &SIZES) {
        for rate in list("THROTTLED_RATES", &RATES) {
            runtime.block_on(scenario(cases, rate));
        }
    }
}
