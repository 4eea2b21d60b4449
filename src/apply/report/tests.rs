use serde_json::json;

use super::*;
use crate::live::ApiErrorKind;
use crate::plan::fixtures::{create_case, error_case, unchanged_case, update_case};

const NEW_ID: &str = "1000000001";

fn at(start: Instant, millis: u64) -> Instant {
    start + Duration::from_millis(millis)
}

fn record(
    operation: &'static str,
    result: RequestResult,
    started: Option<Instant>,
    millis: u64,
    throttled_retries: u32,
) -> RequestRecord {
    RequestRecord {
        operation,
        result,
        started,
        duration: Duration::from_millis(millis),
        throttled_retries,
    }
}

/// A bad binding nothing was sent for, a create that went through after two throttles, an
/// update whose first status move was refused, and a case with nothing to do.
fn plan() -> Plan {
    Plan::from_cases(vec![
        error_case(),
        create_case(),
        update_case(),
        unchanged_case("quiet-case"),
    ])
}

fn outcomes(start: Instant) -> Vec<CaseOutcome> {
    let refused = ApiError {
        operation: "UpdateCaseStatus",
        kind: ApiErrorKind::Validation,
        message: "watcher bob@example.com cannot move the case".into(),
    };
    vec![
        CaseOutcome {
            name: "tor-logins".into(),
            case_id: Some(NEW_ID.into()),
            created: true,
            requests: vec![
                record(
                    "CreateCase",
                    RequestResult::Success,
                    Some(at(start, 0)),
                    30,
                    2,
                ),
                record(
                    "UpdateCaseStatus",
                    RequestResult::Success,
                    Some(at(start, 40)),
                    10,
                    0,
                ),
            ],
            duration: Duration::from_millis(55),
            warnings: vec!["the audit comment was not posted: bob@example.com said no".into()],
        },
        CaseOutcome {
            name: "payroll-phishing".into(),
            case_id: Some("1234567890".into()),
            created: false,
            requests: vec![
                record(
                    "UpdateCase",
                    RequestResult::Success,
                    Some(at(start, 5)),
                    20,
                    1,
                ),
                record(
                    "UpdateCaseStatus",
                    RequestResult::Failed(refused),
                    Some(at(start, 25)),
                    7,
                    0,
                ),
                record("UpdateCaseStatus", RequestResult::NotSent, None, 0, 0),
            ],
            duration: Duration::from_millis(32),
            warnings: vec![],
        },
    ]
}

fn target() -> ReportTarget {
    ReportTarget {
        endpoint: "http://127.0.0.1:4566".into(),
        region: Some("us-east-1".into()),
    }
}

fn report_of(
    plan: &Plan,
    outcomes: &[CaseOutcome],
    start: Instant,
    redactor: Option<&Redactor>,
    recorded: Option<&[String]>,
) -> ApplyReport {
    build_report(&ReportInput {
        plan,
        outcomes,
        target: &target(),
        times: RunTimes {
            started_at: Timestamp::parse_rfc3339("2026-11-20T08:00:00.250Z").unwrap(),
            started: start,
            duration: Duration::from_millis(1_800),
        },
        redactor,
        recorded,
    })
}

#[test]
fn the_report_lists_applied_and_unplanned_cases_in_plan_order_with_each_request() {
    let start = Instant::now();
    let plan = plan();
    let report = report_of(&plan, &outcomes(start), start, None, None);
    let value = serde_json::to_value(&report).unwrap();

    assert_eq!(value["formatVersion"], 1);
    assert_eq!(value["siropsVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(value["startedAt"], "2026-11-20T08:00:00.25Z");
    assert_eq!(value["finishedAt"], "2026-11-20T08:00:02.05Z");
    assert_eq!(value["durationMs"], 1_800);
    assert_eq!(
        value["target"],
        json!({"endpoint": "http://127.0.0.1:4566", "region": "us-east-1"})
    );
    assert_eq!(
        value["summary"],
        json!({"applied": 1, "failed": 1, "created": 1, "unplanned": 1, "requests": 4,
               "throttledRetries": 3, "caseIdsRecorded": 0})
    );
    let names: Vec<&str> = report.cases.iter().map(|case| case.name.as_str()).collect();
    assert_eq!(
        names,
        ["bad-binding", "tor-logins", "payroll-phishing"],
        "plan order; a case with nothing to do is left out"
    );

    assert_eq!(
        value["cases"][0],
        json!({"name": "bad-binding", "caseId": "9999999999", "created": false,
               "action": "error", "outcome": "notPlanned", "durationMs": null,
               "requests": [], "warnings": [],
               "error": "case 9999999999 does not exist (ResourceNotFoundException); check metadata.caseId"})
    );
    assert_eq!(
        value["cases"][1],
        json!({"name": "tor-logins", "caseId": NEW_ID, "created": true, "action": "create",
               "outcome": "applied", "durationMs": 55,
               "requests": [
                   {"operation": "CreateCase", "outcome": "success", "startedMs": 0,
                    "durationMs": 30, "throttledRetries": 2},
                   {"operation": "UpdateCaseStatus", "outcome": "success", "startedMs": 40,
                    "durationMs": 10, "throttledRetries": 0}],
               "warnings": ["the audit comment was not posted: bob@example.com said no"]})
    );
    assert_eq!(
        value["cases"][2]["requests"],
        json!([
            {"operation": "UpdateCase", "outcome": "success", "startedMs": 5, "durationMs": 20,
             "throttledRetries": 1},
            {"operation": "UpdateCaseStatus", "outcome": "failed", "startedMs": 25,
             "durationMs": 7, "throttledRetries": 0,
             "error": {"kind": "validation", "code": "ValidationException",
                       "message": "UpdateCaseStatus failed: ValidationException: watcher bob@example.com cannot move the case"}},
            {"operation": "UpdateCaseStatus", "outcome": "notSent", "startedMs": null,
             "durationMs": null, "throttledRetries": 0}
        ])
    );
    assert_eq!(value["cases"][2]["outcome"], "failed");
    assert_eq!(value["cases"][2]["action"], "update");
}

#[test]
fn a_status_move_found_already_made_counts_as_applied() {
    let start = Instant::now();
    let plan = Plan::from_cases(vec![update_case()]);
    let outcomes = [CaseOutcome {
        name: "payroll-phishing".into(),
        case_id: Some("1234567890".into()),
        created: false,
        requests: vec![
            record(
                "UpdateCase",
                RequestResult::Success,
                Some(at(start, 0)),
                5,
                0,
            ),
            record(
                "UpdateCaseStatus",
                RequestResult::AlreadyDone,
                Some(at(start, 5)),
                9,
                0,
            ),
            record("UpdateCaseStatus", RequestResult::AlreadyDone, None, 0, 0),
        ],
        duration: Duration::from_millis(14),
        warnings: vec![],
    }];
    let report = report_of(&plan, &outcomes, start, None, None);
    assert_eq!(report.cases[0].outcome, CaseResult::Applied);
    let results: Vec<RequestOutcome> = report.cases[0]
        .requests
        .iter()
        .map(|request| request.outcome)
        .collect();
    assert_eq!(
        results,
        [
            RequestOutcome::Success,
            RequestOutcome::AlreadyDone,
            RequestOutcome::AlreadyDone
        ]
    );
    assert_eq!(
        report.summary.requests, 2,
        "the step the refusal covered was never sent"
    );
    assert_eq!(report.summary.applied, 1);
}

#[test]
fn with_redact_every_message_gets_the_plans_placeholders() {
    let start = Instant::now();
    let plan = plan();
    let redactor = Redactor::for_plan(&plan);
    let plain = render_json(&report_of(&plan, &outcomes(start), start, None, None));
    assert_eq!(plain.matches("bob@example.com").count(), 2, "{plain}");
    let redacted = report_of(&plan, &outcomes(start), start, Some(&redactor), None);
    let text = render_json(&redacted);
    assert!(!text.contains("bob@example.com"), "{text}");
    let message = redacted.cases[2].requests[1]
        .error
        .as_ref()
        .unwrap()
        .message
        .clone();
    assert!(message.starts_with("UpdateCaseStatus failed: ValidationException: watcher <email-"));
    assert!(redacted.cases[1].warnings[0].contains("<email-"));
}

#[test]
fn with_write_back_each_case_says_whether_its_id_was_recorded() {
    let start = Instant::now();
    let plan = plan();
    // `quiet-case` needed no request, but its id was recorded too: only the summary shows it.
    let recorded = ["tor-logins".to_string(), "quiet-case".to_string()];
    let report = report_of(&plan, &outcomes(start), start, None, Some(&recorded));
    let flags: Vec<Option<bool>> = report
        .cases
        .iter()
        .map(|case| case.case_id_recorded)
        .collect();
    assert_eq!(flags, [Some(false), Some(true), Some(false)]);
    assert_eq!(report.summary.case_ids_recorded, 2);

    let without = serde_json::to_value(report_of(&plan, &outcomes(start), start, None, None));
    assert!(
        without.unwrap()["cases"][1].get("caseIdRecorded").is_none(),
        "absent without --write-back"
    );
}

#[test]
fn a_run_with_nothing_to_apply_still_reports_zero_cases() {
    let start = Instant::now();
    let plan = Plan::from_cases(vec![unchanged_case("quiet-case")]);
    let report = report_of(&plan, &[], start, None, Some(&[]));
    assert!(report.cases.is_empty());
    assert_eq!(report.summary, ReportSummary::default());
    assert_eq!(report.format_version, FORMAT_VERSION);
}

#[test]
fn a_report_round_trips_through_json() {
    let start = Instant::now();
    let plan = plan();
    let recorded = ["tor-logins".to_string()];
    let report = report_of(&plan, &outcomes(start), start, None, Some(&recorded));
    let text = render_json(&report);
    assert!(text.ends_with("}\n"));
    let read: ApplyReport = serde_json::from_str(&text).unwrap();
    assert_eq!(read, report);
    assert_eq!(render_json(&read), text);
}
