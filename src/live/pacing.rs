//! Client-side pacing: every call of the run goes through one [`Pacer`], which learns the rate
//! each operation's quota sustains and spaces that operation's calls to it, so that a
//! throttling service costs time close to its quota and no case ever fails for being throttled.
//!
//! The service's quotas are token buckets per account, region and operation: a burst is free,
//! then calls succeed at the refill rate and the rest are refused with a 429 that takes no
//! effect. Fixed retry counts lose that race (a plan of a few hundred cases gives up on some of
//! them) and blind backoff wastes most of the quota. So:
//!
//! - An operation runs unpaced until throttles are a pattern rather than luck (a quota
//!   refuses nearly every call once its burst is spent; another client's share or a fault only
//!   some). From then on its calls are spaced at a rate that follows a cubic curve, as TCP CUBIC
//!   does: after each slow-down it climbs quickly back toward its ceiling, stays near it, then
//!   probes above it in case the quota grew. The bucket's stored tokens absorb the dip, so the
//!   quota is used in full.
//! - On a throttle the new ceiling is what the operation actually achieved since the last
//!   decision (successes per second): a quota caps successes at its rate however fast the
//!   client sends, so this lands on the quota in one step instead of many multiplicative cuts.
//! - Throttles of calls sent during the hold after a decision change nothing: they are its
//!   leftovers (calls already in flight, the bucket still empty). A throttled call waits its
//!   `Retry-After` before it is sent again.
//! - A throttled call is retried for as long as the operation makes progress (some call of it
//!   succeeded in the last [`STALL`]) and the run's deadline (`--timeout`) has not passed.
//!   Other failures are not this module's: the SDK retries them a bounded number of times.
//!
//! The constants were chosen with the simulation in this module's tests (a token bucket per
//! operation, 16 concurrent cases) and checked with the `throttled` benchmark.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::{ApiError, ApiErrorKind};

/// The rate an operation drops to, as a share of its new ceiling.
const DECREASE: f64 = 0.9;
/// Seconds the curve takes to climb from the dip back to the ceiling.
const RECOVERY_SECONDS: f64 = 8.0;
/// No operation is paced slower than this, whatever the evidence: one call per 20 s.
const SLOWEST_RATE: f64 = 0.05;
/// The shortest span a success rate is measured over: a burst of successes within a few
/// milliseconds says little about the rate after it.
const SHORTEST_SPAN: Duration = Duration::from_secs(1);
/// A rate is only measured from this many successes: a throttle after fewer says more about
/// luck (another client, a fault) than about a quota, and only delays that one call.
const FEWEST_SUCCESSES: usize = 5;
/// The share of an unpaced operation's calls that must be throttled before it is paced.
const UNPACED_THROTTLED_SHARE: f64 = 0.25;
/// How long successes are remembered for measuring the achieved rate.
const LONGEST_SPAN: Duration = Duration::from_secs(30);
/// A throttled call is given up when its operation has had no success for this long.
pub const STALL: Duration = Duration::from_mins(5);
/// The default `--timeout`: generous, since a large repository behind a small quota is slow
/// but not stuck.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_hours(1);
/// Backoff of a throttled call whose answer named no `Retry-After`.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const LONGEST_BACKOFF: Duration = Duration::from_secs(5);
/// Rate changes smaller than this (as a share) are not logged again.
const LOGGED_CHANGE: f64 = 0.2;

/// The pacing curve of one operation after its first throttle.
#[derive(Debug, Clone, Copy)]
struct Curve {
    /// What the operation achieved while throttled, or the rate it was throttled at if lower.
    ceiling: f64,
    /// When it was last slowed down.
    since: Instant,
}

impl Curve {
    fn rate(&self, now: Instant) -> f64 {
        let progress = now.saturating_duration_since(self.since).as_secs_f64() / RECOVERY_SECONDS;
        self.ceiling * (1.0 + (1.0 - DECREASE) * (progress - 1.0).powi(3))
    }
}

#[derive(Debug)]
struct Operation {
    curve: Option<Curve>,
    /// The earliest time the next call may be sent.
    next_send: Instant,
    first_call: Instant,
    /// When calls succeeded, the last [`LONGEST_SPAN`] of them.
    successes: VecDeque<Instant>,
    last_success: Option<Instant>,
    throttled: u64,
    /// When the rate was last set from a throttle.
    decided_at: Option<Instant>,
    /// When it was first set, and how many calls sent before then succeeded.
    first_decision: Option<Instant>,
    burst_successes: usize,
    /// Throttles of calls sent before this change nothing.
    hold_until: Instant,
    /// Calls sent, throttled ones included.
    sent: u64,
    logged_rate: Option<f64>,
}

impl Operation {
    fn new(now: Instant) -> Operation {
        Operation {
            curve: None,
            next_send: now,
            first_call: now,
            successes: VecDeque::new(),
            last_success: None,
            throttled: 0,
            decided_at: None,
            first_decision: None,
            burst_successes: 0,
            hold_until: now,
            sent: 0,
            logged_rate: None,
        }
    }

    fn rate(&self, now: Instant) -> Option<f64> {
        self.curve.map(|curve| curve.rate(now))
    }

    /// When a call may be sent, reserving that slot.
    fn reserve(&mut self, now: Instant) -> Instant {
        self.sent += 1;
        let slot = self.next_send.max(now);
        if let Some(rate) = self.rate(slot) {
            self.next_send = slot + Duration::from_secs_f64(1.0 / rate);
        }
        slot
    }

    fn succeeded(&mut self, sent: Instant, now: Instant) {
        self.successes.push_back(now);
        self.count_late_burst_success(sent);
        while self
            .successes
            .front()
            .is_some_and(|time| now.saturating_duration_since(*time) > LONGEST_SPAN)
        {
            self.successes.pop_front();
        }
        self.last_success = Some(now);
    }

    /// How many calls succeeded since `start`, and how many per second, measured over at least
    /// [`SHORTEST_SPAN`] when the operation is that old.
    fn achieved_since(&self, start: Instant, now: Instant) -> (usize, f64) {
        let start = start
            .min(now.checked_sub(SHORTEST_SPAN).unwrap_or(start))
            .max(now.checked_sub(LONGEST_SPAN).unwrap_or(start))
            .max(self.first_call);
        let count = self
            .successes
            .iter()
            .rev()
            .take_while(|time| **time >= start)
            .count();
        let span = now.saturating_duration_since(start).max(SHORTEST_SPAN);
        (count, count as f64 / span.as_secs_f64())
    }

    /// Slows down after a throttle of a call sent at `sent`; returns the new rate when it
    /// changed.
    fn throttled(&mut self, sent: Instant, now: Instant) -> Option<f64> {
        self.throttled += 1;
        // Throttles of calls sent during the hold are the last decision's leftovers (the
        // bucket is still empty, calls already in flight, retries of the calls it throttled):
        // reacting to each would cut the rate again and again for one excess.
        if sent < self.hold_until {
            return None;
        }
        // Unpaced, an operation starts pacing when throttles are a pattern, not luck: a quota
        // refuses nearly every call once its burst is spent, another client's share or a
        // fault only some.
        let first = self.curve.is_none();
        if first && (self.throttled as f64) < UNPACED_THROTTLED_SHARE * self.sent as f64 {
            return None;
        }
        let measured_from = self.decided_at.unwrap_or(self.first_call);
        let (successes, achieved) = self.achieved_since(measured_from, now);
        if successes < FEWEST_SUCCESSES {
            return None;
        }
        let ceiling = self
            .rate(sent)
            .map_or(achieved, |rate| rate.min(achieved))
            .max(SLOWEST_RATE);
        let recovery = Duration::from_secs_f64(RECOVERY_SECONDS);
        // The first throttles end a burst, not a sustained excess: pacing starts at the
        // ceiling rather than below it, and only the calls already sent are let go by.
        let (since, hold) = if first {
            (now.checked_sub(recovery).unwrap_or(now), SHORTEST_SPAN)
        } else {
            (now, recovery)
        };
        let curve = Curve { ceiling, since };
        self.curve = Some(curve);
        self.decided_at = Some(now);
        if first {
            self.first_decision = Some(now);
            self.burst_successes = successes;
        }
        self.hold_until = now + hold;
        Some(curve.rate(now))
    }

    /// A call of the first burst whose success came back after the first decision: the burst
    /// was that much larger, and so is the rate it stands for. Successes can be slower to
    /// answer than refusals, so the first decision may have seen only some of them.
    fn count_late_burst_success(&mut self, sent: Instant) {
        let Some(first_decision) = self.first_decision else {
            return;
        };
        if sent >= first_decision || self.decided_at != Some(first_decision) {
            return;
        }
        self.burst_successes += 1;
        let span = first_decision
            .saturating_duration_since(self.first_call)
            .max(SHORTEST_SPAN);
        let burst_rate = self.burst_successes as f64 / span.as_secs_f64();
        if let Some(curve) = &mut self.curve {
            curve.ceiling = curve.ceiling.max(burst_rate);
        }
    }

    /// Whether a rate change is worth a log line: the first, and large ones.
    fn worth_logging(&mut self, rate: f64) -> bool {
        let worth = self
            .logged_rate
            .is_none_or(|logged| (rate - logged).abs() > logged * LOGGED_CHANGE);
        if worth {
            self.logged_rate = Some(rate);
        }
        worth
    }
}

tokio::task_local! {
    /// The throttled retries of the call being awaited, when its caller asked to count them.
    static THROTTLED_RETRIES: std::cell::Cell<u32>;
}

/// Runs `work` and counts how many times the pacer retried a throttled call inside it.
///
/// The pacer is shared by every concurrent call of the run, so a counter on it cannot tell
/// one request's retries from another's, and `CaseApi::send` returns no count (an error or a
/// success is what every caller needs; the count is only for the apply report). A task-local
/// value travels with the future instead: each `work` polled under it sees its own counter,
/// even when many run in one task (`map_concurrently` polls them all in its own).
pub async fn count_throttled_retries<T>(work: impl Future<Output = T>) -> (T, u32) {
    THROTTLED_RETRIES
        .scope(std::cell::Cell::new(0), async {
            let output = work.await;
            (output, THROTTLED_RETRIES.with(std::cell::Cell::get))
        })
        .await
}

/// What pacing did in a run, for the progress line and the summaries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PacingReport {
    /// Calls the service throttled (each was retried or, past the deadline, reported).
    pub throttled: u64,
    /// The rate each paced operation was found to sustain (its curve's ceiling), in calls per
    /// second.
    pub rates: BTreeMap<&'static str, f64>,
    /// Attempts sent, by operation and outcome (`success`, or the error kind's label), since
    /// the client was made.
    pub calls: BTreeMap<(&'static str, &'static str), u64>,
}

impl PacingReport {
    /// One line for people: which operations were slowed down and to what, or `None` when the
    /// service never throttled.
    pub fn describe(&self) -> Option<String> {
        if self.throttled == 0 {
            return None;
        }
        let mut line = format!(
            "the service throttled {}, each retried",
            crate::plan::plural(self.throttled as usize, "call")
        );
        if !self.rates.is_empty() {
            let rates: Vec<String> = self
                .rates
                .iter()
                .map(|(operation, rate)| format!("{operation} {}", per_second(*rate)))
                .collect();
            line.push_str(&format!("; paced at {}", rates.join(", ")));
        }
        Some(line)
    }
}

fn per_second(rate: f64) -> String {
    if rate >= 10.0 {
        format!("{rate:.0}/s")
    } else {
        format!("{rate:.1}/s")
    }
}

/// The run's shared pacing state. One per client; every task of the run calls through it.
#[derive(Debug)]
pub struct Pacer {
    operations: Mutex<HashMap<&'static str, Operation>>,
    run: Mutex<RunClock>,
    timeout: Duration,
    calls: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    stopping: AtomicBool,
    /// Wakes calls waiting for a slot or a retry when the run is told to stop.
    stop_signal: tokio::sync::Notify,
}

/// When the current run started, and when its throttled calls give up.
#[derive(Debug, Clone, Copy)]
struct RunClock {
    started: Instant,
    /// `None` when the timeout reaches past what the clock can represent: no deadline.
    deadline: Option<Instant>,
}

impl RunClock {
    fn starting_now(timeout: Duration) -> RunClock {
        let now = Instant::now();
        RunClock {
            started: now,
            deadline: now.checked_add(timeout),
        }
    }
}

impl Pacer {
    /// A pacer whose throttled calls give up `timeout` from now.
    pub fn new(timeout: Duration) -> Pacer {
        Pacer {
            operations: Mutex::new(HashMap::new()),
            run: Mutex::new(RunClock::starting_now(timeout)),
            timeout,
            calls: Mutex::new(BTreeMap::new()),
            stopping: AtomicBool::new(false),
            stop_signal: tokio::sync::Notify::new(),
        }
    }

    /// Starts a new run on the same client (a round of `reconcile`): `--timeout` counts from
    /// now, while the rates learned so far are kept, since the quotas have not changed.
    pub fn begin_run(&self) {
        *lock(&self.run) = RunClock::starting_now(self.timeout);
    }

    /// From now on no attempt is sent: calls not yet sent fail as [`ApiErrorKind::Stopped`],
    /// and a throttled call is not sent again. Attempts in flight finish.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.stop_signal.notify_waiters();
    }

    /// Waits until `time`; `Err` as soon as the run is told to stop, even mid-wait (a
    /// `Retry-After` can be longer than a shutdown may take).
    async fn wait_unless_stopped(
        &self,
        time: Instant,
        operation: &'static str,
    ) -> Result<(), ApiError> {
        let stopped = self.stop_signal.notified();
        tokio::pin!(stopped);
        // Registered before the flag is read, so a stop between the two still wakes it.
        stopped.as_mut().enable();
        if !self.stopping.load(Ordering::SeqCst) {
            tokio::select! {
                () = wait_until(time) => return Ok(()),
                () = stopped => {}
            }
        }
        Err(ApiError {
            operation,
            kind: ApiErrorKind::Stopped,
            message: "sirops is stopping".into(),
        })
    }

    fn count(&self, operation: &'static str, outcome: &'static str) {
        *lock(&self.calls).entry((operation, outcome)).or_default() += 1;
    }

    fn with_operation<T>(
        &self,
        operation: &'static str,
        now: Instant,
        action: impl FnOnce(&mut Operation) -> T,
    ) -> T {
        let mut operations = lock(&self.operations);
        action(
            operations
                .entry(operation)
                .or_insert_with(|| Operation::new(now)),
        )
    }

    pub fn report(&self) -> PacingReport {
        let operations = lock(&self.operations);
        PacingReport {
            calls: lock(&self.calls).clone(),
            throttled: operations
                .values()
                .map(|operation| operation.throttled)
                .sum(),
            rates: operations
                .iter()
                .filter_map(|(name, operation)| Some((*name, operation.curve?.ceiling)))
                .collect(),
        }
    }

    /// Runs `attempt` (one call, with the SDK's own retries of other failures) paced, retrying
    /// it while the service throttles it and progress is being made.
    pub async fn call<T, Fut>(
        &self,
        operation: &'static str,
        attempt: impl Fn() -> Fut,
    ) -> Result<T, ApiError>
    where
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let mut backoff = FIRST_BACKOFF;
        let mut earliest = Instant::now();
        loop {
            // A retry first waits out its own delay and only then queues for a slot: a slot
            // reserved in the future would hold back every other call of the operation.
            self.wait_unless_stopped(earliest, operation).await?;
            let slot = self.with_operation(operation, Instant::now(), |state| {
                state.reserve(Instant::now())
            });
            self.wait_unless_stopped(slot, operation).await?;
            let sent = Instant::now();
            let error = match attempt().await {
                Ok(value) => {
                    self.count(operation, "success");
                    self.with_operation(operation, sent, |state| {
                        state.succeeded(sent, Instant::now());
                    });
                    return Ok(value);
                }
                Err(error) => error,
            };
            self.count(operation, error.kind.label());
            let ApiErrorKind::Throttled { retry_after, .. } = &error.kind else {
                return Err(error);
            };
            let now = Instant::now();
            let (changed, last_success) = self.with_operation(operation, sent, |state| {
                let changed = state
                    .throttled(sent, now)
                    .filter(|rate| state.worth_logging(*rate));
                (changed, state.last_success)
            });
            if let Some(rate) = changed {
                tracing::info!(
                    operation,
                    rate = %per_second(rate),
                    "the service is throttling; slowing down"
                );
            } else {
                tracing::debug!(operation, "throttled; retrying");
            }
            let wait = retry_after.unwrap_or(backoff);
            backoff = (backoff * 2).min(LONGEST_BACKOFF);
            earliest = now + wait;
            if let Some(reason) = self.give_up(last_success, sent, earliest) {
                return Err(gave_up(error, reason));
            }
            // Outside `count_throttled_retries` nobody counts: not an error.
            let _ = THROTTLED_RETRIES.try_with(|retries| retries.set(retries.get() + 1));
        }
    }

    /// Why a throttled call sent at `sent` should not be retried at `retry_at`, if it should
    /// not.
    fn give_up(
        &self,
        last_success: Option<Instant>,
        sent: Instant,
        retry_at: Instant,
    ) -> Option<String> {
        let run = *lock(&self.run);
        if run.deadline.is_some_and(|deadline| retry_at > deadline) {
            return Some(format!(
                "still throttled when the run's --timeout of {} ran out; run again later or raise --timeout",
                describe_duration(self.timeout)
            ));
        }
        let progress = last_success.unwrap_or(run.started);
        if sent.saturating_duration_since(progress) > STALL {
            return Some(format!(
                "every call of it was throttled for {}; the quota may be used up by another client: run again later",
                describe_duration(STALL)
            ));
        }
        None
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Sleeps until `time` unless it has passed: a timer for a past instant still waits for the
/// timer wheel's next tick, a millisecond added to every unpaced call.
async fn wait_until(time: Instant) {
    if time > Instant::now() {
        tokio::time::sleep_until(time).await;
    }
}

fn gave_up(error: ApiError, reason: String) -> ApiError {
    ApiError {
        message: format!("{} ({reason})", error.message),
        ..error
    }
}

fn describe_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0..=119 => format!("{seconds}s"),
        _ if seconds.is_multiple_of(3600) => format!("{}h", seconds / 3600),
        _ => format!("{}m", seconds.div_ceil(60)),
    }
}

/// Parses `--timeout`: a number of seconds, or a number with `s`, `m` or `h`.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((index, 's')) => (&text[..index], 1.0),
        Some((index, 'm')) => (&text[..index], 60.0),
        Some((index, 'h')) => (&text[..index], 3600.0),
        _ => (text, 1.0),
    };
    number
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite() && *value > 0.0)
        .and_then(|value| Duration::try_from_secs_f64(value * unit).ok())
        .ok_or_else(|| {
            format!("{text:?} is not a duration: give seconds, or a number with s, m or h (90s, 30m, 2h)")
        })
}

#[cfg(test)]
mod tests;
