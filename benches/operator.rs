//! Operator benchmark (not a timed test): `sirops reconcile` (release binary) against an
//! in-process emulator holding 100 in-sync, bound cases. It runs 1,000 rounds back to back and
//! reports the resident memory after 10, 100, 500 and 1,000 rounds (flat means nothing piles up
//! per round) and the CPU each round costs; then a second operator with a 5-minute interval is
//! left idle after its first round, and its CPU over a minute of waiting is reported.
//! Linux only (it reads `/proc`). Run with `cargo bench --bench operator`.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use sirops::emulator::{Emulator, EmulatorConfig};

mod support;

const CASES: usize = 100;
const ROUNDS: u64 = 1_000;
const SAMPLED_AT: [u64; 4] = [10, 100, 500, 1_000];
const IDLE: Duration = Duration::from_mins(1);

/// Resident memory and CPU seconds (user + system) of a process, from `/proc`.
fn usage(pid: u32) -> (u64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss_kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // The kernel's USER_HZ is 100 on every Linux this runs on.
    (rss_kib, ticks as f64 / 100.0)
}

/// Starts `sirops reconcile ARGS` with its log on a pipe; returns it and the metrics address.
fn reconcile(dir: &Path, endpoint: &str, args: &[&str]) -> (Child, String) {
    let mut all = vec![
        "--log-format",
        "json",
        "reconcile",
        "--listen",
        "127.0.0.1:0",
    ];
    all.extend_from_slice(args);
    let mut child =
        support::sirops_command(Path::new(env!("CARGO_BIN_EXE_sirops")), dir, endpoint, &all)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(stderr).lines();
        let address = lines.by_ref().map_while(Result::ok).find_map(|line| {
            serde_json::from_str::<serde_json::Value>(&line)
                .ok()
                .and_then(|entry| entry["address"].as_str().map(str::to_string))
        });
        if let Some(address) = address {
            sender.send(address).unwrap();
        }
        // Keep reading, so that the child never blocks on a full pipe.
        for _ in lines {}
    });
    let address = receiver.recv_timeout(Duration::from_secs(30)).unwrap();
    (child, address)
}

/// `sirops_rounds_total{result="success"}` from `/metrics`.
fn rounds(address: &str) -> u64 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: bench\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("sirops_rounds_total{result=\"success\"} "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

fn stop(mut child: Child) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

async fn scenario() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let endpoint = emulator.endpoint_url();
    let dir = tempfile::tempdir().unwrap();
    support::write_manifests(dir.path(), CASES);
    let path = dir.path().to_path_buf();
    tokio::task::spawn_blocking({
        let (path, endpoint) = (path.clone(), endpoint.clone());
        move || {
            let status = support::sirops_command(
                Path::new(env!("CARGO_BIN_EXE_sirops")),
                &path,
                &endpoint,
                &support::CREATE_AND_BIND,
            )
            .status()
            .unwrap();
            assert!(status.success(), "setup apply failed");
        }
    })
    .await
    .unwrap();

    let before = emulator.stats();
    let report = tokio::task::spawn_blocking({
        let (path, endpoint) = (path.clone(), endpoint.clone());
        move || {
            // An interval far shorter than a round: rounds run back to back.
            let (child, address) = reconcile(&path, &endpoint, &["--interval", "0.001s"]);
            let started = Instant::now();
            let mut samples = Vec::new();
            for at in SAMPLED_AT {
                while rounds(&address) < at {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let (rss, cpu) = usage(child.id());
                samples.push((at, rss, cpu, started.elapsed()));
            }
            stop(child);
            samples
        }
    })
    .await
    .unwrap();
    let calls = emulator.stats().operations_since(&before);

    let idle = tokio::task::spawn_blocking(move || {
        let (child, address) = reconcile(&path, &endpoint, &["--interval", "5m"]);
        while rounds(&address) < 1 {
            std::thread::sleep(Duration::from_millis(20));
        }
        let (_, cpu_before) = usage(child.id());
        std::thread::sleep(IDLE);
        let (rss, cpu_after) = usage(child.id());
        stop(child);
        (rss, cpu_after - cpu_before)
    })
    .await
    .unwrap();

    println!("## reconcile: {CASES} in-sync bound cases, rounds back to back\n");
    println!("| rounds | resident memory (MiB) | CPU seconds | wall seconds |");
    println!("| ---: | ---: | ---: | ---: |");
    for (at, rss, cpu, wall) in &report {
        println!(
            "| {at} | {:.1} | {cpu:.2} | {:.1} |",
            *rss as f64 / 1024.0,
            wall.as_secs_f64()
        );
    }
    let (_, _, first_cpu, first_wall) = report[0];
    let (_, _, last_cpu, last_wall) = report[report.len() - 1];
    let measured_rounds = (ROUNDS - SAMPLED_AT[0]) as f64;
    println!(
        "\nPer round after the first {}: {:.1} ms CPU, {:.1} ms wall; {} API calls in all ({:?}).",
        SAMPLED_AT[0],
        (last_cpu - first_cpu) / measured_rounds * 1000.0,
        last_wall.saturating_sub(first_wall).as_secs_f64() / measured_rounds * 1000.0,
        calls.values().sum::<u64>(),
        calls
    );
    println!(
        "\nIdle (5-minute interval, after its first round): {:.1} MiB resident, {:.3} CPU seconds over {}s ({:.3}% of a core).",
        idle.0 as f64 / 1024.0,
        idle.1,
        IDLE.as_secs(),
        idle.1 / IDLE.as_secs_f64() * 100.0
    );
}

fn main() {
    if !Path::new("/proc/self/stat").exists() {
        eprintln!("the operator benchmark reads /proc: Linux only");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(scenario());
}
