//! The apply report: what one `sirops apply` did, case by case and request by request, as one
//! JSON value for scripts and CI (`apply --format json`, `apply --report FILE`; the format is
//! documented in docs/reference.md, "Apply report", and its schema is
//! `schemas/apply-report.schema.json`).
//!
//! It is built from the plan and the executor's outcomes alone, so it says exactly what the
//! text summary says; building it reads no clock and no file: the run's times come in as
//! values.

use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{CaseOutcome, RequestRecord, RequestResult};
use crate::live::ApiError;
use crate::model::Timestamp;
use crate::plan::target::SIROPS_VERSION;
use crate::plan::{Action, CasePlan, Plan, Redactor};

/// The report's `formatVersion`. Fields may be added within a version, never renamed or
/// removed.
pub const FORMAT_VERSION: u32 = 1;

/// One apply run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(
    title = "sirops apply report",
    description = "What one `sirops apply` did, case by case and request by request. Fields may be added in later versions, never renamed or removed."
)]
pub struct ApplyReport {
    /// 1.
    pub format_version: u32,
    /// The sirops that applied.
    pub sirops_version: String,
    /// When applying began, after the plan was shown (and confirmed); RFC 3339, UTC.
    #[schemars(schema_with = "date_time_schema")]
    pub started_at: Timestamp,
    /// When the run ended, manifests written back included; RFC 3339, UTC.
    #[schemars(schema_with = "date_time_schema")]
    pub finished_at: Timestamp,
    /// `finishedAt` - `startedAt`, in milliseconds.
    pub duration_ms: u64,
    pub target: ReportTarget,
    pub summary: ReportSummary,
    /// In plan order: each case apply sent requests for, and each case that could not be
    /// planned.
    pub cases: Vec<CaseReport>,
}

/// Where the requests went, as a saved plan's `target` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportTarget {
    /// The endpoint URL, or `local:<state file>` for `--local`.
    pub endpoint: String,
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportSummary {
    /// Cases whose requests all succeeded (or were found already made).
    pub applied: u64,
    /// Cases stopped by a failed request.
    pub failed: u64,
    /// Cases this run created.
    pub created: u64,
    /// Cases the plan could not plan (`action` `error`): nothing was sent for them.
    pub unplanned: u64,
    /// Requests sent: every request with a `startedMs`.
    pub requests: u64,
    /// The sum of the requests' `throttledRetries`.
    pub throttled_retries: u64,
    /// Manifests that got their `metadata.caseId` written (`--write-back`), the cases that
    /// needed no request included.
    pub case_ids_recorded: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaseReport {
    /// The manifest's `metadata.name`; for an orphan `--prune` closed, the name in its tag.
    pub name: String,
    /// The case after apply: the new id for a create that succeeded, `null` for one that
    /// failed.
    pub case_id: Option<String>,
    /// True when this run created the case.
    pub created: bool,
    /// The plan's action for the case.
    pub action: Action,
    pub outcome: CaseResult,
    /// From the case's first request to its last, the audit comment included; `null` for
    /// `notPlanned`.
    pub duration_ms: Option<u64>,
    /// The planned requests, in order; empty for `notPlanned`.
    pub requests: Vec<RequestReport>,
    /// What went wrong without failing the case (an audit comment that was not posted).
    pub warnings: Vec<String>,
    /// With `--write-back`: whether this run wrote the case's id into its manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id_recorded: Option<bool>,
    /// For `notPlanned`: why the case could not be planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum CaseResult {
    /// Every request succeeded or was found already made.
    Applied,
    /// A request failed; the ones after it were not sent.
    Failed,
    /// The plan could not plan the case; nothing was sent.
    NotPlanned,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestReport {
    /// The API operation (`CreateCase`, `UpdateCaseStatus`, ...).
    pub operation: String,
    pub outcome: RequestOutcome,
    /// When it was sent, in milliseconds from `startedAt`; `null` when it was not sent.
    pub started_ms: Option<u64>,
    /// How long it took, throttled retries included; `null` when it was not sent.
    pub duration_ms: Option<u64>,
    /// How many times the service throttled it and it was sent again.
    pub throttled_retries: u64,
    /// For `failed`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ReportError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RequestOutcome {
    Success,
    Failed,
    /// A status move that was refused, or not sent, because the case was found to have made
    /// it already (an earlier attempt whose answer was lost).
    AlreadyDone,
    /// Not sent: an earlier request of the case failed.
    NotSent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportError {
    /// What kind of failure: `validation`, `conflict`, `not_found`, `access_denied`,
    /// `throttled`, `service_error`, `unreachable`, `client`, `stopped`, ...
    pub kind: String,
    /// The service's error type (`ValidationException`, ...), when the service answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The error as the text summary shows it.
    pub message: String,
}

fn date_time_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "format": "date-time" })
}

/// The JSON Schema of the report, as `schemas/apply-report.schema.json` holds it.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(ApplyReport)).expect("a schema always serialises")
}

/// The report as `--format json` prints it: one object and a newline.
pub fn render_json(report: &ApplyReport) -> String {
    let text = serde_json::to_string_pretty(report).expect("a report always serialises");
    format!("{text}\n")
}

/// The run's clock: when applying began, on the wall and on the clock the executor's records
/// use, and how long the run took.
#[derive(Debug, Clone, Copy)]
pub struct RunTimes {
    pub started_at: Timestamp,
    pub started: Instant,
    pub duration: Duration,
}

/// What the report is built from.
#[derive(Clone, Copy)]
pub struct ReportInput<'a> {
    pub plan: &'a Plan,
    /// The executor's outcomes for `plan` (empty when nothing was applied).
    pub outcomes: &'a [CaseOutcome],
    pub target: &'a ReportTarget,
    pub times: RunTimes,
    /// With `--redact`: messages get the plan's placeholders.
    pub redactor: Option<&'a Redactor>,
    /// With `--write-back`: the manifests whose case id was written.
    pub recorded: Option<&'a [String]>,
}

pub fn build_report(input: &ReportInput<'_>) -> ApplyReport {
    let mut outcomes = input.outcomes.iter();
    let mut cases = Vec::new();
    // `apply` returns one outcome per case with requests, in plan order.
    for case in &input.plan.cases {
        if !case.requests.is_empty() {
            if let Some(outcome) = outcomes.next() {
                debug_assert_eq!(outcome.name, case.name);
                cases.push(applied_case(input, case, outcome));
            }
        } else if case.action == Action::Error {
            cases.push(unplanned_case(input, case));
        }
    }
    let summary = summarise(&cases, input.recorded);
    ApplyReport {
        format_version: FORMAT_VERSION,
        sirops_version: SIROPS_VERSION.to_string(),
        started_at: input.times.started_at,
        finished_at: Timestamp::from_epoch_millis(
            input
                .times
                .started_at
                .epoch_millis()
                .saturating_add(i64::try_from(millis(input.times.duration)).unwrap_or(i64::MAX)),
        ),
        duration_ms: millis(input.times.duration),
        target: input.target.clone(),
        summary,
        cases,
    }
}

fn summarise(cases: &[CaseReport], recorded: Option<&[String]>) -> ReportSummary {
    let count = |keep: &dyn Fn(&CaseReport) -> bool| cases.iter().filter(|case| keep(case)).count();
    let requests = cases.iter().flat_map(|case| &case.requests);
    ReportSummary {
        applied: count(&|case| case.outcome == CaseResult::Applied) as u64,
        failed: count(&|case| case.outcome == CaseResult::Failed) as u64,
        created: count(&|case| case.created) as u64,
        unplanned: count(&|case| case.outcome == CaseResult::NotPlanned) as u64,
        requests: requests
            .clone()
            .filter(|request| request.started_ms.is_some())
            .count() as u64,
        throttled_retries: requests.map(|request| request.throttled_retries).sum(),
        case_ids_recorded: recorded.map_or(0, |names| names.len() as u64),
    }
}

fn applied_case(input: &ReportInput<'_>, case: &CasePlan, outcome: &CaseOutcome) -> CaseReport {
    CaseReport {
        name: outcome.name.clone(),
        case_id: outcome.case_id.clone(),
        created: outcome.created,
        action: case.action,
        outcome: if outcome.failure().is_some() {
            CaseResult::Failed
        } else {
            CaseResult::Applied
        },
        duration_ms: Some(millis(outcome.duration)),
        requests: outcome
            .requests
            .iter()
            .map(|record| request_report(input, record))
            .collect(),
        warnings: outcome
            .warnings
            .iter()
            .map(|warning| Redactor::text_with(input.redactor, warning))
            .collect(),
        case_id_recorded: recorded(input, &outcome.name),
        error: None,
    }
}

fn unplanned_case(input: &ReportInput<'_>, case: &CasePlan) -> CaseReport {
    CaseReport {
        name: case.name.clone(),
        case_id: case.case_id.clone(),
        created: false,
        action: case.action,
        outcome: CaseResult::NotPlanned,
        duration_ms: None,
        requests: Vec::new(),
        warnings: Vec::new(),
        case_id_recorded: recorded(input, &case.name),
        error: Some(Redactor::text_with(
            input.redactor,
            case.error.as_deref().unwrap_or("it could not be planned"),
        )),
    }
}

fn request_report(input: &ReportInput<'_>, record: &RequestRecord) -> RequestReport {
    let (outcome, error) = match &record.result {
        RequestResult::Success => (RequestOutcome::Success, None),
        RequestResult::AlreadyDone => (RequestOutcome::AlreadyDone, None),
        RequestResult::Failed(error) => (
            RequestOutcome::Failed,
            Some(report_error(input.redactor, error)),
        ),
        RequestResult::NotSent => (RequestOutcome::NotSent, None),
    };
    RequestReport {
        operation: record.operation.to_string(),
        outcome,
        started_ms: record
            .started
            .map(|started| millis(started.saturating_duration_since(input.times.started))),
        duration_ms: record.started.map(|_| millis(record.duration)),
        throttled_retries: u64::from(record.throttled_retries),
        error,
    }
}

fn report_error(redactor: Option<&Redactor>, error: &ApiError) -> ReportError {
    ReportError {
        kind: error.kind.label().to_string(),
        code: error.code().map(str::to_string),
        message: Redactor::text_with(redactor, &error.to_string()),
    }
}

fn recorded(input: &ReportInput<'_>, name: &str) -> Option<bool> {
    input
        .recorded
        .map(|names| names.iter().any(|recorded| recorded == name))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
