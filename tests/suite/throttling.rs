//! sirops behind a service quota: every case is planned and applied however low the quota,
//! throttled calls never count against `--max-attempts`, the run says it was slowed down, and
//! `--timeout` bounds how long it keeps trying.

use crate::support::{Sandbox, manifest};
use sirops::emulator::{EmulatorConfig, RateLimits};

fn rate_limited(per_second: f64) -> EmulatorConfig {
    let rate_limits = RateLimits {
        every_operation: Some(per_second),
        ..RateLimits::default()
    };
    EmulatorConfig {
        rate_limits,
        ..EmulatorConfig::default()
    }
}

/// Cases the emulator holds, read without an API call that the quota could refuse.
fn stored_cases(sandbox: &Sandbox) -> u64 {
    sandbox.emulator.stats().cases
}

fn throttled_calls(sandbox: &Sandbox) -> u64 {
    sandbox.emulator.stats().throttled.values().sum()
}

/// 300 manifests behind 25 requests per second per operation: the creates, the scan that
/// finds them again, an update of a tenth of them and the final plan all complete, with one
/// attempt per call, which would fail on the first 429 if throttles were counted as attempts.
#[tokio::test(flavor = "multi_thread")]
async fn three_hundred_cases_behind_a_quota_complete_with_no_failure() {
    let sandbox = Sandbox::with_config(rate_limited(25.0)).await;
    let names: Vec<String> = (0..300).map(|index| format!("case-{index:03}")).collect();
    sandbox.write_plain_manifests(&names);
    let created = sandbox.apply(&["--max-attempts", "1", "-v"]).await;
    created.expect_code(0);
    let slowed_down = created
        .stderr
        .lines()
        .find(|line| line.contains("the service is throttling; slowing down"))
        .unwrap_or_else(|| panic!("-v says when sirops slows down:\n{}", created.stderr));
    assert!(
        slowed_down.contains(r#"operation="CreateCase""#) && slowed_down.contains("/s"),
        "{slowed_down}"
    );
    assert!(
        created.stdout.contains("300 cases changed, 0 failed"),
        "{}",
        created.stdout
    );
    assert!(throttled_calls(&sandbox) > 0, "the quota never bit");
    assert!(
        created.stdout.contains("Note: the service throttled"),
        "the summary counts throttled calls:\n{}",
        created.stdout
    );
    assert_eq!(stored_cases(&sandbox), 300);

    for name in names.iter().step_by(10) {
        let text = sandbox.read_manifest(name);
        sandbox.write_manifest(name, &text.replace("title: ", "title: Renamed "));
    }
    // With the default attempts: every 429 must reach the pacer, none be retried inside the
    // SDK, so the summary counts exactly what the emulator refused.
    let before = throttled_calls(&sandbox);
    let updated = sandbox.apply(&["-v"]).await;
    updated.expect_code(0);
    let refused = throttled_calls(&sandbox) - before;
    if refused > 0 {
        assert!(
            updated.stdout.contains(&format!(
                "the service throttled {refused} call{}, each retried",
                if refused == 1 { "" } else { "s" }
            )),
            "{refused} refused:\n{}",
            updated.stdout
        );
    }
    assert!(
        updated.stdout.contains("30 cases changed, 0 failed"),
        "{}",
        updated.stdout
    );
    let before = throttled_calls(&sandbox);
    let plan = sandbox
        .plan(&["--detailed-exitcode", "--max-attempts", "1"])
        .await;
    plan.expect_code(0);
    if throttled_calls(&sandbox) > before {
        assert!(plan.stdout.contains("Note: the service throttled"));
    }
    assert_eq!(stored_cases(&sandbox), 300, "no duplicate");
}

/// A quota far below what the run needs: the calls still throttled when `--timeout` runs out
/// fail with a message that names the timeout, nothing is left half-known, and a run with time
/// enough finishes the job.
#[tokio::test(flavor = "multi_thread")]
async fn throttled_calls_give_up_when_the_timeout_runs_out() {
    let sandbox = Sandbox::with_config(rate_limited(1.0)).await;
    for index in 0..12 {
        let name = format!("slow-{index:02}");
        sandbox.write_manifest(&name, &manifest(&name, ""));
    }
    let cut_short = sandbox.apply(&["--timeout", "3s"]).await;
    cut_short.expect_code(1);
    assert!(
        cut_short.stdout.contains("--timeout of 3s"),
        "{}\n{}",
        cut_short.stdout,
        cut_short.stderr
    );
    assert!(cut_short.stdout.contains("Run apply again to finish"));
    let created_first = stored_cases(&sandbox);
    assert!(
        (1..12).contains(&created_first),
        "some cases made it in 3 s at 1/s: {created_first}"
    );

    sandbox.apply(&["--timeout", "5m"]).await.expect_code(0);
    assert_eq!(stored_cases(&sandbox), 12, "one case per manifest");
}

#[tokio::test]
async fn a_timeout_that_is_not_a_duration_is_refused() {
    let sandbox = Sandbox::new().await;
    let run = sandbox.plan(&["--timeout", "soon"]).await;
    run.expect_code(1);
    assert!(run.stderr.contains("is not a duration"), "{}", run.stderr);
    assert_eq!(sandbox.emulator.stats().requests, 0);
}
