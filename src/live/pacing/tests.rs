//! The pacer against a simulated quota, in paused time: a token bucket per operation as the
//! service keeps one, many concurrent callers, and what a run of plan or apply asks of it.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use std::collections::BTreeMap;

use super::*;
use crate::live::map_concurrently;

/// A service front: per-operation token buckets (burst = rate), a fixed latency, and optional
/// random throttling that has nothing to do with the quota.
struct Quota {
    rate: Option<f64>,
    /// How long storing a successful call's change takes: stores happen one at a time, so
    /// a burst of successes answers one by one, while refusals answer at once.
    store_time: Duration,
    /// The quota of each operation; every operation gets `rate` unless this says otherwise.
    rate_of: fn(&str) -> Option<f64>,
    latency: Duration,
    random_throttling: f64,
    retry_after: Option<Duration>,
    state: Mutex<QuotaState>,
}

struct QuotaState {
    buckets: HashMap<&'static str, (f64, Instant)>,
    generator: StdRng,
    store_free_at: Option<Instant>,
    succeeded: u64,
    throttled: u64,
}

impl Quota {
    fn new(rate: Option<f64>) -> Quota {
        Quota {
            rate,
            rate_of: |_| None,
            store_time: Duration::ZERO,
            latency: Duration::from_millis(2),
            random_throttling: 0.0,
            retry_after: Some(Duration::from_secs(1)),
            state: Mutex::new(QuotaState {
                buckets: HashMap::new(),
                generator: StdRng::seed_from_u64(7),
                store_free_at: None,
                succeeded: 0,
                throttled: 0,
            }),
        }
    }

    async fn call(&self, operation: &'static str) -> Result<(), ApiError> {
        tokio::time::sleep(self.latency / 2).await;
        let admitted = {
            let mut state = self.state.lock().unwrap();
            let now = Instant::now();
            let unlucky = state.generator.random::<f64>() < self.random_throttling;
            let admitted = !unlucky
                && (self.rate_of)(operation).or(self.rate).is_none_or(|rate| {
                    let (tokens, refilled) = state.buckets.entry(operation).or_insert((rate, now));
                    let elapsed = now.saturating_duration_since(*refilled).as_secs_f64();
                    *tokens = (*tokens + elapsed * rate).min(rate);
                    *refilled = now;
                    if *tokens >= 1.0 {
                        *tokens -= 1.0;
                        true
                    } else {
                        false
                    }
                });
            let stored_at = admitted.then(|| {
                let stored_at = state.store_free_at.unwrap_or(now).max(now) + self.store_time;
                state.store_free_at = Some(stored_at);
                stored_at
            });
            if admitted {
                state.succeeded += 1;
            } else {
                state.throttled += 1;
            }
            stored_at
        };
        if let Some(stored_at) = admitted {
            tokio::time::sleep_until(stored_at).await;
        }
        tokio::time::sleep(self.latency / 2).await;
        if admitted.is_some() {
            Ok(())
        } else {
            Err(throttling(operation, self.retry_after))
        }
    }

    fn counts(&self) -> (u64, u64) {
        let state = self.state.lock().unwrap();
        (state.succeeded, state.throttled)
    }
}

fn throttling(operation: &'static str, retry_after: Option<Duration>) -> ApiError {
    ApiError {
        operation,
        kind: ApiErrorKind::Throttled {
            code: "ThrottlingException".into(),
            retry_after,
        },
        message: "Rate exceeded".into(),
    }
}

struct Run {
    elapsed: Duration,
    report: PacingReport,
    succeeded: u64,
    throttled: u64,
    failed: usize,
}

/// What a plan asks: for each case a GetCase and, beside it, a ListTagsForResource, 16 cases
/// at once.
async fn plan(quota: &Quota, cases: usize) -> Run {
    let pacer = Pacer::new(DEFAULT_TIMEOUT);
    let started = Instant::now();
    let results = map_concurrently(0..cases, 16, |_| {
        let (pacer, quota) = (&pacer, quota);
        async move {
            let (case, tags) = tokio::join!(
                pacer.call("GetCase", || quota.call("GetCase")),
                pacer.call("ListTagsForResource", || quota.call("ListTagsForResource"))
            );
            case.and(tags)
        }
    })
    .await;
    let (succeeded, throttled) = quota.counts();
    assert_eq!(pacer.report().throttled, throttled);
    Run {
        elapsed: started.elapsed(),
        report: pacer.report(),
        succeeded,
        throttled,
        failed: results.iter().filter(|result| result.is_err()).count(),
    }
}

fn assert_close_to_the_quota(cases: usize, rate: f64) -> impl Fn(Run) {
    move |run: Run| {
        let bound = (cases as f64 - rate) / rate;
        let ratio = run.elapsed.as_secs_f64() / bound;
        let throttled_share = run.throttled as f64 / run.succeeded as f64;
        eprintln!(
            "{cases} cases at {rate}/s: {:.1} s, bound {bound:.1} s, ratio {ratio:.3}, {} throttled of {} ({:.1}%)",
            run.elapsed.as_secs_f64(),
            run.throttled,
            run.succeeded,
            throttled_share * 100.0
        );
        assert_eq!(run.failed, 0, "no case may fail because of throttling");
        assert_eq!(run.succeeded, 2 * cases as u64);
        assert!(ratio <= 1.10, "{ratio:.3} of the quota's lower bound");
        assert!(
            throttled_share <= 0.10,
            "{:.1}% of calls throttled",
            throttled_share * 100.0
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_plan_runs_at_close_to_a_low_quota() {
    assert_close_to_the_quota(300, 5.0)(plan(&Quota::new(Some(5.0)), 300).await);
}

#[tokio::test(start_paused = true)]
async fn a_plan_runs_at_close_to_a_medium_quota() {
    assert_close_to_the_quota(1000, 10.0)(plan(&Quota::new(Some(10.0)), 1000).await);
}

#[tokio::test(start_paused = true)]
async fn a_plan_runs_at_close_to_a_high_quota() {
    assert_close_to_the_quota(1000, 25.0)(plan(&Quota::new(Some(25.0)), 1000).await);
}

#[tokio::test(start_paused = true)]
async fn a_quota_without_retry_after_is_still_used_in_full() {
    let mut quota = Quota::new(Some(10.0));
    quota.retry_after = None;
    assert_close_to_the_quota(300, 10.0)(plan(&quota, 300).await);
}

#[tokio::test(start_paused = true)]
async fn throttles_that_are_not_a_quota_do_not_pace_the_run() {
    let mut quota = Quota::new(None);
    quota.random_throttling = 0.05;
    let run = plan(&quota, 1000).await;
    assert_eq!(run.failed, 0);
    assert!(run.throttled > 50, "the fault rate was applied");
    assert_eq!(run.report.rates, BTreeMap::new(), "nothing was paced");
}

#[tokio::test(start_paused = true)]
async fn a_quota_paces_only_the_operations_it_limits() {
    let mut quota = Quota::new(None);
    quota.rate_of = |operation| (operation == "GetCase").then_some(10.0);
    let run = plan(&quota, 200).await;
    let paced: Vec<&str> = run.report.rates.keys().copied().collect();
    assert_eq!(paced, ["GetCase"]);
    let rate = run.report.rates["GetCase"];
    assert!((8.0..=12.0).contains(&rate), "paced at {rate}");
}

#[tokio::test(start_paused = true)]
async fn a_throttled_call_waits_out_retry_after() {
    let quota = Quota::new(Some(1.0));
    let pacer = Pacer::new(DEFAULT_TIMEOUT);
    pacer
        .call("GetCase", || quota.call("GetCase"))
        .await
        .unwrap();
    let started = Instant::now();
    pacer
        .call("GetCase", || quota.call("GetCase"))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(quota.counts(), (2, 1));
    let report = pacer.report();
    assert_eq!(report.throttled, 1);
    let line = report.describe().unwrap();
    assert_eq!(line, "the service throttled 1 call, each retried");
}

#[tokio::test(start_paused = true)]
async fn other_failures_are_returned_at_once() {
    let pacer = Pacer::new(DEFAULT_TIMEOUT);
    let attempts = std::sync::atomic::AtomicUsize::new(0);
    let error = pacer
        .call("UpdateCase", || {
            attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async {
                Err::<(), _>(ApiError {
                    operation: "UpdateCase",
                    kind: ApiErrorKind::Validation,
                    message: "bad".into(),
                })
            }
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ValidationException"));
    assert_eq!(attempts.into_inner(), 1);
    let report = pacer.report();
    assert_eq!(report.throttled, 0);
    assert!(report.rates.is_empty());
    assert_eq!(
        report.calls,
        BTreeMap::from([(("UpdateCase", "validation"), 1)])
    );
}

#[tokio::test(start_paused = true)]
async fn every_attempt_is_counted_by_operation_and_outcome() {
    let quota = Quota::new(Some(1.0));
    let pacer = Pacer::new(DEFAULT_TIMEOUT);
    for _ in 0..2 {
        pacer
            .call("GetCase", || quota.call("GetCase"))
            .await
            .unwrap();
    }
    assert_eq!(
        pacer.report().calls,
        BTreeMap::from([(("GetCase", "success"), 2), (("GetCase", "throttled"), 1)])
    );
}

#[tokio::test(start_paused = true)]
async fn a_stop_ends_a_call_waiting_to_be_retried_and_sends_nothing_more() {
    let pacer = std::sync::Arc::new(Pacer::new(DEFAULT_TIMEOUT));
    let attempts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let waiting = tokio::spawn({
        let pacer = pacer.clone();
        let attempts = attempts.clone();
        async move {
            pacer
                .call("UpdateCase", || {
                    attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    async { Err::<(), _>(throttling("UpdateCase", Some(Duration::from_mins(1)))) }
                })
                .await
        }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stopped_at = Instant::now();
    pacer.stop();
    let error = waiting.await.unwrap().unwrap_err();
    assert_eq!(error.kind, ApiErrorKind::Stopped);
    assert_eq!(
        stopped_at.elapsed(),
        Duration::ZERO,
        "no wait for Retry-After"
    );
    assert_eq!(attempts.load(std::sync::atomic::Ordering::SeqCst), 1);
    let later = pacer
        .call("GetCase", || async { Ok::<_, ApiError>(()) })
        .await
        .unwrap_err();
    assert_eq!(later.kind, ApiErrorKind::Stopped);
    assert_eq!(later.to_string(), "GetCase not sent: sirops is stopping");
}

#[tokio::test(start_paused = true)]
async fn each_run_gets_its_own_timeout() {
    let pacer = Pacer::new(Duration::from_secs(40));
    tokio::time::sleep(Duration::from_secs(39)).await;
    pacer.begin_run();
    let started = Instant::now();
    let error = pacer
        .call("GetCase", || async {
            Err::<(), _>(throttling("GetCase", Some(Duration::from_secs(3))))
        })
        .await
        .unwrap_err();
    assert!(
        started.elapsed() >= Duration::from_secs(37),
        "the run began anew: {:?}",
        started.elapsed()
    );
    assert!(error.to_string().contains("--timeout of 40s"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_call_throttled_until_the_timeout_says_so() {
    let pacer = Pacer::new(Duration::from_secs(40));
    let started = Instant::now();
    let error = pacer
        .call("GetCase", || async {
            Err::<(), _>(throttling("GetCase", Some(Duration::from_secs(3))))
        })
        .await
        .unwrap_err();
    assert!(started.elapsed() <= Duration::from_secs(40));
    assert!(started.elapsed() >= Duration::from_secs(37));
    assert_eq!(error.code(), Some("ThrottlingException"));
    assert!(error.to_string().contains("--timeout of 40s"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_timeout_beyond_the_clock_means_no_deadline_and_stalls_still_end_calls() {
    let pacer = Pacer::new(Duration::MAX);
    let error = pacer
        .call("GetCase", || async {
            Err::<(), _>(throttling("GetCase", Some(Duration::from_secs(30))))
        })
        .await
        .unwrap_err();
    assert!(error.to_string().contains("throttled for 5m"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_call_is_given_up_when_its_operation_stops_making_progress() {
    let pacer = Arc::new(Pacer::new(DEFAULT_TIMEOUT));
    let started = Instant::now();
    let error = pacer
        .call("GetCase", || async {
            Err::<(), _>(throttling("GetCase", None))
        })
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= STALL && elapsed < STALL + LONGEST_BACKOFF * 2,
        "{elapsed:?}"
    );
    assert!(error.to_string().contains("throttled for 5m"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_call_keeps_retrying_while_others_of_its_operation_succeed() {
    // One call is unlucky for longer than the stall limit, but the operation as a whole keeps
    // succeeding: that is progress, so the call is not abandoned.
    let pacer = Pacer::new(DEFAULT_TIMEOUT);
    let unlucky_until = Instant::now() + STALL + Duration::from_mins(1);
    let keep_succeeding = async {
        while Instant::now() < unlucky_until {
            pacer
                .call("GetCase", || async { Ok::<(), ApiError>(()) })
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
    };
    let unlucky = pacer.call("GetCase", || async {
        if Instant::now() < unlucky_until {
            Err(throttling("GetCase", Some(Duration::from_secs(5))))
        } else {
            Ok(())
        }
    });
    let ((), result) = tokio::join!(keep_succeeding, unlucky);
    result.unwrap();
}

#[test]
fn timeouts_parse_with_or_without_a_unit() {
    assert_eq!(parse_timeout("90"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_timeout("90s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_timeout("30m"), Ok(Duration::from_mins(30)));
    assert_eq!(parse_timeout("2h"), Ok(Duration::from_hours(2)));
    assert_eq!(parse_timeout("1.5m"), Ok(Duration::from_secs(90)));
    for bad in ["", "0", "-5", "soon", "5d", "NaNs"] {
        assert!(parse_timeout(bad).is_err(), "{bad:?}");
    }
    assert_eq!(describe_duration(Duration::from_hours(1)), "1h");
    assert_eq!(describe_duration(Duration::from_secs(40)), "40s");
    assert_eq!(describe_duration(Duration::from_mins(5)), "5m");
}

#[tokio::test(start_paused = true)]
async fn successes_slower_than_refusals_do_not_halve_the_first_rate() {
    // Writes answer slower than refusals: when the first throttles come back, only some of the
    // burst's successes have. The rate must still be the quota's, not a fraction of it.
    let mut quota = Quota::new(Some(10.0));
    quota.store_time = Duration::from_millis(5);
    let pacer = Pacer::new(DEFAULT_TIMEOUT);
    let started = Instant::now();
    let results = map_concurrently(0..60, 16, |_| {
        let (pacer, quota) = (&pacer, &quota);
        async move { pacer.call("UpdateCase", || quota.call("UpdateCase")).await }
    })
    .await;
    assert!(results.iter().all(Result::is_ok));
    let rate = pacer.report().rates["UpdateCase"];
    assert!((9.0..=11.0).contains(&rate), "paced at {rate}");
    let elapsed = started.elapsed().as_secs_f64();
    assert!(elapsed <= 1.1 * (60.0 - 10.0) / 10.0 + 1.0, "{elapsed} s");
}

#[tokio::test(start_paused = true)]
async fn each_call_counts_its_own_throttled_retries() {
    let pacer = Pacer::new(DEFAULT_TIMEOUT);
    // Throttled `times` times, then answered.
    let throttled_then_answered = |times: u32| {
        let attempts = std::sync::atomic::AtomicU32::new(0);
        let pacer = &pacer;
        async move {
            pacer
                .call("UpdateCase", || {
                    let attempt = attempts.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if attempt < times {
                            Err(throttling("UpdateCase", Some(Duration::from_millis(10))))
                        } else {
                            Ok(())
                        }
                    }
                })
                .await
        }
    };
    let (twice, once, never) = tokio::join!(
        count_throttled_retries(throttled_then_answered(2)),
        count_throttled_retries(throttled_then_answered(1)),
        count_throttled_retries(throttled_then_answered(0)),
    );
    assert_eq!((twice.1, once.1, never.1), (2, 1, 0));
    assert!(twice.0.is_ok() && once.0.is_ok() && never.0.is_ok());
    // A call nobody counts still retries.
    throttled_then_answered(3).await.unwrap();
    assert_eq!(pacer.report().throttled, 6);

    // A call given up counts the retries it made, not the throttle it gave up on.
    let short = Pacer::new(Duration::from_secs(1));
    let (result, retries) = count_throttled_retries(short.call("GetCase", || async {
        Err::<(), _>(throttling("GetCase", Some(Duration::from_millis(300))))
    }))
    .await;
    assert!(result.is_err());
    assert_eq!(
        retries, 3,
        "retried at 0.3 s, 0.6 s and 0.9 s; 1.2 s is past the timeout"
    );
    assert_eq!(short.report().throttled, 4);
}
