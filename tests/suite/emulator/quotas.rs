//! `--rate-limit`: requests over an operation's quota are refused with a ThrottlingException
//! the SDK parses, before they take any effect, and counted.

use aws_sdk_securityir::operation::get_case::GetCaseError;
use aws_sdk_securityir::operation::update_case::UpdateCaseError;
use sirops::emulator::{EmulatorConfig, RateLimits};

use crate::support::{Refused, create, get_case, start_and_connect_with, update_title};

fn limited(specs: &[&str]) -> EmulatorConfig {
    let mut rate_limits = RateLimits::default();
    for spec in specs {
        rate_limits.add(spec.parse().unwrap());
    }
    EmulatorConfig {
        rate_limits,
        ..EmulatorConfig::default()
    }
}

#[tokio::test]
async fn requests_over_the_quota_are_throttled_with_the_quota_named() {
    let (emulator, client) = start_and_connect_with(limited(&["GetCase=5"])).await;
    let case_id = create(&client, "Quota").await;
    let mut throttled = Vec::new();
    for _ in 0..8 {
        match get_case(&client, &case_id).await {
            Ok(_) => {}
            Err(error) => throttled.push(error.into_service_error()),
        }
    }
    // The burst of five passes (a few more may as tokens refill meanwhile).
    assert!(
        (1..=3).contains(&throttled.len()),
        "{} throttled",
        throttled.len()
    );
    let GetCaseError::ThrottlingException(throttling) = &throttled[0] else {
        panic!("{:?}", throttled[0]);
    };
    assert_eq!(throttling.service_code(), Some("security-ir"));
    let quota = throttling.quota_code().unwrap();
    assert!(quota.starts_with("L-") && quota.len() == 10, "{quota}");
    assert!(throttling.retry_after_seconds().unwrap_or_default() >= 1);
    let stats = emulator.stats();
    assert_eq!(
        stats.throttled.get("GetCase"),
        Some(&(throttled.len() as u64))
    );
    assert_eq!(
        stats.errors.get("ThrottlingException"),
        Some(&(throttled.len() as u64))
    );
    // Other operations have quotas of their own (here none).
    for _ in 0..10 {
        client.list_cases().send().await.unwrap();
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_throttled_write_takes_no_effect() {
    let (emulator, client) = start_and_connect_with(limited(&["UpdateCase=1"])).await;
    let case_id = create(&client, "Before").await;
    update_title(&client, &case_id, "First").await.unwrap();
    // errors.rs makes the same call on a closed case; here the quota, not the case, refuses it.
    let error = update_title(&client, &case_id, "Second")
        .await
        .service_error();
    assert!(
        matches!(error, UpdateCaseError::ThrottlingException(_)),
        "{error:?}"
    );
    let case = get_case(&client, &case_id).await.unwrap();
    assert_eq!(case.title(), Some("First"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn with_no_limit_nothing_is_throttled() {
    let (emulator, client) = start_and_connect_with(EmulatorConfig::default()).await;
    let case_id = create(&client, "Unlimited").await;
    for _ in 0..50 {
        get_case(&client, &case_id).await.unwrap();
    }
    assert!(emulator.stats().throttled.is_empty());
    emulator.shutdown().await;
}
