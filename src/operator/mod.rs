//! `sirops reconcile`: the operator. Every interval it reads the manifests, plans with the same
//! planner as `plan`, tells people what changed (`--notify`), shows its state (`--listen`), and
//! with `--self-heal` applies with the same executor as `apply`. There is no second code path:
//! a round is `make_plan` and, when healing, `apply`.
//!
//! # Guarantees
//! - Rounds never overlap: the next starts an interval (with up to a tenth of jitter either
//!   way, so that many operators do not call in step) after the last one started, or at once
//!   when that one took longer.
//! - A round that finds the manifests invalid, cannot reach the service or is refused by a
//!   guard sends nothing; it is reported, and the next round starts afresh.
//! - A stop (SIGTERM, SIGINT) sends no new request: the calls in flight finish, the round ends
//!   there, and its partial findings are not reported as the world's state.
//! - Notifications are sent per change of state, never per round, and never wait: a receiver
//!   that is down delays nothing.

pub mod event;
pub mod metrics;
pub mod notify;
pub mod server;
pub mod state;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rand::RngExt;
use tokio::sync::watch;
use tokio::time::Instant;

use self::event::Event;
use self::metrics::RoundResult;
use self::notify::Notifier;
use self::server::Shared;
use self::state::{CaseState, Findings, ProblemKey, Tracker, count_states};
use crate::apply::{ApplyOptions, apply};
use crate::live::{ApiErrorKind, CaseApi};
use crate::model::Timestamp;
use crate::ops::plan::{Endpoint, PlanError, PlanOptions, make_plan};
use crate::plan::{Plan, Redactor};

/// The share of the interval a round's start may move either way.
const JITTER: f64 = 0.1;

#[derive(Debug, Clone)]
pub struct ReconcileOptions {
    /// Where the project is looked for, as for every command.
    pub working_directory: PathBuf,
    /// `--directory`: entered at the start of each round, as given, so that a path through a
    /// symlink that is moved to each new checkout (as git-sync publishes) reads the current one.
    pub enter_each_round: bool,
    pub paths: Vec<PathBuf>,
    pub interval: Duration,
    /// One round, then stop.
    pub once: bool,
    /// `git pull --ff-only` before each round.
    pub git_pull: bool,
    /// Apply each round's plan: drift repairs and pending changes (and orphans with prune).
    pub self_heal: bool,
    /// As for `plan`; `drift_only` and `base` stay unset.
    pub plan: PlanOptions,
    /// Scrub what notifications could quote of a case (the default).
    pub redact: bool,
    pub notify_repeat: Duration,
    /// Where the open problems are kept between runs (absolute: `--directory` moves the
    /// working directory).
    pub state_file: Option<PathBuf>,
}

/// What one round found and did.
#[derive(Debug, Clone)]
pub struct RoundReport {
    pub result: RoundResult,
    /// What stopped the round before it planned every case, if anything.
    pub global_error: Option<String>,
    pub findings: Findings,
    /// The cases by state, when the round planned them.
    pub states: Option<BTreeMap<CaseState, usize>>,
    /// Cases that could not be planned, or whose apply failed.
    pub failed_cases: usize,
    /// Changes that are still to be applied after the round.
    pub changes_left: bool,
    /// Cases the round applied without a failure.
    pub applied: usize,
}

impl RoundReport {
    fn global(result: RoundResult, key: ProblemKey, error: String, event: Event) -> RoundReport {
        RoundReport {
            result,
            global_error: Some(error),
            findings: Findings {
                problems: vec![(key, event)],
                cases_observed: false,
            },
            states: None,
            failed_cases: 0,
            changes_left: false,
            applied: 0,
        }
    }
}

/// Wall-clock time that advances with tokio's clock, so that tests in paused time move it too.
struct Clock {
    wall_at_start: Timestamp,
    started: Instant,
}

impl Clock {
    fn start() -> Clock {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| {
                i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
            });
        Clock {
            wall_at_start: Timestamp::from_epoch_millis(millis),
            started: Instant::now(),
        }
    }

    fn now(&self) -> Timestamp {
        let elapsed = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        Timestamp::from_epoch_millis(self.wall_at_start.epoch_millis().saturating_add(elapsed))
    }
}

/// Runs rounds until `stop` turns true (or after one with `--once`); returns the last round
/// that ran to its end.
pub async fn reconcile<A: CaseApi>(
    api: &A,
    endpoint: &Endpoint,
    options: &ReconcileOptions,
    shared: &Arc<Shared>,
    notifier: &Notifier,
    mut stop: watch::Receiver<bool>,
) -> Option<RoundReport> {
    let clock = Clock::start();
    let mut tracker = load_tracker(options);
    let mut last = None;
    loop {
        let started = Instant::now();
        api.begin_run();
        let report = {
            let round = run_round(api, endpoint, options, clock.now());
            tokio::pin!(round);
            let mut stopping = false;
            loop {
                tokio::select! {
                    report = &mut round => break report,
                    () = stopped(&mut stop), if !stopping => {
                        stopping = true;
                        tracing::info!("stopping: no new requests; finishing the calls in flight");
                        api.stop();
                    }
                }
            }
        };
        if *stop.borrow() {
            break;
        }
        record(api, shared, &report, started, clock.now());
        let events = tracker.observe(report.findings.clone(), clock.now());
        // The tracker changes exactly when it has something to tell.
        if !events.is_empty() {
            save_tracker(options, &tracker);
        }
        for event in events {
            // The summary may name principals; the log says only what happened to which case.
            tracing::info!(
                event = ?event.event,
                case = event.case.as_ref().map_or("", |case| case.name.as_str()),
                "notifying"
            );
            notifier.send(&event);
        }
        last = Some(report);
        if options.once {
            break;
        }
        let next = started + jittered(options.interval);
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            () = stopped(&mut stop) => break,
        }
    }
    last
}

/// The open problems of earlier runs, from `--state-file`; none when there is no file yet, or
/// (said in the log) when it cannot be read.
fn load_tracker(options: &ReconcileOptions) -> Tracker {
    let fresh = Tracker::new(options.notify_repeat);
    let Some(path) = &options.state_file else {
        return fresh;
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return fresh,
        Err(error) => {
            tracing::warn!(file = %path.display(), %error, "cannot read the state file; starting with no open problems");
            return fresh;
        }
    };
    Tracker::from_json(&text, options.notify_repeat).unwrap_or_else(|error| {
        tracing::warn!(file = %path.display(), %error, "the state file is not sirops's; starting with no open problems");
        fresh
    })
}

fn save_tracker(options: &ReconcileOptions, tracker: &Tracker) {
    let Some(path) = &options.state_file else {
        return;
    };
    let written = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent),
        _ => Ok(()),
    }
    .and_then(|()| crate::paths::write_atomically(path, tracker.to_json().as_bytes()));
    if let Err(error) = written {
        tracing::warn!(file = %path.display(), %error, "cannot write the state file");
    }
}

/// Resolves once `stop` is true; never, if its sender is gone without saying so.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn jittered(interval: Duration) -> Duration {
    interval.mul_f64(rand::rng().random_range(1.0 - JITTER..=1.0 + JITTER))
}

/// Puts a finished round into the metrics, the readiness and the log.
fn record<A: CaseApi>(
    api: &A,
    shared: &Shared,
    report: &RoundReport,
    started: Instant,
    now: Timestamp,
) {
    let finished = Instant::now();
    let seconds = finished.duration_since(started).as_secs_f64();
    shared.health.record(finished, report.global_error.clone());
    {
        let mut metrics = shared.metrics();
        #[allow(
            clippy::cast_precision_loss,
            reason = "epoch milliseconds fit in 53 bits"
        )]
        let epoch_seconds = now.epoch_millis() as f64 / 1000.0;
        metrics.record_round(
            report.result,
            seconds,
            report.states.as_ref(),
            epoch_seconds,
        );
        metrics.record_calls(&api.pacing().calls);
    }
    let count = |state| {
        report
            .states
            .as_ref()
            .and_then(|states| states.get(&state))
            .copied()
            .unwrap_or(0)
    };
    if report.global_error.is_some() {
        tracing::warn!(
            result = report.result.label(),
            seconds = format!("{seconds:.3}"),
            "round failed; nothing was changed"
        );
    } else {
        tracing::info!(
            result = report.result.label(),
            seconds = format!("{seconds:.3}"),
            in_sync = count(CaseState::InSync),
            drift = count(CaseState::Drift),
            pending = count(CaseState::PendingChange),
            conflict = count(CaseState::Conflict),
            errors = count(CaseState::Error),
            applied = report.applied,
            "round finished"
        );
    }
}

/// One round: pull, read, plan, find problems, and with `--self-heal` apply.
async fn run_round<A: CaseApi>(
    api: &A,
    endpoint: &Endpoint,
    options: &ReconcileOptions,
    now: Timestamp,
) -> RoundReport {
    let scrub = options.redact;
    if options.enter_each_round
        && let Err(error) = std::env::set_current_dir(&options.working_directory)
    {
        let error = format!(
            "cannot enter --directory {}: {error}",
            options.working_directory.display()
        );
        return RoundReport::global(
            RoundResult::Failed,
            ProblemKey::RoundFailed,
            error.clone(),
            Event::round_failed(&error, scrub, now),
        );
    }
    if options.git_pull {
        let directory = options.working_directory.clone();
        let pulled =
            tokio::task::spawn_blocking(move || crate::ops::git::pull_fast_forward(&directory))
                .await
                .unwrap_or_else(|error| Err(error.to_string()));
        if let Err(error) = pulled {
            return RoundReport::global(
                RoundResult::Failed,
                ProblemKey::RoundFailed,
                error.clone(),
                Event::round_failed(&error, scrub, now),
            );
        }
    }
    let workspace = match crate::ops::load_workspace(&options.working_directory, &options.paths) {
        Ok(workspace) if !workspace.has_errors() => workspace,
        Ok(workspace) => {
            let problems: Vec<String> = workspace
                .manifests
                .diagnostics
                .iter()
                .filter(|diagnostic| diagnostic.severity == crate::manifest::Severity::Error)
                .map(ToString::to_string)
                .collect();
            return invalid_manifests(&problems, scrub, now);
        }
        Err(diagnostics) => {
            let problems: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
            return invalid_manifests(&problems, scrub, now);
        }
    };
    let plan = match make_plan(api, &workspace, endpoint, options.plan.clone(), &|| {}).await {
        Ok(plan) => plan,
        Err(PlanError::Live(error)) => {
            let text = error.to_string();
            return RoundReport::global(
                RoundResult::ServiceError,
                ProblemKey::ServiceUnreachable,
                text.clone(),
                Event::service_unreachable(&text, scrub, now),
            );
        }
        Err(other) => {
            let text = other.to_string();
            return RoundReport::global(
                RoundResult::Failed,
                ProblemKey::RoundFailed,
                text.clone(),
                Event::round_failed(&text, scrub, now),
            );
        }
    };
    planned_round(api, &plan, options, now).await
}

fn invalid_manifests(problems: &[String], scrub: bool, now: Timestamp) -> RoundReport {
    tracing::warn!(
        problems = problems.len(),
        "the manifests are invalid; nothing is planned or applied"
    );
    for problem in problems {
        // Addresses scrubbed whatever --notify-unredacted says: logs never hold them.
        tracing::warn!(problem = %event::scrub_addresses(problem), "invalid");
    }
    RoundReport::global(
        RoundResult::InvalidManifests,
        ProblemKey::ManifestsInvalid,
        format!(
            "{} in the manifests",
            crate::plan::plural(problems.len(), "problem")
        ),
        Event::manifests_invalid(problems, scrub, now),
    )
}

/// The rest of a round once its plan is made.
async fn planned_round<A: CaseApi>(
    api: &A,
    plan: &Plan,
    options: &ReconcileOptions,
    now: Timestamp,
) -> RoundReport {
    let scrub = options.redact;
    // Events carry no field values and scrub what they quote themselves, so the plan itself
    // need not be redacted each round.
    let mut problems: Vec<(ProblemKey, Event)> = plan
        .cases
        .iter()
        .filter_map(|case| {
            let event = Event::drift(case, options.self_heal, scrub, now)?;
            Some((ProblemKey::Drift(case.name.clone()), event))
        })
        .collect();
    let mut failed_cases = plan.summary.errors;
    let mut applied = 0;
    let mut changes_left = plan.has_changes();
    if options.self_heal && plan.has_changes() {
        let apply_options = ApplyOptions {
            parallelism: options.plan.parallelism,
            audit: None,
        };
        let outcomes = apply(api, plan, &apply_options, &|_| {}).await;
        // Built only when a failure needs it: most rounds have none.
        let mut redactor: Option<Redactor> = None;
        changes_left = false;
        for outcome in outcomes {
            let Some(error) = outcome.failure() else {
                applied += 1;
                continue;
            };
            changes_left = true;
            if error.kind == ApiErrorKind::Stopped {
                continue;
            }
            failed_cases += 1;
            let text = if scrub {
                redactor
                    .get_or_insert_with(|| Redactor::for_plan(plan))
                    .text(&error.to_string())
            } else {
                error.to_string()
            };
            if let Some(case) = plan.cases.iter().find(|case| case.name == outcome.name) {
                problems.push((
                    ProblemKey::ApplyFailed(outcome.name.clone()),
                    Event::apply_failed(case, &text, scrub, now),
                ));
            }
        }
    }
    RoundReport {
        result: RoundResult::Success,
        global_error: None,
        findings: Findings {
            problems,
            cases_observed: true,
        },
        states: Some(count_states(plan)),
        failed_cases,
        changes_left,
        applied,
    }
}

#[cfg(test)]
mod tests;
