//! `sirops status`: each case's live status from ListCases alone, the cases AWS waits on
//! marked, against the emulator with an AWS responder and a second person at work.

use aws_sdk_securityir::primitives::{DateTime, DateTimeFormat};
use serde_json::Value;
use sirops::emulator::EmulatorConfig;

use crate::support::{
    Run, Sandbox, act_as_aws, client_as, counts, create, manifest, manifest_with_metadata,
};

/// A manifest of a case AWS's responders work.
fn aws_supported(name: &str) -> String {
    manifest(name, "").replace("resolverType: Self", "resolverType: AWS")
}

/// The rows of a status JSON.
fn status_rows(run: &Run) -> Vec<Value> {
    let json = run.json();
    assert_eq!(json["formatVersion"], 1, "{json}");
    json["cases"].as_array().unwrap().clone()
}

/// `name` of each row (`null` for a case no manifest names).
fn names(rows: &[Value]) -> Vec<Value> {
    rows.iter().map(|row| row["name"].clone()).collect()
}

/// Three cases applied with `--write-back`, the AWS-supported one `handed` waiting on the
/// customer, and `fresh`, a manifest applied never. Returns the sandbox and `handed`'s id.
async fn responder_waits_on_one() -> (Sandbox, String) {
    let sandbox = Sandbox::with_manifests(&["payroll", "phishing"]).await;
    sandbox.write_manifest("handed", &aws_supported("handed"));
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    let handed = sandbox.recorded_case_id("handed").expect("written back");
    let (code, body) = act_as_aws(
        &sandbox.emulator,
        &format!(r#"{{"caseId": "{handed}", "pendingAction": "Customer"}}"#),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    sandbox.write_case("fresh", "");
    (sandbox, handed)
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_case_aws_waits_on_from_one_list_cases_call() {
    let (sandbox, handed) = responder_waits_on_one().await;
    let (run, calls) = sandbox.sirops_calls(&["status", "--format", "json"]).await;
    run.expect_code(0);
    assert_eq!(
        calls,
        counts(&[("ListCases", 1)]),
        "no GetCase, no tag read"
    );

    let json = run.json();
    assert_eq!(json["waitingOnCustomer"], 1, "{json}");
    let rows = status_rows(&run);
    assert_eq!(
        names(&rows),
        ["fresh", "handed", "payroll", "phishing"],
        "by manifest name"
    );
    let waiting = &rows[1];
    assert_eq!(waiting["caseId"], handed.as_str());
    assert_eq!(waiting["status"], "Submitted");
    assert_eq!(waiting["pendingAction"], "Customer");
    assert_eq!(waiting["managed"], true);
    let live = sandbox.live_case(&handed).await;
    let shown = DateTime::from_str(
        waiting["lastUpdated"].as_str().unwrap(),
        DateTimeFormat::DateTime,
    )
    .expect("RFC 3339");
    assert_eq!(
        shown.to_millis().unwrap(),
        live.last_updated_date().unwrap().to_millis().unwrap(),
        "the responder's edit is the last update"
    );
    for other in [&rows[2], &rows[3]] {
        assert_eq!(other["pendingAction"], "None", "{other}");
        assert_eq!(other["status"], "Submitted", "{other}");
    }
    let fresh = &rows[0];
    assert_eq!(fresh["caseId"], Value::Null);
    assert_eq!(fresh["status"], "unknown");
    assert_eq!(fresh["pendingAction"], Value::Null);
    assert_eq!(fresh["lastUpdated"], Value::Null);
    assert_eq!(fresh["managed"], true);
    assert!(
        run.stderr
            .contains("hint: no case id is recorded in 1 manifest (fresh)")
            && run.stderr.contains("--write-back"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_text_table_marks_the_case_aws_waits_on_and_counts_it() {
    let (sandbox, handed) = responder_waits_on_one().await;
    let run = sandbox.sirops(&["status"]).await;
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let marked: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|line| line.starts_with('!'))
        .collect();
    assert_eq!(marked.len(), 1, "{}", run.stdout);
    assert!(
        marked[0].starts_with("! handed") && marked[0].contains(&handed),
        "{}",
        run.stdout
    );
    assert!(marked[0].contains("Customer"), "{}", run.stdout);
    let payroll = lines
        .iter()
        .find(|line| line.trim_start().starts_with("payroll"))
        .unwrap();
    assert!(payroll.starts_with("  payroll"), "{}", run.stdout);
    assert!(
        run.stdout
            .ends_with("\n1 case waits on you (pendingAction Customer).\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains('\x1b'), "no colour without a terminal");
}

#[tokio::test(flavor = "multi_thread")]
async fn all_adds_other_peoples_cases_unmanaged_and_the_listing_is_paged_by_25() {
    let (sandbox, _) = responder_waits_on_one().await;
    let console = client_as(&sandbox.emulator.endpoint_url(), "AKIDCONSOLE", "us-east-1");
    let console_case = create(&console, "Opened in the console").await;

    let (run, calls) = sandbox.sirops_calls(&["status", "--format", "json"]).await;
    run.expect_code(0);
    assert_eq!(calls, counts(&[("ListCases", 1)]));
    assert!(
        !run.stdout.contains(&console_case),
        "only the manifests' cases without --all"
    );

    let (run, calls) = sandbox
        .sirops_calls(&["status", "--all", "--format", "json"])
        .await;
    run.expect_code(0);
    assert_eq!(calls, counts(&[("ListCases", 1)]));
    let rows = status_rows(&run);
    assert_eq!(rows.len(), 5, "{rows:?}");
    let other = &rows[4];
    assert_eq!(other["name"], Value::Null);
    assert_eq!(other["caseId"], console_case.as_str());
    assert_eq!(other["managed"], false);
    assert_eq!(other["status"], "Submitted");
    assert!(rows[..4].iter().all(|row| row["managed"] == true));

    // 28 cases: two pages of 25.
    for number in 0..24 {
        create(&console, &format!("Console case {number}")).await;
    }
    let cases = sandbox.case_ids().await.len();
    assert_eq!(cases, 28);
    let (run, calls) = sandbox
        .sirops_calls(&["status", "--all", "--format", "json"])
        .await;
    run.expect_code(0);
    assert_eq!(calls, counts(&[("ListCases", cases.div_ceil(25) as u64)]));
    let rows = status_rows(&run);
    assert_eq!(
        rows.len(),
        1 + cases,
        "every case and the manifest without one"
    );
    let unmanaged: Vec<&str> = rows
        .iter()
        .filter(|row| row["managed"] == false)
        .map(|row| row["caseId"].as_str().unwrap())
        .collect();
    assert_eq!(unmanaged.len(), 25);
    assert!(
        unmanaged.windows(2).all(|pair| pair[0] < pair[1]),
        "unmanaged by case id: {unmanaged:?}"
    );
    assert_eq!(run.json()["waitingOnCustomer"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_case_the_listing_lacks_is_missing_with_a_warning_not_a_failure() {
    let sandbox = Sandbox::with_manifests(&["kept"]).await;
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    sandbox.write_manifest(
        "gone",
        &manifest_with_metadata("gone", "caseId: \"1234567890\""),
    );
    let (run, calls) = sandbox.sirops_calls(&["status", "--format", "json"]).await;
    run.expect_code(0);
    assert_eq!(calls, counts(&[("ListCases", 1)]));
    let rows = status_rows(&run);
    assert_eq!(names(&rows), ["gone", "kept"]);
    assert_eq!(rows[0]["caseId"], "1234567890");
    assert_eq!(rows[0]["status"], "missing");
    assert_eq!(rows[0]["managed"], true);
    assert_eq!(rows[1]["status"], "Submitted");
    assert!(
        run.stderr
            .contains("warning: gone: case 1234567890 (metadata.caseId, "),
        "{}",
        run.stderr
    );
    let quiet = sandbox.sirops(&["status", "-q"]).await;
    quiet.expect_code(0);
    assert!(quiet.stdout.contains("missing"), "{}", quiet.stdout);
    assert!(
        quiet.stderr.is_empty(),
        "only errors with -q: {}",
        quiet.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_manifest_means_no_call() {
    let sandbox = Sandbox::with_manifests(&["good"]).await;
    sandbox.write_manifest("bad", &manifest("bad", "  status: Sideways\n"));
    let (run, calls) = sandbox.sirops_calls(&["status"]).await;
    run.expect_code(1);
    assert!(calls.is_empty(), "{calls:?}");
    assert!(
        run.stderr
            .contains("invalid manifests; nothing was sent to the API"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_listing_is_one_error_line_and_exit_1() {
    let sandbox = Sandbox::with_config(EmulatorConfig {
        not_active: true,
        ..EmulatorConfig::default()
    })
    .await;
    sandbox.write_plain_manifests(&["payroll"]);
    let run = sandbox.sirops(&["status", "--format", "json"]).await;
    run.expect_code(1);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("error: ListCases failed: SecurityIncidentResponseNotActiveException"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn local_reads_the_embedded_emulator() {
    let sandbox = Sandbox::with_manifests(&["payroll"]).await;
    sandbox
        .sirops(&["apply", "--local", "--auto-approve", "--write-back"])
        .await
        .expect_code(0);
    let (run, calls) = sandbox
        .sirops_calls(&["status", "--local", "--format", "json"])
        .await;
    run.expect_code(0);
    assert!(calls.is_empty(), "the sandbox's emulator was not called");
    let rows = status_rows(&run);
    assert_eq!(rows[0]["name"], "payroll");
    assert_eq!(
        rows[0]["caseId"].as_str(),
        sandbox.recorded_case_id("payroll").as_deref()
    );
    assert_eq!(rows[0]["status"], "Submitted");
}
