//! The apply report end to end: `apply --format json` prints it alone on stdout, `--report`
//! writes it beside the text summary, and what it says each request did is what the emulator
//! received. Every report is validated against the committed schema and round-trips through
//! the Rust type.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use sirops::apply_report::{self as report, ApplyReport};
use sirops::emulator::{EmulatorConfig, RateLimits};

use crate::support::{
    Run, Sandbox, WRITE_OPERATIONS, client_as, commit_all, git, manifest, tag_resource,
    update_title,
};

const SCHEMA: &str = "schemas/apply-report.schema.json";

#[test]
fn checked_in_apply_report_schema_is_current() {
    let path = Path::new(SCHEMA);
    let generated = format!(
        "{}\n",
        serde_json::to_string_pretty(&report::json_schema()).unwrap()
    );
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{SCHEMA} is stale; regenerate it with `UPDATE_SCHEMA=1 cargo test --test suite checked_in_apply_report_schema_is_current`"
    );
}

#[tokio::test]
async fn sirops_schema_prints_the_apply_report_schema() {
    let sandbox = Sandbox::new().await;
    let run = sandbox.sirops(&["schema", "--apply-report"]).await;
    run.expect_code(0);
    assert_eq!(run.json(), report::json_schema());
    let both = sandbox
        .sirops(&["schema", "--apply-report", "--project"])
        .await;
    both.expect_code(1);
    assert!(
        both.stderr.contains("cannot be used with"),
        "{}",
        both.stderr
    );
}

/// The report on stdout: one JSON object and a newline, valid against the committed schema,
/// and the same JSON after a trip through `ApplyReport`.
fn checked_report(run: &Run) -> Value {
    assert!(
        run.stdout.starts_with('{') && run.stdout.ends_with("}\n"),
        "stdout holds the report alone:\n{}",
        run.stdout
    );
    checked(&run.stdout)
}

fn checked(text: &str) -> Value {
    let value: Value = serde_json::from_str(text)
        .unwrap_or_else(|error| panic!("not one JSON value ({error}):\n{text}"));
    let problems = schema_problems(&value);
    assert!(problems.is_empty(), "{problems:#?}\n{text}");
    let typed: ApplyReport = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), value, "round trip");
    value
}

fn schema_problems(value: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(SCHEMA).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid schema");
    validator
        .iter_errors(value)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

fn case<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|case| case["name"] == name)
        .unwrap_or_else(|| panic!("no case {name} in {report:#}"))
}

fn operations(case: &Value) -> Vec<&str> {
    case["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|request| request["operation"].as_str().unwrap())
        .collect()
}

fn outcomes(case: &Value) -> Vec<&str> {
    case["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|request| request["outcome"].as_str().unwrap())
        .collect()
}

/// The sent requests of every case, by operation, as the emulator counts calls.
fn sent_operations(report: &Value) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for case in report["cases"].as_array().unwrap() {
        for request in case["requests"].as_array().unwrap() {
            if !request["startedMs"].is_null() {
                *counts
                    .entry(request["operation"].as_str().unwrap().to_string())
                    .or_insert(0) += 1;
            }
        }
    }
    counts
}

fn writes_without_comments(calls: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    calls
        .iter()
        .filter(|(operation, _)| {
            WRITE_OPERATIONS.contains(&operation.as_str()) && *operation != "CreateCaseComment"
        })
        .map(|(operation, count)| (operation.clone(), *count))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_json_apply_reports_each_request_the_emulator_received() {
    let sandbox = Sandbox::with_manifests(&["renamed", "moved"]).await;
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    let renamed_id = sandbox.recorded_case_id("renamed").unwrap();
    let moved_id = sandbox.recorded_case_id("moved").unwrap();
    sandbox.write_manifest(
        "renamed",
        &sandbox
            .read_manifest("renamed")
            .replace("title: Incident renamed", "title: Renamed incident"),
    );
    sandbox.write_manifest(
        "moved",
        &format!(
            "{}  status: Detection and Analysis\n",
            sandbox.read_manifest("moved")
        ),
    );
    sandbox.write_case("new", "");

    let (run, calls) = sandbox
        .sirops_calls(&[
            "apply",
            "--auto-approve",
            "--format",
            "json",
            "--write-back",
        ])
        .await;
    run.expect_code(0);
    let report = checked_report(&run);
    assert!(
        run.stderr.contains("new") && run.stderr.contains("Apply complete"),
        "the plan and the summary go to stderr:\n{}",
        run.stderr
    );

    assert_eq!(
        report["summary"],
        serde_json::json!({"applied": 3, "failed": 0, "created": 1, "unplanned": 0,
                           "requests": 3, "throttledRetries": 0, "caseIdsRecorded": 1})
    );
    assert_eq!(
        sent_operations(&report),
        writes_without_comments(&calls),
        "the report's requests are the writes the emulator received"
    );
    let new = case(&report, "new");
    let new_id = new["caseId"].as_str().unwrap();
    assert_eq!(Some(new_id.to_string()), sandbox.recorded_case_id("new"));
    assert!(sandbox.case_ids().await.contains(&new_id.to_string()));
    assert_eq!(new["created"], true);
    assert_eq!(new["action"], "create");
    assert_eq!(new["caseIdRecorded"], true);
    assert_eq!(operations(new), ["CreateCase"]);

    let renamed = case(&report, "renamed");
    assert_eq!(renamed["caseId"], renamed_id.as_str());
    assert_eq!(
        (renamed["action"].as_str(), renamed["created"].as_bool()),
        (Some("update"), Some(false))
    );
    assert_eq!(operations(renamed), ["UpdateCase"]);
    assert_eq!(renamed["caseIdRecorded"], false, "it had its id already");
    let moved = case(&report, "moved");
    assert_eq!(moved["caseId"], moved_id.as_str());
    assert_eq!(operations(moved), ["UpdateCaseStatus"]);
    assert_eq!(
        sandbox
            .live_case(&moved_id)
            .await
            .case_status()
            .unwrap()
            .as_str(),
        "Detection and Analysis"
    );

    let duration = report["durationMs"].as_u64().unwrap();
    for name in ["new", "renamed", "moved"] {
        let case = case(&report, name);
        assert_eq!(case["outcome"], "applied");
        assert!(case["durationMs"].as_u64().unwrap() <= duration);
        for request in case["requests"].as_array().unwrap() {
            assert_eq!(request["outcome"], "success");
            let started = request["startedMs"]
                .as_u64()
                .expect("a sent request has a start");
            let took = request["durationMs"].as_u64().expect("and a duration");
            assert!(started + took <= duration, "{request} within {duration} ms");
        }
    }
    let started_at = report["startedAt"].as_str().unwrap();
    let finished_at = report["finishedAt"].as_str().unwrap();
    let started: jiff::Timestamp = started_at.parse().unwrap();
    let finished: jiff::Timestamp = finished_at.parse().unwrap();
    assert!(started_at.ends_with('Z') && finished_at.ends_with('Z'));
    assert_eq!(
        (finished - started).total(jiff::Unit::Millisecond).unwrap() as u64,
        duration
    );
    assert!(
        report["target"]["endpoint"]
            .as_str()
            .unwrap()
            .starts_with(&sandbox.emulator.endpoint_url())
    );

    // Nothing left to change: the report is still printed, with no case in it.
    let again = sandbox.apply(&["--format", "json"]).await;
    again.expect_code(0);
    let report = checked_report(&again);
    assert_eq!(report["cases"], serde_json::json!([]));
    assert_eq!(report["summary"]["applied"], 0);
    assert_eq!(report["summary"]["requests"], 0);
}

/// The service refuses a TagResource that would give the case more than 200 tags. sirops
/// cannot see that coming: tags under `sirops:` are its own bookkeeping, which a manifest's
/// tags never touch, so filler tags there make the case's one new user tag the one too many.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_request_is_reported_with_its_error_and_the_rest_as_not_sent() {
    let sandbox = Sandbox::with_manifests(&["crowded"]).await;
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    let case_id = sandbox.recorded_case_id("crowded").unwrap();
    let arn = sandbox.arn_of(&case_id).await;
    let filler: Vec<(String, String)> = (sandbox.tags_of(&case_id).await.len()..200)
        .map(|index| (format!("sirops:filler-{index:03}"), "x".to_string()))
        .collect();
    let filler: Vec<(&str, &str)> = filler
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    tag_resource(&sandbox.client(), &arn, &filler)
        .await
        .unwrap();
    assert_eq!(sandbox.tags_of(&case_id).await.len(), 200);
    sandbox.write_manifest(
        "crowded",
        &format!(
            "{}  status: Detection and Analysis\n  tags:\n    team: blue\n",
            sandbox
                .read_manifest("crowded")
                .replace("title: Incident crowded", "title: Crowded incident")
        ),
    );

    let (run, calls) = sandbox
        .sirops_calls(&["apply", "--auto-approve", "--format", "json"])
        .await;
    run.expect_code(1);
    let report = checked_report(&run);
    let crowded = case(&report, "crowded");
    assert_eq!(crowded["outcome"], "failed");
    assert_eq!(
        operations(crowded),
        ["UpdateCase", "TagResource", "UpdateCaseStatus"]
    );
    assert_eq!(outcomes(crowded), ["success", "failed", "notSent"]);
    let refused = &crowded["requests"][1];
    assert_eq!(refused["error"]["kind"], "service_error");
    assert_eq!(refused["error"]["code"], "ServiceQuotaExceededException");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("TagResource failed: ServiceQuotaExceededException"),
        "{refused}"
    );
    let not_sent = &crowded["requests"][2];
    assert!(not_sent["startedMs"].is_null() && not_sent["durationMs"].is_null());
    assert!(not_sent.get("error").is_none());
    assert!(
        !calls.contains_key("UpdateCaseStatus"),
        "the status move was not sent: {calls:?}"
    );
    assert_eq!(sent_operations(&report), writes_without_comments(&calls));
    assert_eq!(report["summary"]["failed"], 1);
    assert_eq!(report["summary"]["applied"], 0);
    assert!(
        run.stderr.contains("0 cases changed, 1 failed"),
        "the summary goes to stderr:\n{}",
        run.stderr
    );
}

/// CreateCase behind a quota of 2 a second: the service throttles some creates, each request
/// counts its own retries, and together they are every throttle the emulator answered.
#[tokio::test(flavor = "multi_thread")]
async fn each_request_counts_the_throttles_it_was_retried_after() {
    let sandbox = Sandbox::with_config(EmulatorConfig {
        rate_limits: RateLimits {
            operations: BTreeMap::from([("CreateCase".to_string(), 2.0)]),
            ..RateLimits::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let names: Vec<String> = (0..6).map(|index| format!("burst-{index}")).collect();
    sandbox.write_plain_manifests(&names);

    let run = sandbox.apply(&["--format", "json"]).await;
    run.expect_code(0);
    let report = checked_report(&run);
    let per_request: Vec<u64> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|case| case["requests"].as_array().unwrap())
        .map(|request| request["throttledRetries"].as_u64().unwrap())
        .collect();
    let total: u64 = per_request.iter().sum();
    let throttled = sandbox.emulator.stats().throttled;
    assert!(total > 0, "the quota never bit: {per_request:?}");
    assert_eq!(report["summary"]["throttledRetries"], total);
    assert_eq!(
        Some(&total),
        throttled.get("CreateCase"),
        "each throttle of a create was retried and counted once: {throttled:?}"
    );
    assert!(
        per_request.contains(&0),
        "the burst's creates were not throttled: {per_request:?}"
    );
    assert_eq!(report["summary"]["created"], 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_file_is_written_beside_the_text_summary() {
    let sandbox = Sandbox::new().await;
    sandbox.write_manifest("filed", &manifest("filed", ""));
    let path = sandbox.path().join("out/apply-report.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let run = sandbox
        .apply(&["--report", path.to_str().unwrap(), "--write-back"])
        .await;
    run.expect_code(0);
    assert!(
        run.stdout
            .contains("Apply complete: 1 case changed, 0 failed."),
        "stdout stays text:\n{}",
        run.stdout
    );
    assert!(!run.stdout.contains("\"formatVersion\""), "{}", run.stdout);
    let report = checked(&std::fs::read_to_string(&path).unwrap());
    let filed = case(&report, "filed");
    assert_eq!(filed["created"], true);
    assert_eq!(filed["caseIdRecorded"], true);
    assert_eq!(
        filed["caseId"].as_str().map(str::to_string),
        sandbox.recorded_case_id("filed")
    );

    // A run with nothing to do replaces the file with a report of no case.
    let again = sandbox.apply(&["--report", path.to_str().unwrap()]).await;
    again.expect_code(0);
    let report = checked(&std::fs::read_to_string(&path).unwrap());
    assert_eq!(report["cases"], serde_json::json!([]));
}

/// `--drift`, then a saved plan with `--prune` applied with `--redact`: each run reports what
/// it applied, and with `--redact` the plan on stderr is masked while stdout is the report.
#[tokio::test(flavor = "multi_thread")]
async fn drift_repairs_and_saved_pruning_plans_are_reported_too() {
    let sandbox = Sandbox::with_manifests(&["kept", "gone"]).await;
    git(sandbox.path(), &["init", "-q"]);
    commit_all(&sandbox, "two cases");
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    commit_all(&sandbox, "record the case ids");
    let kept_id = sandbox.recorded_case_id("kept").unwrap();
    let gone_id = sandbox.recorded_case_id("gone").unwrap();

    let console = client_as(&sandbox.emulator.endpoint_url(), "AKIDCONSOLE", "us-east-1");
    update_title(&console, &kept_id, "Retitled in the console")
        .await
        .unwrap();
    let repaired = sandbox.apply(&["--drift", "--format", "json"]).await;
    repaired.expect_code(0);
    let report = checked_report(&repaired);
    let kept = case(&report, "kept");
    assert_eq!(
        (kept["action"].as_str(), kept["outcome"].as_str()),
        (Some("update"), Some("applied"))
    );
    assert_eq!(operations(kept), ["UpdateCase"]);
    assert_eq!(report["cases"].as_array().unwrap().len(), 1);

    sandbox.remove_manifest("gone");
    sandbox.write_manifest(
        "kept",
        &sandbox
            .read_manifest("kept")
            .replace("What happened to kept.", "What we know now."),
    );
    commit_all(&sandbox, "retire gone, describe kept");
    sandbox
        .plan(&["--prune", "--out", "saved.json"])
        .await
        .expect_code(0);
    let applied = sandbox
        .apply(&["--plan", "saved.json", "--format", "json", "--redact"])
        .await;
    applied.expect_code(0);
    assert!(
        applied.stderr.contains("kept") && !applied.stderr.contains("What we know now."),
        "the plan is on stderr, redacted:\n{}",
        applied.stderr
    );
    let report = checked_report(&applied);
    let gone = case(&report, "gone");
    assert_eq!(gone["caseId"], gone_id.as_str());
    assert_eq!(
        (gone["action"].as_str(), gone["outcome"].as_str()),
        (Some("close"), Some("applied"))
    );
    assert_eq!(operations(gone).last(), Some(&"CloseCase"));
    // The update, then the revision tag that records the commit the case now matches.
    assert_eq!(
        operations(case(&report, "kept")),
        ["UpdateCase", "TagResource"]
    );
    assert_eq!(report["summary"]["applied"], 2);
}

#[test]
fn the_reference_example_is_a_valid_report() {
    let reference = std::fs::read_to_string("docs/reference.md").unwrap();
    let section = &reference[reference.find("## Apply report").unwrap()..];
    let example = section
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has a JSON example");
    let report = checked(example);
    let requests: Vec<&Value> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|case| case["requests"].as_array().unwrap())
        .collect();
    let sent = requests
        .iter()
        .filter(|request| !request["startedMs"].is_null())
        .count();
    assert_eq!(report["summary"]["requests"], sent);
}

#[test]
fn the_schema_refuses_what_is_not_a_report() {
    let valid = serde_json::json!({
        "formatVersion": 1, "siropsVersion": "0.1.0",
        "startedAt": "2026-11-20T08:00:00Z", "finishedAt": "2026-11-20T08:00:01Z",
        "durationMs": 1000, "target": {"endpoint": "http://127.0.0.1:4566", "region": null},
        "summary": {"applied": 1, "failed": 0, "created": 0, "unplanned": 0, "requests": 1,
                    "throttledRetries": 0, "caseIdsRecorded": 0},
        "cases": [{"name": "a", "caseId": "1234567890", "created": false, "action": "update",
                   "outcome": "applied", "durationMs": 5, "warnings": [],
                   "requests": [{"operation": "UpdateCase", "outcome": "success",
                                 "startedMs": 0, "durationMs": 5, "throttledRetries": 0}]}]
    });
    assert_eq!(schema_problems(&valid), Vec::<String>::new());
    let mut bad_outcome = valid.clone();
    bad_outcome["cases"][0]["requests"][0]["outcome"] = "maybe".into();
    let mut no_summary = valid.clone();
    no_summary.as_object_mut().unwrap().remove("summary");
    let mut negative = valid;
    negative["durationMs"] = (-1).into();
    for bad in [bad_outcome, no_summary, negative] {
        assert!(!schema_problems(&bad).is_empty(), "{bad}");
    }
}
