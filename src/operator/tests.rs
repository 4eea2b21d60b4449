//! The loop in paused time, against the in-memory service: when rounds start, that they never
//! overlap, how a stop ends them, and what a lasting problem sends over hours.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::*;
use crate::live::memory::MemoryApi;
use crate::live::{ApiError, CaseSummary, RequestOutcome};
use crate::model::{CaseEdit, LiveCase};
use crate::request::Request;

/// The in-memory service, with ListCases (one per round here) taking `delay` and logged.
struct SlowListing {
    inner: MemoryApi,
    delay: Duration,
    listings: Mutex<Vec<(Instant, Instant)>>,
    stopped: std::sync::atomic::AtomicBool,
}

impl CaseApi for SlowListing {
    async fn get_case(&self, case_id: &str) -> Result<Option<LiveCase>, ApiError> {
        self.inner.get_case(case_id).await
    }

    async fn list_tags(
        &self,
        case_arn: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
        self.inner.list_tags(case_arn).await
    }

    async fn list_cases(&self) -> Result<Vec<CaseSummary>, ApiError> {
        let started = Instant::now();
        tokio::time::sleep(self.delay).await;
        self.listings
            .lock()
            .unwrap()
            .push((started, Instant::now()));
        self.inner.list_cases().await
    }

    async fn list_case_edits(&self, case_id: &str) -> Result<Vec<CaseEdit>, ApiError> {
        self.inner.list_case_edits(case_id).await
    }

    async fn send(&self, request: &Request) -> Result<RequestOutcome, ApiError> {
        self.inner.send(request).await
    }

    async fn create_comment(&self, case_id: &str, body: &str) -> Result<(), ApiError> {
        self.inner.create_comment(case_id, body).await
    }

    fn stop(&self) {
        self.stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

fn slow_listing(delay: Duration) -> SlowListing {
    SlowListing {
        inner: MemoryApi::default(),
        delay,
        listings: Mutex::new(Vec::new()),
        stopped: std::sync::atomic::AtomicBool::new(false),
    }
}

/// A project with one manifest that has no case id yet, so every round lists the cases.
fn project() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    std::fs::create_dir(directory.path().join("cases")).unwrap();
    std::fs::write(
        directory.path().join("cases/payroll.yaml"),
        "apiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: payroll\nspec:\n  title: Payroll\n  description: What happened.\n  engagementType: Security Incident\n  resolverType: Self\n  reportedIncidentStartDate: 2026-11-20T08:00:00Z\n",
    )
    .unwrap();
    directory
}

fn options(directory: &Path, interval: Duration) -> ReconcileOptions {
    ReconcileOptions {
        working_directory: directory.to_path_buf(),
        enter_each_round: false,
        // Manifest paths are read relative to the process's directory, which a test does not
        // change.
        paths: vec![directory.join("cases")],
        interval,
        once: false,
        git_pull: false,
        self_heal: false,
        plan: PlanOptions {
            parallelism: 4,
            prune: false,
            max_prune: 5,
            base: None,
            drift_only: false,
        },
        redact: true,
        notify_repeat: Duration::from_hours(24),
        state_file: None,
    }
}

/// What a test sees of a running loop.
struct Harness {
    stop: watch::Sender<bool>,
    shared: Arc<Shared>,
    events: mpsc::Receiver<Event>,
}

/// Runs the loop beside `drive`, which stops it when it is done with it. The loop's future is
/// not `Send` (the planner's callbacks are borrowed), so both run on this task.
async fn run_beside<F: Future<Output = Harness>>(
    api: &SlowListing,
    options: ReconcileOptions,
    drive: impl FnOnce(Harness) -> F,
) -> (Option<RoundReport>, Harness) {
    let metrics = metrics::Metrics::new();
    let (notifier, events) = Notifier::collecting(metrics.notifications.clone());
    let shared = Arc::new(Shared {
        health: server::Health::new(options.interval),
        metrics: std::sync::Mutex::new(metrics),
    });
    let (stop, stopped) = watch::channel(false);
    let endpoint = Endpoint {
        endpoint: "memory".into(),
        region: None,
    };
    let harness = Harness {
        stop,
        shared: shared.clone(),
        events,
    };
    tokio::join!(
        reconcile(api, &endpoint, &options, &shared, &notifier, stopped),
        async move {
            let harness = drive(harness).await;
            harness.stop.send(true).unwrap();
            harness
        }
    )
}

fn drain(events: &mut mpsc::Receiver<Event>) -> Vec<Event> {
    let mut all = Vec::new();
    while let Ok(event) = events.try_recv() {
        all.push(event);
    }
    all
}

use std::path::Path;

#[tokio::test(start_paused = true)]
async fn rounds_start_an_interval_apart_with_jitter() {
    let directory = project();
    let api = slow_listing(Duration::from_secs(1));
    let interval = Duration::from_mins(1);
    let (_, harness) = run_beside(&api, options(directory.path(), interval), |harness| async {
        tokio::time::sleep(Duration::from_mins(30)).await;
        harness
    })
    .await;
    let listings = api.listings.lock().unwrap().clone();
    assert!((27..=34).contains(&listings.len()), "{}", listings.len());
    for pair in listings.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            gap >= interval.mul_f64(0.9) && gap <= interval.mul_f64(1.1) + Duration::from_millis(1),
            "rounds {gap:?} apart"
        );
    }
    assert_eq!(harness.shared.health.readiness(Instant::now()), Ok(()));
}

#[tokio::test(start_paused = true)]
async fn a_round_longer_than_the_interval_is_followed_at_once_never_overlapped() {
    let directory = project();
    let api = slow_listing(Duration::from_secs(90));
    let options = options(directory.path(), Duration::from_mins(1));
    run_beside(&api, options, |harness| async {
        tokio::time::sleep(Duration::from_mins(10)).await;
        harness
    })
    .await;
    let listings = api.listings.lock().unwrap().clone();
    assert!(listings.len() >= 5, "{}", listings.len());
    for pair in listings.windows(2) {
        assert!(pair[1].0 >= pair[0].1, "overlap: {pair:?}");
        assert!(
            pair[1].0 - pair[0].1 < Duration::from_millis(10),
            "no wait: {pair:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_stop_mid_round_stops_the_client_and_reports_no_round() {
    let directory = project();
    let api = slow_listing(Duration::from_mins(5));
    let mut options = options(directory.path(), Duration::from_mins(1));
    options.once = true;
    let (last, _) = run_beside(&api, options, |harness| async {
        tokio::time::sleep(Duration::from_secs(10)).await;
        harness
    })
    .await;
    assert!(last.is_none(), "a cut-short round is not reported");
    assert!(api.stopped.load(std::sync::atomic::Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn a_lasting_problem_is_sent_once_then_reminded_each_repeat() {
    let directory = project();
    let broken = directory.path().join("cases/broken.yaml");
    std::fs::write(
        &broken,
        "apiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: broken\nspec: {}\n",
    )
    .unwrap();
    let api = slow_listing(Duration::ZERO);
    let mut options = options(directory.path(), Duration::from_mins(5));
    options.notify_repeat = Duration::from_hours(1);
    run_beside(&api, options, |mut harness| async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let first = drain(&mut harness.events);
        assert_eq!(first.len(), 1, "{first:?}");
        assert_eq!(first[0].event, event::EventKind::ManifestsInvalid);
        assert!(
            first[0].errors[0].contains("broken.yaml:5"),
            "{:?}",
            first[0]
        );

        tokio::time::sleep(Duration::from_mins(50)).await;
        assert!(drain(&mut harness.events).is_empty(), "not once per round");
        tokio::time::sleep(Duration::from_mins(20)).await;
        let reminders = drain(&mut harness.events);
        assert_eq!(reminders.len(), 1, "{reminders:?}");
        assert_eq!(reminders[0].event, event::EventKind::Reminder);
        assert_eq!(
            reminders[0].problem,
            Some(event::EventKind::ManifestsInvalid)
        );
        assert!(harness.shared.health.readiness(Instant::now()).is_err());

        std::fs::remove_file(&broken).unwrap();
        tokio::time::sleep(Duration::from_mins(6)).await;
        let fixed = drain(&mut harness.events);
        assert_eq!(fixed.len(), 1, "{fixed:?}");
        assert_eq!(fixed[0].event, event::EventKind::ManifestsFixed);
        assert_eq!(harness.shared.health.readiness(Instant::now()), Ok(()));
        harness
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_apply_is_told_with_its_case_and_its_recovery_once() {
    let directory = project();
    let api = slow_listing(Duration::ZERO);
    api.inner.inject(crate::live::memory::Fault::refuse(
        "CreateCase",
        ApiErrorKind::Validation,
    ));
    let mut options = options(directory.path(), Duration::from_mins(1));
    options.self_heal = true;
    run_beside(&api, options, |mut harness| async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let failed = drain(&mut harness.events);
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0].event, event::EventKind::ApplyFailed);
        assert_eq!(failed[0].case.as_ref().unwrap().name, "payroll");
        assert!(
            failed[0].errors[0].contains("CreateCase"),
            "{:?}",
            failed[0]
        );
        assert_eq!(
            harness.shared.health.readiness(Instant::now()),
            Ok(()),
            "one case failing is not the operator failing"
        );
        tokio::time::sleep(Duration::from_mins(5)).await;
        let recovered = drain(&mut harness.events);
        assert_eq!(recovered.len(), 1, "{recovered:?}");
        assert_eq!(recovered[0].event, event::EventKind::ApplyRecovered);
        harness
    })
    .await;
    assert_eq!(
        api.inner.cases().len(),
        1,
        "created once, by the second round"
    );
}
