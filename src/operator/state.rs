//! What a round found, as states and problems, and which problems are news. Pure: the loop
//! hands in the plan, the apply outcomes and the time, and gets back the events to send.
//!
//! A problem is something a person should hear about: drift on a case, an apply that failed,
//! manifests that do not validate, a service that cannot be reached, a round that could not
//! plan. The tracker remembers the problems of the last rounds so that each is told once when
//! it starts, again when it changes, as a reminder every `--notify-repeat` while it lasts, and
//! once more when it ends, never once per round.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::event::{Event, EventKind};
use crate::diff::drift::Cause;
use crate::model::Timestamp;
use crate::plan::{CasePlan, Plan};

/// Where a case stands after a round's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Live matches the manifest (expected drift, left alone, included).
    InSync,
    /// Live moved away from the revision last applied, behind git's back.
    Drift,
    /// Git moved and live did not follow yet, or the cause is unknown (no git, no base).
    PendingChange,
    /// Both moved, to different values.
    Conflict,
    /// The case could not be planned.
    Error,
}

impl CaseState {
    pub const ALL: [CaseState; 5] = [
        CaseState::InSync,
        CaseState::Drift,
        CaseState::PendingChange,
        CaseState::Conflict,
        CaseState::Error,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CaseState::InSync => "in_sync",
            CaseState::Drift => "drift",
            CaseState::PendingChange => "pending_change",
            CaseState::Conflict => "conflict",
            CaseState::Error => "error",
        }
    }

    /// The state of one case of a plan. A conflict outranks drift, which outranks a pending
    /// change: the case is as urgent as its most urgent field.
    pub fn of(case: &CasePlan) -> CaseState {
        if case.error.is_some() {
            return CaseState::Error;
        }
        if !case.has_changes() {
            return CaseState::InSync;
        }
        let causes: BTreeSet<Option<Cause>> =
            case.changes.iter().map(|change| change.cause).collect();
        if causes.contains(&Some(Cause::Conflict)) {
            CaseState::Conflict
        } else if causes.contains(&Some(Cause::Drift)) {
            CaseState::Drift
        } else {
            CaseState::PendingChange
        }
    }
}

/// How many cases of the plan are in each state; every state is present, zero or not.
pub fn count_states(plan: &Plan) -> BTreeMap<CaseState, usize> {
    let mut counts: BTreeMap<CaseState, usize> =
        CaseState::ALL.iter().map(|state| (*state, 0)).collect();
    for case in &plan.cases {
        *counts.entry(CaseState::of(case)).or_default() += 1;
    }
    counts
}

/// What a problem is about. Case problems are keyed by manifest name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProblemKey {
    Drift(String),
    ApplyFailed(String),
    ManifestsInvalid,
    ServiceUnreachable,
    RoundFailed,
}

impl ProblemKey {
    /// Problems found only by planning the cases: a round that stopped before planning says
    /// nothing about them.
    fn is_about_a_case(&self) -> bool {
        matches!(self, ProblemKey::Drift(_) | ProblemKey::ApplyFailed(_))
    }

    fn resolved_kind(&self) -> EventKind {
        match self {
            ProblemKey::Drift(_) => EventKind::DriftResolved,
            ProblemKey::ApplyFailed(_) => EventKind::ApplyRecovered,
            ProblemKey::ManifestsInvalid => EventKind::ManifestsFixed,
            ProblemKey::ServiceUnreachable => EventKind::ServiceRecovered,
            ProblemKey::RoundFailed => EventKind::RoundRecovered,
        }
    }
}

/// The problems a round found, with the event that tells each.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    pub problems: Vec<(ProblemKey, Event)>,
    /// False when the round stopped before it planned the cases: their problems stand.
    pub cases_observed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Open {
    /// The event that told it, which reminders repeat.
    event: Event,
    since: Timestamp,
    last_told: Timestamp,
}

/// The problems open after the rounds so far.
#[derive(Debug, Clone)]
pub struct Tracker {
    open: BTreeMap<ProblemKey, Open>,
    repeat: Duration,
}

impl Tracker {
    /// A tracker that reminds of a lasting problem every `repeat`.
    pub fn new(repeat: Duration) -> Tracker {
        Tracker {
            open: BTreeMap::new(),
            repeat,
        }
    }

    #[cfg(test)]
    pub fn open_problems(&self) -> impl Iterator<Item = &ProblemKey> {
        self.open.keys()
    }

    /// The open problems as `--state-file` keeps them between runs, so that a restart or the
    /// next `--once` run from cron tells only what changed.
    pub fn to_json(&self) -> String {
        let saved = Saved {
            format_version: SAVED_FORMAT_VERSION,
            open: self
                .open
                .iter()
                .map(|(key, open)| (key.clone(), open.clone()))
                .collect(),
        };
        serde_json::to_string_pretty(&saved).expect("the tracker always serialises")
    }

    /// A tracker with the problems [`Tracker::to_json`] kept; `Err` says why the text is not
    /// such a state.
    pub fn from_json(text: &str, repeat: Duration) -> Result<Tracker, String> {
        let saved: Saved = serde_json::from_str(text).map_err(|error| error.to_string())?;
        if saved.format_version != SAVED_FORMAT_VERSION {
            return Err(format!(
                "format version {} is not {SAVED_FORMAT_VERSION}",
                saved.format_version
            ));
        }
        Ok(Tracker {
            open: saved.open.into_iter().collect(),
            repeat,
        })
    }

    /// Takes in a round's findings at `now`; returns the events to send, in a stable order.
    pub fn observe(&mut self, findings: Findings, now: Timestamp) -> Vec<Event> {
        let mut events = Vec::new();
        let found: BTreeMap<ProblemKey, Event> = findings.problems.into_iter().collect();
        let ended: Vec<ProblemKey> = self
            .open
            .keys()
            .filter(|key| !found.contains_key(*key))
            .filter(|key| findings.cases_observed || !key.is_about_a_case())
            .cloned()
            .collect();
        for key in ended {
            if let Some(open) = self.open.remove(&key) {
                events.push(open.event.resolved(key.resolved_kind(), open.since, now));
            }
        }
        for (key, event) in found {
            match self.open.get_mut(&key) {
                Some(open) if open.event.same_problem(&event) => {
                    if duration_between(open.last_told, now) >= self.repeat {
                        events.push(open.event.reminder(open.since, now));
                        open.last_told = now;
                    }
                }
                Some(open) => {
                    // The problem changed (drift on another field, another error): news.
                    open.event = event.clone();
                    open.last_told = now;
                    events.push(event.with_since(open.since));
                }
                None => {
                    self.open.insert(
                        key,
                        Open {
                            event: event.clone(),
                            since: now,
                            last_told: now,
                        },
                    );
                    events.push(event);
                }
            }
        }
        events
    }
}

const SAVED_FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Saved {
    format_version: u32,
    /// A list, not a map: JSON keys are strings and a key here is not.
    open: Vec<(ProblemKey, Open)>,
}

fn duration_between(earlier: Timestamp, later: Timestamp) -> Duration {
    let millis = later.epoch_millis().saturating_sub(earlier.epoch_millis());
    Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

#[cfg(test)]
mod tests;
