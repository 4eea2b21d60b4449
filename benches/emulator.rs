//! Emulator benchmark (not a timed test): GetCase throughput through the real SDK with 16
//! concurrent tasks on loopback, and resident memory with 100,000 cases stored.
//! Targets: over 5,000 GetCase/s, under 500 MB. Run with `cargo bench --bench emulator`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_securityir::Client;
use aws_sdk_securityir::config::retry::RetryConfig;
use sirops::emulator::{Emulator, EmulatorConfig};

mod support;

use support::fixtures::{client_config, new_case};

const CASES: usize = 100_000;
const TASKS: usize = 16;
const READ_FOR: Duration = Duration::from_secs(5);

fn client(endpoint_url: &str) -> Client {
    let config = client_config(endpoint_url, "AKIDBENCH", "us-east-1")
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// `VmHWM` and `VmRSS` of this process, in MB.
fn resident_memory_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kilobytes| kilobytes / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

async fn create_cases(client: &Client, count: usize) -> Vec<String> {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (client, next) = (client.clone(), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let mut created = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed) as usize;
                if index >= count {
                    return created;
                }
                let response = new_case(&client, &format!("Benchmark case {index}"))
                    .description("A case made by the emulator benchmark to fill the store.")
                    .impacted_services("Amazon S3")
                    .tags("sirops:name", format!("bench-{index}"))
                    .send()
                    .await
                    .expect("CreateCase succeeds");
                created.push(response.case_id().to_string());
            }
        }));
    }
    let mut all = Vec::with_capacity(count);
    for task in tasks {
        all.extend(task.await.expect("creator task"));
    }
    all
}

async fn get_case_throughput(client: &Client, case_ids: Arc<Vec<String>>) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let (client, case_ids, done) = (client.clone(), Arc::clone(&case_ids), Arc::clone(&done));
        tasks.push(tokio::spawn(async move {
            let mut index = task * 7919;
            while started.elapsed() < READ_FOR {
                let case_id = &case_ids[index % case_ids.len()];
                client
                    .get_case()
                    .case_id(case_id)
                    .send()
                    .await
                    .expect("GetCase succeeds");
                done.fetch_add(1, Ordering::Relaxed);
                index += 1;
            }
        }));
    }
    for task in tasks {
        task.await.expect("reader task");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let emulator = Emulator::start(EmulatorConfig::default()).await.expect("emulator starts");
        let client = client(&emulator.endpoint_url());

        let started = Instant::now();
        let case_ids = Arc::new(create_cases(&client, CASES).await);
        let creating = started.elapsed();
        println!(
            "CreateCase: {CASES} cases in {:.1}s ({:.0}/s, {TASKS} tasks)",
            creating.as_secs_f64(),
            CASES as f64 / creating.as_secs_f64()
        );

        let per_second = get_case_throughput(&client, case_ids).await;
        let verdict = if per_second > 5_000.0 { "ok" } else { "BELOW TARGET" };
        println!("GetCase: {per_second:.0}/s with {TASKS} concurrent SDK tasks (target > 5000: {verdict})");

        let (peak, resident) = resident_memory_mb();
        let verdict = if peak < 500.0 { "ok" } else { "ABOVE TARGET" };
        println!(
            "Memory with {} cases: VmHWM {peak:.0} MB, VmRSS {resident:.0} MB (target < 500 MB: {verdict})",
            emulator.stats().cases
        );
        emulator.shutdown().await;
    });
}
