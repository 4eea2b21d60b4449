//! Reconcile benchmark (not a timed test): wall time, API calls and peak memory of the `sirops`
//! release binary against an in-process emulator, for `plan` of an in-sync repository of bound
//! manifests and `apply` when 10% of cases change, at 100, 1,000 and 5,000 cases and 0 or 20 ms
//! of emulator latency; and `validate` over 10,000 manifests. The lower bound is
//! `ceil(round trips / parallelism) x latency`: what a perfectly parallel client would need,
//! where a bound case's tag read, which travels beside its GetCase, adds no round trip.
//! Run with `cargo bench --bench reconcile`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use sirops::emulator::{Emulator, EmulatorConfig, RunningEmulator};

mod support;

const SIZES: [usize; 3] = [100, 1_000, 5_000];
const LATENCIES_MS: [u64; 2] = [0, 20];
const PARALLELISM: usize = 16;
const VALIDATE_MANIFESTS: usize = 10_000;

struct Measured {
    wall: Duration,
    peak_kib: Option<u64>,
    code: i32,
}

/// Runs `sirops ARGS` in `dir` under `/usr/bin/time -f %M` when available (peak RSS in KiB on
/// its last stderr line).
fn sirops(dir: &Path, endpoint: &str, args: &[&str]) -> Measured {
    let binary = env!("CARGO_BIN_EXE_sirops");
    let timed = Path::new("/usr/bin/time").exists();
    let mut command = if timed {
        let timed_args: Vec<&str> = ["-f", "%M", binary]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        support::sirops_command(Path::new("/usr/bin/time"), dir, endpoint, &timed_args)
    } else {
        support::sirops_command(Path::new(binary), dir, endpoint, args)
    };
    let started = Instant::now();
    let output = command.output().expect("run sirops");
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let peak_kib = if timed {
        stderr
            .lines()
            .last()
            .and_then(|line| line.trim().parse().ok())
    } else {
        None
    };
    let code = output.status.code().unwrap_or(-1);
    if code != 0 {
        eprintln!("sirops {args:?} exited {code}:\n{stderr}");
    }
    Measured {
        wall,
        peak_kib,
        code,
    }
}

fn calls_during(
    emulator: &RunningEmulator,
    work: impl FnOnce() -> Measured,
) -> (Measured, BTreeMap<String, u64>) {
    let before = emulator.stats();
    let measured = work();
    let calls = emulator.stats().operations_since(&before);
    (measured, calls)
}

fn row(
    label: &str,
    cases: usize,
    latency_ms: u64,
    measured: &Measured,
    calls: &BTreeMap<String, u64>,
) {
    let total: u64 = calls.values().sum();
    let round_trips = total - calls.get("ListTagsForResource").copied().unwrap_or(0);
    let bound = Duration::from_millis(round_trips.div_ceil(PARALLELISM as u64) * latency_ms);
    let ratio = if bound.is_zero() {
        "-".to_string()
    } else {
        format!("{:.2}", measured.wall.as_secs_f64() / bound.as_secs_f64())
    };
    let calls_text: Vec<String> = calls
        .iter()
        .map(|(operation, count)| format!("{operation} {count}"))
        .collect();
    println!(
        "| {label} | {cases} | {latency_ms} | {:.2} | {} | {:.2} | {ratio} | {} | {} |",
        measured.wall.as_secs_f64(),
        total,
        bound.as_secs_f64(),
        measured
            .peak_kib
            .map_or("-".to_string(), |kib| format!("{:.1}", kib as f64 / 1024.0)),
        calls_text.join(", ")
    );
    if measured.code != 0 {
        println!("|   ^ exited {} | | | | | | | |", measured.code);
    }
}

async fn scenario(cases: usize, latency_ms: u64) {
    let emulator = Emulator::start(EmulatorConfig {
        latency: Duration::from_millis(latency_ms),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let endpoint = emulator.endpoint_url();
    let dir = tempfile::tempdir().unwrap();
    let cases_dir = support::write_manifests(dir.path(), cases);
    let path = dir.path().to_path_buf();
    let setup = {
        let (path, endpoint) = (path.clone(), endpoint.clone());
        tokio::task::spawn_blocking(move || sirops(&path, &endpoint, &support::CREATE_AND_BIND))
            .await
            .unwrap()
    };
    assert_eq!(setup.code, 0, "setup apply failed");

    let (plan, plan_calls) = {
        let (path, endpoint) = (path.clone(), endpoint.clone());
        let emulator = &emulator;
        tokio::task::block_in_place(|| {
            calls_during(emulator, || {
                sirops(&path, &endpoint, &["plan", "--parallelism", "16"])
            })
        })
    };
    row("plan (in sync)", cases, latency_ms, &plan, &plan_calls);

    support::retitle_a_tenth(&cases_dir, cases);
    let (apply, apply_calls) = tokio::task::block_in_place(|| {
        calls_during(&emulator, || {
            sirops(
                &path,
                &endpoint,
                &["apply", "--auto-approve", "--parallelism", "16"],
            )
        })
    });
    row(
        "apply (10% change)",
        cases,
        latency_ms,
        &apply,
        &apply_calls,
    );
    emulator.shutdown().await;
}

fn validate() {
    let dir = tempfile::tempdir().unwrap();
    let cases_dir = dir.path().join("cases");
    std::fs::create_dir_all(&cases_dir).unwrap();
    for index in 0..VALIDATE_MANIFESTS {
        let name = format!("case-{index:05}");
        std::fs::write(
            cases_dir.join(format!("{name}.yaml")),
            support::manifest(&name),
        )
        .unwrap();
    }
    let measured = sirops(dir.path(), "http://127.0.0.1:9", &["validate", "cases"]);
    row(
        "validate",
        VALIDATE_MANIFESTS,
        0,
        &measured,
        &BTreeMap::new(),
    );
}

fn main() {
    let only: Option<usize> = std::env::var("RECONCILE_MAX_CASES")
        .ok()
        .and_then(|value| value.parse().ok());
    println!(
        "sirops reconcile benchmark: {} cores, parallelism {PARALLELISM}",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    println!(
        "| run | cases | latency ms | wall s | calls | lower bound s | wall / bound | peak MiB | calls by operation |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for latency_ms in LATENCIES_MS {
        for cases in SIZES {
            if only.is_some_and(|max| cases > max) {
                continue;
            }
            runtime.block_on(scenario(cases, latency_ms));
        }
    }
    validate();
}
