//! `--state FILE` survives SIGKILL: an emulator in a child process (this test binary re-run with
//! an environment variable, so no other binary is needed) is killed while a client creates
//! cases, restarted on the same file, and every acknowledged case is found intact; a reader
//! polling the file meanwhile never finds it half-written.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sirops::emulator::EmulatorConfig;

use crate::support::{client, get_case, new_case};

const CHILD_STATE_VARIABLE: &str = "SIROPS_TEST_EMULATOR_CHILD_STATE";

/// Runs the emulator when started as the child of `acknowledged_cases_survive_sigkill`;
/// otherwise does nothing.
#[test]
fn emulator_child_process() {
    let Ok(state_file) = std::env::var(CHILD_STATE_VARIABLE) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = EmulatorConfig {
        state_file: Some(state_file.into()),
        ..EmulatorConfig::default()
    };
    runtime.block_on(sirops::emulator::run(config)).unwrap();
}

/// Starts the child emulator on `state_file`; returns it and its endpoint.
fn spawn_emulator(state_file: &Path) -> (Child, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "emulator::durability::emulator_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_STATE_VARIABLE, state_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let endpoint = loop {
        let line = lines.next().expect("the child prints its address").unwrap();
        // libtest writes the test's name first on the same line.
        if let Some((_, endpoint)) = line.split_once("listening on ") {
            break endpoint.trim().to_string();
        }
    };
    // Keep reading so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, endpoint)
}

fn assert_state_file_parses(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let document: serde_json::Value =
        serde_json::from_slice(&bytes).expect("the state file is whole");
    assert!(document["cases"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_cases_survive_sigkill() {
    let directory = tempfile::tempdir().unwrap();
    let state_file = directory.path().join("state.json");
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();

    // A reader that checks the file is always a whole document while writes go on.
    let stop_reading = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (path, stop, reads) = (
            state_file.clone(),
            Arc::clone(&stop_reading),
            Arc::clone(&reads),
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Ok(bytes) = std::fs::read(&path) {
                    serde_json::from_slice::<serde_json::Value>(&bytes)
                        .expect("never half-written");
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };

    for round in 0..3u64 {
        let (mut child, endpoint) = spawn_emulator(&state_file);
        let client = client(&endpoint);
        let known = acknowledged.lock().unwrap().clone();
        for (case_id, title) in &known {
            let case = get_case(&client, case_id).await.unwrap();
            assert_eq!(case.title(), Some(title.as_str()));
        }
        let writer = {
            let (client, acknowledged) = (client.clone(), Arc::clone(&acknowledged));
            tokio::spawn(async move {
                for index in 0.. {
                    let title = format!("Round {round} case {index}");
                    match new_case(&client, &title).send().await {
                        Ok(created) => acknowledged
                            .lock()
                            .unwrap()
                            .push((created.case_id().to_string(), title)),
                        Err(_) => break,
                    }
                }
            })
        };
        // Kill mid-stream, but only once this round has stored something: on a loaded machine
        // the first create can take longer than the sleep alone.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while acknowledged.lock().unwrap().len() == known.len()
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(300 + 150 * round)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        tokio::time::timeout(Duration::from_secs(10), writer)
            .await
            .unwrap()
            .unwrap();
        assert_state_file_parses(&state_file);
    }

    let (mut child, endpoint) = spawn_emulator(&state_file);
    let client = client(&endpoint);
    let known = acknowledged.lock().unwrap().clone();
    assert!(
        known.len() > 10,
        "the writer made progress: {}",
        known.len()
    );
    for (case_id, title) in &known {
        let case = get_case(&client, case_id).await.unwrap();
        assert_eq!(case.title(), Some(title.as_str()));
    }
    let listed = client
        .list_cases()
        .send()
        .await
        .unwrap()
        .total()
        .unwrap_or_default();
    assert!(listed as usize >= known.len());
    child.kill().unwrap();
    child.wait().unwrap();
    stop_reading.store(true, Ordering::Relaxed);
    reader.join().unwrap();
    assert!(reads.load(Ordering::Relaxed) > 0);
}
