//! Latency and seeded faults: throttling and internal errors parse with their Retry-After, drops
//! reach the SDK as I/O failures, lost responses leave the change made, and `/_emulator/*` is
//! never faulted.

use std::time::{Duration, Instant};

use aws_sdk_securityir::config::retry::RetryConfig;
use aws_sdk_securityir::error::SdkError;
use aws_sdk_securityir::operation::create_case::CreateCaseError;
use sirops::emulator::EmulatorConfig;

use crate::support::{
    client_with_retries, create, create_with_token, get_case, new_case, raw_request,
    start_and_connect_with, start_with,
};

fn faulty(rate: f64, seed: u64) -> EmulatorConfig {
    EmulatorConfig {
        fault_rate: rate,
        seed,
        ..EmulatorConfig::default()
    }
}

/// What a client saw, in a form two runs can compare.
async fn outcomes(seed: u64) -> (Vec<String>, sirops::emulator::StatsSnapshot) {
    let (emulator, client) = start_and_connect_with(faulty(1.0, seed)).await;
    let mut seen = Vec::new();
    for index in 0..40 {
        let outcome = match new_case(&client, &format!("Faulty {index}")).send().await {
            Ok(_) => "ok".to_string(),
            Err(SdkError::ServiceError(error)) => match error.into_err() {
                CreateCaseError::ThrottlingException(throttling) => {
                    assert_eq!(throttling.retry_after_seconds(), Some(1));
                    "throttled".to_string()
                }
                CreateCaseError::InternalServerException(internal) => {
                    assert_eq!(internal.retry_after_seconds(), Some(1));
                    "internal".to_string()
                }
                other => panic!("unexpected error {other:?}"),
            },
            Err(SdkError::DispatchFailure(_)) => "dropped".to_string(),
            Err(other) => panic!("a dropped connection must be a dispatch failure, got {other:?}"),
        };
        seen.push(outcome);
    }
    let stats = emulator.stats();
    emulator.shutdown().await;
    (seen, stats)
}

#[tokio::test]
async fn a_seed_gives_a_reproducible_mix_of_every_fault() {
    let (first, stats) = outcomes(11).await;
    let (second, _) = outcomes(11).await;
    assert_eq!(first, second);
    for kind in ["throttled", "internal", "dropped"] {
        assert!(
            first.iter().any(|outcome| outcome == kind),
            "no {kind} in {first:?}"
        );
    }
    assert!(
        !first.iter().any(|outcome| outcome == "ok"),
        "rate 1.0 faults every request"
    );
    // Only lost responses made cases: the change happened, the answer did not arrive.
    let lost = stats
        .faults
        .get("LostResponse")
        .copied()
        .unwrap_or_default();
    assert!(lost > 0);
    assert_eq!(stats.cases, lost);
    assert_eq!(stats.requests, 40);
    assert_eq!(stats.faults.values().sum::<u64>(), 40);
    assert_eq!(
        stats
            .errors
            .get("ThrottlingException")
            .copied()
            .unwrap_or_default() as usize,
        first
            .iter()
            .filter(|outcome| *outcome == "throttled")
            .count()
    );
}

#[tokio::test]
async fn sdk_retries_with_client_tokens_make_exactly_one_case_each_despite_faults() {
    let emulator = start_with(faulty(0.4, 5)).await;
    let retry = RetryConfig::standard()
        .with_max_attempts(20)
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5));
    let client = client_with_retries(&emulator.endpoint_url(), retry);
    for index in 0..20 {
        create_with_token(
            &client,
            &format!("Retried {index}"),
            &format!("token-{index}"),
        )
        .await
        .unwrap();
    }
    let stats = emulator.stats();
    assert_eq!(stats.cases, 20);
    assert!(stats.faults.values().sum::<u64>() > 0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn emulator_paths_are_never_faulted_or_counted() {
    let emulator = start_with(faulty(1.0, 3)).await;
    for _ in 0..20 {
        let (status, _) = raw_request(emulator.address(), "GET", "/_emulator/stats", "").await;
        assert_eq!(status, 200);
    }
    assert_eq!(emulator.stats().requests, 0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn latency_delays_every_aws_request() {
    let (emulator, client) = start_and_connect_with(EmulatorConfig {
        latency: Duration::from_millis(150),
        ..EmulatorConfig::default()
    })
    .await;
    let started = Instant::now();
    let case_id = create(&client, "Slow").await;
    get_case(&client, &case_id).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    emulator.shutdown().await;
}
